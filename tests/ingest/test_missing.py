"""Missing values as analysts write them: NA, N/A, #N/A, null, NULL, None, -, blank."""

import pandas as pd
import pytest

from cxlens.errors import MappingError
from cxlens.ingest.mapping import Mapping, read_mapping
from tests.conftest import write_text

HEADER = "response_id,responded_at,nps,driver_price,comment\n"
TOKENS = ["NA", "N/A", "#N/A", "null", "NULL", "None", "-", "", "   ", "n/a", "na"]


def body(tokens):
    return "".join(f'r{i},2024-03-0{i % 9 + 1},9,{t},"{t}"\n' for i, t in enumerate(tokens))


def test_missing_tokens_load_as_null_and_are_not_comments(ws, tmp_path):
    # The defect: an optional driver "NA" quarantined the answer, and the comment "NA" was
    # stored as text and counted as a comment.
    path = write_text(tmp_path / "s.csv", HEADER + body(TOKENS) + "r99,2024-03-09,3,7,Too slow\n")
    result = ws.ingest(path, table="responses")
    assert (result.rows_loaded, result.rows_quarantined) == (len(TOKENS) + 1, 0)
    rows = ws.table("responses").order_by("_source_row").execute()
    assert rows["comment"].isna().tolist() == [True] * len(TOKENS) + [False]
    assert rows["driver_price"].isna().sum() == len(TOKENS)
    assert rows["comment"].iloc[-1] == "Too slow" and rows["driver_price"].iloc[-1] == 7.0
    assert int(ws.table("responses").comment.notnull().sum().execute()) == 1


def test_a_mapping_replaces_the_tokens(ws, tmp_path):
    # "NA" is North America here; "n.a." and -99 are this file's blanks.
    path = write_text(
        tmp_path / "s.csv",
        "response_id,responded_at,nps,region,comment\n"
        "r1,2024-03-01,9,NA,n.a.\nr2,2024-03-02,8,EU,-99\nr3,2024-03-03,7,-,fine\n",
    )
    mapping = Mapping.from_dict(
        {"table": "responses", "columns": {"region": "region"}, "missing": ["n.a.", -99]}
    )
    ws.ingest(path, mapping=mapping)
    rows = ws.table("responses").order_by("response_id").execute()
    assert rows["region"].tolist() == ["NA", "EU", "-"]
    assert rows["comment"].isna().tolist() == [True, True, False]
    assert rows["comment"].iloc[2] == "fine"
    assert "missing:\n- n.a.\n- '-99'" in ws.loads()["mapping"].iloc[0]


def test_an_empty_list_keeps_every_token_as_text_but_blanks_stay_missing(ws, tmp_path):
    path = write_text(tmp_path / "s.csv", HEADER + body(["NA", "  "]))
    ws.ingest(path, mapping=Mapping.from_dict({"table": "responses", "missing": []}))
    q = ws.quarantine()
    assert q[["source_row", "reason"]].values.tolist() == [
        [2, "driver_price 'NA' is not a valid float"]
    ]
    assert ws.table("responses").execute()["comment"].isna().tolist() == [True]


def test_missing_in_a_yaml_mapping_reads_bare_null_as_the_text_null(tmp_path):
    path = write_text(tmp_path / "m.yaml", "table: responses\nmissing: [NA, null, '-', 0]\n")
    assert read_mapping(path).missing == ("NA", "null", "-", "0")


def test_a_missing_key_that_is_not_a_list_is_a_mapping_error():
    with pytest.raises(MappingError, match="'missing' must be a list"):
        Mapping.from_dict({"table": "responses", "missing": "NA"})


def test_xlsx_and_jsonl_cells_read_the_same_way(ws, tmp_path):
    frame = pd.DataFrame(
        {"response_id": ["r1", "r2"], "responded_at": ["2024-03-01", "2024-03-02"],
         "nps": [9, 4], "comment": ["#N/A", "Slow"]}
    )  # fmt: skip
    frame.to_excel(tmp_path / "s.xlsx", index=False)
    ws.ingest(tmp_path / "s.xlsx", table="responses")
    (tmp_path / "s.jsonl").write_text(
        '{"response_id": "r3", "responded_at": "2024-03-03", "nps": 7, "comment": "N/A"}\n'
    )
    ws.ingest(tmp_path / "s.jsonl", table="responses")
    rows = ws.table("responses").order_by("response_id").execute()
    assert rows["comment"].isna().tolist() == [True, False, True]
