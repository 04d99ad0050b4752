"""The two power regimes and the continuous baseline, on the host port:

* brown-out (default): commits after every batch of S tiles, runs until the energy runs out;
* one batch per power cycle (PROACTIVE header flag, the original TiNAS's regime): commit, then yield;
* RT_NO_PRESERVATION: no commits, no progress counters, no yield — the baseline whose continuous-power
  latency IMO is measured against.

Expected counts come from the layer table alone (tiles per layer as rt_layers.c grids them, batches of
S tiles, S = 1 where partial sums cross tiles), not from the firmware's own counters."""

from __future__ import annotations

import math

import pytest

from hil.drivers.host_process import HostDevice, build_host_firmware
from tinas.export.layout import HEADER, HEADER_FIELDS, LAYER, LAYER_FIELDS, unpack
from tests.fw_models import IMAGE_BLOCKS, alternative_designs, make_artifact

CASE = dict(dataset="DIGITS", width=0.5, resolution=8, blocks=IMAGE_BLOCKS)


def batches_per_layer(blob: bytes) -> list[int]:
    h = unpack(HEADER, HEADER_FIELDS, blob)
    out = []
    for i in range(h["n_layers"]):
        L = unpack(LAYER, LAYER_FIELDS, blob[h["table_off"] + i * LAYER.size:])
        gap = L["kind"] == 5
        rows, cols = (L["in_h"], L["in_w"]) if gap else (L["out_h"], L["out_w"])
        nt = math.ceil(L["in_c"] / L["Tn"]) if L["kind"] in (0, 2) else 1
        tiles = math.ceil(rows / L["Tr"]) * math.ceil(cols / L["Tc"]) * math.ceil(L["out_c"] / L["Tm"]) * nt
        s = 1 if (nt > 1 or gap) else max(1, L["S"])
        out.append(math.ceil(tiles / s))
    return out


@pytest.fixture(scope="module")
def artifacts(tmp_path_factory):
    d = tmp_path_factory.mktemp("regimes")
    designs = alternative_designs(seed=5, **CASE)
    assert any(x.S > 1 for x in designs)
    return (make_artifact(d / "brownout", designs=designs, proactive=False, **CASE),
            make_artifact(d / "proactive", designs=designs, proactive=True, **CASE))


def test_one_batch_per_power_cycle(tmp_path, artifacts):
    _, pro = artifacts
    n = sum(batches_per_layer(pro.blob))
    s = HostDevice(build_host_firmware(), pro, tmp_path / "nvm").run(yield_mode=True)
    assert s.correct
    assert s.restarts == n  # one yield after every committed batch, then one boot that finishes
    assert s.ctrl["boot_count"] == n + 1


def test_brownout_regime_runs_through(tmp_path, artifacts):
    bro, _ = artifacts
    s = HostDevice(build_host_firmware(), bro, tmp_path / "nvm").run(yield_mode=True)
    assert s.correct and s.restarts == 0


def test_no_preservation_baseline(tmp_path, artifacts):
    """Same output; the NVM writes saved are exactly the preservation ones: per batch a slot commit, the
    per-layer counter snapshot committed with it (firmware/runtime/rt_counters.c), the compute counter and
    the preserve counter, plus boot_count and recover counter at boot, minus the one write of the three
    counters at the end."""
    bro, pro = artifacts
    n = sum(batches_per_layer(bro.blob))
    normal = HostDevice(build_host_firmware(), bro, tmp_path / "a")
    normal.flash()
    w_normal = normal.run_once().nvm_writes
    base = HostDevice(build_host_firmware(variant="host-nopres"), bro, tmp_path / "b")
    base.flash()
    r = base.run_once()
    assert r.exit_code == 0
    assert base.output().tolist() == bro.expected_output.tolist()
    assert w_normal - r.nvm_writes == 4 * n + 2 - 1
    # the PROACTIVE flag is ignored: no yield, one boot
    s = HostDevice(build_host_firmware(variant="host-nopres"), pro, tmp_path / "c").run(yield_mode=True)
    assert s.correct and s.restarts == 0


def test_unknown_variant():
    with pytest.raises(Exception, match="unknown host firmware variant"):
        build_host_firmware(variant="host-fast")
