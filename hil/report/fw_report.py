"""``hil report``: the firmware cost model against measurements, before and after calibration.

Everything "after" is leave-one-network-out: a network's numbers come from constants fitted without it.
Breakdowns: per primitive (fitted constants, bounds, confidence), per layer type, per layer, per network,
per power profile; the original TiNAS model's per-layer error beside ours; PNG plots; a JSON summary.
If the calibrated constants are worse than the base on any held-out quantity, the first lines say so.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

from hil.calibration.fw_calibrate import QUANTITIES, LonoResult, evaluation_points
from hil.report.markdown import table
from tinas.records import atomic_path, atomic_write_text

LABELS = {"continuous_latency": "latency under continuous power (s)",
          "reference_latency": "latency without preservation, continuous (s)", "active_time": "active time, intermittent (s)",
          "power_cycles": "power cycles", "imo": "IMO (%)"}


def _nan(x: float) -> float | None:
    return None if x is None or (isinstance(x, float) and math.isnan(x)) else float(x)


def error_summary(pred: np.ndarray, meas: np.ndarray, quantity: str) -> dict[str, float | int | None]:
    """n, MAPE, max APE, share within ±5/±10 %, Kendall tau; IMO adds mean absolute error in points,
    power cycles the share within ±1 cycle."""
    p, m = np.asarray(pred, dtype=float), np.asarray(meas, dtype=float)
    ok = np.isfinite(p) & np.isfinite(m) & (m != 0)
    p, m = p[ok], m[ok]
    if p.size == 0:
        return {"n": 0, "mape_percent": None, "max_ape_percent": None, "within_5": None, "within_10": None,
                "kendall_tau": None}
    ape = 100 * np.abs(p - m) / np.abs(m)
    tau = float(stats.kendalltau(p, m).statistic) if p.size >= 2 and np.ptp(p) > 0 and np.ptp(m) > 0 else float("nan")
    out: dict[str, float | int | None] = {"n": int(p.size), "mape_percent": float(ape.mean()),
                                          "max_ape_percent": float(ape.max()), "within_5": float(np.mean(ape <= 5)),
                                          "within_10": float(np.mean(ape <= 10)), "kendall_tau": _nan(tau)}
    if quantity == "imo":
        out["mae_pp"] = float(np.mean(np.abs(p - m)))
    if quantity == "power_cycles":
        out["within_1_cycle"] = float(np.mean(np.abs(p - m) <= 1))
    return out


def summary(res: LonoResult) -> dict[str, dict[str, dict]]:
    pts = evaluation_points(res)
    return {q: {tag: error_summary(pts[q][tag].to_numpy(), pts[q]["measured"].to_numpy(), q) for tag in ("before", "after")}
            for q in QUANTITIES}


def layer_errors(res: LonoResult) -> pd.DataFrame:
    lt = res.layers[(res.layers["power_mode"] == "continuous") & res.layers["timed"]].copy()
    for tag in ("before", "after", "tinas2025"):
        lt[f"ape_{tag}"] = 100 * (lt[f"{tag}_s"] - lt["measured_s"]).abs() / lt["measured_s"]
    return lt


def worse_lines(s: dict) -> list[str]:
    out = []
    for q, ba in s.items():
        b, a = ba["before"].get("mape_percent"), ba["after"].get("mape_percent")
        if b is not None and a is not None and a > b:
            out.append(f"**WARNING: the calibrated profile is worse than the base on held-out {LABELS[q]}: "
                       f"MAPE {b:.3g} % before, {a:.3g} % after.**")
    return out


def _plot(res: LonoResult, d: Path) -> list[Path]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    pts = evaluation_points(res)
    paths = []
    for q in QUANTITIES:
        df = pts[q].dropna(subset=["measured"])
        if df.empty:
            continue
        fig, ax = plt.subplots(figsize=(5.0, 4.4))
        for tag, col in (("before", "tab:red"), ("after", "tab:blue")):
            ax.scatter(df["measured"], df[tag], s=16, c=col, alpha=0.8, label=f"{tag} calibration")
        lo, hi = float(np.nanmin(df["measured"])), float(np.nanmax(df["measured"]))
        ax.plot([lo, hi], [lo, hi], "k--", lw=0.8)
        if q != "imo" and lo > 0:
            ax.set_xscale("log")
            ax.set_yscale("log")
        ax.set_xlabel(f"measured {LABELS[q]}")
        ax.set_ylabel(f"predicted {LABELS[q]}")
        ax.set_title(f"{q} (after: leave-one-network-out)")
        ax.legend(fontsize=7)
        paths.append(_save(fig, d / f"fw_{q}.png", plt))
    lt = layer_errors(res)
    if len(lt):
        fig, ax = plt.subplots(figsize=(6.0, 4.0))
        kinds = sorted(lt["kind"].unique())
        data = [lt[lt["kind"] == k]["ape_after"].dropna().to_numpy() for k in kinds]
        ax.boxplot(data, tick_labels=kinds, showfliers=False)
        ax.set_ylabel("per-layer |error| after calibration (%)")
        ax.set_title("per-layer error by layer type (held-out networks)")
        paths.append(_save(fig, d / "fw_layer_error_by_type.png", plt))
    return paths


def _save(fig, path: Path, plt) -> Path:  # noqa: ANN001
    with atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=110, bbox_inches="tight", format="png")
    plt.close(fig)
    return path


def _incomplete_lines(res: LonoResult) -> list[str]:
    """Runs the calibrated model predicts never to finish (a batch that never fits one power cycle)."""
    r = res.runs
    bad = r[(r["power_mode"] == "intermittent") & (r["after_completed"] == 0)] if "after_completed" in r else r.iloc[:0]
    if bad.empty:
        return []
    names = ", ".join(f"{a} ({p})" for a, p in zip(bad["artifact_name"], bad["profile"]))
    return [f"{len(bad)} held-out run(s) predicted never to finish (a batch does not fit one power cycle with the "
            f"fold's constants; their power cycles are where the prediction gave up): {names}.", ""]


def _pct(x: pd.Series, q: float) -> float:
    x = x.dropna()
    return float(np.percentile(x, q)) if len(x) else float("nan")


def write_fw_report(res: LonoResult, out_dir: str | Path, target_note: str, title: str = "Firmware cost model: predicted vs measured") -> Path:
    d = Path(out_dir)
    d.mkdir(parents=True, exist_ok=True)
    s = summary(res)
    plots = _plot(res, d)
    lt = layer_errors(res)
    f = res.final
    rows = []
    for q in QUANTITIES:
        for tag in ("before", "after"):
            rows.append({"quantity": LABELS[q], "calibration": tag, **{k: v for k, v in s[q][tag].items()}})
    prim_rows = []
    for name, th, ci in zip(f.primitives.names, f.primitives.theta, f.primitives.ci95):
        prim_rows.append({"primitive": name, "cycles": float(th), "±95 %": float(ci),
                          "bound": next((b for b in f.primitives.binding if b.startswith(name + " ")), ""),
                          "data": "none (prior kept)" if name in f.primitives.no_data else ""})
    for name, th, ci in zip(f.overhead.names, f.overhead.theta, f.overhead.ci95):
        prim_rows.append({"primitive": name, "cycles": float(th), "±95 %": float(ci),
                          "bound": next((b for b in f.overhead.binding if b.startswith(name + " ")), ""), "data": ""})
    by_kind = []
    for k, g in lt.groupby("kind"):
        by_kind.append({"layer type": k, "n": len(g), "median % before": _pct(g["ape_before"], 50),
                        "median % after": _pct(g["ape_after"], 50), "p90 % after": _pct(g["ape_after"], 90),
                        "median % TiNAS 2025": _pct(g["ape_tinas2025"], 50)})
    pts = evaluation_points(res)
    by_net, by_prof = [], []
    for a, g in pts["active_time"].groupby("artifact"):
        c = pts["continuous_latency"][pts["continuous_latency"]["artifact"] == a]
        by_net.append({"network": a, "cont. APE % after": float((100 * (c["after"] - c["measured"]).abs() / c["measured"]).mean()),
                       "active MAPE % after": float((100 * (g["after"] - g["measured"]).abs() / g["measured"]).mean()),
                       "layers median % after": _pct(lt[lt["artifact_name"] == a]["ape_after"], 50)})
    for p_, g in pts["active_time"].groupby("profile"):
        pc = pts["power_cycles"][pts["power_cycles"]["profile"] == p_]
        by_prof.append({"profile": p_, "n": len(g),
                        "active MAPE % before": float((100 * (g["before"] - g["measured"]).abs() / g["measured"]).mean()),
                        "active MAPE % after": float((100 * (g["after"] - g["measured"]).abs() / g["measured"]).mean()),
                        "power cycles MAE after": float((pc["after"] - pc["measured"]).abs().mean())})
    warn = worse_lines(s)
    md = [f"# {title}", "", *(warn or ["The calibrated profile is at least as good as the base on every held-out quantity."]), "",
          target_note, "",
          f"{res.runs['artifact_hash'].nunique()} networks, {res.runs['profile'].nunique()} power profiles, "
          f"{len(res.runs)} runs, {len(res.layers)} per-layer rows. 'after' is leave-one-network-out; continuous "
          "latency is one point per network. Predictions never read a measured quantity (power cycles are predicted "
          "from the model's batches, trace-aware on targets with an energy model).", "",
          "## Held-out errors (before → after)", "", table(rows),
          *_incomplete_lines(res),
          "## Per layer (held-out, continuous runs)", "",
          f"{int((~res.layers['timed']).sum())} per-layer rows below the timing floor are left out of these figures "
          f"(the fit weighs them in absolute terms).", "",
          f"median |error| {_pct(lt['ape_after'], 50):.3g} % after ({_pct(lt['ape_before'], 50):.3g} % before), "
          f"p90 {_pct(lt['ape_after'], 90):.3g} % after; the original TiNAS model {_pct(lt['ape_tinas2025'], 50):.3g} % median.", "",
          "### By layer type", "", table(by_kind),
          "## Per primitive (fit on all networks)", "",
          f"Condition number of the column-scaled per-primitive system: {f.primitives.condition_number:.3g}; "
          f"relative RMS residual {f.primitives.rel_rmse:.3g}; {f.primitives.n} points. Bounds that bind: "
          f"{', '.join(f.primitives.binding + f.overhead.binding) or 'none'}. Not separately identifiable from these "
          f"data (exactly collinear): {', '.join(f.primitives.unidentifiable) or 'none'}.", "",
          table(prim_rows),
          "## Per network", "", table(by_net),
          "## Per power profile", "", table(by_prof),
          "## Plots", "", *[f"![{p.stem}]({p.name})" for p in plots], ""]
    path = d / "report.md"
    atomic_write_text(path, "\n".join(md))
    with atomic_path(d / "layers.csv") as tmp:
        lt.to_csv(tmp, index=False)
    with atomic_path(d / "runs.csv") as tmp:
        res.runs.to_csv(tmp, index=False)
    atomic_write_text(d / "summary.json", json.dumps(s, indent=1))
    return path
