"""Platform profiles (contract 1): the constants of the cost model, each with where it came from.

The profile is data, not code, because calibration replaces its numbers with fitted ones and the search
must then run on the new file (``--platform``). The loader is strict: an unknown key, a missing key, a
wrong unit or a non-physical value is refused with the key and the file named, since a silently wrong
constant skews every network the search ranks.
"""

from __future__ import annotations

import dataclasses
import hashlib
import math
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import tomli_w

from tinas.errors import ContractError
from tinas.records import atomic_write_bytes

DEFAULT_PROFILE = Path(__file__).with_name("platforms") / "msp430fr5994.toml"
FORMAT = "tinas.platform"
VERSION = 1

# key -> unit, for every constant of [constants]
CONSTANT_UNITS: dict[str, str] = {
    "cpu_clock_hz": "Hz",
    "data_size_bytes": "B",
    "vm_capacity_bytes": "B",
    "nvm_capacity_bytes": "B",
    "nvm_alloc_features_bytes": "B",
    "nvm_alloc_weights_bytes": "B",
    "dma_read_energy_per_element_j": "J",
    "dma_read_energy_per_command_j": "J",
    "dma_read_cycles_per_element": "cycles",
    "dma_read_cycles_per_command": "cycles",
    "dma_write_energy_per_element_j": "J",
    "dma_write_energy_per_command_j": "J",
    "dma_write_cycles_per_element": "cycles",
    "dma_write_cycles_per_command": "cycles",
    "vmac_energy_per_element_j": "J",
    "vmac_energy_per_call_j": "J",
    "vmac_cycles_per_element": "cycles",
    "vmac_cycles_per_call": "cycles",
    "op_add_energy_j": "J",
    "op_add_cycles": "cycles",
    "op_mul_energy_j": "J",
    "op_mul_cycles": "cycles",
    "op_div_energy_j": "J",
    "op_div_cycles": "cycles",
    "op_mod_energy_j": "J",
    "op_mod_cycles": "cycles",
    "op_max_energy_j": "J",
    "op_max_cycles": "cycles",
    "reboot_energy_j": "J",
    "reboot_time_s": "s",
    "index_elements": "elements",
}
CAPACITOR_UNITS: dict[str, str] = {
    "ccap_f": "F",
    "v_on_v": "V",
    "v_off_v": "V",
    "v_sup_v": "V",
    "rehm_ohm": "ohm",
    "eav_safe_margin": "1",
}
# The firmware cost model's per-primitive constants (tinas/cost/firmware_model.py): one cycles and one
# energy constant per primitive the runtime counts, plus the boot. Optional table [firmware]: a profile
# without it can only be used with the original cost model.
FIRMWARE_PRIMITIVES = ("tile", "commit", "rd_cmd", "rd_byte", "wr_cmd", "wr_byte", "mac_call", "mac_elem",
                       "el_requant", "el_relu", "el_add", "el_gap", "el_zero", "el_div", "mpy_call", "mpy_elem",
                       "pad_elem", "conv_pixel", "conv_tap", "conv_krow", "in_row", "out_row", "layer")
FIRMWARE_UNITS: dict[str, str] = {
    **{f"{k}_cycles": "cycles" for k in FIRMWARE_PRIMITIVES},
    **{f"{k}_energy_j": "J" for k in FIRMWARE_PRIMITIVES},
    "boot_time_s": "s",
    "boot_energy_j": "J",
    "resume_cycles": "cycles",  # what a boot that resumes inside a layer repeats: the layer table, the tile grid
    "resume_energy_j": "J",
    "commit_untimed_cycles": "cycles",  # per commit, after the runtime's timed span: the preserve counter's own NVM write
    "commit_untimed_energy_j": "J",
}
COST_MODELS = ("tinas2025", "firmware")
OVERHEAD_KEYS = (
    "FD_I", "FD_W", "FD_O_RUI", "FD_O_RUW", "FD_O_RUO", "BD_O_RUI", "BD_O_RUW", "BD_O_RUO",
    "OP_COMP_CONV", "OP_COMP_DWCONV_IFM", "OP_COMP_DWCONV_OTHER", "OP_COMP_ADD", "OP_COMP_BN",
)
_INTEGER_KEYS = {"cpu_clock_hz", "data_size_bytes", "vm_capacity_bytes", "nvm_capacity_bytes",
                 "nvm_alloc_features_bytes", "nvm_alloc_weights_bytes", "index_elements"}
_PROVENANCE_KEYS = ("source", "date", "board")


class PlatformError(ContractError):
    """A platform profile that cannot be used (names the file and the key)."""


