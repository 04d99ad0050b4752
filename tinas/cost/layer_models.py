"""Per-layer cost formulas (original-tinas.md, cost model §3.3, §4), vectorised over a candidate grid.

Each function takes the primitive set ``P`` (energy or latency) and returns arrays. Intermittent power
(INT) is costed per power cycle (one preservation batch of S tiles); continuous power (CONT) per whole
layer with S = 1 and inter-tile reuse.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tinas.cost.primitives import Primitives
from tinas.cost.tiling import REUSE_I, REUSE_O, REUSE_W, Dims, Grid, ceil_div
from tinas.network import Layer


@dataclass
class Counts:
    """Tile and power-cycle counts of each candidate (§3.3)."""

    Rt: np.ndarray
    Ct: np.ndarray
    Mt: np.ndarray
    Nt: np.ndarray
    tiles: np.ndarray
    npc: np.ndarray
    n0: np.ndarray
    ngt0: np.ndarray


def counts(layer: Layer, d: Dims, g: Grid) -> Counts:
    Mt = ceil_div(d.M, g.Tm)
    Nt = ceil_div(d.N, g.Tn)
    if layer.type in ("CONV", "FC"):
        Rt, Ct = ceil_div(d.R, g.Tr), ceil_div(d.C, g.Tc)
        if layer.is_depthwise:
            tiles = Rt * Ct * Mt
            first = Rt * Ct
        else:
            tiles = Rt * Ct * Mt * Nt
            first = Rt * Ct * Mt
        npc = tiles // g.S
        n0 = np.where(g.order == REUSE_O, first, first // g.S)
        return Counts(Rt, Ct, Mt, Nt, tiles, npc, n0, npc - n0)
    Rt, Ct = ceil_div(d.H, g.Tr), ceil_div(d.W, g.Tc)
    tiles = Rt * Ct * Mt
    npc = tiles // g.S
    return Counts(Rt, Ct, Mt, Nt, tiles, npc, npc, np.zeros_like(npc))


@dataclass
class IntCosts:
    """Per-power-cycle components under intermittent power (one currency)."""

    fd_ngt0: np.ndarray
    fd_n0: np.ndarray
    cp: np.ndarray
    bd: np.ndarray


@dataclass
class ContCosts:
    """Whole-layer components under continuous power (one currency)."""

    fd: np.ndarray
    cp: np.ndarray
    bd: np.ndarray


def _pick(order: np.ndarray, i: np.ndarray, w: np.ndarray, o: np.ndarray) -> np.ndarray:
    return np.where(order == REUSE_I, i, np.where(order == REUSE_W, w, o))


def _backup(P: Primitives, g: Grid) -> np.ndarray:
    """OFM write-back per power cycle, shared by standard and depthwise convolutions."""
    ov = P.ovh
    return _pick(
        g.order,
        g.Tr * g.Tc * (P.wr(g.S * g.Tm) + ov["BD_O_RUI"]),
        g.S * g.Tr * g.Tc * (P.wr(g.Tm) + ov["BD_O_RUW"]),
        g.Tr * g.Tc * (P.wr(g.Tm) + ov["BD_O_RUO"]),
    )


def int_costs(layer: Layer, d: Dims, g: Grid, tri: np.ndarray, tci: np.ndarray, P: Primitives) -> IntCosts:
    ov = P.ovh
    Tr, Tc, Tm, Tn, S, order = g.Tr, g.Tc, g.Tm, g.Tn, g.S, g.order
    t = layer.type
    if t in ("CONV", "FC") and not layer.is_depthwise:
        nI, nW, nO = tri * tci, d.Kh * d.Kw * Tm, Tr * Tc
        fI, fW = P.rd(Tn) + ov["FD_I"], P.rd(Tn) + ov["FD_W"]
        fO_I, fO_W, fO_O = (P.rd(Tm) + ov[k] for k in ("FD_O_RUI", "FD_O_RUW", "FD_O_RUO"))
        fd_ngt0 = _pick(
            order,
            S * (nW * fW + nO * fO_I) + nI * fI,
            S * (nI * fI + nO * fO_W) + nW * fW,
            S * (nI * fI + nW * fW) + nO * fO_O,
        )
        fd_n0 = _pick(order, S * nW * fW + nI * fI, S * nI * fI + nW * fW, S * (nI * fI + nW * fW))
        cp = S * (d.Kh * d.Kw * Tr * Tc * Tm * (P.mac(Tn) + P.ADD + ov["OP_COMP_CONV"]) + 5 * P.MUL)
        return IntCosts(fd_ngt0, fd_n0, cp, _backup(P, g))
    if t == "CONV":  # depthwise: CPU MACs, Tn = 1
        nI, nW = tri * tci, d.Kh * d.Kw * Tm
        fI, fW = P.rd(Tm) + ov["FD_I"], P.rd(1) + ov["FD_W"]
        fd = _pick(order, S * nW * fW + S * nI * fI, S * nI * fI + nW * fW, S * nI * fI + nW * fW)
        ovc = np.where(order == REUSE_I, ov["OP_COMP_DWCONV_IFM"], ov["OP_COMP_DWCONV_OTHER"])
        cp = S * Tr * Tc * Tm * d.Kh * d.Kw * (P.MUL + ovc)
        return IntCosts(fd, fd, cp, _backup(P, g))
    if t == "BN":
        fd = S * tri * tci * (P.rd(Tm) + ov["FD_I"]) + 4 * (P.rd(Tm) + ov["FD_W"])
        cp = S * Tr * Tc * Tm * (P.bn_add_count * P.ADD + 2 * P.MUL + ov["OP_COMP_BN"])
        bd = Tr * Tc * (P.wr(Tm) + ov["BD_O_RUW"])
        return IntCosts(fd, fd, cp, bd)
    if t == "RELU":
        fd = S * tri * tci * (P.rd(Tm) + ov["FD_I"])
        cp = S * Tr * Tc * Tm * (P.MAX + 2 * P.MUL + 2 * P.ADD)
        return IntCosts(fd, fd, cp, Tr * Tc * (P.wr(Tm) + ov["BD_O_RUO"]))
    if t == "ADD":
        fd = S * 2 * tri * tci * (P.rd(Tm) + ov["FD_I"])
        cp = S * Tr * Tc * Tm * (P.ADD + ov["OP_COMP_ADD"])
        return IntCosts(fd, fd, cp, Tr * Tc * (P.wr(Tm) + ov["BD_O_RUO"]))
    if t == "GAVGPOOL":
        fd = S * tri * tci * (P.rd(Tm) + ov["FD_I"]) + (P.rd(Tm) + ov["FD_O_RUO"])
        cp = S * Tr * Tc * Tm * (P.MUL + P.DIV + 6 * P.ADD)
        return IntCosts(fd, fd, cp, P.wr(Tm) + ov["BD_O_RUO"])  # the one running Tm-vector, per candidate
    raise ValueError(f"no cost model for layer type {t}")


def cont_costs(layer: Layer, d: Dims, g: Grid, tri: np.ndarray, tci: np.ndarray, P: Primitives) -> ContCosts:
    """Whole-layer CONT cost with the candidates' designs taken as fixed (S forced to 1)."""
    ov = P.ovh
    g1 = Grid(g.Tr, g.Tc, g.Tm, g.Tn, g.order, np.ones_like(g.S))
    c = counts(layer, d, g1)
    per = int_costs(layer, d, g1, tri, tci, P)
    T = c.tiles
    Tr, Tc, Tm, Tn, order = g.Tr, g.Tc, g.Tm, g.Tn, g.order
    t = layer.type
    if t in ("CONV", "FC") and not layer.is_depthwise:
        nI, nW, nO = tri * tci, d.Kh * d.Kw * Tm, Tr * Tc
        fI, fW = P.rd(Tn) + ov["FD_I"], P.rd(Tn) + ov["FD_W"]
        G = T - c.Rt * c.Ct * c.Mt
        fd = _pick(
            order,
            c.Rt * c.Ct * c.Nt * nI * fI + T * nW * fW + G * nO * (P.rd(Tm) + ov["FD_O_RUI"]),
            T * nI * fI + c.Mt * c.Nt * nW * fW + G * nO * (P.rd(Tm) + ov["FD_O_RUW"]),
            T * (nI * fI + nW * fW),
        )
    elif t == "CONV":
        nI, nW = tri * tci, d.Kh * d.Kw * Tm
        fI, fW = P.rd(Tm) + ov["FD_I"], P.rd(1) + ov["FD_W"]
        nt_quirk = d.N  # Nt = ceil(N / Tn) with Tn = 1 (the original over-counts IFM fetches here)
        fd = _pick(order, c.Rt * c.Ct * nt_quirk * nI * fI + T * nW * fW, T * nI * fI + c.Mt * nW * fW,
                   T * (nI * fI + nW * fW))
    elif t == "BN":
        fd = T * tri * tci * (P.rd(Tm) + ov["FD_I"]) + c.Mt * 4 * (P.rd(Tm) + ov["FD_W"])
        cp = T * Tr * Tc * Tm * (3 * P.ADD + 2 * P.MUL + ov["OP_COMP_BN"])
        return ContCosts(fd, cp, T * per.bd)
    else:  # RELU, ADD, GAVGPOOL: T × per-tile with S = 1
        fd = T * per.fd_n0
    return ContCosts(fd, T * per.cp, T * per.bd)
