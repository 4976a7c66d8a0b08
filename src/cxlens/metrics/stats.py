"""Interval and test formulas used by the metrics, vectorised over aggregated rows.

Everything here works on small numpy arrays (one element per group and period) that the
engine has already aggregated; nothing here touches raw rows. See docs/metrics.md for the
formulas and their sources.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import stats as _st

from cxlens.errors import ArgumentError

FloatArray = NDArray[np.float64]


def _f(x: ArrayLike) -> FloatArray:
    return np.atleast_1d(np.asarray(x, dtype=np.float64))


def _safe_div(num: ArrayLike, den: ArrayLike) -> FloatArray:
    num, den = np.broadcast_arrays(_f(num), _f(den))
    out = np.full(num.shape, np.nan)
    ok = den != 0
    np.divide(num, den, out=out, where=ok)
    return out


def check_confidence(confidence: float) -> float:
    """Return ``confidence`` when it lies strictly between 0 and 1, else raise ValueError.

    Example:
        >>> check_confidence(0.9)
        0.9
    """
    if not 0.0 < float(confidence) < 1.0:
        raise ArgumentError(
            f"confidence must lie strictly between 0 and 1 (e.g. 0.95); got {confidence!r}"
        )
    return float(confidence)


def z_value(confidence: float) -> float:
    """Two-sided standard normal quantile for ``confidence`` (1.959964 for 0.95).

    Example:
        >>> round(z_value(0.95), 6)
        1.959964
    """
    return float(_st.norm.ppf(0.5 + check_confidence(confidence) / 2.0))


def nps_estimate(
    promoters: ArrayLike, detractors: ArrayLike, n: ArrayLike
) -> tuple[FloatArray, FloatArray]:
    """Net Promoter Score and its standard error from the trinomial distribution.

    ``value = 100 * (p - d)`` and ``se = 100 * sqrt((p + d - (p - d)**2) / n)`` with
    ``p``, ``d`` the promoter and detractor shares (Rocks 2016, eq. for the Wald interval).

    Args:
        promoters: count of 9-10 answers per row.
        detractors: count of 0-6 answers per row.
        n: count of non-null answers per row.

    Returns:
        ``(value, se)`` as float arrays, NaN where ``n`` is 0.

    Example:
        >>> v, se = nps_estimate([60], [15], [100])
        >>> float(v[0]), round(float(se[0]), 4)
        (45.0, 7.3993)
    """
    net = _f(promoters) - _f(detractors)
    p = _safe_div(promoters, n)
    d = _safe_div(detractors, n)
    var = _safe_div(p + d - (p - d) ** 2, n)
    return 100.0 * _safe_div(net, n), 100.0 * np.sqrt(np.clip(var, 0.0, None))


def wilson_interval(
    successes: ArrayLike, n: ArrayLike, confidence: float = 0.95
) -> tuple[FloatArray, FloatArray]:
    """Wilson (1927) score interval for a binomial proportion, as shares in [0, 1].

    Args:
        successes: count of successes per row.
        n: count of trials per row.
        confidence: two-sided confidence level.

    Returns:
        ``(low, high)`` float arrays, NaN where ``n`` is 0.

    Example:
        >>> lo, hi = wilson_interval([74], [107])
        >>> round(float(lo[0]), 4), round(float(hi[0]), 4)
        (0.5987, 0.7712)
    """
    z = z_value(confidence)
    x, m = np.broadcast_arrays(_f(successes), _f(n))
    p = _safe_div(x, m)
    with np.errstate(divide="ignore", invalid="ignore"):
        denom = 1.0 + z * z / m
        centre = (p + z * z / (2.0 * m)) / denom
        half = z * np.sqrt(np.clip(p * (1.0 - p) / m + z * z / (4.0 * m * m), 0, None)) / denom
    # exact ends where all or none succeed (the formula leaves rounding dust there)
    low = np.where(m > 0, np.where(x <= 0, 0.0, np.clip(centre - half, 0.0, 1.0)), np.nan)
    high = np.where(m > 0, np.where(x >= m, 1.0, np.clip(centre + half, 0.0, 1.0)), np.nan)
    return low, high


def t_interval(
    mean: ArrayLike, sd: ArrayLike, n: ArrayLike, confidence: float = 0.95
) -> tuple[FloatArray, FloatArray]:
    """Student-t interval for a mean: ``mean ± t(n-1) * sd / sqrt(n)``.

    Args:
        mean: sample mean per row.
        sd: sample standard deviation (n - 1 denominator) per row.
        n: sample size per row.
        confidence: two-sided confidence level.

    Returns:
        ``(low, high)`` float arrays, NaN where ``n`` < 2.

    Example:
        >>> lo, hi = t_interval([4.0], [1.0], [25])
        >>> round(float(lo[0]), 4), round(float(hi[0]), 4)
        (3.5872, 4.4128)
    """
    check_confidence(confidence)
    m, s, k = np.broadcast_arrays(_f(mean), _f(sd), _f(n))
    df = np.where(k >= 2, k - 1.0, np.nan)
    tq = _st.t.ppf(0.5 + confidence / 2.0, df)
    half = tq * _safe_div(s, np.sqrt(np.where(k > 0, k, np.nan)))
    return m - half, m + half


def z_test_p(diff: ArrayLike, se: ArrayLike) -> FloatArray:
    """Two-sided normal p-value for ``diff / se``; NaN where ``se`` is 0 or missing.

    Example:
        >>> round(float(z_test_p([1.96], [1.0])[0]), 4)
        0.05
    """
    z = _safe_div(diff, se)
    with np.errstate(invalid="ignore"):
        return np.where(np.isfinite(z), 2.0 * _st.norm.sf(np.abs(z)), np.nan)


def difference_z_test(
    est1: ArrayLike, se1: ArrayLike, est0: ArrayLike, se0: ArrayLike
) -> FloatArray:
    """Two-sided z-test of ``est1 - est0`` for two independent estimates with known SEs.

    Example:
        >>> round(float(difference_z_test([50.0], [3.0], [40.0], [4.0])[0]), 4)
        0.0455
    """
    e1, s1, e0, s0 = (_f(a) for a in (est1, se1, est0, se0))
    return z_test_p(e1 - e0, np.sqrt(s1**2 + s0**2))


def two_proportion_z_test(
    x1: ArrayLike, n1: ArrayLike, x0: ArrayLike, n0: ArrayLike, pooled: bool = True
) -> FloatArray:
    """Two-sided two-proportion z-test of ``x1/n1 - x0/n0``.

    With ``pooled=True`` (the default, used by cxlens) the standard error uses the pooled
    share ``(x1 + x0) / (n1 + n0)``, which is the score test of equal proportions;
    ``pooled=False`` uses the two separate shares (Wald test).

    Example:
        >>> round(float(two_proportion_z_test([60], [100], [45], [100])[0]), 4)
        0.0337
    """
    a, m, b, k = (_f(v) for v in (x1, n1, x0, n0))
    p1, p0 = _safe_div(a, m), _safe_div(b, k)
    if pooled:
        pp = _safe_div(a + b, m + k)
        se = np.sqrt(pp * (1.0 - pp) * (_safe_div(1.0, m) + _safe_div(1.0, k)))
    else:
        se = np.sqrt(_safe_div(p1 * (1.0 - p1), m) + _safe_div(p0 * (1.0 - p0), k))
    return z_test_p(p1 - p0, se)


def welch_t_test(
    mean1: ArrayLike,
    sd1: ArrayLike,
    n1: ArrayLike,
    mean0: ArrayLike,
    sd0: ArrayLike,
    n0: ArrayLike,
) -> FloatArray:
    """Two-sided Welch (1947) t-test from summary statistics (unequal variances).

    Returns NaN where a group has fewer than 2 observations or both variances are 0.

    Example:
        >>> round(float(welch_t_test([5.0], [1.0], [30], [4.5], [1.2], [40])[0]), 4)
        0.0619
    """
    m1, s1, k1, m0, s0, k0 = (_f(v) for v in (mean1, sd1, n1, mean0, sd0, n0))
    v1 = _safe_div(s1**2, k1)
    v0 = _safe_div(s0**2, k0)
    se = np.sqrt(v1 + v0)
    t = _safe_div(m1 - m0, se)
    df = _safe_div((v1 + v0) ** 2, _safe_div(v1**2, k1 - 1.0) + _safe_div(v0**2, k0 - 1.0))
    ok = np.isfinite(t) & np.isfinite(df) & (k1 >= 2) & (k0 >= 2)
    with np.errstate(invalid="ignore"):
        p = 2.0 * _st.t.sf(np.abs(t), np.where(ok, df, 1.0))
    return np.where(ok, p, np.nan)


def ratio_estimate(
    sum_e: ArrayLike,
    sum_r: ArrayLike,
    n: ArrayLike,
    var_e: ArrayLike,
    var_r: ArrayLike,
    cov_er: ArrayLike,
) -> tuple[FloatArray, FloatArray]:
    """Ratio estimator ``R = sum_e / sum_r`` and its delta-method standard error.

    ``var(R) = (s_ee - 2 R s_er + R**2 s_rr) / (n * rbar**2)`` with sample (co)variances
    ``s_ee``, ``s_rr``, ``s_er`` and ``rbar = sum_r / n`` (Cochran 1977, sec. 6.4).

    Returns:
        ``(R, se)`` float arrays (shares, not percentages); se is NaN when ``n`` < 2.

    Example:
        >>> r, se = ratio_estimate([30.0], [300.0], [3], [25.0], [10000.0], [500.0])
        >>> round(float(r[0]), 4), round(float(se[0]), 4)
        (0.1, 0.0289)
    """
    se_, sr, k, vee, vrr, cer = (_f(v) for v in (sum_e, sum_r, n, var_e, var_r, cov_er))
    r = _safe_div(se_, sr)
    rbar = _safe_div(sr, k)
    var = _safe_div(vee - 2.0 * r * cer + r * r * vrr, k * rbar * rbar)
    return r, np.sqrt(np.clip(var, 0.0, None))


def check_min_n(min_n: int) -> int:
    """Validate the small-sample threshold; return it as an int.

    Example:
        >>> check_min_n(30)
        30
    """
    if isinstance(min_n, bool) or not isinstance(min_n, int | np.integer) or min_n < 0:
        raise ArgumentError(f"min_n must be a non-negative integer; got {min_n!r}")
    return int(min_n)
