"""Ordered funnels on a hand-computed log: order, ties, a time limit, breakdowns, errors."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cxlens.errors import ArgumentError, NotEnoughDataError, SchemaError
from cxlens.journey.funnel import FUNNEL_COLUMNS, funnel
from cxlens.metrics.stats import wilson_interval
from tests.journey.logs import events

# A passes all three steps; B meets s2 before s1 (so never reaches s2 after s1); C reaches s2
# at the same second as s1 with a later event id; D's s2 ties with s1 but sorts before it;
# E never enters. Rows are shuffled.
LOG = events([
    ("a3", "A", 30, "x", "s3", "web"), ("a1", "A", 0, "x", "s1", "web"),
    ("a2", "A", 10, "x", "s2", "web"), ("b1", "B", 0, "x", "s2", "app"),
    ("b2", "B", 5, "x", "s1", "app"), ("b3", "B", 6, "x", "s3", "app"),
    ("c1", "C", 0, "x", "s1", "web"), ("c2", "C", 0, "x", "s2", "web"),
    ("d1", "D", 0, "x", "s1", "web"), ("d0", "D", 0, "x", "s2", "web"),
    ("e1", "E", 0, "x", "s3", "web"),
])  # fmt: skip
STEPS = ["s1", "s2", "s3"]


def test_funnel_by_hand(table):
    got = funnel(table(LOG), STEPS)
    assert list(got.columns) == list(FUNNEL_COLUMNS)
    assert got["entered"].tolist() == [4, 2, 1]
    assert got["conversion"].tolist() == [100.0, 50.0, 25.0]
    assert got["step_conversion"].tolist() == [100.0, 50.0, 50.0]
    assert got["drop_off"].tolist() == [0, 2, 1]
    low, high = wilson_interval([2], [4])
    assert got.loc[1, "conversion_ci_low"] == pytest.approx(100 * low[0])
    assert got.loc[1, "conversion_ci_high"] == pytest.approx(100 * high[0])
    # step 2 from step 1: A 10 s, C 0 s; step 3 from step 2: A 20 s, from the start 30 s
    assert got.loc[1, "median_seconds_from_previous"] == 5.0
    assert got.loc[1, "p90_seconds_from_previous"] == pytest.approx(9.0)
    assert got.loc[2, "median_seconds_from_previous"] == 20.0
    assert got.loc[2, "median_seconds_from_start"] == 30.0
    assert np.isnan(got.loc[0, "median_seconds_from_start"])


def test_within_and_breakdown_by_the_entry_channel_and_a_customer_column(table):
    assert funnel(table(LOG), STEPS, within="15s")["entered"].tolist() == [4, 2, 0]
    got = funnel(table(LOG), STEPS, by="channel")
    web = got[got["channel"] == "web"]
    assert web["entered"].tolist() == [3, 2, 1]  # A, C, D enter on the web
    assert got[got["channel"] == "app"]["entered"].tolist() == [1, 0, 0]
    customers = pd.DataFrame({"customer_id": list("ABCDE"), "segment": list("xxyyy")})
    got = funnel(table(LOG), STEPS, by="segment", customers=table(customers, "customers"))
    assert got[got["segment"] == "x"]["entered"].tolist() == [2, 1, 1]
    assert got[got["segment"] == "y"]["entered"].tolist() == [2, 1, 0]


def test_touchpoint_level_funnel_and_errors(table):
    log = LOG.assign(touchpoint=LOG["stage"].str.replace("s", "t"))
    assert funnel(table(log), ["t1", "t2"], level="touchpoint")["entered"].tolist() == [4, 2]
    with pytest.raises(ArgumentError, match="at least two steps"):
        funnel(table(LOG), ["s1"])
    with pytest.raises(ArgumentError, match="repeats"):
        funnel(table(LOG), ["s1", "s1"])
    with pytest.raises(SchemaError, match="cannot break the funnel down by 'plan'"):
        funnel(table(LOG), STEPS, by="plan")
    with pytest.raises(NotEnoughDataError, match="first funnel step 'nope'"):
        funnel(table(LOG), ["nope", "s1"])
