"""The cxlens command line (Typer + Rich).

Data: init, ingest, suggest, quarantine, loads. Metrics and outputs: metrics, norms, report,
demo. Analyses: drivers, insights, loyalty, value, effort, segments, and the ``kpis``
sub-commands (define, list, remove, load, status, alerts).

Errors print as one clear line and exit with status 1; long work shows progress.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import pandas as pd
import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text

from cxlens.errors import CxlensError
from cxlens.ingest.mapping import mapping_from_options, read_mapping
from cxlens.store.workspace import Workspace

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


@app.command()
@friendly
def init(workspace: WorkspaceOpt = DEFAULT_WS) -> None:
    """Create an empty Workspace (a DuckDB file)."""
    if workspace.exists():
        console.print(f"{workspace} already exists; nothing to do")
        return
    workspace.parent.mkdir(parents=True, exist_ok=True)
    Workspace(workspace).close()
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
    workspace: WorkspaceOpt = DEFAULT_WS,
) -> None:
    """Load a file into a canonical table; bad rows go to quarantine."""
    if mapping is not None and (map_ or scale):
        raise CxlensError("give either --mapping or --map/--scale, not both")
    chosen = read_mapping(mapping) if mapping is not None else None
    if chosen is None and (map_ or scale):
        if table is None:
            raise CxlensError("--map and --scale need --as TABLE")
        chosen = mapping_from_options(table, map_, scale)
    with Workspace(workspace) as ws, _row_progress(f"loading {file.name}") as bar:
        task = bar.add_task("load", total=None)
        result = ws.ingest(
            file,
            table,
            chosen,
            encoding=encoding,
            delimiter=delimiter,
            progress=lambda n: bar.advance(task, n),
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
    with Workspace(workspace) as ws:
        rows = ws.quarantine(load)
    if export is not None:
        rows.to_csv(export, index=False)
        console.print(f"wrote {len(rows):,} quarantine records to {export}")
        return
    if rows.empty:
        console.print("quarantine is empty")
        return
    shown = rows.head(limit)[["source_file", "source_row", "column", "value", "reason"]]
    console.print(_table(shown, f"quarantine: {len(rows):,} problems"))


@app.command()
@friendly
def loads(workspace: WorkspaceOpt = DEFAULT_WS) -> None:
    """List the files loaded into the Workspace."""
    with Workspace(workspace) as ws:
        frame = ws.loads()
    cols = ["load_id", "table_name", "source_file", "rows_loaded", "rows_quarantined"]
    console.print(_table(frame[cols], "loads"))


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
    with Workspace(workspace) as ws:
        frame = getattr(ws.metrics, metric)(by=by, every=every, min_n=min_n)
        if sql:
            console.print(ws.metrics.sql(metric, by=by, every=every), highlight=False, markup=False)
    if output is not None:
        frame.to_csv(output, index=False)
        console.print(f"wrote {len(frame):,} rows to {output}")
        return
    console.print(_table(_rounded(frame), f"{metric}"))


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
    workspace: WorkspaceOpt = DEFAULT_WS,
) -> None:
    """Write the self-contained HTML report (works offline)."""
    from cxlens.report import build_report

    with Workspace(workspace) as ws, console.status("building the report"):
        path = build_report(
            ws, output, title=title, every=every, by=by, analyses=analyses, bootstrap=bootstrap
        )
    console.print(f"wrote {path}")


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
    console.print(_table(frame, "industry benchmarks"))


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


# --------------------------------------------------------------------------- analyses

OutputOpt = Annotated[
    Path | None, typer.Option("--output", "-o", help="Write the main table to this CSV.")
]
QUADRANT_ORDER = ("fix first", "maintain", "possible overkill", "lower priority")
STATUS_STYLES = {"on track": "green", "at risk": "yellow", "off track": "bold red"}
SEVERITY_STYLES = {"critical": "bold red", "warning": "yellow", "info": "cyan"}


def _present(frame: pd.DataFrame, columns: list[str]) -> list[str]:
    return [c for c in columns if c in frame.columns]


@app.command("drivers")
@friendly
def drivers_cmd(
    target: Annotated[
        str, typer.Argument(help="nps, csat, ces or another numeric column of responses.")
    ] = "nps",
    driver: Annotated[
        list[str] | None,
        typer.Option("--driver", help="Driver column (repeatable); default: every driver_*."),
    ] = None,
    by: Annotated[
        list[str] | None, typer.Option(help="Grouping column (repeatable): one analysis each.")
    ] = None,
    method: Annotated[
        str, typer.Option(help="relative_weights, shapley or logistic.")
    ] = "relative_weights",
    outcome: Annotated[
        str, typer.Option(help="For --method logistic: promoter or detractor.")
    ] = "promoter",
    bootstrap: Annotated[int, typer.Option(help="Resamples for the intervals (0: none).")] = 1000,
    seed: Annotated[int, typer.Option(help="Seed of the bootstrap.")] = 0,
    output: OutputOpt = None,
    workspace: WorkspaceOpt = DEFAULT_WS,
) -> None:
    """Rank key drivers: each one's share of R² with intervals, and the priority matrix."""
    status = console.status(f"key driver analysis of {target} ({bootstrap:,} resamples)")
    with Workspace(workspace) as ws, status:
        imp = ws.analysis.drivers(
            target, driver, by=by, method=method, outcome=outcome, bootstrap=bootstrap,
            seed=seed,
        )  # fmt: skip
        matrix = None
        if not by:
            matrix = ws.analysis.priority_matrix(
                target, list(imp["driver"]), importance=imp, method=method
            )
    if output is not None:
        _write_csv(imp, output)
        return
    cols = [*(by or []), "driver", "rescaled_weight", "ci_low", "ci_high", "importance_rank",
            "sign", "correlation", "beta", "odds_ratio", "p_value", "n",
            "small_sample"]  # fmt: skip
    title = f"what drives {target} ({method}"
    if not by:
        r2 = float(imp["r_squared"].iloc[0])
        title += f", R² = {r2:.3f}, n = {int(imp['n'].iloc[0]):,} complete answers"
    title += "); rescaled_weight = % of R²"
    console.print(_table(_formatted(imp[_present(imp, cols)]), title))
    if matrix is None:
        console.print("the priority matrix is computed over everybody: run without --by")
        return
    shown = matrix[["driver", "importance", "performance", "quadrant"]]
    console.print(_table(_formatted(shown), f"priority matrix of {target}"))
    for quadrant in QUADRANT_ORDER:
        names = matrix.loc[matrix["quadrant"] == quadrant, "driver"].tolist()
        if names:
            console.print(Text(f"  {quadrant}: {', '.join(names)}"))


