"""The analyses the API serves: a registry, so exposing one more is one ``register`` line.

Each entry names the analysis, its query parameters (a Pydantic model: types, bounds and
choices are checked before anything runs, and they document the OpenAPI spec), the least
role that may run it, and a function ``(workspace, params) -> {part: table or list}``.
Free-text column names (``by``) are checked against the workspace before they reach an
analysis.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any, Literal

import pandas as pd
from pydantic import BaseModel, ConfigDict, Field

from cxlens.analysis.features import plan_features, profile
from cxlens.analysis.kpis import filter_columns
from cxlens.api.params import ColumnName, Day, Text
from cxlens.errors import ArgumentError, NotEnoughDataError, SchemaError
from cxlens.models.checks import check_note
from cxlens.money import format_money
from cxlens.workspace import Workspace

Part = pd.DataFrame | list[str]


@dataclass(frozen=True)
class AnalysisSpec:
    """One analysis behind ``GET /api/v1/workspaces/{name}/analyses/{analysis.name}``."""

    name: str
    summary: str
    params: type[BaseModel]
    run: Callable[[Workspace, Any], dict[str, Part]]
    role: str = "viewer"


#: Registered analyses by name, in registration order.
REGISTRY: dict[str, AnalysisSpec] = {}


def register(spec: AnalysisSpec) -> AnalysisSpec:
    """Add ``spec`` to the registry (routes are made from it when the app is created).

    Example:
        >>> register(AnalysisSpec("effort", "CES vs loyalty", EffortParams, _effort))
        ... # doctest: +SKIP
    """
    REGISTRY[spec.name] = spec
    return spec


class Params(BaseModel):
    """Base of analysis parameters: unknown parameters are refused (422)."""

    model_config = ConfigDict(extra="forbid")


def _check_by(ws: Workspace, metric: str, by: list[str]) -> list[str]:
    available = filter_columns(ws, metric)
    for col in by:
        if col not in available:
            raise SchemaError(
                f"unknown by column {col!r}; available columns: {', '.join(available)}"
            )
    return by


class DriversParams(Params):
    """Parameters of the drivers analysis."""

    target: Literal["nps", "csat", "ces"] = "nps"
    method: Literal["relative_weights", "shapley", "logistic"] = "relative_weights"
    by: list[ColumnName] = Field(default_factory=list, max_length=2)
    bootstrap: int = Field(200, ge=0, le=2000, description="Resamples for the intervals.")
    min_n: int = Field(200, ge=10, le=1_000_000)


def _drivers(ws: Workspace, p: DriversParams) -> dict[str, Part]:
    by = _check_by(ws, p.target, p.by) or None
    frame = ws.analysis.drivers(
        p.target, by=by, method=p.method, bootstrap=p.bootstrap, min_n=p.min_n
    )
    return {"drivers": frame}


class PriorityParams(Params):
    """Parameters of the priority matrix."""

    target: Literal["nps", "csat", "ces"] = "nps"


def _priority(ws: Workspace, p: PriorityParams) -> dict[str, Part]:
    return {"priority_matrix": ws.analysis.priority_matrix(p.target, bootstrap=0)}


class InsightsParams(Params):
    """Parameters of the insights scan."""

    metrics: list[Literal["nps", "csat", "ces", "churn"]] = Field(
        default_factory=lambda: ["nps", "csat", "ces", "churn"], min_length=1
    )
    every: Literal["week", "month", "quarter"] = "month"
    recent: int = Field(3, ge=1, le=12)
    top: int = Field(20, ge=1, le=100)
    min_n: int = Field(30, ge=5, le=1_000_000)


def _insights(ws: Workspace, p: InsightsParams) -> dict[str, Part]:
    found = ws.analysis.insights(
        metrics=list(dict.fromkeys(p.metrics)), every=p.every, recent=p.recent, top=p.top,
        min_n=p.min_n,
    )  # fmt: skip
    return {"findings": found}


class LoyaltyParams(Params):
    """Parameters of the loyalty matrix."""

    attitude: Literal["nps", "csat"] = "nps"
    behaviour: Literal["frequency", "recency", "value", "engagement"] = "frequency"


def _loyalty(ws: Workspace, p: LoyaltyParams) -> dict[str, Part]:
    return {"summary": ws.analysis.loyalty_matrix(p.attitude, p.behaviour).summary}


class EffortParams(Params):
    """The effort analysis takes no parameters."""


def _effort(ws: Workspace, p: EffortParams) -> dict[str, Part]:
    found = ws.analysis.effort()
    return {
        "correlations": found.correlations,
        "bands": found.bands,
        "by_touchpoint": found.by_touchpoint,
    }


class ValueParams(Params):
    """Parameters of the value of NPS."""

    points: float = Field(5, gt=0, le=50, description="NPS points to project.")
    bootstrap: int = Field(200, ge=0, le=2000, description="Resamples for the correlations.")


def _value(ws: Workspace, p: ValueParams) -> dict[str, Part]:
    found = ws.analysis.monetization(p.points, n_boot=p.bootstrap)
    return {
        "correlations": found.correlations,
        "by_group": found.by_group,
        "uplift": found.uplift.table,
        "assumptions": list(found.uplift.assumptions),
    }


class ProfilesParams(Params):
    """Parameters of the customer profiles."""

    by: list[ColumnName] = Field(default_factory=list, max_length=2)
    min_n: int = Field(30, ge=1, le=1_000_000)


def _profiles(ws: Workspace, p: ProfilesParams) -> dict[str, Part]:
    # profile() checks ``by`` against the feature columns before running anything
    return {"profiles": profile(plan_features(ws).expr, p.by or None, min_n=p.min_n)}


class KpiParams(Params):
    """Parameters of the KPI status."""

    every: Literal["week", "month", "quarter", "year"] = "month"
    as_of: Day | None = Field(None, description="Evaluation day, YYYY-MM-DD (default today).")


def _kpis(ws: Workspace, p: KpiParams) -> dict[str, Part]:
    return {"kpis": ws.kpis.status(as_of=p.as_of, every=p.every)}


class AlertParams(KpiParams):
    """Parameters of the alerts."""

    insights: bool = True
    threshold: float = Field(25.0, ge=0, le=1e9, description="Insight score that alerts.")


def _alerts(ws: Workspace, p: AlertParams) -> dict[str, Part]:
    threshold = p.threshold if p.insights else None
    return {"alerts": ws.kpis.alerts(threshold, as_of=p.as_of, every=p.every)}


register(AnalysisSpec("drivers", "Key drivers with bootstrap intervals", DriversParams, _drivers))
register(AnalysisSpec("priority", "Driver priority matrix", PriorityParams, _priority))
register(AnalysisSpec("insights", "What changed and where, ranked", InsightsParams, _insights))
register(AnalysisSpec("loyalty", "The 2 × 2 loyalty matrix", LoyaltyParams, _loyalty))
register(AnalysisSpec("effort", "CES against loyalty, by band and touchpoint", EffortParams,
                      _effort))  # fmt: skip
register(AnalysisSpec("value", "What NPS is worth: correlations, groups, uplift", ValueParams,
                      _value))  # fmt: skip
register(AnalysisSpec("profiles", "Customer profiles by group", ProfilesParams, _profiles))
register(AnalysisSpec("kpis", "KPI status against targets", KpiParams, _kpis))
register(AnalysisSpec("alerts", "KPIs that slipped and strong insights", AlertParams, _alerts))


# --------------------------------------------------------------------------- models

HorizonDays = Field(90, ge=7, le=730, description="Churn window in days.")
HorizonMonths = Field(12, ge=1, le=120, description="CLV horizon in months.")


def _feature_columns(ws: Workspace, columns: list[str], what: str, *, text: bool) -> list[str]:
    """Check customer columns (attributes and features) before a model sees them."""
    feats = plan_features(ws).expr
    allowed = [c for c, t in feats.schema().items()
               if c != "customer_id" and (t.is_string() or not text)]  # fmt: skip
    for col in columns:
        if col not in allowed:
            kind = "text customer columns" if text else "customer columns"
            raise SchemaError(f"unknown {what} column {col!r}; {kind}: {', '.join(allowed)}")
    return columns


class ClvParams(Params):
    """Parameters of customer lifetime value."""

    horizon_months: int = HorizonMonths
    discount_rate: float = Field(0.10, ge=0, le=1, description="Annual discount rate.")
    holdout_months: int | None = Field(None, ge=0, le=60, description="0: no holdout check.")


def _clv(ws: Workspace, p: ClvParams) -> dict[str, Part]:
    from cxlens.report.models_parts import clv_params_table

    found = ws.models.clv(
        p.horizon_months, discount_rate=p.discount_rate, holdout_months=p.holdout_months
    )
    failed = found.failed_checks
    if failed:  # a fit that fails its own checks is a note, not results
        return {"checks": [check_note(failed)], "notes": [str(n) for n in found.notes]}
    return {
        "currency": [found.currency],
        "parameters": clv_params_table(found),
        "holdout": found.holdout,
        "tiers": found.tiers,
        "by_segment": found.by_segment,
        "by_channel": found.by_channel,
        "notes": [str(n) for n in found.notes]
        + ([found.ltv_cac_note] if found.ltv_cac_note else []),
    }


class ChurnParams(Params):
    """Parameters of the churn model."""

    horizon_days: int = HorizonDays
    definition: Literal["auto", "contractual", "non_contractual"] = "auto"
    inactive_days: int = Field(90, ge=1, le=3650, description="non_contractual: days idle.")


def _churn_fit(ws: Workspace, p: ChurnParams) -> Any:
    from cxlens.report.models_parts import churn_definition

    definition = churn_definition(p.definition, p.inactive_days)
    return ws.models.churn(p.horizon_days, definition=definition)


def _churn(ws: Workspace, p: ChurnParams) -> dict[str, Part]:
    from cxlens.report.models_parts import risk_band_table

    found = _churn_fit(ws, p)
    e = found.evaluation
    if found.failed_checks:
        return {"checks": [check_note(found.failed_checks)], "summary": [found.summary()]}
    scalars = {k: v for k, v in e.items() if isinstance(v, int | float) and not isinstance(v, bool)}
    return {
        "summary": [found.summary()],
        "evaluation": pd.DataFrame({"metric": list(scalars), "value": list(scalars.values())}),
        "importance": found.importance,
        "calibration": found.calibration,
        "risk_bands": risk_band_table(found.scores, float(e["train_base_rate"])),
    }


class ChurnScoresParams(ChurnParams):
    """Parameters of the per-customer churn scores."""

    risk_band: Literal["all", "high", "medium", "low"] = "all"
    top: int = Field(100, ge=1, le=100_000, description="Riskiest customers returned.")


def _churn_scores(ws: Workspace, p: ChurnScoresParams) -> dict[str, Part]:
    scores = _churn_fit(ws, p).scores
    if p.risk_band != "all":
        scores = scores[scores["risk_band"] == p.risk_band]
    return {"scores": scores.head(p.top)}


class RetentionParams(ChurnParams):
    """Parameters of the retention target list."""

    horizon_months: int = HorizonMonths
    top: int = Field(100, ge=1, le=100_000, description="Customers returned.")


def _retention(ws: Workspace, p: RetentionParams) -> dict[str, Part]:
    churn, clv = _churn_fit(ws, p), ws.models.clv(p.horizon_months)
    failed = churn.failed_checks + clv.failed_checks
    if failed:
        return {"checks": [check_note(failed)]}
    targets = ws.models.retention_targets(churn=churn, clv=clv)
    risk = ws.models.at_risk(churn=churn, clv=clv)
    shown = targets.head(p.top)
    held = float(shown["cumulative_share"].iloc[-1]) if len(shown) else 0.0
    summary = (
        f"{len(shown)} of {len(targets)} customers at or above the training base rate, ranked "
        f"by value at risk (CLV over {p.horizon_months} months x churn probability within "
        f"{p.horizon_days} days), hold {held:.1%} of the value at risk "
        f"{format_money(risk.value_at_risk, risk.currency, 2)} across the {risk.valued:,} "
        "active customers with a purchase."
    )
    return {
        "targets": shown,
        "at_risk": pd.DataFrame([risk.as_dict()]),
        "currency": [risk.currency],
        "summary": [summary],
    }


class OffersParams(Params):
    """Parameters of the product affinities and the offers' evaluation."""

    k: int = Field(3, ge=1, le=10, description="Offers per customer, evaluated at 1..k.")
    item: Literal["product", "category"] = "product"
    not_offered: list[Text] = Field(default_factory=list, max_length=20)
    rank_by: Literal["expected_value", "probability"] = "expected_value"
    horizon_days: int = Field(90, ge=7, le=730, description="Evaluation holdout in days.")
    top: int = Field(20, ge=1, le=1000, description="Rules returned, by lift.")


