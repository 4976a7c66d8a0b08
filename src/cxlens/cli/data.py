"""Data and output commands: init, ingest, suggest, quarantine, loads, metrics, report, demo."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from cxlens import safe_export
from cxlens.cli._common import (
    DEFAULT_WS,
    METRICS,
    WorkspaceOpt,
    app,
    console,
    friendly,
    open_workspace,
    present,
    rich_table,
    rounded,
)
from cxlens.errors import CxlensError
from cxlens.ingest.mapping import mapping_from_options, read_mapping


@app.command()
@friendly
def init(workspace: WorkspaceOpt = DEFAULT_WS) -> None:
    """Create an empty Workspace (a DuckDB file)."""
    if workspace.exists():
        console.print(f"{workspace} already exists; nothing to do")
        return
    workspace.parent.mkdir(parents=True, exist_ok=True)
    open_workspace(workspace, create=True).close()
    console.print(f"created workspace {workspace}")


def _row_progress(label: str) -> Progress:
    return Progress(
        SpinnerColumn(), TextColumn(f"[bold]{label}[/]"), BarColumn(),
        TextColumn("{task.completed:,.0f} rows"), TimeElapsedColumn(),
        console=console, transient=True,
    )  # fmt: skip


@app.command()
@friendly
def ingest(
    file: Annotated[Path, typer.Argument(help="CSV, Parquet, JSON Lines or XLSX file.")],
    table: Annotated[str | None, typer.Option("--as", help="Canonical table to load into.")] = None,
    mapping: Annotated[Path | None, typer.Option(help="Mapping file (YAML or TOML).")] = None,
    map_: Annotated[list[str] | None, typer.Option("--map", help="'Source header=column'.")] = None,
    scale: Annotated[
        list[str] | None, typer.Option(help="Declared scale, e.g. 'nps=1-10'.")
    ] = None,
    encoding: Annotated[str | None, typer.Option(help="Text encoding, e.g. cp1251.")] = None,
    delimiter: Annotated[str | None, typer.Option(help="CSV delimiter.")] = None,
    preset: Annotated[
        str | None,
        typer.Option(
            help="Read a tool's export: qualtrics, qualtrics_legacy, qualtrics_legacy_v, "
            "surveymonkey, typeform, google_forms, microsoft_forms, ga4, hubspot, salesforce, "
            "shopify, zendesk, zendesk_csat, zendesk_explore, zendesk_explore_csat, or auto "
            "to recognise it "
            "('NAME:Zone/City' sets the tool's time zone)."
        ),
    ] = None,
    workspace: WorkspaceOpt = DEFAULT_WS,
) -> None:
    """Load a file into a canonical table; bad rows go to quarantine."""
    if mapping is not None and (map_ or scale):
        raise CxlensError("give either --mapping or --map/--scale, not both")
    chosen = read_mapping(mapping) if mapping is not None else None
    if chosen is None and (map_ or scale):
        if preset is not None and table is None:
            from cxlens.ingest.presets import resolve

            table = resolve(preset, file, encoding=encoding).table
        if table is None:
            raise CxlensError("--map and --scale need --as TABLE")
        chosen = mapping_from_options(table, map_, scale)
    with open_workspace(workspace, create=True) as ws, _row_progress(f"loading {file.name}") as bar:
        task = bar.add_task("load", total=None)
        result = ws.ingest(
            file,
            table,
            chosen,
            encoding=encoding,
            delimiter=delimiter,
            progress=lambda n: bar.advance(task, n),
            preset=preset,
        )
    console.print(result.summary())
    if result.rows_quarantined:
        console.print("see the reasons with [bold]cxlens quarantine[/]")


@app.command()
@friendly
def suggest(
    file: Annotated[Path, typer.Argument(help="File whose headers to map.")],
    table: Annotated[str, typer.Option("--as", help="Canonical table.")],
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Write here.")] = None,
) -> None:
    """Propose a mapping file from a file's headers and values, to check and edit."""
    from cxlens.ingest.suggest import suggest_mapping, suggestion_yaml

    text = suggestion_yaml(suggest_mapping(file, table))
    if output is None:
        console.print(text, highlight=False, markup=False)
    else:
        output.write_text(text, encoding="utf-8")
        console.print(f"wrote {output}; check it, then: cxlens ingest {file} --mapping {output}")


@app.command()
@friendly
def quarantine(
    load: Annotated[str | None, typer.Option(help="Only this load id.")] = None,
    export: Annotated[Path | None, typer.Option(help="Write all rejected rows to CSV.")] = None,
    limit: Annotated[int, typer.Option(help="Rows to show.")] = 20,
    workspace: WorkspaceOpt = DEFAULT_WS,
) -> None:
    """Show (or export) rejected rows with the reason for each."""
    with open_workspace(workspace) as ws:
        rows = ws.quarantine(load)
    if export is not None:
        safe_export.write_csv(rows, export)
        console.print(f"wrote {len(rows):,} quarantine records to {export}")
        return
    if rows.empty:
        console.print("quarantine is empty")
        return
    shown = rows.head(limit)[["source_file", "source_row", "column", "value", "reason"]]
    console.print(rich_table(shown, f"quarantine: {len(rows):,} problems"))


@app.command()
@friendly
def loads(workspace: WorkspaceOpt = DEFAULT_WS) -> None:
    """List the files loaded into the Workspace, and any load a crash cut off (rolled back)."""
    with open_workspace(workspace) as ws:
        frame = ws.loads(rolled_back=True)
    cols = ["load_id", "table_name", "source_file", "rows_loaded", "rows_quarantined",
            "encoding", "encoding_confidence", "status", "note"]  # fmt: skip
    console.print(rich_table(frame[present(frame, cols)], "loads"))


