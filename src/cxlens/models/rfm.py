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
out. ``attrs["notes"]`` of the executed table counts both, so nothing is mixed silently.
Rows with no customer_id, no timestamp or no amount are skipped.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

import ibis
import ibis.expr.types as ir
import pandas as pd

from cxlens.analysis.features import WorkspaceLike
from cxlens.errors import ArgumentError, NotEnoughDataError
from cxlens.metrics._common import (
    execute,
    is_present,
    require_columns,
    require_numeric,
    require_temporal,
)

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
    """

    expr: ir.Table
    checks: ir.Table = field(repr=False)
    as_of: pd.Timestamp
    calibration_end: pd.Timestamp | None
    first_day: pd.Timestamp
    last_day: pd.Timestamp
    time_unit: str

    def sql(self) -> str:
        """Return the SQL of the summary query in the engine's dialect."""
        return str(ibis.to_sql(self.expr))

    def execute(self) -> pd.DataFrame:
        """Run the summary query and return it sorted by customer_id.

        ``attrs`` holds ``as_of``, ``calibration_end``, ``time_unit`` and ``notes`` (what the
        refund rule left out, in words).
        """
        frame = execute(self.expr.order_by("customer_id"), "the CLV summary (RFM) table")
        for col in ("frequency", "frequency_cal", "frequency_holdout"):
            if col in frame.columns:  # engines differ on integer widths
                frame[col] = frame[col].astype("int64")
        frame.attrs = {
            "as_of": self.as_of,
            "calibration_end": self.calibration_end,
            "time_unit": self.time_unit,
            "notes": self.notes(),
        }
        return frame

    def notes(self) -> list[str]:
        """Run the checks query and describe what the refund rule left out, in words."""
        got = execute(self.checks, "the refund checks of the CLV summary").iloc[0]
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


def _rows(ws: WorkspaceLike) -> ir.Table:
    """Transactions with a customer, a timestamp and an amount, plus their ``_day``."""
    t = ws.table("transactions")
    require_columns(t, "transactions", "customer_id", "occurred_at", "amount")
    require_temporal(t, "transactions", "occurred_at")
    require_numeric(t, "transactions", "amount")
    rows = t.filter(t["customer_id"].notnull(), t["occurred_at"].notnull(), is_present(t["amount"]))
    return rows.select(
        customer_id=rows["customer_id"],
        _day=rows["occurred_at"].cast("timestamp").truncate("D"),
        _amount=rows["amount"].cast("float64"),
    )


