"""Candidate execution designs of one layer and their tile geometry (original-tinas.md, cost model §3.2–3.4).

The candidate grid is built in the original's loop-nest order (Tr, Tc, Tm, Tn, loop order, S), as flat
NumPy arrays, so every later formula is evaluated over all candidates at once and the original's
tie-break (first in loop-nest order) is simply the lowest index.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tinas.network import Layer

ORDERS = ("reuse_I", "reuse_W", "reuse_O")
REUSE_I, REUSE_W, REUSE_O = 0, 1, 2


def _evens_to(n: int) -> list[int]:
    """Even numbers 2 .. n rounded up to even (§3.2: evens(2..UR), UR = R or R + 1)."""
    return list(range(2, n + 2, 2))


def _even_divisors(n: int) -> list[int]:
    return [d for d in range(2, n + 1, 2) if n % d == 0]


@dataclass(frozen=True)
class Dims:
    """The integers of a layer the formulas use: IFM H×W×N, OFM R×C×M, kernel Kh×Kw, stride s."""

    H: int
    W: int
    N: int
    R: int
    C: int
    M: int
    Kh: int
    Kw: int
    s: int

    @classmethod
    def of(cls, layer: Layer) -> Dims:
        k = layer.K
        return cls(
            H=int(layer.IFM.H), W=int(layer.IFM.W), N=int(layer.IFM.CH),
            R=int(layer.OFM.H), C=int(layer.OFM.W), M=int(layer.OFM.CH),
            Kh=int(k.H or 1), Kw=int(k.W or 1), s=int(layer.stride or 1),
        )


def candidate_lists(layer: Layer, d: Dims) -> tuple[list[int], list[int], list[int], list[int], list[int]]:
    """Tr, Tc, Tm, Tn lists and the allowed loop orders (§3.2)."""
    t = layer.type
    if t == "GAVGPOOL":
        tr = [1] + _even_divisors(d.H)
        tc = [1] + _even_divisors(d.W)
    else:
        tr = [1] + _evens_to(d.R)
        tc = [1] + _evens_to(d.C)
    tm = [1] + _even_divisors(d.M)
    if t in ("CONV", "FC") and not layer.is_depthwise:
        tn = [1] + _even_divisors(d.N)
    else:
        tn = [1]
    if t in ("CONV", "FC"):
        orders = [REUSE_I, REUSE_W, REUSE_O]
    elif t == "BN":
        orders = [REUSE_W]
    else:
        orders = [REUSE_O]
    return tr, tc, tm, tn, orders


@dataclass
class Grid:
    """All candidates of one layer, as parallel integer arrays in loop-nest order."""

    Tr: np.ndarray
    Tc: np.ndarray
    Tm: np.ndarray
    Tn: np.ndarray
    order: np.ndarray
    S: np.ndarray

    def __len__(self) -> int:
        return int(self.Tr.size)


def full_grid(layer: Layer, d: Dims, s_values: tuple[int, ...] = (1,)) -> Grid:
    tr, tc, tm, tn, orders = candidate_lists(layer, d)
    mesh = np.meshgrid(tr, tc, tm, tn, orders, s_values, indexing="ij")
    flat = [m.ravel().astype(np.int64) for m in mesh]
    return Grid(*flat)


def single_grid(tr: int, tc: int, tm: int, tn: int, order: str, s: int) -> Grid:
    a = lambda v: np.array([v], dtype=np.int64)  # noqa: E731
    return Grid(a(tr), a(tc), a(tm), a(tn), a(ORDERS.index(order)), a(s))


def ifm_tile(layer: Layer, d: Dims, g: Grid) -> tuple[np.ndarray, np.ndarray]:
    """IFM tile rows/cols: s·T + K − s for CONV/FC (padding ignored), the tile itself otherwise."""
    if layer.type in ("CONV", "FC"):
        return d.s * g.Tr + d.Kh - d.s, d.s * g.Tc + d.Kw - d.s
    return g.Tr.copy(), g.Tc.copy()


def ceil_div(a: np.ndarray | int, b: np.ndarray | int) -> np.ndarray:
    return -(-np.asarray(a) // np.asarray(b))


def vm_elements(layer: Layer, d: Dims, g: Grid, tri: np.ndarray, tci: np.ndarray) -> np.ndarray:
    """Volatile-memory buffer elements of a candidate (§3.4)."""
    Tr, Tc, Tm, Tn, S = g.Tr, g.Tc, g.Tm, g.Tn, g.S
    out_batched = np.where(g.order == REUSE_O, Tr * Tc * Tm, Tr * Tc * Tm * S)
    t = layer.type
    if t in ("CONV", "FC"):
        if layer.is_depthwise:
            return tri * tci * Tm + d.Kh * d.Kw * Tm + out_batched
        return tri * tci * Tn + d.Kh * d.Kw * Tm * Tn + out_batched
    if t == "BN":
        return tri * tci * Tm * S + 4 * Tm
    if t == "RELU":
        return tri * tci * Tm * S
    if t == "ADD":
        return 2 * tri * tci * Tm + Tr * Tc * Tm * S
    if t == "GAVGPOOL":
        return tri * tci * Tm + Tm * S
    raise ValueError(f"no VM model for layer type {t}")
