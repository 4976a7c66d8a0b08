"""Influencer and campaign effectiveness against hand computations, statsmodels and the sample."""

from __future__ import annotations

import ibis
import numpy as np
import pandas as pd
import pytest
from statsmodels.stats import rates
from statsmodels.stats.proportion import proportion_confint

from cxlens.errors import ArgumentError, NotEnoughDataError, SchemaError
from cxlens.social import Social, influencers, rate_ratio
from tests.social.conftest import CAMPAIGNS, CUSTOMERS, POSTS, hand_workspace


def _rows(ws, **kw) -> pd.DataFrame:
    return Social(ws).influencers(**kw).set_index("campaign_id")


def test_deal_figures_by_hand(hand_ws):
    out = _rows(hand_ws, kind=None)
    c1 = out.loc["C1"]
    # posts p1 (15 engagements, reach 100) and p3 (30, reach 300), one author
    assert (c1["posts"], c1["authors"], c1["engagements"], c1["reach"]) == (2, 1, 45.0, 400.0)
    assert c1["engagement_rate"] == pytest.approx(11.25)
    assert c1["cost_per_engagement"] == pytest.approx(1000 / 45)
    assert c1["cost_per_thousand_reach"] == pytest.approx(2500.0)
    # acquired with C1: u1 and u2; revenue from first_seen on: u1 100 + 40 (50 was before
    # u1 joined), u2 60
    assert (c1["acquisitions"], c1["revenue"], c1["orders"]) == (2, 200.0, 3)
    assert c1["cost_per_acquisition"] == 500.0 and c1["roas"] == pytest.approx(0.2)


def test_lift_by_hand(hand_ws):
    out = _rows(hand_ws, kind=None)
    c1 = out.loc["C1"]
    # window 11-20 March in whole days: u1, u2 (23:00 on the last day), u3; baseline
    # 1-10 March: u4; u5 (21 March) and u8 (29 Feb) are outside both
    assert c1["baseline_start"] == pd.Timestamp("2024-03-01")
    assert (c1["window_acquisitions"], c1["baseline_acquisitions"]) == (3, 1)
    assert c1["lift"] == 3.0 and c1["incremental_acquisitions"] == 2
    assert c1["cost_per_incremental"] == 500.0
    low, high = proportion_confint(3, 4, method="beta")  # Clopper-Pearson on 3 of 4
    assert (c1["lift_ci_low"], c1["lift_ci_high"]) == pytest.approx(
        (low / (1 - low), np.inf if high == 1 else high / (1 - high))
    )
    assert c1["lift_p_value"] == pytest.approx(
        rates.test_poisson_2indep(3, 1, 1, 1, method="exact-cond").pvalue
    )
    c2 = out.loc["C2"]  # u6 and u7 joined in its window, nobody before
    assert (c2["window_acquisitions"], c2["baseline_acquisitions"]) == (2, 0)
    assert c2["lift"] == np.inf


def test_rate_ratio_against_statsmodels():
    x1, t1, x0, t0 = np.array([30, 12, 7]), np.array([45.0, 30, 10]), np.array([12, 20, 0]), 45.0
    ratio, low, high, p = rate_ratio(x1, t1, x0, t0, confidence=0.9)
    for i in range(3):
        expected = (x1[i] / t1[i]) / (x0[i] / t0) if x0[i] else np.inf
        assert ratio[i] == pytest.approx(expected)
        res = rates.test_poisson_2indep(x1[i], t1[i], x0[i], t0, method="exact-cond")
        assert p[i] == pytest.approx(res.pvalue)
        n = x1[i] + x0[i]
        lo, hi = proportion_confint(x1[i], n, alpha=0.1, method="beta")
        assert low[i] == pytest.approx(lo / (1 - lo) * t0 / t1[i])
        if x0[i]:
            assert high[i] == pytest.approx(hi / (1 - hi) * t0 / t1[i])
    assert high[2] == np.inf
    empty = rate_ratio([0], [1], [0], [1])
    assert all(np.isnan(v[0]) for v in empty)


