"""The per-customer feature table, built in the engine, and group profiles over it.

One Ibis expression joins the customers with per-customer aggregates of their survey answers
(latest and mean NPS, CSAT, CES), transactions (frequency, revenue, recency) and events, as
of a date. The analyses of this folder fit models on the executed table (one row per
customer) or aggregate the lazy expression further in the engine (:func:`profile`); raw rows
never come to pandas.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

import ibis
import ibis.expr.types as ir
import numpy as np
import pandas as pd

from cxlens.errors import ArgumentError, NotEnoughDataError, SchemaError
from cxlens.metrics.definitions import is_detractor, is_promoter, is_satisfied
from cxlens.metrics.stats import (
    check_confidence,
    check_min_n,
    nps_estimate,
    t_interval,
    wilson_interval,
    z_value,
)
from cxlens.schema.derived import COMMENT_SENTIMENT_TABLE
from cxlens.store.catalog import Catalog
from cxlens.store.query import is_present, require_columns, run

#: Length of the trailing window of the ``*_12m`` features, in days.
WINDOW_DAYS = 365

#: Columns of ``customers`` that are not segment attributes.
_CUSTOMER_FACTS = ("customer_id", "first_seen", "churned_at", "acquisition_cost")

#: Feature columns after the customer attribute columns, in output order.
FEATURE_COLUMNS: tuple[str, ...] = (
    "first_seen",
    "churned_at",
    "acquisition_cost",
    "churned",
    "tenure_days",
    "n_responses",
    "last_response_at",
    "last_nps",
    "mean_nps",
    "nps_group",
    "last_csat",
    "mean_csat",
    "last_ces",
    "mean_ces",
    "mean_sentiment",
    "n_transactions",
    "frequency",
    "frequency_12m",
    "first_purchase_at",
    "last_purchase_at",
    "recency_days",
    "revenue",
    "revenue_12m",
    "monetary_mean",
    "n_events",
    "events_12m",
    "last_event_at",
)

#: NPS groups of a customer's latest answer, best first.
NPS_GROUPS: tuple[str, ...] = ("promoter", "passive", "detractor")

_SECONDS_PER_DAY = 86_400.0


@dataclass(frozen=True)
class FeaturePlan:
    """The feature table as one lazy Ibis expression, with the as-of date it was built for.

    Attributes:
        expr: one row per customer, columns ``customer_id``, the customer attribute columns
            (``attributes``), then :data:`FEATURE_COLUMNS`.
        as_of: the date the features describe; later rows are ignored.
        attributes: segment attribute columns taken from ``customers`` (e.g. segment, plan).
        sources: the tables the features read.
    """

    expr: ir.Table
    as_of: pd.Timestamp
    attributes: tuple[str, ...]
    sources: tuple[str, ...]

    def sql(self) -> str:
        """Return the SQL of the feature query in the engine's dialect."""
        return str(ibis.to_sql(self.expr))

    def execute(self) -> pd.DataFrame:
        """Run the feature query once; return the table with an ``as_of`` column last.

        ``as_of`` (the plan's date, the same on every row) comes with the pandas table only;
        ``expr`` does not carry it.
        """
        frame = run(self.expr.order_by("customer_id"), "the customer feature table")
        frame = as_microseconds(frame)
        frame["as_of"] = pd.Series(self.as_of, index=frame.index).astype("datetime64[us]")
        return frame


def as_microseconds(frame: pd.DataFrame) -> pd.DataFrame:
    """Give every datetime column the unit ``us`` (engines return ns or us).

    Example:
        >>> f = pd.DataFrame({"t": pd.to_datetime(["2025-01-01"]).astype("datetime64[ns]")})
        >>> str(as_microseconds(f)["t"].dtype)
        'datetime64[us]'
    """
    for col in frame.columns:
        if pd.api.types.is_datetime64_any_dtype(frame[col]):
            frame[col] = frame[col].astype("datetime64[us]")
    return frame


