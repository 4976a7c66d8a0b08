"""Customer churn per period: contractual (from churn dates) and non-contractual (inactivity).

For each period of the spine, ``at_start`` counts customers with ``first_seen`` before the
period start and no churn before it; ``lost`` counts those of them whose ``churned_at``
falls inside the period. The counting is a cross join of a small periods table with the
customers, aggregated in the engine.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import cast

import ibis
import ibis.expr.types as ir
import numpy as np
import pandas as pd

from cxlens.errors import ArgumentError, NotEnoughDataError, SchemaError
from cxlens.metrics._common import MetricPlan, check_by, metric_plan
from cxlens.metrics.periods import check_every, period_step, truncate
from cxlens.metrics.stats import (
    check_confidence,
    check_min_n,
    two_proportion_z_test,
    wilson_interval,
)
from cxlens.store.query import require_columns, require_temporal, run

#: Most periods a churn spine may hold (about 27 years of days); guards the cross join.
MAX_PERIODS = 10_000


def _spine(first: pd.Timestamp, last: pd.Timestamp, every: str) -> ir.Table:
    """Small table of periods ``[period, period_end)`` from ``first`` to ``last`` inclusive."""
    step = period_step(every)
    starts: list[pd.Timestamp] = []
    p = pd.Timestamp(first)
    while p <= last:
        starts.append(p)
        if len(starts) > MAX_PERIODS:
            raise ArgumentError(
                f"the churn spine from {first:%Y-%m-%d} to {last:%Y-%m-%d} has more than "
                f"{MAX_PERIODS} {every} periods; use a coarser grain"
            )
        p = p + step
    frame = pd.DataFrame(
        {
            "period": pd.to_datetime(starts).astype("datetime64[us]"),
            "period_end": pd.to_datetime([s + step for s in starts]).astype("datetime64[us]"),
        }
    )
    return ibis.memtable(frame, schema={"period": "timestamp", "period_end": "timestamp"})


def _counts(lifetimes: ir.Table, by: list[str], spine: ir.Table) -> ir.Table:
    """Engine query: at_start and lost per group and period."""
    life = lifetimes.filter(lifetimes["first_seen"].notnull()).select(
        *by, "first_seen", "churned_at"
    )
    j = life.cross_join(spine)
    churned = j["churned_at"]
    at_start = (j["first_seen"] < j["period"]) & (churned.isnull() | (churned >= j["period"]))
    lost = at_start & churned.notnull() & (churned < j["period_end"])
    return j.group_by([*by, "period"]).aggregate(
        at_start=at_start.ifelse(1, 0).sum().cast("int64"),
        lost=lost.ifelse(1, 0).sum().cast("int64"),
    )


def _range(bounds: ir.Table, name: str, hint: str) -> pd.Series:
    """Execute the one-row bounds query; raise NotEnoughDataError when it is empty."""
    got = run(bounds, f"the {name} period range")
    if got.empty or pd.isna(got["first_period"].iloc[0]) or pd.isna(got["last_period"].iloc[0]):
        raise NotEnoughDataError(f"cannot compute {name}: {hint}")
    return got.iloc[0]


def _plan(
    lifetimes: ir.Table,
    bounds: pd.Series,
    by: list[str],
    every: str,
    confidence: float,
    min_n: int,
    name: str,
) -> MetricPlan:
    first = pd.Timestamp(bounds["first_period"])
    last = max(pd.Timestamp(bounds["last_period"]), first)
    expr = _counts(lifetimes, by, _spine(first, last, every))

    def estimate(df: pd.DataFrame) -> pd.DataFrame:
        n = df["at_start"].to_numpy(dtype=float)
        lost = df["lost"].to_numpy(dtype=float)
        with np.errstate(invalid="ignore", divide="ignore"):
            value = np.where(n > 0, 100.0 * lost / n, np.nan)
        low, high = wilson_interval(lost, n, confidence)
        df["n"] = df["at_start"].astype("int64")
        df["value"] = value
        df["ci_low"] = 100.0 * low
        df["ci_high"] = 100.0 * high
        df["at_start"] = df["at_start"].astype("int64")
        df["lost"] = df["lost"].astype("int64")
        df["retention"] = 100.0 - value
        return df

    def test(cur: pd.DataFrame, old: pd.DataFrame) -> np.ndarray:
        return two_proportion_z_test(cur["lost"], cur["at_start"], old["lost"], old["at_start"])

    return metric_plan(
        name,
        expr,
        by=by,
        every=every,
        confidence=confidence,
        min_n=min_n,
        estimate=estimate,
        change_test=test,
        extra=("at_start", "lost", "retention"),
        keep_empty=True,
    )


def _check_args(
    by: Sequence[str] | str | None,
    table: ir.Table,
    table_name: str,
    every: str | None,
    confidence: float,
    min_n: int,
) -> tuple[list[str], str]:
    grain = cast(str, check_every(every, required=True))
    check_confidence(confidence)
    check_min_n(min_n)
    return check_by(by, table, table_name), grain


def plan_churn(
    customers: ir.Table,
    *,
    every: str = "month",
    by: Sequence[str] | str | None = None,
    confidence: float = 0.95,
    min_n: int = 30,
) -> MetricPlan:
    """Plan contractual churn (see :func:`churn`); runs one tiny query for the period range."""
    cols, grain = _check_args(by, customers, "customers", every, confidence, min_n)
    require_temporal(customers, "customers", "first_seen")
    require_temporal(customers, "customers", "churned_at")
    fs, ch = customers["first_seen"], customers["churned_at"]
    last = ibis.greatest(fs.max(), ch.max().fill_null(fs.max()))
    bounds = customers.aggregate(
        first_period=truncate(fs.min(), grain), last_period=truncate(last, grain)
    )
    got = _range(
        bounds,
        "churn",
        "no customer has a first_seen date; load customers with first_seen (and churned_at)",
    )
    return _plan(customers, got, cols, grain, confidence, min_n, "churn")


def churn(
    customers: ir.Table,
    *,
    every: str = "month",
    by: Sequence[str] | str | None = None,
    confidence: float = 0.95,
    min_n: int = 30,
) -> pd.DataFrame:
    """Contractual churn rate per period from ``customers.first_seen`` and ``churned_at``.

    For a period starting at ``s`` and ending before ``e``: ``at_start`` counts customers with
    ``first_seen < s`` and (``churned_at`` null or ``churned_at >= s``); ``lost`` counts those
    of them with ``churned_at < e``. The value is ``100 * lost / at_start`` with a Wilson
    interval, ``retention = 100 - value``, and a change is tested with the pooled
    two-proportion z-test. Periods run from the one holding the earliest ``first_seen`` to the
    one holding the latest ``first_seen`` or ``churned_at``; every group gets every period
    (``n`` is 0 and ``value`` NaN where nobody was at risk). Customers without ``first_seen``
    are left out.

    Args:
        customers: Ibis table with ``first_seen`` and ``churned_at`` (timestamps).
        every: time grain, one of day, week (Monday start), month, quarter, year.
        by: grouping columns of ``customers`` (e.g. ``["segment"]``).
        confidence: two-sided confidence level of the interval and the change test.
        min_n: periods with fewer customers at start are flagged ``small_sample``.

    Returns:
        DataFrame with columns ``*by, period, n, value, ci_low, ci_high, change, p_value,
        significant, small_sample, at_start, lost, retention`` (``n == at_start``), sorted by
        ``*by, period``.

    Raises:
        SchemaError: a ``by`` column, ``first_seen`` or ``churned_at`` is missing or mistyped.
        NotEnoughDataError: no customer has a ``first_seen``.
        ArgumentError: ``every`` missing or unknown, bad ``confidence`` or ``min_n``.
        EngineError: the engine failed; the message holds the SQL.

    Example:
        >>> import ibis, pandas as pd
        >>> t = ibis.memtable(
        ...     {
        ...         "first_seen": pd.to_datetime(["2024-01-05", "2024-01-10", "2024-01-20"]),
        ...         "churned_at": pd.to_datetime([None, "2024-02-15", None]),
        ...     }
        ... )
        >>> out = churn(t, every="month")
        >>> out[["at_start", "lost"]].values.tolist(), round(float(out["value"][1]), 2)
        ([[0, 0], [3, 1]], 33.33)
    """
    return plan_churn(customers, every=every, by=by, confidence=confidence, min_n=min_n).run()


def lifetimes_from_transactions(
    transactions: ir.Table,
    *,
    inactivity_days: int = 90,
    by: Sequence[str] | str | None = None,
    data_end: ir.Scalar | pd.Timestamp | None = None,
) -> ir.Table:
    """Engine expression deriving ``first_seen`` and ``churned_at`` from transactions.

    Per customer (and per ``by`` group): ``first_seen`` is the first transaction and
    ``churned_at = last transaction + inactivity_days`` when that moment is on or before
    ``data_end`` (default: the last transaction date in the data); otherwise the customer is
    still active and ``churned_at`` is null.

    Args:
        transactions: Ibis table with ``customer_id`` and ``occurred_at``.
        inactivity_days: days without a transaction after which a customer counts as lost.
        by: grouping columns of ``transactions``; a customer is followed separately in each
            group they bought in (churn from a category or channel).
        data_end: last date of the data; defaults to ``max(occurred_at)``.

    Returns:
        Ibis table with columns ``customer_id, *by, first_seen, churned_at``.

    Example:
        >>> import ibis, pandas as pd
        >>> t = ibis.memtable(
        ...     {
        ...         "customer_id": ["a", "a", "b"],
        ...         "occurred_at": pd.to_datetime(["2024-01-01", "2024-01-10", "2024-06-30"]),
        ...     }
        ... )
        >>> out = lifetimes_from_transactions(t).execute().sort_values("customer_id")
        >>> out["churned_at"].tolist()
        [Timestamp('2024-04-09 00:00:00'), NaT]
    """
    if isinstance(inactivity_days, bool) or not isinstance(inactivity_days, int | np.integer):
        raise ArgumentError(f"inactivity_days must be a positive integer; got {inactivity_days!r}")
    if inactivity_days <= 0:
        raise ArgumentError(f"inactivity_days must be a positive integer; got {inactivity_days!r}")
    cols = check_by(by, transactions, "transactions")
    require_columns(transactions, "transactions", "customer_id")
    require_temporal(transactions, "transactions", "occurred_at")
    if "customer_id" in cols:
        raise SchemaError("by cannot include customer_id: churn is counted over customers")
    t = transactions.filter(
        transactions["customer_id"].notnull() & transactions["occurred_at"].notnull()
    )
    when = t["occurred_at"].cast("timestamp")
    per = t.group_by(["customer_id", *cols]).aggregate(first_seen=when.min(), _last=when.max())
    if data_end is None:
        end: ir.Value = when.max().as_scalar()
    elif isinstance(data_end, ir.Value):
        end = data_end
    else:
        end = ibis.literal(pd.Timestamp(data_end), type="timestamp")
    lapse = per["_last"] + ibis.interval(days=int(inactivity_days))
    return per.select(
        "customer_id",
        *cols,
        "first_seen",
        churned_at=ibis.ifelse(lapse <= end, lapse, ibis.null("timestamp")),
    )


def plan_churn_from_transactions(
    transactions: ir.Table,
    *,
    inactivity_days: int = 90,
    every: str = "month",
    by: Sequence[str] | str | None = None,
    confidence: float = 0.95,
    min_n: int = 30,
) -> MetricPlan:
    """Plan non-contractual churn (see :func:`churn_from_transactions`)."""
    cols, grain = _check_args(by, transactions, "transactions", every, confidence, min_n)
    require_temporal(transactions, "transactions", "occurred_at")
    when = transactions["occurred_at"]
    bounds = transactions.aggregate(
        first_period=truncate(when.min(), grain),
        last_period=truncate(when.max(), grain),
        data_end=when.max().cast("timestamp"),
    )
    name = "churn from inactivity"
    got = _range(bounds, name, "the transactions table has no dated rows")
    life = lifetimes_from_transactions(
        transactions,
        inactivity_days=inactivity_days,
        by=cols,
        data_end=pd.Timestamp(got["data_end"]),
    )
    return _plan(life, got, cols, grain, confidence, min_n, name)


def churn_from_transactions(
    transactions: ir.Table,
    inactivity_days: int = 90,
    *,
    every: str = "month",
    by: Sequence[str] | str | None = None,
    confidence: float = 0.95,
    min_n: int = 30,
) -> pd.DataFrame:
    """Non-contractual churn rate per period, a customer counting as lost after inactivity.

    ``first_seen`` is a customer's first transaction; ``churned_at`` is the last transaction
    plus ``inactivity_days`` when that date is on or before the last transaction date in the
    data, else the customer is active. Both are derived in the engine
    (:func:`lifetimes_from_transactions`) and then counted exactly as in :func:`churn`.
    Periods run from the one holding the first transaction to the one holding the last.

    Args:
        transactions: Ibis table with ``customer_id`` and ``occurred_at``.
        inactivity_days: days without a transaction after which a customer counts as lost.
        every: time grain, one of day, week (Monday start), month, quarter, year.
        by: grouping columns of ``transactions``; a customer is followed separately in each
            group they bought in. To group by a customer attribute, join it on first.
        confidence: two-sided confidence level of the interval and the change test.
        min_n: periods with fewer customers at start are flagged ``small_sample``.

    Returns:
        DataFrame with the columns of :func:`churn`.

    Raises:
        SchemaError: ``customer_id``, ``occurred_at`` or a ``by`` column is missing.
        NotEnoughDataError: the table has no dated transactions.
        ArgumentError: ``every`` missing or unknown, bad ``inactivity_days``, ``confidence`` or
            ``min_n``.
        EngineError: the engine failed; the message holds the SQL.

    Example:
        >>> import ibis, pandas as pd
        >>> t = ibis.memtable(
        ...     {
        ...         "customer_id": ["a", "b", "b"],
        ...         "occurred_at": pd.to_datetime(["2024-01-02", "2024-01-03", "2024-03-30"]),
        ...     }
        ... )
        >>> out = churn_from_transactions(t, inactivity_days=30, every="month")
        >>> out[["period", "at_start", "lost"]].values.tolist()[1]
        [Timestamp('2024-02-01 00:00:00'), 2, 1]
    """
    return plan_churn_from_transactions(
        transactions,
        inactivity_days=inactivity_days,
        every=every,
        by=by,
        confidence=confidence,
        min_n=min_n,
    ).run()
