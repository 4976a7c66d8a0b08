"""Run the metrics a report needs and keep what each one gave (or why it was skipped)."""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pandas as pd

from cxlens.errors import NotEnoughDataError, SchemaError
from cxlens.metrics.benchmarks import compare
from cxlens.metrics.periods import latest_full
from cxlens.report.headline import UNIT_OF_N
from cxlens.report.spec import METRICS, MetricSpec, format_period

if TYPE_CHECKING:
    from cxlens.workspace import Workspace

log = logging.getLogger(__name__)

#: Metrics in report order.
REPORT_METRICS: tuple[str, ...] = ("nps", "csat", "ces", "churn", "engagement")

#: Metrics compared across ``by`` groups (engagement is about posts, not customers).
SEGMENT_METRICS: tuple[str, ...] = ("nps", "csat", "ces", "churn")


@dataclass
class MetricResult:
    """What the report knows about one metric after running it.

    ``overall`` is one row of the metric table: the whole data for survey metrics and
    engagement, the latest full period with customers at risk for churn. ``trend`` is the metric
    by period (churn's starts with the other metrics' first period); ``segments`` the metric
    by ``by`` group, or None with ``segment_note`` saying why (for churn, ``segment_period``
    names the period compared); ``benchmarks`` holds the rows of
    :func:`cxlens.metrics.benchmarks.compare` for ``overall`` (empty when none exists), and
    ``latest_benchmarks`` those for the figure a tile shows: the latest full period
    (``overall`` when there is none, or for churn, whose ``overall`` it already is).

    Example:
        >>> results, _ = collect_metrics(ws)  # doctest: +SKIP
        >>> results[0].spec.key, int(results[0].overall["n"])  # doctest: +SKIP
        ('nps', 1440)
    """

    spec: MetricSpec
    overall: pd.Series
    trend: pd.DataFrame
    segments: pd.DataFrame | None = None
    segment_note: str = ""
    segment_period: str = ""
    benchmarks: pd.DataFrame = field(default_factory=pd.DataFrame)
    latest_benchmarks: pd.DataFrame = field(default_factory=pd.DataFrame)


def collect_metrics(
    ws: Workspace,
    *,
    every: str = "month",
    by: str | None = "segment",
    industry: str | None = None,
    confidence: float = 0.95,
    min_n: int = 30,
) -> tuple[list[MetricResult], list[str]]:
    """Run every report metric the workspace can support.

    A metric is skipped, with a note, when its table is missing, a column it needs is
    missing (SchemaError) or there is nothing to count (NotEnoughDataError, n = 0).

    Args:
        ws: the Workspace.
        every: time grain of the trends (day, week, month, quarter, year).
        by: grouping column for the segment comparison, or None.
        industry: industry for the benchmark comparison (all industries when None).
        confidence: confidence level of intervals and tests.
        min_n: small-sample threshold.

    Returns:
        ``(results, notes)``: one MetricResult per metric that could be computed, in report
        order, and one plain-text note per metric that was skipped, saying why.

    Example:
        >>> import cxlens
        >>> results, notes = collect_metrics(cxlens.Workspace(":memory:"))
        >>> results, len(notes)
        ([], 5)
    """
    results: list[MetricResult] = []
    notes: list[str] = []
    kw: dict[str, Any] = {"confidence": confidence, "min_n": min_n}
    for key in REPORT_METRICS:
        spec = METRICS[key]
        if not ws.has_table(spec.table):
            notes.append(
                f"{spec.long_label} is not shown: the workspace has no {spec.table} table."
            )
            continue
        method: Callable[..., pd.DataFrame] = getattr(ws.metrics, key)
        try:
            trend = method(every=every, **kw)
            if spec.trended:
                overall = latest_full(trend)  # a partial last period is not headline
            else:
                whole = method(**kw)
                overall = whole.iloc[0] if len(whole) else None
        except (SchemaError, NotEnoughDataError) as exc:
            notes.append(f"{spec.long_label} is not shown: {exc}")
            continue
        if overall is None or int(overall["n"]) == 0 or not math.isfinite(overall["value"]):
            notes.append(
                f"{spec.long_label} is not shown: the {spec.table} table has no "
                f"{' or '.join(spec.columns)} values to count."
            )
            continue
        result = MetricResult(spec=spec, overall=overall, trend=trend)
        if by is not None and key in SEGMENT_METRICS:
            _add_segments(result, method, by, every, kw)
        result.benchmarks = _benchmarks(key, float(overall["value"]), industry)
        latest = overall if spec.trended else latest_full(trend)
        result.latest_benchmarks = (
            result.benchmarks
            if latest is None or latest is overall
            else _benchmarks(key, float(latest["value"]), industry)
        )
        results.append(result)
    _align_churn(results)
    return results, notes


def _align_churn(results: list[MetricResult]) -> None:
    """Start the churn trend where the other metrics start, so the charts share one window.

    Customers often go back years before the first survey; their early churn is left out of
    the chart (the headline uses the latest period either way).
    """
    starts = [
        r.trend.loc[r.trend["n"] > 0, "period"].min()
        for r in results
        if not r.spec.trended and not r.trend.empty
    ]
    starts = [s for s in starts if not pd.isna(s)]
    if not starts:
        return
    first = min(starts)
    for r in results:
        if r.spec.trended:
            r.trend = r.trend[r.trend["period"] >= first].reset_index(drop=True)


def latest(trend: pd.DataFrame) -> pd.Series | None:
    """Return the latest row of a trend with ``n > 0`` (None when there is none).

    Example:
        >>> float(latest(pd.DataFrame({"n": [5, 0], "value": [1.0, float("nan")]}))["value"])
        1.0
    """
    usable = trend[trend["n"] > 0]
    return None if usable.empty else usable.iloc[-1]


def _add_segments(
    result: MetricResult,
    method: Callable[..., pd.DataFrame],
    by: str,
    every: str,
    kw: dict[str, Any],
) -> None:
    try:
        if result.spec.trended:
            frame = method(every=every, by=[by], **kw)
            period = result.overall["period"]
            frame = frame[frame["period"] == period].drop(columns="period")
            result.segment_period = format_period(period, every)
        else:
            frame = method(by=[by], **kw)
    except SchemaError as exc:
        result.segment_note = str(exc)
        return
    frame = frame[frame["n"] > 0]
    if frame.empty:
        result.segment_note = f"no {UNIT_OF_N[result.spec.key]} carry a '{by}' value"
        return
    result.segments = frame.reset_index(drop=True)


def _benchmarks(key: str, value: float, industry: str | None) -> pd.DataFrame:
    try:
        return compare(key, value, industry=industry)
    except ValueError as exc:  # no benchmark for this metric or industry
        log.debug("no benchmark for %s: %s", key, exc)
        return pd.DataFrame()
