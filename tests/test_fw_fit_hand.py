"""The firmware model's bounded relative least squares (hil/calibration/fw_fit.py) on systems small
enough to solve by hand: each expected number is worked out in the comments, or, for a confidence
interval, from the textbook formula of a one-parameter regression through the origin."""

from __future__ import annotations

import math

import numpy as np
import pytest

from hil.calibration.fw_fit import fit_bounded
from hil.calibration.linear_fit import CalibrationError

T975_DOF2 = 4.302652729749462  # Student t, 97.5 % quantile, 2 degrees of freedom (tables: 4.303)


def test_one_constant_with_its_confidence_interval():
    # a constant that never occurs ("z", prior 7 kept) beside one that does ("a"); y = 1, so the relative
    # rows are w = 1, 2, 3 against a target of 1: θ = Σw/Σw² = 6/14 = 3/7; residuals 3/7-1, 6/7-1, 9/7-1 =
    # -4/7, -1/7, 2/7 -> RSS = 21/49 = 3/7, RMS sqrt(1/7); s² = RSS/(3-1) = 3/14, var θ = s²/Σw² = 3/196,
    # 95 % half-width t(0.975, 2)·sqrt(3)/14
    f = fit_bounded(np.array([[0.0, 1.0], [0.0, 2.0], [0.0, 3.0]]), np.ones(3), ("z", "a"), np.array([7.0, 1.0]),
                    what="t")
    assert f.theta.tolist() == [7.0, pytest.approx(3 / 7)]
    assert f.as_dict() == {"z": 7.0, "a": pytest.approx(3 / 7)}
    assert math.isnan(f.ci95[0]) and f.ci95[1] == pytest.approx(T975_DOF2 * math.sqrt(3) / 14, rel=1e-9)
    assert f.rel_rmse == pytest.approx(math.sqrt(1 / 7))
    assert f.condition_number == pytest.approx(1.0)
    assert (f.names, f.n, f.binding, f.unidentifiable, f.no_data) == (("z", "a"), 3, (), (), ("z",))


def test_floor_and_offset_weigh_the_points_by_hand():
    # one constant measured as 1 and 3: min Σ((θ - y)/(y + floor))². No floor: weights 1 and 1/9 ->
    # θ = (1 + 3/9)/(1 + 1/9) = 1.2. Floor 1 (divisors 2 and 4): weights 1/4 and 1/16 -> θ = (1/4 + 3/16)/(5/16) = 1.4
    X, y = np.ones((2, 1)), np.array([1.0, 3.0])
    assert fit_bounded(X, y, ("a",), np.ones(1), what="t").theta[0] == pytest.approx(1.2)
    assert fit_bounded(X, y, ("a",), np.ones(1), what="t", floor=1.0).theta[0] == pytest.approx(1.4)
    # a known part (offset 1) of measurements 3 and 5: θ + 1 = (3/9 + 5/25)/(1/9 + 1/25) = 60/17 -> θ = 43/17
    f = fit_bounded(X, np.array([3.0, 5.0]), ("a",), np.ones(1), what="t", offset=np.ones(2))
    assert f.theta[0] == pytest.approx(43 / 17)
    # a measured zero is fine once the floor makes its divisor positive: (θ - 0)/1 and (θ - 2)/3 ->
    # weights 1 and 1/9, θ = (2/9)/(10/9) = 0.2
    assert fit_bounded(X, np.array([0.0, 2.0]), ("a",), np.ones(1), what="t", floor=1.0).theta[0] == pytest.approx(0.2)


def test_bounds_that_bind_are_named_and_get_no_interval():
    # rows separate the two constants: a is measured by rows 1-2 (w = 1/2, unconstrained 2), b by rows 3-4
    # (w = 1/5, unconstrained 5). Bounds a >= 3.3, b <= 3.9 bind: θ = (3.3, 3.9) exactly (3.3 and 3.9 do not
    # survive a round trip through the column scaling in floating point, so this checks the final clip);
    # residuals 0.5·3.3 - 1 = 0.65 twice, 0.2·3.9 - 1 = -0.22 twice; orthogonal columns -> condition number 1
    X = np.array([[1.0, 0.0], [1.0, 0.0], [0.0, 1.0], [0.0, 1.0]])
    y = np.array([2.0, 2.0, 5.0, 5.0])
    f = fit_bounded(X, y, ("a", "b"), np.ones(2), what="t", lower=np.array([3.3, 0.0]), upper=np.array([np.inf, 3.9]))
    assert f.theta.tolist() == [3.3, 3.9]
    assert f.binding == ("a = 3.3 (lower)", "b = 3.9 (upper)")
    assert np.isnan(f.ci95).all()
    assert f.rel_rmse == pytest.approx(math.sqrt((2 * 0.65**2 + 2 * 0.22**2) / 4))
    assert f.condition_number == pytest.approx(1.0)
    assert f.unidentifiable == ()
    # the same data inside wide finite bounds: nothing binds, θ = (2, 5) exactly, both intervals zero-width
    g = fit_bounded(X, y, ("a", "b"), np.ones(2), what="t", lower=np.array([1.0, 1.0]), upper=np.array([10.0, 10.0]))
    assert g.theta.tolist() == [pytest.approx(2.0), pytest.approx(5.0)] and g.binding == ()
    assert g.ci95 == pytest.approx([0.0, 0.0], abs=1e-9) and g.rel_rmse == pytest.approx(0.0, abs=1e-12)


