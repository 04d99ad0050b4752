"""tinas/quant/ops.py on hand-sized tensors: the tap loop (stride, padding, 1-D, depthwise), the vector-MAC
clamp per call and per input-channel slice, and each layer kind in float and in the firmware's integers.
Every expected value is worked out in the comments."""

from __future__ import annotations

import numpy as np
import pytest

from tinas.network import LayerDesign
from tinas.quant.graph import QLayer
from tinas.quant.ops import (MAC_HI, MAC_LO, conv_sum, conv_sum_firmware, float_forward, int_forward,
                             mac_contribution, mac_slices)

X33 = np.arange(1, 10, dtype=np.int64).reshape(3, 3, 1)  # [[1,2,3],[4,5,6],[7,8,9]]
K22 = np.array([[1, 2], [3, 4]], dtype=np.int64).reshape(2, 2, 1, 1)  # (kh, kw, M, N)


def layer(kind="CONV", cin=1, cout=1, h=1, w=1, oh=1, ow=1, k=1, kw=None, stride=1, pad=0, one_d=False, tn=1,
          **q) -> QLayer:
    ql = QLayer("t", ("t",), kind, -1, -1, cin, h, w, cout, oh, ow, kh=k, kw=k if kw is None else kw, stride=stride,
                pad=pad, one_d=one_d, design=LayerDesign(Tr=1, Tc=1, Tm=1, Tn=tn, order="reuse_O"))
    for key, v in q.items():
        setattr(ql, key, v)
    return ql


def test_convolution_taps_without_padding():
    # out(r, c) = 1·x[r,c] + 2·x[r,c+1] + 3·x[r+1,c] + 4·x[r+1,c+1]
    # (0,0) 1+4+12+20 = 37, (0,1) 2+6+15+24 = 47, (1,0) 4+10+21+32 = 67, (1,1) 5+12+24+36 = 77
    got = conv_sum(X33, layer(h=3, w=3, oh=2, ow=2, k=2), K22)
    assert got.dtype == np.int64 and got[:, :, 0].tolist() == [[37, 47], [67, 77]]


def test_convolution_sum_type_follows_both_inputs():
    # int16 inputs with int64 weights sum in int64: 4 taps of 32767·1000 = 131068000 > int16
    x = np.full((2, 2, 1), 32767, dtype=np.int16)
    w = np.full((2, 2, 1, 1), 1000, dtype=np.int64)
    got = conv_sum(x, layer(h=2, w=2, k=2), w)
    assert got.dtype == np.int64 and got.ravel().tolist() == [131068000]
    # float inputs with integer weights sum in float: 0.5·(1 + 2 + 3 + 4) = 5.0
    got = conv_sum(np.full((2, 2, 1), 0.5), layer(h=2, w=2, k=2), K22)
    assert got.dtype == np.float64 and got.ravel().tolist() == [5.0]


def test_convolution_taps_with_stride_and_padding():
    # padded 5×5 (zero ring), stride 2: out(r, c) reads xp[2r: 2r+2, 2c: 2c+2]
    # (0,0) 0·1 + 0·2 + 0·3 + 1·4 = 4; (0,1) 0 + 0 + 2·3 + 3·4 = 18; (1,0) 0 + 4·2 + 0 + 7·4 = 36; (1,1) 77 as above
    got = conv_sum(X33, layer(h=3, w=3, oh=2, ow=2, k=2, stride=2, pad=1), K22)
    assert got[:, :, 0].tolist() == [[4, 18], [36, 77]]
    # the firmware path (no saturation at these sizes) skips padding taps and gives the same
    assert conv_sum_firmware(X33, layer(h=3, w=3, oh=2, ow=2, k=2, stride=2, pad=1), K22)[:, :, 0].tolist() == [[4, 18], [36, 77]]


