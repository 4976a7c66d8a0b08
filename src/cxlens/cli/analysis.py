"""Analysis commands: drivers, insights, loyalty, value, effort, segments."""

from __future__ import annotations

from typing import Annotated, Any

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
    present,
    rich_table,
    write_csv,
)
from cxlens.errors import CxlensError

QUADRANT_ORDER = ("fix first", "maintain", "possible overkill", "lower priority")


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
    with open_workspace(workspace) as ws, status:
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
        write_csv(imp, output)
        return
    cols = [*(by or []), "driver", "rescaled_weight", "ci_low", "ci_high", "importance_rank",
            "sign", "correlation", "beta", "odds_ratio", "p_value", "n",
            "small_sample"]  # fmt: skip
    title = f"what drives {target} ({method}"
    if not by:
        r2 = float(imp["r_squared"].iloc[0])
        title += f", R² = {r2:.3f}, n = {int(imp['n'].iloc[0]):,} complete answers"
    title += "); rescaled_weight = % of R²"
    console.print(rich_table(formatted(imp[present(imp, cols)]), title))
    if matrix is None:
        console.print("the priority matrix is computed over everybody: run without --by")
        return
    shown = matrix[["driver", "importance", "performance", "quadrant"]]
    console.print(rich_table(formatted(shown), f"priority matrix of {target}"))
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
    with open_workspace(workspace) as ws, console.status("scanning the metrics for changes"):
        scan = ws.analysis.insight_scan(**kw)
    found, tests = scan.findings, len(scan.tests)
    if output is not None:
        write_csv(found, output)
        return
    if found.empty:
        console.print(f"no change passed the false discovery rate of {fdr:.0%} ({tests:,} tests)")
        return
    shown = found[["rank", "score", "sentence"]]
    title = f"what changed: top {len(found)} findings ({tests:,} tests, FDR {fdr:.0%})"
    console.print(rich_table(formatted(shown, 1), title))


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
    with open_workspace(workspace) as ws, console.status("placing customers in the loyalty matrix"):
        matrix = ws.analysis.loyalty_matrix(attitude, behaviour)
    summary = matrix.summary
    if output is not None:
        write_csv(summary, output)
        return
    cols = ["quadrant", "dick_basu", "customers", "share", "revenue_per_customer",
            "revenue_share", "retention_rate", "nps", "csat", "small_sample"]  # fmt: skip
    shown = formatted(summary[present(summary, cols)], 1, share=3, revenue_share=3)
    console.print(rich_table(shown, f"loyalty matrix: {attitude} × {behaviour}"))
    bullets(list(matrix.rules))


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
        open_workspace(workspace) as ws,
        console.status(f"valuing NPS ({bootstrap:,} bootstrap resamples)"),
    ):
        money = ws.analysis.monetization(points, n_boot=bootstrap, seed=seed)
    table = money.uplift.table
    if output is not None:
        write_csv(table, output)
        return
    corr_cols = ["score", "outcome", "n", "spearman", "spearman_ci_low", "spearman_ci_high",
                 "partial_r", "coef", "coef_ci_low", "coef_ci_high", "small_sample"]  # fmt: skip
    corr = money.correlations
    console.print(
        rich_table(formatted(corr[present(corr, corr_cols)], 3), "scores and customer value")
    )
    group_cols = ["nps_group", "customers", "share", "revenue_per_customer", "revenue_ci_low",
                  "revenue_ci_high", "purchases_per_customer", "value_per_customer",
                  "retention_rate", "churn_rate", "small_sample"]  # fmt: skip
    groups = money.by_group
    console.print(
        rich_table(
            formatted(groups[present(groups, group_cols)], 1, share=3), "value per NPS group"
        )
    )
    up_cols = ["move", "revenue_diff", "retention_diff", "customers_moved", "feasible",
               "projected_revenue", "projected_revenue_ci_low",
               "projected_revenue_ci_high"]  # fmt: skip
    console.print(
        rich_table(formatted(table[present(table, up_cols)], 1), f"value of +{points:g} NPS points")
    )
    console.print("assumptions:")
    bullets([str(a) for a in money.uplift.assumptions])


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
    with open_workspace(workspace) as ws, console.status("relating effort to loyalty"):
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
        write_csv(touch, output)
        return
    if "correlations" in parts:
        console.print(rich_table(formatted(parts["correlations"], 3), "CES against loyalty"))
    if "bands" in parts:
        console.print(rich_table(formatted(parts["bands"], 1), "rates by effort band (%)"))
    if touch is not None:
        console.print(
            rich_table(formatted(touch), "process optimisation list (1 = most loyalty at stake)")
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
    with open_workspace(workspace) as ws, console.status("segmenting customers (k-means)"):
        found = ws.analysis.segments(k, save=save, seed=seed)
    rfm, clusters = found.rfm, found.clusters
    if output is not None:
        labels = rfm[["customer_id", "rfm_segment", "rfm_score"]].merge(
            clusters.labels[["customer_id", "cluster"]], on="customer_id", how="outer"
        )
        write_csv(labels, output)
    else:
        counts = rfm["rfm_segment"].value_counts().rename_axis("rfm_segment")
        counts = counts.reset_index(name="customers")
        counts["share"] = counts["customers"] / counts["customers"].sum()
        console.print(rich_table(formatted(counts, 3), "RFM segments"))
        cols = ["cluster", "description", "customers", "share", "nps", "csat", "ces",
                "revenue_per_customer", "value_per_customer", "retention_rate", "rank",
                "small_sample"]  # fmt: skip
        prof = clusters.profile
        silhouette = clusters.silhouette
        chosen = silhouette.loc[silhouette["chosen"].astype(bool), "silhouette"]
        score = f", silhouette {float(chosen.iloc[0]):.3f}" if len(chosen) else ""
        console.print(
            rich_table(
                formatted(prof[present(prof, cols)], 1, share=3),
                f"clusters (k = {clusters.k}{score})",
            )
        )
        bullets([str(n) for n in clusters.notes])
    if save:
        console.print(
            "saved to customer_segments: group by them with --by rfm_segment or --by cluster, "
            f"e.g. cxlens metrics nps --by cluster -w {workspace}"
        )
    else:
        console.print("not saved (--no-save)")
