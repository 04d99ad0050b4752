"""Failure sweeps on the host target: inject a power failure at each NVM write (and at torn bytes
inside writes) in turn, resume, and check every run ends with the bit-exact output."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from tinas.progress import tqdm

from hil.drivers.host_process import HostDevice


@dataclass
class SweepReport:
    total_writes: int
    points_tried: int
    failures_injected: int
    wrong_outputs: list[tuple[int, int]] = field(default_factory=list)

    @property
    def all_correct(self) -> bool:
        return not self.wrong_outputs


def sweep_points(total_writes: int, budget: int | None, torn: tuple[int, ...], rng: np.random.Generator) -> list[tuple[int, int]]:
    """(write index, torn bytes) pairs: every write when ``budget`` is None, else an even sample that
    always includes the first and last writes."""
    ks = np.arange(1, total_writes + 1)
    if budget is not None and budget < total_writes:
        ks = np.unique(np.concatenate([[1, total_writes], rng.choice(ks, budget - 2, replace=False)]))
    return [(int(k), int(b)) for k in ks for b in torn]


def failure_sweep(device: HostDevice, budget: int | None = None, torn: tuple[int, ...] = (0, 1, 3),
                  seed: int = 0) -> SweepReport:
    clean = device.run()
    device.flash()
    total = device.run_once().nvm_writes
    points = sweep_points(total, budget, torn, np.random.default_rng(seed))
    report = SweepReport(total, len(points), 0)
    if not clean.correct:
        report.wrong_outputs.append((0, 0))
        return report
    for k, b in tqdm(points, desc="failure sweep", unit="run", leave=False):
        s = device.run(failures=[(k, b)])
        report.failures_injected += s.injected_failures
        if not s.correct:
            report.wrong_outputs.append((k, b))
    return report


