"""The ``cxlens identity`` commands: resolve, flags, evidence, profiles, evaluate."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import pandas as pd
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
    open_workspace,
    rich_table,
    write_csv,
)
from cxlens.errors import CxlensError

identity_app = typer.Typer(
    help="Single customer view: resolve identities into customers, flags, evidence, profiles.",
    no_args_is_help=True,
)
app.add_typer(identity_app, name="identity")

RegionOpt = Annotated[
    str, typer.Option(help="Country (ISO code) of phone numbers written without one.")
]


@identity_app.command("resolve")
@friendly
def identity_resolve(
    threshold: Annotated[
        float, typer.Option(help="Match probability from which two records are linked.")
    ] = 0.9,
    region: RegionOpt = "GB",
    new: Annotated[
        bool, typer.Option("--new", help="Only link records loaded since the last resolve.")
    ] = False,
    workspace: WorkspaceOpt = DEFAULT_WS,
) -> None:
    """Link and deduplicate the identities records into customers (Splink)."""
    with open_workspace(workspace) as ws, console.status("resolving identities"):
        if new:
            done = ws.identity.link_new()
        else:
            done = ws.identity.resolve(threshold=threshold, default_region=region)
    console.print(
        Text(
            f"{done.records:,} records -> {done.customers:,} customers: {done.links:,} links "
            f"from {done.pairs_compared:,} pairs compared, {done.conflicts:,} conflicting "
            f"clusters, {done.seconds:.1f} s"
        )
    )
    console.print("blocking rules (pairs compared share one of):")
    bullets(done.blocking_rules)
    console.print("why two records were merged: cxlens identity evidence SOURCE SOURCE_ID")


@identity_app.command("flags")
@friendly
def identity_flags(
    region: RegionOpt = "GB",
    limit: Annotated[int, typer.Option(help="Rows to show.")] = 20,
    output: OutputOpt = None,
    workspace: WorkspaceOpt = DEFAULT_WS,
) -> None:
    """List empty and invalid e-mails, phones, names and dates, with file and row."""
    with open_workspace(workspace) as ws:
        flags = ws.identity.flags(region)
    if output is not None:
        write_csv(flags, output)
        return
    if flags.empty:
        console.print("no empty or invalid values")
        return
    counts = flags.groupby(["column", "problem"]).size().reset_index(name="records")
    console.print(rich_table(counts, f"identity values flagged: {len(flags):,}"))
    cols = ["source_file", "source_row", "source", "source_id", "column", "value", "problem"]
    console.print(rich_table(flags[cols].head(limit), f"first {min(limit, len(flags))}"))


@identity_app.command("evidence")
@friendly
def identity_evidence(
    source: Annotated[str, typer.Argument(help="Source system of the record, e.g. web.")],
    source_id: Annotated[str, typer.Argument(help="The record's id in that source.")],
    workspace: WorkspaceOpt = DEFAULT_WS,
) -> None:
    """Show why a record sits with the others of its customer: its links and their evidence."""
    with open_workspace(workspace) as ws:
        links = ws.identity.evidence(source, source_id)
    if links.empty:
        console.print(Text(f"{source} {source_id} is linked to no other record"))
        return
    shown = pd.DataFrame(
        {
            "other record": [
                f"{r.source_r} {r.source_id_r}"
                if (r.source_l, r.source_id_l) == (source, source_id)
                else f"{r.source_l} {r.source_id_l}"
                for r in links.itertuples()
            ],
            **{c: links[c] for c in ("rule", "match_probability", "evidence") if c in links},
        }
    )
    console.print(rich_table(formatted(shown, 3), f"links of {source} {source_id}"))


@identity_app.command("profiles")
@friendly
def identity_profiles(
    output: Annotated[
        Path, typer.Option("--output", "-o", help="CSV to write (holds personal data).")
    ],
    region: RegionOpt = "GB",
    workspace: WorkspaceOpt = DEFAULT_WS,
) -> None:
    """Write one row per customer: the newest value of each attribute and where it came from."""
    with open_workspace(workspace) as ws:
        profiles = ws.identity.profiles(region)
    write_csv(profiles, output)


@identity_app.command("evaluate")
@friendly
def identity_evaluate(
    truth: Annotated[
        Path, typer.Argument(help="CSV with source, source_id and the true identity column.")
    ],
    true: Annotated[
        str | None,
        typer.Option(
            help="Column of the true identity (default: the only other column, "
            "or person_id / customer_id)."
        ),
    ] = None,
    workspace: WorkspaceOpt = DEFAULT_WS,
) -> None:
    """Score the resolved customers against known identities: pairwise precision, recall, F1."""
    from cxlens.identity.evaluate import truth_column

    frame = pd.read_csv(truth, dtype=str)
    try:
        true = truth_column(list(frame.columns), true)
    except CxlensError as exc:
        raise CxlensError(f"{truth}: {exc}") from None
    with open_workspace(workspace) as ws:
        scores = ws.identity.evaluate(frame, true=true)
    console.print(rich_table(formatted(scores, 3), "pairwise linkage quality"))
