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
    # r1: (1 + 1 + 1) / 3 = 1; r2: (0 + 0) / 2 = 0 -> billing 0.5
    # r3: (-1 + -1) / 2 = -1; r4: (0.8 + 0.5 + 0) / 3 -> support mean of the two
    assert by.loc["billing", "emotion"] == pytest.approx(0.5)
    assert by.loc["support", "emotion"] == pytest.approx((-1 + 1.3 / 3) / 2)
    assert by.loc["billing", "nps"] == 0.0 and by.loc["support", "nps"] == 0.0
    assert by.loc["billing", "csat"] == 50.0 and by.loc["support", "csat_n"] == 1
    assert by.loc["support", "ces"] == 2.5
    assert (got["emotion_source"] == "scores").all() and np.isnan(got["sentiment"]).all()
    assert not got["small_sample"].any()


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
