"""What the network-level cost functions return (original-tinas.md, cost model §5, §6, §8): the NVM use by hand
(check C2), the failure record of each check, the continuous-power-only record, the capacitor and harvester
overrides, the layer cache, and the hand-over to the firmware cost model."""

from __future__ import annotations

import dataclasses

import pytest

from tests.cost_spec_reference import PUBLISHED, PUBLISHED_OPS, currency, geometry, intermittent, layer, whole_layer
from tinas.cost import evaluate, evaluate_design
from tinas.cost.explorer import LayerCache
from tinas.cost.network_cost import NetworkCost, StorageUse, storage_use
from tinas.network import LayerDesign, Network
from tinas.platform import Provenance, load_platform

PROV = Provenance("test", "2026-01-01", "none")

# every layer type once, ADD with the largest feature map (§6 C2 by hand, elements):
#   layer        features = 2·max(in, out) (3× for ADD)   weights
#   CONV_0       2·max(3·8·8, 8·8·8)   = 1024              8·3·3·3  = 216
#   BN_1         2·512                 = 1024              4·8      = 32
#   RELU_2       2·512                 = 1024              0
#   ADD_3        3·512                 = 1536              0
#   CONV_4 (DW)  2·max(512, 8·4·4)     = 1024              8·1·3·3  = 72
#   CONV_5 (PW)  2·max(128, 16·4·4)    = 512               16·8·1·1 = 128
#   BN_6         2·256                 = 512               4·16     = 64
#   GAVGPOOL_7   2·max(256, 16)        = 512               0
#   FC_END       2·max(16, 10)         = 32                10·16    = 160
# × 2 B: features max 1536·2 = 3072 B, weights 672·2 = 1344 B, total 4416 B.
MIXED = Network(layers=(
    layer("CONV_0", "CONV", 0, (3, 8, 8), (8, 8, 8), (8, 3, 3, 3), 1),
    layer("BN_1", "BN", 4, (8, 8, 8), (8, 8, 8)),
    layer("RELU_2", "RELU", 5, (8, 8, 8), (8, 8, 8)),
    layer("ADD_3", "ADD", 8, (8, 8, 8), (8, 8, 8)),
    layer("CONV_4", "CONV", 3, (8, 8, 8), (8, 4, 4), (8, 1, 3, 3), 2),
    layer("CONV_5", "CONV", 2, (8, 4, 4), (16, 4, 4), (16, 8, 1, 1), 1),
    layer("BN_6", "BN", 4, (16, 4, 4), (16, 4, 4)),
    layer("GAVGPOOL_7", "GAVGPOOL", 7, (16, 4, 4), (16, 1, 1)),
    layer("FC_END", "FC", 6, (16, 1, 1), (10, 1, 1), (10, 16, 1, 1), 1),
))
MIXED_USE = StorageUse(3072, 1344, (
    ("CONV_0", 2048, 432), ("BN_1", 2048, 64), ("RELU_2", 2048, 0), ("ADD_3", 3072, 0), ("CONV_4", 2048, 144),
    ("CONV_5", 1024, 256), ("BN_6", 1024, 128), ("GAVGPOOL_7", 1024, 0), ("FC_END", 64, 320),
))

# the §10.4 tiny network and its published per-layer designs at 5 mF
TINY = Network(layers=(
    layer("CONV_0", "CONV", 0, (3, 16, 16), (8, 16, 16), (8, 3, 3, 3), 1),
    layer("BN_1", "BN", 4, (8, 16, 16), (8, 16, 16)),
    layer("RELU_2", "RELU", 5, (8, 16, 16), (8, 16, 16)),
    layer("CONV_3", "CONV", 3, (8, 16, 16), (8, 8, 8), (8, 1, 3, 3), 2),
    layer("CONV_4", "CONV", 2, (8, 8, 8), (16, 8, 8), (16, 8, 1, 1), 1),
    layer("BN_5", "BN", 4, (16, 8, 8), (16, 8, 8)),
    layer("GAVGPOOL_6", "GAVGPOOL", 7, (16, 8, 8), (16, 1, 1)),
    layer("FC_END", "FC", 6, (16, 1, 1), (10, 1, 1), (10, 16, 1, 1), 1),
))
TINY_DESIGNS = [LayerDesign.parse(f"{p}_S1") for p in (
    "8_8_8_1_reuse_O", "6_16_8_1_reuse_W", "8_16_8_1_reuse_O", "4_4_8_1_reuse_O", "4_8_16_8_reuse_O",
    "4_8_16_1_reuse_W", "4_8_16_1_reuse_O", "1_1_10_16_reuse_O")]
