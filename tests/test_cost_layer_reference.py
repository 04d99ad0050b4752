"""Every layer formula of the original cost model against the spec reference of tests/cost_spec_reference.py
(original-tinas.md, cost model §2–§4): every layer type, every loop order, batches S = 1 and S > 1, tiles that
do not divide the map, non-square maps and kernels, on the published profile and on a profile whose every
constant (clock, DMA, LEA, op costs, op counts of each overhead, reboot, index size, element size,
capacitor) is a distinct made-up value.
"""

from __future__ import annotations

import numpy as np
import pytest

from tests.cost_spec_reference import (
    PUBLISHED, PUBLISHED_OPS, SCRAMBLED, SCRAMBLED_OPS, currency, geometry, intermittent, layer, per_cycle, profile,
    whole_layer,
)
from tinas.cost.explorer import evaluate_layer_cont, evaluate_layer_int
from tinas.cost.layer_models import cont_costs, counts, int_costs
from tinas.cost.primitives import primitives_of
from tinas.cost.tiling import ORDERS, Dims, full_grid, ifm_tile, single_grid
from tinas.network import LayerDesign
from tinas.platform import load_platform

REL = 1e-11

CONV = layer("conv", "CONV", 0, (4, 6, 6), (6, 6, 6), (6, 4, 3, 3), 1)
CONV1D_S2 = layer("conv1d", "CONV", 9, (4, 16, 1), (4, 8, 1), (4, 4, 3, 1), 2)
DW = layer("dw", "CONV", 3, (4, 8, 8), (4, 4, 4), (4, 1, 3, 3), 2)
FC = layer("fc", "FC", 6, (8, 1, 1), (4, 1, 1), (4, 8, 1, 1), 1)
FC_TALL = layer("fc_tall", "FC", 6, (8, 3, 1), (4, 1, 1), (4, 8, 3, 1), 1)  # kernel spans the 3-row IFM
BN = layer("bn", "BN", 4, (4, 6, 3), (4, 6, 3))
RELU = layer("relu", "RELU", 5, (6, 5, 4), (6, 5, 4))
ADD = layer("add", "ADD", 8, (4, 4, 6), (4, 4, 6))
GAP = layer("gap", "GAVGPOOL", 7, (4, 4, 2), (4, 1, 1))

D = LayerDesign.parse
CASES = [
    *((CONV, D(f"4_2_2_2_{o}_S{s}")) for o in ("reuse_I", "reuse_W", "reuse_O") for s in (1, 2)),
    *((CONV1D_S2, D(f"6_1_2_2_{o}_S{s}")) for o in ("reuse_I", "reuse_W", "reuse_O") for s in (1, 2)),
    *((DW, D(f"2_1_2_1_{o}_S{s}")) for o in ("reuse_I", "reuse_W", "reuse_O") for s in (1, 2)),
    (DW, D("2_4_2_1_reuse_I_S2")),
    *((FC, D(f"1_1_2_4_{o}_S1")) for o in ("reuse_I", "reuse_W", "reuse_O")),
    (FC_TALL, D("1_1_2_4_reuse_O_S1")), (FC_TALL, D("2_1_4_2_reuse_I_S1")),
    (BN, D("4_2_2_1_reuse_W_S1")), (BN, D("4_2_2_1_reuse_W_S2")),
    (RELU, D("2_4_2_1_reuse_O_S1")), (RELU, D("2_4_2_1_reuse_O_S3")),
    (ADD, D("4_4_2_1_reuse_O_S1")), (ADD, D("4_4_2_1_reuse_O_S2")),
    (GAP, D("2_1_2_1_reuse_O_S1")), (GAP, D("2_1_2_1_reuse_O_S2")),
]
IDS = [f"{l.name}-{d.params}" for l, d in CASES]
PROFILES = {"published": (PUBLISHED, PUBLISHED_OPS), "scrambled": (SCRAMBLED, SCRAMBLED_OPS)}


@pytest.fixture(scope="module", params=sorted(PROFILES))
def setting(request):
    consts, ops = PROFILES[request.param]
    return consts, ops, profile(consts, ops)


