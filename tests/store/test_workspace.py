import ibis
import pytest

import cxlens
from cxlens.errors import NotEnoughDataError, WorkspaceError
from tests.conftest import write_text


def test_opens_a_duckdb_file_and_reopens_it(tmp_path):
    path = tmp_path / "acme.duckdb"
    with cxlens.Workspace(path) as ws:
        assert ws.engine.name == "duckdb" and ws.engine.atomic
        write_text(tmp_path / "c.csv", "customer_id,segment\nc1,smb\n")
        ws.ingest(tmp_path / "c.csv", table="customers")
    with cxlens.Workspace(path) as ws:
        assert ws.tables() == ["customers"]
        assert ws.table("customers").count().execute() == 1


def test_accepts_an_ibis_connection():
    ws = cxlens.Workspace(ibis.duckdb.connect())
    assert ws.tables() == []
    assert "Workspace(" in repr(ws)


def test_missing_table_says_what_to_load(tmp_path):
    ws = cxlens.Workspace(":memory:")
    with pytest.raises(NotEnoughDataError, match="cxlens ingest FILE --as responses"):
        ws.table("responses")


def test_rejects_what_it_cannot_open():
    with pytest.raises(WorkspaceError, match="cannot open a Workspace on int"):
        cxlens.Workspace(42)


def test_bookkeeping_tables_are_not_listed_as_canonical(tmp_path):
    ws = cxlens.Workspace(tmp_path / "w.duckdb")
    write_text(tmp_path / "s.csv", "response_id,responded_at,nps\nr1,2024-01-01,3\n")
    ws.ingest(tmp_path / "s.csv", table="responses")
    assert ws.tables() == ["responses"]
    assert ws.has_table("_loads") and ws.has_table("_quarantine")
    loads = ws.loads()
    assert loads[
        ["table_name", "source_file", "rows_loaded", "rows_quarantined"]
    ].values.tolist() == [["responses", "s.csv", 1, 0]]
    assert len(loads["sha256"].iloc[0]) == 64


def test_save_table_replaces_a_derived_table(tmp_path):
    import pandas as pd

    ws = cxlens.Workspace(tmp_path / "w.duckdb")
    ws.save_table("customer_segments", pd.DataFrame({"customer_id": ["a", "b"], "k": [1, 2]}))
    ws.save_table("customer_segments", pd.DataFrame({"customer_id": ["c"], "k": [3]}))
    assert ws.table("customer_segments").execute().to_dict("records") == [
        {"customer_id": "c", "k": 3}
    ]
    with pytest.raises(WorkspaceError, match="written by ingestion or its own module only"):
        ws.save_table("responses", pd.DataFrame({"x": [1]}))
