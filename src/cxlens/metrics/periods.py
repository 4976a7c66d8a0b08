"""Time grains: the periods a metric or an analysis is trended by.

One home for the grain names, their Ibis truncation units and their lengths, so every trend
(metrics, journeys, social, KPIs) cuts time the same way.
"""

from __future__ import annotations

import ibis.expr.types as ir
import numpy as np
import pandas as pd

from cxlens.errors import ArgumentError

#: Time grains a metric can be trended by, mapped to Ibis truncation units.
GRAINS: dict[str, str] = {"day": "D", "week": "W", "month": "M", "quarter": "Q", "year": "Y"}

_STEP: dict[str, pd.DateOffset] = {
    "day": pd.DateOffset(days=1),
    "week": pd.DateOffset(weeks=1),
    "month": pd.DateOffset(months=1),
    "quarter": pd.DateOffset(months=3),
    "year": pd.DateOffset(years=1),
}


def check_every(every: str | None, *, required: bool = False) -> str | None:
    """Validate a time grain; return it unchanged (or None when not given and not required).

    Example:
        >>> check_every("month")
        'month'
    """
    if every is None:
        if required:
            raise ArgumentError(f"every is required here; use one of: {', '.join(GRAINS)}")
        return None
    if not isinstance(every, str) or every not in GRAINS:
        raise ArgumentError(f"unknown time grain every={every!r}; use one of: {', '.join(GRAINS)}")
    return every


def truncate(column: ir.Value, every: str) -> ir.Value:
    """Start of the ``every`` period containing ``column`` (weeks start on Monday).

    Example:
        >>> import ibis, datetime as dt
        >>> str(truncate(ibis.literal(dt.datetime(2025, 3, 19, 8)), "month").execute())
        '2025-03-01 00:00:00'
    """
    return column.truncate(GRAINS[every]).cast("timestamp")


def period_step(every: str) -> pd.DateOffset:
    """Length of one ``every`` period as a pandas offset.

    Example:
        >>> period_step("quarter")
        <DateOffset: months=3>
    """
    return _STEP[every]


#: Helper columns an engine query may add: the first and last timestamp of its rows, from
#: which :func:`finish_frame` tells which periods the data covers only in part.
COVERAGE_COLUMNS: tuple[str, str] = ("_first_at", "_last_at")


def coverage_of(column: ir.Value) -> dict[str, ir.Scalar]:
    """Return the aggregates of the first and last time in ``column`` (:data:`COVERAGE_COLUMNS`).

    Example:
        >>> import ibis, pandas as pd
        >>> t = ibis.memtable({"at": pd.to_datetime(["2024-01-03", "2024-01-09"])})
        >>> sorted(coverage_of(t["at"]))
        ['_first_at', '_last_at']
    """
    when = column.cast("timestamp")
    return {COVERAGE_COLUMNS[0]: when.min(), COVERAGE_COLUMNS[1]: when.max()}


def partial_periods(
    periods: pd.Series, every: str, data_start: pd.Timestamp, data_end: pd.Timestamp
) -> np.ndarray:
    """Return True for each period the data covers only in part.

    A period is partial when the data starts after its first day or ends before its last
    day (days are whole: data ending on 9 December at 14:00 covers 9 December). With
    ``every="day"`` no period is partial.

    Example:
        >>> s = pd.Series(pd.to_datetime(["2024-11-01", "2024-12-01"]))
        >>> partial_periods(s, "month", pd.Timestamp("2024-11-01"), pd.Timestamp("2024-12-09"))
        array([False,  True])
    """
    start = pd.Timestamp(data_start).normalize()
    end = pd.Timestamp(data_end).normalize()
    p = pd.to_datetime(periods)
    last_day = p + period_step(every) - pd.Timedelta(days=1)
    return ((p < start) | (last_day > end)).to_numpy(dtype=bool)


def latest_full(trend: pd.DataFrame) -> pd.Series | None:
    """Return the latest period with ``n > 0`` that is not partly elapsed (None: none).

    The one rule for "the current figure" of a trend: the report's headline and tiles and
    the dashboard's churn tile all read it.

    A partial period (``partial``: the data starts after its first day or ends before its
    last, :func:`partial_periods`) is never shown as if full.

    Example:
        >>> t = pd.DataFrame({"n": [5, 4, 2], "value": [1.0, 2.0, 3.0],
        ...                   "partial": [False, False, True]})
        >>> float(latest_full(t)["value"])
        2.0
    """
    usable = trend[trend["n"] > 0]
    if "partial" in usable.columns:
        usable = usable[~usable["partial"].fillna(False).astype(bool)]
    return None if usable.empty else usable.iloc[-1]
