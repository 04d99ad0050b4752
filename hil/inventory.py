"""The board inventory: which boards exist and how to reach each (serial port, probe, supply,
capacitor), and a lock per board so two pytest-xdist workers never share one."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import yaml
from filelock import FileLock, Timeout

from hil.drivers.scpi_supply import SupplyResource
from hil.mspdebug import STATE_DIR, ProbeResource
from tinas.errors import TinasError

FORMAT, VERSION = "hil.inventory", 1


class InventoryError(TinasError):
    """An inventory file that cannot be used, or no free board."""


@dataclass(frozen=True)
class SerialResource:
    path: str | None = None  # /dev/ttyACM0, a pty, or a pyserial URL (socket://, loop://)
    usb_vid: int | None = None
    usb_pid: int | None = None
    usb_serial: str | None = None
    baud: int = 115200

    def resolve(self) -> str:
        """The port to open: by USB identity when given (stable across re-plugging), else the path."""
        if self.usb_vid is not None:
            from serial.tools import list_ports

            for p in list_ports.comports():
                if p.vid == self.usb_vid and p.pid == self.usb_pid and (self.usb_serial in (None, p.serial_number)):
                    return p.device
            raise InventoryError(f"no serial port with USB {self.usb_vid:04x}:{self.usb_pid:04x} "
                                 f"serial {self.usb_serial} is plugged in")
        if not self.path:
            raise InventoryError("serial resource needs a path or a USB identity")
        return self.path


@dataclass(frozen=True)
class BoardSpec:
    board_id: str
    serial: SerialResource
    probe: ProbeResource
    supply: SupplyResource | None
    capacitor_f: float
    series_ohm: float = 2800.0  # the resistor between supply and capacitor that plays the harvester's


def load_inventory(path: str | Path) -> dict[str, BoardSpec]:
    p = Path(path)
    try:
        doc = yaml.safe_load(p.read_text())
    except FileNotFoundError:
        raise InventoryError(f"{p}: inventory file not found") from None
    except yaml.YAMLError as exc:
        raise InventoryError(f"{p}: not valid YAML ({exc})") from None
    if not isinstance(doc, dict) or doc.get("format") != FORMAT or doc.get("version") != VERSION:
        raise InventoryError(f"{p}: expected format {FORMAT!r} version {VERSION}")
    boards = {}
    for bid, b in (doc.get("boards") or {}).items():
        try:
            ser = SerialResource(**b["serial"])
            probe = ProbeResource(**b.get("probe", {}))
            sup = SupplyResource(**b["supply"]) if b.get("supply") else None
            boards[str(bid)] = BoardSpec(str(bid), ser, probe, sup, float(b["capacitor_f"]),
                                         float(b.get("series_ohm", 2800.0)))
        except (KeyError, TypeError, ValueError) as exc:
            raise InventoryError(f"{p}: board {bid}: {exc}") from None
    if not boards:
        raise InventoryError(f"{p}: no boards listed")
    return boards


class BoardLease:
    """Exclusive use of one board; ``release()`` (or the context manager) frees it."""

    def __init__(self, spec: BoardSpec, lock: FileLock) -> None:
        self.spec, self._lock = spec, lock

    def release(self) -> None:
        self._lock.release()

    def __enter__(self) -> BoardSpec:
        return self.spec

    def __exit__(self, *exc: object) -> None:
        self.release()


def acquire_board(boards: dict[str, BoardSpec], prefer: str | None = None) -> BoardLease:
    """A free board (the pytest-xdist worker's own first, by index), locked for this process."""
    lock_dir = STATE_DIR / "locks"
    lock_dir.mkdir(parents=True, exist_ok=True)
    ids = sorted(boards)
    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0")
    start = int(worker[2:]) % len(ids) if worker[2:].isdigit() else 0
    order = ([prefer] if prefer in boards else []) + ids[start:] + ids[:start]
    for bid in order:
        lock = FileLock(str(lock_dir / f"{bid}.lock"))
        try:
            lock.acquire(timeout=0)
        except Timeout:
            continue
        return BoardLease(boards[bid], lock)
    raise InventoryError(f"all {len(ids)} boards are in use by other workers")
