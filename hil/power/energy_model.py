"""Event-driven energy model: harvester → capacitor → the device's load, as a PowerModel.

The state is the capacitor's energy E = ½·C·V². Between events the model is solved in closed form
(trace segments hold their power, so E changes linearly; a Thevenin source charging an idle capacitor
follows the RC exponential) or, for a Thevenin source under load, by an adaptive ODE solver with a
terminal event at Voff. Nothing is stepped at a fixed small time step, so a 400 s inference costs a few
hundred events. Every joule is accounted for: harvested = consumed + stored + leaked + clipped.

Capacitor leakage is modelled as an insulation resistance R_leak with R_leak·C = ``LEAK_RC_S``: the
datasheet form of ceramic capacitors ("insulation resistance ≥ 10,000 MΩ or 500 MΩ·µF, whichever is
smaller" for 25-50 V parts, TDK's capacitor FAQ "How do I calculate the insulation resistance and CR
product?"), i.e. a guaranteed worst case. The Thevenin source sees it exactly (a resistor in parallel);
trace segments hold the leak at its value at Von, an upper bound while the device runs. A supply that
cannot out-harvest the leak is refused ("never reaches Von") instead of yielding a run of months, and
a single recharge longer than ``max_recharge_s`` (default a day) is refused too.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from scipy.integrate import solve_ivp

from hil.power.profile import PowerProfile, ProfileError
from tinas.platform import Platform


LEAK_RC_S = 500.0  # s: insulation resistance × capacitance, 500 MΩ·µF (see the module docstring)
MAX_RECHARGE_S = 86_400.0  # a recharge longer than a day is refused as a broken setup, not measured


def leak_power_w(c_f: float, v: float, rc_s: float = LEAK_RC_S) -> float:
    """Power lost in the insulation resistance R = rc_s / C at voltage v: V²/R."""
    return 0.0 if rc_s == float("inf") else c_f * v * v / rc_s


def _fmt_duration(s: float) -> str:
    return f"{s / 86400:.3g} days" if s >= 86400 else f"{s / 3600:.3g} h" if s >= 3600 else f"{s:.3g} s"


def active_power_w(platform: Platform) -> float:
    """The device's power when on: the energy per cycle of the profile's scalar-op microbenchmark."""
    return platform.op_add_energy_j / (platform.op_add_cycles / platform.cpu_clock_hz)


@dataclass
class EnergyLedger:
    harvested_j: float = 0.0
    consumed_j: float = 0.0
    leaked_j: float = 0.0
    clipped_j: float = 0.0  # harvested while the capacitor was full (lost in the regulator)


@dataclass
class EnergyModel:
    profile: PowerProfile
    c_f: float
    v_on_v: float
    v_off_v: float
    v_max_v: float
    load_w: float
    clock_hz: float
    leak_w: float = 0.0  # trace sources: constant leak power (from_platform: the insulation resistance at Von)
    leak_ohm: float = float("inf")  # Thevenin sources: the insulation resistance itself (exact)
    max_recharge_s: float = MAX_RECHARGE_S
    max_wait_periods: int = 3
    t_s: float = 0.0
    ledger: EnergyLedger = field(default_factory=EnergyLedger)
    history: list[tuple[float, float, bool]] = field(default_factory=list)  # (t, V, on)

    def __post_init__(self) -> None:
        if self.v_on_v <= self.v_off_v:
            raise ProfileError(f"Von {self.v_on_v} V must be above Voff {self.v_off_v} V")
        self.e_on = 0.5 * self.c_f * self.v_on_v**2
        self.e_off = 0.5 * self.c_f * self.v_off_v**2
        self.e_max = 0.5 * self.c_f * self.v_max_v**2
        self.e = self.e_on  # the run starts when the device first turns on
        self.e_start = self.e
        if self.profile.is_thevenin:
            self.vsup = float(self.profile.meta["vsup_v"])
            self.rehm = float(self.profile.meta["rehm_ohm"])
            if self.vsup <= self.v_on_v:
                raise ProfileError(f"{self.profile.name}: the source's {self.vsup} V can never charge the capacitor "
                                   f"to Von = {self.v_on_v} V")
            # the leak resistance in parallel: an equivalent Thevenin source (exact)
            rl = self.leak_ohm
            self.v_eq = self.vsup if rl == float("inf") else self.vsup * rl / (rl + self.rehm)
            self.r_eq = self.rehm if rl == float("inf") else self.rehm * rl / (rl + self.rehm)
            if self.v_eq <= self.v_on_v:
                raise ProfileError(f"{self.profile.name}: with the capacitor's leakage ({rl:.4g} Ω) the source charges "
                                   f"it to at most {self.v_eq:.4g} V: it never reaches Von = {self.v_on_v} V")
        else:
            t, p = self.profile.time_s, self.profile.power_w
            step = float(np.mean(np.diff(t))) if t.size > 1 else 1.0
            self.seg_t = np.append(t, t[-1] + step)
            self.seg_p = p
            self.period = float(self.seg_t[-1])
            if not np.any(p > 0):
                raise ProfileError(f"{self.profile.name}: the trace never delivers power: the device can never turn on")
            mean_w = float(np.sum(p * np.diff(self.seg_t))) / self.period
            if mean_w <= self.leak_w:
                raise ProfileError(f"{self.profile.name}: the trace harvests {mean_w:.3g} W on average, no more than the "
                                   f"capacitor leaks ({self.leak_w:.3g} W at Von): it never reaches Von = "
                                   f"{self.v_on_v} V")
        self._log(False)

    @classmethod
    def from_platform(cls, profile: PowerProfile, platform: Platform, leak_rc_s: float = LEAK_RC_S,
                      **kw) -> EnergyModel:
        """The device on ``platform`` under ``profile``, with the capacitor's leakage (``leak_rc_s`` =
        R_leak·C; ``float('inf')`` for an ideal capacitor) unless ``leak_w``/``leak_ohm`` are given."""
        if "leak_w" not in kw and "leak_ohm" not in kw:
            kw["leak_w"] = leak_power_w(platform.ccap_f, platform.v_on_v, leak_rc_s)
            kw["leak_ohm"] = leak_rc_s / platform.ccap_f
        return cls(profile=profile, c_f=platform.ccap_f, v_on_v=platform.v_on_v, v_off_v=platform.v_off_v,
                   v_max_v=platform.v_sup_v, load_w=active_power_w(platform), clock_hz=platform.cpu_clock_hz, **kw)

    # -- helpers -----------------------------------------------------------------------------
    def _v(self) -> float:
        return math.sqrt(2.0 * max(self.e, 0.0) / self.c_f)

    def _log(self, on: bool) -> None:
        self.history.append((self.t_s, self._v(), on))

    def _trace_power(self, t: float) -> tuple[float, float]:
        """Harvested power at time t and the time the current segment ends (periodic replay)."""
        k, tau = divmod(t, self.period)
        i = int(np.searchsorted(self.seg_t, tau, side="right") - 1)
        i = min(max(i, 0), self.seg_p.size - 1)
        return float(self.seg_p[i]), k * self.period + float(self.seg_t[i + 1])

    # -- trace source: piecewise-linear energy ------------------------------------------------
    def _advance_trace(self, load: float, dt: float | None, target: float | None, must_reach: bool = True) -> float:
        """Advance by ``dt`` seconds, or until E reaches ``target``; returns the time spent. Waiting longer
        than a few replays of the trace raises (``must_reach``) or returns the time waited."""
        spent = 0.0
        horizon = max(self.max_wait_periods * self.period, 600.0)
        if target is not None and must_reach and target > self.e:
            gain = self.profile.energy_j + self.seg_p[-1] * (self.period - self.profile.duration_s) \
                - (load + self.leak_w) * self.period
            if gain <= 0:
                raise ProfileError(f"{self.profile.name}: the trace delivers less energy per period than the device "
                                   f"draws or leaks: the capacitor never reaches the turn-on voltage {self.v_on_v} V")
            expected = (target - self.e) / gain * self.period
            if load == 0.0 and expected > self.max_recharge_s:
                raise ProfileError(f"{self.profile.name}: recharging to Von = {self.v_on_v} V would take about "
                                   f"{_fmt_duration(expected)} (limit {_fmt_duration(self.max_recharge_s)}): the "
                                   f"harvester is too weak for this capacitor")
            horizon = ((target - self.e) / gain + self.max_wait_periods) * self.period
        limit = self.t_s + horizon + (dt or 0.0)
        while True:
            if dt is not None and spent >= dt:
                return spent
            if self.t_s > limit:
                if not must_reach:
                    return spent
                raise ProfileError(f"{self.profile.name}: the capacitor never reaches the turn-on voltage "
                                   f"{self.v_on_v} V (after {self.max_wait_periods} replays of the trace)")
            p, seg_end = self._trace_power(self.t_s)
            span = seg_end - self.t_s
            if span <= 1e-12:  # on a segment boundary up to rounding: move into the next segment
                self.t_s = max(seg_end, self.t_s) + 1e-12
                continue
            if dt is not None:
                span = min(span, dt - spent)
            net = p - load - self.leak_w
            h = span
            if target is not None and net != 0 and (target - self.e) / net > 0:
                h = min(h, (target - self.e) / net)
            elif target is not None and abs(target - self.e) < 1e-18:
                return spent
            gain = net * h
            clip = 0.0
            if self.e + gain > self.e_max:
                clip = self.e + gain - self.e_max
                gain -= clip
            self.ledger.harvested_j += p * h
            self.ledger.consumed_j += load * h
            self.ledger.leaked_j += self.leak_w * h
            self.ledger.clipped_j += clip
            self.e += gain
            self.t_s += h
            spent += h
            if target is not None and h < span - 1e-15:
                self.e = target
                return spent

    # -- Thevenin source ----------------------------------------------------------------------
    def _thevenin_off_to_on(self) -> float:
        v0 = self._v()
        tau = self.r_eq * self.c_f
        dt = tau * math.log((self.v_eq - v0) / (self.v_eq - self.v_on_v)) if v0 < self.v_on_v else 0.0
        if dt > self.max_recharge_s:
            raise ProfileError(f"{self.profile.name}: recharging to Von = {self.v_on_v} V would take "
                               f"{_fmt_duration(dt)} (limit {_fmt_duration(self.max_recharge_s)})")
        leaked = 0.0
        if dt > 0 and self.leak_ohm != float("inf"):
            # v(t) = v_eq + (v0 - v_eq)·exp(-t/τ); leaked = ∫ v²/R_leak dt in closed form
            a, b = self.v_eq, v0 - self.v_eq
            x = math.exp(-dt / tau)
            leaked = (a * a * dt + 2 * a * b * tau * (1 - x) + b * b * tau / 2 * (1 - x * x)) / self.leak_ohm
        gained = self.e_on - self.e
        self.ledger.harvested_j += gained + leaked
        self.ledger.leaked_j += leaked
        self.e = self.e_on
        self.t_s += dt
        return dt

    def _thevenin_on(self, dt: float | None) -> float:
        def rhs(_t, y):
            v = math.sqrt(2.0 * max(y[0], 0.0) / self.c_f)
            ph = v * (self.vsup - v) / self.rehm
            return [ph - self.load_w - v * v / self.leak_ohm, ph]

        def hit_off(_t, y):
            return y[0] - self.e_off
        hit_off.terminal, hit_off.direction = True, -1
        horizon = dt if dt is not None else 1e6
        sol = solve_ivp(rhs, (0.0, horizon), [self.e, 0.0], events=hit_off, rtol=1e-10, atol=1e-14)
        t_end = float(sol.t[-1])
        harvested = float(sol.y[1, -1])
        e_end = float(sol.y[0, -1]) if not sol.t_events[0].size else self.e_off
        self.ledger.harvested_j += harvested
        self.ledger.consumed_j += self.load_w * t_end
        self.ledger.leaked_j += harvested - self.load_w * t_end - (e_end - self.e)  # the rest of the balance
        self.e = e_end
        self.t_s += t_end
        return t_end

    # -- PowerModel --------------------------------------------------------------------------
    def on_time_budget_s(self) -> float:
        """How long the device can run from now before the capacitor falls to Voff (no side effects)."""
        saved = (self.e, self.t_s, EnergyLedger(**vars(self.ledger)), len(self.history))
        try:
            if self.profile.is_thevenin:
                return self._thevenin_on(None)
            return self._advance_trace(self.load_w, None, self.e_off, must_reach=False)
        finally:
            self.e, self.t_s, self.ledger, n = saved
            del self.history[n:]

    def power_on(self) -> int | None:
        self._log(True)
        return int(self.on_time_budget_s() * self.clock_hz)

    def _run_on(self, cycles: int) -> None:
        dt = cycles / self.clock_hz
        if self.profile.is_thevenin:
            self._thevenin_on(dt)
        else:
            self._advance_trace(self.load_w, dt, None)
        self.e = max(self.e, self.e_off)
        self._log(True)

    def power_off(self, cycles_run: int) -> float:
        self._run_on(cycles_run)
        return self.recharge_to_on()

    # -- measured-energy interface (the FR5994 twin draws what it measures) ----------------------
    def usable_energy_j(self) -> float:
        """Energy the capacitor can give before it falls to Voff (negative if already below)."""
        return self.e - self.e_off

    def harvest_now(self) -> tuple[float, float | None]:
        """Harvested power now and for how long it holds: a trace source holds it to the end of the
        current segment; a Thevenin source's power depends on the voltage, so a caller holds it for
        a short chunk (returns None for the duration)."""
        if self.profile.is_thevenin:
            v = self._v()
            return max(v * (self.vsup - v) / self.rehm, 0.0), None
        p, seg_end = self._trace_power(self.t_s)
        return p, max(seg_end - self.t_s, 0.0)

    def advance_chunk(self, dt_s: float, consumed_j: float) -> None:
        """The device was on for ``dt_s`` and drew ``consumed_j`` (measured). Trace source: exact over
        the segments crossed. Thevenin source: the harvested power is held at its value at the chunk's
        start (chunks are short against the RC time constant). The ledger stays exact either way:
        harvested = consumed + stored + leaked + clipped."""
        if dt_s <= 0:
            self.ledger.consumed_j += consumed_j
            self.e -= consumed_j
            return
        load = consumed_j / dt_s
        if self.profile.is_thevenin:
            p, _ = self.harvest_now()
            gain = (p - load - self.leak_w) * dt_s
            clip = max(self.e + gain - self.e_max, 0.0)
            self.ledger.harvested_j += p * dt_s
            self.ledger.consumed_j += consumed_j
            self.ledger.leaked_j += self.leak_w * dt_s
            self.ledger.clipped_j += clip
            self.e += gain - clip
            self.t_s += dt_s
        else:
            self._advance_trace(load, dt_s, None)

    def mark_on(self) -> None:
        self._log(True)

    def recharge_to_on(self) -> float:
        """The device is off: wait until the capacitor is back at Von; returns the off time."""
        self._log(False)
        t0 = self.t_s
        if self.e < self.e_on:  # a proactive shutdown in strong light may leave the capacitor above Von
            if self.profile.is_thevenin:
                self._thevenin_off_to_on()
            else:
                self._advance_trace(0.0, None, self.e_on)
        self._log(False)
        return self.t_s - t0

    def finish(self, cycles_run: int) -> None:
        self._run_on(cycles_run)
        self._log(False)

    def finish_measured(self) -> None:
        """Close a run whose energy was drawn through advance_chunk."""
        self._log(False)

    def balance_error_j(self) -> float:
        """harvested − (consumed + Δstored + leaked + clipped); zero up to rounding."""
        L = self.ledger
        return L.harvested_j - (L.consumed_j + (self.e - self.e_start) + L.leaked_j + L.clipped_j)

    def recharge_time_from(self, v: float) -> float:
        """Off time to recharge from ``v`` to Von (for comparison with the cost model)."""
        self.e = 0.5 * self.c_f * v * v
        t0 = self.t_s
        if self.profile.is_thevenin:
            self._thevenin_off_to_on()
        else:
            self._advance_trace(0.0, None, self.e_on)
        return self.t_s - t0
