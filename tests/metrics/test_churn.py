"""Churn on hand-made customers and transactions."""

from __future__ import annotations

import math

import pandas as pd
import pytest
from scipy import stats

from cxlens.errors import NotEnoughDataError, SchemaError
from cxlens.metrics import churn, churn_from_transactions, lifetimes_from_transactions
from cxlens.metrics.churn import active_spells

T = pd.Timestamp


def _six(make_table):
    # A stays; B leaves in Feb; C leaves exactly at the start of March; D joins and leaves in
    # Feb (never at risk at a period start); E leaves in April; F joins exactly on 1 March.
    return make_table(
        customer_id=list("ABCDEF"),
        segment=["x", "x", "y", "y", "x", "y"],
        first_seen=pd.to_datetime(
            ["2024-01-10", "2024-01-15", "2024-01-20", "2024-02-05", "2024-02-10", "2024-03-01"]
        ),
        churned_at=pd.to_datetime(
            [None, "2024-02-20", "2024-03-01", "2024-02-25", "2024-04-30", "2024-04-10"]
        ),
    )


def test_churn_six_customers_by_hand(make_table):
    out = churn(_six(make_table), every="month")
    assert out["period"].tolist() == [
        T("2024-01-01"),
        T("2024-02-01"),
        T("2024-03-01"),
        T("2024-04-01"),
    ]
    assert out["at_start"].tolist() == [0, 3, 3, 3]  # Feb: ABC; Mar: ACE; Apr: AEF
    assert out["lost"].tolist() == [0, 1, 1, 2]  # Feb: B; Mar: C; Apr: E, F
    assert out["n"].tolist() == out["at_start"].tolist()
    assert math.isnan(out["value"][0])
    assert out["value"][1:].tolist() == [pytest.approx(100 / 3)] * 2 + [pytest.approx(200 / 3)]
    assert out["retention"][3] == pytest.approx(100 / 3)
    ref = stats.binomtest(2, 3).proportion_ci(confidence_level=0.95, method="wilson")
    assert out["ci_low"][3] == pytest.approx(100 * ref.low)
    assert out["ci_high"][3] == pytest.approx(100 * ref.high)
    # April vs March, 2/3 vs 1/3: expected counts of 1.5 are below 5, so Fisher's exact test
    assert out["change"][3] == pytest.approx(100 / 3)
    assert out["p_value"][3] == pytest.approx(stats.fisher_exact([[2, 1], [1, 2]]).pvalue)
    assert out["test"][3] == "Fisher exact" and out["ci_method"][3] == "Wilson"
    assert out["change"][2] == pytest.approx(0.0)
    assert out["small_sample"].all()
    assert list(out.columns) == [
        "period", "n", "value", "ci_low", "ci_high", "change", "p_value", "significant",
        "small_sample", "partial", "ci_method", "test", "at_start", "lost", "retention",
    ]  # fmt: skip


def test_churn_by_segment_gives_every_group_every_period(make_table):
    out = churn(_six(make_table), every="month", by=["segment"])
    assert out["segment"].tolist() == ["x"] * 4 + ["y"] * 4
    x, y = out[out["segment"] == "x"], out[out["segment"] == "y"]
    assert x["at_start"].tolist() == [0, 2, 2, 2] and x["lost"].tolist() == [0, 1, 0, 1]
    assert y["at_start"].tolist() == [0, 1, 1, 1] and y["lost"].tolist() == [0, 0, 1, 1]
    total = churn(_six(make_table), every="month")
    assert out.groupby("period")["at_start"].sum().tolist() == total["at_start"].tolist()


def test_churn_quarterly(make_table):
    out = churn(_six(make_table), every="quarter")
    assert out["period"].tolist() == [T("2024-01-01"), T("2024-04-01")]
    assert out["at_start"].tolist() == [0, 3] and out["lost"].tolist() == [0, 2]


def test_churn_needs_a_grain(make_table):
    with pytest.raises(ValueError, match="every is required"):
        churn(_six(make_table), every=None)
    with pytest.raises(ValueError, match="unknown time grain every='fortnight'"):
        churn(_six(make_table), every="fortnight")


def test_churn_without_first_seen_dates(make_table):
    t = make_table(
        first_seen=pd.to_datetime([None, None]), churned_at=pd.to_datetime(["2024-01-01", None])
    )
    with pytest.raises(NotEnoughDataError, match="no customer has a first_seen"):
        churn(t)


def test_churn_missing_columns(make_table):
    with pytest.raises(SchemaError, match="customers has no column 'churned_at'"):
        churn(make_table(first_seen=pd.to_datetime(["2024-01-01"])))


def _transactions(make_table):
    return make_table(
        customer_id=["a", "a", "b", "b", "c", "c"],
        category=["k", "k", "k", "l", "l", "l"],
        occurred_at=pd.to_datetime(
            ["2024-01-05", "2024-01-20", "2024-01-10", "2024-03-15", "2024-02-01", "2024-04-30"]
        ),
        amount=[1.0] * 6,
    )


