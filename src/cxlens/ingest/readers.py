"""Readers: turn a CSV, Parquet, JSON Lines or XLSX file into chunks of text columns.

Every value arrives as text (or null) so that validation, not the reader, decides what a
bad value is. The tokens analysts write for "no value" (:data:`MISSING`: NA, N/A, #N/A, null,
None, -) arrive as null, in every format; a mapping's ``missing:`` list replaces them. Each
chunk carries ``_source_row``: the row as a spreadsheet shows it (header is row 1) for CSV
and XLSX, the line for JSON Lines, the record number for Parquet.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from cxlens.errors import IngestError
from cxlens.ingest.encoding import Detected, detect, first_bad_byte, undecodable

CHUNK_ROWS = 100_000
#: Columns a reader adds beside the file's own: where a row came from, and for a CSV row
#: whose field count is wrong, the problem and its raw text (see ``tolerant``).
SOURCE_ROW, ROW_PROBLEM, ROW_TEXT = "_source_row", "_row_problem", "_row_text"
#: What analysts, R, SPSS and Excel write for "no value"; read as null in any column.
#: Matched as written, in lower case, in UPPER case or in Title case; empty and
#: whitespace-only values are always missing.
MISSING: tuple[str, ...] = ("NA", "N/A", "#N/A", "null", "None", "-")
_FORMATS = {".csv": "csv", ".tsv": "csv", ".txt": "csv", ".parquet": "parquet",
            ".pq": "parquet", ".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "jsonl",
            ".xlsx": "xlsx"}  # fmt: skip


@dataclass(frozen=True)
class SourceFile:
    """A file to read, with the settings a mapping may fix.

    Example:
        >>> SourceFile(Path("a.csv")).format
        'csv'
    """

    path: Path
    encoding: str | None = None
    delimiter: str | None = None
    sheet: str | None = None
    tolerant: bool = False  # read CSV row by row, marking rows with the wrong field count
    #: Rows at the top that form the header (tool exports write 2 or 3); with ``names`` the
    #: reader skips them and names the columns ``names`` (a preset merged the header rows).
    header_rows: int = 1
    names: tuple[str, ...] | None = None
    #: Tokens read as missing (None: :data:`MISSING`); a mapping's ``missing:`` sets them.
    missing: tuple[str, ...] | None = None

    @property
    def format(self) -> str:
        """One of csv, parquet, jsonl, xlsx, from the file's extension."""
        fmt = _FORMATS.get(self.path.suffix.lower())
        if fmt is None:
            raise IngestError(
                f"{self.path}: unknown file type '{self.path.suffix}'; cxlens reads "
                ".csv/.tsv, .parquet, .jsonl and .xlsx"
            )
        return fmt


def read_chunks(source: SourceFile, chunk_rows: int = CHUNK_ROWS) -> Iterator[pd.DataFrame]:
    """Yield the file as DataFrames of text (or null) plus an int ``_source_row`` column.

    Raises IngestError for a missing, empty, truncated or undecodable file.

    Example:
        >>> next(read_chunks(SourceFile(Path("surveys.csv")))).columns  # doctest: +SKIP
    """
    path = source.path
    if not path.is_file():
        raise IngestError(f"{path}: no such file")
    if path.stat().st_size == 0:
        raise IngestError(f"{path}: the file is empty (0 bytes); nothing to load")
    readers = {"csv": _read_csv, "parquet": _read_parquet, "jsonl": _read_jsonl,
               "xlsx": _read_xlsx}  # fmt: skip
    yielded = False
    tokens = missing_forms(MISSING if source.missing is None else source.missing)
    for chunk in readers[source.format](source, chunk_rows):
        if len(chunk):
            yielded = True
            yield blank_missing(chunk, tokens)
    if not yielded:
        raise IngestError(f"{path}: the file has a header but no data rows; nothing to load")


def missing_forms(tokens: tuple[str, ...] | list[str]) -> frozenset[str]:
    """Return the tokens as written, lower, UPPER and Title case, plus the empty string.

    Example:
        >>> sorted(missing_forms(["n/a"]))
        ['', 'N/A', 'n/a']
    """
    forms = {""}
    for token in tokens:
        forms |= {token, token.lower(), token.upper(), token.title()}
    return frozenset(forms)


