"""The ``cxlens surveys`` commands: create, list, show, pause, resume, trigger, send, stats."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer
from rich.text import Text

from cxlens.actions.email import SmtpSettings
from cxlens.api.survey_scheduler import send_due
from cxlens.cli._common import (
    DEFAULT_WS,
    OutputOpt,
    SenderOpt,
    SmtpHostOpt,
    SmtpPasswordEnvOpt,
    SmtpPortOpt,
    SmtpSslOpt,
    SmtpUserOpt,
    StartTlsOpt,
    WorkspaceOpt,
    app,
    bullets,
    console,
    errors,
    formatted,
    friendly,
    open_workspace,
    rich_table,
    write_csv,
)
from cxlens.errors import ArgumentError

surveys_app = typer.Typer(
    help="Event-triggered NPS, CSAT and CES surveys: create, list, show, pause, resume, "
    "trigger, send, stats.",
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
    with open_workspace(workspace) as ws:
        survey = ws.surveys.create(file, replace=replace)
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
    with open_workspace(workspace) as ws:
        frame = ws.surveys.list()
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
    with open_workspace(workspace) as ws:
        s = ws.surveys.get(name)
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
    with open_workspace(workspace) as ws:
        ws.surveys.pause(name)
    console.print(Text(f"paused survey '{name}'"))


@surveys_app.command("resume")
@friendly
def surveys_resume(
    name: Annotated[str, typer.Argument(help="The survey.")],
    workspace: WorkspaceOpt = DEFAULT_WS,
) -> None:
    """Let a paused survey invite again."""
    with open_workspace(workspace) as ws:
        ws.surveys.resume(name)
    console.print(Text(f"resumed survey '{name}'"))


@surveys_app.command("trigger")
@friendly
def surveys_trigger(workspace: WorkspaceOpt = DEFAULT_WS) -> None:
    """Decide invitations for the events not decided yet; print the decisions made."""
    with open_workspace(workspace) as ws:
        decided = ws.surveys.trigger()
    if decided.empty:
        console.print("no new events trigger a survey")
        return
    counts = decided.groupby(["survey", "decision"]).size().reset_index(name="n")
    console.print(rich_table(counts, f"decisions ({len(decided):,} events)"))


@surveys_app.command("send")
@friendly
def surveys_send(
    link: Annotated[
        str,
        typer.Option(
            help="Answer page URL with {token} and {score}, e.g. "
            "'https://cx.acme.example/s/{token}?score={score}' (the page `cxlens serve` "
            "serves) or a page of yours."
        ),
    ],
    smtp_host: SmtpHostOpt = None,
    smtp_port: SmtpPortOpt = None,
    smtp_user: SmtpUserOpt = None,
    smtp_password_env: SmtpPasswordEnvOpt = "CXLENS_SMTP_PASSWORD",
    starttls: StartTlsOpt = False,
    smtp_ssl: SmtpSslOpt = False,
    sender: SenderOpt = None,
    workspace: WorkspaceOpt = DEFAULT_WS,
) -> None:
    """Send the e-mail invitations that are due, each once; failures are retried next run."""
    settings = _smtp(smtp_host, smtp_port, sender, smtp_user, smtp_password_env, starttls,
                     smtp_ssl)  # fmt: skip

    def failed_one(invitation_id: str, error: str) -> None:
        errors.print(Text(f"  {invitation_id}: {error}"))

    with open_workspace(workspace) as ws:
        done = send_due(ws, settings, link, failed_one)
    console.print(f"sent {done.sent} invitation(s); {done.failed} failed (retried next run)")
    if done.failed:
        raise typer.Exit(1)


def _smtp(
    host: str | None, port: int | None, sender: str | None, user: str | None,
    password_env: str, starttls: bool, ssl: bool,
) -> SmtpSettings:  # fmt: skip
    """Return SMTP settings from the options, or from CXLENS_SMTP_* when no host is given."""
    if host is None:
        # each invitation goes to its customer, so CXLENS_SMTP_TO is not needed here
        env = {**os.environ, "CXLENS_SMTP_TO": os.environ.get("CXLENS_SMTP_FROM", "")}
        return SmtpSettings.from_env(env)
    if not sender:
        raise ArgumentError("e-mail needs --from ADDRESS")
    return SmtpSettings(
        host=host, sender=sender, to=(sender,), port=port, username=user,
        password=os.environ.get(password_env), starttls=starttls, ssl=ssl,
    )  # fmt: skip


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
    """Show response rates, coverage, time to answer, surveys per customer, non-response."""
    with open_workspace(workspace) as ws:
        surveys = ws.surveys
        frame = surveys.stats(by or ["survey"])
        coverage = surveys.coverage()
        timing, per, nonresponse = surveys.timing(), surveys.per_customer(), surveys.nonresponse()
    if output is not None:
        write_csv(frame, output)
        return
    console.print(rich_table(formatted(frame, 3), "response rates"))
    console.print(rich_table(formatted(coverage, 3), "decisions per survey (coverage)"))
    console.print(rich_table(formatted(timing, 2), "hours from the triggering event to the answer"))
    console.print(rich_table(formatted(per, 3), "invitations per customer (* = all surveys)"))
    if nonresponse.empty:
        console.print("non-response check: no closed invitation with answers on both sides yet")
    else:
        title = "non-response check: responders against non-responders"
        console.print(rich_table(formatted(nonresponse, 3), title))
