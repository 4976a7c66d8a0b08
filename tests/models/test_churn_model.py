"""The churn estimator and its evaluation: planted logistic truth, hand-computed metrics, Telco."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import log_loss, roc_auc_score

from cxlens.errors import ArgumentError, NotEnoughDataError, SchemaError
from cxlens.models.churn_eval import calibration_table, curves, evaluate
from cxlens.models.churn_model import (
    ChurnModel,
    LogisticChurnModel,
    calibration_losses,
    choose_calibration,
)

TELCO = Path(__file__).resolve().parents[3] / "shared" / "data" / "telco-churn" / "telco_churn.csv"


def planted(n: int, seed: int) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    """Churn with a known probability: logit = -2.5 + 1.2 x + 1.0 [plan == b], noise unused."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=n)
    plan = rng.choice(["a", "b", "c"], size=n)
    noise = rng.normal(size=n)
    x_shown = np.where(rng.random(n) < 0.05, np.nan, x)  # some missing values
    p = 1 / (1 + np.exp(-(-2.5 + 1.2 * x + 1.0 * (plan == "b"))))
    y = rng.random(n) < p
    frame = pd.DataFrame({"x": x_shown, "plan": plan, "noise": noise})
    return frame, y, p


@pytest.fixture(scope="module")
def fitted():
    X, y, _ = planted(12_000, seed=1)
    return ChurnModel(n_jobs=1).fit(X, y)


def test_discrimination_and_calibration_match_the_truth(fitted):
    X, y, p_true = planted(8_000, seed=2)
    p = fitted.predict_proba(X)[:, 1]
    oracle = roc_auc_score(y, p_true)
    assert roc_auc_score(y, p) > oracle - 0.02
    got, best = evaluate(y, p), evaluate(y, p_true)
    assert got["brier"] < best["brier"] * 1.04  # within 4% of the true probabilities
    assert abs(p.mean() - p_true.mean()) < 0.01
    table = calibration_table(y, p, bins=5)
    assert (np.abs(table["predicted_mean"] - table["observed_rate"]) < 0.04).all()
    # >= 200 of each class held back: isotonic is compared too; the lowest loss is chosen
    losses = fitted.calibration_losses_
    assert set(losses) == {"none", "sigmoid", "isotonic"}
    assert fitted.calibration_method_ == choose_calibration(losses)
    assert fitted.n_calibration_ == pytest.approx(0.25 * 12_000, abs=2)
    # early stopping watched a fifth of the other rows, never the calibration slice
    assert fitted.n_stopping_ == pytest.approx(0.2 * 9_000, abs=2)
    assert fitted.n_train_ + fitted.n_stopping_ + fitted.n_calibration_ == 12_000
    assert fitted.n_trees_ < 1000  # early stopping kept fewer rounds


def test_contributions_add_up_and_reasons_point_the_right_way(fitted):
    X = pd.DataFrame({"x": [2.5, -2.0, np.nan], "plan": ["b", "a", "c"], "noise": [0.0] * 3})
    contrib = fitted.contributions(X)
    raw = fitted.predict_raw(X)
    np.testing.assert_allclose(contrib.sum(axis=1), np.log(raw / (1 - raw)), rtol=1e-6)
    reasons = fitted.reasons(X, top=2)
    first = reasons[reasons["rank"] == 1].set_index("row")
    assert first.loc[0, "feature"] == "x" and first.loc[0, "direction"] == "raises risk"
    assert first.loc[1, "feature"] == "x" and first.loc[1, "direction"] == "lowers risk"
    assert first.loc[0, "value"] == "2.5" and first.loc[2, "value"] in ("missing", "c")
    names = dict(zip(fitted.feature_names_, fitted.feature_importances_, strict=True))
    assert names["noise"] < names["plan"] < names["x"]


def test_unseen_levels_and_explicit_calibration_slices():
    X, y, _ = planted(3_000, seed=3)
    Xc, yc, _ = planted(1_500, seed=4)
    model = ChurnModel(calibration="sigmoid", n_jobs=1).fit(
        X, y, X_calibration=Xc, y_calibration=yc
    )
    assert model.n_train_ + model.n_stopping_ == 3_000 and model.n_calibration_ == 1_500
    assert model.calibration_method_ == "sigmoid"
    new = pd.DataFrame({"x": [0.0], "plan": ["zzz"], "noise": [0.0]})
    assert 0 < model.predict_proba(new)[0, 1] < 1  # an unseen level is treated as missing
    auto = ChurnModel(n_jobs=1).fit(X, y, X_calibration=Xc.iloc[:300], y_calibration=yc[:300])
    assert set(auto.calibration_losses_) == {"none", "sigmoid"}  # too few churners for isotonic


def test_the_calibration_slice_never_steers_early_stopping():
    # the same training rows with two different calibration slices grow the same trees
    X, y, _ = planted(3_000, seed=3)
    Xc, yc, _ = planted(1_500, seed=4)
    one = ChurnModel(n_jobs=1).fit(X, y, X_calibration=Xc, y_calibration=yc)
    two = ChurnModel(n_jobs=1).fit(X, y, X_calibration=Xc.iloc[::-1], y_calibration=1 - yc)
    assert one.n_trees_ == two.n_trees_
    np.testing.assert_array_equal(one.predict_raw(Xc), two.predict_raw(Xc))


