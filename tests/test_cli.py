import subprocess
import sys

import pandas as pd
from typer.testing import CliRunner

from cxlens.cli import app
from tests.conftest import write_text

runner = CliRunner(env={"COLUMNS": "250"})
CSV = "response_id,responded_at,nps\nr1,2024-01-01,9\nr2,2024-01-02,42\n"


def run(*args):
    return runner.invoke(app, [str(a) for a in args])


def test_init_ingest_quarantine_and_loads(tmp_path):
    ws = tmp_path / "acme.duckdb"
    assert run("init", "-w", ws).exit_code == 0
    assert ws.exists()
    path = write_text(tmp_path / "s.csv", CSV)
    result = run("ingest", path, "--as", "responses", "-w", ws)
    assert result.exit_code == 0, result.output
    assert "1 rows loaded, 1 quarantined" in result.output
    again = run("ingest", path, "--as", "responses", "-w", ws)
    assert "already loaded" in again.output
    shown = run("quarantine", "-w", ws)
    assert "nps '42' is outside int in [0, 10]" in shown.output
    export = tmp_path / "rejected.csv"
    assert run("quarantine", "-w", ws, "--export", export).exit_code == 0
    assert pd.read_csv(export)["source_row"].tolist() == [3]
    assert "s.csv" in run("loads", "-w", ws).output


def test_map_and_scale_options(tmp_path):
    ws = tmp_path / "acme.duckdb"
    path = write_text(tmp_path / "s.csv", "ID,When,Score\na,2024-01-01,10\nb,2024-01-01,1\n")
    result = run("ingest", path, "--as", "responses", "--map", "ID=response_id",
                 "--map", "When=responded_at", "--map", "Score=nps", "--scale", "nps=1-10",
                 "-w", ws)  # fmt: skip
    assert result.exit_code == 0, result.output
    import cxlens

    with cxlens.Workspace(ws) as w:
        assert sorted(w.table("responses").nps.execute()) == [0, 10]


def test_suggest_writes_a_mapping_that_ingest_accepts(tmp_path):
    ws = tmp_path / "acme.duckdb"
    header = "Response ID,Submitted At,Recommend (0-10)\n"
    path = write_text(tmp_path / "e.csv", header + "q,2024-01-01,7\n")
    out = tmp_path / "e.yaml"
    assert run("suggest", path, "--as", "responses", "-o", out).exit_code == 0
    result = run("ingest", path, "--mapping", out, "-w", ws)
    assert "1 rows loaded" in result.output


def test_errors_are_one_clear_line_without_traceback(tmp_path):
    empty = write_text(tmp_path / "empty.csv", "")
    proc = subprocess.run(
        [sys.executable, "-m", "cxlens", "ingest", str(empty), "--as", "responses",
         "-w", str(tmp_path / "w.duckdb")],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr
    assert proc.stderr.strip().startswith("error:")
    assert "empty.csv: the file is empty" in proc.stderr
    unknown = run("ingest", empty, "--as", "surveys", "-w", tmp_path / "w.duckdb")
    assert unknown.exit_code == 1
    assert "unknown table 'surveys'" in unknown.output


def test_metrics_report_and_norms_commands(tmp_path):
    ws = tmp_path / "acme.duckdb"
    rows = "".join(
        f"r{i},c{i % 4},2024-0{1 + i % 3}-1{i % 9},{i % 11},{1 + i % 5},{1 + i % 7}\n"
        for i in range(120)
    )
    path = write_text(
        tmp_path / "s.csv", "response_id,customer_id,responded_at,nps,csat,ces\n" + rows
    )
    write_text(tmp_path / "c.csv", "customer_id,segment\nc0,smb\nc1,smb\nc2,ent\nc3,ent\n")
    assert run("ingest", path, "--as", "responses", "-w", ws).exit_code == 0
    assert run("ingest", tmp_path / "c.csv", "--as", "customers", "-w", ws).exit_code == 0

    out = tmp_path / "nps.csv"
    result = run("metrics", "nps", "--by", "segment", "--every", "month", "-w", ws, "-o", out)
    assert result.exit_code == 0, result.output
    frame = pd.read_csv(out)
    assert sorted(frame["segment"].unique()) == ["ent", "smb"]
    assert frame["n"].sum() == 120
    # NPS of all 120 answers by hand: scores i % 11 for i < 120
    scores = [i % 11 for i in range(120)]
    expected = 100 * (sum(s >= 9 for s in scores) - sum(s <= 6 for s in scores)) / 120
    shown = run("metrics", "nps", "-w", ws)
    assert f"{expected:.2f}" in shown.output
    assert "SELECT" in run("metrics", "csat", "--sql", "-w", ws).output
    bad = run("metrics", "happiness", "-w", ws)
    assert bad.exit_code == 1 and "unknown metric 'happiness'" in bad.output

    report = tmp_path / "r.html"
    assert run("report", "-o", report, "-w", ws).exit_code == 0
    assert "<html" in report.read_text(encoding="utf-8")[:500].lower()

    norms = run("norms", "nps")
    assert norms.exit_code == 0 and "Reichheld" in norms.output
