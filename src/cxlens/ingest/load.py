"""The loader: one source file into one canonical table, atomically and only once.

Steps: fingerprint the file (a file already loaded into the table is not loaded again),
check its header against the schema and mapping, then read it chunk by chunk, validate, drop
duplicate keys, append the good rows with lineage and the bad ones to quarantine, and record
the load.

On engines with transactions (DuckDB) a load is published in three commits, so that it is
visible only once its ``_loads`` record says "complete", whatever the engine does with a
transaction cut off by a crash (DuckDB can replay part of a large one from its WAL):

1. announce: a "pending" record (with the table or columns the load creates) and that DDL;
2. write: every row under the load's id, and its quarantine records;
3. publish: the record becomes "complete", with its counts.

Opening a workspace rolls back any load still "pending" that no code in this process is
writing (:func:`recover_unpublished_loads`): its rows, quarantine records, table and columns
go, and its record stays as "rolled back", which ``cxlens loads`` lists.

A load, and a rollback, never rewrite the database file in place: a DuckDB checkpoint
rewrites a metadata block in place, and a process killed in the middle of that write leaves a
file that no longer opens (docs/ingest.md). The DuckDB engine holds checkpoints back from
opening to closing (``DuckDBEngine._hold_checkpoints``), so the commits only append to the
write-ahead log, which DuckDB replays on the next open (dropping a commit cut short); once the
load is published, :meth:`~cxlens.store.engine.Engine.fold_wal` checkpoints a copy of the
file and swaps it in with a rename.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import ibis
import pandas as pd
import pyarrow as pa

from cxlens.errors import EngineError, IngestError, MappingError
from cxlens.ingest.mapping import Mapping
from cxlens.ingest.presets.base import SKIP, Plan, Preset
from cxlens.ingest.readers import SourceFile, StructureError, read_chunks, source_encoding
from cxlens.ingest.validate import (
    FILLED,
    PROBLEM_COLUMNS,
    Checked,
    FileReading,
    canonical_columns,
    check_chunk,
)
from cxlens.schema import LINEAGE_COLUMNS, TableSchema, get_table
from cxlens.store.engine import Engine
from cxlens.store.lineage import (
    COMPLETE,
    LOADS_COLUMNS,
    LOADS_TABLE,
    PENDING,
    QUARANTINE_COLUMNS,
    QUARANTINE_TABLE,
    ROLLED_BACK,
)

Progress = Callable[[int], None]

log = logging.getLogger(__name__)

#: Loads this process is writing now: a Workspace opened beside them must not roll them back.
_WRITING: set[str] = set()


@dataclass
class LoadResult:
    """What one ingest did.

    ``status`` is "loaded", or "already loaded" when the same file (same bytes) was loaded
    into the same table before; then ``load_id`` names that earlier load and nothing changed.

    Example:
        >>> ws.ingest("surveys.csv", table="responses")  # doctest: +SKIP
        LoadResult(status='loaded', table='responses', rows_loaded=980, rows_quarantined=20, ...)
    """

    status: str
    table: str
    source_file: str
    load_id: str
    rows_loaded: int = 0
    rows_quarantined: int = 0
    ignored_columns: list[str] = field(default_factory=list)
    #: rows a preset says are not records of the table (a Zendesk ticket nobody rated)
    rows_skipped: int = 0
    preset: str | None = None
    #: rows where the mapping's ``fill`` gave a value the file did not (never silent), and
    #: what it filled: {"responded_at": "load date"}
    rows_filled: int = 0
    filled: dict[str, str] = field(default_factory=dict)
    #: the text encoding read (None for Parquet/XLSX) and how sure its detection was (1.0
    #: for a byte-order mark, valid UTF-8 or an encoding given by the user)
    encoding: str | None = None
    encoding_confidence: float | None = None

    def summary(self) -> str:
        """One line for people: what happened to the file."""
        if self.status == "already loaded":
            return (
                f"{self.source_file} was already loaded into {self.table} "
                f"(load {self.load_id}); nothing changed"
            )
        line = (
            f"{self.source_file} -> {self.table}: {self.rows_loaded:,} rows loaded, "
            f"{self.rows_quarantined:,} quarantined (load {self.load_id})"
        )
        if self.rows_skipped:
            line += f", {self.rows_skipped:,} skipped as not {self.table} rows"
        if self.rows_filled:
            what = ", ".join(f"{c} from the {f}" for c, f in self.filled.items())
            line += f"; {self.rows_filled:,} rows filled by the mapping ({what})"
        if self.preset:
            line += f"; preset {self.preset}"
        if self.encoding:
            line += f"; encoding {self.encoding} (confidence {self.encoding_confidence:.2f})"
        if self.ignored_columns:
            line += f"; ignored columns: {', '.join(self.ignored_columns)}"
        return line


def file_sha256(path: Path) -> str:
    """Return the SHA-256 of a file's bytes, read in blocks."""
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def ingest_file(
    engine: Engine,
    path: str | Path,
    table: str | None = None,
    mapping: Mapping | None = None,
    *,
    encoding: str | None = None,
    delimiter: str | None = None,
    progress: Progress | None = None,
    preset: Preset | None = None,
) -> LoadResult:
    """Load one file into a canonical table; see the module docstring for the steps.

    With ``preset`` the file is read as that tool writes it (header rows, names, dates) and
    mapped by the preset; a ``mapping`` given too is laid over the preset's (it wins).

    Example:
        >>> ingest_file(engine, "surveys.csv", "responses").rows_loaded  # doctest: +SKIP
        1000
    """
    path = Path(path)
    plan = None
    if preset is not None:
        if table is not None and table != preset.table:
            raise MappingError(
                f"the {preset.title} preset loads table '{preset.table}', not '{table}'"
            )
        if not path.is_file():
            raise IngestError(f"{path}: no such file")
        plan = preset.plan(path, mapping, encoding=encoding, delimiter=delimiter)
        mapping = plan.mapping
    mapping = _resolve_mapping(table, mapping)
    schema = get_table(mapping.table)
    source = SourceFile(
        path,
        encoding=encoding or mapping.encoding,
        delimiter=delimiter or mapping.delimiter,
        sheet=mapping.sheet,
        tolerant=not engine.atomic,  # no rollback there: never start over after a bad row
        header_rows=preset.header_rows if preset is not None else 1,
        names=plan.names if plan is not None else None,
        missing=mapping.missing,
    )
    _ = source.format  # unknown extensions fail before any work
    if not path.is_file():
        raise IngestError(f"{path}: no such file")
    sha = file_sha256(path)
    earlier = _earlier_load(engine, schema.name, sha)
    if earlier is not None:
        return LoadResult("already loaded", schema.name, path.name, earlier)
    with engine.folds_held():  # one fold, once the load is published
        try:
            result = _load(engine, source, schema, mapping, sha, progress, plan)
        except StructureError:
            # The fast CSV reader stops at a row whose field count is wrong, and the
            # transaction rolled back: read the file again row by row, quarantining such rows.
            tolerant = replace(source, tolerant=True)
            result = _load(engine, tolerant, schema, mapping, sha, progress, plan)
        engine.fold_wal()  # the commits went to the WAL only (module docstring)
    return result


