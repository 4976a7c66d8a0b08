"""Engagement rate by platform and period, and the top posts, against hand computations."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from cxlens.errors import ArgumentError, SchemaError
from cxlens.social import Social
from tests.social.conftest import POSTS, hand_workspace


def test_rate_by_platform_by_hand(hand_ws):
    out = Social(hand_ws).engagement(by="platform", min_n=3)
    got = out.set_index("platform")
    # x: p1 15 + p2 5 + p4 2 + p6 0 over reach 100 + 200 + 50 + 80
    assert got.loc["x", "value"] == pytest.approx(100 * 22 / 430)
    assert got.loc["x", "n"] == 4
    # tiktok: p5 has no reach and does not count; p3 30 + p7 4 over 300 + 40
    assert got.loc["tiktok", "value"] == pytest.approx(10.0)
    assert got.loc["tiktok", "n"] == 2
    assert got.loc["tiktok", "small_sample"] and not got.loc["x", "small_sample"]


def test_interval_is_the_ratio_estimator(hand_ws):
    got = Social(hand_ws).engagement(by="platform").set_index("platform").loc["x"]
    e = pd.Series([15.0, 5.0, 2.0, 0.0])
    r = pd.Series([100.0, 200.0, 50.0, 80.0])
    ratio = e.sum() / r.sum()
    resid = e - ratio * r  # delta method: var(R) = var(e - R r) / (n * rbar^2)
    se = math.sqrt(resid.var(ddof=1) / (len(e) * r.mean() ** 2))
    assert got["ci_low"] == pytest.approx(max(0.0, 100 * (ratio - 1.959964 * se)), rel=1e-5)
    assert got["ci_high"] == pytest.approx(100 * (ratio + 1.959964 * se), rel=1e-5)


def test_same_numbers_as_the_metric(hand_ws):
    social = Social(hand_ws).engagement(by=["brand"], every="month")
    metric = hand_ws.metrics.engagement(by=["brand"], every="month")
    pd.testing.assert_frame_equal(social, metric)


def test_by_month_and_change(hand_ws):
    out = Social(hand_ws).engagement(by=None, every="month")
    assert out["period"].tolist() == [pd.Timestamp("2024-01-01"), pd.Timestamp("2024-02-01")]
    jan, feb = 100 * 22 / 350, 100 * 34 / 420  # Feb: p3, p6, p7 (p5 has no reach)
    assert out["value"].tolist() == pytest.approx([jan, feb])
    # posts run from 5 January to 25 February: both months are partly covered, so no change
    # is computed between them (a partial period is never compared as a full one)
    assert out["partial"].tolist() == [True, True]
    assert out["change"].isna().all()


def test_top_posts(hand_ws):
    social = Social(hand_ws)
    top = social.top_posts(3)
    assert top["post_id"].tolist() == ["p3", "p1", "p2"]
    assert top["engagements"].tolist() == [30.0, 15.0, 5.0]
    by_rate = social.top_posts(2, sort="engagement_rate", brand_role="competitor")
    assert by_rate["post_id"].tolist() == ["p7", "p4"]  # 10% and 4%
    assert by_rate["engagement_rate"].tolist() == pytest.approx([10.0, 4.0])
    assert "p5" not in social.top_posts(10)["post_id"].tolist()  # no reach: no rate


def test_bad_arguments(hand_ws):
    social = Social(hand_ws)
    with pytest.raises(ArgumentError, match="top_posts"):
        social.engagement(by="post_id")
    with pytest.raises(ArgumentError, match="unknown sort"):
        social.top_posts(sort="likes")
    with pytest.raises(ArgumentError, match="top must be"):
        social.top_posts(0)
    with pytest.raises(SchemaError, match="by column 'country' is not in posts"):
        social.engagement(by="country")


def test_negative_counts_are_quarantined_at_ingestion(tmp_path):
    bad = POSTS.copy()
    bad.loc[1, "likes"] = -5
    bad.loc[3, "reach"] = -1
    ws = hand_workspace(tmp_path, campaigns=pd.DataFrame({"campaign_id": ["C1"]}))
    path = tmp_path / "posts.csv"
    bad.to_csv(path, index=False)
    result = ws.ingest(path, table="posts")
    assert result.rows_quarantined == 2
    rejected = ws.quarantine()
    assert set(rejected["column"]) == {"likes", "reach"}
    loaded = Social(ws).engagement(by=None)
    # what loaded is the hand table without p2 and p4: e 15 + 30 + 0 + 4 over 100+300+80+40
    assert loaded["value"].iloc[0] == pytest.approx(100 * 49 / 520)
    ws.close()
