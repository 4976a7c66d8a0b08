"""The social charts draw the numbers of the tables they are given."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cxlens.errors import ArgumentError, SchemaError
from cxlens.social import Social
from cxlens.social.charts import (
    alerts_figure,
    engagement_figure,
    lift_figure,
    sentiment_figure,
    share_of_voice_figure,
)
from tests.social.test_spikes import _posts


def test_share_of_voice_bars_and_lines(hand_ws):
    social = Social(hand_ws)
    overall = social.share_of_voice()
    fig = share_of_voice_figure(overall)
    assert [t.name for t in fig.data] == ["share of volume", "share of engagement",
                                          "share of reach"]  # fmt: skip
    assert list(fig.data[1].y) == pytest.approx(overall["engagement_share"].tolist())
    upper = np.asarray(fig.data[0].error_y.array)
    assert upper == pytest.approx((overall["volume_ci_high"] - overall["volume_share"]).to_numpy())
    monthly = social.share_of_voice(every="month")
    lines = share_of_voice_figure(monthly, measure="engagement")
    named = {t.name: t for t in lines.data if t.name}
    assert set(named) == {"A", "B", "C"}
    a = monthly[monthly["brand"] == "A"]
    assert list(named["A"].y) == pytest.approx(a["engagement_share"].tolist())
    with pytest.raises(ArgumentError, match="unknown measure"):
        share_of_voice_figure(monthly, measure="likes")


def test_engagement_sentiment_and_lift(hand_ws):
    social = Social(hand_ws)
    rates = social.engagement()
    fig = engagement_figure(rates)
    assert list(fig.data[0].x) == rates["platform"].tolist()
    assert list(fig.data[0].y) == pytest.approx(rates["value"].tolist())
    senti = social.sentiment()
    bars = sentiment_figure(senti)
    assert list(bars.data[0].y) == pytest.approx(senti["net_sentiment"].tolist())
    deals = social.influencers(kind=None)
    lift = lift_figure(deals)
    finite = deals[np.isfinite(deals["lift"])]
    assert list(lift.data[0].x) == pytest.approx(finite["lift"].tolist())
    with pytest.raises(SchemaError, match="lift_ci_low"):
        lift_figure(deals.drop(columns="lift_ci_low"))


def test_alerts_chart_marks_the_alerts():
    from cxlens.social import negative_spikes

    table = negative_spikes(_posts([4, 4, 4, 4, 4, 15]), baseline=5, min_baseline=3)
    fig = alerts_figure(table)
    marks = {t.name: t for t in fig.data}
    assert list(marks["alert"].x) == [pd.Timestamp("2024-06-01")]
    assert list(marks["negative share"].y) == pytest.approx(table["share"].tolist())
    with pytest.raises(ArgumentError, match="no rows for brand"):
        alerts_figure(table, brand="nobody")