def test_bounds_bind_inside_the_solve_not_after_it():
    # rows a + b = 1, b/2 = 1, (a + 2b)/3 = 1 (y = 1, 2, 3) are solved exactly by a = -1, b = 2.
    # With a >= 0: a = 0 and f(b) = (b-1)² + (b/2-1)² + (2b/3-1)² is least at 2(b-1) + (b/2-1) + (4/3)(2b/3-1) = 0,
    # b = (13/3)/(61/18) = 78/61 (not the clipped 2); ∂f/∂a there = 34/61 - 18/183 > 0, so a stays at 0.
    # The active-set solver (BVLS) lands on it to rounding, not to an iterative tolerance.
    X, y = np.array([[1.0, 1.0], [0.0, 1.0], [1.0, 2.0]]), np.array([1.0, 2.0, 3.0])
    f = fit_bounded(X, y, ("a", "b"), np.ones(2), what="t")
    assert f.theta.tolist() == [0.0, pytest.approx(78 / 61, rel=1e-12)] and f.binding == ("a = 0 (lower)",)
    # With b <= 1 (a unbounded): f(a) = a² + 1/4 + ((a+2)/3 - 1)² is least at 2a + (2/9)(a - 1) = 0, a = 1/10
    g = fit_bounded(X, y, ("a", "b"), np.ones(2), what="t", lower=np.array([-np.inf, 0.0]), upper=np.array([np.inf, 1.0]))
    assert g.theta.tolist() == [pytest.approx(0.1, rel=1e-12), 1.0] and g.binding == ("b = 1 (upper)",)


def test_bound_tolerance_is_relative_to_the_constant():
    # unconstrained θ = 1e6 with the lower bound 1e-4 below it: within 1e-9·|θ| = 1e-3, reported at the bound
    X, y = np.ones((2, 1)), np.full(2, 1e6)
    f = fit_bounded(X, y, ("a",), np.ones(1), what="t", lower=np.array([1e6 - 1e-4]))
    assert f.binding == ("a = 1e+06 (lower)",)
    # a small constant 1.5e-9 above its bound 0 is further than the absolute tolerance 1e-9: free
    g = fit_bounded(X, np.full(2, 1.5e-9), ("a",), np.ones(1), what="t")
    assert g.theta[0] == pytest.approx(1.5e-9) and g.binding == ()


def test_not_separable_constants_are_named():
    # a and b always occur together (identical columns): only their sum is determined (Σ = 3/7 as in the
    # one-constant case); c occurs alone. The svd names the group a+b, the covariance cannot be inverted
    # (no interval at all); residuals as in the one-constant case plus two exact rows: RMS sqrt((3/7)/5)
    X = np.array([[1.0, 1.0, 0.0], [2.0, 2.0, 0.0], [3.0, 3.0, 0.0], [0.0, 0.0, 1.0], [0.0, 0.0, 1.0]])
    f = fit_bounded(X, np.ones(5), ("a", "b", "c"), np.ones(3), what="t", lower=np.full(3, -np.inf))
    assert f.unidentifiable == ("a+b",)
    assert f.theta[0] + f.theta[1] == pytest.approx(3 / 7) and f.theta[2] == pytest.approx(1.0)
    assert f.binding == () and np.isnan(f.ci95).all()
    assert f.condition_number > 1e12 and f.rel_rmse == pytest.approx(math.sqrt(3 / 35))


def test_condition_number_of_the_column_scaled_system_by_hand():
    # relative rows (y = 3, 1, 1): [1/3, 1/3], [0, 1], [0, 0]; exact fit of rows 1-2 gives a + b = 3, b = 1.
    # Scaled columns (1, 0, 0) and (1/3, 1, 0)/sqrt(10/9) meet at cos c = 1/sqrt(10); two unit columns at cos
    # c have singular values sqrt(1 ± c): condition number sqrt((1 + c)/(1 - c)). The zero row misses by -1.
    f = fit_bounded(np.array([[1.0, 1.0], [0.0, 1.0], [0.0, 0.0]]), np.array([3.0, 1.0, 1.0]), ("a", "b"), np.ones(2),
                    what="t")
    c = 1 / math.sqrt(10)
    assert f.theta.tolist() == [pytest.approx(2.0), pytest.approx(1.0)]
    assert f.condition_number == pytest.approx(math.sqrt((1 + c) / (1 - c)))
    assert f.rel_rmse == pytest.approx(math.sqrt(1 / 3))
    # intervals with 3 - 2 = 1 degree of freedom: s² = 1 (the zero row); the scaled Gram matrix [[1, c], [c, 1]]
    # has inverse diagonal 1/(1 - c²) = 10/9; back in units the columns' norms 1/3 and sqrt(10)/3 divide:
    # half-widths t(0.975, 1)·sqrt(10/9)·3 and t(0.975, 1)·sqrt(10/9)·3/sqrt(10)
    t1 = 12.706204736174694  # Student t, 97.5 %, 1 degree of freedom (tables: 12.71)
    assert f.ci95 == pytest.approx([t1 * math.sqrt(10 / 9) * 3, t1 * math.sqrt(10 / 9) * 3 / math.sqrt(10)])


