"""The benchmark harness at tiny size: it runs, the implementations agree, results.json is right."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from benchmarks import __main__ as cli
from benchmarks import core_metrics, data, measure, results

pytestmark = pytest.mark.slow  # benchmark harness runs on generated data sets

ROWS = 20_000


@pytest.fixture(scope="module")
def measured(tmp_path_factory: pytest.TempPathFactory) -> dict[str, measure.Measurement]:
    data_dir = tmp_path_factory.mktemp("bench-data")
    return core_metrics.measure_all(ROWS, repeat=1, warmup=0, data_dir=data_dir)


def frames(measured: dict[str, measure.Measurement]) -> dict[str, dict]:
    return {name: m.results for name, m in measured.items()}


def test_all_three_implementations_agree_on_every_figure(measured):
    assert set(measured) == {"cxlens", "duckdb-sql", "pandas"}
    assert core_metrics.check_agreement(frames(measured)) == []
    nps = measured["cxlens"].results["nps"]
    assert set(nps["segment"]) == {"consumer", "small_business", "enterprise", "public_sector"}
    assert nps["period"].nunique() == 24
    total = int(measured["duckdb-sql"].results["nps"]["n"].sum())
    assert 0.8 * ROWS < total < ROWS  # nps is asked in most, not all, surveys


def test_a_wrong_value_fails_loudly(measured):
    got = frames(measured)
    bad = got["cxlens"]["csat"].copy()
    bad.loc[3, "value"] += 0.01
    got["cxlens"] = {**got["cxlens"], "csat": bad}
    with pytest.raises(core_metrics.DisagreementError, match="csat value"):
        core_metrics.check_agreement(got)


def test_a_wrong_count_in_a_baseline_fails_loudly(measured):
    got = frames(measured)
    bad = got["pandas"]["ces"].copy()
    bad.loc[0, "n"] += 1
    got["pandas"] = {**got["pandas"], "ces": bad}
    with pytest.raises(core_metrics.DisagreementError, match="baselines disagree"):
        core_metrics.check_agreement(got)


def test_results_json_has_the_documented_shape(measured, tmp_path: Path):
    entry = core_metrics.make_entry(ROWS, core_metrics.DEFAULT_SEED, 1, 0, measured, [])
    path = tmp_path / "results.json"
    results.save_results([entry], path)
    written = json.loads(path.read_text())
    assert isinstance(written, list) and len(written) == 1
    got = written[0]
    assert set(results.ENTRY_KEYS) <= set(got)
    assert got["name"] == "core-metrics" and got["rows"] == ROWS
    assert got["seconds"] > 0 and got["peak_mb"] > 0
    assert set(got["baselines"]) == set(got["ratios"]) == {"duckdb-sql", "pandas"}
    for name, seconds in got["baselines"].items():
        assert got["ratios"][name] == pytest.approx(got["seconds"] / seconds)
    assert results.results_table(written).row_count == 3


def test_save_results_keeps_other_benchmarks_and_replaces_this_one(tmp_path: Path):
    path = tmp_path / "results.json"
    path.write_text(json.dumps([{"name": "other", "rows": 1}, {"name": "core-metrics", "rows": 1}]))
    results.save_results([{"name": "core-metrics", "rows": 2}], path)
    assert json.loads(path.read_text()) == [
        {"name": "other", "rows": 1},
        {"name": "core-metrics", "rows": 2},
    ]


def test_generated_data_is_cached_and_reproducible(tmp_path: Path):
    first = data.ensure_dataset(5_000, seed=3, data_dir=tmp_path / "a")
    again = data.ensure_dataset(5_000, seed=3, data_dir=tmp_path / "a")
    other_dir = data.ensure_dataset(5_000, seed=3, data_dir=tmp_path / "b")
    assert first == again
    stamp = first.responses.stat().st_mtime_ns
    data.ensure_dataset(5_000, seed=3, data_dir=tmp_path / "a")
    assert first.responses.stat().st_mtime_ns == stamp  # not regenerated
    assert pq.read_table(first.responses).equals(pq.read_table(other_dir.responses))
    assert pq.read_table(first.responses).num_rows == 5_000


def test_cli_defaults_and_only():
    args = cli.parse_args(["--only", "core-metrics", "--rows", "200000"])
    assert args.only == "core-metrics" and args.rows == 200_000 and args.repeat == 3
    with pytest.raises(SystemExit):
        cli.parse_args(["--only", "no-such-bench"])
