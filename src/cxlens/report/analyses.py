"""The report's analysis sections: what changed, drivers, effort, loyalty, value, segments, KPIs.

Each ``*_part`` function runs one analysis of :mod:`cxlens.analysis` on the Workspace and
returns an :class:`AnalysisPart`: the section (charts inlined like the metric charts, tables,
plain-text sentences) and the lines it adds to the methods section. A part whose data is
missing, or whose analysis fails, becomes a section holding a note that says why; nothing
here lets one analysis fail the whole report. :func:`cxlens.report.parts.analysis_parts` runs
them all.
"""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pandas as pd

from cxlens.errors import CxlensError
from cxlens.report.charts import figure_html
from cxlens.report.spec import GRAIN_NAMES, format_period
from cxlens.report.template import (
    Section,
    card_html,
    esc,
    list_html,
    note_html,
    pill_html,
    table_html,
)

if TYPE_CHECKING:
    from cxlens.workspace import Workspace

log = logging.getLogger(__name__)

#: Bootstrap resamples the report uses for driver intervals and value correlations (the
#: Python API defaults to 1,000; 200 keeps a 20,000-customer report to seconds).
REPORT_BOOTSTRAP = 200

#: Insights listed under "What changed".
REPORT_TOP_INSIGHTS = 8

#: NPS points of the value projection in "What NPS is worth".
REPORT_UPLIFT_POINTS = 5.0

#: Order of the analysis sections (keys of :func:`analysis_parts`).
PART_ORDER: tuple[str, ...] = (
    "kpis",
    "insights",
    "drivers",
    "effort",
    "loyalty",
    "value",
    "segments",
    "clv",
    "churn",
    "offers",
    "journeys",
    "voice",
    "social",
    "collection",
)

#: Label columns of ``customer_segments`` the segments section profiles, with their names.
SEGMENT_LABELS: dict[str, str] = {
    "rfm_segment": "RFM segment",
    "cluster": "Cluster",
    "quadrant": "Loyalty quadrant",
}

_STATUS_TONES = {"on track": "good", "at risk": "warn", "off track": "bad"}
_METRIC_LABELS = {"nps": "NPS", "csat": "CSAT", "ces": "CES", "churn": "Churn",
                  "engagement": "Engagement"}  # fmt: skip
_OUTCOME_LABELS = {"repurchase_90d": "bought again within 90 days",
                   "churn_180d": "churned within 180 days"}  # fmt: skip


@dataclass(frozen=True)
class AnalysisPart:
    """One analysis in the report: its section (None: leave it out) and its methods lines.

    Example:
        >>> AnalysisPart(None).methods
        []
    """

    section: Section | None
    methods: list[tuple[str, str]] = field(default_factory=list)


# --------------------------------------------------------------------------- formatting


def fmt_number(value: Any, digits: int = 1, suffix: str = "") -> str:
    """Format a number with thousands separators and a typographic minus ("—" when missing).

    Example:
        >>> fmt_number(-1234.56, 1, "%")
        '−1,234.6%'
        >>> fmt_number(float("nan"))
        '—'
    """
    try:
        x = float(value)
    except (TypeError, ValueError):
        return "—"
    if not math.isfinite(x):
        return "—"
    return f"{x:,.{digits}f}{suffix}".replace("-", "−")


def fmt_interval(low: Any, high: Any, digits: int = 1, suffix: str = "") -> str:
    """Format an interval as "low to high" ("—" when either end is missing).

    Example:
        >>> fmt_interval(-2.04, 3.0, 1)
        '−2.0 to 3.0'
    """
    lo, hi = fmt_number(low, digits, suffix), fmt_number(high, digits, suffix)
    return "—" if "—" in (lo, hi) else f"{lo} to {hi}"


def _with_ci(value: Any, low: Any, high: Any, digits: int = 1, suffix: str = "") -> str:
    shown = fmt_number(value, digits, suffix)
    ci = fmt_interval(low, high, digits, suffix)
    return shown if ci == "—" else f"{shown} ({ci})"


def _pct(share: Any) -> str:
    """Format a 0-1 share as a percentage."""
    try:
        return fmt_number(100 * float(share), 0, "%")
    except (TypeError, ValueError):
        return "—"


def _text(value: Any) -> str:
    """Show a text cell; "—" for None, NaN or empty."""
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
        return "—"
    return str(value) or "—"


def _label(driver: str) -> str:
    return str(driver).removeprefix("driver_").replace("_", " ")


