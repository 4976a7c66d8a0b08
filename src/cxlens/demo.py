"""The demo job: sample data -> Workspace -> metrics and analyses -> HTML report, with progress.

This is what `make demo` and `cxlens demo` run; it is the whole data flow end to end on the
embedded DuckDB engine.
"""

from __future__ import annotations

from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text

from cxlens.workspace import Workspace

#: Load order: customers first, so every later table can be read against them.
LOAD_ORDER = ("customers", "identities", "responses", "transactions", "events", "posts",
              "campaigns")  # fmt: skip

#: Attribute columns of the sample beyond the canonical ones, kept on load: the customer's
#: language and the campaign that acquired them (influencer attribution reads it).
EXTRA_COLUMNS: dict[str, tuple[str, ...]] = {
    "customers": ("language", "campaign_id"),
    "campaigns": ("language",),
}


def _keep_extras(table: str) -> dict | None:
    """Return the mapping that keeps ``table``'s extra sample columns (None: none to keep)."""
    extras = EXTRA_COLUMNS.get(table)
    if not extras:
        return None
    return {"table": table, "columns": {col: col for col in extras}}


def run_demo(
    directory: Path,
    *,
    customers: int = 20_000,
    months: int = 24,
    seed: int = 7,
    console: Console | None = None,
    report: bool = True,
) -> Path:
    """Generate the sample data set, load it, print the headline metrics, write the report.

    After the headline metrics it prints the top three insights and NPS drivers. Returns
    the path of the HTML report (``directory / "report.html"``, not written when
    ``report`` is False). Running it twice reuses the files and the Workspace: the sample is
    written byte for byte the same, so every load is recognised as already done and nothing
    is quarantined. Library warnings are logged, not printed
    (:func:`cxlens.cli._quiet.quiet_library_warnings`); the report shows its steps.

    Example:
        >>> run_demo(Path("demo"), customers=500)  # doctest: +SKIP
        PosixPath('demo/report.html')
    """
    from cxlens.cli._quiet import quiet_library_warnings

    console = console or Console()
    with quiet_library_warnings(lambda text: console.print(text, style="yellow", markup=False)):
        return _run(directory, customers=customers, months=months, seed=seed, console=console,
                    report=report)  # fmt: skip


def _run(
    directory: Path, *, customers: int, months: int, seed: int, console: Console, report: bool
) -> Path:
    """Do the work of :func:`run_demo`."""
    from cxlens.cli._progress import step_progress
    from cxlens.report import build_report
    from cxlens.report.build import report_steps
    from cxlens.sample import generate, write_sample

    directory.mkdir(parents=True, exist_ok=True)
    data_dir = directory / "data"
    console.rule("[bold]cxlens demo")
    with console.status(f"generating sample data for {customers:,} customers, {months} months"):
        paths = write_sample(generate(customers=customers, months=months, seed=seed), data_dir)
    console.print(f"sample data written to {data_dir}/ (planted truths in truth.json)")

    ws = Workspace(directory / "cxlens.duckdb")
    with Progress(SpinnerColumn(), TextColumn("[bold]{task.description}"), BarColumn(),
                  TextColumn("{task.completed:,.0f} rows"), TimeElapsedColumn(),
                  console=console, transient=True) as bar:  # fmt: skip
        for table in LOAD_ORDER:
            path = Path(paths[table])
            task = bar.add_task(f"{path.name} -> {table}", total=None)
            result = ws.ingest(path, table=table, mapping=_keep_extras(table),
                               progress=lambda n, t=task: bar.advance(t, n))  # fmt: skip
            bar.update(task, total=bar.tasks[task].completed or 1,
                       description=f"{path.name} -> {table}: {result.status}")  # fmt: skip
            bar.console.print("  " + result.summary())
        export = Path(paths["survey_export"])  # a tool export: other headers, NPS asked 1-10
        task = bar.add_task(f"{export.name} -> responses (with mapping)", total=None)
        result = ws.ingest(export, mapping=paths["survey_export_mapping"],
                           progress=lambda n: bar.advance(task, n))  # fmt: skip
        bar.update(task, total=bar.tasks[task].completed or 1)
        bar.console.print("  " + result.summary())
    _demo_surveys(ws, console, seed)
    console.print(headline_table(ws))
    with console.status("scanning for changes and drivers"):
        highlights = analysis_highlights(ws)
    for line in highlights:
        console.print(line, highlight=False)
    page = directory / "report.html"
    if report:
        with step_progress(console, "HTML report", report_steps()) as step:
            logo = Path(__file__).with_name("report") / "logo.svg"  # shipped as package data
            build_report(ws, page, client="Northwind Connect (sample)", firm="cxlens demo",
                         logo=logo if logo.is_file() else None, progress=step)  # fmt: skip
        console.print(f"\nreport: [bold]{page}[/] (open it in a browser; it works offline)")
    console.print(
        f"workspace: {directory / 'cxlens.duckdb'}  try: cxlens metrics nps --by "
        f"segment --every quarter -w {directory / 'cxlens.duckdb'}; cxlens drivers, "
        "insights, value, loyalty, effort, segments, kpis, clv, churn, offers, journey, "
        "identity (same -w)"
    )
    console.print(
        f"dashboard and API: cxlens keys create --workspaces {directory} --workspace cxlens "
        f"--role admin   (prints a key once), then cxlens serve --workspaces {directory} "
        "and open http://127.0.0.1:8000/ with that key"
    )
    ws.close()
    return page


