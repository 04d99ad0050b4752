"""Capacitor and harvester model (original-tinas.md, cost model §2): energy per power cycle and recharge time.

The harvester is a Thevenin source (Vsup behind Rehm) charging a capacitor between Voff and Von. The
original exits the process on infeasible inputs; here they raise ``CapacitorError`` so a search can
record the network as infeasible and go on.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tinas.errors import TinasError


class CapacitorError(TinasError):
    """A power cycle that the capacitor cannot supply, or a supply that cannot charge it."""


@dataclass(frozen=True)
class Capacitor:
    c_f: float
    v_on_v: float
    v_off_v: float
    v_sup_v: float
    rehm_ohm: float
    margin: float

    @property
    def e_avail_j(self) -> float:
        """Energy between Von and Voff, without the safety margin."""
        return 0.5 * self.c_f * (self.v_on_v**2 - self.v_off_v**2)

    @property
    def e_budget_j(self) -> float:
        """Energy one power cycle may use (atomicity limit, check C1)."""
        return 0.5 * self.c_f * (self.v_on_v**2 - self.v_off_v**2) * self.margin

    def recharge_time_s(self, e_pc_j: np.ndarray | float) -> np.ndarray:
        """Time to recharge from the voltage left after using ``e_pc_j`` back to Von (vectorised).

        Raises ``CapacitorError`` if any energy is non-positive or exceeds the budget, or the supply
        cannot reach the voltages involved.
        """
        e = np.asarray(e_pc_j)
        if self.v_sup_v < self.v_on_v or self.v_off_v > self.v_on_v:
            raise CapacitorError(
                f"supply {self.v_sup_v} V cannot charge to Von {self.v_on_v} V (Voff {self.v_off_v} V)"
            )
        e_avail = self.e_avail_j
        if np.any(e <= 0):
            raise CapacitorError("a power cycle with non-positive energy cannot be costed")
        if np.any(e_avail * self.margin <= e):
            raise CapacitorError(
                f"a power cycle needs {float(np.max(e)):.4g} J but the capacitor gives at most "
                f"{e_avail * self.margin:.4g} J (C={self.c_f} F, margin {self.margin})"
            )
        # the original also refuses Vpce > Vsup; with 0 < e and Vsup >= Von checked above, Vpce < Von <= Vsup
        v_pce = np.sqrt(2.0 * (e_avail - e) / self.c_f + self.v_off_v**2)
        return -self.rehm_ohm * self.c_f * np.log((self.v_on_v - self.v_sup_v) / (v_pce - self.v_sup_v))


def capacitor_of(platform) -> Capacitor:  # noqa: ANN001 - tinas.platform.Platform
    return Capacitor(
        c_f=platform.ccap_f,
        v_on_v=platform.v_on_v,
        v_off_v=platform.v_off_v,
        v_sup_v=platform.v_sup_v,
        rehm_ohm=platform.rehm_ohm,
        margin=platform.eav_safe_margin,
    )