def _first(frame: pd.DataFrame, column: str, default: Any = math.nan) -> Any:
    if column not in frame.columns or frame.empty:
        return default
    return frame[column].iloc[0]


def describe_filter(filter_json: str) -> str:
    """Describe a KPI filter (JSON of column -> values) in words; "all customers" when empty.

    Example:
        >>> describe_filter('{"segment": ["small_business"], "touchpoint": ["billing", "app"]}')
        'segment = small_business, touchpoint = billing or app'
    """
    try:
        spec = json.loads(filter_json) if filter_json else {}
    except (TypeError, ValueError):
        return str(filter_json)
    if not spec:
        return "all customers"
    return ", ".join(f"{k} = {' or '.join(map(str, v))}" for k, v in spec.items())


# --------------------------------------------------------------------------- guarding


def _skipped(section_id: str, title: str, reason: str, lead: str = "") -> AnalysisPart:
    return AnalysisPart(
        Section(section_id, title, note_html(f"{title} is not shown: {reason}"), lead=lead)
    )


def guarded(section_id: str, title: str, build: Callable[[], AnalysisPart]) -> AnalysisPart:
    """Run ``build``; if it raises, return a section with a note instead of failing.

    A cxlens error (missing table or column, too little data) is the expected reason and
    its message is the note; anything else is logged with its traceback and named in the
    note, so one broken analysis never costs the whole report.

    Example:
        >>> def fails():
        ...     raise CxlensError("the workspace has no responses table")
        >>> guarded("drivers", "What drives NPS", fails).section.body_html
        '<p class="note">What drives NPS is not shown: the workspace has no responses table</p>'
    """
    try:
        return build()
    except CxlensError as exc:
        return _skipped(section_id, title, str(exc).rstrip("."))
    except Exception as exc:  # a bug in one analysis must not take the report down
        log.warning("report section %r failed", title, exc_info=True)
        return _skipped(section_id, title, f"the analysis failed ({type(exc).__name__}: {exc})")


def _try(what: str, build: Callable[[], Any], notes: list[str]) -> Any:
    """Run one piece of a section; on failure add a note and return None."""
    try:
        return build()
    except CxlensError as exc:
        notes.append(f"{what} is not shown: {str(exc).rstrip('.')}.")
    except Exception as exc:  # a bug in one piece must not take the section down
        log.warning("report piece %r failed", what, exc_info=True)
        notes.append(f"{what} is not shown: the analysis failed ({type(exc).__name__}: {exc}).")
    return None


# --------------------------------------------------------------------------- what changed


def insights_part(
    ws: Workspace,
    *,
    every: str = "month",
    confidence: float = 0.95,
    min_n: int = 30,
    top: int = REPORT_TOP_INSIGHTS,
) -> AnalysisPart:
    """Build "What changed": the top insights as sentences, each with its numbers.

    Example:
        >>> insights_part(ws).section.title  # doctest: +SKIP
        'What changed'
    """
    title = "What changed"

    def build() -> AnalysisPart:
        scan = ws.analysis.insight_scan(every=every, top=top, min_n=min_n, confidence=confidence)
        found, tests, fdr = scan.findings, len(scan.tests), scan.fdr
        grain = GRAIN_NAMES[every]
        if found.empty:
            body = note_html(
                f"No change stood out: none of the {tests:,} comparisons passed the false "
                f"discovery rate of {fdr:.0%}."
            )
        else:
            body = insights_html(found)
        lead = (
            "The strongest findings of a scan of every metric by every dimension and pair of "
            f"dimensions: the latest {grain}s against everybody else, and each group against "
            f"its own past from the {grain} its change began, with intervals and p-values "
            f"corrected for the {tests:,} tests run. Ranked by the smallest effect the scan "
            "can vouch for times customers affected."
        )
        methods = [
            (
                "What changed",
                f"insights(): each metric over its latest {grain}s compared with the other "
                "customers in the same window ('vs rest'), and each group's periods from a "
                "change point on compared with the same periods a year earlier (or with all "
                "earlier periods when there is less than two years of data; 'vs own past'; "
                "the split with the smallest Bonferroni-corrected p-value among the candidates "
                "is kept), overall, by dimension and by pair of dimensions; "
                f"{tests:,} tests, Benjamini-Hochberg false discovery rate {fdr:.0%} "
                f"(q-values); groups under {min_n} answers are not tested; ranked by "
                "effect_floor (the effect size cut back to the edge of its selection-adjusted "
                "interval nearest zero) × customers affected (docs/analysis-insights.md).",
            )
        ]
        return AnalysisPart(Section("insights", title, body, lead=lead), methods)

    return guarded("insights", title, build)


