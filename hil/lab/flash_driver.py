"""Flashing through mspdebug as a labgrid driver (labgrid has none for MSP430 probes).

It implements labgrid's ``BootstrapProtocol`` (``load(image)``) and ``ResetProtocol``. A probe on
another host gets its image copied there with labgrid's ``ManagedFile`` and mspdebug runs behind the
resource's ssh prefix; a probe on this host runs mspdebug directly.
"""

from __future__ import annotations

import logging
from pathlib import Path

import attr
from labgrid.driver.common import Driver
from labgrid.factory import target_factory
from labgrid.protocol import BootstrapProtocol, ResetProtocol
from labgrid.resource.common import NetworkResource
from labgrid.step import step

from hil.lab.resources import is_this_host
from hil.drivers.mspdebug_flash import Mspdebug

LOG = logging.getLogger("hil.lab.probe")


@target_factory.reg_driver
@attr.s(eq=False)
class MspdebugDriver(Driver, BootstrapProtocol, ResetProtocol):
    """Program, verify and reset the MSP430 through its probe. ``timeout_s`` bounds each mspdebug call."""

    bindings = {"probe": {"MSP430Probe", "NetworkMSP430Probe"}}

    timeout_s = attr.ib(default=60.0, converter=float)
    retries = attr.ib(default=2, converter=int)

    def __attrs_post_init__(self) -> None:
        super().__attrs_post_init__()
        self.tool: Mspdebug | None = None

    def _remote(self) -> bool:
        return isinstance(self.probe, NetworkResource) and not is_this_host(self.probe.host)

    def on_activate(self) -> None:
        prefix = self.probe.command_prefix if self._remote() else []
        self.tool = Mspdebug(self.probe.driver, self.probe.serial, prefix=prefix, timeout_s=self.timeout_s,
                             retries=self.retries)

    def on_deactivate(self) -> None:
        self.tool = None

    @Driver.check_active
    @step(args=["filename"])
    def load(self, filename: str | Path, force: bool = False) -> bool:
        """Program and verify the image; False when the probe already holds it (nothing flashed)."""
        LOG.info("%s programming %s", self.probe_id, filename)
        remote_path = None
        if self._remote():
            from labgrid.util.managedfile import ManagedFile

            mf = ManagedFile(str(filename), self.probe)
            mf.sync_to_resource()
            remote_path = mf.get_remote_path()
        flashed = self.tool.program(filename, force=force, remote_path=remote_path)
        LOG.info("%s %s %s", self.probe_id, "programmed" if flashed else "holds", filename)
        return flashed

    @Driver.check_active
    @step()
    def reset(self) -> None:
        self.tool.reset()
        LOG.info("%s reset", self.probe_id)

    @property
    def probe_id(self) -> str:
        """driver:serial, as the log names the probe."""
        return f"{self.probe.driver}:{self.probe.serial or '-'}"

    @property
    def transcript(self) -> list[str]:
        return self.tool.transcript if self.tool else []
