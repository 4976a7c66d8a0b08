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
from cxlens.metrics._common import MetricArgs, MetricPlan, check_by, check_metric_args, metric_plan
from cxlens.metrics.periods import period_step, truncate
from cxlens.metrics.stats import WILSON, two_proportion_test, wilson_interval
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


def _range(
    table: ir.Table, first: ir.Scalar, last: ir.Scalar, every: str, name: str, hint: str
) -> pd.Series:
    """Return the first and last period and the data's first and last time (one tiny query).

    ``first`` and ``last`` are the earliest and latest time of ``table``; the periods are
    theirs truncated to ``every``. Raises NotEnoughDataError (saying ``hint``) when the
    table holds no dated row.
    """
    bounds = table.aggregate(
        first_period=truncate(first, every),
        last_period=truncate(last, every),
        data_start=first.cast("timestamp"),
        data_end=last.cast("timestamp"),
    )
    got = run(bounds, f"the {name} period range")
    if got.empty or pd.isna(got["first_period"].iloc[0]) or pd.isna(got["last_period"].iloc[0]):
        raise NotEnoughDataError(f"cannot compute {name}: {hint}")
    return got.iloc[0]


def _plan(
    lifetimes: ir.Table,
    bounds: pd.Series,
    args: MetricArgs,
    name: str,
    lag_days: int | None = None,
) -> MetricPlan:
    """Plan the counting of ``lifetimes`` over the spine of ``bounds``.

    With ``lag_days`` (inactivity churn), a period is known only once ``lag_days`` of data
    after its end exist (:func:`known_from`); until then its value is NaN and its ``status``
    "not yet known".
    """
    every, confidence = cast(str, args.every), args.confidence
    first = pd.Timestamp(bounds["first_period"])
    last = max(pd.Timestamp(bounds["last_period"]), first)
    expr = _counts(lifetimes, args.by, _spine(first, last, every))
    coverage = (pd.Timestamp(bounds["data_start"]), pd.Timestamp(bounds["data_end"]))
    extra: tuple[str, ...] = ("at_start", "lost", "retention")
    if lag_days is not None:
        extra = (*extra, "status", "known_from")

    def estimate(df: pd.DataFrame) -> pd.DataFrame:
        n = df["at_start"].to_numpy(dtype=float)
        lost = df["lost"].to_numpy(dtype=float)
        known = np.ones(len(df), dtype=bool)
        if lag_days is not None:
            df["known_from"] = known_from(df["period"], every, lag_days)
            known = (df["known_from"] <= _cover_end(coverage[1])).to_numpy(bool)
            df["status"] = np.where(known, "known", "not yet known")
        with np.errstate(invalid="ignore", divide="ignore"):
            value = np.where((n > 0) & known, 100.0 * lost / n, np.nan)
        low, high = wilson_interval(lost, n, confidence)
        df["n"] = df["at_start"].astype("int64")
        df["value"] = value
        df["ci_low"] = np.where(known, 100.0 * low, np.nan)
        df["ci_high"] = np.where(known, 100.0 * high, np.nan)
        df["at_start"] = df["at_start"].astype("int64")
        df["lost"] = df["lost"].astype("int64")
        df["retention"] = 100.0 - value
        return df

    def test(cur: pd.DataFrame, old: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
        return two_proportion_test(cur["lost"], cur["at_start"], old["lost"], old["at_start"])

    return metric_plan(
        name,
        expr,
        **args.settings(),
        estimate=estimate,
        change_test=test,
        ci_method=WILSON,
        extra=extra,
        keep_empty=True,
        coverage=coverage,
    )


def _cover_end(data_end: pd.Timestamp) -> pd.Timestamp:
    """Return the end (exclusive) of the data's last day: data to 9 Dec 14:00 covers 9 Dec."""
    return pd.Timestamp(data_end).normalize() + pd.Timedelta(days=1)


def known_from(periods: pd.Series, every: str, lag_days: int) -> pd.Series:
    """Return the day from which each period's inactivity churn is known.

    A lapse that begins on the last day of a period is known once ``lag_days`` days without a
    purchase have passed, so a period ``[s, e)`` is known when the data covers every day
    before ``e + lag_days``.

    Example:
        >>> s = pd.Series(pd.to_datetime(["2024-09-01"]))
        >>> known_from(s, "month", 90).tolist()
        [Timestamp('2024-12-30 00:00:00')]
    """
    p = pd.to_datetime(periods)
    return (p + period_step(every) + pd.Timedelta(days=int(lag_days))).astype("datetime64[us]")


def plan_churn(
    customers: ir.Table,
    *,
    every: str = "month",
    by: Sequence[str] | str | None = None,
    confidence: float = 0.95,
    min_n: int = 30,
) -> MetricPlan:
    """Plan contractual churn (see :func:`churn`); runs one tiny query for the period range."""
    args = check_metric_args(
        by, customers, "customers", every, confidence, min_n, every_required=True
    )
    require_temporal(customers, "customers", "first_seen")
    require_temporal(customers, "customers", "churned_at")
    fs, ch = customers["first_seen"], customers["churned_at"]
    last = ibis.greatest(fs.max(), ch.max().fill_null(fs.max()))
    got = _range(
        customers,
        fs.min(),
        last,
        cast(str, args.every),
        "churn",
        "no customer has a first_seen date; load customers with first_seen (and churned_at)",
    )
    return _plan(customers, got, args, "churn")


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
        significant, small_sample, partial, ci_method, test, at_start, lost, retention``
        (``n == at_start``), sorted by ``*by, period``.

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


def _check_transactions(
    transactions: ir.Table, inactivity_days: int, by: Sequence[str] | str | None
) -> list[str]:
    """Check the inactivity arguments and the transactions' columns; return ``by`` as a list."""
    if isinstance(inactivity_days, bool) or not isinstance(inactivity_days, int | np.integer):
        raise ArgumentError(f"inactivity_days must be a positive integer; got {inactivity_days!r}")
    if inactivity_days <= 0:
        raise ArgumentError(f"inactivity_days must be a positive integer; got {inactivity_days!r}")
    cols = check_by(by, transactions, "transactions")
    require_columns(transactions, "transactions", "customer_id")
    require_temporal(transactions, "transactions", "occurred_at")
    if "customer_id" in cols:
        raise SchemaError("by cannot include customer_id: churn is counted over customers")
    return cols


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
    cols = _check_transactions(transactions, inactivity_days, by)
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


def active_spells(
    transactions: ir.Table,
    *,
    inactivity_days: int = 90,
    by: Sequence[str] | str | None = None,
    data_end: pd.Timestamp | None = None,
) -> ir.Table:
    """Engine expression splitting each customer's purchases into active spells.

    A lapse begins at a purchase after which the customer buys nothing for more than
    ``inactivity_days`` days; a spell runs from the first purchase after a lapse (or the
    first purchase ever) to the purchase where the next lapse begins. ``first_seen`` is the
    spell's first purchase and ``churned_at`` its last one when the lapse that follows is
    known: the customer bought again more than ``inactivity_days`` later, or the data covers
    ``inactivity_days`` days after it without a purchase. A spell whose lapse cannot be known
    yet has a null ``churned_at``. A customer who comes back starts a new spell, so every
    lapse counts, not only the last one.

    Args:
        transactions: Ibis table with ``customer_id`` and ``occurred_at``.
        inactivity_days: days without a purchase that make a lapse.
        by: grouping columns of ``transactions`` (a customer is followed in each group).
        data_end: last timestamp of the data (its whole day counts as covered); defaults to
            ``max(occurred_at)``.

    Returns:
        Ibis table with columns ``customer_id, *by, first_seen, churned_at``, one row per spell.

    Example:
        >>> import ibis, pandas as pd
        >>> t = ibis.memtable(
        ...     {
        ...         "customer_id": ["a", "a", "a"],
        ...         "occurred_at": pd.to_datetime(["2024-01-01", "2024-05-01", "2024-05-10"]),
        ...     }
        ... )
        >>> out = active_spells(t, inactivity_days=30).execute().sort_values("first_seen")
        >>> out["churned_at"].tolist()
        [Timestamp('2024-01-01 00:00:00'), NaT]
    """
    cols = _check_transactions(transactions, inactivity_days, by)
    t = transactions.filter(
        transactions["customer_id"].notnull() & transactions["occurred_at"].notnull()
    )
    t = t.select("customer_id", *cols, at=t["occurred_at"].cast("timestamp"))
    gap = ibis.interval(days=int(inactivity_days))
    if data_end is None:
        end: ir.Value = t["at"].max().as_scalar().truncate("D") + ibis.interval(days=1)
    else:
        end = ibis.literal(pd.Timestamp(data_end).normalize() + pd.Timedelta(days=1))
    w = ibis.window(group_by=["customer_id", *cols], order_by="at")
    prev, nxt = t["at"].lag().over(w), t["at"].lead().over(w)
    t = t.mutate(
        _new=(prev.isnull() | (t["at"] > prev + gap)).ifelse(1, 0),
        # the data covers every day before ``end``: a lapse is known once at + gap < end
        _lapse=ibis.ifelse(nxt.isnull(), t["at"] + gap < end, nxt > t["at"] + gap),
    )
    running = ibis.window(group_by=["customer_id", *cols], order_by="at", rows=(None, 0))
    t = t.mutate(_spell=t["_new"].sum().over(running))
    spells = t.group_by(["customer_id", *cols, "_spell"]).aggregate(
        first_seen=t["at"].min(), _last=t["at"].max(), _lapsed=t["_lapse"].ifelse(1, 0).max()
    )
    return spells.select(
        "customer_id",
        *cols,
        "first_seen",
        churned_at=ibis.ifelse(spells["_lapsed"] == 1, spells["_last"], ibis.null("timestamp")),
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
    args = check_metric_args(
        by, transactions, "transactions", every, confidence, min_n, every_required=True
    )
    require_temporal(transactions, "transactions", "occurred_at")
    when = transactions["occurred_at"]
    name = "churn from inactivity"
    hint = "the transactions table has no dated rows"
    got = _range(transactions, when.min(), when.max(), cast(str, args.every), name, hint)
    spells = active_spells(
        transactions,
        inactivity_days=inactivity_days,
        by=args.by,
        data_end=pd.Timestamp(got["data_end"]),
    )
    return _plan(spells, got, args, name, lag_days=inactivity_days)


def churn_from_transactions(
    transactions: ir.Table,
    inactivity_days: int = 90,
    *,
    every: str = "month",
    by: Sequence[str] | str | None = None,
    confidence: float = 0.95,
    min_n: int = 30,
) -> pd.DataFrame:
    """Non-contractual churn rate per period: the share of active customers whose lapse began.

    A lapse begins at a purchase followed by more than ``inactivity_days`` days without one;
    each customer's purchases are split into active spells (:func:`active_spells`, in the
    engine) and counted as in :func:`churn`: ``at_start`` counts customers in a spell that
    began before the period and had not lapsed before it, ``lost`` those of them whose lapse
    began in the period. Every lapse counts, also when the customer later comes back.

    A lapse beginning on day ``t`` is known only once the data covers ``t + inactivity_days``,
    so a period is known from ``known_from = period end + inactivity_days``; later periods
    have ``status`` "not yet known" and a NaN value (their ``lost`` counts the lapses known so
    far), and no change is tested from or to them. Periods run from the one holding the
    first transaction to the one holding the last; the first and last are ``partial`` when
    the data does not cover them.

    Args:
        transactions: Ibis table with ``customer_id`` and ``occurred_at``.
        inactivity_days: days without a transaction that make a lapse (also the lag).
        every: time grain, one of day, week (Monday start), month, quarter, year.
        by: grouping columns of ``transactions``; a customer is followed separately in each
            group they bought in. To group by a customer attribute, join it on first.
        confidence: two-sided confidence level of the interval and the change test.
        min_n: periods with fewer customers at start are flagged ``small_sample``.

    Returns:
        DataFrame with the columns of :func:`churn` plus ``status`` ("known" or "not yet
        known") and ``known_from``.

    Raises:
        SchemaError: ``customer_id``, ``occurred_at`` or a ``by`` column is missing.
        NotEnoughDataError: the table has no dated transactions.
        ArgumentError: ``every`` missing or unknown, bad ``inactivity_days``, ``confidence`` or
            ``min_n``.
        EngineError: the engine failed; the message holds the SQL.

    Example:
        >>> import ibis, pandas as pd
        >>> days = ["01-02", "01-30", "02-10", "01-03", "01-25", "02-20", "03-10", "04-30"]
        >>> t = ibis.memtable(
        ...     {
        ...         "customer_id": ["a"] * 3 + ["b"] * 5,
        ...         "occurred_at": pd.to_datetime(["2024-" + d for d in days]),
        ...     }
        ... )
        >>> out = churn_from_transactions(t, inactivity_days=30, every="month")
        >>> out[["at_start", "lost", "status"]].values.tolist()[1:]
        [[2, 1, 'known'], [1, 1, 'known'], [0, 0, 'not yet known']]
    """
    return plan_churn_from_transactions(
        transactions,
        inactivity_days=inactivity_days,
        every=every,
        by=by,
        confidence=confidence,
        min_n=min_n,
    ).run()