# §10.4 at 5 mF / 2800 Ω: L_int, L_cont_fp, T_act, T_rc, IMO, NPC
TINY_5MF = (19.8092458, 4.78747019, 6.36777869, 13.4414671, 24.817265, 28)


@pytest.fixture(scope="module")
def platform():
    return load_platform()


def failure(code, use, platform):
    """The record of a network that fails a check: every latency, time and IMO −1, nothing else costed."""
    return NetworkCost(False, None, code, -1.0, -1.0, -1.0, -1.0, -1.0, 0, use, 0, (), platform.sha256)


def test_storage_use_by_hand(platform):
    use = storage_use(MIXED, platform)
    assert use == MIXED_USE and use.total_bytes == 4416
    # the element size scales every figure
    assert storage_use(MIXED, platform.with_constants({"data_size_bytes": 3}, PROV)).total_bytes == 4416 // 2 * 3


@pytest.mark.parametrize("key, limit, message", [
    ("nvm_alloc_features_bytes", 3071, "C2 storage: feature buffers need 3072 B > 3071 B"),
    ("nvm_alloc_weights_bytes", 1343, "C2 storage: weights need 1344 B > 1343 B"),
    ("nvm_capacity_bytes", 4415, "C2 storage: 4416 B > NVM capacity 4415 B"),
])
def test_storage_check_each_limit(platform, key, limit, message):
    """C2 fails one byte below each limit and passes exactly at it (§6: pass iff need ≤ limit)."""
    tight = platform.with_constants({key: limit}, PROV)
    for cost in (evaluate(MIXED, tight, cache=None), evaluate_design(MIXED, [LayerDesign.parse("1_1_1_1_reuse_O_S1")] * 9,
                                                                    tight, power="CONT")):
        assert cost.error == message
        assert dataclasses.replace(cost, error=None) == failure(13, MIXED_USE, tight)
    at_limit = platform.with_constants({key: limit + 1}, PROV)
    ok = evaluate(MIXED, at_limit, cache=None)
    assert ok.feasible and ok.nvm == MIXED_USE


def test_feasible_record_carries_storage_and_vm(platform):
    cost = evaluate(TINY, platform, cache=None)
    assert cost.feasible and cost.error is None and cost.error_code is None
    # TINY by hand: CONV_0 2·2048 el, weights 216 + 32 + 72 + 128 + 64 + 160 = 672 el
    assert (cost.nvm.features_bytes_max, cost.nvm.weights_bytes_total) == (8192, 1344)
    assert cost.designs == TINY_DESIGNS
    assert cost.vm_bytes_max == max(geometry(lay, d).vm * 2 for lay, d in zip(TINY.layers, TINY_DESIGNS))
    assert cost.model_version == "tinas-cost-1" and cost.platform_sha256 == platform.sha256


