"""Emotion per touchpoint: score-based by hand, and a sentiment column that takes over."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cxlens.journey.emotion import EMOTION_COLUMNS, emotion
from tests.journey.logs import T0

ANSWERS = pd.DataFrame({
    "response_id": ["r1", "r2", "r3", "r4", "r5"],
    "customer_id": ["a", "b", "c", "d", "e"],
    "responded_at": [T0] * 5,
    "touchpoint": ["billing", "billing", "support", "support", None],
    "nps": [10, 5, 0, 9, 10],
    "csat": [5, 3, None, 4, 5],
    "ces": [7, None, 1, 4, 7],
})  # fmt: skip


def test_score_based_emotion_by_hand(table):
    got = emotion(table(ANSWERS, "responses"), min_n=2)
    assert list(got.columns) == list(EMOTION_COLUMNS)
    by = got.set_index("touchpoint")
    assert set(by.index) == {"billing", "support"}  # the relationship answer is left out
    # NPS by category (detractor -1, passive 0, promoter +1), CSAT (x - 3) / 2, CES (x - 4) / 3
    # r1: (1 + 1 + 1) / 3 = 1; r2: (-1 + 0) / 2 = -0.5 (a 5 is a detractor) -> billing 0.25
    # r3: (-1 + -1) / 2 = -1; r4: (1 + 0.5 + 0) / 3 = 0.5 -> support -0.25
    assert by.loc["billing", "emotion"] == pytest.approx(0.25)
    assert by.loc["support", "emotion"] == pytest.approx(-0.25)
    assert by.loc["billing", "nps"] == 0.0 and by.loc["support", "nps"] == 0.0
    assert by.loc["billing", "csat"] == 50.0 and by.loc["support", "csat_n"] == 1
    assert by.loc["support", "ces"] == 2.5
    assert (got["emotion_source"] == "scores").all() and np.isnan(got["sentiment"]).all()
    assert not got["small_sample"].any()


def test_detractor_answers_are_negative_and_the_nps_part_is_nps_over_100(table):
    answers = ANSWERS.assign(touchpoint="billing", csat=np.nan, ces=np.nan)
    for score, feel in [(0, -1.0), (6, -1.0), (7, 0.0), (8, 0.0), (9, 1.0), (10, 1.0)]:
        got = emotion(table(answers.assign(nps=score), "responses"), min_n=1)
        assert got["emotion"].tolist() == [feel]
    mixed = emotion(table(answers, "responses"), min_n=1).iloc[0]
    assert mixed["emotion"] == pytest.approx(mixed["nps"] / 100)


def test_planted_billing_problem_lowers_the_curve_by_the_nps_drop(table):
    from cxlens.sample import generate

    data = generate(customers=2000, seed=7)
    planted = data.truth["planted_problem"]
    r = data.tables["responses"].merge(
        data.tables["customers"][["customer_id", "segment"]], on="customer_id"
    )
    cell = r[(r["segment"] == planted["segment"]) & (r["touchpoint"] == planted["touchpoint"])]
    after = cell["responded_at"] >= pd.Timestamp(planted["start"])
    got = {}
    for name, part in (("before", cell[~after]), ("after", cell[after])):
        scores = part.drop(columns=["csat", "ces"]).assign(touchpoint=name)
        got[name] = emotion(table(scores, "responses"), min_n=1).set_index("touchpoint")
        answers = part["nps"].dropna()
        nps = 100 * ((answers >= 9).mean() - (answers <= 6).mean())
        assert got[name].loc[name, "emotion"] == pytest.approx(nps / 100)
    fall = got["before"].loc["before", "emotion"] - got["after"].loc["after", "emotion"]
    # the curve falls by the planted drop (23 NPS points here); the old linear map of 0-10
    # put every answer of 6 at +0.2 and did not follow NPS
    nps_fall = got["before"].loc["before", "nps"] - got["after"].loc["after", "nps"]
    assert fall == pytest.approx(nps_fall / 100) and nps_fall > 15


def test_a_sentiment_column_takes_over_and_positions_order_the_curve(table):
    with_text = ANSWERS.assign(sentiment=["positive", "negative", "negative", "neutral", None])
    positions = pd.DataFrame({"touchpoint": ["support", "billing"], "stage": ["s", "u"],
                              "mean_relative_position": [0.2, 0.7]})  # fmt: skip
    got = emotion(table(with_text, "responses"), positions)
    assert got["touchpoint"].tolist() == ["support", "billing"]
    assert got["emotion"].tolist() == [-0.5, 0.0]
    assert (got["emotion_source"] == "sentiment").all()
    assert got["stage"].tolist() == ["s", "u"]
    numeric = ANSWERS.assign(sentiment=[0.9, 0.1, -0.4, -0.2, 1.0])
    got = emotion(table(numeric, "responses")).set_index("touchpoint")
    assert got.loc["billing", "emotion"] == pytest.approx(0.5)
    assert got.loc["support", "sentiment"] == pytest.approx(-0.3)
