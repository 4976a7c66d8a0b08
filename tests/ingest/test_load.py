import pandas as pd
import pytest

from cxlens.errors import IngestError, MappingError
from tests.conftest import write_text

HEADER = "response_id,customer_id,responded_at,nps,csat,ces,comment\n"


def load(ws, tmp_path, body, name="s.csv", **kw):
    path = write_text(tmp_path / name, HEADER + body)
    return ws.ingest(path, table="responses", **kw)


def reasons(ws):
    q = ws.quarantine()
    return list(zip(q["source_row"], q["column"], q["reason"], strict=True))


def test_good_rows_load_with_types_and_lineage(ws, tmp_path):
    result = load(ws, tmp_path, "r1,c1,2024-01-05 10:30,9,5,2,great\nr2,c2,2024-02-01,0,1,7,\n")
    assert (result.status, result.rows_loaded, result.rows_quarantined) == ("loaded", 2, 0)
    rows = ws.table("responses").order_by("response_id").execute()
    assert rows["nps"].tolist() == [9, 0]
    assert rows["responded_at"].tolist() == [
        pd.Timestamp("2024-01-05 10:30"),
        pd.Timestamp("2024-02-01"),
    ]
    assert rows["comment"].isna().tolist() == [False, True]
    assert rows["_source_row"].tolist() == [2, 3]
    assert set(rows["_source_file"]) == {"s.csv"}
    assert set(rows["_load_id"]) == {result.load_id}


def test_each_bad_row_gets_its_exact_reason_and_the_rest_loads(ws, tmp_path):
    body = (
        "r1,c1,2024-01-05,9,5,2,ok\n"          # row 2: good
        "r2,c2,2024-01-06,eleven,4,3,\n"        # row 3: wrong type
        "r3,c3,2024-01-07,11,4,3,\n"            # row 4: out of range
        "r4,c4,31/02/2024,7,4,3,\n"             # row 5: bad date
        "r5,c5,,7,4,3,\n"                       # row 6: required value missing
        "r6,c6,2024-01-08,,,,\n"                # row 7: no score at all
        "r1,c1,2024-01-05,9,5,2,ok\n"           # row 8: duplicate of row 2
        "r7,c7,2024-01-09,8,6,0,\n"             # row 9: csat and ces out of range
        "r8,c8,2024-01-10,10,4,1,fine\n"        # row 10: good
    )  # fmt: skip
    result = load(ws, tmp_path, body)
    assert (result.rows_loaded, result.rows_quarantined) == (2, 7)
    assert sorted(ws.table("responses").response_id.execute()) == ["r1", "r8"]
    assert reasons(ws) == [
        (3, "nps", "nps 'eleven' is not a valid int"),
        (4, "nps", "nps '11' is outside int in [0, 10]"),
        (5, "responded_at", "responded_at '31/02/2024' is not a valid timestamp"),
        (6, "responded_at", "responded_at: required value is missing"),
        (7, "nps or csat or ces", "nps or csat or ces: the row has no nps or csat or ces score"),
        (8, "response_id", "response_id 'r1' duplicates row 2 of this file"),
        (9, "ces", "ces '0' is outside int in [1, 7]"),
        (9, "csat", "csat '6' is outside int in [1, 5]"),
    ]
    q = ws.quarantine()
    assert set(q["source_file"]) == {"s.csv"}
    assert set(q["load_id"]) == {result.load_id}
    assert q.loc[q.source_row == 3, "raw"].iloc[0] == (
        '{"response_id": "r2", "customer_id": "c2", "responded_at": "2024-01-06", '
        '"nps": "eleven", "csat": "4", "ces": "3"}'
    )


def test_loading_the_same_file_twice_changes_nothing(ws, tmp_path):
    first = load(ws, tmp_path, "r1,c1,2024-01-05,9,5,2,ok\nr2,c2,2024-01-06,99,4,3,\n")
    before = (ws.table("responses").execute(), ws.quarantine(), ws.loads())
    second = load(ws, tmp_path, "r1,c1,2024-01-05,9,5,2,ok\nr2,c2,2024-01-06,99,4,3,\n")
    assert second.status == "already loaded"
    assert second.load_id == first.load_id
    assert "already loaded" in second.summary()
    after = (ws.table("responses").execute(), ws.quarantine(), ws.loads())
    for b, a in zip(before, after, strict=True):
        pd.testing.assert_frame_equal(b, a)


def test_a_new_file_with_known_keys_quarantines_them(ws, tmp_path):
    load(ws, tmp_path, "r1,c1,2024-01-05,9,5,2,ok\n", name="a.csv")
    result = load(
        ws, tmp_path, "r1,c1,2024-01-05,9,5,2,again\nr2,c2,2024-01-06,5,3,3,\n", name="b.csv"
    )
    assert (result.rows_loaded, result.rows_quarantined) == (1, 1)
    assert reasons(ws) == [
        (2, "response_id", "response_id 'r1' is already loaded in the workspace")
    ]
    assert ws.table("responses").count().execute() == 2


