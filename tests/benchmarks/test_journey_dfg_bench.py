"""The journey-dfg benchmark at tiny size: it runs, the three sides agree, the entry is right."""

from __future__ import annotations

import pandas as pd
import pytest
from benchmarks.common import DisagreementError
from benchmarks.journey_dfg_data import ensure_journey_dataset, journey_lengths

from benchmarks import journey_dfg

pytestmark = pytest.mark.slow  # benchmark harness runs on generated data sets

ROWS = 20_000


@pytest.fixture(scope="module")
def entry(tmp_path_factory: pytest.TempPathFactory) -> dict:
    data_dir = tmp_path_factory.mktemp("bench-journey")
    return journey_dfg.run(ROWS, repeat=1, warmup=0, data_dir=data_dir, pm4py_rows=10_000)


def test_the_three_implementations_agree_and_the_entry_is_complete(entry):
    assert entry["name"] == "journey-dfg" and entry["rows"] == ROWS
    assert set(entry["ratios"]) == {"duckdb-sql", "pm4py"}
    agreement = entry["agreement"]
    assert agreement["edges"] > 50 and agreement["pm4py_rows"] == 10_000
    assert agreement["transitions"] == ROWS - 200  # one transition fewer than events per customer
    funnel = agreement["funnel"]
    assert funnel == sorted(funnel, reverse=True) and funnel[0] > 0
    assert entry["pm4py"]["scale"] == 2.0 and "scaled by 2" in entry["notes"][0]
    graph = entry["graph_only"]  # cxlens's graph alone against pm4py's (scaled) graph
    assert graph["ratio"] == pytest.approx(graph["cxlens_seconds"] / entry["baselines"]["pm4py"])
    assert "graph alone" in entry["notes"][-1]
    assert entry["peak_mb"] > 0 and set(entry["targets_met"]) == {"ratio vs duckdb-sql",
                                                                  "ratio vs pm4py"}  # fmt: skip


def test_lengths_sum_to_the_rows_and_a_changed_graph_is_caught(tmp_path):
    import numpy as np

    lengths = journey_lengths(12_345, np.random.default_rng(0))
    assert lengths.sum() == 12_345 and lengths.min() >= 1 and lengths.max() > 100
    ds = ensure_journey_dataset(2_000, seed=3, data_dir=tmp_path)
    ref = journey_dfg.reference_dfg(ds.tables["events"], 2_000)
    changed = ref.copy()
    changed.loc[0, "count"] += 1
    results = {"cxlens": {"dfg": changed, "funnel": pd.DataFrame({"entered": [1]})},
               "duckdb-sql": {"dfg": ref, "funnel": pd.DataFrame({"entered": [1]})},
               "pm4py": {"dfg": ref}}  # fmt: skip
    with pytest.raises(DisagreementError, match="edge counts differ"):
        journey_dfg.check_agreement(results, ds.tables["events"], 2_000)
