"""Layer operations on HWC tensors, in float (for calibration and tolerance) and in the firmware's
integers (the bit-exact reference). Both share the tap loop; the integer path also mirrors how the
runtime splits each reduction into vector-MAC calls, because the LEA clamps per call
(docs/q15-arithmetic.md)."""

from __future__ import annotations

import numpy as np

from tinas.quant import q15
from tinas.quant.graph import QLayer


def _taps(x: np.ndarray, ql: QLayer):
    """Yield (kh, kw, patch) with patch[r, c, :] = padded input at the tap for output (r, c)."""
    ph = ql.pad
    pw = 0 if ql.one_d else ql.pad
    xp = np.pad(x, ((ph, ph), (pw, pw), (0, 0)))
    s = ql.stride
    for kh in range(ql.kh):
        for kw in range(ql.kw):
            yield kh, kw, xp[kh: kh + s * (ql.out_h - 1) + 1: s, kw: kw + s * (ql.out_w - 1) + 1: s, :]


def conv_sum(x: np.ndarray, ql: QLayer, w: np.ndarray) -> np.ndarray:
    """Σ over taps (and channels) of input × weight; dtype follows the inputs (float64 or int64)."""
    acc = np.zeros((ql.out_h, ql.out_w, ql.out_c), dtype=np.result_type(x, w))
    for kh, kw, patch in _taps(x, ql):
        if ql.kind == "DW":
            acc += patch * w[kh, kw][None, None, :]
        else:
            acc += patch @ w[kh, kw].T
    return acc


MAC_LO, MAC_HI = -(1 << 30), (1 << 30) - 1  # saturate_int32(2·s) >> 1 == clip(s, MAC_LO, MAC_HI)


def mac_contribution(s: np.ndarray) -> np.ndarray:
    """What one vector-MAC call adds (hal.h, LEA MAC): its exact sum s, through the Q31 result
    saturate_int32(2·s) and the arithmetic >> 1, i.e. s clamped to [−2^30, 2^30 − 1]."""
    return np.clip(s, MAC_LO, MAC_HI)


def mac_slices(ql: QLayer) -> list[slice]:
    """The input-channel ranges of the runtime's MAC calls: CONV/FC reduce Tn channels per call (slice n
    covers [n·Tn, min((n+1)·Tn, N)), rt_layers.c conv_tile); DW makes one call per channel and tap."""
    if ql.kind == "DW":
        return [slice(0, ql.in_c)]
    tn = max(1, min(ql.design.Tn, ql.in_c))
    return [slice(n0, min(n0 + tn, ql.in_c)) for n0 in range(0, ql.in_c, tn)]


def conv_sum_firmware(x: np.ndarray, ql: QLayer, w: np.ndarray) -> np.ndarray:
    """The runtime's accumulation without the bias: one MAC call per (output pixel, tap inside the input,
    output channel, input-channel slice), each clamped as by the LEA, then summed (int64, wrapped by the
    caller). Taps in the padding are skipped by the runtime; they would contribute 0 anyway."""
    acc = np.zeros((ql.out_h, ql.out_w, ql.out_c), dtype=np.int64)
    for kh, kw, patch in _taps(x, ql):
        if ql.kind == "DW":
            acc += mac_contribution(patch * w[kh, kw][None, None, :])
        else:
            for sl in mac_slices(ql):
                acc += mac_contribution(patch[:, :, sl] @ w[kh, kw][:, sl].T)
    return acc


def float_forward(ql: QLayer, x: np.ndarray, x2: np.ndarray | None = None) -> np.ndarray:
    if ql.kind in ("CONV", "DW", "FC"):
        return conv_sum(x, ql, ql.w_float) + ql.b_float
    if ql.kind == "RELU":
        return np.maximum(x, 0.0)
    if ql.kind == "ADD":
        return x + x2
    if ql.kind == "GAP":
        return x.mean(axis=(0, 1), keepdims=True)
    raise ValueError(ql.kind)


def int_forward(ql: QLayer, x: np.ndarray, x2: np.ndarray | None = None) -> np.ndarray:
    """The firmware's result for one layer (int16 HWC), from int16 inputs."""
    xi = np.asarray(x, dtype=np.int64)
    if ql.kind in ("CONV", "DW", "FC"):
        acc = q15.wrap32(ql.b_q.astype(np.int64) + q15.wrap32(conv_sum_firmware(xi, ql, ql.w_q.astype(np.int64))))
        return q15.sat16(q15.rshift_round(acc, ql.shift)).astype(np.int16)
    if ql.kind == "RELU":
        return np.maximum(xi, 0).astype(np.int16)
    if ql.kind == "ADD":
        b = np.asarray(x2, dtype=np.int64)
        return q15.sat16(q15.rshift_round(xi, ql.shift) + q15.rshift_round(b, ql.shift_b)).astype(np.int16)
    if ql.kind == "GAP":
        total = q15.wrap32(xi.sum(axis=(0, 1), keepdims=True))
        return q15.sat16(q15.rshift_round(q15.div_round(total, ql.in_h * ql.in_w), ql.shift)).astype(np.int16)
    raise ValueError(ql.kind)