def _timestamp(value: str | date | datetime | pd.Timestamp) -> pd.Timestamp:
    try:
        stamp = pd.Timestamp(value)
    except (TypeError, ValueError) as exc:
        raise ArgumentError(f"as_of={value!r} is not a date or timestamp") from exc
    if pd.isna(stamp):
        raise ArgumentError("as_of is NaT; pass a date such as '2025-12-31' or None")
    return stamp.tz_convert("UTC").tz_localize(None) if stamp.tzinfo else stamp


_TIME_COLUMNS = {
    "transactions": ("occurred_at",),
    "responses": ("responded_at",),
    "events": ("occurred_at",),
    "customers": ("first_seen", "churned_at"),
}


def resolve_as_of(
    ws: Catalog, as_of: str | date | datetime | pd.Timestamp | None = None
) -> pd.Timestamp:
    """Return ``as_of`` as a timestamp, or the last date in the data when it is None.

    The last date is the latest of transactions.occurred_at, responses.responded_at,
    events.occurred_at, customers.first_seen and customers.churned_at (one small query).

    Args:
        ws: the Workspace.
        as_of: a date or timestamp (a date means midnight at its start), or None.

    Returns:
        A naive (UTC) ``pandas.Timestamp``.

    Raises:
        NotEnoughDataError: as_of is None and no table holds a date.

    Example:
        >>> resolve_as_of(None, "2025-06-30")
        Timestamp('2025-06-30 00:00:00')
    """
    if as_of is not None:
        return _timestamp(as_of)
    parts = []
    for name, columns in _TIME_COLUMNS.items():
        if not ws.has_table(name):
            continue
        table = ws.table(name)
        for col in columns:
            if col in table.columns:
                parts.append(table.aggregate(last=table[col].cast("timestamp").max()))
    if not parts:
        raise NotEnoughDataError(
            "cannot tell the as-of date: the workspace has no customers, responses, "
            "transactions or events; ingest them, or pass as_of"
        )
    got = run(ibis.union(*parts).aggregate(last=lambda t: t["last"].max()), "the as-of date")
    last = got["last"].iloc[0] if len(got) else None
    if last is None or pd.isna(last):
        raise NotEnoughDataError("cannot tell the as-of date: every date column is empty")
    return _timestamp(last)


def _days_between(later: ir.Value, earlier: ir.Value) -> ir.FloatingValue:
    """Days from ``earlier`` to ``later`` as a float (engine-neutral: epoch seconds)."""
    return (
        later.epoch_seconds().cast("float64") - earlier.epoch_seconds().cast("float64")
    ) / _SECONDS_PER_DAY


def _null(dtype: str) -> ir.Value:
    return ibis.null().cast(dtype)


def _score_aggregates(rows: ir.Table, score: str) -> dict[str, ir.Scalar]:
    """Latest answer (by responded_at) and mean answer of one score per customer."""
    if score not in rows.columns:
        return {f"last_{score}": _null("float64").max(), f"mean_{score}": _null("float64").max()}
    value = rows[score].cast("float64")
    present = is_present(rows[score])
    return {
        f"last_{score}": value.argmax(rows["responded_at"], where=present),
        f"mean_{score}": value.mean(where=present),
    }


def _with_sentiment(rows: ir.Table, sentiment: ir.Table | None) -> ir.Table:
    """Add ``_sentiment`` (the comment's score in [-1, 1], or null) to response rows."""
    if sentiment is None or "response_id" not in rows.columns:
        return rows.mutate(_sentiment=_null("float64"))
    scores = sentiment.select(_sid="response_id", _sentiment=sentiment["score"].cast("float64"))
    joined = rows.left_join(scores, rows["response_id"] == scores["_sid"])
    return joined.drop("_sid")


