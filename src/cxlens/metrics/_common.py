"""Shared plumbing of the metrics: the metric plan, grouping checks and the tidy output.

A metric is planned as one Ibis expression that aggregates raw rows in the engine down to
groups x periods, plus a ``finish`` step that turns that small table into estimates,
intervals and period-on-period changes in pandas.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import ibis
import ibis.expr.types as ir
import numpy as np
import pandas as pd

from cxlens.errors import SchemaError
from cxlens.metrics.periods import (
    COVERAGE_COLUMNS,
    check_every,
    coverage_of,
    partial_periods,
    period_step,
    truncate,
)
from cxlens.metrics.stats import FloatArray, check_confidence, check_min_n
from cxlens.store.query import run

#: Columns every metric returns after the ``by`` columns (``period`` only with ``every``).
BASE_COLUMNS: tuple[str, ...] = (
    "n",
    "value",
    "ci_low",
    "ci_high",
    "change",
    "p_value",
    "significant",
    "small_sample",
    "partial",
    "ci_method",
    "test",
)

_RESERVED = {"period", "period_end", *BASE_COLUMNS}


#: A change test returns p-values and, per row, the name of the test used.
ChangeTest = Callable[[pd.DataFrame, pd.DataFrame], tuple[FloatArray, np.ndarray]]


def check_by(by: Sequence[str] | str | None, table: ir.Table, table_name: str) -> list[str]:
    """Return ``by`` as a list after checking every column exists in ``table``."""
    if by is None:
        return []
    cols = [by] if isinstance(by, str) else list(by)
    if len(set(cols)) != len(cols):
        raise SchemaError(f"by={cols!r} names a column more than once")
    for col in cols:
        if col in _RESERVED:
            raise SchemaError(
                f"cannot group by '{col}': the name clashes with an output column of the metric"
            )
        if col not in table.columns:
            raise SchemaError(
                f"by column '{col}' is not in {table_name}; available columns: "
                f"{', '.join(table.columns)}"
            )
    return cols


@dataclass(frozen=True)
class MetricArgs:
    """The checked settings every metric takes (see :func:`check_metric_args`)."""

    by: list[str]
    every: str | None
    confidence: float
    min_n: int

    def settings(self) -> dict[str, Any]:
        """Return them as the keyword arguments of :func:`metric_plan` and :func:`finish_frame`.

        Example:
            >>> MetricArgs(["segment"], "month", 0.95, 30).settings()["every"]
            'month'
        """
        return {
            "by": self.by,
            "every": self.every,
            "confidence": self.confidence,
            "min_n": self.min_n,
        }


def check_metric_args(
    by: Sequence[str] | str | None,
    table: ir.Table,
    table_name: str,
    every: str | None,
    confidence: float,
    min_n: int,
    *,
    every_required: bool = False,
) -> MetricArgs:
    """Check the settings every metric takes; return them with ``by`` as a list.

    The time grain is checked first, then the confidence level, the floor ``min_n`` and the
    ``by`` columns of ``table`` (named ``table_name`` in errors).

    Raises:
        ArgumentError: unknown (or, with ``every_required``, missing) ``every``,
            ``confidence`` outside (0, 1) or negative ``min_n``.
        SchemaError: a ``by`` column is missing or clashes with an output column.

    Example:
        >>> import ibis
        >>> t = ibis.memtable({"segment": ["a"], "nps": [9]})
        >>> check_metric_args("segment", t, "responses", None, 0.95, 30).by
        ['segment']
    """
    every = check_every(every, required=every_required)
    check_confidence(confidence)
    check_min_n(min_n)
    return MetricArgs(check_by(by, table, table_name), every, confidence, min_n)


def coverage_when(rows: ir.Table, time_column: str, every: str | None) -> dict[str, ir.Scalar]:
    """Return the first and last time of ``rows`` as aggregates when trending, else nothing.

    :func:`finish_frame` tells the partial periods from these :data:`COVERAGE_COLUMNS`.

    Example:
        >>> import ibis, pandas as pd
        >>> t = ibis.memtable({"at": pd.to_datetime(["2024-01-03", "2024-01-09"])})
        >>> sorted(coverage_when(t, "at", "month")), coverage_when(t, "at", None)
        (['_first_at', '_last_at'], {})
    """
    return coverage_of(rows[time_column]) if every is not None else {}


@dataclass(frozen=True)
class MetricPlan:
    """An engine query for a metric plus the pandas step that finishes it.

    ``expr`` aggregates raw rows to one row per group and period; ``finish`` turns the
    executed result into the tidy metric table. ``coverage`` is the first and last timestamp
    of the data when the plan knows it before running (churn); survey metrics and engagement
    carry it in the :data:`COVERAGE_COLUMNS` of their result instead.
    """

    name: str
    expr: ir.Table
    finish: Callable[[pd.DataFrame], pd.DataFrame]
    coverage: tuple[pd.Timestamp, pd.Timestamp] | None = None

    def sql(self) -> str:
        """Return the SQL of the engine query, in the dialect of the table's backend."""
        return str(ibis.to_sql(self.expr))

    def run(self) -> pd.DataFrame:
        """Execute the engine query and finish the result."""
        return self.finish(run(self.expr, self.name))

    def drop_partial_periods(self, agg: pd.DataFrame, every: str) -> pd.DataFrame:
        """Return the rows of ``agg`` (the executed ``expr``) whose period is whole.

        See :func:`drop_partial_periods`; analyses that run ``expr`` themselves (the
        insights scan) call it so a partly elapsed period is never compared as full.
        """
        return drop_partial_periods(self, agg, every)