@app.command("insights")
@friendly
def insights_cmd(
    metric: Annotated[
        list[str] | None, typer.Option(help="nps, csat, ces or churn (repeatable).")
    ] = None,
    dimension: Annotated[
        list[str] | None,
        typer.Option(
            help="Column to break down by (repeatable); default: segment, "
            "touchpoint, plan, region, channel where present."
        ),
    ] = None,
    recent: Annotated[int, typer.Option(help="Periods in the window compared.")] = 3,
    every: Annotated[str, typer.Option(help="day, week, month, quarter or year.")] = "month",
    top: Annotated[int, typer.Option(help="Findings to show.")] = 10,
    fdr: Annotated[float, typer.Option(help="False discovery rate.")] = 0.05,
    output: OutputOpt = None,
    workspace: WorkspaceOpt = DEFAULT_WS,
) -> None:
    """Scan every metric by every dimension; print what changed, ranked, as sentences."""
    kw: dict[str, Any] = {"every": every, "recent": recent, "top": top, "fdr": fdr}
    if metric:
        kw["metrics"] = tuple(metric)
    if dimension:
        kw["dimensions"] = list(dimension)
    with Workspace(workspace) as ws, console.status("scanning the metrics for changes"):
        found = ws.analysis.insights(**kw)
    if output is not None:
        _write_csv(found, output)
        return
    tests = len(found.attrs.get("tests", []) or [])
    if found.empty:
        console.print(f"no change passed the false discovery rate of {fdr:.0%} ({tests:,} tests)")
        return
    shown = found[["rank", "score", "sentence"]]
    title = f"what changed: top {len(found)} findings ({tests:,} tests, FDR {fdr:.0%})"
    console.print(_table(_formatted(shown, 1), title))


@app.command("loyalty")
@friendly
def loyalty_cmd(
    attitude: Annotated[str, typer.Option(help="nps or csat.")] = "nps",
    behaviour: Annotated[
        str, typer.Option(help="frequency, recency, value or engagement.")
    ] = "frequency",
    output: OutputOpt = None,
    workspace: WorkspaceOpt = DEFAULT_WS,
) -> None:
    """Place customers in the loyalty matrix: attitude against behaviour, four quadrants."""
    with Workspace(workspace) as ws, console.status("placing customers in the loyalty matrix"):
        summary = ws.analysis.loyalty_matrix(attitude, behaviour).summary
    if output is not None:
        _write_csv(summary, output)
        return
    cols = ["quadrant", "dick_basu", "customers", "share", "revenue_per_customer",
            "revenue_share", "retention_rate", "nps", "csat", "small_sample"]  # fmt: skip
    shown = _formatted(summary[_present(summary, cols)], 1, share=3, revenue_share=3)
    console.print(_table(shown, f"loyalty matrix: {attitude} × {behaviour}"))
    _bullets([str(r) for r in summary.attrs.get("rules", [])])