def blank_missing(chunk: pd.DataFrame, tokens: frozenset[str]) -> pd.DataFrame:
    """Return ``chunk`` with every value in ``tokens`` (or only whitespace) set to null.

    Reader columns (``_source_row``...) are left alone.

    Example:
        >>> frame = pd.DataFrame({"c": ["NA", " ", "ok"]}, dtype=object)
        >>> blank_missing(frame, missing_forms(MISSING))["c"].tolist()
        [None, None, 'ok']
    """
    for col in chunk.columns:
        if str(col).startswith("_") or not pd.api.types.is_string_dtype(chunk[col]):
            continue
        values = chunk[col]
        gone = values.isin(tokens).to_numpy(dtype=bool, copy=True)
        # only whitespace (vectorised on Arrow strings); an object column with no text at all
        # (every cell null) has no .str and nothing to blank
        with contextlib.suppress(AttributeError):
            gone |= values.str.isspace().to_numpy(dtype=bool, na_value=False)
        if gone.any():
            chunk[col] = values.where(~gone, None)
    return chunk


def detect_encoding(path: Path) -> str:
    """Return the encoding of a text file, decided on the whole file (see ``encoding``).

    Example:
        >>> detect_encoding(Path("export_ru.csv"))  # doctest: +SKIP
        'cp1251'
    """
    return detect(path).encoding


def source_encoding(source: SourceFile) -> Detected | None:
    """Return the encoding a text file is read in and how it was chosen; None for binaries.

    Example:
        >>> source_encoding(SourceFile(Path("a.csv"), encoding="cp1251")).method
        'given'
    """
    if source.format not in ("csv", "jsonl"):
        return None
    if source.encoding:
        return Detected(source.encoding, 1.0, "given")
    return detect(source.path)


def _encoding_of(source: SourceFile) -> str:
    found = source_encoding(source)
    assert found is not None
    try:
        codecs.lookup(found.encoding)
    except LookupError:
        raise IngestError(f"{source.path}: unknown encoding '{found.encoding}'") from None
    return found.encoding


def _undecodable(path: Path, encoding: str) -> IngestError:
    return undecodable(path, encoding, first_bad_byte(path, encoding))


def _sniff_delimiter(path: Path, encoding: str) -> str:
    with path.open(encoding=encoding, errors="replace", newline="") as fh:
        head = fh.read(64 * 1024)
    try:
        return csv.Sniffer().sniff(head, delimiters=",;\t|").delimiter
    except csv.Error:
        return ","


class StructureError(IngestError):
    """A CSV row has more or fewer fields than the header (the fast reader stops there)."""


def _read_csv(source: SourceFile, chunk_rows: int) -> Iterator[pd.DataFrame]:
    path = source.path
    encoding = _encoding_of(source)
    delimiter = source.delimiter or _sniff_delimiter(path, encoding)
    if source.tolerant or not _regular(path, encoding, delimiter, source):
        yield from _read_csv_row_by_row(path, encoding, delimiter, chunk_rows, source)
        return
    named = {}
    offset = source.header_rows + 1  # rows as a spreadsheet numbers them: header is row 1
    if source.names is not None:
        # A header of several rows: skip them and name the columns.
        named = {"header": None, "names": list(source.names), "skiprows": source.header_rows}
    try:
        reader = pd.read_csv(
            path,
            sep=delimiter,
            encoding=encoding,
            dtype=str,
            keep_default_na=False,
            na_values=[""],
            chunksize=chunk_rows,
            skipinitialspace=False,
            **named,
        )
        for chunk in reader:
            chunk = chunk.rename(columns=lambda c: str(c).strip())
            chunk["_source_row"] = range(offset, offset + len(chunk))
            offset += len(chunk)
            yield chunk
    except UnicodeDecodeError:
        raise _undecodable(path, encoding) from None
    except pd.errors.EmptyDataError:
        raise IngestError(f"{path}: the file has no header row; nothing to load") from None
    except pd.errors.ParserError as exc:
        if "EOF inside string" in str(exc):
            raise _truncated(path, _first_line(exc)) from None
        raise StructureError(f"{path}: {_first_line(exc)}") from None