def _load(
    engine: Engine,
    source: SourceFile,
    schema: TableSchema,
    mapping: Mapping,
    sha: str,
    progress: Progress | None,
    plan: Plan | None = None,
) -> LoadResult:
    """Read, validate and append one file, published as one load; see the module docstring."""
    path = source.path
    load_id = _new_load_id()
    chunks = _source_chunks(source, plan)
    first = next(chunks)
    chosen = canonical_columns(first, mapping, schema)
    _check_header(path, first, mapping, schema, chosen)
    ignored = [c for c in first.columns if not c.startswith("_") and c not in chosen]
    result = LoadResult("loaded", schema.name, path.name, load_id, ignored_columns=ignored)
    if plan is not None:
        result.preset = plan.preset.name
    # dates' day/month order and the decimal mark: decided once, over the whole file
    reading = FileReading(source=path.name, rescan=lambda: _source_chunks(source, plan))
    result.filled = {column: fill.label for column, fill in mapping.fill.items()}
    detected = source_encoding(source)  # cached: the readers decided it already
    if detected is not None:
        result.encoding, result.encoding_confidence = detected.encoding, detected.confidence
    record = {
        "load_id": load_id, "table_name": schema.name, "source_file": str(path.name),
        "sha256": sha, "mapping": _fingerprint(mapping, plan), "rows_loaded": 0,
        "rows_quarantined": 0, "loaded_at": _now(), "status": PENDING,
        "encoding": result.encoding, "encoding_confidence": result.encoding_confidence,
    }  # fmt: skip

    def write() -> None:
        rows = _chain(first, chunks)
        _write_rows(engine, rows, mapping, schema, chosen, result, progress, reading)

    _publish(engine, schema, chosen, record, write, result)
    return result