@dataclass(frozen=True)
class Provenance:
    """Where a constant came from: a microbenchmark, a datasheet, a calibration run."""

    source: str
    date: str
    board: str


@dataclass(frozen=True)
class Overhead:
    """Addressing overhead of a runtime loop, as op counts (charged at ADD/MUL cost)."""

    adds: float
    muls: float


@dataclass(frozen=True)
class Platform:
    """A loaded, validated platform profile. Frozen and hashable so cost results can be cached on it."""

    name: str
    constants: tuple[tuple[str, float], ...]
    overheads: tuple[tuple[str, Overhead], ...]
    capacitor: tuple[tuple[str, float], ...]
    rehm_table: tuple[tuple[str, float], ...]
    provenance: tuple[tuple[str, Provenance], ...] = field(compare=False)
    description: str = field(default="", compare=False)
    path: str = field(default="", compare=False)
    firmware: tuple[tuple[str, float], ...] = ()  # [firmware] constants, empty if the profile has none
    # which cost model prices this profile: "tinas2025" (the original) or "firmware" (our runtime's loop
    # nests); carried with the profile so the search, explorer and exporter need no extra argument
    cost_model: str = "tinas2025"

    # -- access -------------------------------------------------------------------------------
    def __getattr__(self, key: str) -> float:
        for table in ("constants", "capacitor", "firmware"):
            for k, v in object.__getattribute__(self, table):
                if k == key:
                    return v
        raise AttributeError(key)

    def const(self, key: str) -> float:
        return float(getattr(self, key))

    def overhead(self, key: str) -> Overhead:
        return dict(self.overheads)[key]

    def provenance_of(self, key: str) -> Provenance:
        return dict(self.provenance)[key]

    @property
    def sha256(self) -> str:
        """Hash of the numbers (not the provenance): two profiles with equal numbers cost alike."""
        nums: tuple = (self.constants, self.overheads, self.capacitor, self.rehm_table)
        if self.firmware:  # profiles without the table keep the hash they always had
            nums += (self.firmware,)
        blob = repr(nums).encode()
        return hashlib.sha256(blob).hexdigest()

    # -- derived copies -------------------------------------------------------------------------
    def with_cost_model(self, model: str | None) -> Platform:
        """A copy costed by another model (``tinas2025`` or ``firmware``); ``None`` keeps this one."""
        if model is None or model == self.cost_model:
            return self
        if model not in COST_MODELS:
            raise PlatformError(f"unknown cost model {model!r} (choose from {', '.join(COST_MODELS)})")
        if model == "firmware" and not self.firmware:
            raise PlatformError(f"profile {self.name} has no [firmware] table: the firmware cost model needs its "
                                f"per-primitive constants")
        return dataclasses.replace(self, cost_model=model)

    def with_capacitor(self, ccap_f: float | None = None, rehm_ohm: float | None = None) -> Platform:
        """A copy with another capacitor; without ``rehm_ohm`` the harvester resistance measured for
        that capacitor is looked up in the profile's table (as the original does)."""
        if ccap_f is None and rehm_ohm is None:
            return self
        cap = dict(self.capacitor)
        if ccap_f is not None:
            if not (ccap_f > 0 and math.isfinite(ccap_f)):
                raise PlatformError(f"capacitance must be positive, got {ccap_f} F")
            cap["ccap_f"] = float(ccap_f)
            if rehm_ohm is None:
                table = dict(self.rehm_table)
                key = _cap_key(ccap_f, table)
                if key is None:
                    raise PlatformError(
                        f"no harvester resistance known for a {ccap_f} F capacitor (table has "
                        f"{', '.join(sorted(table))} F); give it with --rehm"
                    )
                cap["rehm_ohm"] = table[key]
        if rehm_ohm is not None:
            if not (rehm_ohm > 0 and math.isfinite(rehm_ohm)):
                raise PlatformError(f"harvester resistance must be positive, got {rehm_ohm} Ω")
            cap["rehm_ohm"] = float(rehm_ohm)
        return dataclasses.replace(self, capacitor=tuple(cap.items()))

    def with_constants(self, updates: dict[str, float], provenance: Provenance, name: str | None = None) -> Platform:
        """A copy with some constants replaced (calibration), each carrying the new provenance."""
        consts = dict(self.constants)
        cap = dict(self.capacitor)
        fw = dict(self.firmware)
        prov = dict(self.provenance)
        for key, value in updates.items():
            if key in consts:
                consts[key] = float(value)
            elif key in cap:
                cap[key] = float(value)
            elif key in FIRMWARE_UNITS:
                fw[key] = float(value)
            else:
                raise PlatformError(f"cannot update unknown constant '{key}'")
            prov[key] = provenance
        new = dataclasses.replace(
            self, constants=tuple(consts.items()), capacitor=tuple(cap.items()), provenance=tuple(prov.items()),
            name=name or self.name, firmware=tuple(fw.items()),
        )
        _check_physical(new, "<updated profile>")
        return new

    # -- persistence ----------------------------------------------------------------------------
    def to_toml(self, path: str | Path) -> Path:
        """Write this profile (atomically) in the same format the loader reads."""
        prov = dict(self.provenance)

        def entry(key: str, value: float, unit: str) -> dict[str, Any]:
            p = prov[key]
            v: Any = int(value) if key in _INTEGER_KEYS else float(value)
            return {"value": v, "unit": unit, "source": p.source, "date": p.date, "board": p.board}

        doc: dict[str, Any] = {
            "format": FORMAT,
            "version": VERSION,
            "name": self.name,
            "description": self.description,
            "constants": {k: entry(k, v, CONSTANT_UNITS[k]) for k, v in self.constants},
            "overheads": {
                k: {"adds": o.adds, "muls": o.muls, **_prov_dict(prov[k])} for k, o in self.overheads
            },
            "capacitor": {k: entry(k, v, CAPACITOR_UNITS[k]) for k, v in self.capacitor},
            "rehm_table": {**_prov_dict(prov["rehm_table"]), **dict(self.rehm_table)},
        }
        if self.firmware:
            doc["firmware"] = {k: entry(k, v, FIRMWARE_UNITS[k]) for k, v in self.firmware}
        atomic_write_bytes(path, tomli_w.dumps(doc).encode("utf-8"))
        return Path(path)


