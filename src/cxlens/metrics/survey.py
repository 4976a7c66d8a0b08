"""Survey metrics on ``responses``: NPS, CSAT (top-2-box) and CES, with intervals and trends.

Each function aggregates in the engine (counts, sums, variances per group and period) and
computes estimates, intervals and period-on-period tests on that small result in pandas.
"""

from __future__ import annotations

from collections.abc import Sequence

import ibis.expr.types as ir
import numpy as np
import pandas as pd

from cxlens.metrics._common import (
    MetricPlan,
    aggregate,
    check_by,
    group_keys,
    metric_plan,
    with_period,
)
from cxlens.metrics.periods import check_every
from cxlens.metrics.stats import (
    check_confidence,
    check_min_n,
    difference_z_test,
    nps_estimate,
    t_interval,
    two_proportion_z_test,
    welch_t_test,
    wilson_interval,
    z_value,
)
from cxlens.store.query import is_present, require_numeric, require_temporal

#: Time column of ``responses`` used for periods.
TIME_COLUMN = "responded_at"


def _prepare(
    responses: ir.Table,
    score: str,
    by: Sequence[str] | str | None,
    every: str | None,
    confidence: float,
    min_n: int,
) -> tuple[ir.Table, list[str], str | None]:
    every = check_every(every)
    check_confidence(confidence)
    check_min_n(min_n)
    cols = check_by(by, responses, "responses")
    require_numeric(responses, "responses", score)
    if every is not None:
        require_temporal(responses, "responses", TIME_COLUMN)
    rows = responses.filter(is_present(responses[score]))
    return with_period(rows, TIME_COLUMN, every), cols, every


def plan_nps(
    responses: ir.Table,
    *,
    by: Sequence[str] | str | None = None,
    every: str | None = None,
    confidence: float = 0.95,
    min_n: int = 30,
) -> MetricPlan:
    """Plan the NPS query (see :func:`nps`); ``.sql()`` shows it, ``.run()`` runs it."""
    rows, cols, every = _prepare(responses, "nps", by, every, confidence, min_n)
    s = rows["nps"]
    expr = aggregate(
        rows,
        group_keys(cols, every),
        n=rows.count(),
        promoters=(s >= 9).ifelse(1, 0).sum().cast("int64"),
        passives=((s >= 7) & (s < 9)).ifelse(1, 0).sum().cast("int64"),
        detractors=(s < 7).ifelse(1, 0).sum().cast("int64"),
    )
    z = z_value(confidence)

    def estimate(df: pd.DataFrame) -> pd.DataFrame:
        value, se = nps_estimate(df["promoters"], df["detractors"], df["n"])
        df["value"] = value
        df["_se"] = se
        df["ci_low"] = np.clip(value - z * se, -100.0, 100.0)
        df["ci_high"] = np.clip(value + z * se, -100.0, 100.0)
        for c in ("promoters", "passives", "detractors"):
            df[c] = df[c].astype("int64")
        return df

    def test(cur: pd.DataFrame, old: pd.DataFrame) -> np.ndarray:
        return difference_z_test(cur["value"], cur["_se"], old["value"], old["_se"])

    return metric_plan(
        "NPS",
        expr,
        by=cols,
        every=every,
        confidence=confidence,
        min_n=min_n,
        estimate=estimate,
        change_test=test,
        extra=("promoters", "passives", "detractors"),
    )


