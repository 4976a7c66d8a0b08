"""``ws.analysis``: every analysis of a Workspace behind one object, as ``ws.metrics`` is."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pandas as pd

from cxlens.analysis import drivers as _drivers
from cxlens.analysis import effort as _effort
from cxlens.analysis import loyalty as _loyalty
from cxlens.analysis import monetization as _money
from cxlens.analysis import segments as _segments
from cxlens.store.catalog import Catalog

if TYPE_CHECKING:  # imported when called, as insights() is
    from cxlens.analysis.insights import InsightScan


@dataclass
class Monetization:
    """What NPS and CSAT are worth: correlations, value per NPS group, and +N points.

    ``correlations``: customer-level correlations of scores with revenue, frequency,
    retention and value; ``by_group``: value per promoter, passive and detractor;
    ``uplift``: value of moving customers between groups, with ``uplift.assumptions``.
    """

    correlations: pd.DataFrame
    by_group: pd.DataFrame
    uplift: _money.NpsUplift


@dataclass
class Segments:
    """RFM segments and behaviour-and-attitude clusters, stored in ``customer_segments``."""

    rfm: pd.DataFrame
    clusters: _segments.ClusterResult


@dataclass
class Effort:
    """Customer effort: CES against loyalty outcomes, by band, and by touchpoint."""

    correlations: pd.DataFrame
    bands: pd.DataFrame
    by_touchpoint: pd.DataFrame


class Analysis:
    """The analyses of one Workspace (drivers, monetisation, effort, loyalty, segments, insights).

    Each method reads the Workspace's tables, aggregates in the engine, fits on the small
    per-response or per-customer tables the engine builds, and returns tidy tables. The
    functions behind them live in ``cxlens.analysis.*`` and work on frames too.

    Example:
        >>> ws.analysis.drivers("nps").head(3)  # doctest: +SKIP
    """

    def __init__(self, workspace: Catalog) -> None:
        self._ws = workspace

    def drivers(
        self,
        target: str = "nps",
        drivers: Sequence[str] | None = None,
        *,
        by: Sequence[str] | str | None = None,
        method: str = "relative_weights",
        **kw: Any,
    ) -> pd.DataFrame:
        """Return key driver importance of ``target`` (see ``drivers_for_workspace``).

        Columns: ``*by, driver, raw_weight, rescaled_weight, sign, ci_low, ci_high,
        importance_rank, correlation, beta, n, r_squared, small_sample``.
        """
        return _drivers.drivers_for_workspace(self._ws, target, drivers, by=by, method=method, **kw)

    def priority_matrix(
        self, target: str = "nps", drivers: Sequence[str] | None = None, **kw: Any
    ) -> pd.DataFrame:
        """Return importance × performance per driver with its quadrant ("fix first", ...)."""
        return _drivers.priority_matrix(self._ws, target, drivers, **kw)

    def monetization(
        self,
        points: float = 5,
        *,
        n_boot: int = 1000,
        seed: int = 0,
        confidence: float = 0.95,
        min_n: int = 30,
        as_of: Any = None,
    ) -> Monetization:
        """Return correlations with value, value per NPS group and the +``points`` uplift."""
        common = {"confidence": confidence, "min_n": min_n, "as_of": as_of}
        if self._ws.has_table("transactions"):
            _money.transactions_currency(self._ws)  # revenue in two currencies is never summed
        features = _money.customer_features(self._ws, as_of=as_of)
        return Monetization(
            correlations=_money.correlations(
                self._ws, features=features, n_boot=n_boot, seed=seed, **common
            ),
            by_group=_money.value_by_nps_group(self._ws, **common),
            uplift=_money.nps_uplift(self._ws, points, **common),
        )

    def effort(self, **kw: Any) -> Effort:
        """Return CES against CSAT, NPS, repurchase and churn, by band and by touchpoint."""
        return Effort(
            correlations=_effort.effort_correlations(self._ws, **kw),
            bands=_effort.effort_bands(self._ws, **kw),
            by_touchpoint=_effort.effort_by_touchpoint(self._ws),
        )

    def effort_bands(self, **kw: Any) -> pd.DataFrame:
        """Return loyalty outcomes per CES band (``effort_bands``), one part of ``effort``."""
        return _effort.effort_bands(self._ws, **kw)

    def effort_by_touchpoint(self, **kw: Any) -> pd.DataFrame:
        """Return loyalty at stake per touchpoint (``effort_by_touchpoint``)."""
        return _effort.effort_by_touchpoint(self._ws, **kw)

    def nps_uplift(self, points: float = 5, **kw: Any) -> _money.NpsUplift:
        """Return the value of +``points`` NPS points alone, as ``monetization().uplift``."""
        return _money.nps_uplift(self._ws, points, **kw)

    def value_correlations(self, **kw: Any) -> pd.DataFrame:
        """Return the correlations of scores with value, as ``monetization().correlations``."""
        return _money.correlations(self._ws, **kw)

    def segment_profile(self, by: str = "cluster", **kw: Any) -> pd.DataFrame:
        """Return the saved segments' profile by ``by`` (``cluster`` or ``rfm_segment``)."""
        return _segments.segment_profile(self._ws, by, **kw)

    def loyalty_matrix(
        self, attitude: str = "nps", behaviour: str = "frequency", **kw: Any
    ) -> _loyalty.LoyaltyMatrix:
        """Return the 2 × 2 loyalty matrix: ``.summary`` per quadrant, ``.labels`` per customer."""
        return _loyalty.loyalty_matrix(self._ws, attitude, behaviour, **kw)

    def segments(self, k: int | None = None, *, save: bool = True, **kw: Any) -> Segments:
        """Return RFM segments and k-means clusters; ``save`` stores both for grouping.

        After saving, ``ws.metrics.nps(by=["cluster"])`` and ``by=["rfm_segment"]`` work.
        """
        rfm = _segments.rfm(self._ws, as_of=kw.get("as_of"))
        found = _segments.clusters(self._ws, k, **kw)
        if save:
            _segments.save_segments(self._ws, rfm)
            _segments.save_segments(self._ws, found.labels)
        return Segments(rfm=rfm, clusters=found)

    def insights(self, **kw: Any) -> pd.DataFrame:
        """Return what changed and where, ranked best first, each with a sentence."""
        from cxlens.analysis.insights import insights

        return insights(self._ws, **kw)

    def insight_scan(self, **kw: Any) -> InsightScan:
        """Return the findings with the scan behind them (every test, the untested groups)."""
        from cxlens.analysis.insights import insight_scan

        return insight_scan(self._ws, **kw)
