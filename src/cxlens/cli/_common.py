"""What every command shares: the Typer app, consoles, options, error handling and tables."""

from __future__ import annotations

import difflib
import functools
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import click
import pandas as pd
import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from cxlens import safe_export
from cxlens.cli._quiet import quiet_library_warnings
from cxlens.errors import CxlensError, WorkspaceBusyError

if TYPE_CHECKING:
    from cxlens import Workspace

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
#: Environment variable: seconds a command waits for another process to release the
#: workspace file (a load in progress) before it gives up; 0 gives up at once.
WAIT_ENV = "CXLENS_WAIT"
DEFAULT_WAIT_S = 120.0
METRICS = ("nps", "csat", "ces", "churn", "engagement")


#: The SMTP options of every command that sends e-mail (notify, surveys send).
SmtpHostOpt = Annotated[
    str | None, typer.Option(help="SMTP server (default: CXLENS_SMTP_* variables).")
]
SmtpPortOpt = Annotated[int | None, typer.Option(help="SMTP port.")]
SmtpUserOpt = Annotated[str | None, typer.Option(help="SMTP login name.")]
SmtpPasswordEnvOpt = Annotated[
    str, typer.Option(help="Environment variable holding the SMTP password.")
]
StartTlsOpt = Annotated[bool, typer.Option(help="Upgrade the connection with STARTTLS.")]
SmtpSslOpt = Annotated[bool, typer.Option(help="TLS from the start (port 465).")]
SenderOpt = Annotated[str | None, typer.Option("--from", help="Sender address.")]

#: Set by the global ``--debug`` flag: errors then show their traceback.
_DEBUG = {"on": False}


@app.callback()
def main(
    ctx: typer.Context,
    debug: Annotated[
        bool, typer.Option("--debug", help="On an error, show the full traceback.")
    ] = False,
) -> None:
    """Customer-experience analytics (NPS, CSAT, CES, churn, engagement)."""
    _DEBUG["on"] = debug
    # library warnings are logged, not printed, until the command ends (cli/_quiet.py)
    ctx.with_resource(quiet_library_warnings(_say))


def _say(text: str) -> None:
    errors.print(text, style="yellow", markup=False, highlight=False, soft_wrap=True)


def friendly(func: Callable[..., Any]) -> Callable[..., Any]:
    """Turn any error into one red line and exit status 1; ``--debug`` shows the traceback.

    cxlens errors (bad input, a bad mapping) and missing files print their message; any
    other exception is a defect of cxlens and says so, with how to see the traceback.
    """

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except (click.exceptions.Exit, click.exceptions.Abort, click.ClickException):
            raise  # typer's own exits and usage errors
        except (CxlensError, FileNotFoundError, PermissionError) as exc:
            if _DEBUG["on"]:
                raise
            errors.print(f"[bold red]error:[/] {escape(str(exc))}", highlight=False, soft_wrap=True)
            raise typer.Exit(1) from None
        except Exception as exc:
            if _DEBUG["on"]:
                raise
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
            errors.print(
                f"[bold red]error:[/] {type(exc).__name__}: {escape(first)} (unexpected; run the "
                "command again with --debug before the command name to see the traceback)",
                highlight=False,
                soft_wrap=True,
                markup=True,
            )
            raise typer.Exit(1) from None

    return wrapper


def open_workspace(path: Path, *, create: bool = False) -> Workspace:
    """Open the workspace file at ``path`` for a command, waiting while another process holds it.

    A command that reads (``create`` False) refuses a path where no workspace exists, with
    the nearest ``*.duckdb`` file as a did-you-mean, instead of creating an empty one.
    While another cxlens command (a load) holds the file, it says so on stderr and retries
    for up to ``CXLENS_WAIT`` seconds (120 by default); a file held by ``cxlens serve`` is
    refused at once, since the server keeps it open. Returns the open Workspace.

    Example:
        >>> with open_workspace(Path("acme.duckdb")) as ws:  # doctest: +SKIP
        ...     ws.loads()
    """
    if not create:
        _require_workspace(path)
    return _open_waiting(path, _wait_seconds())


def _require_workspace(path: Path) -> None:
    if path.is_file():
        return
    if path.is_dir():
        raise CxlensError(f"{path} is a folder, not a workspace file (NAME.duckdb)")
    folder = _nearest_folder(path)
    where = "" if folder == path.parent else f": the folder {path.parent} does not exist"
    raise CxlensError(
        f"no workspace at {path}{where}{_did_you_mean(path, folder)}; to start one there: "
        f"`cxlens init -w {path}`, then `cxlens ingest FILE --as TABLE -w {path}`"
    )


def _nearest_folder(path: Path) -> Path:
    folder = path.parent
    while not folder.is_dir() and folder != folder.parent:
        folder = folder.parent
    return folder


def _did_you_mean(path: Path, folder: Path) -> str:
    """Return " (did you mean X?)" for the closest workspace file near ``folder``, or ""."""
    nearby = sorted(folder.glob("*.duckdb")) + sorted(folder.glob("*/*.duckdb"))
    if not nearby:
        return ""
    by_stem: dict[str, Path] = {}
    for candidate in nearby:  # names compared without folders; the same folder first
        by_stem.setdefault(candidate.stem, candidate)
    close = difflib.get_close_matches(path.stem, list(by_stem), n=1, cutoff=0.7)
    if close:
        return f" (did you mean {by_stem[close[0]]}?)"
    shown = ", ".join(str(p) for p in nearby[:5])
    more = f" and {len(nearby) - 5} more" if len(nearby) > 5 else ""
    return f" (workspaces nearby: {shown}{more})"


def _wait_seconds() -> float:
    text = os.environ.get(WAIT_ENV, "").strip()
    if not text:
        return DEFAULT_WAIT_S
    try:
        seconds = float(text)
    except ValueError:
        seconds = -1.0
    if not seconds >= 0:  # also NaN
        raise CxlensError(f"{WAIT_ENV}={text!r} is not a number of seconds (e.g. 60, or 0)")
    return seconds


def _open_waiting(path: Path, wait: float) -> Workspace:
    """Open ``path``; while another process holds it, say so once and retry until ``wait``."""
    from cxlens import Workspace

    started = time.monotonic()
    waiting = None
    try:
        while True:
            try:
                return Workspace(path)
            except WorkspaceBusyError as busy:
                waited = time.monotonic() - started
                if (busy.holder or "").startswith("cxlens serve"):
                    raise CxlensError(
                        f"{path} is held by `{busy.holder}` (PID {busy.pid}), which keeps it "
                        "open: use the server's API or dashboard, or stop the server and retry"
                    ) from None
                if waited >= wait:
                    gave_up = f"; gave up after {waited:.0f} s" if wait else ""
                    raise CxlensError(
                        f"{busy}{gave_up} (set {WAIT_ENV}=SECONDS to wait longer)"
                    ) from None
                if waiting is None:
                    errors.print(
                        f"waiting for {busy.holder} (PID {busy.pid}) to finish with {path} "
                        f"(up to {wait:.0f} s; {WAIT_ENV} sets how long)",
                        highlight=False, markup=False, soft_wrap=True,
                    )  # fmt: skip
                    waiting = errors.status("waiting")
                    waiting.start()
                waiting.update(f"waiting for PID {busy.pid}: {waited:.0f} s of {wait:.0f} s")
                time.sleep(min(0.5, max(wait - waited, 0.01)))
    finally:
        if waiting is not None:
            waiting.stop()


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
