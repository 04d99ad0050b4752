"""The C runtime on the host: bit-exact with the Python reference for every layer kind, whatever the
tiling, and under power failures at every NVM write (the sweep can fail: a broken build is caught)."""

from __future__ import annotations

import pytest

from hil.drivers.host_process import HostDevice, build_host_firmware
from hil.sweep import failure_sweep
from tests.fw_models import IMAGE_BLOCKS, SERIES_BLOCKS, alternative_designs, make_artifact

pytestmark = pytest.mark.tools("gcc", "make")


@pytest.fixture(scope="module")
def exe():
    return build_host_firmware()


@pytest.fixture(scope="module")
def broken_exe():
    return build_host_firmware(broken=True)


CASES = {
    "image-2d": dict(dataset="DIGITS", width=0.5, resolution=8, blocks=IMAGE_BLOCKS),
    "image-12px": dict(dataset="DIGITS", width=0.7, resolution=12, blocks=([1, 7, 1, True], [6, 1, 3, True], [3, 5, 2, False])),
    "series-1d": dict(dataset="MOTION", width=0.6, resolution=32, blocks=SERIES_BLOCKS),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_continuous_power_bit_exact(tmp_path, exe, case):
    art = make_artifact(tmp_path / "a", **CASES[case])
    kinds = {f.kind for f in art.record.firmware_layers}
    assert {"CONV", "DW", "RELU", "GAP", "FC"} <= kinds
    s = HostDevice(exe, art, tmp_path / "nvm").run()
    assert s.correct and s.restarts == 0
    assert s.ctrl["done"] == 1 and s.ctrl["boot_count"] == 1


@pytest.mark.parametrize("case", sorted(CASES))
@pytest.mark.parametrize("seed", [1, 2])
def test_any_tiling_gives_the_same_output(tmp_path, exe, case, seed):
    designs = alternative_designs(seed=seed, **CASES[case])
    art = make_artifact(tmp_path / "a", designs=designs, **CASES[case])
    assert any(d.order != "reuse_O" for d in designs) and any(d.S > 1 for d in designs)
    s = HostDevice(exe, art, tmp_path / "nvm").run(yield_mode=True)
    assert s.correct
    assert s.restarts > 10  # proactive shutdown after every committed batch


def test_adds_are_exercised(tmp_path, exe):
    art = make_artifact(tmp_path / "a", **CASES["image-2d"])
    assert sum(f.kind == "ADD" for f in art.record.firmware_layers) >= 2


@pytest.mark.slow
def test_failure_at_every_nvm_write(tmp_path, exe, sweep_budget):
    art = make_artifact(tmp_path / "a", **CASES["image-2d"])
    rep = failure_sweep(HostDevice(exe, art, tmp_path / "nvm"), budget=None if sweep_budget == "full" else 200)
    assert rep.points_tried >= 400 and rep.failures_injected == rep.points_tried
    assert rep.all_correct, f"wrong output after failures at {rep.wrong_outputs[:5]}"


@pytest.mark.slow
def test_failure_sweep_with_odd_tiling_and_1d(tmp_path, exe, sweep_budget):
    designs = alternative_designs(seed=3, **CASES["series-1d"])
    art = make_artifact(tmp_path / "a", designs=designs, **CASES["series-1d"])
    rep = failure_sweep(HostDevice(exe, art, tmp_path / "nvm"), budget=None if sweep_budget == "full" else 150)
    assert rep.all_correct, f"wrong output after failures at {rep.wrong_outputs[:5]}"


def test_broken_preservation_is_caught(tmp_path, broken_exe):
    art = make_artifact(tmp_path / "a", **CASES["image-2d"])
    rep = failure_sweep(HostDevice(broken_exe, art, tmp_path / "nvm"), budget=60)
    assert not rep.all_correct and len(rep.wrong_outputs) > 10
