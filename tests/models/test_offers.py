"""Offers on hand-made baskets: rules against hand counts, refunds, day baskets, errors, charts."""

from __future__ import annotations

import ibis
import numpy as np
import pandas as pd
import pytest
from scipy import stats
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.proportion import proportion_confint

import cxlens
from cxlens.errors import ArgumentError, NotEnoughDataError, SchemaError
from cxlens.models.charts_offers import affinity_heatmap, hit_rate_figure
from cxlens.models.offers import (
    AffinityOffers,
    OffersResult,
    affinities,
    evaluate_offers,
    next_best_offers,
    offers,
)
from cxlens.models.offers_baskets import basket_stats, owned_items
from cxlens.models.offers_eval import HIT_RATE_DENOMINATOR, mcnemar_p
from tests.analysis.test_features import workspace_from
from tests.conftest import ENGINES, on_engine

TS = pd.Timestamp
D1, D2 = TS("2024-03-01 10:00"), TS("2024-03-02 11:00")
PRICE = {"A": 10.0, "B": 20.0, "C": 5.0, "D": 40.0, "E": 7.0}
CATEGORY = {"A": "gear", "B": "gear", "C": "content", "D": "service", "E": "content"}

# six customer baskets; c1 buys C a day after A and B (two "day" baskets)
BASKETS = {
    "c1": [("A", D1), ("B", D1), ("C", D2)],
    "c2": [("A", D1), ("B", D1)],
    "c3": [("A", D1), ("C", D1)],
    "c4": [("B", D1), ("C", D1)],
    "c5": [("A", D1), ("B", D1), ("D", D1)],
    "c6": [("D", D1)],
}
N = 6
COUNTS = {"A": 4, "B": 4, "C": 3, "D": 2}
BOTH = {("A", "B"): 3, ("A", "C"): 2, ("B", "C"): 2, ("A", "D"): 1, ("B", "D"): 1}


def _frame(rows: list[tuple[str, str, pd.Timestamp, float]]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=["customer_id", "product", "occurred_at", "amount"])
    frame["category"] = frame["product"].map(CATEGORY)
    frame.insert(0, "transaction_id", [f"t{i:03d}" for i in range(len(frame))])
    return frame


def hand_transactions(extra: list | None = None) -> pd.DataFrame:
    rows = [(c, p, at, PRICE[p]) for c, items in BASKETS.items() for p, at in items]
    return _frame(rows + (extra or []))


@pytest.fixture(scope="module")
def duckdb_hand_ws(tmp_path_factory):
    ws = workspace_from(tmp_path_factory.mktemp("offers"), transactions=hand_transactions())
    yield ws
    ws.close()


@pytest.fixture(scope="module", params=ENGINES)
def hand_ws(request, duckdb_hand_ws):
    """``duckdb_hand_ws`` on each engine (Spark: a copy of the same tables)."""
    return on_engine(request, duckdb_hand_ws)


class _Tables:
    """A minimal workspace over in-memory frames (ingest always creates every column)."""

    def __init__(self, **frames: pd.DataFrame) -> None:
        self.con = ibis.duckdb.connect()
        self.frames = {name: self.con.create_table(name, f) for name, f in frames.items()}

    def has_table(self, name: str) -> bool:
        return name in self.frames

    def table(self, name: str) -> ibis.Table:
        return self.frames[name]


def _rule(rules: pd.DataFrame, a: str, b: str) -> pd.Series:
    row = rules[(rules.antecedent == a) & (rules.consequent == b)]
    assert len(row) == 1, (a, b)
    return row.iloc[0]


