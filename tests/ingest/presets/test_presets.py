"""The registry, detection, header checks and the command line (cxlens.ingest.presets)."""

import re

import pytest
from typer.testing import CliRunner

import cxlens
from cxlens.cli import app
from cxlens.errors import ArgumentError, IngestError, MappingError
from cxlens.ingest.presets import detect, get_preset
from cxlens.ingest.readers import SourceFile, read_header_rows
from tests.ingest.presets.conftest import FIXTURES

SAMPLES = {
    "surveymonkey.csv": "surveymonkey", "qualtrics.csv": "qualtrics",
    "typeform.csv": "typeform", "google_forms.csv": "google_forms", "ga4.jsonl": "ga4",
    "hubspot.csv": "hubspot", "salesforce.csv": "salesforce", "shopify.csv": "shopify",
    "zendesk.csv": "zendesk",
}  # fmt: skip


@pytest.mark.parametrize(("file", "name"), sorted(SAMPLES.items()))
def test_detect_recognises_each_sample(file, name):
    assert detect(FIXTURES / file).name == name


def test_detect_names_the_headers_of_a_file_it_does_not_know(tmp_path):
    path = tmp_path / "other.csv"
    path.write_text("id,score\n1,9\n", encoding="utf-8")
    with pytest.raises(IngestError, match=r"no preset recognises .*\['id', 'score'\]"):
        detect(path)


# (sample, preset, header text to break, header row the error names, missing header)
BROKEN = [
    ("surveymonkey.csv", "surveymonkey", "Respondent ID,", 1, "Respondent ID"),
    ("typeform.csv", "typeform", "Submit Date (UTC)", 1, "Submit Date (UTC)"),
    ("google_forms.csv", "google_forms", "Timestamp", 1, "Timestamp"),
    ("hubspot.csv", "hubspot", "Record ID", 1, "Record ID"),
    ("salesforce.csv", "salesforce", '"LASTNAME"', 1, "LastName"),
    ("shopify.csv", "shopify", "Lineitem price", 1, "Lineitem price"),
    ("zendesk.csv", "zendesk", "Requester id", 1, "Requester id"),
    ("ga4.jsonl", "ga4", '"event_params"', 1, "event_params"),
    ("qualtrics.csv", "qualtrics", '"ResponseId"', 1, "ResponseId"),
]


@pytest.mark.parametrize(("file", "preset", "text", "row", "missing"), BROKEN)
def test_a_header_that_does_not_match_names_the_row_and_the_missing_headers(
    ws, sample, file, preset, text, row, missing
):
    path = sample(file)
    body = path.read_text(encoding="utf-8-sig")
    path.write_text(body.replace(text, text.replace(text.strip('",'), "Renamed"), 1), "utf-8")
    pattern = rf"header row {row}\b.*missing \[.*'{re.escape(missing)}'"
    with pytest.raises(MappingError, match=pattern):
        ws.ingest(path, preset=preset)
    assert not ws.has_table(get_preset(preset).table)  # nothing loaded


def test_a_file_with_fewer_header_rows_than_the_tool_writes(ws, tmp_path):
    path = tmp_path / "sm.csv"
    path.write_text("Respondent ID,Collector ID,Start Date,End Date\n", encoding="utf-8")
    with pytest.raises(MappingError, match="has 2 header rows; this file has 1 row"):
        ws.ingest(path, preset="surveymonkey")


def test_get_preset_errors_and_variants():
    with pytest.raises(ArgumentError, match=r"unknown preset 'nosuch'.*qualtrics"):
        get_preset("nosuch")
    with pytest.raises(ArgumentError, match="loads table 'responses', not 'events'"):
        get_preset("typeform", "events")
    assert get_preset("zendesk", "responses").name == "zendesk_csat"
    assert get_preset("Google-Forms:Asia/Shanghai").zone == "Asia/Shanghai"


def test_a_user_mapping_is_laid_over_the_preset(ws, sample):
    result = ws.ingest(
        sample("surveymonkey.csv"), preset="surveymonkey",
        mapping={"columns": {"Custom Data 1": "customer_id"}},
    )  # fmt: skip
    assert result.rows_loaded == 2
    ids = ws.table("responses").order_by("response_id").customer_id.execute().tolist()
    assert ids == ["c1", "c2"]


def test_cli_ingest_with_auto_preset(tmp_path):
    workspace = tmp_path / "ws.duckdb"
    out = CliRunner().invoke(
        app, ["ingest", str(FIXTURES / "zendesk.csv"), "--preset", "auto", "-w", str(workspace)]
    )
    assert out.exit_code == 0, out.output
    assert "4 rows loaded, 1 quarantined" in out.output and "preset zendesk" in out.output
    with cxlens.Workspace(workspace) as ws:
        assert ws.table("events").count().execute() == 4


@pytest.mark.parametrize(
    ("file", "second"), [("zendesk.csv", "zendesk_csat"), ("shopify.csv", "shopify_buyers")]
)
def test_a_second_preset_of_an_export_is_never_detected(file, second):
    header = read_header_rows(SourceFile(FIXTURES / file), 1)
    preset = get_preset(second)
    # the export has every header the second preset expects: only ``auto`` keeps it out
    assert all(h in header.rows[0] for h in preset.expected[1])
    assert not preset.auto and not preset.detect(header)
    assert detect(FIXTURES / file).name == SAMPLES[file]
