"""The emulator target: the MSP430 ELF in ``mspdebug sim``, powered by a PowerModel.

At every power-on the power model gives a budget in device cycles (CPU cycles counted by the
simulator's tracer plus the modelled cycles of the peripherals it lacks, which the firmware adds up in
``hal_emu_modelled_cycles``). The target runs from hypercall to hypercall; if a stretch overshoots the
budget it rewinds the power cycle (NVM window restored, CPU reset, the same SRAM pattern) and single
steps to the exact cycle, where the power fails: CPU reset, SRAM wiped with a random pattern, NVM kept.
The firmware's serial bytes go to a pseudo-terminal, as a board's USB-UART would.
"""

from __future__ import annotations

import os
import pty
import struct
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from hil.build import BuildResult, build_firmware
from hil.drivers.mspdebug_sim import MspdebugSim, SimulatorError
from hil.serial_protocol import Frame, FrameParser, FrameType, layer_counters
from hil.targets.base import Capability, PowerEvent, PowerModel, RunResult, TargetState, TargetStateError
from tinas.errors import TinasError
from tinas.export.artifact import LoadedArtifact, load_artifact
from tinas.export.layout import COUNTER_FIELDS, COUNTERS, CTRL, CTRL_FIELDS, HEADER, HEADER_FIELDS, unpack
from tinas.platform import Platform, load_platform

NVM_BASE, NVM_SIZE = 0x7000, 0x8F80  # firmware/ports/emulator/port_config.h
HYPERCALLS = ("hal_cycles_now", "hal_uart_write", "hal_power_yield", "hal_done", "hal_fatal")


class EmulatorError(TinasError):
    """The model cannot run on the emulator, or the run failed."""


@dataclass
class _Run:
    used_total: int = 0
    cpu_total: int = 0
    modelled_total: int = 0
    off_s: float = 0.0
    boots: int = 0
    layer: int = -1
    timeline: list[PowerEvent] = field(default_factory=list)
    frames: list[Frame] = field(default_factory=list)


