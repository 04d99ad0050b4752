"""The ``dut`` fixture: one device under test (emulator by default, host or a board by option),
composed of a model artifact and a target, with ``run_inference(profile)`` and ``measure()``.

Every dut writes one log: the run's specification, what the harness told and heard from the board
(UART frames, supply commands, probe calls: the ``hil`` loggers) and the rows measured. A failing
run raises naming that log, and a failed test that used a dut shows its path in the report.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from hil.lab.address import BoardAddress
from hil.measurements import MeasurementRow
from hil.runner import RunSpec, run_spec
from tinas.errors import TinasError

LOG_KEY = pytest.StashKey[Path]()


class DutError(TinasError):
    """A dut run failed; the message names the log to read."""


@dataclass
class Dut:
    target: str
    artifact_dir: Path
    log_path: Path
    ccap_f: float | None = None
    board: BoardAddress | None = None
    timeout_s: float = 900.0
    rows: list[MeasurementRow] = field(default_factory=list)

    def spec(self, profile: str) -> RunSpec:
        return RunSpec(self.target, str(self.artifact_dir), profile, self.ccap_f, timeout_s=self.timeout_s,
                       board=self.board if self.target == "board" else None)

    def run_inference(self, profile: str = "thevenin_tinas") -> MeasurementRow:
        """Run once under ``profile`` (and once under continuous power); returns the intermittent row."""
        spec = self.spec(profile)
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        handler = logging.FileHandler(self.log_path, encoding="utf-8")
        handler.setFormatter(logging.Formatter("%(asctime)s %(name)s %(levelname)s %(message)s"))
        logger = logging.getLogger("hil")
        old_level = logger.level
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
        try:
            logger.info("run %s", spec)
            try:
                rows, _ = run_spec(spec)
            except Exception as exc:
                logger.error("run failed: %s", exc)
                raise DutError(f"{self.target} run under {profile!r} failed: {exc}\n  log: {self.log_path}") from exc
            for r in rows:
                logger.info("row %s: correct=%s power_cycles=%d latency_s=%.6g", r.power_mode, r.output_correct,
                            r.power_cycles, r.latency_s)
        finally:
            logger.removeHandler(handler)
            logger.setLevel(old_level)
            handler.close()
        self.rows += rows
        return rows[0]

    def measure(self) -> list[MeasurementRow]:
        return list(self.rows)


@pytest.fixture
def dut(request: pytest.FixtureRequest, hil_target: str, hil_board: BoardAddress | None, hil_timeout: float,
        tmp_path_factory: pytest.TempPathFactory) -> Dut:
    """Needs an ``artifact_dir`` fixture (or parametrize it indirectly) naming a 'tinas export' folder."""
    if hil_target == "board" and hil_board is None:
        pytest.skip("--hil-target board needs --hil-lg-env FILE or --hil-lg-place NAME")
    artifact_dir = request.getfixturevalue("artifact_dir")
    folder = request.config.getoption("--hil-log-dir")
    logs = Path(folder) if folder else tmp_path_factory.getbasetemp() / "hil-logs"
    log = logs / (re.sub(r"[^\w.-]+", "_", request.node.nodeid).strip("_") + ".log")
    request.node.stash[LOG_KEY] = log
    return Dut(hil_target, Path(artifact_dir), log, board=hil_board, timeout_s=hil_timeout)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    outcome = yield
    report = outcome.get_result()
    log = item.stash.get(LOG_KEY, None)
    if log is not None and report.failed:
        report.sections.append(("hil dut log", f"{log}" + ("" if log.exists() else " (not written: no run started)")))
