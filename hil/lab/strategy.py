"""The LaunchPad's life as a labgrid Strategy: off → flashed → running → off.

``transition()`` does nothing when the board is already in the asked state, flashes only images it has
not flashed in this session, and keeps the board ``broken`` after any failure (labgrid's
``never_retry``): later calls re-raise the first error instead of hammering a dead board.

Flashing powers the board at the supply's idle voltage, because the LaunchPad's 3V3 jumper is removed
(docs/board-setup.md) and the probe alone cannot power the MCU. With a loader image the model blob
first goes over the UART into the external FRAM (hil/loader.py), then the inference image is flashed.
"""

from __future__ import annotations

import enum
import hashlib
import logging
from dataclasses import dataclass
from pathlib import Path

import attr
import numpy as np
from labgrid.factory import target_factory
from labgrid.step import step
from labgrid.strategy.common import Strategy, StrategyError, never_retry


LOG = logging.getLogger("hil.lab.strategy")


class Status(enum.Enum):
    unknown = 0
    off = 1
    flashed = 2
    running = 3


@dataclass(frozen=True)
class Images:
    """What goes onto the board: the inference ELF, optionally the loader ELF and the model blob."""

    elf: Path
    loader_elf: Path | None = None
    blob: bytes = b""

    def digest(self) -> str:
        h = hashlib.sha256(self.elf.read_bytes())
        if self.loader_elf is not None:
            h.update(self.loader_elf.read_bytes())
        h.update(self.blob)
        return h.hexdigest()


@target_factory.reg_driver
@attr.s(eq=False)
class MSP430Strategy(Strategy):
    """Needs a flasher (load + reset: MspdebugDriver), a power driver (the supply) and the frame driver."""

    bindings = {"flasher": "BootstrapProtocol", "power": "PowerProtocol", "frames": "FrameDriver"}

    status = attr.ib(default=Status.unknown)

    def __attrs_post_init__(self) -> None:
        super().__attrs_post_init__()
        self.images: Images | None = None
        self.flashed_digest: str | None = None
        self.profile_v: tuple[np.ndarray, np.ndarray] | None = None

    def set_images(self, images: Images | None) -> None:
        self.images = images

    def set_supply_trace(self, time_s: np.ndarray, voltage_v: np.ndarray) -> None:
        """The voltage trace to replay while running (one point: a constant set-point)."""
        self.profile_v = (np.asarray(time_s, float), np.asarray(voltage_v, float))

    @never_retry
    @step(args=["status"])
    def transition(self, status: Status | str) -> None:
        if not isinstance(status, Status):
            status = Status[status]
        if status is Status.unknown:
            raise StrategyError(f"cannot transition to {status}")
        if status is self.status and status is not Status.flashed:
            return
        if status is Status.off:
            self.target.activate(self.power)
            self.power.off()
        elif status is Status.flashed:
            self._flash()
        elif status is Status.running:
            if self.images is not None:
                self._flash()  # no-op unless the images changed or reload() was asked for
            elif self.status is not Status.flashed:
                raise StrategyError("nothing flashed: call set_images() or force('flashed') first")
            self.target.activate(self.power)
            self.target.activate(self.frames)
            self.frames.drain()
            if self.profile_v is not None:
                self.power.replay(*self.profile_v)
            self.power.on()
        self.status = status

    def _flash(self) -> None:
        self.target.activate(self.power)
        self.power.off()
        if self.images is None:
            if self.flashed_digest is None:
                raise StrategyError("no images to flash: call set_images() first")
            return
        digest = self.images.digest()
        if digest == self.flashed_digest:
            return
        self.target.activate(self.flasher)
        self.power.on()  # the probe does not power the MCU (3V3 jumper removed)
        try:
            if self.images.loader_elf is not None:
                from hil.loader import send_blob

                self.flasher.load(self.images.loader_elf, force=True)
                self.target.activate(self.frames)
                self.frames.drain()
                self.flasher.reset()
                send_blob(self.frames.port(), self.images.blob)
                LOG.info("model blob of %d B loaded over the UART, CRC-32 confirmed by the device",
                         len(self.images.blob))
            self.flasher.load(self.images.elf, force=self.images.loader_elf is not None)
        finally:
            self.power.off()
        self.flashed_digest = digest

    def reload(self) -> None:
        """Flash again on the next way through ``flashed`` (not while staying in ``running``): with a
        loader image this puts a fresh
        model blob into the NVM, so a run never starts from what the previous run left there."""
        self.flashed_digest = None

    def force(self, status: Status | str) -> None:
        self.status = status if isinstance(status, Status) else Status[status]
