import pytest

from cxlens.errors import MappingError
from cxlens.ingest.presets import get_preset
from cxlens.ingest.readers import SourceFile, read_chunks
from tests.ingest.presets.conftest import FIXTURES, loaded, problems, ts

COLUMNS = ["response_id", "customer_id", "responded_at", "channel", "nps", "comment", "language",
           "_source_row"]  # fmt: skip


def test_import_id_names_time_zone_and_spreadsheet_rows(ws, sample):
    result = ws.ingest(sample("qualtrics.csv"), preset="qualtrics")
    assert (result.rows_loaded, result.rows_quarantined) == (2, 1)
    assert "QID1_NPS_GROUP" in result.ignored_columns  # the group column is not the score
    # RecordedDate is America/Denver (row 3 says so): MST, UTC-7, before 10 March 2024.
    # Header row 2 spans two lines (a newline in the question) but is one spreadsheet row:
    # data start on row 4, as a spreadsheet shows them (issue 18 item 3).
    assert loaded(ws, "responses", COLUMNS, "response_id") == [
        ("R_1aBcD", "c10", ts("2024-03-01 15:03:01"), "anonymous", 10, "Great support", "en", 4),
        ("R_2eFgH", "c11", ts("2024-03-02 16:04:02"), "email", 3, "Слишком дорого", "ru", 5),
    ]
    assert problems(ws) == [(6, "nps", "nps 'eleven' is not a valid int")]


def test_row_three_without_import_ids_is_named_in_the_error(ws, sample):
    path = sample("qualtrics.csv")
    text = path.read_text(encoding="utf-8-sig").replace('""ImportId"":""_recordId""', '""x"":1')
    path.write_text(text, encoding="utf-8")
    with pytest.raises(MappingError, match=r"header row 3 .* missing \['_recordId'\]"):
        ws.ingest(path, preset="qualtrics")


def test_a_cell_of_row_three_that_is_not_json_is_named(ws, sample):
    path = sample("qualtrics.csv")
    text = path.read_text(encoding="utf-8-sig").replace('"{""ImportId"":""status""}"', '"Status"')
    path.write_text(text, encoding="utf-8")
    with pytest.raises(MappingError, match=r"header row 3 should hold .* column 3 \('Status'\)"):
        ws.ingest(path, preset="qualtrics")


@pytest.mark.parametrize("tolerant", [False, True])
def test_both_csv_readers_count_spreadsheet_rows_under_a_three_row_header(tolerant):
    # tolerant: the row-by-row reader used on engines without transactions (Spark)
    path = FIXTURES / "qualtrics.csv"
    plan = get_preset("qualtrics").plan(path)
    source = SourceFile(path, header_rows=3, names=plan.names, tolerant=tolerant)
    chunk = next(read_chunks(source))
    assert chunk["recordId"].tolist() == ["R_1aBcD", "R_2eFgH", "R_3iJkL"]
    assert chunk["_source_row"].tolist() == [4, 5, 6]


LEGACY = ["response_id", "customer_id", "responded_at", "nps", "comment", "_source_row"]


def test_the_legacy_export_with_single_quoted_import_ids_is_recognised_and_loads(ws, sample):
    # The defect: "ResponseID / ResponseSet" with {'ImportId': ...} matched no preset.
    result = ws.ingest(sample("qualtrics_legacy.csv"), preset="auto")
    assert result.preset == "qualtrics_legacy"
    assert (result.rows_loaded, result.rows_quarantined) == (2, 1)
    assert loaded(ws, "responses", LEGACY, "response_id") == [
        ("R_3kTLw1", "c20", ts("2016-04-04 10:22:13"), 10, "Fast delivery", 4),
        ("R_9pQxZ2", "c21", ts("2016-04-05 09:01:30"), 3, "Слишком дорого", 5),
    ]
    assert problems(ws) == [(6, "nps", "nps '12' is outside int in [0, 10]")]


def test_the_legacy_export_reads_end_date_in_the_zone_given(ws, sample):
    ws.ingest(sample("qualtrics_legacy.csv"), preset="qualtrics_legacy:America/New_York")
    stamps = ws.table("responses").order_by("response_id").execute()["responded_at"].tolist()
    assert stamps == [ts("2016-04-04 14:22:13"), ts("2016-04-05 13:01:30")]  # EDT, UTC-4