def _responses_part(
    responses: ir.Table, as_of: ir.Value, sentiment: ir.Table | None = None
) -> ir.Table:
    require_columns(responses, "responses", "customer_id", "responded_at")
    rows = responses.filter(responses["customer_id"].notnull(), responses["responded_at"] <= as_of)
    rows = _with_sentiment(rows, sentiment)
    return rows.group_by("customer_id").aggregate(
        mean_sentiment=rows["_sentiment"].mean(),
        n_responses=rows.count(),
        _first_response_at=rows["responded_at"].min(),
        last_response_at=rows["responded_at"].max(),
        **_score_aggregates(rows, "nps"),
        **_score_aggregates(rows, "csat"),
        **_score_aggregates(rows, "ces"),
    )


def _transactions_part(transactions: ir.Table, as_of: ir.Value, since: ir.Value) -> ir.Table:
    require_columns(transactions, "transactions", "customer_id", "occurred_at", "amount")
    t = transactions
    rows = t.filter(t["customer_id"].notnull(), t["occurred_at"] <= as_of, is_present(t["amount"]))
    amount = rows["amount"].cast("float64")
    purchase = amount > 0
    recent = rows["occurred_at"] > since
    return rows.group_by("customer_id").aggregate(
        n_transactions=rows.count(),
        frequency=purchase.ifelse(1, 0).sum().cast("int64"),
        frequency_12m=(purchase & recent).ifelse(1, 0).sum().cast("int64"),
        first_purchase_at=rows["occurred_at"].min(where=purchase),
        last_purchase_at=rows["occurred_at"].max(where=purchase),
        revenue=amount.sum(),
        revenue_12m=recent.ifelse(amount, 0.0).sum(),
    )


def _events_part(events: ir.Table, as_of: ir.Value, since: ir.Value) -> ir.Table:
    require_columns(events, "events", "customer_id", "occurred_at")
    rows = events.filter(events["customer_id"].notnull(), events["occurred_at"] <= as_of)
    return rows.group_by("customer_id").aggregate(
        n_events=rows.count(),
        events_12m=(rows["occurred_at"] > since).ifelse(1, 0).sum().cast("int64"),
        _first_event_at=rows["occurred_at"].min(),
        last_event_at=rows["occurred_at"].max(),
    )


_PART_TYPES: dict[str, dict[str, str]] = {
    "responses": {
        "n_responses": "int64",
        "_first_response_at": "timestamp",
        "last_response_at": "timestamp",
        "last_nps": "float64",
        "mean_nps": "float64",
        "last_csat": "float64",
        "mean_csat": "float64",
        "last_ces": "float64",
        "mean_ces": "float64",
        "mean_sentiment": "float64",
    },
    "transactions": {
        "n_transactions": "int64",
        "frequency": "int64",
        "frequency_12m": "int64",
        "first_purchase_at": "timestamp",
        "last_purchase_at": "timestamp",
        "revenue": "float64",
        "revenue_12m": "float64",
    },
    "events": {
        "n_events": "int64",
        "events_12m": "int64",
        "_first_event_at": "timestamp",
        "last_event_at": "timestamp",
    },
}

#: Counts and sums that are 0 (not null) for a customer without rows in a present table.
_ZERO_IF_ABSENT = {
    "n_responses",
    "n_transactions",
    "frequency",
    "frequency_12m",
    "revenue",
    "revenue_12m",
    "n_events",
    "events_12m",
}


def _attribute_columns(customers: ir.Table) -> list[str]:
    return [
        c
        for c in customers.columns
        if c not in _CUSTOMER_FACTS and not c.startswith("_") and customers[c].type().is_string()
    ]


