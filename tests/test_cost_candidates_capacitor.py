"""The candidate tile sizes and loop orders of a layer (original-tinas.md, cost model §3.2, §7.1) and the edges of
the capacitor model (§2), each against the spec's own examples or arithmetic written out here."""

from __future__ import annotations

import math

import numpy as np
import pytest

from tinas.cost import Capacitor, CapacitorError, capacitor_of
from tinas.cost.layer_models import int_costs
from tinas.cost.primitives import primitives_of
from tinas.cost.tiling import REUSE_I, REUSE_O, REUSE_W, Dims, candidate_lists, full_grid, ifm_tile, vm_elements
from tinas.network import Layer, Shape
from tinas.platform import load_platform

ALL = [REUSE_I, REUSE_W, REUSE_O]


def lay(typ, optype, ifm, ofm, k=None, stride=None):
    return Layer(name="x", type=typ, optype=optype, stride=stride,
                 K=Shape(N=k[0], CH=k[1], H=k[2], W=k[3]) if k else Shape(),
                 IFM=Shape(N=1, CH=ifm[0], H=ifm[1], W=ifm[2]), OFM=Shape(N=1, CH=ofm[0], H=ofm[1], W=ofm[2]))


# §3.2 examples: R = 32 → 1, 2, 4, …, 32; R = 7 → 1, 2, 4, 6, 8; R = 1 → 1, 2; M = 16 → 1, 2, 4, 8, 16;
# M = 10 → 1, 2, 10; M = 24 → 1, 2, 4, 6, 8, 12, 24; odd N (3, 9) → Tn = 1; GAVGPOOL: even divisors of H, W
CANDIDATES = [
    ("std conv R=7 C=32 M=24 N=10", lay("CONV", 0, (10, 7, 32), (24, 7, 32), (24, 10, 1, 1), 1),
     [1, 2, 4, 6, 8], [1] + list(range(2, 33, 2)), [1, 2, 4, 6, 8, 12, 24], [1, 2, 10], ALL),
    ("depthwise R=C=1 M=16", lay("CONV", 3, (16, 2, 2), (16, 1, 1), (16, 1, 3, 3), 2),
     [1, 2], [1, 2], [1, 2, 4, 8, 16], [1], ALL),
    ("FC N=9 M=10", lay("FC", 6, (9, 1, 1), (10, 1, 1), (10, 9, 1, 1), 1), [1, 2], [1, 2], [1, 2, 10], [1], ALL),
    ("BN 16x9x4", lay("BN", 4, (16, 9, 4), (16, 9, 4)), [1, 2, 4, 6, 8, 10], [1, 2, 4], [1, 2, 4, 8, 16], [1],
     [REUSE_W]),
    ("RELU 3x3x2", lay("RELU", 5, (3, 3, 2), (3, 3, 2)), [1, 2, 4], [1, 2], [1], [1], [REUSE_O]),
    ("ADD 6x2x5", lay("ADD", 8, (6, 2, 5), (6, 2, 5)), [1, 2], [1, 2, 4, 6], [1, 2, 6], [1], [REUSE_O]),
    ("GAVGPOOL 12x12x7", lay("GAVGPOOL", 7, (12, 12, 7), (12, 1, 1)), [1, 2, 4, 6, 12], [1], [1, 2, 4, 6, 12], [1],
     [REUSE_O]),
    ("GAVGPOOL 4x4x8", lay("GAVGPOOL", 7, (4, 4, 8), (4, 1, 1)), [1, 2, 4], [1, 2, 4, 8], [1, 2, 4], [1], [REUSE_O]),
]


@pytest.mark.parametrize("case", CANDIDATES, ids=[c[0] for c in CANDIDATES])
def test_candidate_lists(case):
    _, layer, tr, tc, tm, tn, orders = case
    assert candidate_lists(layer, Dims.of(layer)) == (tr, tc, tm, tn, orders)


def test_grid_in_loop_nest_order():
    """Tr outermost, then Tc, Tm, Tn, loop order, S (§7.1); the tie-break relies on this order."""
    layer = lay("CONV", 0, (2, 2, 2), (2, 2, 2), (2, 2, 1, 1), 1)  # Tr, Tc, Tm, Tn ∈ {1, 2}, 3 orders
    g = full_grid(layer, Dims.of(layer))
    assert len(g) == 2 * 2 * 2 * 2 * 3
    rows = list(zip(g.Tr.tolist(), g.Tc.tolist(), g.Tm.tolist(), g.Tn.tolist(), g.order.tolist(), g.S.tolist()))
    assert rows == sorted(rows) and len(set(rows)) == len(rows) and set(g.S.tolist()) == {1}
    assert rows[:4] == [(1, 1, 1, 1, 0, 1), (1, 1, 1, 1, 1, 1), (1, 1, 1, 1, 2, 1), (1, 1, 1, 2, 0, 1)]
    for a in (g.Tr, g.Tc, g.Tm, g.Tn, g.order, g.S):
        assert a.dtype == np.int64 and a.shape == (48,)