def insights_html(found: pd.DataFrame) -> str:
    """Render ranked insights as a numbered list: the sentence, then metric, group and score.

    Example:
        >>> insights_html(pd.DataFrame({"sentence": ["NPS fell."], "metric": ["nps"],
        ...     "dimension": ["all"], "group": ["all"], "kind": ["vs own past"],
        ...     "score": [12.0], "direction": ["worse"]})).count("<li")
        1
    """
    items = []
    for row in found.to_dict("records"):
        meta = [
            _METRIC_LABELS.get(str(row.get("metric")), str(row.get("metric", "")).upper()),
            "all customers"
            if row.get("dimension") == "all"
            else f"{row.get('dimension')}: {row.get('group')}",
            str(row.get("kind", "")),
            f"score {fmt_number(row.get('score'), 0)}",
        ]
        note = row.get("note")
        if isinstance(note, str) and note:
            meta.append(note)
        direction = str(row.get("direction", ""))
        cls = f' class="{esc(direction)}"' if direction in ("better", "worse") else ""
        items.append(
            f"<li{cls}>{esc(row.get('sentence', ''))}"
            f'<span class="meta">{esc(" · ".join(m for m in meta if m))}</span></li>'
        )
    return '<ol class="insights">\n' + "\n".join(items) + "\n</ol>"


# --------------------------------------------------------------------------- drivers


def drivers_part(
    ws: Workspace,
    *,
    bootstrap: int = REPORT_BOOTSTRAP,
    confidence: float = 0.95,
    seed: int = 0,
    fit: Callable[[], pd.DataFrame] | None = None,
) -> AnalysisPart:
    """Build "What drives NPS": importance bars with intervals and the priority matrix.

    ``fit`` returns the driver importance when the report shares one fit with the executive
    summary (:meth:`cxlens.report.models_parts.ModelFits.drivers`); by default the drivers
    are fitted here with ``bootstrap``, ``confidence`` and ``seed``.

    Example:
        >>> drivers_part(ws).section.id  # doctest: +SKIP
        'drivers'
    """
    title = "What drives NPS"

    def build() -> AnalysisPart:
        from cxlens.analysis.charts_drivers import importance_figure, priority_matrix_figure

        imp = (
            fit()
            if fit is not None
            else ws.analysis.drivers("nps", bootstrap=bootstrap, confidence=confidence, seed=seed)
        )
        matrix = ws.analysis.priority_matrix("nps", list(imp["driver"]), importance=imp)
        n = int(_first(imp, "n", 0))
        r2 = float(_first(imp, "r_squared", math.nan))
        interval = (
            f"Bars: {confidence:.0%} bootstrap interval ({bootstrap:,} resamples). "
            if bootstrap
            else ""
        )
        cards = [
            card_html(
                "Share of explained variance in NPS",
                figure_html(importance_figure(imp), "chart-drivers-importance"),
                f"Relative weights: each driver's share of R² = {r2:.2f}. {interval}"
                "Red: negative effect with the other drivers held fixed.",
            ),
            card_html(
                "Priority matrix",
                figure_html(priority_matrix_figure(matrix), "chart-drivers-priority"),
                "Importance (% of R²) against performance (mean rating); dashed lines at the "
                "means. Fix first: matters and falls short.",
            ),
        ]
        body = '<div class="grid-2">\n' + "\n".join(cards) + "\n</div>"
        body += "\n" + list_html(_quadrant_lines(matrix), cls="plain")
        lead = (
            f"How much of the variance in NPS answers each driver rating accounts for "
            f"({n:,} complete answers, R² = {r2:.2f}), and where each driver stands: "
            "important and weak drivers are the ones to fix first."
        )
        methods = [
            (
                "Key drivers",
                "Relative weights (Johnson 2000) of the NPS answer on every driver_* rating, "
                "over answers that give all of them; they share out the R² of the regression "
                f"and are shown as % of R². Intervals: percentile bootstrap, {bootstrap:,} "
                f"resamples (seed {seed}; the Python API defaults to 1,000). Priority matrix: "
                "split at the mean importance (an equal share) and the mean performance "
                "(docs/analysis-drivers.md).",
            )
        ]
        return AnalysisPart(Section("drivers", title, body, lead=lead), methods)

    return guarded("drivers", title, build)


