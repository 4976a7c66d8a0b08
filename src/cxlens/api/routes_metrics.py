"""Metric endpoints: one metric with grouping, grain, filters and dates; the overview; norms."""

from __future__ import annotations

import datetime as _dt
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Annotated, Any, Literal

import pandas as pd
from fastapi import APIRouter, Depends, HTTPException, Query
from fastapi.responses import Response

from cxlens.api import serialize
from cxlens.api.deps import Access, access, caller
from cxlens.api.filters import MAX_BY, MAX_VALUES, MetricQuery, filtered, in_range, validate
from cxlens.api.params import ColumnName, Day, FilterItem
from cxlens.errors import ArgumentError, NotEnoughDataError, SchemaError
from cxlens.metrics.benchmarks import benchmarks as norm_table
from cxlens.metrics.benchmarks import compare
from cxlens.metrics.namespace import Metrics
from cxlens.workspace import Workspace

router = APIRouter(tags=["metrics"])

MetricName = Literal["nps", "csat", "ces", "churn", "engagement"]
#: The metrics the shipped benchmarks cover (read from the table, so one home).
NormMetric = Literal[tuple(sorted(set(norm_table()["metric"].str.lower())))]  # type: ignore[valid-type]
Grain = Literal["day", "week", "month", "quarter", "year"]

#: The metrics on the overview, in tile order.
OVERVIEW_METRICS: tuple[str, ...] = ("nps", "csat", "ces", "churn")
#: The period the overview's tiles lead with, as the report's tiles do by default.
TILE_EVERY = "month"

By = Annotated[
    list[ColumnName],
    Query(
        max_length=MAX_BY,
        description="Grouping column (repeat for several), e.g. by=segment&by=touchpoint.",
    ),
]
Filters = Annotated[
    list[FilterItem],
    Query(
        alias="filter",
        max_length=MAX_VALUES,
        description="column=value; repeat a column for several values (OR), several "
        "columns combine with AND, e.g. filter=segment=consumer&filter=touchpoint=billing.",
    ),
]
MinN = Annotated[int, Query(ge=0, le=1_000_000, description="Smaller groups are flagged.")]
Confidence = Annotated[float, Query(gt=0.5, lt=1.0, description="Two-sided interval level.")]
Since = Annotated[
    Day | None,
    Query(
        description="First day, YYYY-MM-DD (inclusive): answers/posts on or after it; for "
        "churn, the periods starting on or after it.",
    ),
]
Until = Annotated[Day | None, Query(description="Last day, YYYY-MM-DD (inclusive).")]


def run_metric(
    ws: Workspace, query: MetricQuery, *, min_n: int = 30, confidence: float = 0.95
) -> pd.DataFrame:
    """Return ``query``'s metric table, computed in the engine on the filtered tables.

    Example:
        >>> run_metric(ws, validate(ws, "nps", by=["segment"]))  # doctest: +SKIP
    """
    metrics = Metrics(filtered(ws, query))
    by = list(query.by) or None
    if query.metric == "churn":
        frame = metrics.churn(every=query.every or "month", by=by, min_n=min_n,
                              confidence=confidence)  # fmt: skip
        return in_range(frame, query)
    method = getattr(metrics, query.metric)
    return method(by=by, every=query.every, min_n=min_n, confidence=confidence)


@router.get(
    "/workspaces/{name}/metrics/{metric}",
    summary="One metric, overall or by group and period, with intervals and n",
    response_model=dict[str, Any],
)
def metric(
    metric: MetricName,
    a: Annotated[Access, Depends(access("viewer"))],
    by: By = [],  # noqa: B006 - FastAPI copies defaults
    every: Annotated[Grain | None, Query(description="Time grain.")] = None,
    filters: Filters = [],  # noqa: B006
    min_n: MinN = 30,
    confidence: Confidence = 0.95,
    since: Since = None,
    until: Until = None,
) -> Response:
    """Return the metric table: ``*by, [period], n, value, ci_low, ci_high, change, ...``.

    Columns as in ``ws.metrics.<metric>()`` (see docs/metrics.md). Unknown columns in
    ``by`` or ``filter`` are refused with 422 and the list of columns the metric can use;
    a malformed date or ``since`` after ``until`` too.
    """
    request = MetricRequest(metric, tuple(by), every, tuple(filters), min_n, confidence, since,
                            until)  # fmt: skip
    return a.served.answer(request.key(), request.compute(a.name))