def _regular(path: Path, encoding: str, delimiter: str, source: SourceFile) -> bool:
    """Return True when the fast reader will read the file exactly.

    That is: every row has the header's field count and no blank line comes before a row,
    so pandas numbers rows as a spreadsheet does and pads nothing.

    pandas' C reader fills a short row with nulls without a word and skips blank lines
    without counting them; a file where either happens is read row by row instead.
    """
    with path.open(encoding=encoding, newline="") as fh:
        reader = csv.reader(fh, delimiter=delimiter, strict=True)
        try:
            header = next(reader, [])
            for _ in range(source.header_rows - 1):
                next(reader, None)
            width = len(source.names) if source.names is not None else len(header)
            blank = False
            for fields in reader:
                if not fields:
                    blank = True
                elif blank or len(fields) != width:
                    return False
        except csv.Error as exc:
            raise _truncated(path, f"line {reader.line_num}: {exc}") from None
        except UnicodeDecodeError:
            raise _undecodable(path, encoding) from None
    return True


def _truncated(path: Path, detail: str) -> IngestError:
    return IngestError(
        f"{path}: the file's structure is broken ({detail}); it may be truncated or use "
        "another delimiter. Nothing was loaded."
    )


def _read_csv_row_by_row(
    path: Path, encoding: str, delimiter: str, chunk_rows: int, source: SourceFile | None = None
) -> Iterator[pd.DataFrame]:
    """Read a CSV with the csv module; rows whose field count is wrong are marked, not fatal.

    A marked row keeps its raw text in ``_row_text`` and the reason in ``_row_problem``;
    validation sends it to quarantine. Rows are numbered as a spreadsheet shows them (a
    field with a line break is one row, a blank line is a row). A quoted field still open
    at the end of the file means the file is truncated: that stops the load.
    """
    with path.open(encoding=encoding, newline="") as fh:
        reader = csv.reader(fh, delimiter=delimiter, strict=True)
        row = 1
        try:
            header = [h.strip() for h in next(reader)]
            if source is not None and source.names is not None:
                for _ in range(source.header_rows - 1):
                    next(reader)
                    row += 1
                header = list(source.names)
            records: list[list[str | None]] = []
            for fields in reader:
                row += 1
                if not fields:
                    continue
                records.append(_record(fields, len(header), row, delimiter))
                if len(records) >= chunk_rows:
                    yield _records_to_frame(records, header)
                    records = []
        except csv.Error as exc:
            raise _truncated(path, f"line {reader.line_num}: {exc}") from None
        except UnicodeDecodeError:
            raise _undecodable(path, encoding) from None
    if records:
        yield _records_to_frame(records, header)


def _record(fields: list[str], width: int, line: int, delimiter: str) -> list[object]:
    if len(fields) == width:
        return [*(f if f != "" else None for f in fields), line, None, None]
    problem = f"the row has {len(fields)} fields; the header has {width}"
    return [*([None] * width), line, problem, delimiter.join(fields)]


def _records_to_frame(records: list[list[object]], header: list[str]) -> pd.DataFrame:
    frame = pd.DataFrame(records, columns=[*header, SOURCE_ROW, ROW_PROBLEM, ROW_TEXT])
    return frame.astype({SOURCE_ROW: "int64"})


def _first_line(exc: Exception) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__


def _as_text(frame: pd.DataFrame) -> pd.DataFrame:
    """Turn typed columns into text, keeping nulls null and timestamps in ISO form."""
    out = {}
    for col in frame.columns:
        series = frame[col]
        if pd.api.types.is_datetime64_any_dtype(series):
            text = series.dt.strftime("%Y-%m-%dT%H:%M:%S.%f")
        elif pd.api.types.is_bool_dtype(series):
            text = series.map({True: "true", False: "false"})
        else:
            text = series.astype("string")
        out[str(col).strip()] = text.astype(object).where(series.notna(), None)
    return pd.DataFrame(out, index=frame.index)


def _arrow_as_text(table: pa.Table) -> pd.DataFrame:
    """Turn Arrow columns into text without changing a value.

    Integers stay exact (a nullable int64 id 1001 is "1001", never "1001.0" by way of a
    float), decimals keep their digits, and a time-zone-aware timestamp keeps its offset
    ("2024-01-02T14:30:00.000000+0500") for validation to convert to UTC and record.
    """
    out = {}
    for name, column in zip(table.column_names, table.columns, strict=True):
        kind = column.type
        if pa.types.is_timestamp(kind) and kind.tz is not None:
            stamps = column.to_pandas()
            text = stamps.dt.strftime("%Y-%m-%dT%H:%M:%S.%f%z").astype(object)
            out[str(name).strip()] = text.where(stamps.notna(), None)
        elif (
            pa.types.is_integer(kind)
            or pa.types.is_floating(kind)
            or pa.types.is_decimal(kind)
            or pa.types.is_string(kind)
            or pa.types.is_large_string(kind)
            or pa.types.is_dictionary(kind)
        ):
            out[str(name).strip()] = pc.cast(column, pa.string()).to_pandas().astype(object)
        else:
            out[str(name).strip()] = _as_text(column.to_pandas().to_frame(str(name)))[str(name)]
    frame = pd.DataFrame(out)
    return frame.astype(object).where(frame.notna(), None)


