"""The npz layout of docs/interfaces.md §5, filled from (kind, arrays) pairs in network layer order —
shared by both supernets so their exports cannot drift apart."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from tinas.network import Network


def bn_arrays(weight, bias, mean, var, c: int) -> dict[str, np.ndarray]:
    f = lambda t: t[:c].detach().cpu().numpy().astype(np.float32)  # noqa: E731
    return {"gamma": f(weight), "beta": f(bias), "mean": f(mean), "var": f(var)}


def layer_arrays(net: Network, items: Sequence[tuple[str, Any]], source: str) -> dict[str, np.ndarray]:
    """``items``: per network layer, ("CONV", 4-D weight tensor), ("BN", bn_arrays(...)),
    ("FC", (weight, bias)) or (kind, None) for layers without parameters."""
    if len(items) != len(net.layers):
        raise RuntimeError(f"{source} path has {len(items)} layers, network has {len(net.layers)}")
    out: dict[str, np.ndarray] = {}
    for layer, (kind, t) in zip(net.layers, items):
        if kind != layer.type:
            raise RuntimeError(f"layer {layer.name} is {layer.type}, {source} gives {kind}")
        if kind == "CONV":
            w = t.detach().cpu().numpy().astype(np.float32)
            out[f"{layer.name}.weight"] = w[..., None] if w.ndim == 3 else w
        elif kind == "BN":
            out.update({f"{layer.name}.{k}": v for k, v in t.items()})
        elif kind == "FC":
            out[f"{layer.name}.weight"] = t[0].detach().cpu().numpy().astype(np.float32)
            out[f"{layer.name}.bias"] = t[1].detach().cpu().numpy().astype(np.float32)
    return out
