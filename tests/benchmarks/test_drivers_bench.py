"""The drivers benchmark at tiny size: it runs, the two sides agree, the entry is right."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest
from benchmarks.common import capped_runs

from benchmarks import __main__ as cli
from benchmarks import drivers, drivers_data, measure, results

pytestmark = pytest.mark.slow  # benchmark harness runs on generated data sets

ROWS = 20_000


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("bench-drivers")


@pytest.fixture(scope="module")
def measured(data_dir: Path) -> dict[str, measure.Measurement]:
    return drivers.measure_all(ROWS, repeat=1, warmup=0, data_dir=data_dir)


def frames(measured: dict[str, measure.Measurement]) -> dict[str, dict]:
    return {name: {k: f.copy() for k, f in m.results.items()} for name, m in measured.items()}


def test_cxlens_and_the_baseline_agree(measured):
    assert set(measured) == {"cxlens", "statsmodels-pandas"}
    agreement = drivers.check_agreement(frames(measured))
    assert max(agreement["max_relative_difference"].values()) < drivers.RTOL
    ratios = agreement["interval_width_ratios"]
    assert set(ratios) == {*drivers_data.WEIGHTS, "r_squared"}
    assert all(abs(r - 1) <= drivers.WIDTH_TOLERANCE for r in ratios.values())
    weights = measured["cxlens"].results["weights"]
    assert 0.85 * ROWS < weights["n"].iloc[0] < 0.95 * ROWS  # each driver skipped in 2%
    assert weights["rescaled_weight"].sum() == pytest.approx(100.0)


def test_the_known_weights_come_out_in_order(measured):
    weights = measured["cxlens"].results["weights"].set_index("driver")["rescaled_weight"]
    assert list(weights.sort_values(ascending=False).index) == list(drivers_data.WEIGHTS)


def test_a_point_estimate_off_by_a_millionth_fails(measured):
    got = frames(measured)
    got["cxlens"]["weights"].loc[2, "raw_weight"] *= 1 + 1e-6
    with pytest.raises(drivers.DisagreementError, match="raw_weight"):
        drivers.check_agreement(got)


def test_an_interval_a_third_narrower_fails(measured):
    got = frames(measured)
    frame = got["statsmodels-pandas"]["weights"]
    mid = (frame["ci_low"] + frame["ci_high"]) / 2
    frame["ci_low"] = mid - (mid - frame["ci_low"]) * 0.66
    frame["ci_high"] = mid + (frame["ci_high"] - mid) * 0.66
    with pytest.raises(drivers.DisagreementError, match="interval width"):
        drivers.check_agreement(got)


def test_the_entry_has_the_documented_shape(measured, tmp_path: Path):
    agreement = drivers.check_agreement(frames(measured))
    entry = drivers.make_entry(ROWS, drivers.DEFAULT_SEED, 1, 0, measured, agreement)
    path = tmp_path / "results.json"
    results.save_results([entry], path)
    got = json.loads(path.read_text())[0]
    assert set(results.ENTRY_KEYS) <= set(got)
    assert got["name"] == "drivers" and got["rows"] == ROWS and got["bootstrap"] == 1000
    assert set(got["baselines"]) == set(got["ratios"]) == {"statsmodels-pandas"}
    seconds = got["baselines"]["statsmodels-pandas"]
    assert got["ratios"]["statsmodels-pandas"] == pytest.approx(got["seconds"] / seconds)
    assert got["peak_mb"] > 0 and got["baseline_peak_mb"]["statsmodels-pandas"] > 0
    assert "1,000 resamples" in got["timing"] and got["agreement"]["interval_width_ratios"]
    assert results.results_table([got]).row_count == 2


def test_the_baseline_runs_once_however_many_repeats():
    assert capped_runs(3, 1, drivers.BASELINE_RUNS) == (1, 0)
    assert capped_runs(1, 0, drivers.BASELINE_RUNS) == (1, 0)


def test_the_workspace_holds_the_driver_columns_as_numbers(measured, data_dir: Path):
    ds = drivers_data.drivers_dataset_paths(ROWS, drivers.DEFAULT_SEED, data_dir)
    db = next(data_dir.glob(f"workspace-{ds.key}-*.duckdb"))
    with duckdb.connect(str(db), read_only=True) as con:
        types = dict(con.sql("SELECT column_name, data_type FROM duckdb_columns() "
                             "WHERE table_name = 'responses'").fetchall())  # fmt: skip
        assert con.sql("SELECT count(*) FROM responses").fetchone()[0] == ROWS
    assert all(types[d] == "DOUBLE" for d in drivers_data.WEIGHTS)
    assert {"_load_id", "_source_file", "_source_row", "nps"} <= set(types)


def test_generated_data_is_cached_and_reproducible(tmp_path: Path):
    first = drivers_data.ensure_drivers_dataset(3_000, seed=5, data_dir=tmp_path / "a")
    stamp = first.responses.stat().st_mtime_ns
    again = drivers_data.ensure_drivers_dataset(3_000, seed=5, data_dir=tmp_path / "a")
    other = drivers_data.ensure_drivers_dataset(3_000, seed=5, data_dir=tmp_path / "b")
    assert again == first and first.responses.stat().st_mtime_ns == stamp
    table = pq.read_table(first.responses)
    assert table.equals(pq.read_table(other.responses)) and table.num_rows == 3_000
    frame = table.to_pandas()
    assert frame["nps"].between(0, 10).all()
    for name in drivers_data.WEIGHTS:
        assert set(frame[name].dropna().unique()) <= {1.0, 2.0, 3.0, 4.0, 5.0}


def test_cli_knows_the_benchmark():
    args = cli.parse_args(["--only", "drivers", "--rows", "50000"])
    assert args.only == "drivers" and args.rows == 50_000
    assert cli.BENCHMARKS["drivers"][1] == 1_000_000
