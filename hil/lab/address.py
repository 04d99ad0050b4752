"""Where a run's board comes from, as a small picklable record (no labgrid import: run specs carry it
to worker processes and Ray tasks, and emulator runs never load labgrid)."""

from __future__ import annotations

import os
from dataclasses import dataclass

from tinas.errors import TinasError

DEFAULT_COORDINATOR = "127.0.0.1:20408"


class BoardUnavailable(TinasError):
    """No board could be had: bad environment file, unknown or busy place, coordinator unreachable."""


@dataclass(frozen=True)
class BoardAddress:
    """Where a run's board comes from. Exactly one of ``env`` (a labgrid environment file) and
    ``place`` (a coordinator place name); ``coordinator`` is HOST:PORT (default: $LG_COORDINATOR,
    else 127.0.0.1:20408); ``role`` picks the target in a multi-target environment file."""

    env: str | None = None
    place: str | None = None
    coordinator: str | None = None
    role: str | None = None
    wait_s: float = 0.0

    def __post_init__(self) -> None:
        if (self.env is None) == (self.place is None):
            raise BoardUnavailable("a board run needs exactly one of --lg-env FILE or --lg-place NAME "
                                   "(docs/board-setup.md)")

    def describe(self) -> str:
        return f"place {self.place} at {self.coordinator_address()}" if self.place else f"environment {self.env}"

    def coordinator_address(self) -> str:
        return self.coordinator or os.environ.get("LG_COORDINATOR") or DEFAULT_COORDINATOR
