"""Fit the cost model to measurements and write a calibrated platform profile.

Two fits, both linear in the cost model's own terms:
1. continuous latency ≈ θ_cp·(time priced by CPU/LEA constants) + θ_nvm·(time priced by DMA constants),
   both from the cost model for each network's own design; θ_cp scales the vector-MAC and scalar-op
   cycles, θ_nvm the DMA read and write cycles (one factor for both directions: two would be collinear);
2. the intermittency overhead per power cycle, (active time intermittent − latency continuous) / power
   cycles, becomes the profile's reboot time — the term that dominates IMO.
Networks are split into fit and hold-out sets; the report judges the hold-out set.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone

import numpy as np
import pandas as pd

from hil.calibration.linear_fit import CalibrationError, ScaleFit, fit_scales
from hil.calibration.metrics import ErrorSummary, summarise
from tinas.cost import evaluate_design
from tinas.export.artifact import load_artifact
from tinas.platform import Platform, Provenance

CP_KEYS = ("vmac_cycles_per_call", "vmac_cycles_per_element", "op_add_cycles", "op_mul_cycles", "op_div_cycles",
           "op_mod_cycles", "op_max_cycles")
FD_KEYS = ("dma_read_cycles_per_command", "dma_read_cycles_per_element")
BD_KEYS = ("dma_write_cycles_per_command", "dma_write_cycles_per_element")


@dataclass
class CalibrationResult:
    platform: Platform
    cont_fit: ScaleFit
    reboot_time_s: float
    table: pd.DataFrame  # per intermittent row: measured, before, after, split
    summaries: dict[str, tuple[ErrorSummary, ErrorSummary]]  # quantity -> (before, after) on hold-out


def check_consistent(df: pd.DataFrame) -> None:
    for col, what in (("cost_model_version", "cost-model versions"), ("firmware_hash", "firmware builds"),
                      ("target_kind", "target kinds")):
        vals = sorted(df[col].astype(str).unique())
        if len(vals) > 1:
            raise CalibrationError(f"measurements mix {len(vals)} {what} ({', '.join(vals)}); calibrate each "
                                   f"separately (filter the files) so their constants are not averaged")


NUMERIC = ("active_time_s", "latency_s", "power_cycles", "ccap_f")


def check_usable(df: pd.DataFrame) -> None:
    """Refuse rows the fit would turn into NaN constants, naming the file and row, before any fitting."""
    for col in NUMERIC:
        vals = pd.to_numeric(df[col], errors="coerce").to_numpy(float)
        bad = np.flatnonzero(~np.isfinite(vals))
        if bad.size:
            i = int(bad[0])
            where = f"{df['source_file'].iloc[i]} " if "source_file" in df else ""
            raise CalibrationError(f"{where}row {i + 1} ({df['power_mode'].iloc[i]}, {df['artifact_name'].iloc[i]}): "
                                   f"{col} is {df[col].iloc[i]!r}, not a finite number ({bad.size} such rows); "
                                   f"remove or re-measure them")
    modes = set(df["power_mode"].astype(str))
    if "continuous" not in modes:
        raise CalibrationError("no continuous-power rows: the fit needs each network's continuous latency "
                               "('hil run' writes one continuous row per intermittent run)")
    if "intermittent" not in modes:
        raise CalibrationError("no intermittent rows: the reboot time cannot be fitted")
    ints = set(df.loc[df["power_mode"] == "intermittent", "artifact_hash"])
    conts = set(df.loc[df["power_mode"] == "continuous", "artifact_hash"])
    missing = sorted(ints - conts)
    if missing:
        raise CalibrationError(f"{len(missing)} network(s) have intermittent rows but no continuous row "
                               f"(artifact hash {missing[0]})")


def split_cpu_nvm(artifact_dir: str, platform: Platform) -> tuple[float, float]:
    """Continuous latency of a network split into the part priced by CPU/LEA constants and the part
    priced by DMA constants (the cost model is linear in each), so scale factors map onto constants."""
    rec = load_artifact(artifact_dir).record
    total = evaluate_design(rec.network, list(rec.designs), platform, power="CONT").latency_continuous_s
    no_dma = platform.with_constants({k: 0.0 for k in FD_KEYS + BD_KEYS},
                                     Provenance("calibration decomposition", "-", "-"))
    cpu = evaluate_design(rec.network, list(rec.designs), no_dma, power="CONT").latency_continuous_s
    return cpu, total - cpu


def _predict(df: pd.DataFrame, platform: Platform) -> pd.DataFrame:
    """Cost-model predictions for each intermittent row's artifact under ``platform``."""
    out = []
    cache: dict[tuple[str, float], tuple[float, float, float, float]] = {}
    for _, r in df.iterrows():
        key = (r["artifact_dir"], float(r["ccap_f"]))
        if key not in cache:
            rec = load_artifact(r["artifact_dir"]).record
            p = platform.with_capacitor(float(r["ccap_f"]))
            ci = evaluate_design(rec.network, list(rec.designs), p, power="INT")
            cc = evaluate_design(rec.network, list(rec.designs), p, power="CONT")
            cache[key] = (cc.latency_continuous_s, ci.imo_percent if ci.feasible else np.nan,
                          ci.active_time_s if ci.feasible else np.nan, ci.power_cycles if ci.feasible else np.nan)
        out.append(cache[key])
    return pd.DataFrame(out, columns=["cont_s", "imo", "act_s", "pc"], index=df.index)


