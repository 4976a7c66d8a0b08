"""The report's model sections: customer lifetime value, churn risk, next-best offers.

Each model is fitted once per report: :class:`ModelFits` keeps the CLV and churn results
(or the error that stopped them), so "Churn risk" ranks its retention targets with the same
fits that "Customer lifetime value" and its own metrics show. A section whose data is
missing (no transactions, no churn dates, too few churners) becomes a note, as in
:mod:`cxlens.report.analyses`. Retention targets name customers by id only: no names, no
contact details.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import pandas as pd

from cxlens.errors import ArgumentError
from cxlens.models.checks import check_note
from cxlens.models.churn_analysis import model_choice_text
from cxlens.money import format_money
from cxlens.report.analyses import (
    AnalysisPart,
    _pct,
    _text,
    _try,
    _with_ci,
    fmt_number,
    guarded,
)
from cxlens.report.charts import figure_html
from cxlens.report.template import (
    Section,
    card_html,
    esc,
    list_html,
    note_html,
    pill_html,
    table_html,
)

if TYPE_CHECKING:
    from cxlens.models.churn import ChurnDefinition
    from cxlens.models.churn_analysis import ChurnResult, RiskSummary
    from cxlens.models.clv import ClvResult
    from cxlens.workspace import Workspace

#: CLV horizon of the report, in months.
REPORT_CLV_MONTHS = 12

#: Churn window of the report, in days.
REPORT_CHURN_DAYS = 90

#: Retention targets listed under "Churn risk".
REPORT_TOP_TARGETS = 10

#: Features listed under "Churn risk".
REPORT_TOP_FEATURES = 8

#: Rules listed (and drawn) under "Next-best offers".
REPORT_TOP_RULES = 10

#: Offers per customer evaluated under "Next-best offers" (k = 1..this).
REPORT_OFFER_K = 3

_STATUS_TONES = {"below 3x": "bad", "3-5x": "good"}


class ModelFits:
    """The model fits one report shares (CLV, churn, NPS drivers); each runs at most once.

    A fit that raised keeps its error and raises it again on every later call, so each
    section that needs it turns it into its own note.

    Example:
        >>> fits = ModelFits(ws)  # doctest: +SKIP
        >>> fits.clv() is fits.clv()  # doctest: +SKIP
        True
    """

    def __init__(
        self,
        ws: Workspace,
        *,
        horizon_months: int = REPORT_CLV_MONTHS,
        horizon_days: int = REPORT_CHURN_DAYS,
        confidence: float = 0.95,
        min_n: int = 30,
        seed: int = 0,
    ) -> None:
        self.ws = ws
        self.horizon_months = horizon_months
        self.horizon_days = horizon_days
        self.confidence = confidence
        self.min_n = min_n
        self.seed = seed
        self._done: dict[str, Any] = {}

    def _once(self, key: str, fit: Callable[[], Any]) -> Any:
        if key not in self._done:
            try:
                self._done[key] = fit()
            except Exception as exc:  # kept and raised again for every section that asks
                self._done[key] = exc
        found = self._done[key]
        if isinstance(found, Exception):
            raise found
        return found

    def clv(self) -> ClvResult:
        """Return ``ws.models.clv`` over ``horizon_months``: the fit the CLI and API show.

        When the fit on all transactions is degenerate and transactions have recurring
        categories, that is the fit on the discretionary purchases
        (:func:`cxlens.models.clv.clv_auto`); its ``full_fit`` and ``recurring`` keep the
        first fit and the regularity table.
        """
        return self._once(
            "clv",
            lambda: self.ws.models.clv(
                self.horizon_months, confidence=self.confidence, min_n=self.min_n
            ),
        )

    def churn(self) -> ChurnResult:
        """Return ``ws.models.churn`` over ``horizon_days``: the model the CLI and API show."""
        return self._once("churn", lambda: self.ws.models.churn(self.horizon_days))

    def drivers(self, bootstrap: int) -> pd.DataFrame:
        """Return the drivers of NPS (relative weights, ``bootstrap`` resamples; a copy).

        The "What drives NPS" section and the executive summary both read it.
        """
        found = self._once(
            f"drivers-{bootstrap}",
            lambda: self.ws.analysis.drivers(
                "nps", bootstrap=bootstrap, confidence=self.confidence, seed=self.seed
            ),
        )
        return found.copy()

    def targets(self) -> pd.DataFrame:
        """Return the retention target list from the two fits (value at risk, largest first)."""
        return self._once(
            "targets",
            lambda: self.ws.models.retention_targets(
                churn=self.sound_churn(), clv=self.sound_clv()
            ),
        )

    def risk(self) -> RiskSummary:
        """Return the at-risk figures from the two fits (``ws.models.at_risk``)."""
        return self._once(
            "risk", lambda: self.ws.models.at_risk(churn=self.sound_churn(), clv=self.sound_clv())
        )

    def sound_clv(self) -> ClvResult:
        """Return :meth:`clv`; NotEnoughDataError with the checks' note when it fails them."""
        return _sound(self.clv())

    def sound_churn(self) -> ChurnResult:
        """Return :meth:`churn`; NotEnoughDataError with the checks' note when it fails them."""
        return _sound(self.churn())


