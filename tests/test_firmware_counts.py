"""The firmware cost model's counts equal the runtime's own counters (host port), exactly.

Random tilings (any Tm/Tn, not only divisors, so channel tiles have ragged edges; Tr/Tc beyond the
divisors, so spatial edge tiles too; S up to 3) of three small networks that together hold every layer
kind (CONV with padding and stride 2, DW, FC, RELU, ADD, GAP, 1-D convolutions), run with proactive
shutdown and with injected power failures: the counts are of committed work, so failures must not move
them. The expected numbers come from the count model (written from the loop nests), the observed ones
from the LAYER-end frames of the C runtime.
"""

from __future__ import annotations

import numpy as np
import pytest

from hil.drivers.host_process import HostDevice, build_host_firmware
from hil.serial_protocol import layer_counters
from tests.fw_models import IMAGE_BLOCKS, SERIES_BLOCKS, make_artifact
from tinas.cost.fw_counts import COUNT_KEYS, Tilings, firmware_layers, fits_firmware, layer_counts
from tinas.network import LayerDesign
from tinas.search_space import BlockChoice, SubnetConfig, get_space, to_network

CASES = {
    "image-2d": dict(dataset="DIGITS", width=0.5, resolution=8, blocks=IMAGE_BLOCKS),
    "image-12px": dict(dataset="DIGITS", width=0.7, resolution=12, blocks=([1, 7, 1, True], [6, 1, 3, True], [3, 5, 2, False])),
    "series-1d": dict(dataset="MOTION", width=0.6, resolution=32, blocks=SERIES_BLOCKS),
}
ORDERS = ("reuse_I", "reuse_W", "reuse_O")


@pytest.fixture(scope="module")
def exe():
    return build_host_firmware()


def _network(case: dict):
    space = get_space(case["dataset"])
    cfg = SubnetConfig(width=case["width"], resolution=case["resolution"],
                       blocks=tuple(BlockChoice.from_list(b) for b in case["blocks"]))
    return to_network(cfg, space)


def random_designs(case: dict, seed: int) -> list[LayerDesign]:
    """Any tile sizes from 1 to the dimension (the firmware takes ragged edges), checked against the
    runtime's buffers; a BN gets its convolution's design (it is folded)."""
    net = _network(case)
    rng = np.random.default_rng(seed)
    fl_of = {i: fl for fl, i in firmware_layers(net)}
    out: list[LayerDesign] = []
    for i, l in enumerate(net.layers):
        if l.type == "BN":
            out.append(out[-1])
            continue
        fl = fl_of[i]
        rows, cols = (fl.in_h, fl.in_w) if fl.kind == "GAP" else (fl.out_h, fl.out_w)
        for _ in range(1000):
            d = LayerDesign(Tr=int(rng.integers(1, rows + 2)), Tc=int(rng.integers(1, cols + 2)),
                            Tm=int(rng.integers(1, fl.out_c + 1)), Tn=int(rng.integers(1, fl.in_c + 1)),
                            order=ORDERS[int(rng.integers(0, 3))], S=int(rng.integers(1, 4)))
            if fits_firmware(fl, Tilings.of([d]))[0]:
                break
        else:  # pragma: no cover - the smallest tiles always fit
            raise AssertionError(f"no random design fits layer {fl.name}")
        out.append(d)
    return out


def _check(art, net, designs, frames) -> None:
    got = layer_counters(frames)
    fls = firmware_layers(net)
    assert [fl.name for fl, _ in fls] == [f.name for f in art.record.firmware_layers]
    assert [fl.kind for fl, _ in fls] == [f.kind for f in art.record.firmware_layers]
    assert len(got) == len(fls)
    for (fl, i), c in zip(fls, got):
        want = layer_counts(fl, Tilings.of([designs[i]]))
        for k in COUNT_KEYS:
            assert c[k] == int(want[k][0]), f"{fl.name} ({fl.kind}, {designs[i].params}): {k} {c[k]} != {int(want[k][0])}"


@pytest.mark.parametrize("case", sorted(CASES))
@pytest.mark.parametrize("seed", [11, 12, 13])
def test_counts_equal_the_runtime_counters(tmp_path, exe, case, seed):
    designs = random_designs(CASES[case], seed)
    net = _network(CASES[case])
    art = make_artifact(tmp_path / "a", designs=designs, **CASES[case])
    s = HostDevice(exe, art, tmp_path / "nvm").run(yield_mode=True)
    assert s.correct
    _check(art, net, designs, s.frames)
    got = layer_counters(s.frames)
    assert sum(c["boots"] for c in got) == s.restarts  # the last boot only finds the run done
    assert sum(c["commits"] for c in got) == s.restarts  # proactive: one commit per power cycle


@pytest.mark.parametrize("case", ["image-2d", "series-1d"])
def test_counts_survive_power_failures(tmp_path, exe, case):
    designs = random_designs(CASES[case], 7)
    net = _network(CASES[case])
    art = make_artifact(tmp_path / "a", designs=designs, **CASES[case])
    rng = np.random.default_rng(3)
    fails = [(int(rng.integers(1, 60)), int(rng.integers(0, 5))) for _ in range(25)]
    s = HostDevice(exe, art, tmp_path / "nvm").run(failures=fails)
    assert s.correct and s.injected_failures == 25
    _check(art, net, designs, s.frames)
    assert sum(c["boots"] for c in layer_counters(s.frames)) == 26