def test_support_confidence_lift_match_hand_counts(hand_ws):
    rules = affinities(hand_ws, min_support=0.0, min_count=1, min_baskets=1)
    facts = rules[["n_baskets", "multi_item_baskets", "items", "basket", "item"]]
    assert facts.drop_duplicates().values.tolist() == [[N, 5, 4, "customer", "product"]]
    assert rules.attrs == {}
    assert len(rules) == 2 * len(BOTH)  # C and D never meet: no rule
    for (x, y), both in BOTH.items():
        for a, b in ((x, y), (y, x)):
            r = _rule(rules, a, b)
            assert r.baskets_with_both == both
            assert r.support == pytest.approx(both / N)
            assert r.confidence == pytest.approx(both / COUNTS[a])
            assert r.lift == pytest.approx(both / COUNTS[a] / (COUNTS[b] / N))
    # by hand: A -> B support 1/2, confidence 3/4, lift 9/8; A -> D lift 3/4
    ab = _rule(rules, "A", "B")
    assert (ab.support, ab.confidence, ab.lift) == pytest.approx((0.5, 0.75, 1.125))
    assert _rule(rules, "A", "D").lift == pytest.approx(0.75)
    assert _rule(rules, "C", "A").confidence == pytest.approx(2 / 3)
    # Fisher one-sided: P(X >= 3), X ~ hypergeom(6 baskets, 4 with B, 4 drawn) = 9/15
    assert ab.p_value == pytest.approx(9 / 15)
    table = [[3, 1], [1, 1]]
    assert ab.p_value == pytest.approx(stats.fisher_exact(table, alternative="greater")[1])
    low, high = proportion_confint(3, 4, method="wilson")
    assert (ab.confidence_ci_low, ab.confidence_ci_high) == pytest.approx((low, high))
    assert (ab.lift_ci_low, ab.lift_ci_high) == pytest.approx((low * 6 / 4, high * 6 / 4))
    # BH over all 12 ordered pairs of 4 items (C-D twice with p = 1)
    p = np.concatenate([rules.p_value.to_numpy(), [1.0, 1.0]])
    want = multipletests(p, method="fdr_bh")[1][: len(rules)]
    np.testing.assert_allclose(rules.q_value, want)
    assert not rules.significant.any() and rules.small_sample.all()
    assert rules.lift.is_monotonic_decreasing


def test_min_support_and_min_count_filter(hand_ws):
    rules = affinities(hand_ws, min_support=0.3, min_count=1, min_baskets=1)
    assert set(zip(rules.antecedent, rules.consequent, strict=True)) == {
        ("A", "B"), ("B", "A"), ("A", "C"), ("C", "A"), ("B", "C"), ("C", "B")
    }  # fmt: skip
    rules = affinities(hand_ws, min_support=0.0, min_count=3, min_baskets=1)
    assert len(rules) == 2


def test_day_baskets(hand_ws):
    rules = affinities(hand_ws, basket="day", min_support=0.0, min_count=1, min_baskets=1)
    # c1 splits into {A, B} and {C}: 7 baskets, A-C and B-C once each
    assert (rules["n_baskets"] == 7).all() and (rules["basket"] == "day").all()
    ab = _rule(rules, "A", "B")
    assert ab.baskets_with_both == 3
    assert ab.lift == pytest.approx(0.75 / (4 / 7))
    assert _rule(rules, "A", "C").baskets_with_both == 1
    assert _rule(rules, "C", "B").confidence == pytest.approx(1 / 3)


def test_basket_column_and_category_items(tmp_path):
    frame = hand_transactions()
    frame["order_id"] = frame["customer_id"] + frame["occurred_at"].dt.strftime("%d")
    path = tmp_path / "orders.csv"
    frame.to_csv(path, index=False)
    ws = cxlens.Workspace(tmp_path / "ws.duckdb")
    mapping = {"table": "transactions", "columns": {c: c for c in frame.columns}}
    assert ws.ingest(path, table="transactions", mapping=mapping).rows_quarantined == 0
    by_order = affinities(ws, basket="order_id", min_support=0.0, min_count=1, min_baskets=1)
    by_day = affinities(ws, basket="day", min_support=0.0, min_count=1, min_baskets=1)
    cols = ["antecedent", "consequent", "baskets_with_both", "lift"]
    pd.testing.assert_frame_equal(by_order[cols], by_day[cols])
    cats = affinities(ws, item="category", min_support=0.0, min_count=1, min_baskets=1)
    # categories per customer: c1 gear+content, c2 gear, c3 gear+content, c4 gear+content,
    # c5 gear+service, c6 service
    gc = _rule(cats, "gear", "content")
    assert (gc.baskets_with_both, gc.confidence) == (3, pytest.approx(3 / 5))
    with pytest.raises(SchemaError, match="neither 'customer' nor 'day'"):
        affinities(ws, basket="no_such_column", min_baskets=1)
    ws.close()


