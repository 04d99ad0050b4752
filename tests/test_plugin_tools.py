"""The plugin's tool check: a test whose programs are missing is skipped naming them on a developer's
machine, and FAILS naming them under CI=true (a CI run must never pass by skipping the emulator tests)."""

from __future__ import annotations

import os
import stat
import sys

import pytest

from hil.pytest_plugin import MARKER_TOOLS

TESTS = """
import pytest

@pytest.mark.emulator
def test_needs_the_emulator():
    pass

@pytest.mark.tools("gcc-does-not-exist-42")
def test_needs_a_named_tool():
    pass

def test_needs_nothing():
    pass
"""


def _fake_bin(tmp_path, present):
    """A PATH holding stubs of ``present`` only."""
    d = tmp_path / "bin"
    d.mkdir()
    for name in present:
        f = d / name
        f.write_text("#!/bin/sh\nexit 0\n")
        f.chmod(f.stat().st_mode | stat.S_IEXEC)
    return d


def _run(pytester, tmp_path, ci: str | None):
    pytester.makeconftest('pytest_plugins = ["hil.pytest_plugin"]\n')
    pytester.makepyfile(TESTS)
    present = [t for t in MARKER_TOOLS["emulator"] if t != "mspdebug"]
    env = {"PATH": str(_fake_bin(tmp_path, present)), "PYTHONPATH": os.pathsep.join(sys.path)}
    if ci is not None:
        env["CI"] = ci
    old = {k: os.environ.get(k) for k in ("PATH", "PYTHONPATH", "CI")}
    try:
        os.environ.pop("CI", None)
        os.environ.update(env)
        return pytester.runpytest_subprocess("-p", "no:cacheprovider", "-rsf", "-p", "no:xdist")
    finally:
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def test_missing_tool_skips_naming_it_outside_ci(pytester, tmp_path):
    r = _run(pytester, tmp_path, ci=None)
    r.assert_outcomes(passed=1, skipped=2)
    text = r.stdout.str()
    assert "missing tool(s) mspdebug needed" in text  # only the absent one is named
    assert "clang-14," not in text.split("missing tool(s)")[1].split("\n")[0]
    assert "gcc-does-not-exist-42" in text


@pytest.mark.parametrize("ci", ["true", "1"])
def test_missing_tool_fails_under_ci(pytester, tmp_path, ci):
    r = _run(pytester, tmp_path, ci=ci)
    r.assert_outcomes(passed=1, errors=2)  # failed in setup: the run exits 1
    text = r.stdout.str()
    assert "CI=true: missing tool(s) mspdebug needed" in text
    assert "CI=true: missing tool(s) gcc-does-not-exist-42" in text


def test_every_marker_tool_is_installed_by_setup():
    """scripts/setup.sh installs each program a marker needs (and the native compiler the host tests use)."""
    from pathlib import Path

    setup = (Path(__file__).resolve().parent.parent / "scripts" / "setup.sh").read_text()
    for tool in [t for tools in MARKER_TOOLS.values() for t in tools] + ["gcc", "make"]:
        assert f"{tool}:" in setup, f"scripts/setup.sh does not check for {tool}"
