"""Every analysis section of the report, in order: the one place that runs them all."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from cxlens.report.analyses import (
    PART_ORDER,
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
from cxlens.report.collection_parts import collection_part
from cxlens.report.journey_parts import journey_part
from cxlens.report.models_parts import ModelFits, model_parts
from cxlens.report.voice_parts import voice_parts

if TYPE_CHECKING:
    from cxlens.workspace import Workspace

#: The steps of :func:`analysis_parts`, in the order they run, as progress shows them.
ANALYSIS_STEPS: tuple[str, ...] = (
    "KPI status",
    "what changed",
    "drivers of NPS",
    "customer effort",
    "loyalty matrix",
    "value of NPS",
    "customer segments",
    "themes and social posts",
    "CLV, churn and offer models",
    "customer journeys",
    "survey collection",
)


def analysis_parts(
    ws: Workspace,
    *,
    every: str = "month",
    confidence: float = 0.95,
    min_n: int = 30,
    bootstrap: int = REPORT_BOOTSTRAP,
    top_insights: int = REPORT_TOP_INSIGHTS,
    seed: int = 0,
    fits: ModelFits | None = None,
    progress: Callable[[str], None] | None = None,
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
        fits: the CLV and churn fits to use (shared with the executive summary, so each
            model is fitted once per report); default: fitted here.
        progress: called with each step's name (:data:`ANALYSIS_STEPS`) as it starts.

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
    fits = fits or ModelFits(ws, confidence=confidence, min_n=min_n, seed=seed)
    builders: tuple[Callable[[], dict[str, AnalysisPart]], ...] = (
        lambda: {"kpis": kpis_part(ws, every=every)},
        lambda: {"insights": insights_part(ws, every=every, confidence=confidence, min_n=min_n,
                                           top=top_insights)},
        lambda: {"drivers": drivers_part(ws, bootstrap=bootstrap, confidence=confidence,
                                         seed=seed, fit=lambda: fits.drivers(bootstrap))},
        lambda: {"effort": effort_part(ws, confidence=confidence, min_n=min_n)},
        lambda: {"loyalty": loyalty_part(ws, confidence=confidence, min_n=min_n)},
        lambda: {"value": value_part(ws, bootstrap=bootstrap, confidence=confidence,
                                     min_n=min_n, seed=seed)},
        lambda: {"segments": segments_part(ws, confidence=confidence, min_n=min_n)},
        # themes before the models: scoring the comments saves their sentiment, which the
        # churn features read; so the report's churn model is the one the CLI and API fit
        lambda: voice_parts(ws, bootstrap=bootstrap, confidence=confidence, min_n=min_n,
                            every=every, seed=seed),
        lambda: model_parts(ws, confidence=confidence, min_n=min_n, seed=seed, fits=fits),
        lambda: {"journeys": journey_part(ws, confidence=confidence, min_n=min_n)},
        lambda: {"collection": collection_part(ws, confidence=confidence)},
    )  # fmt: skip
    parts: dict[str, AnalysisPart] = {}
    for step, build in zip(ANALYSIS_STEPS, builders, strict=True):
        if progress is not None:
            progress(step)
        parts.update(build())
    # in reading order, whatever order they ran in
    return {k: parts[k] for k in (*PART_ORDER, *parts) if k in parts}
