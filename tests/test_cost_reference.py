"""Hand-computed and reference cases of original-tinas.md, cost model §2 and §10."""

from __future__ import annotations

import pytest

from tinas.cost import Capacitor, CapacitorError, evaluate
from tinas.cost.explorer import evaluate_layer_cont, explore_layer_int
from tinas.cost.primitives import primitives_of
from tinas.network import Layer, Network, Shape
from tinas.platform import load_platform

REL = 1e-9


@pytest.fixture(scope="module")
def platform():
    return load_platform()


def layer(name, typ, optype, ifm, ofm, k=None, stride=None, pad=None):
    return Layer(
        name=name, type=typ, optype=optype, stride=stride, pad=pad,
        K=Shape(N=k[0], CH=k[1], H=k[2], W=k[3]) if k else Shape(),
        IFM=Shape(N=1, CH=ifm[0], H=ifm[1], W=ifm[2]), OFM=Shape(N=1, CH=ofm[0], H=ofm[1], W=ofm[2]),
    )


def test_primitive_vectors(platform):  # §10.1
    E, L = primitives_of(platform)
    assert E.rd(1) == pytest.approx(2.167878875968986e-07, rel=REL) and L.rd(1) == pytest.approx(3.0875e-05, rel=REL)
    assert E.rd(16) == pytest.approx(5.782396087026178e-07, rel=REL) and L.rd(16) == pytest.approx(9.0875e-05, rel=REL)
    assert E.wr(1) == pytest.approx(2.2267310642764805e-07, rel=REL) and L.wr(1) == pytest.approx(3.03125e-05, rel=REL)
    assert E.wr(16) == pytest.approx(5.806689195418519e-07, rel=REL) and L.wr(16) == pytest.approx(9.03125e-05, rel=REL)
    assert E.mac(1) == pytest.approx(2.062332231001059e-07, rel=REL) and L.mac(1) == pytest.approx(3.896875e-05, rel=REL)
    assert E.mac(16) == pytest.approx(2.1378337404292602e-07, rel=REL) and L.mac(16) == pytest.approx(4.0375e-05, rel=REL)
    # the addressing overhead of an IFM fetch: 8 ADD + 4 MUL = 276 cycles (§1.3)
    assert L.ovh["FD_I"] == pytest.approx(276 / 16e6, rel=REL)


@pytest.mark.parametrize(
    "c_f, r_ohm, table",
    [
        (0.005, 2800, [(7.788e-05, 0.03540316993393101), (1e-04, 0.045447198273041514), (2e-04, 0.09079143070712213),
                       (1e-03, 0.4499155861087363), (5e-03, 2.1579244958970976), (1e-02, 4.123967069129483),
                       (1.4e-02, 5.592898152100235)]),
        (0.00047, 3000, [(7.788e-05, 0.03761358424349062), (1e-03, 0.4395030178073664)]),
        (0.0001, 3100, [(7.788e-05, 0.037624908637605696), (2e-04, 0.0913164136735814)]),
    ],
)
def test_recharge_time_table(c_f, r_ohm, table):  # §2
    cap = Capacitor(c_f, 4.535, 3.290, 5.892, r_ohm, 0.6)
    for e, lrc in table:
        assert float(cap.recharge_time_s(e)) == pytest.approx(lrc, rel=REL)


def test_energy_budget_and_infeasible_cycle():
    cap = Capacitor(0.005, 4.535, 3.290, 5.892, 2800, 0.6)
    assert cap.e_budget_j == pytest.approx(0.0146131875, rel=REL)  # ½·0.005·(4.535² − 3.29²)·0.6 by hand
    with pytest.raises(CapacitorError, match="capacitor gives at most"):
        Capacitor(0.0001, 4.535, 3.290, 5.892, 3100, 0.6).recharge_time_s(1e-3)


def test_pointwise_hand_walkthrough(platform):  # §10.2
    pw = layer("CONV_2", "CONV", 2, (16, 32, 32), (16, 32, 32), (16, 16, 1, 1), 1, 0)
    r = explore_layer_int(pw, platform)
    assert r.design.params == "2_12_16_16_reuse_O_S1"
    assert (r.power_cycles, r.n0, r.ngt0) == (48, 48, 0)
    lpc = sum(v[1] for v in r.cost_breakdown.values()) - r.cost_breakdown["fd"][1] + (24 * (9.0875e-05 + 1.725e-05) + 16 * (9.0875e-05 + 3.20625e-05))
    assert lpc == pytest.approx(0.09128625, rel=1e-6)
    assert r.epc_max_j == pytest.approx(2.892988044886402e-04, rel=REL)
    assert r.latency_s == pytest.approx(10.679186, rel=1e-7)
    assert r.recharge_s == pytest.approx(6.29744599, rel=1e-8)
    assert evaluate_layer_cont(pw, r.design, platform).latency_s == pytest.approx(1.737267, rel=1e-7)


