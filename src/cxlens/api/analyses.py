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
from typing import Any, Literal

import pandas as pd
from pydantic import BaseModel, ConfigDict, Field

from cxlens.analysis.features import plan_features, profile
from cxlens.analysis.kpis import filter_columns
from cxlens.errors import SchemaError
from cxlens.store.workspace import Workspace

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
    by: list[str] = Field(default_factory=list, max_length=2)
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

    by: list[str] = Field(default_factory=list, max_length=2)
    min_n: int = Field(30, ge=1, le=1_000_000)


def _profiles(ws: Workspace, p: ProfilesParams) -> dict[str, Part]:
    # profile() checks ``by`` against the feature columns before running anything
    return {"profiles": profile(plan_features(ws).expr, p.by or None, min_n=p.min_n)}


class KpiParams(Params):
    """Parameters of the KPI status."""

    every: Literal["week", "month", "quarter", "year"] = "month"
    as_of: str | None = Field(None, pattern=r"^\d{4}-\d{2}-\d{2}$", description="YYYY-MM-DD")


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