def _quadrant_lines(matrix: pd.DataFrame) -> list[str]:
    lines = []
    for quadrant in ("fix first", "maintain", "possible overkill", "lower priority"):
        rows = matrix[matrix["quadrant"] == quadrant]
        if rows.empty:
            continue
        names = ", ".join(
            f"{_label(r.driver)} ({fmt_number(r.importance, 0, '%')} of R², "
            f"performance {fmt_number(r.performance, 2)})"
            for r in rows.itertuples()
        )
        lines.append(f"{quadrant.capitalize()}: {names}.")
    return lines


# --------------------------------------------------------------------------- effort


def effort_part(ws: Workspace, *, confidence: float = 0.95, min_n: int = 30) -> AnalysisPart:
    """Build "Customer effort": the process optimisation list, its chart, and effort bands.

    Example:
        >>> effort_part(ws).section.id  # doctest: +SKIP
        'effort'
    """
    title = "Customer effort"

    def build() -> AnalysisPart:
        from cxlens.analysis.charts_drivers import loyalty_at_stake_figure

        if not ws.has_table("responses"):
            return _skipped("effort", title, "the workspace has no responses table")
        notes: list[str] = []
        touch = _try(
            "The process optimisation list",
            lambda: ws.analysis.effort_by_touchpoint(min_n=min_n, confidence=confidence),
            notes,
        )
        bands = _try(
            "The comparison of effort bands",
            lambda: ws.analysis.effort_bands(confidence=confidence, min_n=min_n),
            notes,
        )
        if touch is None and bands is None:
            return AnalysisPart(Section("effort", title, "\n".join(map(note_html, notes))))
        parts = [note_html(n) for n in notes]
        if touch is not None:
            chart = card_html(
                "Loyalty at stake by touchpoint",
                figure_html(loyalty_at_stake_figure(touch), "chart-effort-touchpoints"),
                "Net promoters each touchpoint would win if it were as easy as the easiest "
                f"one. Grey: fewer than {min_n} CES answers, not ranked.",
            )
            parts += [chart, "<h3>Process optimisation list</h3>", touchpoint_table(touch)]
        if bands is not None:
            parts += ["<h3>Effort and what customers did next</h3>", bands_table(bands)]
        lead = (
            "CES is the 1–7 ease answer (higher = easier). Where effort costs the most "
            "loyalty, touchpoint by touchpoint, and how high- and low-effort customers "
            "behaved afterwards."
        )
        methods = [
            (
                "Customer effort",
                "Loyalty at stake = NPS points per CES point (OLS slope of each answer's "
                "NPS contribution on its CES, within the touchpoint) × CES gap to the "
                "easiest ranked touchpoint × answers / 100. Bands: high effort CES 1–3, low "
                "effort 5–7, per customer; rates with Wilson intervals, the low − high "
                "difference with Newcombe's interval. Associations, not experiments.",
            )
        ]
        return AnalysisPart(Section("effort", title, "\n".join(parts), lead=lead), methods)

    return guarded("effort", title, build)


def touchpoint_table(touch: pd.DataFrame) -> str:
    """Render the process optimisation list (rank, touchpoint, CES, slope, gap, at stake).

    Example:
        >>> touchpoint_table(pd.DataFrame({"touchpoint": ["app"], "n": [40], "ces": [5.0],
        ...     "ces_ci_low": [4.5], "ces_ci_high": [5.5], "nps_per_ces_point": [8.0],
        ...     "slope_ci_low": [2.0], "slope_ci_high": [14.0], "ces_gap": [0.0],
        ...     "loyalty_at_stake": [0.0], "rank": [1], "small_sample": [False]})).count("<tr>")
        2
    """
    rows = [
        [
            "—" if pd.isna(r.rank) else int(r.rank),
            str(r.touchpoint) + (" (small sample)" if r.small_sample else ""),
            f"{int(r.n):,}",
            _with_ci(r.ces, r.ces_ci_low, r.ces_ci_high, 2),
            _with_ci(r.nps_per_ces_point, r.slope_ci_low, r.slope_ci_high, 1),
            fmt_number(r.ces_gap, 2),
            fmt_number(r.loyalty_at_stake, 1),
        ]
        for r in touch.itertuples()
    ]
    columns = ["rank", "touchpoint", "answers", "CES (interval)", "NPS pts per CES pt",
               "CES gap", "loyalty at stake"]  # fmt: skip
    return table_html(columns, rows, numeric=[0, 2, 5, 6])


