"""Assemble the HTML report: collect the metrics, build the sections, write one file."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import plotly.offline

import cxlens
from cxlens.display import with_display_names
from cxlens.report.analyses import (
    PART_ORDER,
    REPORT_BOOTSTRAP,
    REPORT_TOP_INSIGHTS,
    AnalysisPart,
)
from cxlens.report.branding import Branding, logo_data_uri
from cxlens.report.collect import collect_metrics
from cxlens.report.models_parts import ModelFits
from cxlens.report.parts import ANALYSIS_STEPS, analysis_parts
from cxlens.report.sections import (
    kpi_section,
    lineage_section,
    methods_section,
    period_covered,
    segment_section,
    trend_section,
)
from cxlens.report.spec import GRAIN_NAMES
from cxlens.report.summary import executive_summary, summary_section
from cxlens.report.template import Section, page_html

if TYPE_CHECKING:
    from cxlens.workspace import Workspace


def report_steps(analyses: bool = True, summary: bool = True) -> tuple[str, ...]:
    """Return the names of the steps :func:`build_report` reports to ``progress``, in order.

    Example:
        >>> report_steps(analyses=False)
        ('headline metrics', 'executive summary', 'writing the page')
    """
    return (
        "headline metrics",
        *(ANALYSIS_STEPS if analyses else ()),
        *(("executive summary",) if summary else ()),
        "writing the page",
    )


@with_display_names
def build_report(
    ws: Workspace,
    path: str | Path,
    *,
    title: str = "Customer experience report",
    every: str = "month",
    by: str | None = "segment",
    client: str | None = None,
    firm: str | None = None,
    logo: str | Path | None = None,
    prepared_for: str | None = None,
    prepared_by: str | None = None,
    industry: str | None = None,
    confidence: float = 0.95,
    min_n: int = 30,
    analyses: bool = True,
    bootstrap: int = REPORT_BOOTSTRAP,
    top_insights: int = REPORT_TOP_INSIGHTS,
    summary: bool = True,
    progress: Callable[[str], None] | None = None,
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
    none can fail the report. The CLV and churn models are fitted once per report, shared by
    their sections and the executive summary.

    Args:
        ws: the Workspace to report on.
        path: the HTML file to write (parent folders are created; written atomically).
        title: report title.
        every: time grain of the trends: day, week, month, quarter or year.
        by: column to compare groups by (from responses or, joined on customer_id,
            customers); None leaves the comparison out.
        client: the client's name, on the cover and above the title.
        firm: the consulting firm's name, in the header and on the cover.
        logo: the firm's logo, a PNG, JPEG or SVG file up to 512 KB, embedded in the page
            (:func:`cxlens.report.branding.logo_data_uri`).
        prepared_for: the person or team it is for (default: the client).
        prepared_by: who prepared it, on the cover.
        industry: industry whose benchmarks to compare with, plus all-industry ones.
        confidence: confidence level of intervals and change tests.
        min_n: periods and groups with fewer observations are flagged as small samples.
        analyses: add the analysis sections (False: metrics only, as fast as before).
        bootstrap: resamples for the driver intervals and the value correlations (200
            keeps a 20,000-customer report to seconds; the Python API defaults to 1,000).
        top_insights: insights listed under "What changed".
        summary: open with the executive summary (:mod:`cxlens.report.summary`): 3-6
            sentences from the computed figures. With ``analyses`` it runs the insight scan
            and the drivers once more (a few seconds) and reuses the model fits.
        progress: called with the name of each step as it starts
            (:func:`report_steps`), e.g. to show a progress bar.

    Returns:
        The path of the written file.

    Raises:
        ValueError: unknown ``every``, or ``confidence``/``min_n`` out of range.
        ArgumentError: the logo is missing, of an unsupported type or too large.

    Example:
        >>> ws = cxlens.Workspace("client.duckdb")  # doctest: +SKIP
        >>> build_report(ws, "report.html", client="Northwind Connect", firm="Acme Insights",
        ...              logo="acme.svg")  # doctest: +SKIP
        PosixPath('report.html')
    """
    if every not in GRAIN_NAMES:
        raise ValueError(
            f"unknown time grain every={every!r}; use one of: {', '.join(GRAIN_NAMES)}"
        )
    # the logo is checked first: a bad path should not cost the minutes of analysis
    branding = Branding(
        firm=firm or "",
        logo=logo_data_uri(logo) if logo is not None else "",
        client=client or "",
        prepared_for=prepared_for or "",
        prepared_by=prepared_by or "",
    )
    step = progress or _silent
    step("headline metrics")
    results, notes = collect_metrics(
        ws, every=every, by=by, industry=industry, confidence=confidence, min_n=min_n
    )
    fits = ModelFits(ws, confidence=confidence, min_n=min_n)  # one fit per model per report
    parts: dict[str, AnalysisPart] = {}
    if analyses:
        parts = analysis_parts(
            ws, every=every, confidence=confidence, min_n=min_n, bootstrap=bootstrap,
            top_insights=top_insights, fits=fits, progress=step,
        )  # fmt: skip

    def part(key: str) -> Section | None:
        return parts[key].section if key in parts else None

    extra_methods = [item for key in PART_ORDER if key in parts for item in parts[key].methods]
    points = []
    if summary:
        step("executive summary")
        points = executive_summary(ws, results, every=every, confidence=confidence, min_n=min_n,
                                   analyses=analyses, bootstrap=bootstrap, fits=fits)  # fmt: skip
    step("writing the page")
    sections = [
        summary_section(points, confidence) if summary else None,
        kpi_section(results, notes, every, confidence),
        part("kpis"),
        part("insights"),
        trend_section(results, every, confidence, min_n),
        segment_section(results, by, confidence, min_n) if by is not None else None,
        *(part(key) for key in ("drivers", "effort", "loyalty", "value", "segments")),
        *(part(key) for key in ("clv", "churn", "offers", "journeys", "voice", "social")),
        part("collection"),
        methods_section(results, every, confidence, min_n, extra=extra_methods, caveats=notes),
        lineage_section(ws),
    ]
    now = datetime.now(UTC)
    covered = period_covered(results, every)
    page = page_html(
        title=title,
        eyebrow=branding.eyebrow(),
        meta=[],  # the period and the date are on the cover
        sections=[s for s in sections if s is not None],
        footer=(
            (f"Prepared by {firm}. " if firm else "")
            + f"Generated by cxlens {cxlens.__version__} on {now:%Y-%m-%d %H:%M} UTC from a "
            f"{ws.engine.name} workspace. Self-contained: opens and draws offline."
        ),
        plotlyjs=plotly.offline.get_plotlyjs(),
        version=cxlens.__version__,
        brand_html=branding.brand_html(),
        cover_html=branding.cover_html(period=covered, prepared_on=now.date()),
    )
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.tmp")
    tmp.write_text(page, encoding="utf-8")
    tmp.replace(out)
    return out


def _silent(step: str) -> None:
    """Progress callback that shows nothing."""