def calibrate(df: pd.DataFrame, base: Platform, holdout_fraction: float = 0.3, seed: int = 0,
              run_ids: str = "", primitives: dict[str, float] | None = None) -> CalibrationResult:
    """``primitives``: constants measured by microbenchmarks (hil.microbench.primitive_updates), applied
    before the end-to-end fit, which then only scales what the microbenchmarks could not see."""
    if not 0.0 < holdout_fraction < 1.0:
        raise CalibrationError(f"hold-out fraction {holdout_fraction} must be between 0 and 1 (exclusive)")
    check_consistent(df)
    check_usable(df)
    original = base
    if primitives:
        base = base.with_constants(primitives, Provenance("hil microbench linear fits", datetime.now(timezone.utc).date().isoformat(),
                                                          str(df["target_id"].iloc[0])))
    if not df["output_correct"].all():
        raise CalibrationError("some runs produced a wrong output; fix the firmware before calibrating on them")
    ints = df[df["power_mode"] == "intermittent"].copy()
    conts = df[df["power_mode"] == "continuous"].copy()
    arts = sorted(ints["artifact_hash"].unique())
    if len(arts) < 4:
        raise CalibrationError(f"{len(arts)} networks measured; calibration needs at least 4 (3 to fit 2 scale "
                               f"factors plus 1 to hold out) — no profile written")
    rng = np.random.default_rng(seed)
    n_hold = min(max(1, int(round(holdout_fraction * len(arts)))), len(arts) - 3)  # keep 3 to fit
    hold = set(rng.choice(arts, n_hold, replace=False))
    ints["split"] = np.where(ints["artifact_hash"].isin(hold), "holdout", "fit")
    cont_by_art = conts.groupby("artifact_hash")["active_time_s"].mean()
    fit_arts = [a for a in arts if a not in hold]
    X, y = [], []
    for a in fit_arts:
        row = conts[conts["artifact_hash"] == a].iloc[0]
        X.append(split_cpu_nvm(row["artifact_dir"], base.with_capacitor(float(row["ccap_f"]))))
        y.append(cont_by_art[a])
    # with measured primitives the scales only correct what microbenchmarks miss: keep them near 1
    bounds = (0.25, 4.0) if primitives else (0.0, np.inf)
    cont_fit = fit_scales(np.array(X), np.array(y), ("cp", "nvm"), what="continuous latency", bounds=bounds)
    fit_rows = ints[ints["split"] == "fit"]
    overhead = fit_rows["active_time_s"].to_numpy() - fit_rows["artifact_hash"].map(cont_by_art).to_numpy()
    cycles = fit_rows["power_cycles"].to_numpy(float)
    if np.sum(cycles**2) == 0:
        raise CalibrationError("no power cycles in the fit set: cannot fit the reboot time")
    reboot = float(max(np.sum(overhead * cycles) / np.sum(cycles**2), 0.0))
    c = dict(base.constants)
    th = cont_fit.as_dict()
    updates = {k: c[k] * th["cp"] for k in CP_KEYS}
    updates |= {k: c[k] * th["nvm"] for k in FD_KEYS + BD_KEYS}
    updates["reboot_time_s"] = reboot
    prov = Provenance(source=f"hil calibrate, runs {run_ids or 'n/a'} ({len(fit_arts)} networks fitted, "
                             f"{len(hold)} held out; target {ints['target_kind'].iloc[0]})",
                      date=datetime.now(timezone.utc).date().isoformat(),
                      board=str(ints["target_id"].iloc[0]))
    new = base.with_constants(updates, prov, name=f"{original.name}-calibrated")
    before, after = _predict(ints, original), _predict(ints, new)
    base = original
    table = pd.DataFrame({
        "artifact": ints["artifact_name"], "profile": ints["profile"], "split": ints["split"],
        "power_cycles": ints["power_cycles"],
        "measured_continuous_s": ints["artifact_hash"].map(cont_by_art), "before_continuous_s": before["cont_s"],
        "after_continuous_s": after["cont_s"],
        "measured_active_s": ints["active_time_s"],
        # predictions use the model's own power cycles, never the measured ones
        "before_active_s": before["cont_s"] + base.reboot_time_s * before["pc"],
        "after_active_s": after["cont_s"] + reboot * after["pc"],
    })
    # IMO as the cost model defines it, from predicted times only
    for tag in ("before", "after"):
        table[f"{tag}_imo"] = 100.0 * (table[f"{tag}_active_s"] - table[f"{tag}_continuous_s"]) / table[f"{tag}_active_s"]
    table["measured_imo"] = ints["imo_percent"]
    table["cost_model_imo_before"] = before["imo"]
    hold_t = table[table["split"] == "holdout"]
    summaries = {}
    for q in ("continuous_s", "active_s", "imo"):
        ok = hold_t[[f"measured_{q}", f"before_{q}", f"after_{q}"]].dropna()
        ok = ok[ok[f"measured_{q}"] != 0]
        summaries[q] = (summarise(ok[f"before_{q}"].to_numpy(), ok[f"measured_{q}"].to_numpy()),
                        summarise(ok[f"after_{q}"].to_numpy(), ok[f"measured_{q}"].to_numpy()))
    return CalibrationResult(new, cont_fit, reboot, table, summaries)
