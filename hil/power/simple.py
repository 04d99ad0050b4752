"""Power models that need no trace: continuous power, and a fixed cycle budget per power cycle."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class ContinuousPower:
    """Never fails; a proactive shutdown costs no off time (the supply is always there)."""

    cycles_total: int = 0

    def power_on(self) -> int | None:
        return None

    def power_off(self, cycles_run: int) -> float:
        self.cycles_total += cycles_run
        return 0.0

    def finish(self, cycles_run: int) -> None:
        self.cycles_total += cycles_run


@dataclass
class FixedBudgetPower:
    """Every power cycle lasts at most ``budgets[i]`` cycles (the last value repeats), then the device
    is off for ``off_time_s``. Used to inject failures at chosen cycles."""

    budgets: list[int]
    off_time_s: float = 0.1
    boots: int = 0
    failures_at: list[int] = field(default_factory=list)

    def power_on(self) -> int | None:
        b = self.budgets[min(self.boots, len(self.budgets) - 1)]
        self.boots += 1
        return b

    def power_off(self, cycles_run: int) -> float:
        self.failures_at.append(cycles_run)
        return self.off_time_s

    def finish(self, cycles_run: int) -> None:
        return None
