"""The report's journey section: journey map, emotion curve, flows, funnel and pain points.

The funnel's stages come from the data (:func:`stage_order`): each stage's first visit is
timed from the start of the journey, stages are ordered by the median of that time, and the
stages that at least half of the journeys reach form the funnel (a stage fewer journeys
visit, such as support in the sample, is a side trip rather than a step everyone passes).
Everything per event runs in the engine; pieces that cannot be drawn (no stage column, no
survey answers at touchpoints) become notes, and a workspace without events gets a note
instead of the section.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import ibis
import pandas as pd

from cxlens.errors import NotEnoughDataError
from cxlens.journey.cases import CaseSpec, prepare, seconds
from cxlens.report.analyses import AnalysisPart, _try, _with_ci, fmt_number, guarded
from cxlens.report.charts import figure_html
from cxlens.report.template import Section, card_html, note_html, table_html
from cxlens.store.query import run

if TYPE_CHECKING:
    from cxlens.workspace import Workspace

#: Least share of journeys a stage must reach to be a step of the report's funnel.
FUNNEL_MIN_REACH = 0.5

#: Steps of the Sankey diagram of journey flows.
REPORT_FLOW_STEPS = 5

#: Pain points listed.
REPORT_TOP_PAIN_POINTS = 10

#: Columns of :func:`stage_order`.
STAGE_ORDER_COLUMNS = ("stage", "journeys", "reach", "median_days_to_first", "in_funnel")

_OUTCOME_NAMES = {"detractor": "detractors (NPS 0-6)", "high_effort": "high effort (CES 1-3)",
                  "churn": "churn within 90 days"}  # fmt: skip


def stage_order(
    ws: Workspace, *, spec: CaseSpec | None = None, min_reach: float = FUNNEL_MIN_REACH
) -> pd.DataFrame:
    """Return the journey stages in the order customers first reach them, with their reach.

    For every journey and stage the engine takes the first event in that stage and the time
    from the journey's first event to it; per stage it returns how many journeys reach it
    and the median of that time. Stages are ordered by the median (ties: more journeys
    first, then by name).

    Args:
        ws: the Workspace (needs events with ``stage``).
        spec: how events are cut into journeys (default: one per customer).
        min_reach: least share of journeys a stage must reach to be ``in_funnel``.

    Returns:
        DataFrame with ``stage``, ``journeys``, ``reach`` (share of all journeys, 0-1),
        ``median_days_to_first``, ``in_funnel`` (reach >= ``min_reach``).

    Raises:
        SchemaError: no events table, or events without a ``stage`` column.
        NotEnoughDataError: no event has a stage.

    Example:
        >>> stage_order(ws)["stage"].tolist()  # doctest: +SKIP
        ['awareness', 'consideration', 'purchase', 'onboarding', 'usage', 'support', 'renewal']
    """
    t = prepare(ws.table("events"), spec, level="stage")
    start = t["occurred_at"].min().over(ibis.window(group_by="case_id"))
    t = t.mutate(_start=start)
    first = t.group_by(["case_id", "activity"]).aggregate(
        first_at=t["occurred_at"].min(), start_at=t["_start"].min()
    )
    first = first.mutate(days=seconds(first["first_at"], first["start_at"]) / 86_400.0)
    per_stage = first.group_by("activity").aggregate(
        journeys=first.count(), median_days_to_first=first["days"].median()
    )
    total = t.select("case_id").distinct().count()
    got = run(per_stage, "the order of journey stages")
    n = int(run(total, "the number of journeys"))
    if got.empty or n == 0:
        raise NotEnoughDataError("no event has a stage; the funnel needs events with a stage")
    got = got.rename(columns={"activity": "stage"})
    got["journeys"] = got["journeys"].astype("int64")
    got["reach"] = got["journeys"] / n
    got["in_funnel"] = got["reach"] >= min_reach
    got = got.assign(_neg=-got["journeys"]).sort_values(
        ["median_days_to_first", "_neg", "stage"], kind="mergesort"
    )
    return got[list(STAGE_ORDER_COLUMNS)].reset_index(drop=True)


def funnel_stages(order: pd.DataFrame) -> list[str]:
    """Return the funnel's stages from :func:`stage_order` (those in the funnel, in order).

    Example:
        >>> funnel_stages(pd.DataFrame({"stage": ["a", "b", "c"], "in_funnel": [True, False,
        ...     True]}))
        ['a', 'c']
    """
    return order.loc[order["in_funnel"].astype(bool), "stage"].astype(str).tolist()


def journey_part(
    ws: Workspace,
    *,
    confidence: float = 0.95,
    min_n: int = 30,
    steps: int = REPORT_FLOW_STEPS,
    top: int = REPORT_TOP_PAIN_POINTS,
) -> AnalysisPart:
    """Build "Customer journeys": journey map, emotion curve, Sankey, funnel, pain points.

    Example:
        >>> import cxlens
        >>> journey_part(cxlens.Workspace(":memory:")).section.body_html[:40]
        '<p class="note">Customer journeys is not'
    """
    title = "Customer journeys"

    def build() -> AnalysisPart:
        from cxlens.journey.charts import (
            emotion_curve_figure,
            emotion_source_words,
            funnel_figure,
            journey_map_figure,
            sankey_figure,
            sankey_positions,
        )
        from cxlens.journey.emotion import emotion as emotion_table

        touch = ws.journey.touchpoints()
        notes: list[str] = []
        emotion = _try(
            "The emotion per touchpoint",
            # the touchpoints already computed give the journey order (no second pass)
            lambda: emotion_table(ws.table("responses"), touch, confidence=confidence, min_n=min_n),
            notes,
        )
        flows = _try("The journey flows", lambda: ws.journey.flows(steps=steps), notes)
        order = _try("The funnel", lambda: stage_order(ws), notes)
        stages = funnel_stages(order) if order is not None else []
        funnel = None
        if order is not None and len(stages) < 2:
            notes.append(
                f"The funnel is not shown: fewer than two stages are reached by "
                f"{FUNNEL_MIN_REACH:.0%} of the journeys."
            )
        elif stages:
            funnel = _try(
                "The funnel",
                lambda: ws.journey.funnel(stages, confidence=confidence, min_n=min_n),
                notes,
            )
        pains = _try(
            "The pain points",
            lambda: ws.journey.pain_points(confidence=confidence, min_n=min_n),
            notes,
        )
        cards = [
            card_html(
                "Journey map",
                figure_html(journey_map_figure(touch, emotion, title=""), "chart-journey-map"),
                "Touchpoints by stage (in journey order) and share of journeys; colour: NPS "
                "of the answers left there (grey: none).",
            )
        ]
        if emotion is not None and emotion["emotion"].notna().any():
            cards.append(
                card_html(
                    "Emotion along the journey",
                    figure_html(emotion_curve_figure(emotion, title=""), "chart-journey-emotion"),
                    f"Mean emotion of the answers per touchpoint (-1 to +1), {confidence:.0%} "
                    f"interval; from {emotion_source_words(emotion['emotion_source'].iloc[0])}.",
                )
            )
        parts = list(cards)  # full width each: the map has a row per touchpoint
        if flows is not None and len(flows):
            parts.append(
                card_html(
                    f"Journey flows: the first {sankey_positions(flows)} touchpoints",
                    figure_html(sankey_figure(flows, title=""), "chart-journey-sankey"),
                    "Width: journeys moving from one touchpoint to the next. At each position "
                    "the 6 touchpoints most journeys pass have their own box, the other N share "
                    "one, Other (N); a journey that ends leaves the diagram.",
                )
            )
        if funnel is not None:
            parts.append(
                card_html(
                    "Funnel over the stages most journeys pass",
                    figure_html(funnel_figure(funnel, title=""), "chart-journey-funnel"),
                    f"Stages in the order customers first reach them (median time from the "
                    f"journey's start), those at least {FUNNEL_MIN_REACH:.0%} of journeys "
                    "reach; a step counts when it follows the previous one.",
                )
            )
            parts += ["<h3>Funnel</h3>", funnel_table(funnel)]
        if order is not None:
            parts += ["<h3>Stages in journey order</h3>", stage_table(order)]
        if pains is not None:
            parts.append("<h3>Pain points</h3>")
            parts.append(pain_table(pains.head(top)) if len(pains) else note_html(
                "No touchpoint had enough answers to compare."))  # fmt: skip
        parts += [note_html(n) for n in notes]
        journeys = int(touch["journeys"].max()) if len(touch) else 0
        lead = (
            f"How {journeys:,} customers move through {len(touch)} touchpoints: where they "
            "go, how they feel at each touchpoint, how many pass each stage, and where things "
            "recently got worse."
        )
        methods = [
            (
                "Customer journeys",
                "One journey per customer, events ordered by time then event id; computed in "
                "the engine. Emotion: the mean of each answer's scores mapped to -1..+1 (NPS "
                "(x-5)/5, CSAT (x-3)/2, CES (x-4)/3) unless responses carry a sentiment. "
                "Funnel stages: ordered by the median time from a journey's first event to "
                f"its first event in the stage; stages reached by at least {FUNNEL_MIN_REACH:.0%}"
                " of journeys; a step counts at its first event after the previous step; "
                "conversion with Wilson intervals. Pain points: the share of detractors, high "
                "effort and churn after answers at a touchpoint in the last 6 months against "
                "the same touchpoint before (risk ratio, Katz interval), overall and by "
                "segment, ranked by excess customers affected (docs/journey.md).",
            )
        ]
        body = "\n".join(parts)
        return AnalysisPart(Section("journeys", title, body, lead=lead), methods)

    return guarded("journeys", title, build)


def duration_text(seconds_: float) -> str:
    """Format seconds as a short duration: seconds, minutes, hours or days ("—" when missing).

    Example:
        >>> [duration_text(s) for s in (42, 600, 7200, 3 * 86400, float("nan"))]
        ['42 s', '10.0 min', '2.0 h', '3.0 d', '—']
    """
    try:
        s = float(seconds_)
    except (TypeError, ValueError):
        return "—"
    if s != s:  # NaN
        return "—"
    if s < 120:
        return f"{s:.0f} s"
    if s < 7200:
        return f"{s / 60:.1f} min"
    if s < 2 * 86400:
        return f"{s / 3600:.1f} h"
    return f"{s / 86400:,.1f} d"


def funnel_table(funnel: pd.DataFrame) -> str:
    """Render the funnel: step, journeys entered, conversion from step 1 and from the previous.

    Example:
        >>> funnel_table(pd.DataFrame({"step": [1], "name": ["awareness"], "entered": [90],
        ...     "conversion": [100.0], "conversion_ci_low": [96.0], "conversion_ci_high": [100.0],
        ...     "step_conversion": [100.0], "step_ci_low": [96.0], "step_ci_high": [100.0],
        ...     "drop_off": [0], "median_seconds_from_previous": [float("nan")]})).count("<tr>")
        2
    """
    rows = [
        [
            int(r.step),
            str(r.name),
            f"{int(r.entered):,}",
            _with_ci(r.conversion, r.conversion_ci_low, r.conversion_ci_high, 1, "%"),
            _with_ci(r.step_conversion, r.step_ci_low, r.step_ci_high, 1, "%"),
            f"{int(r.drop_off):,}",
            duration_text(r.median_seconds_from_previous),
        ]
        for r in funnel.itertuples()
    ]
    columns = ["step", "stage", "journeys", "from step 1", "from the previous step",
               "dropped", "median time from the previous"]  # fmt: skip
    return table_html(columns, rows, numeric=[0, 2, 3, 4, 5, 6])


def stage_table(order: pd.DataFrame) -> str:
    """Render :func:`stage_order`: stage, journeys reaching it, reach, median time to it.

    Example:
        >>> stage_table(pd.DataFrame({"stage": ["awareness"], "journeys": [90], "reach": [0.9],
        ...     "median_days_to_first": [0.0], "in_funnel": [True]})).count("<tr>")
        2
    """
    rows = [
        [
            str(r.stage),
            f"{int(r.journeys):,}",
            fmt_number(100 * r.reach, 1, "%"),
            fmt_number(r.median_days_to_first, 1),
            "yes" if bool(r.in_funnel) else "no (a side trip)",
        ]
        for r in order.itertuples()
    ]
    columns = ["stage", "journeys reaching it", "reach", "median days from the start",
               "funnel step"]  # fmt: skip
    return table_html(columns, rows, numeric=[1, 2, 3])


def pain_table(pains: pd.DataFrame) -> str:
    """Render pain points: touchpoint, group, outcome, rates, lift with interval, excess.

    Example:
        >>> pain_table(pd.DataFrame({"rank": [1], "touchpoint": ["billing"],
        ...     "dimension": ["segment"], "group": ["small_business"], "outcome": ["detractor"],
        ...     "n": [400], "rate": [45.0], "baseline_n": [900], "baseline_rate": [30.0],
        ...     "lift": [1.5], "lift_ci_low": [1.3], "lift_ci_high": [1.7], "affected": [180],
        ...     "excess_customers": [60.0], "significant": [True],
        ...     "small_sample": [False]})).count("<tr>")
        2
    """
    rows = [
        [
            "—" if pd.isna(r.rank) else int(r.rank),
            str(r.touchpoint),
            "all customers" if r.dimension == "all" else f"{r.dimension}: {r.group}",
            _OUTCOME_NAMES.get(str(r.outcome), str(r.outcome)),
            f"{fmt_number(r.rate, 1, '%')} (n = {int(r.n):,})",
            f"{fmt_number(r.baseline_rate, 1, '%')} (n = {int(r.baseline_n):,})",
            _with_ci(r.lift, r.lift_ci_low, r.lift_ci_high, 2),
            fmt_number(r.excess_customers, 0),
            "yes"
            if bool(r.significant)
            else "no" + (" (small sample)" if bool(r.small_sample) else ""),
        ]
        for r in pains.itertuples()
    ]
    columns = ["rank", "touchpoint", "customers", "outcome", "recent rate", "before",
               "lift (interval)", "excess customers", "significant"]  # fmt: skip
    return table_html(columns, rows, numeric=[0, 6, 7])