class EmulatorTarget:
    kind = "emulator"
    capabilities = frozenset({Capability.CYCLE_COUNTER, Capability.NVM_PERSIST, Capability.FAILURE_INJECTION})

    def __init__(self, platform: Platform | None = None, seed: int = 0, flags: tuple[str, ...] = ()) -> None:
        self.platform = platform or load_platform()
        self.rng = np.random.default_rng(seed)
        self.flags = flags
        self.state = TargetState.OFF
        self.artifact: LoadedArtifact | None = None
        self.build: BuildResult | None = None
        self._master, slave = pty.openpty()
        os.set_blocking(self._master, False)
        self.serial_port = os.ttyname(slave)
        self._slave = slave
        self.parser = FrameParser()

    # -- lifecycle -----------------------------------------------------------------------------
    def load(self, artifact_dir: str | Path) -> None:
        art = load_artifact(artifact_dir)
        if art.record.nvm_size > NVM_SIZE:
            raise EmulatorError(f"model needs {art.record.nvm_size} B of NVM; the emulator maps {NVM_SIZE} B "
                                f"(export a smaller network, or run it on the host or a board)")
        self.build = build_firmware("emulator", self.platform, self.flags)
        self.artifact = art
        self.state = TargetState.LOADED

    def close(self) -> None:
        for fd in (self._master, self._slave):
            try:
                os.close(fd)
            except OSError:
                pass
        self.state = TargetState.OFF

    def __enter__(self) -> EmulatorTarget:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- helpers -------------------------------------------------------------------------------
    def _uart(self, data: bytes, run: _Run) -> None:
        try:
            os.write(self._master, data)
        except (BlockingIOError, OSError):
            pass  # nobody listening: bytes are lost, as on a real UART
        for f in self.parser.feed(data, time.time()):
            run.frames.append(f)
            if f.type == FrameType.LAYER:
                run.layer = f.fields()["layer"]

    @staticmethod
    def _ret(sim: MspdebugSim, regs: dict[str, int]) -> None:
        sp = regs["SP"]
        ret = struct.unpack("<H", sim.read(sp, 2))[0]
        sim.set_reg("PC", ret)
        sim.set_reg("SP", sp + 2)

    def _used(self, sim: MspdebugSim, var: int) -> tuple[int, int]:
        _, clk = sim.counters()
        mod = struct.unpack("<I", sim.read(var, 4))[0]
        return clk, mod

    # -- the run -------------------------------------------------------------------------------
    def run(self, power: PowerModel, timeout_s: float = 600.0, proactive: bool | None = None) -> RunResult:
        """Run one inference. ``proactive`` overrides the artifact's shutdown-after-each-batch flag
        (off for the continuous-power reference run of an IMO measurement)."""
        if self.state is not TargetState.LOADED or self.artifact is None or self.build is None:
            raise TargetStateError(f"run() needs a loaded artifact; target is {self.state.value}")
        art, clock = self.artifact, float(self.platform.cpu_clock_hz)
        t_wall = time.perf_counter()
        deadline = t_wall + timeout_s
        run = _Run()
        self.state = TargetState.RUNNING
        try:
            with MspdebugSim() as sim:
                sim.cmd("simio add tracer tr")
                sim.prog(self.build.elf)
                fill = bytearray(self.rng.integers(0, 256, NVM_SIZE, dtype=np.uint8).tobytes())
                fill[: len(art.blob)] = art.blob  # beyond the blob the NVM holds garbage, never zeros
                if proactive is not None:
                    flags = struct.unpack_from("<H", fill, 34)[0]
                    struct.pack_into("<H", fill, 34, (flags | 1) if proactive else (flags & ~1))
                sim.write(NVM_BASE, bytes(fill))
                addr = {name: sim.sym(name) for name in HYPERCALLS + ("main",)}
                var = sim.sym("hal_emu_modelled_cycles")
                for name in HYPERCALLS + ("main",):  # main: startup done, counters valid
                    sim.cmd(f"setbreak {name}")
                done = False
                ctrl_off = unpack(HEADER, HEADER_FIELDS, art.blob)["ctrl_off"]
                stalled, last_seqs = 0, b""
                while not done:
                    if time.perf_counter() > deadline:
                        raise EmulatorError(f"inference did not finish within {timeout_s} s of wall time")
                    budget = power.power_on()
                    run.boots += 1
                    t_on = run.used_total / clock + run.off_s
                    run.timeline.append(PowerEvent(t_on, "on", run.used_total, run.layer))
                    snapshot = sim.read(NVM_BASE, NVM_SIZE) if budget is not None else b""
                    pattern = self.rng.integers(0, 256, 16, dtype=np.uint8).tobytes()
                    sim.power_fail(pattern)
                    sim.cmd("simio config tr clear")
                    while True:
                        left = deadline - time.perf_counter()
                        if left <= 0.05:
                            raise EmulatorError(f"inference did not finish within {timeout_s} s of wall time")
                        sim.run(timeout=left)
                        regs = sim.regs()
                        pc = regs["PC"]
                        clk, mod = self._used(sim, var)
                        used = clk + mod
                        if budget is not None and used > budget:
                            clk, mod = self._replay_to(sim, budget, snapshot, pattern, var)
                            self._end_cycle(run, power, clk, mod, clock, "off")
                            seqs = sim.read(NVM_BASE + ctrl_off, 32)
                            stalled = stalled + 1 if seqs == last_seqs else 0
                            last_seqs = seqs
                            if stalled >= 3:
                                raise EmulatorError(
                                    f"no progress: {stalled} power cycles in a row ended before a preservation "
                                    f"batch could commit (budget {budget} cycles); the capacitor is too small "
                                    f"for this design's tiles")
                            break
                        if pc == addr["main"]:
                            continue
                        if pc == addr["hal_cycles_now"]:
                            sim.set_reg("R12", used & 0xFFFF)
                            sim.set_reg("R13", (used >> 16) & 0xFFFF)
                            self._ret(sim, regs)
                        elif pc == addr["hal_uart_write"]:
                            n = regs["R13"]
                            if n:
                                self._uart(sim.read(regs["R12"], n), run)
                            self._ret(sim, regs)
                        elif pc == addr["hal_power_yield"]:
                            self._ret(sim, regs)
                            self._end_cycle(run, power, clk, mod, clock, "off")
                            break
                        elif pc == addr["hal_done"]:
                            run.cpu_total += clk
                            run.modelled_total += mod
                            run.used_total += used
                            power.finish(used)
                            run.timeline.append(PowerEvent(run.used_total / clock + run.off_s, "done", run.used_total, run.layer))
                            done = True
                            break
                        elif pc == addr["hal_fatal"]:
                            raise EmulatorError(f"firmware stopped with fatal error {regs['R12']} (see firmware/include/hal.h)")
                        else:
                            raise EmulatorError(f"simulator stopped at unexpected address 0x{pc:04x}")
                nvm = sim.read(NVM_BASE, NVM_SIZE)
        except SimulatorError as exc:  # every run starts a fresh simulator, so the target stays usable
            self.state = TargetState.LOADED
            raise EmulatorError(f"simulator: {exc}") from None
        except EmulatorError:
            self.state = TargetState.LOADED
            raise
        except BaseException:
            self.state = TargetState.BROKEN
            raise
        self.state = TargetState.LOADED
        hdr = unpack(HEADER, HEADER_FIELDS, art.blob)
        out = np.frombuffer(nvm[hdr["out_off"]: hdr["out_off"] + 2 * hdr["out_len"]], dtype="<i2").copy()
        ctrl = unpack(CTRL, CTRL_FIELDS, nvm[hdr["ctrl_off"]: hdr["ctrl_off"] + CTRL.size])
        got = {c["layer"]: c for c in layer_counters(run.frames)}  # the NVM table for a layer whose frame was lost
        base = hdr["ctrl_off"] + CTRL.size + 2 * COUNTERS.size
        counters = tuple(got.get(i) or unpack(COUNTERS, COUNTER_FIELDS, nvm[base + i * COUNTERS.size:])
                         for i in range(hdr["n_layers"]))
        return RunResult(
            completed=True, output_correct=bool(np.array_equal(out, art.expected_output)), output=out.tobytes(),
            power_cycles=run.boots, cpu_cycles=run.cpu_total, modelled_cycles=run.modelled_total,
            compute_cycles=ctrl["compute_cycles"], preserve_cycles=ctrl["preserve_cycles"],
            recover_cycles=ctrl["recover_cycles"], active_time_s=run.used_total / clock, off_time_s=run.off_s,
            wall_time_s=time.perf_counter() - t_wall, timeline=tuple(run.timeline),
            log=f"frames ok {self.parser.frames_ok}, bad crc {self.parser.frames_bad_crc}", layer_counters=counters,
        )

    def _end_cycle(self, run: _Run, power: PowerModel, clk: int, mod: int, clock: float, kind: str) -> None:
        run.cpu_total += clk
        run.modelled_total += mod
        run.used_total += clk + mod
        run.timeline.append(PowerEvent(run.used_total / clock + run.off_s, kind, run.used_total, run.layer))
        run.off_s += power.power_off(clk + mod)

    def _replay_to(self, sim: MspdebugSim, budget: int, snapshot: bytes, pattern: bytes, var: int) -> tuple[int, int]:
        """Re-run this power cycle from its start by single-stepping (no hypercalls) to ``budget``."""
        sim.write(NVM_BASE, snapshot)
        sim.power_fail(pattern)
        sim.cmd("simio config tr clear")
        sim.run(timeout=10.0)  # to the breakpoint on main: startup has cleared the SRAM counters
        while True:
            clk, mod = self._used(sim, var)
            left = budget - (clk + mod)
            if left <= 0:
                return clk, mod
            sim.step(max(1, min(left // 6, 2_000_000)))
