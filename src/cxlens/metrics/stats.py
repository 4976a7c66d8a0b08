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


#: Smallest expected cell count at which a change is tested with the large-sample z-test;
#: below it the exact test is used (Cochran 1954's rule for 2 x k tables).
MIN_EXPECTED = 5.0

#: Names of the change tests, as written in the ``test`` column of a metric.
Z_POOLED = "z (pooled)"
Z_INDEPENDENT = "z (independent SEs)"
FISHER = "Fisher exact"
NPS_EXACT = "exact permutation"
WELCH = "Welch t"

#: Names of the intervals, as written in the ``ci_method`` column of a metric.
ADJUSTED_WALD = "adjusted Wald (Rocks 2016)"
WILSON = "Wilson"
STUDENT_T = "Student t"
DELTA_METHOD = "delta method"


def nps_adjusted_wald_interval(
    promoters: ArrayLike, detractors: ArrayLike, n: ArrayLike, confidence: float = 0.95
) -> tuple[FloatArray, FloatArray]:
    """Adjusted-Wald interval for NPS (Rocks 2016), in NPS points, clipped to [-100, 100].

    Three pseudo-answers are added before the Wald formula is applied: 3/4 of a promoter, 3/4
    of a detractor and 3/2 of a passive (``n' = n + 3``). The interval therefore keeps a
    positive width when every answer falls in one category, where the plain Wald interval
    collapses to a point. Rocks (2016) found this variant among the best-covering ones. The
    adjusted interval is centred on the adjusted score, so with a handful of answers all in
    one category it can miss the observed score; it is then widened to reach it.

    Returns:
        ``(low, high)`` float arrays, NaN where ``n`` is 0.

    Example:
        >>> lo, hi = nps_adjusted_wald_interval([3], [0], [3])
        >>> round(float(lo[0]), 2), float(hi[0])
        (-6.58, 100.0)
    """
    z = z_value(confidence)
    k = _f(n)
    adj_n = k + 3.0
    p = (_f(promoters) + 0.75) / adj_n
    d = (_f(detractors) + 0.75) / adj_n
    se = np.sqrt(np.clip((p + d - (p - d) ** 2) / adj_n, 0.0, None))
    centre = 100.0 * (p - d)
    observed = 100.0 * _safe_div(_f(promoters) - _f(detractors), k)
    low = np.minimum(np.clip(centre - 100.0 * z * se, -100.0, 100.0), observed)
    high = np.maximum(np.clip(centre + 100.0 * z * se, -100.0, 100.0), observed)
    return np.where(k > 0, low, np.nan), np.where(k > 0, high, np.nan)


def min_expected_count(rows: ArrayLike, cols: ArrayLike) -> FloatArray:
    """Smallest expected cell count of contingency tables under independence.

    ``rows`` has shape ``(m, 2)`` (the two periods' sizes) and ``cols`` shape ``(m, k)``
    (the category totals over both periods); returns one value per table,
    ``min(row) * min(col) / total``, NaN for an empty table.

    Example:
        >>> float(min_expected_count([[26, 6]], [[26, 6]])[0])
        1.125
    """
    r = np.atleast_2d(np.asarray(rows, dtype=np.float64))
    c = np.atleast_2d(np.asarray(cols, dtype=np.float64))
    total = r.sum(axis=1)
    return _safe_div(r.min(axis=1) * c.min(axis=1), total)


def fisher_exact_p(x1: ArrayLike, n1: ArrayLike, x0: ArrayLike, n0: ArrayLike) -> FloatArray:
    """Two-sided Fisher (1935) exact p-value of ``x1/n1`` vs ``x0/n0``, one per row.

    NaN where a group is empty. The two-sided p-value sums the probabilities of all tables
    no more likely than the observed one (scipy's convention).

    Example:
        >>> round(float(fisher_exact_p([24], [26], [2], [6])[0]), 4)
        0.0056
    """
    a, m, b, k = np.broadcast_arrays(*(_f(v) for v in (x1, n1, x0, n0)))
    out = np.full(a.shape, np.nan)
    for i in range(a.size):
        if m[i] > 0 and k[i] > 0:
            table = [[a[i], m[i] - a[i]], [b[i], k[i] - b[i]]]
            out[i] = _st.fisher_exact(np.asarray(table, dtype=np.int64)).pvalue
    return out


def two_proportion_test(
    x1: ArrayLike, n1: ArrayLike, x0: ArrayLike, n0: ArrayLike
) -> tuple[FloatArray, NDArray[np.object_]]:
    """Test ``x1/n1 - x0/n0``: Fisher's exact test for small counts, else the pooled z-test.

    A row is tested exactly when its smallest expected cell count is below
    :data:`MIN_EXPECTED` (5).

    Returns:
        ``(p_value, test)``: p-values and the name of the test used per row (None where
        there is no p-value).

    Example:
        >>> p, test = two_proportion_test([24], [26], [2], [6])
        >>> round(float(p[0]), 4), test[0]
        (0.0056, 'Fisher exact')
    """
    a, m, b, k = np.broadcast_arrays(*(_f(v) for v in (x1, n1, x0, n0)))
    expected = min_expected_count(
        np.stack([m, k], axis=-1).reshape(-1, 2),
        np.stack([a + b, m + k - a - b], axis=-1).reshape(-1, 2),
    )
    exact = expected < MIN_EXPECTED
    p = two_proportion_z_test(a, m, b, k)
    if exact.any():
        p = np.where(exact, fisher_exact_p(a, m, b, k), p)
    return p, _names(p, np.where(exact, FISHER, Z_POOLED))


