"""What a LaunchPad bench is made of, as labgrid resources: facts only, no I/O.

The UART is labgrid's own ``USBSerialPort`` (found by udev identity) or ``RawSerialPort`` locally, and
``NetworkSerialPort`` when an exporter shares it. The classes here cover what labgrid has no resource
for: the MSP430 debug probe (driven by mspdebug), the SCPI supply channel with its safety limits, and
the series resistor + capacitor that make the supply behave like a harvester.
"""

from __future__ import annotations

import socket

import attr
from labgrid.factory import target_factory
from labgrid.resource.common import NetworkResource, Resource

PROBE_DRIVERS = ("tilib", "ezfet", "sim")


def _positive(_: object, a: attr.Attribute, value: float) -> None:
    if not value > 0:
        raise ValueError(f"{a.name} must be positive, got {value!r}")


def _probe_driver(_: object, a: attr.Attribute, value: str) -> None:
    if value not in PROBE_DRIVERS:
        raise ValueError(f"{a.name} {value!r} is not an mspdebug driver; use one of {', '.join(PROBE_DRIVERS)}")


_opt_str = attr.validators.optional(attr.validators.instance_of(str))


@target_factory.reg_resource
@attr.s(eq=False)
class MSP430Probe(Resource):
    """The LaunchPad's eZ-FET on this host. ``driver``: mspdebug driver (tilib, ezfet; sim in tests);
    ``serial``: the probe's serial number (mspdebug -s), None when only one is attached."""

    driver = attr.ib(default="tilib", validator=_probe_driver)
    serial = attr.ib(default=None, validator=_opt_str)


@target_factory.reg_resource
@attr.s(eq=False)
class NetworkMSP430Probe(NetworkResource):
    """The same probe plugged into an exporter host ``host``; mspdebug runs there (through labgrid's
    ssh connection), except when ``host`` is this machine."""

    driver = attr.ib(default="tilib", validator=_probe_driver)
    serial = attr.ib(default=None, validator=_opt_str)


@target_factory.reg_resource
@attr.s(eq=False)
class ScpiSupplyPort(Resource):
    """A programmable supply channel reached through VISA from the client (LAN address, or USB on a
    single-host lab). ``backend``: "" for the system VISA library, "FILE@sim" for pyvisa-sim.
    ``v_max_v``/``i_max_a``: the bench's safety limits, refused by the driver before they are sent."""

    visa = attr.ib(validator=attr.validators.instance_of(str))
    backend = attr.ib(default="", validator=attr.validators.instance_of(str))
    channel = attr.ib(default=1, converter=int)
    v_max_v = attr.ib(default=6.0, converter=float, validator=_positive)
    i_max_a = attr.ib(default=0.2, converter=float, validator=_positive)


@target_factory.reg_resource
@attr.s(eq=False)
class SeriesResistor(Resource):
    """The resistor between supply and storage capacitor that plays the harvester's source resistance,
    and the capacitor itself (TiNAS: 2.8 kΩ with 5 mF, 3.0 kΩ with 470 µF, 3.1 kΩ with 100 µF)."""

    ohm = attr.ib(converter=float, validator=_positive)
    capacitor_f = attr.ib(converter=float, validator=_positive)


def is_this_host(host: str) -> bool:
    """True when ``host`` names this machine, so a tool can run here instead of through ssh."""
    name = host.rsplit("@", 1)[-1].split(":")[0]
    return name in {"localhost", "127.0.0.1", "::1", socket.gethostname(), socket.getfqdn()}
