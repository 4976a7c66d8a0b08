"""The ``cxlens names`` commands: the display names clients read in the report and dashboard."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table
from rich.text import Text

from cxlens.cli._common import DEFAULT_WS, WorkspaceOpt, app, console, friendly, open_workspace

names_app = typer.Typer(
    help="Display names of segments, channels, columns and methods: list, set, remove.",
    no_args_is_help=True,
)
app.add_typer(names_app, name="names")


@names_app.command("list")
@friendly
def names_list(workspace: WorkspaceOpt = DEFAULT_WS) -> None:
    """List the workspace's own display names (others get the defaults, e.g. 'Small business')."""
    with open_workspace(workspace) as ws:
        names = ws.display_names.get()
    if not names:
        console.print(
            "no display name set; the defaults apply (small_business reads 'Small business'). "
            "Set one with: cxlens names set small_business 'Small firms'"
        )
        return
    table = Table(title=f"Display names ({len(names)})")
    table.add_column("in the data")
    table.add_column("clients read")
    for key, label in names.items():
        table.add_row(Text(key), Text(label))
    console.print(table)


@names_app.command("set")
@friendly
def names_set(
    key: Annotated[str, typer.Argument(help="Value or column as in the data, e.g. field_sales.")],
    label: Annotated[str, typer.Argument(help="What clients read, e.g. 'Field sales team'.")],
    workspace: WorkspaceOpt = DEFAULT_WS,
) -> None:
    """Set the name clients read for a segment, channel, column or method."""
    with open_workspace(workspace) as ws:
        ws.display_names.set({key: label})
    console.print(Text(f"{key} now reads '{label.strip()}' in the report and dashboard"))


@names_app.command("remove")
@friendly
def names_remove(
    key: Annotated[str, typer.Argument(help="The key whose name to drop (back to the default).")],
    workspace: WorkspaceOpt = DEFAULT_WS,
) -> None:
    """Drop a display name; the default applies again."""
    with open_workspace(workspace) as ws:
        ws.display_names.remove(key)
        default = ws.display_names.name(key)
    console.print(Text(f"removed the name of {key}; it reads '{default}' again"))