def load_checked(
    engine: Engine,
    table: str,
    rows: list[dict[str, Any]],
    source_file: str,
    mapping: Mapping | None = None,
) -> LoadResult:
    """Load rows its caller built and checked (survey answers) as one load, without a file.

    The rows are typed by ``table``'s schema (a column it does not name is text) and
    published as :func:`ingest_file` publishes a load: atomically where the engine can,
    each row with its lineage (``_load_id``, ``_source_file`` = ``source_file``,
    ``_source_row`` = its position from 1), and a ``_loads`` record counting them, whose
    ``sha256`` is that of the rows as JSON lines. What a file needs and these rows do not is
    skipped: writing and reading the file, looking its fingerprint up, validating each value
    and looking the keys up; the caller vouches for them (a value that does not fit its
    column's type still raises IngestError, before anything is written).

    Example:
        >>> load_checked(engine, "responses", [{"response_id": "r1", "customer_id": "C1",
        ...     "responded_at": datetime(2026, 1, 5), "nps": 9}], "answers.jsonl").rows_loaded
        ...     # doctest: +SKIP
        1
    """
    schema = get_table(table)
    frame = _typed_rows(rows, schema, source_file)
    chosen = {c: c for c in frame.columns}
    frame["_source_row"] = range(1, len(frame) + 1)
    load_id = _new_load_id()
    text = "".join(json.dumps(r, ensure_ascii=False, default=str) + "\n" for r in rows)
    result = LoadResult("loaded", schema.name, source_file, load_id)
    record = {
        "load_id": load_id, "table_name": schema.name, "source_file": source_file,
        "sha256": hashlib.sha256(text.encode("utf-8")).hexdigest(),
        "mapping": _fingerprint(mapping or Mapping(table=schema.name), None),
        "rows_loaded": 0, "rows_quarantined": 0, "loaded_at": _now(), "status": PENDING,
    }  # fmt: skip

    def write() -> None:
        _append_rows(engine, schema.name, frame, load_id, source_file)
        result.rows_loaded = len(frame)

    with engine.folds_held():  # one fold, once the load is published
        _publish(engine, schema, chosen, record, write, result)
        engine.fold_wal()
    return result


def _typed_rows(rows: list[dict[str, Any]], schema: TableSchema, source: str) -> pd.DataFrame:
    """Return ``rows`` as a frame typed by ``schema``; IngestError naming a value that misfits."""
    frame = pd.DataFrame.from_records(rows)
    missing = [c for c in schema.required if c not in frame.columns]
    if missing:
        raise IngestError(f"{source}: no column for required {missing} of table '{schema.name}'")
    for column in frame.columns:
        dtype = schema.column(column).dtype if schema.has_column(column) else "string"
        try:
            frame[column] = _as_type(frame[column], dtype)
        except (TypeError, ValueError) as exc:
            raise IngestError(
                f"{source}: column '{column}' of table '{schema.name}' holds a value that is "
                f"not {dtype}: {exc}"
            ) from None
    return frame