def _base(ws: Catalog, present: list[str], as_of: ir.Value) -> tuple[ir.Table, list[str]]:
    """One row per customer: customers as of the date, or the ids seen in the other tables."""
    if "customers" in present:
        c = ws.table("customers")
        require_columns(c, "customers", "customer_id")
        attrs = _attribute_columns(c)
        first = c["first_seen"] if "first_seen" in c.columns else _null("timestamp")
        churned = c["churned_at"] if "churned_at" in c.columns else _null("timestamp")
        cost = c["acquisition_cost"] if "acquisition_cost" in c.columns else _null("float64")
        rows = c.filter(c["customer_id"].notnull(), first.isnull() | (first <= as_of))
        base = rows.select(
            "customer_id",
            *attrs,
            first_seen=first.cast("timestamp"),
            churned_at=(churned <= as_of).ifelse(churned, _null("timestamp")).cast("timestamp"),
            acquisition_cost=cost.cast("float64"),
            churned=(churned <= as_of).fill_null(False),
        )
        return base, attrs
    ids = []
    for name in present:
        t = ws.table(name)
        when = t[_TIME_COLUMNS[name][0]]
        ids.append(t.filter(t["customer_id"].notnull(), when <= as_of).select("customer_id"))
    base = (
        ibis.union(*ids)
        .distinct()
        .mutate(
            first_seen=_null("timestamp"),
            churned_at=_null("timestamp"),
            acquisition_cost=_null("float64"),
            churned=_null("boolean"),
        )
    )
    return base, []


def _join_part(base: ir.Table, part: ir.Table | None, name: str) -> ir.Table:
    if part is None:
        return base.mutate(**{c: _null(t) for c, t in _PART_TYPES[name].items()})
    joined = base.left_join(part, "customer_id").drop("customer_id_right")
    fills = {c: joined[c].fill_null(0) for c in _PART_TYPES[name] if c in _ZERO_IF_ABSENT}
    return joined.mutate(**fills)


def _earliest(values: list[ir.Value]) -> ir.Value:
    """Earliest non-null of ``values`` (engines differ on nulls in LEAST, so coalesce first)."""
    rotations = [values[i:] + values[:i] for i in range(len(values))]
    return ibis.least(*(ibis.coalesce(*r) for r in rotations))


def _derived(table: ir.Table, as_of: ir.Value) -> ir.Table:
    nps = table["last_nps"]
    group = ibis.cases(
        (is_promoter(nps), "promoter"),
        (is_detractor(nps), "detractor"),
        (nps.notnull(), "passive"),
        else_=None,
    )
    firsts = [table["first_purchase_at"], table["_first_response_at"], table["_first_event_at"]]
    start = ibis.coalesce(table["first_seen"], _earliest(firsts))
    end = ibis.coalesce(table["churned_at"], as_of)
    freq = table["frequency"]
    return table.mutate(
        nps_group=group.cast("string"),
        tenure_days=_days_between(end, start),
        recency_days=_days_between(as_of, table["last_purchase_at"]),
        monetary_mean=(freq > 0).ifelse(table["revenue"] / freq.cast("float64"), None),
    )


def _sentiment_table(ws: Catalog) -> ir.Table:
    """Return the saved comment scores, or raise when ``ws.text.sentiment()`` has not run."""
    if not ws.has_table(COMMENT_SENTIMENT_TABLE):
        raise NotEnoughDataError(
            f"sentiment=True needs the {COMMENT_SENTIMENT_TABLE} table; score the comments "
            "first with ws.text.sentiment() (cxlens text sentiment)"
        )
    return ws.table(COMMENT_SENTIMENT_TABLE)


