"""The checks a model fit must pass before any view shows its figures, by hand."""

from __future__ import annotations

import math
from types import SimpleNamespace

import pandas as pd
import pytest

from cxlens.models.checks import (
    AUC_MARGIN,
    DEGENERATE_BOUND,
    HOLDOUT_ERROR_BOUND,
    check_note,
    churn_checks,
    clv_checks,
    holdout_error,
)


def holdout(predicted: list[float], actual: list[float], customers: list[int]) -> pd.DataFrame:
    return pd.DataFrame({"customers": customers, "predicted": predicted, "actual": actual})


def test_holdout_error_sums_purchases_over_customers():
    # predicted 10*1 + 30*3 = 100 purchases, actual 10*1 + 30*2 = 70: |100 - 70| / 70
    assert holdout_error(holdout([1.0, 3.0], [1.0, 2.0], [10, 30])) == pytest.approx(30 / 70)
    assert math.isnan(holdout_error(holdout([], [], [])))
    assert math.isnan(holdout_error(holdout([1.0], [0.0], [5])))  # nothing bought after


def test_a_sound_clv_fit_passes_and_each_failure_is_named():
    sound = SimpleNamespace(degenerate={}, holdout=holdout([2.1, 4.0], [2.0, 4.1], [50, 50]))
    assert clv_checks(sound) == []
    # the demo's runaway fit (r 3.7e6 and p 1.86e17 in the issue) and a holdout 40% off
    bad = SimpleNamespace(
        degenerate={"r": 3.7e6, "alpha": 9.1e7, "p": 1.86e17},
        holdout=holdout([1.4], [1.0], [100]),
    )
    failed = clv_checks(bad)
    assert [f.check for f in failed] == ["degenerate parameters", "holdout error"]
    assert "r = 3.7e+06, alpha = 9.1e+07 days, p = 1.86e+17" in failed[0].reason
    assert f"above {DEGENERATE_BOUND:g}" in failed[0].reason
    assert "40% more or fewer purchases" in failed[1].reason
    assert f"bound {HOLDOUT_ERROR_BOUND:.0%}" in failed[1].reason
    # exactly at the bound still passes
    edge = SimpleNamespace(degenerate={}, holdout=holdout([1.25], [1.0], [8]))
    assert clv_checks(edge) == []


def test_a_churn_model_near_a_random_order_fails():
    assert churn_checks({"roc_auc": 0.5 + AUC_MARGIN + 0.001}) == []
    assert churn_checks({"roc_auc": 0.5 - AUC_MARGIN - 0.001}) == []  # inverted, but skilled
    failed = churn_checks({"roc_auc": 0.54, "churners_test": 45})
    assert failed[0].check == "no ranking skill"
    assert "ROC-AUC is 0.540, within 0.05 of the 0.5 of a random order (45 churners" in (
        failed[0].reason
    )
    assert churn_checks({"roc_auc": float("nan")})[0].check == "no ranking skill"
    note = check_note(failed)
    assert note.startswith("The churn model is not shown as results: no ranking skill: ")
    assert note.endswith(f"What would fix it: {failed[0].fix}.")
    assert check_note([]) == ""