def _as_type(values: pd.Series, dtype: str) -> pd.Series:
    """Return ``values`` as the schema type ``dtype`` (nulls kept)."""
    if dtype == "int":
        return values.astype("Int64")
    if dtype == "float":
        return values.astype("Float64")
    if dtype == "timestamp":
        return pd.to_datetime(values).astype("datetime64[us]")
    if dtype == "bool":
        return values.astype("boolean")
    return values.astype("string")


def _publish(
    engine: Engine,
    schema: TableSchema,
    chosen: dict[str, str],
    record: dict[str, object],
    write: Callable[[], None],
    result: LoadResult,
) -> None:
    """Run ``write`` as one load recorded by ``record``: in commits where the engine can."""
    if engine.atomic:
        _load_in_commits(engine, schema, chosen, record, write, result)
    else:  # no transactions: append as we go, record the load last
        _ensure_bookkeeping(engine)
        _apply_table_changes(engine, schema.name, *_table_changes(engine, schema, chosen))
        write()
        _append_record(engine, {**record, **_counts(result), "status": COMPLETE})


def _new_load_id() -> str:
    return datetime.now(UTC).strftime("%Y%m%d-%H%M%S%f") + "-" + uuid.uuid4().hex[:6]


def _load_in_commits(
    engine: Engine,
    schema: TableSchema,
    chosen: dict[str, str],
    record: dict[str, object],
    write: Callable[[], None],
    result: LoadResult,
) -> None:
    """Announce, write and publish one load in three commits; see the module docstring."""
    with engine.transaction():
        _ensure_bookkeeping(engine)
    created, added = _table_changes(engine, schema, chosen)
    record.update(created_table=created is not None, added_columns=json.dumps(sorted(added)))
    load_id = str(record["load_id"])
    _WRITING.add(load_id)
    try:
        with engine.transaction():  # 1. announce, with the DDL the load needs
            _append_record(engine, record)
            _apply_table_changes(engine, schema.name, created, added)
        with engine.transaction():  # 2. write
            write()
        with engine.transaction():  # 3. publish
            _set_record(engine, load_id, {**_counts(result), "status": COMPLETE})
    except BaseException:
        # This process is alive: undo the whole load, record included, as if never started.
        _roll_back(engine, record, keep_record=False)
        raise
    finally:
        _WRITING.discard(load_id)


def _write_rows(
    engine: Engine,
    chunks: Iterator[pd.DataFrame],
    mapping: Mapping,
    schema: TableSchema,
    chosen: dict[str, str],
    result: LoadResult,
    progress: Progress | None,
    reading: FileReading,
) -> None:
    """Validate each chunk and append its good rows and its problems under the load's id."""
    for chunk in chunks:
        if SKIP in chunk.columns:
            skip = chunk[SKIP].fillna(False).astype(bool).to_numpy()
            result.rows_skipped += int(skip.sum())
            chunk = chunk[~skip].drop(columns=SKIP)
            if chunk.empty:
                continue
        checked = check_chunk(chunk, mapping, schema, chosen, reading)
        checked = _drop_duplicate_keys(engine, schema, checked)
        _append_rows(engine, schema.name, checked.rows, result.load_id, result.source_file)
        _append_problems(engine, checked.problems, result.load_id, schema.name, result.source_file)
        result.rows_loaded += len(checked.rows)
        result.rows_filled += int(checked.rows[FILLED].notna().sum())
        result.rows_quarantined += checked.problems["source_row"].nunique()
        if progress is not None:
            progress(len(chunk))


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def _counts(result: LoadResult) -> dict[str, object]:
    return {"rows_loaded": result.rows_loaded, "rows_quarantined": result.rows_quarantined,
            "loaded_at": _now()}  # fmt: skip


