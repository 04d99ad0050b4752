"""Calibration fits recover constants that generated synthetic data, and refuse what they cannot fit."""

import numpy as np
import pytest

from hil.calibration.linear_fit import CalibrationError, fit_linear, fit_scales
from hil.calibration.metrics import summarise


def test_metrics_against_hand_computation():
    s = summarise(np.array([110.0, 95.0, 100.0]), np.array([100.0, 100.0, 100.0]))
    assert s.n == 3
    assert s.mape_percent == pytest.approx(5.0)
    assert s.max_ape_percent == pytest.approx(10.0)
    assert s.within_5_percent == pytest.approx(2 / 3)
    assert s.within_10_percent == pytest.approx(1.0)


def test_kendall_tau_hand_case():
    # pairs (1,2) and (1,3) concordant, (2,3) discordant -> (2 - 1) / 3
    assert summarise(np.array([1.0, 2.0, 3.0]), np.array([1.0, 3.0, 2.0])).kendall_tau == pytest.approx(1 / 3)


def test_linear_fit_recovers_dma_constants():
    # the original's DMA-read latency fit: 64 cycles per element + 430 per command (original-tinas.md, cost model §1.2)
    sizes = np.arange(1, 129)
    fit = fit_linear(sizes, 64.0 * sizes + 430.0, what="dma read")
    assert fit.slope == pytest.approx(64.0, rel=1e-12)
    assert fit.intercept == pytest.approx(430.0, rel=1e-12)
    assert fit.r2 == pytest.approx(1.0)


def test_linear_fit_refuses_too_few_or_degenerate_points():
    with pytest.raises(CalibrationError, match="need at least 3"):
        fit_linear(np.array([1.0, 2.0]), np.array([1.0, 2.0]), what="mac")
    with pytest.raises(CalibrationError, match="same size"):
        fit_linear(np.array([4.0, 4.0, 4.0]), np.array([1.0, 2.0, 3.0]), what="mac")
    with pytest.raises(CalibrationError, match="^mac: all points have the same size 4.0;"):  # a lone point too
        fit_linear(np.array([4.0]), np.array([1.0]), what="mac", min_points=1)


def test_scale_fit_recovers_known_factors():
    rng = np.random.default_rng(7)
    X = rng.uniform(0.1, 5.0, size=(12, 3))
    theta = np.array([1.3, 0.8, 2.5])
    fit = fit_scales(X, X @ theta, ("cp", "fd", "bd"), what="cont latency")
    assert np.allclose(fit.theta, theta, rtol=1e-9)
    assert fit.rel_rmse < 1e-9


def test_scale_fit_keeps_absent_terms_and_refuses_too_few():
    X = np.array([[1.0, 0.0], [2.0, 0.0], [3.0, 0.0]])
    fit = fit_scales(X, 2.0 * X[:, 0], ("cp", "never"), what="t")
    assert fit.theta == pytest.approx((2.0, 1.0))
    with pytest.raises(CalibrationError, match="need at least 3"):
        fit_scales(X[:2], np.array([1.0, 2.0]), ("cp", "never"), what="t")


# -- hand-solved small systems (every expected number is worked out in the comments) ---------------

def test_relative_errors_by_hand():
    from hil.calibration.metrics import relative_errors
    # (3-2)/2 = 0.5, (1-2)/2 = -0.5, (6-4)/4 = 0.5, (1-1)/1 = 0 (a measured 1 is fine)
    assert relative_errors(np.array([3.0, 1.0, 6.0, 1.0]), np.array([2.0, 2.0, 4.0, 1.0])).tolist() == \
        [0.5, -0.5, 0.5, 0.0]
    with pytest.raises(ValueError, match=r"^predicted \(3,\) and measured \(2,\) differ in shape$"):
        relative_errors(np.ones(3), np.ones(2))
    with pytest.raises(ValueError, match="^a measured value is zero: relative error undefined$"):
        relative_errors(np.ones(2), np.array([1.0, 0.0]))


def test_summary_thresholds_are_inclusive_by_hand():
    # measured 20 everywhere; predicted 21, 19, 21.1, 22, 22.1, 26 -> APE 5, 5, 5.5, 10, 10.5, 30 %
    s = summarise(np.array([21.0, 19.0, 21.1, 22.0, 22.1, 26.0]), np.full(6, 20.0))
    assert s.n == 6
    assert s.mape_percent == pytest.approx((5 + 5 + 5.5 + 10 + 10.5 + 30) / 6)  # 11
    assert s.max_ape_percent == pytest.approx(30.0)
    assert s.within_5_percent == pytest.approx(2 / 6)  # exactly 5 % counts as within
    assert s.within_10_percent == pytest.approx(4 / 6)
    assert np.isnan(s.kendall_tau)  # measured is constant: no ranking to compare
    assert s.as_row() == {"n": 6, "MAPE %": s.mape_percent, "max APE %": s.max_ape_percent,
                          "within ±5 %": 2 / 6, "within ±10 %": 4 / 6, "Kendall tau": s.kendall_tau}