def _offers(ws: Workspace, p: OffersParams) -> dict[str, Part]:
    from cxlens.models.offers import affinities, evaluate_offers
    from cxlens.models.offers_baskets import data_range
    from cxlens.report.models_parts import top_rules

    rules = affinities(ws, item=p.item)
    out: dict[str, Part] = {"rules": top_rules(rules, p.top)}
    cutoff = data_range(ws)[1] - pd.Timedelta(days=p.horizon_days)
    try:
        out["evaluation"] = evaluate_offers(
            ws, cutoff, k=list(range(1, p.k + 1)), horizon_days=p.horizon_days, item=p.item,
            not_offered=tuple(p.not_offered), rank_by=p.rank_by,
        )  # fmt: skip
    except (NotEnoughDataError, ArgumentError) as exc:
        out["notes"] = [f"no evaluation: {exc}"]
    return out


class SurvivalParams(Params):
    """Parameters of the survival curves and the Cox model."""

    by: ColumnName | None = Field("segment", description="Text customer column.")
    cox: list[ColumnName] = Field(default_factory=list, max_length=5, description="Cox covariates.")


def _survival(ws: Workspace, p: SurvivalParams) -> dict[str, Part]:
    _feature_columns(ws, [p.by] if p.by else [], "by", text=True)
    covariates = _feature_columns(ws, list(dict.fromkeys(p.cox)), "cox", text=False)
    covariates = covariates or ([p.by] if p.by else [])
    km = ws.models.survival(p.by)
    out: dict[str, Part] = {"summary": km.summary, "curves": km.curves}
    if covariates:
        try:
            out["hazard_ratios"] = ws.models.cox(covariates)
        except NotEnoughDataError as exc:
            out["notes"] = [f"no Cox model: {exc}"]
    return out