def _append_record(engine: Engine, record: dict[str, object]) -> None:
    """Append one ``_loads`` record, with only the columns the stored table has."""
    have = engine.columns(LOADS_TABLE)
    columns = {c: t for c, t in LOADS_COLUMNS.items() if c in have}
    row = {c: record.get(c) for c in columns}
    engine.append(LOADS_TABLE, pa.Table.from_pylist([row], schema=_arrow_schema(columns)))


def _set_record(engine: Engine, load_id: str, values: dict[str, object]) -> None:
    loads = engine.table(LOADS_TABLE)
    text = {c: (v.isoformat(sep=" ") if isinstance(v, datetime) else v) for c, v in values.items()}
    engine.update_where(LOADS_TABLE, text, loads.load_id == load_id)


def recover_unpublished_loads(engine: Engine) -> list[dict[str, object]]:
    """Roll back every load left "pending" by a process that died; return their records.

    Each such load's rows and quarantine records are deleted, the table or columns it
    created dropped, and its ``_loads`` record kept with status "rolled back" and a note
    saying how many rows went. Loads this process is writing are left alone. Engines
    without transactions write no pending records, so nothing is found there.

    Example:
        >>> [r["source_file"] for r in recover_unpublished_loads(ws.engine)]  # doctest: +SKIP
        ['big.csv']
    """
    if not engine.atomic or LOADS_TABLE not in engine.list_tables():
        return []
    if "status" not in engine.columns(LOADS_TABLE):
        return []
    loads = engine.table(LOADS_TABLE)
    pending = engine.execute(loads.filter(loads.status == PENDING))
    records = [r for r in pending.to_dict("records") if r["load_id"] not in _WRITING]
    if not records:
        return []
    for record in records:  # a kill during the rollback leaves it to the next open
        removed = _roll_back(engine, record, keep_record=True)
        log.warning(
            "rolled back the unfinished load %s of %s into %s (%s rows removed)",
            record["load_id"], record["source_file"], record["table_name"], f"{removed:,}",
        )  # fmt: skip
    engine.fold_wal()
    return records


def _roll_back(engine: Engine, record: dict[str, object], *, keep_record: bool) -> int:
    """Remove everything load ``record`` wrote; return how many table rows went.

    Two commits, because DuckDB refuses to alter a table that the same transaction deleted
    from: first the rows, then the DDL and the record (kept as "rolled back", or deleted).
    A crash between them leaves the record pending, so the next open finishes the job.
    """
    load_id = str(record["load_id"])
    table = str(record["table_name"])
    tables = engine.list_tables()
    removed = 0
    with engine.transaction():
        if table in tables and "_load_id" in engine.columns(table):
            stored = engine.table(table)
            removed = engine.delete_where(table, stored._load_id == load_id)
        if QUARANTINE_TABLE in tables:
            problems = engine.table(QUARANTINE_TABLE)
            engine.delete_where(QUARANTINE_TABLE, problems.load_id == load_id)
    with engine.transaction():
        if record.get("created_table"):
            engine.drop_table(table)
        elif table in tables:
            engine.drop_columns(table, json.loads(str(record.get("added_columns") or "[]")))
        loads = engine.table(LOADS_TABLE)
        if keep_record:
            note = f"rolled back when the workspace was next opened: {removed:,} rows removed"
            _set_record(engine, load_id, {"status": ROLLED_BACK, "note": note})
        else:
            engine.delete_where(LOADS_TABLE, loads.load_id == load_id)
    return removed


def _source_chunks(source: SourceFile, plan: Plan | None):  # type: ignore[no-untyped-def]
    chunks = read_chunks(source)
    return plan.rewrite(chunks) if plan is not None else chunks


def _fingerprint(mapping: Mapping, plan: Plan | None) -> str:
    text = mapping.fingerprint()
    return text if plan is None else f"preset: {plan.preset.name}\n{text}"


def _chain(first: pd.DataFrame, rest):  # type: ignore[no-untyped-def]
    yield first
    yield from rest


