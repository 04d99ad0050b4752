"""TI EnergyTrace CSV exports (CCS / MSP430 EnergyTrace): columns "Time (ns)", "Current (nA)",
"Voltage (mV)", "Energy (uJ)". Power is V·I per sample."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from hil.power.profile import PowerProfile, ProfileError, parse_profile, to_csv

COLUMNS = ("Time (ns)", "Current (nA)", "Voltage (mV)")


def import_energytrace(path: str | Path, name: str | None = None) -> PowerProfile:
    p = Path(path)
    try:
        df = pd.read_csv(p)
    except (OSError, pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise ProfileError(f"{p}: not a readable CSV ({exc})") from None
    missing = [c for c in COLUMNS if c not in df.columns]
    if missing:
        raise ProfileError(f"{p}: not an EnergyTrace export (missing columns {', '.join(missing)})")
    t = (df["Time (ns)"].to_numpy(float) - float(df["Time (ns)"].iloc[0])) * 1e-9
    pw = df["Current (nA)"].to_numpy(float) * 1e-9 * df["Voltage (mV)"].to_numpy(float) * 1e-3
    if np.any(~np.isfinite(pw)):
        raise ProfileError(f"{p}: NaN in current or voltage")
    meta = {"name": name or p.stem, "kind": "recorded", "source": f"EnergyTrace export {p.name}",
            "licence": "as the recording", "units": "s, W"}
    return parse_profile(to_csv(meta, t, np.clip(pw, 0, None)), str(p))
