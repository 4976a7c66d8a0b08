"""The same linkage on Spark (local mode) and on DuckDB gives the same customers."""

from __future__ import annotations

import pytest

import cxlens
from cxlens.identity.namespace import Identity
from cxlens.identity.testdata import generate_identities


def _partition(frame):
    groups = frame.groupby("customer_id")["record_id"].apply(lambda s: tuple(sorted(s)))
    return set(groups)


@pytest.mark.spark
def test_spark_and_duckdb_build_the_same_clusters(spark_ws, tmp_path):
    sample = generate_identities(people=250, seed=21)
    sample.records.to_csv(tmp_path / "ids.csv", index=False)
    duck = cxlens.Workspace(tmp_path / "ws.duckdb")
    settings = {"name_metric": "levenshtein", "max_pairs": 2e4}  # Levenshtein is native in Spark
    results = {}
    for name, ws in (("duckdb", duck), ("spark", spark_ws)):
        ws.ingest(tmp_path / "ids.csv", table="identities")
        ident = Identity(ws)
        results[name] = ident.resolve(**settings)
        results[name + "_clusters"] = ident.clusters().to_pandas()
        results[name + "_f1"] = ident.evaluate(sample.truth).iloc[0]["f1"]
    assert results["spark"].pairs_compared == results["duckdb"].pairs_compared
    assert _partition(results["spark_clusters"]) == _partition(results["duckdb_clusters"])
    assert results["spark_f1"] == pytest.approx(results["duckdb_f1"])
    assert results["duckdb_f1"] >= 0.95
    duck.close()
