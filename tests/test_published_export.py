"""The original TiNAS's 12 published solutions (shapes and designs, no weights) export with seeded
random weights and run on the host port bit-exact against the Python reference, under continuous power
and with injected power failures. Exports of one file with two seeds share the layer table and designs.

Default (bounded): every solution exported, run once continuously and once with a few failures (torn
writes included), plus the one-tile-per-power-cycle regime on the two smallest. ``slow`` adds many
failure points per solution and the proactive regime on every one."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from hil.drivers.host_process import HostDevice, build_host_firmware
from tinas.export import load_artifact
from tinas.export.layout import HEADER, HEADER_FIELDS, LAYER, LAYER_FIELDS, unpack
from tinas.export.published import PublishedSolutionError, export_published, infer_skip_inputs
from tinas.network import Network
from tinas.errors import ExportError

SOLUTIONS = sorted((Path(__file__).parent / "data" / "tinas-solutions").glob("*.json"))
ROOT = Path(__file__).resolve().parents[1]


def short(p: Path) -> str:
    return p.name.replace("_best_solution_info.json", "")


@pytest.fixture(scope="module")
def exe():
    return build_host_firmware()


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    base = tmp_path_factory.mktemp("published")
    out = {}
    for p in SOLUTIONS:
        export_published(p, 1, base / short(p))
        out[short(p)] = load_artifact(base / short(p))
    return out


def layer_records(blob: bytes) -> list[dict[str, int]]:
    h = unpack(HEADER, HEADER_FIELDS, blob)
    return [unpack(LAYER, LAYER_FIELDS, blob[h["table_off"] + i * LAYER.size:]) for i in range(h["n_layers"])]


def test_all_twelve_export(exported):
    assert len(exported) == 12
    for name, art in exported.items():
        rec = art.record
        assert rec.nvm_size <= 1 << 20, name
        # the layer list and the stored designs are the file's: one design per network layer, as published
        text = (SOLUTIONS[0].parent / f"{name}_best_solution_info.json").read_text()
        stored = json.loads(re.sub(r",(\s*[}\]])", r"\1", text))[0]
        info = stored.get("subnet_latency_info", stored)
        params = [s["params"] for s in info.get("perf_exec_design_intpow", info.get("perf_exec_design"))]
        want = [(p["Tr"], p["Tc"], p["Tm"], p["Tn"], p["reuse_sch"], p.get("S", 1)) for p in params]
        assert [(d.Tr, d.Tc, d.Tm, d.Tn, d.order, d.S) for d in rec.designs] == want, name
        assert not rec.proactive_shutdown  # the brown-out regime is the default


def test_activations_have_a_realistic_scale(exported):
    """He-scaled weights: no conv output is all zero or largely saturated (the golden input is not one of
    the calibration inputs, so a few values may clip)."""
    for name, art in exported.items():
        for i, fl in enumerate(art.record.firmware_layers):
            if fl.kind in ("CONV", "DW", "FC"):
                o = art.golden[f"layer_{i}"].astype(np.int64)
                assert np.any(o != 0) and np.mean(np.abs(o) >= 32767) < 0.2, (name, fl.name)


@pytest.mark.parametrize("name", [short(p) for p in SOLUTIONS])
def test_host_bit_exact_continuous_and_with_failures(exported, exe, tmp_path, name, sweep_budget):
    art = exported[name]
    dev = HostDevice(exe, art, tmp_path / "nvm")
    s = dev.run()
    assert s.correct and s.restarts == 0 and s.ctrl["done"] == 1
    rng = np.random.default_rng(len(name))
    n_fail = 40 if sweep_budget == "full" else 3
    # failure points among the first NVM writes of each power cycle (boot, recovery, first tiles);
    # torn byte counts 0..7
    points = sorted(int(k) for k in rng.integers(2, 60, n_fail))
    s2 = dev.run(failures=[(k, int(rng.integers(0, 8))) for k in points])
    assert s2.correct and s2.injected_failures == n_fail


@pytest.mark.parametrize("name", ["TiNAS_HAR-LAT-perc25-CCAP0.005", "TiNAS-M_HAR-IMO-perc46-LAT-perc25-CCAP0.005"])
def test_one_tile_per_power_cycle(exe, tmp_path, name):
    """The PROACTIVE header flag (the original's regime, S tiles per power cycle): the host yields after
    every committed batch, and the output is still bit-exact."""
    src = SOLUTIONS[0].parent / f"{name}_best_solution_info.json"
    export_published(src, 2, tmp_path / "a", proactive=True)
    art = load_artifact(tmp_path / "a")
    assert art.record.proactive_shutdown
    s = HostDevice(exe, art, tmp_path / "nvm").run(yield_mode=True)
    assert s.correct and s.restarts > len(art.record.firmware_layers)


@pytest.mark.slow
@pytest.mark.parametrize("name", [short(p) for p in SOLUTIONS])
def test_one_tile_per_power_cycle_everywhere(exe, tmp_path, name):
    src = SOLUTIONS[0].parent / f"{name}_best_solution_info.json"
    export_published(src, 3, tmp_path / "a", proactive=True)
    s = HostDevice(exe, load_artifact(tmp_path / "a"), tmp_path / "nvm").run(yield_mode=True)
    assert s.correct


def test_two_seeds_same_tables_and_designs(tmp_path):
    src = SOLUTIONS[-1]
    a, b = export_published(src, 1, tmp_path / "a"), export_published(src, 2, tmp_path / "b")
    assert a.designs == b.designs and a.network == b.network
    assert a.weights_sha256 != b.weights_sha256
    ba, bb = (tmp_path / "a" / "model.bin").read_bytes(), (tmp_path / "b" / "model.bin").read_bytes()
    ra, rb = layer_records(ba), layer_records(bb)
    # every field but the calibrated requantisation shifts is the same: kinds, shapes, tiles, orders, S,
    # NVM offsets of inputs, outputs, weights and biases
    strip = [{k: v for k, v in r.items() if k not in ("shift", "shift_b")} for r in ra], \
        [{k: v for k, v in r.items() if k not in ("shift", "shift_b")} for r in rb]
    assert strip[0] == strip[1] and len(ra) == len(a.firmware_layers)
    assert [(f.name, f.kind, f.design, f.out_elements) for f in a.firmware_layers] == \
        [(f.name, f.kind, f.design, f.out_elements) for f in b.firmware_layers]
    assert ba != bb  # the weights differ


def test_skip_inputs_from_aliases():
    net = infer_skip_inputs(Network.load(SOLUTIONS[-1]))
    adds = [l for l in net.layers if l.type == "ADD"]
    assert adds and all(l.add_from for l in adds)
    names = [l.name for l in net.layers]
    for l in adds:  # the skip input is the layer right before the block's first pointwise conv
        block = l.alias[: -len(".shortcut.skip_aggr")]
        first = next(i for i, m in enumerate(net.layers) if m.alias == block + ".op.mbconv_conv0_pw")
        assert l.add_from == names[first - 1]


def test_add_without_alias_is_refused():
    net = Network.load(SOLUTIONS[-1])
    bad = Network(layers=tuple(l.model_copy(update={"alias": None}) if l.type == "ADD" else l for l in net.layers))
    with pytest.raises(PublishedSolutionError, match="cannot tell its skip input"):
        infer_skip_inputs(bad)


def test_nvm_limit_names_the_size(tmp_path):
    with pytest.raises(ExportError, match=r"needs \d+ B of NVM .* holds 1000 B"):
        export_published(SOLUTIONS[-1], 1, tmp_path / "a", nvm_limit_bytes=1000)
    assert not (tmp_path / "a").exists()


def test_cli(tmp_path):
    r = subprocess.run([sys.executable, "-m", "tinas.cli", "export", str(SOLUTIONS[-1]), "--random-weights", "5",
                        "--out", str(tmp_path / "a")], capture_output=True, text=True, cwd=ROOT,
                       env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"})
    assert r.returncode == 0, r.stderr
    assert load_artifact(tmp_path / "a").record.name.endswith("seed5")
    r = subprocess.run([sys.executable, "-m", "tinas.cli", "export", str(SOLUTIONS[-1]), "--random-weights", "5",
                        "--nvm-limit", "100", "--out", str(tmp_path / "b")], capture_output=True, text=True, cwd=ROOT,
                       env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"})
    assert r.returncode == 2 and "B of NVM" in r.stderr
