"""Power profiles (contract 6): harvested power against time, with a header saying where it came from.

A CSV profile is ``# key: value`` header lines (name, kind = recorded | synthetic | thevenin, source,
licence, sample_rate_hz, units) then columns ``time_s,power_w`` (or ``time_s,voltage_v,current_a``, in
which case power = V·I). A ``thevenin`` profile has no samples: it describes the original TiNAS
harvester, an open-circuit voltage behind a series resistance (header keys vsup_v, rehm_ohm).
"""

from __future__ import annotations

import hashlib
import io
import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from tinas.errors import TinasError
from tinas.records import atomic_write_text

PROFILE_DIR = Path(__file__).resolve().parent.parent.parent / "power_profiles"  # shipped, read-only to imports


def user_profile_dir() -> Path:
    """Where ``hil profiles import`` puts recordings: $HIL_PROFILE_DIR, else
    $XDG_DATA_HOME/tinas-hil/power_profiles (~/.local/share/... by default). Never the shipped folder."""
    env = os.environ.get("HIL_PROFILE_DIR")
    if env:
        return Path(env)
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "tinas-hil" / "power_profiles"


def shipped_names() -> set[str]:
    return {f.stem for f in PROFILE_DIR.glob("*.csv")}
KINDS = ("recorded", "synthetic", "thevenin")
REQUIRED = ("name", "kind", "source", "licence")


class ProfileError(TinasError):
    """A power profile that cannot be used (names the file and the line)."""


@dataclass(frozen=True)
class PowerProfile:
    name: str
    kind: str
    meta: dict[str, str]
    time_s: np.ndarray = field(repr=False)
    power_w: np.ndarray = field(repr=False)
    path: str = ""

    @property
    def is_thevenin(self) -> bool:
        return self.kind == "thevenin"

    @property
    def duration_s(self) -> float:
        return float(self.time_s[-1]) if self.time_s.size else 0.0

    @property
    def energy_j(self) -> float:
        """Energy of one period, holding each sample until the next (the last until the end)."""
        if self.is_thevenin or self.time_s.size < 2:
            return float("nan")
        return float(np.sum(self.power_w[:-1] * np.diff(self.time_s)))

    @property
    def average_power_w(self) -> float:
        if self.is_thevenin:
            v, r = float(self.meta["vsup_v"]), float(self.meta["rehm_ohm"])
            return v * v / (4 * r)  # available power (matched load)
        return self.energy_j / self.duration_s if self.duration_s > 0 else float(self.power_w[0])

    @property
    def sha256(self) -> str:
        h = hashlib.sha256(repr(sorted(self.meta.items())).encode())
        h.update(self.time_s.tobytes())
        h.update(self.power_w.tobytes())
        return h.hexdigest()


def parse_profile(text: str, source: str) -> PowerProfile:
    meta: dict[str, str] = {}
    body_lines = []
    for lineno, line in enumerate(text.splitlines(), 1):
        if line.startswith("#"):
            if ":" not in line:
                raise ProfileError(f"{source}:{lineno}: header line must be '# key: value'")
            k, v = line[1:].split(":", 1)
            meta[k.strip()] = v.strip()
        elif line.strip():
            body_lines.append((lineno, line))
    missing = [k for k in REQUIRED if k not in meta]
    if missing:
        raise ProfileError(f"{source}: header misses {', '.join(missing)}")
    if meta["kind"] not in KINDS:
        raise ProfileError(f"{source}: kind {meta['kind']!r} is not one of {', '.join(KINDS)}")
    if meta["kind"] == "thevenin":
        for k in ("vsup_v", "rehm_ohm"):
            try:
                if float(meta[k]) <= 0:
                    raise ValueError
            except (KeyError, ValueError):
                raise ProfileError(f"{source}: a thevenin profile needs a positive '{k}' header") from None
        return PowerProfile(meta["name"], "thevenin", meta, np.zeros(0), np.zeros(0), source)
    if not body_lines:
        raise ProfileError(f"{source}: no samples")
    header = [c.strip() for c in body_lines[0][1].split(",")]
    if header not in (["time_s", "power_w"], ["time_s", "voltage_v", "current_a"]):
        raise ProfileError(f"{source}:{body_lines[0][0]}: columns must be time_s,power_w or "
                           f"time_s,voltage_v,current_a (units in the names), got {','.join(header)}")
    rows = []
    for lineno, line in body_lines[1:]:
        parts = line.split(",")
        if len(parts) != len(header):
            raise ProfileError(f"{source}:{lineno}: expected {len(header)} values, got {len(parts)}")
        try:
            vals = [float(p) for p in parts]
        except ValueError:
            raise ProfileError(f"{source}:{lineno}: not a number in {line.strip()!r}") from None
        if not all(np.isfinite(vals)):
            raise ProfileError(f"{source}:{lineno}: NaN or infinite value")
        rows.append(vals)
    a = np.array(rows, dtype=float)
    if a.shape[0] < 1:
        raise ProfileError(f"{source}: no samples")
    t = a[:, 0]
    p = a[:, 1] if a.shape[1] == 2 else a[:, 1] * a[:, 2]
    return make_profile(meta, t, p, source)


