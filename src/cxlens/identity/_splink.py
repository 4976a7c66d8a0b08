"""Splink on the Workspace's own engine: the DuckDB connection or the Spark session.

This is the one place that knows which engine a Workspace holds (it belongs in ``store/``;
see docs/identity.md). Splink reads the prepared records from a table in that engine and
writes its intermediate tables there, so the records never leave it.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import ibis.expr.types as ir

from cxlens.errors import WorkspaceError

#: Prefix of the scratch tables identity resolution writes (dropped when it ends).
SCRATCH = "_identity_scratch_"


def db_api(ws: Any) -> Any:
    """Return a Splink database API on the Workspace's engine.

    Raises:
        WorkspaceError: the engine is neither DuckDB nor Spark.

    Example:
        >>> db_api(ws)  # doctest: +SKIP
    """
    name = ws.engine.name
    if name == "duckdb":
        from splink import DuckDBAPI

        return DuckDBAPI(connection=ws.con.con)
    if name == "pyspark":
        from splink import SparkAPI

        session = ws.con._session
        jar_ok = _has_similarity_jar(session)
        # "persist" breaks Spark's lineage without a checkpoint directory (Splink's default
        # needs one set on the SparkContext)
        has_checkpoint = session.sparkContext.getCheckpointDir() is not None
        return SparkAPI(
            spark_session=session,
            register_udfs_automatically=jar_ok,
            break_lineage_method=None if has_checkpoint else "persist",
        )
    raise WorkspaceError(
        f"identity resolution runs on DuckDB or Spark; this Workspace's engine is {name}"
    )


def _has_similarity_jar(session: Any) -> bool:
    jars = session.sparkContext.getConf().get("spark.jars", "") or ""
    return "scala-udf-similarity" in jars


def materialise(ws: Any, name: str, expr: ir.Table) -> str:
    """Write ``expr`` to scratch table ``name`` in the engine and return its name."""
    ws.con.create_table(name, expr, overwrite=True)
    return name


def drop(ws: Any, *names: str) -> None:
    """Drop scratch tables (those that exist)."""
    present = set(ws.con.list_tables())
    for name in names:
        if name in present:
            ws.con.drop_table(name, force=True)


@contextmanager
def quiet() -> Iterator[None]:
    """Keep Splink's progress and advice messages out of the caller's output while it runs."""
    logger = logging.getLogger("splink")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        logger.setLevel(level)
