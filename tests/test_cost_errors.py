"""Bad inputs to ``tinas cost`` end in one clear message (exit 2, no traceback); infeasible networks
say which check failed on which layer."""

from __future__ import annotations

import json

import pytest

from tinas.cli import main
from tinas.cost import evaluate
from tinas.network import Network
from tinas.platform import load_platform

CONV = {"name": "CONV_0", "type": "CONV", "optype": 0, "stride": 1, "pad": 1,
        "K": {"N": 8, "CH": 3, "H": 3, "W": 3}, "IFM": {"N": 1, "CH": 3, "H": 16, "W": 16},
        "OFM": {"N": 1, "CH": 8, "H": 16, "W": 16}}


def run_cli(tmp_path, capsys, payload, *extra):
    p = tmp_path / "net.json"
    p.write_text(payload if isinstance(payload, str) else json.dumps(payload))
    rc = main(["cost", str(p), *extra])
    out = capsys.readouterr()
    return rc, out.out, out.err


@pytest.mark.parametrize(
    "payload, needle",
    [
        ([{**CONV, "OFM": {"N": 1, "CH": 4, "H": 16, "W": 16}}], "K.N=8 must equal OFM.CH=4"),
        ([{**CONV, "type": "POOLX"}], "field 'type'"),
        ("this is not json", "not valid JSON"),
        ([], "has no layers"),
        ({"layers": 3}, "no layer list found"),
    ],
)
def test_bad_networks(tmp_path, capsys, payload, needle):
    rc, out, err = run_cli(tmp_path, capsys, payload)
    assert rc == 2
    assert needle in err and "Traceback" not in err


def test_capacitor_too_small_for_any_tile(tmp_path, capsys):
    rc, out, err = run_cli(tmp_path, capsys, [CONV], "--ccap", "1e-7", "--rehm", "3000", "--json")
    assert rc == 1
    data = json.loads(out)
    assert data["feasible"] is False and "C1 atomicity" in data["error"] and "CONV_0" in data["error"]


def test_unknown_capacitor_without_rehm(tmp_path, capsys):
    rc, out, err = run_cli(tmp_path, capsys, [CONV], "--ccap", "0.002")
    assert rc == 2 and "--rehm" in err


def test_json_keys_exact(tmp_path, capsys):
    rc, out, err = run_cli(tmp_path, capsys, [CONV], "--json")
    data = json.loads(out)
    assert rc == 0
    assert set(data) == {"feasible", "latency_intermittent_s", "latency_continuous_s", "active_time_s",
                         "recharge_time_s", "imo_percent", "power_cycles", "layers"}
    assert set(data["layers"][0]) == {"name", "Tr", "Tc", "Tm", "Tn", "order", "S", "power_cycles", "latency_s"}


def test_storage_check_names_c2():
    big = dict(CONV, K={"N": 512, "CH": 512, "H": 3, "W": 3}, IFM={"N": 1, "CH": 512, "H": 4, "W": 4},
               OFM={"N": 1, "CH": 512, "H": 4, "W": 4})
    cost = evaluate(Network.from_layers([big]), load_platform())
    assert not cost.feasible and cost.error_code == 13 and "C2 storage" in cost.error
