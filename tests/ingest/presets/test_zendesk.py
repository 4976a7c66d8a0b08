import pandas as pd
import pytest

from cxlens.errors import MappingError
from cxlens.ingest.presets.zendesk import rating, rating_to_csat, unrated
from cxlens.ingest.readers import ROW_PROBLEM
from tests.ingest.presets.conftest import loaded, problems, ts


def test_tickets_become_support_events(ws, sample):
    result = ws.ingest(sample("zendesk.csv"), preset="zendesk")
    assert (result.table, result.rows_loaded, result.rows_quarantined) == ("events", 4, 1)
    columns = ["event_id", "customer_id", "occurred_at", "touchpoint", "channel", "status",
               "satisfaction", "_source_row"]  # fmt: skip
    assert loaded(ws, "events", columns, "event_id") == [
        ("zendesk:1", "c1", ts("2024-01-15 10:32:11"), "support", "Web form", "solved", "good", 2),
        ("zendesk:2", "zendesk:9002", ts("2024-01-17 12:00"), "support", "Email", "closed", "bad",
         3),
        ("zendesk:3", "zendesk:9003", ts("2024-01-19 08:00"), "support", "Chat", "open",
         "offered", 4),
        ("zendesk:4", "zendesk:9004", ts("2024-01-20 08:00"), "support", "Web form", "solved",
         "great", 5),
    ]  # fmt: skip
    assert problems(ws) == [(6, "occurred_at", "occurred_at 'someday' is not a valid timestamp")]


def test_satisfaction_ratings_become_csat_by_the_declared_map(ws, sample):
    result = ws.ingest(sample("zendesk.csv"), table="responses", preset="zendesk")
    assert result.preset == "zendesk_csat"
    # good -> 5, bad -> 1; "Offered" and "Unoffered" tickets were not rated: skipped
    assert (result.rows_loaded, result.rows_quarantined, result.rows_skipped) == (2, 1, 2)
    columns = ["response_id", "customer_id", "responded_at", "touchpoint", "csat", "comment",
               "_source_row"]  # fmt: skip
    assert loaded(ws, "responses", columns, "response_id") == [
        ("zendesk:1", "c1", ts("2024-01-16 08:59"), "support", 5, "Спасибо!", 2),
        ("zendesk:2", "zendesk:9002", ts("2024-01-18 11:00"), "support", 1, "太慢了", 3),
    ]
    assert problems(ws) == [(5, "csat", "csat 'great' is not a valid int")]
    assert "2 skipped" in result.summary()


EXPLORE = ["event_id", "customer_id", "occurred_at", "channel", "status", "satisfaction"]


def test_zendesk_explore_report_is_recognised_and_loads_as_events(ws, sample):
    # The defect: an Explore report export matched no preset.
    result = ws.ingest(sample("zendesk_explore.csv"), preset="auto")
    assert (result.preset, result.rows_loaded, result.rows_quarantined) == ("zendesk_explore", 5, 1)
    rows = loaded(ws, "events", EXPLORE, "event_id")
    assert rows[0] == (
        "zendesk:4101",
        "zendesk:380021",
        ts("2024-03-01"),
        "Email",
        "Solved",
        "good",
    )
    assert rows[-1][-1] is None  # "-" is read as missing
    assert problems(ws) == [(6, "occurred_at", "occurred_at '2024-02-30' is not a valid timestamp")]


def test_zendesk_explore_satisfaction_reads_as_csat(ws, sample):
    result = ws.ingest(sample("zendesk_explore.csv"), table="responses", preset="zendesk_explore")
    assert result.preset == "zendesk_explore_csat"
    # 4103 Offered, 4104 Not offered and 4106 "-" were not rated: skipped, not quarantined
    assert (result.rows_loaded, result.rows_quarantined, result.rows_skipped) == (3, 0, 3)
    rows = loaded(ws, "responses", ["response_id", "responded_at", "csat"], "response_id")
    assert rows == [
        ("zendesk:4101", ts("2024-03-02"), 5),
        ("zendesk:4102", ts("2024-03-04"), 1),
        ("zendesk:4105", ts("2024-03-05"), 5),
    ]


def test_an_explore_report_without_ticket_created_says_so(ws, tmp_path):
    path = tmp_path / "e.csv"
    path.write_text("Ticket ID,Requester ID,Tickets\n1,2,1\n", encoding="utf-8")
    with pytest.raises(MappingError, match="no 'Ticket created - Date'"):
        ws.ingest(path, preset="zendesk_explore")


def test_an_unrated_ticket_is_skipped_unless_its_row_is_broken():
    # both Zendesk presets of CSAT (tickets export, Explore report) read ratings so
    score = rating(pd.Series(["Good ", " BAD", "Offered", None, "unoffered"]))
    assert rating_to_csat(score).tolist()[:2] == ["5", "1"]
    chunk = pd.DataFrame({ROW_PROBLEM: [None, None, None, None, "3 fields, expected 5"]})
    # the broken row goes on to quarantine with its problem, not to the skipped count
    assert unrated(score, chunk).tolist() == [False, False, True, True, False]
