"""The LEA MAC's per-call saturation (docs/q15-arithmetic.md): a MAC call adds saturate_int32(2·sum) >> 1.

Hand-computed cases pin the Python reference; crafted full-scale layers, which DO saturate, run on the
host port bit-exact against it for two tilings whose results differ (so the clamp per call is tested,
not just the sum), next to the reference without the clamp, which they must not match."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

from hil.drivers.host_process import HostDevice, build_host_firmware
from tinas.export.writer import build_blob, check_fits_firmware, place
from tinas.network import LayerDesign
from tinas.quant import ops, q15
from tinas.quant.graph import QLayer
from tinas.quant.quantize import QModel
from tinas.quant.reference import run

I16_MIN = -32768


def conv1x1(in_c: int, tn: int, out_c: int = 1) -> QLayer:
    return QLayer(name="c", covers=("c",), kind="CONV", in_idx=-1, in2_idx=-1, in_c=in_c, in_h=1, in_w=1,
                  out_c=out_c, out_h=1, out_w=1, design=LayerDesign(Tr=1, Tc=1, Tm=out_c, Tn=tn, order="reuse_O"))


@pytest.mark.parametrize(("tn", "expected"), [
    (4, 2**30 - 1),          # one call: 4·2^30 saturates Q31, (2^31 − 1) >> 1
    (2, 2**31 - 2),          # two calls of 2·2^30, each clamped to 2^30 − 1: 2^31 − 2 still fits int32
    (1, -4),                 # four calls of (−32768)² = 2^30 → 2^30 − 1 each: 2^32 − 4 wraps to −4
])
def test_hand_computed_clamp_per_call(tn, expected):
    ql = conv1x1(4, tn)
    x = np.full((1, 1, 4), I16_MIN, dtype=np.int64)
    w = np.full((1, 1, 1, 4), I16_MIN, dtype=np.int64)
    assert int(q15.wrap32(ops.conv_sum_firmware(x, ql, w))[0, 0, 0]) == expected


def test_small_sums_are_exact():
    ql = conv1x1(3, 2)
    x = np.array([[[1000, -2000, 3000]]], dtype=np.int64)
    w = np.array([[[[7, 11, -13]]]], dtype=np.int64)
    assert int(ops.conv_sum_firmware(x, ql, w)[0, 0, 0]) == 7000 - 22000 - 39000


def crafted_model(tn_conv: int, seed: int = 3, c: int = 4) -> tuple[QModel, np.ndarray]:
    """DW 3×3 → CONV 3×3 → GAP → FC on full-scale values: depthwise taps of (−32768)², conv slices of
    several full-scale products, FC slices of two — every MAC kind saturates somewhere."""
    rng = np.random.default_rng(seed)
    h = w = 6
    m, k = 6, 5

    def design(tm: int, tn: int) -> LayerDesign:
        return LayerDesign(Tr=3, Tc=4, Tm=tm, Tn=tn, order="reuse_O")

    big = np.array([I16_MIN, I16_MIN, 32767, -32767, 30000], dtype=np.int64)
    dw = QLayer(name="dw", covers=("dw",), kind="DW", in_idx=-1, in2_idx=-1, in_c=c, in_h=h, in_w=w, out_c=c,
                out_h=h, out_w=w, kh=3, kw=3, pad=1, design=design(c, c))
    dw.w_q = rng.choice(big, (3, 3, c)).astype(np.int16)
    dw.b_q = rng.integers(-2**20, 2**20, c)
    dw.shift = 16
    conv = QLayer(name="conv", covers=("conv",), kind="CONV", in_idx=0, in2_idx=-1, in_c=c, in_h=h, in_w=w,
                  out_c=m, out_h=h, out_w=w, kh=3, kw=3, pad=1, design=design(3, tn_conv))
    conv.w_q = rng.choice(big, (3, 3, m, c)).astype(np.int16)
    conv.b_q = rng.integers(-2**20, 2**20, m)
    conv.shift = 17
    gap = QLayer(name="gap", covers=("gap",), kind="GAP", in_idx=1, in2_idx=-1, in_c=m, in_h=h, in_w=w,
                 out_c=m, out_h=1, out_w=1, design=LayerDesign(Tr=2, Tc=6, Tm=m, Tn=m, order="reuse_O"))
    fc = QLayer(name="fc", covers=("fc",), kind="FC", in_idx=2, in2_idx=-1, in_c=m, in_h=1, in_w=1, out_c=k,
                out_h=1, out_w=1, design=LayerDesign(Tr=1, Tc=1, Tm=k, Tn=2, order="reuse_O"))
    fc.w_q = rng.choice(big, (1, 1, k, m)).astype(np.int16)
    fc.b_q = rng.integers(-2**20, 2**20, k)
    fc.shift = 15
    layers = [dw, conv, gap, fc]
    for ql in layers:
        check_fits_firmware(ql)
    x = rng.choice(big, (h, w, c)).astype(np.int16)
    return QModel(layers, (h, w, c)), x


def unclamped_outputs(qm: QModel, x: np.ndarray) -> list[np.ndarray]:
    """The same network with a plain wrapping sum (no clamp per call): what a non-LEA MAC would give."""
    outs: list[np.ndarray] = []
    for ql in qm.layers:
        a = np.asarray(x if ql.in_idx < 0 else outs[ql.in_idx], dtype=np.int64)
        if ql.kind in ("CONV", "DW", "FC"):
            acc = q15.wrap32(ql.b_q + ops.conv_sum(a, ql, ql.w_q.astype(np.int64)))
            outs.append(q15.sat16(q15.rshift_round(acc, ql.shift)).astype(np.int16))
        else:
            outs.append(ops.int_forward(ql, a))
    return outs


def run_on_host(tmp_path, qm: QModel, x: np.ndarray, expected: np.ndarray):
    pl = place(qm)
    blob = build_blob(qm, pl, x, proactive=False)
    art = SimpleNamespace(blob=blob, record=SimpleNamespace(nvm_size=pl.nvm_size), expected_output=expected)
    return HostDevice(build_host_firmware(), art, tmp_path / "nvm")


@pytest.mark.parametrize("tn", [2, 3, 4])  # length-1 calls: test_depthwise_tap_clamp_on_host
def test_host_port_matches_the_reference_where_macs_saturate(tmp_path, tn):
    qm, x = crafted_model(tn)
    outs = run(qm, x)
    expected = outs[-1].reshape(-1).astype(np.int16)
    # the crafted values do saturate: slices of several full-scale products lose up to 2^30 each, so
    # without the clamp per call the final output is different
    assert not np.array_equal(expected, unclamped_outputs(qm, x)[-1].reshape(-1))
    dev = run_on_host(tmp_path, qm, x, expected)
    s = dev.run()
    assert s.correct, (s.output, expected)
    # and with power failures at a few NVM writes (tearing half of the write)
    s2 = dev.run(failures=[(3, 2), (11, 1), (40, 0)])
    assert s2.correct and s2.injected_failures == 3


def test_saturated_results_depend_on_the_tiling(tmp_path):
    """Tn splits the conv reduction into calls; where the sums saturate, Tn=2 and Tn=4 differ, and the
    host port follows the reference for each."""
    (qa, x), (qb, _) = crafted_model(2), crafted_model(4)
    ra, rb = run(qa, x), run(qb, x)
    assert not np.array_equal(ra[1], rb[1]) and not np.array_equal(ra[-1], rb[-1])
    for qm, r in ((qa, ra), (qb, rb)):
        d = tmp_path / qm.layers[1].design.params
        d.mkdir()
        assert run_on_host(d, qm, x, r[-1].reshape(-1).astype(np.int16)).run().correct


def test_depthwise_tap_clamp_on_host(tmp_path):
    """A 1×1 depthwise layer (one length-1 MAC per channel, the port's MPY32 path on the board) with
    shift 0: (−32768)·(−32768) = 2^30 contributes 2^30 − 1; the bias brings the result into int16."""
    c = 4
    ql = QLayer(name="dw", covers=("dw",), kind="DW", in_idx=-1, in2_idx=-1, in_c=c, in_h=1, in_w=1, out_c=c,
                out_h=1, out_w=1, design=LayerDesign(Tr=1, Tc=1, Tm=c, Tn=c, order="reuse_O"))
    ql.w_q = np.array([[[I16_MIN, I16_MIN, 32767, I16_MIN]]], dtype=np.int16)
    ql.b_q = np.array([-2**30 + 5, 7, -2**30 + 9, 3], dtype=np.int64)
    x = np.array([[[I16_MIN, 100, 32767, -3]]], dtype=np.int16)
    # hand computation: 2^30 − 1 − 2^30 + 5 = 4; 7 − 3276800 saturates to −32768;
    # 32767² = 1073676289 (no clamp) − 2^30 + 9 = −65526 → −32768; 3 + 98304 → 32767
    expected = np.array([4, -32768, -32768, 32767], dtype=np.int16)
    qm = QModel([ql], (1, 1, c))
    assert np.array_equal(run(qm, x)[-1].reshape(-1), expected)
    assert run_on_host(tmp_path, qm, x, expected).run().correct
