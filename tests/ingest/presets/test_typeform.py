from tests.ingest.presets.conftest import loaded, problems, ts

COLUMNS = ["response_id", "customer_id", "responded_at", "nps", "comment", "_source_row"]


def test_export_loads_and_a_row_with_an_extra_field_is_quarantined(ws, sample):
    result = ws.ingest(sample("typeform.csv"), preset="typeform")
    assert (result.rows_loaded, result.rows_quarantined) == (2, 1)
    assert loaded(ws, "responses", COLUMNS, "response_id") == [
        ("abc123token", "c20", ts("2024-02-01 10:02:30"), 9, "Отличный сервис", 2),
        ("def456token", "c21", ts("2024-02-02 11:05:00"), 4, "太慢了", 3),
    ]
    assert problems(ws) == [(4, "row", "the row has 8 fields; the header has 7")]


def test_loading_the_same_export_twice_changes_nothing(ws, sample):
    path = sample("typeform.csv")
    ws.ingest(path, preset="typeform")
    again = ws.ingest(path, preset="typeform")
    assert again.status == "already loaded"
    assert ws.table("responses").count().execute() == 2
