"""The energy model on synthetic traces small enough to solve by hand: C = 1 mF, Von = 3 V, Voff = 2 V,
Vmax = 3.6 V (E_on = 4.5 mJ, E_off = 2 mJ, E_max = 6.48 mJ), a 10 mW load, a 1 MHz clock."""

from __future__ import annotations

import numpy as np
import pytest

from hil.power.energy_model import EnergyModel
from hil.power.profile import PowerProfile, ProfileError


def model(times, powers, leak_w=0.0, **kw) -> EnergyModel:
    prof = PowerProfile("hand", "synthetic", {}, np.array(times, dtype=float), np.array(powers, dtype=float))
    args = dict(profile=prof, c_f=1e-3, v_on_v=3.0, v_off_v=2.0, v_max_v=3.6, load_w=10e-3, clock_hz=1e6, leak_w=leak_w)
    return EnergyModel(**(args | kw))


def test_constant_weak_source_by_hand():
    m = model([0, 1], [2e-3, 2e-3])
    budget = m.power_on()
    assert budget == pytest.approx(2.5e-3 / 8e-3 * 1e6, abs=1)  # ΔE / (load − harvest) = 0.3125 s
    assert m.history[-1][1:] == (pytest.approx(3.0), True)
    off = m.power_off(312_500)
    assert off == pytest.approx(2.5e-3 / 2e-3, rel=1e-9)  # back to Von at 2 mW with no load: 1.25 s
    assert m.t_s == pytest.approx(0.3125 + 1.25, rel=1e-12)
    L = m.ledger
    assert L.harvested_j == pytest.approx(2e-3 * 1.5625, rel=1e-9)
    assert L.consumed_j == pytest.approx(10e-3 * 0.3125, rel=1e-9)
    assert L.leaked_j == 0.0 and L.clipped_j == 0.0
    assert m.history[-1][1:] == (pytest.approx(3.0), False)


def test_wait_through_a_dark_phase():
    """2 mW during the first second of every 2 s, nothing in the second. After 0.3 s on (E = 2.1 mJ) the
    2.4 mJ missing take 1.2 s of light: 0.7 s, the 1 s dark phase, then 0.5 s: off for 2.2 s."""
    m = model([0, 1], [2e-3, 0.0])
    m.power_on()
    assert m.power_off(300_000) == pytest.approx(2.2, rel=1e-9)
    assert m.t_s == pytest.approx(2.5, rel=1e-12)
    assert m.ledger.harvested_j == pytest.approx(2e-3 * (0.3 + 1.2), rel=1e-9)


def test_leak_by_hand():
    m = model([0, 1], [2e-3, 2e-3], leak_w=1e-3)
    assert m.power_on() == pytest.approx(2.5e-3 / 9e-3 * 1e6, abs=1)  # load + leak − harvest = 9 mW
    cycles = 250_000
    e_after = 4.5e-3 - 9e-3 * 0.25
    assert m.power_off(cycles) == pytest.approx((4.5e-3 - e_after) / 1e-3, rel=1e-9)  # net 1 mW while off
    assert m.ledger.leaked_j == pytest.approx(1e-3 * m.t_s, rel=1e-9)
    assert abs(m.balance_error_j()) < 1e-15


def test_full_capacitor_clips_the_surplus():
    """20 mW in, 10 mW out for 1 s from E_on: the capacitor fills (1.98 mJ) and the other 8.02 mJ are
    clipped; the budget is open-ended (at least the 600 s horizon)."""
    m = model([0, 1], [20e-3, 20e-3])
    assert m.power_on() >= 600 * 1e6
    m.finish(1_000_000)
    assert m.ledger.clipped_j == pytest.approx(10e-3 - 1.98e-3, rel=1e-9)
    assert m.ledger.harvested_j == pytest.approx(20e-3, rel=1e-12)
    assert m.history[-1][1] == pytest.approx(3.6)
    assert abs(m.balance_error_j()) < 1e-15


def test_refusals_name_the_problem():
    with pytest.raises(ProfileError, match="Von 2.0 V must be above Voff 2.0 V"):
        model([0, 1], [1e-3, 1e-3], v_on_v=2.0)
    prof = PowerProfile("weak_src", "thevenin", {"vsup_v": 2.5, "rehm_ohm": 100.0}, np.array([0.0]), np.array([0.0]))
    with pytest.raises(ProfileError, match="can never charge the capacitor to Von = 3.0 V"):
        EnergyModel(profile=prof, c_f=1e-3, v_on_v=3.0, v_off_v=2.0, v_max_v=3.6, load_w=1e-3, clock_hz=1e6)


def test_thevenin_recharge_is_the_rc_charge_curve():
    """Off (no load), a Thevenin source charges the capacitor along V(t) = Vs − (Vs − V0)·e^(−t/RC):
    from 2 V to 3 V with Vs = 5 V, R = 100 Ω, C = 1 mF takes RC·ln(3/2)."""
    prof = PowerProfile("th", "thevenin", {"vsup_v": 5.0, "rehm_ohm": 100.0}, np.array([0.0]), np.array([0.0]))
    m = EnergyModel(profile=prof, c_f=1e-3, v_on_v=3.0, v_off_v=2.0, v_max_v=5.0, load_w=1e-3, clock_hz=1e6)
    assert m.recharge_time_from(2.0) == pytest.approx(0.1 * np.log(1.5), rel=1e-12)


def test_thevenin_source_under_load_is_bracketed_by_hand():
    """Vs = 5 V behind 1 kΩ harvests V(Vs − V)/R: 6 mW at 2 V and at 3 V, 6.25 mW at 2.5 V. Under a
    20 mW load the 2.5 mJ between Von and Voff drain at 13.75-14 mW: the budget lies in
    [2.5/14, 2.5/13.75] s, and the harvest over it at 6-6.25 mW."""
    prof = PowerProfile("th", "thevenin", {"vsup_v": 5.0, "rehm_ohm": 1000.0}, np.array([0.0]), np.array([0.0]))
    m = EnergyModel(profile=prof, c_f=1e-3, v_on_v=3.0, v_off_v=2.0, v_max_v=5.0, load_w=20e-3, clock_hz=1e6)
    budget_s = m.power_on() / 1e6
    assert 2.5e-3 / 14e-3 - 1e-6 <= budget_s <= 2.5e-3 / 13.75e-3
    m.finish(int(budget_s * 1e6))
    assert 6e-3 * m.t_s <= m.ledger.harvested_j <= 6.25e-3 * m.t_s
    assert m.ledger.consumed_j == pytest.approx(20e-3 * m.t_s, rel=1e-12)
    assert abs(m.balance_error_j()) < 1e-12
