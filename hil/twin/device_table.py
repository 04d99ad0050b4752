"""The twin's device table (hil/twin/device_fr5994.toml): timing and current of the emulated device.

One versioned file with a source for every number; the cost model's platform profiles are separate and
calibration never writes this file.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

from tinas.errors import TinasError

FORMAT = "tinas-hil/twin-device-table"
VERSION = 1
DEFAULT = Path(__file__).resolve().parent / "device_fr5994.toml"
LOADS = ("cpu_active", "lpm0", "lpm3", "lea", "dma", "spi", "mpy", "extfram_active", "extfram_standby")


class DeviceTableError(TinasError):
    """The device table is missing a field, has the wrong format/version, or a number has no source."""


@dataclass(frozen=True)
class DeviceTable:
    version: int
    device: str
    mclk_hz: float
    vcc_v: float
    amps: tuple[float, ...]  # in twin.h's enum twin_load order
    fram_wait_states: int
    fram_cache_lines: int
    fram_cache_line_bytes: int
    lea_mac_cycles_fixed: int
    lea_mac_cycles_per_elem: float
    dma_cycles_per_transfer: int
    reset_cycles: int
    path: str


def _need(d: dict, key: str, where: str):
    if key not in d:
        raise DeviceTableError(f"device table {where}: missing '{key}'")
    if not key.endswith("_source") and f"{key}_source" not in d and key not in ("format", "version", "device"):
        # every number names its source (a shared source for a group is accepted, e.g. cache_source)
        if not any(k.endswith("_source") and k.split("_")[0] == key.split("_")[0] for k in d):
            raise DeviceTableError(f"device table {where}: '{key}' has no source")
    return d[key]


def load_device_table(path: str | Path = DEFAULT) -> DeviceTable:
    path = Path(path)
    try:
        raw = tomllib.loads(path.read_text())
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise DeviceTableError(f"cannot read device table {path}: {exc}") from None
    if raw.get("format") != FORMAT:
        raise DeviceTableError(f"{path}: format {raw.get('format')!r}, expected {FORMAT!r}")
    if raw.get("version") != VERSION:
        raise DeviceTableError(f"{path}: version {raw.get('version')!r}, this code reads version {VERSION}")
    try:
        clk, sup, fram, cur, lea, dma = (raw[k] for k in ("clock", "supply", "fram", "current_a", "lea", "dma"))
    except KeyError as exc:
        raise DeviceTableError(f"{path}: missing table [{exc.args[0]}]") from None
    amps = tuple(float(_need(cur, k, f"{path} [current_a]")) for k in LOADS)
    if any(a < 0 for a in amps):
        raise DeviceTableError(f"{path}: negative current")
    return DeviceTable(
        version=int(raw["version"]), device=str(raw.get("device", "")),
        mclk_hz=float(_need(clk, "mclk_hz", "[clock]")), vcc_v=float(_need(sup, "vcc_v", "[supply]")), amps=amps,
        fram_wait_states=int(_need(fram, "wait_states", "[fram]")),
        fram_cache_lines=int(_need(fram, "cache_lines", "[fram]")),
        fram_cache_line_bytes=int(_need(fram, "cache_line_bytes", "[fram]")),
        lea_mac_cycles_fixed=int(_need(lea, "mac_cycles_fixed", "[lea]")),
        lea_mac_cycles_per_elem=float(_need(lea, "mac_cycles_per_elem", "[lea]")),
        dma_cycles_per_transfer=int(_need(dma, "cycles_per_transfer", "[dma]")),
        reset_cycles=int(_need(clk, "reset_cycles", "[clock]")), path=str(path))
