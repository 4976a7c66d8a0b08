import re
import shutil
import subprocess
import sys

import pandas as pd
import pytest
from rich.console import Console
from typer.testing import CliRunner

import cxlens
from cxlens.analysis.segments import rfm
from cxlens.cli import app
from cxlens.demo import run_demo
from cxlens.errors import MappingError
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
    with cxlens.Workspace(ws) as w:
        assert sorted(w.table("responses").nps.execute()) == [0, 10]


def test_a_likert_preset_from_the_command_line(tmp_path):
    ws = tmp_path / "acme.duckdb"
    path = write_text(
        tmp_path / "s.csv", "ID,When,Rating\na,2024-01-01,Very satisfied\nb,2024-01-01,非常不满意\n"
    )
    result = run("ingest", path, "--as", "responses", "--map", "ID=response_id",
                 "--map", "When=responded_at", "--map", "Rating=csat",
                 "--scale", "csat=satisfaction", "-w", ws)  # fmt: skip
    assert result.exit_code == 0, result.output
    with cxlens.Workspace(ws) as w:
        rows = w.table("responses").order_by("response_id").execute()
    assert rows["csat"].tolist() == [5, 1]


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


def test_a_huge_integer_is_one_quarantined_row_not_a_traceback(tmp_path):
    # issue 18: one huge integer failed the whole file with "TypeError: cannot safely cast
    # non-equivalent float64 to int64", no row or column, and a traceback
    posts = write_text(
        tmp_path / "posts.csv",
        "post_id,platform,brand,posted_at,likes\n"
        "p1,x,acme,2024-01-01,12\np2,x,acme,2024-01-01,99999999999999999999\n",
    )
    ws = tmp_path / "w.duckdb"
    proc = subprocess.run(
        [sys.executable, "-m", "cxlens", "ingest", str(posts), "--as", "posts", "-w", str(ws)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    assert "1 rows loaded, 1 quarantined" in proc.stdout
    with cxlens.Workspace(ws) as opened:
        q = opened.quarantine()
    assert list(zip(q["source_row"], q["column"], strict=True)) == [(3, "likes")]


def test_an_unexpected_error_is_one_line_and_debug_shows_the_traceback(tmp_path, monkeypatch):
    def broken(*args, **kwargs):
        raise TypeError("cannot safely cast\nsecond line")

    monkeypatch.setattr(cxlens.Workspace, "ingest", broken)
    path = write_text(tmp_path / "s.csv", CSV)
    quiet = run("ingest", path, "--as", "responses", "-w", tmp_path / "w.duckdb")
    assert quiet.exit_code == 1
    assert "Traceback" not in quiet.output
    lines = [line for line in quiet.output.splitlines() if line.strip()]
    assert lines[-1].startswith("error: TypeError: cannot safely cast (unexpected; run")
    assert "--debug" in quiet.output
    loud = run("--debug", "ingest", path, "--as", "responses", "-w", tmp_path / "w.duckdb")
    assert isinstance(loud.exception, TypeError)  # the traceback is not hidden
    bad_map = run("--debug", "ingest", path, "--as", "responses", "--map", "Score",
                  "-w", tmp_path / "w.duckdb")  # fmt: skip
    assert isinstance(bad_map.exception, MappingError)  # bad input too, under --debug
    assert (
        "must look like NAME=VALUE"
        in run(
            "ingest", path, "--as", "responses", "--map", "Score", "-w", tmp_path / "w.duckdb"
        ).output
    )


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


# --------------------------------------------------------------------------- analyses


@pytest.fixture(scope="module")
def sample_ws(tmp_path_factory):
    """The demo's sample (1,500 customers) loaded into a workspace, built once (no report)."""
    directory = tmp_path_factory.mktemp("sample")
    run_demo(directory, customers=1500, months=24, seed=7, console=Console(quiet=True),
             report=False)  # fmt: skip
    return directory / "cxlens.duckdb"


@pytest.fixture
def sample_copy(sample_ws, tmp_path):
    """A private copy of the sample workspace, for commands that write to it."""
    copy = tmp_path / "copy.duckdb"
    shutil.copy(sample_ws, copy)
    return copy


def flat(output: str) -> str:
    """Output with table borders and line breaks removed, for finding wrapped text."""
    return " ".join(re.sub(r"[│┃┏┓┗┛┡┩└┘┌┐━─╇╈┳┻┼├┤]", " ", output).split())


def row_of(output: str, first_cell: str) -> str:
    return next(line for line in output.splitlines() if line.startswith(f"│ {first_cell} "))


def test_drivers_prints_the_weights_and_the_priority_matrix(sample_ws, tmp_path):
    result = run("drivers", "--bootstrap", 200, "-w", sample_ws)
    assert result.exit_code == 0, result.output
    with cxlens.Workspace(sample_ws) as ws:
        imp = ws.analysis.drivers("nps", bootstrap=200, seed=0)
        matrix = ws.analysis.priority_matrix("nps", list(imp["driver"]), importance=imp)
    top = imp.iloc[0]
    line = row_of(result.output, top["driver"])
    for col in ("rescaled_weight", "ci_low", "ci_high"):
        assert f" {top[col]:.2f} " in line, col
    assert f"R² = {top['r_squared']:.3f}" in result.output
    for quadrant, rows in matrix.groupby("quadrant"):
        assert f"{quadrant}: {', '.join(rows['driver'])}" in result.output
    out = tmp_path / "drivers.csv"
    assert run("drivers", "--bootstrap", 200, "-w", sample_ws, "-o", out).exit_code == 0
    written = pd.read_csv(out)
    assert written["rescaled_weight"].tolist() == pytest.approx(imp["rescaled_weight"].tolist())


def test_drivers_by_group_and_shapley(sample_ws):
    result = run("drivers", "--by", "segment", "--method", "shapley", "--bootstrap", 0,
                 "-w", sample_ws)  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "small_business" in result.output
    assert "run without --by" in result.output
    bad = run("drivers", "--method", "lasso", "-w", sample_ws)
    assert bad.exit_code == 1 and "unknown method 'lasso'" in bad.output


def test_insights_prints_ranked_sentences(sample_ws, tmp_path):
    dims = ("--dimension", "segment", "--dimension", "touchpoint")
    result = run("insights", "--metric", "nps", "--metric", "csat", *dims, "--top", 3,
                 "-w", sample_ws)  # fmt: skip
    assert result.exit_code == 0, result.output
    with cxlens.Workspace(sample_ws) as ws:
        scan = ws.analysis.insight_scan(
            metrics=("nps", "csat"), dimensions=["segment", "touchpoint"], top=3
        )
    found = scan.findings
    assert len(found) >= 1
    shown = flat(result.output)
    assert f"({len(scan.tests):,} tests, FDR 5%)" in shown  # every test of the scan
    for r in found.itertuples():
        assert f"{r.rank} {r.score:.1f} {' '.join(r.sentence.split()[:8])}" in shown
    out = tmp_path / "insights.csv"
    written = run("insights", "--metric", "nps", "--dimension", "segment", "--top", 2, "-o", out,
                  "-w", sample_ws)  # fmt: skip
    assert written.exit_code == 0, written.output
    assert len(pd.read_csv(out)) <= 2


def test_loyalty_prints_the_quadrants_and_the_rules(sample_ws):
    result = run("loyalty", "--behaviour", "value", "-w", sample_ws)
    assert result.exit_code == 0, result.output
    with cxlens.Workspace(sample_ws) as ws:
        summary = ws.analysis.loyalty_matrix("nps", "value").summary
    for r in summary.itertuples():
        line = row_of(result.output, r.quadrant)
        assert f" {r.customers} " in line and f" {r.revenue_per_customer:.1f} " in line
    assert "• attitude (nps)" in result.output
    assert run("loyalty", "--behaviour", "mood", "-w", sample_ws).exit_code == 1


def test_value_prints_groups_uplift_and_assumptions(sample_ws):
    result = run("value", "--points", 4, "--bootstrap", 50, "-w", sample_ws)
    assert result.exit_code == 0, result.output
    with cxlens.Workspace(sample_ws) as ws:
        money = ws.analysis.monetization(4, n_boot=50)
    for r in money.by_group.itertuples():
        assert f" {r.revenue_per_customer:.1f} " in row_of(result.output, r.nps_group)
    first = money.uplift.table.iloc[0]
    assert f" {first['projected_revenue']:.1f} " in result.output
    assert "value of +4 NPS points" in result.output
    shown = flat(result.output)
    for assumption in money.uplift.assumptions:
        assert "• " + " ".join(assumption.split()[:10]) in shown


def test_effort_prints_bands_and_the_touchpoint_list(sample_ws, tmp_path):
    result = run("effort", "-w", sample_ws)
    assert result.exit_code == 0, result.output
    with cxlens.Workspace(sample_ws) as ws:
        touch = ws.analysis.effort().by_touchpoint
    first = touch.iloc[0]
    line = row_of(result.output, first["touchpoint"])
    assert f" {first['loyalty_at_stake']:.2f} " in line
    assert "low − high effort" in result.output
    out = tmp_path / "effort.csv"
    assert run("effort", "-o", out, "-w", sample_ws).exit_code == 0
    assert pd.read_csv(out)["touchpoint"].tolist() == touch["touchpoint"].tolist()


def test_segments_save_for_grouping_unless_told_not_to(sample_copy, tmp_path):
    dry = run("segments", "--k", 3, "--no-save", "-w", sample_copy)
    assert dry.exit_code == 0, dry.output
    assert "not saved" in dry.output
    with cxlens.Workspace(sample_copy) as ws:
        assert not ws.has_table("customer_segments")
        rfm_counts = rfm(ws)["rfm_segment"].value_counts()
    assert "clusters (k = 3" in dry.output
    assert f" {rfm_counts.iloc[0]} " in row_of(dry.output, rfm_counts.index[0])
    labels = tmp_path / "labels.csv"
    saved = run("segments", "--k", 3, "-o", labels, "-w", sample_copy)
    assert saved.exit_code == 0, saved.output
    assert "--by rfm_segment or --by cluster" in saved.output
    assert {"customer_id", "rfm_segment", "cluster"} <= set(pd.read_csv(labels).columns)
    by_cluster = run("metrics", "nps", "--by", "cluster", "-w", sample_copy)
    assert by_cluster.exit_code == 0 and "C3" in by_cluster.output


def expected_status(value: float, low: float, high: float, target: float, band: float) -> str:
    """KPI status by hand (higher is better), as docs/analysis-insights.md states the rule."""
    gap = value - target
    if gap >= 0:
        return "on track"
    return "at risk" if -gap <= band or low <= target <= high else "off track"


def test_kpis_define_status_list_load_remove_and_alerts(sample_copy, tmp_path):
    w = ("-w", sample_copy)
    assert run("kpis", "define", "NPS", "--metric", "nps", "--target", 30, "--band", 5,
               "--owner", "CX team", *w).exit_code == 0  # fmt: skip
    smb = run("kpis", "define", "SMB NPS", "--metric", "nps", "--target", 10, "--filter",
              "segment=small_business", "--deadline", "2026-06-30", *w)  # fmt: skip
    assert smb.exit_code == 0 and "segment = small_business" in smb.output
    status = run("kpis", "status", "--as-of", "2026-01-01", *w)
    assert status.exit_code == 0, status.output
    with cxlens.Workspace(sample_copy) as ws:
        overall = ws.metrics.nps(every="month")
        by_segment = ws.metrics.nps(by=["segment"], every="month")
    dec = pd.Timestamp("2025-12-01")  # the latest month that ended by 2026-01-01
    everyone = overall[overall["period"] == dec].iloc[0]
    smb_row = by_segment[(by_segment["period"] == dec)
                         & (by_segment["segment"] == "small_business")].iloc[0]  # fmt: skip
    for name, row, target, band in (("NPS", everyone, 30, 5), ("SMB NPS", smb_row, 10, 0)):
        line = row_of(status.output, name)
        assert f" {row['value']:.2f} " in line and "2025-12-01" in line
        want = expected_status(row["value"], row["ci_low"], row["ci_high"], target, band)
        assert f" {want} " in line, (name, want, line)

    listed = run("kpis", "list", *w)
    assert "CX team" in listed.output and "segment = small_business" in listed.output
    yaml_file = write_text(
        tmp_path / "kpis.yaml",
        "- {name: Monthly churn, metric: churn, target: 1.5, warning_band: 0.25}\n",
    )
    loaded = run("kpis", "load", yaml_file, *w)
    assert (
        loaded.exit_code == 0 and "Monthly churn" in loaded.output and "KPIs (3)" in loaded.output
    )
    assert run("kpis", "remove", "SMB NPS", *w).exit_code == 0
    gone = run("kpis", "remove", "SMB NPS", *w)
    assert gone.exit_code == 1 and "no KPI named 'SMB NPS'" in gone.output

    alerts = run("kpis", "alerts", "--no-insights", "--as-of", "2026-01-01", *w)
    assert alerts.exit_code == 0, alerts.output
    with cxlens.Workspace(sample_copy) as ws:
        expected = ws.kpis.alerts(None, as_of="2026-01-01")
    if expected.empty:
        assert "no alerts" in alerts.output
    for message in expected["message"]:
        assert " ".join(message.split()[:6]) in flat(alerts.output)


def test_kpi_errors_are_one_line(sample_copy):
    w = ("-w", sample_copy)
    bad_column = run("kpis", "define", "X", "--metric", "nps", "--target", 1, "--filter",
                     "plan_tier=gold", *w)  # fmt: skip
    assert bad_column.exit_code == 1
    assert "KPI filter column 'plan_tier'" in bad_column.output
    no_value = run("kpis", "define", "X", "--metric", "nps", "--target", 1, "--filter",
                   "segment", *w)  # fmt: skip
    assert no_value.exit_code == 1 and "--filter needs column=value" in no_value.output
    bad_metric = run("kpis", "define", "X", "--metric", "joy", "--target", 1, *w)
    assert bad_metric.exit_code == 1 and "unknown KPI metric 'joy'" in bad_metric.output
    assert "no KPI defined" in run("kpis", "status", *w).output
    missing = run("kpis", "load", "nope.yaml", *w)
    assert missing.exit_code == 1 and "nope.yaml" in missing.output


def test_analysis_commands_on_an_empty_workspace_fail_clearly(tmp_path):
    ws = tmp_path / "empty.duckdb"
    assert run("init", "-w", ws).exit_code == 0
    for command in ("drivers", "loyalty", "value", "effort"):
        result = run(command, "-w", ws)
        assert result.exit_code == 1, command
        assert result.output.startswith("error:"), (command, result.output)
        assert "Traceback" not in result.output
