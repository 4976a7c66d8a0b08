"""The per-customer (frequency, recency, T, monetary value) table the CLV models need.

Built in the engine as one Ibis expression over ``transactions`` (customer_id, occurred_at,
amount), with the definition of lifetimes' ``summary_data_from_transaction_data`` at
``freq="D"``: a customer's purchases on one calendar day are one purchase period; the first
period is the first purchase; ``frequency`` counts the later periods (repeat purchases),
``recency`` is the time from the first to the last period, ``T`` the time from the first
period to the as-of day, and ``monetary_value`` the mean spend of the repeat periods (0
without repeats). Only the small per-customer table comes to pandas.

Refunds and zero orders: the amounts of one customer-day are netted, and a day whose net
spend is <= 0 is not a purchase (it counts for neither frequency nor spend). A refund on
the day of its purchase lowers that day's spend; a refund on a later day is dropped, not
subtracted from the earlier purchase. A customer with no day of positive net spend is left
out. ``RfmPlan.notes()`` counts both, so nothing is mixed silently.
Rows with no customer_id, no timestamp or no amount are skipped.

Amounts are summed as whole micro-units (``round(amount * 1e6)`` as int64): integer sums do
not depend on the order an engine adds rows in, so the same data gives bit-identical spend on
every run (float sums from a parallel aggregate differ in the last bits, and a model fitted on
a flat likelihood ridge turns those bits into different parameters).

Category filters (``categories`` / ``exclude_categories``) keep or drop rows by
``transactions.category`` in the engine, before anything is summed; the observation period
(as_of, the date range) stays that of all transactions, since the data end is the same
whatever is filtered. :func:`recurring_categories` finds categories bought at regular
intervals (subscription payments), which BG/NBD's Poisson purchasing does not describe.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

import ibis
import ibis.expr.types as ir
import pandas as pd

from cxlens.errors import ArgumentError, NotEnoughDataError, SchemaError
from cxlens.store.catalog import Catalog
from cxlens.store.query import is_present, require_columns, require_numeric, require_temporal, run

#: Length of each time unit in days.
TIME_UNITS: dict[str, float] = {"days": 1.0, "weeks": 7.0}

#: Columns of :func:`rfm_summary`, in order.
SUMMARY_COLUMNS: tuple[str, ...] = ("customer_id", "frequency", "recency", "T", "monetary_value")

#: Columns of :func:`calibration_and_holdout`, in order.
HOLDOUT_COLUMNS: tuple[str, ...] = (
    "customer_id",
    "frequency_cal",
    "recency_cal",
    "T_cal",
    "monetary_value_cal",
    "frequency_holdout",
    "duration_holdout",
)

DateLike = str | date | datetime | pd.Timestamp

_SECONDS_PER_DAY = 86_400.0

#: Amounts are summed as integers of this many units per money unit (see the module docstring).
_MICRO = 1_000_000

#: Recurring categories: the median per-customer coefficient of variation of the gaps between
#: purchase days below which a category counts as bought at regular intervals.
RECURRING_MAX_CV = 0.2

#: Recurring categories: gaps a customer needs (purchase days - 1) to count in the median.
RECURRING_MIN_GAPS = 3

#: Recurring categories: customers with enough gaps a category needs to be judged at all.
RECURRING_MIN_CUSTOMERS = 30

#: Columns of :func:`recurring_categories`, in order.
RECURRING_COLUMNS: tuple[str, ...] = (
    "category",
    "customers",
    "customers_judged",
    "median_gap_days",
    "median_cv",
    "recurring",
    "max_cv",
    "min_gaps",
    "min_customers",
)


@dataclass(frozen=True)
class CategoryFilter:
    """Which transaction categories a summary uses: only ``include`` (when set), minus ``exclude``.

    Build it with :func:`category_filter`, which checks the names against the data.

    Attributes:
        include: the categories kept, or None for every category (rows without a category too).
        exclude: the categories dropped.
    """

    include: tuple[str, ...] | None = None
    exclude: tuple[str, ...] = ()

    @property
    def active(self) -> bool:
        """True when the filter drops anything."""
        return self.include is not None or bool(self.exclude)

    def describe(self) -> str:
        """Return the filter in words, e.g. "transactions excluding category 'subscription'".

        Example:
            >>> CategoryFilter(exclude=("subscription",)).describe()
            "transactions excluding category 'subscription'"
        """
        if not self.active:
            return "all transactions"
        parts = []
        if self.include is not None:
            parts.append(f"transactions in {_names(self.include)}")
        if self.exclude:
            parts.append(f"{'' if parts else 'transactions '}excluding {_names(self.exclude)}")
        return " ".join(parts)

    def apply(self, t: ir.Table) -> ir.Table:
        """Return ``t`` (with a ``category`` column) filtered in the engine."""
        if self.include is not None:
            t = t.filter(t["category"].isin(list(self.include)))
        if self.exclude:  # rows without a category are not in an excluded one: keep them
            t = t.filter(t["category"].isnull() | ~t["category"].isin(list(self.exclude)))
        return t


def _names(values: Sequence[str]) -> str:
    label = "category" if len(values) == 1 else "categories"
    return f"{label} " + ", ".join(repr(v) for v in values)


def _as_names(value: Sequence[str] | str | None, name: str) -> tuple[str, ...] | None:
    if value is None:
        return None
    items = (value,) if isinstance(value, str) else tuple(value)  # a lone name is one category
    for item in items:
        if not isinstance(item, str) or not item:
            raise ArgumentError(f"{name} must be category names (non-empty text); got {item!r}")
    return tuple(dict.fromkeys(items))


def category_filter(
    ws: Catalog,
    categories: Sequence[str] | str | None = None,
    exclude_categories: Sequence[str] | str = (),
) -> CategoryFilter:
    """Check category names against ``transactions.category`` and return the filter.

    No query runs when neither argument is given; otherwise one small query lists the
    categories in the data.

    Args:
        ws: the Workspace (needs ``transactions``; with a filter, its ``category`` column).
        categories: keep only these categories (None: every category).
        exclude_categories: drop these categories (rows without a category are kept).

    Returns:
        CategoryFilter (``active`` False when nothing is filtered).

    Raises:
        SchemaError: a filter is given but transactions has no ``category`` column.
        ArgumentError: a name that is not a category in the data (the message lists the
            known ones), a name both kept and dropped, or ``categories=[]``.

    Example:
        >>> category_filter(ws, exclude_categories=["subscription"]).describe()  # doctest: +SKIP
        "transactions excluding category 'subscription'"
    """
    include = _as_names(categories, "categories")
    exclude = _as_names(exclude_categories, "exclude_categories") or ()
    if include is None and not exclude:
        return CategoryFilter()
    if include is not None and not include:
        raise ArgumentError(
            "categories=[] keeps no transaction; pass category names, or None for all"
        )
    t = ws.table("transactions")
    if "category" not in t.columns:
        raise SchemaError(
            "transactions has no column 'category', which categories= / exclude_categories= "
            f"filter on; available columns: {', '.join(t.columns)}. Map a category column "
            "when ingesting transactions, or drop the filter"
        )
    both = sorted(set(include or ()) & set(exclude))
    if both:
        raise ArgumentError(
            f"{_names(both)} both kept (categories=) and dropped (exclude_categories=); "
            "name each category in one of them"
        )
    found = run(
        t.select(category=t["category"].cast("string")).distinct(), "the transaction categories"
    )
    known = sorted(str(c) for c in found["category"].dropna())
    unknown = [c for c in (*(include or ()), *exclude) if c not in known]
    if unknown:
        raise ArgumentError(
            f"{_names(unknown)} not found in transactions.category; the categories are: "
            f"{', '.join(repr(c) for c in known) or 'none (the column is empty)'}"
        )
    return CategoryFilter(include, exclude)


@dataclass(frozen=True)
class RfmPlan:
    """The summary as a lazy Ibis expression, with the dates and unit it was planned for.

    Attributes:
        expr: one row per customer with :data:`SUMMARY_COLUMNS`, or :data:`HOLDOUT_COLUMNS`
            when ``calibration_end`` is set.
        checks: one row counting what the refund rule left out (``customers``,
            ``customers_without_purchase``, ``nonpositive_days``, ``refunds``).
        as_of: the as-of day (the observation end when ``calibration_end`` is set).
        calibration_end: last day of the calibration period, or None.
        first_day: day of the first transaction in the table.
        last_day: day of the last transaction in the table.
        time_unit: ``"days"`` or ``"weeks"``.
        keep: the category filter the summary uses (inactive: every transaction).
    """

    expr: ir.Table
    checks: ir.Table = field(repr=False)
    as_of: pd.Timestamp
    calibration_end: pd.Timestamp | None
    first_day: pd.Timestamp
    last_day: pd.Timestamp
    time_unit: str
    keep: CategoryFilter = field(default_factory=CategoryFilter)

    def sql(self) -> str:
        """Return the SQL of the summary query in the engine's dialect."""
        return str(ibis.to_sql(self.expr))

    def execute(self) -> pd.DataFrame:
        """Run the summary query and return it sorted by customer_id.

        The facts of the table are the plan's: ``as_of``, ``calibration_end``,
        ``time_unit``, :meth:`notes` (what the refund rule left out, in words) and
        ``keep.describe()`` (the category filter, in words).

        Example:
            >>> plan_rfm_summary(ws).execute().columns[0]  # doctest: +SKIP
            'customer_id'
        """
        frame = run(self.expr.order_by("customer_id"), "the CLV summary (RFM) table")
        for col in ("frequency", "frequency_cal", "frequency_holdout"):
            if col in frame.columns:  # engines differ on integer widths
                frame[col] = frame[col].astype("int64")
        return frame

    def notes(self) -> list[str]:
        """Run the checks query and describe what the refund rule left out, in words."""
        got = run(self.checks, "the refund checks of the CLV summary").iloc[0]
        days, lost = int(got["nonpositive_days"] or 0), int(got["customers_without_purchase"] or 0)
        notes = []
        if days:
            notes.append(
                f"{days:,} customer-days with net spend <= 0 (refunds or zero orders, "
                f"{float(got['refunds'] or 0.0):,.2f} refunded in all) are not purchases"
            )
        if lost:
            notes.append(
                f"{lost:,} of {int(got['customers']):,} customers have no day of positive net "
                "spend (only refunds or zero orders) and are left out"
            )
        return notes


