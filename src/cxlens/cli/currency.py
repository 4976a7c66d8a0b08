"""The ``cxlens currency`` command: the currency of the amounts when the data names none."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.text import Text

from cxlens.cli._common import DEFAULT_WS, WorkspaceOpt, app, console, friendly, open_workspace


@app.command("currency")
@friendly
def currency(
    code: Annotated[
        str | None, typer.Argument(help="ISO 4217 code to declare, e.g. EUR; none: show it.")
    ] = None,
    clear: Annotated[bool, typer.Option("--clear", help="Forget the declared currency.")] = False,
    workspace: WorkspaceOpt = DEFAULT_WS,
) -> None:
    """Show or declare the currency of the amounts (used when transactions have no currency).

    When transactions have a ``currency`` column, a declared currency that differs from it
    is an error, and amounts in several currencies are never summed.
    """
    with open_workspace(workspace) as ws:
        if clear:
            ws.currency = None
        elif code is not None:
            ws.currency = code
        found = ws.currency
    if found is None:
        console.print(
            "no currency declared; money reads the transactions' currency column, or carries "
            "no currency. Declare one with: cxlens currency EUR"
        )
        return
    console.print(Text(f"amounts are in {found} when the data names no currency"))
