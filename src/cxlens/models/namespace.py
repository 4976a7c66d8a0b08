"""``ws.models``: the predictive models of a Workspace behind one object, as ``ws.analysis`` is.

Each method builds its per-customer table in the engine, fits on it and returns the result
object of the module behind it (:mod:`cxlens.models.clv`, :mod:`cxlens.models.churn_analysis`,
:mod:`cxlens.models.offers`, :mod:`cxlens.models.survival`); those functions take a
Workspace too.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd

from cxlens.models import churn_analysis as _churn
from cxlens.models import clv as _clv
from cxlens.models import offers as _offers
from cxlens.models import survival as _survival
from cxlens.store.catalog import Catalog


class Models:
    """The predictive models of one Workspace: CLV, churn risk, offers, survival.

    Example:
        >>> result = ws.models.clv(horizon_months=12)  # doctest: +SKIP
        >>> result.customers[["customer_id", "clv", "clv_tier"]].head()  # doctest: +SKIP
    """

    def __init__(self, workspace: Catalog) -> None:
        self._ws = workspace

    def clv(self, horizon_months: int = 12, *, save: bool = False, **kw: Any) -> _clv.ClvResult:
        """Return customer lifetime value (BG/NBD + Gamma-Gamma) over ``horizon_months``.

        When the fit on all purchases is degenerate (regular payments such as
        subscriptions) and transactions have categories, CLV is refitted on the
        discretionary ones (:func:`cxlens.models.clv.clv_auto`); the report, the command
        line and the API all get this same fit. ``result.failed_checks`` lists the checks
        the fit fails (:mod:`cxlens.models.checks`).

        With ``save`` the CLV tiers are stored as ``clv_tier`` in ``customer_segments``, so
        every metric can be grouped by them (``by=["clv_tier"]``). Other keywords go to
        :func:`cxlens.models.clv.clv` (discount_rate, as_of, holdout_months, tiers...).

        Returns:
            ClvResult: ``customers`` (per-customer CLV and tier), fitted parameters, the
            holdout check, and CLV and LTV:CAC by segment and acquisition channel.
        """
        result = _clv.clv_auto(self._ws, horizon_months, **kw)
        if save:
            _clv.save_clv_tiers(self._ws, result)
        return result

    def churn(self, horizon_days: int = 90, **kw: Any) -> _churn.ChurnResult:
        """Return the churn model: held-out metrics, calibration, scores and reasons.

        Keywords go to :func:`cxlens.models.churn_analysis.churn` (definition, cutoff,
        train_snapshots, model).

        Returns:
            ChurnResult with ``scores`` (probability, risk band, top reasons per customer),
            ``evaluation`` (ROC-AUC, PR-AUC, Brier on the held-out cut-off), ``calibration``.
        """
        return _churn.churn(self._ws, horizon_days=horizon_days, **kw)

    def offers(self, k: int = 3, **kw: Any) -> _offers.OffersResult:
        """Return product affinities, next-best offers per customer and their evaluation.

        Keywords go to :func:`cxlens.models.offers.offers` (basket, item, not_offered...).

        Returns:
            OffersResult with ``affinities`` (support, confidence, lift), ``offers`` (top
            ``k`` per customer by expected value) and ``evaluation`` (hit rate at k against
            the popularity baseline on a time split).
        """
        return _offers.offers(self._ws, k=k, **kw)

    def retention_targets(
        self,
        *,
        churn: _churn.ChurnResult | None = None,
        clv: _clv.ClvResult | None = None,
        horizon_days: int = 90,
        horizon_months: int = 12,
    ) -> pd.DataFrame:
        """Return the retention target list: customers at risk, ranked by value at risk.

        Value at risk is CLV times churn probability; only customers at or above the
        training base rate (medium or high risk band) are targets. Pass fitted results to
        reuse them; otherwise both models are fitted with their defaults.

        Returns:
            DataFrame: rank, customer_id, churn_probability, risk_band, clv, value_at_risk,
            cumulative_share and the top reasons (see
            :func:`cxlens.models.churn_analysis.value_at_risk`).
        """
        churn = churn or self.churn(horizon_days)
        clv = clv or self.clv(horizon_months)
        return _churn.value_at_risk(churn.scores, clv.customers)

    def at_risk(
        self,
        *,
        churn: _churn.ChurnResult | None = None,
        clv: _clv.ClvResult | None = None,
        horizon_days: int = 90,
        horizon_months: int = 12,
    ) -> _churn.RiskSummary:
        """Return the at-risk figures: active, high-risk and at-risk customers, value at risk.

        The one source of these numbers for the report, the command line and the API
        (:func:`cxlens.models.churn_analysis.risk_summary`).

        Example:
            >>> ws.models.at_risk().high_risk  # doctest: +SKIP
            1472
        """
        churn = churn or self.churn(horizon_days)
        clv = clv or self.clv(horizon_months)
        return _churn.risk_summary(churn.scores, clv.customers, clv.currency)

    def survival(self, by: str | None = "segment", **kw: Any) -> _survival.SurvivalCurves:
        """Return Kaplan-Meier survival curves of customers by ``by`` (statsmodels).

        Returns:
            SurvivalCurves with ``curves``, ``summary`` (median lifetime, survival at 6, 12
            and 24 months) and ``figure()``.
        """
        return _survival.survival_curves(self._ws, by, **kw)

    def cox(self, covariates: Sequence[str] = ("segment",), **kw: Any) -> pd.DataFrame:
        """Return hazard ratios of a Cox proportional-hazards model on ``covariates``."""
        return _survival.cox(self._ws, covariates, **kw)
