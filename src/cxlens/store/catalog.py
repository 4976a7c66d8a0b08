"""The Catalog: what every capability reads and writes, whatever the engine.

A capability is typed against :class:`Catalog` (tables as lazy Ibis expressions, derived
tables saved in the engine, the load log and the quarantine), never against the Workspace
facade above it. :class:`EngineCatalog` is the Catalog over one :class:`~cxlens.store.engine.
Engine`; the Workspace is built on it.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

import ibis
import ibis.expr.types as ir
import pandas as pd
import pyarrow as pa

from cxlens.errors import NotEnoughDataError, WorkspaceError
from cxlens.schema import TABLES
from cxlens.store.customer_ids import resolved_table
from cxlens.store.engine import Engine
from cxlens.store.lineage import (
    COMPLETE,
    ERASURES_TABLE,
    LOADS_COLUMNS,
    LOADS_TABLE,
    QUARANTINE_COLUMNS,
    QUARANTINE_TABLE,
)
from cxlens.store.query import run
from cxlens.store.secrets import SECRET_TABLE

#: Tables only their own module writes: the erasure log and the workspace secret.
PRIVATE_TABLES = (ERASURES_TABLE, SECRET_TABLE)

#: What a derived table can be saved from: an Ibis expression (written in the engine), Arrow
#: data, or a pandas frame (small results only).
TableData = ir.Table | pa.Table | pa.RecordBatchReader | pd.DataFrame


@runtime_checkable
class Catalog(Protocol):
    """The tables of one workspace, as every capability sees them.

    Example:
        >>> from cxlens.store.engine import engine_for
        >>> isinstance(EngineCatalog(engine_for(ibis.duckdb.connect())), Catalog)
        True
    """

    engine: Engine

    def table(self, name: str) -> ir.Table:
        """Return table ``name`` as a lazy Ibis expression."""
        ...

    def has_table(self, name: str) -> bool:
        """Return True when the catalog holds table ``name``."""
        ...

    def tables(self) -> list[str]:
        """Return the canonical tables that hold data, in schema order."""
        ...

    def save_table(self, name: str, data: TableData) -> ir.Table:
        """Store derived table ``name`` in the engine, replacing any earlier version."""
        ...

    def loads(self, *, rolled_back: bool = False) -> pd.DataFrame:
        """Return the load log (complete loads; with ``rolled_back``, cut-off ones too)."""
        ...

    def quarantine(self, load_id: str | None = None) -> pd.DataFrame:
        """Return rejected rows with their lineage and reasons."""
        ...


class EngineCatalog:
    """The Catalog over one engine.

    Args:
        engine: the engine adapter (see :func:`cxlens.store.engine.engine_for`).

    Example:
        >>> from cxlens.store.engine import engine_for
        >>> cat = EngineCatalog(engine_for(ibis.duckdb.connect()))
        >>> int(cat.save_table("scores", ibis.memtable({"x": [1, 2]})).count().execute())
        2
    """

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    @property
    def con(self) -> ibis.BaseBackend:
        """The Ibis connection behind the catalog."""
        return self.engine.con

    def tables(self) -> list[str]:
        """Return the canonical tables that hold data, in schema order."""
        present = set(self.engine.list_tables())
        return [name for name in TABLES if name in present]

    def has_table(self, name: str) -> bool:
        """Return True when table ``name`` exists in the engine."""
        return name in self.engine.list_tables()

    def table(self, name: str) -> ir.Table:
        """Return table ``name`` as a lazy Ibis expression.

        After identity resolution, ``responses``, ``transactions`` and ``events`` come with
        the resolved ``customer_id`` (:mod:`cxlens.store.customer_ids`);
        ``engine.table(name)`` reads the rows as loaded.

        Raises:
            NotEnoughDataError: the table is not there yet, with how to load it.

        Example:
            >>> from cxlens.store.engine import engine_for
            >>> cat = EngineCatalog(engine_for(ibis.duckdb.connect()))
            >>> cat.save_table("scores", pd.DataFrame({"x": [1]})).columns
            ('x',)
        """
        if not self.has_table(name):
            raise NotEnoughDataError(
                f"the workspace has no '{name}' table yet; load one with "
                f"`cxlens ingest FILE --as {name}` or ws.ingest(FILE, table='{name}')"
            )
        return resolved_table(self.engine, name)

    def save_table(self, name: str, data: TableData) -> ir.Table:
        """Store a derived table (e.g. ``customer_segments``), replacing any earlier version.

        ``data`` is an Ibis expression (computed and written inside the engine, no rows
        leave it), Arrow data, or a pandas frame. Canonical tables are written only by
        ingestion. Returns the stored table as an Ibis expression.

        Example:
            >>> from cxlens.store.engine import engine_for
            >>> cat = EngineCatalog(engine_for(ibis.duckdb.connect()))
            >>> scores = cat.save_table("scores", pa.table({"x": [1, 2]}))
            >>> int(cat.save_table("doubled", scores.mutate(y=scores.x * 2)).y.sum().execute())
            6
        """
        if name in TABLES or name in (LOADS_TABLE, QUARANTINE_TABLE, *PRIVATE_TABLES):
            raise WorkspaceError(
                f"'{name}' is written by ingestion or its own module only; pick another name"
            )
        if isinstance(data, ir.Table):
            self.engine.replace_table_from(name, data)
        elif isinstance(data, pd.DataFrame):
            self.engine.replace_table(name, pa.Table.from_pandas(data, preserve_index=False))
        elif isinstance(data, pa.Table | pa.RecordBatchReader):
            self.engine.replace_table(name, data)
        else:
            raise WorkspaceError(
                f"cannot save {type(data).__name__} as table '{name}'; pass an Ibis table, "
                "Arrow data or a pandas DataFrame"
            )
        return self.engine.table(name)

    def quarantine(self, load_id: str | None = None) -> pd.DataFrame:
        """Return rejected rows, one line per problem, with lineage and the row's raw values.

        Columns: load_id, table_name, source_file, source_row, column, value, rule, reason, raw.

        Example:
            >>> from cxlens.store.engine import engine_for
            >>> cat = EngineCatalog(engine_for(ibis.duckdb.connect()))
            >>> list(cat.quarantine().columns)[:4]
            ['load_id', 'table_name', 'source_file', 'source_row']
        """
        if not self.has_table(QUARANTINE_TABLE):
            return pd.DataFrame(columns=list(QUARANTINE_COLUMNS))
        table = self.engine.table(QUARANTINE_TABLE)
        if load_id is not None:
            table = table.filter(table.load_id == load_id)
        return run(table.order_by(["load_id", "source_row", "column"]), "the quarantine")

    def loads(self, *, rolled_back: bool = False) -> pd.DataFrame:
        """Return the load log: one row per file loaded, with its fingerprint and counts.

        Only complete loads, unless ``rolled_back``: then also the loads a crash cut off,
        which opening the workspace rolled back (``status`` "rolled back", with a ``note``).

        Example:
            >>> from cxlens.store.engine import engine_for
            >>> len(EngineCatalog(engine_for(ibis.duckdb.connect())).loads())
            0
        """
        if not self.has_table(LOADS_TABLE):
            return pd.DataFrame(columns=list(LOADS_COLUMNS))
        loads = self.engine.table(LOADS_TABLE)
        if "status" in loads.columns:  # records from before statuses are all complete
            loads = loads.mutate(status=loads.status.fill_null(COMPLETE))
            if not rolled_back:
                loads = loads.filter(loads.status == COMPLETE)
        return run(loads.order_by("loaded_at"), "the load log")


class CatalogView:
    """A read-only view of a Catalog whose tables can be narrowed before anyone reads them.

    Subclasses override :meth:`table` (e.g. a KPI's filter, a dashboard's date range); the
    rest is the underlying catalog's. Saving through a view is refused: a derived table
    computed on a subset must not replace the whole workspace's.

    Example:
        >>> from cxlens.store.engine import engine_for
        >>> class OnlyPromoters(CatalogView):
        ...     def table(self, name):
        ...         t = self.catalog.table(name)
        ...         return t.filter(t.nps >= 9)
        >>> cat = EngineCatalog(engine_for(ibis.duckdb.connect()))
        >>> _ = cat.save_table("answers", pd.DataFrame({"nps": [10, 3, 9]}))
        >>> int(OnlyPromoters(cat).table("answers").count().execute())
        2
    """

    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog

    @property
    def engine(self) -> Engine:
        """The underlying catalog's engine."""
        return self.catalog.engine

    def table(self, name: str) -> ir.Table:
        """Return table ``name`` (override to narrow it)."""
        return self.catalog.table(name)

    def has_table(self, name: str) -> bool:
        """Return True when the underlying catalog holds table ``name``."""
        return self.catalog.has_table(name)

    def tables(self) -> list[str]:
        """Return the canonical tables of the underlying catalog."""
        return self.catalog.tables()

    def save_table(self, name: str, data: TableData) -> ir.Table:
        """Refuse: a view is read-only."""
        raise WorkspaceError(f"cannot save '{name}' through a filtered view of the workspace")

    def loads(self, *, rolled_back: bool = False) -> pd.DataFrame:
        """Return the underlying catalog's load log."""
        return self.catalog.loads(rolled_back=rolled_back)

    def quarantine(self, load_id: str | None = None) -> pd.DataFrame:
        """Return the underlying catalog's quarantine."""
        return self.catalog.quarantine(load_id)
