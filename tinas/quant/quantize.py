"""Choose per-layer power-of-two scales from calibration inputs and quantise weights and biases.

Scales are picked so that (1) outputs use as many fractional bits as their observed range allows,
(2) convolution accumulators keep two bits of headroom below int32 overflow, and (3) every
requantisation is a right shift (docs/q15-arithmetic.md).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from tinas.network import LayerDesign, Network
from tinas.quant import q15
from tinas.errors import ExportError
from tinas.quant.graph import QLayer, build_graph
from tinas.quant.ops import float_forward

F_INPUT = 15


def _fit_bits(max_abs: float, limit: float = 32767.0, lo: int = -8, hi: int = 15) -> int:
    """Most fractional bits f with max_abs·2^f ≤ limit."""
    if max_abs <= 0:
        return hi
    return int(max(lo, min(hi, math.floor(math.log2(limit / max_abs)))))


@dataclass
class QModel:
    layers: list[QLayer]
    input_shape: tuple[int, int, int]  # H, W, C

    @property
    def output_layer(self) -> QLayer:
        return self.layers[-1]


def forward_float(layers: list[QLayer], x: np.ndarray) -> list[np.ndarray]:
    outs: list[np.ndarray] = []
    for ql in layers:
        a = x if ql.in_idx < 0 else outs[ql.in_idx]
        b = outs[ql.in2_idx] if ql.in2_idx >= 0 else None
        outs.append(float_forward(ql, a, b))
    return outs


def quantize(network: Network, designs: list[LayerDesign], weights: dict[str, np.ndarray],
             calib_inputs: np.ndarray) -> QModel:
    """Build the firmware graph and quantise it. ``calib_inputs``: float (B, H, W, C) in [-1, 1)."""
    layers = build_graph(network, designs, weights)
    xs = np.asarray(calib_inputs, dtype=np.float64)
    if xs.ndim != 4 or xs.shape[1:] != (layers[0].in_h, layers[0].in_w, layers[0].in_c):
        raise ExportError(f"calibration inputs have shape {xs.shape}, expected (B, {layers[0].in_h}, "
                          f"{layers[0].in_w}, {layers[0].in_c})")
    max_out = np.zeros(len(layers))
    for x in xs:
        for i, y in enumerate(forward_float(layers, x)):
            max_out[i] = max(max_out[i], float(np.max(np.abs(y))))
    for i, ql in enumerate(layers):
        ql.f_in = F_INPUT if ql.in_idx < 0 else layers[ql.in_idx].f_out
        fit = _fit_bits(max_out[i])
        if ql.kind in ("CONV", "DW", "FC"):
            f_w_fit = _fit_bits(float(np.max(np.abs(ql.w_float))))  # a kernel has at least one weight
            # accumulator headroom: |acc| ≤ 2^29 for the largest output seen (plus the bias)
            f_acc_room = _fit_bits(max(max_out[i], float(np.max(np.abs(ql.b_float)))), limit=2.0**29, hi=40)
            ql.f_w = max(-8, min(f_w_fit, f_acc_room - ql.f_in))
            f_acc = ql.f_in + ql.f_w
            ql.f_out = min(fit, f_acc)
            ql.shift = f_acc - ql.f_out
            ql.w_q = q15.sat16(np.round(ql.w_float * 2.0**ql.f_w)).astype(np.int16)
            ql.b_q = q15.wrap32(np.clip(np.round(ql.b_float * 2.0**f_acc), -2**31, 2**31 - 1)).astype(np.int64)
        elif ql.kind == "RELU":
            ql.f_out, ql.shift = ql.f_in, 0
        elif ql.kind == "ADD":
            ql.f_in2 = layers[ql.in2_idx].f_out
            ql.f_out = min(fit, ql.f_in, ql.f_in2)
            ql.shift, ql.shift_b = ql.f_in - ql.f_out, ql.f_in2 - ql.f_out
        elif ql.kind == "GAP":
            ql.f_out = min(fit, ql.f_in)
            ql.shift = ql.f_in - ql.f_out
        if ql.shift < 0 or ql.shift_b < 0:
            raise ExportError(f"layer {ql.name}: scale choice needs a left shift")  # cannot happen by construction
    return QModel(layers, (layers[0].in_h, layers[0].in_w, layers[0].in_c))


def dequantize(q: np.ndarray, f: int) -> np.ndarray:
    return np.asarray(q, dtype=np.float64) / 2.0**f
