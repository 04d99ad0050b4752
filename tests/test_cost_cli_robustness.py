"""``tinas cost`` and the search settings under bad input (issues 15 and 16): solutions written by
'tinas search' are read; impossible numbers are refused with exit 2; a closed pipe is quiet."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.test_cost_errors import CONV
from tinas.cli import main
from tinas.cost import evaluate
from tinas.errors import TinasError
from tinas.network import Network, NetworkError
from tinas.platform import load_platform
from tinas.settings import load_settings
from tinas.solution import Solution

ROOT = Path(__file__).resolve().parent.parent
GAP = {"name": "GAP", "type": "GAVGPOOL", "optype": 8, "K": {}, "IFM": {"N": 1, "CH": 8, "H": 16, "W": 16},
       "OFM": {"N": 1, "CH": 8, "H": 1, "W": 1}}


def solution_dict(**changes) -> dict:
    net = Network.from_layers([CONV])
    cost = evaluate(net, load_platform(), ccap_f=0.00047)
    sol = Solution(settings={}, dataset="DIGITS", choices=[], width=0.5, resolution=16, network=net,
                   designs=cost.designs, accuracy_supernet=50.0, accuracy_finetuned=60.0,
                   latency_intermittent_s=cost.latency_intermittent_s, latency_continuous_s=cost.latency_continuous_s,
                   active_time_s=cost.active_time_s, recharge_time_s=cost.recharge_time_s,
                   imo_percent=cost.imo_percent, power_cycles=cost.power_cycles, score=1.0, weights_path="w.npz",
                   weights_sha256="0" * 64, platform="msp430fr5994", platform_sha256="0" * 64, ccap_f=0.00047)
    return {**sol.to_dict(), **changes}


def test_cost_reads_a_search_solution_at_its_capacitor(tmp_path, capsys):
    p = tmp_path / "s_solution.json"
    p.write_text(json.dumps(solution_dict()))
    assert main(["cost", str(p), "--json"]) == 0
    got = json.loads(capsys.readouterr().out)
    want = evaluate(Network.from_layers([CONV]), load_platform(), ccap_f=0.00047)
    assert got["power_cycles"] == want.power_cycles
    assert got["latency_intermittent_s"] == pytest.approx(want.latency_intermittent_s)


@pytest.mark.parametrize("field, value", [("resolution", -32), ("resolution", 0), ("width", -0.5), ("ccap_f", 0.0)])
def test_impossible_solution_fields_are_refused(tmp_path, capsys, field, value):
    p = tmp_path / "s_solution.json"
    p.write_text(json.dumps(solution_dict(**{field: value})))
    assert main(["cost", str(p)]) == 2
    err = capsys.readouterr().err
    assert field in err and "Traceback" not in err


@pytest.mark.parametrize("flag", [["--ccap", "0"], ["--ccap", "-1e-3"], ["--ccap", "nan"], ["--rehm", "0"]])
def test_impossible_cost_flags_are_usage_errors(tmp_path, capsys, flag):
    p = tmp_path / "n.json"
    p.write_text(json.dumps([CONV]))
    with pytest.raises(SystemExit) as e:
        main(["cost", str(p), *flag])
    assert e.value.code == 2 and flag[0] in capsys.readouterr().err


@pytest.mark.parametrize("overlay, needle", [
    ({"NAS_EVOSEARCH_SETTINGS": {"POP_SIZE": 7.5}}, "whole number"),
    ({"PLATFORM_SETTINGS": {"LAT_E2E_REQ": float("nan")}}, "finite"),
    ({"PLATFORM_SETTINGS": {"LAT_E2E_REQ": -5.0}}, "LAT_E2E_REQ must be positive"),
    ({"PLATFORM_SETTINGS": {"CCAP": 0.0}}, "CCAP must be positive"),
])
def test_impossible_settings_are_refused(overlay, needle):
    with pytest.raises(TinasError, match=needle):
        load_settings(["DIGITS.json"], overrides=overlay)


def test_integral_float_setting_is_accepted_as_int():
    s = load_settings(["DIGITS.json"], overrides={"NAS_EVOSEARCH_SETTINGS": {"POP_SIZE": 8.0}})
    assert s["NAS_EVOSEARCH_SETTINGS"]["POP_SIZE"] == 8 and isinstance(s["NAS_EVOSEARCH_SETTINGS"]["POP_SIZE"], int)


def test_search_nan_latreq_exits_2(tmp_path, capsys):
    rc = main(["search", "--settings", "DIGITS.json,TiNAS-test.json", "--latreq", "nan", "--out", str(tmp_path)])
    assert rc == 2 and "finite" in capsys.readouterr().err


def test_kernel_larger_than_the_padded_input_is_refused():
    big = {**CONV, "pad": 1, "K": {"N": 8, "CH": 3, "H": 7, "W": 7}, "IFM": {"N": 1, "CH": 3, "H": 2, "W": 2},
           "OFM": {"N": 1, "CH": 8, "H": 2, "W": 2}}
    with pytest.raises(NetworkError, match=r"kernel height 7 larger than the padded input \(2 \+ 2·1\)"):
        Network.from_layers([big])
    ok = {**big, "pad": 3}  # 'same' padding: 2 + 6 >= 7
    Network.from_layers([ok])


def test_closed_stdout_pipe_is_quiet():
    sol = ROOT / "tests/data/tinas-solutions/TiNAS_CIFAR10-LAT-perc75-CCAP0.005_best_solution_info.json"
    p = subprocess.Popen([sys.executable, "-m", "tinas.cli", "cost", "--json", str(sol)], cwd=ROOT,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, env={**os.environ, "PYTHONPATH": str(ROOT)})
    p.stdout.close()  # the reader went away before anything was written (as `| head` does)
    err = p.stderr.read().decode()
    p.wait(timeout=120)
    assert "Traceback" not in err and "BrokenPipeError" not in err
    assert p.returncode == 141


def test_cost_cli_does_not_import_torch_or_matplotlib():
    code = ("import sys, tinas.cli, tinas.commands; tinas.cli.discover(tinas.commands); "
            "print(sorted(m for m in ('torch', 'matplotlib', 'pandas', 'sklearn') if m in sys.modules))")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT,
                       env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert r.stdout.strip() == "[]", r.stderr