@app.command()
@friendly
def metrics(
    metric: Annotated[str, typer.Argument(help="nps, csat, ces, churn or engagement.")],
    by: Annotated[list[str] | None, typer.Option(help="Grouping column (repeatable).")] = None,
    every: Annotated[str | None, typer.Option(help="day, week, month, quarter or year.")] = None,
    min_n: Annotated[int, typer.Option(help="Smaller groups are flagged.")] = 30,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="CSV to write.")] = None,
    sql: Annotated[bool, typer.Option(help="Print the SQL the engine ran.")] = False,
    workspace: WorkspaceOpt = DEFAULT_WS,
) -> None:
    """Compute a core metric with intervals, n and period-over-period significance."""
    if metric not in METRICS:
        raise CxlensError(f"unknown metric '{metric}'; choose one of {', '.join(METRICS)}")
    if metric == "churn" and every is None:
        every = "month"
    with open_workspace(workspace) as ws:
        frame = getattr(ws.metrics, metric)(by=by, every=every, min_n=min_n)
        if sql:
            console.print(ws.metrics.sql(metric, by=by, every=every), highlight=False, markup=False)
    if output is not None:
        safe_export.write_csv(frame, output)
        console.print(f"wrote {len(frame):,} rows to {output}")
        return
    console.print(rich_table(rounded(frame), f"{metric}"))


@app.command()
@friendly
def report(
    output: Annotated[Path, typer.Option("--output", "-o", help="HTML file.")] = Path(
        "cxlens-report.html"
    ),
    by: Annotated[str, typer.Option(help="Segment column to compare.")] = "segment",
    every: Annotated[str, typer.Option(help="Trend grain.")] = "month",
    title: Annotated[str, typer.Option(help="Report title.")] = "Customer experience report",
    analyses: Annotated[
        bool, typer.Option(help="Add the analysis sections (drivers, insights, value, ...).")
    ] = True,
    bootstrap: Annotated[
        int, typer.Option(help="Resamples for driver intervals and value correlations.")
    ] = 200,
    client: Annotated[str | None, typer.Option(help="Client name (cover, header).")] = None,
    firm: Annotated[str | None, typer.Option(help="Your firm's name (cover, header).")] = None,
    logo: Annotated[
        Path | None, typer.Option(help="Your firm's logo: PNG, JPEG or SVG, up to 512 KB.")
    ] = None,
    prepared_for: Annotated[str | None, typer.Option(help="Who it is for (cover).")] = None,
    prepared_by: Annotated[str | None, typer.Option(help="Who prepared it (cover).")] = None,
    summary: Annotated[bool, typer.Option(help="Open with the executive summary.")] = True,
    pdf: Annotated[
        Path | None, typer.Option(help="Also print it to this PDF (needs chromium).")
    ] = None,
    label_map: Annotated[
        Path | None,
        typer.Option(
            help="CSV (language,source,target) translating theme labels into English; saved "
            "in the workspace for later reports."
        ),
    ] = None,
    workspace: WorkspaceOpt = DEFAULT_WS,
) -> None:
    """Write the self-contained HTML report (works offline), and a PDF of it with --pdf."""
    from cxlens.cli._progress import step_progress
    from cxlens.report import build_report
    from cxlens.report.build import report_steps
    from cxlens.report.pdf import export_pdf, find_chromium

    if pdf is not None:
        find_chromium()  # fail before the analyses when the PDF cannot be printed
    steps = report_steps(analyses=analyses, summary=summary)
    with open_workspace(workspace) as ws, step_progress(console, "report", steps) as step:
        if label_map is not None:
            from cxlens.text.translate import save_label_map

            save_label_map(ws, label_map)  # read and checked before the slow analyses
        path = build_report(
            ws, output, title=title, every=every, by=by, analyses=analyses, bootstrap=bootstrap,
            client=client, firm=firm, logo=logo, prepared_for=prepared_for,
            prepared_by=prepared_by, summary=summary, progress=step,
        )  # fmt: skip
    console.print(f"wrote {path}")
    if pdf is not None:
        with step_progress(console, "PDF", ["printing with Chromium"]) as step:
            step("printing with Chromium")
            printed = export_pdf(path, pdf)
        console.print(f"wrote {printed}")


@app.command()
@friendly
def norms(
    metric: Annotated[str | None, typer.Argument(help="Only this metric.")] = None,
) -> None:
    """Show the shipped industry benchmarks with their sources."""
    from cxlens.metrics.benchmarks import benchmarks

    frame = benchmarks()
    if metric is not None:
        frame = frame[frame["metric"] == metric]
    console.print(rich_table(frame, "industry benchmarks"))


@app.command()
@friendly
def demo(
    directory: Annotated[Path, typer.Option("--dir", help="Where the demo goes.")] = Path("demo"),
    customers: Annotated[int, typer.Option(help="Customers in the sample.")] = 20_000,
    months: Annotated[int, typer.Option(help="Months of history.")] = 24,
    seed: Annotated[int, typer.Option(help="Random seed.")] = 7,
) -> None:
    """Generate sample data, ingest it, compute the core metrics and write the report."""
    from cxlens.demo import run_demo

    run_demo(directory, customers=customers, months=months, seed=seed, console=console)