def _sound(result: Any) -> Any:
    """Return a model result that passes its checks; raise with the checks' note otherwise."""
    from cxlens.errors import NotEnoughDataError

    failed = result.failed_checks
    if failed:
        raise NotEnoughDataError(check_note(failed))
    return result


# --------------------------------------------------------------------------- shared tables

#: Order and names of the fitted CLV parameters.
CLV_PARAMS: tuple[tuple[str, str, str], ...] = (
    ("BG/NBD (purchases)", "bg", "r"),
    ("BG/NBD (purchases)", "bg", "alpha"),
    ("BG/NBD (purchases)", "bg", "a"),
    ("BG/NBD (purchases)", "bg", "b"),
    ("Gamma-Gamma (spend)", "gg", "p"),
    ("Gamma-Gamma (spend)", "gg", "q"),
    ("Gamma-Gamma (spend)", "gg", "gamma"),
)
BAND_ORDER = ("high", "medium", "low")


def clv_params_table(result: ClvResult) -> pd.DataFrame:
    """Return the fitted CLV parameters as ``model, parameter, value`` (alpha in its unit).

    Example:
        >>> clv_params_table(ws.models.clv())  # doctest: +SKIP
    """
    rows = []
    for model, which, name in CLV_PARAMS:
        params = result.bg_params if which == "bg" else result.gg_params
        label = f"alpha ({result.time_unit})" if name == "alpha" else name
        rows.append({"model": model, "parameter": label, "value": float(params[name])})
    return pd.DataFrame(rows)


def risk_band_table(scores: pd.DataFrame, base_rate: float) -> pd.DataFrame:
    """Count the scored customers per risk band, with their mean churn probability.

    Returns:
        DataFrame ``risk_band, rule, customers, share, mean_probability`` (high, medium, low).

    Example:
        >>> s = pd.DataFrame({"risk_band": ["high", "low", "low"],
        ...                   "churn_probability": [0.3, 0.01, 0.03]})
        >>> risk_band_table(s, 0.1)["customers"].tolist()
        [1, 0, 2]
    """
    rules = {
        "high": f">= {2 * base_rate:.1%} (twice the training base rate)",
        "medium": f">= {base_rate:.1%} (the training base rate)",
        "low": f"< {base_rate:.1%}",
    }
    rows = []
    for band in BAND_ORDER:
        mine = scores.loc[scores["risk_band"] == band, "churn_probability"]
        rows.append(
            {
                "risk_band": band,
                "rule": rules[band],
                "customers": len(mine),
                "share": len(mine) / len(scores) if len(scores) else float("nan"),
                "mean_probability": float(mine.mean()) if len(mine) else float("nan"),
            }
        )
    return pd.DataFrame(rows)


def churn_definition(kind: str, inactive_days: int) -> ChurnDefinition | None:
    """Return the churn definition a command asked for (None: let the data decide)."""
    from cxlens.models.churn import ChurnDefinition

    if kind == "auto":
        return None
    if kind not in ("contractual", "non_contractual"):
        raise ArgumentError(
            f"unknown churn definition {kind!r}; use auto, contractual (customers.churned_at) "
            "or non_contractual (days without a transaction)"
        )
    return ChurnDefinition(kind, inactive_days=inactive_days)  # type: ignore[arg-type]


# --------------------------------------------------------------------------- CLV