def test_summary_of_two_one_and_no_points():
    import math
    import warnings

    # two points ranked in the opposite order: one discordant pair, tau = -1
    assert summarise(np.array([2.0, 1.0]), np.array([1.0, 1.5])).kendall_tau == pytest.approx(-1.0)
    assert summarise(np.array([1.0, 1.5]), np.array([1.0, 1.5])).kendall_tau == pytest.approx(1.0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # one point or a constant side: NaN tau, and no warning either
        one = summarise(np.array([12.0]), np.array([10.0]))
        flat = summarise(np.array([1.0, 1.0, 1.0]), np.array([1.0, 2.0, 3.0]))
    assert (one.n, one.mape_percent, one.max_ape_percent, one.within_5_percent, one.within_10_percent) == \
        (1, pytest.approx(20.0), pytest.approx(20.0), 0.0, 0.0)
    assert math.isnan(one.kendall_tau) and math.isnan(flat.kendall_tau)
    empty = summarise(np.array([]), np.array([]))
    assert empty.n == 0
    assert all(isinstance(v, float) and math.isnan(v) for v in list(vars(empty).values())[1:])


def test_linear_fit_quality_by_hand():
    # x = 0..3, y = 1, 3, 2, 6: mean x 1.5, mean y 3, Sxx = 5, Sxy = 3 + 0 - 0.5 + 4.5 = 7 -> slope 1.4,
    # intercept 3 - 1.4·1.5 = 0.9; fitted 0.9, 2.3, 3.7, 5.1; residuals 0.1, 0.7, -1.7, 0.9;
    # SSres = 0.01 + 0.49 + 2.89 + 0.81 = 4.2, SStot = 4 + 0 + 1 + 9 = 14 -> R² = 0.7
    fit = fit_linear(np.array([0, 1, 2, 3]), np.array([1, 3, 2, 6]), what="t")
    assert (fit.slope, fit.intercept, fit.n) == (pytest.approx(1.4), pytest.approx(0.9), 4)
    assert fit.r2 == pytest.approx(0.7)
    assert fit.max_abs_residual == pytest.approx(1.7)
    # the same data a tenth the size: same R² (SStot = 0.14 is small, not zero)
    assert fit_linear(np.array([0, 1, 2, 3]), np.array([0.1, 0.3, 0.2, 0.6]), what="t").r2 == pytest.approx(0.7)
    # constant y: a flat line fits perfectly (R² = 1 by convention, not 0/0)
    flat = fit_linear(np.array([1.0, 2.0, 3.0]), np.array([5.0, 5.0, 5.0]), what="t")
    assert (flat.slope, flat.intercept, flat.r2, flat.max_abs_residual) == \
        (pytest.approx(0.0, abs=1e-12), pytest.approx(5.0), 1.0, pytest.approx(0.0, abs=1e-12))


def test_linear_fit_point_limits_are_exact():
    # three points (the default minimum), two of them at the same x: still a line
    fit = fit_linear(np.array([1.0, 1.0, 2.0]), np.array([1.0, 3.0, 4.0]), what="t")
    assert (fit.slope, fit.intercept) == (pytest.approx(2.0), pytest.approx(0.0, abs=1e-12))  # through (1, 2), (2, 4)
    assert fit_linear(np.array([1.0, 2.0]), np.array([1.0, 3.0]), what="t", min_points=2).slope == pytest.approx(2.0)
    with pytest.raises(CalibrationError, match="^mac: 2 points, need at least 3 to fit a line$"):
        fit_linear(np.array([1.0, 2.0]), np.array([1.0, 2.0]), what="mac")
    with pytest.raises(CalibrationError, match="^mac: all points have the same size 4.0; cannot separate slope and "
                                               "intercept$"):
        fit_linear(np.array([4.0, 4.0, 4.0]), np.array([1.0, 2.0, 3.0]), what="mac")


def test_scale_fit_one_term_by_hand():
    # relative rows w = X/y = 2, 1.5, 1.5; min Σ(w·θ - 1)² -> θ = Σw/Σw² = 5/8.5 = 10/17;
    # relative residuals 20/17 - 1, 15/17 - 1, 15/17 - 1 = 3/17, -2/17, -2/17 -> RMS sqrt(17/3)/17
    fit = fit_scales(np.array([[2.0], [3.0], [6.0]]), np.array([1.0, 2.0, 4.0]), ("cp",), what="t")
    assert fit.theta == pytest.approx((10 / 17,))
    assert fit.rel_rmse == pytest.approx(np.sqrt(17 / 3) / 17)
    assert fit.condition_number == pytest.approx(1.0)
    assert (fit.n, fit.names, fit.as_dict()) == (3, ("cp",), {"cp": pytest.approx(10 / 17)})


def test_scale_fit_two_terms_condition_and_bounds_by_hand():
    # y = 1: W = X = [[2, 0], [0, 1], [0, 0], [0, 0]] (+ a term that never occurs): θ = (1/2, 1), the last
    # two rows miss by -1 -> RMS sqrt(2/4); orthogonal columns of norms 2 and 1 -> condition number 2
    X = np.array([[2.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 0.0], [0.0, 0.0, 0.0]])
    fit = fit_scales(X, np.ones(4), ("a", "b", "never"), what="t")
    assert fit.theta == pytest.approx((0.5, 1.0, 1.0))
    assert fit.rel_rmse == pytest.approx(np.sqrt(1 / 2))
    assert fit.condition_number == pytest.approx(2.0)
    # a component that only ever subtracts is held at the bound 0: every prediction then misses by -100 %
    neg = fit_scales(np.array([[-1.0], [-2.0]]), np.array([1.0, 1.0]), ("x",), what="t")
    assert neg.theta == (0.0,) and neg.rel_rmse == pytest.approx(1.0)
    # explicit bounds: the unconstrained 1/2 and 1 are pushed to 0.8 and 0.9
    b = fit_scales(X[:, :2], np.ones(4), ("a", "b"), what="t", bounds=(0.8, 0.9))
    assert b.theta == pytest.approx((0.8, 0.9))
    # nothing ever occurs: priors kept, nothing to condition
    none = fit_scales(np.zeros((2, 1)), np.ones(2), ("x",), what="t")
    assert none.theta == (1.0,) and none.condition_number == float("inf")


def test_scale_fit_refusals_name_the_problem():
    X = np.array([[1.0, 2.0], [2.0, 1.0], [1.0, 1.0]])
    assert fit_scales(X, np.array([3.0, 3.0, 2.0]), ("a", "b"), what="t").theta == pytest.approx((1.0, 1.0))  # k + 1
    with pytest.raises(CalibrationError, match="^t: 2 measurements for 2 constants; need at least 3$"):
        fit_scales(X[:2], np.array([3.0, 3.0]), ("a", "b"), what="t")
    with pytest.raises(CalibrationError, match="^t: a measured value is not positive$"):
        fit_scales(X, np.array([3.0, 0.0, 2.0]), ("a", "b"), what="t")
    with pytest.raises(ValueError, match=r"^t: design matrix \(3, 2\) does not match 3 targets × 3 terms$"):
        fit_scales(X, np.ones(3), ("a", "b", "c"), what="t")
    with pytest.raises(ValueError, match=r"^t: design matrix \(3, 2\) does not match 2 targets × 2 terms$"):
        fit_scales(X, np.ones(2), ("a", "b"), what="t")
    with pytest.raises(ValueError, match=r"^t: design matrix \(3,\) does not match 3 targets × 1 terms$"):
        fit_scales(np.ones(3), np.ones(3), ("a",), what="t")


def test_float32_and_integer_inputs_give_the_float64_answer():
    # measurements read as float32 or integers are fitted in double precision: exactly the answer for the
    # same values given as float64 (the dataclasses compare every field exactly)
    x32 = np.array([0.0, 1.0, 2.0, 3.0], dtype=np.float32)
    y32 = np.array([1.1, 3.3, 2.2, 6.7], dtype=np.float32)
    ref = fit_linear(x32.astype(float), y32.astype(float), what="t")
    assert fit_linear(x32, y32.astype(float), what="t") == ref
    assert fit_linear(x32.astype(float), y32, what="t") == ref
    assert fit_linear(np.array([0, 1, 2, 3]), np.array([1, 3, 2, 6]), what="t") == \
        fit_linear(np.array([0.0, 1.0, 2.0, 3.0]), np.array([1.0, 3.0, 2.0, 6.0]), what="t")
    with pytest.raises(CalibrationError, match="same size 4.0;"):  # an integer size is reported as a number
        fit_linear(np.array([4, 4, 4]), np.array([1, 2, 3]), what="mac")
