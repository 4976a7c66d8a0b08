"""Validate a request's metric, ``by``, ``every`` and filters against the workspace's columns.

Nothing from a request reaches the engine as text: column names are checked against the
columns the metric can read (its own table, plus ``customers`` and ``customer_segments``
joined on ``customer_id``, lineage columns excluded), values are converted to the column's
type, and the filter runs as Ibis ``isin`` predicates (the KPI filter machinery of
:mod:`cxlens.analysis.kpis`). Anything unknown is an ``ArgumentError``/``SchemaError``,
which the API answers with 422 and the message.

The filter applies to the rows the metric counts (responses for NPS/CSAT/CES, customers
for churn, posts for engagement): on the table's own column with ``isin``, or on a customer
column by keeping the rows whose ``customer_id`` is among the matching customers (a
semi-join), as KPI filters do. The customer tables that ``by`` columns are joined from are
not filtered themselves.

A date range (``since``/``until``, whole days, both inclusive) keeps the rows whose
timestamp falls in it: ``responded_at`` for NPS/CSAT/CES, ``posted_at`` for engagement, as
Ibis comparisons in the engine. Churn is a rate per period over the customer base, so
cutting customers by a date would change who is at risk; its range keeps the periods that
start in it instead (see :func:`in_range`).
"""

from __future__ import annotations

import datetime as _dt
import math
from dataclasses import dataclass, field
from typing import Any

import ibis.expr.datatypes as dt
import ibis.expr.types as ir
import pandas as pd

from cxlens.analysis.kpis import filter_columns
from cxlens.errors import ArgumentError, SchemaError
from cxlens.metrics.customer_columns import keep_customers_where
from cxlens.metrics.namespace import METRICS
from cxlens.metrics.periods import GRAINS
from cxlens.store.catalog import Catalog, CatalogView

#: Most values one filter may list, and most ``by`` columns (keeps requests cheap).
MAX_VALUES = 100
MAX_BY = 3

_TRUE = {"true", "1", "yes"}
_FALSE = {"false", "0", "no"}


@dataclass(frozen=True)
class MetricQuery:
    """A validated metric request.

    Attributes:
        metric: nps, csat, ces, churn or engagement.
        by: grouping columns, each one the metric can read.
        every: time grain or None.
        filter: column -> values, typed as the column is.
        since: first day of the date range (inclusive), or None.
        until: last day of the date range (inclusive), or None.
    """

    metric: str
    by: tuple[str, ...] = ()
    every: str | None = None
    filter: dict[str, list[Any]] = field(default_factory=dict)
    since: _dt.date | None = None
    until: _dt.date | None = None

    def cache_key(self) -> tuple[Any, ...]:
        """Return a hashable key naming this query (for the result cache)."""
        flt = tuple(sorted((k, tuple(map(repr, v))) for k, v in self.filter.items()))
        return (self.metric, self.by, self.every, flt, self.since, self.until)


def check_metric(metric: str) -> str:
    """Return ``metric`` if it is a metric the API serves, else raise ArgumentError.

    Example:
        >>> check_metric("nps")
        'nps'
    """
    if metric not in METRICS:
        raise ArgumentError(f"unknown metric {metric!r}; use one of: {', '.join(METRICS)}")
    return metric


def check_grain(every: str | None) -> str | None:
    """Return ``every`` if it is a time grain (or None), else raise ArgumentError.

    Example:
        >>> check_grain("month")
        'month'
    """
    if every is not None and every not in GRAINS:
        raise ArgumentError(f"unknown time grain every={every!r}; use one of: {', '.join(GRAINS)}")
    return every


def parse_date(value: str | _dt.date | None, name: str) -> _dt.date | None:
    """Return ``value`` (``YYYY-MM-DD`` or a date) as a date, None for None or empty text.

    Raises:
        ArgumentError: the text is not a calendar date in that form.

    Example:
        >>> parse_date("2025-02-28", "since")
        datetime.date(2025, 2, 28)
    """
    if isinstance(value, _dt.date):
        return value
    if value is None or not value.strip():
        return None
    try:
        return _dt.date.fromisoformat(value.strip())
    except ValueError:
        raise ArgumentError(
            f"{name}={value!r} is not a date; give a calendar date as YYYY-MM-DD, "
            f"e.g. {name}=2025-01-31"
        ) from None