def test_missing_required_column_is_refused_before_loading(ws, tmp_path):
    path = write_text(tmp_path / "s.csv", "response_id,nps\nr1,9\n")
    with pytest.raises(IngestError, match=r"no column for required \['responded_at'\]"):
        ws.ingest(path, table="responses")
    assert ws.tables() == []


def test_declared_scale_converts_by_the_stated_rule(ws, tmp_path):
    path = write_text(
        tmp_path / "s.csv",
        "ID,When,Score\n"
        + "".join(f"r{v},2024-01-01,{v}\n" for v in range(1, 11))
        + "r0,2024-01-01,0\n",
    )
    mapping = {
        "table": "responses",
        "columns": {"ID": "response_id", "When": "responded_at", "Score": "nps"},
        "scales": {"nps": {"from": [1, 10], "rule": "linear"}},
    }
    result = ws.ingest(path, mapping=mapping)
    rows = ws.table("responses").order_by("_source_row").execute()
    # 0 + (v - 1) * 10 / 9, rounded half up
    assert rows["nps"].tolist() == [0, 1, 2, 3, 4, 6, 7, 8, 9, 10]
    assert result.rows_quarantined == 1
    assert reasons(ws) == [(12, "nps", "nps '0' is outside the declared scale [1, 10]")]


def test_map_rule_and_ignored_columns(ws, tmp_path):
    path = write_text(
        tmp_path / "s.csv",
        "response_id,responded_at,csat,email\nr1,2024-01-01,10,a@b.c\nr2,2024-01-01,1,x@y.z\n",
    )
    mapping = {"table": "responses", "scales": {"csat": {"rule": "map", "values": {1: 1, 10: 5}}}}
    result = ws.ingest(path, mapping=mapping)
    assert result.ignored_columns == ["email"]  # PII stays out of responses
    assert ws.table("responses").order_by("response_id").csat.execute().tolist() == [5, 1]


def test_mapping_errors_are_specific(ws, tmp_path):
    path = write_text(tmp_path / "s.csv", HEADER + "r1,c1,2024-01-05,9,5,2,ok\n")
    with pytest.raises(MappingError, match=r"columns the file does not have: \['Score'\]"):
        ws.ingest(path, mapping={"table": "responses", "columns": {"Score": "nps"}})
    with pytest.raises(MappingError, match="needs a 'table' key"):
        ws.ingest(path, mapping={"columns": {}})
    with pytest.raises(MappingError, match="not a bounded score"):
        ws.ingest(path, mapping={"table": "responses", "scales": {"comment": "1-10"}})
    with pytest.raises(MappingError, match=r"scales\.nps: rule is 'log'"):
        ws.ingest(
            path,
            mapping={"table": "responses", "scales": {"nps": {"from": [1, 10], "rule": "log"}}},
        )
    assert ws.tables() == []


def test_mapping_file_yaml_and_toml(ws, tmp_path):
    path = write_text(tmp_path / "s.csv", "Код;Дата;Оценка\nr1;05.01.2024;10\n", "cp1251")
    yaml_map = write_text(
        tmp_path / "m.yaml",
        (
            "table: responses\ncolumns:\n  Код: response_id\n  Дата: responded_at\n"
            "  Оценка: nps\nscales:\n  nps: {from: [1, 10], rule: linear}\n"
            "date_format: '%d.%m.%Y'\n"
        ),
    )
    ws.ingest(path, mapping=yaml_map)
    row = ws.table("responses").execute().iloc[0]
    assert (row.response_id, row.nps, row.responded_at) == ("r1", 10, pd.Timestamp("2024-01-05"))
    toml_map = write_text(
        tmp_path / "m.toml",
        ('table = "customers"\n[columns]\nid = "customer_id"\nseg = "segment"\n'),
    )
    customers = write_text(tmp_path / "c.csv", "id,seg\nc1,smb\n")
    assert ws.ingest(customers, mapping=toml_map).rows_loaded == 1


def test_extra_attribute_columns_are_added_to_an_existing_table(ws, tmp_path):
    write_text(tmp_path / "a.csv", "customer_id,segment\nc1,smb\n")
    write_text(tmp_path / "b.csv", "customer_id,tier\nc2,gold\n")
    ws.ingest(tmp_path / "a.csv", table="customers")
    ws.ingest(
        tmp_path / "b.csv",
        table="customers",
        mapping={"table": "customers", "columns": {"tier": "tier"}},
    )
    rows = ws.table("customers").order_by("customer_id").execute()
    assert rows["tier"].tolist()[1] == "gold"
    assert pd.isna(rows["tier"].tolist()[0])


