"""`hil run`'s rows: the measured IMO is against the build without preservation (the reference row)."""

from __future__ import annotations

import os

import pytest

from hil.runner import RunSpec, run_spec
from tests.fw_models import IMAGE_BLOCKS, make_artifact

pytestmark = pytest.mark.emulator
PROFILES = os.path.join(os.path.dirname(__file__), "..", "power_profiles")


def test_three_rows_and_imo_against_the_reference(tmp_path):
    art = make_artifact(tmp_path / "a", dataset="DIGITS", width=0.5, resolution=8, blocks=IMAGE_BLOCKS, proactive=True)
    rows, timeline = run_spec(RunSpec("emulator", str(art.directory), os.path.join(PROFILES, "thevenin_tinas.csv"),
                                      5e-3, seed=2, timeout_s=300))
    by = {r.power_mode: r for r in rows}
    assert sorted(by) == ["continuous", "intermittent", "reference"]
    i, c, ref = by["intermittent"], by["continuous"], by["reference"]
    assert all(r.output_correct for r in rows)
    assert ref.firmware_hash != i.firmware_hash == c.firmware_hash  # the reference is its own build
    # IMO, by the original's definition, against the run without any preservation
    assert i.imo_percent == pytest.approx(100 * (i.active_time_s - ref.active_time_s) / i.active_time_s, rel=1e-12)
    assert ref.active_time_s < c.active_time_s < i.active_time_s  # commits cost; boots and recovery cost more
    layers = [x for x in timeline["layers"] if x["power_mode"] == "reference"]
    assert layers and all(x["commits"] == 0 for x in layers)