@app.command("value")
@friendly
def value_cmd(
    points: Annotated[float, typer.Option(help="NPS points to value.")] = 5,
    bootstrap: Annotated[int, typer.Option(help="Resamples for the correlations.")] = 1000,
    seed: Annotated[int, typer.Option(help="Seed of the bootstrap.")] = 0,
    output: OutputOpt = None,
    workspace: WorkspaceOpt = DEFAULT_WS,
) -> None:
    """Value NPS: revenue and retention per NPS group, the +points uplift, its assumptions."""
    with (
        Workspace(workspace) as ws,
        console.status(f"valuing NPS ({bootstrap:,} bootstrap resamples)"),
    ):
        money = ws.analysis.monetization(points, n_boot=bootstrap, seed=seed)
    table = money.uplift.table
    if output is not None:
        _write_csv(table, output)
        return
    corr_cols = ["score", "outcome", "n", "spearman", "spearman_ci_low", "spearman_ci_high",
                 "partial_r", "coef", "coef_ci_low", "coef_ci_high", "small_sample"]  # fmt: skip
    corr = money.correlations
    console.print(
        _table(_formatted(corr[_present(corr, corr_cols)], 3), "scores and customer value")
    )
    group_cols = ["nps_group", "customers", "share", "revenue_per_customer", "revenue_ci_low",
                  "revenue_ci_high", "purchases_per_customer", "value_per_customer",
                  "retention_rate", "churn_rate", "small_sample"]  # fmt: skip
    groups = money.by_group
    console.print(
        _table(_formatted(groups[_present(groups, group_cols)], 1, share=3), "value per NPS group")
    )
    up_cols = ["move", "revenue_diff", "retention_diff", "customers_moved", "feasible",
               "projected_revenue", "projected_revenue_ci_low",
               "projected_revenue_ci_high"]  # fmt: skip
    console.print(
        _table(_formatted(table[_present(table, up_cols)], 1), f"value of +{points:g} NPS points")
    )
    console.print("assumptions:")
    _bullets([str(a) for a in money.uplift.assumptions])


@app.command("effort")
@friendly
def effort_cmd(
    min_n: Annotated[int, typer.Option(help="Smaller touchpoints and bands are flagged.")] = 30,
    output: OutputOpt = None,
    workspace: WorkspaceOpt = DEFAULT_WS,
) -> None:
    """Relate effort (CES) to loyalty: correlations, effort bands, the list by touchpoint."""
    from cxlens.analysis import effort

    parts: dict[str, pd.DataFrame] = {}
    problems: list[str] = []
    steps = (
        ("correlations", "CES correlations", effort.effort_correlations),
        ("bands", "effort bands", effort.effort_bands),
        ("touchpoints", "process optimisation list", effort.effort_by_touchpoint),
    )
    with Workspace(workspace) as ws, console.status("relating effort to loyalty"):
        for key, label, func in steps:
            try:
                parts[key] = func(ws, min_n=min_n)
            except CxlensError as exc:
                problems.append(f"{label}: {exc}")
    if not parts:
        raise CxlensError("; ".join(problems))
    touch = parts.get("touchpoints")
    if output is not None:
        if touch is None:
            raise CxlensError(f"nothing to write: {problems[-1]}")
        _write_csv(touch, output)
        return
    if "correlations" in parts:
        console.print(_table(_formatted(parts["correlations"], 3), "CES against loyalty"))
    if "bands" in parts:
        console.print(_table(_formatted(parts["bands"], 1), "rates by effort band (%)"))
    if touch is not None:
        console.print(
            _table(_formatted(touch), "process optimisation list (1 = most loyalty at stake)")
        )
    for problem in problems:
        console.print(Text(f"not shown: {problem}", style="yellow"))


