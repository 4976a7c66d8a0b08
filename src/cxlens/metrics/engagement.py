"""Social engagement rate on ``posts``: interactions per reach, as a ratio estimator."""

from __future__ import annotations

from collections.abc import Sequence

import ibis
import ibis.expr.types as ir
import numpy as np
import pandas as pd

from cxlens.errors import SchemaError
from cxlens.metrics._common import (
    MetricPlan,
    aggregate,
    check_metric_args,
    coverage_when,
    group_keys,
    metric_plan,
    with_period,
)
from cxlens.metrics.stats import (
    DELTA_METHOD,
    Z_INDEPENDENT,
    difference_z_test,
    ratio_estimate,
    z_value,
)
from cxlens.store.query import is_present, require_numeric, require_temporal, zero_if_missing

#: Time column of ``posts`` used for periods.
TIME_COLUMN = "posted_at"

#: Interaction columns summed into a post's engagement (a missing or null one counts 0).
INTERACTIONS: tuple[str, ...] = ("likes", "shares", "comments")


def plan_engagement(
    posts: ir.Table,
    *,
    by: Sequence[str] | str | None = None,
    every: str | None = None,
    confidence: float = 0.95,
    min_n: int = 30,
) -> MetricPlan:
    """Plan the engagement query (see :func:`engagement`); ``.sql()`` shows it."""
    args = check_metric_args(by, posts, "posts", every, confidence, min_n)
    require_numeric(posts, "posts", "reach")
    present = [c for c in INTERACTIONS if c in posts.columns]
    if not present:
        raise SchemaError(
            "posts has none of the interaction columns likes, shares, comments; available "
            f"columns: {', '.join(posts.columns)}"
        )
    for c in present:
        require_numeric(posts, "posts", c)
    if args.every is not None:
        require_temporal(posts, "posts", TIME_COLUMN)

    rows = posts.filter(is_present(posts["reach"]) & (posts["reach"] > 0))
    e = ibis.literal(0.0)
    for c in present:
        e = e + zero_if_missing(rows[c])
    r = rows["reach"].cast("float64")
    rows = with_period(rows.mutate(_e=e, _r=r), TIME_COLUMN, args.every)
    e, r = rows["_e"], rows["_r"]
    expr = aggregate(
        rows,
        group_keys(args.by, args.every),
        n=rows.count(),
        interactions=e.sum(),
        reach=r.sum(),
        sum_e2=(e * e).sum(),
        sum_r2=(r * r).sum(),
        sum_er=(e * r).sum(),
        **coverage_when(rows, TIME_COLUMN, args.every),
    )
    z = z_value(confidence)

    def estimate(df: pd.DataFrame) -> pd.DataFrame:
        n = df["n"].to_numpy(dtype=float)
        se_, sr = df["interactions"].to_numpy(float), df["reach"].to_numpy(float)
        with np.errstate(invalid="ignore", divide="ignore"):
            ebar, rbar = se_ / n, sr / n
            dof = np.where(n > 1, n - 1.0, np.nan)
            s_ee = (df["sum_e2"].to_numpy(float) - n * ebar * ebar) / dof
            s_rr = (df["sum_r2"].to_numpy(float) - n * rbar * rbar) / dof
            s_er = (df["sum_er"].to_numpy(float) - n * ebar * rbar) / dof
        ratio, se = ratio_estimate(se_, sr, n, s_ee, s_rr, s_er)
        df["value"] = 100.0 * ratio
        df["_se"] = 100.0 * se
        df["ci_low"] = np.clip(df["value"] - z * df["_se"], 0.0, None)
        df["ci_high"] = df["value"] + z * df["_se"]
        df["interactions"] = df["interactions"].astype("float64")
        df["reach"] = df["reach"].astype("float64")
        return df

    def test(cur: pd.DataFrame, old: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
        p = difference_z_test(cur["value"], cur["_se"], old["value"], old["_se"])
        return p, np.full(len(p), Z_INDEPENDENT, dtype=object)

    return metric_plan(
        "engagement rate",
        expr,
        **args.settings(),
        estimate=estimate,
        change_test=test,
        ci_method=DELTA_METHOD,
        extra=("interactions", "reach"),
    )


def engagement(
    posts: ir.Table,
    *,
    by: Sequence[str] | str | None = None,
    every: str | None = None,
    confidence: float = 0.95,
    min_n: int = 30,
) -> pd.DataFrame:
    """Engagement rate: ``100 * sum(likes + shares + comments) / sum(reach)`` over posts.

    Only posts with ``reach > 0`` count; a null (or absent) likes, shares or comments counts
    as 0. The interval comes from the ratio estimator's delta-method variance
    ``(s_ee - 2 R s_er + R**2 s_rr) / (n * rbar**2)``, with per-post sums computed in the
    engine; a change is tested with a z-test. ``n`` is the number of posts.

    Args:
        posts: Ibis table with ``reach``, at least one of ``likes``/``shares``/``comments``
            and, when ``every`` is given, ``posted_at``.
        by: grouping columns of ``posts`` (e.g. ``["brand"]`` or ``["platform"]``).
        every: time grain, one of day, week (Monday start), month, quarter, year.
        confidence: two-sided confidence level of the interval and the change test.
        min_n: groups with fewer posts are flagged ``small_sample``.

    Returns:
        DataFrame with columns ``*by, [period], n, value, ci_low, ci_high, change, p_value,
        significant, small_sample, partial, ci_method, test, interactions, reach``, sorted by
        ``*by, period``.

    Raises:
        SchemaError: a ``by`` column or ``reach`` is missing, or no interaction column exists.
        ArgumentError: unknown ``every``, ``confidence`` outside (0, 1) or negative ``min_n``.
        EngineError: the engine failed; the message holds the SQL.

    Example:
        >>> import ibis
        >>> t = ibis.memtable(
        ...     {"likes": [10, 5], "shares": [2, None], "comments": [3, 0], "reach": [100, 200]}
        ... )
        >>> engagement(t)[["n", "value", "interactions", "reach"]].to_dict("records")
        [{'n': 2, 'value': 6.666666666666667, 'interactions': 20.0, 'reach': 300.0}]
    """
    return plan_engagement(posts, by=by, every=every, confidence=confidence, min_n=min_n).run()
