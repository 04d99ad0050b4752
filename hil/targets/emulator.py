"""The emulator target: the fr5994 ELF on the FR5994 twin (hil/twin), powered by a power model.

The ELF is the very file a board is flashed with (``build_firmware("fr5994")``, same hash). The twin's
external FRAM holds the artifact blob (the rest random, as an unerased chip), the whole 1 MiB of it.

Power: with an ``EnergyModel`` (harvester -> capacitor) the twin runs in chunks; each chunk gets the
capacitor's usable energy above Voff and the harvested energy per cycle (held constant within a chunk:
a trace segment's power, or a Thevenin source's power at the chunk's start), and the model advances by
the energy the twin measured. The power fails at the exact instruction where the energy runs out: the
twin's supply is cut (an SPI write in flight is torn at its byte), SRAM and LEA RAM come back as garbage
at the next power-on, FRAM and the external FRAM keep their contents. Other power models (continuous,
fixed cycle budgets) give budgets in cycles, and the twin fails at that cycle.

Signals, as on a board: P1.0 rising = the result is in NVM (the inference's latency ends at this edge:
active time, power cycles, energy and off time are taken there, as a logic analyser on the DONE pin would;
the per-layer report the firmware sends afterwards is not part of the inference); P1.0 high + halt = done;
P5.0 high + halt = proactive shutdown (one tile batch per power cycle); an ERROR frame + halt = the
firmware's fatal error. The serial bytes go to a pseudo-terminal and are parsed with hil/serial_protocol.py.
"""

from __future__ import annotations

import dataclasses
import os
import pty
import struct
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from hil.build import BuildResult, build_firmware
from hil.power.energy_model import DRAW_CHUNK_CYCLES, EnergyModel
from hil.serial_protocol import Frame, FrameParser, FrameType, layer_counters
from hil.targets.base import Capability, PowerEvent, PowerModel, RunResult, TargetState, TargetStateError
from hil.twin.device_table import DeviceTable, load_device_table
from hil.twin.machine import EXTFRAM_SIZE, Machine, Stop, TwinError
from tinas.errors import TinasError
from tinas.export.artifact import LoadedArtifact, load_artifact
from tinas.export.layout import COUNTER_FIELDS, COUNTERS, CTRL, CTRL_FIELDS, HEADER, HEADER_FIELDS, unpack
from tinas.platform import Platform, load_platform

NVM_SIZE = EXTFRAM_SIZE  # the whole external FRAM is the model's NVM
CHUNK_CYCLES = DRAW_CHUNK_CYCLES  # also the longest run between two looks at the pty and the deadline
PROACTIVE_FLAG_OFFSET = 34  # header flags word (tinas/export/layout.py), bit 0 = proactive shutdown


class EmulatorError(TinasError):
    """The model cannot run on the twin, or the run failed."""


@dataclass
class _Run:
    cycles_total: int = 0
    energy_j: float = 0.0
    off_s: float = 0.0
    boots: int = 0
    layer: int = -1
    timeline: list[PowerEvent] = field(default_factory=list)
    frames: list[Frame] = field(default_factory=list)
    ready: tuple[int, int, float, float] | None = None  # at P1.0's rise: cycles, power cycles, energy J, off s


