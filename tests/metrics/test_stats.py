"""The interval and test formulas against hand computation and scipy."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from cxlens.metrics.stats import (
    check_confidence,
    difference_z_test,
    nps_estimate,
    ratio_estimate,
    t_interval,
    two_proportion_z_test,
    welch_t_test,
    wilson_interval,
    z_value,
)


def _norm_p(z: float) -> float:
    """Two-sided normal p-value by hand: erfc(|z| / sqrt(2))."""
    return math.erfc(abs(z) / math.sqrt(2.0))


def test_z_value_matches_the_textbook_quantile():
    assert z_value(0.95) == pytest.approx(1.959963985, abs=1e-9)
    assert z_value(0.90) == pytest.approx(1.644853627, abs=1e-9)


@pytest.mark.parametrize("bad", [0, 1, 1.5, -0.1, 95])
def test_confidence_outside_unit_interval_is_rejected(bad):
    with pytest.raises(ValueError, match="confidence must lie strictly between 0 and 1"):
        check_confidence(bad)


def test_nps_estimate_by_hand():
    # 60 promoters, 25 passives, 15 detractors of 100
    value, se = nps_estimate([60], [15], [100])
    assert value[0] == pytest.approx(45.0)
    # trinomial: (p + d - (p - d)^2) / n = (0.75 - 0.2025) / 100
    assert se[0] == pytest.approx(100 * math.sqrt(0.005475))


def test_nps_estimate_is_nan_for_empty_groups():
    value, se = nps_estimate([0], [0], [0])
    assert np.isnan(value[0]) and np.isnan(se[0])


def test_wilson_interval_by_hand_and_against_scipy():
    x, n, z = 74, 107, z_value(0.95)
    p = x / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    low, high = wilson_interval([x], [n], 0.95)
    assert low[0] == pytest.approx(centre - half, rel=1e-12)
    assert high[0] == pytest.approx(centre + half, rel=1e-12)
    ref = stats.binomtest(x, n).proportion_ci(confidence_level=0.95, method="wilson")
    assert low[0] == pytest.approx(ref.low, rel=1e-9)
    assert high[0] == pytest.approx(ref.high, rel=1e-9)


@pytest.mark.parametrize(("x", "n"), [(0, 10), (10, 10), (1, 3), (0, 1)])
def test_wilson_interval_at_the_edges_matches_scipy(x, n):
    low, high = wilson_interval([x], [n], 0.9)
    ref = stats.binomtest(x, n).proportion_ci(confidence_level=0.9, method="wilson")
    assert low[0] == pytest.approx(ref.low, abs=1e-12)
    assert high[0] == pytest.approx(ref.high, abs=1e-12)


def test_t_interval_matches_scipy():
    low, high = t_interval([4.2], [1.3], [12], 0.95)
    ref = stats.t.interval(0.95, df=11, loc=4.2, scale=1.3 / math.sqrt(12))
    assert (low[0], high[0]) == pytest.approx(ref, rel=1e-12)


def test_t_interval_needs_two_observations():
    low, high = t_interval([5.0], [0.0], [1], 0.95)
    assert np.isnan(low[0]) and np.isnan(high[0])


def test_difference_z_test_by_hand():
    p = difference_z_test([50.0], [3.0], [40.0], [4.0])
    assert p[0] == pytest.approx(_norm_p(10 / 5))


def test_zero_standard_error_gives_no_p_value():
    assert np.isnan(difference_z_test([100.0], [0.0], [100.0], [0.0])[0])


def test_two_proportion_z_test_pooled_and_unpooled_by_hand():
    pooled = 105 / 200
    z = (0.60 - 0.45) / math.sqrt(pooled * (1 - pooled) * (1 / 100 + 1 / 100))
    assert two_proportion_z_test([60], [100], [45], [100])[0] == pytest.approx(_norm_p(z))
    z_u = (0.60 - 0.45) / math.sqrt(0.6 * 0.4 / 100 + 0.45 * 0.55 / 100)
    got = two_proportion_z_test([60], [100], [45], [100], pooled=False)[0]
    assert got == pytest.approx(_norm_p(z_u))


def test_welch_t_test_matches_scipy():
    got = welch_t_test([5.0], [1.0], [30], [4.5], [1.2], [40])[0]
    ref = stats.ttest_ind_from_stats(5.0, 1.0, 30, 4.5, 1.2, 40, equal_var=False)
    assert got == pytest.approx(ref.pvalue, rel=1e-10)


def test_welch_t_test_is_nan_with_a_single_observation():
    assert np.isnan(welch_t_test([5.0], [1.0], [1], [4.0], [1.0], [10])[0])


def test_ratio_estimate_delta_method_by_hand():
    e = np.array([15.0, 5.0, 25.0, 7.0])
    r = np.array([100.0, 200.0, 400.0, 50.0])
    cov = np.cov(np.vstack([e, r]), ddof=1)
    ratio, se = ratio_estimate(e.sum(), r.sum(), 4, cov[0, 0], cov[1, 1], cov[0, 1])
    big_r = e.sum() / r.sum()
    # residual form: var(R) = sum((e - R r)^2) / (n - 1) / (n * rbar^2)
    resid = e - big_r * r
    expected = math.sqrt((resid**2).sum() / 3 / (4 * r.mean() ** 2))
    assert ratio[0] == pytest.approx(big_r)
    assert se[0] == pytest.approx(expected, rel=1e-12)


def test_wilson_interval_ends_are_exact_at_zero_and_all():
    low, high = wilson_interval([0, 448], [448, 448], 0.95)
    assert low[0] == 0.0 and high[1] == 1.0