def bands_table(bands: pd.DataFrame) -> str:
    """Render effort bands: outcome, band, customers, rate with interval, p-value.

    Example:
        >>> bands_table(pd.DataFrame({"outcome": ["churn_180d"], "band": ["low effort (5-7)"],
        ...     "n": [300], "events": [15], "rate": [5.0], "ci_low": [3.0], "ci_high": [8.1],
        ...     "p_value": [float("nan")], "small_sample": [False]})).count("<tr>")
        2
    """
    rows = [
        [
            _OUTCOME_LABELS.get(str(r.outcome), str(r.outcome)),
            str(r.band),
            f"{int(r.n):,}" if pd.notna(r.n) else "—",
            _band_rate(r.rate, r.ci_low, r.ci_high, difference="−" in str(r.band)),
            "" if pd.isna(r.p_value) else f"{float(r.p_value):.2g}",
        ]
        for r in bands.itertuples()
    ]
    return table_html(["outcome", "band", "customers", "rate (interval)", "p"], rows, [2, 4])


def _band_rate(rate: Any, low: Any, high: Any, *, difference: bool) -> str:
    if difference:  # percentage points, signed
        return f"{fmt_number(rate, 1)} pts ({fmt_interval(low, high, 1)})"
    return _with_ci(rate, low, high, 1, "%")


# --------------------------------------------------------------------------- loyalty


def loyalty_part(
    ws: Workspace,
    *,
    attitude: str = "nps",
    behaviour: str = "frequency",
    confidence: float = 0.95,
    min_n: int = 30,
) -> AnalysisPart:
    """Build "Loyalty matrix": the 2 × 2 tiles and the quadrant summary table.

    Example:
        >>> loyalty_part(ws).section.id  # doctest: +SKIP
        'loyalty'
    """
    title = "Loyalty matrix"

    def build() -> AnalysisPart:
        from cxlens.analysis.charts_customers import loyalty_matrix_figure

        matrix = ws.analysis.loyalty_matrix(attitude, behaviour, confidence=confidence, min_n=min_n)
        summary = matrix.summary
        figure = loyalty_matrix_figure(
            summary, attitude=attitude, behaviour=behaviour, currency=_currency(ws)
        )
        chart = card_html(
            "Customers by attitude and behaviour",
            figure_html(figure, "chart-loyalty-matrix"),
            "Shade: share of 12-month revenue.",
        )
        rules = list(matrix.rules)
        body = "\n".join(
            [
                chart,
                loyalty_table(summary, _currency(ws)),
                *([list_html(rules, cls="plain")] if rules else []),
            ]
        )
        lead = (
            "What customers say (attitude: promoter or not) against what they do (behaviour: "
            f"{behaviour}). Loyalists both recommend and buy; hostages buy without liking it; "
            "mercenaries like it but buy little; defectors do neither."
        )
        methods = [
            (
                "Loyalty matrix",
                f"Attitude: {attitude.upper()} from each customer's latest answer; behaviour: "
                f"{behaviour}, split at its median over the customers in the matrix (at the "
                "median counts as low). Quadrants after Jones & Sasser (1995) and Dick & Basu "
                f"(1994); quadrants under {min_n} customers are flagged.",
            )
        ]
        return AnalysisPart(Section("loyalty", title, body, lead=lead), methods)

    return guarded("loyalty", title, build)


def loyalty_table(summary: pd.DataFrame, currency: str = "") -> str:
    """Render the loyalty quadrant summary (customers, revenue, retention).

    The money column names the ``currency`` (ISO code) in its header.

    Example:
        >>> loyalty_table(pd.DataFrame({"quadrant": ["loyalists"], "dick_basu": ["loyalty"],
        ...     "customers": [40], "share": [0.4], "revenue_per_customer": [90.0],
        ...     "revenue_ci_low": [80.0], "revenue_ci_high": [100.0], "revenue_share": [0.5],
        ...     "retention_rate": [91.0], "small_sample": [False]})).count("<tr>")
        2
    """
    rows = [
        [
            str(r.quadrant) + (" (small sample)" if r.small_sample else ""),
            str(r.dick_basu),
            f"{int(r.customers):,}",
            _pct(r.share),
            _with_ci(r.revenue_per_customer, r.revenue_ci_low, r.revenue_ci_high, 0),
            _pct(r.revenue_share),
            fmt_number(r.retention_rate, 1, "%"),
        ]
        for r in summary.itertuples()
    ]
    unit = f" ({currency})" if currency else ""
    columns = ["quadrant", "Dick & Basu", "customers", "share", f"revenue / customer, 12 m{unit}",
               "share of revenue", "retained"]  # fmt: skip
    return table_html(columns, rows, numeric=[2, 3, 4, 5, 6])