@pytest.mark.parametrize("how", ["explored", "given"])
def test_intermittent_record_layer_by_layer(platform, how):
    """Each layer's INT figures (§4.8) and its CONT figures with the same design (§5), from the spec reference."""
    cost = evaluate(TINY, platform, cache=None) if how == "explored" else evaluate_design(TINY, TINY_DESIGNS, platform)
    assert cost.designs == TINY_DESIGNS
    E, L = currency(PUBLISHED, PUBLISHED_OPS, False), currency(PUBLISHED, PUBLISHED_OPS, True)
    sums = [0.0, 0.0, 0.0, 0]
    for lay, d, got in zip(TINY.layers, TINY_DESIGNS, cost.layers):
        w = intermittent(lay, d, PUBLISHED, PUBLISHED_OPS)
        e, lat = whole_layer(lay, d, E), whole_layer(lay, d, L)
        assert (got.name, got.design, got.power_cycles, got.vm_bytes) == (lay.name, d, w.npc, w.vm_bytes)
        assert (got.latency_s, got.active_s, got.recharge_s, got.energy_j, got.energy_use_percent,
                got.latency_continuous_s) == pytest.approx(
            (w.latency, w.active, w.recharge, w.energy, w.energy_use_percent, sum(lat)), rel=1e-9)
        assert list(got.cost_breakdown) == list(w.breakdown) and list(got.continuous_breakdown) == ["fd", "cp", "bd"]
        for k, pair in w.breakdown.items():
            assert got.cost_breakdown[k] == pytest.approx(pair, rel=1e-9)
        for k, ek, lk in zip(("fd", "cp", "bd"), e, lat):
            assert got.continuous_breakdown[k] == pytest.approx((ek, lk), rel=1e-9)
        sums = [sums[0] + w.latency, sums[1] + w.recharge, sums[2] + sum(lat), sums[3] + w.npc]
    t_act = sums[0] - sums[1]
    assert (cost.latency_intermittent_s, cost.recharge_time_s, cost.active_time_s, cost.latency_continuous_s,
            cost.imo_percent) == pytest.approx((sums[0], sums[1], t_act, sums[2], 100 * (t_act - sums[2]) / t_act),
                                               rel=1e-9)
    assert cost.power_cycles == sums[3] == TINY_5MF[5]


def test_component_totals(platform):
    """totals(): each component summed over the network, INT per power cycle × cycles, CONT once per layer."""
    cost = evaluate_design(TINY, TINY_DESIGNS, platform)
    L = currency(PUBLISHED, PUBLISHED_OPS, True)
    want_int, want_cont = dict.fromkeys(("rb", "fd", "fl", "cp", "bd", "bl"), 0.0), dict.fromkeys(("fd", "cp", "bd"), 0.0)
    for lay, d in zip(TINY.layers, TINY_DESIGNS):
        w = intermittent(lay, d, PUBLISHED, PUBLISHED_OPS)
        for k, (_, lat) in w.breakdown.items():
            want_int[k] += w.npc * lat
        for k, lat in zip(("fd", "cp", "bd"), whole_layer(lay, d, L)):
            want_cont[k] += lat
    assert want_int["rb"] == pytest.approx(28 * 0.055)  # 28 power cycles, 55 ms reboot each
    got_int, got_cont = cost.totals(), cost.totals("CONT")
    assert list(got_int) == list(want_int) and list(got_cont) == list(want_cont)
    assert got_int == pytest.approx(want_int, rel=1e-9) and got_cont == pytest.approx(want_cont, rel=1e-9)
    assert cost.totals("INT") == got_int


def test_continuous_only_record(platform):
    """power="CONT": the same designs under continuous power only; the intermittent fields are −1 (§8: npc 1)."""
    cost = evaluate_design(TINY, TINY_DESIGNS, platform, power="CONT")
    E, L = currency(PUBLISHED, PUBLISHED_OPS, False), currency(PUBLISHED, PUBLISHED_OPS, True)
    assert cost.latency_continuous_s == pytest.approx(TINY_5MF[1], rel=1e-8)
    layers, vms = [], []
    for lay, d in zip(TINY.layers, TINY_DESIGNS):
        e, lat = whole_layer(lay, d, E), whole_layer(lay, d, L)
        vm = geometry(lay, d).vm * 2
        vms.append(vm)
        got = [l for l in cost.layers if l.name == lay.name][0]
        assert list(got.continuous_breakdown) == ["fd", "cp", "bd"]
        for k, ek, lk in zip(("fd", "cp", "bd"), e, lat):
            assert got.continuous_breakdown[k] == pytest.approx((ek, lk), rel=1e-9)
        assert (got.latency_s, got.active_s, got.latency_continuous_s, got.energy_j) == pytest.approx(
            (sum(lat), sum(lat), sum(lat), sum(e)), rel=1e-9)
        layers.append(dataclasses.replace(got, latency_s=0.0, active_s=0.0, latency_continuous_s=0.0, energy_j=0.0,
                                          continuous_breakdown={}))
    want = [dict(name=lay.name, design=d, power_cycles=1, latency_s=0.0, active_s=0.0, recharge_s=0.0, energy_j=0.0,
                 energy_use_percent=0.0, latency_continuous_s=0.0, vm_bytes=vm, cost_breakdown={},
                 continuous_breakdown={}) for lay, d, vm in zip(TINY.layers, TINY_DESIGNS, vms)]
    assert [dataclasses.asdict(l) for l in layers] == want
    rest = dataclasses.replace(cost, latency_continuous_s=0.0, layers=())
    assert rest == NetworkCost(True, None, None, -1.0, 0.0, -1.0, -1.0, -1.0, 0, storage_use(TINY, platform),
                               max(vms), (), platform.sha256)


