"""Plots of prediction error: what a reader should see rather than read."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from tinas.records import atomic_path  # noqa: E402


def _save(fig: plt.Figure, path: Path) -> Path:
    with atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=110, bbox_inches="tight", format="png")
    plt.close(fig)
    return path


def predicted_vs_measured(df: pd.DataFrame, quantity: str, out: Path) -> Path:
    """Scatter of predicted against measured, before and after calibration, with the identity line.

    ``df`` has columns ``measured_<q>``, ``before_<q>``, ``after_<q>`` and ``split``.
    """
    fig, ax = plt.subplots(figsize=(5.2, 4.6))
    m = df[f"measured_{quantity}"].to_numpy(float)
    for col, colour, label in ((f"before_{quantity}", "tab:red", "before"), (f"after_{quantity}", "tab:blue", "after")):
        for split, marker in (("fit", "o"), ("holdout", "^")):
            sel = (df["split"] == split).to_numpy()
            ax.scatter(m[sel], df[col].to_numpy(float)[sel], c=colour, marker=marker, s=22, alpha=0.8,
                       label=f"{label} calibration ({split})")
    lo, hi = float(np.nanmin(m)) * 0.8, float(np.nanmax(m)) * 1.25
    ax.plot([lo, hi], [lo, hi], "k--", lw=0.8)
    if quantity.endswith("_s"):
        ax.set_xscale("log")
        ax.set_yscale("log")
    ax.set_xlabel(f"measured {quantity}")
    ax.set_ylabel(f"predicted {quantity}")
    ax.legend(fontsize=7)
    ax.set_title(f"{quantity}: predicted vs measured")
    return _save(fig, out)


def error_vs_power_cycles(df: pd.DataFrame, quantity: str, out: Path) -> Path:
    """Relative error against the number of power cycles, one colour per profile, after calibration."""
    fig, ax = plt.subplots(figsize=(5.2, 4.0))
    for profile, grp in df.groupby("profile"):
        err = 100 * (grp[f"after_{quantity}"] - grp[f"measured_{quantity}"]) / grp[f"measured_{quantity}"]
        ax.scatter(grp["power_cycles"].clip(lower=1), err, s=20, label=str(profile))
    ax.axhline(0, color="k", lw=0.8)
    ax.set_xscale("log")
    ax.set_xlabel("power cycles (measured)")
    ax.set_ylabel(f"error of {quantity} after calibration (%)")
    ax.legend(fontsize=7)
    return _save(fig, out)