def test_kernel_less_layers_are_1x1_stride_1():
    d = Dims.of(lay("BN", 4, (4, 6, 3), (4, 6, 3)))
    assert d == Dims(H=6, W=3, N=4, R=6, C=3, M=4, Kh=1, Kw=1, s=1)
    fc = Dims.of(Layer(name="f", type="FC", optype=6, K=Shape(N=10, CH=16, H=1, W=1), IFM=Shape(N=1, CH=16, H=1, W=1),
                       OFM=Shape(N=1, CH=10, H=1, W=1)))  # the published files' FC may carry no stride
    assert (fc.Kh, fc.Kw, fc.s, fc.N, fc.M) == (1, 1, 1, 16, 10)


def test_max_pool_is_not_modelled():
    """POOL exists in the original's code but cannot be costed (§4.7): both models refuse it by name."""
    pool = Layer.model_construct(name="p", type="POOL", optype=0, stride=2, pad=None, K=Shape(N=4, CH=4, H=2, W=2),
                                 IFM=Shape(N=1, CH=4, H=4, W=4), OFM=Shape(N=1, CH=4, H=2, W=2), add_from=None, alias=None)
    d = Dims.of(pool)
    g = full_grid(lay("RELU", 5, (4, 2, 2), (4, 2, 2)), d)
    tri, tci = ifm_tile(pool, d, g)
    with pytest.raises(ValueError, match="^no VM model for layer type POOL$"):
        vm_elements(pool, d, g, tri, tci)
    with pytest.raises(ValueError, match="^no cost model for layer type POOL$"):
        int_costs(pool, d, g, tri, tci, primitives_of(load_platform())[0])


# a capacitor with round numbers: ½·0.002·(3.0² − 2.0²) = 0.005 J available, × 0.9 = 0.0045 J per power cycle
ROUND = Capacitor(c_f=0.002, v_on_v=3.0, v_off_v=2.0, v_sup_v=3.3, rehm_ohm=1000.0, margin=0.9)


def test_round_capacitor_by_hand():
    assert ROUND.e_avail_j == pytest.approx(0.005, rel=1e-12)
    assert ROUND.e_budget_j == pytest.approx(0.0045, rel=1e-12)
    # 1 mJ: Vpce = sqrt(3.0² − 2·0.001/0.002) = sqrt(8); Lrc = 1000·0.002·ln((3.3 − sqrt 8)/(3.3 − 3.0))
    assert float(ROUND.recharge_time_s(0.001)) == pytest.approx(2.0 * math.log((3.3 - math.sqrt(8.0)) / 0.3), rel=1e-12)
    # 4 mJ: Vpce = sqrt(9 − 4) = sqrt(5)
    e = np.array([[0.001, 0.004]])
    got = ROUND.recharge_time_s(e)
    assert got.shape == (1, 2)
    assert got[0, 1] == pytest.approx(2.0 * math.log((3.3 - math.sqrt(5.0)) / 0.3), rel=1e-12)


@pytest.mark.parametrize("energy", [0.0, -1e-6, [1e-3, 0.0]])
def test_non_positive_energy_refused(energy):
    with pytest.raises(CapacitorError, match="^a power cycle with non-positive energy cannot be costed$"):
        ROUND.recharge_time_s(energy)


def test_energy_at_the_budget_refused():
    """§2 step 2: abort when Eavail·margin ≤ Epc, so exactly the budget is refused and just below it is not."""
    with pytest.raises(CapacitorError) as exc:
        ROUND.recharge_time_s([0.001, ROUND.e_budget_j])
    assert str(exc.value) == "a power cycle needs 0.0045 J but the capacitor gives at most 0.0045 J (C=0.002 F, margin 0.9)"
    assert float(ROUND.recharge_time_s(0.0044999)) > 0


@pytest.mark.parametrize("v_sup, v_off, message", [
    (2.9, 2.0, "supply 2.9 V cannot charge to Von 3.0 V (Voff 2.0 V)"),
    (3.3, 3.1, "supply 3.3 V cannot charge to Von 3.0 V (Voff 3.1 V)"),
])
def test_supply_or_thresholds_impossible(v_sup, v_off, message):
    cap = Capacitor(0.002, 3.0, v_off, v_sup, 1000.0, 0.9)
    with pytest.raises(CapacitorError) as exc:
        cap.recharge_time_s(1e-4)
    assert str(exc.value) == message


def test_equal_thresholds_leave_no_energy():
    """Voff = Von is not refused as a supply problem (§2 aborts only for Voff > Von); there is simply no energy."""
    with pytest.raises(CapacitorError, match="capacitor gives at most 0 J"):
        Capacitor(0.002, 3.0, 3.0, 3.3, 1000.0, 0.9).recharge_time_s(1e-4)


def test_supply_equal_to_von_never_recharges():
    """Vsup = Von is allowed by §2 (only Vsup < Von aborts); the RC charge then never reaches Von."""
    with np.errstate(divide="ignore"):
        assert float(Capacitor(0.002, 3.0, 2.0, 3.0, 1000.0, 0.9).recharge_time_s(1e-3)) == math.inf


def test_capacitor_of_profile():
    """The packaged profile's capacitor is §2's default: 5 mF, 4.535 / 3.290 V, 5.892 V behind 2800 Ω, margin 0.6."""
    assert capacitor_of(load_platform()) == Capacitor(0.005, 4.535, 3.290, 5.892, 2800.0, 0.6)
