"""The emulator target (the fr5994 ELF on the FR5994 twin): bit-exact under continuous power and under
power failures at random cycles (SRAM garbage, FRAM and external FRAM kept), serial frames on a
pseudo-terminal, 1-D networks, a model far beyond the old 36 KiB window; the mspdebug driver (kept for
the flashing tool and the equivalence tests) still reports its errors."""

from __future__ import annotations

import time

import numpy as np
import pytest
import serial

from hil.drivers.mspdebug_sim import MspdebugSim, SimulatorError, SimulatorTimeout
from hil.power.simple import ContinuousPower, FixedBudgetPower
from hil.serial_protocol import FrameParser, FrameType
from hil.targets.emulator import EmulatorError, EmulatorTarget
from tests.fw_models import IMAGE_BLOCKS, SERIES_BLOCKS, make_artifact

pytestmark = pytest.mark.emulator


@pytest.fixture(scope="module")
def image_artifacts(tmp_path_factory):
    d = tmp_path_factory.mktemp("emu")
    return {
        "proactive": make_artifact(d / "p", dataset="DIGITS", width=0.5, resolution=8, blocks=IMAGE_BLOCKS).directory,
        "brownout": make_artifact(d / "b", dataset="DIGITS", width=0.5, resolution=8, blocks=IMAGE_BLOCKS,
                                  proactive=False).directory,
    }


def test_sim_driver_errors(tmp_path):
    with MspdebugSim() as sim:
        with pytest.raises(SimulatorError, match="does not exist"):
            sim.prog(tmp_path / "nope.elf")
    with pytest.raises(SimulatorError, match="not found"):
        MspdebugSim(exe="mspdebug-not-installed")


def test_hanging_simulator_is_interrupted(tmp_path):
    """The mspdebug driver stops a run that never reaches a breakpoint and stays usable."""
    from tests.twin_progs import build_program

    elf = build_program(tmp_path, {"h.c": "int main(void) { for (;;) {} }\n"})
    with MspdebugSim() as sim:
        sim.prog(elf)
        sim.cmd("reset")
        with pytest.raises(SimulatorTimeout, match="interrupted"):
            sim.run(timeout=0.5)
        assert sim.regs()["PC"] != 0  # the simulator still answers after \\break


def test_continuous_power_bit_exact_and_frames(image_artifacts):
    with EmulatorTarget() as t:
        t.load(image_artifacts["proactive"])
        port = serial.Serial(t.serial_port, timeout=0)
        r = t.run(ContinuousPower(), timeout_s=120)
        data, idle = b"", 0
        while idle < 20:  # a pty hands over its buffer in pieces
            got = port.read(65536)
            data, idle = data + got, (0 if got else idle + 1)
            time.sleep(0.01)
        port.close()
    assert r.completed and r.output_correct
    frames = FrameParser().feed(data)
    done = [f.fields() for f in frames if f.type == FrameType.DONE][-1]
    # the counters committed to NVM (read back by the target) are those the firmware reported at the end:
    # a counter kept in RAM only would differ
    assert (done["compute_cycles"], done["preserve_cycles"], done["recover_cycles"]) == (
        r.compute_cycles, r.preserve_cycles, r.recover_cycles)
    assert 0 < r.compute_cycles + r.preserve_cycles + r.recover_cycles <= r.cpu_cycles + r.modelled_cycles  # parts of what ran
    types = [f.type for f in frames]
    assert FrameType.BOOT in types and types[-1] == FrameType.DONE and FrameType.RESULT in types
    assert types.count(FrameType.BOOT) == r.power_cycles  # one boot per proactive power cycle


def test_one_d_network_bit_exact(tmp_path):
    art = make_artifact(tmp_path / "s", dataset="MOTION", width=0.5, resolution=32, blocks=SERIES_BLOCKS)
    with EmulatorTarget() as t:
        t.load(art.directory)
        assert t.run(ContinuousPower(), timeout_s=120).output_correct


@pytest.mark.slow
def test_random_failure_cycles_bit_exact(image_artifacts, sweep_budget):
    rng = np.random.default_rng(7)
    runs = 8 if sweep_budget == "bounded" else 80
    failures = 0
    with EmulatorTarget(seed=3) as t:
        t.load(image_artifacts["brownout"])
        for _ in range(runs):
            power = FixedBudgetPower([int(b) for b in rng.integers(1_000_000, 3_000_000, 64)], off_time_s=0.2)
            r = t.run(power, timeout_s=180)
            assert r.output_correct, f"wrong output with failures at {power.failures_at}"
            failures += len(power.failures_at)
            # failures during the report after the result are not the inference's off time
            assert r.off_time_s == pytest.approx(0.2 * (r.power_cycles - 1))
            assert r.power_cycles - 1 <= len(power.failures_at)
    assert failures >= (20 if sweep_budget == "bounded" else 200)


def test_budget_below_one_tile_reports_no_progress(image_artifacts):
    with EmulatorTarget() as t:
        t.load(image_artifacts["proactive"])
        with pytest.raises(EmulatorError, match="no progress"):
            t.run(FixedBudgetPower([20_000]), timeout_s=60)
        # the target stays usable after a failed run
        assert t.run(ContinuousPower(), timeout_s=120).output_correct


def test_model_beyond_the_old_window_runs(tmp_path):
    """The whole 1 MiB external FRAM is the NVM: a model far beyond the old 36 KiB window runs."""
    art = make_artifact(tmp_path / "big", dataset="DIGITS", width=1.0, resolution=12,
                        blocks=([6, 7, 3, True], [6, 7, 3, True], [6, 7, 3, True]))
    assert art.record.nvm_size > 36 * 1024
    with EmulatorTarget() as t:
        t.load(art.directory)
        assert t.run(ContinuousPower(), timeout_s=300).output_correct
