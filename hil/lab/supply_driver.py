"""The SCPI supply as a labgrid power driver that can also replay a power profile.

labgrid's ``PowerProtocol`` (on/off/cycle) is what a strategy needs; ``replay()`` steps the voltage
through a trace in real time from a thread while the board runs. Every command goes through
hil.drivers.scpi_supply (command tables per family, error queue checked after each write) and is
logged on the ``hil.lab.supply`` logger with a timestamp, so the run's log holds what the bench did.
"""

from __future__ import annotations

import logging
import threading
import time

import attr
import numpy as np
from labgrid.driver.common import Driver
from labgrid.factory import target_factory
from labgrid.protocol import PowerProtocol
from labgrid.step import step

from hil.drivers.scpi_supply import ScpiSupply, SupplyResource
from hil.bench_supply.replay import ReplayReport, replay_voltage

LOG = logging.getLogger("hil.lab.supply")


class _LoggedSupply(ScpiSupply):
    """ScpiSupply whose every command is logged (the board's run log, and stand-ins, read it)."""

    def _write(self, cmd: str) -> None:
        LOG.info("%s %s", self.resource.visa, cmd)
        super()._write(cmd)


@target_factory.reg_driver
@attr.s(eq=False)
class ScpiSupplyDriver(Driver, PowerProtocol):
    """Power the board through its supply channel. ``current_limit_a`` is set before the output goes on;
    ``idle_v``: the set-point used by ``on()`` when no profile is being replayed."""

    bindings = {"port": "ScpiSupplyPort", "resistor": {"SeriesResistor", None}}

    current_limit_a = attr.ib(default=0.1, converter=float)
    idle_v = attr.ib(default=3.3, converter=float)
    cycle_off_s = attr.ib(default=1.0, converter=float)

    def __attrs_post_init__(self) -> None:
        super().__attrs_post_init__()
        self.supply: ScpiSupply | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.replay_report: ReplayReport | None = None
        self.setpoint_v: float | None = None  # last voltage asked for; None: on() uses idle_v

    def on_activate(self) -> None:
        p = self.port
        self.supply = _LoggedSupply(SupplyResource(p.visa, p.backend, p.channel, p.v_max_v, p.i_max_a)).open()
        self.supply.set_current_limit(min(self.current_limit_a, p.i_max_a))

    def on_deactivate(self) -> None:
        self.stop_replay()
        if self.supply is not None:
            self.supply.close()  # switches the output off
            self.supply = None
        self.setpoint_v = None

    @Driver.check_active
    @step(args=["volts"])
    def set_voltage(self, volts: float) -> None:
        self.supply.set_voltage(volts)
        self.setpoint_v = volts

    @Driver.check_active
    @step()
    def on(self) -> None:
        if self.setpoint_v is None:
            self.set_voltage(min(self.idle_v, self.port.v_max_v))
        self.supply.output(True)

    @Driver.check_active
    @step()
    def off(self) -> None:
        self.stop_replay()
        self.supply.output(False)
        self.setpoint_v = None

    @Driver.check_active
    def cycle(self) -> None:
        self.off()
        time.sleep(self.cycle_off_s)
        self.on()

    @Driver.check_active
    def replay(self, time_s: np.ndarray, voltage_v: np.ndarray) -> None:
        """Set the first voltage now, then loop through the trace from a thread until ``stop_replay()``."""
        self.stop_replay()
        ts, vs = np.asarray(time_s, float), np.minimum(np.asarray(voltage_v, float), self.port.v_max_v)
        self.set_voltage(float(vs[0]))
        if len(ts) < 2:
            return
        self._stop.clear()
        self.replay_report = None
        self._thread = threading.Thread(target=self._replay, args=(ts, vs), daemon=True, name="supply-replay")
        self._thread.start()

    def _replay(self, ts: np.ndarray, vs: np.ndarray) -> None:
        while not self._stop.is_set():  # keep the worst lateness of all loops for the report
            rep = replay_voltage(self.supply, ts, vs, stop=self._stop)
            if self.replay_report is None or rep.max_lateness_s > self.replay_report.max_lateness_s:
                self.replay_report = rep

    def stop_replay(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(5)
            self._thread = None
