"""The same files ingested and the same metrics computed on DuckDB and on Spark (local mode)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import cxlens

pytestmark = pytest.mark.spark


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    """Small canonical files with a few bad rows, written by a seeded generator."""
    rng = np.random.default_rng(11)
    out = tmp_path_factory.mktemp("files")
    n_cust = 300
    ids = [f"c{i}" for i in range(n_cust)]
    first = pd.Timestamp("2023-06-01") + pd.to_timedelta(rng.integers(0, 400, n_cust), "D")
    churned = first + pd.to_timedelta(rng.integers(30, 500, n_cust), "D")
    churned = churned.where(rng.random(n_cust) < 0.4)
    pd.DataFrame({
        "customer_id": ids, "first_seen": first, "churned_at": churned,
        "segment": rng.choice(["consumer", "smb", "enterprise"], n_cust),
    }).to_csv(out / "customers.csv", index=False)  # fmt: skip
    n = 3000
    responses = pd.DataFrame({
        "response_id": [f"r{i}" for i in range(n)],
        "customer_id": rng.choice(ids, n),
        "responded_at": pd.Timestamp("2024-01-01")
        + pd.to_timedelta(rng.integers(0, 365 * 24 * 60, n), "min"),
        "touchpoint": rng.choice(["billing", "support", "app"], n),
        "nps": rng.integers(0, 11, n).astype(float),
        "csat": rng.integers(1, 6, n).astype(float),
        "ces": rng.integers(1, 8, n).astype(float),
    })  # fmt: skip
    responses.loc[rng.random(n) < 0.1, "csat"] = np.nan
    responses = responses.astype({"nps": "Int64", "csat": "Int64", "ces": "Int64"}).astype(str)
    responses = responses.replace("<NA>", "")
    responses.loc[5, "nps"] = "12"  # quarantined on both engines
    responses.loc[7, "responded_at"] = "yesterday"
    responses.to_csv(out / "responses.csv", index=False)
    m = 800
    pd.DataFrame({
        "post_id": [f"p{i}" for i in range(m)],
        "platform": rng.choice(["x", "instagram"], m),
        "brand": rng.choice(["northwind", "rival"], m),
        "posted_at": pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 365, m), "D"),
        "likes": rng.poisson(40, m), "shares": rng.poisson(5, m), "comments": rng.poisson(3, m),
        "reach": rng.integers(500, 5000, m),
    }).to_json(out / "posts.jsonl", orient="records", lines=True, date_format="iso")  # fmt: skip
    return out


def load_all(ws, files):
    results = [ws.ingest(files / "customers.csv", table="customers"),
               ws.ingest(files / "responses.csv", table="responses"),
               ws.ingest(files / "posts.jsonl", table="posts")]  # fmt: skip
    return [(r.rows_loaded, r.rows_quarantined) for r in results]


def metric_frames(ws):
    return {
        "nps": ws.metrics.nps(by=["segment"], every="month"),
        "nps_touchpoint": ws.metrics.nps(by=["touchpoint"], every="quarter"),
        "csat": ws.metrics.csat(by=["segment"], every="month"),
        "ces": ws.metrics.ces(every="week"),
        "churn": ws.metrics.churn(every="month", by=["segment"]),
        "engagement": ws.metrics.engagement(by=["brand"], every="month"),
    }


def normalise(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.copy()
    for col in out.columns:
        if pd.api.types.is_datetime64_any_dtype(out[col]):
            out[col] = out[col].astype("datetime64[us]")
        elif pd.api.types.is_integer_dtype(out[col]) or pd.api.types.is_bool_dtype(out[col]):
            out[col] = out[col].astype("float64")
        elif pd.api.types.is_string_dtype(out[col]) or out[col].dtype == object:
            out[col] = out[col].astype(str)
    return out.sort_values(list(out.columns[:2])).reset_index(drop=True)


def test_ingestion_and_every_core_metric_agree(spark_ws, files, tmp_path):
    duck = cxlens.Workspace(tmp_path / "parity.duckdb")
    sparkws = spark_ws
    assert sparkws.engine.name == "pyspark"
    loaded = load_all(duck, files)
    assert loaded == load_all(sparkws, files)
    assert loaded == [(300, 0), (2998, 2), (800, 0)]

    for table in ("customers", "responses", "posts"):
        d = duck.table(table).drop("_load_id").to_pandas().sort_values("_source_row")
        s = sparkws.table(table).drop("_load_id").to_pandas().sort_values("_source_row")
        pd.testing.assert_frame_equal(normalise(d), normalise(s), check_dtype=False)
    q_duck = duck.quarantine()[["source_row", "column", "reason"]]
    q_spark = sparkws.quarantine()[["source_row", "column", "reason"]]
    pd.testing.assert_frame_equal(q_duck, q_spark, check_dtype=False)
    assert len(q_duck) == 2

    duck_metrics, spark_metrics = metric_frames(duck), metric_frames(sparkws)
    for name, frame in duck_metrics.items():
        assert len(frame) > 3, name
        pd.testing.assert_frame_equal(
            normalise(frame),
            normalise(spark_metrics[name]),
            check_dtype=False,
            rtol=1e-9,
            obj=name,
        )
