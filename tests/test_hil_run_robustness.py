"""``hil run`` under bad input and faults (issue 16): inputs validated before any run, the output
locked, finished runs kept on a failure or Ctrl-C, pool workers dying with their parent."""

from __future__ import annotations

import dataclasses
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from filelock import FileLock

import hil.runner as runner
from hil.cli import main
from hil.measurements import MeasurementRow
from tests.test_export import random_inputs, random_weights, small_net
from tinas.cost import evaluate
from tinas.errors import TinasError
from tinas.export import export_model
from tinas.platform import load_platform

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def art(tmp_path_factory):
    d = tmp_path_factory.mktemp("art") / "a"
    net = small_net()
    p = load_platform()
    rng = np.random.default_rng(1)
    export_model(net, evaluate(net, p).designs, random_weights(net, rng), random_inputs((8, 8, 1), 8, rng), d,
                 platform=p)
    return d


def fake_rows(spec):
    base = {f.name: 0 for f in dataclasses.fields(MeasurementRow)}
    base.update(run_id=f"r{spec.seed}{spec.profile}", timestamp="t", target_kind="host", target_id="h",
                firmware_hash="f", artifact_hash="a", artifact_name="a", profile=spec.profile, profile_hash="p",
                ccap_f=0.005, output_correct=True, cost_model_version="v", platform_hash="p", predicted_components="{}")
    base.pop("format"), base.pop("version")
    rows = [MeasurementRow(**{**base, "power_mode": m, "latency_s": 1.0, "active_time_s": 1.0}) for m in
            ("intermittent", "continuous")]
    return rows, {"events": [], "voltage": []}


def _args(art, out, *extra):
    return ["run", "--target", "host", "--artifact", str(art), "--out", str(out), *extra]


def test_bad_profile_among_three_fails_before_any_run(art, tmp_path, monkeypatch, capsys):
    calls = []
    monkeypatch.setattr(runner, "run_spec", lambda s: calls.append(s) or fake_rows(s))
    out = tmp_path / "m.csv"
    rc = main(_args(art, out, "--profile", "square_wave", "no_such_profile", "constant_weak"))
    err = capsys.readouterr().err
    assert rc == 2 and "no_such_profile" in err and "nothing was run" in err
    assert calls == [] and not out.exists()


def test_a_second_writer_of_the_same_out_is_refused(art, tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(runner, "run_spec", fake_rows)
    out = tmp_path / "m.csv"
    with FileLock(str(tmp_path / ".m.csv.lock")):  # as a concurrent 'hil run' holds it
        assert main(_args(art, out)) == 2
    assert "another 'hil run'" in capsys.readouterr().err and not out.exists()
    assert main(_args(art, out)) == 0 and len(pd.read_csv(out)) == 2
    shown = capsys.readouterr().out
    assert "cpu_cycles" not in shown and "modelled_cycles" not in shown  # no legend for columns not shown
    assert "1 run (2 rows" in shown
    before = out.read_bytes()
    assert main(_args(art, out)) == 2 and out.read_bytes() == before  # exists: refused without --force
    assert "--force" in capsys.readouterr().err
    assert main(_args(art, out, "--force")) == 0


def test_a_failing_run_keeps_the_finished_ones(art, tmp_path, monkeypatch, capsys):
    def spec_fails_on_second(s):
        if s.profile == "constant_weak":
            raise TinasError("board timed out")
        return fake_rows(s)

    monkeypatch.setattr(runner, "run_spec", spec_fails_on_second)
    out = tmp_path / "m.csv"
    rc = main(_args(art, out, "--profile", "square_wave", "constant_weak", "constant_strong"))
    err = capsys.readouterr().err
    assert rc == 2 and "board timed out" in err and "2 of 3 runs finished" in err
    part = pd.read_csv(tmp_path / "m.partial.csv")
    assert sorted(set(part["profile"])) == ["constant_strong", "square_wave"] and len(part) == 4
    assert not out.exists()


def test_ctrl_c_writes_the_finished_runs(art, tmp_path, monkeypatch, capsys):
    def interrupted_on_second(s):
        if s.seed == 1:
            raise KeyboardInterrupt
        return fake_rows(s)

    monkeypatch.setattr(runner, "run_spec", interrupted_on_second)
    out = tmp_path / "m.csv"
    rc = main(_args(art, out, "--repeat", "3"))
    err = capsys.readouterr().err
    assert rc == 130 and "interrupted" in err and "m.partial.csv" in err
    assert len(pd.read_csv(tmp_path / "m.partial.csv")) == 2 and not out.exists()


@pytest.mark.parametrize("flag", [["--ccap", "0"], ["--repeat", "0"], ["--workers", "0"], ["--timeout", "-1"],
                                  ["--ccap", "nan"]])
def test_impossible_numbers_are_usage_errors(art, tmp_path, capsys, flag):
    with pytest.raises(SystemExit) as e:
        main(_args(art, tmp_path / "m.csv", *flag))
    assert e.value.code == 2 and flag[0] in capsys.readouterr().err and not (tmp_path / "m.csv").exists()


def test_run_has_rehm(art, tmp_path, monkeypatch):
    seen = []
    monkeypatch.setattr(runner, "run_spec", lambda s: seen.append(s) or fake_rows(s))
    assert main(_args(art, tmp_path / "m.csv", "--ccap", "0.001", "--rehm", "1500")) == 0
    assert seen[0].rehm_ohm == 1500.0


def test_pool_workers_die_with_a_killed_parent(tmp_path):
    script = textwrap.dedent("""
        import os, sys, time
        sys.path.insert(0, %r)
        from hil.runner import make_pool
        pool = make_pool(2)
        futs = [pool.submit(time.sleep, 120) for _ in range(2)]
        time.sleep(1.5)
        print(" ".join(str(p) for p in pool._processes), flush=True)
        time.sleep(120)
    """ % str(ROOT))
    p = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    pids = [int(x) for x in p.stdout.readline().split()]
    assert len(pids) == 2
    os.kill(p.pid, signal.SIGKILL)
    p.wait()
    deadline = time.monotonic() + 10
    alive = pids
    while alive and time.monotonic() < deadline:
        alive = [q for q in pids if _alive(q)]
        time.sleep(0.1)
    for q in alive:  # clean up before failing
        os.kill(q, signal.SIGKILL)
    assert alive == []


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split()[2] != "Z"
    except FileNotFoundError:
        return False


def test_a_nanowatt_profile_is_refused_before_running(art, tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(runner, "run_spec", lambda s: pytest.fail("must not run"))
    prof = tmp_path / "nw.csv"
    prof.write_text("# name: nw\n# kind: synthetic\n# source: test\n# licence: CC0\ntime_s,power_w\n0,1e-9\n1,1e-9\n")
    rc = main(_args(art, tmp_path / "m.csv", "--profile", str(prof), "--ccap", "0.00047"))
    err = capsys.readouterr().err
    assert rc == 2 and "never reaches Von" in err and "leak" in err and not (tmp_path / "m.csv").exists()