def clv_part(ws: Workspace, *, fits: ModelFits | None = None) -> AnalysisPart:
    """Build "Customer lifetime value": tiers, the holdout check, LTV:CAC against 3-5x.

    Example:
        >>> clv_part(ws).section.id  # doctest: +SKIP
        'clv'
    """
    title = "Customer lifetime value"
    fits = fits or ModelFits(ws)

    def build() -> AnalysisPart:
        from cxlens.models.charts_clv import (
            clv_distribution_figure,
            holdout_figure,
            ltv_cac_figure,
        )
        from cxlens.models.clv import ltv_cac_norm

        result = fits.clv()
        failed = result.failed_checks
        if failed:  # a fit that fails its own checks is a note, not results
            return failed_part("clv", title, check_note(failed), result.notes)
        low, high, source = ltv_cac_norm()
        customers = result.customers

        def money(value: float) -> str:
            return format_money(value, result.currency)

        scope = clv_scope_html(fits, result)
        cards = [
            card_html(
                "CLV per customer, by tier",
                figure_html(
                    clv_distribution_figure(customers, currency=result.currency),
                    "chart-clv-tiers",
                ),
                "Legend: each tier's share of customers and of total CLV.",
            )
        ]
        holdout = result.holdout
        if len(holdout):
            cards.append(
                card_html(
                    "Holdout check",
                    figure_html(holdout_figure(holdout, title=""), "chart-clv-holdout"),
                    "Model fitted on the purchases up to "
                    f"{_day(holdout['calibration_end'].iloc[0])}; mean purchases per customer "
                    "after it, predicted and actual "
                    f"({result_level(fits)} interval), by purchases before it.",
                )
            )
        parts = [scope] if scope else []
        parts += ['<div class="grid-2">\n' + "\n".join(cards) + "\n</div>"]
        parts += ["<h3>CLV tiers</h3>", tier_table(result.tiers, result.currency)]
        groups = ((result.by_segment, "segment"), (result.by_channel, "acquisition_channel"))
        ratio_tables = [(t, by) for t, by in groups if not t.empty and t["ltv_cac"].notna().any()]
        if ratio_tables:
            table, by = ratio_tables[0]
            parts.append(
                card_html(
                    f"LTV:CAC by {_by_name(by)}",
                    figure_html(ltv_cac_figure(table, by, low=low, high=high), "chart-clv-ltv-cac"),
                    f"Mean customer value (CLV, plus the subscription revenue when the data has "
                    f"it) over mean acquisition cost, {result_level(fits)} interval; shaded: "
                    f"the {low:g}-{high:g}x norm. Grey: fewer than {fits.min_n} customers "
                    "with a cost.",
                )
            )
            for t, b in ratio_tables:
                parts += [
                    f"<h3>LTV:CAC by {_by_name(b)}</h3>",
                    ltv_cac_table(t, b, result.currency),
                ]
            parts.append(
                f"<p>{esc(f'The norm: LTV:CAC of at least {low:g}x ({source}); above {high:g}x')}"
                " is commonly read as under-investing in acquisition (growth could be bought "
                "faster).</p>"
            )
        else:
            parts.append(
                note_html(
                    result.ltv_cac_note
                    or "LTV:CAC is not shown: no customer has a known, positive "
                    "acquisition_cost (a customers column)."
                )
            )
        parts += ["<h3>Notes</h3>", list_html([str(n) for n in result.notes], cls="plain")]
        n = len(customers)
        who = "with a discretionary purchase" if result.exclude_categories else "who bought"
        what = " on discretionary purchases" if result.exclude_categories else ""
        lead = (
            f"What each of the {n:,} customers {who} is expected to spend{what} over the next "
            f"{result.horizon_months} months (total {money(customers['clv'].sum())}, "
            f"mean {money(customers['clv'].mean())}), discounted at "
            f"{result.discount_rate:.0%} a year; revenue, not margin. Tiers rank customers by "
            "it; LTV:CAC sets it against what acquiring them cost."
        )
        bg, gg = result.bg_params, result.gg_params
        methods = [
            (
                "Customer lifetime value",
                "BG/NBD (Fader, Hardie & Lee 2005) for repeat purchases and Gamma-Gamma for "
                "spend, fitted by maximum likelihood on the per-customer summary the engine "
                f"builds from transactions (days with net spend <= 0 are not purchases): r = "
                f"{bg['r']:.3g}, alpha = {bg['alpha']:.3g} {result.time_unit}, a = "
                f"{bg['a']:.3g}, b = {bg['b']:.3g}; p = {gg['p']:.3g}, q = {gg['q']:.3g}, "
                f"gamma = {gg['gamma']:.3g}. CLV sums the expected spend month by month over "
                f"{result.horizon_months} months, discounted monthly at "
                f"{result.discount_rate:.0%} a year. Holdout: the purchase model refitted "
                "before the holdout period predicts purchases in it. Tiers: top 10% platinum, "
                "next 20% gold, 30% silver, 40% bronze. LTV:CAC: ratio of means with a "
                f"delta-method interval; norm {low:g}-{high:g}x ({source}) (docs/models.md)."
                + clv_scope_method(fits, result),
            )
        ]
        return AnalysisPart(Section("clv", title, "\n".join(parts), lead=lead), methods)

    return guarded("clv", title, build)


def failed_part(key: str, title: str, note: str, details: list[str]) -> AnalysisPart:
    """Return a model section that failed its checks: the reason as a note, then the details.

    Example:
        >>> failed_part("clv", "Customer lifetime value", "The CLV fit is not shown.", []
        ...             ).section.body_html
        '<p class="note">The CLV fit is not shown.</p>'
    """
    body = note_html(note)
    if details:
        body += "\n" + list_html([str(d) for d in details], cls="plain")
    return AnalysisPart(Section(key, title, body), [])


