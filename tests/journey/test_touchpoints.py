"""Touchpoint table, channel mix and touchpoints per customer on the hand log."""

from __future__ import annotations

import pytest

from cxlens.journey.touchpoints import (
    TOUCHPOINT_COLUMNS,
    channel_mix,
    touchpoints,
    touchpoints_per_customer,
)
from tests.journey.logs import HAND


def test_touchpoints_by_hand(table):
    got = touchpoints(table(HAND))
    assert list(got.columns) == list(TOUCHPOINT_COLUMNS)
    by = got.set_index("touchpoint")
    # journeys: a = ad, app, web, web; b = ad; c = web, web
    assert by.loc["web", "events"] == 4 and by.loc["web", "journeys"] == 2
    assert by.loc["web", "share_of_journeys"] == pytest.approx(200 / 3)
    assert by.loc["ad", "first_share"] == 100.0 and by.loc["ad", "last_share"] == 50.0
    assert by.loc["web", "median_position"] == 2.5  # positions 3, 4 (a) and 1, 2 (c)
    # relative positions: a 2/3, 1; c 0, 1 -> mean 2/3; ad: a 0, b (single event) 0
    assert by.loc["web", "mean_relative_position"] == pytest.approx(2 / 3)
    assert by.loc["ad", "mean_relative_position"] == 0.0
    assert by.loc["web", "top_channel"] == "web" and by.loc["web", "top_channel_share"] == 75.0
    assert by.loc["app", "stage"] == "usage"
    assert got["touchpoint"].tolist() == ["ad", "app", "web"]
    # 3 journeys and 3 customers: ad is in a and b, app in a only
    assert by.loc["ad", "share_of_journeys"] == pytest.approx(200 / 3)
    assert by.loc["app", "share_of_customers"] == pytest.approx(100 / 3)
    assert got.attrs == {}


def test_channel_mix_and_touchpoints_per_customer(table):
    mix = channel_mix(table(HAND))
    web = mix[mix["touchpoint"] == "web"]
    assert dict(zip(web["channel"], web["events"], strict=True)) == {"web": 3, "app": 1}
    assert web["share"].sum() == pytest.approx(100.0)
    per = touchpoints_per_customer(table(HAND))
    dist = per.table
    assert dict(zip(dist["touchpoints"], dist["customers"], strict=True)) == {1: 2, 3: 1}
    assert per.customers == 3 and per.mean == pytest.approx(5 / 3) and per.median == 1.0
    assert per.p90 == 3.0 and per.mean_events == pytest.approx(7 / 3)
    assert dist.attrs == {}
