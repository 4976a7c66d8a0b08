"""Predictive customer models: CLV (BG/NBD + Gamma-Gamma), churn risk and survival, offers.

The estimators follow scikit-learn's conventions; the Workspace functions build their
per-customer tables in the engine. ``ws.models`` (:class:`cxlens.models.namespace.Models`)
puts them behind one object.
"""

from __future__ import annotations

from cxlens.models.beta_geo import BetaGeo
from cxlens.models.churn import ChurnDefinition
from cxlens.models.churn_model import ChurnModel
from cxlens.models.gamma_gamma import GammaGamma

__all__ = ["BetaGeo", "ChurnDefinition", "ChurnModel", "GammaGamma"]
