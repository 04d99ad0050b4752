"""The emulator target on the FR5994 twin: the fr5994 ELF (the board's file) runs whole inferences
bit-exact against the Python reference's golden output under continuous power, power failures at
chosen cycles, a harvester + capacitor energy model (exact energy ledger), and the one-batch-per-power-
cycle regime; serial frames reach a pseudo-terminal; a fatal firmware error is reported clearly."""

from __future__ import annotations

import os
import time

import numpy as np
import pytest
import serial

from hil.power.energy_model import EnergyModel
from hil.power.profile import load_profile
from hil.power.simple import ContinuousPower, FixedBudgetPower
from hil.serial_protocol import FrameParser, FrameType
from hil.targets.emulator import EmulatorError, EmulatorTarget
from tests.fw_models import IMAGE_BLOCKS, make_artifact
from tinas.platform import load_platform

pytestmark = pytest.mark.emulator
PROFILES = os.path.join(os.path.dirname(__file__), "..", "power_profiles")


@pytest.fixture(scope="module")
def arts(tmp_path_factory):
    d = tmp_path_factory.mktemp("twin-target")
    return {"brownout": make_artifact(d / "b", dataset="DIGITS", width=0.5, resolution=8, blocks=IMAGE_BLOCKS,
                                      proactive=False).directory,
            "proactive": make_artifact(d / "p", dataset="DIGITS", width=0.5, resolution=8, blocks=IMAGE_BLOCKS,
                                       proactive=True).directory}


@pytest.fixture(scope="module")
def target(arts):
    t = EmulatorTarget(seed=3)
    t.load(arts["brownout"])
    yield t
    t.close()


@pytest.fixture(scope="module")
def port_problem(arts) -> str | None:
    """A known fr5994-port defect the twin detects (the contract's DMA ch0/ch1 plan with eUSCI_B1
    triggers, which the FR5994's trigger table does not have): the tests below then xfail naming it."""
    with EmulatorTarget(seed=0) as t:
        t.load(arts["brownout"])
        try:
            t.run(ContinuousPower(), timeout_s=120)
        except EmulatorError as exc:
            if "DMA" in str(exc) and "trigger" in str(exc):
                return str(exc)
            raise
    return None


@pytest.fixture(autouse=True)
def _known_port_problem(port_problem):
    if port_problem:
        pytest.xfail(f"fr5994 port: {port_problem}")


def test_continuous_bit_exact_and_energy_measured(target):
    r = target.run(ContinuousPower(), timeout_s=120)
    assert r.completed and r.output_correct and r.power_cycles == 1
    t = target.table
    # every cycle draws at least the CPU's active current (plus the idle external FRAM)
    assert r.energy_j >= r.cpu_cycles * t.vcc_v * t.amps[0] / t.mclk_hz
    assert r.active_time_s == pytest.approx(r.cpu_cycles / t.mclk_hz)


def test_failures_at_chosen_cycles_bit_exact(target):
    rng = np.random.default_rng(5)
    budgets = [int(b) for b in rng.integers(1_500_000, 3_000_000, 40)]
    power = FixedBudgetPower(budgets, off_time_s=0.05)
    r = target.run(power, timeout_s=300)
    assert r.output_correct and r.power_cycles > 2
    # each failure happened at its budget, to the instruction (no MSP430 instruction exceeds 6 cycles)
    assert all(0 <= got - want < 6 for got, want in zip(power.failures_at, budgets))
    # off time counts the failures before the result (those during the report after it are not the inference's)
    assert r.off_time_s == pytest.approx(0.05 * (r.power_cycles - 1))
    assert target.last_machine_stats["power_cycles_with_report"] == len(power.failures_at) + 1


@pytest.mark.parametrize("profile, cap", [("thevenin_tinas.csv", 100e-6), ("square_wave.csv", 470e-6)])
def test_energy_model_run_exact_ledger(target, profile, cap):
    platform = load_platform().with_capacitor(cap, None)
    model = EnergyModel.from_platform(load_profile(os.path.join(PROFILES, profile)), platform)
    r = target.run(model, timeout_s=300)
    assert r.output_correct
    whole = target.last_machine_stats["energy_j_with_report"]  # the inference and the report after it
    assert model.ledger.consumed_j == pytest.approx(whole, rel=1e-9)  # the model drew what the twin measured
    assert r.energy_j < whole
    assert abs(model.balance_error_j()) < 1e-12 * max(1.0, model.ledger.harvested_j * 1e6)
    # a power failure happens at Voff: the capacitor never ends a power cycle far below it
    assert min(v for _, v, _ in model.history) > platform.v_off_v - 0.01


