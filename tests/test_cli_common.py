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