def _recurring_names(result: ClvResult) -> str:
    return ", ".join(result.exclude_categories)


def clv_scope_html(fits: ModelFits, result: ClvResult) -> str:
    """Return the note that says CLV covers discretionary purchases only ("" when it is all).

    Shown when :meth:`ModelFits.clv` refitted without the recurring categories: which ones,
    the rule that found them (with each one's median gap and CV) and why.

    Example:
        >>> clv_scope_html(fits, fits.clv())[:40]  # doctest: +SKIP
        '<p class="note">CLV of discretionary purc'
    """
    from cxlens.models.clv import DEGENERATE_BOUND

    if not result.exclude_categories or result.recurring is None or result.full_fit is None:
        return ""
    table = result.recurring
    found = table[table["recurring"]]
    shown = "; ".join(
        f"{r.category}: {r.customers_judged:,} customers, median gap {r.median_gap_days:.0f} "
        f"days, median CV {r.median_cv:.2f}"
        for r in found.itertuples()
    )
    edge = ", ".join(
        f"{k} = {v:.3g}" + (" days" if k == "alpha" else "")
        for k, v in result.full_fit.degenerate.items()
    )
    text = (
        f"CLV of discretionary purchases (excluding recurring {_recurring_names(result)}); "
        "recurring revenue is not modelled by BG/NBD. Recurring categories are those whose "
        "customers buy at regular intervals: the median coefficient of variation (sd / mean) "
        f"of the gaps between a customer's purchase days is below {table['max_cv'].iloc[0]:g}, "
        f"over the customers with {table['min_gaps'].iloc[0]}+ gaps, at least "
        f"{table['min_customers'].iloc[0]} of them ({shown}; random purchasing gives about "
        f"1). Fitted on all transactions, the models ran to the edge of their parameter space "
        f"({edge}, "
        f"above {DEGENERATE_BOUND:g}): regular payments are not Poisson purchases."
    )
    return note_html(text)


def clv_scope_method(fits: ModelFits, result: ClvResult) -> str:
    """Return the methods-line sentence on the recurring categories ("" when none were left out).

    Example:
        >>> clv_scope_method(fits, fits.clv())  # doctest: +SKIP
        ' Recurring categories (subscription) are left out: ...'
    """
    from cxlens.models.clv import DEGENERATE_BOUND

    if not result.exclude_categories or result.recurring is None:
        return ""
    a = result.recurring.iloc[0]  # the thresholds are the same on every row
    return (
        f" Recurring categories ({_recurring_names(result)}) are left out: the fit on all "
        f"transactions was degenerate (r, alpha in days, p or q above {DEGENERATE_BOUND:g}), "
        "and a category is recurring when "
        f"the median, over its customers with {a['min_gaps']}+ gaps between purchase days (at "
        f"least {a['min_customers']} of them), of the coefficient of variation of those gaps "
        f"is below {a['max_cv']:g}; recurring revenue is not modelled by BG/NBD."
    )


def result_level(fits: ModelFits) -> str:
    """Return the confidence level as a percentage, e.g. "95%"."""
    return f"{fits.confidence:.0%}"


def _day(value: Any) -> str:
    return "—" if value is None else str(pd.Timestamp(value).date())


def _by_name(by: str) -> str:
    return by.replace("_", " ")


def tier_table(tiers: pd.DataFrame, currency: str = "") -> str:
    """Render the CLV tiers: customers, CLV range and mean, total and share of CLV.

    Example:
        >>> tier_table(pd.DataFrame({"tier": ["platinum"], "share": [0.1], "customers": [20],
        ...     "clv_min": [900.0], "clv_max": [4000.0], "clv_mean": [1500.0],
        ...     "clv_total": [30000.0], "clv_share": [0.55]})).count("<tr>")
        2
    """
    rows = [
        [
            str(r.tier),
            f"{int(r.customers):,}",
            f"{format_money(r.clv_min, currency)} to {format_money(r.clv_max, currency)}",
            format_money(r.clv_mean, currency),
            format_money(r.clv_total, currency),
            _pct(r.clv_share),
        ]
        for r in tiers.itertuples()
    ]
    columns = ["tier", "customers", "CLV range", "mean CLV", "total CLV", "share of CLV"]
    return table_html(columns, rows, numeric=[1, 3, 4, 5])


