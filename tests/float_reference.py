"""A float reference of a network and error tolerances for its Q15 execution, written for the tests
apart from tinas/quant (which it must check): PyTorch's own convolution, batch norm (not folded),
pooling and linear layers on NCHW tensors; tolerances from the quantisation steps the artifact states
(f_out and shift of every firmware layer; f_w = f_out + shift − f_in).

Per layer, worst case (docs/q15-arithmetic.md, round-to-nearest everywhere): a convolution
y = Σ w·x + b on an exact input x, computed as Σ ŵ·x + b̂ with |ŵ − w| ≤ 2^−(f_w+1) and
|b̂ − b| ≤ 2^−(f_acc+1), then rounded to f_out bits, is off by at most
2^−(f_w+1)·Σ|x| + 2^−(f_acc+1) + 2^−(f_out+1) (the last term only when it shifts). ReLU is exact; ADD
adds half a step per shifted input; global pooling half a step for its division and half for its shift.
Saturation only moves a value toward the representable range, which holds the true value at the
calibration input.

End to end, the variances of these roundings (a step q: q²/12) are propagated through the layers.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

from tinas.network import Network

BN_EPS = 1e-5  # torch.nn.BatchNorm default, the supernet's


@dataclass
class FloatRun:
    outputs: dict[str | None, np.ndarray]  # network layer name -> output, NCHW float64; None: the input


def _t(a) -> torch.Tensor:
    return torch.as_tensor(np.asarray(a, dtype=np.float64))


def _conv(layer, x: torch.Tensor, w: torch.Tensor, b: torch.Tensor | None) -> torch.Tensor:
    stride, pad = int(layer.stride or 1), int(layer.pad or 0)
    groups = int(layer.OFM.CH) if layer.is_depthwise else 1
    padding = (pad, 0) if layer.is_1d else (pad, pad)  # 1-D convolutions pad along the length only
    return F.conv2d(x, w, b, stride=stride, padding=padding, groups=groups)


def float_forward(net: Network, weights: dict[str, np.ndarray], x_hwc: np.ndarray) -> FloatRun:
    """Every layer's output for one HWC input, in float64."""
    x = _t(x_hwc).permute(2, 0, 1)[None]
    outs: dict[str | None, torch.Tensor] = {None: x}
    for l in net.layers:
        if l.type == "CONV":
            b = weights.get(f"{l.name}.bias")
            x = _conv(l, x, _t(weights[f"{l.name}.weight"]), None if b is None else _t(b))
        elif l.type == "BN":
            x = F.batch_norm(x, _t(weights[f"{l.name}.mean"]), _t(weights[f"{l.name}.var"]),
                             _t(weights[f"{l.name}.gamma"]), _t(weights[f"{l.name}.beta"]), training=False, eps=BN_EPS)
        elif l.type == "RELU":
            x = F.relu(x)
        elif l.type == "ADD":
            x = x + outs[l.add_from]
        elif l.type == "GAVGPOOL":
            x = F.adaptive_avg_pool2d(x, 1)
        elif l.type == "FC":
            b = weights.get(f"{l.name}.bias")
            x = F.linear(x.flatten(1), _t(weights[f"{l.name}.weight"]), None if b is None else _t(b))[:, :, None, None]
        else:
            raise ValueError(l.type)
        outs[l.name] = x
    return FloatRun({k: v.numpy() for k, v in outs.items()})


@dataclass
class FwLayer:
    """One firmware layer as the artifact describes it, with the graph edges found from the network."""

    kind: str
    covers: tuple[str, ...]
    f_in: int
    f_in2: int
    f_out: int
    shift: int
    shift_b: int
    src: str | None  # network layer feeding it (None: the model input)
    src2: str | None


def firmware_layers(net: Network, record) -> list[FwLayer]:
    """The artifact's firmware layers with their input scales: the previous layer's (or the skip source's)
    f_out; the model input has 15 fractional bits."""
    by_name = {l.name: l for l in net.layers}
    f_of: dict[str, int] = {}
    out: list[FwLayer] = []
    prev: str | None = None
    for fl in record.firmware_layers:
        first = by_name[fl.covers[0]]
        f_in = 15 if prev is None else f_of[prev]
        src2 = first.add_from if fl.kind == "ADD" else None
        f_in2 = f_of[src2] if src2 is not None else 0
        shift_b = (f_in2 - fl.f_out) if src2 is not None else 0
        out.append(FwLayer(fl.kind, tuple(fl.covers), f_in, f_in2, fl.f_out, fl.shift, shift_b, prev, src2))
        for n in fl.covers:
            f_of[n] = fl.f_out
        prev = fl.covers[-1]
    return out


