"""Negative-spike alerts: trailing baseline, Fisher's exact test, BH; the planted spike."""

from __future__ import annotations

import ibis
import numpy as np
import pandas as pd
import pytest
from scipy import stats as st
from statsmodels.stats.multitest import multipletests

from cxlens.errors import ArgumentError, NotEnoughDataError
from cxlens.social import Social, negative_spikes
from cxlens.social.spikes import ALL_NEGATIVE
from tests.social.conftest import EnglishRussian

BILLING = ["billing", "invoice", "биллинг", "счет", "计费", "账单"]


def _posts(negatives: list[int], *, per_month: int = 20, billing: list[int] | None = None):
    """Own-brand posts, ``per_month`` a month from January 2024, the first k negative."""
    rows = []
    for m, k in enumerate(negatives):
        for i in range(per_month):
            about = billing is not None and i < billing[m]
            rows.append({
                "post_id": f"m{m}-{i}",
                "brand": "own",
                "brand_role": "own",
                "posted_at": pd.Timestamp(2024, m + 1, 1 + i),
                "sentiment_label": "negative" if i < k else "positive",
                "text": "Wrong INVOICE again" if about else "slow line",
            })  # fmt: skip
    rows.append({"post_id": "rival", "brand": "rival", "brand_role": "competitor",
                 "posted_at": pd.Timestamp(2024, 1, 2), "sentiment_label": "negative",
                 "text": "x"})  # fmt: skip
    return ibis.memtable(pd.DataFrame(rows))


def test_trailing_baseline_and_fisher_test_by_hand():
    out = negative_spikes(_posts([4, 4, 4, 4, 4, 15]), baseline=5, min_baseline=3)
    assert set(out["brand"]) == {"own"}  # own brands by default
    assert out["n"].tolist() == [20] * 6
    june = out.iloc[5]
    base = (june["baseline_n"], june["baseline_negatives"], june["baseline_periods"])
    assert base == (100, 20, 5)
    assert june["share"] == 75.0 and june["baseline_share"] == 20.0
    p = st.fisher_exact([[15, 5], [20, 80]], alternative="greater").pvalue
    assert june["p_value"] == pytest.approx(p)
    # the first three months lack a baseline of 3 periods: not tested
    assert out["p_value"].iloc[:3].isna().all() and out["p_value"].iloc[3:].notna().all()
    tested = out["p_value"].dropna().to_numpy()
    q = multipletests(tested, method="fdr_bh")[1]
    assert out["q_value"].dropna().to_numpy() == pytest.approx(q)
    assert out["alert"].tolist() == [False] * 5 + [True]
    low, high = st.binomtest(15, 20).proportion_ci(method="wilson")
    assert (june["ci_low"], june["ci_high"]) == pytest.approx((100 * low, 100 * high))


def test_a_lasting_change_stops_alerting_once_the_baseline_has_absorbed_it():
    out = negative_spikes(_posts([3, 3, 3, 3, 14, 14, 14, 14]), baseline=3, min_baseline=2)
    flagged = out.loc[out["alert"], "period"]
    assert flagged.min() == pd.Timestamp("2024-05-01")  # the first month of the change
    assert not out["alert"].iloc[7]  # August: its baseline (May-July) is all post-change


def test_topic_series_catches_a_change_in_what_people_complain_about():
    # the negative share is flat (5 of 20) but billing complaints start in month 6
    posts = _posts([5] * 8, billing=[0, 0, 0, 0, 0, 5, 5, 5])
    out = negative_spikes(posts, baseline=5, min_baseline=3, topics={"billing": ["invoice"]})
    assert not out.loc[out["topic"] == ALL_NEGATIVE, "alert"].any()
    billing = out[out["topic"] == "billing"]
    assert billing["negatives"].tolist() == [0] * 5 + [5] * 3  # case-insensitive match
    assert billing.loc[billing["alert"], "period"].tolist() == [pd.Timestamp("2024-06-01")]


def test_weeks_and_explicit_brands():
    out = negative_spikes(_posts([4, 4]), every="week", baseline=4, min_baseline=2,
                          brands=["own", "rival"])  # fmt: skip
    assert set(out["brand"]) == {"own", "rival"}
    assert (out["period"].dt.dayofweek == 0).all()  # weeks start on Monday


def test_planted_billing_problem_fires_in_its_month(sample):
    ws, data = sample
    social = Social(ws, backend=EnglishRussian())
    table = social.alerts(topics={"billing": BILLING}, all_periods=True)
    start = pd.Timestamp(data.truth["planted_problem"]["start"])
    assert data.truth["planted_problem"]["own_billing_post_share"] > 0
    billing = table[table["topic"] == "billing"]
    assert billing.loc[billing["alert"], "period"].tolist() == [start]
    # before the problem month no billing complaint: the alert is the change, not noise
    assert billing.loc[billing["period"] < start, "negatives"].sum() == 0
    alerts = social.alerts(topics={"billing": BILLING})
    assert alerts["alert"].all() and start in alerts["period"].tolist()
    assert set(alerts["brand"]) == {data.truth["firm"]["name"]}


def test_bad_arguments():
    posts = _posts([1, 2])
    with pytest.raises(ArgumentError, match="min_baseline"):
        negative_spikes(posts, baseline=2, min_baseline=3)
    with pytest.raises(ArgumentError, match="fdr"):
        negative_spikes(posts, fdr=1.5)
    with pytest.raises(ArgumentError, match="topics must map"):
        negative_spikes(posts, topics=["billing"])
    with pytest.raises(ArgumentError, match="at least one non-empty term"):
        negative_spikes(posts, topics={"billing": []})
    with pytest.raises(ArgumentError, match="every is required"):
        negative_spikes(posts, every=None)
    with pytest.raises(NotEnoughDataError, match="no scored posts"):
        negative_spikes(posts, brands="nobody")
    assert np.isnan(negative_spikes(posts)["p_value"]).all()  # too short to test
