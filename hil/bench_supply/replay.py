"""Step a supply through a voltage trace in real time and measure how late each step was."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

import numpy as np

from hil.drivers.scpi_supply import ScpiSupply


@dataclass(frozen=True)
class ReplayReport:
    steps: int
    mean_lateness_s: float
    max_lateness_s: float


def replay_voltage(supply: ScpiSupply, time_s: np.ndarray, voltage_v: np.ndarray, speed: float = 1.0,
                   stop: threading.Event | None = None) -> ReplayReport:
    """Set ``voltage_v[k]`` at ``time_s[k] / speed`` seconds after the start; lateness is measured per step.
    ``stop`` ends the replay early (the run finished)."""
    t0 = time.perf_counter()
    late = []
    for t, v in zip(np.asarray(time_s, float) / speed, np.asarray(voltage_v, float)):
        wait = t - (time.perf_counter() - t0)
        if wait > 0:
            if stop is not None:
                if stop.wait(wait):
                    break
            else:
                time.sleep(wait)
        elif stop is not None and stop.is_set():
            break
        late.append(max(0.0, (time.perf_counter() - t0) - t))
        supply.set_voltage(float(v))
    return ReplayReport(len(late), float(np.mean(late)) if late else 0.0, float(np.max(late)) if late else 0.0)
