"""Responses, orders and events from different sources end up under one resolved customer."""

from __future__ import annotations

import ibis
import pandas as pd
import pytest

import cxlens
from cxlens.identity.keys import MAP_TABLE, customer_map
from cxlens.identity.namespace import Identity
from cxlens.store.customer_ids import with_resolved_ids

# Ann is in the CRM (C-1), the survey tool (Q-7, same e-mail in capitals) and the shop (S-3,
# same phone); Bob in the CRM (C-2) and the shop (S-4, same e-mail); Cleo only answered a
# survey. Each source's identities record carries the id its fact rows use.
IDENTITIES = pd.DataFrame(
    {
        "source": ["crm", "survey", "shop", "crm", "shop", "survey"],
        "source_id": ["1", "7", "3", "2", "4", "9"],
        "customer_id": ["C-1", "Q-7", "S-3", "C-2", "S-4", "Q-9"],
        "name": ["Ann Lee", None, "Lee, Ann", "Bob Stone", "Robert Stone", "Cleo Park"],
        "email": [
            "ann@x.example",
            "ANN@x.example",
            None,
            "bob@y.example",
            "bob@y.example",
            "cleo@z.example",
        ],
        "phone": ["+447700900001", None, "07700 900001", None, None, None],
    }
)
RESPONSES = pd.DataFrame(
    {
        "response_id": ["r1", "r2", "r3"],
        "customer_id": ["Q-7", "Q-9", "Q-7"],
        "responded_at": ["2026-01-05", "2026-01-06", "2026-02-01"],
        "nps": [9, 3, 10],
    }
)
TRANSACTIONS = pd.DataFrame(
    {
        "transaction_id": ["t1", "t2", "t3", "t4"],
        "customer_id": ["S-3", "S-3", "S-4", "X-0"],
        "occurred_at": ["2026-01-02", "2026-01-20", "2026-01-03", "2026-01-04"],
        "amount": [20.0, 15.5, 40.0, 9.0],
    }
)
EVENTS = pd.DataFrame(
    {
        "event_id": ["e1", "e2"],
        "customer_id": ["C-1", "S-4"],
        "occurred_at": ["2026-01-01", "2026-01-02"],
        "touchpoint": ["web", "store"],
    }
)


@pytest.fixture(scope="module")
def ws(tmp_path_factory: pytest.TempPathFactory):
    folder = tmp_path_factory.mktemp("keys")
    w = cxlens.Workspace(folder / "ws.duckdb")
    for table, frame in (
        ("identities", IDENTITIES),
        ("responses", RESPONSES),
        ("transactions", TRANSACTIONS),
        ("events", EVENTS),
    ):
        frame.to_csv(folder / f"{table}.csv", index=False)
        w.ingest(folder / f"{table}.csv", table=table)
    yield w
    w.close()


def _ids(ws, table: str, key: str) -> dict[str, str]:
    frame = ws.table(table).select(key, "customer_id").to_pandas()
    return dict(zip(frame[key], frame["customer_id"], strict=True))


def test_fact_rows_take_the_resolved_customer_id(ws):
    assert _ids(ws, "transactions", "transaction_id")["t1"] == "S-3"  # before: as loaded
    Identity(ws).resolve(max_pairs=1e3)
    clusters = Identity(ws).clusters().to_pandas().set_index("source_id")["customer_id"]
    # Ann's three records carry C-1, Q-7 and S-3 once each: the smallest id wins the tie
    assert clusters[["1", "7", "3"]].tolist() == ["C-1"] * 3
    assert clusters[["2", "4"]].tolist() == ["C-2"] * 2
    assert _ids(ws, "responses", "response_id") == {"r1": "C-1", "r2": "Q-9", "r3": "C-1"}
    # X-0 has no identities record: it stays as loaded
    assert _ids(ws, "transactions", "transaction_id") == {
        "t1": "C-1", "t2": "C-1", "t3": "C-2", "t4": "X-0",
    }  # fmt: skip
    assert _ids(ws, "events", "event_id") == {"e1": "C-1", "e2": "C-2"}
    # the stored rows are unchanged; the same rows come back, no more
    raw = ws.engine.table("transactions").to_pandas()
    assert sorted(raw["customer_id"]) == ["S-3", "S-3", "S-4", "X-0"]
    assert ws.table("transactions").count().execute() == len(TRANSACTIONS)


def test_analyses_count_one_person_once(ws):
    Identity(ws).resolve(max_pairs=1e3)
    t = ws.table("transactions")
    revenue = t.group_by("customer_id").aggregate(v=t.amount.sum()).to_pandas()
    assert dict(zip(revenue["customer_id"], revenue["v"], strict=True)) == {
        "C-1": 35.5, "C-2": 40.0, "X-0": 9.0,
    }  # fmt: skip
    p = ws.profile("C-1")
    assert p.scores["response_id"].tolist() == ["r1", "r3"]  # the survey tool's answers
    assert p.transactions["orders"] == 2 and p.transactions["revenue"] == pytest.approx(35.5)
    assert p.journey["events"].sum() == 1
    assert set(p.identities["source"]) == {"crm", "survey", "shop"}
    assert MAP_TABLE not in p.models  # the map is not shown as a model output


def test_a_loaded_id_in_two_clusters_goes_to_the_larger_and_is_flagged():
    clusters = ibis.memtable(
        {
            "loaded_customer_id": ["A", "A", "A", "B", None],
            "customer_id": ["k2", "k2", "k1", "k1", "k3"],
        }
    )
    got = customer_map(clusters).order_by("loaded_customer_id").to_pandas()
    assert got["loaded_customer_id"].tolist() == ["A", "B"]
    assert got["customer_id"].tolist() == ["k2", "k1"]
    assert got["records"].tolist() == [2, 1]
    assert got["ambiguous"].tolist() == [True, False]


def test_with_resolved_ids_keeps_columns_and_rows():
    t = ibis.memtable({"id": [1, 2, 3], "customer_id": ["a", None, "b"], "x": [1.0, 2.0, 3.0]})
    m = ibis.memtable({"loaded_customer_id": ["a"], "customer_id": ["z"]})
    got = with_resolved_ids(t, m).order_by("id").to_pandas()
    assert got.columns.tolist() == ["id", "customer_id", "x"]
    assert got["customer_id"].fillna("-").tolist() == ["z", "-", "b"]


def test_erasing_the_resolved_customer_removes_the_rows_of_every_source(tmp_path):
    w = cxlens.Workspace(tmp_path / "ws.duckdb")
    for table, frame in (("identities", IDENTITIES), ("responses", RESPONSES),
                         ("transactions", TRANSACTIONS), ("events", EVENTS)):  # fmt: skip
        frame.to_csv(tmp_path / f"{table}.csv", index=False)
        w.ingest(tmp_path / f"{table}.csv", table=table)
    Identity(w).resolve(max_pairs=1e3)
    w.erase("C-1", reason="GDPR art. 17", requested_by="dpo")
    left = {
        t: sorted(w.engine.table(t).to_pandas()[k])
        for t, k in (("responses", "response_id"), ("transactions", "transaction_id"),
                     ("events", "event_id"), ("identities", "customer_id"))
    }  # fmt: skip
    # Ann's answers (loaded as Q-7), orders (S-3), event (C-1) and records are gone
    assert left == {
        "responses": ["r2"],
        "transactions": ["t3", "t4"],
        "events": ["e2"],
        "identities": ["C-2", "Q-9", "S-4"],
    }
    w.close()
