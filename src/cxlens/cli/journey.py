"""The ``cxlens journey`` commands: touchpoints, paths, funnel, time, emotion, pain-points."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import pandas as pd
import typer
from rich.text import Text

from cxlens.cli._common import (
    DEFAULT_WS,
    OutputOpt,
    WorkspaceOpt,
    app,
    console,
    formatted,
    friendly,
    open_workspace,
    present,
    rich_table,
    write_csv,
)
from cxlens.report.journey_parts import FUNNEL_MIN_REACH, duration_text, funnel_stages, stage_order
from cxlens.workspace import Workspace

if TYPE_CHECKING:
    from cxlens.journey.namespace import Journey

journey_app = typer.Typer(
    help="Customer journeys: touchpoints, paths, funnel, time in stage, emotion, pain points.",
    no_args_is_help=True,
)
app.add_typer(journey_app, name="journey")

CaseOpt = Annotated[
    str, typer.Option(help="What one journey is: customer, or session (events.session_id).")
]
GapOpt = Annotated[
    str | None, typer.Option(help="Split a journey after this much inactivity, e.g. 30D, 2h.")
]
LevelOpt = Annotated[str, typer.Option(help="Steps are touchpoints or stages.")]


def _journey(ws: Workspace, case: str, gap: str | None) -> Journey:
    return ws.journey.with_cases(case, gap)


def with_durations(frame: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """Replace columns of seconds with short durations ("42 s", "3.5 h", "12.0 d").

    Example:
        >>> with_durations(pd.DataFrame({"s": [30.0, 7200.0]}), ["s"])["s"].tolist()
        ['30 s', '2.0 h']
    """
    out = frame.copy()
    for col in columns:
        if col in out.columns:
            out[col] = [duration_text(v) for v in frame[col]]
    return out


# --------------------------------------------------------------------------- touchpoints


@journey_app.command("touchpoints")
@friendly
def touchpoints_cmd(
    case: CaseOpt = "customer",
    gap: GapOpt = None,
    output: OutputOpt = None,
    workspace: WorkspaceOpt = DEFAULT_WS,
) -> None:
    """List touchpoints in journey order: reach, position, where journeys start and end."""
    with open_workspace(workspace) as ws, console.status("mapping touchpoints"):
        j = _journey(ws, case, gap)
        touch = j.touchpoints()
        per_customer = j.touchpoints_per_customer()
    if output is not None:
        write_csv(touch, output)
        return
    cols = ["touchpoint", "stage", "customers", "journeys", "share_of_journeys",
            "events_per_journey", "median_position", "mean_relative_position", "first_share",
            "last_share", "median_duration_seconds", "top_channel",
            "top_channel_share"]  # fmt: skip
    shown = with_durations(formatted(touch[present(touch, cols)], 1, mean_relative_position=2),
                           ["median_duration_seconds"])  # fmt: skip
    shown = shown.rename(columns={"median_duration_seconds": "median_duration"})
    console.print(rich_table(shown, f"touchpoints in journey order ({len(touch)}; shares in %)"))
    a = per_customer
    console.print(
        Text(
            f"distinct touchpoints per customer: mean {a.mean:.2f}, median {a.median:g}, "
            f"p90 {a.p90:g}; events per customer {a.mean_events:.2f} ({a.customers:,} customers)"
        )
    )


# --------------------------------------------------------------------------- paths


@journey_app.command("paths")
@friendly
def paths_cmd(
    level: LevelOpt = "touchpoint",
    top: Annotated[int, typer.Option(help="Edges of the directly-follows graph to list.")] = 15,
    variants: Annotated[int, typer.Option(help="Journey variants to list (0: none).")] = 10,
    anchor: Annotated[
        str | None, typer.Option(help="Also list the paths after (or before) this step.")
    ] = None,
    direction: Annotated[str, typer.Option(help="With --anchor: after or before.")] = "after",
    case: CaseOpt = "customer",
    gap: GapOpt = None,
    output: OutputOpt = None,
    workspace: WorkspaceOpt = DEFAULT_WS,
) -> None:
    """Show the paths: the directly-follows graph's top edges and the common variants."""
    with open_workspace(workspace) as ws, console.status("discovering journey paths"):
        j = _journey(ws, case, gap)
        graph = j.dfg(level=level)
        found = j.variants(top=variants, level=level) if variants > 0 and output is None else None
        around = j.paths(anchor, direction=direction) if anchor and output is None else None
    if output is not None:
        write_csv(graph, output)
        return
    total = int(graph["count"].sum())
    edges = graph.head(top)
    shown = with_durations(edges, ["mean_seconds", "median_seconds"])
    shown.insert(3, "share", [f"{c / total:.1%}" if total else "" for c in edges["count"]])
    shown = shown.rename(columns={"mean_seconds": "mean_time", "median_seconds": "median_time"})
    title = f"directly-follows graph ({level}s): top {len(edges)} of {len(graph):,} edges"
    console.print(rich_table(shown, f"{title}, {total:,} moves"))
    if found is not None and len(found):
        cols = ["variant", "steps", "journeys", "share", "nps", "nps_n", "churn_rate",
                "churn_n", "small_sample"]  # fmt: skip
        console.print(
            rich_table(formatted(found[present(found, cols)], 1), "most common journey variants")
        )
    if around is not None:
        console.print(rich_table(formatted(around, 1), f"paths {direction} '{anchor}'"))