register(AnalysisSpec("clv", "Customer lifetime value: fits, holdout, tiers, LTV:CAC", ClvParams,
                      _clv))  # fmt: skip
register(AnalysisSpec("churn", "Churn model: definition, held-out metrics, features, bands",
                      ChurnParams, _churn))  # fmt: skip
register(AnalysisSpec("churn-scores", "Churn probability and reasons per customer",
                      ChurnScoresParams, _churn_scores, role="analyst"))  # fmt: skip
register(AnalysisSpec("retention-targets", "Customers ranked by value at risk",
                      RetentionParams, _retention, role="analyst"))  # fmt: skip
register(AnalysisSpec("offers", "Product affinities and offers against popularity", OffersParams,
                      _offers))  # fmt: skip
register(AnalysisSpec("survival", "Kaplan-Meier survival by group and Cox hazard ratios",
                      SurvivalParams, _survival))  # fmt: skip


# --------------------------------------------------------------------------- journeys

Level = Literal["touchpoint", "stage"]


def _journey_columns(ws: Workspace, by: list[str]) -> list[str]:
    """Check funnel ``by`` columns against events, customers and saved segments."""
    allowed: list[str] = []
    for name in ("events", "customers", "customer_segments"):
        if ws.has_table(name):
            allowed += [c for c in ws.table(name).columns
                        if not c.startswith("_") and c not in allowed]  # fmt: skip
    for col in by:
        if col not in allowed or col in ("customer_id", "event_id", "occurred_at"):
            raise SchemaError(f"unknown by column {col!r}; available columns: {', '.join(allowed)}")
    return by