def _prov_dict(p: Provenance) -> dict[str, str]:
    return {"source": p.source, "date": p.date, "board": p.board}


def _cap_key(ccap_f: float, table: dict[str, float]) -> str | None:
    for k in table:
        if math.isclose(float(k), ccap_f, rel_tol=1e-9):
            return k
    return None


def _entry_provenance(entry: dict[str, Any], defaults: dict[str, str], where: str) -> Provenance:
    vals = {k: entry.get(k, defaults.get(k)) for k in _PROVENANCE_KEYS}
    missing = [k for k, v in vals.items() if not isinstance(v, str) or not v]
    if missing:
        raise PlatformError(f"{where}: provenance {', '.join(missing)} missing (give it per entry or in [defaults])")
    return Provenance(**vals)  # type: ignore[arg-type]


def _read_valued_table(
    doc: dict[str, Any], table: str, units: dict[str, str], defaults: dict[str, str], src: str
) -> tuple[dict[str, float], dict[str, Provenance]]:
    raw = doc.get(table)
    if not isinstance(raw, dict):
        raise PlatformError(f"{src}: table [{table}] is missing")
    unknown = sorted(set(raw) - set(units))
    if unknown:
        raise PlatformError(f"{src}: unknown key [{table}].{unknown[0]}")
    missing = sorted(set(units) - set(raw))
    if missing:
        raise PlatformError(f"{src}: missing key [{table}].{missing[0]}")
    values: dict[str, float] = {}
    provs: dict[str, Provenance] = {}
    for key, unit in units.items():
        where = f"{src}: [{table}].{key}"
        entry = raw[key]
        if not isinstance(entry, dict) or "value" not in entry:
            raise PlatformError(f"{where}: expected {{ value = …, unit = \"{unit}\", source = … }}")
        extra = sorted(set(entry) - {"value", "unit", *_PROVENANCE_KEYS})
        if extra:
            raise PlatformError(f"{where}: unknown field '{extra[0]}'")
        if entry.get("unit") != unit:
            raise PlatformError(f"{where}: unit is {entry.get('unit')!r}, expected {unit!r}")
        value = entry["value"]
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            raise PlatformError(f"{where}: value must be a finite number, got {value!r}")
        values[key] = float(value)
        provs[key] = _entry_provenance(entry, defaults, where)
    return values, provs


