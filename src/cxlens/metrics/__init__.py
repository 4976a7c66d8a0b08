"""Core CX metrics with honest uncertainty: NPS, CSAT, CES, churn and engagement.

Every function takes Ibis table(s), aggregates raw rows in the engine (DuckDB, Spark or any
Ibis backend) and returns a tidy pandas table with columns ``*by, [period], n, value,
ci_low, ci_high, change, p_value, significant, small_sample, partial, ci_method, test``
followed by metric-specific counts. ``every`` trends a metric by day, week (Monday start),
month, quarter or year; ``change`` is the difference from the same group's previous calendar
period, tested at ``1 - confidence`` (exactly for small counts; partial periods are not
compared). Formulas and sources: docs/metrics.md.

Example:
    >>> import ibis
    >>> from cxlens.metrics import nps
    >>> nps(ibis.memtable({"nps": [7, 9]}))["value"].tolist()
    [50.0]
"""

from cxlens.metrics.benchmarks import benchmarks, compare
from cxlens.metrics.churn import (
    active_spells,
    churn,
    churn_from_transactions,
    lifetimes_from_transactions,
)
from cxlens.metrics.engagement import engagement
from cxlens.metrics.namespace import Metrics
from cxlens.metrics.survey import ces, csat, nps

__all__ = [
    "Metrics",
    "active_spells",
    "benchmarks",
    "ces",
    "churn",
    "churn_from_transactions",
    "compare",
    "csat",
    "engagement",
    "lifetimes_from_transactions",
    "nps",
]
