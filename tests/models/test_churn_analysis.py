"""churn(ws) end to end on the sample: held-out quality, scores, reasons, charts, target list."""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import pytest

from cxlens.errors import ArgumentError, SchemaError
from cxlens.models.churn_analysis import (
    SCORE_COLUMNS,
    TARGET_COLUMNS,
    churn,
    risk_bands,
    risk_summary,
    value_at_risk,
)
from cxlens.models.churn_model import ChurnModel, LogisticChurnModel
from tests.analysis.test_features import sample_workspace


@pytest.fixture(scope="module")
def result(tmp_path_factory):
    ws, data = sample_workspace(tmp_path_factory.mktemp("churn-e2e"), customers=2000, seed=7)
    out = churn(ws, horizon_days=90, model=ChurnModel(n_jobs=1))
    yield out, data, ws
    ws.close()


def test_held_out_quality_beats_chance_and_the_base_rate(result):
    r, _, _ = result
    e = r.evaluation
    # measured 0.639 (2,000 customers, seed 7; 62 churners held out, AUC s.e. about 0.035)
    assert e["roc_auc"] > 0.58
    assert e["brier"] < e["brier_baseline"]  # calibrated forecasts beat the base rate
    assert e["pr_auc"] > 1.4 * e["base_rate"]
    assert e["n_test"] == len(r.holdout) and e["churners_test"] == int(r.holdout.churned.sum())
    assert e["evaluation_cutoff"] > e["calibration_cutoff"] > max(e["train_cutoffs"])
    assert "Held out: ROC-AUC" in r.summary() and "Contractual churn" in r.summary()


@pytest.mark.slow  # scores every comment's sentiment, then trains again
def test_the_model_is_the_same_before_and_after_the_comments_are_scored(result):
    r, _, ws = result
    answers = ws.table("responses").select("response_id", "nps").execute()
    # an informative score (the NPS answer rescaled to [-1, 1]): the old features used it
    # as soon as the table existed, and the held-out AUC moved
    score = (answers["nps"].fillna(5.0) / 5.0 - 1.0).to_numpy()
    ws.save_table(
        "comment_sentiment", pd.DataFrame({"response_id": answers.response_id, "score": score})
    )
    try:
        after = churn(ws, horizon_days=90, model=ChurnModel(n_jobs=1))
        assert after.evaluation["roc_auc"] == r.evaluation["roc_auc"]
        pd.testing.assert_frame_equal(after.scores, r.scores)
        asked = churn(ws, horizon_days=90, model=ChurnModel(n_jobs=1), sentiment=True)
        assert asked.evaluation["roc_auc"] != r.evaluation["roc_auc"]
    finally:
        ws.con.drop_table("comment_sentiment", force=True)


def test_satisfaction_drives_the_model_as_planted(result):
    r, data, _ = result
    assert data.truth["churn"]["satisfaction_coefficient"] > 0  # less satisfied leave sooner
    top = r.importance["feature"].head(3).tolist()
    assert {"mean_nps", "mean_csat", "mean_ces", "last_nps"} & set(top)
    nps = r.reasons[r.reasons["feature"] == "mean_nps"].copy()
    nps["value"] = pd.to_numeric(nps["value"], errors="coerce")
    low = nps[nps["value"] <= 5]["direction"]
    assert len(low) and (low == "raises risk").mean() > 0.8


def test_scores_cover_the_active_customers_with_three_reasons(result):
    r, data, _ = result
    s = r.scores
    assert list(s.columns) == list(SCORE_COLUMNS)
    customers = data.tables["customers"]
    active = customers[customers["churned_at"].isna()]["customer_id"]
    assert set(s["customer_id"]) == set(active)
    assert s["churn_probability"].is_monotonic_decreasing
    assert s["churn_probability"].between(0, 1).all()
    assert s[["reason_1", "reason_2", "reason_3"]].notna().all().all()
    assert s["reason_1"].str.contains(r"\((?:raises|lowers) risk\)").all()
    want = risk_bands(s["churn_probability"].to_numpy(), r.model.base_rate_)
    assert (s["risk_band"].to_numpy() == want).all()
    assert r.reasons.groupby("customer_id").size().eq(3).all()


def test_charts_are_plotly_figures(result):
    r, _, _ = result
    for fig in (r.calibration_figure(), r.roc_pr_figure(), r.importance_figure()):
        assert isinstance(fig, go.Figure) and len(fig.data) >= 1
    assert r.calibration["n"].sum() == r.evaluation["n_test"]