def test_refunded_lines_are_not_purchases(tmp_path):
    later = TS("2024-03-20")
    extra = [
        ("c6", "E", D1, 7.0), ("c6", "E", later, -7.0),  # refunded in full: E never bought
        ("c4", "B", later, -3.0),  # partial refund (no matching amount): B stays
        ("c2", "C", D1, 5.0), ("c2", "C", D2, 5.0), ("c2", "C", later, -5.0),  # one of two
        ("c3", "C", later, -5.0),  # c3's only C refunded: c3 holds A alone
    ]  # fmt: skip
    ws = workspace_from(tmp_path, transactions=hand_transactions(extra))
    got = basket_stats(ws, min_baskets=1)
    counts = got.items.set_index("item")
    assert "E" not in counts.index
    assert counts.loc["C", "baskets"] == 3  # c1, c2 (one C left), c4; not c3
    assert counts.loc["B", "baskets"] == 4
    # c2's kept C line: 5.0; revenue of C = c1 5 + c2 5 + c4 5
    assert counts.loc["C", "revenue"] == pytest.approx(15.0)
    owned = owned_items(ws, upto=TS("2024-12-31"))
    assert set(owned[owned.customer_id == "c3"].item) == {"A"}
    assert set(owned[owned.customer_id == "c6"].item) == {"D"}
    # before the refunds happen, the purchases still count (as known at that date)
    early = owned_items(ws, upto=TS("2024-03-10"))
    assert set(early[early.customer_id == "c6"].item) == {"D", "E"}
    ws.close()


def test_next_best_offers_by_hand(hand_ws):
    got = next_best_offers(hand_ws, k=2, min_baskets=1, combine="max", rank_by="probability")
    assert (got["as_of"] == D2).all() and got.attrs == {}  # the last purchase's time
    m = 10.0
    base = {i: n / N for i, n in COUNTS.items()}

    def q(a: str, b: str) -> float:
        both = BOTH.get((a, b), BOTH.get((b, a), 0))
        return (both + m * base[b]) / (COUNTS[a] + m)

    # c6 owns D: candidates A, B, C; max over the one owned item
    c6 = got[got.customer_id == "c6"].set_index("product")
    want = {b: q("D", b) for b in "ABC"}
    top = sorted(want, key=lambda b: (-want[b], b))[:2]
    assert c6.index.tolist() == top
    for b in top:
        assert c6.loc[b, "probability"] == pytest.approx(want[b])
    # c2 owns A and B: C scores max(q(A,C), q(B,C)), D scores max(q(A,D), q(B,D))
    c2 = got[got.customer_id == "c2"].set_index("product")
    assert c2.loc["C", "probability"] == pytest.approx(max(q("A", "C"), q("B", "C")))
    assert c2.loc["D", "probability"] == pytest.approx(max(q("A", "D"), q("B", "D")))
    # nobody is offered what they own, ranks run 1..k
    owned = {(c, p) for c, items in BASKETS.items() for p, _ in items}
    assert not any((c, p) in owned for c, p in zip(got.customer_id, got["product"], strict=True))
    left = {c: min(2, len(COUNTS) - len(items)) for c, items in BASKETS.items()}
    ranks = got.groupby("customer_id")["rank"].apply(list)
    assert all(ranks[c] == list(range(1, n + 1)) for c, n in left.items())
    # value per buying customer and expected value
    np.testing.assert_allclose(got.value, got["product"].map(PRICE))
    np.testing.assert_allclose(got.expected_value, got.probability * got.value)


def test_log_odds_pooling_and_expected_value_ranking(hand_ws):
    got = next_best_offers(hand_ws, k=2, min_baskets=1)  # log_odds, expected_value
    m = 10.0
    p_c, p_d = COUNTS["C"] / N, COUNTS["D"] / N

    def logit(x: float) -> float:
        return np.log(x / (1 - x))

    def q(a: str, b: str, both: int) -> float:
        return (both + m * COUNTS[b] / N) / (COUNTS[a] + m)

    c2 = got[got.customer_id == "c2"].set_index("product")
    pooled_c = (
        logit(p_c) + (logit(q("A", "C", 2)) - logit(p_c)) + (logit(q("B", "C", 2)) - logit(p_c))
    )
    pooled_d = (
        logit(p_d) + (logit(q("A", "D", 1)) - logit(p_d)) + (logit(q("B", "D", 1)) - logit(p_d))
    )
    assert c2.loc["C", "probability"] == pytest.approx(1 / (1 + np.exp(-pooled_c)))
    assert c2.loc["D", "probability"] == pytest.approx(1 / (1 + np.exp(-pooled_d)))
    # D is worth 40 and C 5: D ranks first by expected value
    assert c2.index.tolist() == ["D", "C"]
    assert (
        got.groupby("customer_id").expected_value.apply(lambda v: v.is_monotonic_decreasing).all()
    )
    assert c2.loc["D", "kind"] == "cross-sell"


