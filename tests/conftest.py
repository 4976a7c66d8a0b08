"""Shared fixtures: a fresh DuckDB Workspace and helpers to write small source files."""

from __future__ import annotations

import itertools
import os
from pathlib import Path

import pytest

import cxlens


@pytest.fixture
def ws(tmp_path: Path) -> cxlens.Workspace:
    workspace = cxlens.Workspace(tmp_path / "ws.duckdb")
    yield workspace
    workspace.close()


def write_text(path: Path, text: str, encoding: str = "utf-8") -> Path:
    """Write ``text`` to ``path`` in ``encoding`` and return the path."""
    path.write_bytes(text.encode(encoding))
    return path


@pytest.fixture(scope="session")
def spark(tmp_path_factory):
    """One local Spark session for the whole run (starting one costs 10-20 s)."""
    pytest.importorskip("pyspark")
    from pyspark.sql import SparkSession

    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")  # loopback only
    warehouse = tmp_path_factory.mktemp("spark-warehouse")
    session = (
        SparkSession.builder.master("local[2]")
        .appName("cxlens-tests")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "4")
        .config("spark.sql.warehouse.dir", str(warehouse))
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.driver.extraJavaOptions", f"-Dderby.system.home={warehouse}")
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


_databases = itertools.count()


@pytest.fixture
def spark_ws(spark) -> cxlens.Workspace:
    """A Workspace on Spark in a database of its own, so tests do not see each other's tables."""
    name = f"cxlens_test_{next(_databases)}"
    spark.sql(f"CREATE DATABASE {name}")
    spark.catalog.setCurrentDatabase(name)
    yield cxlens.Workspace(spark)
    spark.catalog.setCurrentDatabase("default")