def nps(
    responses: ir.Table,
    *,
    by: Sequence[str] | str | None = None,
    every: str | None = None,
    confidence: float = 0.95,
    min_n: int = 30,
) -> pd.DataFrame:
    """Net Promoter Score with a trinomial (Wald) interval, optionally by group and period.

    Answers 9-10 are promoters, 7-8 passives, 0-6 detractors; nulls are ignored. The score is
    ``100 * (P - D) / n`` and its variance ``(p + d - (p - d)**2) / n`` on shares; the
    interval is clipped to [-100, 100]. A change is tested with a z-test on the two
    independent variances.

    Args:
        responses: Ibis table with a numeric ``nps`` column (0-10) and, when ``every`` is
            given, ``responded_at``.
        by: grouping columns of ``responses``.
        every: time grain, one of day, week (Monday start), month, quarter, year.
        confidence: two-sided confidence level of the interval and the change test.
        min_n: groups with fewer answers are flagged ``small_sample``.

    Returns:
        DataFrame with columns ``*by, [period], n, value, ci_low, ci_high, change, p_value,
        significant, small_sample, promoters, passives, detractors``, sorted by
        ``*by, period``.

    Raises:
        SchemaError: a ``by`` column or ``nps`` is missing, or ``nps`` is not numeric.
        ArgumentError: unknown ``every``, ``confidence`` outside (0, 1) or negative ``min_n``.
        EngineError: the engine failed; the message holds the SQL.

    Example:
        >>> import ibis
        >>> t = ibis.memtable({"nps": [0, 7, 9, 10]})
        >>> nps(t)[["n", "value", "promoters", "detractors"]].to_dict("records")
        [{'n': 4, 'value': 25.0, 'promoters': 2, 'detractors': 1}]
    """
    return plan_nps(responses, by=by, every=every, confidence=confidence, min_n=min_n).run()


def plan_csat(
    responses: ir.Table,
    *,
    by: Sequence[str] | str | None = None,
    every: str | None = None,
    confidence: float = 0.95,
    min_n: int = 30,
) -> MetricPlan:
    """Plan the CSAT query (see :func:`csat`); ``.sql()`` shows it, ``.run()`` runs it."""
    rows, cols, every = _prepare(responses, "csat", by, every, confidence, min_n)
    expr = aggregate(
        rows,
        group_keys(cols, every),
        n=rows.count(),
        satisfied=(rows["csat"] >= 4).ifelse(1, 0).sum().cast("int64"),
    )

    def estimate(df: pd.DataFrame) -> pd.DataFrame:
        n = df["n"].to_numpy(dtype=float)
        x = df["satisfied"].to_numpy(dtype=float)
        with np.errstate(invalid="ignore", divide="ignore"):
            df["value"] = np.where(n > 0, 100.0 * x / n, np.nan)
        low, high = wilson_interval(x, n, confidence)
        df["ci_low"] = 100.0 * low
        df["ci_high"] = 100.0 * high
        df["satisfied"] = df["satisfied"].astype("int64")
        return df

    def test(cur: pd.DataFrame, old: pd.DataFrame) -> np.ndarray:
        return two_proportion_z_test(cur["satisfied"], cur["n"], old["satisfied"], old["n"])

    return metric_plan(
        "CSAT",
        expr,
        by=cols,
        every=every,
        confidence=confidence,
        min_n=min_n,
        estimate=estimate,
        change_test=test,
        extra=("satisfied",),
    )


def csat(
    responses: ir.Table,
    *,
    by: Sequence[str] | str | None = None,
    every: str | None = None,
    confidence: float = 0.95,
    min_n: int = 30,
) -> pd.DataFrame:
    """CSAT as the top-2-box share (4 or 5 on 1-5) in percent, with a Wilson interval.

    Nulls are ignored. A change between consecutive periods is tested with the pooled
    two-proportion z-test.

    Args:
        responses: Ibis table with a numeric ``csat`` column (1-5) and, when ``every`` is
            given, ``responded_at``.
        by: grouping columns of ``responses``.
        every: time grain, one of day, week (Monday start), month, quarter, year.
        confidence: two-sided confidence level of the interval and the change test.
        min_n: groups with fewer answers are flagged ``small_sample``.

    Returns:
        DataFrame with columns ``*by, [period], n, value, ci_low, ci_high, change, p_value,
        significant, small_sample, satisfied``, sorted by ``*by, period``.

    Raises:
        SchemaError: a ``by`` column or ``csat`` is missing, or ``csat`` is not numeric.
        ArgumentError: unknown ``every``, ``confidence`` outside (0, 1) or negative ``min_n``.
        EngineError: the engine failed; the message holds the SQL.

    Example:
        >>> import ibis
        >>> t = ibis.memtable({"csat": [5] * 42 + [4] * 32 + [3] * 10 + [2] * 9 + [1] * 14})
        >>> round(float(csat(t)["value"][0]), 2)
        69.16
    """
    return plan_csat(responses, by=by, every=every, confidence=confidence, min_n=min_n).run()


