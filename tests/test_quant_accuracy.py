"""The firmware's output against a float model written apart from the quantiser (tests/float_reference.py:
PyTorch layers, BN not folded), within tolerances derived from the quantisation steps the artifact
states. The bit-exact tests compare C with its Python mirror, which share every scale; these would
notice a scale that is wrong in both (an output scale off by one bit halves or doubles every value).

Two tolerances, both from the rounding steps 2^-f:
* per layer, worst case: each firmware layer run in float on its own Q15 input may differ from its Q15
  output only by its own roundings (weights, bias, output shift) - a few output steps;
* end to end: the propagated standard deviation σ of independent round-to-nearest errors (step q adds
  q²/12); the firmware's final output must lie within K_SIGMA·σ of the float model. (The worst-case
  interval bound grows by Σ|w| per layer and is useless after 30 layers.) Measured: the final error is
  below 0.15 σ on all three networks, and a one-bit scale error overshoots K_SIGMA·σ 27-38 times."""

from __future__ import annotations

import numpy as np
import pytest

from hil.drivers.host_process import HostDevice, build_host_firmware
from tests.float_reference import FwLayer, error_sigmas, firmware_layers, float_forward, layer_bound
from tinas.cost import evaluate
from tinas.export import export_model, load_artifact
from tinas.platform import load_platform
from tinas.quant.synthetic import random_inputs, random_weights
from tinas.search_space import BlockChoice, SubnetConfig, get_space, to_network

CASES = {
    "image-2d": dict(dataset="DIGITS", width=0.5, resolution=8, blocks=([3, 3, 2, True], [1, 5, 1, False], [4, 3, 2, True])),
    "image-12px": dict(dataset="DIGITS", width=0.7, resolution=12, blocks=([1, 7, 1, True], [6, 1, 3, True], [3, 5, 2, False])),
    "series-1d": dict(dataset="MOTION", width=0.6, resolution=32, blocks=([3, 5, 2, True], [4, 3, 1, False], [1, 7, 2, True])),
}
K_SIGMA = 6.0  # end-to-end tolerance in propagated standard deviations of the rounding noise
# a scale off by one bit must overshoot the tolerance by at least this factor on the largest output
POWER_MARGIN = 10.0


def build(tmp_path, case: str, seed: int = 0):
    c = CASES[case]
    space = get_space(c["dataset"])
    cfg = SubnetConfig(width=c["width"], resolution=c["resolution"], blocks=tuple(BlockChoice.from_list(b) for b in c["blocks"]))
    net = to_network(cfg, space)
    platform = load_platform()
    rng = np.random.default_rng(seed)
    w = random_weights(net, rng)
    h, wd = (c["resolution"], 1) if space.use_1d else (c["resolution"], c["resolution"])
    xs = random_inputs((h, wd, space.input_channels), 8, rng)
    export_model(net, evaluate(net, platform).designs, w, xs, tmp_path / "a", platform=platform)
    art = load_artifact(tmp_path / "a")
    x_q = art.golden["input"]
    # the float reference sees exactly the firmware's input, so the bound starts from zero input error
    run = float_forward(net, w, x_q.astype(np.float64) / 2.0**15)
    return net, w, art, run


def hwc(a: np.ndarray) -> np.ndarray:
    return a[0].transpose(1, 2, 0)


@pytest.fixture(scope="module")
def exe():
    return build_host_firmware()


@pytest.mark.tools("gcc", "make")
@pytest.mark.parametrize("case", sorted(CASES))
def test_firmware_output_within_the_quantisation_bound(tmp_path, exe, case):
    net, w, art, run = build(tmp_path, case)
    last = firmware_layers(net, art.record)[-1]
    tol = K_SIGMA * hwc(error_sigmas(net, w, art.record, run)[last.covers[-1]]).reshape(-1)
    s = HostDevice(exe, art, tmp_path / "nvm").run()
    assert s.completed
    got = s.output.astype(np.float64) / 2.0**last.f_out
    want = hwc(run.outputs[last.covers[-1]]).reshape(-1)
    err = np.abs(got - want)
    assert np.all(err <= tol), f"firmware output off by {err.max():.3g} where {K_SIGMA} sigma is {tol[err.argmax()]:.3g}"
    # the test has the power to see a one-bit scale error: it would be off by half the largest output
    assert 0.5 * np.abs(want).max() >= POWER_MARGIN * tol.max()