def test_near_collinear_columns_are_reported_against_a_relative_threshold():
    # unit columns (1, 0, 0) and (1, d, 0)/|.|: singular values about sqrt(2) and d/sqrt(2). Reported as not
    # separable below 1e-10 of the largest: d = 1.2e-10 (0.85e-10 < 1.41e-10) is, d = 1e-9 (7.1e-10) is not
    for d, expected in ((1.2e-10, ("a+b",)), (1e-9, ())):
        X = np.array([[1.0, 1.0], [0.0, d], [0.0, 0.0]])
        f = fit_bounded(X, np.ones(3), ("a", "b"), np.ones(2), what="t", lower=np.full(2, -np.inf))
        assert f.unidentifiable == expected, d


def test_nothing_measured_keeps_every_prior():
    f = fit_bounded(np.zeros((2, 2)), np.ones(2), ("a", "b"), [5, 6], what="t")
    assert f.theta.tolist() == [5.0, 6.0] and f.no_data == ("a", "b")
    assert f.condition_number == float("inf") and f.unidentifiable == () and np.isnan(f.ci95).all()


def test_integer_priors_do_not_truncate_the_fit():
    # priors given as integers (e.g. cycle counts): the fitted 3/7 must not become 0
    f = fit_bounded(np.array([[0.0, 1.0], [0.0, 2.0], [0.0, 3.0]]), np.ones(3), ("z", "a"), [7, 1], what="t")
    assert f.theta.tolist() == [7.0, pytest.approx(3 / 7)]


def test_refusals_name_the_problem():
    X = np.ones((3, 2))
    with pytest.raises(ValueError, match=r"^t: design matrix \(3, 2\) does not match 3 points × 3 constants$"):
        fit_bounded(X, np.ones(3), ("a", "b", "c"), np.ones(3), what="t")
    with pytest.raises(ValueError, match=r"^t: design matrix \(3,\) does not match 3 points × 1 constants$"):
        fit_bounded(np.ones(3), np.ones(3), ("a",), np.ones(1), what="t")
    for bad in ([1.0, np.nan, 1.0], [1.0, np.inf, 1.0], [1.0, -1.0, 1.0], [1.0, 0.0, 1.0]):
        with pytest.raises(CalibrationError, match="^t: a measured value is not a positive number$"):
            fit_bounded(np.ones((3, 1)), np.array(bad), ("a",), np.ones(1), what="t")
    with pytest.raises(CalibrationError, match="^t: a measured value is not a positive number$"):
        fit_bounded(np.ones((3, 1)), np.full(3, 1.0), ("a",), np.ones(1), what="t", floor=-1.0)
    with pytest.raises(CalibrationError, match="^t: a measured value is not a positive number$"):  # floor or not
        fit_bounded(np.ones((3, 1)), np.array([1.0, -0.5, 1.0]), ("a",), np.ones(1), what="t", floor=1.0)
    # k active constants need k + 1 points; a constant without data does not count
    with pytest.raises(CalibrationError, match="^t: 2 points for 2 constants; need at least 3 — no profile written$"):
        fit_bounded(np.array([[1.0, 2.0], [2.0, 1.0]]), np.ones(2), ("a", "b"), np.ones(2), what="t")
    ok = fit_bounded(np.array([[1.0, 0.0], [2.0, 0.0]]), np.ones(2), ("a", "b"), np.ones(2), what="t")
    assert ok.no_data == ("b",) and ok.theta[1] == 1.0


def test_float32_measurements_are_fitted_in_double_precision():
    from dataclasses import astuple

    X = np.array([[1.0, 1.0], [0.0, 1.0], [1.0, 2.0], [2.0, 1.0]])
    y32 = np.array([1.1, 2.3, 3.7, 2.9], dtype=np.float32)
    a = fit_bounded(X, y32, ("a", "b"), np.ones(2), what="t", floor=0.1)
    b = fit_bounded(X, y32.astype(float), ("a", "b"), np.ones(2), what="t", floor=0.1)
    for u, v in zip(astuple(a), astuple(b)):
        assert np.array_equal(u, v, equal_nan=True) if isinstance(u, np.ndarray) else u == v
