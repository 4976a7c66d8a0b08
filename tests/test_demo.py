"""The demo job end to end: sample files -> Workspace -> metrics -> report, and planted truths."""

import json

import pandas as pd
import pytest
from rich.console import Console

import cxlens
from cxlens.demo import run_demo


@pytest.fixture(scope="module")
def demo_dir(tmp_path_factory):
    directory = tmp_path_factory.mktemp("demo")
    run_demo(directory, customers=3000, months=24, seed=7, console=Console(quiet=True))
    return directory


def test_every_sample_file_loads_cleanly(demo_dir):
    with cxlens.Workspace(demo_dir / "cxlens.duckdb") as ws:
        loads = ws.loads()
        assert ws.quarantine().empty
        assert sorted(loads["table_name"].unique()) == sorted(
            ["customers", "identities", "responses", "transactions", "events", "posts",
             "campaigns"])  # fmt: skip
        truth = json.loads((demo_dir / "data" / "truth.json").read_text())
        rows = truth["size"]["rows"]
        for table in ("customers", "transactions", "events", "posts"):
            assert ws.table(table).count().execute() == rows[table], table
        # the tool export (NPS asked 1-10, other headers) went in through its mapping
        exported = ws.table("responses").filter(lambda t: t.response_id.startswith("EXP-"))
        assert exported.count().execute() == truth["survey_export"]["rows"]
        assert exported.nps.min().execute() >= 0 and exported.nps.max().execute() <= 10
    assert (demo_dir / "report.html").stat().st_size > 1_000_000  # Plotly inlined


def test_second_run_loads_nothing_twice(demo_dir):
    before = cxlens.Workspace(demo_dir / "cxlens.duckdb")
    counts = {t: before.table(t).count().execute() for t in before.tables()}
    before.close()
    run_demo(demo_dir, customers=3000, months=24, seed=7, console=Console(quiet=True))
    with cxlens.Workspace(demo_dir / "cxlens.duckdb") as ws:
        assert {t: ws.table(t).count().execute() for t in ws.tables()} == counts


def test_metrics_show_the_planted_problem(demo_dir):
    truth = json.loads((demo_dir / "data" / "truth.json").read_text())
    problem = truth["planted_problem"]
    with cxlens.Workspace(demo_dir / "cxlens.duckdb") as ws:
        monthly = ws.metrics.nps(by=["segment", "touchpoint"], every="month")
    cell = monthly[(monthly.segment == problem["segment"])
                   & (monthly.touchpoint == problem["touchpoint"])]  # fmt: skip
    after = cell.period >= pd.Timestamp(problem["start"])

    def pooled(rows):
        return 100 * (rows.promoters.sum() - rows.detractors.sum()) / rows.n.sum()

    drop = pooled(cell[~after]) - pooled(cell[after])
    assert drop == pytest.approx(problem["nps_drop"], abs=10)
    others = monthly[(monthly.segment != problem["segment"])
                     & (monthly.touchpoint == problem["touchpoint"])]  # fmt: skip
    other_after = others.period >= pd.Timestamp(problem["start"])
    assert abs(pooled(others[~other_after]) - pooled(others[other_after])) < 8