def plan_ces(
    responses: ir.Table,
    *,
    by: Sequence[str] | str | None = None,
    every: str | None = None,
    confidence: float = 0.95,
    min_n: int = 30,
) -> MetricPlan:
    """Plan the CES query (see :func:`ces`); ``.sql()`` shows it, ``.run()`` runs it."""
    rows, cols, every = _prepare(responses, "ces", by, every, confidence, min_n)
    x = rows["ces"].cast("float64")
    expr = aggregate(
        rows,
        group_keys(cols, every),
        n=rows.count(),
        sum_x=x.sum(),
        sum_x2=(x * x).sum(),
    )

    def estimate(df: pd.DataFrame) -> pd.DataFrame:
        n = df["n"].to_numpy(dtype=float)
        sx = df["sum_x"].to_numpy(dtype=float)
        sxx = df["sum_x2"].to_numpy(dtype=float)
        with np.errstate(invalid="ignore", divide="ignore"):
            mean = np.where(n > 0, sx / n, np.nan)
            var = np.where(n > 1, (sxx - n * mean * mean) / (n - 1.0), np.nan)
        sd = np.sqrt(np.clip(var, 0.0, None))
        low, high = t_interval(mean, sd, n, confidence)
        df["value"] = mean
        df["sd"] = sd
        df["ci_low"] = np.clip(low, 1.0, 7.0)
        df["ci_high"] = np.clip(high, 1.0, 7.0)
        return df

    def test(cur: pd.DataFrame, old: pd.DataFrame) -> np.ndarray:
        return welch_t_test(cur["value"], cur["sd"], cur["n"], old["value"], old["sd"], old["n"])

    return metric_plan(
        "CES",
        expr,
        by=cols,
        every=every,
        confidence=confidence,
        min_n=min_n,
        estimate=estimate,
        change_test=test,
        extra=("sd",),
    )


def ces(
    responses: ir.Table,
    *,
    by: Sequence[str] | str | None = None,
    every: str | None = None,
    confidence: float = 0.95,
    min_n: int = 30,
) -> pd.DataFrame:
    """Compute the Customer Effort Score: mean of ``ces`` (1-7) with a Student-t interval.

    The engine returns n, the sum and the sum of squares per group, from which the mean and
    the sample standard deviation follow; the interval is ``mean ± t(n-1) * sd / sqrt(n)``
    clipped to [1, 7], and a change is tested with Welch's t-test. Nulls are ignored.

    Args:
        responses: Ibis table with a numeric ``ces`` column (1-7) and, when ``every`` is
            given, ``responded_at``.
        by: grouping columns of ``responses``.
        every: time grain, one of day, week (Monday start), month, quarter, year.
        confidence: two-sided confidence level of the interval and the change test.
        min_n: groups with fewer answers are flagged ``small_sample``.

    Returns:
        DataFrame with columns ``*by, [period], n, value, ci_low, ci_high, change, p_value,
        significant, small_sample, sd``, sorted by ``*by, period``.

    Raises:
        SchemaError: a ``by`` column or ``ces`` is missing, or ``ces`` is not numeric.
        ArgumentError: unknown ``every``, ``confidence`` outside (0, 1) or negative ``min_n``.
        EngineError: the engine failed; the message holds the SQL.

    Example:
        >>> import ibis
        >>> t = ibis.memtable({"ces": [5, 6, 7, 6]})
        >>> ces(t)[["n", "value"]].to_dict("records")
        [{'n': 4, 'value': 6.0}]
    """
    return plan_ces(responses, by=by, every=every, confidence=confidence, min_n=min_n).run()
