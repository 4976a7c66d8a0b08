"""The report's survey collection section: response rates, coverage, timing, non-response.

Shown only for a workspace with surveys (``ws.surveys``, docs/collect.md); every figure is
one of ``ws.surveys``' own tables, so the report and ``cxlens surveys stats`` agree.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from cxlens.collect.tables import DEFINITIONS_TABLE
from cxlens.display import format_p
from cxlens.report.analyses import AnalysisPart, fmt_number, guarded
from cxlens.report.template import Section, note_html, table_html

if TYPE_CHECKING:
    from cxlens.workspace import Workspace

TITLE = "Survey collection"


def collection_part(ws: Workspace, *, confidence: float = 0.95) -> AnalysisPart:
    """Return the survey collection section (None when the workspace has no surveys).

    Example:
        >>> import cxlens
        >>> collection_part(cxlens.Workspace(":memory:")).section is None
        True
    """
    if not ws.has_table(DEFINITIONS_TABLE):
        return AnalysisPart(None)

    def build() -> AnalysisPart:
        s = ws.surveys
        rates, coverage = s.stats(["survey", "channel"], confidence), s.coverage()
        timing, check = s.timing(), s.nonresponse()
        parts = ["<h3>Response rates</h3>", _rates(rates, confidence),
                 "<h3>What became of the triggering events</h3>", _coverage(coverage),
                 "<h3>Time from the triggering event to the answer</h3>", _timing(timing),
                 "<h3>Do responders differ from non-responders?</h3>", _check(check)]  # fmt: skip
        invited, answered = int(rates.invited.sum()), int(rates.answered.sum())
        lead = (f"{len(rates)} survey(s) invited {invited:,} customers and {answered:,} "
                "answered: how many were asked, how many answered and how fast, and whether "
                "those who answer are like those who do not.")  # fmt: skip
        methods = [(TITLE, (
            f"Response rate: answered invitations over invitations made, with the Wilson "
            f"(1927) {confidence:.0%} interval. Time to answer: median and 90th percentile "
            "hours from the event to the answer. Non-response check: per customer with a "
            "closed (answered or expired) invitation; segment, region, plan and churn by "
            "Pearson's chi-square test of independence, value (sum of transactions) by the "
            "Mann-Whitney U test (docs/collect.md)."))]  # fmt: skip
        return AnalysisPart(Section("collection", TITLE, "\n".join(parts), lead=lead), methods)

    return guarded("collection", TITLE, build)


def _rates(rates: pd.DataFrame, confidence: float) -> str:
    if rates.empty:
        return note_html("No invitation has been made yet.")
    rows = [[r.survey, r.channel, f"{r.invited:,}", f"{r.answered:,}",
             fmt_number(100 * r.response_rate, 1, "%"),
             f"{fmt_number(100 * r.ci_low, 1)}–{fmt_number(100 * r.ci_high, 1, '%')}"]
            for r in rates.itertuples()]  # fmt: skip
    head = ["survey", "channel", "invited", "answered", "response rate",
            f"{confidence:.0%} interval"]  # fmt: skip
    return table_html(head, rows, numeric=[2, 3, 4, 5])


def _coverage(coverage: pd.DataFrame) -> str:
    if coverage.empty:
        return note_html("No triggering event has been decided yet.")
    rows = [[r.survey, r.decision, f"{r.n:,}", fmt_number(100 * r.share, 1, "%")]
            for r in coverage.itertuples()]  # fmt: skip
    return table_html(["survey", "decision", "events", "share"], rows, numeric=[2, 3])


def _timing(timing: pd.DataFrame) -> str:
    if timing.empty:
        return note_html("No answer yet.")
    rows = [[r.survey, f"{r.answered:,}", fmt_number(r.median_hours, 1, " h"),
             fmt_number(r.p90_hours, 1, " h")] for r in timing.itertuples()]  # fmt: skip
    return table_html(["survey", "answers", "median", "90th percentile"], rows, numeric=[1, 2, 3])


def _check(check: pd.DataFrame) -> str:
    if check.empty:
        return note_html("Not enough closed invitations with answers on both sides to compare.")
    rows = []
    for r in check.itertuples():
        shown = (fmt_number(r.median_value, 0) + " (median value)" if r.attribute == "value"
                 else fmt_number(100 * r.response_rate, 1, "% answered"))  # fmt: skip
        rows.append([r.attribute, r.level, f"{r.customers:,}", shown, r.test,
                     format_p(r.p_value)])  # fmt: skip
    head = ["attribute", "group", "customers", "figure", "test", "p-value"]
    return table_html(head, rows, numeric=[2, 5]) + note_html(
        "A small p-value (below 0.05) says those who answer differ from those who do not on "
        "that attribute, so survey-based figures may lean toward the responders' side."
    )
