"""The demo job end to end: sample files -> Workspace -> metrics -> report, and planted truths."""

import io
import json
import re
import warnings

import pandas as pd
import pytest
from rich.console import Console

import cxlens
from cxlens.demo import run_demo
from cxlens.models.namespace import Models

pytestmark = pytest.mark.slow  # the demo job end to end, twice


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


def _section(html: str, section_id: str) -> str:
    found = re.search(f'<section id="{section_id}">.*?</section>', html, flags=re.S)
    assert found, section_id
    return found.group(0)


def _count_model_fits(monkeypatch: pytest.MonkeyPatch) -> list[tuple]:
    """Record each CLV and churn fit the models namespace makes, with its arguments."""
    calls: list[tuple] = []
    for name in ("clv", "churn"):
        fit = getattr(Models, name)

        def counted(self, *args, _fit=fit, _name=name, **kw):
            # the churn model object is new each time; its settings are fixed by the report
            settings = tuple(sorted((k, repr(v)) for k, v in kw.items() if k != "model"))
            calls.append((_name, args, settings))
            return _fit(self, *args, **kw)

        monkeypatch.setattr(Models, name, counted)
    return calls


def test_second_run_loads_nothing_twice_and_warns_of_nothing(demo_dir, monkeypatch):
    with cxlens.Workspace(demo_dir / "cxlens.duckdb") as before:
        counts = {t: before.table(t).count().execute() for t in before.tables()}
        loads = before.loads()
    first = (demo_dir / "report.html").read_text(encoding="utf-8")
    fits = _count_model_fits(monkeypatch)
    shown = io.StringIO()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        run_demo(demo_dir, customers=3000, months=24, seed=7,
                 console=Console(file=shown, width=200))  # fmt: skip
    assert [str(w.message) for w in caught] == []
    printed = shown.getvalue()
    assert "Warning" not in printed and "note:" not in printed
    files = loads[~loads.source_file.str.startswith("survey-")]  # not the simulated answers
    assert printed.count("already loaded") == len(files) == 8  # seven tables and the export
    with cxlens.Workspace(demo_dir / "cxlens.duckdb") as ws:
        assert ws.quarantine().empty
        pd.testing.assert_frame_equal(ws.loads(), loads)
        assert {t: ws.table(t).count().execute() for t in ws.tables()} == counts
    second = (demo_dir / "report.html").read_text(encoding="utf-8")
    assert _section(second, "lineage") == _section(first, "lineage")
    assert "quarantined at load" not in second
    # the report fits each model once (CLV may be fitted twice: on all purchases, then
    # without the recurring ones when the first fit is degenerate, never twice the same)
    assert len(fits) == len(set(fits))
    assert [f[0] for f in fits].count("churn") == 1


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


def test_the_demo_surveys_show_response_rates_and_the_planted_nonresponse(demo_dir):
    with cxlens.Workspace(demo_dir / "cxlens.duckdb") as ws:
        rates = ws.surveys.stats().set_index("survey")
        check = ws.surveys.nonresponse()
    assert sorted(rates.index) == ["installation-nps", "support-ces"]
    # answered with probability 0.3 (0.15 for customers who churned)
    assert ((rates.ci_low < 0.3) & (rates.ci_high > 0.12)).all(), rates
    churn = check[check.attribute == "churn"].set_index("level")
    assert churn.response_rate["churned"] < churn.response_rate["active"]
    assert churn.p_value.iloc[0] < 0.01  # the planted bias is found
    page = (demo_dir / "report.html").read_text(encoding="utf-8")
    assert 'id="collection"' in _section(page, "collection") and "installation-nps" in page
