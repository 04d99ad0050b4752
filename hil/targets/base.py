"""What every target offers the runner, and what the energy model offers a target.

The runner never switches on the kind of target: it asks a target for a run under a power model and
gets a ``RunResult``. The power model is the only thing that knows about capacitors and traces; the
target only knows cycles.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

from tinas.errors import TinasError


class Capability(enum.Enum):
    CYCLE_COUNTER = "cycle_counter"
    ENERGY_METER = "energy_meter"
    NVM_PERSIST = "nvm_persist"
    FAILURE_INJECTION = "failure_injection"


class TargetState(enum.Enum):
    OFF = "off"
    LOADED = "loaded"
    RUNNING = "running"
    BROKEN = "broken"


class TargetStateError(TinasError):
    """A method was called on a target or driver in a state that does not allow it."""


@runtime_checkable
class PowerModel(Protocol):
    """The harvested-power side of a run, seen from a target, in device cycles.

    ``power_on`` is called at every boot and returns how many cycles the device can execute (at the
    platform's active power) before its capacitor falls to Voff, or ``None`` under continuous power.
    ``power_off`` is called when the device stops after ``cycles_run`` cycles of this power cycle: either
    the budget ran out (brown-out at Voff) or the firmware shut down proactively after committing a
    preservation batch (``cycles_run`` below the budget, capacitor still above Voff, as the original
    runtime's PROACTIVE_SHUTDOWN does). It returns the time in seconds the device stays off while the
    capacitor recharges to Von, and raises
    ``tinas.errors.TinasError`` if the source can never bring it back. ``finish`` closes the run.
    """

    def power_on(self) -> int | None: ...

    def power_off(self, cycles_run: int) -> float: ...

    def finish(self, cycles_run: int) -> None: ...


@dataclass(frozen=True)
class PowerEvent:
    """One entry of a run's timeline: the device turned on or off at ``time_s``."""

    time_s: float
    kind: str  # "on" | "off" | "done"
    cycles: int  # device cycles executed so far in the whole run
    layer: int  # index of the layer in progress (-1 before the first)


@dataclass(frozen=True)
class RunResult:
    """What one inference on a target produced. Times in seconds, cycles at the platform clock."""

    completed: bool
    output_correct: bool
    output: bytes
    power_cycles: int
    cpu_cycles: int  # executed (emulator: counted by the simulator's tracer)
    modelled_cycles: int  # charged by the harness for peripherals the target does not execute (LEA, DMA, SPI)
    compute_cycles: int  # per-phase counters kept by the firmware in NVM
    preserve_cycles: int
    recover_cycles: int
    active_time_s: float
    off_time_s: float
    wall_time_s: float
    timeline: tuple[PowerEvent, ...] = field(default=())
    log: str = ""
    energy_j: float = float("nan")  # drawn by the device, measured (twin, board meter); NaN: not measured
    # per-layer primitive counters from the LAYER-end frames (or the NVM table), one dict per layer with
    # the keys of tinas.export.layout.COUNTER_FIELDS; empty when the target could not read them
    layer_counters: tuple[dict[str, int], ...] = field(default=())

    @property
    def latency_s(self) -> float:
        """End-to-end latency: time on plus time off (recharging)."""
        return self.active_time_s + self.off_time_s


class Target(Protocol):
    """One device under test: load a model artifact, run inferences under a power model."""

    kind: str
    capabilities: frozenset[Capability]

    def load(self, artifact_dir: str, preservation: bool = True) -> None: ...

    def run(self, power: PowerModel, timeout_s: float = 600.0) -> RunResult: ...

    def close(self) -> None: ...
