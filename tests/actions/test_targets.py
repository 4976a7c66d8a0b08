"""The target lists: detractors to call back, churn risk, next-best offer."""

from __future__ import annotations

import pandas as pd
import pytest

from cxlens.actions.targets import (
    CHURN_COLUMNS,
    DETRACTOR_COLUMNS,
    OFFER_COLUMNS,
    churn_risk,
    detractors,
    next_best_offer,
    target_list,
)
from cxlens.errors import ArgumentError, SchemaError
from cxlens.text.redact import redact


def test_hand_made_detractors_latest_answer_in_the_window(hand_ws):
    # data end 2025-06-28; 30 days back: 2025-05-30 .. 2025-06-28
    found = detractors(hand_ws, days=30)
    assert list(found.columns) == list(DETRACTOR_COLUMNS)
    assert found["customer_id"].tolist() == ["C3", "C2", "C5", "C4"]  # lowest score first
    assert found["nps"].tolist() == [1, 2, 4, 5]
    assert found["response_id"].tolist() == ["r5", "r4", "r7", "r6"]
    # C1 answered 3 then 9 (not a detractor now); C6's 0 is before the window
    assert found.loc[1, "comment"] == "Charged twice! Call me on [PHONE]"
    assert found.loc[2, "comment"] is None
    # a shorter window ending earlier
    early = detractors(hand_ws, days=5, as_of="2025-06-12")  # 2025-06-08 .. 2025-06-12
    assert early["customer_id"].tolist() == ["C5"]
    # as_of counts its whole day: C3 answered on 2025-06-28
    assert "C3" in detractors(hand_ws, days=1, as_of="2025-06-28")["customer_id"].tolist()


def test_sample_detractors_match_an_independent_computation(sample):
    ws, data = sample
    r = data.tables["responses"].dropna(subset=["nps", "customer_id"]).copy()
    r["responded_at"] = pd.to_datetime(r["responded_at"])
    end = pd.Timestamp("2025-12-31")
    window = r[(r["responded_at"] >= end - pd.Timedelta(days=59))
               & (r["responded_at"] < end + pd.Timedelta(days=1))]  # fmt: skip
    latest = window.sort_values(["responded_at", "response_id"]).groupby("customer_id").tail(1)
    expected = latest[latest["nps"] <= 6].set_index("customer_id").sort_index()
    found = detractors(ws, days=60, as_of="2025-12-31").set_index("customer_id").sort_index()
    assert len(found) > 20
    assert found.index.tolist() == expected.index.tolist()
    assert found["response_id"].tolist() == expected["response_id"].tolist()
    assert found["nps"].tolist() == expected["nps"].astype(int).tolist()
    has = expected["comment"].notna() & (expected["comment"].str.strip() != "")
    assert found.loc[has, "comment"].tolist() == redact(expected.loc[has, "comment"])


def test_churn_risk_filters_and_reranks():
    targets = pd.DataFrame({
        "rank": [1, 2, 3], "customer_id": ["a", "b", "c"],
        "churn_probability": [0.5, 0.2, 0.9], "risk_band": ["high", "medium", "high"],
        "clv": [1000.0, 1500.0, 200.0], "value_at_risk": [500.0, 300.0, 180.0],
        "cumulative_share": [0.5, 0.8, 1.0], "reason_1": ["x", "y", "z"],
        "reason_2": None, "reason_3": None,
    })  # fmt: skip
    got = churn_risk(None, targets=targets, bands=["high"])
    assert list(got.columns) == list(CHURN_COLUMNS)
    assert got[["rank", "customer_id"]].values.tolist() == [[1, "a"], [2, "c"]]
    assert churn_risk(None, targets=targets, top=1)["customer_id"].tolist() == ["a"]
    with pytest.raises(ArgumentError, match="top must be"):
        churn_risk(None, targets=targets, top=0)
    with pytest.raises(SchemaError, match="value_at_risk"):
        churn_risk(None, targets=targets.drop(columns="value_at_risk"))


def test_next_best_offer_is_rank_one_with_the_runners_up():
    offers = pd.DataFrame({
        "customer_id": ["a", "a", "a", "b"], "rank": [2, 1, 3, 1],
        "product": ["Router", "Mesh", "TV", "Router"], "probability": [0.2, 0.3, 0.1, 0.4],
        "value": [100.0, 300.0, 50.0, 100.0], "expected_value": [20.0, 90.0, 5.0, 40.0],
        "because": [None, "Fibre 1G", None, None], "kind": "cross-sell",
    })  # fmt: skip
    got = next_best_offer(None, offers=offers)
    assert list(got.columns) == list(OFFER_COLUMNS)
    assert got.values.tolist() == [
        ["a", "Mesh", 0.3, 90.0, "Fibre 1G", "Router; TV"],
        ["b", "Router", 0.4, 40.0, None, None],
    ]


def test_target_list_names():
    with pytest.raises(ArgumentError, match="churn-risk, next-best-offer, detractors"):
        target_list(None, "upsell")
    with pytest.raises(ArgumentError, match="days must be"):
        detractors(None, days=0)