def _day(value: DateLike, name: str) -> pd.Timestamp:
    """Return ``value`` as a naive (UTC) midnight timestamp, or raise ArgumentError."""
    try:
        stamp = pd.Timestamp(value)
    except (TypeError, ValueError) as exc:
        raise ArgumentError(f"{name}={value!r} is not a date or timestamp") from exc
    if pd.isna(stamp):
        raise ArgumentError(f"{name} is NaT; pass a date such as '2025-12-31'")
    if stamp.tzinfo is not None:
        stamp = stamp.tz_convert("UTC").tz_localize(None)
    return stamp.normalize().as_unit("us")


def _check_unit(time_unit: str) -> float:
    if time_unit not in TIME_UNITS:
        raise ArgumentError(f"time_unit must be one of {', '.join(TIME_UNITS)}; got {time_unit!r}")
    return TIME_UNITS[time_unit]


def _usable(ws: Catalog, keep: CategoryFilter | None = None) -> ir.Table:
    """Transactions (of the kept categories) with a customer, a timestamp and an amount."""
    t = ws.table("transactions")
    require_columns(t, "transactions", "customer_id", "occurred_at", "amount")
    require_temporal(t, "transactions", "occurred_at")
    require_numeric(t, "transactions", "amount")
    if keep is not None and keep.active:
        t = keep.apply(t)
    return t.filter(t["customer_id"].notnull(), t["occurred_at"].notnull(), is_present(t["amount"]))


