"""The backend seam: the few operations that differ between engines.

Everything else in cxlens sees Ibis tables only. DuckDB gets transactions (``atomic``), which
the loader uses to publish a load only once it is complete (see cxlens.ingest.load); other
Ibis backends (Spark, Postgres...) get the same calls through plain Ibis, appended chunk by
chunk, and say so in ``atomic``.
"""

from __future__ import annotations

import functools
import logging
import os
import re
import shutil
import warnings
import weakref
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import duckdb
import ibis
import ibis.expr.types as ir
import pyarrow as pa
import sqlglot.expressions as sge

from cxlens.errors import EngineError, WorkspaceBusyError, WorkspaceError
from cxlens.store.query import run, sql

log = logging.getLogger(__name__)

#: cxlens column types as Ibis types.
IBIS_TYPES = {
    "string": "string",
    "int": "int64",
    "float": "float64",
    "timestamp": "timestamp",
    "bool": "boolean",
}

#: The same, as DuckDB SQL types, for DDL issued inside a transaction.
_DUCKDB_TYPES = {
    "string": "VARCHAR",
    "int": "BIGINT",
    "float": "DOUBLE",
    "timestamp": "TIMESTAMP",
    "bool": "BOOLEAN",
}


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _string(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


class Engine:
    """Generic Ibis engine: tables are created and appended through the Ibis API.

    Example:
        >>> eng = Engine(ibis.duckdb.connect())
        >>> eng.list_tables()
        []
    """

    atomic = False

    def __init__(self, con: ibis.BaseBackend) -> None:
        self.con = con

    @property
    def name(self) -> str:
        """The Ibis backend's name, e.g. 'duckdb' or 'pyspark'."""
        return self.con.name

    def list_tables(self) -> list[str]:
        """Return the names of the tables the engine holds."""
        return sorted(self.con.list_tables())

    def table(self, name: str) -> ibis.Table:
        """Return table ``name`` as an Ibis expression."""
        return self.con.table(name)

    def columns(self, name: str) -> dict[str, str]:
        """Return ``{column: ibis type}`` of table ``name``."""
        schema = self.con.table(name).schema()
        return {col: str(dtype) for col, dtype in schema.items()}

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Group writes; generic engines cannot roll back, so this only marks the span."""
        yield

    @contextmanager
    def folds_held(self) -> Iterator[None]:
        """Keep writes from folding the write-ahead log within the block (DuckDB; see there)."""
        yield

    def fold_wal(self) -> bool:
        """Fold a write-ahead log into the database file (DuckDB); here False: there is none."""
        return False

    def close(self) -> None:
        """Close the connection (a DuckDB engine first folds its write-ahead log in)."""
        disconnect = getattr(self.con, "disconnect", None)
        if disconnect is not None:
            disconnect()

    def create_table(self, name: str, columns: dict[str, str]) -> None:
        """Create an empty table with ``{column: cxlens dtype}``."""
        schema = ibis.schema({c: IBIS_TYPES[t] for c, t in columns.items()})
        self.con.create_table(name, schema=schema)

    def add_columns(self, name: str, columns: dict[str, str]) -> None:
        """Add columns to an existing table (only DuckDB supports this here)."""
        raise EngineError(
            f"table '{name}' lacks columns {sorted(columns)} and the {self.name} backend "
            "cannot add columns in place; load files with the same columns, or use DuckDB"
        )

    def drop_columns(self, name: str, columns: list[str]) -> None:
        """Drop columns from a table (only DuckDB supports this here)."""
        raise EngineError(f"the {self.name} backend cannot drop columns {columns} of '{name}'")

    def drop_table(self, name: str) -> None:
        """Drop table ``name`` if it exists."""
        self.con.drop_table(name, force=True)

    def append(self, name: str, rows: pa.Table) -> None:
        """Append Arrow ``rows`` (columns named as in the table) to table ``name``."""
        self.con.insert(name, rows.to_pandas())

    def replace_table(self, name: str, rows: pa.Table | pa.RecordBatchReader) -> None:
        """Create or overwrite table ``name`` with Arrow ``rows`` (derived tables only)."""
        if isinstance(rows, pa.RecordBatchReader):
            rows = rows.read_all()
        self.con.create_table(name, rows, overwrite=True)

    def replace_table_from(self, name: str, expr: ir.Table) -> None:
        """Create or overwrite table ``name`` with the rows of ``expr``, computed in the engine.

        Example:
            >>> eng = Engine(ibis.duckdb.connect())
            >>> eng.replace_table_from("t", ibis.memtable({"x": [1, 2]}))
            >>> "t" in eng.list_tables()
            True
        """
        try:
            self.con.create_table(name, expr, overwrite=True)
        except Exception as exc:
            raise EngineError(f"the {self.name} engine could not write '{name}': {exc}",
                              sql(expr)) from exc  # fmt: skip

    def execute(self, expr: ibis.Expr) -> Any:
        """Run an Ibis expression; engine failures come back as EngineError with the SQL."""
        return run(expr, f"a query on the {self.name} engine")

    def delete_where(self, name: str, predicate: ir.BooleanValue) -> int:
        """Delete the rows of table ``name`` where ``predicate`` holds; return how many.

        ``predicate`` is an Ibis condition on ``self.table(name)``; the DELETE statement is
        built from its compiled form with SQLGlot, so values are quoted by the compiler.

        Example:
            >>> t = eng.table("responses")  # doctest: +SKIP
            >>> eng.delete_where("responses", t.customer_id == "C1")  # doctest: +SKIP
            3
        """
        table = self.table(name)
        count = int(self.execute(table.filter(predicate).count()))
        if count:
            where, target = self._where(table, predicate)
            self._run(sge.Delete(this=target, where=where))
        return count

    def update_where(self, name: str, values: dict[str, Any], predicate: ir.BooleanValue) -> int:
        """Set ``values`` (column -> literal) on the rows of ``name`` where ``predicate`` holds.

        Returns the number of rows changed.

        Example:
            >>> t = eng.table("themes")  # doctest: +SKIP
            >>> eng.update_where("themes", {"quotes": ""}, t.theme == "3")  # doctest: +SKIP
            1
        """
        table = self.table(name)
        count = int(self.execute(table.filter(predicate).count()))
        if count:
            where, target = self._where(table, predicate)
            sets = [
                sge.EQ(this=sge.column(col, quoted=True), expression=_literal(value))
                for col, value in values.items()
            ]
            self._run(sge.Update(this=target, expressions=sets, where=where))
        return count

    def database_file(self) -> Path | None:
        """Return the database file the engine writes, or None (server or in-memory engines)."""
        return None

    def compact(self) -> Path | None:
        """Rewrite the database file so deleted rows leave no bytes (DuckDB); None otherwise."""
        return None

    def _where(self, table: ibis.Table, predicate: ir.BooleanValue) -> tuple[sge.Where, sge.Table]:
        """Return the WHERE clause and aliased target table of ``table.filter(predicate)``."""
        query = self.con.compiler.to_sqlglot(table.filter(predicate))
        source = query.args.get("from_")
        if query.args.get("with_") or source is None or not isinstance(source.this, sge.Table):
            raise EngineError(
                "a row filter for DELETE/UPDATE must be a plain condition on the table's own "
                "columns (no joins or subqueries)",
                str(ibis.to_sql(table.filter(predicate))),
            )
        # The statement keeps the query's table alias so the qualified columns still resolve.
        return query.args["where"].copy(), source.this.copy()

    def _run(self, statement: sge.Expression) -> None:
        text = statement.sql(dialect=self.con.compiler.dialect)
        try:
            self._raw_sql(text)
        except Exception as exc:
            raise EngineError(f"the {self.name} engine failed: {exc}", text) from exc

    def _raw_sql(self, statement: str) -> None:
        self.con.raw_sql(statement)


def _literal(value: Any) -> sge.Expression:
    if value is None:
        return sge.Null()
    if isinstance(value, bool):
        return sge.Boolean(this=value)
    if isinstance(value, int | float):
        return sge.Literal.number(value)
    return sge.Literal.string(str(value))


#: A write that leaves the WAL at least this big folds it in (``DuckDBEngine._fold_if_due``):
#: 16 MiB, DuckDB's own default ``checkpoint_threshold``, so a cxlens WAL is bounded where
#: plain DuckDB bounds its own. Measured (docs/ingest.md, "Folds while a process runs"): an
#: open replays a WAL at about 9 ms per MB (0.17 s at 16 MB, 0.61 s at 66 MB, 1.2 s at 130
#: MB), and a fold at 16 MB takes about 0.5 s, once per 16 MB written.
FOLD_THRESHOLD = 16 * 1024 * 1024
#: Environment variable overriding :data:`FOLD_THRESHOLD`, in MB (MiB), e.g. 64.
FOLD_ENV = "CXLENS_FOLD_MB"


def default_fold_threshold() -> int:
    """Return the WAL size, in bytes, past which a write folds it in: ``CXLENS_FOLD_MB`` or 16 MiB.

    Raises:
        WorkspaceError: ``CXLENS_FOLD_MB`` is not a positive number.

    Example:
        >>> default_fold_threshold()  # without CXLENS_FOLD_MB  # doctest: +SKIP
        16777216
    """
    text = os.environ.get(FOLD_ENV, "").strip()
    if not text:
        return FOLD_THRESHOLD
    try:
        mb = float(text)
    except ValueError:
        mb = -1.0
    if not mb > 0:  # also NaN
        raise WorkspaceError(
            f"{FOLD_ENV}={text!r} is not a positive number of MB (the write-ahead log size "
            f"past which a write folds it into the workspace file; default 16)"
        )
    return max(1, int(mb * 1024 * 1024))


class FoldFailedWarning(UserWarning):
    """A workspace's write-ahead log could not be folded into its file (kept whole instead)."""


def _unfolded_message(path: Path, wal: Path, exc: BaseException) -> str:
    """Say which file could not take its WAL in, why, and the free space a fold needs."""
    size, log_size = _size(path), _size(wal)
    try:
        free = f", {_mb(shutil.disk_usage(path.parent).free)} free now"
    except OSError:
        free = ""
    return (
        f"could not fold the write-ahead log of {path} into it: {exc}. The log ({wal.name}, "
        f"{_mb(log_size)}) is kept whole and replayed the next time the workspace opens; "
        f"folding it needs about {_mb(size + log_size)} free in {path.parent} for a copy of "
        f"the file and its log{free}"
    )


def _warn_unfolded(exc: EngineError) -> None:
    """Warn that a fold failed: the CLI prints it as one line, a notebook shows it.

    A warning, not a log record only: a full disk is something a person must act on
    (``logging.captureWarnings(True)`` sends it to the logs as well).
    """
    warnings.warn(str(exc), FoldFailedWarning, stacklevel=1)


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


def _mb(size: int) -> str:
    return f"{size / 1e6:,.1f} MB" if size >= 100_000 else f"{size / 1e3:,.1f} KB"


def _writes(method: Callable[..., Any]) -> Callable[..., Any]:
    """Decorate a DuckDB write: once it has committed, fold the WAL in if it is due."""

    @functools.wraps(method)
    def wrapper(self: DuckDBEngine, *args: Any, **kwargs: Any) -> Any:
        result = method(self, *args, **kwargs)
        self._fold_if_due()  # inside a transaction: nothing (the commit checks)
        return result

    return wrapper


class DuckDBEngine(Engine):
    """DuckDB: every file loads in one transaction, so a crash leaves nothing half-written.

    Example:
        >>> eng = DuckDBEngine(ibis.duckdb.connect())
        >>> eng.atomic
        True
    """

    atomic = True

    def __init__(self, con: ibis.BaseBackend) -> None:
        super().__init__(con)
        self._raw = con.con  # the duckdb.DuckDBPyConnection behind Ibis
        self._in_transaction = False
        #: Fold the WAL in after a write that leaves it at least this many bytes (None: only
        #: at a load's publish and at close); see :meth:`_fold_if_due`.
        self.fold_threshold: int | None = default_fold_threshold()
        self._holds = 0  # open folds_held() blocks
        self._retry_at = 0  # WAL size before which a failed fold is not tried again
        _ENGINES.add(self)
        self._file = self.database_file()
        self._finish_fold()
        self._hold_checkpoints()

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Run the block in one DuckDB transaction: all of it commits, or none of it.

        Once it has committed, a WAL past :attr:`fold_threshold` is folded in
        (:meth:`_fold_if_due`); never in the middle of the transaction.
        """
        self._raw.execute("BEGIN TRANSACTION")
        self._in_transaction = True
        try:
            yield
        except BaseException:
            self._raw.execute("ROLLBACK")
            raise
        else:
            self._raw.execute("COMMIT")
        finally:
            self._in_transaction = False
        self._fold_if_due()

    @contextmanager
    def folds_held(self) -> Iterator[None]:
        """Within the block, no write folds the WAL; leaving it folds one that is due.

        A fold reopens the DuckDB connection (Ibis expressions keep working: they go through
        the same Ibis backend). Code that lends the raw connection to another library
        (Splink's DuckDBAPI keeps it), or reads a result stream while it writes, holds folds
        for that span. A load holds them too: it folds once, after it publishes. Blocks nest.

        Example:
            >>> with eng.folds_held():  # doctest: +SKIP
            ...     eng.append("scores", rows)  # the WAL may pass the threshold: no fold yet
        """
        self._holds += 1
        try:
            yield
        finally:
            self._holds -= 1
        self._fold_if_due()

    def _fold_if_due(self) -> None:
        """After a write commits, fold the WAL in when it has reached :attr:`fold_threshold`.

        This is what bounds the WAL of a process that writes derived tables for hours and
        never loads (``cxlens serve``, a notebook): without it every write stays in the WAL
        until the close, and each open (or the open after a crash) replays all of it.
        Nothing happens inside a transaction or a :meth:`folds_held` block, on an in-memory
        database, or while another connection of this process has the file open (the fold is
        skipped, as :meth:`fold_wal` says). A fold that fails (a full disk) leaves the write
        committed and the WAL whole; it warns (:class:`FoldFailedWarning`) and is not tried
        again until the WAL has grown by another threshold.
        """
        if self._in_transaction or self._holds or self.fold_threshold is None:
            return
        if self._file is None:
            return
        try:
            size = _wal(self._file).stat().st_size
        except FileNotFoundError:
            return
        if size < max(self.fold_threshold, self._retry_at):
            return
        try:
            folded = self.fold_wal()
        except EngineError as exc:
            self._retry_at = size + self.fold_threshold
            _warn_unfolded(exc)
            return
        if folded:
            log.info("folded a %.1f MB write-ahead log into %s", size / 1e6, self._file)

    def _hold_checkpoints(self) -> None:
        """Keep DuckDB from checkpointing the live file, from now until the connection closes.

        A DuckDB checkpoint rewrites its first metadata block in place (the part the file's
        header points to stays, new metadata goes into the rest); a process killed inside that
        256 KB write can leave it half new, half old, and the file no longer opens ("Corrupt
        database file: ... block at location 12288"; see docs/ingest.md). So from opening on,
        no commit checkpoints, whatever its WAL size (``checkpoint_threshold`` unlimited), and
        closing does not checkpoint either: every write (a load, a derived table, an erasure)
        only appends to the WAL, which DuckDB replays on the next open (dropping a commit cut
        short), and :meth:`fold_wal` or :meth:`close` fold it in through a copy. The settings
        belong to the database, so they hold for every connection of this process to the
        file. An in-memory database has no file: nothing changes.
        """
        if self.database_file() is None:
            return
        self._raw.execute("PRAGMA disable_checkpoint_on_shutdown")
        for name, value in _HELD.items():
            self._raw.execute(f"SET {name} = {_string(value)}")

    def fold_wal(self) -> bool:
        """Fold the write-ahead log into the database file, never writing the file in place.

        DuckDB checkpoints a copy of the file and its WAL (a kill can only tear the copy), the
        copy is synced to disk, and then, while this connection still holds the file's lock,
        the WAL is renamed aside (from here on the copy is the workspace), the copy renamed
        over the file, and the old WAL deleted; the connection is reopened on the new file. A
        process killed between the renames leaves the copy and the renamed WAL, and the next
        open finishes the swap (``_finish_fold``). Returns False, and does nothing, without a
        file or a WAL, or while another connection of this process has the file open (the
        WAL then stays, and the last one's :meth:`close` folds it in).

        Example:
            >>> eng.append("responses", rows)  # doctest: +SKIP
            >>> eng.fold_wal()  # doctest: +SKIP
            True
        """
        path = self._fold()
        if path is None:
            return False
        self._reconnect(path)
        return True

    def close(self) -> None:
        """Fold the write-ahead log in through a copy (:meth:`fold_wal`), then disconnect.

        Nothing to fold (no write since the last fold, an in-memory database, another
        connection of this process on the file) costs nothing. A fold that fails (a full
        disk) warns (:class:`FoldFailedWarning`: which file, why, that the WAL is kept, the
        free space the fold needs; the CLI prints it as one line) and the connection still
        closes: the WAL stays beside the file, whole, and the next open replays it.

        Closing again does nothing.

        Example:
            >>> DuckDBEngine(ibis.duckdb.connect()).close()
        """
        try:
            self._fold()
        except EngineError as exc:
            _warn_unfolded(exc)
        except duckdb.ConnectionException:  # closed before: closing again does nothing
            pass
        finally:
            _ENGINES.discard(self)  # no longer shares its file with anyone
            super().close()

    def _fold(self) -> Path | None:
        """Swap in a checkpointed copy of the file and its WAL; return the file's path.

        Returns None, and does nothing, when there is nothing to fold or the file is shared
        (see :meth:`fold_wal`). The connection stays on the replaced file until reopened.
        """
        path = self.database_file()
        if path is None or self._shared(path):
            return None
        wal, folded = _wal(path), _sibling(path, _FOLDED)
        if not wal.is_file() or wal.stat().st_size == 0:
            return None
        _remove(folded, _wal(folded))
        try:
            shutil.copyfile(path, folded)  # the connection is idle: neither file changes
            shutil.copyfile(wal, _wal(folded))
            copy = duckdb.connect(str(folded))  # replays the WAL
            copy.execute("CHECKPOINT")
            copy.close()
            _fsync(folded)
        except Exception as exc:
            _remove(folded, _wal(folded))
            raise EngineError(_unfolded_message(path, wal, exc)) from exc
        _swap_in(folded, path)
        return path

    def _finish_fold(self) -> None:
        """Finish or undo a :meth:`fold_wal` cut short by a crash (this connection has the lock)."""
        path = self.database_file()
        if path is None:
            return
        folded, aside = _sibling(path, _FOLDED), _sibling(path, _ASIDE)
        if aside.exists():
            if folded.exists():  # cut between the renames: the folded copy is the workspace
                os.replace(folded, path)
                _fsync(path.parent)
                self._reconnect(path)
            aside.unlink()
        _remove(folded, _wal(folded))  # cut while folding: the file and its WAL are whole

    def _shared(self, path: Path) -> bool:
        """Whether another open connection of this process uses the file (one DuckDB database).

        Compared by the path each engine opened (``_file``), never by a query on the other
        connection: another thread may be running one there (a server's warm-up), and a
        DuckDB connection serves one statement at a time, so asking it could wait forever.
        """
        return any(
            other is not self and isinstance(other, DuckDBEngine) and other._file == path
            for other in list(_ENGINES)
        )

    def _reconnect(self, path: Path) -> None:
        """Reopen the Ibis connection on ``path`` (after the file was swapped)."""
        self.con.disconnect()
        self.con.do_connect(path)
        self._raw = self.con.con
        self._retry_at = 0  # a new file, its WAL empty: a failed fold's wait is over
        # Ibis registers each in-memory table once per connection; the new one has none yet.
        registered = getattr(self.con, "_memtables", None)
        if registered is not None:
            registered.clear()
        self._hold_checkpoints()  # a new database: DuckDB's defaults again

    @_writes
    def create_table(self, name: str, columns: dict[str, str]) -> None:
        """Create an empty table; DuckDB DDL takes part in the open transaction."""
        cols = ", ".join(f"{_quote(c)} {_DUCKDB_TYPES[t]}" for c, t in columns.items())
        self._raw.execute(f"CREATE TABLE {_quote(name)} ({cols})")

    @_writes
    def add_columns(self, name: str, columns: dict[str, str]) -> None:
        """Add nullable columns to table ``name``."""
        for col, dtype in columns.items():
            self._raw.execute(
                f"ALTER TABLE {_quote(name)} ADD COLUMN {_quote(col)} {_DUCKDB_TYPES[dtype]}"
            )

    @_writes
    def drop_columns(self, name: str, columns: list[str]) -> None:
        """Drop ``columns`` from table ``name`` (those it still has)."""
        for col in columns:
            self._raw.execute(f"ALTER TABLE {_quote(name)} DROP COLUMN IF EXISTS {_quote(col)}")

    @_writes
    def drop_table(self, name: str) -> None:
        """Drop table ``name`` if it exists; takes part in the open transaction."""
        self._raw.execute(f"DROP TABLE IF EXISTS {_quote(name)}")

    @_writes
    def append(self, name: str, rows: pa.Table) -> None:
        """Insert Arrow ``rows`` by column name (missing columns become NULL)."""
        view = "__cxlens_rows"
        self._raw.register(view, rows)
        try:
            self._raw.execute(f"INSERT INTO {_quote(name)} BY NAME SELECT * FROM {view}")
        finally:
            self._raw.unregister(view)

    def replace_table(self, name: str, rows: pa.Table | pa.RecordBatchReader) -> None:
        """Swap table ``name`` for Arrow ``rows`` in one transaction (readers never see a gap)."""
        view = "__cxlens_rows"
        with self.transaction():
            self._raw.register(view, rows)
            try:
                self._raw.execute(f"CREATE OR REPLACE TABLE {_quote(name)} AS SELECT * FROM {view}")
            finally:
                self._raw.unregister(view)

    def replace_table_from(self, name: str, expr: ir.Table) -> None:
        """Swap table ``name`` for the rows of ``expr`` in one transaction, inside DuckDB."""
        with self.transaction():
            super().replace_table_from(name, expr)

    @_writes
    def _raw_sql(self, statement: str) -> None:
        self._raw.execute(statement)  # the same connection as an open transaction

    def database_file(self) -> Path | None:
        """Return the path of the DuckDB file, or None for an in-memory database."""
        row = self._raw.execute(
            "SELECT path FROM duckdb_databases() WHERE database_name = current_database()"
        ).fetchone()
        return Path(row[0]) if row and row[0] else None

    def compact(self) -> Path | None:
        """Rewrite the database file so deleted rows leave no bytes behind; reconnect.

        DuckDB marks deleted rows and frees blocks but does not overwrite them, so a deleted
        value can still be read from the file after ``CHECKPOINT`` (or ``VACUUM``). This
        copies the live data (the file and what its WAL adds) into a fresh file beside it,
        checkpoints that copy, never the live file, and swaps it in as :meth:`fold_wal` does
        (the WAL renamed aside first, so a crash between the renames is finished on the next
        open); then reopens the same Ibis connection on it. The connection must be the file's
        only one. Returns the file's path (None, and nothing done, for an in-memory database).

        Example:
            >>> eng.compact()  # doctest: +SKIP
            PosixPath('acme.duckdb')
        """
        path = self.database_file()
        if path is None:
            return None
        fresh = _sibling(path, _FOLDED)
        _remove(fresh, _wal(fresh))
        try:
            self._raw.execute(f"ATTACH {_string(str(fresh))} AS __cxlens_compact")
            current = self._raw.execute("SELECT current_database()").fetchone()[0]
            self._raw.execute(f"COPY FROM DATABASE {_quote(current)} TO __cxlens_compact")
            self._raw.execute("CHECKPOINT __cxlens_compact")  # the copy: its WAL goes in
            self._raw.execute("DETACH __cxlens_compact")
            _fsync(fresh)
        except Exception as exc:
            _remove(fresh, _wal(fresh))
            raise EngineError(f"could not rewrite {path}: {exc}") from exc
        _swap_in(fresh, path)
        self._reconnect(path)
        return path

    def list_tables(self) -> list[str]:
        """Return the tables of the main schema (DuckDB sees its own uncommitted DDL)."""
        rows = self._raw.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main' "
            "AND table_type = 'BASE TABLE'"
        ).fetchall()
        return sorted(r[0] for r in rows)


#: Every DuckDB engine of this process (a fold must not swap a file another one has open).
_ENGINES: weakref.WeakSet[DuckDBEngine] = weakref.WeakSet()
#: Beside ``ws.duckdb`` while a fold swaps it: the folded copy, and the WAL it replaces.
_FOLDED, _ASIDE = ".cxlens-folded", ".cxlens-folded-wal"
#: DuckDB settings that keep commits from checkpointing (``_hold_checkpoints``).
_HELD = {"checkpoint_threshold": "none", "wal_autocheckpoint_entries": "0"}


def _swap_in(fresh: Path, path: Path) -> None:
    """Rename the checkpointed copy ``fresh`` over ``path``; its WAL is renamed aside first.

    From the first rename on the copy is the workspace: a crash before the second leaves
    both names, and the next open finishes the swap (``DuckDBEngine._finish_fold``).
    """
    wal, aside = _wal(path), _sibling(path, _ASIDE)
    if wal.exists():
        os.replace(wal, aside)
    os.replace(fresh, path)
    _fsync(path.parent)
    aside.unlink(missing_ok=True)


def _sibling(path: Path, suffix: str) -> Path:
    return path.with_name(path.name + suffix)


def _wal(path: Path) -> Path:
    return _sibling(path, ".wal")


def _remove(*paths: Path) -> None:
    for path in paths:
        path.unlink(missing_ok=True)


def _fsync(path: Path) -> None:
    """Flush a file, or a folder's entries (a rename), to the disk."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


#: DuckDB's message when another process holds the file: "... is held in PROGRAM (PID 123)".
_LOCK_HELD = re.compile(r"Conflicting lock is held in (?P<program>.*?) \(PID (?P<pid>\d+)\)")


def connect_duckdb(path: str | Path) -> ibis.BaseBackend:
    """Open the DuckDB file at ``path`` (created if missing) through Ibis.

    The engine's own errors for the two common cases come back as one clear line: a file
    another process holds (WorkspaceBusyError, naming that process) and a folder that does
    not exist (WorkspaceError).

    Example:
        >>> connect_duckdb(":memory:").name
        'duckdb'
    """
    target = str(path)
    folder = Path(target).parent
    if target != ":memory:" and not folder.is_dir():
        raise WorkspaceError(
            f"cannot create workspace {target}: the folder {folder} does not exist "
            "(create it first, or give another path)"
        )
    try:
        return ibis.duckdb.connect(target)
    except Exception as exc:  # duckdb.IOException; DuckDB has no lock-specific type
        held = _LOCK_HELD.search(str(exc))
        if held is None:
            raise WorkspaceError(f"cannot open workspace {target}: {exc}") from exc
        pid = int(held["pid"])
        holder = describe_process(pid) or Path(held["program"]).name
        raise WorkspaceBusyError(
            f"workspace {target} is in use by {holder} (PID {pid}); DuckDB lets one process "
            "at a time open the file",
            pid=pid,
            holder=holder,
        ) from None


def describe_process(pid: int) -> str | None:
    """Return a short description of process ``pid`` ("cxlens ingest big.csv"), or None.

    Reads ``/proc/PID/cmdline`` (Linux); elsewhere, or when the process is gone, None.

    Example:
        >>> describe_process(os.getpid()) is not None  # doctest: +SKIP
        True
    """
    try:
        argv = Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace").split("\0")
    except OSError:
        return None
    argv = [a for a in argv if a]
    for i, arg in enumerate(argv):  # `cxlens ...` or `python -m cxlens ...`
        if Path(arg).name == "cxlens" and (i == 0 or argv[i - 1] != "-c"):
            argv = ["cxlens", *argv[i + 1 :]]
            break
    else:
        argv = [Path(argv[0]).name, *argv[1:]] if argv else []
    text = " ".join(" ".join(argv).split())  # one line, even for `python -c "..."`
    if len(text) > 120:
        text = text[:117] + "..."
    return text or None


def _spark_type(dtype: Any) -> str:
    if dtype.is_integer():
        return "bigint"
    if dtype.is_floating():
        return "double"
    if dtype.is_timestamp():
        return "timestamp"
    if dtype.is_boolean():
        return "boolean"
    return "string"


class SparkEngine(Engine):
    """Spark through Ibis, with appends done by Spark itself.

    Ibis 12's pandas path into Spark turns nullable integer columns into NaN, so rows go in
    as an Arrow-backed Spark DataFrame cast to the table's types, by column name. cxlens
    timestamps are naive UTC, so the session's time zone is set to UTC.
    """

    def __init__(self, con: ibis.BaseBackend) -> None:
        super().__init__(con)
        self._session = con._session
        self._session.conf.set("spark.sql.session.timeZone", "UTC")

    def append(self, name: str, rows: pa.Table) -> None:
        """Append Arrow ``rows`` to ``name``; columns it lacks are NULL."""
        from pyspark.sql import functions as F

        frame = self._session.createDataFrame(rows)
        schema = self.con.table(name).schema()
        columns = [
            (F.col(_quote_spark(col)) if col in rows.column_names else F.lit(None))
            .cast(_spark_type(dtype))
            .alias(col)
            for col, dtype in schema.items()
        ]
        frame.select(*columns).write.insertInto(name)

    def replace_table(self, name: str, rows: pa.Table | pa.RecordBatchReader) -> None:
        """Create or overwrite table ``name`` from Arrow ``rows`` through Spark."""
        if isinstance(rows, pa.RecordBatchReader):
            rows = rows.read_all()
        self._session.createDataFrame(rows).write.mode("overwrite").saveAsTable(name)


def _quote_spark(name: str) -> str:
    return "`" + name.replace("`", "``") + "`"


def engine_for(con: ibis.BaseBackend) -> Engine:
    """Return the engine adapter for an Ibis connection.

    Example:
        >>> type(engine_for(ibis.duckdb.connect())).__name__
        'DuckDBEngine'
    """
    if con.name == "duckdb":
        return DuckDBEngine(con)
    if con.name == "pyspark":
        return SparkEngine(con)
    return Engine(con)


def connect(target: str | Path | Any) -> ibis.BaseBackend:
    """Return the Ibis connection for a DuckDB path, ":memory:", a connection or a SparkSession.

    Example:
        >>> connect(":memory:").name
        'duckdb'
    """
    if isinstance(target, str | Path):
        return connect_duckdb(target)
    if isinstance(target, ibis.BaseBackend):
        return target
    if type(target).__name__ == "SparkSession":
        return ibis.pyspark.connect(target)
    raise WorkspaceError(
        f"cannot open a Workspace on {type(target).__name__}; pass a DuckDB path, an Ibis "
        "connection or a SparkSession"
    )