def test_channels_are_mixed_by_the_m_by_n_weight_matrix():
    x = np.array([1, 10], dtype=np.int64).reshape(1, 1, 2)
    w = np.array([[1, 2], [3, 4]], dtype=np.int64).reshape(1, 1, 2, 2)  # w[0, 0][m, n]
    # out[m] = Σ_n w[m, n]·x[n]: 1 + 20 = 21, 3 + 40 = 43
    assert conv_sum(x, layer(cin=2, cout=2), w).ravel().tolist() == [21, 43]
    assert conv_sum_firmware(x, layer(cin=2, cout=2), w).ravel().tolist() == [21, 43]


def test_depthwise_keeps_channels_apart():
    x = np.array([[[1, 5], [2, 6]], [[3, 7], [4, 8]]], dtype=np.int64)  # 2×2×2: ch0 [[1,2],[3,4]], ch1 [[5,6],[7,8]]
    w = np.array([[[1, 1], [1, 0]], [[1, 0], [1, 2]]], dtype=np.int64)  # (kh, kw, M): ch0 all ones, ch1 [[1,0],[0,2]]
    ql = layer("DW", cin=2, cout=2, h=2, w=2, k=2)
    # ch0: 1+2+3+4 = 10; ch1: 5·1 + 6·0 + 7·0 + 8·2 = 21
    assert conv_sum(x, ql, w).ravel().tolist() == [10, 21]
    assert conv_sum_firmware(x, ql, w).ravel().tolist() == [10, 21]


def test_one_d_convolution_pads_the_length_only():
    x = np.array([1, 2, 3], dtype=np.int64).reshape(3, 1, 1)
    w = np.array([1, 2, 3], dtype=np.int64).reshape(3, 1, 1, 1)
    # out(r) = 1·x[r−1] + 2·x[r] + 3·x[r+1] with x[−1] = x[3] = 0: 0+2+6 = 8, 1+4+9 = 14, 2+6+0 = 8
    ql = layer(h=3, w=1, oh=3, ow=1, k=3, kw=1, pad=1, one_d=True)
    assert conv_sum(x, ql, w).ravel().tolist() == [8, 14, 8]


def test_mac_call_clamps_to_the_q31_range_halved():
    assert (MAC_LO, MAC_HI) == (-(2**30), 2**30 - 1)
    s = np.array([2**30, 2**30 - 1, -(2**30), -(2**30) - 1, 5, -(2**31)])
    assert mac_contribution(s).tolist() == [2**30 - 1, 2**30 - 1, -(2**30), -(2**30), 5, -(2**30)]


def test_mac_slices_follow_the_design_tn():
    assert mac_slices(layer(cin=5, tn=2)) == [slice(0, 2), slice(2, 4), slice(4, 5)]
    assert mac_slices(layer(cin=5, tn=8)) == [slice(0, 5)]  # Tn above the channel count: one call
    assert mac_slices(layer(cin=3, tn=1)) == [slice(0, 1), slice(1, 2), slice(2, 3)]
    assert mac_slices(layer("DW", cin=4, tn=2)) == [slice(0, 4)]  # depthwise: one call per channel and tap


@pytest.mark.parametrize("tn, want", [
    (1, 3 * (2**30 - 1)),   # three calls of 2^30 each clamp to 2^30 − 1
    (2, 2 * (2**30 - 1)),   # (2^31 → 2^30 − 1) + (2^30 → 2^30 − 1)
    (3, 2**30 - 1),         # one call of 3·2^30
])
def test_firmware_sum_clamps_per_mac_call(tn, want):
    x = np.full((1, 1, 3), -32768, dtype=np.int64)
    w = np.full((1, 1, 1, 3), -32768, dtype=np.int64)  # each product (−2^15)² = 2^30
    got = conv_sum_firmware(x, layer(cin=3, tn=tn), w)
    assert got.dtype == np.int64 and got.ravel().tolist() == [want]
    assert conv_sum(x, layer(cin=3, tn=tn), w).ravel().tolist() == [3 * 2**30]  # the exact sum, unclamped


