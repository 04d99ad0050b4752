"""The event-driven energy model: agrees with the cost model's recharge formula for the Thevenin
source, conserves energy on every shipped profile, and refuses traces that can never power the device."""

from __future__ import annotations

import math

import numpy as np
import pytest

from hil.power.energy_model import EnergyModel
from hil.power.profile import PowerProfile, ProfileError, list_profiles, load_profile
from tinas.cost import Capacitor
from tinas.platform import load_platform


@pytest.mark.parametrize("epc", [7.788e-05, 2e-4, 1e-3, 1e-2])
def test_thevenin_recharge_equals_cost_model(epc):
    p = load_platform()
    m = EnergyModel.from_platform(load_profile("thevenin_tinas"), p)
    cap = Capacitor(p.ccap_f, p.v_on_v, p.v_off_v, p.v_sup_v, p.rehm_ohm, p.eav_safe_margin)
    v_pce = math.sqrt(p.v_on_v**2 - 2 * epc / p.ccap_f)
    assert m.recharge_time_from(v_pce) == pytest.approx(float(cap.recharge_time_s(epc)), rel=1e-9)


@pytest.mark.parametrize("name", [p.name for p in list_profiles()])
def test_energy_is_conserved(name):
    m = EnergyModel.from_platform(load_profile(name), load_platform().with_capacitor(0.00047))
    for k in range(6):
        budget = m.power_on()
        m.power_off(max(1, budget // (k + 1)))
    m.finish(10_000)
    L = m.ledger
    assert L.harvested_j > 0
    assert abs(m.balance_error_j()) <= 1e-9 * L.harvested_j


def test_budget_is_the_time_to_voff_under_load():
    # constant 2 mW harvest, 4.66 mW load: the capacitor energy between Von and Voff lasts E/(load - harvest)
    p = load_platform()
    m = EnergyModel.from_platform(load_profile("constant_weak"), p)
    e = 0.5 * p.ccap_f * (p.v_on_v**2 - p.v_off_v**2)
    assert m.power_on() / p.cpu_clock_hz == pytest.approx(e / (m.load_w - 2e-3), rel=1e-6)


def test_trace_that_never_turns_on():
    dead = PowerProfile("dead", "synthetic", {}, np.array([0.0, 1.0]), np.array([0.0, 0.0]))
    with pytest.raises(ProfileError, match="never"):
        EnergyModel.from_platform(dead, load_platform())
    weak = PowerProfile("weak", "synthetic", {}, np.array([0.0, 1.0]), np.array([1e-6, 1e-6]))
    m = EnergyModel.from_platform(weak, load_platform(), leak_w=1e-5)
    with pytest.raises(ProfileError, match="never reaches the turn-on voltage"):
        m.power_off(m.power_on())


def test_measured_chunks_trace_source_exact():
    """advance_chunk with measured energy: a constant 2 mW source over 0.1 s delivers 0.2 mJ; drawing
    0.5 mJ leaves the capacitor 0.3 mJ lower; the ledger balances."""
    p = load_platform()
    m = EnergyModel.from_platform(load_profile("constant_weak"), p)
    m.mark_on()
    e0 = m.e
    pw, hold = m.harvest_now()
    assert pw == pytest.approx(2e-3) and hold > 0
    m.advance_chunk(0.1, 5e-4)
    assert m.e == pytest.approx(e0 + 2e-4 - 5e-4, rel=1e-12)
    assert m.ledger.consumed_j == pytest.approx(5e-4) and m.ledger.harvested_j == pytest.approx(2e-4)
    assert m.usable_energy_j() == pytest.approx(m.e - 0.5 * p.ccap_f * p.v_off_v**2)
    off = m.recharge_to_on()
    assert off > 0 and m.e == pytest.approx(0.5 * p.ccap_f * p.v_on_v**2)
    assert abs(m.balance_error_j()) <= 1e-12


def test_measured_chunks_thevenin_holds_power_of_the_chunk_start():
    p = load_platform()
    m = EnergyModel.from_platform(load_profile("thevenin_tinas"), p)
    v = p.v_on_v
    p0 = v * (m.vsup - v) / m.rehm  # V (Vsup - V) / R at the chunk's start
    assert m.harvest_now() == (pytest.approx(p0), None)
    m.advance_chunk(0.01, 1e-5)
    assert m.ledger.harvested_j == pytest.approx(p0 * 0.01, rel=1e-12)
    assert abs(m.balance_error_j()) <= 1e-15
