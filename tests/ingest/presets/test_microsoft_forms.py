import hashlib

import pandas as pd

from tests.ingest.presets.conftest import loaded, problems, ts

COLUMNS = ["response_id", "responded_at", "nps", "comment", "_source_row"]


def _id(*cells: str) -> str:
    return "msforms:" + hashlib.sha256("\x1f".join(cells).encode()).hexdigest()[:16]


def test_microsoft_forms_csv_is_recognised_and_loads(ws, sample):
    # The defect: a Microsoft Forms export matched no preset.
    result = ws.ingest(sample("microsoft_forms.csv"), preset="auto")
    assert (result.preset, result.rows_loaded, result.rows_quarantined) == ("microsoft_forms", 2, 1)
    assert {"Email", "Name"} <= set(result.ignored_columns)  # PII is not loaded
    assert loaded(ws, "responses", COLUMNS, "_source_row") == [
        (_id("1", "7/2/24 11:00:22"), ts("2024-07-02 11:01:24"), 10, "Быстро и вежливо", 2),
        (_id("2", "7/3/24 9:15:00"), ts("2024-07-03 09:17:45"), 6, "服务一般，等了很久", 3),
    ]
    assert problems(ws) == [
        (4, "nps or csat or ces", "nps or csat or ces: the row has no nps or csat or ces score"),
        (4, "responded_at", "responded_at 'not recorded' is not a valid timestamp"),
    ]


def test_microsoft_forms_workbook_with_excel_dates(ws, tmp_path):
    frame = pd.DataFrame({
        "ID": [1, 2], "Start time": pd.to_datetime(["2024-07-02 11:00:22", "2024-07-03 09:15:00"]),
        "Completion time": pd.to_datetime(["2024-07-02 11:01:24", "2024-07-03 09:17:45"]),
        "Email": ["anonymous"] * 2, "Name": [None, None],
        "How likely are you to recommend us?": [9, 3], "Why?": ["Great", None],
    })  # fmt: skip
    frame.to_excel(tmp_path / "forms.xlsx", index=False)
    result = ws.ingest(tmp_path / "forms.xlsx", preset="microsoft_forms:Europe/Berlin")
    assert (result.rows_loaded, result.rows_quarantined, result.encoding) == (2, 0, None)
    rows = loaded(ws, "responses", ["responded_at", "nps"], "responded_at")
    assert rows == [(ts("2024-07-02 09:01:24"), 9), (ts("2024-07-03 07:17:45"), 3)]  # CEST
