"""The two implementations the churn-train benchmark times: cxlens and "sklearn-hgb".

Both read the cached Parquet (timed), train gradient-boosted trees on the train part,
calibrate them with isotonic regression on the calibration part (which the trees never
saw), and score every customer (the whole table, as a scoring run would).

* cxlens: :class:`cxlens.models.churn_model.ChurnModel` with its defaults (LightGBM, early
  stopping on the calibration part, isotonic calibration chosen by ``"auto"``).
* sklearn-hgb: ``HistGradientBoostingClassifier`` (categorical features from the pandas
  dtype, its own early stopping on a 10% validation split of the train part) wrapped in
  ``CalibratedClassifierCV(FrozenEstimator(...), method="isotonic")`` fitted on the
  calibration part.

Every workload's ``tidy`` returns ``{"quality": frame}``: one row with the test part's
ROC-AUC, PR-AUC, Brier score, base rate and rows scored.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from benchmarks.churn_train_data import FEATURES, read_parts


def _quality(test: pd.DataFrame, p_test: np.ndarray, scored: int) -> dict[str, pd.DataFrame]:
    from cxlens.models.churn_eval import evaluate

    got = evaluate(test["churned"].to_numpy(), p_test)
    row = {k: got[k] for k in ("roc_auc", "pr_auc", "brier", "brier_baseline", "base_rate", "n")}
    return {"quality": pd.DataFrame([{**row, "scored": scored}])}


class CxlensWorkload:
    """cxlens: ``ChurnModel().fit(train, calibration=...)`` then ``predict_proba`` on all rows."""

    def __init__(self, path: str) -> None:
        self.path = path

    def run(self) -> dict[str, Any]:
        """Read, train, calibrate and score."""
        from cxlens.models.churn_model import ChurnModel

        parts = read_parts(self.path)
        train, cal = parts["train"], parts["calibration"]
        model = ChurnModel().fit(
            train[list(FEATURES)], train["churned"].to_numpy(),
            X_calibration=cal[list(FEATURES)], y_calibration=cal["churned"].to_numpy(),
        )  # fmt: skip
        scores = {
            name: model.predict_proba(part[list(FEATURES)])[:, 1] for name, part in parts.items()
        }
        return {"parts": parts, "scores": scores, "trees": model.n_trees_}

    def tidy(self, result: dict[str, Any]) -> dict[str, pd.DataFrame]:
        """Return the test part's quality figures."""
        scored = sum(len(s) for s in result["scores"].values())
        out = _quality(result["parts"]["test"], result["scores"]["test"], scored)
        out["quality"]["trees"] = result["trees"]
        return out


class SklearnWorkload:
    """sklearn-hgb: HistGradientBoostingClassifier + CalibratedClassifierCV (isotonic)."""

    def __init__(self, path: str) -> None:
        self.path = path

    def run(self) -> dict[str, Any]:
        """Read, train, calibrate and score."""
        from sklearn.calibration import CalibratedClassifierCV
        from sklearn.ensemble import HistGradientBoostingClassifier
        from sklearn.frozen import FrozenEstimator

        parts = read_parts(self.path)
        train, cal = parts["train"], parts["calibration"]
        hgb = HistGradientBoostingClassifier(
            categorical_features="from_dtype", early_stopping=True, random_state=0
        ).fit(train[list(FEATURES)], train["churned"].to_numpy())
        calibrated = CalibratedClassifierCV(FrozenEstimator(hgb), method="isotonic")
        calibrated.fit(cal[list(FEATURES)], cal["churned"].to_numpy())
        scores = {
            name: calibrated.predict_proba(part[list(FEATURES)])[:, 1]
            for name, part in parts.items()
        }
        return {"parts": parts, "scores": scores, "trees": int(hgb.n_iter_)}

    def tidy(self, result: dict[str, Any]) -> dict[str, pd.DataFrame]:
        """Return the test part's quality figures."""
        return CxlensWorkload.tidy(self, result)  # type: ignore[arg-type]


def factories() -> dict[str, tuple[str, Any]]:
    """Return ``{name: (target, kwargs(path))}`` for every implementation, cxlens first."""

    def kwargs(path: str) -> dict[str, Any]:
        return {"path": str(path)}

    return {
        "cxlens": ("benchmarks.churn_train_impls:CxlensWorkload", kwargs),
        "sklearn-hgb": ("benchmarks.churn_train_impls:SklearnWorkload", kwargs),
    }
