"""The predicted-versus-measured report: Markdown plus PNG plots, before and after calibration."""

from __future__ import annotations

from pathlib import Path

from hil.calibration.calibrate import CalibrationResult
from hil.report.markdown import before_after_rows, summary_by, table
from hil.report.plots import error_vs_power_cycles, predicted_vs_measured
from tinas.records import atomic_write_text

LABELS = {"continuous_s": "latency under continuous power (s)", "active_s": "active time under intermittent power (s)",
          "imo": "IMO (%)"}


def write_report(result: CalibrationResult, out_dir: str | Path, title: str = "Cost-model calibration") -> Path:
    d = Path(out_dir)
    d.mkdir(parents=True, exist_ok=True)
    t = result.table
    plots = []
    for q in ("continuous_s", "active_s", "imo"):
        if t[f"measured_{q}"].notna().any():
            plots.append(predicted_vs_measured(t.dropna(subset=[f"before_{q}", f"after_{q}"]), q, d / f"pred_vs_meas_{q}.png"))
    plots.append(error_vs_power_cycles(t, "active_s", d / "error_vs_power_cycles.png"))
    rows = []
    for q, (b, a) in result.summaries.items():
        rows += before_after_rows(LABELS[q], b, a)
    fit = result.cont_fit
    md = [
        f"# {title}", "",
        f"{t['artifact'].nunique()} networks × {t['profile'].nunique()} power profiles; "
        f"{(t['split'] == 'holdout').sum()} runs on held-out networks.",
        "",
        "Measured on the emulator: CPU cycles are executed by mspdebug's simulator (classic MSP430 cycle table);",
        "external-FRAM transfers are charged modelled SPI/DMA cycles from the platform profile; the vector MAC",
        "runs in software on the CPU. Power failures come from the energy model driven by each profile.",
        "",
        "## Errors on held-out networks (before → after calibration)", "",
        table(rows),
        "## Fitted constants", "",
        f"* continuous-latency scale factors: compute ×{fit.theta[0]:.4g}, NVM transfers ×{fit.theta[1]:.4g} "
        f"(fit RMS relative error {fit.rel_rmse:.2%}, condition number {fit.condition_number:.3g})",
        f"* reboot and recovery time per power cycle: {result.reboot_time_s * 1e3:.3f} ms",
        "",
        "IMO before/after is computed from the predicted active and continuous times for the number of power",
        "cycles the cost model itself predicts (never the measured ones); the cost model's own IMO is in",
        "column `cost_model_imo_before` of prediction_table.csv.",
        "",
        "## By power profile (active time, all runs)", "",
        table(summary_by(t, "profile", "active_s")),
        "## Plots", "",
        *[f"![{p.stem}]({p.name})" for p in plots],
        "",
    ]
    path = d / "report.md"
    atomic_write_text(path, "\n".join(md))
    t.to_csv(d / "prediction_table.csv", index=False)
    return path
