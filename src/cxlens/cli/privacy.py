"""The ``cxlens profile``, ``cxlens erase`` and ``cxlens erasures`` commands."""

from __future__ import annotations

import json
from typing import Annotated, Any

import pandas as pd
import typer
from rich.console import Group
from rich.panel import Panel
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
from cxlens.identity.profile import CustomerProfile
from cxlens.store.privacy import erasures, preview


def _removed(counts: dict[str, int]) -> pd.DataFrame:
    return pd.DataFrame({"table": list(counts), "rows": list(counts.values())})


def _facts(values: dict[str, Any]) -> Text:
    text = Text()
    for i, (key, value) in enumerate(values.items()):
        shown = f"{value:%Y-%m-%d}" if isinstance(value, pd.Timestamp) else value
        shown = f"{shown:,.2f}" if isinstance(shown, float) else shown
        text.append(("\n" if i else "") + f"{key}: ", style="bold")
        text.append(str(shown))
    return text


def _panels(p: CustomerProfile) -> list[Panel]:
    out = []
    if p.attributes:
        out.append(Panel(_facts(p.attributes), title="Customer"))
    parts: list[tuple[str, Any]] = [
        ("Identities (PII)", p.identities),
        ("Scores", p.score_summary),
        ("Responses", p.scores),
        ("Transactions", p.transactions),
        ("Recent transactions", p.recent_transactions),
        ("Journey: events by stage and touchpoint", p.journey),
        ("Recent events", p.recent_events),
        ("Comments (PII redacted)", p.comments),
        ("Segments", p.segments),
    ]
    parts += [(f"Model output: {table}", pd.DataFrame(rows)) for table, rows in p.models.items()]
    for title, part in parts:
        if isinstance(part, dict) and part:
            out.append(Panel(_facts(part), title=title))
        elif isinstance(part, pd.DataFrame) and len(part):
            out.append(Panel(rich_table(formatted(part), ""), title=f"{title} ({len(part)})"))
    return out


@app.command("profile")
@friendly
def profile_command(
    customer_id: Annotated[str, typer.Argument(help="The customer's id.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the profile as JSON.")] = False,
    workspace: WorkspaceOpt = DEFAULT_WS,
) -> None:
    """Show everything about one customer: identities, scores, orders, journey, comments."""
    with open_workspace(workspace) as ws:
        p = ws.profile(customer_id)
    if as_json:
        console.print_json(json.dumps(p.to_dict(), ensure_ascii=False, default=str))
        return
    console.print(Panel(Group(*_panels(p)), title=f"Customer {p.customer_id}"))


@app.command("erase")
@friendly
def erase_command(
    customer_id: Annotated[str, typer.Argument(help="The customer's id.")],
    reason: Annotated[str, typer.Option(help="Why (kept in the erasure log).")],
    requested_by: Annotated[str, typer.Option(help="Who asked or approved (kept in the log).")],
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")] = False,
    workspace: WorkspaceOpt = DEFAULT_WS,
) -> None:
    """Erase one customer from every table (right to erasure) and record that it happened."""
    with open_workspace(workspace) as ws:
        if not yes:
            counts = preview(ws, customer_id)
            if not counts:
                ws.erase(customer_id, reason=reason, requested_by=requested_by)  # says why not
            console.print(Text(f"Erasing customer '{customer_id}' deletes these rows for good:"))
            console.print(rich_table(_removed(counts), "rows to delete"))
            if not typer.confirm("Erase?", default=False):
                console.print("nothing erased")
                raise typer.Exit(1)
        record = ws.erase(customer_id, reason=reason, requested_by=requested_by)
    console.print(rich_table(_removed(record.rows_removed), f"erased customer '{customer_id}'"))
    for table, n in record.rows_changed.items():
        console.print(Text(f"{table}: {n} row(s) edited (their quotes cut)"))
    console.print(
        Text(
            f"erasure {record.erasure_id} logged as customer key {record.customer_key} "
            f"({record.rows_total} rows" + (", file rewritten)" if record.compacted else ")")
        )
    )


@app.command("erasures")
@friendly
def erasures_command(output: OutputOpt = None, workspace: WorkspaceOpt = DEFAULT_WS) -> None:
    """List the erasure log (customer ids appear only as keyed hashes)."""
    with open_workspace(workspace) as ws:
        log = erasures(ws)
    if log.empty:
        console.print("no erasure recorded")
        return
    shown = log[["erased_at", "customer_key", "requested_by", "reason", "rows_total"]].copy()
    shown["erased_at"] = shown["erased_at"].dt.strftime("%Y-%m-%d %H:%M")
    console.print(rich_table(shown, f"erasures ({len(log)}); -o FILE.csv for ids and tables"))
    if output is not None:
        write_csv(log, output)
