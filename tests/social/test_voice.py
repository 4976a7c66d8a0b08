"""Share of voice and sentiment per brand against hand computations and statsmodels."""

from __future__ import annotations

import ibis
import numpy as np
import pandas as pd
import pytest
from scipy import stats as st
from statsmodels.stats.proportion import multinomial_proportions_confint, proportion_confint

from cxlens.errors import ArgumentError, SchemaError
from cxlens.social import Social, sentiment_by_brand, share_of_voice
from tests.social.conftest import POSTS

ENGAGEMENT = (POSTS["likes"] + POSTS["shares"] + POSTS["comments"]).astype(float)


def _delta_share(y: np.ndarray, x: np.ndarray, z: float = 1.959964) -> tuple[float, ...]:
    """Ratio estimator sum(y)/sum(x) with var = var(y - R x) / (n xbar^2), in percent."""
    r = y.sum() / x.sum()
    se = np.sqrt(np.var(y - r * x, ddof=1) / (len(x) * x.mean() ** 2))
    return 100 * r, 100 * max(0.0, r - z * se), 100 * min(1.0, r + z * se)


def test_overall_shares_by_hand(hand_ws):
    out = Social(hand_ws).share_of_voice().set_index("brand")
    assert out["posts"].tolist() == [3, 3, 1]
    assert out["volume_share"].tolist() == pytest.approx([300 / 7, 300 / 7, 100 / 7])
    # engagements: A 15 + 5 + 30, B 2 + 10 + 0, C 4 of 66
    assert out["engagements"].tolist() == [50.0, 12.0, 4.0]
    assert out["engagement_share"].tolist() == pytest.approx([5000 / 66, 1200 / 66, 400 / 66])
    # reach (a missing reach counts 0): A 600, B 130, C 40 of 770
    assert out["reach_share"].tolist() == pytest.approx([60000 / 770, 13000 / 770, 4000 / 770])
    assert (out["total_posts"] == 7).all() and out["small_sample"].all()


def test_wilson_intervals_match_statsmodels(hand_ws):
    out = Social(hand_ws).share_of_voice(confidence=0.9)
    low, high = proportion_confint(out["posts"], 7, alpha=0.1, method="wilson")
    assert out["volume_ci_low"].to_numpy() == pytest.approx(100 * np.asarray(low))
    assert out["volume_ci_high"].to_numpy() == pytest.approx(100 * np.asarray(high))


def test_goodman_intervals_match_statsmodels(hand_ws):
    out = Social(hand_ws).share_of_voice(every="month", interval="goodman")
    for _, rows in out.groupby("period"):
        ci = multinomial_proportions_confint(rows["posts"].to_numpy(), 0.05, method="goodman")
        assert rows["volume_ci_low"].to_numpy() == pytest.approx(100 * ci[:, 0])
        assert rows["volume_ci_high"].to_numpy() == pytest.approx(100 * ci[:, 1])


def test_engagement_share_interval_is_the_post_level_ratio_estimator(hand_ws):
    out = Social(hand_ws).share_of_voice().set_index("brand")
    x = ENGAGEMENT.to_numpy()
    for brand in ("A", "B", "C"):
        y = np.where(POSTS["brand"] == brand, x, 0.0)
        share, low, high = _delta_share(y, x)
        assert out.loc[brand, "engagement_share"] == pytest.approx(share)
        assert out.loc[brand, "engagement_ci_low"] == pytest.approx(low)
        assert out.loc[brand, "engagement_ci_high"] == pytest.approx(high)


def test_by_month_and_within_platform(hand_ws):
    social = Social(hand_ws)
    monthly = social.share_of_voice(every="month")
    jan = monthly[monthly["period"] == pd.Timestamp("2024-01-01")].set_index("brand")
    assert jan["volume_share"].to_dict() == pytest.approx({"A": 200 / 3, "B": 100 / 3})
    feb = monthly[monthly["period"] == pd.Timestamp("2024-02-01")].set_index("brand")
    assert feb["posts"].to_dict() == {"A": 1, "B": 2, "C": 1}
    assert feb["engagement_share"].to_dict() == pytest.approx(
        {"A": 3000 / 44, "B": 1000 / 44, "C": 400 / 44}
    )
    split = social.share_of_voice(within="platform").set_index(["platform", "brand"])
    assert split.loc[("tiktok", "A"), "volume_share"] == pytest.approx(100 / 3)
    assert split.loc[("x", "B"), "engagement_share"] == pytest.approx(100 * 2 / 22)
    assert split.groupby(level="platform")["volume_share"].sum().tolist() == pytest.approx(
        [100.0, 100.0]
    )