def test_firmware_sum_clamps_negative_and_depthwise_per_tap():
    x = np.full((1, 1, 2), -32768, dtype=np.int64)
    w = np.full((1, 1, 1, 2), 32767, dtype=np.int64)
    # one call: 2·(−32768·32767) = −2147418112 → −2^30
    assert conv_sum_firmware(x, layer(cin=2, tn=2), w).ravel().tolist() == [-(2**30)]
    # depthwise 2×1 kernel: each tap 2^30 → 2^30 − 1, two taps: 2^31 − 2
    xd = np.full((2, 1, 1), -32768, dtype=np.int64)
    wd = np.full((2, 1, 1), -32768, dtype=np.int64)
    assert conv_sum_firmware(xd, layer("DW", h=2, k=2, kw=1), wd).ravel().tolist() == [2**31 - 2]


def test_float_forward_of_each_kind():
    x = np.array([1.0, 10.0]).reshape(1, 1, 2)
    w = np.array([[1.0, 2.0], [3.0, 4.0]]).reshape(1, 1, 2, 2)
    conv = layer(cin=2, cout=2, w_float=w, b_float=np.array([0.5, -1.0]))
    assert float_forward(conv, x).ravel().tolist() == [21.5, 42.0]
    assert float_forward(layer("RELU"), np.array([-1.0, 0.0, 2.0])).tolist() == [0.0, 0.0, 2.0]
    assert float_forward(layer("ADD"), np.array([1.0, -2.0]), np.array([0.5, 0.5])).tolist() == [1.5, -1.5]
    g = float_forward(layer("GAP"), np.array([[[1.0, 0.0], [2.0, 4.0]], [[3.0, 8.0], [6.0, 0.0]]]))
    assert g.shape == (1, 1, 2) and g.ravel().tolist() == [3.0, 3.0]  # (1+2+3+6)/4, (0+4+8+0)/4
    with pytest.raises(ValueError, match="POOL"):
        float_forward(layer("POOL"), x)


def test_int_forward_convolution_rounds_shifts_saturates_and_wraps():
    x = np.array([100, -200], dtype=np.int16).reshape(1, 1, 2)
    w_q = np.array([[3, 1]], dtype=np.int16).reshape(1, 1, 1, 2)
    # acc = 1000 + 3·100 − 200 = 1100; (1100 + 8) >> 4 = 69 (69.25 rounds to 69)
    got = int_forward(layer(cin=2, w_q=w_q, b_q=np.array([1000]), shift=4), x)
    assert got.dtype == np.int16 and got.ravel().tolist() == [69]
    # 2 × 32767² = 2147352578 exceeds one call's 2^30 − 1 when both channels share a call (Tn = 2):
    # (2^30 − 1 + 2^15) >> 16 = 16384; in two calls (Tn = 1) no clamp: (2147352578 + 2^15) >> 16 = 32766
    big = np.full((1, 1, 2), 32767, dtype=np.int16)
    wb = np.full((1, 1, 1, 2), 32767, dtype=np.int16)
    for tn, want in ((2, 16384), (1, 32766)):
        assert int_forward(layer(cin=2, tn=tn, w_q=wb, b_q=np.array([0]), shift=16), big).ravel().tolist() == [want]
    # bias 2^31 − 1 plus 1 wraps to −2^31; (−2^31 + 2^15) >> 16 = −32768 (−32767.5 floors); shift 0 saturates
    one = np.ones((1, 1, 1), dtype=np.int16)
    w1 = np.ones((1, 1, 1, 1), dtype=np.int16)
    assert int_forward(layer(w_q=w1, b_q=np.array([2**31 - 1]), shift=16), one).ravel().tolist() == [-32768]
    assert int_forward(layer(w_q=w1, b_q=np.array([40000]), shift=0), one).ravel().tolist() == [32767]
    # the sum alone wraps too: 3 calls of 2^30 − 1 = 3221225469 → 3221225469 − 2^32 = −1073741827, >> 16 → −16384
    x3 = np.full((1, 1, 3), -32768, dtype=np.int16)
    w3 = np.full((1, 1, 1, 3), -32768, dtype=np.int16)
    assert int_forward(layer(cin=3, w_q=w3, b_q=np.array([0]), shift=16), x3).ravel().tolist() == [-16384]