def make_profile(meta: dict[str, str], t: np.ndarray, p: np.ndarray, source: str) -> PowerProfile:
    """A sampled profile from arrays, with the same checks as a CSV file (importers use this directly,
    so a million-sample recording is not round-tripped through text)."""
    t = np.asarray(t, dtype=float)
    p = np.asarray(p, dtype=float)
    if t.size < 1:
        raise ProfileError(f"{source}: no samples")
    if not (np.all(np.isfinite(t)) and np.all(np.isfinite(p))):
        raise ProfileError(f"{source}: NaN or infinite value")
    bad = np.flatnonzero(np.diff(t) <= 0)
    if bad.size:
        raise ProfileError(f"{source}: time goes backwards or repeats at sample {bad[0] + 2} "
                           f"({t[bad[0]]} s then {t[bad[0] + 1]} s)")
    if t[0] != 0:
        raise ProfileError(f"{source}: time must start at 0 s, starts at {t[0]} s")
    if np.any(p < 0):
        i = int(np.flatnonzero(p < 0)[0])
        raise ProfileError(f"{source}: negative power {p[i]} W at {t[i]} s")
    return PowerProfile(meta["name"], meta["kind"], meta, t, p, source)


def load_profile(name_or_path: str | Path) -> PowerProfile:
    """A shipped profile by name, then an imported one (user folder) by name, or a CSV file."""
    p = Path(name_or_path)
    if not p.suffix:
        p = PROFILE_DIR / f"{name_or_path}.csv"
        if not p.is_file():
            p = user_profile_dir() / f"{name_or_path}.csv"
    if not p.is_file():
        known = ", ".join(sorted(shipped_names()))
        imported = ", ".join(sorted(f.stem for f in user_profile_dir().glob("*.csv"))) or "none"
        raise ProfileError(f"power profile {name_or_path!r} not found (shipped: {known}; imported: {imported})")
    return parse_profile(p.read_text(encoding="utf-8"), str(p))


def list_profiles() -> list[PowerProfile]:
    """Shipped profiles, then imported ones (an imported file named like a shipped one is skipped)."""
    shipped = sorted(PROFILE_DIR.glob("*.csv"))
    imported = [f for f in sorted(user_profile_dir().glob("*.csv")) if f.stem not in shipped_names()]
    return [load_profile(f) for f in shipped + imported]


def to_csv(meta: dict[str, str], time_s: np.ndarray | None, power_w: np.ndarray | None) -> str:
    buf = io.StringIO()
    for k, v in meta.items():
        buf.write(f"# {k}: {v}\n")
    if time_s is not None:
        buf.write("time_s,power_w\n")
        # times keep full precision (shortest round-trip repr): 6 significant digits made 1000.001 s
        # and 1000.002 s of a 1 kHz recording both "1000"; powers keep 9 digits
        for t, p in zip(np.asarray(time_s, dtype=float).tolist(), np.asarray(power_w, dtype=float).tolist()):
            buf.write(f"{t!r},{p:.9g}\n")
    return buf.getvalue()


def write_profile(path: Path, meta: dict[str, str], time_s: np.ndarray | None, power_w: np.ndarray | None) -> Path:
    atomic_write_text(path, to_csv(meta, time_s, power_w))
    return path
