"""Assemble the HTML report: collect the metrics, build the sections, write one file."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import plotly.offline

import cxlens
from cxlens.report.analyses import (
    PART_ORDER,
    REPORT_BOOTSTRAP,
    REPORT_TOP_INSIGHTS,
    AnalysisPart,
    analysis_parts,
)
from cxlens.report.collect import collect_metrics
from cxlens.report.sections import (
    kpi_section,
    lineage_section,
    methods_section,
    period_covered,
    segment_section,
    trend_section,
)
from cxlens.report.spec import GRAIN_NAMES
from cxlens.report.template import Section, page_html

if TYPE_CHECKING:
    from cxlens.store.workspace import Workspace


def build_report(
    ws: Workspace,
    path: str | Path,
    *,
    title: str = "Customer experience report",
    every: str = "month",
    by: str | None = "segment",
    client: str | None = None,
    industry: str | None = None,
    confidence: float = 0.95,
    min_n: int = 30,
    analyses: bool = True,
    bootstrap: int = REPORT_BOOTSTRAP,
    top_insights: int = REPORT_TOP_INSIGHTS,
) -> Path:
    """Write a self-contained HTML report of the workspace's CX metrics.

    The file inlines Plotly's JavaScript once and references nothing online, so it opens
    offline and can be sent as it is. Sections: KPI tiles (value, interval, n, the last
    change and whether it is significant, industry benchmarks where they exist), a trend
    chart per metric with its interval band and significant changes marked, a comparison of
    the ``by`` groups (small groups grey and not ranked), a methods note and the data
    lineage. A metric whose table or columns are missing is skipped with a note, and so is
    the comparison when no table has the ``by`` column.

    With ``analyses`` (the default) it adds, from :mod:`cxlens.analysis`: the KPIs' status
    (when KPIs are defined), "What changed" (the top insights as sentences), "What drives
    NPS" (driver importance and the priority matrix), "Customer effort", "Loyalty matrix",
    "What NPS is worth" and "Customer segments" (when segments were saved; clustering is
    not re-run); from :mod:`cxlens.models` "Customer lifetime value", "Churn risk" and
    "Next-best offers" (each model fitted once); and "Customer journeys" from
    :mod:`cxlens.journey`. Each is replaced by a note when its data is missing or it fails;
    none can fail the report.

    Args:
        ws: the Workspace to report on.
        path: the HTML file to write (parent folders are created; written atomically).
        title: report title.
        every: time grain of the trends: day, week, month, quarter or year.
        by: column to compare groups by (from responses or, joined on customer_id,
            customers); None leaves the comparison out.
        client: the client's name, shown above the title.
        industry: industry whose benchmarks to compare with, plus all-industry ones.
        confidence: confidence level of intervals and change tests.
        min_n: periods and groups with fewer observations are flagged as small samples.
        analyses: add the analysis sections (False: metrics only, as fast as before).
        bootstrap: resamples for the driver intervals and the value correlations (200
            keeps a 20,000-customer report to seconds; the Python API defaults to 1,000).
        top_insights: insights listed under "What changed".

    Returns:
        The path of the written file.

    Raises:
        ValueError: unknown ``every``, or ``confidence``/``min_n`` out of range.

    Example:
        >>> ws = cxlens.Workspace("client.duckdb")  # doctest: +SKIP
        >>> build_report(ws, "report.html", client="Northwind Connect")  # doctest: +SKIP
        PosixPath('report.html')
    """
    if every not in GRAIN_NAMES:
        raise ValueError(
            f"unknown time grain every={every!r}; use one of: {', '.join(GRAIN_NAMES)}"
        )
    results, notes = collect_metrics(
        ws, every=every, by=by, industry=industry, confidence=confidence, min_n=min_n
    )
    parts: dict[str, AnalysisPart] = {}
    if analyses:
        parts = analysis_parts(
            ws, every=every, confidence=confidence, min_n=min_n, bootstrap=bootstrap,
            top_insights=top_insights,
        )  # fmt: skip

    def part(key: str) -> Section | None:
        return parts[key].section if key in parts else None

    extra_methods = [item for key in PART_ORDER if key in parts for item in parts[key].methods]
    sections = [
        kpi_section(results, notes, every, confidence),
        part("kpis"),
        part("insights"),
        trend_section(results, every, confidence, min_n),
        segment_section(results, by, confidence, min_n) if by is not None else None,
        *(part(key) for key in ("drivers", "effort", "loyalty", "value", "segments")),
        *(part(key) for key in ("clv", "churn", "offers", "journeys")),
        methods_section(results, every, confidence, min_n, extra=extra_methods),
        lineage_section(ws),
    ]
    now = datetime.now(UTC)
    covered = period_covered(results, every)
    meta = [f"Data: {covered}"] if covered else []
    meta.append(f"Generated {now:%d %b %Y}")
    page = page_html(
        title=title,
        eyebrow=f"Prepared for {client}" if client else "Customer experience report",
        meta=meta,
        sections=[s for s in sections if s is not None],
        footer=(
            f"Generated by cxlens {cxlens.__version__} on {now:%Y-%m-%d %H:%M} UTC from a "
            f"{ws.engine.name} workspace. Self-contained: opens and draws offline."
        ),
        plotlyjs=plotly.offline.get_plotlyjs(),
        version=cxlens.__version__,
    )
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.tmp")
    tmp.write_text(page, encoding="utf-8")
    tmp.replace(out)
    return out
