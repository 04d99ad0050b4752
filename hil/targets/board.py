"""The board target: a real MSP430FR5994 LaunchPad on labgrid, behind the same interface as the emulator.

The board comes as a ``BoardLease`` (hil/lab/place.py): a labgrid target whose strategy flashes it,
powers it through the supply (replaying the harvested-power profile) and whose frame driver reads the
firmware's frames from the UART. A run ends at the DONE frame or a timeout; after a failure the board
stays ``broken`` with its reason, and ``close()`` always switches it off and releases the lease
(the coordinator's place, when there is one).
"""

from __future__ import annotations

import time
import zlib
from pathlib import Path

import numpy as np

from hil.lab.place import BoardLease
from hil.lab.strategy import Images, Status
from hil.power.profile import PowerProfile
from hil.serial_protocol import FrameType
from hil.targets.base import Capability, PowerEvent, PowerModel, RunResult, TargetState, TargetStateError
from tinas.errors import TinasError
from tinas.export.artifact import LoadedArtifact, load_artifact

DEFAULT_VSUP_V = 5.892  # the TiNAS Thevenin source voltage, used when no profile is given


class BoardError(TinasError):
    pass


class BoardTarget:
    kind = "board"
    capabilities = frozenset({Capability.NVM_PERSIST})

    @classmethod
    def for_run(cls, spec, platform, profile) -> BoardTarget:
        """A board for one run of ``hil run``: leased through labgrid (``spec.board``), flashed with the
        fr5994 image and the UART loader, the supply set to replay ``profile``."""
        from hil.build import build_firmware
        from hil.lab.address import BoardUnavailable
        from hil.lab.place import open_board

        if spec.board is None:
            raise BoardUnavailable("a board run needs --lg-env FILE or --lg-place NAME (docs/board-setup.md)")
        elf = build_firmware("fr5994", platform).elf
        loader = build_firmware("fr5994", platform, flags=("-DTINAS_LOADER",)).elf
        reference = build_firmware("fr5994", platform, flags=("-DRT_NO_PRESERVATION",)).elf
        target = cls(lease=open_board(spec.board), elf=elf, loader_elf=loader, reference_elf=reference)
        target.set_profile(profile)
        return target

    def __init__(self, lease: BoardLease | None = None, elf: Path | None = None, clock_hz: float = 16e6,
                 loader_elf: Path | None = None, reference_elf: Path | None = None, **_: object) -> None:
        if lease is None:
            raise BoardError("no board configured: pass --lg-env FILE or --lg-place NAME (docs/board-setup.md)")
        self.lease, self.elf, self.clock_hz, self.loader_elf = lease, elf, clock_hz, loader_elf
        self.reference_elf = reference_elf  # the -DRT_NO_PRESERVATION image: the IMO reference run
        self.loaded_elf: Path | None = None  # the image the last load() flashed (its hash goes in the rows)
        self.target = lease.target
        self.strategy = lease.strategy
        self.frames = self.target.get_driver("FrameDriver", activate=False)
        self.power = self.target.get_driver("PowerProtocol", activate=False)
        self.state = TargetState.OFF
        self.reason = ""
        self.artifact: LoadedArtifact | None = None
        self.profile: PowerProfile | None = None
        self.runs_done = 0

    @property
    def board_id(self) -> str:
        return self.lease.name

    def set_profile(self, profile: PowerProfile | None) -> None:
        """The harvested power to replay through the supply during the next runs (None: constant Vsup)."""
        self.profile = profile

    def supply_voltages(self) -> tuple[np.ndarray, np.ndarray]:
        """Supply set-points behind the board's series resistor R: a Thevenin profile is its open-circuit
        voltage; a power trace P(t) becomes V(t) = sqrt(4·R·P(t)), the voltage whose matched load draws P."""
        from labgrid.exceptions import NoResourceFoundError

        port = self.target.get_resource("ScpiSupplyPort", wait_avail=False)
        vmax = port.v_max_v
        if self.profile is None or self.profile.is_thevenin:
            v = float(self.profile.meta["vsup_v"]) if self.profile else DEFAULT_VSUP_V
            return np.array([0.0]), np.array([min(v, vmax)])
        try:
            ohm = self.target.get_resource("SeriesResistor", wait_avail=False).ohm
        except NoResourceFoundError:
            raise BoardError(f"board {self.board_id}: replaying a power trace needs a SeriesResistor resource "
                             f"(the harvester's source resistance)") from None
        v = np.sqrt(4.0 * ohm * self.profile.power_w)
        return self.profile.time_s, np.minimum(v, vmax)

    def _fail(self, reason: str) -> BoardError:
        self.state, self.reason = TargetState.BROKEN, reason
        return BoardError(f"board {self.board_id}: {reason}")

    def load(self, artifact_dir: str | Path, preservation: bool = True) -> None:
        """Flash the inference image (``preservation=False``: the -DRT_NO_PRESERVATION image, the
        reference of the measured IMO) and the model."""
        if self.state is TargetState.BROKEN:
            raise TargetStateError(f"board {self.board_id} is broken: {self.reason}")
        self.artifact = load_artifact(artifact_dir)
        elf = self.elf if preservation else self.reference_elf
        self.loaded_elf = elf
        if self.elf is not None and elf is None:
            raise BoardError(f"board {self.board_id}: no -DRT_NO_PRESERVATION image to measure the IMO reference with")
        if elf is not None:
            self.strategy.set_images(Images(Path(elf), self.loader_elf and Path(self.loader_elf),
                                            self.artifact.blob))
            try:
                self.strategy.transition(Status.flashed)
            except Exception as exc:  # StrategyError chains the first failure
                raise self._fail(f"flashing failed: {_cause(exc)}") from None
        else:  # no image given: the board already holds the inference firmware
            self.strategy.force(Status.flashed)
        self.state = TargetState.LOADED

    def run(self, power: PowerModel | None = None, timeout_s: float = 120.0, proactive: bool | None = None) -> RunResult:
        if self.state is TargetState.BROKEN:
            raise TargetStateError(f"board {self.board_id} is broken: {self.reason}")
        if self.state is not TargetState.LOADED or self.artifact is None:
            raise TargetStateError(f"run() needs a loaded board; state is {self.state.value}")
        self.strategy.set_supply_trace(*self.supply_voltages())
        if self.loader_elf is not None and self.runs_done:  # every run starts from the blob, as on the emulator
            self.strategy.reload()
        t0 = time.perf_counter()
        boots, events, result, done = 0, [], None, None
        try:
            self.strategy.transition(Status.running)
            self.state = TargetState.RUNNING
            while done is None:
                if time.perf_counter() - t0 > timeout_s:
                    p = self.frames.parser
                    raise self._fail(f"no DONE frame within {timeout_s:g} s: the board stopped answering "
                                     f"({boots} boots, {p.frames_ok} frames, {p.frames_bad_crc} bad CRC)")
                for f in self.frames.read_frames(0.05, t0):
                    if f.type == FrameType.BOOT:
                        boots += 1
                        events.append(PowerEvent(f.t_host_s, "on", 0, -1))
                    elif f.type == FrameType.RESULT:
                        result = f.fields()
                    elif f.type == FrameType.DONE:
                        done = f.fields()
                    elif f.type == FrameType.ERROR:
                        raise self._fail(f"firmware reported error {f.fields().get('code')} (firmware/include/hal.h)")
        except BoardError:
            raise
        except Exception as exc:  # serial link lost, supply refused, strategy broken
            raise self._fail(_cause(exc)) from None
        finally:
            try:
                if self.state is not TargetState.BROKEN:
                    self.strategy.transition(Status.flashed)  # power off (replay stopped), image stays
            except Exception as exc:
                raise self._fail(f"switching off failed: {_cause(exc)}") from None
        report = getattr(self.power, "replay_report", None)
        exp = self.artifact.expected_output.astype("<i2").tobytes()
        ok = result is not None and result["output_crc"] == (zlib.crc32(exp) & 0xFFFFFFFF)
        self.state = TargetState.LOADED
        self.runs_done += 1
        p = self.frames.parser
        log = f"frames ok {p.frames_ok}, bad crc {p.frames_bad_crc}"
        if report is not None:
            log += f"; supply replay {report.steps} steps, worst lateness {report.max_lateness_s * 1e3:.1f} ms"
        active = done["compute_cycles"] + done["preserve_cycles"] + done["recover_cycles"]
        return RunResult(completed=True, output_correct=ok, output=b"", power_cycles=max(boots, 1), cpu_cycles=0,
                         modelled_cycles=0, compute_cycles=done["compute_cycles"],
                         preserve_cycles=done["preserve_cycles"], recover_cycles=done["recover_cycles"],
                         active_time_s=active / self.clock_hz, off_time_s=0.0,
                         wall_time_s=time.perf_counter() - t0, timeline=tuple(events), log=log)

    @property
    def release_note(self) -> str:
        """Said after a failed run: the board is off and, with a coordinator, its place is free again."""
        return f"; board switched off" + (f", place {self.lease.place} released" if self.lease.place else "")

    def close(self) -> None:
        self.lease.release()
        if self.state is not TargetState.BROKEN:
            self.state = TargetState.OFF


def _cause(exc: BaseException) -> str:
    """The first failure behind labgrid's StrategyError wrappers, with its kind."""
    while exc.__cause__ is not None and type(exc).__name__ == "StrategyError":
        exc = exc.__cause__
    text = getattr(exc, "msg", None) or str(exc)
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__