# --------------------------------------------------------------------------- value


def value_part(
    ws: Workspace,
    *,
    points: float = REPORT_UPLIFT_POINTS,
    bootstrap: int = REPORT_BOOTSTRAP,
    confidence: float = 0.95,
    min_n: int = 30,
    seed: int = 0,
) -> AnalysisPart:
    """Build "What NPS is worth": value per NPS group, the +points uplift and its assumptions.

    Example:
        >>> value_part(ws).section.id  # doctest: +SKIP
        'value'
    """
    title = "What NPS is worth"

    def build() -> AnalysisPart:
        from cxlens.analysis.charts_customers import (
            correlations_figure,
            nps_uplift_figure,
            value_by_nps_group_figure,
        )

        uplift = ws.analysis.nps_uplift(points, confidence=confidence, min_n=min_n)
        notes: list[str] = []
        corr = _try(
            "The correlation of NPS with value",
            lambda: ws.analysis.value_correlations(
                scores=("nps",), n_boot=bootstrap, seed=seed, confidence=confidence, min_n=min_n
            ),
            notes,
        )
        parts = [
            card_html(
                "Revenue and retention by NPS group",
                figure_html(
                    value_by_nps_group_figure(uplift.groups, currency=_currency(ws)),
                    "chart-value-groups",
                ),
                f"Customers grouped by their latest NPS answer; {confidence:.0%} intervals.",
            )
        ]
        cards = [
            card_html(
                f"Revenue effect of +{points:g} NPS points",
                figure_html(
                    nps_uplift_figure(uplift, title="", currency=_currency(ws)),
                    "chart-value-uplift",
                ),
                "Projected 12-month revenue if the gain came from each move alone.",
            )
        ]
        if corr is not None and not corr.empty:
            cards.append(
                card_html(
                    "How NPS moves with customer value",
                    figure_html(correlations_figure(corr), "chart-value-correlations"),
                    f"Spearman correlation per customer, {bootstrap:,}-resample bootstrap "
                    "interval.",
                )
            )
        parts.append('<div class="grid-2">\n' + "\n".join(cards) + "\n</div>")
        parts += [note_html(n) for n in notes]
        parts += [
            f"<h3>Value of +{points:g} NPS points</h3>",
            uplift_table(uplift.table, _currency(ws)),
            "<h3>Assumptions</h3>",
            list_html([str(a) for a in uplift.assumptions], cls="plain"),
        ]
        lead = (
            "What promoters, passives and detractors are worth in revenue and retention, and "
            f"what +{points:g} NPS points would be worth under the assumptions listed below. "
            "These are associations between what customers say and what they spend."
        )
        methods = [
            (
                "What NPS is worth",
                "Groups from each customer's latest NPS answer; 12-month net revenue per "
                "customer (Student-t interval) and retention (Wilson); differences between "
                "groups with Welch and Newcombe intervals, scaled to the customers moved. "
                f"Correlations: percentile bootstrap, {bootstrap:,} resamples (seed {seed}; "
                "the Python API defaults to 1,000) (docs/analysis-customers.md).",
            )
        ]
        return AnalysisPart(Section("value", title, "\n".join(parts), lead=lead), methods)

    return guarded("value", title, build)


def _currency(ws: Workspace) -> str:
    """Return the transactions' currency for a money column's header ("" when unknown)."""
    from cxlens.models.clv import transactions_currency

    try:
        return transactions_currency(ws)
    except CxlensError:  # several currencies: the section's own figures say so
        return ""