def _day_and_micro(rows: ir.Table) -> dict[str, ir.Value]:
    return {
        "_day": rows["occurred_at"].cast("timestamp").truncate("D"),
        "_micro": (rows["amount"].cast("float64") * _MICRO).round().cast("int64"),
    }


def _rows(ws: Catalog, keep: CategoryFilter | None = None) -> ir.Table:
    """Transactions with a customer, a timestamp and an amount: ``_day`` and ``_micro``."""
    rows = _usable(ws, keep)
    return rows.select(customer_id=rows["customer_id"], **_day_and_micro(rows))


def _money(micro: ir.Value, count: ir.Value | int = 1) -> ir.FloatingValue:
    """Money from a (whole) sum of micro-units, divided by ``count``."""
    return micro.cast("float64") / (count * _MICRO)


def transaction_days(
    ws: Catalog,
    *,
    categories: Sequence[str] | str | None = None,
    exclude_categories: Sequence[str] | str = (),
) -> tuple[pd.Timestamp, pd.Timestamp]:
    """Return the days of the first and the last transaction (one small query).

    Args:
        ws: the Workspace.
        categories: only transactions of these categories (None: every category).
        exclude_categories: leave out transactions of these categories.

    Returns:
        ``(first_day, last_day)`` as midnight timestamps.

    Raises:
        NotEnoughDataError: no transactions table, or no row (of the categories asked for)
            with a customer, a timestamp and an amount.
        SchemaError, ArgumentError: a category filter that does not fit the data (see
            :func:`category_filter`).

    Example:
        >>> transaction_days(ws)  # doctest: +SKIP
        (Timestamp('2024-01-01 00:00:00'), Timestamp('2025-12-31 00:00:00'))
    """
    keep = category_filter(ws, categories, exclude_categories)
    return _date_range(ws, keep)