def test_value_at_risk_ranks_the_customers_at_risk_by_clv_times_probability(result):
    r, _, _ = result
    s = r.scores
    rng = np.random.default_rng(0)
    clv = pd.DataFrame({"customer_id": s["customer_id"], "clv": rng.uniform(10, 1000, len(s))})
    clv = clv.iloc[:-5]  # five customers without a CLV
    got = value_at_risk(s, clv)
    assert list(got.columns) == list(TARGET_COLUMNS)
    # by hand: only customers at or above the training base rate (medium or high band)
    merged = s.merge(clv, on="customer_id")
    merged["var"] = merged["clv"] * merged["churn_probability"]
    at_risk = merged[merged["churn_probability"] >= r.model.base_rate_]
    assert 0 < len(got) == len(at_risk) < len(merged)
    assert set(got["risk_band"]) <= {"high", "medium"}
    np.testing.assert_allclose(got["value_at_risk"], at_risk["var"].sort_values(ascending=False))
    # shares of the value at risk of every customer with a CLV, not of the targets only
    share = at_risk["var"].sum() / merged["var"].sum()
    assert got["cumulative_share"].iloc[-1] == pytest.approx(share)
    assert got["rank"].tolist() == list(range(1, len(got) + 1))
    with pytest.raises(SchemaError, match="clv lacks column"):
        value_at_risk(s, clv.rename(columns={"clv": "value"}))
    with pytest.raises(ArgumentError, match="duplicate customer_id"):
        value_at_risk(s, pd.concat([clv, clv.head(1)]))


def test_a_low_risk_customer_with_a_large_clv_is_not_a_retention_target():
    # the issue: a 1.8%-risk customer ranked first on CLV alone, with reasons that all
    # "lower risk"; by hand: values at risk 0.018 x 50,000 = 900 > 0.30 x 2,000 = 600
    scores = pd.DataFrame(
        {
            "customer_id": ["big", "a", "b", "c"],
            "churn_probability": [0.018, 0.30, 0.12, 0.05],
            "risk_band": risk_bands(np.array([0.018, 0.30, 0.12, 0.05]), 0.10),
            "reason_1": ["tenure 40 months (lowers risk)", "average CSAT 1.7 (raises risk)",
                         "days since last purchase 200 (raises risk)", None],
        }
    )  # fmt: skip
    clv = pd.DataFrame({"customer_id": ["big", "a", "b", "c"], "clv": [50_000.0, 2_000, 3_000, 9]})
    got = value_at_risk(scores, clv)
    assert got["customer_id"].tolist() == ["a", "b"]  # 600, then 360; big and c are below 10%
    assert got["value_at_risk"].tolist() == pytest.approx([600.0, 360.0])
    assert not got["reason_1"].str.contains("lowers risk").any()
    total = 900 + 600 + 360 + 0.45
    assert got["cumulative_share"].tolist() == pytest.approx([600 / total, 960 / total])
    everyone = value_at_risk(scores, clv, bands=None)
    assert everyone["customer_id"].tolist() == ["big", "a", "b", "c"]
    summary = risk_summary(scores, clv.iloc[:3])  # c has no CLV
    assert (summary.active, summary.high_risk, summary.at_risk, summary.valued) == (4, 1, 2, 3)
    assert summary.value_at_risk == pytest.approx(1860.0)
    assert summary.targets == 2 and summary.targets_value_at_risk == pytest.approx(960.0)
    sd = np.sqrt(50_000**2 * 0.018 * 0.982 + 2_000**2 * 0.3 * 0.7 + 3_000**2 * 0.12 * 0.88)
    assert summary.value_at_risk_sd == pytest.approx(sd)


def test_bad_cutoff_is_a_clear_error(result):
    _, _, ws = result
    with pytest.raises(ArgumentError, match="outside the data"):
        churn(ws, cutoff="2030-01-01")


def test_the_report_compares_with_a_plain_logistic_regression(result):
    r, _, _ = result
    e = r.evaluation
    # the choice follows the stated rule on the calibration snapshot
    as_good = e["selection_log_loss_logistic"] <= 1.01 * e["selection_log_loss_boosting"]
    assert e["model_used"] == ("logistic regression" if as_good else "gradient boosting")
    assert isinstance(r.model, LogisticChurnModel) == as_good
    # the reported held-out figures are those of the model in use
    used = "logistic" if as_good else "boosting"
    assert e["roc_auc"] == pytest.approx(e[f"{used}_roc_auc"])
    assert e["log_loss"] == pytest.approx(e[f"{used}_log_loss"])
    assert "plain logistic regression on the same split" in r.summary()
    assert f"Kept the {e['model_used']}" in r.summary()
