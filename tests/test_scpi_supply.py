"""SCPI supply driver against simulated instruments (pyvisa-sim) speaking each family's commands."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import hil
from hil.drivers.scpi_supply import ScpiSupply, SupplyError, SupplyResource
from hil.bench_supply.replay import replay_voltage
from hil.targets.base import TargetStateError

SIM = f"{Path(hil.__file__).parent / 'sim_instruments' / 'supplies.yaml'}@sim"


@pytest.mark.parametrize("visa, family", [
    ("USB0::0x2A8D::0x1102::SIM0001::0::INSTR", "Keysight E36xx"),
    ("USB0::0x1AB1::0x0E11::SIM0002::INSTR", "Rigol DP8xx"),
    ("USB0::0xFFFF::0x9174::SIM0003::INSTR", "BK Precision 9170"),
])
def test_families(visa, family):
    with ScpiSupply(SupplyResource(visa, SIM, v_max_v=6.0)) as s:
        assert s.table.family == family
        s.set_current_limit(0.05)
        s.set_voltage(4.5)
        s.output(True)
        v, i = s.measure()
        assert v == pytest.approx(4.5) and i == pytest.approx(0.05)


def test_refused_command_names_it():
    with ScpiSupply(SupplyResource("USB0::0x2A8D::0x1102::SIM0004::0::INSTR", SIM, v_max_v=6.0)) as s:
        with pytest.raises(SupplyError, match=r"refused 'VOLT 5.0000'"):
            s.set_voltage(5.0)


def test_port_limit_and_unreachable_and_closed():
    with pytest.raises(SupplyError, match="not reachable|did not identify"):
        ScpiSupply(SupplyResource("USB0::0x0::0x0::NOPE::INSTR", SIM)).open()
    s = ScpiSupply(SupplyResource("USB0::0x2A8D::0x1102::SIM0001::0::INSTR", SIM, v_max_v=3.3))
    with pytest.raises(TargetStateError, match="closed driver"):
        s.set_voltage(1.0)
    with s:
        with pytest.raises(SupplyError, match="outside the supply port's limit"):
            s.set_voltage(5.0)


def test_replay_timing_is_measured():
    with ScpiSupply(SupplyResource("USB0::0x1AB1::0x0E11::SIM0002::INSTR", SIM)) as s:
        t = np.arange(0, 0.2, 0.02)
        rep = replay_voltage(s, t, np.linspace(3.0, 4.5, t.size))
        assert rep.steps == t.size and 0 <= rep.mean_lateness_s <= rep.max_lateness_s < 0.05
        assert s.measure()[0] == pytest.approx(4.5)