def test_upsell_kind_and_not_offered(hand_ws):
    got = next_best_offers(hand_ws, k=3, min_baskets=1)
    # c3 owns A (gear, 10): B (gear, 20) is an upsell; D (service) a cross-sell
    c3 = got[got.customer_id == "c3"].set_index("product")
    assert c3.loc["B", "kind"] == "upsell"
    assert c3.loc["D", "kind"] == "cross-sell"
    without = next_best_offers(hand_ws, k=3, min_baskets=1, not_offered=["service"])
    assert "D" not in set(without["product"])
    # c3 then has only B left to be offered
    assert without[without.customer_id == "c3"]["product"].tolist() == ["B"]


def test_model_estimator_conventions(hand_ws):
    model = AffinityOffers(k=2, smoothing=0.0)
    assert not hasattr(model, "items_")
    with pytest.raises(ArgumentError, match="not fitted"):
        model.recommend(pd.DataFrame({"customer_id": ["x"], "item": ["A"]}))
    assert model.fit(basket_stats(hand_ws, min_baskets=1)) is model
    assert model.n_baskets_ == N
    # smoothing 0: raw confidence; a customer owning an unknown item gets the base rate
    owned = pd.DataFrame({"customer_id": ["x", "y"], "item": ["A", "Z"]})
    got = model.recommend(owned)
    x = got[got.customer_id == "x"].set_index("product")
    assert x.loc["B", "probability"] == pytest.approx(3 / 4)
    assert x.loc["B", "because"] == "A"
    y = got[got.customer_id == "y"]
    assert y.because.isna().all()
    assert set(y["product"]) <= set(COUNTS)
    base = model.popularity(owned)
    assert base[base.customer_id == "x"]["product"].tolist() == ["B", "C"]  # ties by name
    with pytest.raises(ArgumentError, match="rank_by"):
        AffinityOffers(rank_by="price").fit(basket_stats(hand_ws, min_baskets=1))


def test_fit_catalog_counts_the_baskets_up_to_as_of(hand_ws):
    model = AffinityOffers(k=2).fit_catalog(hand_ws, basket="day", as_of=D1, min_baskets=1)
    # up to D1 only: c1's C (bought on D2) is not counted, so C is in 2 of the 6 day baskets
    assert model.as_of_ == D1
    assert model.n_baskets_ == N
    assert model.items_.set_index("item").loc["C", "baskets"] == 2


def test_fit_catalog_checks_the_settings_before_any_query():
    # no transactions table at all: a counting query would fail with a SchemaError first
    with pytest.raises(ArgumentError, match="smoothing must be a number >= 0; got -1"):
        AffinityOffers(smoothing=-1).fit_catalog(_Tables(), min_baskets=1)


def test_errors(tmp_path, hand_ws):
    no_product = _Tables(transactions=hand_transactions().drop(columns=["product"]))
    with pytest.raises(SchemaError, match="no 'product' column"):
        affinities(no_product, min_baskets=1)
    nulls = hand_transactions().assign(product=None)
    ws = workspace_from(tmp_path / "b", transactions=nulls)
    with pytest.raises(SchemaError, match=r"product is null in all 13 rows"):
        next_best_offers(ws, min_baskets=1)
    ws.close()
    with pytest.raises(NotEnoughDataError, match=r"at least 20 baskets .* there are 5 of 6"):
        affinities(hand_ws)
    with pytest.raises(ArgumentError, match=r"outside the data: transactions run from 2024-03-01"):
        evaluate_offers(hand_ws, "2025-01-01", min_baskets=1)
    with pytest.raises(ArgumentError, match="outside the data"):
        evaluate_offers(hand_ws, "2023-01-01", min_baskets=1)
    with pytest.raises(ArgumentError, match="k must be"):
        next_best_offers(hand_ws, k=0, min_baskets=1)
    with pytest.raises(ArgumentError, match="item must be"):
        affinities(hand_ws, item="brand")
    with pytest.raises(ArgumentError, match="min_support"):
        affinities(hand_ws, min_support=2.0, min_baskets=1)
    with pytest.raises(ArgumentError, match="horizon_days"):
        evaluate_offers(hand_ws, "2024-03-01 12:00", horizon_days=0, min_baskets=1)