def ltv_cac_table(table: pd.DataFrame, by: str, currency: str = "") -> str:
    """Render LTV:CAC per group with its interval and its status against the 3-5x norm.

    Example:
        >>> ltv_cac_table(pd.DataFrame({"segment": ["a"], "customers": [90],
        ...     "clv_mean": [400.0], "clv_total": [36000.0], "customers_with_cac": [80],
        ...     "acquisition_cost_mean": [100.0], "ltv_cac": [4.0], "ltv_cac_ci_low": [3.5],
        ...     "ltv_cac_ci_high": [4.5], "status": ["3-5x"], "small_sample": [False]}),
        ...     "segment").count("pill good")
        1
    """
    # the value LTV:CAC divides: CLV plus the subscription revenue when the data has it
    subscription = bool(
        table.get("subscription_value_mean", pd.Series(dtype=float)).fillna(0).any()
    )
    rows = []
    for r in table.to_dict("records"):
        status = r.get("status")
        shown = (
            pill_html(str(status), _STATUS_TONES.get(str(status), "warn"))
            if isinstance(status, str)
            else "—"
        )
        rows.append(
            [
                str(r[by]) + (" (small sample)" if bool(r.get("small_sample")) else ""),
                f"{int(r['customers']):,}",
                format_money(r["clv_mean"], currency),
                *([format_money(r["subscription_value_mean"], currency)] if subscription else []),
                format_money(r["acquisition_cost_mean"], currency),
                _with_ci(r["ltv_cac"], r["ltv_cac_ci_low"], r["ltv_cac_ci_high"], 2, "x"),
                shown,
            ]
        )
    columns = [_by_name(by), "customers", "mean CLV",
               *(["mean subscription revenue"] if subscription else []),
               "mean acquisition cost", "LTV:CAC (interval)", "against 3-5x"]  # fmt: skip
    numeric = [1, 2, 3, 4, 5] if subscription else [1, 2, 3, 4]
    return table_html(columns, rows, numeric=numeric)


# --------------------------------------------------------------------------- churn


def churn_part(
    ws: Workspace,
    *,
    fits: ModelFits | None = None,
    top: int = REPORT_TOP_TARGETS,
    features: int = REPORT_TOP_FEATURES,
) -> AnalysisPart:
    """Build "Churn risk": definition, held-out metrics, calibration, features, targets.

    The retention targets are the ``top`` customers by value at risk (CLV × churn
    probability), by customer id only, each with the model's three reasons.

    Example:
        >>> churn_part(ws).section.id  # doctest: +SKIP
        'churn-risk'
    """
    title = "Churn risk"
    fits = fits or ModelFits(ws)

    def build() -> AnalysisPart:
        result = fits.churn()
        e = result.evaluation
        failed = result.failed_checks
        if failed:
            return failed_part("churn-risk", title, check_note(failed), [result.summary()])
        notes: list[str] = []
        targets = _try("The retention target list", fits.targets, notes)
        cards = [
            card_html(
                "Calibration on the held-out customers",
                figure_html(result.calibration_figure(title=""), "chart-churn-calibration"),
                "Predicted against observed churn in ten bins of equal size; observed with "
                f"its {result_level(fits)} Wilson interval.",
            ),
            card_html(
                "What drives churn risk",
                figure_html(
                    result.importance_figure(top=features, title=""), "chart-churn-importance"
                ),
                "How much each factor moves a held-out customer's predicted churn odds, on "
                "average, in either direction (see Methods and definitions).",
            ),
        ]
        parts = [
            "<h3>Definition</h3>",
            f"<p>{esc(result.definition.describe())} The model was "
            f"{esc(result.split.describe())}.</p>",
            f"<h3>Held out at {esc(e['evaluation_cutoff'])}</h3>",
            metrics_table(e),
            *(
                [model_comparison_table(e), f"<p>{esc(model_choice_text(e))}</p>"]
                if "logistic_roc_auc" in e
                else []
            ),
            '<div class="grid-2">\n' + "\n".join(cards) + "\n</div>",
            "<h3>Top features</h3>",
            list_html(_feature_lines(result.importance.head(features)), cls="plain"),
        ]
        parts += [note_html(n) for n in notes]
        if targets is not None:
            risk = fits.risk()
            shown = targets.head(top)
            held = float(shown["cumulative_share"].iloc[-1]) if len(shown) else math.nan
            parts += [
                f"<h3>Retention targets: top {len(shown)} by value at risk</h3>",
                f"<p>Value at risk = CLV over {fits.horizon_months} months × churn probability "
                f"within {fits.horizon_days} days. Targets are the {risk.targets:,} customers "
                "with a purchase whose churn probability is at least the training base rate "
                "(medium or high risk), ranked by value at risk. These "
                f"{len(shown)} hold {_pct(held)} of the "
                f"{format_money(risk.value_at_risk, risk.currency)} "
                f"at risk across the {risk.valued:,} active customers with a purchase. "
                "Customer ids only; the full list: cxlens retention --output targets.csv.</p>",
                targets_table(shown, risk.currency),
            ]
        scored = len(result.scores)
        high = int((result.scores["risk_band"] == "high").sum())  # as RiskSummary.high_risk
        lead = (
            f"Who is likely to leave within {e['horizon_days']} days and why. Judged on "
            f"customers it never saw: ROC-AUC {e['roc_auc']:.3f}, Brier "
            f"{e['brier']:.4f} against {e['brier_baseline']:.4f} for the base rate alone. "
            f"Of the {scored:,} customers active now, {high:,} are at high risk (at least "
            "twice the base rate)."
        )
        methods = [
            (
                "Churn risk",
                f"{result.definition.describe()} The {e.get('model_used', 'gradient boosting')} "
                "(LightGBM gradient boosting, or a plain logistic regression when it is as "
                "good on the calibration snapshot) on per-customer "
                "features built in the engine as of each snapshot (survey scores, purchases, "
                "events, tenure, attributes), snapshots one horizon apart with labels read "
                "from the following window only (no leakage); calibrated on a later snapshot "
                f"({e['calibration']}), evaluated on the last labelled one. Reasons: "
                "TreeSHAP contributions (log-odds); the chart of what drives churn risk shows "
                "their mean absolute size. Risk bands: high at twice the training base rate "
                "or more, medium at the base rate or more. Value at risk = CLV × churn "
                "probability (docs/models-churn.md).",
            )
        ]
        body = "\n".join(parts)
        return AnalysisPart(Section("churn-risk", title, body, lead=lead), methods)

    return guarded("churn-risk", title, build)


