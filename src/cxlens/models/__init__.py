"""Predictive customer models: BG/NBD purchase counts and Gamma-Gamma spend (CLV)."""

from __future__ import annotations

from cxlens.models.beta_geo import BetaGeo
from cxlens.models.gamma_gamma import GammaGamma

__all__ = ["BetaGeo", "GammaGamma"]