def _resolve_mapping(table: str | None, mapping: Mapping | None) -> Mapping:
    if mapping is None:
        if table is None:
            raise MappingError("say which table the file feeds (table=...) or pass a mapping")
        return Mapping(table=get_table(table).name)
    if table is not None and get_table(table).name != mapping.table:
        raise MappingError(f"the mapping is for table '{mapping.table}', not '{table}'")
    return mapping


def _check_header(
    path: Path, first: pd.DataFrame, mapping: Mapping, schema: TableSchema, chosen: dict[str, str]
) -> None:
    absent = [s for s in mapping.columns if s not in first.columns]
    if absent:
        raise MappingError(
            f"{path}: the mapping names columns the file does not have: {absent}; "
            f"the file's columns are: {[c for c in first.columns if not c.startswith('_')]}"
        )
    targets = list(chosen.values())
    twice = sorted({t for t in targets if targets.count(t) > 1})
    if twice:
        raise MappingError(f"{path}: several source columns map to {twice}")
    missing = [c for c in schema.required if c not in targets and c not in mapping.fill]
    if missing:
        raise IngestError(
            f"{path}: no column for required {missing} of table '{schema.name}'; "
            f"the file's columns are {[c for c in first.columns if not c.startswith('_')]}. "
            "Map them with a mapping file or --map 'Header=column' (see `cxlens suggest`)."
        )
    unscaled = [c for c in mapping.scales if c not in targets]
    if unscaled:
        raise MappingError(f"{path}: scales declared for {unscaled}, which the file does not fill")


def _earlier_load(engine: Engine, table: str, sha: str) -> str | None:
    if LOADS_TABLE not in engine.list_tables():
        return None
    loads = engine.table(LOADS_TABLE)
    hit = loads.filter((loads.table_name == table) & (loads.sha256 == sha))
    if "status" in loads.columns:  # records from before statuses are all complete
        hit = hit.filter(loads.status.fill_null(COMPLETE) == COMPLETE)
    hit = hit.select("load_id")
    found = engine.execute(hit.limit(1))
    return None if found.empty else str(found["load_id"].iloc[0])


def _ensure_bookkeeping(engine: Engine) -> None:
    """Create ``_loads`` and ``_quarantine`` if missing; give an older ``_loads`` its statuses.

    Older records get no status, which counts as complete (their loads were one transaction).
    """
    existing = engine.list_tables()
    for name, columns in ((LOADS_TABLE, LOADS_COLUMNS), (QUARANTINE_TABLE, QUARANTINE_COLUMNS)):
        if name not in existing:
            engine.create_table(name, columns)
    have = engine.columns(LOADS_TABLE)  # a workspace from an earlier version lacks new columns
    later = {c: t for c, t in LOADS_COLUMNS.items() if c not in have}
    if later:
        # Spark cannot add columns in place: such a log keeps its columns, and each record
        # is written with the columns the log has (_append_record)
        with contextlib.suppress(EngineError):
            engine.add_columns(LOADS_TABLE, later)


def _table_changes(
    engine: Engine, schema: TableSchema, chosen: dict[str, str]
) -> tuple[dict[str, str] | None, dict[str, str]]:
    """Return ``(columns of the table to create or None, columns to add to the stored one)``."""
    wanted = {c.name: c.dtype for c in schema.columns}
    for target in chosen.values():
        if target not in wanted:
            wanted[target] = schema.column(target).dtype if schema.has_column(target) else "string"
    wanted.update(LINEAGE_COLUMNS)
    if schema.name not in engine.list_tables():
        return wanted, {}
    have = engine.columns(schema.name)
    return None, {c: t for c, t in wanted.items() if c not in have}


def _apply_table_changes(
    engine: Engine, table: str, created: dict[str, str] | None, added: dict[str, str]
) -> None:
    if created is not None:
        engine.create_table(table, created)
    elif added:
        engine.add_columns(table, added)