def _folded(net: Network, weights: dict[str, np.ndarray], covers: tuple[str, ...]) -> tuple[torch.Tensor, torch.Tensor]:
    """Weights and bias of a convolution with the BN it covers folded in (only to size the error terms)."""
    conv = next(l for l in net.layers if l.name == covers[0])
    w = _t(weights[f"{conv.name}.weight"])
    if conv.type == "FC":
        w = w[:, :, None, None]
    b = _t(weights.get(f"{conv.name}.bias", np.zeros(int(conv.OFM.CH))))
    if len(covers) == 2:
        bn = covers[1]
        s = _t(weights[f"{bn}.gamma"]) / torch.sqrt(_t(weights[f"{bn}.var"]) + BN_EPS)
        w = w * s[:, None, None, None]
        b = (b - _t(weights[f"{bn}.mean"])) * s + _t(weights[f"{bn}.beta"])
    return w, b


def layer_bound(net: Network, weights: dict[str, np.ndarray], fl: FwLayer, x_in: np.ndarray,
                x_in2: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """One firmware layer in float on its exact (already quantised) input ``x_in`` (NCHW), and the worst-case
    error of its Q15 result: only this layer's roundings (weights, bias, output) count."""
    by_name = {l.name: l for l in net.layers}
    x = _t(x_in)
    half_out = 2.0 ** -(fl.f_out + 1)
    if fl.kind in ("CONV", "DW", "FC"):
        conv = by_name[fl.covers[0]]
        w, b = _folded(net, weights, fl.covers)
        f_w = fl.f_out + fl.shift - fl.f_in
        step = 2.0 ** -(f_w + 1)
        if conv.type == "FC":
            y = (F.linear(x.flatten(1), w[:, :, 0, 0], b))[:, :, None, None]
            e = step * x.abs().flatten(1).sum(1)[:, None, None, None] * torch.ones_like(y)
        else:
            y = _conv(conv, x, w, b)
            e = step * _conv(conv, x.abs(), torch.ones_like(w), None)
        e = e + 2.0 ** -(fl.f_in + f_w + 1) + (half_out if fl.shift > 0 else 0.0)
    elif fl.kind == "RELU":
        y, e = F.relu(x), torch.zeros_like(x)
    elif fl.kind == "ADD":
        y = x + _t(x_in2)
        e = torch.zeros_like(y) + (half_out if fl.shift > 0 else 0.0) + (half_out if fl.shift_b > 0 else 0.0)
    elif fl.kind == "GAP":
        y = F.adaptive_avg_pool2d(x, 1)
        e = torch.zeros_like(y) + 2.0 ** -(fl.f_in + 1) + (half_out if fl.shift > 0 else 0.0)
    else:
        raise ValueError(fl.kind)
    return y.numpy(), e.numpy()


def error_sigmas(net: Network, weights: dict[str, np.ndarray], record, run: FloatRun) -> dict[str, np.ndarray]:
    """Standard deviation of |Q15 − float| per element of every firmware layer's output, propagating the
    variance of independent round-to-nearest errors (a step q contributes q²/12) from the model input
    (exact) to the output: the end-to-end tolerance is a stated multiple of it."""
    by_name = {l.name: l for l in net.layers}
    first = net.layers[0]
    shape = (1, int(first.IFM.CH), int(first.IFM.H), int(first.IFM.W))
    var: dict[str | None, torch.Tensor] = {None: torch.zeros(shape, dtype=torch.float64)}
    for fl in firmware_layers(net, record):
        v = var[fl.src]
        r_out = 2.0 ** (-2 * fl.f_out) / 12
        if fl.kind in ("CONV", "DW", "FC"):
            conv = by_name[fl.covers[0]]
            x = _t(run.outputs[fl.src])
            w, _ = _folded(net, weights, fl.covers)
            f_w = fl.f_out + fl.shift - fl.f_in
            r_w = 2.0 ** (-2 * f_w) / 12
            if conv.type == "FC":
                a = F.linear(v.flatten(1), w[:, :, 0, 0] ** 2) + r_w * (x ** 2 + v).flatten(1).sum(1, keepdim=True)
                a = a[:, :, None, None]
            else:
                a = _conv(conv, v, w ** 2, None) + r_w * _conv(conv, x ** 2 + v, torch.ones_like(w), None)
            out = a + 2.0 ** (-2 * (fl.f_in + f_w)) / 12 + (r_out if fl.shift > 0 else 0.0)
        elif fl.kind == "RELU":
            out = v
        elif fl.kind == "ADD":
            out = v + var[fl.src2] + (r_out if fl.shift > 0 else 0.0) + (r_out if fl.shift_b > 0 else 0.0)
        elif fl.kind == "GAP":  # the mean of possibly correlated errors: at most the mean standard deviation
            out = v.sqrt().mean(dim=(2, 3), keepdim=True) ** 2 + 2.0 ** (-2 * fl.f_in) / 12 + (r_out if fl.shift > 0 else 0.0)
        else:
            raise ValueError(fl.kind)
        var[fl.covers[-1]] = out
    return {k: v.sqrt().numpy() for k, v in var.items() if k is not None}