class EmulatorTarget:
    kind = "emulator"
    capabilities = frozenset({Capability.CYCLE_COUNTER, Capability.NVM_PERSIST, Capability.FAILURE_INJECTION,
                              Capability.ENERGY_METER})

    @classmethod
    def for_run(cls, spec, platform: Platform, profile) -> EmulatorTarget:
        """The twin for one run of ``hil run``: the run's platform (capacitor) and seed (SRAM garbage)."""
        del profile  # the energy model replays it; the twin only draws current
        return cls(platform=platform, seed=spec.seed)

    def __init__(self, platform: Platform | None = None, seed: int = 0, flags: tuple[str, ...] = (),
                 device_table: DeviceTable | None = None) -> None:
        self.platform = platform or load_platform()
        self.table = device_table or load_device_table()
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
        self.last_machine_stats: dict[str, object] = {}

    # -- lifecycle -----------------------------------------------------------------------------
    def load(self, artifact_dir: str | Path, preservation: bool = True) -> None:
        """``preservation=False``: the -DRT_NO_PRESERVATION build, whose continuous-power latency is the
        reference of the measured IMO (no commits, no recovery)."""
        art = load_artifact(artifact_dir)
        if art.record.nvm_size > NVM_SIZE:
            raise EmulatorError(f"model needs {art.record.nvm_size} B of NVM; the external FRAM has {NVM_SIZE} B")
        flags = self.flags if preservation else tuple(self.flags) + ("-DRT_NO_PRESERVATION",)
        self.build = build_firmware("fr5994", self.platform, flags)
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
    def _uart(self, m: Machine, run: _Run) -> None:
        data, _ = m.uart_drain()
        if not data:
            return
        try:
            os.write(self._master, data)
        except (BlockingIOError, OSError):
            pass  # nobody listening: bytes are lost, as on a real UART
        run.frames.extend(self.parser.feed(data, time.time()))

    @staticmethod
    def _resume_layer(m: Machine, ctrl_off: int) -> int:
        """The layer the newest progress slot resumes at (the timeline's layer of a power event)."""
        c = unpack(CTRL, CTRL_FIELDS, m.extfram[ctrl_off: ctrl_off + CTRL.size].tobytes())
        return int(c["slot0_layer"] if c["slot0_seq"] >= c["slot1_seq"] else c["slot1_layer"])

    def _nvm_image(self, proactive: bool | None) -> np.ndarray:
        assert self.artifact is not None
        fill = self.rng.integers(0, 256, NVM_SIZE, dtype=np.uint8)  # an unerased chip: garbage, never zeros
        blob = bytearray(self.artifact.blob)
        if proactive is not None:
            flags = struct.unpack_from("<H", blob, PROACTIVE_FLAG_OFFSET)[0]
            struct.pack_into("<H", blob, PROACTIVE_FLAG_OFFSET, (flags | 1) if proactive else (flags & ~1))
        fill[: len(blob)] = np.frombuffer(bytes(blob), dtype=np.uint8)
        return fill

    # -- the run -------------------------------------------------------------------------------
    def run(self, power: PowerModel, timeout_s: float = 600.0, proactive: bool | None = None) -> RunResult:
        """Run one inference. ``proactive`` overrides the artifact's one-batch-per-power-cycle flag
        (off for the continuous-power reference run of an IMO measurement)."""
        if self.state is not TargetState.LOADED or self.artifact is None or self.build is None:
            raise TargetStateError(f"run() needs a loaded artifact; target is {self.state.value}")
        art = self.artifact
        f_clk = self.table.mclk_hz
        t_wall = time.perf_counter()
        deadline = t_wall + timeout_s
        run = _Run()
        measured = isinstance(power, EnergyModel)
        hdr = unpack(HEADER, HEADER_FIELDS, art.blob)
        self.state = TargetState.RUNNING
        try:
            with Machine(self.table) as m:
                m.load_elf(self.build.elf)
                m.extfram[:] = self._nvm_image(proactive)
                m.watch_pin(1, 0)  # DONE: rises when the result is in NVM
                stalled, last_ctrl, done = 0, b"", False
                while not done:
                    budget = None
                    if measured:
                        power.mark_on()
                    else:
                        budget = power.power_on()
                    run.boots += 1
                    run.timeline.append(PowerEvent(run.cycles_total / f_clk + run.off_s, "on", run.cycles_total, run.layer))
                    m.power_on(int(self.rng.integers(0, 2**63)))
                    ran = 0
                    while True:
                        if time.perf_counter() > deadline:
                            raise EmulatorError(f"inference did not finish within {timeout_s} s of wall time "
                                                f"({run.cycles_total + ran} cycles, {run.boots} power cycles)")
                        if measured:
                            p_w, chunk = power.harvest_chunk(f_clk)
                            out = m.run(chunk, power.usable_energy_j(), p_w / f_clk, raise_on_error=False)
                            power.advance_chunk(out.cycles / f_clk, out.energy_j)
                        else:
                            chunk = CHUNK_CYCLES if budget is None else min(CHUNK_CYCLES, budget - ran)
                            out = m.run(max(chunk, 0), raise_on_error=False) if chunk > 0 else None
                            if out is None:  # the budget is spent: the power fails here
                                break
                        ran += out.cycles
                        run.energy_j += out.energy_j
                        self._uart(m, run)
                        if out.stop is Stop.ERROR:
                            raise EmulatorError(f"twin stopped: {m.error}")
                        if out.stop is Stop.PIN:
                            if m.pin(1, 0) and run.ready is None:
                                run.ready = (run.cycles_total + ran, run.boots, run.energy_j, run.off_s)
                                run.timeline.append(PowerEvent((run.cycles_total + ran) / f_clk + run.off_s, "done",
                                                               run.cycles_total + ran, run.layer))
                            continue
                        if out.stop is Stop.ENERGY:
                            break
                        if out.stop is Stop.HALT:
                            if m.pin(1, 0):
                                done = True
                            elif m.pin(5, 0):
                                pass  # proactive shutdown: the supply controller cuts power
                            else:
                                err = [f for f in run.frames if f.type == FrameType.ERROR]
                                code = struct.unpack_from("<H", err[-1].payload)[0] if err and len(err[-1].payload) >= 2 else None
                                raise EmulatorError(f"firmware stopped with fatal error {code} (ERROR frame; see "
                                                    f"firmware/include/hal.h)" if code is not None else
                                                    f"firmware halted without DONE or YIELD at PC 0x{m.regs[0]:04x}")
                            break
                    run.cycles_total += ran
                    t_now = run.cycles_total / f_clk + run.off_s
                    if done:
                        if measured:
                            power.finish_measured()
                        else:
                            power.finish(ran)
                        break
                    m.power_off()
                    run.layer = self._resume_layer(m, hdr["ctrl_off"])
                    run.timeline.append(PowerEvent(t_now, "off", run.cycles_total, run.layer))
                    run.off_s += power.recharge_to_on() if measured else power.power_off(ran)
                    c0 = hdr["ctrl_off"]  # progress: the two slots, and the report's position after the result
                    ctrl = m.extfram[c0: c0 + 32].tobytes() + m.extfram[c0 + 60: c0 + 64].tobytes()
                    stalled = stalled + 1 if ctrl == last_ctrl else 0
                    last_ctrl = ctrl
                    if stalled >= 3:
                        raise EmulatorError(f"no progress: {stalled} power cycles in a row ended before a preservation "
                                            f"batch could commit; the capacitor is too small for this design's tiles")
                nvm = m.extfram.tobytes()
                reads, misses = m.fram_cache_stats()
                skipped = m.skipped_cycles
                self.last_machine_stats = {"cycles_with_report": run.cycles_total, "energy_j_with_report": run.energy_j,
                                           "power_cycles_with_report": run.boots,
                                           "instructions_last_power_cycle": m.instructions, "pucs": m.pucs,
                                           "fram_reads": reads, "fram_misses": misses,
                                           "poll_cycles_fast_forwarded_last_power_cycle": skipped,
                                           "energy_by_load_last_power_cycle": m.energy_by_load(),
                                           "cycles_by_load_last_power_cycle": m.cycles_by_load()}
        except (EmulatorError, TwinError) as exc:
            self.state = TargetState.LOADED
            if isinstance(exc, TwinError):
                raise EmulatorError(f"twin: {exc}") from None
            raise
        except BaseException:
            self.state = TargetState.BROKEN
            raise
        self.state = TargetState.LOADED
        if run.ready is None:
            raise EmulatorError("the firmware halted as done without raising P1.0 first (hal_result_ready)")
        cycles, boots, energy_j, off_s = run.ready
        timeline = tuple(e for e in run.timeline if e.cycles <= cycles and (e.kind != "on" or e.cycles < cycles))
        out_v = np.frombuffer(nvm[hdr["out_off"]: hdr["out_off"] + 2 * hdr["out_len"]], dtype="<i2").copy()
        ctrl = unpack(CTRL, CTRL_FIELDS, nvm[hdr["ctrl_off"]: hdr["ctrl_off"] + CTRL.size])
        got = {c["layer"]: c for c in layer_counters(run.frames)}  # the NVM table if a frame was garbled
        base = hdr["ctrl_off"] + CTRL.size + 2 * COUNTERS.size
        counters = tuple(got.get(i) or unpack(COUNTERS, COUNTER_FIELDS, nvm[base + i * COUNTERS.size:])
                         for i in range(hdr["n_layers"]))
        return RunResult(
            completed=True, output_correct=bool(np.array_equal(out_v, art.expected_output)), output=out_v.tobytes(),
            power_cycles=boots, cpu_cycles=cycles, modelled_cycles=0,
            compute_cycles=ctrl["compute_cycles"], preserve_cycles=ctrl["preserve_cycles"],
            recover_cycles=ctrl["recover_cycles"], active_time_s=cycles / f_clk, off_time_s=off_s,
            wall_time_s=time.perf_counter() - t_wall, timeline=timeline,
            log=f"frames ok {self.parser.frames_ok}, bad crc {self.parser.frames_bad_crc}; twin device table "
                f"v{self.table.version}; report after the result: {run.cycles_total - cycles} cycles, "
                f"{run.boots - boots} more power cycles", energy_j=energy_j, layer_counters=counters,
        )