def test_int_forward_relu_add_and_pooling():
    r = int_forward(layer("RELU"), np.array([-5, 0, 7], dtype=np.int16))
    assert r.dtype == np.int16 and r.tolist() == [0, 0, 7]
    # ADD with shifts 1 and 2 (round half up): (100+1)>>1 + (7+2)>>2 = 50 + 2; (−100+1)>>1 + 2 = −50 + 2;
    # (32767+1)>>1 + (32767+2)>>2 = 16384 + 8192
    a = int_forward(layer("ADD", shift=1, shift_b=2), np.array([100, -100, 32767]), np.array([7, 7, 32767]))
    assert a.dtype == np.int16 and a.tolist() == [52, -48, 24576]
    s = int_forward(layer("ADD"), np.array([30000, -30000]), np.array([30000, -30000]))
    assert s.tolist() == [32767, -32768]  # saturated, no shift
    # pooling over 2×3: ch0 1..6 sums to 21, 21/6 = 3.5 → 4 (half away from zero), >> 1 with rounding: (4+1)>>1 = 2;
    # ch1 −1..−6: −3.5 → −4, (−4+1)>>1 = −2
    x = np.stack([np.arange(1, 7).reshape(2, 3), -np.arange(1, 7).reshape(2, 3)], axis=-1).astype(np.int16)
    g = int_forward(layer("GAP", cin=2, cout=2, h=2, w=3, shift=1), x)
    assert g.dtype == np.int16 and g.shape == (1, 1, 2) and g.ravel().tolist() == [2, -2]
    g0 = int_forward(layer("GAP", cin=2, cout=2, h=2, w=3, shift=0), x)
    assert g0.ravel().tolist() == [4, -4]
    with pytest.raises(ValueError, match="POOL"):
        int_forward(layer("POOL"), np.zeros((1, 1, 1), dtype=np.int16))


def test_int_pooling_sum_wraps_like_the_c_int32():
    # 257×256 = 65792 values of 32767 sum to 2155806464 > 2^31 − 1: wraps to 2155806464 − 2^32 = −2139160832;
    # / 65792 = −32513.996 (65792·32514 = 2139161088) → −32514
    x = np.full((257, 256, 1), 32767, dtype=np.int16)
    assert int_forward(layer("GAP", h=257, w=256), x).ravel().tolist() == [-32514]


def test_int_forward_depthwise_and_fully_connected():
    # depthwise 1×1 on (100, −300) with weights (3, 2), biases (8, 0), shift 2: (300 + 8 + 2) >> 2 = 77 (77.5 → 77),
    # (−600 + 2) >> 2 = −150 (−149.5 floors)
    dw = layer("DW", cin=2, cout=2, w_q=np.array([3, 2], dtype=np.int16).reshape(1, 1, 2),
               b_q=np.array([8, 0]), shift=2)
    got = int_forward(dw, np.array([100, -300], dtype=np.int16).reshape(1, 1, 2))
    assert got.dtype == np.int16 and got.ravel().tolist() == [77, -150]
    # FC 2→1: 5·7 − 3·4 + 1 = 24, shift 3: (24 + 4) >> 3 = 3 (3.0 + 0.5 → 3)
    fcl = layer("FC", cin=2, w_q=np.array([[5, -3]], dtype=np.int16).reshape(1, 1, 1, 2), b_q=np.array([1]), shift=3)
    assert int_forward(fcl, np.array([7, 4], dtype=np.int16).reshape(1, 1, 2)).ravel().tolist() == [3]
