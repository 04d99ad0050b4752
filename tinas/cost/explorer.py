"""The intermittent execution-design explorer (original-tinas.md, cost model §6–7), vectorised over all candidates.

For one layer it costs every (Tr, Tc, Tm, Tn, loop order, S) at once, drops those failing the VM check
(C0) or the energy-per-power-cycle check (C1), and picks the minimum intermittent latency with the
original's tie-break: exact float equality on latency, then least VM, then loop-nest order.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass

import numpy as np

from tinas.cost.capacitor import Capacitor, capacitor_of
from tinas.cost.layer_models import cont_costs, counts, int_costs
from tinas.cost.primitives import primitives_of
from tinas.cost.tiling import ORDERS, Dims, Grid, full_grid, ifm_tile, single_grid, vm_elements
from tinas.network import Layer, LayerDesign
from tinas.platform import Platform

COMPONENTS = ("rb", "fd", "fl", "cp", "bd", "bl")
ERR_SPATIAL_C0 = 11
ERR_ATOMICITY_C1 = 12
ERR_STORAGE_C2 = 13


@dataclass(frozen=True)
class LayerIntResult:
    """Best (or given) design of one layer under intermittent power, with its costs."""

    feasible: bool
    design: LayerDesign | None
    candidates: int
    passing: int
    failed_c0: int
    failed_c1: int
    power_cycles: int
    n0: int
    ngt0: int
    latency_s: float  # Le2e: active + recharge
    recharge_s: float  # L_rc_tot
    epc_max_j: float
    epc_min_j: float
    energy_use_percent: float  # Eu = 100·Epc_max / Eav
    vm_bytes: int
    cost_breakdown: dict[str, tuple[float, float]]  # per power cycle, (E J, L s); fd is the ngt0 variant
    energy_j: float  # n0·Epc_min + ngt0·Epc_max

    @property
    def active_s(self) -> float:
        return self.latency_s - self.recharge_s


@dataclass(frozen=True)
class LayerContResult:
    """Whole-layer cost under continuous power with a fixed design."""

    feasible: bool
    latency_s: float
    energy_j: float
    vm_bytes: int
    breakdown: dict[str, tuple[float, float]]  # fd, cp, bd (E J, L s) for the whole layer


def _evaluate_int(layer: Layer, g: Grid, platform: Platform) -> tuple[dict[str, np.ndarray], np.ndarray, np.ndarray]:
    """All INT quantities over grid ``g``; returns (arrays, pass C0 mask, pass C1 mask)."""
    d = Dims.of(layer)
    E, L = primitives_of(platform)
    tri, tci = ifm_tile(layer, d, g)
    vm = vm_elements(layer, d, g, tri, tci) * int(platform.data_size_bytes)
    c0 = vm <= platform.vm_capacity_bytes
    ie, il = int_costs(layer, d, g, tri, tci, E), int_costs(layer, d, g, tri, tci, L)
    cnt = counts(layer, d, g)
    fl_e, fl_l = E.rd(E.index_elements), L.rd(L.index_elements)
    bl_e, bl_l = E.wr(E.index_elements), L.wr(L.index_elements)
    epc_max = E.RB + ie.fd_ngt0 + fl_e + ie.cp + ie.bd + bl_e
    epc_min = E.RB + ie.fd_n0 + fl_e + ie.cp + ie.bd + bl_e
    lpc_max = L.RB + il.fd_ngt0 + fl_l + il.cp + il.bd + bl_l
    lpc_min = L.RB + il.fd_n0 + fl_l + il.cp + il.bd + bl_l
    none_gt0 = cnt.ngt0 == 0
    epc_max = np.where(none_gt0, epc_min, epc_max)
    lpc_max = np.where(none_gt0, lpc_min, lpc_max)
    cap = capacitor_of(platform)
    c1 = epc_max <= cap.e_budget_j
    arrays = dict(
        vm=vm, epc_max=epc_max, epc_min=epc_min, lpc_max=lpc_max, lpc_min=lpc_min,
        npc=cnt.npc, n0=cnt.n0, ngt0=cnt.ngt0,
        fd_e=ie.fd_ngt0, fd_l=il.fd_ngt0, cp_e=ie.cp, cp_l=il.cp, bd_e=ie.bd, bd_l=il.bd,
    )
    arrays["_scalars"] = np.array([E.RB, L.RB, fl_e, fl_l, bl_e, bl_l])
    return arrays, c0, c1


def _le2e(a: dict[str, np.ndarray], sel: np.ndarray, cap: Capacitor) -> tuple[np.ndarray, np.ndarray]:
    """(Le2e, L_rc_tot) of the selected candidates."""
    lrc_min = cap.recharge_time_s(a["epc_min"][sel])
    lrc_max = cap.recharge_time_s(a["epc_max"][sel])
    n0, ngt0 = a["n0"][sel], a["ngt0"][sel]
    le2e = n0 * (a["lpc_min"][sel] + lrc_min) + ngt0 * (a["lpc_max"][sel] + lrc_max)
    return le2e, n0 * lrc_min + ngt0 * lrc_max


def _result(layer: Layer, g: Grid, a: dict[str, np.ndarray], i: int, le2e: float, lrc: float, cap: Capacitor,
            cand: int, passing: int, f0: int, f1: int) -> LayerIntResult:
    rb_e, rb_l, fl_e, fl_l, bl_e, bl_l = (float(x) for x in a["_scalars"])
    design = LayerDesign(Tr=int(g.Tr[i]), Tc=int(g.Tc[i]), Tm=int(g.Tm[i]), Tn=int(g.Tn[i]),
                         order=ORDERS[int(g.order[i])], S=int(g.S[i]))  # type: ignore[arg-type]
    n0, ngt0 = int(a["n0"][i]), int(a["ngt0"][i])
    return LayerIntResult(
        feasible=True, design=design, candidates=cand, passing=passing, failed_c0=f0, failed_c1=f1,
        power_cycles=int(a["npc"][i]), n0=n0, ngt0=ngt0, latency_s=float(le2e), recharge_s=float(lrc),
        epc_max_j=float(a["epc_max"][i]), epc_min_j=float(a["epc_min"][i]),
        energy_use_percent=100.0 * float(a["epc_max"][i]) / cap.e_budget_j, vm_bytes=int(a["vm"][i]),
        cost_breakdown={
            "rb": (rb_e, rb_l), "fd": (float(a["fd_e"][i]), float(a["fd_l"][i])), "fl": (fl_e, fl_l),
            "cp": (float(a["cp_e"][i]), float(a["cp_l"][i])), "bd": (float(a["bd_e"][i]), float(a["bd_l"][i])),
            "bl": (bl_e, bl_l),
        },
        energy_j=n0 * float(a["epc_min"][i]) + ngt0 * float(a["epc_max"][i]),
    )


def _infeasible(cand: int, f0: int, f1: int) -> LayerIntResult:
    return LayerIntResult(False, None, cand, 0, f0, f1, 0, 0, 0, -1.0, 0.0, 0.0, 0.0, 0.0, 0, {}, 0.0)


def explore_layer_int(layer: Layer, platform: Platform) -> LayerIntResult:
    """Exhaustive INT sweep of one layer (§7.1), vectorised."""
    d = Dims.of(layer)
    g = full_grid(layer, d)
    a, c0, c1 = _evaluate_int(layer, g, platform)
    ok = c0 & c1
    cand, f0, f1 = len(g), int((~c0).sum()), int((c0 & ~c1).sum())
    if not ok.any():
        return _infeasible(cand, f0, f1)
    cap = capacitor_of(platform)
    idx = np.flatnonzero(ok)
    le2e, lrc = _le2e(a, idx, cap)
    best = le2e.min()
    tied = np.flatnonzero(le2e == best)
    # stable sort of the exact ties by VM; remaining ties keep loop-nest order (lowest index)
    j = tied[np.argsort(a["vm"][idx[tied]], kind="stable")[0]]
    return _result(layer, g, a, int(idx[j]), float(le2e[j]), float(lrc[j]), cap, cand, int(ok.sum()), f0, f1)


def evaluate_layer_int(layer: Layer, design: LayerDesign, platform: Platform) -> LayerIntResult:
    """INT cost of one layer with a given design (C0 and C1 checked)."""
    g = single_grid(design.Tr, design.Tc, design.Tm, design.Tn, design.order, design.S)
    a, c0, c1 = _evaluate_int(layer, g, platform)
    if not (c0[0] and c1[0]):
        return _infeasible(1, int(not c0[0]), int(c0[0] and not c1[0]))
    cap = capacitor_of(platform)
    le2e, lrc = _le2e(a, np.array([0]), cap)
    return _result(layer, g, a, 0, float(le2e[0]), float(lrc[0]), cap, 1, 1, 0, 0)


def evaluate_layer_cont(layer: Layer, design: LayerDesign, platform: Platform) -> LayerContResult:
    """CONT cost of one layer with a fixed design (C0 re-checked), §4 CONT formulas."""
    d = Dims.of(layer)
    g = single_grid(design.Tr, design.Tc, design.Tm, design.Tn, design.order, 1)
    tri, tci = ifm_tile(layer, d, g)
    vm = int(vm_elements(layer, d, g, tri, tci)[0]) * int(platform.data_size_bytes)
    E, L = primitives_of(platform)
    ce, cl = cont_costs(layer, d, g, tri, tci, E), cont_costs(layer, d, g, tri, tci, L)
    lat = float(cl.fd[0] + cl.cp[0] + cl.bd[0])
    en = float(ce.fd[0] + ce.cp[0] + ce.bd[0])
    br = {k: (float(getattr(ce, k)[0]), float(getattr(cl, k)[0])) for k in ("fd", "cp", "bd")}
    return LayerContResult(vm <= platform.vm_capacity_bytes, lat, en, vm, br)


class LayerCache:
    """LRU of per-layer explorer results keyed by the layer's shape and the platform: subnets of one
    search share most layer shapes, so most layers are costed once per search, not once per network."""

    def __init__(self, maxsize: int = 20000) -> None:
        self.maxsize = maxsize
        self._d: OrderedDict[tuple, LayerIntResult] = OrderedDict()
        self.hits = 0
        self.misses = 0

    def explore(self, layer: Layer, platform: Platform) -> LayerIntResult:
        key = (layer.shape_key(), platform)
        hit = self._d.get(key)
        if hit is not None:
            self.hits += 1
            self._d.move_to_end(key)
            return hit
        self.misses += 1
        res = explore_layer_int(layer, platform)
        self._d[key] = res
        if len(self._d) > self.maxsize:
            self._d.popitem(last=False)
        return res

    def clear(self) -> None:
        self._d.clear()
        self.hits = self.misses = 0


LAYER_CACHE = LayerCache()
