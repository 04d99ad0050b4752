"""The cost model reproduces the 12 solutions published with the original TiNAS (original-tinas.md, cost model §10.6).

Expected values are the original code's own outputs: the network-level table of the reference and the
per-layer designs, latencies and breakdowns stored inside each solution file.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tinas.cost import evaluate, evaluate_design
from tinas.network import LayerDesign, Network
from tinas.platform import load_platform

SOLUTIONS = Path(__file__).parent / "data" / "tinas-solutions"

# file prefix -> (L_int, L_cont_fp, T_act, T_rc, IMO %, NPC, layers); reference table §10.6
PUBLISHED = {
    "TiNAS-M_CIFAR10-IMO-perc2-LAT-perc25-CCAP0.005": (246.05096689807115, 57.391311, 79.06584449999997, 166.98512239807118, 27.41327008781899, 388, 71),
    "TiNAS-M_CIFAR10-IMO-perc2-LAT-perc75-CCAP0.005": (414.71807096091857, 93.90362387499994, 133.84769193749992, 280.87037902341865, 29.842926302495997, 719, 78),
    "TiNAS-M_HAR-IMO-perc4-LAT-perc75-CCAP0.005": (27.91360842178348, 5.198183875000001, 10.403878312500002, 17.509730109283478, 50.03609501319799, 93, 37),
    "TiNAS-M_HAR-IMO-perc46-LAT-perc25-CCAP0.005": (17.87364818992495, 3.0949898749999996, 6.936514812500004, 10.937133377424946, 55.38119706134488, 69, 37),
    "TiNAS-U_CIFAR10-LAT-perc25-CCAP0.005": (229.6970457295882, 47.0043536875, 81.43269143749993, 148.26435429208829, 42.278275643663186, 620, 70),
    "TiNAS-U_CIFAR10-LAT-perc75": (419.39311224647656, 78.49225231249999, 157.12472199999996, 262.2683902464766, 50.044619768682864, 1417, 70),
    "TiNAS-U_HAR-LAT-perc25-CCAP0.005": (18.30123729797925, 2.8695906875000015, 7.481607250000007, 10.819630047979242, 61.644729646828246, 83, 64),
    "TiNAS-U_HAR-LAT-perc75-CCAP0.005": (32.204553505092115, 5.606582312500005, 12.47017262500001, 19.734380880092104, 55.04005853728108, 123, 63),
    "TiNAS_CIFAR10-LAT-perc25-CCAP0.005": (238.87490668897124, 52.885902812500014, 80.5601265, 158.31478018897124, 34.35225947354984, 497, 81),
    "TiNAS_CIFAR10-LAT-perc75-CCAP0.005": (393.04149907297864, 86.87806043749995, 130.05594656250025, 262.9855525104784, 33.19947089405139, 778, 90),
    "TiNAS_HAR-LAT-perc25-CCAP0.005": (18.409940038220185, 3.0205869999999995, 7.358874124999998, 11.051065913220187, 58.95313673407887, 78, 55),
    "TiNAS_HAR-LAT-perc75-CCAP0.005": (32.91753266888943, 5.823143062499997, 12.629139937500007, 20.288392731389422, 53.89121435570446, 122, 55),
}
REL = 1e-9


def solution_file(prefix: str) -> Path:
    return SOLUTIONS / f"{prefix}_best_solution_info.json"


def stored_designs(path: Path) -> list[dict]:
    data = json.loads(re.sub(r",(\s*[}\]])", r"\1", path.read_text()))[0]
    info = data.get("subnet_latency_info", data)
    return info.get("perf_exec_design_intpow", info.get("perf_exec_design"))


@pytest.fixture(scope="module")
def platform():
    return load_platform()


@pytest.mark.parametrize("prefix", sorted(PUBLISHED))
def test_network_totals_match_published(prefix, platform):
    l_int, l_cont, t_act, t_rc, imo, npc, nlayers = PUBLISHED[prefix]
    net = Network.load(solution_file(prefix))
    assert len(net.layers) == nlayers
    cost = evaluate(net, platform, cache=None)
    assert cost.feasible
    assert cost.latency_intermittent_s == pytest.approx(l_int, rel=REL)
    assert cost.latency_continuous_s == pytest.approx(l_cont, rel=REL)
    assert cost.active_time_s == pytest.approx(t_act, rel=REL)
    assert cost.recharge_time_s == pytest.approx(t_rc, rel=REL)
    assert cost.imo_percent == pytest.approx(imo, rel=REL)
    assert cost.power_cycles == npc


@pytest.mark.parametrize("prefix", sorted(PUBLISHED))
def test_every_layer_design_and_latency_match(prefix, platform):
    path = solution_file(prefix)
    cost = evaluate(Network.load(path), platform)
    stored = stored_designs(path)
    assert [s["layer"] for s in stored] == [l.name for l in cost.layers]
    for s, l in zip(stored, cost.layers):
        assert l.design == LayerDesign.parse(s["params"]), l.name
        assert l.latency_s == pytest.approx(s["Le2e"], rel=REL), l.name
        assert l.power_cycles == int(s["npc"] if not isinstance(s["npc"], list) else s["npc"][0]), l.name
        for comp, (e, lat) in s["cost_brk"].items():
            assert l.cost_breakdown[comp][0] == pytest.approx(e, rel=REL), (l.name, comp)
            assert l.cost_breakdown[comp][1] == pytest.approx(lat, rel=REL), (l.name, comp)


def test_fixed_design_reproduces_explored_result(platform):
    prefix = "TiNAS_HAR-LAT-perc25-CCAP0.005"
    net = Network.load(solution_file(prefix))
    designs = [LayerDesign.parse(s["params"]) for s in stored_designs(solution_file(prefix))]
    fixed = evaluate_design(net, designs, platform, power="INT")
    assert fixed.latency_intermittent_s == pytest.approx(PUBLISHED[prefix][0], rel=REL)
    assert fixed.imo_percent == pytest.approx(PUBLISHED[prefix][4], rel=REL)
    cont = evaluate_design(net, designs, platform, power="CONT")
    assert cont.latency_continuous_s == pytest.approx(PUBLISHED[prefix][1], rel=REL)
