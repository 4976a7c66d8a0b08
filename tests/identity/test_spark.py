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


@pytest.mark.spark
def test_spark_reads_fact_rows_under_the_resolved_customer(spark_ws, tmp_path):
    from .test_keys import IDENTITIES, TRANSACTIONS

    for table, frame in (("identities", IDENTITIES), ("transactions", TRANSACTIONS)):
        frame.to_csv(tmp_path / f"{table}.csv", index=False)
        spark_ws.ingest(tmp_path / f"{table}.csv", table=table)
    Identity(spark_ws).resolve(name_metric="levenshtein", max_pairs=1e3)
    got = spark_ws.table("transactions").select("transaction_id", "customer_id").to_pandas()
    # the same answer as on DuckDB (tests/identity/test_keys.py)
    assert dict(zip(got["transaction_id"], got["customer_id"], strict=True)) == {
        "t1": "C-1", "t2": "C-1", "t3": "C-2", "t4": "X-0",
    }  # fmt: skip