class NoParams(Params):
    """The analysis takes no parameters."""


def _touchpoints(ws: Workspace, p: NoParams) -> dict[str, Part]:
    return {"touchpoints": ws.journey.touchpoints(), "channel_mix": ws.journey.channel_mix()}


class DfgParams(Params):
    """Parameters of the directly-follows graph."""

    level: Level = "touchpoint"
    top: int = Field(100, ge=1, le=10_000, description="Edges returned, most frequent first.")


def _dfg(ws: Workspace, p: DfgParams) -> dict[str, Part]:
    return {"dfg": ws.journey.dfg(level=p.level).head(p.top)}


class FunnelParams(Params):
    """Parameters of the funnel (no stages: those most journeys reach, in journey order)."""

    stages: list[Annotated[Text, Field(min_length=1, max_length=200)]] = Field(
        default_factory=list, max_length=12
    )
    by: list[ColumnName] = Field(default_factory=list, max_length=2)
    level: Level = "stage"


def _funnel(ws: Workspace, p: FunnelParams) -> dict[str, Part]:
    from cxlens.report.journey_parts import funnel_stages, stage_order

    by = _journey_columns(ws, p.by) or None
    if any(len(s) > 200 for s in p.stages):
        raise ArgumentError("funnel stages are names of at most 200 characters")
    stages = list(p.stages) or funnel_stages(stage_order(ws))
    return {"funnel": ws.journey.funnel(stages, level=p.level, by=by), "stages": stages}


