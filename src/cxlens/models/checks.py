"""The checks a model fit must pass before its figures are shown: one home for every view.

A fit that fails one of them is shown as a note with the reason and what data would fix it,
not as results, in the report, the command line and the API alike (they all call
:func:`clv_checks` / :func:`churn_checks` and :func:`check_note`).

CLV (:func:`cxlens.models.clv.clv`):

- degenerate parameters: r, alpha (in days), p or q above :data:`DEGENERATE_BOUND` (the
  optimiser ran to the edge of the parameter space; regular payments are not Poisson
  purchases);
- holdout error: the purchases the calibration fit predicts for the holdout period, summed
  over customers, differ from the actual ones by more than :data:`HOLDOUT_ERROR_BOUND` of the
  actual (Fader, Hardie & Lee 2005 report 2% on CDNOW).

Churn (:func:`cxlens.models.churn_analysis.churn`):

- no ranking skill: held-out ROC-AUC within :data:`AUC_MARGIN` of 0.5 (a random order).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

#: A fitted r, alpha (in days), p or q above this means the optimiser ran to the edge of the
#: parameter space (a degenerate fit; see :mod:`cxlens.models.clv`). Healthy fits on real
#: purchase logs are far below it (CDNOW: r 0.24, alpha 31 days; p 6.3, q 3.7).
DEGENERATE_BOUND = 1e4

#: Largest relative error of the summed holdout purchases a CLV fit may have:
#: |predicted - actual| / actual.
HOLDOUT_ERROR_BOUND = 0.25

#: A held-out ROC-AUC closer than this to 0.5 means the churn model cannot rank customers.
AUC_MARGIN = 0.05


@dataclass(frozen=True)
class FitCheck:
    """One failed check of a model fit: what was found and what data would fix it.

    Example:
        >>> FitCheck("CLV", "holdout error", "predicted 30% too many", "more history").check
        'holdout error'
    """

    model: str
    check: str
    reason: str
    fix: str


def clv_checks(result: Any) -> list[FitCheck]:
    """Return the checks a CLV fit (a :class:`cxlens.models.clv.ClvResult`) fails.

    Empty: its figures can be shown.

    Example:
        >>> clv_checks(ws.models.clv())  # doctest: +SKIP
        []
    """
    failed = []
    if result.degenerate:
        shown = ", ".join(
            f"{k} = {v:.3g}" + (" days" if k == "alpha" else "")
            for k, v in result.degenerate.items()
        )
        failed.append(
            FitCheck(
                "CLV",
                "degenerate parameters",
                f"the fit ran to the edge of its parameter space ({shown}, above "
                f"{DEGENERATE_BOUND:g}): purchases are regular (e.g. subscription payments), "
                "not the random repeat purchases BG/NBD and Gamma-Gamma describe",
                "regular payments (subscriptions) in a category of their own in the "
                "transactions, so CLV can be fitted on the discretionary purchases; or a "
                "history in which customers' purchase rates differ",
            )
        )
    error = holdout_error(result.holdout)
    if math.isfinite(error) and error > HOLDOUT_ERROR_BOUND:
        failed.append(
            FitCheck(
                "CLV",
                "holdout error",
                f"fitted before the holdout period, the model predicts {error:.0%} more or fewer "
                f"purchases in it than customers made (bound {HOLDOUT_ERROR_BOUND:.0%})",
                "a longer purchase history (several purchase cycles before the holdout "
                "period) or more repeat customers",
            )
        )
    return failed


def holdout_error(holdout: Any) -> float:
    """Return |predicted - actual| / actual of the holdout purchases, summed over customers.

    NaN when there is no holdout check or no actual purchase.

    Example:
        >>> import pandas as pd
        >>> h = pd.DataFrame({"customers": [10, 30], "predicted": [1.0, 3.0],
        ...                   "actual": [1.0, 2.0]})
        >>> round(holdout_error(h), 3)  # (10 + 90 - 10 - 60) / 70
        0.429
    """
    if holdout is None or len(holdout) == 0:
        return math.nan
    n = holdout["customers"].astype(float)
    predicted = float((n * holdout["predicted"].astype(float)).sum())
    actual = float((n * holdout["actual"].astype(float)).sum())
    return abs(predicted - actual) / actual if actual > 0 else math.nan


def churn_checks(evaluation: dict[str, Any]) -> list[FitCheck]:
    """Return the checks a churn model fails (empty: its scores can be shown).

    Example:
        >>> churn_checks({"roc_auc": 0.52, "n_test": 800, "churners_test": 30})[0].check
        'no ranking skill'
        >>> churn_checks({"roc_auc": 0.81})
        []
    """
    auc = float(evaluation.get("roc_auc", math.nan))
    if math.isfinite(auc) and abs(auc - 0.5) >= AUC_MARGIN:
        return []
    churners = evaluation.get("churners_test")
    seen = f" ({int(churners):,} churners held out)" if churners is not None else ""
    return [
        FitCheck(
            "churn",
            "no ranking skill",
            f"on held-out customers the model's ROC-AUC is {auc:.3f}, within {AUC_MARGIN:g} of "
            f"the 0.5 of a random order{seen}: its risk scores do not tell leavers from stayers",
            "more churners to learn from (a longer history or more customers) and customer "
            "signals that precede churn (survey scores, purchases, events)",
        )
    ]


def check_note(failed: Sequence[FitCheck]) -> str:
    """Say in one paragraph why a fit is not shown and what data would fix it ("" if none).

    Example:
        >>> check_note([FitCheck("churn", "no ranking skill", "AUC 0.51", "more churners")])
        'The churn model is not shown as results: no ranking skill: AUC 0.51. What would fix it: more churners.'
    """  # noqa: E501
    if not failed:
        return ""
    reasons = "; ".join(f"{f.check}: {f.reason}" for f in failed)
    fixes = "; ".join(dict.fromkeys(f.fix for f in failed))
    model = failed[0].model
    what = "fit" if model == "CLV" else "model"
    return f"The {model} {what} is not shown as results: {reasons}. What would fix it: {fixes}."
