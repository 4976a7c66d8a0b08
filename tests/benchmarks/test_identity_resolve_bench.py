"""The identity-resolve benchmark at tiny size: it runs and the entry is right."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from benchmarks import identity_resolve, results

ROWS = 3_000


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory):
    data_dir = tmp_path_factory.mktemp("bench-identity")
    measured, ds = identity_resolve.measure_all(ROWS, repeat=1, warmup=0, data_dir=data_dir)
    return measured, ds


def test_both_sides_cluster_every_record(run):
    measured, ds = run
    truth = pd.read_parquet(ds.truth)
    assert set(measured) == {"cxlens", "deterministic-only"}
    for m in measured.values():
        clusters = m.results["clusters"]
        assert len(clusters) == len(truth)
        assert clusters["customer_id"].notna().all()


def test_quality_scores_are_those_of_the_clusters(run):
    _, ds = run
    truth = pd.read_parquet(ds.truth)
    # a clustering equal to the truth scores 1; one customer per record has no pairs
    perfect = truth.rename(columns={"person_id": "customer_id"})
    assert identity_resolve.quality(perfect, truth)["f1"] == 1.0
    single = truth.assign(customer_id=truth["source"] + truth["source_id"])
    assert identity_resolve.quality(single, truth)["recall"] == 0.0


def test_the_entry_has_the_documented_shape(run, tmp_path: Path):
    measured, ds = run
    entry = identity_resolve.make_entry(ROWS, identity_resolve.DEFAULT_SEED, 1, 0, measured, ds)
    assert entry["name"] == "identity-resolve"
    assert set(entry["quality"]) == {"cxlens", "deterministic-only"}
    assert entry["quality"]["cxlens"]["f1"] >= 0.95
    assert entry["quality"]["cxlens"]["f1"] > entry["quality"]["deterministic-only"]["f1"]
    assert entry["pairs_compared"] >= entry["links"] > 0
    assert entry["blocking_rules"][0] == "same email"
    path = tmp_path / "results.json"
    results.save_results([entry], path)
    saved = json.loads(path.read_text())[0]
    assert all(k in saved for k in results.ENTRY_KEYS)
