"""The two implementations the drivers benchmark times: cxlens and "statsmodels-pandas".

Both compute Johnson's (2000) relative weights of NPS on the five driver ratings of the
complete responses (NPS and every driver answered), with 95% bootstrap percentile intervals
from 1,000 resamples, seed 0.

* cxlens: ``ws.analysis.drivers("nps", bootstrap=1000, seed=0)`` on the Workspace file. The
  engine collapses the answers into distinct (NPS, ratings) patterns with counts; a resample
  is a multinomial draw of counts over the patterns (``cxlens.analysis._bootstrap``).
* statsmodels-pandas: what an analyst would write: ``pd.read_parquet`` (timed), ``dropna``,
  the correlation matrix with numpy, relative weights through ``numpy.linalg.eigh``, an OLS
  fit with statsmodels for R² and the standardized coefficients, and a row bootstrap:
  ``np.random.default_rng(0).integers(0, n, n)`` picks the rows of each of the 1,000
  resamples and the correlation matrix is computed again on them.

Every workload's ``tidy`` returns ``{"weights": frame}`` with the columns of ``TIDY_COLUMNS``,
one row per driver, sorted by driver.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from benchmarks.drivers_data import WEIGHTS

TARGET = "nps"
DRIVERS = tuple(WEIGHTS)
BOOTSTRAP = 1000
SEED = 0
CONFIDENCE = 0.95
TIDY_COLUMNS = [
    "driver",
    "n",
    "raw_weight",
    "rescaled_weight",
    "ci_low",
    "ci_high",
    "correlation",
    "beta",
    "r_squared",
    "r_squared_ci_low",
    "r_squared_ci_high",
]


class CxlensWorkload:
    """cxlens: ``ws.analysis.drivers("nps", bootstrap=..., seed=0)`` on the Workspace."""

    def __init__(self, workspace: str, bootstrap: int = BOOTSTRAP) -> None:
        from cxlens import Workspace

        self.ws = Workspace(workspace)
        self.bootstrap = bootstrap

    def run(self) -> pd.DataFrame:
        """Run the key driver analysis with its bootstrap."""
        return self.ws.analysis.drivers(TARGET, bootstrap=self.bootstrap, seed=SEED)

    def tidy(self, result: pd.DataFrame) -> dict[str, pd.DataFrame]:
        """Return the weights, intervals and fit per driver."""
        out = result[["driver", "n", "raw_weight", "rescaled_weight", "ci_low", "ci_high"]].copy()
        out["correlation"] = result["correlation"]
        out["beta"] = result["beta"]
        for col in ("r_squared", "r_squared_ci_low", "r_squared_ci_high"):
            out[col] = result[col]
        return {"weights": _sorted(out)}


def relative_weights(corr: np.ndarray) -> tuple[np.ndarray, float]:
    """Johnson's relative weights from a correlation matrix (target first): raw weights, R².

    With the drivers' correlations ``Rxx = V diag(λ) Vᵀ`` (``numpy.linalg.eigh``), the
    drivers' correlations with their orthogonal counterparts are ``Λ = V diag(√λ) Vᵀ``; the
    target's coefficients on the counterparts are ``β = Λ⁻¹ rxy``; the raw weights
    ``(Λ ∘ Λ) β²`` add up to R² = ``Σ β²``.

    Example:
        >>> c = np.array([[1.0, 0.5, 0.3], [0.5, 1.0, 0.0], [0.3, 0.0, 1.0]])
        >>> raw, r2 = relative_weights(c)
        >>> raw.round(4).tolist(), round(r2, 4)
        ([0.25, 0.09], 0.34)
    """
    rxx, rxy = corr[1:, 1:], corr[1:, 0]
    values, vectors = np.linalg.eigh(rxx)
    lam = vectors @ np.diag(np.sqrt(values)) @ vectors.T
    beta = np.linalg.solve(lam, rxy)
    return (lam**2) @ beta**2, float(beta @ beta)


class StatsmodelsPandasWorkload:
    """Baseline "statsmodels-pandas": read the Parquet, relative weights, row bootstrap."""

    def __init__(self, responses: str, bootstrap: int = BOOTSTRAP) -> None:
        import statsmodels.api as sm  # imported before timing, as cxlens is

        self.sm = sm
        self.responses = responses
        self.bootstrap = bootstrap

    def run(self) -> dict[str, Any]:
        """Read the answers (timed), estimate, fit OLS and bootstrap the rows."""
        sm = self.sm
        frame = pd.read_parquet(self.responses, columns=[TARGET, *DRIVERS]).dropna()
        values = frame.to_numpy(dtype=np.float64)
        n = len(values)
        corr = np.corrcoef(values, rowvar=False)
        raw, r2 = relative_weights(corr)
        ols = sm.OLS(values[:, 0], sm.add_constant(values[:, 1:])).fit()
        sd = values.std(axis=0)
        beta = ols.params[1:] * sd[1:] / sd[0]

        rng = np.random.default_rng(SEED)
        replicates = np.empty((self.bootstrap, len(DRIVERS) + 1))
        for b in range(self.bootstrap):
            rows = rng.integers(0, n, n)
            raw_b, r2_b = relative_weights(np.corrcoef(values[rows], rowvar=False))
            replicates[b, :-1] = 100.0 * raw_b / r2_b
            replicates[b, -1] = r2_b
        alpha = (1.0 - CONFIDENCE) / 2.0
        low, high = np.quantile(replicates, [alpha, 1.0 - alpha], axis=0)
        return {
            "n": n,
            "raw": raw,
            "r2": r2,
            "ols_r2": float(ols.rsquared),
            "corr": corr[0, 1:],
            "beta": beta,
            "low": low,
            "high": high,
        }

    def tidy(self, result: dict[str, Any]) -> dict[str, pd.DataFrame]:
        """Return the weights, intervals and fit per driver (and OLS's R² for the check)."""
        p = len(DRIVERS)
        out = pd.DataFrame(
            {
                "driver": list(DRIVERS),
                "n": result["n"],
                "raw_weight": result["raw"],
                "rescaled_weight": 100.0 * result["raw"] / result["r2"],
                "ci_low": result["low"][:p],
                "ci_high": result["high"][:p],
                "correlation": result["corr"],
                "beta": result["beta"],
                "r_squared": result["r2"],
                "r_squared_ci_low": result["low"][p],
                "r_squared_ci_high": result["high"][p],
            }
        )
        out["ols_r_squared"] = result["ols_r2"]
        return {"weights": _sorted(out)}


def _sorted(frame: pd.DataFrame) -> pd.DataFrame:
    frame = frame.copy()
    frame.attrs = {}
    frame["n"] = frame["n"].astype("int64")
    return frame.sort_values("driver", ignore_index=True)


def factories(bootstrap: int = BOOTSTRAP) -> dict[str, tuple[str, Any]]:
    """Return ``{implementation: (target, kwargs-builder)}`` for the harness."""
    here = __name__
    return {
        "cxlens": (
            f"{here}:CxlensWorkload",
            lambda db, ds: {"workspace": str(db), "bootstrap": bootstrap},
        ),
        "statsmodels-pandas": (
            f"{here}:StatsmodelsPandasWorkload",
            lambda db, ds: {"responses": str(Path(ds.responses)), "bootstrap": bootstrap},
        ),
    }