def _demo_surveys(ws: Workspace, console: Console, seed: int) -> None:
    """Define two surveys on the sample's events and simulate their answers (docs/collect.md)."""
    from cxlens.collect.simulate import demo_collection

    with console.status("surveys: NPS after installation, CES after support; simulated answers"):
        done = demo_collection(ws, seed=seed)
    console.print(f"surveys: {done['decided']:,} invitation decisions, {done['answered']:,} "
                  "simulated answers (see: cxlens surveys stats)")  # fmt: skip


def headline_table(ws: Workspace) -> Table:
    """Return a Rich table of the headline metrics with interval, n and benchmark verdict."""
    table = Table(title="headline metrics (whole period)")
    for col in ("metric", "value", "95% interval", "n", "benchmark"):
        table.add_column(col)
    rows = []
    for metric in ("nps", "csat", "ces"):
        if ws.has_table("responses"):
            rows.append((metric, getattr(ws.metrics, metric)().iloc[0]))
    if ws.has_table("customers"):
        churn = ws.metrics.churn(every="month")
        rows.append(("churn (last month)", churn.iloc[-1]))
    if ws.has_table("posts"):
        rows.append(("engagement", ws.metrics.engagement().iloc[0]))
    for name, row in rows:
        table.add_row(
            name,
            f"{row['value']:.1f}",
            f"{row['ci_low']:.1f} – {row['ci_high']:.1f}",
            f"{int(row['n']):,}",
            benchmark_line(name.split()[0], float(row["value"])),
        )
    return table


def analysis_highlights(ws: Workspace, top: int = 3) -> list[Text]:
    """Return a few lines: the top insight sentences and the top NPS drivers.

    An analysis the workspace cannot support (no driver columns, too little data) is left
    out; the report explains why.

    Example:
        >>> [line.plain for line in analysis_highlights(ws)][0]  # doctest: +SKIP
        'what changed (top 3):'
    """
    from cxlens.errors import CxlensError

    lines: list[Text] = []
    try:
        found = ws.analysis.insights(top=top)
    except CxlensError:
        found = None
    if found is not None and not found.empty:
        lines.append(Text(f"what changed (top {min(top, len(found))}):", style="bold"))
        lines += [Text(f"  {i}. {s}") for i, s in enumerate(found["sentence"].head(top), 1)]
    try:
        drivers = ws.analysis.drivers("nps", bootstrap=0)
    except CxlensError:
        drivers = None
    if drivers is not None and not drivers.empty:
        shown = ", ".join(
            f"{str(r.driver).removeprefix('driver_')} {r.rescaled_weight:.1f}%"
            for r in drivers.head(top).itertuples()
        )
        lines.append(Text.assemble(("what drives NPS (share of R²): ", "bold"), shown))
    return lines


def benchmark_line(metric: str, value: float) -> str:
    """Return the verdicts against the shipped benchmarks of ``metric``, or '' if none.

    Example:
        >>> benchmark_line("nps", 30)
        'above median 16 (all); above average 5–10 (all)'
    """
    from cxlens.errors import ArgumentError
    from cxlens.metrics.benchmarks import compare

    try:
        rows = compare(metric, value)
    except ArgumentError:  # no benchmark for this metric
        return ""
    parts = []
    for row in rows.itertuples():
        low, high = row.benchmark_low, row.benchmark_high
        figure = f"{low:g}" if low == high else f"{low:g}–{high:g}"
        unit = "" if row.unit in ("points", "%") else f" {row.unit}"
        parts.append(f"{row.verdict} {row.statistic} {figure}{unit} ({row.industry})")
    return "; ".join(parts)