def check_range(
    since: _dt.date | None, until: _dt.date | None
) -> tuple[_dt.date | None, _dt.date | None]:
    """Return ``(since, until)`` when since is not after until, else raise ArgumentError.

    Example:
        >>> check_range(_dt.date(2025, 1, 1), None)
        (datetime.date(2025, 1, 1), None)
    """
    if since is not None and until is not None and since > until:
        raise ArgumentError(
            f"the date range is empty: since={since.isoformat()} is after "
            f"until={until.isoformat()}; give since on or before until"
        )
    return since, until


def parse_filters(items: list[str] | None) -> dict[str, list[str]]:
    """Turn repeated ``column=value`` parameters into column -> values (a column may repeat).

    Raises:
        ArgumentError: an item without ``=``, an empty column or value.

    Example:
        >>> parse_filters(["segment=consumer", "segment=enterprise", "touchpoint=billing"])
        {'segment': ['consumer', 'enterprise'], 'touchpoint': ['billing']}
    """
    out: dict[str, list[str]] = {}
    for item in items or []:
        column, sep, value = item.partition("=")
        if not sep or not column.strip() or not value.strip():
            raise ArgumentError(
                f"filter must look like column=value, e.g. filter=segment=consumer; got {item!r}"
            )
        out.setdefault(column.strip(), []).append(value.strip())
    return out


def _column_type(ws: Any, table: str, column: str) -> dt.DataType:
    if ws.has_table(table):
        return ws.table(table).schema()[column]
    from cxlens.schema import TABLES

    return dt.dtype(TABLES[table].column(column).dtype) if table in TABLES else dt.string


def convert(value: str, dtype: dt.DataType, column: str) -> Any:
    """Convert a request's text ``value`` to a value of type ``dtype``.

    Raises:
        ArgumentError: the text is not a value of that type.

    Example:
        >>> convert("7", dt.int64, "nps")
        7
    """
    try:
        if dtype.is_string():
            return value
        if dtype.is_boolean():
            low = value.lower()
            if low in _TRUE or low in _FALSE:
                return low in _TRUE
            raise ValueError(value)
        if dtype.is_integer():
            return int(value)
        if dtype.is_floating() or dtype.is_decimal():
            number = float(value)
            if not math.isfinite(number):
                raise ValueError(value)
            return number
        if dtype.is_timestamp() or dtype.is_date():
            stamp = pd.Timestamp(value)
            if pd.isna(stamp):
                raise ValueError(value)
            return stamp.date() if dtype.is_date() else stamp.to_pydatetime()
    except (ValueError, TypeError, OverflowError):
        raise ArgumentError(
            f"filter value {value!r} of column '{column}' is not a {dtype}; give a value of "
            "the column's type"
        ) from None
    raise ArgumentError(f"column '{column}' ({dtype}) cannot be filtered on")


def validate(
    ws: Any,
    metric: str,
    by: list[str] | None = None,
    every: str | None = None,
    filters: list[str] | None = None,
    since: str | _dt.date | None = None,
    until: str | _dt.date | None = None,
) -> MetricQuery:
    """Check a metric request against the workspace; return it validated and typed.

    Args:
        ws: the Workspace.
        metric: the metric's name.
        by: grouping columns.
        every: time grain.
        filters: ``column=value`` items.
        since: first day of the date range, ``YYYY-MM-DD`` (inclusive).
        until: last day of the date range, ``YYYY-MM-DD`` (inclusive).

    Returns:
        A :class:`MetricQuery`.

    Raises:
        ArgumentError: unknown metric or grain, a malformed filter or value, too many
            values, a malformed date or since after until.
        SchemaError: a ``by`` or filter column the metric cannot read (the message lists
            the columns it can).

    Example:
        >>> validate(ws, "nps", by=["segment"], filters=["touchpoint=billing"])  # doctest: +SKIP
        MetricQuery(metric='nps', by=('segment',), every=None, filter={'touchpoint': ['billing']})
    """
    check_metric(metric)
    check_grain(every)
    start, end = check_range(parse_date(since, "since"), parse_date(until, "until"))
    available = filter_columns(ws, metric)
    columns = ", ".join(available)
    by_list = list(dict.fromkeys(by or []))
    if len(by_list) > MAX_BY:
        raise ArgumentError(f"at most {MAX_BY} by columns; got {len(by_list)}: {by_list}")
    for col in by_list:
        if col not in available:
            raise SchemaError(
                f"unknown by column {col!r} for {metric}; available columns: {columns}"
            )
    typed: dict[str, list[Any]] = {}
    for col, values in parse_filters(filters).items():
        if col not in available:
            raise SchemaError(
                f"unknown filter column {col!r} for {metric}; available columns: {columns}"
            )
        if len(values) > MAX_VALUES:
            raise ArgumentError(f"filter column '{col}' lists {len(values)} values; at most 100")
        dtype = _column_type(ws, available[col], col)
        typed[col] = list(dict.fromkeys(convert(v, dtype, col) for v in values))
    return MetricQuery(metric, tuple(by_list), every, typed, start, end)