def test_designs_must_match_layers(platform):
    with pytest.raises(ValueError, match="^7 designs for 8 layers$"):
        evaluate_design(TINY, TINY_DESIGNS[:7], platform)


def test_design_failures_name_the_check(platform):
    use = storage_use(TINY, platform)
    # CONV_0 16_16_8_1 reuse_O: (18·18·1 + 3·3·8·1 + 16·16·8) el = 2444 el = 4888 B > 2048 B
    big = [LayerDesign.parse("16_16_8_1_reuse_O_S1")] + TINY_DESIGNS[1:]
    c = evaluate_design(TINY, big, platform)
    assert c.error == "C0 spatial: layer CONV_0 design 16_16_8_1_reuse_O_S1 is not feasible"
    assert dataclasses.replace(c, error=None) == failure(11, use, platform)
    c = evaluate_design(TINY, big, platform, power="CONT")
    assert c.error == "C0 spatial: layer CONV_0 design 16_16_8_1_reuse_O_S1 needs 4888 B of VM"
    assert dataclasses.replace(c, error=None) == failure(11, use, platform)
    # at 470 µF the budget is 0.00137363963 J (§2) but CONV_0's 8_8_8 tile needs 14.71 % of 0.0146131875 J
    small = platform.with_capacitor(0.00047)
    c = evaluate_design(TINY, TINY_DESIGNS, platform, ccap_f=0.00047)
    assert c.error == "C1 atomicity: layer CONV_0 design 8_8_8_1_reuse_O_S1 is not feasible"
    assert dataclasses.replace(c, error=None) == failure(12, use, small)


def test_harvester_resistance_override_scales_recharge(platform):
    """Lrc = Rehm·C·ln(...) (§2): doubling Rehm doubles every recharge and leaves the active time alone."""
    l_int, l_cont, t_act, t_rc, imo, npc = TINY_5MF
    for kw in ({"rehm_ohm": 5600.0}, {"ccap_f": 0.005, "rehm_ohm": 5600.0}):
        c = evaluate_design(TINY, TINY_DESIGNS, platform, **kw)
        assert c.recharge_time_s == pytest.approx(2 * t_rc, rel=1e-7)
        assert c.active_time_s == pytest.approx(t_act, rel=1e-7)
        assert c.latency_intermittent_s == pytest.approx(t_act + 2 * t_rc, rel=1e-7)
        assert (c.imo_percent, c.power_cycles) == (pytest.approx(imo, rel=1e-6), npc)
        assert c.platform_sha256 == platform.with_capacitor(None, 5600.0).sha256
    plain = evaluate_design(TINY, TINY_DESIGNS, platform)
    assert (plain.latency_intermittent_s, plain.recharge_time_s) == pytest.approx((l_int, t_rc), rel=1e-7)
    assert plain.nvm == storage_use(TINY, platform)


