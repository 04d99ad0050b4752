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
VERSION = 2  # 2: a "reference" row (the -DRT_NO_PRESERVATION build, continuous) per run; IMO measured against it


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
    power_mode: str  # "intermittent" | "continuous" (same build) | "reference" (-DRT_NO_PRESERVATION, continuous)
    latency_s: float
    active_time_s: float
    recharge_time_s: float
    power_cycles: int
    cpu_cycles: int  # executed (emulator: tracer)
    modelled_cycles: int  # charged by the harness for peripherals the target lacks
    compute_cycles: int
    preserve_cycles: int
    recover_cycles: int
    imo_percent: float  # intermittent rows: 100·(active time − reference latency) / active time
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
    proactive: int = -1  # 1/0: the run shut down after every committed batch or not; -1: not recorded
    format: str = FORMAT
    version: int = VERSION


COLUMNS = [f.name for f in dataclasses.fields(MeasurementRow)]
OPTIONAL_COLUMNS = {"proactive": -1}  # added later; tables written before them read with these defaults


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
        for col, default in OPTIONAL_COLUMNS.items():
            if col not in df.columns:
                df[col] = default
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


# -- per-layer records ------------------------------------------------------------------------------
LAYER_FORMAT = "hil.layer_measurements"
LAYER_VERSION = 2  # 2: a "reference" row (the -DRT_NO_PRESERVATION build, continuous) per run; IMO measured against it


@dataclass(frozen=True)
class LayerRow:
    """One firmware layer of one run: its design and the runtime's own counters (rt_counters.h).

    Written beside the run rows (``<table>.layers.csv``), keyed by ``run_id``. Counts are of committed
    work; ``cycles`` is compute + preserve cycles of the target's clock (host: wall time at 16 MHz, not
    MSP430 cycles); ``power_cycles`` is the number of boots that resumed in this layer. Under proactive
    shutdown the preserve cycles of a batch are timed after the commit that persists the counters and are
    lost at the shutdown, so an intermittent run's per-layer cycles lack them: compare per-layer cycles on
    continuous runs (the calibration does).
    """

    run_id: str
    target_kind: str
    firmware_hash: str
    artifact_hash: str
    artifact_name: str
    artifact_dir: str
    profile: str
    ccap_f: float
    power_mode: str
    layer: int
    layer_name: str
    kind: str  # CONV | DW | FC | RELU | ADD | GAP (firmware layers: BN folded)
    Tr: int
    Tc: int
    Tm: int
    Tn: int
    order: str
    S: int
    tiles: int
    commits: int
    rd_cmds: int
    rd_bytes: int
    wr_cmds: int
    wr_bytes: int
    mac_calls: int
    mac_elems: int
    op_requant: int
    op_relu: int
    op_add: int
    op_gap: int
    op_zero: int
    op_div: int
    cycles_compute: int
    cycles_preserve: int
    cycles: int
    power_cycles: int
    format: str = LAYER_FORMAT
    version: int = LAYER_VERSION


LAYER_COLUMNS = [f.name for f in dataclasses.fields(LayerRow)]


def layer_table_path(run_table: str | Path) -> Path:
    """Where the per-layer table of a run table lives: ``runs.csv`` → ``runs.layers.csv``."""
    p = Path(run_table)
    return p.with_name(p.stem + ".layers" + p.suffix)


def write_layer_table(rows: list[LayerRow] | pd.DataFrame, run_table: str | Path) -> Path:
    df = rows if isinstance(rows, pd.DataFrame) else pd.DataFrame([dataclasses.asdict(r) for r in rows],
                                                                   columns=LAYER_COLUMNS)
    return write_table(df, layer_table_path(run_table))


def read_layer_tables(run_tables: list[str | Path]) -> pd.DataFrame:
    """The per-layer tables beside the given run tables (empty frame if none exists)."""
    frames = []
    for t in run_tables:
        p = layer_table_path(t)
        if not p.is_file():
            continue
        try:
            df = pd.read_parquet(p) if p.suffix == ".parquet" else pd.read_csv(p)
        except Exception as exc:
            raise MeasurementError(f"{p}: cannot read per-layer measurements ({exc})") from None
        missing = sorted(set(LAYER_COLUMNS) - set(df.columns))
        if missing:
            raise MeasurementError(f"{p}: not a {LAYER_FORMAT} table (missing columns {', '.join(missing[:5])})")
        if (df["format"] != LAYER_FORMAT).any() or (df["version"] > LAYER_VERSION).any():
            raise MeasurementError(f"{p}: format/version not supported (this reader knows {LAYER_FORMAT} v{LAYER_VERSION})")
        df["source_file"] = str(p)
        frames.append(df)
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=LAYER_COLUMNS)


def layer_rows_of(run: MeasurementRow, counters: tuple[dict[str, int], ...], firmware_layers) -> list[LayerRow]:  # noqa: ANN001
    """Per-layer rows of one run from the target's counters and the artifact's firmware layers."""
    if counters and len(counters) != len(firmware_layers):
        raise MeasurementError(f"run {run.run_id}: counters for {len(counters)} layers, artifact has {len(firmware_layers)}")
    out = []
    for i, (c, fl) in enumerate(zip(counters, firmware_layers)):
        d = fl.design
        out.append(LayerRow(
            run_id=run.run_id, target_kind=run.target_kind, firmware_hash=run.firmware_hash,
            artifact_hash=run.artifact_hash, artifact_name=run.artifact_name, artifact_dir=run.artifact_dir,
            profile=run.profile, ccap_f=run.ccap_f, power_mode=run.power_mode, layer=i, layer_name=fl.name,
            kind=fl.kind, Tr=d.Tr, Tc=d.Tc, Tm=d.Tm, Tn=d.Tn, order=d.order, S=d.S,
            **{k: int(c[k]) for k in ("tiles", "commits", "rd_cmds", "rd_bytes", "wr_cmds", "wr_bytes", "mac_calls",
                                      "mac_elems", "op_requant", "op_relu", "op_add", "op_gap", "op_zero", "op_div",
                                      "cycles_compute", "cycles_preserve")},
            cycles=int(c["cycles_compute"]) + int(c["cycles_preserve"]), power_cycles=int(c["boots"]),
        ))
    return out
