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


DRAW_CHUNK_CYCLES = 1 << 20  # 65 ms at 16 MHz: short against a capacitor's RC time constant
LEAK_RC_S = 500.0  # s: insulation resistance × capacitance, 500 MΩ·µF (see the module docstring)
MAX_RECHARGE_S = 86_400.0  # a recharge longer than a day is refused as a broken setup, not measured


def leak_power_w(c_f: float, v: float, rc_s: float = LEAK_RC_S) -> float:
    """Power lost in the insulation resistance R = rc_s / C at voltage v: V²/R (0 for rc_s = inf)."""
    return c_f * v * v / rc_s


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
            # the leak resistance in parallel: an equivalent Thevenin source (exact); conductance 0 without leak
            self.g_leak = 1.0 / self.leak_ohm
            self.v_eq = self.vsup / (1.0 + self.rehm * self.g_leak)
            self.r_eq = self.rehm / (1.0 + self.rehm * self.g_leak)
            if self.v_eq <= self.v_on_v:
                raise ProfileError(f"{self.profile.name}: with the capacitor's leakage ({self.leak_ohm:.4g} Ω) the source "
                                   f"charges it to at most {self.v_eq:.4g} V: it never reaches Von = {self.v_on_v} V")
        else:
            # profiles start at 0 s and increase; the last sample holds for the mean sample step
            t, p = self.profile.time_s, self.profile.power_w
            step = float(np.mean(np.diff(t))) if t.size > 1 else 1.0
            self.seg_t = np.append(t, t[-1] + step)
            self.seg_p = p
            self.period = float(self.seg_t[-1])
            if not np.any(p > 0):
                raise ProfileError(f"{self.profile.name}: the trace never delivers power: the device can never turn on")
            self.mean_w = mean_w = float(np.sum(p * np.diff(self.seg_t))) / self.period
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
        """Harvested power at time t and the time the current segment ends (periodic replay; a time on a
        sample belongs to the segment that starts there)."""
        k, tau = divmod(t, self.period)  # 0 <= tau < period, and seg_t[0] = 0
        i = int(np.searchsorted(self.seg_t, tau, side="right")) - 1
        return float(self.seg_p[i]), k * self.period + float(self.seg_t[i + 1])

    # -- trace source: piecewise-linear energy ------------------------------------------------
    def _advance_trace(self, load: float, dt: float, target: float | None = None) -> float:
        """Advance by ``dt`` seconds, or less if E reaches ``target`` first; returns the time spent. Within a
        segment E moves linearly, so the crossing is solved exactly and E is set to the target there."""
        spent = 0.0
        while spent < dt:
            p, seg_end = self._trace_power(self.t_s)
            span = seg_end - self.t_s
            if span <= 1e-12:  # on a segment boundary up to rounding: move into the next segment
                self.t_s = max(seg_end, self.t_s) + 1e-12
                continue
            h = min(span, dt - spent)
            net = p - load - self.leak_w
            hit = False
            if target is not None and net != 0:
                t_hit = (target - self.e) / net  # negative: E moves away from the target in this segment
                if 0 <= t_hit <= h + 1e-12:  # a crossing at the segment's end, up to rounding, is one
                    h, hit = t_hit, True
            gain = net * h
            clip = max(self.e + gain - self.e_max, 0.0)
            self.ledger.harvested_j += p * h
            self.ledger.consumed_j += load * h
            self.ledger.leaked_j += self.leak_w * h
            self.ledger.clipped_j += clip
            self.e += gain - clip
            self.t_s += h
            spent += h
            if hit:
                self.e = target
                break
        return spent

    def _trace_wait_horizon_s(self) -> float:
        """How long the on-time budget waits for E to fall to Voff: a few replays of the trace, at least
        10 minutes; a source that out-harvests the load keeps the device on at least that long."""
        return max(self.max_wait_periods * self.period, 600.0)

    def _trace_recharge(self) -> None:
        """No load until E is back at E_on. The trace out-harvests the leak (checked at construction), so
        this arrives; a recharge expected to take longer than ``max_recharge_s`` is refused up front."""
        expected = (self.e_on - self.e) / (self.mean_w - self.leak_w)
        if expected > self.max_recharge_s:
            raise ProfileError(f"{self.profile.name}: recharging to Von = {self.v_on_v} V would take about "
                               f"{_fmt_duration(expected)} (limit {_fmt_duration(self.max_recharge_s)}): the "
                               f"harvester is too weak for this capacitor")
        self._advance_trace(0.0, math.inf, self.e_on)

    # -- Thevenin source ----------------------------------------------------------------------
    def _thevenin_off_to_on(self) -> float:
        """No load, from below Von: the RC charge curve towards the equivalent source, in closed form."""
        v0 = self._v()
        tau = self.r_eq * self.c_f
        dt = tau * math.log((self.v_eq - v0) / (self.v_eq - self.v_on_v))
        if dt > self.max_recharge_s:
            raise ProfileError(f"{self.profile.name}: recharging to Von = {self.v_on_v} V would take "
                               f"{_fmt_duration(dt)} (limit {_fmt_duration(self.max_recharge_s)})")
        # v(t) = v_eq + (v0 - v_eq)·exp(-t/τ); leaked = ∫ v²/R_leak dt in closed form
        a, b = self.v_eq, v0 - self.v_eq
        x = math.exp(-dt / tau)
        leaked = (a * a * dt + 2 * a * b * tau * (1 - x) + b * b * tau / 2 * (1 - x * x)) * self.g_leak
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
            return [ph - self.load_w - v * v * self.g_leak, ph]

        def hit_off(_t, y):
            return y[0] - self.e_off
        hit_off.terminal, hit_off.direction = True, -1
        horizon = dt if dt is not None else 1e6
        # LSODA: the charge curve turns stiff once E settles (a strong source out-harvesting the load would
        # cost an explicit solver some 10^8 steps to reach the horizon)
        sol = solve_ivp(rhs, (0.0, horizon), [self.e, 0.0], method="LSODA", events=hit_off, rtol=1e-10, atol=1e-14)
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
            return self._advance_trace(self.load_w, self._trace_wait_horizon_s(), self.e_off)
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
            self._advance_trace(self.load_w, dt)
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

    def harvest_chunk(self, clock_hz: float) -> tuple[float, int]:
        """Harvested power now and for how many cycles a consumer holds it: to the end of the current trace
        segment, at most DRAW_CHUNK_CYCLES (a Thevenin source's power changes with the voltage). The
        emulator target draws the twin's energy in these chunks, and the trace-aware prediction the same way."""
        p, hold = self.harvest_now()
        return p, DRAW_CHUNK_CYCLES if hold is None else max(1, min(DRAW_CHUNK_CYCLES, math.ceil(hold * clock_hz)))

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
            self._advance_trace(load, dt_s)

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
                self._trace_recharge()
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
        """Off time to recharge from ``v`` to Von (for comparison with the cost model; 0 from above Von)."""
        self.e = 0.5 * self.c_f * v * v
        return self.recharge_to_on()