def test_lifetimes_from_transactions_by_hand(make_table):
    life = lifetimes_from_transactions(_transactions(make_table), inactivity_days=30)
    got = life.execute().sort_values("customer_id").reset_index(drop=True)
    assert got["first_seen"].tolist() == [T("2024-01-05"), T("2024-01-10"), T("2024-02-01")]
    # a: 20 Jan + 30 = 19 Feb; b: 15 Mar + 30 = 14 Apr; c: 30 Apr + 30 is past the data end
    assert got["churned_at"].tolist()[:2] == [T("2024-02-19"), T("2024-04-14")]
    assert pd.isna(got["churned_at"][2])


def _lapsing(make_table):
    # 30-day lapses, data to 30 Jun. a: 5 Jan .. 10 Mar, lapse from 10 Mar. b: 10 Jan, 5 Feb,
    # lapse from 5 Feb (44 days to 20 Mar), back 20 Mar .. 28 Apr, lapse from 28 Apr.
    # c: 1 Feb .. 30 Jun every 13-26 days, still active. d: one purchase on 15 Jan.
    days = {
        "a": ["01-05", "01-25", "02-15", "03-10"],
        "b": ["01-10", "02-05", "03-20", "04-05", "04-28"],
        "c": ["02-01", "02-20", "03-05", "03-30", "04-20", "05-15", "06-10", "06-30"],
        "d": ["01-15"],
    }
    rows = [(c, "2024-" + d) for c, ds in days.items() for d in ds]
    # b's second spell is bought in category l, everything else in k
    category = ["l" if c == "b" and d >= "2024-03" else "k" for c, d in rows]
    return make_table(
        customer_id=[c for c, _ in rows],
        category=category,
        occurred_at=pd.to_datetime([d for _, d in rows]),
    )


def test_churn_from_transactions_counts_every_lapse_in_the_period_it_began(make_table):
    out = churn_from_transactions(_lapsing(make_table), inactivity_days=30, every="month")
    assert out["period"].dt.month.tolist() == [1, 2, 3, 4, 5, 6]
    # Feb: a, b at risk, b lapses (5 Feb); Mar: a, c, a lapses; Apr: b (back), c, b lapses
    assert out["at_start"].tolist() == [0, 2, 2, 2, 1, 1]
    assert out["lost"].tolist() == [0, 1, 1, 1, 0, 0]
    assert out["value"][1:5].tolist() == [50.0, 50.0, 50.0, 0.0]
    # June's lapses are known only from 31 July (30 days after it ends): not reported
    assert out["status"].tolist() == ["known"] * 5 + ["not yet known"]
    assert out["known_from"][5] == T("2024-07-31") and out["known_from"][4] == T("2024-07-01")
    assert math.isnan(out["value"][5]) and math.isnan(out["ci_low"][5])
    assert math.isnan(out["p_value"][5]) and math.isnan(out["change"][5])
    # January is partial (data from 5 Jan); June is covered to its last day
    assert out["partial"].tolist() == [True] + [False] * 5


def test_active_spells_by_hand(make_table):
    got = active_spells(_lapsing(make_table), inactivity_days=30).execute()
    got = got.sort_values(["customer_id", "first_seen"]).reset_index(drop=True)
    assert got["customer_id"].tolist() == ["a", "b", "b", "c", "d"]
    assert got["churned_at"].tolist()[:3] == [T("2024-03-10"), T("2024-02-05"), T("2024-04-28")]
    assert pd.isna(got["churned_at"][3]) and got["churned_at"][4] == T("2024-01-15")


def test_churn_from_transactions_by_category_follows_each_relationship(make_table):
    out = churn_from_transactions(
        _lapsing(make_table), inactivity_days=30, every="month", by="category"
    )
    k, ll = out[out["category"] == "k"], out[out["category"] == "l"]
    # category k loses b's second spell (bought in l): April holds only c
    assert k["at_start"].tolist() == [0, 2, 2, 1, 1, 1] and k["lost"].tolist() == [0, 1, 1, 0, 0, 0]
    assert ll["at_start"].tolist() == [0, 0, 0, 1, 0, 0] and ll["lost"].tolist() == [
        0,
        0,
        0,
        1,
        0,
        0,
    ]


def test_inactivity_days_must_be_positive(make_table):
    with pytest.raises(ValueError, match="inactivity_days must be a positive integer"):
        churn_from_transactions(_transactions(make_table), inactivity_days=0)


def test_churn_from_empty_transactions(make_table):
    t = _transactions(make_table).filter(lambda t: t.amount < 0)
    with pytest.raises(NotEnoughDataError, match="no dated rows"):
        churn_from_transactions(t)


@pytest.mark.spark
def test_churn_from_transactions_agrees_on_spark(make_table, spark):
    import ibis

    duck = _lapsing(make_table)
    frame = duck.execute()
    con = ibis.pyspark.connect(spark)
    on_spark = con.create_table("lapsing_transactions", frame, overwrite=True)
    want = churn_from_transactions(duck, inactivity_days=30, every="month", by="category")
    got = churn_from_transactions(on_spark, inactivity_days=30, every="month", by="category")
    pd.testing.assert_frame_equal(
        got.reset_index(drop=True), want.reset_index(drop=True), check_dtype=False
    )