def _emotion(ws: Workspace, p: NoParams) -> dict[str, Part]:
    return {"emotion": ws.journey.emotion()}


class PainParams(Params):
    """Parameters of the pain points."""

    compare: Literal["past", "rest"] = "past"
    recent_months: int = Field(6, ge=1, le=60)
    top: int = Field(20, ge=1, le=1000, description="Rows returned, worst first.")


def _pain_points(ws: Workspace, p: PainParams) -> dict[str, Part]:
    found = ws.journey.pain_points(compare=p.compare, recent_months=p.recent_months)
    return {"pain_points": found.head(p.top)}


register(AnalysisSpec("journey-touchpoints", "Touchpoints in journey order, channel mix",
                      NoParams, _touchpoints))  # fmt: skip
register(AnalysisSpec("journey-dfg", "Directly-follows graph of the journeys", DfgParams, _dfg))
register(AnalysisSpec("journey-funnel", "Ordered funnel over stages", FunnelParams, _funnel))
register(AnalysisSpec("journey-emotion", "NPS, CSAT, CES and emotion per touchpoint", NoParams,
                      _emotion))  # fmt: skip
register(AnalysisSpec("journey-pain-points", "Touchpoints where outcomes got worse", PainParams,
                      _pain_points))  # fmt: skip


# --------------------------------------------------------------------------- text and social

Every = Literal["day", "week", "month", "quarter", "year"]


def _theme_table(ws: Workspace) -> pd.DataFrame:
    """Return the report's themes (saved ones reused while up to date), keywords joined."""
    from cxlens.report.voice_parts import report_themes

    themes = report_themes(ws)[0]
    return themes.assign(
        keywords=themes["keywords"].map(", ".join), quotes=themes["quotes"].map(list)
    )


class ThemesParams(Params):
    """Parameters of the themes."""

    top: int = Field(50, ge=1, le=1000, description="Themes returned, most comments first.")


def _themes(ws: Workspace, p: ThemesParams) -> dict[str, Part]:
    return {"themes": _theme_table(ws).head(p.top)}


class ThemeImpactParams(Params):
    """Parameters of theme impact."""

    metric: Literal["nps", "csat", "ces", "sentiment"] = "nps"
    level: Literal["theme", "aspect"] = "theme"
    bootstrap: int = Field(200, ge=0, le=2000, description="Resamples for the intervals.")


def _theme_impact(ws: Workspace, p: ThemeImpactParams) -> dict[str, Part]:
    _theme_table(ws)  # finds and saves the themes first when they are missing or stale
    return {"impact": ws.text.theme_impact(p.metric, level=p.level, bootstrap=p.bootstrap)}


class ThemeDriversParams(Params):
    """Parameters of themes as drivers."""

    target: Literal["nps", "csat", "ces"] = "nps"
    level: Literal["theme", "aspect"] = "aspect"
    bootstrap: int = Field(200, ge=0, le=2000, description="Resamples for the intervals.")


def _theme_drivers(ws: Workspace, p: ThemeDriversParams) -> dict[str, Part]:
    _theme_table(ws)
    found = ws.text.theme_drivers(p.target, level=p.level, bootstrap=p.bootstrap)
    fit = found.table.iloc[0]  # n and r_squared hold for every row
    return {
        "drivers": found.table,
        "summary": [f"R² = {fit['r_squared']:.3f} over {int(fit['n']):,} respondents"],
        # themes every respondent mentions, or that others determine, cannot be drivers
        "notes": list(found.notes),
    }


