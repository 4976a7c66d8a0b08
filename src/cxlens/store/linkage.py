"""Splink on the engine a Workspace holds: the engine-specific part of identity resolution.

Splink reads the prepared records from a table in the engine and writes its intermediate
tables there, so the records never leave it. Which Splink database API fits is a question about
the engine, so it is answered here, with the rest of the engine-specific code.
"""

from __future__ import annotations

from typing import Any

from cxlens.errors import WorkspaceError
from cxlens.store.engine import Engine


def splink_api(engine: Engine) -> Any:
    """Return a Splink database API on ``engine``: DuckDB's connection or Spark's session.

    Raises:
        WorkspaceError: the engine is neither DuckDB nor Spark.

    Example:
        >>> import ibis
        >>> from cxlens.store.engine import engine_for
        >>> type(splink_api(engine_for(ibis.duckdb.connect()))).__name__
        'DuckDBAPI'
    """
    if engine.name == "duckdb":
        from splink import DuckDBAPI

        return DuckDBAPI(connection=engine.con.con)
    if engine.name == "pyspark":
        from splink import SparkAPI

        session = engine.con._session
        jars = session.sparkContext.getConf().get("spark.jars", "") or ""
        # "persist" breaks Spark's lineage without a checkpoint directory (Splink's default
        # needs one set on the SparkContext)
        has_checkpoint = session.sparkContext.getCheckpointDir() is not None
        return SparkAPI(
            spark_session=session,
            register_udfs_automatically="scala-udf-similarity" in jars,
            break_lineage_method=None if has_checkpoint else "persist",
        )
    raise WorkspaceError(
        f"identity resolution runs on DuckDB or Spark; this Workspace's engine is {engine.name}"
    )
