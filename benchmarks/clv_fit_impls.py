"""The two implementations the clv-fit benchmark times: cxlens and lifetimes.

Both fit BG/NBD on every customer and Gamma-Gamma on the repeat customers of the same
arrays, read from the benchmark's Parquet file before the clock starts:

* cxlens: ``BetaGeo().fit(frequency, recency, T)`` and ``GammaGamma().fit(frequency,
  monetary_value)`` (it keeps the repeat customers itself);
* lifetimes: ``BetaGeoFitter().fit(frequency, recency, T)`` and
  ``GammaGammaFitter().fit(frequency[x > 0], monetary_value[x > 0])`` (it refuses zero spend).
  Its ``fit`` also computes the Hessian of the log-likelihood (autograd) for standard errors;
  that is part of the call a user makes, so it is part of the time.

Every workload's ``tidy`` returns ``{"params": frame}``: ``model``, ``param`` and ``value``
(lifetimes' Gamma-Gamma ``v`` is cxlens's ``gamma``).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

#: Parameter order per model.
PARAMS = {"bg_nbd": ("r", "alpha", "a", "b"), "gamma_gamma": ("p", "q", "gamma")}


def _arrays(summary: str) -> tuple[np.ndarray, ...]:
    frame = pd.read_parquet(summary)
    return tuple(
        frame[c].to_numpy(dtype=float) for c in ("frequency", "recency", "T", "monetary_value")
    )


def _params_frame(bg: dict[str, float], gg: dict[str, float]) -> pd.DataFrame:
    rows = [("bg_nbd", k, float(bg[k])) for k in PARAMS["bg_nbd"]]
    rows += [("gamma_gamma", k, float(gg[k])) for k in PARAMS["gamma_gamma"]]
    return pd.DataFrame(rows, columns=["model", "param", "value"])


class CxlensWorkload:
    """``BetaGeo().fit`` then ``GammaGamma().fit`` on the cached arrays."""

    def __init__(self, summary: str) -> None:
        from cxlens.models import BetaGeo, GammaGamma  # imported untimed

        self.models = BetaGeo, GammaGamma
        self.x, self.t_x, self.big_t, self.m = _arrays(summary)

    def run(self) -> Any:
        """Fit both models once."""
        beta_geo, gamma_gamma = self.models
        bg = beta_geo().fit(self.x, self.t_x, self.big_t)
        gg = gamma_gamma().fit(self.x, self.m)
        return bg.params_, gg.params_

    def tidy(self, result: Any) -> dict[str, pd.DataFrame]:
        """Return the fitted parameters."""
        return {"params": _params_frame(*result)}


class LifetimesWorkload:
    """lifetimes' ``BetaGeoFitter().fit`` then ``GammaGammaFitter().fit`` on the same arrays."""

    def __init__(self, summary: str) -> None:
        from lifetimes import BetaGeoFitter, GammaGammaFitter  # imported untimed

        self.models = BetaGeoFitter, GammaGammaFitter
        self.x, self.t_x, self.big_t, self.m = _arrays(summary)

    def run(self) -> Any:
        """Fit both models once."""
        beta_geo, gamma_gamma = self.models
        bg = beta_geo().fit(self.x, self.t_x, self.big_t)
        repeat = self.x > 0
        gg = gamma_gamma().fit(self.x[repeat], self.m[repeat])
        return dict(bg.params_), {
            "p": gg.params_["p"],
            "q": gg.params_["q"],
            "gamma": gg.params_["v"],
        }

    def tidy(self, result: Any) -> dict[str, pd.DataFrame]:
        """Return the fitted parameters (``v`` renamed ``gamma``)."""
        return {"params": _params_frame(*result)}


def factories() -> dict[str, tuple[str, Any]]:
    """Return ``{implementation: (target, kwargs-builder)}`` for the harness."""
    here = __name__

    def kwargs(ds: Any) -> dict[str, str]:
        return {"summary": str(ds.files["summary"])}

    return {
        "cxlens": (f"{here}:CxlensWorkload", kwargs),
        "lifetimes": (f"{here}:LifetimesWorkload", kwargs),
    }
