"""The host target: the natively built firmware as a process, NVM in a file (fast correctness runs).

It has no energy model of its own: under a power model it runs to completion with proactive shutdowns as
restarts. Its active time is what the runtime itself timed (compute + preserve + recover counters, from
hal_cycles_now: wall time at 16 MHz, not MSP430 cycles), so process start-up and the harness's file I/O
between restarts are not in it; wall_time_s keeps the whole wall time. Failure sweeps use hil.sweep.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from hil.drivers.host_process import HostDevice, build_host_firmware
from hil.serial_protocol import layer_counters
from hil.targets.base import Capability, PowerModel, RunResult, TargetState, TargetStateError
from tinas.export.artifact import load_artifact


HOST_CLOCK_HZ = 16_000_000  # hal_host.c: hal_cycles_now() counts wall time at 16 MHz


class HostTarget:
    kind = "host"
    capabilities = frozenset({Capability.NVM_PERSIST, Capability.FAILURE_INJECTION})

    @classmethod
    def for_run(cls, spec, platform, profile) -> HostTarget:
        """The native build for one run of ``hil run`` (its cycles are the host's clock)."""
        del spec, platform, profile
        return cls()

    def __init__(self, **_: object) -> None:
        self.state = TargetState.OFF
        self.device: HostDevice | None = None
        self._dir = Path(tempfile.mkdtemp(prefix="tinas-host-"))

    def load(self, artifact_dir: str | Path, preservation: bool = True) -> None:
        """``preservation=False``: the host-nopres build (the IMO reference, no commits or recovery)."""
        fw = build_host_firmware() if preservation else build_host_firmware(variant="host-nopres")
        self.device = HostDevice(fw, load_artifact(artifact_dir), self._dir / "nvm.bin")
        self.state = TargetState.LOADED

    def run(self, power: PowerModel, timeout_s: float = 600.0, proactive: bool | None = None) -> RunResult:
        if self.device is None:
            raise TargetStateError(f"run() needs a loaded artifact; target is {self.state.value}")
        s = self.device.run(yield_mode=bool(proactive if proactive is not None else self.device.artifact.record.proactive_shutdown))
        power.finish(0)
        fw_s = (s.ctrl["compute_cycles"] + s.ctrl["preserve_cycles"] + s.ctrl["recover_cycles"]) / HOST_CLOCK_HZ
        return RunResult(completed=True, output_correct=s.correct, output=s.output.tobytes(), power_cycles=s.restarts + 1,
                         cpu_cycles=0, modelled_cycles=0, compute_cycles=s.ctrl["compute_cycles"],
                         preserve_cycles=s.ctrl["preserve_cycles"], recover_cycles=s.ctrl["recover_cycles"],
                         active_time_s=fw_s, off_time_s=0.0, wall_time_s=s.wall_s,
                         layer_counters=self._counters(s.frames))

    def _counters(self, frames) -> tuple[dict[str, int], ...]:  # noqa: ANN001
        """From the LAYER-end frames; layers whose frame is missing come from the NVM table."""
        assert self.device is not None
        got = {c["layer"]: c for c in layer_counters(frames)}
        table = self.device.layer_table()
        return tuple(got.get(i, table[i]) for i in range(len(table)))

    def close(self) -> None:
        self.state = TargetState.OFF