@dataclass(frozen=True)
class MetricRequest:
    """The parameters of one metric request, as sent: its cache key and its computation.

    The server's cache-warming (:mod:`cxlens.api.warm`) builds the same requests, so a
    precomputed answer is found under the key a client's request looks up.

    Example:
        >>> MetricRequest("nps", ("segment",)).key()[:3]
        ('metric', 'nps', ('segment',))
    """

    metric: str
    by: tuple[str, ...] = ()
    every: str | None = None
    filters: tuple[str, ...] = ()
    min_n: int = 30
    confidence: float = 0.95
    since: _dt.date | None = None
    until: _dt.date | None = None

    def key(self) -> tuple[Any, ...]:
        """Return the cache key of this request."""
        return ("metric", self.metric, self.by, self.every, self.filters, self.min_n,
                self.confidence, self.since, self.until)  # fmt: skip

    def compute(self, workspace: str) -> Callable[[Workspace], dict[str, Any]]:
        """Return the function that answers this request on a Workspace."""

        def compute(ws: Workspace) -> dict[str, Any]:
            query = validate(ws, self.metric, list(self.by), self.every, list(self.filters),
                             self.since, self.until)  # fmt: skip
            frame = run_metric(ws, query, min_n=self.min_n, confidence=self.confidence)
            return {
                "workspace": workspace,
                "metric": self.metric,
                "by": list(query.by),
                "every": query.every or ("month" if self.metric == "churn" else None),
                "filter": {k: [str(v) for v in vs] for k, vs in query.filter.items()},
                **_dates(query),
                **serialize.table(frame),
            }

        return compute


def _dates(query: MetricQuery) -> dict[str, str | None]:
    return {
        "since": query.since.isoformat() if query.since else None,
        "until": query.until.isoformat() if query.until else None,
    }


def tile(ws: Workspace, query: MetricQuery, *, confidence: float = 0.95) -> dict[str, Any]:
    """Return one overview tile as the report's tile gives it, or why there is none.

    The figure is the latest full month (NPS, CSAT, CES and churn alike), labelled, with its
    change from the month before and that change's test; NPS, CSAT and CES carry the
    whole-period figure beside it (``whole``), and a month still under way is named
    (``partial``), never compared. The rule and the words are the report's
    (:mod:`cxlens.report.headline`), so the dashboard shows what the report shows. Without
    a full month NPS, CSAT and CES show the whole period; churn is then unavailable.

    Example:
        >>> tile(ws, validate(ws, "nps"))["period_label"]  # doctest: +SKIP
        'December 2025'
    """
    from cxlens.report.headline import headline
    from cxlens.report.spec import METRICS as SPECS

    out: dict[str, Any] = {"metric": query.metric}
    try:
        trend = run_metric(ws, replace(query, every=TILE_EVERY), confidence=confidence)
        whole = None if query.metric == "churn" else run_metric(ws, query, confidence=confidence)
    except NotEnoughDataError as exc:
        return out | {"available": False, "reason": str(exc)}
    head = headline(SPECS[query.metric], trend, _first_row(whole), TILE_EVERY)
    if query.metric == "churn" and head.current is None:
        return out | {"available": False, "reason": "no full month in this slice yet"}
    row = head.current if head.current is not None else head.whole
    if row is None or int(row["n"]) == 0 or pd.isna(row["value"]):
        return out | {"available": False, "reason": "no data in this slice"}
    return out | {"available": True, **head.as_json(confidence)}


def _first_row(frame: pd.DataFrame | None) -> pd.Series | None:
    return None if frame is None or frame.empty else frame.iloc[0]