def metric_plan(
    name: str,
    expr: ir.Table,
    **finishing: Any,
) -> MetricPlan:
    """Bundle a metric's engine query with :func:`finish_frame` and its settings.

    ``finishing`` holds the keyword arguments of :func:`finish_frame` (by, every, confidence,
    min_n, estimate, change_test, ci_method, extra, keep_empty, coverage).
    """
    finish = functools.partial(finish_frame, **finishing)
    return MetricPlan(name, expr, finish, finishing.get("coverage"))


def drop_partial_periods(plan: MetricPlan, agg: pd.DataFrame, every: str) -> pd.DataFrame:
    """Return the rows of ``agg`` (the executed ``plan.expr``) whose period is whole.

    The data's coverage comes from ``plan.coverage`` or the :data:`COVERAGE_COLUMNS` of
    ``agg``; without either, ``agg`` comes back unchanged.

    Example:
        >>> agg = pd.DataFrame({"period": pd.to_datetime(["2024-11-01", "2024-12-01"]),
        ...     "_first_at": pd.to_datetime(["2024-11-01", "2024-12-01"]),
        ...     "_last_at": pd.to_datetime(["2024-11-30", "2024-12-09"])})
        >>> len(drop_partial_periods(MetricPlan("x", None, lambda d: d), agg, "month"))
        1
    """
    partial = _partial(agg.reset_index(drop=True), every, plan.coverage)
    return agg[~partial]


def group_keys(by: list[str], every: str | None) -> list[str]:
    """Return the grouping keys: ``by``, then ``period`` when trending."""
    return [*by, "period"] if every else list(by)


def with_period(table: ir.Table, time_column: str, every: str | None) -> ir.Table:
    """Add a ``period`` column (period start) when ``every`` is given."""
    if every is None:
        return table
    return table.mutate(period=truncate(table[time_column], every))


def aggregate(table: ir.Table, keys: list[str], **metrics: ir.Scalar) -> ir.Table:
    """Group ``table`` by ``keys`` (or not at all) and aggregate ``metrics``."""
    if keys:
        return table.group_by(keys).aggregate(**metrics)
    return table.aggregate(**metrics)


