"""Real public sample exports (tests/fixtures/real/, origins in its README) load as expected.

Each test states rows loaded, rows quarantined with the reason, and values checked by hand
against the file (one comment byte for byte).
"""

import json
from pathlib import Path

import pandas as pd

from cxlens.ingest.mapping import Mapping

REAL = Path(__file__).resolve().parents[1] / "fixtures" / "real"


def reasons(ws):
    q = ws.quarantine()
    return sorted(zip(q["source_row"], q["column"], q["reason"], strict=True))


def test_qualtrics_legacy_v_layout_without_a_score_is_quarantined_with_why(ws):
    result = ws.ingest(REAL / "qualtrics_legacy_v.csv", preset="auto")
    assert (result.preset, result.rows_loaded, result.rows_quarantined) == (
        "qualtrics_legacy_v",
        0,
        1,
    )
    assert reasons(ws) == [
        (3, "nps or csat or ces", "nps or csat or ces: the row has no nps or csat or ces score")
    ]


def test_qualtrics_legacy_v_layout_loads_with_its_questions_mapped(ws):
    mapping = Mapping.from_dict({"table": "responses", "columns": {"Q1": "csat", "Q2": "comment"}})
    result = ws.ingest(REAL / "qualtrics_legacy_v.csv", preset="auto", mapping=mapping)
    assert (result.rows_loaded, result.rows_quarantined) == (1, 0)
    assert "_blank_16" not in result.ignored_columns  # the trailing comma's empty column
    row = ws.table("responses").execute().iloc[0]
    assert row["response_id"] == "R_2YPOQ602ER1jkf1"
    assert row["responded_at"] == pd.Timestamp("2017-07-18 08:28:48")  # EndDate, UTC assumed
    assert row["csat"] == 2
    assert row["comment"].encode("utf-8") == b"Hello World!"
    assert row["_source_row"] == 3


def test_qualtrics_2017_export_with_german_labels_from_the_qualtrics_r_package(ws):
    mapping = Mapping.from_dict(
        {"table": "responses", "columns": {"QID1": "csat", "QID2_TEXT": "comment"}}
    )
    result = ws.ingest(REAL / "qualtrics_2017.csv", preset="auto", mapping=mapping)
    assert (result.preset, result.rows_loaded, result.rows_quarantined) == ("qualtrics", 1, 0)
    assert result.encoding == "utf-8"
    row = ws.table("responses").execute().iloc[0]
    assert (row["response_id"], row["channel"], row["language"]) == (
        "R_2YPOQ602ER1jkf1",
        "anonymous",
        "de",
    )
    assert row["responded_at"] == pd.Timestamp("2017-07-18 08:28:48")
    assert row["csat"] == 2 and row["comment"] == "Hello World!"
    assert row["_source_row"] == 4  # three header rows


GF_Q1 = (
    "Q1: What information would you like us to know about your needs, priorities, desires and "
    "concerns for the citizen science platform?"
)


def test_google_forms_feedback_form_from_the_autistica_turing_project(ws):
    # A real feedback form without a score question: every answer is quarantined, with why,
    # and keeps its text in ``raw`` to fix and reload; its literal "NA" answer is no answer.
    result = ws.ingest(REAL / "google_forms_autistica.csv", preset="auto")
    assert (result.preset, result.rows_loaded, result.rows_quarantined) == ("google_forms", 0, 42)
    q = ws.quarantine()
    assert set(q["reason"]) == {"nps or csat or ces: the row has no nps or csat or ces score"}
    raw = {int(r): json.loads(text) for r, text in zip(q["source_row"], q["raw"], strict=True)}
    assert sorted(raw) == list(range(2, 44))  # spreadsheet rows: a line break stays in its cell
    assert raw[2]["Timestamp"] == "2019-08-21T13:10:31.000000+00:00"  # 8/21/2019, month first
    assert raw[6][GF_Q1].encode("utf-8") == (
        b"I have sensory issues mainly, but not exclusively, problems with auditory overload. "
        b"\nI have no concerns. Keen to help in any way I can"
    )
    assert raw[24]["Timestamp"].startswith("2020-01-28T06:34:53")
    assert GF_Q1 not in raw[24]  # the answer "NA" was read as missing
    assert raw[24]["Q2: Do you have a personal connection to autism?"] == "Prefer not to say"