def _check_physical(p: Platform, src: str) -> None:
    c = {**dict(p.constants), **dict(p.capacitor), **dict(p.firmware)}
    for key, value in c.items():
        if key == "eav_safe_margin":
            if not 0 < value <= 1:
                raise PlatformError(f"{src}: eav_safe_margin must be in (0, 1], got {value}")
        elif value < 0:
            raise PlatformError(f"{src}: {key} must not be negative, got {value}")
    for key in ("cpu_clock_hz", "data_size_bytes", "vm_capacity_bytes", "ccap_f", "rehm_ohm", "v_off_v"):
        if c[key] <= 0:
            raise PlatformError(f"{src}: {key} must be positive, got {c[key]}")
    if c["v_on_v"] <= c["v_off_v"]:
        raise PlatformError(f"{src}: v_on_v ({c['v_on_v']} V) must be above v_off_v ({c['v_off_v']} V)")
    if c["v_sup_v"] < c["v_on_v"]:
        raise PlatformError(f"{src}: v_sup_v ({c['v_sup_v']} V) below v_on_v ({c['v_on_v']} V): the device never turns on")


def load_platform(path: str | Path | None = None) -> Platform:
    """Load and validate a profile (``None`` → the packaged MSP430FR5994 default)."""
    p = Path(path) if path is not None else DEFAULT_PROFILE
    src = str(p)
    try:
        doc = tomllib.loads(p.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise PlatformError(f"{src}: platform profile not found") from None
    except tomllib.TOMLDecodeError as exc:
        raise PlatformError(f"{src}: not valid TOML ({exc})") from None
    if doc.get("format") != FORMAT:
        raise PlatformError(f"{src}: format is {doc.get('format')!r}, expected {FORMAT!r}")
    if not isinstance(doc.get("version"), int) or not 1 <= doc["version"] <= VERSION:
        raise PlatformError(f"{src}: version {doc.get('version')!r} not supported (this reader knows 1..{VERSION})")
    known_top = {"format", "version", "name", "description", "defaults", "constants", "overheads", "capacitor", "rehm_table",
                 "firmware"}
    unknown = sorted(set(doc) - known_top)
    if unknown:
        raise PlatformError(f"{src}: unknown key '{unknown[0]}'")
    defaults = doc.get("defaults", {})
    consts, prov = _read_valued_table(doc, "constants", CONSTANT_UNITS, defaults, src)
    cap, cap_prov = _read_valued_table(doc, "capacitor", CAPACITOR_UNITS, defaults, src)
    prov.update(cap_prov)
    fw: dict[str, float] = {}
    if "firmware" in doc:
        fw, fw_prov = _read_valued_table(doc, "firmware", FIRMWARE_UNITS, defaults, src)
        prov.update(fw_prov)
    raw_ovh = doc.get("overheads")
    if not isinstance(raw_ovh, dict):
        raise PlatformError(f"{src}: table [overheads] is missing")
    for bad in sorted(set(raw_ovh) - set(OVERHEAD_KEYS)):
        raise PlatformError(f"{src}: unknown key [overheads].{bad}")
    overheads: dict[str, Overhead] = {}
    for key in OVERHEAD_KEYS:
        where = f"{src}: [overheads].{key}"
        entry = raw_ovh.get(key)
        if not isinstance(entry, dict):
            raise PlatformError(f"{where}: missing")
        extra = sorted(set(entry) - {"adds", "muls", *_PROVENANCE_KEYS})
        if extra:
            raise PlatformError(f"{where}: unknown field '{extra[0]}'")
        try:
            adds, muls = float(entry["adds"]), float(entry["muls"])
        except (KeyError, TypeError, ValueError):
            raise PlatformError(f"{where}: needs numeric adds and muls") from None
        if adds < 0 or muls < 0:
            raise PlatformError(f"{where}: op counts must not be negative")
        overheads[key] = Overhead(adds, muls)
        prov[key] = _entry_provenance(entry, defaults, where)
    raw_table = doc.get("rehm_table", {})
    table: dict[str, float] = {}
    for k, v in raw_table.items():
        if k in _PROVENANCE_KEYS:
            continue
        try:
            float(k)
        except ValueError:
            raise PlatformError(f"{src}: [rehm_table] key {k!r} is not a capacitance in F") from None
        if not isinstance(v, (int, float)) or v <= 0:
            raise PlatformError(f"{src}: [rehm_table].{k} must be a positive resistance")
        table[k] = float(v)
    prov["rehm_table"] = _entry_provenance(raw_table, defaults, f"{src}: [rehm_table]")
    platform = Platform(
        name=str(doc.get("name", p.stem)),
        constants=tuple(consts.items()),
        overheads=tuple(overheads.items()),
        capacitor=tuple(cap.items()),
        rehm_table=tuple(table.items()),
        provenance=tuple(prov.items()),
        description=str(doc.get("description", "")),
        path=src,
        firmware=tuple(fw.items()),
    )
    _check_physical(platform, src)
    return platform