PostBy = Literal["platform", "brand", "brand_role", "influencer", "language"]


class SocialEngagementParams(Params):
    """Parameters of social engagement."""

    by: list[PostBy] = Field(default_factory=lambda: ["platform"], max_length=2)
    every: Every | None = None


def _social_engagement(ws: Workspace, p: SocialEngagementParams) -> dict[str, Part]:
    return {"engagement": ws.social.engagement(list(dict.fromkeys(p.by)) or None, p.every)}


class ShareOfVoiceParams(Params):
    """Parameters of share of voice."""

    every: Every | None = None
    interval: Literal["wilson", "goodman"] = "wilson"


def _share_of_voice(ws: Workspace, p: ShareOfVoiceParams) -> dict[str, Part]:
    return {"share_of_voice": ws.social.share_of_voice(every=p.every, interval=p.interval)}


class SocialSentimentParams(Params):
    """Parameters of sentiment by brand."""

    every: Every | None = None


def _social_sentiment(ws: Workspace, p: SocialSentimentParams) -> dict[str, Part]:
    return {"sentiment": ws.social.sentiment(every=p.every)}


class SocialAlertsParams(Params):
    """Parameters of negative-spike alerts."""

    every: Literal["week", "month", "quarter"] = "month"
    all_periods: bool = Field(False, description="Every tested period, not only the alerts.")


def _social_alerts(ws: Workspace, p: SocialAlertsParams) -> dict[str, Part]:
    return {"alerts": ws.social.alerts(p.every, all_periods=p.all_periods)}


class InfluencersParams(Params):
    """Parameters of influencer effectiveness."""

    kind: Literal["influencer", "campaign", "all"] = "influencer"
    horizon_days: int | None = Field(None, ge=1, le=3650, description="Revenue window.")


def _influencers(ws: Workspace, p: InfluencersParams) -> dict[str, Part]:
    kind = None if p.kind == "all" else p.kind
    return {"influencers": ws.social.influencers(kind, horizon_days=p.horizon_days)}


class IdentityFlagsParams(Params):
    """Parameters of the identity flags."""

    default_region: str = Field("GB", pattern=r"^[A-Z]{2}$", description="For phone numbers.")
    top: int = Field(1000, ge=1, le=100_000, description="Flags returned.")


def _identity_flags(ws: Workspace, p: IdentityFlagsParams) -> dict[str, Part]:
    flags = ws.identity.flags(p.default_region)
    return {"flags": flags.head(p.top), "summary": [f"{len(flags):,} values flagged"]}


register(AnalysisSpec("themes", "Themes of the comments: share, sentiment, quotes, emerging",
                      ThemesParams, _themes))  # fmt: skip
register(AnalysisSpec("theme-impact", "Points of a score each theme accounts for, with intervals",
                      ThemeImpactParams, _theme_impact))  # fmt: skip
register(AnalysisSpec("theme-drivers", "Themes as drivers of a score (relative weights)",
                      ThemeDriversParams, _theme_drivers))  # fmt: skip
register(AnalysisSpec("social-engagement", "Engagement rate of posts by platform, brand...",
                      SocialEngagementParams, _social_engagement))  # fmt: skip
register(AnalysisSpec("social-share-of-voice", "Share of voice by brand with intervals",
                      ShareOfVoiceParams, _share_of_voice))  # fmt: skip
register(AnalysisSpec("social-sentiment", "Sentiment of posts per brand with intervals",
                      SocialSentimentParams, _social_sentiment))  # fmt: skip
register(AnalysisSpec("social-alerts", "Spikes in a brand's share of negative posts",
                      SocialAlertsParams, _social_alerts))  # fmt: skip
register(AnalysisSpec("social-influencers", "Influencer deals: cost, acquisitions, lift",
                      InfluencersParams, _influencers))  # fmt: skip
register(AnalysisSpec("identity-flags", "Empty and invalid identity values (holds PII)",
                      IdentityFlagsParams, _identity_flags, role="analyst"))  # fmt: skip