#: The table whose rows each metric counts.
SOURCE = {"nps": "responses", "csat": "responses", "ces": "responses", "churn": "customers",
          "engagement": "posts"}  # fmt: skip

#: The timestamp a date range applies to, per source table (churn: see :func:`in_range`).
TIME_COLUMN = {"responses": "responded_at", "posts": "posted_at"}


def in_range(frame: pd.DataFrame, query: MetricQuery) -> pd.DataFrame:
    """Return the rows of a per-period metric table whose ``period`` starts in the range.

    Used for churn, a rate over the customers at risk at each period's start: its range
    selects periods of the small aggregated table, it does not drop customers.

    Example:
        >>> frame = pd.DataFrame({"period": pd.to_datetime(["2025-01-01", "2025-02-01"])})
        >>> len(in_range(frame, MetricQuery("churn", until=_dt.date(2025, 1, 31))))
        1
    """
    if "period" not in frame.columns or (query.since is None and query.until is None):
        return frame
    period = pd.to_datetime(frame["period"])
    keep = pd.Series(True, index=frame.index)
    if query.since is not None:
        keep &= period >= pd.Timestamp(query.since)
    if query.until is not None:
        keep &= period < pd.Timestamp(query.until) + pd.Timedelta(days=1)
    return frame[keep].reset_index(drop=True)


class FilteredWorkspace(CatalogView):
    """What the metrics read of a Workspace, with the metric's source table filtered.

    Args:
        ws: the Workspace.
        source: the table to filter (see ``SOURCE``).
        filter: validated, typed column -> values.
        since: keep rows on or after this day (by the source's ``TIME_COLUMN``).
        until: keep rows on or before this day.
    """

    def __init__(
        self,
        ws: Catalog,
        source: str,
        filter: dict[str, list[Any]],
        since: _dt.date | None = None,
        until: _dt.date | None = None,
    ) -> None:
        super().__init__(ws)
        self._ws = ws
        self._source = source
        self._filter = filter
        self._since = since
        self._until = until

    def table(self, name: str) -> ir.Table:
        """Return table ``name``, filtered when it is the source table."""
        table = self._ws.table(name)
        if name != self._source:
            return table
        for column, values in self._filter.items():
            if column in table.columns:
                table = table.filter(table[column].isin(values))
                continue
            kept = keep_customers_where(self._ws, table, name, column, values)
            if kept is None:  # the filter was checked against the columns before
                raise SchemaError(f"filter column '{column}' is in no table joined to {name}")
            table = kept
        return self._dated(table, name)

    def _dated(self, table: ir.Table, name: str) -> ir.Table:
        column = TIME_COLUMN.get(name)
        if column is None or column not in table.columns:
            return table
        when = table[column]
        if self._since is not None:
            table = table.filter(when >= _start_of(self._since))
        if self._until is not None:
            # until is a whole day: everything before the next midnight
            table = table.filter(when < _start_of(self._until + _dt.timedelta(days=1)))
        return table


def _start_of(day: _dt.date) -> _dt.datetime:
    return _dt.datetime(day.year, day.month, day.day)


def filtered(ws: Any, query: MetricQuery) -> Any:
    """Return ``ws`` as the metrics see it with the query's filter applied in the engine.

    Example:
        >>> Metrics(filtered(ws, query)).nps()  # doctest: +SKIP
    """
    dated = query.since is not None or query.until is not None
    if not query.filter and (not dated or query.metric == "churn"):
        return ws
    return FilteredWorkspace(ws, SOURCE[query.metric], query.filter, query.since, query.until)
