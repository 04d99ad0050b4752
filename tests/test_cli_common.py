"""Behaviour shared by both CLIs (issue 15): --version, -q, progress bars readable when redirected,
a closed stdout pipe."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tinas.progress import tqdm

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize("mod", ["tinas.cli", "hil.cli"])
def test_version(mod):
    r = subprocess.run([sys.executable, "-m", mod, "--version"], capture_output=True, text=True, cwd=ROOT,
                       env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert r.returncode == 0 and r.stdout.split()[0] in ("tinas", "hil") and r.stdout.split()[1][0].isdigit()


def test_progress_is_line_mode_when_redirected():
    buf = io.StringIO()  # not a TTY
    for _ in tqdm(range(200_000), desc="work", file=buf, mininterval=0.0, miniters=20_000):
        pass
    text = buf.getvalue()
    assert "\r" not in text
    lines = [ln for ln in text.splitlines() if ln]
    assert 2 <= len(lines) <= 20 and max(map(len, lines)) < 200
    assert "200000/200000" in lines[-1]


def test_quiet_disables_progress(monkeypatch):
    from tinas import progress

    monkeypatch.setattr(progress, "_QUIET", True)
    buf = io.StringIO()
    for _ in tqdm(range(10), file=buf):
        pass
    assert buf.getvalue() == ""


@pytest.mark.parametrize("cmd", ["microbench", "pipeline", "run", "calibrate", "profiles"])
def test_every_flag_has_help(cmd):
    import argparse

    import hil.commands
    from tinas.cli import build_parser

    parser = build_parser("hil", "", hil.commands)
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction)).choices[cmd]
    missing = [a.option_strings or a.dest for a in sub._actions
               if a.help is None and not isinstance(a, argparse._HelpAction)]
    assert missing == [], f"hil {cmd}: flags without help: {missing}"


def test_pipeline_capacitor_error_suggests_a_flag_it_has(tmp_path, capsys):
    from hil.cli import main

    assert main(["pipeline", "--ccap", "0.002", "--out", str(tmp_path / "job")]) == 2
    err = capsys.readouterr().err
    assert "--rehm" in err
    with pytest.raises(SystemExit):
        main(["pipeline", "--help"])
    assert "--rehm" in capsys.readouterr().out


def test_line_mode_rate_limits_explicit_refreshes():
    buf = io.StringIO()
    bar = tqdm(range(1000), desc="train", file=buf, mininterval=3600)
    for _ in bar:
        bar.set_postfix(loss="1.0")  # refreshes on every step in tqdm
    lines = [ln for ln in buf.getvalue().splitlines() if ln]
    assert len(lines) <= 3 and "1000/1000" in lines[-1]
