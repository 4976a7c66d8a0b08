"""The api-load benchmark at tiny size: it runs, checks its answer, and reports latencies."""

from __future__ import annotations

import pandas as pd
import pytest
from benchmarks.common import DisagreementError
from benchmarks.data import ensure_dataset
from benchmarks.measure import Measurement

from benchmarks import api_load

pytestmark = pytest.mark.slow  # benchmark harness runs on generated data sets

ROWS = 20_000


@pytest.fixture(scope="module")
def entry(tmp_path_factory: pytest.TempPathFactory) -> dict:
    data_dir = tmp_path_factory.mktemp("bench-api")
    found = api_load.run(ROWS, repeat=1, warmup=0, data_dir=data_dir, clients=4, requests=60)
    found["_data_dir"] = data_dir
    return found


def test_the_entry_reports_cold_and_cached_latency(entry):
    assert entry["name"] == "api-load" and entry["rows"] == ROWS
    assert entry["requests"] == 60 and entry["clients"] == 4 and entry["errors"] == 0
    lat = entry["latency_ms"]
    assert 0 < lat["p50"] <= lat["p95"] <= lat["max"]
    assert entry["cold_seconds"] > 0 and entry["cached_share"] == 1.0
    assert entry["cold_cached_ratio"] == pytest.approx(entry["cold_seconds"] / lat["p50"] * 1000)
    assert entry["server_peak_mb"] > 50 and entry["ratios"] == {}


def test_the_entry_reports_varied_parameters_against_the_cached_figure(entry):
    from benchmarks.api_load_impls import varied_plan

    varied = entry["varied"]
    assert varied["requests"] == 60 and varied["errors"] == 0
    lat = varied["latency_ms"]
    assert 0 < lat["p50"] <= lat["p95"] <= lat["max"]
    assert varied["p95_vs_cached"] == pytest.approx(lat["p95"] / entry["latency_ms"]["p95"])
    assert varied["precompute_seconds"] > 0
    # every unfiltered request is on the precomputed grid: answered from the cache
    plan = varied_plan(60, entry["seed"])
    unfiltered = sum("filter" not in params for _, params in plan)
    assert varied["cached_share"] >= unfiltered / 60
    assert len({(p, tuple(sorted(q.items()))) for p, q in plan}) >= 20  # really varied


def test_the_overview_nps_is_checked_against_pandas(entry):
    nps = pd.read_parquet(ensure_dataset(ROWS, data_dir=entry["_data_dir"]).responses)["nps"]
    nps = nps.dropna()
    assert entry["overview_nps"]["n"] == len(nps)
    expected = 100 * ((nps >= 9).mean() - (nps <= 6).mean())
    assert entry["overview_nps"]["value"] == pytest.approx(expected, rel=1e-12)


def test_a_wrong_answer_or_a_failed_request_stops_the_run():
    ok = pd.DataFrame({"client": [0], "seconds": [0.01], "status": [200], "cached": [True]})
    measured = Measurement("cxlens", [1.0], 100.0, results={"latencies": ok})
    overview = {"tiles": [{"metric": "nps", "whole": {"value": 10.0, "n": 5}}]}
    api_load.check(overview, {"value": 10.0, "n": 5}, measured)
    with pytest.raises(DisagreementError, match="overview NPS"):
        api_load.check(overview, {"value": 10.5, "n": 5}, measured)
    failed = Measurement("cxlens", [1.0], 100.0, results={"latencies": ok.assign(status=500)})
    with pytest.raises(DisagreementError, match="did not answer 200"):
        api_load.check(overview, {"value": 10.0, "n": 5}, failed)
