"""ws.journey is the Journey of the Workspace."""

from __future__ import annotations

import pandas as pd
import pytest

from cxlens.journey.namespace import Journey
from tests.analysis.test_features import sample_workspace


def test_ws_journey_is_a_journey_over_the_workspace(tmp_path):
    ws, data = sample_workspace(tmp_path, customers=300, seed=5)
    try:
        assert isinstance(ws.journey, Journey)
        dfg = ws.journey.dfg()
        pd.testing.assert_frame_equal(dfg, Journey(ws).dfg())
        # the transitions of a journey: one fewer than its events, summed over customers
        events = data.tables["events"]
        expected = len(events) - events["customer_id"].nunique()
        assert int(dfg["count"].sum()) == expected
    finally:
        ws.close()


def test_emotion_uses_the_saved_comment_sentiment(tmp_path):
    import numpy as np

    ws, data = sample_workspace(tmp_path, customers=300, seed=5)
    try:
        assert set(ws.journey.emotion()["emotion_source"]) == {"scores"}
        responses = data.tables["responses"]
        commented = responses[responses["comment"].notna()]
        scores = np.linspace(-1, 1, len(commented))
        ws.save_table(
            "comment_sentiment",
            pd.DataFrame({"response_id": commented["response_id"], "score": scores}),
        )
        got = ws.journey.emotion().set_index("touchpoint")
        assert set(got["emotion_source"]) == {"sentiment"}
        want = commented.assign(score=scores).dropna(subset=["touchpoint"])
        want = want.groupby("touchpoint")["score"].agg(["mean", "size"])
        for touchpoint, row in want.iterrows():
            assert got.loc[touchpoint, "sentiment"] == pytest.approx(row["mean"])
            assert got.loc[touchpoint, "sentiment_n"] == row["size"]
    finally:
        ws.close()
