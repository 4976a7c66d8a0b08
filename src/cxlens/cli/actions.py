"""The ``cxlens notify`` and ``cxlens export`` commands: act on alerts and target lists."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer
from rich.text import Text

from cxlens.actions.alerts import WebhookTarget, notify
from cxlens.actions.email import SmtpSettings
from cxlens.actions.exports import FORMATS, export
from cxlens.actions.targets import TARGET_LISTS
from cxlens.api.audit import AuditLog
from cxlens.cli._common import (
    DEFAULT_WS,
    SenderOpt,
    SmtpHostOpt,
    SmtpPasswordEnvOpt,
    SmtpPortOpt,
    SmtpSslOpt,
    SmtpUserOpt,
    StartTlsOpt,
    WorkspaceOpt,
    app,
    console,
    errors,
    friendly,
    open_workspace,
)
from cxlens.errors import ArgumentError


def _secret(var: str) -> str:
    value = os.environ.get(var, "")
    if not value:
        raise ArgumentError(
            f"the webhook secret is read from the environment variable {var}, which is not "
            f"set or empty; export {var}=... (or name another with --secret-env)"
        )
    return value


def _smtp(
    host: str | None, port: int | None, sender: str | None, to: list[str] | None,
    user: str | None, password_env: str, starttls: bool, ssl: bool,
) -> SmtpSettings | None:  # fmt: skip
    """Return SMTP settings from the options, or from CXLENS_SMTP_* when no host is given."""
    if host is None:
        return SmtpSettings.from_env() if os.environ.get("CXLENS_SMTP_HOST") else None
    if not sender or not to:
        raise ArgumentError("e-mail needs --from ADDRESS and at least one --to ADDRESS")
    return SmtpSettings(
        host=host, sender=sender, to=tuple(to), port=port, username=user,
        password=os.environ.get(password_env), starttls=starttls, ssl=ssl,
    )  # fmt: skip


@app.command("notify")
@friendly
def notify_command(
    webhook: Annotated[str | None, typer.Option(help="Webhook URL to POST alerts to.")] = None,
    secret_env: Annotated[
        str, typer.Option(help="Environment variable holding the webhook's shared secret.")
    ] = "CXLENS_WEBHOOK_SECRET",
    smtp_host: SmtpHostOpt = None,
    smtp_port: SmtpPortOpt = None,
    smtp_user: SmtpUserOpt = None,
    smtp_password_env: SmtpPasswordEnvOpt = "CXLENS_SMTP_PASSWORD",
    starttls: StartTlsOpt = False,
    smtp_ssl: SmtpSslOpt = False,
    sender: SenderOpt = None,
    to: Annotated[list[str] | None, typer.Option(help="Recipient (repeatable).")] = None,
    threshold: Annotated[
        float, typer.Option(help="Insight score above which an insight alerts.")
    ] = 25.0,
    insights: Annotated[bool, typer.Option(help="Scan insights too (--no-insights).")] = True,
    state_file: Annotated[
        Path | None,
        typer.Option(help="Alerts already sent (default: WORKSPACE.alerts.json beside it)."),
    ] = None,
    as_of: Annotated[str | None, typer.Option(help="Evaluation date (default: today).")] = None,
    every: Annotated[str, typer.Option(help="Period grain.")] = "month",
    retries: Annotated[int, typer.Option(help="Webhook retries after the first try.")] = 5,
    workspace: WorkspaceOpt = DEFAULT_WS,
) -> None:
    """Send new KPI and insight alerts by webhook and/or e-mail (for cron: each alert once)."""
    hook = None
    if webhook is not None:
        hook = WebhookTarget(webhook, _secret(secret_env), {"retries": retries})
    mail = _smtp(smtp_host, smtp_port, sender, to, smtp_user, smtp_password_env, starttls,
                 smtp_ssl)  # fmt: skip
    if hook is None and mail is None:
        raise ArgumentError(
            "nothing to send to: give --webhook URL and/or --smtp-host HOST --from ... --to ... "
            "(or set CXLENS_SMTP_HOST, CXLENS_SMTP_FROM, CXLENS_SMTP_TO)"
        )
    state = state_file or workspace.with_name(workspace.name + ".alerts.json")
    with open_workspace(workspace) as ws, console.status("checking KPIs and insights"):
        result = notify(
            ws, webhook=hook, email=mail, threshold=threshold if insights else None,
            state_file=state, as_of=as_of, every=every, audit=AuditLog(workspace.parent),
        )  # fmt: skip
    console.print(f"{len(result.alerts)} alert(s) now; state in {state}")
    for channel, ids in result.new.items():
        delivery = result.deliveries.get(channel)
        if delivery is None:
            console.print(f"  {channel}: nothing new")
        elif delivery.ok:
            console.print(Text(f"  {channel}: sent {len(ids)} new alert(s)", style="green"))
        else:
            errors.print(Text(f"  {channel}: FAILED ({delivery.error}); will retry next run"))
    if not result.ok:
        raise typer.Exit(1)


@app.command("export")
@friendly
def export_command(
    target_list: Annotated[str, typer.Argument(help=f"One of: {', '.join(TARGET_LISTS)}.")],
    format_: Annotated[str, typer.Option("--format", help=" or ".join(FORMATS) + ".")],
    output: Annotated[Path, typer.Option("--output", "-o", help="CSV file to write.")],
    days: Annotated[int, typer.Option(help="detractors: window in days.")] = 30,
    as_of: Annotated[
        str | None, typer.Option(help="detractors: last day (default: data end).")
    ] = None,
    top: Annotated[int | None, typer.Option(help="churn-risk: keep the first N.")] = None,
    band: Annotated[
        list[str] | None, typer.Option(help="churn-risk: risk band to keep (repeatable).")
    ] = None,
    prefer: Annotated[
        list[str] | None, typer.Option(help="Identity source to take contacts from first.")
    ] = None,
    bom: Annotated[bool, typer.Option(help="Start the file with a UTF-8 BOM (Excel).")] = False,
    workspace: WorkspaceOpt = DEFAULT_WS,
) -> None:
    """Write a target list as CSV in HubSpot's or Salesforce's contact import layout."""
    options: dict[str, object] = {}
    key = target_list.strip().lower().replace("_", "-")
    if key == "detractors":
        options = {"days": days, "as_of": as_of}
    elif key == "churn-risk":
        options = {"top": top, "bands": band}
    with open_workspace(workspace) as ws, console.status(f"building the {key} list"):
        result = export(
            ws, key, format_, output, prefer=tuple(prefer or ("crm",)), bom=bom,
            audit=AuditLog(workspace.parent), **options,
        )  # fmt: skip
    console.print(f"wrote {len(result.table):,} rows to {output} ({result.format} layout)")
    if len(result.excluded):
        counts = result.excluded["reason"].value_counts()
        console.print(
            Text(f"{len(result.excluded):,} customer(s) left out, without a usable contact:")
        )
        for reason, n in counts.items():
            console.print(Text(f"  • {reason}: {n:,}"))
