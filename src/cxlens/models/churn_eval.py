"""Held-out evaluation of churn probabilities: discrimination, calibration and their curves.

Pure functions of labels and predicted probabilities (one value per customer), so they serve
the churn model, the benchmark and any other scorer alike.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike
from sklearn.metrics import (
    average_precision_score,
    brier_score_loss,
    log_loss,
    precision_recall_curve,
    roc_auc_score,
    roc_curve,
)

from cxlens.errors import ArgumentError, NotEnoughDataError
from cxlens.metrics.stats import check_confidence, wilson_interval

#: Columns of :func:`calibration_table`.
CALIBRATION_COLUMNS = (
    "bin",
    "n",
    "churners",
    "predicted_mean",
    "observed_rate",
    "ci_low",
    "ci_high",
)
#: Columns of :func:`curves`.
CURVE_COLUMNS = ("curve", "x", "y", "threshold")


def _pair(y: ArrayLike, p: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    labels = np.asarray(y).astype(int)
    prob = np.asarray(p, dtype=float)
    if labels.shape != prob.shape or labels.ndim != 1:
        raise ArgumentError(
            f"labels and probabilities must be 1-D and the same length; got {labels.shape} "
            f"and {prob.shape}"
        )
    if not np.all(np.isfinite(prob)) or prob.min(initial=0) < 0 or prob.max(initial=0) > 1:
        raise ArgumentError("probabilities must be finite numbers between 0 and 1")
    churners = int(labels.sum())
    if churners == 0 or churners == len(labels):
        raise NotEnoughDataError(
            f"evaluation needs churners and stayers; got {churners} of {len(labels)} churned"
        )
    return labels, prob


def evaluate(
    y: ArrayLike, p: ArrayLike, *, reference_rate: float | None = None
) -> dict[str, float]:
    """Return ROC-AUC, PR-AUC, Brier score and their baselines on held-out labels.

    Args:
        y: 1 where the customer churned in the window.
        p: predicted churn probability.
        reference_rate: the constant forecast the Brier score is compared with (default:
            the observed rate, the best constant in hindsight; pass the training rate for
            the forecast one could actually have made).

    Returns:
        dict with ``roc_auc``, ``pr_auc`` (average precision), ``brier``, ``brier_baseline``
        (Brier of forecasting ``reference_rate`` for everybody), ``brier_skill``
        (``1 - brier / brier_baseline``), ``log_loss``, ``base_rate`` (observed churn share),
        ``lift_top_decile`` (churn share in the riskiest tenth over ``base_rate``), ``n``
        and ``churners``.

    Example:
        >>> out = evaluate([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])
        >>> out["roc_auc"], out["n"]
        (0.75, 4)
    """
    labels, prob = _pair(y, p)
    rate = float(labels.mean())
    ref = rate if reference_rate is None else float(reference_rate)
    baseline = float(np.mean((ref - labels) ** 2))
    brier = float(brier_score_loss(labels, prob))
    top = np.argsort(-prob, kind="stable")[: max(1, int(np.ceil(len(prob) / 10)))]
    return {
        "roc_auc": float(roc_auc_score(labels, prob)),
        "pr_auc": float(average_precision_score(labels, prob)),
        "brier": brier,
        "brier_baseline": baseline,
        "brier_skill": 1.0 - brier / baseline if baseline > 0 else float("nan"),
        "log_loss": float(log_loss(labels, np.clip(prob, 1e-12, 1 - 1e-12), labels=[0, 1])),
        "base_rate": rate,
        "lift_top_decile": float(labels[top].mean() / rate),
        "n": len(labels),
        "churners": int(labels.sum()),
    }


def calibration_table(
    y: ArrayLike, p: ArrayLike, *, bins: int = 10, confidence: float = 0.95
) -> pd.DataFrame:
    """Return predicted against observed churn in bins of equal size (by predicted rank).

    Bins of equal count rather than equal width, because churn probabilities crowd near the
    base rate; each observed rate carries a Wilson interval, so a bin whose interval misses
    its predicted mean is miscalibrated beyond chance.

    Args:
        y: 1 where the customer churned in the window.
        p: predicted churn probability.
        bins: number of bins (fewer when there are fewer rows).
        confidence: two-sided level of the intervals.

    Returns:
        DataFrame with ``bin`` (1 = lowest risk), ``n``, ``churners``, ``predicted_mean``,
        ``observed_rate``, ``ci_low``, ``ci_high`` (shares in [0, 1]).

    Example:
        >>> t = calibration_table([0, 0, 1, 1], [0.1, 0.2, 0.7, 0.9], bins=2)
        >>> t["observed_rate"].tolist()
        [0.0, 1.0]
    """
    check_confidence(confidence)
    if isinstance(bins, bool) or not isinstance(bins, int) or bins < 1:
        raise ArgumentError(f"bins must be a positive integer; got {bins!r}")
    labels, prob = _pair(y, p)
    order = np.argsort(prob, kind="stable")
    group = np.empty(len(prob), dtype=int)
    group[order] = np.arange(len(prob)) * min(bins, len(prob)) // len(prob)
    frame = pd.DataFrame({"bin": group + 1, "y": labels, "p": prob})
    agg = frame.groupby("bin").agg(
        n=("y", "size"), churners=("y", "sum"), predicted_mean=("p", "mean")
    )
    agg["observed_rate"] = agg["churners"] / agg["n"]
    low, high = wilson_interval(
        agg["churners"].to_numpy(float), agg["n"].to_numpy(float), confidence
    )
    agg["ci_low"], agg["ci_high"] = low, high
    out = agg.reset_index()
    out["n"] = out["n"].astype("int64")
    out["churners"] = out["churners"].astype("int64")
    return out[list(CALIBRATION_COLUMNS)]


def curves(y: ArrayLike, p: ArrayLike) -> pd.DataFrame:
    """Return the ROC and precision-recall curves as one tidy table.

    Returns:
        DataFrame with ``curve`` ("roc": x = false positive rate, y = true positive rate;
        "pr": x = recall, y = precision), ``x``, ``y`` and ``threshold`` (NaN where the
        curve point has none).

    Example:
        >>> sorted(curves([0, 1, 0, 1], [0.1, 0.9, 0.3, 0.6])["curve"].unique())
        ['pr', 'roc']
    """
    labels, prob = _pair(y, p)
    fpr, tpr, roc_thr = roc_curve(labels, prob)
    precision, recall, pr_thr = precision_recall_curve(labels, prob)
    roc = pd.DataFrame({"curve": "roc", "x": fpr, "y": tpr, "threshold": roc_thr})
    pr_thresholds = np.append(pr_thr, np.nan)  # the last PR point (recall 0) has none
    pr = pd.DataFrame({"curve": "pr", "x": recall, "y": precision, "threshold": pr_thresholds})
    out = pd.concat([roc, pr], ignore_index=True)
    out["threshold"] = out["threshold"].where(np.isfinite(out["threshold"]))
    return out