def model_comparison_table(e: dict[str, Any]) -> str:
    """Render the gradient boosting beside the plain logistic regression on the same split.

    Example:
        >>> model_comparison_table({"boosting_roc_auc": 0.838, "logistic_roc_auc": 0.834,
        ...     "boosting_pr_auc": 0.63, "logistic_pr_auc": 0.62, "boosting_brier": 0.138,
        ...     "logistic_brier": 0.140, "boosting_log_loss": 0.425, "logistic_log_loss": 0.433,
        ...     "model_used": "gradient boosting"}).count("<tr>")
        5
    """
    rows = [
        [name, fmt_number(e[f"boosting_{key}"], digits), fmt_number(e[f"logistic_{key}"], digits)]
        for name, key, digits in (
            ("ROC-AUC", "roc_auc", 3),
            ("PR-AUC", "pr_auc", 3),
            ("Brier score (lower is better)", "brier", 4),
            ("Log-loss (lower is better)", "log_loss", 3),
        )
    ]
    logistic = e["model_used"] == "logistic regression"
    columns = [
        "held-out metric",
        "gradient boosting" + ("" if logistic else " (in use)"),
        "logistic regression" + (" (in use)" if logistic else ""),
    ]
    return table_html(columns, rows, numeric=[1, 2])


def metrics_table(e: dict[str, Any]) -> str:
    """Render the held-out churn metrics against what a no-skill forecast scores.

    Example:
        >>> metrics_table({"roc_auc": 0.66, "pr_auc": 0.07, "base_rate": 0.037, "brier": 0.0352,
        ...     "brier_baseline": 0.0357, "lift_top_decile": 2.9, "n_test": 1500,
        ...     "churners_test": 60}).count("<tr>")
        5
    """
    rows = [
        ["ROC-AUC", fmt_number(e["roc_auc"], 3), "0.500 (random order)"],
        ["PR-AUC", fmt_number(e["pr_auc"], 3), f"{fmt_number(e['base_rate'], 3)} (base rate)"],
        ["Brier score (lower is better)", fmt_number(e["brier"], 4),
         f"{fmt_number(e['brier_baseline'], 4)} (everyone at the training base rate)"],
        ["Churn in the riskiest 10%", f"{fmt_number(e['lift_top_decile'], 1)} × base rate",
         "1.0 × base rate"],
    ]  # fmt: skip
    caption = (
        f"{int(e['n_test']):,} customers held out, {int(e['churners_test']):,} churned "
        f"(base rate {_pct(e['base_rate'])})"
    )
    return table_html(["metric", "model", "no-skill forecast"], rows, numeric=[1]) + (
        f'\n<p class="sub">{esc(caption)}</p>'
    )


def _feature_lines(importance: pd.DataFrame) -> list[str]:
    return [
        f"{r.label}: {_pct(r.share)} of the mean absolute contribution"
        for r in importance.itertuples()
    ]


def _reasons(row: dict[str, Any]) -> str:
    found = [_text(row.get(f"reason_{k}")) for k in (1, 2, 3)]
    return "; ".join(r for r in found if r != "—")