def _nested_as_json(batch: pa.RecordBatch) -> pa.Table:
    """Turn struct/list columns into JSON text, as the JSON Lines reader gives them."""
    table = pa.Table.from_batches([batch])
    for i, field in enumerate(table.schema):
        if pa.types.is_nested(field.type):
            texts = [
                None if v is None else json.dumps(v, ensure_ascii=False, default=str)
                for v in table.column(i).to_pylist()
            ]
            table = table.set_column(i, field.name, pa.array(texts, pa.string()))
    return table


def _read_parquet(source: SourceFile, chunk_rows: int) -> Iterator[pd.DataFrame]:
    path = source.path
    try:
        parquet = pq.ParquetFile(path)
        offset = 1
        for batch in parquet.iter_batches(batch_size=chunk_rows):
            chunk = _arrow_as_text(_nested_as_json(batch))
            chunk["_source_row"] = range(offset, offset + len(chunk))
            offset += len(chunk)
            yield chunk
    except (pa.ArrowInvalid, OSError) as exc:
        raise IngestError(
            f"{path}: not a readable Parquet file ({_first_line(exc)}); it may be truncated. "
            "Nothing was loaded."
        ) from None


def _read_jsonl(source: SourceFile, chunk_rows: int) -> Iterator[pd.DataFrame]:
    path = source.path
    encoding = _encoding_of(source)
    try:
        yield from _jsonl_records(path, encoding, chunk_rows)
    except UnicodeDecodeError:
        raise _undecodable(path, encoding) from None


def _jsonl_records(path: Path, encoding: str, chunk_rows: int) -> Iterator[pd.DataFrame]:
    records: list[dict] = []
    lines: list[int] = []
    with path.open(encoding=encoding) as fh:
        for number, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as exc:
                raise IngestError(
                    f"{path}: line {number} is not valid JSON ({exc.msg}); the file may be "
                    "truncated. Nothing was loaded."
                ) from None
            if not isinstance(record, dict):
                raise IngestError(f"{path}: line {number} is not a JSON object")
            records.append(record)
            lines.append(number)
            if len(records) >= chunk_rows:
                yield _records_frame(records, lines)
                records, lines = [], []
    if records:
        yield _records_frame(records, lines)


def _records_frame(records: list[dict], lines: list[int]) -> pd.DataFrame:
    def text(v: object) -> object:
        if v is None:
            return None
        if isinstance(v, bool):
            return "true" if v else "false"
        if isinstance(v, dict | list):
            return json.dumps(v, ensure_ascii=False)
        return str(v)

    frame = pd.DataFrame([{str(k).strip(): text(v) for k, v in r.items()} for r in records])
    frame["_source_row"] = lines
    return frame


def _read_xlsx(source: SourceFile, chunk_rows: int) -> Iterator[pd.DataFrame]:
    path = source.path
    skip = {"header": None, "skiprows": source.header_rows} if source.names is not None else {}
    try:
        frame = pd.read_excel(path, sheet_name=source.sheet or 0, dtype=object, **skip)
    except ValueError as exc:
        raise IngestError(f"{path}: {_first_line(exc)}") from None
    except Exception as exc:  # openpyxl raises zipfile/KeyError for broken files
        raise IngestError(
            f"{path}: not a readable XLSX workbook ({_first_line(exc)}); it may be truncated. "
            "Nothing was loaded."
        ) from None
    if source.names is not None:
        width = min(len(source.names), frame.shape[1])
        frame = frame.iloc[:, :width].set_axis(list(source.names)[:width], axis=1)
    frame = _as_text(frame)
    first = source.header_rows + 1 if source.names is not None else 2
    frame["_source_row"] = range(first, first + len(frame))
    # a blank row keeps its number (the rows below keep theirs) but is no record, as in CSV
    frame = frame[frame.drop(columns="_source_row").notna().any(axis=1)]
    for start in range(0, len(frame), chunk_rows):
        yield frame.iloc[start : start + chunk_rows]


