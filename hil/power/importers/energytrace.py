"""TI EnergyTrace CSV exports (CCS / MSP430 EnergyTrace): columns "Time (ns)", "Current (nA)",
"Voltage (mV)", "Energy (uJ)". Power is V·I per sample. Comma-separated is the export's format; a
tab- or space-separated text copy is accepted too."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pandas as pd

from hil.power.profile import PowerProfile, ProfileError, make_profile

COLUMNS = ("Time (ns)", "Current (nA)", "Voltage (mV)")
log = logging.getLogger(__name__)


def _read(p: Path) -> pd.DataFrame:
    try:
        df = pd.read_csv(p)
        if not set(COLUMNS) <= set(df.columns):  # a text copy with tabs or several spaces between columns
            df = pd.read_csv(p, sep=r"\t|\s{2,}|;", engine="python")
    except (OSError, pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError, ValueError) as exc:
        raise ProfileError(f"{p}: not a readable EnergyTrace CSV ({exc})") from None
    df.columns = [str(c).strip() for c in df.columns]
    return df


def import_energytrace(path: str | Path, name: str | None = None) -> PowerProfile:
    p = Path(path)
    df = _read(p)
    missing = [c for c in COLUMNS if c not in df.columns]
    if missing:
        raise ProfileError(f"{p}: not an EnergyTrace export (missing columns {', '.join(missing)}; "
                           f"found {', '.join(map(str, df.columns[:5])) or 'none'})")
    if len(df) == 0:
        raise ProfileError(f"{p}: EnergyTrace export has a header but no samples")
    cols = {}
    for c in COLUMNS:
        v = pd.to_numeric(df[c], errors="coerce").to_numpy(float)
        bad = np.flatnonzero(~np.isfinite(v))
        if bad.size:
            raise ProfileError(f"{p}: line {bad[0] + 2}: column {c!r} is {df[c].iloc[bad[0]]!r}, not a number "
                               f"({bad.size} such lines)")
        cols[c] = v
    t = (cols["Time (ns)"] - cols["Time (ns)"][0]) * 1e-9
    pw = cols["Current (nA)"] * 1e-9 * cols["Voltage (mV)"] * 1e-3
    neg = int(np.sum(pw < 0))
    if neg:
        log.warning("%s: %d of %d samples have negative power (down to %.3g W, current flowing back); set to 0 W",
                    p, neg, pw.size, float(pw.min()))
    meta = {"name": name or p.stem, "kind": "recorded", "source": f"EnergyTrace export {p.name}",
            "licence": "as the recording", "units": "s, W"}
    return make_profile(meta, t, np.clip(pw, 0, None), str(p))