def uplift_table(table: pd.DataFrame, currency: str = "") -> str:
    """Render the NPS uplift table: differences between groups and the projection.

    Money columns name the ``currency`` (ISO code) in their headers.

    Example:
        >>> uplift_table(pd.DataFrame({"move": ["detractor → passive"], "revenue_diff": [20.0],
        ...     "revenue_diff_ci_low": [5.0], "revenue_diff_ci_high": [35.0],
        ...     "retention_diff": [4.0], "retention_diff_ci_low": [1.0],
        ...     "retention_diff_ci_high": [7.0], "customers_moved": [45.0],
        ...     "projected_revenue": [900.0], "projected_revenue_ci_low": [225.0],
        ...     "projected_revenue_ci_high": [1575.0], "feasible": [True]})).count("<tr>")
        2
    """
    rows = [
        [
            str(r.move),
            _with_ci(r.revenue_diff, r.revenue_diff_ci_low, r.revenue_diff_ci_high, 0),
            _with_ci(r.retention_diff, r.retention_diff_ci_low, r.retention_diff_ci_high, 1),
            fmt_number(r.customers_moved, 0),
            _with_ci(
                r.projected_revenue, r.projected_revenue_ci_low, r.projected_revenue_ci_high, 0
            ),
            "yes" if bool(r.feasible) else "no",
        ]
        for r in table.itertuples()
    ]
    unit = f" ({currency})" if currency else ""
    columns = ["move", f"revenue difference / customer{unit}", "retention difference (pts)",
               "customers moved", f"projected revenue, 12 m{unit}", "feasible"]  # fmt: skip
    return table_html(columns, rows, numeric=[1, 2, 3, 4])


# --------------------------------------------------------------------------- segments


def segments_part(ws: Workspace, *, confidence: float = 0.95, min_n: int = 30) -> AnalysisPart:
    """Build "Customer segments" from the saved ``customer_segments`` (None when there are none).

    Clustering is slow, so the report never runs it: it profiles the segments that
    ``cxlens segments`` (or ``ws.analysis.segments()``) saved.

    Example:
        >>> import cxlens
        >>> segments_part(cxlens.Workspace(":memory:")).section is None
        True
    """
    from cxlens.analysis.segments import SEGMENTS_TABLE

    title = "Customer segments"
    if not ws.has_table(SEGMENTS_TABLE):
        return AnalysisPart(None)

    def build() -> AnalysisPart:
        from cxlens.analysis.charts_customers import segment_profile_figure

        saved = ws.table(SEGMENTS_TABLE).columns
        labels = [c for c in SEGMENT_LABELS if c in saved]
        if not labels:
            return _skipped("customer-segments", title, "customer_segments holds no labels")
        parts: list[str] = []
        notes: list[str] = []
        for col in labels:
            prof = _try(
                f"The {SEGMENT_LABELS[col].lower()} profile",
                lambda col=col: ws.analysis.segment_profile(
                    col, min_n=min_n, confidence=confidence
                ),
                notes,
            )
            if prof is None or prof.empty:
                continue
            parts.append(
                card_html(
                    f"{SEGMENT_LABELS[col]}s: NPS and value per customer",
                    figure_html(
                        segment_profile_figure(prof, col, currency=_currency(ws)),
                        _chart_id(col),
                    ),
                    f"Bubble size: customers. Grey: fewer than {min_n} customers, not ranked.",
                )
            )
            parts.append(segment_table(prof, col, _currency(ws)))
        body = "\n".join([*(note_html(n) for n in notes), *parts])
        lead = (
            "The segments saved in this workspace (RFM segments and clusters from "
            "cxlens segments), profiled: size, NPS, value, retention; ranked by value per "
            "customer."
        )
        methods = [
            (
                "Customer segments",
                "Profiles of the saved segments (table customer_segments), computed in the "
                "engine: NPS from each customer's latest answer (trinomial interval), "
                "all-history revenue as value per customer, retention with Wilson intervals; "
                f"segments under {min_n} customers are flagged and not ranked. The report does "
                "not re-run clustering.",
            )
        ]
        return AnalysisPart(Section("customer-segments", title, body, lead=lead), methods)

    return guarded("customer-segments", title, build)


def _chart_id(column: str) -> str:
    return "chart-segments-" + column.replace("_", "-")


def segment_table(profile: pd.DataFrame, by: str, currency: str = "") -> str:
    """Render a segment profile: rank, segment, customers, NPS, value, revenue, retention.

    The money columns name the ``currency`` (ISO code) in their headers.

    Example:
        >>> segment_table(pd.DataFrame({"cluster": ["C1"], "customers": [900], "share": [0.9],
        ...     "nps": [20.0], "nps_ci_low": [15.0], "nps_ci_high": [25.0],
        ...     "value_per_customer": [300.0], "revenue_per_customer": [120.0],
        ...     "retention_rate": [88.0], "rank": [1], "small_sample": [False]}), "cluster"
        ... ).count("<tr>")
        2
    """
    ordered = profile.sort_values("rank", na_position="last", kind="mergesort")
    rows = [
        [
            "—" if pd.isna(r["rank"]) else int(r["rank"]),
            str(r[by]) + (" (small sample)" if bool(r["small_sample"]) else ""),
            f"{int(r['customers']):,}",
            _pct(r["share"]),
            _with_ci(r["nps"], r.get("nps_ci_low"), r.get("nps_ci_high"), 0),
            fmt_number(r["value_per_customer"], 0),
            fmt_number(r["revenue_per_customer"], 0),
            fmt_number(r["retention_rate"], 1, "%"),
        ]
        for _, r in ordered.iterrows()
    ]
    unit = f" ({currency})" if currency else ""
    columns = ["rank", SEGMENT_LABELS.get(by, by).lower(), "customers", "share", "NPS",
               f"value / customer{unit}", f"revenue / customer, 12 m{unit}",
               "retained"]  # fmt: skip
    return table_html(columns, rows, numeric=[0, 2, 3, 4, 5, 6, 7])


