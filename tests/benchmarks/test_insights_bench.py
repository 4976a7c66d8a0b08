"""The insights benchmark at tiny size: it runs, the two sides agree, the entry is right."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from benchmarks import __main__ as cli
from benchmarks import insights, insights_data, insights_impls, measure, results

pytestmark = pytest.mark.slow  # benchmark harness runs on generated data sets

ROWS = 20_000


@pytest.fixture(scope="module")
def measured(tmp_path_factory: pytest.TempPathFactory) -> dict[str, measure.Measurement]:
    data_dir = tmp_path_factory.mktemp("bench-insights")
    return insights.measure_all(ROWS, repeat=1, warmup=0, data_dir=data_dir)


def frames(measured: dict[str, measure.Measurement]) -> dict[str, dict]:
    return {name: {k: f.copy() for k, f in m.results.items()} for name, m in measured.items()}


def test_cxlens_and_the_baseline_agree(measured):
    assert set(measured) == {"cxlens", "pandas"}
    agreement, notes = insights.check_agreement(frames(measured))
    top = measured["cxlens"].results["findings"].iloc[0]
    assert agreement["top_finding"]["group"] == top["group"]
    assert agreement["tests"] > 1000 and agreement["findings"] > 0
    # every test and every ranked finding agrees today; when cxlens's scan changes, the
    # baseline in benchmarks/insights_impls.py needs the same change
    assert notes == [], "the pandas baseline no longer follows cxlens's scan:\n" + "\n".join(notes)
    assert agreement["tests_differing"] == agreement["findings_differing"] == 0


def test_every_metric_and_dimension_pair_is_scanned(measured):
    tests = measured["pandas"].results["tests"]
    assert set(tests["metric"]) == {"nps", "csat", "ces", "churn"}
    assert set(tests["kind"]) == {"vs rest", "vs own past"}
    survey = set(tests.loc[tests["metric"] == "nps", "dimension"])
    assert len(survey) == 1 + 5 + 10  # all, five dimensions, ten pairs
    churn = set(tests.loc[tests["metric"] == "churn", "dimension"])
    assert churn == {"all", "segment", "plan", "region", "segment × plan", "segment × region",
                     "plan × region"}  # fmt: skip


def test_a_different_top_finding_fails(measured):
    got = frames(measured)
    findings = got["pandas"]["findings"]
    findings.loc[0, "difference"] += 0.001
    with pytest.raises(insights.DisagreementError, match="top findings differ"):
        insights.check_agreement(got)
    got = frames(measured)
    got["cxlens"]["findings"].loc[0, "group"] = "somebody else"
    with pytest.raises(insights.DisagreementError, match="group"):
        insights.check_agreement(got)


def test_other_differences_become_notes(measured):
    got = frames(measured)
    tests = got["cxlens"]["tests"]
    tests.loc[5, "p_value"] *= 1.01
    got["cxlens"]["tests"] = tests.drop(index=7)
    got["pandas"]["findings"].loc[3, "lead"] = not got["pandas"]["findings"].loc[3, "lead"]
    agreement, notes = insights.check_agreement(got)
    assert agreement["tests_differing"] == 2 and agreement["findings_differing"] == 1
    assert any("p_value differs in 1" in n for n in notes)
    assert any("1 tests on one side only" in n for n in notes)
    assert any("lead differs at 1 ranks" in n for n in notes)


def test_the_entry_has_the_documented_shape(measured, tmp_path: Path):
    agreement, notes = insights.check_agreement(frames(measured))
    entry = insights.make_entry(ROWS, insights.DEFAULT_SEED, 1, 0, measured, agreement, notes)
    path = tmp_path / "results.json"
    results.save_results([entry], path)
    got = json.loads(path.read_text())[0]
    assert set(results.ENTRY_KEYS) <= set(got)
    assert got["name"] == "insights" and got["rows"] == ROWS
    assert set(got["baselines"]) == set(got["ratios"]) == {"pandas"}
    assert got["ratios"]["pandas"] == pytest.approx(got["seconds"] / got["baselines"]["pandas"])
    assert got["scan"]["tests"] == got["agreement"]["tests"] and got["scan"]["significant"] > 0
    assert got["machine"]["load_average"] is not None
    assert results.results_table([got]).row_count == 2


def test_the_data_plants_one_change_in_the_last_three_months(tmp_path: Path):
    ds = insights_data.ensure_insights_dataset(60_000, seed=4, data_dir=tmp_path)
    rows = pd.read_parquet(ds.responses).merge(pd.read_parquet(ds.customers), on="customer_id")
    assert len(rows) == 60_000 and rows["segment"].notna().all()
    recent = rows["responded_at"] >= pd.Timestamp("2024-10-01")
    cell = (rows["segment"] == "small_business") & (rows["touchpoint"] == "billing")
    csat = rows["csat"] >= 4

    def drop(where: pd.Series) -> float:
        answered = where & rows["csat"].notna()
        return csat[answered & recent].mean() - csat[answered & ~recent].mean()

    assert drop(cell) < -0.1  # the planted cell fell
    assert abs(drop(~cell)) < 0.02  # nobody else moved
    customers = pd.read_parquet(ds.customers)
    churned = customers["churned_at"].dropna()
    assert churned.max() < pd.Timestamp("2025-01-01") and 0.2 < len(churned) / len(customers) < 0.8
    assert (customers["first_seen"] < pd.Timestamp("2024-10-01")).all()


def test_customer_months_follow_the_churn_definition():
    customers = pd.DataFrame(
        {
            "first_seen": pd.to_datetime(["2024-01-05", "2024-01-10", "2024-01-20", "2024-02-01"]),
            "churned_at": pd.to_datetime([None, "2024-02-15", "2024-01-25", None]),
            "segment": pd.Categorical(["a", "b", "a", "b"]),
            "plan": pd.Categorical(["x"] * 4),
            "region": pd.Categorical(["r"] * 4),
        }
    )
    months = insights_impls._customer_months(customers)
    got = months.groupby("period")[["n", "lost"]].sum()
    jan = np.datetime64("2024-01", "M").astype("int64")
    # on Feb 1 two are at risk (not the one who left in January, not the one who joined on
    # Feb 1) and one of them leaves in February; nobody is at risk on Jan 1
    assert got.index.tolist() == [jan + 1]
    assert got.loc[jan + 1].tolist() == [2.0, 1.0]


def test_cli_knows_the_benchmark():
    args = cli.parse_args(["--only", "insights", "--rows", "50000"])
    assert args.only == "insights" and args.rows == 50_000
    assert cli.BENCHMARKS["insights"][1] == 1_000_000
    assert list(cli.BENCHMARKS)[:3] == ["core-metrics", "drivers", "insights"]
