"""The pytest plugin through pytester: its pytest11 entry point loads it, every --hil-* option reaches
the run it configures, a failing dut names its log, and board tests skip cleanly without a board."""

from __future__ import annotations

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

FAKE_RUN = """
import pytest
from tinas.errors import TinasError

SEEN = []

@pytest.fixture
def artifact_dir(tmp_path):
    return tmp_path

@pytest.fixture(autouse=True)
def no_real_runs(monkeypatch):
    def fake(spec):
        SEEN.append(spec)
        import logging
        logging.getLogger("hil.lab.uart").info("frame BOOT seq 0 (what a board would have said)")
        raise TinasError("board lp9: no DONE frame within 1 s: the board stopped answering")
    monkeypatch.setattr("hil.pytest_plugin.dut_fixture.run_spec", fake)
"""


def test_entry_point_loads_the_plugin(pytester):
    """A distribution declaring pyproject's pytest11 entry point is enough: no conftest, no -p."""
    eps = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["entry-points"]["pytest11"]
    assert eps == {"hil.pytest_plugin": "hil.pytest_plugin"}
    dist = pytester.mkdir("site") / "tinas_hil_probe-0.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: tinas-hil-probe\nVersion: 0.0\n")
    (dist / "entry_points.txt").write_text("[pytest11]\n" + "".join(f"{k} = {v}\n" for k, v in eps.items()))
    pytester.syspathinsert(pytester.path / "site")
    pytester.makepyfile("""
def test_plugin_is_there(request, hil_target, sweep_budget):
    assert request.config.pluginmanager.has_plugin("hil.pytest_plugin")
    assert (hil_target, sweep_budget) == ("emulator", "bounded")
""")
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)
    assert any("hil: target emulator" in line for line in result.outlines)


def test_board_options_reach_the_run(pytester, monkeypatch):
    monkeypatch.setenv("PYTEST_XDIST_WORKER", "gw1")  # the second worker takes the second place
    pytester.makeconftest(FAKE_RUN)
    pytester.makepyfile("""
import pytest
from hil.pytest_plugin.dut_fixture import DutError
from conftest import SEEN

def test_spec(dut):
    with pytest.raises(DutError):
        dut.run_inference("square_wave")
    s = SEEN[-1]
    assert (s.target, s.profile, s.timeout_s) == ("board", "square_wave", 12.5)
    assert (s.board.place, s.board.env, s.board.coordinator, s.board.wait_s) == ("lpB", None, "127.0.0.1:1", 3.0)
""")
    result = pytester.runpytest("-p", "hil.pytest_plugin", "-p", "no:cacheprovider", "--hil-lg-place", "lpA,lpB",
                                "--hil-lg-coordinator", "127.0.0.1:1", "--hil-lg-wait", "3", "--hil-timeout", "12.5")
    result.assert_outcomes(passed=1)
    assert any("hil: target board (place lpB at 127.0.0.1:1)" in line for line in result.outlines)


def test_environment_file_option_and_target_override(pytester):
    pytester.makeconftest(FAKE_RUN)
    pytester.makepyfile("""
import pytest
from hil.pytest_plugin.dut_fixture import DutError
from conftest import SEEN

def test_spec(dut, hil_target):
    with pytest.raises(DutError):
        dut.run_inference()
    s = SEEN[-1]
    if hil_target == "board":
        assert s.board.env == "bench.yaml" and s.board.place is None
    else:
        assert s.target == "emulator" and s.board is None
""")
    pytester.runpytest("-p", "hil.pytest_plugin", "--hil-lg-env", "bench.yaml").assert_outcomes(passed=1)
    pytester.runpytest("-p", "hil.pytest_plugin", "--hil-lg-env", "bench.yaml",
                       "--hil-target", "emulator").assert_outcomes(passed=1)


def test_failing_dut_names_its_log(pytester, tmp_path):
    pytester.makeconftest(FAKE_RUN)
    pytester.makepyfile("""
def test_inference(dut):
    dut.run_inference("square_wave")
""")
    logs = tmp_path / "logs"
    result = pytester.runpytest("-p", "hil.pytest_plugin", "--hil-lg-place", "lp9", "--hil-log-dir", str(logs))
    result.assert_outcomes(failed=1)
    (log,) = logs.glob("*.log")
    text = result.stdout.str()
    assert f"log: {log}" in text and "hil dut log" in text and "stopped answering" in text
    body = log.read_text()
    assert "place='lp9'" in body and "frame BOOT" in body and "run failed" in body


def test_board_tests_skip_cleanly_without_a_board(pytester):
    pytester.makeconftest(FAKE_RUN)
    pytester.makepyfile("""
import pytest

@pytest.mark.board
def test_needs_board():
    raise AssertionError("must not run")

def test_dut_on_board(dut):
    raise AssertionError("must not run")
""")
    result = pytester.runpytest("-p", "hil.pytest_plugin", "-rs", "--hil-target", "board")
    result.assert_outcomes(skipped=2)
    assert "--hil-lg-env FILE or --hil-lg-place NAME" in result.stdout.str()
    assert not any("must not run" in line for line in result.outlines)
