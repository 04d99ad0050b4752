"""The ``dut`` fixture: one device under test (emulator by default, host or a board by option),
composed of a model artifact and a target, with ``run_inference(profile)`` and ``measure()``."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pytest

from hil.measurements import MeasurementRow
from hil.runner import RunSpec, run_spec


@dataclass
class Dut:
    target: str
    artifact_dir: Path
    ccap_f: float | None = None
    rows: list[MeasurementRow] = field(default_factory=list)

    def run_inference(self, profile: str = "thevenin_tinas") -> MeasurementRow:
        """Run once under ``profile`` (and once under continuous power); returns the intermittent row."""
        rows, _ = run_spec(RunSpec(self.target, str(self.artifact_dir), profile, self.ccap_f))
        self.rows += rows
        return rows[0]

    def measure(self) -> list[MeasurementRow]:
        return list(self.rows)


@pytest.fixture
def dut(request: pytest.FixtureRequest, hil_target: str) -> Dut:
    """Needs an ``artifact_dir`` fixture (or parametrize it indirectly) naming a 'tinas export' folder."""
    artifact_dir = request.getfixturevalue("artifact_dir")
    return Dut(hil_target, Path(artifact_dir))
