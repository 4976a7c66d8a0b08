import pandas as pd

from cxlens.ingest.presets import get_preset
from cxlens.ingest.presets.surveymonkey import SurveyMonkey
from cxlens.ingest.readers import HeaderRows
from tests.ingest.presets.conftest import loaded, problems, ts

COLUMNS = ["response_id", "responded_at", "nps", "comment", "collector_id", "_source_row"]
EXPECTED = [
    ("11800000001", ts("2024-01-15 10:32:11"), 10, "Быстрая доставка", "400001", 3),
    ("11800000002", ts("2024-01-16 21:05:30"), 6, "服务很好, 但是价格高", "400001", 4),
]


def test_two_header_rows_merge_into_question_and_option_names():
    header = HeaderRows(
        (
            ("Respondent ID", "Q?", "Pick", "", ""),
            ("", "Response", "A", "B", "Other (please specify)"),
        ),
        (1, 2),
        "csv",
    )
    assert SurveyMonkey().names(header) == [
        "Respondent ID", "Q?", "Pick - A", "Pick - B", "Pick - Other (please specify)"
    ]  # fmt: skip


def test_csv_export_loads_with_nps_comment_and_source_rows(ws, sample):
    result = ws.ingest(sample("surveymonkey.csv"), preset="surveymonkey")
    assert (result.table, result.rows_loaded, result.rows_quarantined) == ("responses", 2, 1)
    assert "Which products do you use? - Billing" in result.ignored_columns
    assert "Email Address" in result.ignored_columns  # PII stays out of responses
    assert loaded(ws, "responses", COLUMNS, "response_id") == EXPECTED
    # row 5 of the file: the header takes rows 1 and 2
    assert problems(ws) == [
        (5, "responded_at", "responded_at '13/45/2024 10:00:00 AM' is not a valid timestamp")
    ]


def test_dates_are_read_in_the_account_time_zone(ws, sample):
    ws.ingest(sample("surveymonkey.csv"), preset=get_preset("surveymonkey:America/New_York"))
    stamps = ws.table("responses").order_by("response_id").responded_at.execute().tolist()
    assert stamps == [ts("2024-01-15 15:32:11"), ts("2024-01-17 02:05:30")]  # EST is UTC-5


def test_xlsx_export_loads_the_same_rows(ws, sample, tmp_path):
    csv_rows = pd.read_csv(
        sample("surveymonkey.csv"), header=None, dtype=str, keep_default_na=False
    )
    path = tmp_path / "surveymonkey.xlsx"
    csv_rows.to_excel(path, header=False, index=False)
    result = ws.ingest(path, preset="auto")
    assert (result.preset, result.rows_loaded, result.rows_quarantined) == ("surveymonkey", 2, 1)
    assert loaded(ws, "responses", COLUMNS, "response_id") == EXPECTED
    assert problems(ws)[0][0] == 5
