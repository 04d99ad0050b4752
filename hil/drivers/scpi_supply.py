"""SCPI power-supply driver (PyVISA): set voltage and current limit, output on/off, measure.

Every setting is followed by an error-queue query, so a supply that refuses a command (out of range,
unknown header) raises a ``SupplyError`` naming the command and the instrument's message, instead of
leaving the bench in an unknown state. ``close()`` always switches the output off.
"""

from __future__ import annotations

from dataclasses import dataclass

import pyvisa

from hil.bench_supply.models import CommandTable, table_for_idn
from hil.targets.base import TargetStateError
from tinas.errors import TinasError


class SupplyError(TinasError):
    """The supply is unreachable or refused a command."""


@dataclass(frozen=True)
class SupplyResource:
    """Where a supply is (a resource only describes; the driver does the I/O)."""

    visa: str
    backend: str = ""  # "" = the system VISA library, "@sim" = pyvisa-sim
    channel: int = 1
    v_max_v: float = 6.0
    i_max_a: float = 0.2


class ScpiSupply:
    def __init__(self, resource: SupplyResource) -> None:
        self.resource = resource
        self._inst = None
        self.table: CommandTable | None = None
        self.idn = ""

    def open(self) -> ScpiSupply:
        try:
            rm = pyvisa.ResourceManager(self.resource.backend) if self.resource.backend else pyvisa.ResourceManager()
            self._inst = rm.open_resource(self.resource.visa, timeout=2000)
            self._inst.read_termination = "\n"
            self._inst.write_termination = "\n"
            self.idn = self._inst.query("*IDN?").strip()
        except (pyvisa.Error, OSError, ValueError) as exc:
            raise SupplyError(f"supply {self.resource.visa}: not reachable ({exc})") from None
        if len(self.idn.split(",")) < 3:
            self.close_quietly()
            raise SupplyError(f"supply {self.resource.visa}: did not identify itself to *IDN? (got {self.idn!r})")
        self.table = table_for_idn(self.idn)
        if self.table.select_channel:
            self._write(self.table.select_channel.format(ch=self.resource.channel))
        return self

    def _need_open(self, what: str) -> None:
        if self._inst is None or self.table is None:
            raise TargetStateError(f"ScpiSupply.{what}() on a closed driver (call open() first)")

    def _write(self, cmd: str) -> None:
        self._inst.write(cmd)
        err = self._inst.query(self.table.error_query).strip()
        code = err.split(",", 1)[0].strip().lstrip("+")
        if code not in ("0", ""):
            raise SupplyError(f"supply {self.idn or self.resource.visa} refused '{cmd}': {err}")

    def set_voltage(self, v: float) -> None:
        self._need_open("set_voltage")
        if not 0 <= v <= self.resource.v_max_v:
            raise SupplyError(f"{v} V is outside the supply port's limit 0..{self.resource.v_max_v} V")
        self._write(self.table.set_voltage.format(v=v, ch=self.resource.channel))

    def set_current_limit(self, i: float) -> None:
        self._need_open("set_current_limit")
        if not 0 <= i <= self.resource.i_max_a:
            raise SupplyError(f"{i} A is outside the supply port's limit 0..{self.resource.i_max_a} A")
        self._write(self.table.set_current.format(i=i, ch=self.resource.channel))

    def output(self, on: bool) -> None:
        self._need_open("output")
        self._write((self.table.output_on if on else self.table.output_off).format(ch=self.resource.channel))

    def measure(self) -> tuple[float, float]:
        self._need_open("measure")
        ch = self.resource.channel
        return (float(self._inst.query(self.table.meas_voltage.format(ch=ch))),
                float(self._inst.query(self.table.meas_current.format(ch=ch))))

    def close_quietly(self) -> None:
        if self._inst is not None:
            self._inst.close()
            self._inst = None

    def close(self) -> None:
        if self._inst is not None:
            try:
                self._inst.write(self.table.output_off.format(ch=self.resource.channel))
            except Exception:  # noqa: BLE001 - closing must not raise over a dead link
                pass
            self._inst.close()
            self._inst = None

    def __enter__(self) -> ScpiSupply:
        return self.open()

    def __exit__(self, *exc: object) -> None:
        self.close()
