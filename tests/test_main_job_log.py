"""The main job's log, redirected to a file as `bash scripts/main-job.sh > log 2>&1` does: plain lines of
at most 300 characters, no escape sequences, an ETA before each long stage and a closing summary block
(what ran, headline errors, where everything is, wall time) - also when a stage fails.

The default test drives the real `hil pipeline` command and logging through stub stages that emit the
worst a stage can: a 900-character diagnostic, a multi-line compiler error, ANSI colour, progress bars
with long descriptions. The `slow` test runs the real job on a tiny budget (host target, 4 networks,
one profile, examples/search_quick.json).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

STUB = textwrap.dedent('''
    import json, logging, sys, types
    from pathlib import Path
    import hil.main_job as pl
    from tinas.progress import tqdm

    log = logging.getLogger("stub")
    FAIL = sys.argv[1] == "fail"

    def run_pipeline(settings, platform, out):
        out.mkdir(parents=True, exist_ok=True)
        for _ in tqdm(range(50), desc="stage 2: supernet epoch 1/30 " + "w" * 300, mininterval=0):
            pass
        bar = tqdm(total=3, desc="evolution", mininterval=0)
        for i in range(3):
            bar.set_postfix(loss=0.1 * i, note="x" * 400)
            bar.update()
        bar.close()
        log.warning("a very long diagnostic " + "z" * 900)
        log.info("\\x1b[31mcoloured\\x1b[0m line\\rwith a carriage return")
        p = out / "main_solution.json"
        p.write_text(json.dumps({"accuracy_finetuned": 90.0, "latency_intermittent_s": 1.5, "imo_percent": 10.0}))
        return {"solution": str(p)}

    def export_search_networks(search_dir, out_dir, networks, platform, **kw):
        log.error("compiling rt_layers.c for fr5994 failed:\\n" + "\\n".join("error: " + "e" * 500 for _ in range(3)))
        return [Path(out_dir) / f"net{i:02d}" for i in range(networks)]

    def run_matrix(specs, workers=1):
        if FAIL:
            from tinas.errors import TinasError
            raise TinasError("2 of 8 runs failed; first: net01 under square_wave: " + "q" * 600)
        rows = [types.SimpleNamespace(output_correct=(i != 0), run_id="r") for i in range(len(specs))]
        for _ in tqdm(specs, desc="runs", unit="run", mininterval=0):
            pass
        return rows, [{} for _ in specs]

    class Res:
        platform = types.SimpleNamespace(to_toml=lambda p: p)
        summaries = {}

    pl.run_pipeline = run_pipeline
    pl.export_search_networks = export_search_networks
    pl.run_matrix = run_matrix
    pl.write_table = lambda rows, p: p
    pl.write_layer_table = lambda rows, p: None
    pl.read_tables = lambda x: x
    pl.run_microbench_emulator = lambda base: types.SimpleNamespace(to_csv=lambda *a, **k: None)
    pl.fit_primitives = lambda mb: mb
    pl.primitive_updates = lambda x: x
    pl.calibrate = lambda *a, **k: Res()
    pl.write_report = lambda res, d, title="": Path(d) / "report.md"

    from hil.cli import main
    sys.exit(main(["pipeline", "--out", sys.argv[2], "--networks", "4", "--profile", "square_wave", "solar_june"]))
''')


def run_stubbed(tmp_path: Path, mode: str) -> tuple[int, str]:
    script = tmp_path / "stub_job.py"
    script.write_text(STUB)
    log = tmp_path / "job.log"
    env = {**os.environ, "PYTHONPATH": str(ROOT), "TINAS_PROGRESS_INTERVAL": "0"}
    with log.open("wb") as f:  # stdout and stderr into one file, as `> log 2>&1`: neither is a terminal
        rc = subprocess.run([sys.executable, str(script), mode, str(tmp_path / "job")], stdout=f,
                            stderr=subprocess.STDOUT, env=env, cwd=ROOT, timeout=300).returncode
    return rc, log.read_bytes().decode("utf-8")


def assert_plain(text: str) -> None:
    lines = text.split("\n")
    assert "\x1b" not in text, "escape sequence in the log"
    assert "\r" not in text, "carriage return in the log (a redrawn progress bar)"
    long = [(i, len(x)) for i, x in enumerate(lines) if len(x) > 300]
    assert not long, f"lines over 300 characters (line number, length): {long[:5]}"


def test_log_is_plain_and_ends_with_summary(tmp_path):
    rc, text = run_stubbed(tmp_path, "ok")
    assert rc == 0, text[-3000:]
    assert_plain(text)
    # the stubs' long content is still there, wrapped or clipped, not dropped
    assert "a very long diagnostic zzz" in text and "coloured line" in text
    # an ETA before each stage, from the nominal rates on a first run
    eta = [x for x in text.splitlines() if " - ETA " in x]
    assert [x.split("[main job] ")[1][:3] for x in eta] == ["1/5", "2/5", "3/5", "4/5"], eta
    assert all("nominal" in x for x in eta)
    summary = text[text.index("main job summary"):]
    assert "result:    done" in summary
    assert "1 of 8 runs were not bit-exact" in summary  # 4 networks x 2 profiles, the stub spoils one
    assert "compiling rt_layers.c for fr5994 failed" in summary  # the logged error is a headline
    assert str(tmp_path / "job") in summary and "measurements" in summary
    assert summary.rstrip().splitlines()[-2].startswith("wall time: ")
    # a second job in the same folder takes its ETAs from the first one's measured rates
    rc, text = run_stubbed(tmp_path, "ok")
    eta = [x for x in text.splitlines() if " - ETA " in x]
    assert rc == 0 and len(eta) == 4 and all("the previous job here" in x for x in eta)


def test_failed_stage_still_summarised(tmp_path):
    rc, text = run_stubbed(tmp_path, "fail")
    assert rc == 2
    assert_plain(text)
    summary = text[text.index("main job summary"):]
    assert "result:    FAILED: 2 of 8 runs failed" in summary
    assert "FAILED" in [ln.split()[-1] for ln in summary.splitlines() if ln.startswith("  3/5")][0]
    assert "hil: error: 2 of 8 runs failed" in text


@pytest.mark.slow
def test_real_job_tiny_budget_log_is_plain(tmp_path, sweep_budget):
    """The real job, redirected: bounded, a tiny budget on the host target; --hil-sweep=full, the README's
    main job as it is (default settings, 10 networks x 3 profiles on the emulator)."""
    log = tmp_path / "job.log"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    small = ["--settings", "DIGITS.json,examples/search_quick.json", "--networks", "4", "--profile", "square_wave",
             "--target", "host", "--workers", "2"]
    with log.open("wb") as f:
        rc = subprocess.run([sys.executable, "-m", "hil.cli", "pipeline", "--out", str(tmp_path / "job"),
                             *(small if sweep_budget == "bounded" else [])],
                            stdout=f, stderr=subprocess.STDOUT, env=env, cwd=ROOT, timeout=3600).returncode
    text = log.read_text()
    assert rc == 0, text[-3000:]
    assert_plain(text)
    assert "result:    done" in text and "wall time: " in text


def test_eta_scales_rates_by_cpu_contention(tmp_path, monkeypatch, caplog):
    """ETA = units x rate x (contention now / contention when the rate was measured)."""
    import logging

    import hil.joblog as jl

    monkeypatch.setattr(jl, "contention_probe", lambda: 2.0)
    job = jl.JobLog(tmp_path)
    with caplog.at_level(logging.INFO, logger="hil.main_job"):
        job.begin("export", "export", 5)  # nominal 1.0 s per network, twice as contended: 10 s
    assert "ETA 1.0 s (5 networks x 0.2 s" in caplog.text
    job.stages[-1].started -= 30.0  # the stage took 30 s: 6 s per network at contention 2
    job.finish()
    rec = json.loads((tmp_path / "timings.json").read_text())
    assert rec["format"] == "hil.job_timings" and rec["contention"] == 2.0
    assert rec["rates"]["export"] == pytest.approx(6.0, rel=0.01)
    monkeypatch.setattr(jl, "contention_probe", lambda: 1.0)  # an idle machine next time: half the time
    job = jl.JobLog(tmp_path)
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="hil.main_job"):
        job.begin("export", "export", 5)
    assert "ETA 15.0 s (5 networks x 3 s, rate from the previous job here" in caplog.text
    job.finish()