def test_published_profile_is_the_packaged_one():
    """The profile built from the spec's numbers is the packaged profile: the reference prices the real thing."""
    base, built = load_platform(), profile(PUBLISHED, PUBLISHED_OPS)
    assert dict(built.constants) == dict(base.constants)
    assert dict(built.capacitor) == dict(base.capacitor)
    assert dict(built.overheads) == dict(base.overheads)


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_intermittent_layer_matches_reference(case, setting):
    lay, d = case
    consts, ops, plat = setting
    w = intermittent(lay, d, consts, ops)

    r = evaluate_layer_int(lay, d, plat)
    assert r.feasible and r.design == d
    assert (r.power_cycles, r.n0, r.ngt0, r.vm_bytes) == (w.npc, w.n0, w.ngt0, w.vm_bytes)
    assert list(r.cost_breakdown) == list(w.breakdown)
    for k, (e, lat) in w.breakdown.items():
        assert r.cost_breakdown[k] == pytest.approx((e, lat), rel=REL), k
    assert (r.epc_min_j, r.epc_max_j) == pytest.approx((w.epc_min, w.epc_max), rel=REL)
    assert (r.latency_s, r.recharge_s, r.active_s) == pytest.approx((w.latency, w.recharge, w.active), rel=REL)
    assert (r.energy_j, r.energy_use_percent) == pytest.approx((w.energy, w.energy_use_percent), rel=REL)


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_continuous_layer_matches_reference(case, setting):
    lay, d = case
    consts, ops, plat = setting
    E, L = currency(consts, ops, False), currency(consts, ops, True)
    e, lat = whole_layer(lay, d, E), whole_layer(lay, d, L)
    c = evaluate_layer_cont(lay, d, plat)
    assert c.feasible
    assert c.vm_bytes == geometry(lay, d.model_copy(update={"S": 1})).vm * consts["data_size_bytes"]
    for k, ek, lk in zip(("fd", "cp", "bd"), e, lat):
        assert c.breakdown[k] == pytest.approx((ek, lk), rel=REL), k
    assert c.latency_s == pytest.approx(sum(lat), rel=REL)
    assert c.energy_j == pytest.approx(sum(e), rel=REL)


@pytest.mark.parametrize("lay, design, want", [
    # (Rt, Ct, Mt, Nt, tiles, npc, n0, ngt0), §3.3 by hand; Nt = ceil(N / Tn) for every type (§0)
    (CONV, "4_2_2_2_reuse_I_S2", (2, 3, 3, 2, 36, 18, 9, 9)),  # ceil(6/4), ceil(6/2), 6/2, 4/2; first 18, /2
    (CONV, "4_2_2_2_reuse_O_S2", (2, 3, 3, 2, 36, 18, 18, 0)),  # reuse_O: first = 2·3·3 = 18 cycles
    (DW, "2_1_2_1_reuse_W_S2", (2, 4, 2, 4, 16, 8, 4, 4)),  # tiles 2·4·2; first = Rt·Ct = 8, /2
    (BN, "4_2_2_1_reuse_W_S2", (2, 2, 2, 4, 8, 4, 4, 0)),  # ceil(6/4), ceil(3/2), 4/2, 4/1
    (GAP, "2_1_2_1_reuse_O_S1", (2, 2, 2, 4, 8, 8, 8, 0)),  # over the IFM: ceil(4/2), ceil(2/1)
])
def test_counts_by_hand(lay, design, want):
    d = LayerDesign.parse(design)
    c = counts(lay, Dims.of(lay), single_grid(d.Tr, d.Tc, d.Tm, d.Tn, d.order, d.S))
    got = (c.Rt, c.Ct, c.Mt, c.Nt, c.tiles, c.npc, c.n0, c.ngt0)
    assert tuple(x.tolist() for x in got) == tuple([w] for w in want)  # integer counts, one per candidate
    assert all(x.dtype.kind == "i" for x in got)


@pytest.mark.parametrize("lay", [CONV, DW, BN, GAP], ids=lambda l: l.name)
def test_whole_grid_at_once(lay):
    """int_costs and cont_costs price every candidate of the grid in one call, as float arrays, each candidate
    as the reference prices it alone."""
    plat = load_platform()
    E, L = primitives_of(plat)
    d = Dims.of(lay)
    g = full_grid(lay, d)
    tri, tci = ifm_tile(lay, d, g)
    ref_e = currency(PUBLISHED, PUBLISHED_OPS, False)
    ic, cc = int_costs(lay, d, g, tri, tci, E), cont_costs(lay, d, g, tri, tci, E)
    for a in (ic.fd_ngt0, ic.fd_n0, ic.cp, ic.bd, cc.fd, cc.cp, cc.bd):
        assert a.dtype == np.float64 and a.shape == (len(g),)
    for i in range(0, len(g), 7):
        des = LayerDesign(Tr=int(g.Tr[i]), Tc=int(g.Tc[i]), Tm=int(g.Tm[i]), Tn=int(g.Tn[i]),
                          order=ORDERS[int(g.order[i])], S=1)
        assert (ic.fd_ngt0[i], ic.fd_n0[i], ic.cp[i], ic.bd[i]) == pytest.approx(
            per_cycle(lay, des, ref_e, latency=False), rel=REL)
        assert (cc.fd[i], cc.cp[i], cc.bd[i]) == pytest.approx(whole_layer(lay, des, ref_e), rel=REL)
    assert int_costs(lay, d, g, tri, tci, L).cp.dtype == np.float64
