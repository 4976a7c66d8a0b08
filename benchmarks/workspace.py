"""Bulk-load a generated dataset into a cxlens Workspace DuckDB file.

Ingestion speed is not what the benchmarks measure, so the Parquet goes straight into the
canonical tables with one ``INSERT ... SELECT FROM read_parquet`` per table instead of through
``ws.ingest``. The tables look exactly as an ingest leaves them: every canonical column of the
table's schema (nullable where the data has none), the undeclared columns the schema accepts
(``driver_*`` ratings of ``responses``, typed as the schema types them), the lineage columns
``_load_id``, ``_source_file`` and ``_source_row`` (1-based, as the Parquet reader numbers
rows), and one row per file in the ``_loads`` log.

A dataset is anything with a cache ``key`` and ``tables``: canonical table name -> Parquet
file (see :class:`benchmarks.data.Dataset`).
"""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

import pyarrow.parquet as pq

from cxlens import Workspace
from cxlens.schema import LINEAGE_COLUMNS, get_table
from cxlens.store.lineage import LOADS_COLUMNS, LOADS_TABLE, QUARANTINE_COLUMNS, QUARANTINE_TABLE

#: Bump when the layout of the loaded Workspace changes.
WORKSPACE_VERSION = 1


class Dataset(Protocol):
    """What the loader needs of a generated dataset."""

    @property
    def key(self) -> str:
        """The cache key (size, seed, generator version)."""
        ...

    @property
    def tables(self) -> dict[str, Path]:
        """Canonical table name -> its Parquet file, in load order."""
        ...


def workspace_path(ds: Dataset) -> Path:
    """Return where the Workspace file of dataset ``ds`` is cached (next to its Parquet)."""
    first = next(iter(ds.tables.values()))
    return first.parent / f"workspace-{ds.key}-w{WORKSPACE_VERSION}.duckdb"


def ensure_workspace(ds: Dataset, *, rebuild: bool = False) -> Path:
    """Return the path of a Workspace DuckDB file holding ``ds``, building it when needed.

    The file is built under a temporary name and renamed when complete, so a file that exists
    is whole. ``rebuild=True`` builds it again even when it exists.
    """
    path = workspace_path(ds)
    if path.is_file() and not rebuild:
        return path
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    for stale in (tmp, tmp.with_name(tmp.name + ".wal")):
        stale.unlink(missing_ok=True)
    try:
        load_dataset(ds, tmp)
        tmp.replace(path)
    finally:
        tmp.unlink(missing_ok=True)
        tmp.with_name(tmp.name + ".wal").unlink(missing_ok=True)
    return path


def load_dataset(ds: Dataset, target: Path) -> None:
    """Create the tables of ``ds`` in a new Workspace at ``target`` and fill them."""
    with Workspace(target) as ws:
        engine = ws.engine
        raw = ws.con.con  # the DuckDB connection behind Ibis
        with engine.transaction():
            for name, columns in (
                (LOADS_TABLE, LOADS_COLUMNS),
                (QUARANTINE_TABLE, QUARANTINE_COLUMNS),
            ):
                engine.create_table(name, columns)
            for table, source in ds.tables.items():
                schema = get_table(table)
                columns = {c.name: c.dtype for c in schema.columns}
                for name in pq.read_schema(source).names:
                    if name not in columns and schema.has_column(name):
                        columns[name] = schema.column(name).dtype
                columns |= LINEAGE_COLUMNS
                engine.create_table(table, columns)
                load_id = f"bench-{ds.key}-{table}"
                raw.execute(
                    f"INSERT INTO {table} BY NAME "
                    "SELECT * EXCLUDE (file_row_number), "
                    "? AS _load_id, ? AS _source_file, file_row_number + 1 AS _source_row "
                    f"FROM read_parquet({_literal(source)}, file_row_number = true)",
                    [load_id, source.name],
                )
                loaded = raw.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
                raw.execute(
                    f"INSERT INTO {LOADS_TABLE} VALUES (?, ?, ?, ?, ?, ?, 0, ?)",
                    [load_id, table, source.name, f"benchmark:{ds.key}", "benchmarks.workspace",
                     loaded, datetime.now(UTC).replace(tzinfo=None)],
                )  # fmt: skip
        raw.execute("CHECKPOINT")


def _literal(path: Path) -> str:
    """Return ``path`` as a SQL string literal."""
    return "'" + str(path).replace("'", "''") + "'"