def plan_features(
    ws: Catalog,
    as_of: str | date | datetime | pd.Timestamp | None = None,
    *,
    sentiment: bool = False,
) -> FeaturePlan:
    """Plan the per-customer feature table as one Ibis expression (nothing runs but as_of).

    See :func:`customer_features` for the columns and rules.

    Args:
        ws: the Workspace.
        as_of: the date the features describe (default: the last date in the data).
        sentiment: fill ``mean_sentiment`` from the saved ``comment_sentiment`` table.

    Returns:
        FeaturePlan with ``expr`` (lazy), ``as_of``, ``attributes``, ``sources``,
        ``sql()`` and ``execute()``.

    Raises:
        NotEnoughDataError: the workspace has none of customers, responses, transactions,
            or ``sentiment`` is asked and ``comment_sentiment`` is not saved.

    Example:
        >>> plan = plan_features(ws)  # doctest: +SKIP
        >>> print(plan.sql())  # doctest: +SKIP
    """
    present = [n for n in ("customers", "responses", "transactions", "events") if ws.has_table(n)]
    if not {"customers", "responses", "transactions"} & set(present):
        raise NotEnoughDataError(
            "customer features need at least one of the customers, responses or "
            "transactions tables; ingest them first"
        )
    scores = _sentiment_table(ws) if sentiment else None
    stamp = resolve_as_of(ws, as_of)
    cutoff = ibis.literal(stamp, type="timestamp")
    since = ibis.literal(stamp - pd.Timedelta(days=WINDOW_DAYS), type="timestamp")
    base, attrs = _base(ws, present, cutoff)
    parts = {
        "responses": _responses_part(ws.table("responses"), cutoff, scores)
        if "responses" in present
        else None,
        "transactions": _transactions_part(ws.table("transactions"), cutoff, since)
        if "transactions" in present
        else None,
        "events": _events_part(ws.table("events"), cutoff, since) if "events" in present else None,
    }
    table = base
    for name, part in parts.items():
        table = _join_part(table, part, name)
    table = _derived(table, cutoff).select("customer_id", *attrs, *FEATURE_COLUMNS)
    return FeaturePlan(table, stamp, tuple(attrs), tuple(present))


def customer_features(
    ws: Catalog,
    as_of: str | date | datetime | pd.Timestamp | None = None,
    *,
    sentiment: bool = False,
) -> pd.DataFrame:
    """Return one row per customer with attitude, behaviour, value and status features.

    Built as one Ibis expression (customers left-joined with per-customer aggregates of
    responses, transactions and events) and executed once. Rows dated after ``as_of`` are
    ignored; customers whose ``first_seen`` is after it are left out. Without a customers
    table the customers are the ids seen in responses, transactions and events up to
    ``as_of``.

    Rules: the latest answer is the one with the latest ``responded_at`` that holds the score
    (ties broken by the engine); ``nps_group`` is promoter (9-10), passive (7-8) or detractor
    (0-6) of the latest NPS answer; a purchase is a transaction with ``amount > 0``, and
    revenue is the sum of all amounts (net of refunds); the ``*_12m`` columns cover the 365
    days up to ``as_of``; ``churned`` is ``churned_at <= as_of``; ``tenure_days`` runs from
    ``first_seen`` (or, when missing, the first purchase, answer or event) to ``churned_at``
    or ``as_of``. Counts and sums are 0 for a customer without rows in a table the workspace
    has, and null when the workspace lacks the table.

    Args:
        ws: the Workspace.
        as_of: the date the features describe (default: the last date in the data).
        sentiment: fill ``mean_sentiment`` from the saved ``comment_sentiment`` table.

    Returns:
        DataFrame sorted by customer_id with columns ``customer_id``, the string attribute
        columns of customers (e.g. ``segment, region, plan, acquisition_channel``), then
        ``first_seen, churned_at, acquisition_cost, churned, tenure_days, n_responses,
        last_response_at, last_nps, mean_nps, nps_group, last_csat, mean_csat, last_ces,
        mean_ces, mean_sentiment, n_transactions, frequency, frequency_12m,
        first_purchase_at, last_purchase_at, recency_days, revenue, revenue_12m,
        monetary_mean, n_events, events_12m, last_event_at, as_of`` (``as_of``: the date
        the features describe, the same on every row). ``mean_sentiment`` is the mean
        comment sentiment (-1 to 1) of the customer's answers up to the date, from
        ``comment_sentiment`` (saved by ``ws.text.sentiment()``) with ``sentiment=True``,
        and missing otherwise: whether the table happens to exist never changes the
        features.

    Raises:
        NotEnoughDataError: no customers, responses or transactions table.
        EngineError: the engine failed; the message holds the SQL.

    Example:
        >>> f = customer_features(ws)  # doctest: +SKIP
        >>> f.groupby("nps_group").revenue_12m.mean()  # doctest: +SKIP
    """
    return plan_features(ws, as_of, sentiment=sentiment).execute()