def test_one_batch_per_power_cycle(arts):
    with EmulatorTarget(seed=4) as t:
        t.load(arts["proactive"])
        r = t.run(FixedBudgetPower([10**9], off_time_s=0.01), timeout_s=300)
        assert r.output_correct and r.power_cycles > 3
        assert sum(1 for e in r.timeline if e.kind == "off") == r.power_cycles - 1


def test_frames_reach_the_pseudo_terminal(arts):
    with EmulatorTarget(seed=2) as t:
        port = serial.Serial(t.serial_port, timeout=0)  # raw mode, as a harness opens a board's port
        t.load(arts["brownout"])
        r = t.run(ContinuousPower(), timeout_s=120)
        data, idle = b"", 0
        while idle < 20:  # a pty hands over its buffer in pieces: read until it stays empty
            got = port.read(65536)
            data, idle = data + got, (0 if got else idle + 1)
            time.sleep(0.01)
        port.close()
    frames = FrameParser().feed(data, 0.0)
    assert r.output_correct and frames and frames[-1].type == FrameType.DONE
    assert sum(f.type == FrameType.LAYER for f in frames) >= 2


def test_fatal_firmware_error_is_reported(arts):
    with EmulatorTarget(seed=1) as t:
        t.load(arts["brownout"])
        t.artifact.blob = b"\x00" * 64 + t.artifact.blob[64:]  # header magic gone: hal_fatal(BAD_MODEL)
        with pytest.raises(EmulatorError, match="fatal error"):
            t.run(ContinuousPower(), timeout_s=60)


def test_poll_fast_forward_changes_nothing_but_work(target, arts):
    """Polling loops skipped ahead to the next peripheral event give the very same run: cycles,
    instructions, FRAM cache counts, energy and the external FRAM, bit for bit."""
    from hil.twin.machine import Machine, Stop

    blob = np.frombuffer(target.artifact.blob, dtype=np.uint8)
    got = []
    for skip in (True, False):
        with Machine() as m:
            m.set_idle_skip(skip)
            m.load_elf(target.build.elf)
            m.extfram[:] = 0x5A
            m.extfram[: blob.size] = blob
            m.power_on(9)
            assert m.run(10**9).stop is Stop.HALT and m.pin(1, 0)
            got.append((m.cycle, m.instructions, m.fram_cache_stats(), m.energy_j, m.extfram.tobytes(), m.skipped_cycles))
    (a, b) = got
    assert a[:5] == b[:5] and a[5] > 0 and b[5] == 0


def test_latency_ends_when_the_result_is_ready_and_the_report_resumes(arts):
    """The inference ends at P1.0's rise (result in NVM); the per-layer report follows it. A power failure
    in the middle of the report neither repeats the inference nor changes its measured figures, and every
    layer is still reported."""
    with EmulatorTarget(seed=6) as t:
        t.load(arts["brownout"])
        ref = t.run(ContinuousPower(), timeout_s=120)
        whole = t.last_machine_stats["cycles_with_report"]
        n_layers = len(ref.layer_counters)
        assert whole > ref.cpu_cycles  # the report after the result is not in the latency
        cut = ref.cpu_cycles + (whole - ref.cpu_cycles) // 2
        r = t.run(FixedBudgetPower([cut, 10**9], off_time_s=0.1), timeout_s=120)
        assert r.output_correct and r.power_cycles == 1 and r.off_time_s == 0.0
        assert r.cpu_cycles == ref.cpu_cycles
        assert t.last_machine_stats["power_cycles_with_report"] == 2
        assert r.layer_counters == ref.layer_counters and len(r.layer_counters) == n_layers


def test_reference_build_runs_the_same_tiles_without_commits(arts):
    """-DRT_NO_PRESERVATION (the IMO reference): same output and tiles, no commits, and faster than the
    preserving build under continuous power by at least one SPI write of a progress slot per commit."""
    with EmulatorTarget(seed=1) as t:
        t.load(arts["brownout"])
        keep = t.run(ContinuousPower(), timeout_s=120)
        t.load(arts["brownout"], preservation=False)
        ref = t.run(ContinuousPower(), timeout_s=120)
    assert ref.output_correct and keep.output_correct
    assert [c["tiles"] for c in ref.layer_counters] == [c["tiles"] for c in keep.layer_counters]
    assert all(c["commits"] == 0 for c in ref.layer_counters)
    commits = sum(c["commits"] for c in keep.layer_counters)
    # a commit writes a 16-byte slot through the SPI (8 SCLK per byte at no more than MCLK): >= 128 cycles
    assert keep.cpu_cycles - ref.cpu_cycles >= commits * 16 * 8
