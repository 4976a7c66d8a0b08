"""Property-based checks of the metrics on random small inputs (derandomized, fixed seed)."""

from __future__ import annotations

import ibis
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cxlens.metrics import ces, csat, engagement, nps

SETTINGS = settings(max_examples=40, deadline=None, derandomize=True)

nps_scores = st.lists(st.one_of(st.integers(0, 10), st.none()), min_size=1, max_size=60)
groups = st.sampled_from(["a", "b", "c"])


def _responses(scores: list[int | None], labels: list[str]) -> ibis.Table:
    frame = pd.DataFrame(
        {
            "nps": pd.Series(scores, dtype="float64"),
            "csat": pd.Series([None if s is None else 1 + s % 5 for s in scores], dtype="float64"),
            "ces": pd.Series([None if s is None else 1 + s % 7 for s in scores], dtype="float64"),
            "g": labels,
            "k": "same",
        }
    )
    return ibis.memtable(frame)


@SETTINGS
@given(nps_scores, st.floats(0.5, 0.999))
def test_nps_is_on_the_scale_and_inside_its_interval(scores, confidence):
    out = nps(_responses(scores, ["a"] * len(scores)), confidence=confidence)
    valid = [s for s in scores if s is not None]
    if not valid:
        assert out.empty
        return
    row = out.iloc[0]
    assert -100.0 <= row["ci_low"] <= row["value"] <= row["ci_high"] <= 100.0
    assert row["ci_high"] > row["ci_low"]  # the adjusted-Wald interval never collapses
    assert row["n"] == len(valid) == row["promoters"] + row["passives"] + row["detractors"]
    expected = 100 * (sum(s >= 9 for s in valid) - sum(s <= 6 for s in valid)) / len(valid)
    assert row["value"] == pytest.approx(expected)


@SETTINGS
@given(st.data())
def test_group_counts_add_up_to_the_overall_count(data):
    scores = data.draw(nps_scores)
    labels = data.draw(st.lists(groups, min_size=len(scores), max_size=len(scores)))
    table = _responses(scores, labels)
    for metric in (nps, csat, ces):
        whole = metric(table)
        parts = metric(table, by="g")
        assert parts["n"].sum() == (whole["n"].sum() if len(whole) else 0)
        assert parts["g"].is_unique


@SETTINGS
@given(nps_scores)
def test_grouping_by_a_constant_equals_no_grouping(scores):
    table = _responses(scores, ["a"] * len(scores))
    for metric in (nps, csat, ces):
        whole = metric(table)
        grouped = metric(table, by=["k"]).drop(columns="k")
        pd.testing.assert_frame_equal(whole, grouped)


@SETTINGS
@given(nps_scores)
def test_csat_and_ces_intervals_contain_the_estimate(scores):
    table = _responses(scores, ["a"] * len(scores))
    for out, low, high in ((csat(table), 0.0, 100.0), (ces(table), 1.0, 7.0)):
        for row in out.itertuples():
            assert low <= row.value <= high
            if row.n >= 2:
                assert row.ci_low - 1e-9 <= row.value <= row.ci_high + 1e-9


@SETTINGS
@given(
    st.lists(
        st.tuples(st.integers(0, 500), st.integers(0, 50), st.integers(1, 10_000)),
        min_size=2,
        max_size=40,
    )
)
def test_engagement_interval_contains_the_rate(posts):
    likes, shares, reach = (np.array(c) for c in zip(*posts, strict=True))
    table = ibis.memtable({"likes": likes, "shares": shares, "reach": reach})
    row = engagement(table).iloc[0]
    assert row["value"] == pytest.approx(100 * (likes.sum() + shares.sum()) / reach.sum())
    assert 0.0 <= row["ci_low"] <= row["value"] <= row["ci_high"]