SINGLE_LAYERS = [  # §10.3: layer, candidates, passing, params, npc, Le2e, L_rc_tot, vm, CONT L
    (layer("c", "CONV", 0, (3, 32, 32), (16, 32, 32), (16, 3, 3, 3), 1, 1), 4335, 2211, "8_8_8_1_reuse_O_S1", 96, 130.993151, 91.263431, 1368, 34.128966),
    (layer("dw", "CONV", 3, (48, 16, 16), (48, 8, 8), (48, 1, 3, 3), 2, 1), 675, 411, "4_4_8_1_reuse_O_S1", 24, 7.48037868, 4.78784718, 1696, 1.370295),
    (layer("bn", "BN", 4, (16, 32, 32), (16, 32, 32)), 1445, 894, "4_12_16_1_reuse_W_S1", 24, 4.37992877, 2.49091427, 1664, 0.56929175),
    (layer("r", "RELU", 5, (16, 32, 32), (16, 32, 32)), 1445, 909, "2_32_16_1_reuse_O_S1", 16, 2.81396534, 1.57663434, 2048, 0.35584),
    (layer("a", "ADD", 8, (24, 8, 8), (24, 8, 8)), 175, 154, "4_8_8_1_reuse_O_S1", 6, 0.771856067, 0.382616942, 1536, 0.05868),
    (layer("g", "GAVGPOOL", 7, (32, 4, 4), (32, 1, 1)), 54, 54, "4_4_32_1_reuse_O_S1", 1, 0.130470392, 0.063380705, 1088, 0.0119965),
    (layer("fc", "FC", 6, (32, 1, 1), (10, 1, 1), (10, 32, 1, 1), 1, 0), 216, 216, "1_1_10_32_reuse_O_S1", 1, 0.101756669, 0.0437521691, 724, 0.0029113125),
]


@pytest.mark.parametrize("case", SINGLE_LAYERS, ids=lambda c: c[0].name)
def test_single_layer_reference(case, platform):
    lay, cand, passing, params, npc, le2e, lrc, vm, cont = case
    r = explore_layer_int(lay, platform)
    assert (r.candidates, r.passing, r.design.params, r.power_cycles, r.vm_bytes) == (cand, passing, params, npc, vm)
    assert r.latency_s == pytest.approx(le2e, rel=1e-8)
    assert r.recharge_s == pytest.approx(lrc, rel=1e-8)
    assert evaluate_layer_cont(lay, r.design, platform).latency_s == pytest.approx(cont, rel=1e-8)


def tiny_network() -> Network:  # §10.4
    return Network(layers=(
        layer("CONV_0", "CONV", 0, (3, 16, 16), (8, 16, 16), (8, 3, 3, 3), 1, 1),
        layer("BN_1", "BN", 4, (8, 16, 16), (8, 16, 16)),
        layer("RELU_2", "RELU", 5, (8, 16, 16), (8, 16, 16)),
        layer("CONV_3", "CONV", 3, (8, 16, 16), (8, 8, 8), (8, 1, 3, 3), 2, 1),
        layer("CONV_4", "CONV", 2, (8, 8, 8), (16, 8, 8), (16, 8, 1, 1), 1, 0),
        layer("BN_5", "BN", 4, (16, 8, 8), (16, 8, 8)),
        layer("GAVGPOOL_6", "GAVGPOOL", 7, (16, 8, 8), (16, 1, 1)),
        layer("FC_END", "FC", 6, (16, 1, 1), (10, 1, 1), (10, 16, 1, 1), 1, 0),
    ))


@pytest.mark.parametrize(
    "ccap, l_int, l_cont, t_act, t_rc, imo, npc",
    [
        (0.005, 19.8092458, 4.78747019, 6.36777869, 13.4414671, 24.817265, 28),
        (0.00047, 20.9619699, 4.85356694, 7.09499369, 13.8669762, 31.591667, 40),
        (0.0001, 39.3116952, 5.39047606, 17.2407094, 22.0709858, 68.734024, 214),
    ],
)
def test_tiny_network_three_capacitors(platform, ccap, l_int, l_cont, t_act, t_rc, imo, npc):
    c = evaluate(tiny_network(), platform, ccap_f=ccap)
    assert c.feasible and c.power_cycles == npc
    for got, want in ((c.latency_intermittent_s, l_int), (c.latency_continuous_s, l_cont), (c.active_time_s, t_act),
                      (c.recharge_time_s, t_rc), (c.imo_percent, imo)):
        assert got == pytest.approx(want, rel=1e-7)


def test_tiny_network_per_layer_designs(platform):
    c = evaluate(tiny_network(), platform)
    got = [(l.design.params.rsplit("_S", 1)[0], l.power_cycles) for l in c.layers]
    assert got == [("8_8_8_1_reuse_O", 12), ("6_16_8_1_reuse_W", 3), ("8_16_8_1_reuse_O", 2), ("4_4_8_1_reuse_O", 4),
                   ("4_8_16_8_reuse_O", 2), ("4_8_16_1_reuse_W", 2), ("4_8_16_1_reuse_O", 2), ("1_1_10_16_reuse_O", 1)]
    small = evaluate(tiny_network(), platform, ccap_f=0.0001)
    assert small.layers[0].design.params == "2_4_4_1_reuse_O_S1" and small.layers[0].power_cycles == 192
