"""The firmware's framed serial protocol (hil/serial_protocol.py) over any labgrid console.

labgrid's ``SerialDriver`` owns the port (local device, or ser2net's RFC 2217 socket on an exporter);
this driver only frames: it turns the console's byte stream into CRC-checked frames and offers a
small port object (``read(n)``/``write(b)``) to the model loader. Every frame is logged on
``hil.lab.uart`` so the run's log shows what the board said.
"""

from __future__ import annotations

import logging
import time

import attr
from labgrid.driver.common import Driver
from labgrid.factory import target_factory
from pexpect import TIMEOUT

from hil.serial_protocol import Frame, FrameParser, FrameType

LOG = logging.getLogger("hil.lab.uart")


class ConsolePort:
    """A serial-port-like view of a console (what hil.loader.send_blob expects)."""

    def __init__(self, driver: FrameDriver, timeout_s: float = 0.05) -> None:
        self.driver, self.timeout_s = driver, timeout_s

    def read(self, n: int = 1) -> bytes:
        return self.driver.read_bytes(n, self.timeout_s)

    def write(self, data: bytes) -> int:
        return self.driver.console.write(data)


@target_factory.reg_driver
@attr.s(eq=False)
class FrameDriver(Driver):
    """Frames in, frames out, over the bound console."""

    bindings = {"console": "ConsoleProtocol"}

    def __attrs_post_init__(self) -> None:
        super().__attrs_post_init__()
        self.parser = FrameParser()
        self.bytes_in = 0

    def on_activate(self) -> None:
        self.parser = FrameParser()

    @Driver.check_active
    def read_bytes(self, n: int, timeout_s: float) -> bytes:
        """Up to ``n`` bytes (at least one unless ``timeout_s`` passes first, then b"")."""
        try:
            data = self.console.read(size=1, timeout=timeout_s, max_size=n)
        except TIMEOUT:
            return b""
        self.bytes_in += len(data)
        return data

    @Driver.check_active
    def read_frames(self, timeout_s: float, t0: float = 0.0) -> list[Frame]:
        """The frames completed by what arrives within ``timeout_s``; host time relative to ``t0``."""
        data = self.read_bytes(4096, timeout_s)
        now = time.perf_counter()
        if data:
            self._last_rx = now
            frames = self.parser.feed(data, now - t0)
        elif now - getattr(self, "_last_rx", now) > 0.5:
            # the line went idle: a false sync that claimed a long frame must not hold real frames back
            frames = self.parser.flush(now - t0)
        else:
            frames = []
        for f in frames:
            LOG.info("frame %s seq %d %s", _name(f.type), f.seq, f.fields() or f.payload.hex())
        return frames

    @Driver.check_active
    def port(self, timeout_s: float = 0.05) -> ConsolePort:
        return ConsolePort(self, timeout_s)

    def drain(self, quiet_s: float = 0.1) -> int:
        """Drop bytes already waiting (e.g. a previous boot's frames); returns how many."""
        n = 0
        while chunk := self.read_bytes(4096, quiet_s):
            n += len(chunk)
        self.parser = FrameParser()
        return n


def _name(t: int) -> str:
    try:
        return FrameType(t).name
    except ValueError:
        return f"0x{t:02x}"
