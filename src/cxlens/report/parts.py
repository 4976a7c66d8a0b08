"""Every analysis section of the report, in order: the one place that runs them all."""

from __future__ import annotations

from typing import TYPE_CHECKING

from cxlens.report.analyses import (
    REPORT_BOOTSTRAP,
    REPORT_TOP_INSIGHTS,
    AnalysisPart,
    drivers_part,
    effort_part,
    insights_part,
    kpis_part,
    loyalty_part,
    segments_part,
    value_part,
)
from cxlens.report.journey_parts import journey_part
from cxlens.report.models_parts import model_parts
from cxlens.report.voice_parts import voice_parts

if TYPE_CHECKING:
    from cxlens.workspace import Workspace


def analysis_parts(
    ws: Workspace,
    *,
    every: str = "month",
    confidence: float = 0.95,
    min_n: int = 30,
    bootstrap: int = REPORT_BOOTSTRAP,
    top_insights: int = REPORT_TOP_INSIGHTS,
    seed: int = 0,
) -> dict[str, AnalysisPart]:
    """Run every analysis the report shows; keys in :data:`PART_ORDER`.

    Args:
        ws: the Workspace.
        every: period grain of the insights scan and the KPI status.
        confidence: level of every interval.
        min_n: small-sample threshold (answers or customers).
        bootstrap: resamples for the driver intervals and the value correlations.
        top_insights: insights listed under "What changed".
        seed: seed of the bootstraps.

    Returns:
        Dict key -> :class:`AnalysisPart`; a part's section is None when it is left out
        (no saved segments, no KPI defined). The model parts (clv, churn, offers) share one
        CLV and one churn fit (:mod:`cxlens.report.models_parts`); journeys come from
        :mod:`cxlens.report.journey_parts`; voice (themes) and social from
        :mod:`cxlens.report.voice_parts`.

    Example:
        >>> import cxlens
        >>> parts = analysis_parts(cxlens.Workspace(":memory:"))
        >>> [k for k, p in parts.items() if p.section is not None][-4:]
        ['offers', 'journeys', 'voice', 'social']
    """
    return {
        "kpis": kpis_part(ws, every=every),
        "insights": insights_part(
            ws, every=every, confidence=confidence, min_n=min_n, top=top_insights
        ),
        "drivers": drivers_part(ws, bootstrap=bootstrap, confidence=confidence, seed=seed),
        "effort": effort_part(ws, confidence=confidence, min_n=min_n),
        "loyalty": loyalty_part(ws, confidence=confidence, min_n=min_n),
        "value": value_part(ws, bootstrap=bootstrap, confidence=confidence, min_n=min_n, seed=seed),
        "segments": segments_part(ws, confidence=confidence, min_n=min_n),
        **model_parts(ws, confidence=confidence, min_n=min_n, seed=seed),
        "journeys": journey_part(ws, confidence=confidence, min_n=min_n),
        **voice_parts(
            ws, bootstrap=bootstrap, confidence=confidence, min_n=min_n, every=every, seed=seed
        ),
    }
