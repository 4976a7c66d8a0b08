"""Engagement rate on hand-made posts."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from cxlens.errors import SchemaError
from cxlens.metrics import engagement
from cxlens.metrics.stats import z_value


def _posts(make_table):
    return make_table(
        brand=["own", "own", "own", "own", "own", "rival"],
        likes=[10, 5, 20, 100, 3, 1],
        shares=[2.0, np.nan, 5.0, 0.0, 1.0, 1.0],
        comments=[3.0, 0.0, np.nan, 0.0, 1.0, 0.0],
        reach=[100.0, 200.0, 400.0, 0.0, np.nan, 10.0],
        posted_at=pd.to_datetime(["2024-01-02"] * 6),
    )


def test_engagement_rate_by_hand(make_table):
    out = engagement(_posts(make_table), by=["brand"])
    own = out[out["brand"] == "own"].iloc[0]
    # reach 0 and null reach are left out; null likes/shares/comments count 0
    e = np.array([15.0, 5.0, 25.0])
    r = np.array([100.0, 200.0, 400.0])
    ratio = e.sum() / r.sum()
    resid = e - ratio * r
    se = 100 * math.sqrt((resid**2).sum() / 2 / (3 * r.mean() ** 2))
    assert own["n"] == 3
    assert own["interactions"] == 45.0 and own["reach"] == 700.0
    assert own["value"] == pytest.approx(100 * 45 / 700)
    assert own["ci_high"] == pytest.approx(100 * ratio + z_value(0.95) * se)
    assert own["ci_low"] == pytest.approx(max(0.0, 100 * ratio - z_value(0.95) * se))
    assert list(out.columns)[-2:] == ["interactions", "reach"]


def test_engagement_change_is_a_z_test(make_table):
    t = make_table(
        likes=[10, 20, 30, 5, 6, 7],
        shares=[0] * 6,
        comments=[0] * 6,
        reach=[100, 200, 300, 100, 100, 100],
        posted_at=pd.to_datetime(["2024-01-01"] * 3 + ["2024-02-29"] * 3),
    )
    out = engagement(t, every="month")
    jan, feb = out.iloc[0], out.iloc[1]
    se_jan = (jan["ci_high"] - jan["value"]) / z_value(0.95)
    se_feb = (feb["ci_high"] - feb["value"]) / z_value(0.95)
    assert jan["value"] == pytest.approx(10.0) and se_jan == pytest.approx(0.0, abs=1e-6)
    z = (feb["value"] - jan["value"]) / math.hypot(se_jan, se_feb)
    assert feb["change"] == pytest.approx(6.0 - 10.0)
    assert feb["p_value"] == pytest.approx(math.erfc(abs(z) / math.sqrt(2)))


def test_engagement_without_interaction_columns_is_a_schema_error(make_table):
    with pytest.raises(SchemaError, match="none of the interaction columns"):
        engagement(make_table(reach=[10]))


def test_engagement_with_only_likes_counts_likes(make_table):
    out = engagement(make_table(likes=[1, 3], reach=[10, 30]))
    assert out["value"].tolist() == [pytest.approx(10.0)]


def test_engagement_unknown_by_column(make_table):
    with pytest.raises(SchemaError, match="by column 'campaign' is not in posts"):
        engagement(make_table(likes=[1], reach=[10]), by="campaign")