#: Columns of :func:`profile` after the group columns.
PROFILE_COLUMNS: tuple[str, ...] = (
    "customers",
    "share",
    "revenue_per_customer",
    "revenue_ci_low",
    "revenue_ci_high",
    "revenue_sd",
    "revenue_total",
    "value_per_customer",
    "purchases_per_customer",
    "retention_rate",
    "retention_ci_low",
    "retention_ci_high",
    "churn_rate",
    "churn_ci_low",
    "churn_ci_high",
    "retained",
    "status_known",
    "nps",
    "nps_ci_low",
    "nps_ci_high",
    "nps_n",
    "csat",
    "csat_n",
    "ces",
    "ces_n",
    "small_sample",
)


def profile_expr(features: ir.Table, by: Sequence[str] | str | None = None) -> ir.Table:
    """Return the engine query behind :func:`profile`: sums and counts per group (lazy).

    :func:`profile` runs it and turns its one row per group into rates and intervals;
    ``sql(profile_expr(features, by))`` (:func:`cxlens.store.query.sql`) shows the SQL.

    Example:
        >>> import ibis
        >>> f = ibis.memtable({"segment": ["a", "a"], "revenue_12m": [10.0, 30.0],
        ...     "revenue": [10.0, 30.0], "frequency_12m": [1, 2], "churned": [False, True],
        ...     "last_nps": [10, 3], "last_csat": [5, 2], "mean_ces": [2.0, 6.0]})
        >>> got = profile_expr(f, "segment").execute()
        >>> got[["segment", "customers", "rev_sum"]].values.tolist()
        [['a', 2, 40.0]]
    """
    by = [by] if isinstance(by, str) else list(by or [])
    f = features
    rev = f["revenue_12m"]
    nps = f["last_nps"]
    one = ibis.literal(1)
    metrics = {
        "customers": f.count(),
        "rev_n": rev.count(),
        "rev_sum": rev.sum(),
        "rev_sd": rev.std(how="sample"),
        "value_sum": f["revenue"].sum(),
        "freq_sum": f["frequency_12m"].sum(),
        "status_n": f["churned"].count(),
        "churned_n": f["churned"].ifelse(one, 0).sum(),
        "nps_n": nps.count(),
        "promoters": is_promoter(nps).ifelse(one, 0).sum(),
        "detractors": is_detractor(nps).ifelse(one, 0).sum(),
        "csat_n": f["last_csat"].count(),
        "satisfied": is_satisfied(f["last_csat"]).ifelse(one, 0).sum(),
        "ces_n": f["mean_ces"].count(),
        "ces_sum": f["mean_ces"].sum(),
    }
    if by:
        return f.group_by(by).aggregate(**metrics)
    return f.aggregate(**metrics)


