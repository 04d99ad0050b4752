"""Fits of the cost model's linear primitives (y = m·v + b) and non-negative scale factors.

The original fitted its primitives once by hand with a spreadsheet-style regression; here every fit
reports its residuals and refuses to produce constants from too few or degenerate points, because a
profile written from a bad fit silently skews every later search.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import optimize

from tinas.errors import TinasError


class CalibrationError(TinasError):
    """The measurements cannot support the requested fit (too few points, degenerate, mixed versions)."""


@dataclass(frozen=True)
class LinearFit:
    """y ≈ slope·x + intercept over ``n`` points, with the fit's quality."""

    slope: float
    intercept: float
    n: int
    r2: float
    max_abs_residual: float


def fit_linear(x: np.ndarray, y: np.ndarray, *, what: str, min_points: int = 3) -> LinearFit:
    """Least-squares line through (x, y); needs at least ``min_points`` points at 2+ distinct x."""
    xa = np.asarray(x, dtype=float)
    ya = np.asarray(y, dtype=float)
    if xa.size < min_points:
        raise CalibrationError(f"{what}: {xa.size} points, need at least {min_points} to fit a line")
    if np.unique(xa).size < 2:
        raise CalibrationError(f"{what}: all points have the same size {xa[0]}; cannot separate slope and intercept")
    slope, intercept = np.polyfit(xa, ya, 1)
    resid = ya - (slope * xa + intercept)
    ss_tot = float(np.sum((ya - ya.mean()) ** 2))
    r2 = 1.0 - float(np.sum(resid**2)) / ss_tot if ss_tot > 0 else 1.0
    return LinearFit(float(slope), float(intercept), int(xa.size), r2, float(np.max(np.abs(resid))))


@dataclass(frozen=True)
class ScaleFit:
    """y ≈ Σ_k θ_k·X[:, k] with θ ≥ 0: how much each predicted component must be stretched."""

    names: tuple[str, ...]
    theta: tuple[float, ...]
    n: int
    rel_rmse: float
    condition_number: float

    def as_dict(self) -> dict[str, float]:
        return dict(zip(self.names, self.theta))


def fit_scales(X: np.ndarray, y: np.ndarray, names: tuple[str, ...], *, what: str,
               bounds: tuple[float, float] = (0.0, np.inf)) -> ScaleFit:
    """Non-negative least squares in relative terms (each row divided by its y), so long and short
    networks weigh the same — the report judges percentage errors, and so should the fit."""
    Xa = np.asarray(X, dtype=float)
    ya = np.asarray(y, dtype=float)
    k = len(names)
    if Xa.ndim != 2 or Xa.shape[1] != k or Xa.shape[0] != ya.size:
        raise ValueError(f"{what}: design matrix {Xa.shape} does not match {ya.size} targets × {k} terms")
    if ya.size < k + 1:
        raise CalibrationError(f"{what}: {ya.size} measurements for {k} constants; need at least {k + 1}")
    if np.any(ya <= 0):
        raise CalibrationError(f"{what}: a measured value is not positive")
    active = np.any(Xa != 0, axis=0)
    W = Xa / ya[:, None]
    res = optimize.lsq_linear(W[:, active], np.ones(ya.size), bounds=bounds, method="bvls")
    theta = np.ones(k)  # terms that never occur keep their prior value
    theta[active] = res.x
    rel = W @ theta - 1.0
    cond = float(np.linalg.cond(W[:, active])) if active.any() else float("inf")
    return ScaleFit(tuple(names), tuple(float(t) for t in theta), int(ya.size), float(np.sqrt(np.mean(rel**2))), cond)
