"""Pool metric rows by summing their counts, and compare two pooled groups.

The metric tables (``ws.metrics.nps(...)`` and friends) carry, per group and period, counts
that add up across periods and groups: promoters/detractors/n for NPS, satisfied/n for
CSAT, lost/at_start for churn and, for CES, n, the sum and the sum of squares (rebuilt from
``value``, ``sd`` and ``n``). Pooling a window of periods, or a group with its siblings, is a
sum of those counts; this module turns two such pooled rows into a difference with its
interval, test and standardised effect size. Everything works on the small aggregated
tables, never on raw rows.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike
from scipy import stats as _st

from cxlens.errors import ArgumentError
from cxlens.metrics.stats import (
    FloatArray,
    nps_change_test,
    nps_estimate,
    two_proportion_test,
    welch_t_test,
    z_test_p,
    z_value,
)

#: Additive columns of each metric that can be pooled; ``n`` comes first.
STATS: dict[str, tuple[str, ...]] = {
    "nps": ("n", "promoters", "detractors"),
    "csat": ("n", "satisfied"),
    "ces": ("n", "sum_x", "sum_x2"),
    "churn": ("n", "lost"),
}

#: Whether a higher value of the metric is the better one.
HIGHER_IS_BETTER: dict[str, bool] = {
    "nps": True,
    "csat": True,
    "ces": True,
    "churn": False,
    "engagement": True,
}

#: Columns returned by :func:`compare`.
COMPARE_COLUMNS: tuple[str, ...] = (
    "value",
    "comparison_value",
    "difference",
    "se",
    "ci_low",
    "ci_high",
    "p_value",
    "effect_size",
)


def check_metric(metric: str) -> str:
    """Return ``metric`` when it can be pooled (nps, csat, ces, churn), else raise.

    Example:
        >>> check_metric("nps")
        'nps'
    """
    if metric not in STATS:
        raise ArgumentError(
            f"metric {metric!r} cannot be pooled from its counts; use one of: {', '.join(STATS)}"
        )
    return metric


def additive(metric: str, table: pd.DataFrame) -> pd.DataFrame:
    """Return ``table`` with the additive count columns of ``metric`` (see :data:`STATS`).

    For CES the sum and the sum of squares are rebuilt from ``value`` (the mean), ``sd`` and
    ``n``: ``sum_x = n * mean`` and ``sum_x2 = (n - 1) * sd**2 + n * mean**2``.

    Args:
        metric: nps, csat, ces or churn.
        table: a metric table from ``ws.metrics`` (or ``cxlens.metrics``).

    Returns:
        A copy of ``table`` with the :data:`STATS` columns as float64.

    Example:
        >>> t = pd.DataFrame({"n": [4], "value": [6.0], "sd": [0.816496580927726]})
        >>> additive("ces", t)[["sum_x", "sum_x2"]].round(6).to_dict("records")
        [{'sum_x': 24.0, 'sum_x2': 146.0}]
    """
    check_metric(metric)
    out = table.copy()
    n = out["n"].to_numpy(dtype=float)
    if metric == "ces":
        mean = out["value"].to_numpy(dtype=float)
        sd = np.nan_to_num(out["sd"].to_numpy(dtype=float), nan=0.0)
        out["sum_x"] = np.where(n > 0, n * mean, 0.0)
        out["sum_x2"] = np.where(n > 0, np.clip(n - 1.0, 0.0, None) * sd**2 + n * mean**2, 0.0)
    for col in STATS[metric]:
        out[col] = out[col].astype("float64")
    return out


def _shares(x: FloatArray, n: FloatArray) -> FloatArray:
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(n > 0, x / n, np.nan)


def _mean_sd(s: pd.DataFrame) -> tuple[FloatArray, FloatArray, FloatArray]:
    n = s["n"].to_numpy(dtype=float)
    sx = s["sum_x"].to_numpy(dtype=float)
    sxx = s["sum_x2"].to_numpy(dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(n > 0, sx / n, np.nan)
        var = np.where(n > 1, (sxx - n * mean * mean) / (n - 1.0), np.nan)
    return n, mean, np.sqrt(np.clip(var, 0.0, None))


def _pooled_sd(var1: FloatArray, n1: FloatArray, var0: FloatArray, n0: FloatArray) -> FloatArray:
    """Pooled SD from two sample variances (n - 1 denominators)."""
    with np.errstate(invalid="ignore", divide="ignore"):
        num = (n1 - 1.0) * var1 + (n0 - 1.0) * var0
        return np.sqrt(np.where(n1 + n0 > 2, num / (n1 + n0 - 2.0), np.nan))


def cohens_h(p1: ArrayLike, p0: ArrayLike) -> FloatArray:
    """Cohen's h for two proportions: ``2 asin(sqrt(p1)) - 2 asin(sqrt(p0))``.

    Args:
        p1: first proportion(s), as shares in [0, 1].
        p0: second proportion(s).

    Returns:
        Float array of h (positive when ``p1 > p0``).

    Example:
        >>> round(float(cohens_h(0.6, 0.45)[0]), 4)
        0.3015
    """
    a = np.atleast_1d(np.asarray(p1, dtype=float))
    b = np.atleast_1d(np.asarray(p0, dtype=float))
    return 2.0 * np.arcsin(np.sqrt(a)) - 2.0 * np.arcsin(np.sqrt(b))


def _categories(s: pd.DataFrame) -> FloatArray:
    """Promoters, passives and detractors per row (passives are the rest of ``n``)."""
    n = s["n"].to_numpy(dtype=float)
    p, d = s["promoters"].to_numpy(dtype=float), s["detractors"].to_numpy(dtype=float)
    return np.column_stack([p, n - p - d, d])


def _compare_nps(a: pd.DataFrame, b: pd.DataFrame, z: float) -> dict[str, FloatArray]:
    n1, n0 = a["n"].to_numpy(dtype=float), b["n"].to_numpy(dtype=float)
    v1, se1 = nps_estimate(a["promoters"], a["detractors"], n1)
    v0, se0 = nps_estimate(b["promoters"], b["detractors"], n0)
    se = np.sqrt(se1**2 + se0**2)
    # per-answer variance of the -1/0/+1 scores, n - 1 denominator: (se/100)^2 * n * n/(n-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        s1 = np.where(n1 > 1, (se1 / 100.0) ** 2 * n1 * n1 / (n1 - 1.0), np.nan)
        s0 = np.where(n0 > 1, (se0 / 100.0) ** 2 * n0 * n0 / (n0 - 1.0), np.nan)
        effect = (v1 - v0) / 100.0 / _pooled_sd(s1, n1, s0, n0)
    return {
        "value": v1,
        "comparison_value": v0,
        "se": se,
        # z-test on the two SEs, exact permutation test below an expected count of 5
        "p_value": nps_change_test(_categories(a), _categories(b), se1, se0)[0],
        "effect_size": effect,
        "_q": np.full(v1.shape, z),
    }


def _compare_share(a: pd.DataFrame, b: pd.DataFrame, z: float, count: str) -> dict[str, FloatArray]:
    n1, n0 = a["n"].to_numpy(dtype=float), b["n"].to_numpy(dtype=float)
    x1, x0 = a[count].to_numpy(dtype=float), b[count].to_numpy(dtype=float)
    p1, p0 = _shares(x1, n1), _shares(x0, n0)
    with np.errstate(invalid="ignore", divide="ignore"):
        se = 100.0 * np.sqrt(p1 * (1.0 - p1) / n1 + p0 * (1.0 - p0) / n0)
    return {
        "value": 100.0 * p1,
        "comparison_value": 100.0 * p0,
        "se": se,
        # pooled z-test, Fisher's exact test below an expected count of 5
        "p_value": two_proportion_test(x1, n1, x0, n0)[0],
        "effect_size": cohens_h(p1, p0),
        "_q": np.full(p1.shape, z),
    }


def welch_df(sd1: FloatArray, n1: FloatArray, sd0: FloatArray, n0: FloatArray) -> FloatArray:
    """Welch-Satterthwaite degrees of freedom of a difference of two means.

    Example:
        >>> round(float(welch_df(np.array([1.0]), np.array([30.0]),
        ...                      np.array([1.2]), np.array([40.0]))[0]), 2)
        67.19
    """
    with np.errstate(invalid="ignore", divide="ignore"):
        v1, v0 = sd1**2 / n1, sd0**2 / n0
        return (v1 + v0) ** 2 / (v1**2 / (n1 - 1.0) + v0**2 / (n0 - 1.0))


def _compare_ces(a: pd.DataFrame, b: pd.DataFrame, confidence: float) -> dict[str, FloatArray]:
    n1, m1, sd1 = _mean_sd(a)
    n0, m0, sd0 = _mean_sd(b)
    with np.errstate(invalid="ignore", divide="ignore"):
        se = np.sqrt(sd1**2 / n1 + sd0**2 / n0)
        effect = (m1 - m0) / _pooled_sd(sd1**2, n1, sd0**2, n0)
    df = welch_df(sd1, n1, sd0, n0)
    ok = np.isfinite(df) & (df > 0)
    q = np.where(ok, _st.t.ppf(0.5 + confidence / 2.0, np.where(ok, df, 1.0)), np.nan)
    return {
        "value": m1,
        "comparison_value": m0,
        "se": se,
        "p_value": welch_t_test(m1, sd1, n1, m0, sd0, n0),
        "effect_size": effect,
        "_q": q,
    }


def compare(
    metric: str, a: pd.DataFrame, b: pd.DataFrame, confidence: float = 0.95
) -> pd.DataFrame:
    """Compare pooled group ``a`` with pooled group ``b``, row by row.

    The difference is ``value(a) - value(b)`` on the metric's scale, with the test the
    metric uses for its period-on-period change:

    * NPS: trinomial standard errors; interval ``diff ± z sqrt(se_a² + se_b²)``, z-test;
      effect size = difference (as a share) / pooled SD of the -1/0/+1 scores.
    * CSAT, churn: shares; Wald interval ``diff ± z sqrt(p_a q_a/n_a + p_b q_b/n_b)``,
      pooled two-proportion z-test, Cohen's h.
    * CES: means; Welch interval and t-test, Cohen's d with the pooled SD.

    Args:
        metric: nps, csat, ces or churn.
        a: frame with the :data:`STATS` columns of ``metric`` (pooled counts).
        b: frame of the same length and columns (the comparison group).
        confidence: two-sided confidence level of the interval.

    Returns:
        DataFrame with columns value, comparison_value, difference, se, ci_low, ci_high,
        p_value, effect_size (one row per row of ``a``).

    Example:
        >>> a = pd.DataFrame({"n": [100.0], "promoters": [60.0], "detractors": [15.0]})
        >>> b = pd.DataFrame({"n": [100.0], "promoters": [45.0], "detractors": [20.0]})
        >>> compare("nps", a, b).round(4)[["difference", "ci_low", "ci_high"]].values.tolist()
        [[20.0, -0.8807, 40.8807]]
    """
    check_metric(metric)
    if len(a) != len(b):
        raise ArgumentError(f"compare needs frames of equal length; got {len(a)} and {len(b)}")
    a = a.reset_index(drop=True)
    b = b.reset_index(drop=True)
    z = z_value(confidence)
    if metric == "nps":
        got = _compare_nps(a, b, z)
    elif metric == "ces":
        got = _compare_ces(a, b, confidence)
    else:
        got = _compare_share(a, b, z, "satisfied" if metric == "csat" else "lost")
    diff = got["value"] - got["comparison_value"]
    half = got.pop("_q") * got["se"]
    out = pd.DataFrame(got)
    out["difference"] = diff
    out["ci_low"] = diff - half
    out["ci_high"] = diff + half
    return out[list(COMPARE_COLUMNS)]


def difference_of_differences_p(
    d1: ArrayLike, se1: ArrayLike, d0: ArrayLike, se0: ArrayLike
) -> FloatArray:
    """Two-sided z-test that two independent differences are equal.

    Example:
        >>> round(float(difference_of_differences_p([-30.0], [8.0], [-8.0], [3.0])[0]), 4)
        0.01
    """
    e1, s1, e0, s0 = (np.atleast_1d(np.asarray(v, dtype=float)) for v in (d1, se1, d0, se0))
    return z_test_p(e1 - e0, np.sqrt(s1**2 + s0**2))
