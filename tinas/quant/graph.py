"""The network as the firmware runs it: BN folded into convolutions, one entry per executed layer.

Each firmware layer ("QLayer") covers one or two network layers (a convolution and the BN after it),
knows which earlier firmware layer feeds it, and carries the execution design the cost model chose.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from tinas.errors import ExportError
from tinas.network import Layer, LayerDesign, Network

BN_EPS = 1e-5


@dataclass
class QLayer:
    name: str  # the last network layer this firmware layer covers (its output is this layer's output)
    covers: tuple[str, ...]
    kind: str  # CONV, DW, FC, RELU, ADD or GAP
    in_idx: int  # producing firmware layer, -1 = model input
    in2_idx: int  # second input of ADD, else -1
    in_c: int
    in_h: int
    in_w: int
    out_c: int
    out_h: int
    out_w: int
    kh: int = 1
    kw: int = 1
    stride: int = 1
    pad: int = 0
    one_d: bool = False
    design: LayerDesign = field(default_factory=lambda: LayerDesign(Tr=1, Tc=1, Tm=1, Tn=1, order="reuse_O"))
    w_float: np.ndarray | None = None  # (kh, kw, M, N) or (kh, kw, M) for DW
    b_float: np.ndarray | None = None  # (M,)
    # filled by quantisation
    f_in: int = 15
    f_in2: int = 15
    f_w: int = 0
    f_out: int = 15
    shift: int = 0
    shift_b: int = 0
    w_q: np.ndarray | None = None
    b_q: np.ndarray | None = None

    @property
    def out_elements(self) -> int:
        return self.out_c * self.out_h * self.out_w


def _get(weights: dict[str, np.ndarray], key: str) -> np.ndarray:
    if key not in weights:
        raise ExportError(f"weights file has no array '{key}'")
    return np.asarray(weights[key], dtype=np.float64)


def _conv_weights(layer: Layer, weights: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Weights to (kh, kw, M, N) [DW: (kh, kw, M)] and bias (M,), from the npz layout of interfaces.md §5."""
    m = int(layer.OFM.CH)
    w = _get(weights, f"{layer.name}.weight")
    if layer.type == "FC":
        if w.shape != (m, int(layer.IFM.CH)):
            raise ExportError(f"{layer.name}.weight has shape {w.shape}, expected {(m, int(layer.IFM.CH))}")
        wk = w[None, None, :, :]  # (1, 1, M, N)
    else:
        kh, kw = int(layer.K.H), int(layer.K.W)
        cin = 1 if layer.is_depthwise else int(layer.IFM.CH)
        if w.shape != (m, cin, kh, kw):
            raise ExportError(f"{layer.name}.weight has shape {w.shape}, expected {(m, cin, kh, kw)}")
        wk = w.transpose(2, 3, 0, 1)  # (kh, kw, M, cin)
        if layer.is_depthwise:
            wk = wk[:, :, :, 0]
    b = weights.get(f"{layer.name}.bias")
    bias = np.zeros(m) if b is None else np.asarray(b, dtype=np.float64)
    return wk, bias


def build_graph(network: Network, designs: list[LayerDesign], weights: dict[str, np.ndarray]) -> list[QLayer]:
    """Fold BN into convolutions and map every network layer onto a firmware layer."""
    if len(designs) != len(network.layers):
        raise ExportError(f"{len(designs)} designs for {len(network.layers)} layers")
    q: list[QLayer] = []
    producer: dict[str, int] = {}  # network layer name -> firmware layer index producing its output
    prev = -1
    layers = network.layers
    i = 0
    while i < len(layers):
        l, d = layers[i], designs[i]
        one_d = l.type == "CONV" and l.optype >= 9  # Conv1d: padding along H only
        dims = dict(in_c=int(l.IFM.CH), in_h=int(l.IFM.H), in_w=int(l.IFM.W), out_c=int(l.OFM.CH),
                    out_h=int(l.OFM.H), out_w=int(l.OFM.W))
        if l.type in ("CONV", "FC"):
            w, b = _conv_weights(l, weights)
            covers = [l.name]
            if i + 1 < len(layers) and layers[i + 1].type == "BN":
                bn = layers[i + 1]
                g, beta = _get(weights, f"{bn.name}.gamma"), _get(weights, f"{bn.name}.beta")
                mu, var = _get(weights, f"{bn.name}.mean"), _get(weights, f"{bn.name}.var")
                scale = g / np.sqrt(var + BN_EPS)
                w = w * (scale if l.is_depthwise else scale[:, None])  # scale the M axis (axis 2)
                b = (b - mu) * scale + beta
                covers.append(bn.name)
                i += 1
            kind = "FC" if l.type == "FC" else ("DW" if l.is_depthwise else "CONV")
            kh, kw = (1, 1) if kind == "FC" else (int(l.K.H), int(l.K.W))  # an FC record's K holds its input
            ql = QLayer(name=covers[-1], covers=tuple(covers), kind=kind, in_idx=prev, in2_idx=-1, **dims,
                        kh=kh, kw=kw, stride=int(l.stride or 1), pad=int(l.pad or 0), one_d=one_d,
                        design=d, w_float=w, b_float=b)
            if l.type == "FC" and (l.IFM.H != 1 or l.IFM.W != 1):
                raise ExportError(f"layer {l.name}: FC input must be 1×1 (after global pooling)")
        elif l.type == "BN":
            raise ExportError(f"layer {l.name}: a BN that does not follow a convolution cannot be folded")
        elif l.type == "RELU":
            ql = QLayer(name=l.name, covers=(l.name,), kind="RELU", in_idx=prev, in2_idx=-1, **dims, design=d)
        elif l.type == "ADD":
            if l.add_from is None or l.add_from not in producer:
                raise ExportError(f"layer {l.name}: ADD without a known skip input (add_from={l.add_from!r}); "
                                  "the original's solution files do not record it — re-derive the network from its choices")
            ql = QLayer(name=l.name, covers=(l.name,), kind="ADD", in_idx=prev, in2_idx=producer[l.add_from],
                        **dims, design=d)
            src = q[ql.in2_idx]
            if (src.out_c, src.out_h, src.out_w) != (ql.in_c, ql.in_h, ql.in_w):
                raise ExportError(f"layer {l.name}: skip input {l.add_from} has another shape")
        elif l.type == "GAVGPOOL":
            ql = QLayer(name=l.name, covers=(l.name,), kind="GAP", in_idx=prev, in2_idx=-1, **dims, design=d)
        else:  # pragma: no cover - Layer validation forbids other types
            raise ExportError(f"layer {l.name}: type {l.type} is not supported by the firmware")
        if ql.in_idx >= 0:
            p = q[ql.in_idx]
            if (p.out_c, p.out_h, p.out_w) != (ql.in_c, ql.in_h, ql.in_w):
                raise ExportError(f"layer {l.name}: input shape {(ql.in_c, ql.in_h, ql.in_w)} does not match "
                                  f"the previous output {(p.out_c, p.out_h, p.out_w)}")
        q.append(ql)
        prev = len(q) - 1
        for name in ql.covers:
            producer[name] = prev
        i += 1
    return q