def _date_range(ws: Catalog, keep: CategoryFilter) -> tuple[pd.Timestamp, pd.Timestamp]:
    rows = _rows(ws, keep)
    got = run(
        rows.aggregate(first=rows["_day"].min(), last=rows["_day"].max()),
        "the date range of the transactions",
    ).iloc[0]
    if pd.isna(got["first"]):
        which = "" if not keep.active else f" among the {keep.describe()}"
        raise NotEnoughDataError(
            f"the transactions table has no row with a customer_id, an occurred_at and an "
            f"amount{which}; CLV needs purchases"
        )
    return _day(got["first"], "first"), _day(got["last"], "last")


def _in_range(day: pd.Timestamp, name: str, first: pd.Timestamp, last: pd.Timestamp) -> None:
    if not first <= day <= last:
        raise ArgumentError(
            f"{name}={day.date()} is outside the transactions, which run from {first.date()} "
            f"to {last.date()}; pass a date in that range"
        )


def _days_between(later: ir.Value, earlier: ir.Value) -> ir.FloatingValue:
    """Days from ``earlier`` to ``later`` (both midnights), engine-neutral via epoch seconds."""
    return (
        later.epoch_seconds().cast("float64") - earlier.epoch_seconds().cast("float64")
    ) / _SECONDS_PER_DAY


def _daily(rows: ir.Table, last_day: pd.Timestamp) -> ir.Table:
    """Net spend (``_spend``, whole micro-units) per customer and day, up to ``last_day``."""
    upto = rows.filter(rows["_day"] <= ibis.literal(last_day, type="timestamp"))
    return upto.group_by("customer_id", "_day").aggregate(_spend=upto["_micro"].sum())


def _summary(purchases: ir.Table, end: pd.Timestamp, unit: float) -> ir.Table:
    """Frequency, recency, T and mean repeat spend from purchase days up to ``end``."""
    first = purchases["_day"].min().over(ibis.window(group_by="customer_id"))
    p = purchases.mutate(_first=first)
    repeat = p["_day"] > p["_first"]
    agg = p.group_by("customer_id").aggregate(
        _first=p["_first"].min(),
        _last=p["_day"].max(),
        _periods=p.count(),
        _repeat_spend=p["_spend"].sum(where=repeat),  # whole micro-units: order-free
    )
    periods = agg["_periods"].cast("int64")
    return agg.select(
        "customer_id",
        frequency=(periods - 1).cast("int64"),
        recency=_days_between(agg["_last"], agg["_first"]) / unit,
        T=_days_between(ibis.literal(end, type="timestamp"), agg["_first"]) / unit,
        monetary_value=_money(agg["_repeat_spend"], (periods - 1).nullif(0)).fill_null(0.0),
    )