def test_calibration_is_kept_only_when_it_lowers_the_out_of_fold_log_loss():
    rng = np.random.default_rng(8)
    raw = rng.uniform(0.02, 0.98, 3_000)
    honest = rng.random(3_000) < raw  # the raw probabilities are right
    losses = calibration_losses(raw, honest)
    assert choose_calibration(losses) == "none"
    assert losses["none"] == pytest.approx(log_loss(honest, raw))
    skewed = rng.random(3_000) < raw**3  # far too high: a calibration must win
    losses = calibration_losses(raw, skewed)
    assert choose_calibration(losses) == min(losses, key=losses.get) != "none"
    assert min(losses.values()) < losses["none"] - 0.05
    assert set(calibration_losses(raw[:40], honest[:40])) == {"none", "sigmoid"}
    assert set(calibration_losses(raw[:8], honest[:8])) == {"none"}  # too few to compare


def test_logistic_baseline_reasons_add_up_to_its_log_odds():
    X, y, p_true = planted(4_000, seed=6)
    model = LogisticChurnModel().fit(X, y)
    p = model.predict_proba(X)[:, 1]
    contrib = model.contributions(X.head(50))
    np.testing.assert_allclose(contrib.sum(axis=1), np.log(p[:50] / (1 - p[:50])), rtol=1e-9)
    assert roc_auc_score(y, p) > roc_auc_score(y, p_true) - 0.02  # the truth is logistic
    reasons = model.reasons(X.head(5), top=1)
    assert set(reasons["feature"]) <= {"x", "plan", "noise"}
    names = dict(zip(model.feature_names_, model.feature_importances_, strict=True))
    assert names["noise"] < names["plan"] < names["x"]


def test_estimator_errors():
    X, y, _ = planted(500, seed=5)
    with pytest.raises(ArgumentError, match="not fitted yet"):
        ChurnModel().predict_proba(X)
    with pytest.raises(ArgumentError, match="must be 0/1 or boolean"):
        ChurnModel().fit(X, np.where(y, 2, 0))
    with pytest.raises(NotEnoughDataError, match="got 0 churned"):
        ChurnModel().fit(X, np.zeros(len(X), dtype=bool))
    with pytest.raises(ArgumentError, match="calibration='platt' is unknown"):
        ChurnModel(calibration="platt").fit(X, y)  # type: ignore[arg-type]
    model = ChurnModel(n_estimators=20, early_stopping_rounds=None, n_jobs=1).fit(X, y)
    with pytest.raises(SchemaError, match=r"lacks the feature columns .*noise"):
        model.predict_proba(X.drop(columns="noise"))
    with pytest.raises(ArgumentError, match="X_calibration was given without y_calibration"):
        ChurnModel().fit(X, y, X_calibration=X)


def test_metrics_against_hand_computed_values():
    y, p = [0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]
    got = evaluate(y, p, reference_rate=0.25)
    assert got["roc_auc"] == pytest.approx(0.75)  # 3 of 4 churner-stayer pairs ordered
    assert got["pr_auc"] == pytest.approx(0.5 * 1 + 0.5 * 2 / 3)  # AP: precision 1, then 2/3
    brier = (0.1**2 + 0.4**2 + 0.65**2 + 0.2**2) / 4
    assert got["brier"] == pytest.approx(brier)
    assert got["brier_baseline"] == pytest.approx((2 * 0.25**2 + 2 * 0.75**2) / 4)
    assert got["lift_top_decile"] == pytest.approx(2.0)  # the top row churned; base rate 0.5
    table = calibration_table(y, p, bins=2)
    assert table["n"].tolist() == [2, 2] and table["churners"].tolist() == [1, 1]
    assert table["predicted_mean"].tolist() == pytest.approx([0.225, 0.6])
    c = curves(y, p)
    roc = c[c["curve"] == "roc"]
    assert np.trapezoid(roc["y"], roc["x"]) == pytest.approx(0.75)
    with pytest.raises(NotEnoughDataError, match="churners and stayers"):
        evaluate([1, 1], [0.3, 0.4])


@pytest.mark.skipif(not TELCO.exists(), reason="../shared/data/telco-churn is not present")
def test_telco_churn_on_a_random_split():
    """Real data: IBM Telco (4,930 customers), 70/30 stratified split; published ROC-AUC ~0.84."""
    df = pd.read_csv(TELCO)
    df["totalcharges"] = pd.to_numeric(df["totalcharges"], errors="coerce")
    y = (df.pop("churn") == "Yes").to_numpy()
    X = df.drop(columns="customerid")
    rng = np.random.default_rng(11)
    test = np.zeros(len(X), dtype=bool)
    for label in (False, True):
        idx = np.flatnonzero(y == label)
        test[rng.choice(idx, size=round(0.3 * len(idx)), replace=False)] = True
    model = ChurnModel(n_jobs=1).fit(X[~test], y[~test])
    got = evaluate(y[test], model.predict_proba(X[test])[:, 1], reference_rate=model.base_rate_)
    assert got["roc_auc"] > 0.82
    assert got["pr_auc"] > 0.6  # base rate about 0.27
    assert got["brier"] < 0.75 * got["brier_baseline"]
    top = model.reasons(X[test].head(200), top=1)
    assert "contract" in set(top["feature"])  # month-to-month contracts drive Telco churn
    # the chosen calibration is no worse than the raw probabilities on held-out customers
    # (isotonic calibration fitted on the early-stopping slice gave 0.476 against 0.421)
    raw = model.predict_raw(X[test])
    assert got["log_loss"] <= log_loss(y[test], raw) + 1e-12
    losses = model.calibration_losses_
    assert model.calibration_method_ == choose_calibration(losses)
    # a plain logistic regression on the same split is about as good (published: ~0.84)
    baseline = LogisticChurnModel().fit(X[~test], y[~test])
    p_base = baseline.predict_proba(X[test])[:, 1]
    assert abs(roc_auc_score(y[test], p_base) - got["roc_auc"]) < 0.015
