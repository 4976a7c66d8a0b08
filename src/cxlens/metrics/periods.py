"""Time grains: the periods a metric or an analysis is trended by.

One home for the grain names, their Ibis truncation units and their lengths, so every trend
(metrics, journeys, social, KPIs) cuts time the same way.
"""

from __future__ import annotations

import ibis.expr.types as ir
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
