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
    MetricArgs,
    MetricPlan,
    aggregate,
    check_metric_args,
    coverage_when,
    group_keys,
    metric_plan,
    with_period,
)
from cxlens.metrics.definitions import is_detractor, is_promoter, is_satisfied
from cxlens.metrics.stats import (
    ADJUSTED_WALD,
    STUDENT_T,
    WELCH,
    WILSON,
    nps_adjusted_wald_interval,
    nps_change_test,
    nps_estimate,
    t_interval,
    two_proportion_test,
    welch_t_test,
    wilson_interval,
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
) -> tuple[ir.Table, MetricArgs]:
    """Check the settings and ``score``; return the answered rows (with ``period``)."""
    args = check_metric_args(by, responses, "responses", every, confidence, min_n)
    require_numeric(responses, "responses", score)
    if args.every is not None:
        require_temporal(responses, "responses", TIME_COLUMN)
    rows = responses.filter(is_present(responses[score]))
    return with_period(rows, TIME_COLUMN, args.every), args


def _counts(rows: ir.Table, args: MetricArgs, **sums: ir.Scalar) -> ir.Table:
    """Engine query: ``n`` and ``sums`` per group and period, with the answer-time coverage."""
    keys = group_keys(args.by, args.every)
    return aggregate(
        rows, keys, n=rows.count(), **sums, **coverage_when(rows, TIME_COLUMN, args.every)
    )


def plan_nps(
    responses: ir.Table,
    *,
    by: Sequence[str] | str | None = None,
    every: str | None = None,
    confidence: float = 0.95,
    min_n: int = 30,
) -> MetricPlan:
    """Plan the NPS query (see :func:`nps`); ``.sql()`` shows it, ``.run()`` runs it."""
    rows, args = _prepare(responses, "nps", by, every, confidence, min_n)
    s = rows["nps"]
    expr = _counts(
        rows,
        args,
        promoters=is_promoter(s).ifelse(1, 0).sum().cast("int64"),
        passives=(~is_promoter(s) & ~is_detractor(s)).ifelse(1, 0).sum().cast("int64"),
        detractors=is_detractor(s).ifelse(1, 0).sum().cast("int64"),
    )
    categories = ["promoters", "passives", "detractors"]

    def estimate(df: pd.DataFrame) -> pd.DataFrame:
        value, se = nps_estimate(df["promoters"], df["detractors"], df["n"])
        low, high = nps_adjusted_wald_interval(
            df["promoters"], df["detractors"], df["n"], confidence
        )
        df["value"] = value
        df["_se"] = se
        df["ci_low"] = low
        df["ci_high"] = high
        for c in categories:
            df[c] = df[c].astype("int64")
        return df

    def test(cur: pd.DataFrame, old: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
        return nps_change_test(
            cur[categories].to_numpy(float),
            old[categories].to_numpy(float),
            cur["_se"],
            old["_se"],
        )

    return metric_plan(
        "NPS",
        expr,
        **args.settings(),
        estimate=estimate,
        change_test=test,
        ci_method=ADJUSTED_WALD,
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
    """Net Promoter Score with an adjusted-Wald interval, optionally by group and period.

    Answers 9-10 are promoters, 7-8 passives, 0-6 detractors; nulls are ignored. The score is
    ``100 * (P - D) / n``; the interval is Rocks's (2016) adjusted Wald
    (:func:`~cxlens.metrics.stats.nps_adjusted_wald_interval`), clipped to [-100, 100], which
    keeps a positive width at any n. A change is tested with a z-test on the two trinomial
    variances ``(p + d - (p - d)**2) / n``, or exactly
    (:func:`~cxlens.metrics.stats.nps_exact_p`) when an expected count is below 5.

    Args:
        responses: Ibis table with a numeric ``nps`` column (0-10) and, when ``every`` is
            given, ``responded_at``.
        by: grouping columns of ``responses``.
        every: time grain, one of day, week (Monday start), month, quarter, year.
        confidence: two-sided confidence level of the interval and the change test.
        min_n: groups with fewer answers are flagged ``small_sample``.

    Returns:
        DataFrame with columns ``*by, [period], n, value, ci_low, ci_high, change, p_value,
        significant, small_sample, partial, ci_method, test, promoters, passives,
        detractors``, sorted by ``*by, period``.

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
    rows, args = _prepare(responses, "csat", by, every, confidence, min_n)
    expr = _counts(
        rows, args, satisfied=is_satisfied(rows["csat"]).ifelse(1, 0).sum().cast("int64")
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

    def test(cur: pd.DataFrame, old: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
        return two_proportion_test(cur["satisfied"], cur["n"], old["satisfied"], old["n"])

    return metric_plan(
        "CSAT",
        expr,
        **args.settings(),
        estimate=estimate,
        change_test=test,
        ci_method=WILSON,
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
    two-proportion z-test, or Fisher's exact test when an expected count is below 5.

    Args:
        responses: Ibis table with a numeric ``csat`` column (1-5) and, when ``every`` is
            given, ``responded_at``.
        by: grouping columns of ``responses``.
        every: time grain, one of day, week (Monday start), month, quarter, year.
        confidence: two-sided confidence level of the interval and the change test.
        min_n: groups with fewer answers are flagged ``small_sample``.

    Returns:
        DataFrame with columns ``*by, [period], n, value, ci_low, ci_high, change, p_value,
        significant, small_sample, partial, ci_method, test, satisfied``, sorted by
        ``*by, period``.

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
    rows, args = _prepare(responses, "ces", by, every, confidence, min_n)
    x = rows["ces"].cast("float64")
    expr = _counts(rows, args, sum_x=x.sum(), sum_x2=(x * x).sum())

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

    def test(cur: pd.DataFrame, old: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
        p = welch_t_test(cur["value"], cur["sd"], cur["n"], old["value"], old["sd"], old["n"])
        return p, np.full(len(p), WELCH, dtype=object)

    return metric_plan(
        "CES",
        expr,
        **args.settings(),
        estimate=estimate,
        change_test=test,
        ci_method=STUDENT_T,
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
        significant, small_sample, partial, ci_method, test, sd``, sorted by ``*by, period``.

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
