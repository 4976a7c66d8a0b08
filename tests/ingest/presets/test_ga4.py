import json

import pyarrow as pa
import pyarrow.parquet as pq

from cxlens.ingest.presets.ga4 import GA4
from tests.ingest.presets.conftest import FIXTURES, loaded, problems, ts

COLUMNS = ["event_id", "customer_id", "occurred_at", "touchpoint", "channel", "session_id",
           "duration_seconds", "page_location", "device_category", "country", "traffic_source",
           "_source_row"]  # fmt: skip
EXPECTED = [
    ("1234.5678:1705314731123456:page_view", "1234.5678", ts("2024-01-15 10:32:11.123456"),
     "Тарифы — Acme", "web", "1234.5678.1705314700", 5.3, "https://acme.example/ru/pricing",
     "mobile", "Russia", "google", 1),
    ("1234.5678:1705314790000000:add_to_cart", "c30", ts("2024-01-15 10:33:10"), "add_to_cart",
     "web", "1234.5678.1705314700", 1.25, None, "mobile", "Russia", "google", 2),
    ("abcd:1705392000000000:screen_view", "abcd", ts("2024-01-16 08:00:00"), "结账", "android",
     "abcd.99", None, None, "mobile", "China", "(direct)", 3),
]  # fmt: skip


def test_params_take_the_first_value_field_that_is_set():
    text = json.dumps([
        {"key": "a", "value": {"string_value": None, "int_value": "7", "double_value": None}},
        {"key": "b", "value": {"double_value": 1.5}},
        {"key": "c", "value": None},
    ])  # fmt: skip
    assert GA4.params(text) == {"a": "7", "b": "1.5"}


def test_json_lines_export_flattens_into_events(ws, sample):
    result = ws.ingest(sample("ga4.jsonl"), preset="ga4")
    assert (result.table, result.rows_loaded, result.rows_quarantined) == ("events", 3, 1)
    assert loaded(ws, "events", COLUMNS, "occurred_at") == EXPECTED
    assert problems(ws) == [(4, "occurred_at", "occurred_at 'yesterday' is not a valid timestamp")]


def test_parquet_export_with_nested_records_loads_the_same(ws, tmp_path):
    records = [json.loads(line) for line in (FIXTURES / "ga4.jsonl").read_text().splitlines()]
    for r in records:  # Parquet keeps INT64 as numbers, not the strings of the JSON export
        for p in r["event_params"]:
            if p["value"]["int_value"] is not None:
                p["value"]["int_value"] = int(p["value"]["int_value"])
    path = tmp_path / "events_20240115.parquet"
    pq.write_table(pa.Table.from_pylist(records), path)
    result = ws.ingest(path, preset="auto")
    assert (result.preset, result.rows_loaded, result.rows_quarantined) == ("ga4", 3, 1)
    assert loaded(ws, "events", COLUMNS, "occurred_at") == EXPECTED