# --------------------------------------------------------------------------- funnel


@journey_app.command("funnel")
@friendly
def funnel_cmd(
    stage: Annotated[
        list[str] | None,
        typer.Option(
            "--stage",
            help="Funnel step, in order (repeat; default: the stages most journeys reach, in "
            "the order they are first reached).",
        ),
    ] = None,
    by: Annotated[
        list[str] | None,
        typer.Option(help="Split by an event column (channel) or customer column (segment)."),
    ] = None,
    level: LevelOpt = "stage",
    within: Annotated[
        str | None, typer.Option(help="Count a step only this long after step 1, e.g. 30D.")
    ] = None,
    case: CaseOpt = "customer",
    gap: GapOpt = None,
    output: OutputOpt = None,
    workspace: WorkspaceOpt = DEFAULT_WS,
) -> None:
    """Show the ordered funnel: journeys entering each step, conversion, drop-off, time."""
    with open_workspace(workspace) as ws, console.status("counting the funnel"):
        j = _journey(ws, case, gap)
        stages = list(stage or [])
        chosen_from_data = not stages
        if chosen_from_data:
            stages = funnel_stages(stage_order(ws, spec=j.spec))
        frame = j.funnel(stages, level=level, by=by or None, within=within)
    if output is not None:
        write_csv(frame, output)
        return
    if chosen_from_data:
        console.print(
            Text(
                f"stages from the data: those {FUNNEL_MIN_REACH:.0%} or more of journeys reach, "
                "in the order they are first reached (median time from the journey's start); "
                "choose others with --stage"
            )
        )
    cols = [*(by or []), "step", "name", "entered", "conversion", "conversion_ci_low",
            "conversion_ci_high", "step_conversion", "drop_off", "drop_off_rate",
            "median_seconds_from_previous", "median_seconds_from_start",
            "small_sample"]  # fmt: skip
    shown = with_durations(
        formatted(frame[present(frame, cols)], 1),
        ["median_seconds_from_previous", "median_seconds_from_start"],
    )
    shown = shown.rename(columns={"median_seconds_from_previous": "median_from_previous",
                                  "median_seconds_from_start": "median_from_start"})  # fmt: skip
    console.print(rich_table(shown, f"funnel: {' > '.join(stages)} (conversion in %)"))


# --------------------------------------------------------------------------- time


