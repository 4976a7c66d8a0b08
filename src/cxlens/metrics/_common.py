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
from cxlens.metrics.periods import period_step, truncate
from cxlens.metrics.stats import FloatArray, check_confidence
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
)

_RESERVED = {"period", "period_end", *BASE_COLUMNS}


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
class MetricPlan:
    """An engine query for a metric plus the pandas step that finishes it.

    ``expr`` aggregates raw rows to one row per group and period; ``finish`` turns the
    executed result into the tidy metric table.
    """

    name: str
    expr: ir.Table
    finish: Callable[[pd.DataFrame], pd.DataFrame]

    def sql(self) -> str:
        """Return the SQL of the engine query, in the dialect of the table's backend."""
        return str(ibis.to_sql(self.expr))

    def run(self) -> pd.DataFrame:
        """Execute the engine query and finish the result."""
        return self.finish(run(self.expr, self.name))


def metric_plan(
    name: str,
    expr: ir.Table,
    **finishing: Any,
) -> MetricPlan:
    """Bundle a metric's engine query with :func:`finish_frame` and its settings.

    ``finishing`` holds the keyword arguments of :func:`finish_frame` (by, every, confidence,
    min_n, estimate, change_test, extra, keep_empty).
    """
    return MetricPlan(name, expr, functools.partial(finish_frame, **finishing))


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
    change_test: Callable[[pd.DataFrame, pd.DataFrame], FloatArray],
    extra: Sequence[str],
    keep_empty: bool = False,
) -> pd.DataFrame:
    """Turn an aggregated engine result into the tidy metric table.

    ``estimate`` receives the aggregated frame and must add ``n``, ``value``, ``ci_low``,
    ``ci_high``, the ``extra`` columns and any helper columns (prefixed ``_``) that
    ``change_test`` needs; ``change_test(current, previous)`` gets two row-aligned frames
    and returns p-values. Rows with ``n == 0`` (an ungrouped query over no rows) are dropped
    unless ``keep_empty``.
    """
    check_confidence(confidence)
    keys = group_keys(by, every)
    df = agg.copy()
    if not keep_empty and "n" in df.columns:
        df = df[pd.to_numeric(df["n"]).fillna(0) > 0].reset_index(drop=True)
    if every is not None:
        df["period"] = pd.to_datetime(df["period"]).astype("datetime64[us]")
    df = estimate(df)
    df["change"] = np.nan
    df["p_value"] = np.nan
    if every is not None and len(df):
        prev = df.copy()
        prev["period"] = prev["period"] + period_step(every)
        merged = df[keys].merge(prev, on=keys, how="left", suffixes=("", "_prev"))
        # merge keeps left order; guard against duplicate keys from a malformed input
        if len(merged) == len(df):
            cur = df.reset_index(drop=True)
            old = merged.reset_index(drop=True)
            df["change"] = (cur["value"] - old["value"]).to_numpy()
            p = change_test(cur, old)
            df["p_value"] = np.where(np.isfinite(df["change"].to_numpy()), p, np.nan)
    alpha = 1.0 - confidence
    df["significant"] = (df["p_value"] < alpha).fillna(False).astype(bool)
    df["n"] = df["n"].astype("int64")
    df["small_sample"] = (df["n"] < min_n).astype(bool)
    out = df[[*keys, *BASE_COLUMNS, *extra]]
    if keys:
        out = out.sort_values(keys, na_position="last", kind="mergesort")
    return out.reset_index(drop=True)