def test_sample_share_of_voice_matches_the_truth(sample):
    ws, data = sample
    out = Social(ws).share_of_voice().set_index("brand")
    realised = data.truth["share_of_voice"]["realised"]
    for brand, share in realised.items():
        assert out.loc[brand, "volume_share"] == pytest.approx(100 * share, abs=0.01)
        declared = data.truth["share_of_voice"]["declared"][brand]
        assert out.loc[brand, "volume_ci_low"] <= 100 * declared <= out.loc[brand, "volume_ci_high"]


def test_sentiment_by_brand_by_hand():
    labels = ["positive", "negative", "neutral", "positive", "negative", None]
    scores = [0.8, -0.6, 0.0, 0.5, -0.9, None]
    t = ibis.memtable({"brand": ["a"] * 4 + ["b"] * 2, "sentiment_label": labels,
                       "sentiment_score": scores})  # fmt: skip
    out = sentiment_by_brand(t, min_n=3).set_index("brand")
    a = out.loc["a"]
    assert (a["posts"], a["n"]) == (4, 4)
    assert a["score"] == pytest.approx(0.175)
    half = st.t.ppf(0.975, 3) * np.std([0.8, -0.6, 0.0, 0.5], ddof=1) / 2
    assert (a["score_ci_low"], a["score_ci_high"]) == pytest.approx((0.175 - half, 0.175 + half))
    low, high = proportion_confint(1, 4, method="wilson")
    assert (a["negative_ci_low"], a["negative_ci_high"]) == pytest.approx((100 * low, 100 * high))
    assert a["negative_share"] == 25.0 and a["positive_share"] == 50.0
    # net = 50 - 25; adjusted Wald (Rocks 2016): 3/4 of a positive and of a negative and 3/2
    # of a neutral added, p = 2.75/7, d = 1.75/7, se = sqrt((p + d - (p - d)^2) / 7)
    p, d = 2.75 / 7, 1.75 / 7
    se = 100 * np.sqrt((p + d - (p - d) ** 2) / 7)
    assert a["net_sentiment"] == 25.0
    assert a["net_ci_low"] == pytest.approx(100 * (p - d) - 1.959964 * se, rel=1e-6)
    assert a["net_ci_high"] == pytest.approx(100 * (p - d) + 1.959964 * se, rel=1e-6)
    b = out.loc["b"]
    assert (b["posts"], b["n"], b["negative_share"]) == (2, 1, 100.0)  # the unscored post
    assert b["small_sample"] and not a["small_sample"]


def test_bad_arguments(hand_ws):
    social = Social(hand_ws)
    with pytest.raises(ArgumentError, match="unknown interval"):
        social.share_of_voice(interval="exact")
    with pytest.raises(ArgumentError, match="unknown time grain"):
        social.share_of_voice(every="fortnight")
    with pytest.raises(SchemaError, match="within column 'country'"):
        social.share_of_voice(within="country")
    with pytest.raises(SchemaError, match="sentiment_label"):
        sentiment_by_brand(hand_ws.table("posts"))
    with pytest.raises(ArgumentError, match="both"):
        share_of_voice(hand_ws.table("posts"), within="brand")


def test_sample_sentiment_ranks_the_brands_as_planted(sample):
    from tests.social.conftest import EnglishRussian

    ws, data = sample
    out = Social(ws, backend=EnglishRussian()).sentiment().set_index("brand")
    planted = data.truth["share_of_voice"]["sentiment_realised"]
    net = {b: v["positive"] - v["negative"] for b, v in planted.items()}
    assert out["net_sentiment"].sort_values().index.tolist() == sorted(net, key=net.get)
    # the scorer reads the planted mix closely: negative share within 5 points per brand
    for brand, mix in planted.items():
        assert out.loc[brand, "negative_share"] == pytest.approx(100 * mix["negative"], abs=5)