def targets_table(targets: pd.DataFrame, currency: str = "") -> str:
    """Render retention targets: rank, customer id, probability, band, CLV, value at risk, reasons.

    Example:
        >>> targets_table(pd.DataFrame({"rank": [1], "customer_id": ["C1"],
        ...     "churn_probability": [0.31], "risk_band": ["high"], "clv": [2400.0],
        ...     "value_at_risk": [744.0], "cumulative_share": [0.02],
        ...     "reason_1": ["average CSAT 1.7 (raises risk)"], "reason_2": [None],
        ...     "reason_3": [None]})).count("<tr>")
        2
    """
    tones = {"high": "bad", "medium": "warn", "low": "good"}
    rows = [
        [
            int(r["rank"]),
            str(r["customer_id"]),
            fmt_number(100 * float(r["churn_probability"]), 1, "%"),
            pill_html(str(r["risk_band"]), tones.get(str(r["risk_band"]), "")),
            format_money(r["clv"], currency),
            format_money(r["value_at_risk"], currency),
            _reasons(r),
        ]
        for r in targets.to_dict("records")
    ]
    columns = ["rank", "customer id", "churn probability", "risk", "CLV", "value at risk",
               "top reasons"]  # fmt: skip
    return table_html(columns, rows, numeric=[0, 2, 4, 5])


# --------------------------------------------------------------------------- offers


def offers_part(
    ws: Workspace,
    *,
    k: int = REPORT_OFFER_K,
    top: int = REPORT_TOP_RULES,
    horizon_days: int = REPORT_CHURN_DAYS,
) -> AnalysisPart:
    """Build "Next-best offers": the top product rules and the hit rate against popularity.

    Runs the affinities and the time-split evaluation only (the report lists no offers per
    customer; ``cxlens offers --output`` does).

    Example:
        >>> offers_part(ws).section.id  # doctest: +SKIP
        'offers'
    """
    title = "Next-best offers"

    def build() -> AnalysisPart:
        from cxlens.models.charts_offers import affinity_heatmap, hit_rate_figure
        from cxlens.models.offers import affinities, evaluate_offers
        from cxlens.models.offers_baskets import data_range

        rules = affinities(ws)
        notes: list[str] = []
        cutoff = data_range(ws)[1] - pd.Timedelta(days=horizon_days)
        evaluation = _try(
            "The evaluation against popularity",
            lambda: evaluate_offers(ws, cutoff, k=list(range(1, k + 1)), horizon_days=horizon_days),
            notes,
        )
        best = top_rules(rules, top)
        cards = []
        if len(best):
            cards.append(
                card_html(
                    "Lift between the items of the top rules",
                    figure_html(affinity_heatmap(rules, top=top, title=""), "chart-offers-rules"),
                    "Owns (row) then buys (column); blue: likelier together than apart.",
                )
            )
        if evaluation is not None:
            cards.append(
                card_html(
                    "Hit rate: model against popularity",
                    figure_html(hit_rate_figure(evaluation, title=""), "chart-offers-hit-rate"),
                    f"Share of customers who bought one of their top-k offers in the "
                    f"{horizon_days} days after {cutoff.date()}; Wilson intervals.",
                )
            )
        parts = []
        if cards:
            parts.append('<div class="grid-2">\n' + "\n".join(cards) + "\n</div>")
        parts += [note_html(n) for n in notes]
        if len(best):
            parts += [f"<h3>Top {len(best)} rules by lift</h3>", rules_table(best)]
        else:
            parts.append(note_html("No rule is significant and large enough to rank."))
        if evaluation is not None:
            parts += ["<h3>Evaluation on a time split</h3>", evaluation_table(evaluation)]
        n_baskets = int(rules["n_baskets"].iloc[0]) if len(rules) else 0  # same on every row
        lead = (
            f"Which products go together ({n_baskets:,} customers' purchases as baskets) and "
            "whether offers built on that beat offering the most popular products: both are "
            "made from purchases before a cut-off and checked against what customers bought "
            "after it."
        )
        methods = [
            (
                "Next-best offers",
                "Association rules over baskets (each customer's purchases; refunds cancel "
                "their purchase): support, confidence with Wilson interval, lift, one-sided "
                "Fisher test with Benjamini-Hochberg q-values. Offers: smoothed rule "
                "confidences pooled in log-odds over the items a customer owns, ranked by "
                f"expected value. Evaluation: offers from data up to {cutoff.date()} against "
                f"items first bought in the next {horizon_days} days; hit rate at k (share of "
                "the customers who bought a new item, not of everyone offered) with "
                "Wilson intervals, exact McNemar test against popularity "
                "(docs/models-offers.md).",
            )
        ]
        body = "\n".join(parts)
        return AnalysisPart(Section("offers", title, body, lead=lead), methods)

    return guarded("offers", title, build)


