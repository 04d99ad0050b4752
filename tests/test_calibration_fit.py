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