def test_mcnemar_exact():
    # 5 discordant pairs all for the model: two-sided exact p = 2 / 2**5
    assert mcnemar_p(np.array([1, 1, 1, 1, 1, 1]), np.array([0, 0, 0, 0, 0, 1])) == 0.0625
    assert mcnemar_p(np.array([1, 0]), np.array([1, 0])) == 1.0


def test_charts():
    rules = pd.DataFrame({
        "antecedent": ["A", "B", "A"], "consequent": ["B", "A", "C"], "lift": [4.0, 4.0, 0.5],
        "confidence": [0.5, 0.4, 0.1], "baskets_with_both": [40, 40, 3],
        "significant": [True, True, False], "small_sample": [False, False, True],
    })  # fmt: skip
    fig = affinity_heatmap(rules)
    heat = fig.data[0]
    assert list(heat.x) == ["A", "B"]  # the A -> C rule is not significant
    assert heat.z[0][1] == pytest.approx(2.0)  # log2 lift of A -> B
    assert np.isnan(heat.z[0][0])
    ev = pd.DataFrame({"method": ["model"] * 2 + ["popularity"] * 2, "k": [1, 3, 1, 3],
                       "hit_rate": [0.4, 0.8, 0.3, 0.7], "hit_rate_ci_low": [0.3, 0.7, 0.2, 0.6],
                       "hit_rate_ci_high": [0.5, 0.9, 0.4, 0.8],
                       "customers": [100] * 4})  # fmt: skip
    fig = hit_rate_figure(ev)
    assert [t.name for t in fig.data] == ["model", "popularity"]
    assert list(fig.data[0].y) == [0.4, 0.8]
    assert list(fig.data[1].error_y.array) == pytest.approx([0.1, 0.1])
    with pytest.raises(SchemaError, match="hit_rate_figure needs"):
        hit_rate_figure(ev.drop(columns="customers"))


def test_offers_result_on_hand_data(hand_ws):
    # the hand data spans two days: a cut-off in between, evaluation on day two
    got = offers(
        hand_ws, k=2, horizon_days=5, cutoff="2024-03-01 12:00", min_count=1, min_baskets=1
    )
    assert isinstance(got, OffersResult)
    assert len(got.affinities) and len(got.offers)
    assert got.note is None
    ev = got.evaluation.set_index(["method", "k"])
    # only c1 buys something new after the cut-off (C on day two); c1 owns A and B then.
    # Popularity offers C first (C and D have two buyers each, ties by name); the model
    # offers D first (worth 40 against 5), so it hits only at k = 2.
    assert (ev.customers == 1).all()
    assert ev.loc[("popularity", 1), "hit_rate"] == 1.0
    assert ev.loc[("model", 1), "hit_rate"] == 0.0
    assert ev.loc[("model", 2), "hit_rate"] == 1.0
    # the hit rate's denominator is the one customer who bought something new; over all six
    # customers offered (each bought before the cut-off) one hit is 1/6
    assert (ev.customers_offered == 6).all()
    assert ev.loc[("popularity", 1), "hit_rate_offered"] == pytest.approx(1 / 6)
    low, high = stats.binomtest(1, 6).proportion_ci(method="wilson")
    assert ev.loc[("popularity", 1), "hit_rate_offered_ci_low"] == pytest.approx(low)
    assert ev.loc[("popularity", 1), "hit_rate_offered_ci_high"] == pytest.approx(high)
    assert "bought a new item" in HIT_RATE_DENOMINATOR and got.evaluation.attrs == {}
    # the split is a column: cut-off, its end 5 days on, one new customer-item pair (c1, C)
    split = got.evaluation[["cutoff", "horizon_end", "new_items", "rank_by"]].drop_duplicates()
    assert split.values.tolist() == [
        [TS("2024-03-01 12:00"), TS("2024-03-06 12:00"), 1, "expected_value"]
    ]
