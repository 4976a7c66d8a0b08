"""What every command shares: the Typer app, consoles, options, error handling and tables."""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import pandas as pd
import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

from cxlens import safe_export
from cxlens.errors import CxlensError

app = typer.Typer(
    help="cxlens: customer-experience analytics (NPS, CSAT, CES, churn, engagement).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
console = Console()
errors = Console(stderr=True)

WorkspaceOpt = Annotated[
    Path,
    typer.Option("--workspace", "-w", envvar="CXLENS_WORKSPACE",
                 help="DuckDB file of the Workspace."),
]  # fmt: skip
DEFAULT_WS = Path("cxlens.duckdb")
METRICS = ("nps", "csat", "ces", "churn", "engagement")


def friendly(func: Callable[..., Any]) -> Callable[..., Any]:
    """Turn cxlens errors (and missing files) into one red line and exit status 1."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except (CxlensError, FileNotFoundError, PermissionError) as exc:
            errors.print(f"[bold red]error:[/] {exc}", highlight=False, soft_wrap=True)
            raise typer.Exit(1) from None

    return wrapper


OutputOpt = Annotated[
    Path | None, typer.Option("--output", "-o", help="Write the main table to this CSV.")
]


def present(frame: pd.DataFrame, columns: list[str]) -> list[str]:
    return [c for c in columns if c in frame.columns]


def rounded(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.copy()
    for col in out.columns:
        if pd.api.types.is_float_dtype(out[col]):
            out[col] = out[col].round(4 if col == "p_value" else 2)
        if pd.api.types.is_datetime64_any_dtype(out[col]):
            out[col] = out[col].dt.strftime("%Y-%m-%d")
    return out


def rich_table(frame: pd.DataFrame, title: str) -> Table:
    """Render a frame as a Rich table; cells are plain text (no markup), Text keeps its style."""
    table = Table(title=title, show_lines=False)
    for col in frame.columns:
        table.add_column(str(col), overflow="fold")
    for row in frame.itertuples(index=False):
        table.add_row(*(cell(v) for v in row))
    return table


def cell(value: Any) -> Text:
    if isinstance(value, Text):
        return value
    if pd.api.types.is_scalar(value) and pd.isna(value):
        return Text("")
    return Text(str(value))


def formatted(frame: pd.DataFrame, digits: int = 2, **column_digits: int) -> pd.DataFrame:
    """Format a frame for printing.

    Floats get ``digits`` decimals (or ``column_digits[col]``), p-values two significant
    digits, dates YYYY-MM-DD, booleans "yes" or blank.
    """
    out = frame.copy()
    for col in out.columns:
        values = out[col]
        if pd.api.types.is_bool_dtype(values):
            out[col] = ["yes" if bool(v) else "" for v in values]
        elif pd.api.types.is_float_dtype(values):
            if col == "p_value" or str(col).endswith("_p"):
                out[col] = [f"{v:.2g}" if pd.notna(v) else "" for v in values]
            else:
                d = column_digits.get(str(col), digits)
                out[col] = [f"{v:.{d}f}" if pd.notna(v) else "" for v in values]
        elif pd.api.types.is_datetime64_any_dtype(values):
            out[col] = values.dt.strftime("%Y-%m-%d").fillna("")
    return out


def write_csv(frame: pd.DataFrame, output: Path) -> None:
    safe_export.write_csv(frame, output)
    console.print(f"wrote {len(frame):,} rows to {output}")


def bullets(lines: list[str]) -> None:
    for line in lines:
        console.print(Text(f"  • {line}"))