def _checks(daily: ir.Table) -> ir.Table:
    per = daily.group_by("customer_id").aggregate(
        _bad=(daily["_spend"] <= 0).ifelse(1, 0).sum(),
        _best=daily["_spend"].max(),
        _refunds=(daily["_spend"] < 0).ifelse(-daily["_spend"], 0).sum(),
    )
    return per.aggregate(
        customers=per.count(),
        customers_without_purchase=(per["_best"] <= 0).ifelse(1, 0).sum(),
        nonpositive_days=per["_bad"].sum(),
        refunds=_money(per["_refunds"].sum()),
    )


def plan_rfm_summary(
    ws: Catalog,
    as_of: DateLike | None = None,
    *,
    calibration_end: DateLike | None = None,
    time_unit: str = "days",
    categories: Sequence[str] | str | None = None,
    exclude_categories: Sequence[str] | str = (),
) -> RfmPlan:
    """Plan the CLV summary in the engine (small queries run to check the dates and filter).

    Without ``calibration_end``: the :func:`rfm_summary` table as of ``as_of``. With it: the
    :func:`calibration_and_holdout` table, with ``as_of`` as the observation end.

    Args:
        ws: the Workspace (needs ``transactions``).
        as_of: the as-of (observation end) day; default the last transaction's day (of any
            category: the end of the data). A timestamp counts as its whole day.
        calibration_end: last day of the calibration period, or None.
        time_unit: ``"days"`` or ``"weeks"`` for recency, T and durations.
        categories: use only transactions of these categories (None: every category).
        exclude_categories: leave out transactions of these categories (e.g.
            ``["subscription"]``: recurring payments that are not Poisson purchases).

    Returns:
        RfmPlan with ``expr`` (lazy), ``checks``, the dates, ``keep``, ``sql()`` and
        ``execute()``.

    Raises:
        ArgumentError: a date outside the transactions' range, calibration_end not before
            as_of, an unknown time_unit, or an unknown category.
        SchemaError: a category filter on transactions without a ``category`` column.
        NotEnoughDataError: no usable transactions (of the categories asked for).

    Example:
        >>> print(plan_rfm_summary(ws, "2025-06-30").sql())  # doctest: +SKIP
    """
    unit = _check_unit(time_unit)
    keep = category_filter(ws, categories, exclude_categories)
    first, last = _date_range(ws, CategoryFilter())
    if keep.active:
        _date_range(ws, keep)  # raises when the filter leaves no usable row
    end = last if as_of is None else _day(as_of, "as_of")
    _in_range(end, "as_of" if calibration_end is None else "observation_end", first, last)
    rows = _rows(ws, keep)
    daily = _daily(rows, end)
    purchases = daily.filter(daily["_spend"] > 0)
    if calibration_end is None:
        expr = _summary(purchases, end, unit)
        return RfmPlan(expr, _checks(daily), end, None, first, last, time_unit, keep)
    cal = _day(calibration_end, "calibration_end")
    _in_range(cal, "calibration_end", first, last)
    if cal >= end:
        raise ArgumentError(
            f"calibration_end={cal.date()} must be before the observation end {end.date()}; "
            "the holdout period runs from the day after calibration_end to the observation end"
        )
    before = _summary(
        purchases.filter(purchases["_day"] <= ibis.literal(cal, type="timestamp")), cal, unit
    )
    after = purchases.filter(purchases["_day"] > ibis.literal(cal, type="timestamp"))
    holdout = after.group_by(_hid=after["customer_id"]).aggregate(_periods=after.count())
    joined = before.left_join(holdout, before["customer_id"] == holdout["_hid"])
    expr = joined.select(
        "customer_id",
        frequency_cal=joined["frequency"],
        recency_cal=joined["recency"],
        T_cal=joined["T"],
        monetary_value_cal=joined["monetary_value"],
        frequency_holdout=joined["_periods"].fill_null(0).cast("int64"),
        duration_holdout=ibis.literal((end - cal).days / unit, type="float64"),
    )
    return RfmPlan(expr, _checks(daily), end, cal, first, last, time_unit, keep)


