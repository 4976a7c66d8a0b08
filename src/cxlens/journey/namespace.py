"""``ws.journey``: customer journey mapping over a Workspace's events, responses and customers."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import ibis
import ibis.expr.types as ir
import pandas as pd

from cxlens.errors import ArgumentError
from cxlens.journey import emotion as _emotion
from cxlens.journey import funnel as _funnel
from cxlens.journey import pain_points as _pain
from cxlens.journey import paths as _paths
from cxlens.journey import time_in_stage as _time
from cxlens.journey import touchpoints as _tp
from cxlens.journey.cases import CaseSpec
from cxlens.schema.derived import COMMENT_SENTIMENT_TABLE, SEGMENTS_TABLE
from cxlens.store.catalog import Catalog


class Journey:
    """Journey analyses of one Workspace: touchpoints, paths, funnels, time, emotion, pain points.

    A journey is one customer's events by default; ``Journey(ws, case="session")`` uses
    ``session_id``, and ``gap="30D"`` splits journeys at longer inactivity. Every method
    aggregates the events in the engine (Ibis window functions) and returns a tidy table.

    Example:
        >>> ws.journey.dfg().head(3)  # doctest: +SKIP
        >>> Journey(ws, case="session").variants(top=5)  # doctest: +SKIP
    """

    def __init__(
        self, workspace: Catalog, *, case: str = "customer", gap: str | pd.Timedelta | None = None
    ) -> None:
        self._ws = workspace
        self.spec = CaseSpec(case, gap)

    def with_cases(self, case: str = "customer", gap: str | pd.Timedelta | None = None) -> Journey:
        """Return the same analyses over journeys cut another way (``"session"``, a gap)."""
        return Journey(self._ws, case=case, gap=gap)

    def _events(self) -> ir.Table:
        return self._ws.table("events")

    def _optional(self, name: str) -> ir.Table | None:
        return self._ws.table(name) if self._ws.has_table(name) else None

    def _customers(self) -> ir.Table | None:
        """Return customers with the saved segment labels joined on, when both exist."""
        customers = self._optional("customers")
        saved = self._optional(SEGMENTS_TABLE)
        if customers is None or saved is None:
            return customers
        extra = [c for c in saved.columns if c != "customer_id" and c not in customers.columns]
        if not extra:
            return customers
        saved = saved.select(*extra, _sid=saved["customer_id"])
        joined = customers.left_join(saved, customers["customer_id"] == saved["_sid"])
        return joined.drop("_sid")

    def sql(self, what: str = "dfg", **kw: Any) -> str:
        """Return the engine SQL of ``"dfg"`` or ``"funnel"`` (``stages=[...]`` for the funnel).

        Example:
            >>> print(ws.journey.sql("funnel", stages=["awareness", "purchase"]))  # doctest: +SKIP
        """
        if what == "dfg":
            return str(ibis.to_sql(_paths.dfg_expr(self._events(), self.spec, **kw)))
        if what == "funnel":
            stages = kw.pop("stages", None)
            expr = _funnel.funnel_expr(
                self._events(), stages or [], self.spec, customers=self._customers(), **kw
            )
            return str(ibis.to_sql(expr))
        raise ArgumentError(f"no SQL for {what!r}; use 'dfg' or 'funnel'")

    def touchpoints(self) -> pd.DataFrame:
        """Return reach, share of journeys, typical position and top channel per touchpoint.

        See :func:`cxlens.journey.touchpoints.touchpoints` for the columns.
        """
        return _tp.touchpoints(self._events(), self.spec)

    def channel_mix(self) -> pd.DataFrame:
        """Return ``touchpoint, channel, events, share`` (the channel mix of each touchpoint)."""
        return _tp.channel_mix(self._events(), self.spec)

    def touchpoints_per_customer(self) -> _tp.TouchpointsPerCustomer:
        """Return the distribution of distinct touchpoints per customer and its summary."""
        return _tp.touchpoints_per_customer(self._events())

    def dfg(self, *, level: str = "touchpoint", ends: bool = False) -> pd.DataFrame:
        """Return the directly-follows graph.

        Columns: ``source, target, count, mean_seconds, median_seconds``.
        """
        return _paths.dfg(self._events(), self.spec, level=level, ends=ends)

    def variants(
        self, *, top: int | None = 20, level: str = "touchpoint", **kw: Any
    ) -> pd.DataFrame:
        """Return the most common journey variants with share, conversion, NPS and churn.

        Keywords go to :func:`cxlens.journey.paths.variants` (collapse, max_steps, converted...).
        """
        return _paths.variants(
            self._events(), self.spec, responses=self._optional("responses"),
            customers=self._optional("customers"), level=level, top=top, **kw,
        )  # fmt: skip

    def paths(self, anchor: str, *, direction: str = "after", **kw: Any) -> pd.DataFrame:
        """Return the paths after (or before) the first ``anchor``: ``path, journeys, share``."""
        return _paths.paths_around(self._events(), anchor, self.spec, direction=direction, **kw)

    def flows(self, *, steps: int = 5, level: str = "touchpoint", **kw: Any) -> pd.DataFrame:
        """Return ``step, source, target, count``: moves from step k to k + 1 (for the Sankey)."""
        return _paths.flows(self._events(), self.spec, steps=steps, level=level, **kw)

    def funnel(
        self,
        stages: Sequence[str],
        *,
        level: str = "stage",
        by: Sequence[str] | str | None = None,
        **kw: Any,
    ) -> pd.DataFrame:
        """Return the ordered funnel over ``stages``: entries, conversion, drop-off and timing.

        See :func:`cxlens.journey.funnel.funnel`; ``by`` may name event columns (channel)
        or customer columns (segment, or labels saved in ``customer_segments``).
        """
        return _funnel.funnel(
            self._events(), stages, self.spec, level=level, by=by,
            customers=self._customers(), **kw,
        )  # fmt: skip

    def time_in_stage(self, *, every: str | None = None) -> pd.DataFrame:
        """Return dwell and active time per stage (quantiles), optionally per period."""
        return _time.time_in_stage(self._events(), self.spec, every=every)

    def time_between_stages(self) -> pd.DataFrame:
        """Return the stage-level graph without self-loops (the time between stages)."""
        graph = self.dfg(level="stage")
        return graph[graph["source"] != graph["target"]].reset_index(drop=True)

    def stage_trends(self, **kw: Any) -> pd.DataFrame:
        """Return per stage the monthly change of dwell time and whether it grows."""
        return _time.stage_trends(self._events(), self.spec, **kw)

    def time_vs_score(self, score: str = "ces", **kw: Any) -> pd.DataFrame:
        """Return the Spearman link between time in a stage and the ``score`` left there."""
        return _time.time_vs_score(
            self._events(), self._ws.table("responses"), self.spec, score=score, **kw
        )

    def emotion(self, **kw: Any) -> pd.DataFrame:
        """Return NPS, CSAT, CES, sentiment and emotion per touchpoint, in journey order.

        The emotion is the comments' sentiment when ``ws.text.sentiment()`` has saved
        ``comment_sentiment`` (or responses has a ``sentiment`` column), else score-based.
        """
        positions = _tp.touchpoints(self._events(), self.spec) if self._ws.has_table(
            "events") else None  # fmt: skip
        return _emotion.emotion(self._responses_with_sentiment(), positions, **kw)

    def _responses_with_sentiment(self) -> ir.Table:
        """Responses, with ``sentiment`` joined from ``comment_sentiment`` when it is saved."""
        responses = self._ws.table("responses")
        saved = COMMENT_SENTIMENT_TABLE
        if "sentiment" in responses.columns or not self._ws.has_table(saved):
            return responses
        scores = self._ws.table(saved)
        scores = scores.select(_sid=scores["response_id"], sentiment=scores["score"])
        joined = responses.left_join(scores, responses["response_id"] == scores["_sid"])
        return joined.drop("_sid")

    def pain_points(self, **kw: Any) -> pd.DataFrame:
        """Return touchpoints (overall and per segment) where bad outcomes got more likely.

        See :func:`cxlens.journey.pain_points.pain_points` (compare="past" or "rest").
        """
        return _pain.pain_points(self._ws.table("responses"), self._customers(), **kw)