def test_bool_and_composite_keys(ws, tmp_path):
    write_text(tmp_path / "i.csv", "source,source_id,email\ncrm,1,a@x\nweb,1,b@x\ncrm,1,c@x\n")
    result = ws.ingest(tmp_path / "i.csv", table="identities")
    assert (result.rows_loaded, result.rows_quarantined) == (2, 1)
    assert reasons(ws) == [
        (4, "source/source_id", "source/source_id 'crm/1' duplicates row 2 of this file")
    ]
    write_text(
        tmp_path / "p.csv",
        "post_id,platform,brand,posted_at,influencer\n"
        "p1,x,acme,2024-01-01,yes\np2,x,acme,2024-01-01,maybe\n",
    )
    ws.ingest(tmp_path / "p.csv", table="posts")
    assert ws.table("posts").influencer.execute().tolist() == [True]
    assert reasons(ws)[-1] == (3, "influencer", "influencer 'maybe' is not a valid bool")


def test_a_row_with_the_wrong_field_count_is_quarantined_and_the_rest_loads(ws, tmp_path):
    body = (
        "r1,c1,2024-01-05,9,5,2,ok\n"
        "r2,c2,2024-01-06,8,4,3,extra,field\n"  # row 3: 8 fields
        "r3,c3,2024-01-07\n"  # row 4: 3 fields
        "r4,c4,2024-01-08,10,5,1,fine\n"
    )
    result = load(ws, tmp_path, body)
    assert (result.rows_loaded, result.rows_quarantined) == (2, 2)
    assert sorted(ws.table("responses").response_id.execute()) == ["r1", "r4"]
    assert reasons(ws) == [
        (3, "row", "the row has 8 fields; the header has 7"),
        (4, "row", "the row has 3 fields; the header has 7"),
    ]
    raw = ws.quarantine().set_index("source_row")["raw"]
    assert raw[3] == "r2,c2,2024-01-06,8,4,3,extra,field"
    assert ws.loads()["rows_quarantined"].tolist() == [2]  # one load, after the re-read


def test_a_truncated_csv_still_stops_the_load(ws, tmp_path):
    path = write_text(tmp_path / "t.csv", HEADER + 'r1,c1,2024-01-05,9,5,2,"never closed\n')
    with pytest.raises(IngestError, match=r"structure is broken.*truncated"):
        ws.ingest(path, table="responses")
    assert ws.tables() == []


def test_a_failed_load_leaves_no_record_table_or_column_behind(ws, tmp_path):
    def fail(rows):  # after the first chunk is written
        raise RuntimeError("disk full")

    new_table = write_text(tmp_path / "c.csv", "customer_id,segment\nc1,smb\n")
    with pytest.raises(RuntimeError, match="disk full"):
        ws.ingest(new_table, table="customers", progress=fail)
    assert ws.tables() == [] and ws.loads(rolled_back=True).empty and ws.quarantine().empty

    first = load(ws, tmp_path, "r1,c1,2024-01-05,9,5,2,ok\n", name="a.csv")
    columns = ws.engine.columns("responses")
    extra = write_text(
        tmp_path / "b.csv", "response_id,responded_at,nps,tier\nr2,2024-01-06,99,gold\n"
    )
    mapping = {"table": "responses", "columns": {"tier": "tier"}}
    with pytest.raises(RuntimeError, match="disk full"):
        ws.ingest(extra, mapping=mapping, progress=fail)
    assert ws.engine.columns("responses") == columns  # no 'tier'
    assert ws.table("responses").response_id.execute().tolist() == ["r1"]
    assert ws.loads(rolled_back=True)["load_id"].tolist() == [first.load_id]
    assert ws.quarantine().empty  # nps 99 was quarantined, then undone
    assert ws.ingest(extra, mapping=mapping).rows_quarantined == 1  # not "already loaded"


def test_a_load_log_from_before_statuses_counts_as_complete(tmp_path):
    import hashlib

    import duckdb

    import cxlens

    db = tmp_path / "old.duckdb"
    path = write_text(tmp_path / "s.csv", "response_id,responded_at,nps\nr1,2024-01-01,9\n")
    sha = hashlib.sha256(path.read_bytes()).hexdigest()
    con = duckdb.connect(str(db))  # the load log's first layout, as an older cxlens wrote it
    con.execute(
        "CREATE TABLE _loads (load_id VARCHAR, table_name VARCHAR, source_file VARCHAR, "
        "sha256 VARCHAR, mapping VARCHAR, rows_loaded BIGINT, rows_quarantined BIGINT, "
        "loaded_at TIMESTAMP)"
    )
    con.execute(
        "INSERT INTO _loads VALUES ('old-1', 'responses', 's.csv', ?, '', 1, 0, "
        "'2024-05-01 10:00')",
        [sha],
    )
    con.close()
    with cxlens.Workspace(db) as ws:
        again = ws.ingest(path, table="responses")
        assert (again.status, again.load_id) == ("already loaded", "old-1")
        other = write_text(tmp_path / "t.csv", "response_id,responded_at,nps\nr2,2024-01-01,7\n")
        new = ws.ingest(other, table="responses")
    with cxlens.Workspace(db) as ws:  # opening again rolls nothing back
        assert ws.rolled_back == []
        loads = ws.loads(rolled_back=True)
        assert loads[["load_id", "source_file", "status"]].values.tolist() == [
            ["old-1", "s.csv", "complete"],
            [new.load_id, "t.csv", "complete"],
        ]
