"""The board target: a real MSP430FR5994 behind the same interface as the emulator.

It flashes the image (mspdebug), powers the board through the supply, timestamps the firmware's frames
on the host, and ends at the DONE frame or a timeout. A small state machine (off → flashed → running)
stays ``broken`` with its reason after a failure, and whatever happens the supply output is switched
off and the board's lock released.
"""

from __future__ import annotations

import threading
import time
import zlib
from pathlib import Path

import numpy as np

import serial

from hil.drivers.scpi_supply import ScpiSupply
from hil.power.profile import PowerProfile
from hil.supply.replay import ReplayReport, replay_voltage
from hil.inventory import BoardLease, BoardSpec
from hil.mspdebug import Mspdebug
from hil.serial_protocol import FrameParser, FrameType
from hil.targets.base import Capability, PowerEvent, PowerModel, RunResult, TargetState, TargetStateError
from tinas.errors import TinasError
from tinas.export.artifact import LoadedArtifact, load_artifact


class BoardError(TinasError):
    pass


class BoardTarget:
    kind = "board"
    capabilities = frozenset({Capability.NVM_PERSIST})

    def __init__(self, spec: BoardSpec | None = None, lease: BoardLease | None = None, elf: Path | None = None,
                 clock_hz: float = 16e6, loader_elf: Path | None = None, **_: object) -> None:
        if spec is None:
            raise BoardError("no board configured: pass an inventory (--hil-inventory) listing one")
        self.spec, self.lease, self.elf, self.clock_hz = spec, lease, elf, clock_hz
        self.loader_elf = loader_elf
        self.state = TargetState.OFF
        self.reason = ""
        self.artifact: LoadedArtifact | None = None
        self.parser = FrameParser()
        self.profile: PowerProfile | None = None
        self.replay_report: ReplayReport | None = None

    def set_profile(self, profile: PowerProfile | None) -> None:
        """The harvested power to replay through the supply during the next runs (None: constant Vsup)."""
        self.profile = profile

    def supply_voltages(self) -> tuple[np.ndarray, np.ndarray]:
        """Supply set-points behind the board's series resistor R: a Thevenin profile is its open-circuit
        voltage; a power trace P(t) becomes V(t) = sqrt(4·R·P(t)), the voltage whose matched load draws P."""
        vmax = self.spec.supply.v_max_v if self.spec.supply else 6.0
        if self.profile is None or self.profile.is_thevenin:
            v = float(self.profile.meta["vsup_v"]) if self.profile else 5.892
            return np.array([0.0]), np.array([min(v, vmax)])
        v = np.sqrt(4.0 * self.spec.series_ohm * self.profile.power_w)
        return self.profile.time_s, np.minimum(v, vmax)

    def transition(self, to: TargetState, reason: str = "") -> None:
        if self.state is TargetState.BROKEN and to is not TargetState.OFF:
            raise TargetStateError(f"board {self.spec.board_id} is broken: {self.reason}")
        self.state = to
        if to is TargetState.BROKEN:
            self.reason = reason

    def load(self, artifact_dir: str | Path) -> None:
        self.artifact = load_artifact(artifact_dir)
        if self.elf is not None:
            try:
                flasher = Mspdebug(self.spec.probe)
                if self.loader_elf is not None:  # put the model into the external FRAM over the UART first
                    from hil.loader import send_blob

                    flasher.program(self.loader_elf, force=True)
                    flasher.reset()
                    with serial.serial_for_url(self.spec.serial.resolve(), baudrate=self.spec.serial.baud, timeout=0.05) as port:
                        send_blob(port, self.artifact.blob)
                flasher.program(self.elf, force=self.loader_elf is not None)
            except TinasError as exc:
                self.transition(TargetState.BROKEN, str(exc))
                self.close()
                raise
        self.transition(TargetState.LOADED)

    def run(self, power: PowerModel | None = None, timeout_s: float = 120.0, proactive: bool | None = None) -> RunResult:
        if self.state is not TargetState.LOADED or self.artifact is None:
            raise TargetStateError(f"run() needs a loaded board; state is {self.state.value}")
        supply = ScpiSupply(self.spec.supply) if self.spec.supply else None
        port = None
        stop = threading.Event()
        replayer: threading.Thread | None = None
        t0 = time.perf_counter()
        try:
            port = serial.serial_for_url(self.spec.serial.resolve(), baudrate=self.spec.serial.baud, timeout=0.05)
            if supply:
                supply.open()
                supply.set_current_limit(min(0.1, self.spec.supply.i_max_a))
                ts, vs = self.supply_voltages()
                supply.set_voltage(float(vs[0]))
                supply.output(True)
                if len(ts) > 1:
                    stop.clear()
                    replayer = threading.Thread(target=self._replay, args=(supply, ts, vs, stop), daemon=True)
                    replayer.start()
            self.transition(TargetState.RUNNING)
            frames, boots, events, result, done = [], 0, [], None, None
            last_rx = 0.0
            while done is None:
                if time.perf_counter() - t0 > timeout_s:
                    raise BoardError(f"board {self.spec.board_id} did not report completion within {timeout_s} s "
                                     f"({boots} boots, {self.parser.frames_ok} frames, {self.parser.frames_bad_crc} bad CRC)")
                data = port.read(4096)
                now = time.perf_counter() - t0
                if data:
                    last_rx = now
                # a false sync claiming a long frame must not wait forever once the line is idle
                got = self.parser.feed(data, now) if data or now - last_rx < 0.5 else self.parser.flush(now)
                for f in got:
                    frames.append(f)
                    if f.type == FrameType.BOOT:
                        boots += 1
                        events.append(PowerEvent(now, "on", 0, -1))
                    elif f.type == FrameType.RESULT:
                        result = f.fields()
                    elif f.type == FrameType.DONE:
                        done = f.fields()
        except (serial.SerialException, OSError) as exc:
            self.transition(TargetState.BROKEN, f"serial port: {exc}")
            raise BoardError(f"board {self.spec.board_id}: serial port {self.spec.serial.path!r} unusable ({exc})") from None
        except TinasError as exc:
            self.transition(TargetState.BROKEN, str(exc))
            raise
        finally:
            stop.set()
            if replayer is not None:
                replayer.join(5)
            if supply:
                supply.close()
            if port is not None:
                port.close()
        exp = self.artifact.expected_output.astype("<i2").tobytes()
        ok = result is not None and result["output_crc"] == (zlib.crc32(exp) & 0xFFFFFFFF)
        elapsed = time.perf_counter() - t0
        self.transition(TargetState.LOADED)
        return RunResult(completed=True, output_correct=ok, output=b"", power_cycles=max(boots, 1), cpu_cycles=0,
                         modelled_cycles=0, compute_cycles=done["compute_cycles"], preserve_cycles=done["preserve_cycles"],
                         recover_cycles=done["recover_cycles"],
                         active_time_s=(done["compute_cycles"] + done["preserve_cycles"] + done["recover_cycles"]) / self.clock_hz,
                         off_time_s=0.0, wall_time_s=elapsed, timeline=tuple(events),
                         log=f"frames ok {self.parser.frames_ok}, bad crc {self.parser.frames_bad_crc}" + (
                             f"; supply replay {self.replay_report.steps} steps, worst lateness "
                             f"{self.replay_report.max_lateness_s * 1e3:.1f} ms" if self.replay_report else ""))

    def _replay(self, supply: ScpiSupply, ts: np.ndarray, vs: np.ndarray, stop: threading.Event) -> None:
        """Replay the trace in a loop until the run ends; keep the worst lateness for the report."""
        while not stop.is_set():
            rep = replay_voltage(supply, ts, vs, stop=stop)
            if self.replay_report is None or rep.max_lateness_s > self.replay_report.max_lateness_s:
                self.replay_report = rep

    def close(self) -> None:
        if self.lease is not None:
            self.lease.release()
            self.lease = None
        if self.state is not TargetState.BROKEN:
            self.state = TargetState.OFF


