"""Segmentation: RFM scores and names, k-means clusters, saved segments and their profiles."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import make_blobs
from sklearn.metrics import adjusted_rand_score

from cxlens.analysis import segments as seg
from cxlens.analysis.charts_customers import (
    UNRANKED_TRACE,
    rfm_grid_figure,
    segment_profile_figure,
)
from cxlens.analysis.segments import (
    RFM_GRID,
    RFM_SEGMENTS,
    clusters,
    fit_kmeans,
    prepare_matrix,
    rfm,
    rfm_rules,
    rfm_segment_names,
    save_segments,
    segment_profile,
)
from cxlens.errors import ArgumentError, NotEnoughDataError, SchemaError
from tests.analysis.test_features import sample_workspace, workspace_from
from tests.conftest import ENGINES, on_engine

TS = pd.Timestamp
AS_OF = TS("2024-12-31")

# --- RFM -------------------------------------------------------------------------------------

# Ten customers, tie-free: distinct last purchases, purchase counts and revenue.
IDS = [f"k{i:02d}" for i in range(10)]
LAST_DAYS_AGO = [3, 40, 12, 90, 1, 200, 25, 60, 7, 150]
PURCHASES = [1, 9, 4, 2, 7, 3, 10, 5, 6, 8]
AMOUNT = [50.0, 11.0, 7.5, 300.0, 20.0, 41.0, 5.0, 90.0, 33.0, 2.0]


def _rfm_transactions() -> pd.DataFrame:
    rows = []
    for cid, days, n, amount in zip(IDS, LAST_DAYS_AGO, PURCHASES, AMOUNT, strict=True):
        for j in range(n):  # the last purchase is `days` before AS_OF, the others earlier
            rows.append((cid, AS_OF - pd.Timedelta(days=days + 30 * j), amount))
    rows.append(("k00", AS_OF - pd.Timedelta(days=400), -10.0))  # a refund: not a purchase
    rows.append(("k01", AS_OF + pd.Timedelta(days=5), 999.0))  # after as_of: ignored
    frame = pd.DataFrame(rows, columns=["customer_id", "occurred_at", "amount"])
    frame.insert(0, "transaction_id", [f"t{i}" for i in range(len(frame))])
    return frame


@pytest.fixture(scope="module")
def duckdb_rfm_ws(tmp_path_factory):
    ws = workspace_from(tmp_path_factory.mktemp("rfm"), transactions=_rfm_transactions())
    yield ws
    ws.close()


@pytest.fixture(scope="module", params=ENGINES)
def rfm_ws(request, duckdb_rfm_ws):
    """``duckdb_rfm_ws`` on each engine (Spark: a copy of the same tables)."""
    return on_engine(request, duckdb_rfm_ws)


def test_rfm_values_and_quintile_scores_match_pandas_qcut(rfm_ws):
    got = rfm(rfm_ws, as_of=AS_OF).set_index("customer_id")
    assert got.index.tolist() == IDS
    np.testing.assert_allclose(got.recency_days, LAST_DAYS_AGO)
    assert got.frequency.tolist() == PURCHASES
    monetary = np.array(PURCHASES) * np.array(AMOUNT)
    monetary[0] -= 10.0  # k00's refund
    np.testing.assert_allclose(got.monetary, monetary)
    labels = [1, 2, 3, 4, 5]
    want_r = pd.qcut(-pd.Series(LAST_DAYS_AGO, index=IDS), 5, labels=labels).astype(int)
    want_f = pd.qcut(pd.Series(PURCHASES, index=IDS), 5, labels=labels).astype(int)
    want_m = pd.qcut(pd.Series(monetary, index=IDS), 5, labels=labels).astype(int)
    assert got.r_score.tolist() == want_r.tolist()
    assert got.f_score.tolist() == want_f.tolist()
    assert got.m_score.tolist() == want_m.tolist()
    assert got.loc["k04", "rfm_score"] == f"5{want_f['k04']}{want_m['k04']}"
    assert (got.rfm_segment == rfm_segment_names(got.r_score, got.f_score, got.m_score)).all()
    assert any("ntile" in rule for rule in rfm_rules(AS_OF)) and got.attrs == {}
    assert (got["as_of"] == AS_OF).all()


def test_ties_are_ordered_by_customer_id(tmp_path):
    # five customers with one purchase each on the same day: scores 1..5 by customer_id
    frame = pd.DataFrame({"transaction_id": list("abcde"), "customer_id": ["e", "d", "c", "b", "a"],
                          "occurred_at": [TS("2024-06-01")] * 5, "amount": [10.0] * 5})  # fmt: skip
    ws = workspace_from(tmp_path, transactions=frame)
    got = rfm(ws, as_of=AS_OF)
    assert got.customer_id.tolist() == list("abcde")
    assert got.f_score.tolist() == [1, 2, 3, 4, 5]
    assert got.r_score.tolist() == [1, 2, 3, 4, 5]
    ws.close()


@pytest.mark.parametrize(
    ("r", "f", "m", "segment"),
    [
        (5, 5, 5, "Champions"),
        (4, 4, 5, "Champions"),
        (5, 3, 3, "Loyal"),
        (3, 4, 5, "Loyal"),
        (5, 2, 1, "Potential loyalist"),
        (5, 1, 1, "New"),
        (4, 1, 1, "Promising"),
        (3, 1, 1, "Promising"),
        (3, 2, 3, "Need attention"),
        (2, 1, 2, "About to sleep"),
        (2, 3, 4, "At risk"),
        (1, 3, 2, "At risk"),
        (1, 5, 4, "Can't lose"),
        (2, 5, 5, "Can't lose"),
        (1, 2, 1, "Hibernating"),
        (1, 1, 1, "Lost"),
    ],
)
def test_rfm_segment_mapping(r, f, m, segment):
    assert rfm_segment_names([r], [f], [m]).tolist() == [segment]


def test_rfm_grid_covers_the_eleven_segments():
    cells = [name for row in RFM_GRID.values() for name in row]
    assert len(cells) == 25 and set(cells) == set(RFM_SEGMENTS) and len(RFM_SEGMENTS) == 11
    with pytest.raises(ArgumentError, match="1-5"):
        rfm_segment_names([6], [1], [1])


def test_rfm_needs_transactions(tmp_path):
    ws = workspace_from(tmp_path, customers=pd.DataFrame({"customer_id": ["a", "b"]}))
    with pytest.raises(SchemaError, match="transactions"):
        rfm(ws)
    ws.close()


# --- k-means ---------------------------------------------------------------------------------


def test_kmeans_recovers_three_planted_blobs():
    X, truth = make_blobs(n_samples=300, centers=3, n_features=4, cluster_std=0.6,
                          random_state=7)  # fmt: skip
    labels, k, table, _ = fit_kmeans(X, k_range=range(2, 7), seed=0)
    assert k == 3
    assert adjusted_rand_score(truth, labels) == 1.0
    assert table.loc[table.chosen, "k"].item() == 3
    assert table.silhouette.idxmax() == table.index[table.chosen][0]
    assert np.bincount(labels).tolist() == sorted(np.bincount(labels), reverse=True)


def test_silhouette_on_a_seeded_sample(monkeypatch):
    X, _truth = make_blobs(n_samples=300, centers=3, cluster_std=0.6, random_state=7)
    monkeypatch.setattr(seg, "SILHOUETTE_SAMPLE", 120)
    a = fit_kmeans(X, k_range=range(2, 5), seed=1)
    b = fit_kmeans(X, k_range=range(2, 5), seed=1)
    assert a[1] == 3 and a[2].equals(b[2])


def test_too_few_customers_for_clustering():
    with pytest.raises(NotEnoughDataError, match="at least 40"):
        fit_kmeans(np.random.default_rng(0).normal(size=(30, 2)), k_range=range(2, 9))
    with pytest.raises(ArgumentError):
        fit_kmeans(np.zeros((50, 2)), k=1)


def test_more_segments_than_distinct_customers_is_refused_in_words():
    # 40 customers with only two different profiles: k-means cannot find 4 segments (it
    # used to warn and then fail with "All arrays must be of the same length")
    X = np.repeat(np.array([[0.0, 1.0], [1.0, 0.0]]), 20, axis=0)
    with pytest.raises(
        NotEnoughDataError, match="4 segments: the customers have only 2 distinct profiles"
    ):
        fit_kmeans(X, k=4)
    assert fit_kmeans(X, k=2)[1] == 2


def test_prepare_matrix_imputes_and_flags_attitude():
    f = pd.DataFrame({
        "mean_nps": [9.0, np.nan, 3.0, 5.0], "revenue_12m": [0.0, 10.0, 990.0, 5.0],
        "recency_days": [1.0, np.nan, 3.0, 4.0], "tenure_days": [10.0, 500.0, 30.0, 40.0],
        "mean_ces": [np.nan] * 4,
    })  # fmt: skip
    X, used, imputed, notes = prepare_matrix(f, list(f.columns))
    assert used == ["mean_nps", "revenue_12m", "recency_days", "tenure_days"]
    assert imputed.tolist() == [False, True, False, False]
    assert np.allclose(X.mean(axis=0), 0) and np.allclose(X.std(axis=0), 1)
    text = " ".join(notes)
    assert "median of those who answered (5)" in text and "mean_ces dropped" in text
    assert "recency_days: 1 customers without a purchase set to their tenure" in text
    with pytest.raises(SchemaError, match="tier"):
        prepare_matrix(f, ["tier"])


# Three planted customer types, 30 each: frequent happy big spenders, rare unhappy small
# spenders, and mid-frequency lukewarm customers with large orders.
TYPES = {
    "A": {"nps": 10, "csat": 5, "ces": 7, "buys": 24, "amount": 100.0, "last": 5, "since": 1400},
    "B": {"nps": 1, "csat": 1, "ces": 1, "buys": 2, "amount": 10.0, "last": 300, "since": 400},
    "C": {"nps": 7, "csat": 3, "ces": 4, "buys": 8, "amount": 1000.0, "last": 60, "since": 800},
}


def _planted(rng: np.random.Generator) -> dict[str, pd.DataFrame]:
    customers, responses, transactions = [], [], []
    for kind, spec in TYPES.items():
        for i in range(30):
            cid = f"{kind}{i:02d}"
            since = spec["since"] + int(rng.integers(-20, 20))
            customers.append((cid, kind, AS_OF - pd.Timedelta(days=since)))
            responses.append((f"r{cid}", cid, AS_OF - pd.Timedelta(days=10), spec["nps"],
                              spec["csat"], spec["ces"]))  # fmt: skip
            last = spec["last"] + int(rng.integers(0, 4))
            for j in range(spec["buys"]):
                amount = spec["amount"] * (1 + 0.05 * rng.standard_normal())
                when = AS_OF - pd.Timedelta(days=last + j * (360 // spec["buys"]))
                transactions.append((f"t{cid}_{j}", cid, when, round(amount, 2)))
    return {
        "customers": pd.DataFrame(customers, columns=["customer_id", "segment", "first_seen"]),
        "responses": pd.DataFrame(responses, columns=["response_id", "customer_id",
                                                      "responded_at", "nps", "csat", "ces"]),
        "transactions": pd.DataFrame(transactions, columns=["transaction_id", "customer_id",
                                                            "occurred_at", "amount"]),
    }  # fmt: skip


@pytest.fixture(scope="module")
def planted_ws(tmp_path_factory):
    frames = _planted(np.random.default_rng(5))
    ws = workspace_from(tmp_path_factory.mktemp("planted"), **frames)
    yield ws
    ws.close()


def test_clusters_recover_planted_customer_types(planted_ws):
    result = clusters(planted_ws, k_range=range(2, 6), seed=0, min_n=10, as_of=AS_OF)
    assert result.k == 3
    truth = result.labels.customer_id.str[0]
    assert adjusted_rand_score(truth, result.labels.cluster) == 1.0
    assert not result.labels.imputed_attitude.any()
    profile = result.profile.set_index("cluster")
    assert profile.customers.tolist() == [30, 30, 30]
    by_type = dict(zip(truth, result.labels.cluster, strict=True))
    a, b, c = (profile.loc[by_type[k]] for k in "ABC")
    # descriptions name the three features that set a cluster apart most, in words
    assert "high CSAT" in a.description and "low NPS" in b.description
    assert a.z_mean_nps > 1 and b.z_mean_nps < -1 and b.z_recency_days > 1
    assert c.description == "high spend"  # only 12-month spend sets type C apart by 0.5 sd
    assert a.nps == pytest.approx(100.0) and b.nps == pytest.approx(-100.0)
    assert a.value_per_customer > b.value_per_customer
    assert c.revenue_per_customer > a.revenue_per_customer  # large orders
    assert profile["rank"].notna().all() and not profile.small_sample.any()
    assert {"z_mean_nps", "z_revenue_12m"} <= set(result.profile.columns)


def test_clusters_need_enough_customers(rfm_ws):
    with pytest.raises(NotEnoughDataError, match="customers"):
        clusters(rfm_ws, as_of=AS_OF)


# --- saving and profiling segments ----------------------------------------------------------


def test_small_segments_are_flagged_and_not_ranked(planted_ws):
    labels = pd.DataFrame({"customer_id": [f"{k}{i:02d}" for k in "ABC" for i in range(30)]})
    labels["tier"] = ["gold"] * 30 + ["silver"] * 57 + ["tiny"] * 3
    table = segment_profile(planted_ws, "tier", labels=labels, min_n=10, as_of=AS_OF)
    t = table.set_index("tier")
    assert t.customers.to_dict() == {"gold": 30, "silver": 57, "tiny": 3}
    assert t.loc["tiny", "small_sample"] and pd.isna(t.loc["tiny", "rank"])
    ranked = t.loc[["gold", "silver"]].sort_values("value_per_customer", ascending=False)
    assert ranked["rank"].tolist() == [1, 2]
    fig = segment_profile_figure(table, "tier")
    assert [trace.name for trace in fig.data] == ["Ranked", UNRANKED_TRACE]


def test_save_segments_keeps_earlier_columns(planted_ws):
    rfm_table = rfm(planted_ws, as_of=AS_OF)
    save_segments(planted_ws, rfm_table)
    labels = pd.DataFrame({"customer_id": ["A00", "B00"], "cluster": [1, 2]})
    stored = save_segments(planted_ws, labels).execute().set_index("customer_id")
    assert list(stored.columns) == ["rfm_segment", "rfm_score", "cluster"]
    assert stored.loc["A00", "cluster"] == "1" and pd.isna(stored.loc["C00", "cluster"])
    assert (
        stored.loc["C00", "rfm_segment"]
        == rfm_table.set_index("customer_id").loc["C00", "rfm_segment"]
    )
    with pytest.raises(SchemaError, match="label column"):
        save_segments(planted_ws, pd.DataFrame({"customer_id": ["A00"]}))
    with pytest.raises(SchemaError, match="more than once"):
        save_segments(planted_ws, pd.DataFrame({"customer_id": ["A00", "A00"], "cluster": [1, 2]}))


def test_segments_on_the_sample_work_with_the_metrics(tmp_path):
    ws, _ = sample_workspace(tmp_path, customers=2000)
    # k fixed: the silhouette search has tests of its own; this one is about saving and using
    result = clusters(ws, k=3, seed=0)
    table = rfm(ws)
    save_segments(ws, table)
    save_segments(ws, result.labels)
    by_cluster = ws.metrics.nps(by=["cluster"])
    assert set(by_cluster.cluster.dropna()) == set(result.labels.cluster)
    total = ws.metrics.nps()
    assert by_cluster.n.sum() == total.n.iloc[0]
    by_rfm = ws.metrics.nps(by=["rfm_segment"])
    assert set(by_rfm.rfm_segment.dropna()) <= set(RFM_SEGMENTS)
    assert len(set(by_rfm.rfm_segment.dropna())) >= 8
    profile = segment_profile(ws, "rfm_segment")
    assert profile.customers.sum() == len(table)
    champions = profile.set_index("rfm_segment").loc["Champions"]
    lost = profile.set_index("rfm_segment").loc["Lost"]
    assert champions.retention_rate > lost.retention_rate
    assert int(np.nansum(rfm_grid_figure(table).data[0].z)) == len(table)
    ws.close()


@pytest.mark.parametrize(
    "name",
    [
        "cxlens.analysis.features",
        "cxlens.analysis.monetization",
        "cxlens.analysis.loyalty",
        "cxlens.analysis.segments",
        "cxlens.analysis.charts_customers",
    ],
)
def test_docstring_examples(name):
    import doctest
    import importlib

    result = doctest.testmod(
        importlib.import_module(name), optionflags=doctest.NORMALIZE_WHITESPACE
    )
    assert result.attempted > 0 and result.failed == 0
