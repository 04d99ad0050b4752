"""The energy model's less travelled paths against independent expectations: closed-form capacitor
physics and a small fixed-step RK4 integrator written here (not the model's adaptive solver), hand-sized
traces whose segment arithmetic is worked out in the comments, and every refusal at its exact boundary.

Hand model unless stated: C = 1 mF, Von = 3 V, Voff = 2 V, Vmax = 3.6 V (E_on = 4.5 mJ, E_off = 2 mJ,
E_max = 6.48 mJ), a 10 mW load, a 1 MHz clock."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import integrate

from hil.power.energy_model import EnergyModel, _fmt_duration, leak_power_w
from hil.power.profile import PowerProfile, ProfileError
from tinas.platform import load_platform


def trace(times, powers, **kw) -> EnergyModel:
    prof = PowerProfile("hand", "synthetic", {}, np.array(times, dtype=float), np.array(powers, dtype=float))
    args = dict(profile=prof, c_f=1e-3, v_on_v=3.0, v_off_v=2.0, v_max_v=3.6, load_w=10e-3, clock_hz=1e6)
    return EnergyModel(**(args | kw))


def thevenin(vsup, rehm, **kw) -> EnergyModel:
    prof = PowerProfile("th", "thevenin", {"vsup_v": vsup, "rehm_ohm": rehm}, np.zeros(0), np.zeros(0))
    args = dict(profile=prof, c_f=1e-3, v_on_v=3.0, v_off_v=2.0, v_max_v=5.0, load_w=10e-3, clock_hz=1e6)
    return EnergyModel(**(args | kw))


def test_helpers_by_hand():
    assert leak_power_w(1e-3, 3.0, 500.0) == pytest.approx(1e-3 * 9 / 500)  # C·V²/(R·C)
    assert leak_power_w(1e-3, 3.0) == pytest.approx(1.8e-5)  # the datasheet 500 s by default
    assert leak_power_w(1e-3, 3.0, float("inf")) == 0.0
    # 3 significant digits; 106704.432 s = 1.235005 days and 4446.018 s = 1.235005 h round up
    cases = {86400.0: "1 days", 106704.432: "1.24 days", 86399.0: "24 h", 3600.0: "1 h", 4446.018: "1.24 h",
             3599.0: "3.6e+03 s", 0.0405: "0.0405 s"}
    assert {s: _fmt_duration(s) for s in cases} == cases


def test_history_records_every_switch():
    # 2 mW constant: on 0.3125 s drains 2.5 mJ at a net 8 mW (to 2 V), back to 3 V in 1.25 s at 2 mW
    m = trace([0, 1], [2e-3, 2e-3])
    assert m.history == [(0.0, 3.0, False)]
    m.power_on()
    m.power_off(312_500)
    m.mark_on()
    m.finish(0)
    m.mark_on()
    m.finish_measured()
    want = [(0.0, 3.0, False), (0.0, 3.0, True), (0.3125, 2.0, True), (0.3125, 2.0, False), (1.5625, 3.0, False),
            (1.5625, 3.0, True), (1.5625, 3.0, True), (1.5625, 3.0, False), (1.5625, 3.0, True), (1.5625, 3.0, False)]
    assert [h[2] for h in m.history] == [w[2] for w in want]
    assert np.allclose([h[:2] for h in m.history], [w[:2] for w in want], rtol=1e-12)


def test_the_budget_has_no_side_effects_and_waits_a_few_replays():
    # 20 mW in, 10 mW out: E never falls, so the budget is the wait horizon: 3 replays of the trace but at
    # least 10 minutes. Period 2 s (two 1 s samples) -> 600 s; period 400 s (samples at 0 and 200 s) -> 1200 s;
    # 4 replays -> 1600 s
    m = trace([0, 1], [20e-3, 20e-3])
    assert m.power_on() == 600_000_000
    assert (m.t_s, m.e, vars(m.ledger)) == (0.0, pytest.approx(4.5e-3, rel=1e-15),
                                            dict(harvested_j=0.0, consumed_j=0.0, leaked_j=0.0, clipped_j=0.0))
    assert trace([0, 200], [20e-3, 20e-3]).power_on() == 1_200_000_000
    assert trace([0, 200], [20e-3, 20e-3], max_wait_periods=4).power_on() == 1_600_000_000


def test_sample_step_and_segment_lookup():
    # samples at 0 and 2 s: the last holds for the mean step (2 s), the period is 4 s; a time on a sample
    # belongs to the segment that starts there
    m = trace([0, 2], [3e-3, 1e-3], v_max_v=10.0)
    assert m.harvest_now() == (3e-3, 2.0)
    m.advance_chunk(0.5, 0.0)
    assert m.harvest_now() == (3e-3, 1.5)
    m.advance_chunk(1.5, 0.0)
    assert m.harvest_now() == (1e-3, 2.0)
    m.advance_chunk(2.0, 0.0)
    assert m.t_s == 4.0 and m.harvest_now() == (3e-3, 2.0)  # the replay starts over
    # uneven samples 0, 1, 3 s: mean step 1.5 s, so the last sample holds from 3 to 4.5 s
    u = trace([0, 1, 3], [1e-3, 2e-3, 3e-3], v_max_v=10.0)
    u.advance_chunk(3.0, 0.0)
    assert u.harvest_now() == (3e-3, 1.5)
    # one sample: held for 1 s and replayed; 2.5 mJ from Voff at 2 mW take 1.25 s
    one = trace([0], [2e-3])
    assert one.harvest_now() == (2e-3, 1.0)
    assert one.recharge_time_from(2.0) == pytest.approx(1.25, rel=1e-12)


def test_recharge_across_many_dark_phases():
    # 0.1 mW during the first second of every 2 s: 0.1 mJ per replay, the 2.5 mJ from Voff to Von arrive at
    # the end of the 25th light phase, t = 2·24 + 1 = 49 s
    m = trace([0, 1], [0.1e-3, 0.0])
    assert m.recharge_time_from(2.0) == pytest.approx(49.0, rel=1e-12)
    assert m.ledger.harvested_j == pytest.approx(2.5e-3, rel=1e-12) and m.e == m.e_on


def test_short_samples_cross_their_boundaries_cleanly():
    # 0.1 s samples (not exact in binary): 2.5 mJ at a constant 1 mW still take 2.5 s, and 0.25 s on
    # under the 10 mW load drain 0.25·9 mW = 2.25 mJ
    m = trace([0, 0.1, 0.2], [1e-3, 1e-3, 1e-3])
    assert m.recharge_time_from(2.0) == pytest.approx(2.5, rel=1e-9)
    assert m.ledger.harvested_j == pytest.approx(2.5e-3, rel=1e-9)
    m.finish(250_000)
    assert m.t_s == pytest.approx(2.75, rel=1e-9) and m.e == pytest.approx(4.5e-3 - 2.25e-3, rel=1e-9)


def test_trace_refusals_at_their_boundaries():
    with pytest.raises(ProfileError, match="^hand: the trace never delivers power"):
        trace([0, 1], [0.0, 0.0])
    # samples 0 and 2 s at 1 mW: 4 mJ per 4 s period, a mean of exactly 1 mW
    with pytest.raises(ProfileError, match=r"^hand: the trace harvests 0.001 W on average, no more than the "
                                           r"capacitor leaks \(0.001 W at Von\)"):
        trace([0, 2], [1e-3, 1e-3], leak_w=1e-3)
    assert trace([0, 2], [1e-3, 1e-3], leak_w=0.9e-3).mean_w == pytest.approx(1e-3)
    # mean (3 mW·2 s + 1 mW·2 s)/4 s = 2 mW, less a 0.5 mW leak: 2.5 mJ expected to take 1.67 s
    with pytest.raises(ProfileError, match=r"would take about 1.67 s \(limit 1.5 s\): the harvester is too weak"):
        trace([0, 2], [3e-3, 1e-3], leak_w=0.5e-3, max_recharge_s=1.5).recharge_time_from(2.0)
    # accepted under a 1.7 s limit; the first 2 s deliver a net 2.5 mW, so it actually takes 1 s
    assert trace([0, 2], [3e-3, 1e-3], leak_w=0.5e-3, max_recharge_s=1.7).recharge_time_from(2.0) == \
        pytest.approx(1.0, rel=1e-12)


def test_thevenin_refusals_at_their_boundaries():
    with pytest.raises(ProfileError, match="^th: the source's 3.0 V can never charge the capacitor to Von = 3.0 V$"):
        thevenin(3.0, 100.0)
    # 6 V behind 100 Ω with a 100 Ω leak across the capacitor divides to exactly 3 V
    with pytest.raises(ProfileError, match=r"^th: with the capacitor's leakage \(100 Ω\) the source charges it to "
                                           r"at most 3 V: it never reaches Von = 3.0 V$"):
        thevenin(6.0, 100.0, leak_ohm=100.0)
    # 5 V behind 100 Ω from 2 V: RC·ln((5-2)/(5-3)) = 0.1·ln 1.5 = 40.5 ms
    with pytest.raises(ProfileError, match=r"^th: recharging to Von = 3.0 V would take 0.0405 s \(limit 0.04 s\)$"):
        thevenin(5.0, 100.0, max_recharge_s=0.04).recharge_time_from(2.0)


def test_thevenin_recharge_with_leak_against_integrals():
    # 6 V behind 100 Ω, 1 kΩ leak: the capacitor charges towards 6·1000/1100 V with time constant
    # (100 || 1000 Ω)·C along v(t) = veq + (v0 - veq)·e^(-t/τ); the source delivers ∫ v·(6 - v)/100 dt and the
    # leak takes ∫ v²/1000 dt, both integrated numerically here
    m = thevenin(6.0, 100.0, leak_ohm=1000.0)
    veq, tau = 6.0 * 1000 / 1100, 1e-3 * 100 * 1000 / 1100
    dt = tau * math.log((veq - 2.0) / (veq - 3.0))
    v = lambda t: veq + (2.0 - veq) * math.exp(-t / tau)  # noqa: E731
    harvested = integrate.quad(lambda t: v(t) * (6.0 - v(t)) / 100.0, 0, dt, epsabs=0, epsrel=1e-13)[0]
    leaked = integrate.quad(lambda t: v(t) ** 2 / 1000.0, 0, dt, epsabs=0, epsrel=1e-13)[0]
    assert m.recharge_time_from(2.0) == pytest.approx(dt, rel=1e-12)
    assert m.ledger.leaked_j == pytest.approx(leaked, rel=1e-9)
    assert m.ledger.harvested_j == pytest.approx(harvested, rel=1e-9)
    assert harvested == pytest.approx(2.5e-3 + leaked, rel=1e-9)  # the integrals balance by themselves too
    assert m.recharge_time_from(2.0) == pytest.approx(dt, rel=1e-12) and m.t_s == pytest.approx(2 * dt, rel=1e-12)
    # from above Von there is nothing to wait for
    assert m.recharge_time_from(3.5) == 0.0 and m.e == pytest.approx(0.5e-3 * 3.5**2)


def _rk4_thevenin(e0, vsup, rehm, g_leak, load_w, c_f, t_end, e_stop, h=2e-5):
    """Reference: E' = v(Vs - v)/R - P - v²·G with v = sqrt(2E/C), classic RK4 at a fixed step, stopping
    where E crosses e_stop (linear interpolation inside the last step). Returns (t, E, harvested, leaked)."""
    def f(y):
        v = math.sqrt(2.0 * y[0] / c_f)
        ph = v * (vsup - v) / rehm
        return np.array([ph - load_w - v * v * g_leak, ph, v * v * g_leak])
    y, t = np.array([e0, 0.0, 0.0]), 0.0
    while t < t_end:
        s = min(h, t_end - t)
        k1 = f(y)
        k2 = f(y + s / 2 * k1)
        k3 = f(y + s / 2 * k2)
        k4 = f(y + s * k3)
        y1 = y + s / 6 * (k1 + 2 * k2 + 2 * k3 + k4)
        if y1[0] <= e_stop:
            a = (y[0] - e_stop) / (y[0] - y1[0])
            y = y + a * (y1 - y)
            return t + a * s, e_stop, y[1], y[2]
        y, t = y1, t + s
    return t, y[0], y[1], y[2]


def test_thevenin_under_load_against_a_reference_integrator():
    # 5 V behind 1 kΩ, a 5 kΩ leak, a 20 mW load: E falls from 4.5 mJ to 2 mJ in about 0.19 s. A 1 THz
    # "clock" makes the cycle counts fine enough to compare times at 1e-12 s
    kw = dict(load_w=20e-3, leak_ohm=5000.0, clock_hz=1e12)
    ref_t, _, _, _ = _rk4_thevenin(4.5e-3, 5.0, 1000.0, 1 / 5000, 20e-3, 1e-3, 1.0, 2e-3)
    m = thevenin(5.0, 1000.0, **kw)
    budget = m.power_on()
    assert budget / 1e12 == pytest.approx(ref_t, rel=1e-8)
    half = budget // 2
    t_half, e_half, harv_half, leak_half = _rk4_thevenin(4.5e-3, 5.0, 1000.0, 1 / 5000, 20e-3, 1e-3, half / 1e12, 0.0)
    m.finish(half)
    assert m.t_s == half / 1e12
    assert m.e == pytest.approx(e_half, rel=1e-9)
    assert m.ledger.harvested_j == pytest.approx(harv_half, rel=1e-9)
    assert m.ledger.leaked_j == pytest.approx(leak_half, rel=1e-6)
    assert m.ledger.consumed_j == pytest.approx(20e-3 * half / 1e12, rel=1e-12)
    # asked to run past the budget, the device stops at Voff
    past = thevenin(5.0, 1000.0, **kw)
    past.finish(2 * budget)
    assert past.t_s == pytest.approx(ref_t, rel=1e-8) and past.e == past.e_off


def test_thevenin_that_outharvests_the_load_gives_the_long_horizon():
    # 10 V behind 10 Ω against 1 mW: E never falls, the budget is the solver's 10^6 s horizon
    assert thevenin(10.0, 10.0, load_w=1e-3).power_on() == 10**12


def test_measured_chunks_thevenin_by_hand():
    # 5 V behind 100 Ω (at 3 V: 3·2/100 = 60 mW), a 1 mW leak, Vmax 3.2 V (E_max = 5.12 mJ)
    m = thevenin(5.0, 100.0, v_max_v=3.2, leak_w=1e-3)
    m.advance_chunk(0.0, 1e-4)  # no time: only the draw
    m.advance_chunk(0.0, 1e-4)
    assert m.e == pytest.approx(4.3e-3) and m.ledger.consumed_j == pytest.approx(2e-4) and m.t_s == 0.0
    m.e = 4.5e-3  # back at Von for round numbers (the ledger no longer balances; not checked below)
    # 0.1 s drawing 1 mJ: (60 - 10 - 1) mW·0.1 s = 4.9 mJ, E would reach 9.4 mJ: 4.28 mJ clipped at 5.12 mJ
    m.advance_chunk(0.1, 1e-3)
    # at 3.2 V: 3.2·1.8/100 = 57.6 mW; drawing 2 mJ: (57.6 - 20 - 1)·0.1 = 3.66 mJ, all clipped
    m.advance_chunk(0.1, 2e-3)
    # drawing 6 mJ: (57.6 - 60 - 1)·0.1 = -0.34 mJ, nothing clipped
    m.advance_chunk(0.1, 6e-3)
    L = m.ledger
    assert m.e == pytest.approx(5.12e-3 - 0.34e-3) and m.t_s == pytest.approx(0.3)
    assert L.harvested_j == pytest.approx(6e-3 + 2 * 5.76e-3)
    assert L.consumed_j == pytest.approx(2e-4 + 1e-3 + 2e-3 + 6e-3)
    assert L.leaked_j == pytest.approx(3e-4)
    assert L.clipped_j == pytest.approx(4.28e-3 + 3.66e-3)


def test_from_platform_keeps_a_given_leak():
    p = load_platform()
    prof = PowerProfile("c", "synthetic", {}, np.array([0.0, 1.0]), np.array([5e-3, 5e-3]))
    only_w = EnergyModel.from_platform(prof, p, leak_w=1e-6)
    assert (only_w.leak_w, only_w.leak_ohm) == (1e-6, float("inf"))
    only_ohm = EnergyModel.from_platform(prof, p, leak_ohm=1e9)
    assert (only_ohm.leak_w, only_ohm.leak_ohm) == (0.0, 1e9)


def test_a_device_at_voff_has_no_budget_and_one_at_von_nothing_to_recharge():
    m = trace([0, 1], [2e-3, 2e-3])
    m.finish(10 * m.power_on())  # asked to run far past its budget, it stops at Voff
    assert m.e == m.e_off and m.power_on() == 0
    th = thevenin(5.0, 1000.0, load_w=20e-3)
    th.finish(10 * th.power_on())
    assert th.e == th.e_off and th.power_on() == 0
    fresh = thevenin(5.0, 100.0)  # starts at Von
    assert fresh.recharge_to_on() == 0.0 and fresh.t_s == 0.0 and fresh.e == fresh.e_on


def test_a_recharge_exactly_as_long_as_the_limit_is_allowed():
    # binary-exact numbers: C = 1/1024 F, so Voff 2 V -> Von 3 V needs (9 - 4)/2048 J; at 5/8192 W that is
    # exactly 4 s, the limit
    m = trace([0, 1], [5 / 8192, 5 / 8192], c_f=1 / 1024, max_recharge_s=4.0)
    assert m.recharge_time_from(2.0) == 4.0
    # Thevenin: a limit set to the exact recharge time of an unlimited twin
    dt = thevenin(5.0, 100.0).recharge_time_from(2.0)
    assert thevenin(5.0, 100.0, max_recharge_s=dt).recharge_time_from(2.0) == dt


def test_thevenin_time_accumulates_over_cycles():
    m = thevenin(5.0, 1000.0, load_w=20e-3)
    budget = m.power_on()
    off = m.power_off(budget // 2)
    assert m.t_s == pytest.approx(budget // 2 / 1e6 + off, rel=1e-12) and off > 0
    before = m.t_s
    m.finish(budget // 4)
    assert m.t_s == pytest.approx(before + budget // 4 / 1e6, rel=1e-12)


def test_hold_of_a_short_segment():
    assert trace([0, 0.1, 0.2], [1e-3, 2e-3, 3e-3]).harvest_now() == (1e-3, 0.1)