def test_explorer_capacitor_and_resistance_overrides(platform):
    """evaluate passes both overrides on: at 100 µF the table's 3100 Ω and an explicit 3100 Ω agree (§10.4)."""
    a = evaluate(TINY, platform, ccap_f=0.0001, cache=None)
    b = evaluate(TINY, platform, ccap_f=0.0001, rehm_ohm=3100.0, cache=None)
    assert a.latency_intermittent_s == pytest.approx(39.3116952, rel=1e-7) and a.power_cycles == 214
    assert b.latency_intermittent_s == a.latency_intermittent_s
    c = evaluate(TINY, platform, ccap_f=0.0001, rehm_ohm=6200.0, cache=None)
    assert c.recharge_time_s > 1.9 * a.recharge_time_s and c.platform_sha256 != a.platform_sha256


def gap(ch=1):
    return Network(layers=(layer("G", "GAVGPOOL", 7, (ch, 1, 1), (ch, 1, 1)),))


def test_layer_without_any_design(platform):
    """A GAVGPOOL of 1×1×1 has exactly one candidate (Tr = Tc = Tm = Tn = 1, reuse_O, §3.2)."""
    tiny_cap = platform.with_capacitor(1e-7, 3000.0)
    c = evaluate(gap(), platform, ccap_f=1e-7, rehm_ohm=3000.0, cache=None)
    assert c.error == ("C1 atomicity: no design of layer G fits one power cycle's energy budget "
                       "(1 candidates, 1 over budget; capacitor 1e-07 F)")
    assert dataclasses.replace(c, error=None) == failure(12, storage_use(gap(), platform), tiny_cap)
    # VM: Tri·Tci·Tm + Tm·S = 2 el = 4 B; with 3 B of VM nothing fits
    no_vm = platform.with_constants({"vm_capacity_bytes": 3}, PROV)
    c = evaluate(gap(), no_vm, cache=None)
    assert c.error == "C0 spatial: no design of layer G fits 3 B of VM"
    assert dataclasses.replace(c, error=None) == failure(11, storage_use(gap(), no_vm), no_vm)
    assert evaluate(gap(), platform.with_constants({"vm_capacity_bytes": 4}, PROV), cache=None).feasible


def test_supply_that_cannot_charge_is_an_atomicity_failure(platform):
    """A profile whose supply is below Von (never loaded from a file: the loader refuses it) fails C1."""
    caps = dict(platform.capacitor) | {"v_sup_v": 4.0}
    weak = dataclasses.replace(platform, capacitor=tuple(caps.items()))
    c = evaluate(gap(), weak, cache=None)
    assert c.error == "layer G: supply 4.0 V cannot charge to Von 4.535 V (Voff 3.29 V)"
    assert dataclasses.replace(c, error=None) == failure(12, storage_use(gap(), weak), weak)


def test_layer_cache_is_used(platform):
    """A layer shape is explored once per cache: TINY's 8 layers are 8 shapes, and a second run only hits."""
    cache = LayerCache()
    first = evaluate(TINY, platform, cache=cache)
    assert (cache.misses, cache.hits) == (8, 0)
    again = evaluate(TINY, platform, cache=cache)
    assert (cache.misses, cache.hits) == (8, 8) and again == first


def test_firmware_profiles_go_to_the_firmware_model(platform, monkeypatch):
    import tinas.cost.firmware_model as fm

    calls = []
    answer = object()

    def spy(*args, **kwargs):
        calls.append((args, kwargs))
        return answer

    monkeypatch.setattr(fm, "evaluate_firmware", spy)
    fw = platform.with_cost_model("firmware")
    assert evaluate(TINY, fw, ccap_f=0.00047, rehm_ohm=1234.0) is answer
    assert calls[-1] == ((TINY, fw), {"ccap_f": 0.00047, "rehm_ohm": 1234.0})
    designs = tuple(TINY_DESIGNS)
    assert evaluate_design(TINY, designs, fw, ccap_f=0.0001, rehm_ohm=99.0) is answer
    assert calls[-1] == ((TINY, fw, list(designs)), {"proactive": True, "ccap_f": 0.0001, "rehm_ohm": 99.0})
    assert evaluate_design(TINY, designs, fw, power="CONT") is answer
    assert calls[-1] == ((TINY, fw, list(designs)), {"proactive": False, "ccap_f": None, "rehm_ohm": None})
    assert len(calls) == 3