@journey_app.command("time")
@friendly
def time_cmd(
    case: CaseOpt = "customer",
    gap: GapOpt = None,
    output: OutputOpt = None,
    workspace: WorkspaceOpt = DEFAULT_WS,
) -> None:
    """Show the time spent in each stage and whether it is growing month by month."""
    with open_workspace(workspace) as ws, console.status("timing the stages"):
        j = _journey(ws, case, gap)
        stay = j.time_in_stage()
        trends = j.stage_trends() if output is None else None
    if output is not None:
        write_csv(stay, output)
        return
    seconds = ["dwell_p10", "dwell_p25", "dwell_median", "dwell_p75", "dwell_p90", "dwell_mean",
               "active_median", "active_p90", "to_next_median"]  # fmt: skip
    console.print(
        rich_table(with_durations(stay, seconds), "time in stage (dwell: until the next stage)")
    )
    if trends is not None:
        shown = formatted(trends, 2)
        shown["growing"] = [Text("growing", style="bold red") if g else Text("")
                            for g in trends["growing"]]  # fmt: skip
        console.print(rich_table(shown, "dwell time trend per stage (monthly_change in % a month)"))
        console.print(
            "open stays at the data end are not timed, so recent months lean short: read a "
            "falling stage with care"
        )


# --------------------------------------------------------------------------- emotion


@journey_app.command("emotion")
@friendly
def emotion_cmd(
    min_n: Annotated[int, typer.Option(help="Touchpoints with fewer answers are flagged.")] = 30,
    output: OutputOpt = None,
    workspace: WorkspaceOpt = DEFAULT_WS,
) -> None:
    """Show NPS, CSAT, CES and emotion at each touchpoint, in journey order."""
    with open_workspace(workspace) as ws, console.status("reading emotion per touchpoint"):
        frame = ws.journey.emotion(min_n=min_n)
    if output is not None:
        write_csv(frame, output)
        return
    cols = ["touchpoint", "stage", "responses", "nps", "nps_ci_low", "nps_ci_high", "csat",
            "ces", "emotion", "emotion_ci_low", "emotion_ci_high", "small_sample"]  # fmt: skip
    source = str(frame["emotion_source"].iloc[0]) if len(frame) else "scores"
    shown = formatted(frame[present(frame, cols)], 1, ces=2, emotion=3, emotion_ci_low=3,
                      emotion_ci_high=3)  # fmt: skip
    console.print(
        rich_table(shown, f"emotion along the journey (-1 to +1, from {source}; CSAT in %)")
    )


# --------------------------------------------------------------------------- pain points


@journey_app.command("pain-points")
@friendly
def pain_points_cmd(
    compare: Annotated[
        str, typer.Option(help="past (the same touchpoint before) or rest (other touchpoints).")
    ] = "past",
    recent_months: Annotated[int, typer.Option(help="Months in the recent window.")] = 6,
    top: Annotated[int, typer.Option(help="Rows to list.")] = 10,
    min_n: Annotated[int, typer.Option(help="Cells with fewer answers are not ranked.")] = 30,
    output: OutputOpt = None,
    workspace: WorkspaceOpt = DEFAULT_WS,
) -> None:
    """List touchpoints where detractors, high effort or churn became more likely."""
    with open_workspace(workspace) as ws, console.status("looking for pain points"):
        frame = ws.journey.pain_points(compare=compare, recent_months=recent_months, min_n=min_n)
    if output is not None:
        write_csv(frame, output)
        return
    cols = ["rank", "touchpoint", "dimension", "group", "outcome", "n", "rate", "baseline_rate",
            "lift", "lift_ci_low", "lift_ci_high", "affected", "excess_customers",
            "significant", "small_sample"]  # fmt: skip
    shown = formatted(frame[present(frame, cols)].head(top), 2)
    title = f"pain points: top {min(top, len(frame))} of {len(frame)} (rates in %"
    if compare == "past":
        title += f"; last {recent_months} months against before"
    console.print(rich_table(shown, title + ")"))
    if len(frame) and pd.notna(frame["window_start"].iloc[0]):
        start, end = (frame[c].iloc[0].date() for c in ("window_start", "window_end"))
        console.print(Text(f"recent window: {start} to {end}"))