def test_bad_input_zero_cost_unknown_ids_missing_windows(hand_ws):
    out = _rows(hand_ws, kind=None)
    c2 = out.loc["C2"]  # cost 0: no ratios, and a note saying why
    assert np.isnan(c2["cost_per_acquisition"]) and np.isnan(c2["roas"])
    assert "cost is 0" in c2["note"]
    c3 = out.loc["C3"]  # no dates, no posts, nobody acquired
    assert np.isnan(c3["lift"]) and "no campaign window" in c3["note"]
    assert (c3["posts"], c3["acquisitions"]) == (0, 0)
    # C9 is on a post and a customer but not in campaigns: reported, with a note
    c9 = out.loc["C9"]
    assert (c9["posts"], c9["acquisitions"], c9["revenue"]) == (1, 1, 20.0)
    assert "not in the campaigns table" in c9["note"] and pd.isna(c9["kind"])
    assert out.index[-1] == "C9"  # unknown ids come last


def test_kind_filter_and_horizon(hand_ws):
    deals = _rows(hand_ws)
    assert deals.index.tolist() == ["C1", "C3", "C9"]  # influencer deals, then unknown ids
    assert _rows(hand_ws, kind="campaign").index.tolist() == ["C2", "C9"]
    month = _rows(hand_ws, horizon_days=30)
    assert month.loc["C1", "revenue"] == 160.0  # u1's 40 on 30 June is past 30 days


def test_tracking_codes_on_customers(tmp_path):
    coded = CUSTOMERS.assign(tracking_code=["T1", "t1 ", None, None, None, "T2", "XX", None])
    ws = hand_workspace(tmp_path, campaigns=CAMPAIGNS)
    path = tmp_path / "customers.csv"
    coded.drop(columns="campaign_id").to_csv(path, index=False)
    mapping = {"table": "customers", "columns": {"tracking_code": "tracking_code"}}
    ws.ingest(path, table="customers", mapping=mapping)
    out = _rows(ws, kind=None)
    assert out.loc["C1", "acquisitions"] == 2 and out.loc["C2", "acquisitions"] == 1
    assert np.isnan(out.loc["C1", "engagement_rate"])  # no posts table
    ws.close()


def test_errors(tmp_path, hand_ws):
    with pytest.raises(ArgumentError, match="unknown kind"):
        Social(hand_ws).influencers(kind="affiliate")
    with pytest.raises(ArgumentError, match="horizon_days"):
        Social(hand_ws).influencers(horizon_days=0)
    ws = hand_workspace(tmp_path / "other", posts=POSTS)
    with pytest.raises(NotEnoughDataError, match="'campaigns' table"):
        Social(ws).influencers()
    ws.close()
    with pytest.raises(SchemaError, match="no campaign_id column"):
        untagged = ibis.memtable(POSTS.drop(columns="campaign_id"))
        influencers(ibis.memtable(CAMPAIGNS), posts=untagged)


def test_sample_attribution_and_lift(sample):
    ws, data = sample
    out = Social(ws).influencers(kind=None).set_index("campaign_id")
    truth = data.truth["campaigns"]
    assert out["acquisitions"].to_dict() == truth["acquired_customers"]
    assert out["posts"].to_dict() == truth["posts"]
    customers = data.tables["customers"]
    tx = data.tables["transactions"].merge(customers[["customer_id", "first_seen", "campaign_id"]])
    tx = tx[tx["campaign_id"].notna() & (tx["occurred_at"] >= tx["first_seen"])]
    revenue = tx.groupby("campaign_id")["amount"].sum().to_dict()
    assert out["revenue"].to_dict() == pytest.approx(revenue)
    camp = data.tables["campaigns"].set_index("campaign_id")
    for cid, row in out.iterrows():
        start = camp.loc[cid, "start_at"].floor("D")
        end = camp.loc[cid, "end_at"].floor("D") + pd.Timedelta(days=1)
        seen = customers["first_seen"]
        assert row["window_acquisitions"] == ((seen >= start) & (seen < end)).sum()
        before = (seen >= start - (end - start)) & (seen < start)
        assert row["baseline_acquisitions"] == before.sum()
    # campaigns planted with a 1.5x acquisition uplift and nothing else in either window
    # lift acquisitions significantly; pooled, their rate ratio covers the planted 1.5
    clean = out[(out["kind"] == "campaign") & (out["overlaps"] == "")]
    assert len(clean) == 3 and (clean["lift_ci_low"] > 1).all()
    _, low, high, _ = rate_ratio(clean["window_acquisitions"].sum(), 1,
                                 clean["baseline_acquisitions"].sum(), 1)  # fmt: skip
    assert low[0] < 1.5 < high[0]
    lena = out.loc["CMP-08"]  # the Russian deal overlaps the holiday campaign: flagged
    assert "CMP-03" in lena["overlaps"] and "other campaigns run" in lena["note"]