def transaction_days(ws: WorkspaceLike) -> tuple[pd.Timestamp, pd.Timestamp]:
    """Return the days of the first and the last transaction (one small query).

    Args:
        ws: the Workspace.

    Returns:
        ``(first_day, last_day)`` as midnight timestamps.

    Raises:
        NotEnoughDataError: no transactions table, or no row with a customer, a timestamp
            and an amount.

    Example:
        >>> transaction_days(ws)  # doctest: +SKIP
        (Timestamp('2024-01-01 00:00:00'), Timestamp('2025-12-31 00:00:00'))
    """
    rows = _rows(ws)
    got = execute(
        rows.aggregate(first=rows["_day"].min(), last=rows["_day"].max()),
        "the date range of the transactions",
    ).iloc[0]
    if pd.isna(got["first"]):
        raise NotEnoughDataError(
            "the transactions table has no row with a customer_id, an occurred_at and an "
            "amount; CLV needs purchases"
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
    """Net spend per customer and day, up to and including ``last_day``."""
    upto = rows.filter(rows["_day"] <= ibis.literal(last_day, type="timestamp"))
    return upto.group_by("customer_id", "_day").aggregate(_spend=upto["_amount"].sum())


def _summary(purchases: ir.Table, end: pd.Timestamp, unit: float) -> ir.Table:
    """Frequency, recency, T and mean repeat spend from purchase days up to ``end``."""
    first = purchases["_day"].min().over(ibis.window(group_by="customer_id"))
    p = purchases.mutate(_first=first)
    agg = p.group_by("customer_id").aggregate(
        _first=p["_first"].min(),
        _last=p["_day"].max(),
        _periods=p.count(),
        _repeat_spend=p["_spend"].mean(where=p["_day"] > p["_first"]),
    )
    return agg.select(
        "customer_id",
        frequency=(agg["_periods"] - 1).cast("int64"),
        recency=_days_between(agg["_last"], agg["_first"]) / unit,
        T=_days_between(ibis.literal(end, type="timestamp"), agg["_first"]) / unit,
        monetary_value=agg["_repeat_spend"].fill_null(0.0),
    )


def _checks(daily: ir.Table) -> ir.Table:
    per = daily.group_by("customer_id").aggregate(
        _bad=(daily["_spend"] <= 0).ifelse(1, 0).sum(),
        _best=daily["_spend"].max(),
        _refunds=(daily["_spend"] < 0).ifelse(-daily["_spend"], 0.0).sum(),
    )
    return per.aggregate(
        customers=per.count(),
        customers_without_purchase=(per["_best"] <= 0).ifelse(1, 0).sum(),
        nonpositive_days=per["_bad"].sum(),
        refunds=per["_refunds"].sum(),
    )


def plan_rfm_summary(
    ws: WorkspaceLike,
    as_of: DateLike | None = None,
    *,
    calibration_end: DateLike | None = None,
    time_unit: str = "days",
) -> RfmPlan:
    """Plan the CLV summary in the engine (one date-range query runs to check the dates).

    Without ``calibration_end``: the :func:`rfm_summary` table as of ``as_of``. With it: the
    :func:`calibration_and_holdout` table, with ``as_of`` as the observation end.

    Args:
        ws: the Workspace (needs ``transactions``).
        as_of: the as-of (observation end) day; default the last transaction's day. A
            timestamp counts as its whole day.
        calibration_end: last day of the calibration period, or None.
        time_unit: ``"days"`` or ``"weeks"`` for recency, T and durations.

    Returns:
        RfmPlan with ``expr`` (lazy), ``checks``, the dates, ``sql()`` and ``execute()``.

    Raises:
        ArgumentError: a date outside the transactions' range, calibration_end not before
            as_of, or an unknown time_unit.
        NotEnoughDataError: no usable transactions.

    Example:
        >>> print(plan_rfm_summary(ws, "2025-06-30").sql())  # doctest: +SKIP
    """
    unit = _check_unit(time_unit)
    first, last = transaction_days(ws)
    end = last if as_of is None else _day(as_of, "as_of")
    _in_range(end, "as_of" if calibration_end is None else "observation_end", first, last)
    rows = _rows(ws)
    daily = _daily(rows, end)
    purchases = daily.filter(daily["_spend"] > 0)
    if calibration_end is None:
        expr = _summary(purchases, end, unit)
        return RfmPlan(expr, _checks(daily), end, None, first, last, time_unit)
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
    return RfmPlan(expr, _checks(daily), end, cal, first, last, time_unit)


def rfm_summary(
    ws: WorkspaceLike, as_of: DateLike | None = None, *, time_unit: str = "days"
) -> pd.DataFrame:
    """Return one row per customer with the inputs of the BG/NBD and Gamma-Gamma models.

    Computed in the engine from ``transactions`` as lifetimes'
    ``summary_data_from_transaction_data(..., freq="D")`` does (``freq_multiplier=7`` for
    weeks); see the module docstring for the refund rule.

    Args:
        ws: the Workspace (needs ``transactions``).
        as_of: the as-of day (default: the last transaction's day); its purchases count.
        time_unit: ``"days"`` or ``"weeks"``.

    Returns:
        DataFrame sorted by customer_id with columns ``customer_id``, ``frequency`` (repeat
        purchase days), ``recency`` (first to last purchase day), ``T`` (first purchase day
        to as_of), ``monetary_value`` (mean net spend of the repeat days, 0 without repeats);
        ``attrs`` has ``as_of``, ``time_unit`` and ``notes``. Customers whose first purchase
        is after as_of are not in it.

    Raises:
        ArgumentError: as_of before the first or after the last transaction.
        NotEnoughDataError: no usable transactions.

    Example:
        >>> rfm_summary(ws, "2025-06-30").columns.tolist()  # doctest: +SKIP
        ['customer_id', 'frequency', 'recency', 'T', 'monetary_value']
    """
    return plan_rfm_summary(ws, as_of, time_unit=time_unit).execute()


def calibration_and_holdout(
    ws: WorkspaceLike,
    calibration_end: DateLike,
    observation_end: DateLike | None = None,
    *,
    time_unit: str = "days",
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

    Returns:
        DataFrame sorted by customer_id with ``customer_id``, ``frequency_cal``,
        ``recency_cal``, ``T_cal``, ``monetary_value_cal``, ``frequency_holdout`` (purchase
        days in the holdout period) and ``duration_holdout`` (its length); ``attrs`` has
        ``as_of`` (the observation end), ``calibration_end``, ``time_unit`` and ``notes``.

    Raises:
        ArgumentError: a date outside the transactions, or calibration_end not before
            observation_end.
        NotEnoughDataError: no usable transactions.

    Example:
        >>> calibration_and_holdout(ws, "2025-06-30")["frequency_holdout"].sum()  # doctest: +SKIP
    """
    plan = plan_rfm_summary(
        ws, observation_end, calibration_end=calibration_end, time_unit=time_unit
    )
    return plan.execute()