def _names(p: FloatArray, names: ArrayLike) -> NDArray[np.object_]:
    """Name of the test per row, None where the p-value is missing."""
    out = np.asarray(names, dtype=object)
    out[~np.isfinite(p)] = None
    return out


def _log_comb(n: ArrayLike, k: ArrayLike) -> FloatArray:
    from scipy.special import gammaln

    n, k = _f(n), _f(k)
    return gammaln(n + 1.0) - gammaln(k + 1.0) - gammaln(n - k + 1.0)


def nps_exact_p(current: ArrayLike, previous: ArrayLike) -> float:
    """Exact two-sided p-value of an NPS change, conditional on the category totals.

    ``current`` and ``previous`` are ``(promoters, passives, detractors)`` counts. Under
    the null both periods share one distribution, so given the totals of each category and
    each period, the current period's counts are multivariate hypergeometric. The p-value
    sums the probabilities of all tables whose NPS difference is at least as large (in
    absolute value) as the observed one: a permutation test of the NPS difference with
    every permutation counted (Agresti 2013, sec. 3.5 for exact conditional tests).

    Returns:
        The p-value; NaN when a period has no answers.

    Example:
        >>> round(nps_exact_p((3, 0, 0), (0, 0, 3)), 4)
        0.1
    """
    cur = np.asarray(current, dtype=np.int64)
    old = np.asarray(previous, dtype=np.int64)
    n1, n0 = int(cur.sum()), int(old.sum())
    if n1 == 0 or n0 == 0:
        return float("nan")
    totals = cur + old
    observed = abs(_net(cur, n1) - _net(old, n0))
    # enumerate promoters (a) and detractors (c) of the current period; passives follow
    a = np.arange(0, totals[0] + 1)[:, None]
    c = np.arange(0, totals[2] + 1)[None, :]
    b = n1 - a - c
    ok = (b >= 0) & (b <= totals[1])
    bb = np.where(ok, b, 0)
    logp = (
        _log_comb(totals[0], a)
        + _log_comb(totals[1], bb)
        + _log_comb(totals[2], c)
        - _log_comb(totals.sum(), n1)[0]
    )
    diff = np.abs((a - c) / n1 - ((totals[0] - a) - (totals[2] - c)) / n0)
    extreme = ok & (diff >= observed - 1e-12)
    return float(min(1.0, np.exp(logp[extreme]).sum()))


def _net(counts: np.ndarray, n: int) -> float:
    return float(counts[0] - counts[2]) / n


def nps_change_test(
    current: ArrayLike, previous: ArrayLike, se1: ArrayLike, se0: ArrayLike
) -> tuple[FloatArray, NDArray[np.object_]]:
    """Test an NPS change: exact for small counts, else a z-test on the two SEs.

    ``current`` and ``previous`` have shape ``(m, 3)``: promoters, passives, detractors per
    row; ``se1``/``se0`` are the Wald standard errors in NPS points. A row is tested exactly
    (:func:`nps_exact_p`) when the smallest expected count of its 2 x 3 table is below
    :data:`MIN_EXPECTED`.

    Returns:
        ``(p_value, test)`` as in :func:`two_proportion_test`.

    Example:
        >>> p, test = nps_change_test([[3, 0, 0]], [[0, 0, 3]], [0.0], [0.0])
        >>> round(float(p[0]), 4), test[0]
        (0.1, 'exact permutation')
    """
    cur = np.atleast_2d(np.asarray(current, dtype=np.float64))
    old = np.atleast_2d(np.asarray(previous, dtype=np.float64))
    n1, n0 = cur.sum(axis=1), old.sum(axis=1)
    expected = min_expected_count(np.stack([n1, n0], axis=1), cur + old)
    exact = expected < MIN_EXPECTED
    v1 = 100.0 * _safe_div(cur[:, 0] - cur[:, 2], n1)
    v0 = 100.0 * _safe_div(old[:, 0] - old[:, 2], n0)
    p = difference_z_test(v1, se1, v0, se0)
    for i in np.flatnonzero(exact & (n1 > 0) & (n0 > 0)):
        p[i] = nps_exact_p(cur[i], old[i])
    return p, _names(p, np.where(exact, NPS_EXACT, Z_INDEPENDENT))


def check_min_n(min_n: int) -> int:
    """Validate the small-sample threshold; return it as an int.

    Example:
        >>> check_min_n(30)
        30
    """
    if isinstance(min_n, bool) or not isinstance(min_n, int | np.integer) or min_n < 0:
        raise ArgumentError(f"min_n must be a non-negative integer; got {min_n!r}")
    return int(min_n)


def benjamini_hochberg(p_values: ArrayLike, m: int | None = None) -> FloatArray:
    """Benjamini-Hochberg (1995) q-values (adjusted p-values), in the order given.

    NaN p-values (tests not run) stay NaN and are not counted. ``m`` is the number of tests
    when more were run than are given here (those left out had p = 1, as in a rule search
    that only scores the pairs it found).

    Example:
        >>> benjamini_hochberg([0.01, 0.04, float("nan"), 0.03]).round(4).tolist()
        [0.03, 0.04, nan, 0.04]
        >>> benjamini_hochberg([0.01, 0.04], m=4).round(3).tolist()
        [0.04, 0.08]
    """
    p = np.asarray(p_values, dtype=float)
    q = np.full(p.shape, np.nan)
    finite = np.flatnonzero(np.isfinite(p))
    if finite.size == 0:
        return q
    tests = max(int(m), finite.size) if m is not None else finite.size
    order = finite[np.argsort(p[finite], kind="mergesort")]
    ranked = p[order] * tests / np.arange(1, order.size + 1)
    q[order] = np.clip(np.minimum.accumulate(ranked[::-1])[::-1], 0.0, 1.0)
    return q