@app.command("segments")
@friendly
def segments_cmd(
    k: Annotated[int | None, typer.Option(help="Clusters; default: chosen by silhouette.")] = None,
    save: Annotated[
        bool, typer.Option(help="Store the labels in customer_segments for --by.")
    ] = True,
    seed: Annotated[int, typer.Option(help="Seed of k-means.")] = 0,
    output: OutputOpt = None,
    workspace: WorkspaceOpt = DEFAULT_WS,
) -> None:
    """Segment customers: RFM segments and behaviour-and-attitude clusters, saved for --by."""
    with Workspace(workspace) as ws, console.status("segmenting customers (k-means)"):
        found = ws.analysis.segments(k, save=save, seed=seed)
    rfm, clusters = found.rfm, found.clusters
    if output is not None:
        labels = rfm[["customer_id", "rfm_segment", "rfm_score"]].merge(
            clusters.labels[["customer_id", "cluster"]], on="customer_id", how="outer"
        )
        _write_csv(labels, output)
    else:
        counts = rfm["rfm_segment"].value_counts().rename_axis("rfm_segment")
        counts = counts.reset_index(name="customers")
        counts["share"] = counts["customers"] / counts["customers"].sum()
        console.print(_table(_formatted(counts, 3), "RFM segments"))
        cols = ["cluster", "description", "customers", "share", "nps", "csat", "ces",
                "revenue_per_customer", "value_per_customer", "retention_rate", "rank",
                "small_sample"]  # fmt: skip
        prof = clusters.profile
        silhouette = clusters.silhouette
        chosen = silhouette.loc[silhouette["chosen"].astype(bool), "silhouette"]
        score = f", silhouette {float(chosen.iloc[0]):.3f}" if len(chosen) else ""
        console.print(
            _table(
                _formatted(prof[_present(prof, cols)], 1, share=3),
                f"clusters (k = {clusters.k}{score})",
            )
        )
        _bullets([str(n) for n in clusters.notes])
    if save:
        console.print(
            "saved to customer_segments: group by them with --by rfm_segment or --by cluster, "
            f"e.g. cxlens metrics nps --by cluster -w {workspace}"
        )
    else:
        console.print("not saved (--no-save)")


# --------------------------------------------------------------------------- KPIs

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
    return _table(_formatted(_with_slice(frame)), f"KPIs ({len(frame)})")


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
    with Workspace(workspace) as ws:
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
    with Workspace(workspace) as ws:
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
    with Workspace(workspace) as ws:
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
    with Workspace(workspace) as ws:
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
    with Workspace(workspace) as ws, console.status("computing the KPIs"):
        frame = ws.kpis.status(as_of=as_of, every=every)
    if output is not None:
        _write_csv(frame, output)
        return
    if frame.empty:
        console.print(
            "no KPI defined; add one with: cxlens kpis define NAME --metric nps --target 30"
        )
        return
    cols = ["name", "metric", "filter", "period", "value", "ci_low", "ci_high", "n", "target",
            "gap", "status", "previous_status", "trend", "deadline", "owner"]  # fmt: skip
    shown = _formatted(_with_slice(frame[cols]))
    shown["status"] = [Text(s, style=STATUS_STYLES.get(s, "")) for s in frame["status"]]
    console.print(_table(shown, "KPI status"))


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
    with Workspace(workspace) as ws, console.status("checking KPIs and insights"):
        frame = ws.kpis.alerts(threshold if insights else None, as_of=as_of, every=every)
    if output is not None:
        _write_csv(frame, output)
        return
    if frame.empty:
        console.print("no alerts")
        return
    for row in frame.itertuples():
        style = SEVERITY_STYLES.get(str(row.severity), "")
        console.print(Text.assemble((f"{row.severity:>8}", style), f"  {row.message}"))


def _rounded(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.copy()
    for col in out.columns:
        if pd.api.types.is_float_dtype(out[col]):
            out[col] = out[col].round(4 if col == "p_value" else 2)
        if pd.api.types.is_datetime64_any_dtype(out[col]):
            out[col] = out[col].dt.strftime("%Y-%m-%d")
    return out


def _table(frame: pd.DataFrame, title: str) -> Table:
    """Render a frame as a Rich table; cells are plain text (no markup), Text keeps its style."""
    table = Table(title=title, show_lines=False)
    for col in frame.columns:
        table.add_column(str(col), overflow="fold")
    for row in frame.itertuples(index=False):
        table.add_row(*(_cell(v) for v in row))
    return table


def _cell(value: Any) -> Text:
    if isinstance(value, Text):
        return value
    if pd.api.types.is_scalar(value) and pd.isna(value):
        return Text("")
    return Text(str(value))


def _formatted(frame: pd.DataFrame, digits: int = 2, **column_digits: int) -> pd.DataFrame:
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


def _write_csv(frame: pd.DataFrame, output: Path) -> None:
    frame.to_csv(output, index=False)
    console.print(f"wrote {len(frame):,} rows to {output}")


def _bullets(lines: list[str]) -> None:
    for line in lines:
        console.print(Text(f"  • {line}"))