@router.get(
    "/workspaces/{name}/overview",
    summary="The KPI tiles: NPS, CSAT, CES and churn in the latest full month, as the report's",
    response_model=dict[str, Any],
)
def overview(
    a: Annotated[Access, Depends(access("viewer"))],
    filters: Filters = [],  # noqa: B006
    since: Since = None,
    until: Until = None,
) -> Response:
    """Return the headline tiles of NPS, CSAT, CES and churn, as the report's tiles.

    Each tile leads with the latest full month: ``period`` and ``period_label`` (e.g.
    "December 2025"), ``value``, ``ci_low``, ``ci_high``, ``n``, ``small_sample``, the
    change from the month before (``change``, ``p_value``, ``significant``, ``tone``), and
    the report's words for them (``label``, ``value_text``, ``interval_text``, ``n_text``,
    ``change_text``). NPS, CSAT and CES carry the whole period in ``whole`` (figures,
    ``first_period``, ``last_period`` and ``text``); a last month still under way is in
    ``partial`` (its figure and ``text``), never compared. Without a full month NPS, CSAT
    and CES lead with the whole period (``period`` null).

    With ``since``/``until``: NPS, CSAT and CES over the answers in the range, churn over
    the months that start in it; a month the range or the data covers only in part is
    never shown as if full.

    A tile that cannot be computed has ``available: false`` with the reason (the table is
    not loaded, or a filter column that metric cannot read, e.g. touchpoint for churn). A
    filter column no metric can read is refused with 422.
    """
    key = overview_key(tuple(filters), since, until)
    return a.served.answer(key, overview_compute(a.name, tuple(filters), since, until))


def overview_key(
    filters: tuple[str, ...] = (), since: _dt.date | None = None, until: _dt.date | None = None
) -> tuple[Any, ...]:
    """Return the cache key of an overview request (shared with the cache warming)."""
    return ("overview", filters, since, until)


def overview_compute(
    workspace: str,
    filters: tuple[str, ...] = (),
    since: _dt.date | None = None,
    until: _dt.date | None = None,
) -> Callable[[Workspace], dict[str, Any]]:
    """Return the function that computes the overview's tiles on a Workspace.

    Example:
        >>> overview_compute("acme")(ws)["tiles"][0]["metric"]  # doctest: +SKIP
        'nps'
    """

    def compute(ws: Workspace) -> dict[str, Any]:
        tiles, refused = [], []
        for name in OVERVIEW_METRICS:
            try:
                query = validate(ws, name, filters=list(filters), since=since, until=until)
            except SchemaError as exc:  # e.g. a responses column for churn
                refused.append(exc)
                tiles.append({"metric": name, "available": False, "reason": str(exc)})
                continue
            tiles.append(tile(ws, query))
        if len(refused) == len(OVERVIEW_METRICS):
            raise refused[0]
        return {"workspace": workspace, **_dates(MetricQuery("nps", since=since, until=until)),
                "tiles": tiles}  # fmt: skip

    return compute


@router.get(
    "/norms",
    summary="The shipped industry benchmarks, or a value compared with them",
    dependencies=[Depends(caller)],
)
def norms(
    metric: Annotated[NormMetric | None, Query(description="Only this metric's rows.")] = None,
    value: Annotated[
        float | None,
        Query(
            ge=-1e9,
            le=1e9,
            allow_inf_nan=False,
            description="With metric (needed): compare this figure with its benchmarks.",
        ),
    ] = None,
) -> dict[str, Any]:
    """Return the cited benchmarks table (as ``cxlens norms``), any key.

    Columns ``metric, industry, statistic, value, unit, period, source, note``; with
    ``metric`` and ``value``, the comparison of ``cxlens.metrics.benchmarks.compare``
    (``benchmark_low``, ``benchmark_high``, ``verdict``). An unknown metric answers 422.
    """
    if value is not None:
        if metric is None:
            raise ArgumentError("value needs metric: e.g. /norms?metric=nps&value=23")
        return serialize.table(compare(metric, value))
    table = norm_table()
    if metric is not None:
        table = table[table["metric"].str.lower() == metric.lower()]
        if table.empty:
            known = ", ".join(sorted(set(norm_table()["metric"])))
            raise HTTPException(422, f"no benchmark for metric {metric!r}; there are: {known}")
    return serialize.table(table)
