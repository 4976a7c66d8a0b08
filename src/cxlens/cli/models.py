"""Model commands: clv, churn, retention, offers, survival (``ws.models`` on the command line)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import pandas as pd
import typer
from rich.text import Text

from cxlens.cli._common import (
    DEFAULT_WS,
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
from cxlens.errors import ArgumentError, CxlensError, NotEnoughDataError
from cxlens.models.checks import check_note
from cxlens.money import format_money
from cxlens.report.models_parts import (
    churn_definition,
    clv_params_table,
    risk_band_table,
    top_rules,
)

if TYPE_CHECKING:
    from cxlens.models.churn_analysis import ChurnResult
    from cxlens.models.clv import ClvResult

BAND_STYLES = {"high": "bold red", "medium": "yellow", "low": "green"}
STATUS_STYLES = {"below 3x": "bold red", "3-5x": "green"}


# --------------------------------------------------------------------------- tables


def churn_metrics_table(evaluation: dict[str, Any]) -> pd.DataFrame:
    """Return the held-out churn metrics next to what a no-skill forecast scores.

    Rows: ROC-AUC (against 0.5, a random order), PR-AUC (against the held-out base rate),
    Brier score (against forecasting the training base rate for everybody; lower is
    better), Brier skill and the top-decile lift (against 1). Values are text with 3 (4 for
    the Brier score) decimals.

    Example:
        >>> churn_metrics_table({"roc_auc": 0.66, "pr_auc": 0.07, "base_rate": 0.037,
        ...     "brier": 0.0352, "brier_baseline": 0.0357, "brier_skill": 0.014,
        ...     "lift_top_decile": 2.9})["model"].tolist()
        ['0.660', '0.070', '0.0352', '0.014', '2.900']
    """
    e = evaluation
    rows = [
        ("ROC-AUC", f"{e['roc_auc']:.3f}", "0.500", "random order"),
        ("PR-AUC", f"{e['pr_auc']:.3f}", f"{e['base_rate']:.3f}", "the held-out base rate"),
        ("Brier score (lower is better)", f"{e['brier']:.4f}", f"{e['brier_baseline']:.4f}",
         "everyone at the training base rate"),
        ("Brier skill", f"{e['brier_skill']:.3f}", "0.000", "1 - Brier / its baseline"),
        ("top-decile lift", f"{e['lift_top_decile']:.3f}", "1.000", "churn in the riskiest 10%"),
    ]  # fmt: skip
    return pd.DataFrame(rows, columns=["metric", "model", "no-skill baseline", "baseline is"])


# --------------------------------------------------------------------------- clv

HorizonMonthsOpt = Annotated[int, typer.Option("--horizon", help="CLV horizon in months.")]
HorizonDaysOpt = Annotated[
    int, typer.Option("--horizon", help="Churn window in days: churned within it.")
]
DefinitionOpt = Annotated[
    str,
    typer.Option(
        "--definition",
        help="auto (contractual when customers.churned_at has dates), contractual or "
        "non_contractual.",
    ),
]
InactiveOpt = Annotated[
    int, typer.Option(help="non_contractual: days without a transaction that count as lost.")
]


CategoryOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--category", help="Fit CLV on transactions of this category only (repeat for several)."
    ),
]
CurrencyOpt = Annotated[
    str | None,
    typer.Option(
        "--currency",
        help="ISO code of the amounts (e.g. USD) when transactions have no currency column; "
        "it must agree with the column when there is one.",
    ),
]
ExcludeCategoryOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--exclude-category",
        help="Leave out transactions of this category from CLV (repeat for several), e.g. "
        "subscription: regular payments are not the random purchases BG/NBD models.",
    ),
]


@app.command("clv")
@friendly
def clv_cmd(
    horizon: HorizonMonthsOpt = 12,
    discount_rate: Annotated[float, typer.Option(help="Annual discount rate (0.10 = 10%).")] = 0.10,
    holdout_months: Annotated[
        int | None,
        typer.Option(help="Months held out for the check (default: 6 with 18+ months; 0: none)."),
    ] = None,
    save: Annotated[
        bool, typer.Option(help="Store the tiers as clv_tier in customer_segments for --by.")
    ] = False,
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="Write the per-customer CLV to this CSV."),
    ] = None,
    category: CategoryOpt = None,
    exclude_category: ExcludeCategoryOpt = None,
    currency: CurrencyOpt = None,
    workspace: WorkspaceOpt = DEFAULT_WS,
) -> None:
    """Estimate CLV: BG/NBD + Gamma-Gamma fits, holdout check, tiers, LTV:CAC by group."""
    from cxlens.models.clv import ltv_cac_norm

    with open_workspace(workspace) as ws, console.status(f"fitting CLV over {horizon} months"):
        result = ws.models.clv(
            horizon,
            save=save,
            discount_rate=discount_rate,
            holdout_months=holdout_months,
            categories=category or None,
            exclude_categories=exclude_category or (),
            currency=currency,
        )
    failed = result.failed_checks
    if failed:  # a fit that fails its own checks is a note, not results
        if output is not None:
            raise NotEnoughDataError(f"{check_note(failed)} Nothing was written to {output}.")
        console.print(Text(check_note(failed), style="yellow"))
        bullets([str(note) for note in result.notes])
    elif output is not None:
        write_csv(result.customers, output)
    else:
        _print_clv(result, ltv_cac_norm())
    if save:
        console.print(
            "saved clv_tier to customer_segments: group by it with --by clv_tier, e.g. "
            f"cxlens metrics nps --by clv_tier -w {workspace}"
        )


def _print_clv(result: ClvResult, norm: tuple[float, float, str]) -> None:
    n, cur = len(result.customers), result.currency
    unit = f" (money in {cur})" if cur else " (amounts carry no currency)"
    console.print(
        Text(
            f"CLV of {n:,} customers over {result.horizon_months} months from "
            f"{result.as_of.date()}, discounted at {result.discount_rate:.0%} a year "
            f"(revenue, not margin); total {format_money(result.customers['clv'].sum(), cur)}, "
            f"mean {format_money(result.customers['clv'].mean(), cur, 2)}"
        )
    )
    params = clv_params_table(result)
    params["value"] = [f"{v:.6g}" for v in params["value"]]
    console.print(rich_table(params, "fitted parameters"))
    holdout = result.holdout
    if len(holdout):
        start, end = holdout["calibration_end"].iloc[0], holdout["observation_end"].iloc[0]
        title = "holdout check: mean purchases per customer, predicted vs actual"
        title += f" ({pd.Timestamp(start).date()} to {pd.Timestamp(end).date()})"
        shown = holdout.drop(columns=["calibration_end", "observation_end"])
        console.print(rich_table(formatted(shown, 3), title))
    tiers = result.tiers
    console.print(rich_table(formatted(tiers, 2, share=2, clv_share=3), "CLV tiers" + unit))
    low, high, source = norm
    for table, by in ((result.by_segment, "segment"), (result.by_channel, "acquisition_channel")):
        if table.empty:
            continue
        shown = formatted(table.drop(columns="clv_total"), 2)
        shown["status"] = [Text(str(s), style=STATUS_STYLES.get(str(s), "yellow"))
                           if pd.notna(s) else Text("") for s in table["status"]]  # fmt: skip
        console.print(rich_table(shown, f"CLV and LTV:CAC by {by} (norm {low:g}-{high:g}x){unit}"))
    if result.ltv_cac_note:
        console.print(Text(result.ltv_cac_note, style="yellow"))
    elif not (result.by_segment.empty and result.by_channel.empty):
        console.print(Text(f"LTV:CAC norm: at least {low:g}x ({source}); above {high:g}x "
                           "may mean under-investing in acquisition."))  # fmt: skip
    bullets([str(note) for note in result.notes])


# --------------------------------------------------------------------------- churn


@app.command("churn")
@friendly
def churn_cmd(
    horizon: HorizonDaysOpt = 90,
    definition: DefinitionOpt = "auto",
    inactive_days: InactiveOpt = 90,
    cutoff: Annotated[
        str | None, typer.Option(help="Evaluation cut-off (default: data end minus horizon).")
    ] = None,
    snapshots: Annotated[int, typer.Option(help="Most training snapshots.")] = 3,
    features: Annotated[int, typer.Option(help="Top features to list.")] = 10,
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="Write every score with its reasons to this CSV."),
    ] = None,
    workspace: WorkspaceOpt = DEFAULT_WS,
) -> None:
    """Churn risk: the definition, held-out ROC-AUC/PR-AUC/Brier, top features, risk bands."""
    chosen = churn_definition(definition, inactive_days)
    with open_workspace(workspace) as ws, console.status("training the churn model (time split)"):
        result = ws.models.churn(
            horizon, definition=chosen, cutoff=cutoff, train_snapshots=snapshots
        )
    failed = result.failed_checks
    if failed:
        if output is not None:
            raise NotEnoughDataError(f"{check_note(failed)} Nothing was written to {output}.")
        console.print(Text(check_note(failed), style="yellow"))
        console.print(Text(result.summary()))
        return
    if output is not None:
        write_csv(result.scores, output)
        return
    _print_churn(result, features)


def _print_churn(result: ChurnResult, features: int) -> None:
    e = result.evaluation
    console.print(Text(result.definition.describe()))
    console.print(Text(f"Model {result.split.describe()}."))
    title = (
        f"held out at {e['evaluation_cutoff']}: {e['n_test']:,} customers, "
        f"{e['churners_test']:,} churned within {e['horizon_days']} days"
    )
    console.print(rich_table(churn_metrics_table(e), title))
    imp = result.importance.head(features)[["label", "share", "mean_abs_contribution"]]
    console.print(
        rich_table(formatted(imp, 3), "top features (share of mean |TreeSHAP contribution|)")
    )
    bands = risk_band_table(result.scores, float(e["train_base_rate"]))
    shown = formatted(bands, 3)
    shown["risk_band"] = [Text(b, style=BAND_STYLES[b]) for b in bands["risk_band"]]
    console.print(
        rich_table(shown, f"risk bands of the {len(result.scores):,} customers active now")
    )
    console.print(
        "per-customer scores and reasons: --output scores.csv; ranked by value at risk: "
        "cxlens retention"
    )


# --------------------------------------------------------------------------- retention


@app.command("retention")
@friendly
def retention_cmd(
    top: Annotated[int, typer.Option(help="Customers to list.")] = 20,
    category: CategoryOpt = None,
    exclude_category: ExcludeCategoryOpt = None,
    horizon_days: Annotated[int, typer.Option(help="Churn window in days.")] = 90,
    horizon_months: Annotated[int, typer.Option(help="CLV horizon in months.")] = 12,
    definition: DefinitionOpt = "auto",
    inactive_days: InactiveOpt = 90,
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="Write the whole ranked list to this CSV."),
    ] = None,
    currency: CurrencyOpt = None,
    workspace: WorkspaceOpt = DEFAULT_WS,
) -> None:
    """Retention targets: customers ranked by value at risk (CLV × churn probability)."""
    if top < 1:
        raise ArgumentError(f"--top must be at least 1; got {top}")
    chosen = churn_definition(definition, inactive_days)
    status = console.status("fitting the churn and CLV models")
    with open_workspace(workspace) as ws, status:
        churn = ws.models.churn(horizon_days, definition=chosen)
        clv = ws.models.clv(
            horizon_months,
            categories=category or None,
            exclude_categories=exclude_category or (),
            currency=currency,
        )
        failed = churn.failed_checks + clv.failed_checks
        if failed:
            raise NotEnoughDataError(check_note(failed))
        targets = ws.models.retention_targets(churn=churn, clv=clv)
        risk = ws.models.at_risk(churn=churn, clv=clv)
    for note in clv.notes:
        console.print(Text(f"CLV note: {note}", style="yellow"))
    if output is not None:
        write_csv(targets, output)
        return
    head = targets.head(top)
    shown = formatted(head, 2, churn_probability=3, cumulative_share=3)
    title = (
        f"retention targets: top {len(head):,} of {len(targets):,} by value at risk "
        f"(CLV over {horizon_months} months × churn probability within {horizon_days} days; "
        "customers at or above the training base rate: medium or high risk)"
        + (f"; money in {risk.currency}" if risk.currency else "")
    )
    console.print(rich_table(shown, title))
    covered = float(head["cumulative_share"].iloc[-1]) if len(head) else 0.0
    console.print(
        Text(
            f"value at risk {format_money(risk.value_at_risk, risk.currency, 2)} across the "
            f"{risk.valued:,} active "
            f"customers with a purchase; these {len(head):,} customers hold {covered:.1%} of "
            f"it. Of the {risk.active:,} customers active now, {risk.high_risk:,} are at high "
            "risk"
        )
    )
    missing = risk.active - risk.valued
    if missing:
        console.print(Text(f"{missing:,} scored customers have no CLV (no purchase) and are "
                           "not ranked"))  # fmt: skip


# --------------------------------------------------------------------------- offers


@app.command("offers")
@friendly
def offers_cmd(
    k: Annotated[int, typer.Option(help="Offers per customer (evaluated at 1..k).")] = 3,
    rules: Annotated[int, typer.Option(help="Rules to list.")] = 10,
    item: Annotated[str, typer.Option(help="product or category.")] = "product",
    basket: Annotated[
        str, typer.Option(help="customer, day, or a transactions column with a basket id.")
    ] = "customer",
    not_offered: Annotated[
        list[str] | None,
        typer.Option("--not-offered", help="Category used as evidence, never offered (repeat)."),
    ] = None,
    rank_by: Annotated[str, typer.Option(help="expected_value or probability.")] = (
        "expected_value"
    ),
    horizon: Annotated[float, typer.Option(help="Evaluation holdout in days.")] = 90,
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="Write the offers (k per customer) to this CSV."),
    ] = None,
    workspace: WorkspaceOpt = DEFAULT_WS,
) -> None:
    """Next-best offers: top product affinities and the hit rate against popularity."""
    with open_workspace(workspace) as ws, console.status("mining affinities and ranking offers"):
        result = ws.models.offers(
            k, item=item, basket=basket, not_offered=tuple(not_offered or ()),
            rank_by=rank_by, horizon_days=horizon,
        )  # fmt: skip
    if output is not None:
        write_csv(result.offers, output)
        return
    cols = ["antecedent", "consequent", "baskets_with_both", "confidence", "lift",
            "lift_ci_low", "lift_ci_high", "q_value"]  # fmt: skip
    best = top_rules(result.affinities, rules)
    aff = result.affinities
    n_baskets = aff["n_baskets"].iloc[0] if len(aff) else None  # the same on every row
    title = f"top {len(best)} rules by lift (significant, not small samples)"
    if n_baskets:
        title += f" of {int(n_baskets):,} baskets ({basket})"
    console.print(rich_table(formatted(best[present(best, cols)], 3), title))
    ev = result.evaluation
    if ev is None:
        console.print(Text(str(result.note), style="yellow"))
    else:
        ev_cols = ["method", "k", "customers", "customers_hit", "hit_rate", "hit_rate_ci_low",
                   "hit_rate_ci_high", "precision", "recall", "lift", "p_value",
                   "customers_offered", "hit_rate_offered"]  # fmt: skip
        console.print(
            rich_table(
                formatted(ev[present(ev, ev_cols)], 3),
                f"evaluation: offers made before the cut-off vs what customers bought in the "
                f"next {horizon:g} days (model vs popularity); hit_rate is a share of the "
                "customers who bought a new item, hit_rate_offered of everyone offered",
            )
        )
    customers = result.offers["customer_id"].nunique() if len(result.offers) else 0
    console.print(f"{len(result.offers):,} offers for {customers:,} customers: --output offers.csv")


# --------------------------------------------------------------------------- survival


@app.command("survival")
@friendly
def survival_cmd(
    by: Annotated[
        str, typer.Option(help="Customer column to split the curves by ('none': one curve).")
    ] = "segment",
    cox: Annotated[
        list[str] | None,
        typer.Option("--cox", help="Cox covariate (repeatable; default: the --by column)."),
    ] = None,
    definition: DefinitionOpt = "auto",
    inactive_days: InactiveOpt = 90,
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="Write the survival curves to this CSV."),
    ] = None,
    workspace: WorkspaceOpt = DEFAULT_WS,
) -> None:
    """Show customer survival: Kaplan-Meier by group and Cox hazard ratios."""
    group = None if by.lower() == "none" else by
    covariates = list(cox) if cox else ([group] if group else [])
    chosen = churn_definition(definition, inactive_days)
    hazards: pd.DataFrame | None = None
    problem = ""
    with open_workspace(workspace) as ws, console.status("fitting survival curves"):
        km = ws.models.survival(group, definition=chosen)
        if covariates:
            try:
                hazards = ws.models.cox(covariates, definition=chosen)
            except CxlensError as exc:
                problem = str(exc)
    if output is not None:
        write_csv(km.curves, output)
        return
    title = f"Kaplan-Meier survival by {group}" if group else "Kaplan-Meier survival"
    console.print(rich_table(formatted(km.summary, 3, median_days=0), title + " (median in days)"))
    if hazards is not None:
        cols = ["covariate", "term", "reference", "hazard_ratio", "ci_low", "ci_high", "p_value"]
        n, events = int(hazards["n"].iloc[0]), int(hazards["events"].iloc[0])
        console.print(
            rich_table(
                formatted(hazards[cols], 3),
                f"Cox hazard ratios ({n:,} customers, {events:,} churned; < 1: churn slower)",
            )
        )
    if problem:
        console.print(Text(f"Cox model not shown: {problem}", style="yellow"))