@pytest.mark.parametrize("case", sorted(CASES))
def test_every_layer_within_its_rounding_bound(tmp_path, case):
    """Every firmware layer of the bit-exact reference (the golden vectors the firmware must reproduce),
    run in float on its own Q15 input, is within the worst case of its own roundings: a wrong scale,
    weight or bias quantisation is caught at the layer where it happens."""
    net, w, art, run = build(tmp_path, case)
    fls = firmware_layers(net, art.record)
    q_of: dict = {None: art.golden["input"].astype(np.float64) / 2.0**15}
    for i, fl in enumerate(fls):
        q = art.golden[f"layer_{i}"].astype(np.float64) / 2.0**fl.f_out
        x = q_of[fl.src].transpose(2, 0, 1)[None]
        x2 = None if fl.src2 is None else q_of[fl.src2].transpose(2, 0, 1)[None]
        want, bound = (hwc(a) for a in layer_bound(net, w, fl, x, x2))
        assert q.shape == want.shape, fl.covers
        err = np.abs(q - want)
        assert np.all(err <= bound), (f"layer {i} ({fl.kind}, {fl.covers}): off by {err.max():.3g}, "
                                      f"bound {bound.reshape(-1)[err.argmax()]:.3g}")
        if fl.kind in ("CONV", "DW", "FC"):  # a few output steps, not a blanket tolerance
            assert bound.max() <= 8 * 2.0 ** -fl.f_out, (i, bound.max() * 2.0**fl.f_out)
        q_of[fl.covers[-1]] = q


def test_off_by_one_bit_scale_is_far_outside_the_bound(tmp_path):
    """The check's own power on data: the golden output read with one bit more or less of scale is off
    by many times the tolerance."""
    net, w, art, run = build(tmp_path, "image-2d")
    last = firmware_layers(net, art.record)[-1]
    want = hwc(run.outputs[last.covers[-1]]).reshape(-1)
    tol = K_SIGMA * hwc(error_sigmas(net, w, art.record, run)[last.covers[-1]]).reshape(-1)
    q = art.expected_output.astype(np.float64)
    assert np.all(np.abs(q / 2.0**last.f_out - want) <= tol)
    for f in (last.f_out - 1, last.f_out + 1):
        excess = np.max(np.abs(q / 2.0**f - want) / tol)
        assert excess > POWER_MARGIN, (f, excess)


def test_bound_against_a_hand_computed_layer():
    """The bound of one 1×1 convolution by hand: w = 0.75, x = 0.5 (exact in Q15), f_in = 15, f_out = 14,
    shift 15 so f_w = 14: 2^-15·0.5 (weight rounding) + 2^-30 (bias) + 2^-15 (output rounding)."""
    from tinas.network import Network

    net = Network.from_layers([{"name": "CONV_0", "type": "CONV", "optype": 2, "stride": 1, "pad": 0,
                                "K": {"N": 1, "CH": 1, "H": 1, "W": 1}, "IFM": {"N": 1, "CH": 1, "H": 1, "W": 1},
                                "OFM": {"N": 1, "CH": 1, "H": 1, "W": 1}}])
    w = {"CONV_0.weight": np.full((1, 1, 1, 1), 0.75)}
    fl = FwLayer("CONV", ("CONV_0",), f_in=15, f_in2=0, f_out=14, shift=15, shift_b=0, src=None, src2=None)
    y, b = layer_bound(net, w, fl, np.full((1, 1, 1, 1), 0.5))
    assert y.item() == 0.375
    assert b.item() == pytest.approx(2.0**-15 * 0.5 + 2.0**-30 + 2.0**-15, rel=1e-12)
    assert float_forward(net, w, np.full((1, 1, 1), 0.5)).outputs["CONV_0"].item() == 0.375