def _csv_header_rows(
    path: Path, encoding: str, delimiter: str, count: int
) -> tuple[list[list[str]], list[int]]:
    """Return the first ``count`` rows of a CSV and the physical line each one ends on."""
    rows: list[list[str]] = []
    lines: list[int] = []
    with path.open(encoding=encoding, newline="") as fh:
        reader = csv.reader(fh, delimiter=delimiter)
        try:
            for fields in reader:
                if not fields:
                    continue
                rows.append([f.strip() for f in fields])
                lines.append(reader.line_num)
                if len(rows) == count:
                    break
        except csv.Error as exc:
            raise _truncated(path, f"line {reader.line_num}: {exc}") from None
        except UnicodeDecodeError:
            raise _undecodable(path, encoding) from None
    return rows, lines


@dataclass(frozen=True)
class HeaderRows:
    """The first rows of a file as text, for presets to name columns and recognise tools.

    ``rows[i]`` is header row ``i + 1``; ``lines[i]`` the physical line (CSV), JSON line or
    spreadsheet row where that row ends; ``format`` is csv, parquet, jsonl or xlsx. For
    Parquet and JSON Lines there is one row: the field names (of the schema / first object).
    """

    rows: tuple[tuple[str, ...], ...]
    lines: tuple[int, ...]
    format: str


def read_header_rows(source: SourceFile, count: int) -> HeaderRows:
    """Return up to ``count`` rows from the top of a file, without interpreting them.

    Example:
        >>> read_header_rows(SourceFile(Path("qualtrics.csv")), 3).rows[2][0]  # doctest: +SKIP
        '{"ImportId":"startDate","timeZone":"America/Denver"}'
    """
    path = source.path
    if not path.is_file():
        raise IngestError(f"{path}: no such file")
    if path.stat().st_size == 0:
        raise IngestError(f"{path}: the file is empty (0 bytes); nothing to load")
    fmt = source.format
    if fmt == "csv":
        encoding = _encoding_of(source)
        delimiter = source.delimiter or _sniff_delimiter(path, encoding)
        rows, lines = _csv_header_rows(path, encoding, delimiter, count)
    elif fmt == "xlsx":
        try:
            top = pd.read_excel(path, sheet_name=source.sheet or 0, header=None, nrows=count)
        except Exception as exc:  # openpyxl raises zipfile/KeyError for broken files
            raise IngestError(
                f"{path}: not a readable XLSX workbook ({_first_line(exc)})"
            ) from None
        rows = [["" if pd.isna(v) else str(v).strip() for v in r] for r in top.to_numpy()]
        lines = list(range(1, len(rows) + 1))
    elif fmt == "parquet":
        try:
            rows, lines = [[str(n) for n in pq.read_schema(path).names]], [1]
        except (pa.ArrowInvalid, OSError) as exc:
            raise IngestError(f"{path}: not a readable Parquet file ({_first_line(exc)})") from None
    else:
        try:
            rows, lines = _jsonl_keys(path, _encoding_of(source))
        except UnicodeDecodeError:
            raise _undecodable(path, _encoding_of(source)) from None
    return HeaderRows(tuple(tuple(r) for r in rows), tuple(lines), fmt)


def _jsonl_keys(path: Path, encoding: str) -> tuple[list[list[str]], list[int]]:
    with path.open(encoding=encoding) as fh:
        for number, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as exc:
                raise IngestError(f"{path}: line {number} is not valid JSON ({exc.msg})") from None
            if not isinstance(record, dict):
                raise IngestError(f"{path}: line {number} is not a JSON object")
            return [[str(k) for k in record]], [number]
    return [], []


def read_header(source: SourceFile) -> list[str]:
    """Return the column names of a source file (used by mapping suggestions).

    Example:
        >>> read_header(SourceFile(Path("surveys.csv")))  # doctest: +SKIP
        ['Response ID', 'Score']
    """
    chunk = next(read_chunks(source, chunk_rows=1000))
    return [c for c in chunk.columns if not c.startswith("_")]


def sample_values(source: SourceFile, rows: int = 1000) -> pd.DataFrame:
    """Return up to ``rows`` rows of the file as text, for suggestions and previews."""
    chunk = next(read_chunks(source, chunk_rows=rows))
    return chunk[[c for c in chunk.columns if not c.startswith("_")]]


__all__ = [
    "MISSING",
    "HeaderRows",
    "SourceFile",
    "StructureError",
    "blank_missing",
    "detect_encoding",
    "missing_forms",
    "read_chunks",
    "read_header",
    "read_header_rows",
    "sample_values",
    "source_encoding",
]