def rfm_summary(
    ws: Catalog,
    as_of: DateLike | None = None,
    *,
    time_unit: str = "days",
    categories: Sequence[str] | str | None = None,
    exclude_categories: Sequence[str] | str = (),
) -> pd.DataFrame:
    """Return one row per customer with the inputs of the BG/NBD and Gamma-Gamma models.

    Computed in the engine from ``transactions`` as lifetimes'
    ``summary_data_from_transaction_data(..., freq="D")`` does (``freq_multiplier=7`` for
    weeks); see the module docstring for the refund rule.

    Args:
        ws: the Workspace (needs ``transactions``).
        as_of: the as-of day (default: the last transaction's day); its purchases count.
        time_unit: ``"days"`` or ``"weeks"``.
        categories: use only transactions of these categories (None: every category).
        exclude_categories: leave out transactions of these categories.

    Returns:
        DataFrame sorted by customer_id with columns ``customer_id``, ``frequency`` (repeat
        purchase days), ``recency`` (first to last purchase day), ``T`` (first purchase day
        to as_of), ``monetary_value`` (mean net spend of the repeat days, 0 without repeats).
        Customers whose first purchase (of the categories used) is after as_of are not in it.
        The as-of day, unit, refund notes and category filter are fields of
        :func:`plan_rfm_summary` (``.as_of``, ``.time_unit``, ``.notes()``,
        ``.keep.describe()``).

    Raises:
        ArgumentError: as_of before the first or after the last transaction; an unknown
            category.
        SchemaError: a category filter on transactions without a ``category`` column.
        NotEnoughDataError: no usable transactions.

    Example:
        >>> rfm_summary(ws, "2025-06-30").columns.tolist()  # doctest: +SKIP
        ['customer_id', 'frequency', 'recency', 'T', 'monetary_value']
    """
    return plan_rfm_summary(
        ws,
        as_of,
        time_unit=time_unit,
        categories=categories,
        exclude_categories=exclude_categories,
    ).execute()


def calibration_and_holdout(
    ws: Catalog,
    calibration_end: DateLike,
    observation_end: DateLike | None = None,
    *,
    time_unit: str = "days",
    categories: Sequence[str] | str | None = None,
    exclude_categories: Sequence[str] | str = (),
) -> pd.DataFrame:
    """Return the calibration summary and holdout purchases per customer.

    As lifetimes' ``calibration_and_holdout_data(..., freq="D")``: the summary of the
    purchase days up to ``calibration_end`` (customers who bought by then), and the
    purchase days after it up to ``observation_end``.

    Args:
        ws: the Workspace (needs ``transactions``).
        calibration_end: last day of the calibration period.
        observation_end: last day of the holdout period (default: last transaction's day).
        time_unit: ``"days"`` or ``"weeks"``.
        categories: use only transactions of these categories (None: every category).
        exclude_categories: leave out transactions of these categories.

    Returns:
        DataFrame sorted by customer_id with ``customer_id``, ``frequency_cal``,
        ``recency_cal``, ``T_cal``, ``monetary_value_cal``, ``frequency_holdout`` (purchase
        days in the holdout period) and ``duration_holdout`` (its length). The observation
        end (``.as_of``), ``.calibration_end``, unit, notes and filter are fields of
        :func:`plan_rfm_summary` called with ``calibration_end``.

    Raises:
        ArgumentError: a date outside the transactions, calibration_end not before
            observation_end, or an unknown category.
        SchemaError: a category filter on transactions without a ``category`` column.
        NotEnoughDataError: no usable transactions.

    Example:
        >>> calibration_and_holdout(ws, "2025-06-30")["frequency_holdout"].sum()  # doctest: +SKIP
    """
    plan = plan_rfm_summary(
        ws,
        observation_end,
        calibration_end=calibration_end,
        time_unit=time_unit,
        categories=categories,
        exclude_categories=exclude_categories,
    )
    return plan.execute()