# --------------------------------------------------------------------------- KPIs


def kpis_part(ws: Workspace, *, every: str = "month") -> AnalysisPart:
    """Build "KPIs": each defined KPI's status against its target (None when none is defined).

    Example:
        >>> import cxlens
        >>> kpis_part(cxlens.Workspace(":memory:")).section is None
        True
    """
    from cxlens.analysis.kpis import KPI_TABLE

    title = "KPIs"
    if not ws.has_table(KPI_TABLE):
        return AnalysisPart(None)

    def build() -> AnalysisPart:
        status = ws.kpis.status(every=every)
        if status.empty:
            return AnalysisPart(None)
        grain = GRAIN_NAMES[every]
        lead = (
            f"Each KPI in its latest complete {grain}, against its target; the trend is the "
            f"change from the {grain} before, when significant."
        )
        methods = [
            (
                "KPIs",
                f"Value in the latest complete {grain} with data, computed like the headline "
                "metric on the KPI's slice. On track: the target is met; at risk: short by "
                "no more than the warning band, or the target lies inside the interval; off "
                "track: otherwise (docs/analysis-insights.md).",
            )
        ]
        body = kpi_table(status, every)
        return AnalysisPart(Section("kpi-status", title, body, lead=lead), methods)

    return guarded("kpi-status", title, build)


def kpi_value(metric: str, value: Any) -> str:
    """Format a KPI value on its metric's scale.

    Example:
        >>> kpi_value("csat", 71.234), kpi_value("ces", 4.2), kpi_value("nps", -3.04)
        ('71.2%', '4.20', '−3.0')
    """
    digits = 2 if metric == "ces" else 1
    return fmt_number(value, digits, "%" if metric in ("csat", "churn", "engagement") else "")


def kpi_table(status: pd.DataFrame, every: str = "month") -> str:
    """Render KPI status rows (from ``ws.kpis.status()``) with a coloured status.

    Example:
        >>> kpi_table(pd.DataFrame({"name": ["NPS"], "metric": ["nps"], "filter": ["{}"],
        ...     "period": [pd.Timestamp("2025-12-01")], "value": [15.8], "ci_low": [11.3],
        ...     "ci_high": [20.3], "n": [900], "target": [25.0], "gap": [-9.2],
        ...     "status": ["off track"], "previous_status": ["on track"],
        ...     "trend": ["worsening"], "deadline": [None], "owner": [None]})).count("pill bad")
        1
    """
    rows: list[Sequence[object]] = []
    for r in status.to_dict("records"):
        metric = str(r["metric"])
        period = r.get("period")
        rows.append(
            [
                str(r["name"]),
                f"{_METRIC_LABELS.get(metric, metric)}, {describe_filter(str(r['filter']))}",
                format_period(period, every) if isinstance(period, pd.Timestamp) else "—",
                _with_ci(
                    r.get("value"), r.get("ci_low"), r.get("ci_high"), 2 if metric == "ces" else 1
                ),
                f"{int(r['n']):,}" if pd.notna(r.get("n")) else "—",
                kpi_value(metric, r["target"]),
                fmt_number(r.get("gap"), 2 if metric == "ces" else 1),
                pill_html(str(r["status"]), _STATUS_TONES.get(str(r["status"]), "")),
                _text(r.get("previous_status")),
                _text(r.get("trend")),
                _text(r.get("deadline")),
                _text(r.get("owner")),
            ]
        )
    columns = ["KPI", "metric, slice", "period", "value (interval)", "n", "target", "gap",
               "status", "previous", "trend", "deadline", "owner"]  # fmt: skip
    return table_html(columns, rows, numeric=[4, 5, 6])
