"""Bounded least squares for the firmware model's per-primitive constants.

Each point is a sum of counted primitives times unknown per-primitive costs: a layer's measured cycles
against its model counts, or a microbenchmark's cycles against its one command. Rows are divided by their
measurement (relative errors, so short and long layers weigh alike, as the report judges them), columns
are scaled to unit norm (the condition number then says what the data can separate, not the units), and
``scipy.optimize.lsq_linear`` solves within the bounds. Every bound that binds is reported, with 95 %
confidence intervals of the free constants and the condition number.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import optimize, stats

from hil.calibration.linear_fit import CalibrationError


@dataclass(frozen=True)
class BoundedFit:
    names: tuple[str, ...]
    theta: np.ndarray
    ci95: np.ndarray  # half-widths; NaN for constants at a bound or without data
    binding: tuple[str, ...]  # "name = bound (lower|upper)" for every bound that binds
    unidentifiable: tuple[str, ...]  # groups the data cannot separate (exact collinearity), e.g. "tile+commit"
    no_data: tuple[str, ...]  # constants no point constrains (kept at their prior)
    condition_number: float
    n: int
    rel_rmse: float

    def as_dict(self) -> dict[str, float]:
        return {k: float(v) for k, v in zip(self.names, self.theta)}


def fit_bounded(X: np.ndarray, y: np.ndarray, names: tuple[str, ...], prior: np.ndarray, *, what: str,
                lower: np.ndarray | None = None, upper: np.ndarray | None = None,
                offset: np.ndarray | None = None, floor: float = 0.0) -> BoundedFit:
    """min Σ ((X·θ + offset − y)/(y + floor))² subject to lower ≤ θ ≤ upper; constants without data keep
    ``prior`` (``offset``: a known part of each measurement, e.g. the layer work already priced; ``floor``:
    a target's timing noise, so points near it count in absolute rather than relative terms)."""
    X = np.asarray(X, dtype=float)
    y = np.asarray(y, dtype=float)
    p = len(names)
    if X.ndim != 2 or X.shape != (y.size, p):
        raise ValueError(f"{what}: design matrix {X.shape} does not match {y.size} points × {p} constants")
    if np.any(~np.isfinite(y)) or np.any(y < 0) or np.any(y + floor <= 0):
        raise CalibrationError(f"{what}: a measured value is not a positive number")
    div = y + floor
    lo = np.zeros(p) if lower is None else np.asarray(lower, dtype=float)
    hi = np.full(p, np.inf) if upper is None else np.asarray(upper, dtype=float)
    active = np.any(X != 0, axis=0)
    k = int(active.sum())
    if y.size < k + 1:
        raise CalibrationError(f"{what}: {y.size} points for {k} constants; need at least {k + 1} — no profile written")
    W = X[:, active] / div[:, None]
    target = (y - (0.0 if offset is None else np.asarray(offset, dtype=float))) / div
    norm = np.linalg.norm(W, axis=0)
    Ws = W / norm
    res = optimize.lsq_linear(Ws, target, bounds=(lo[active] * norm, hi[active] * norm), method="bvls")
    th_a = res.x / norm
    tol = 1e-9 * np.maximum(1.0, np.abs(th_a))
    at_lo = th_a <= lo[active] + tol
    at_hi = th_a >= hi[active] - tol
    # a constant at its bound is the bound: the column scaling rounds it a hair to either side
    th_a = np.where(at_lo, lo[active], np.where(at_hi, hi[active], th_a))
    theta = np.array(prior, dtype=float)
    theta[active] = th_a
    r = W @ th_a - target
    cond = float(np.linalg.cond(Ws)) if k else float("inf")
    names_a = [n for n, a in zip(names, active) if a]
    binding = tuple([f"{n} = {lo[active][j]:g} (lower)" for j, n in enumerate(names_a) if at_lo[j]]
                    + [f"{n} = {hi[active][j]:g} (upper)" for j, n in enumerate(names_a) if at_hi[j]])
    free = ~(at_lo | at_hi)
    ci = np.full(p, np.nan)
    dof = y.size - int(free.sum())
    if free.any() and dof > 0:
        J = Ws[:, free]
        s2 = float(r @ r) / dof
        try:
            cov = s2 * np.linalg.inv(J.T @ J)
            half = stats.t.ppf(0.975, dof) * np.sqrt(np.clip(np.diag(cov), 0, None)) / norm[free]
            idx = np.flatnonzero(active)[free]
            ci[idx] = half
        except np.linalg.LinAlgError:
            pass
    no_data = tuple(n for n, a in zip(names, active) if not a)
    groups = []
    if k:
        _, sv, vt = np.linalg.svd(Ws, full_matrices=False)
        for j in np.flatnonzero(sv < 1e-10 * sv[0]):
            groups.append("+".join(n for n, v in zip(names_a, vt[j]) if abs(v) > 1e-6))
    return BoundedFit(tuple(names), theta, ci, binding, tuple(groups), no_data, cond, int(y.size),
                      float(np.sqrt(np.mean(r**2))))