def _key_text(rows: pd.DataFrame, key: list[str]) -> pd.Series:
    r"""Return each row's key as one string ('crm/17' for a composite key).

    A backslash or slash inside a part of a composite key is escaped, so two different keys
    never give the same text: ("a/b", "c") is 'a\/b/c', ("a", "b/c") is 'a/b\/c'.
    """

    def part(col: str) -> pd.Series:
        text = rows[col].astype("string")
        if len(key) == 1:
            return text
        return text.str.replace("\\", "\\\\", regex=False).str.replace("/", "\\/", regex=False)

    text = part(key[0])
    for col in key[1:]:
        text = text + "/" + part(col)
    return text


def _drop_duplicate_keys(engine: Engine, schema: TableSchema, checked: Checked) -> Checked:
    rows = checked.rows
    if rows.empty:
        return checked
    key = list(schema.key)
    label = "/".join(key)
    keys = _key_text(rows, key)
    repeated = keys.duplicated(keep="first").to_numpy()
    first_row = rows["_source_row"].groupby(keys.to_numpy()).transform("min")
    known = _known_keys(engine, schema.name, key, rows.loc[~repeated, key])
    in_store = keys.isin(known).to_numpy() & ~repeated
    reasons = []
    for mask, why in ((repeated, "duplicates row {first} of this file"),
                      (in_store, "is already loaded in the workspace")):  # fmt: skip
        if mask.any():
            reasons.append(pd.DataFrame({
                "source_row": rows.loc[mask, "_source_row"].to_numpy(),
                "column": label,
                "value": keys[mask].to_numpy(),
                "rule": "unique key",
                "reason": [f"{label} {k!r} " + why.format(first=f)
                           for k, f in zip(keys[mask], first_row[mask], strict=True)],
                "raw": None,
            }))  # fmt: skip
    if not reasons:
        return checked
    problems = pd.concat([checked.problems, *reasons], ignore_index=True)
    return Checked(rows=rows[~(repeated | in_store)].reset_index(drop=True), problems=problems)


def _known_keys(engine: Engine, table: str, key: list[str], keys: pd.DataFrame) -> set[str]:
    """Return the keys (as key text) among ``keys`` that the stored table already has."""
    if not len(keys):
        return set()
    stored = engine.table(table)
    probe = ibis.memtable(keys.astype("string").reset_index(drop=True))
    found = engine.execute(probe.semi_join(stored.select(key).distinct(), key))
    return set(_key_text(found, key)) if len(found) else set()


def _arrow_schema(columns: dict[str, str]) -> pa.Schema:
    types = {"string": pa.string(), "int": pa.int64(), "float": pa.float64(),
             "timestamp": pa.timestamp("us"), "bool": pa.bool_()}  # fmt: skip
    return pa.schema([(c, types[t]) for c, t in columns.items()])


def _append_rows(engine: Engine, table: str, rows: pd.DataFrame, load_id: str, file: str) -> None:
    if rows.empty:
        return
    frame = rows.copy()
    frame["_load_id"] = load_id
    frame["_source_file"] = file
    stored = engine.columns(table)
    for col in frame.columns:  # integers were floats while NaN marked the gaps
        if frame[col].dtype == "float64" and stored.get(col) == "int64":
            frame[col] = frame[col].astype("Int64")
    engine.append(table, pa.Table.from_pandas(frame, preserve_index=False))


def _append_problems(
    engine: Engine, problems: pd.DataFrame, load_id: str, table: str, file: str
) -> None:
    if problems.empty:
        return
    frame = problems[[*PROBLEM_COLUMNS, "raw"]].copy()
    frame["source_row"] = frame["source_row"].astype("int64")
    frame.insert(0, "source_file", file)
    frame.insert(0, "table_name", table)
    frame.insert(0, "load_id", load_id)
    raw = frame.groupby("source_row")["raw"].transform("first")  # one raw copy per row
    frame["raw"] = raw
    engine.append(QUARANTINE_TABLE, pa.Table.from_pandas(
        frame.astype({"value": "string", "raw": "string"}),
        preserve_index=False, schema=_arrow_schema(QUARANTINE_COLUMNS),
    ))  # fmt: skip