def recurring_categories(
    ws: Catalog,
    *,
    max_cv: float = RECURRING_MAX_CV,
    min_gaps: int = RECURRING_MIN_GAPS,
    min_customers: int = RECURRING_MIN_CUSTOMERS,
) -> pd.DataFrame:
    """Find the categories bought at regular intervals (subscription-like), in the engine.

    Per category and customer, the purchase days (net spend > 0, as in the summary) and the
    gaps between consecutive ones are computed with an Ibis window; a customer with at least
    ``min_gaps`` gaps gets the coefficient of variation (sample sd / mean) of their gaps. A
    category is *recurring* when at least ``min_customers`` customers are judged and their
    median CV is below ``max_cv``: Poisson purchasing gives a CV near 1, monthly billing
    (28-31 day gaps) about 0.03. Only the per-category table comes to pandas.

    Args:
        ws: the Workspace (needs ``transactions`` with a ``category`` column).
        max_cv: median CV below which a category is recurring.
        min_gaps: gaps a customer needs to be judged.
        min_customers: judged customers a category needs to be called recurring.

    Returns:
        DataFrame sorted by category with :data:`RECURRING_COLUMNS`: ``category``,
        ``customers`` (with a purchase day in it), ``customers_judged``, ``median_gap_days``
        (median of the judged customers' mean gaps), ``median_cv`` (NaN when nobody is
        judged), ``recurring`` (bool), and the thresholds it was judged by, the same on every
        row: ``max_cv``, ``min_gaps``, ``min_customers``. Rows without a category are left
        out.

    Raises:
        SchemaError: transactions has no ``category`` column.
        ArgumentError: max_cv not > 0, or min_gaps / min_customers below 2 / 1.

    Example:
        >>> recurring_categories(ws).query("recurring")["category"].tolist()  # doctest: +SKIP
        ['subscription']
    """
    if not (isinstance(max_cv, int | float) and max_cv > 0):
        raise ArgumentError(f"max_cv must be a number > 0; got {max_cv!r}")
    for name, value, low in (("min_gaps", min_gaps, 2), ("min_customers", min_customers, 1)):
        if isinstance(value, bool) or not isinstance(value, int) or value < low:
            raise ArgumentError(f"{name} must be a whole number >= {low}; got {value!r}")
    require_columns(ws.table("transactions"), "transactions", "category")
    base = _usable(ws)
    base = base.filter(base["category"].notnull())
    rows = base.select(
        category=base["category"].cast("string"),
        customer_id=base["customer_id"],
        **_day_and_micro(base),
    )
    daily = rows.group_by("category", "customer_id", "_day").aggregate(_spend=rows["_micro"].sum())
    days = daily.filter(daily["_spend"] > 0)
    window = ibis.window(group_by=["category", "customer_id"], order_by="_day")
    gaps = days.mutate(_gap=_days_between(days["_day"], days["_day"].lag().over(window)))
    gaps = gaps.filter(gaps["_gap"].notnull())
    per = gaps.group_by("category", "customer_id").aggregate(
        _n=gaps.count(), _mean=gaps["_gap"].mean(), _sd=gaps["_gap"].std(how="sample")
    )
    judged = per.filter(per["_n"] >= min_gaps)
    judged = judged.mutate(_cv=judged["_sd"] / judged["_mean"])
    stats = judged.group_by("category").aggregate(
        customers_judged=judged.count(),
        median_gap_days=judged["_mean"].median(),
        median_cv=judged["_cv"].median(),
    )
    buyers = days.group_by("category").aggregate(customers=days["customer_id"].nunique())
    joined = buyers.left_join(stats, buyers["category"] == stats["category"])
    expr = joined.select(
        category=buyers["category"],
        customers=buyers["customers"],
        customers_judged=joined["customers_judged"].fill_null(0),
        median_gap_days=joined["median_gap_days"],
        median_cv=joined["median_cv"],
    )
    frame = run(expr.order_by("category"), "the purchase regularity per category")
    for col in ("customers", "customers_judged"):
        frame[col] = frame[col].astype("int64")
    for col in ("median_gap_days", "median_cv"):
        frame[col] = frame[col].astype("float64")
    frame["recurring"] = (frame["customers_judged"] >= min_customers) & (
        frame["median_cv"] < max_cv
    ).fillna(False)
    frame["max_cv"] = float(max_cv)
    frame["min_gaps"], frame["min_customers"] = min_gaps, min_customers
    frame[["min_gaps", "min_customers"]] = frame[["min_gaps", "min_customers"]].astype("int64")
    return frame[list(RECURRING_COLUMNS)].reset_index(drop=True)
