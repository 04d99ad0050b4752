"""Measurement rows (contract 7): one row per run, with the cost model's predictions beside it.

Rows are frozen dataclasses (hot path) turned into a pandas table; the table file carries the format
and version in its name column set and is written atomically. Rows from different firmware or
cost-model versions are kept apart by the calibration (it refuses to mix them).
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from tinas.errors import TinasError
from tinas.records import atomic_path

FORMAT = "hil.measurements"
VERSION = 1


class MeasurementError(TinasError):
    """A measurement table that cannot be read or used."""


@dataclass(frozen=True)
class MeasurementRow:
    run_id: str
    timestamp: str
    target_kind: str
    target_id: str
    firmware_hash: str
    artifact_hash: str
    artifact_name: str
    profile: str
    profile_hash: str
    ccap_f: float
    power_mode: str  # "intermittent" | "continuous"
    latency_s: float
    active_time_s: float
    recharge_time_s: float
    power_cycles: int
    cpu_cycles: int  # executed (emulator: tracer)
    modelled_cycles: int  # charged by the harness for peripherals the target lacks
    compute_cycles: int
    preserve_cycles: int
    recover_cycles: int
    imo_percent: float  # filled when the intermittent and continuous runs of one pair are known
    energy_j: float
    output_correct: bool
    wall_time_s: float
    predicted_latency_s: float
    predicted_active_time_s: float
    predicted_continuous_s: float
    predicted_imo_percent: float
    predicted_power_cycles: int
    cost_model_version: str
    platform_hash: str
    artifact_dir: str = ""
    predicted_components: str = "{}"  # JSON: {"int": {rb, fd, fl, cp, bd, bl}, "cont": {fd, cp, bd}} in seconds
    format: str = FORMAT
    version: int = VERSION


COLUMNS = [f.name for f in dataclasses.fields(MeasurementRow)]


def to_frame(rows: list[MeasurementRow]) -> pd.DataFrame:
    return pd.DataFrame([dataclasses.asdict(r) for r in rows], columns=COLUMNS)


def write_table(rows: list[MeasurementRow] | pd.DataFrame, path: str | Path) -> Path:
    """CSV (or Parquet for a .parquet suffix), written atomically."""
    df = rows if isinstance(rows, pd.DataFrame) else to_frame(rows)
    p = Path(path)
    with atomic_path(p) as tmp:
        if p.suffix == ".parquet":
            df.to_parquet(tmp, index=False)
        else:
            df.to_csv(tmp, index=False)
    return p


def read_tables(paths: list[str | Path]) -> pd.DataFrame:
    frames = []
    for path in paths:
        p = Path(path)
        if not p.is_file():
            raise MeasurementError(f"{p}: measurement file not found")
        try:
            df = pd.read_parquet(p) if p.suffix == ".parquet" else pd.read_csv(p)
        except Exception as exc:  # pandas raises many kinds
            raise MeasurementError(f"{p}: cannot read measurements ({exc})") from None
        missing = sorted(set(COLUMNS) - set(df.columns))
        if missing:
            raise MeasurementError(f"{p}: not a {FORMAT} table (missing columns {', '.join(missing[:5])})")
        if (df["format"] != FORMAT).any() or (df["version"] > VERSION).any():
            raise MeasurementError(f"{p}: format/version not supported (this reader knows {FORMAT} v{VERSION})")
        df["source_file"] = str(p)
        frames.append(df)
    if not frames:
        raise MeasurementError("no measurement files given")
    return pd.concat(frames, ignore_index=True)


def summary_json(df: pd.DataFrame) -> str:
    return json.dumps({"rows": len(df), "artifacts": int(df["artifact_hash"].nunique())})
