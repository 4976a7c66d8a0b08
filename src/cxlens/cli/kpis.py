"""The ``cxlens kpis`` commands: define, list, remove, load, status, alerts."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import pandas as pd
import typer
from rich.table import Table
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
    rich_table,
    write_csv,
)
from cxlens.errors import CxlensError

STATUS_STYLES = {"on track": "green", "at risk": "yellow", "off track": "bold red"}
SEVERITY_STYLES = {"critical": "bold red", "warning": "yellow", "info": "cyan"}

kpis_app = typer.Typer(
    help="KPIs with targets: define, list, remove, load, status, alerts.",
    no_args_is_help=True,
)
app.add_typer(kpis_app, name="kpis")


def _parse_filter(items: list[str] | None) -> dict[str, list[str]] | None:
    """Turn repeated 'column=value' options into a KPI filter (a column may repeat)."""
    if not items:
        return None
    out: dict[str, list[str]] = {}
    for item in items:
        column, sep, value = item.partition("=")
        if not sep or not column.strip() or not value.strip():
            raise CxlensError(
                f"--filter needs column=value, e.g. segment=small_business; got {item!r}"
            )
        out.setdefault(column.strip(), []).append(value.strip())
    return out


def _with_slice(frame: pd.DataFrame) -> pd.DataFrame:
    """Replace the KPI filter (JSON) with a readable slice, e.g. "segment = small_business"."""
    from cxlens.report.analyses import describe_filter

    out = frame.copy()
    out["filter"] = [describe_filter(str(f)) for f in frame["filter"]]
    return out.rename(columns={"filter": "slice"})


def _kpi_list_table(frame: pd.DataFrame) -> Table:
    return rich_table(formatted(_with_slice(frame)), f"KPIs ({len(frame)})")


@kpis_app.command("define")
@friendly
def kpis_define(
    name: Annotated[str, typer.Argument(help="Unique name; an existing KPI is replaced.")],
    metric: Annotated[str, typer.Option(help="nps, csat, ces, churn or engagement.")],
    target: Annotated[float, typer.Option(help="Target on the metric's scale.")],
    filter_: Annotated[
        list[str] | None,
        typer.Option("--filter", help="'column=value' slice (repeatable; a column may repeat)."),
    ] = None,
    band: Annotated[
        float | None, typer.Option(help="Warning band: how far short still counts as at risk.")
    ] = None,
    deadline: Annotated[str | None, typer.Option(help="Date to meet the target by.")] = None,
    owner: Annotated[str | None, typer.Option(help="Who answers for it.")] = None,
    workspace: WorkspaceOpt = DEFAULT_WS,
) -> None:
    """Define (or redefine) a KPI: a metric for a slice of customers, with a target."""
    with open_workspace(workspace) as ws:
        kpi = ws.kpis.define(
            name, metric, target, filter=_parse_filter(filter_), warning_band=band,
            deadline=deadline, owner=owner,
        )  # fmt: skip
    where = ", ".join(f"{k} = {' or '.join(map(str, v))}" for k, v in kpi.filter.items())
    console.print(
        Text(
            f"defined KPI '{kpi.name}': {kpi.metric} of {where or 'all customers'}, target "
            f"{kpi.target:g} (warning band {kpi.warning_band:g})"
        )
    )


@kpis_app.command("list")
@friendly
def kpis_list(workspace: WorkspaceOpt = DEFAULT_WS) -> None:
    """List the KPIs defined in the workspace."""
    with open_workspace(workspace) as ws:
        frame = ws.kpis.list()
    if frame.empty:
        console.print(
            "no KPI defined; add one with: cxlens kpis define NAME --metric nps --target 30"
        )
        return
    console.print(_kpi_list_table(frame))


@kpis_app.command("remove")
@friendly
def kpis_remove(
    name: Annotated[str, typer.Argument(help="The KPI to remove.")],
    workspace: WorkspaceOpt = DEFAULT_WS,
) -> None:
    """Remove a KPI."""
    with open_workspace(workspace) as ws:
        ws.kpis.remove(name)
    console.print(Text(f"removed KPI '{name}'"))


@kpis_app.command("load")
@friendly
def kpis_load(
    file: Annotated[Path, typer.Argument(help="YAML file: a list of KPI definitions.")],
    workspace: WorkspaceOpt = DEFAULT_WS,
) -> None:
    """Define every KPI of a YAML file (all are checked before any is stored)."""
    if not file.exists():
        raise FileNotFoundError(f"{file}: no such file")
    with open_workspace(workspace) as ws:
        frame = ws.kpis.load(file)
    console.print(_kpi_list_table(frame))


@kpis_app.command("status")
@friendly
def kpis_status(
    as_of: Annotated[str | None, typer.Option(help="Evaluation date (default: today).")] = None,
    every: Annotated[str, typer.Option(help="Period grain.")] = "month",
    output: OutputOpt = None,
    workspace: WorkspaceOpt = DEFAULT_WS,
) -> None:
    """Show each KPI in its latest complete period: value, interval, target, status, trend."""
    with open_workspace(workspace) as ws, console.status("computing the KPIs"):
        frame = ws.kpis.status(as_of=as_of, every=every)
    if output is not None:
        write_csv(frame, output)
        return
    if frame.empty:
        console.print(
            "no KPI defined; add one with: cxlens kpis define NAME --metric nps --target 30"
        )
        return
    cols = ["name", "metric", "filter", "period", "value", "ci_low", "ci_high", "n", "target",
            "gap", "status", "previous_status", "trend", "deadline", "owner"]  # fmt: skip
    shown = formatted(_with_slice(frame[cols]))
    shown["status"] = [Text(s, style=STATUS_STYLES.get(s, "")) for s in frame["status"]]
    console.print(rich_table(shown, "KPI status"))


@kpis_app.command("alerts")
@friendly
def kpis_alerts(
    threshold: Annotated[
        float, typer.Option(help="Insight score above which an insight alerts.")
    ] = 25.0,
    insights: Annotated[
        bool, typer.Option(help="Also scan for insights (--no-insights: KPIs only).")
    ] = True,
    as_of: Annotated[str | None, typer.Option(help="Evaluation date (default: today).")] = None,
    every: Annotated[str, typer.Option(help="Period grain.")] = "month",
    output: OutputOpt = None,
    workspace: WorkspaceOpt = DEFAULT_WS,
) -> None:
    """Show what needs attention: KPIs that slipped, and strong new insights."""
    with open_workspace(workspace) as ws, console.status("checking KPIs and insights"):
        frame = ws.kpis.alerts(threshold if insights else None, as_of=as_of, every=every)
    if output is not None:
        write_csv(frame, output)
        return
    if frame.empty:
        console.print("no alerts")
        return
    for row in frame.itertuples():
        style = SEVERITY_STYLES.get(str(row.severity), "")
        console.print(Text.assemble((f"{row.severity:>8}", style), f"  {row.message}"))