def finish_frame(
    agg: pd.DataFrame,
    *,
    by: list[str],
    every: str | None,
    confidence: float,
    min_n: int,
    estimate: Callable[[pd.DataFrame], pd.DataFrame],
    change_test: ChangeTest,
    ci_method: str,
    extra: Sequence[str],
    keep_empty: bool = False,
    coverage: tuple[pd.Timestamp, pd.Timestamp] | None = None,
) -> pd.DataFrame:
    """Turn an aggregated engine result into the tidy metric table.

    ``estimate`` receives the aggregated frame and must add ``n``, ``value``, ``ci_low``,
    ``ci_high``, the ``extra`` columns and any helper columns (prefixed ``_``) that
    ``change_test`` needs; ``change_test(current, previous)`` gets two row-aligned frames
    and returns p-values and the name of the test per row. Rows with ``n == 0`` (an
    ungrouped query over no rows) are dropped unless ``keep_empty``.

    ``partial`` marks the periods the data covers only in part (:func:`partial_periods`),
    from ``coverage`` (first and last timestamp of the data) or else the
    :data:`COVERAGE_COLUMNS` of ``agg``. A change from or to a partial period is not
    computed or tested: a partly elapsed period is not comparable with a whole one.
    """
    check_confidence(confidence)
    keys = group_keys(by, every)
    df = agg.copy()
    if not keep_empty and "n" in df.columns:
        df = df[pd.to_numeric(df["n"]).fillna(0) > 0].reset_index(drop=True)
    if every is not None:
        df["period"] = pd.to_datetime(df["period"]).astype("datetime64[us]")
    df["partial"] = _partial(df, every, coverage)
    df = estimate(df)
    df["ci_method"] = ci_method
    df["change"] = np.nan
    df["p_value"] = np.nan
    df["test"] = None
    if every is not None and len(df):
        _changes(df, keys, every, change_test)
    alpha = 1.0 - confidence
    df["significant"] = (df["p_value"] < alpha).fillna(False).astype(bool)
    df["n"] = df["n"].astype("int64")
    df["small_sample"] = (df["n"] < min_n).astype(bool)
    out = df[[*keys, *BASE_COLUMNS, *extra]]
    if keys:
        out = out.sort_values(keys, na_position="last", kind="mergesort")
    return out.reset_index(drop=True)


def _partial(
    df: pd.DataFrame, every: str | None, coverage: tuple[pd.Timestamp, pd.Timestamp] | None
) -> np.ndarray:
    """Return the ``partial`` flag of each row (all False without periods or coverage)."""
    first, last = COVERAGE_COLUMNS
    if coverage is None and first in df.columns and len(df):
        start, end = pd.to_datetime(df[first]).min(), pd.to_datetime(df[last]).max()
        coverage = (start, end) if pd.notna(start) and pd.notna(end) else None
    if every is None or coverage is None or not len(df):
        return np.zeros(len(df), dtype=bool)
    return partial_periods(df["period"], every, coverage[0], coverage[1])


def _changes(df: pd.DataFrame, keys: list[str], every: str, change_test: ChangeTest) -> None:
    """Fill ``change``, ``p_value`` and ``test`` against the preceding period, in place."""
    prev = df.copy()
    prev["period"] = prev["period"] + period_step(every)
    merged = df[keys].merge(prev, on=keys, how="left", suffixes=("", "_prev"))
    # merge keeps left order; guard against duplicate keys from a malformed input
    if len(merged) != len(df):
        return
    cur = df.reset_index(drop=True)
    old = merged.reset_index(drop=True)
    whole = ~cur["partial"].to_numpy(bool) & ~old["partial"].fillna(True).to_numpy(bool)
    change = np.where(whole, (cur["value"] - old["value"]).to_numpy(dtype=float), np.nan)
    p, test = change_test(cur, old)
    ok = np.isfinite(change) & np.isfinite(p)
    df["change"] = change
    df["p_value"] = np.where(ok, p, np.nan)
    df["test"] = np.where(ok, np.asarray(test, dtype=object), None)
