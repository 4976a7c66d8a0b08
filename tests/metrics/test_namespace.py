"""The Metrics namespace over a tiny fake workspace backed by in-memory DuckDB."""

from __future__ import annotations

import ibis
import pandas as pd
import pytest

from cxlens.errors import EngineError, NotEnoughDataError, SchemaError
from cxlens.metrics import Metrics, nps


class FakeWorkspace:
    """table()/has_table() over an Ibis connection, as cxlens.Workspace offers them."""

    def __init__(self, con: ibis.BaseBackend) -> None:
        self.con = con

    def has_table(self, name: str) -> bool:
        return name in self.con.list_tables()

    def table(self, name: str) -> ibis.Table:
        return self.con.table(name)


@pytest.fixture
def ws(con):
    con.create_table(
        "customers",
        pd.DataFrame(
            {
                "customer_id": ["c1", "c2", "c3", "c4"],
                "segment": ["smb", "smb", "enterprise", "enterprise"],
                "first_seen": pd.to_datetime(
                    ["2024-01-05", "2024-01-06", "2024-01-07", "2024-02-01"]
                ),
                "churned_at": pd.to_datetime([None, "2024-02-10", None, None]),
            }
        ),
    )
    con.create_table(
        "responses",
        pd.DataFrame(
            {
                "response_id": [f"r{i}" for i in range(6)],
                "customer_id": ["c1", "c2", "c3", "c4", "c9", "c1"],
                "responded_at": pd.to_datetime(["2024-01-10"] * 3 + ["2024-02-10"] * 3),
                "touchpoint": ["web", "web", "store", "store", "web", "web"],
                "nps": [10, 9, 3, 8, 10, 0],
                "csat": [5, 4, 2, 3, 5, 1],
                "ces": [2, 3, 6, 5, 1, 7],
            }
        ),
    )
    return FakeWorkspace(con)


def test_nps_by_a_customer_column_joins_customers(ws):
    out = Metrics(ws).nps(by=["segment"])
    # c9 has no customer record: it stays, in a group of its own (segment null)
    assert out["segment"].tolist()[:2] == ["enterprise", "smb"]
    assert pd.isna(out["segment"][2])
    assert out["n"].tolist() == [2, 3, 1]
    assert out["value"].tolist() == [pytest.approx(-50.0), pytest.approx(100 / 3), 100.0]
    assert out["n"].sum() == Metrics(ws).nps()["n"][0] == 6


def test_by_a_responses_column_needs_no_join(ws):
    direct = nps(ws.table("responses"), by="touchpoint", every="month")
    via = Metrics(ws).nps(by="touchpoint", every="month")
    pd.testing.assert_frame_equal(direct, via)


def test_csat_ces_and_options_pass_through(ws):
    m = Metrics(ws)
    assert m.csat()["satisfied"].tolist() == [3]
    assert m.ces(min_n=5)["small_sample"].tolist() == [False]
    assert m.nps(confidence=0.8)["ci_high"][0] < m.nps(confidence=0.99)["ci_high"][0]


def test_churn_uses_customers(ws):
    out = Metrics(ws).churn(by="segment")
    smb = out[out["segment"] == "smb"]
    assert smb["at_start"].tolist() == [0, 2] and smb["lost"].tolist() == [0, 1]


def test_churn_from_inactivity_needs_transactions(ws):
    with pytest.raises(NotEnoughDataError, match=r"'transactions' table.*ingest"):
        Metrics(ws).churn(inactivity_days=30)


DAYS = ["2024-01-02", "2024-01-20", "2024-02-10", "2024-01-03", "2024-02-01", "2024-02-25"]


def test_churn_from_inactivity_with_a_customer_segment(ws, con):
    con.create_table(
        "transactions",
        pd.DataFrame(
            {
                "transaction_id": [f"t{i}" for i in range(7)],
                "customer_id": ["c1", "c1", "c1", "c2", "c2", "c2", "c3"],
                # c1 lapses from 10 Feb, c2 from 25 Feb (30 days later, inside the data)
                "occurred_at": pd.to_datetime([*DAYS, "2024-03-30"]),
                "amount": [10.0] * 7,
            }
        ),
    )
    out = Metrics(ws).churn(every="month", by=["segment"], inactivity_days=30)
    smb = out[out["segment"] == "smb"]
    assert smb["at_start"].tolist() == [0, 2, 0] and smb["lost"].tolist() == [0, 2, 0]


def test_missing_table_says_which_to_ingest(con):
    with pytest.raises(NotEnoughDataError, match="needs the 'posts' table"):
        Metrics(FakeWorkspace(con)).engagement()


def test_by_column_in_neither_table(ws):
    with pytest.raises(
        SchemaError, match="'region' is in neither responses nor the customer tables"
    ):
        Metrics(ws).nps(by=["region"])


def test_sql_shows_the_engine_query(ws):
    sql = Metrics(ws).sql("nps", by=["segment"], every="month")
    assert "LEFT OUTER JOIN" in sql and "DATE_TRUNC" in sql and "GROUP BY" in sql
    assert "customers" in sql and "responses" in sql
    assert "CROSS JOIN" in Metrics(ws).sql("churn")


def test_sql_of_an_unknown_metric(ws):
    with pytest.raises(ValueError, match="unknown metric 'clv'"):
        Metrics(ws).sql("clv")


def test_engine_failures_carry_the_sql(con):
    con.create_table("responses", pd.DataFrame({"nps": [9, 10]}))
    ws = FakeWorkspace(con)
    table = ws.table("responses")
    con.drop_table("responses")
    with pytest.raises(EngineError, match="engine failed while computing NPS") as info:
        nps(table)
    assert info.value.sql is not None and "responses" in info.value.sql
    assert "SQL:" in str(info.value)


def test_by_column_from_stored_segments(ws):
    """A column of customer_segments (written by ws.analysis.segments) groups like segment."""
    ws.con.create_table(
        "customer_segments",
        pd.DataFrame({"customer_id": ["c1", "c2", "c3", "c4"], "cluster": ["a", "a", "b", "b"]}),
    )
    out = Metrics(ws).nps(by=["cluster", "segment"])
    # c1 (10, 0) and c2 (9) are cluster a / smb: 2 promoters, 1 detractor of 3
    a = out[(out.cluster == "a") & (out.segment == "smb")].iloc[0]
    assert (a.n, a.value) == (3, pytest.approx(100 / 3))
    assert out["n"].sum() == 6


def test_churn_by_a_stored_segment(ws):
    ws.con.create_table(
        "customer_segments",
        pd.DataFrame({"customer_id": ["c1", "c2", "c3", "c4"], "cluster": ["a", "a", "b", "b"]}),
    )
    out = Metrics(ws).churn(every="month", by=["cluster"])
    # February: c1, c2 (cluster a) at risk, c2 churned on 2024-02-10 -> 1 of 2
    feb = out[(out.cluster == "a") & (out.period == pd.Timestamp("2024-02-01"))].iloc[0]
    assert (feb.at_start, feb.lost) == (2, 1)