def top_rules(rules: pd.DataFrame, top: int = REPORT_TOP_RULES) -> pd.DataFrame:
    """Return the strongest rules: significant ones not flagged small, highest lift first.

    Example:
        >>> r = pd.DataFrame({"antecedent": ["A", "B"], "consequent": ["B", "A"],
        ...     "lift": [2.0, 3.0], "significant": [True, False], "small_sample": [False] * 2})
        >>> top_rules(r)["antecedent"].tolist()
        ['A']
    """
    shown = rules
    if "significant" in shown.columns:
        shown = shown[shown["significant"].astype(bool)]
    if "small_sample" in shown.columns:
        shown = shown[~shown["small_sample"].astype(bool)]
    return shown.sort_values("lift", ascending=False, kind="mergesort").head(top)


def rules_table(rules: pd.DataFrame) -> str:
    """Render rules: antecedent, consequent, baskets with both, confidence, lift with interval.

    Example:
        >>> rules_table(pd.DataFrame({"antecedent": ["A"], "consequent": ["B"],
        ...     "baskets_with_both": [40], "confidence": [0.4], "confidence_ci_low": [0.3],
        ...     "confidence_ci_high": [0.5], "lift": [2.0], "lift_ci_low": [1.5],
        ...     "lift_ci_high": [2.5]})).count("<tr>")
        2
    """
    rows = [
        [
            str(r.antecedent),
            str(r.consequent),
            f"{int(r.baskets_with_both):,}",
            _with_ci(
                100 * r.confidence, 100 * r.confidence_ci_low, 100 * r.confidence_ci_high, 0, "%"
            ),
            _with_ci(r.lift, r.lift_ci_low, r.lift_ci_high, 2),
        ]
        for r in rules.itertuples()
    ]
    columns = ["owns", "then buys", "baskets with both", "confidence", "lift (interval)"]
    return table_html(columns, rows, numeric=[2, 3, 4])


def evaluation_table(evaluation: pd.DataFrame) -> str:
    """Render hit rates at each k, model and popularity side by side, with lift and p-value.

    Example:
        >>> evaluation_table(pd.DataFrame({"method": ["model", "popularity"], "k": [1, 1],
        ...     "customers": [300, 300], "hit_rate": [0.4, 0.3], "hit_rate_ci_low": [0.35, 0.25],
        ...     "hit_rate_ci_high": [0.45, 0.35], "lift": [1.33, 1.0],
        ...     "p_value": [0.01, float("nan")]})).count("<tr>")
        2
    """
    model = evaluation[evaluation["method"] == "model"].set_index("k")
    popular = evaluation[evaluation["method"] == "popularity"].set_index("k")
    rows = []
    for k, m in model.iterrows():
        p = popular.loc[k] if k in popular.index else None
        pop = "—" if p is None else _hit(p)
        pv = m.get("p_value")
        rows.append(
            [
                int(k),
                f"{int(m['customers']):,}",
                _hit(m),
                pop,
                fmt_number(m.get("lift"), 2),
                "—" if pd.isna(pv) else f"{float(pv):.2g}",
            ]
        )
    # the hit rate is a share of the customers who bought something new, not of everyone
    columns = ["k", "new-item buyers", "model hit rate (of them)", "popularity hit rate",
               "lift", "p (McNemar)"]  # fmt: skip
    return table_html(columns, rows, numeric=[0, 1, 2, 3, 4, 5])


def _hit(row: pd.Series) -> str:
    return _with_ci(
        100 * row["hit_rate"], 100 * row["hit_rate_ci_low"], 100 * row["hit_rate_ci_high"], 1, "%"
    )


# --------------------------------------------------------------------------- all of them


def model_parts(
    ws: Workspace,
    *,
    confidence: float = 0.95,
    min_n: int = 30,
    seed: int = 0,
    fits: ModelFits | None = None,
) -> dict[str, AnalysisPart]:
    """Build the model sections, fitting CLV and churn once for all of them.

    ``fits`` shares the fits with the rest of the report (the executive summary); by default
    they are made here.

    Returns:
        Dict with keys ``clv``, ``churn`` and ``offers`` -> :class:`AnalysisPart`; each is a
        note when its data is missing or its fit fails.

    Example:
        >>> import cxlens
        >>> parts = model_parts(cxlens.Workspace(":memory:"))
        >>> [p.section.body_html.startswith('<p class="note">') for p in parts.values()]
        [True, True, True]
    """
    fits = fits or ModelFits(ws, confidence=confidence, min_n=min_n, seed=seed)
    return {
        "clv": clv_part(ws, fits=fits),
        "churn": churn_part(ws, fits=fits),
        "offers": offers_part(ws),
    }
