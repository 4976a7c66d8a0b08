"""The ``cxlens surveys`` commands: create, list, show, pause, resume, trigger, stats."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.text import Text

from cxlens.cli._common import (
    DEFAULT_WS,
    OutputOpt,
    WorkspaceOpt,
    app,
    bullets,
    console,
    formatted,
    friendly,
    rich_table,
    write_csv,
)
from cxlens.collect import Surveys
from cxlens.workspace import Workspace

surveys_app = typer.Typer(
    help="Event-triggered NPS, CSAT and CES surveys: create, list, show, pause, resume, "
    "trigger, stats.",
    no_args_is_help=True,
)
app.add_typer(surveys_app, name="surveys")


@surveys_app.command("create")
@friendly
def surveys_create(
    file: Annotated[Path, typer.Argument(help="YAML survey definition (see docs/collect.md).")],
    replace: Annotated[bool, typer.Option(help="Replace a survey of the same name.")] = False,
    workspace: WorkspaceOpt = DEFAULT_WS,
) -> None:
    """Check a survey definition and store it in the workspace."""
    with Workspace(workspace) as ws:
        survey = Surveys(ws).create(file, replace=replace)
    console.print(
        Text(
            f"created survey '{survey.name}': {survey.kind} after "
            f"{survey.trigger_column} {survey.trigger_value}, by {survey.channel}, in "
            f"{', '.join(survey.languages)}"
        )
    )


@surveys_app.command("list")
@friendly
def surveys_list(workspace: WorkspaceOpt = DEFAULT_WS) -> None:
    """List the surveys of the workspace."""
    with Workspace(workspace) as ws:
        frame = Surveys(ws).list()
    if frame.empty:
        console.print("no survey yet; add one with: cxlens surveys create survey.yaml")
        return
    console.print(rich_table(formatted(frame), f"surveys ({len(frame)})"))


@surveys_app.command("show")
@friendly
def surveys_show(
    name: Annotated[str, typer.Argument(help="The survey.")],
    workspace: WorkspaceOpt = DEFAULT_WS,
) -> None:
    """Show a survey: its questions in each language and its contact rules."""
    with Workspace(workspace) as ws:
        s = Surveys(ws).get(name)
    rules = s.contact
    hours = rules.business_hours
    console.print(Text(f"{s.name}: {s.kind} {s.scale[0]}-{s.scale[1]} ({s.status})", "bold"))
    bullets([
        f"trigger: {s.trigger_column} = {s.trigger_value}; delay {s.delay}; expiry {s.expiry}",
        f"channel: {s.channel}; quiet period {rules.quiet_days} days across surveys; "
        f"sampling {rules.sampling:g} (seed {rules.seed}); consent {rules.consent}",
        "business hours: " + ("any time" if hours is None else
            f"{hours.start:%H:%M}-{hours.end:%H:%M} on days {list(hours.days)} (Monday = 0), "
            f"customer's time zone, else {rules.timezone}"),
    ])  # fmt: skip
    for lang in s.languages:
        w = s.wording_for(lang)
        lines = [f"{w.question} ({s.scale[0]} = {w.low}, {s.scale[1]} = {w.high})"]
        if s.follow_up:
            lines.append(w.follow_up)
        lines += [d.question.get(lang, d.question[s.languages[0]]) for d in s.drivers]
        console.print(Text(f"[{lang}]", "cyan"))
        bullets(lines)


@surveys_app.command("pause")
@friendly
def surveys_pause(
    name: Annotated[str, typer.Argument(help="The survey.")],
    workspace: WorkspaceOpt = DEFAULT_WS,
) -> None:
    """Stop a survey from inviting anyone."""
    with Workspace(workspace) as ws:
        Surveys(ws).pause(name)
    console.print(Text(f"paused survey '{name}'"))


@surveys_app.command("resume")
@friendly
def surveys_resume(
    name: Annotated[str, typer.Argument(help="The survey.")],
    workspace: WorkspaceOpt = DEFAULT_WS,
) -> None:
    """Let a paused survey invite again."""
    with Workspace(workspace) as ws:
        Surveys(ws).resume(name)
    console.print(Text(f"resumed survey '{name}'"))


@surveys_app.command("trigger")
@friendly
def surveys_trigger(workspace: WorkspaceOpt = DEFAULT_WS) -> None:
    """Decide invitations for the events not decided yet; print the decisions made."""
    with Workspace(workspace) as ws:
        decided = Surveys(ws).trigger()
    if decided.empty:
        console.print("no new events trigger a survey")
        return
    counts = decided.groupby(["survey", "decision"]).size().reset_index(name="n")
    console.print(rich_table(counts, f"decisions ({len(decided):,} events)"))


@surveys_app.command("stats")
@friendly
def surveys_stats(
    by: Annotated[
        list[str] | None,
        typer.Option(help="Group by survey, channel, touchpoint, language (repeatable)."),
    ] = None,
    output: OutputOpt = None,
    workspace: WorkspaceOpt = DEFAULT_WS,
) -> None:
    """Response rates of the invitations made, with 95% Wilson intervals, and coverage."""
    with Workspace(workspace) as ws:
        surveys = Surveys(ws)
        frame = surveys.stats(by or ["survey"])
        coverage = surveys.coverage()
    if output is not None:
        write_csv(frame, output)
        return
    console.print(rich_table(formatted(frame, 3), "response rates"))
    console.print(rich_table(formatted(coverage, 3), "decisions per survey (coverage)"))