def _ratio(num: pd.Series, den: pd.Series) -> np.ndarray:
    n = den.to_numpy(dtype=float)
    x = num.to_numpy(dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(n > 0, x / n, np.nan)


def _finish_profile(agg: pd.DataFrame, confidence: float, min_n: int) -> pd.DataFrame:
    df = agg.copy()
    total = df["customers"].sum()
    df["customers"] = df["customers"].astype("int64")
    df["share"] = _ratio(df["customers"], pd.Series(total, index=df.index))
    mean = _ratio(df["rev_sum"], df["rev_n"])
    low, high = t_interval(mean, df["rev_sd"].astype(float), df["rev_n"].astype(float), confidence)
    df["revenue_per_customer"] = mean
    df["revenue_ci_low"], df["revenue_ci_high"] = low, high
    df["revenue_sd"] = df["rev_sd"].astype(float)
    df["revenue_total"] = df["rev_sum"].astype(float)
    df["value_per_customer"] = _ratio(df["value_sum"], df["rev_n"])
    df["purchases_per_customer"] = _ratio(df["freq_sum"], df["rev_n"])
    retained = df["status_n"] - df["churned_n"]
    df["retention_rate"] = 100.0 * _ratio(retained, df["status_n"])
    low, high = wilson_interval(retained.astype(float), df["status_n"].astype(float), confidence)
    df["retention_ci_low"], df["retention_ci_high"] = 100.0 * low, 100.0 * high
    df["churn_rate"] = 100.0 - df["retention_rate"]
    df["churn_ci_low"] = 100.0 - df["retention_ci_high"]
    df["churn_ci_high"] = 100.0 - df["retention_ci_low"]
    df["retained"] = retained.fillna(0).astype("int64")
    df["status_known"] = df["status_n"].fillna(0).astype("int64")
    value, se = nps_estimate(df["promoters"], df["detractors"], df["nps_n"])
    z = z_value(confidence)
    df["nps"] = value
    df["nps_ci_low"] = np.clip(value - z * se, -100.0, 100.0)
    df["nps_ci_high"] = np.clip(value + z * se, -100.0, 100.0)
    df["csat"] = 100.0 * _ratio(df["satisfied"], df["csat_n"])
    df["ces"] = _ratio(df["ces_sum"], df["ces_n"])
    for col in ("nps_n", "csat_n", "ces_n"):
        df[col] = df[col].fillna(0).astype("int64")
    df["small_sample"] = (df["customers"] < min_n).astype(bool)
    return df


def profile(
    features: ir.Table,
    by: Sequence[str] | str | None = None,
    *,
    confidence: float = 0.95,
    min_n: int = 30,
) -> pd.DataFrame:
    """Summarise customers per group in the engine: size, revenue, retention, NPS, CSAT, CES.

    Runs one aggregate query over the lazy feature expression (``plan.expr``, or any table
    with the feature columns, e.g. joined with segment labels); only one row per group
    comes back. Revenue is the 12-month revenue to the as-of date (mean with a Student-t
    interval); value is all-history revenue per customer (historical value, not a CLV
    forecast); retention is the share not churned (Wilson interval); NPS is computed over
    customers from each one's latest answer (trinomial interval), CSAT is the top-2-box share
    of latest CSAT answers, CES the mean of customers' mean CES.

    Args:
        features: Ibis table with the columns of :func:`customer_features`.
        by: grouping columns (none: one row for everybody).
        confidence: two-sided confidence level of the intervals.
        min_n: groups with fewer customers are flagged ``small_sample``.

    Returns:
        DataFrame with ``*by`` then ``customers, share, revenue_per_customer,
        revenue_ci_low, revenue_ci_high, revenue_sd, revenue_total, value_per_customer,
        purchases_per_customer, retention_rate, retention_ci_low, retention_ci_high,
        churn_rate, churn_ci_low, churn_ci_high, retained, status_known, nps, nps_ci_low,
        nps_ci_high, nps_n, csat, csat_n, ces, ces_n, small_sample`` (rates in percent;
        ``status_known`` counts customers whose churn status is known), sorted by
        ``*by``. The query it runs is :func:`profile_expr`.

    Raises:
        SchemaError: a ``by`` column is not in ``features``.

    Example:
        >>> profile(plan_features(ws).expr, by="segment")  # doctest: +SKIP
    """
    check_confidence(confidence)
    check_min_n(min_n)
    cols = [by] if isinstance(by, str) else list(by or [])
    for col in cols:
        if col not in features.columns:
            raise SchemaError(
                f"cannot profile by '{col}': not a feature column; available: "
                f"{', '.join(features.columns)}"
            )
    agg = run(profile_expr(features, cols), "the customer profile")
    out = _finish_profile(agg, confidence, min_n)[[*cols, *PROFILE_COLUMNS]]
    if cols:
        out = out.sort_values(cols, na_position="last", kind="mergesort")
    # no SQL attached (compiling it costs as much as a small query); see profile_expr
    return out.reset_index(drop=True)
