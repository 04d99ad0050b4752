"""Prediction-error metrics used by calibration and the report.

MAPE says how far predictions are on average; the share within ±5 % / ±10 % says how often they are
good enough to trust one network at a time; Kendall's tau says whether the model still ranks networks
in the right order, which is what the search needs even when absolute numbers drift.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats


@dataclass(frozen=True)
class ErrorSummary:
    """Errors of ``predicted`` against ``measured`` over ``n`` points (percentages are of measured)."""

    n: int
    mape_percent: float
    max_ape_percent: float
    within_5_percent: float  # share of points, 0..1
    within_10_percent: float
    kendall_tau: float  # NaN with fewer than 2 points or when either side is constant

    def as_row(self) -> dict[str, float]:
        return {
            "n": self.n,
            "MAPE %": self.mape_percent,
            "max APE %": self.max_ape_percent,
            "within ±5 %": self.within_5_percent,
            "within ±10 %": self.within_10_percent,
            "Kendall tau": self.kendall_tau,
        }


def relative_errors(predicted: np.ndarray, measured: np.ndarray) -> np.ndarray:
    """Signed relative error (predicted − measured) / measured, elementwise."""
    p = np.asarray(predicted, dtype=float)
    m = np.asarray(measured, dtype=float)
    if p.shape != m.shape:
        raise ValueError(f"predicted {p.shape} and measured {m.shape} differ in shape")
    if np.any(m == 0):
        raise ValueError("a measured value is zero: relative error undefined")
    return (p - m) / m


def summarise(predicted: np.ndarray, measured: np.ndarray) -> ErrorSummary:
    """All metrics at once; ``n == 0`` gives NaNs rather than an exception."""
    p = np.asarray(predicted, dtype=float)
    m = np.asarray(measured, dtype=float)
    if p.size == 0:
        nan = float("nan")
        return ErrorSummary(0, nan, nan, nan, nan, nan)
    ape = np.abs(relative_errors(p, m)) * 100.0
    # scipy returns NaN for a constant side by itself; one point would only add a warning
    tau = float(stats.kendalltau(p, m).statistic) if p.size >= 2 else float("nan")
    return ErrorSummary(
        n=int(p.size),
        mape_percent=float(ape.mean()),
        max_ape_percent=float(ape.max()),
        within_5_percent=float(np.mean(ape <= 5.0)),
        within_10_percent=float(np.mean(ape <= 10.0)),
        kendall_tau=tau,
    )
