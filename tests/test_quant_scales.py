"""tinas/quant/quantize.py: the scale choice worked out by hand on a six-layer network and two
calibration inputs, the fractional-bit rule at its edges, and the bias saturation when the weights
reach their lowest scale. Every expected number is derived in the comments (log2 by hand, no code)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from tests.quant_nets import conv, designs, fc, gap, net, same
from tinas.errors import ExportError
from tinas.quant.quantize import _fit_bits, dequantize, forward_float, quantize


@pytest.mark.parametrize("max_abs, kw, want", [
    (0.0, {}, 15),                # nothing observed: the most bits allowed
    (1.0, {}, 14),                # 32767/1 = 2^14.99998 → 14
    (0.75, {}, 15),               # 32767/0.75 = 43689 lies in [2^15, 2^16) → 15
    (0.25, {}, 15),               # 2^17 − … → 16, capped at hi = 15
    (4095.875, {}, 3),            # 32767/4095.875 = 8 exactly: 2^3 fits
    (4096.0, {}, 2),              # just above: 7.9998 → 2
    (1000.0, {}, 5),              # 32.767 → 5
    (1e6, {}, -5),                # 0.032767 = 2^-4.93 → −5
    (1e9, {}, -8),                # 2^-14.9 → −15, floored at lo = −8
    (1.0, {"limit": 2.0**29, "lo": -8, "hi": 40}, 29),   # accumulator room: 2^29 / 1
    (1e-4, {"limit": 2.0**29, "lo": -8, "hi": 40}, 40),  # 2^29 / 1e-4 = 2^42.3 → 42, capped at 40
    (3.0, {"lo": 0, "hi": 12}, 12),  # 32767/3 = 2^13.4 → 13, capped at 12
])
def test_fraction_bits_by_hand(max_abs, kw, want):
    assert _fit_bits(max_abs, **kw) == want


# input 2×2×1 → c1 pointwise 1→2 → ReLU r1 → c2 pointwise 2→2 → ADD a1 (skip r1) → pooling g1 → FC f1 2→1
LAYERS = [conv("c1", 2, 1, 2, 1, (2, 2), (2, 2)), same("r1", "RELU", 5, 2, 2, 2), conv("c2", 2, 2, 2, 1, (2, 2), (2, 2)),
          same("a1", "ADD", 8, 2, 2, 2, add_from="r1"), gap("g1", 2, 2, 2), fc("f1", 2, 1)]
WEIGHTS = {"c1.weight": np.array([0.5, -0.75]).reshape(2, 1, 1, 1), "c1.bias": np.array([0.125, 0.0]),
           "c2.weight": np.array([[3.0, 0.0], [0.0, 1.0]]).reshape(2, 2, 1, 1), "c2.bias": np.array([0.0, 0.0625]),
           "f1.weight": np.array([[40.0, -8.0]]), "f1.bias": np.array([1000.0])}
# pixels in row order (0,0), (0,1), (1,0), (1,1)
A = np.array([0.75, -0.5, 0.25, 0.0]).reshape(1, 2, 2, 1)
B = np.array([-1.0, 0.0, 0.0, 0.0]).reshape(1, 2, 2, 1)
# Float outputs by hand (ch0, ch1 per pixel):
#  c1 = (0.5x + 0.125, −0.75x): A ch0 (0.5, −0.125, 0.25, 0.125), ch1 (−0.5625, 0.375, −0.1875, 0)   max 0.5625
#                               B ch0 (−0.375, 0.125, 0.125, 0.125), ch1 (0.75, 0, 0, 0)          max 0.75 ← B
#  r1: A ch0 (0.5, 0, 0.25, 0.125), ch1 (0, 0.375, 0, 0) max 0.5;  B ch0 (0, .125, .125, .125), ch1 (.75, 0, 0, 0) max 0.75
#  c2 = (3·r1ch0, r1ch1 + 0.0625): A ch0 (1.5, 0, 0.75, 0.375), ch1 (.0625, .4375, .0625, .0625)    max 1.5
#                                  B ch0 (0, .375, .375, .375), ch1 (.8125, .0625, .0625, .0625)    max 0.8125
#  a1 = c2 + r1: A ch0 (2, 0, 1, 0.5), ch1 (.0625, .8125, .0625, .0625) max 2;  B max 1.5625
#  g1 = means: A (3.5/4, 1.0/4) = (0.875, 0.25);  B (1.5/4, 1.75/4) = (0.375, 0.4375)                 max 0.875
#  f1 = 40·g0 − 8·g1 + 1000: A 35 − 2 + 1000 = 1033;  B 15 − 3.5 + 1000 = 1011.5                        max 1033
WANT_OUT_A = [[[0.5, -0.5625], [-0.125, 0.375]], [[0.25, -0.1875], [0.125, 0.0]]]


def test_float_forward_of_the_hand_network():
    layers = quantize(net(*LAYERS), designs(6), WEIGHTS, np.concatenate([A, B])).layers
    outs = forward_float(layers, A[0])
    assert np.array_equal(outs[0], WANT_OUT_A)
    assert np.array_equal(outs[3][:, :, 0], [[2.0, 0.0], [1.0, 0.5]])
    assert np.array_equal(outs[4].ravel(), [0.875, 0.25]) and outs[5].ravel().tolist() == [1033.0]


def test_scales_chosen_by_hand():
    qm = quantize(net(*LAYERS), designs(6), WEIGHTS, np.concatenate([A, B]))
    c1, r1, c2, a1, g1, f1 = qm.layers
    assert qm.input_shape == (2, 2, 1) and qm.output_layer is f1
    # c1: f_in 15 (model input). weights max 0.75 → fit 15; accumulator room for max(0.75 output, 0.125 bias):
    # 2^29/0.75 = 2^29.415 → 29, so f_w = min(15, 29 − 15) = 14; f_acc = 29; output fit(0.75) = 15 → f_out 15,
    # shift 29 − 15 = 14. w_q = (0.5, −0.75)·2^14 = (8192, −12288); b_q = 0.125·2^29 = 2^26.
    assert (c1.f_in, c1.f_w, c1.f_out, c1.shift) == (15, 14, 15, 14)
    assert c1.w_q.ravel().tolist() == [8192, -12288] and c1.b_q.tolist() == [2**26, 0]
    # r1: passes its input scale through
    assert (r1.f_in, r1.f_out, r1.shift) == (15, 15, 0)
    # c2: f_in 15; weights max 3 → 32767/3 = 10922 → 13; room 2^29/1.5 → 28, 28 − 15 = 13 → f_w 13, f_acc 28;
    # output fit(1.5) = 21845 → 14 → shift 14. w_q = 3·2^13 = 24576 and 2^13; b_q = 0.0625·2^28 = 2^24.
    assert (c2.f_in, c2.f_w, c2.f_out, c2.shift) == (15, 13, 14, 14)
    assert c2.w_q[0, 0].tolist() == [[24576, 0], [0, 8192]] and c2.b_q.tolist() == [0, 2**24]
    # a1: inputs c2 (14 bits) and r1 (15 bits); output max 2 → 16383.5 → 13 → f_out 13, shifts 1 and 2
    assert (a1.f_in, a1.f_in2, a1.f_out, a1.shift, a1.shift_b) == (14, 15, 13, 1, 2)
    # g1: f_in 13; output max 0.875 → fit 15, but pooling never adds bits: f_out 13, shift 0
    assert (g1.f_in, g1.f_out, g1.shift) == (13, 13, 0)
    # f1: f_in 13; weights max 40 → 819.2 → 9; room for max(1033, 1000): 2^29/1033 = 2^18.987 → 18,
    # 18 − 13 = 5 → f_w 5, f_acc 18; output fit(1033) = 31.7 → 4 → shift 14.
    # w_q = (40, −8)·32 = (1280, −256); b_q = 1000·2^18 = 262144000.
    assert (f1.f_in, f1.f_w, f1.f_out, f1.shift) == (13, 5, 4, 14)
    assert f1.w_q.ravel().tolist() == [1280, -256] and f1.b_q.tolist() == [262144000]
    assert [l.w_q.dtype for l in (c1, c2, f1)] == [np.int16] * 3 and f1.b_q.dtype == np.int64
    # the non-ADD layers keep the neutral second input (no shift) the artifact records
    assert [l.shift_b for l in (c1, r1, c2, g1, f1)] == [0] * 5


def test_half_precision_weights_give_the_same_scales_and_integers():
    # every weight and bias of the hand network is exact in float16; scaling them by 2^f must not happen in
    # float16 (1000·2^18 and 0.125·2^29 exceed its largest finite value 65504)
    half = {k: v.astype(np.float16) for k, v in WEIGHTS.items()}
    c1, _, c2, _, _, f1 = quantize(net(*LAYERS), designs(6), half, np.concatenate([A, B])).layers
    assert c1.b_q.tolist() == [2**26, 0] and c2.b_q.tolist() == [0, 2**24] and f1.b_q.tolist() == [262144000]
    assert c1.w_q.ravel().tolist() == [8192, -12288] and f1.w_q.ravel().tolist() == [1280, -256]


# ADD whose own inputs carry fewer fraction bits than its output could: x = 0.5 into c1 (weight w1) into c2 (weight
# w2), then ADD(c2, skip c1), whose output c2 + c1 is smaller than either
@pytest.mark.parametrize("w1, w2, want", [
    # c1 = 1.5: weights 3 → 13 bits, room 2^29/1.5 → 28 − 15 = 13, f_acc 28, fit(1.5) = 14 → f_out 14.
    # c2 = −0.75 (f_in 14): weights 0.5 → 15, room 2^29/0.75 → 29 − 14 = 15, f_acc 29, fit 15 → f_out 15.
    # ADD = 0.75 → fit 15; f_out = min(15, 15, 14) = 14: shift 15 − 14 = 1, skip shift 0
    (3.0, -0.5, (15, 14, 14, 1, 0)),
    # c1 = 0.5: weights 1 → 14, room 2^29/0.5 → 30 − 15 = 15, f_acc 29, fit 15 → f_out 15.
    # c2 = −1.25 (f_in 15): weights 2.5 → 13106.8 → 13, room 2^29/1.25 → 28 − 15 = 13, f_acc 28, fit 14 → f_out 14.
    # ADD = −0.75 → fit 15; f_out = min(15, 14, 15) = 14: shift 0, skip shift 1
    (1.0, -2.5, (14, 15, 14, 0, 1)),
])
def test_add_takes_the_fewer_fraction_bits_of_its_inputs(w1, w2, want):
    n = net(conv("c1", 2, 1, 1, 1, (1, 1), (1, 1)), conv("c2", 2, 1, 1, 1, (1, 1), (1, 1)),
            same("a", "ADD", 8, 1, 1, 1, add_from="c1"))
    w = {"c1.weight": np.full((1, 1, 1, 1), w1), "c2.weight": np.full((1, 1, 1, 1), w2)}
    layers = quantize(n, designs(3), w, np.full((1, 1, 1, 1), 0.5)).layers
    a = layers[2]
    assert (a.in_idx, a.in2_idx) == (1, 0)
    assert (a.f_in, a.f_in2, a.f_out, a.shift, a.shift_b) == want
    assert forward_float(layers, np.full((1, 1, 1), 0.5))[2].ravel().tolist() == [0.5 * w1 * w2 + 0.5 * w1]


def test_calibration_takes_the_largest_output_over_all_inputs():
    # B alone: c2's largest output is B's 0.8125 → 32767/0.8125 = 40328 → fit 15; room 2^29/0.8125 = 2^29.3 → 29
    # → f_w = min(13, 29 − 15) = 13, f_acc 28, f_out min(15, 28) = 15 → shift 13 (with A present: 14 and 14,
    # whichever input comes last)
    c2_b = quantize(net(*LAYERS), designs(6), WEIGHTS, B).layers[2]
    assert (c2_b.f_out, c2_b.shift) == (15, 13)
    c2_ba = quantize(net(*LAYERS), designs(6), WEIGHTS, np.concatenate([B, A])).layers[2]
    assert (c2_ba.f_out, c2_ba.shift) == (14, 14)


def test_bias_saturates_when_the_weights_reach_their_lowest_scale():
    # FC 2→2 on a 1×1×2 input, biases ±2^26: output max ≈ 2^26 → fit −11 → −8; room 2^29/2^26 → 3, 3 − 15 = −12
    # → f_w = −8 (the floor), f_acc = 7, f_out = min(−8, 7) = −8, shift 15; bias·2^7 = ±2^33 saturates to int32
    n = net(fc("f", 2, 2))
    w = {"f.weight": np.array([[0.5, 0.0], [0.0, 0.5]]), "f.bias": np.array([2.0**26, -(2.0**26)])}
    (ql,) = quantize(n, designs(1), w, np.zeros((1, 1, 1, 2))).layers
    assert (ql.f_w, ql.f_out, ql.shift) == (-8, -8, 15)
    assert ql.b_q.tolist() == [2**31 - 1, -(2**31)]
    assert ql.w_q.ravel().tolist() == [0, 0, 0, 0]  # 0.5·2^-8 rounds to 0


def test_an_all_zero_layer_gets_the_most_bits():
    # nothing observed anywhere: every fit is 15, room 40 → f_w = min(15, 40 − 15) = 15, f_acc 30, f_out 15
    n = net(fc("f", 2, 1))
    (ql,) = quantize(n, designs(1), {"f.weight": np.zeros((1, 2))}, np.zeros((2, 1, 1, 2))).layers
    assert (ql.f_w, ql.f_out, ql.shift) == (15, 15, 15)


def test_bad_calibration_inputs_are_refused():
    n = net(*LAYERS)
    with pytest.raises(ExportError, match=r"^calibration inputs have shape \(2, 2, 1\), expected \(B, 2, 2, 1\)$"):
        quantize(n, designs(6), WEIGHTS, np.zeros((2, 2, 1)))
    with pytest.raises(ExportError, match=r"shape \(1, 2, 2, 2\), expected \(B, 2, 2, 1\)"):
        quantize(n, designs(6), WEIGHTS, np.zeros((1, 2, 2, 2)))


def test_dequantize_divides_by_two_to_the_fraction_bits():
    assert dequantize(np.array([16384, -8192, 3], dtype=np.int16), 14).tolist() == [1.0, -0.5, 3 / 16384]
    assert dequantize(np.array([5]), -2).tolist() == [20.0]
    assert math.isclose(float(dequantize(np.int16(1), 15)), 2**-15)


def test_a_layer_fed_by_the_first_layer_takes_its_output_scale():
    # c (1×1, weight 2) on x = 0.75: output 1.5 → fit 21845 → 14; weights 2 → 16383.5 → 13; room 2^29/1.5 → 28,
    # 28 − 15 = 13 → f_w 13, f_acc 28, f_out 14, shift 14. The ReLU after it reads 14 bits, not the input's 15.
    n = net(conv("c", 2, 1, 1, 1, (1, 1), (1, 1)), same("r", "RELU", 5, 1, 1, 1))
    c, r = quantize(n, designs(2), {"c.weight": np.full((1, 1, 1, 1), 2.0)}, np.full((1, 1, 1, 1), 0.75)).layers
    assert (c.f_w, c.f_out, c.shift) == (13, 14, 14)
    assert (r.f_in, r.f_out, r.shift) == (14, 14, 0)


def test_depthwise_layers_are_quantised_like_convolutions():
    # depthwise 1×1 on 1×1×2, weights (0.5, −0.25), no bias; x = (0.5, 1.0): outputs (0.25, −0.25), max 0.25 →
    # fit 15 (capped); weights 0.5 → 15; room 2^29/0.25 = 2^31 → 31, 31 − 15 = 16 → f_w 15, f_acc 30, f_out 15, shift 15
    n = net(conv("d", 3, 2, 2, 1, (1, 1), (1, 1), depthwise=True))
    (d,) = quantize(n, designs(1), {"d.weight": np.array([0.5, -0.25]).reshape(2, 1, 1, 1)},
                    np.array([0.5, 1.0]).reshape(1, 1, 1, 2)).layers
    assert d.kind == "DW" and (d.f_w, d.f_out, d.shift) == (15, 15, 15)
    assert d.w_q.ravel().tolist() == [16384, -8192] and d.b_q.tolist() == [0, 0]


def test_calibration_shape_error_names_the_first_layers_input():
    # input 5×5×2 (the first layer's), the second layer sees 3×3×3: the message must give the input's
    n = net(conv("c", 0, 2, 3, 3, (5, 5), (3, 3), stride=2, pad=1), same("r", "RELU", 5, 3, 3, 3))
    with pytest.raises(ExportError, match=r"expected \(B, 5, 5, 2\)$"):
        quantize(n, designs(2), {"c.weight": np.ones((3, 2, 3, 3))}, np.zeros((1, 3, 3, 3)))


def test_float32_calibration_inputs_are_measured_in_float64():
    # pooling first over three float32 inputs 1 − 2^-15 + (1, 4, −2)·2^-24: the mean is 1 − 2^-15 + 2^-24, just above
    # 32767/32768 (the largest value 15 fraction bits hold), so 14 bits and a shift of 1. Averaged in float32 the
    # sum rounds and the mean comes out as exactly 1 − 2^-15, which would wrongly allow 15 bits.
    top = 1 - 2.0**-15
    x = np.array([top + 2.0**-24, top + 4 * 2.0**-24, top - 2 * 2.0**-24], dtype=np.float32).reshape(1, 1, 3, 1)
    assert np.array_equal(x.astype(np.float64).ravel() - top, np.array([1, 4, -2]) * 2.0**-24)  # exact in float32
    (g,) = quantize(net(gap("g", 1, 1, 3)), designs(1), {}, x).layers
    assert (g.f_in, g.f_out, g.shift) == (15, 14, 1)
