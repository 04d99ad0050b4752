"""Two-column time/voltage logs (as Mementos-style harvester recordings): the voltage of a source with
a known series resistance, converted to the power it can deliver into a matched load, V²/(4R)."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np

from hil.power.profile import PowerProfile, ProfileError, make_profile

log = logging.getLogger(__name__)


def import_voltage_log(path: str | Path, r_source_ohm: float, name: str | None = None) -> PowerProfile:
    p = Path(path)
    if not r_source_ohm > 0:
        raise ProfileError(f"source resistance must be positive, got {r_source_ohm} Ω")
    try:
        a = np.loadtxt(p, delimiter=None if p.suffix != ".csv" else ",", ndmin=2, comments="#")
    except (OSError, ValueError) as exc:
        raise ProfileError(f"{p}: expected two numeric columns time_s voltage_v ({exc})") from None
    if a.shape[0] == 0:
        raise ProfileError(f"{p}: no samples")
    if a.shape[1] != 2:
        raise ProfileError(f"{p}: expected two columns (time_s, voltage_v), got {a.shape[1]}")
    neg = int(np.sum(a[:, 1] < 0))
    if neg:
        log.warning("%s: %d of %d samples have a negative voltage (down to %.3g V); set to 0 V", p, neg,
                    a.shape[0], float(a[:, 1].min()))
    t, v = a[:, 0] - a[0, 0], np.clip(a[:, 1], 0, None)
    meta = {"name": name or p.stem, "kind": "recorded", "source": f"voltage log {p.name} behind {r_source_ohm} ohm",
            "licence": "as the recording", "units": "s, W"}
    return make_profile(meta, t, v * v / (4.0 * r_source_ohm), str(p))
