import hashlib

from cxlens.ingest.presets import get_preset
from tests.ingest.presets.conftest import loaded, problems, ts


def _id(*cells: str) -> str:
    return "gforms:" + hashlib.sha256("\x1f".join(cells).encode()).hexdigest()[:16]


def test_export_loads_with_made_ids_and_us_dates(ws, sample):
    result = ws.ingest(sample("google_forms.csv"), preset="google_forms")
    assert (result.rows_loaded, result.rows_quarantined) == (2, 1)
    assert result.ignored_columns == ["Email Address"]
    rows = loaded(ws, "responses", ["response_id", "responded_at", "nps", "comment", "_source_row"],
                  "_source_row")  # fmt: skip
    assert rows == [
        (_id("1/15/2024 10:32:11", "ann@example.com", "10", "Très bien"),
         ts("2024-01-15 10:32:11"), 10, "Très bien", 2),
        (_id("2/3/2024 8:05:09", "", "0", "Ужасно"), ts("2024-02-03 08:05:09"), 0, "Ужасно", 3),
    ]  # fmt: skip
    assert problems(ws) == [
        (4, "responded_at", "responded_at 'not a date' is not a valid timestamp")
    ]


def test_day_first_locale_and_time_zone(ws, sample):
    ws.ingest(sample("google_forms.csv"), preset=get_preset("google_forms:Europe/Moscow",
                                                             dayfirst=True))  # fmt: skip
    rows = loaded(ws, "responses", ["_source_row", "responded_at"], "_source_row")
    # 2/3/2024 day first is 2 March; Moscow is UTC+3. (1/15/2024 cannot be day first: it
    # is read month first, as dateutil does.)
    assert rows == [(2, ts("2024-01-15 07:32:11")), (3, ts("2024-03-02 05:05:09"))]
