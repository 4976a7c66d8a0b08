"""The report's sections, each built from collected metric results (or the Workspace log).

Every function returns a :class:`~cxlens.report.template.Section` (or None when it would be
empty); the text is plain and escaped by the template functions.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from cxlens.report import charts
from cxlens.report.collect import SEGMENT_METRICS, UNIT_OF_N, MetricResult
from cxlens.report.headline import Headline, headline
from cxlens.report.spec import GRAIN_ADJECTIVES, GRAIN_NAMES, MetricSpec, format_period
from cxlens.report.template import (
    BenchmarkLine,
    Section,
    Tile,
    card_html,
    definitions_html,
    list_html,
    note_html,
    table_html,
    tiles_html,
)
from cxlens.schema import TABLES
from cxlens.store.query import run

if TYPE_CHECKING:
    from cxlens.workspace import Workspace

#: Benchmark units that mean the same scale as the metric cxlens computes.
_LIKE_FOR_LIKE_UNITS = {"points", "percent", "%", ""}


def kpi_section(
    results: list[MetricResult], notes: list[str], every: str, confidence: float
) -> Section:
    """Build the headline tiles (value, interval, n, change, benchmarks) and skip notes.

    Example:
        >>> kpi_section([], ["No posts."], "month", 0.95).id
        'kpis'
    """
    tiles = [kpi_tile(r, every, confidence) for r in results]
    body = tiles_html(tiles) if tiles else note_html("No metric could be computed.")
    if notes:
        body += "\n" + "\n".join(note_html(n) for n in notes)
    return Section(
        "kpis",
        "Headline figures",
        body,
        lead=(
            f"Each tile shows the latest full {GRAIN_NAMES[every]} with its {confidence:.0%} "
            "interval, the number of observations behind it and its change from the "
            f"{GRAIN_NAMES[every]} before (coloured only when statistically significant); the "
            f"whole period stands beside it. A {GRAIN_NAMES[every]} still under way is named "
            "as such and not compared."
        ),
    )


def kpi_tile(result: MetricResult, every: str, confidence: float) -> Tile:
    """Build the KPI tile of one metric: its latest full period, the change, the whole period.

    The tile's value is the latest period that is not partly elapsed, labelled with it (e.g.
    "Net Promoter Score, December 2025"), with its interval, n and change from the period
    before; the whole-period figure stands beside it (in the n line), and a partly elapsed
    last period is named as such, not compared. Churn is a rate per period: its latest full
    period only. Without a full period the whole-period figure is the value. The rule and
    the words are :mod:`cxlens.report.headline`'s, which the dashboard's tiles use too.

    Example:
        >>> kpi_tile(results[0], "month", 0.95).long_label  # doctest: +SKIP
        'Net Promoter Score, December 2025'
    """
    head = result_headline(result, every)
    n_text = "; ".join(
        t for t in (head.n_text, head.whole_text(confidence), head.partial_text) if t
    )
    return Tile(
        label=result.spec.label,
        long_label=head.label,
        value=head.value_text,
        interval=head.interval_text(confidence),
        n=n_text,
        change=head.change_text,
        tone=head.tone,
        significant=head.significant,
        benchmarks=[benchmark_line(b, result.spec) for _, b in result.latest_benchmarks.iterrows()],
        flags=["small sample"] if bool(head.row["small_sample"]) else [],
        metric=result.spec.key,
    )


def result_headline(result: MetricResult, every: str) -> Headline:
    """Return the headline of a collected metric (its trend and its whole-period row).

    Example:
        >>> result_headline(results[0], "month").period_label  # doctest: +SKIP
        'December 2025'
    """
    whole = None if result.spec.trended else result.overall
    return headline(result.spec, result.trend, whole, every)


def whole_period_text(result: MetricResult, every: str, confidence: float) -> str:
    """Say the whole-period figure of a metric with its span, interval and n.

    Example:
        >>> whole_period_text(results[0], "month", 0.95)  # doctest: +SKIP
        'whole period January 2024 – December 2025: 28 (95% interval 26 to 30; 5,681 answers)'
    """
    return result_headline(result, every).whole_text(confidence)


def _number(value: float) -> str:
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.1f}"


def benchmark_text(row: pd.Series) -> str:
    """Describe one row of ``compare()``: whose figure, which statistic, what value.

    Example:
        >>> benchmark_text(pd.Series({"industry": "all", "statistic": "average",
        ...     "benchmark_low": 5.0, "benchmark_high": 10.0, "unit": "points"}))
        'All-industry average: 5 to 10'
    """
    low, high = float(row["benchmark_low"]), float(row["benchmark_high"])
    if math.isfinite(low) and math.isfinite(high):
        shown = _number(low) if low == high else f"{_number(low)} to {_number(high)}"
    elif math.isfinite(low):
        shown = f"at least {_number(low)}"
    elif math.isfinite(high):
        shown = f"at most {_number(high)}"
    else:
        shown = "—"
    unit = str(row.get("unit", "") or "")
    if unit in ("percent", "%"):
        shown += "%"
    elif unit not in _LIKE_FOR_LIKE_UNITS:
        shown += f" ({unit}, not like-for-like)"
    industry = str(row.get("industry", "") or "all")
    who = "All-industry" if industry.lower() == "all" else industry.capitalize()
    return f"{who} {row.get('statistic', 'benchmark')}: {shown}"


def short_source(source: str) -> str:
    """Shorten a citation to its author and year.

    Example:
        >>> short_source('Frederick F. Reichheld, "The One Number", HBR, December 2003')
        'Frederick F. Reichheld, 2003'
    """
    author = source.split(",")[0].strip()
    years = re.findall(r"\b(?:19|20)\d{2}\b", source)
    return f"{author}, {years[-1]}" if years else author


def benchmark_line(row: pd.Series, spec: MetricSpec) -> BenchmarkLine:
    """Build a tile's benchmark line from one row of ``compare()``.

    The verdict is coloured only when the benchmark is on the metric's own scale.

    Example:
        >>> from cxlens.metrics.benchmarks import compare
        >>> from cxlens.report.spec import METRICS
        >>> benchmark_line(compare("nps", 30).iloc[0], METRICS["nps"]).verdict
        'above'
    """
    verdict = str(row.get("verdict", "") or "")
    comparable = str(row.get("unit", "") or "") in _LIKE_FOR_LIKE_UNITS
    tone = ""
    if comparable and verdict in ("above", "below"):
        tone = "good" if (verdict == "above") == spec.higher_is_better else "bad"
    source = str(row.get("source", "") or "")
    text = benchmark_text(row)
    return BenchmarkLine(
        text=text, verdict=verdict, source=short_source(source), citation=source, tone=tone
    )


def trend_section(
    results: list[MetricResult], every: str, confidence: float, min_n: int
) -> Section | None:
    """Draw one trend chart per metric, in a two-column grid.

    Example:
        >>> trend_section([], "month", 0.95, 30) is None
        True
    """
    cards = []
    for r in results:
        trend = r.trend[r.trend["n"] > 0]
        if trend.empty:
            continue
        fig = charts.trend_figure(trend, r.spec, every=every, confidence=confidence)
        subtitle = (
            f"Band: {confidence:.0%} interval. ◆ significant change from the previous "
            f"{GRAIN_NAMES[every]}. Hollow points: fewer than {min_n} {UNIT_OF_N[r.spec.key]}."
        )
        cards.append(
            card_html(
                f"{r.spec.long_label} by {GRAIN_NAMES[every]}",
                charts.figure_html(fig, f"chart-trend-{r.spec.key}"),
                subtitle,
            )
        )
    if not cards:
        return None
    return Section(
        "trends",
        "Trends",
        '<div class="grid-2">\n' + "\n".join(cards) + "\n</div>",
        lead=f"How each metric moved {GRAIN_ADJECTIVES[every]}, with its uncertainty.",
    )


def segment_section(
    results: list[MetricResult], by: str, confidence: float, min_n: int
) -> Section | None:
    """Draw bar charts comparing the ``by`` groups, or a note saying why there are none.

    Example:
        >>> segment_section([], "segment", 0.95, 30) is None
        True
    """
    cards, reasons = [], []
    for r in results:
        if r.spec.key not in SEGMENT_METRICS:
            continue
        if r.segments is None:
            if r.segment_note:
                reasons.append(f"{r.spec.long_label} by {by} is not shown: {r.segment_note}")
            continue
        fig = charts.segment_figure(
            r.segments, r.spec, by, overall=float(r.overall["value"]), confidence=confidence
        )
        when = f", {r.segment_period}" if r.segment_period else ""
        cards.append(
            card_html(
                f"{r.spec.long_label} by {by}{when}",
                charts.figure_html(fig, f"chart-segment-{r.spec.key}"),
                f"Value and {confidence:.0%} interval, best first; dashed line: everyone. "
                f"Grey groups have fewer than {min_n} {UNIT_OF_N[r.spec.key]} and are not "
                "ranked.",
            )
        )
    if not cards and not reasons:
        return None
    if not cards:  # one reason says it all (usually: there is no such column)
        reasons = [f"The comparison by '{by}' is not shown. {reasons[0]}"]
    body = "\n".join(note_html(n) for n in reasons)
    if cards:
        body += '\n<div class="grid-2">\n' + "\n".join(cards) + "\n</div>"
    return Section(
        "segments",
        f"Comparison by {by}",
        body,
        lead=(
            f"Where the groups of '{by}' differ. Overlapping intervals mean the difference may "
            "be noise; small groups are shown for completeness but not ranked."
        ),
    )


def methods_section(
    results: list[MetricResult],
    every: str,
    confidence: float,
    min_n: int,
    extra: Sequence[tuple[str, str]] = (),
    caveats: Sequence[str] = (),
) -> Section:
    """Write the methods appendix: definitions, sample sizes, benchmark sources, caveats.

    ``extra`` adds (term, description) pairs after the metric definitions: the methods of
    every analysis section shown (see :mod:`cxlens.report.analyses`). ``caveats`` lists
    what the reader should know about this data (metrics left out and why), after the
    caveats that hold for every report. The data sources and their lineage follow in
    :func:`lineage_section`.

    Example:
        >>> methods_section([], "month", 0.95, 30).title
        'Methods and definitions'
    """
    items = [
        (
            r.spec.long_label,
            f"{r.spec.definition} Interval: {r.spec.interval} Change test: {r.spec.change_test}",
        )
        for r in results
    ]
    items += [
        (
            "Intervals",
            f"Two-sided {confidence:.0%} confidence intervals: in repeated samples, "
            f"{confidence:.0%} of such intervals contain the true value.",
        ),
        (
            "Significance",
            f"A change from the previous {GRAIN_NAMES[every]} is marked significant when its "
            f"test gives p < {1 - confidence:.2g}. Across many periods some changes pass this "
            "bar by chance alone.",
        ),
        (
            "Small samples",
            f"Periods and groups with fewer than {min_n} observations are flagged; their "
            "intervals are wide and they are not ranked.",
        ),
        *extra,
    ]
    body = definitions_html(items)
    rows = []
    for r in results:
        trend = r.trend[r.trend["n"] > 0]
        periods = (
            f"{format_period(trend['period'].min(), every)} – "
            f"{format_period(trend['period'].max(), every)}"
            if len(trend)
            else "—"
        )
        n = int(r.overall["n"])
        rows.append([r.spec.long_label, r.spec.table, f"{n:,}", UNIT_OF_N[r.spec.key], periods])
    if rows:
        body += "\n<h3>Data behind each figure</h3>\n" + table_html(
            ["metric", "table", "n", "counting", "periods"], rows, numeric=[2]
        )
    bench_rows = [
        [r.spec.label, benchmark_text(b), str(b["verdict"]), str(b["source"]), str(b["note"])]
        for r in results
        for _, b in r.benchmarks.iterrows()
    ]
    if bench_rows:
        body += (
            "\n<h3>Benchmarks</h3>\n"
            + note_html(
                "Benchmarks are published figures; their definitions, survey modes and years "
                "differ from this data, so read them as context, not as targets."
            )
            + "\n"
            + table_html(["metric", "benchmark", "verdict", "source", "note"], bench_rows)
        )
    general = [
        f"Intervals describe sampling error only: a biased survey sample (who answers, when, "
        f"through which channel) is not covered by a {confidence:.0%} interval.",
        "Driver importance, the loyalty matrix and the value of NPS are associations in "
        "observed data, not effects proven by an experiment.",
        "Model figures (CLV, churn risk, value at risk, offers) are forecasts from past "
        "behaviour; each model section shows how it scored on customers it never saw.",
    ]
    body += "\n<h3>Caveats</h3>\n" + list_html([*caveats, *general], cls="plain")
    return Section(
        "methods",
        "Methods and definitions",
        body,
        lead=(
            "Every definition, method and sample size behind the figures in this report, "
            "one entry per section shown, and what to keep in mind when reading them."
        ),
    )


def lineage_section(ws: Workspace) -> Section:
    """Show the load log (file, fingerprint, rows loaded, quarantined) and table sizes.

    Example:
        >>> import cxlens
        >>> lineage_section(cxlens.Workspace(":memory:")).id
        'lineage'
    """
    loads = ws.loads()
    if loads.empty:
        body = note_html("No load log: no table was loaded with cxlens ingest.")
    else:
        rows = [
            [
                row["table_name"],
                Path(str(row["source_file"])).name,
                f"{int(row['rows_loaded']):,}",
                f"{int(row['rows_quarantined']):,}",
                pd.Timestamp(row["loaded_at"]).strftime("%Y-%m-%d %H:%M"),
                _encoding_cell(row),
                str(row["sha256"])[:12],
                str(row["load_id"]),
            ]
            for _, row in loads.iterrows()
        ]
        columns = ["table", "source file", "rows loaded", "quarantined", "loaded (UTC)"]
        body = table_html([*columns, "encoding", "SHA-256", "load id"], rows, numeric=[2, 3])
    counts = [
        [name, f"{int(run(ws.table(name).count(), f'the rows of {name}')):,}"]
        for name in TABLES
        if ws.has_table(name)
    ]
    if counts:
        body += "\n<h3>Rows in the workspace</h3>\n" + table_html(["table", "rows"], counts, [1])
    quarantined = 0 if loads.empty else int(loads["rows_quarantined"].sum())
    if quarantined:
        body += "\n" + note_html(
            f"{quarantined:,} rows were quarantined at load and are not in these figures; "
            "ws.quarantine() lists each with its reason."
        )
    return Section(
        "lineage",
        "Data sources and lineage",
        body,
        lead="Every file loaded into the workspace, with its fingerprint and row counts.",
    )


def _encoding_cell(row: pd.Series) -> str:
    """Return the encoding a text file was read in and how sure its detection was.

    E.g. "cp1252 (0.97)".

    Empty for Parquet and XLSX (no text encoding) and for loads logged before it was kept.
    """
    encoding = row.get("encoding")
    if encoding is None or pd.isna(encoding):
        return ""
    confidence = row.get("encoding_confidence")
    return f"{encoding} ({confidence:.2f})" if pd.notna(confidence) else str(encoding)


def period_covered(results: list[MetricResult], every: str) -> str:
    """Return the span of periods with data across metrics, e.g. "Jan 2024 – Dec 2024".

    Example:
        >>> period_covered([], "month")
        ''
    """
    spans = [r.trend.loc[r.trend["n"] > 0, "period"] for r in results]
    spans = [s for s in spans if len(s)]
    if not spans:
        return ""
    first = min(s.min() for s in spans)
    last = max(s.max() for s in spans)
    return f"{format_period(first, every)} – {format_period(last, every)}"
