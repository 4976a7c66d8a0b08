"""Validation: cast text to canonical types and apply each column's rules, row by row.

A row that breaks any rule goes to quarantine with one record per problem (which column,
which value, which rule, why); every other row loads. Done column-wise in pandas on one
chunk of a source file at a time: this is parsing input, not aggregating stored rows.

What a file's values mean is decided once per file (:class:`FileReading`): the order of
day and month in numeric dates and the decimal mark, each as the mapping declares it or
from the file's own unambiguous values; a file that does not decide them is refused with
the count of ambiguous values. The reading rules themselves live in ``values.py``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime

import numpy as np
import pandas as pd

from cxlens.errors import IngestError, MappingError
from cxlens.ingest.mapping import Mapping
from cxlens.ingest.readers import ROW_PROBLEM, ROW_TEXT
from cxlens.ingest.scales import word_key
from cxlens.ingest.values import (
    Found,
    ambiguous_numbers,
    day_month_evidence,
    decimal_evidence,
    parse_numbers,
    parse_times,
    utc_offsets,
    whole_numbers,
)
from cxlens.schema import Column, TableSchema

_TRUE = {"true", "t", "yes", "y", "1", "да", "是"}
_FALSE = {"false", "f", "no", "n", "0", "нет", "否"}

PROBLEM_COLUMNS = ["source_row", "column", "value", "rule", "reason"]
#: Lineage columns validation fills per row: the UTC offsets the source wrote its times
#: with, and the columns whose value came from a mapping's ``fill`` (JSON objects, or null).
OFFSETS, FILLED = "_source_offsets", "_filled_from"


@dataclass
class Checked:
    """One validated chunk: the typed rows that passed, and the problems of those that did not.

    ``rows`` holds canonical columns plus ``_source_row``, ``_source_offsets`` and
    ``_filled_from``; ``problems`` has PROBLEM_COLUMNS plus ``raw`` (the row's source values
    as JSON).
    """

    rows: pd.DataFrame
    problems: pd.DataFrame


@dataclass
class _Tally:
    """How many values showed one thing, and the first of them (row, column, value)."""

    count: int = 0
    example: tuple[int, str, str] | None = None

    def add(self, values: pd.Series, rows: pd.Series, column: str) -> None:
        if len(values) and self.example is None:
            first = values.index[0]
            self.example = (int(rows.loc[first]), column, str(values.loc[first]))
        self.count += len(values)

    def __str__(self) -> str:
        assert self.example is not None
        row, column, value = self.example
        return f"{self.count:,} (e.g. row {row}, {column} {value!r})"


@dataclass
class FileReading:
    """How one file's values are read, decided once for the whole file.

    ``dayfirst`` and ``decimal`` start as the mapping declares them (None: undeclared) and
    are decided from the whole file's unambiguous values the first time a chunk needs them;
    ``rescan`` gives the file's chunks again for that (without it, the chunk at hand
    decides). ``load_time`` is the time a ``fill: load_date`` takes its date from.

    Example:
        >>> reading = FileReading(source="s.csv")
        >>> reading.dayfirst is None
        True
    """

    source: str = "the file"
    rescan: Callable[[], Iterable[pd.DataFrame]] | None = None
    load_time: datetime = field(default_factory=lambda: datetime.now(UTC))
    dayfirst: bool | None = None
    decimal: str | None = None
    _tallies: dict[str, _Tally] | None = None

    def settle(
        self, frame: pd.DataFrame, mapping: Mapping, schema: TableSchema, chosen: dict[str, str]
    ) -> None:
        """Decide the date order and decimal mark if this chunk needs them; else refuse."""
        if mapping.dayfirst is not None:
            self.dayfirst = mapping.dayfirst
        if mapping.decimal is not None:
            self.decimal = mapping.decimal
        times, numbers = _columns_by_kind(mapping, schema, chosen)
        need_order = (
            self.dayfirst is None
            and not mapping.date_format
            and any(_day_month_like(frame[c]) for c in times)
        )
        need_mark = self.decimal is None and any(_separator_like(frame[c]) for c in numbers)
        if not (need_order or need_mark):
            return
        if self._tallies is None:
            chunks = self.rescan() if self.rescan is not None else [frame]
            self._tallies = _tally(chunks, times, numbers, chosen)
        if need_order:
            self.dayfirst = self._decide_order()
        if need_mark:
            self.decimal = self._decide_mark()

    def _decide_order(self) -> bool:
        t = self._tallies
        assert t is not None
        day, month, both = t["dayfirst"], t["monthfirst"], t["ambiguous"]
        if day.count and month.count:
            raise IngestError(
                f"{self.source}: its dates are written both day-first, {day} values, and "
                f"month-first, {month}; nothing was loaded. State the order with "
                "'dayfirst: true' or 'dayfirst: false' in the mapping (rows in the other order "
                "are then quarantined), or fix the file"
            )
        if day.count or month.count:
            return bool(day.count)
        if both.count:
            raise IngestError(
                f"{self.source}: {both} dates could be day-first or month-first and no date "
                "in the file settles it; nothing was loaded. State the order in the mapping: "
                "'dayfirst: true' (31/01/2024) or 'dayfirst: false' (01/31/2024), or "
                "'date_format:'"
            )
        return True  # only dates with day == month: either order reads them the same

    def _decide_mark(self) -> str:
        t = self._tallies
        assert t is not None
        dot, comma, both = t["."], t[","], t["1,234"]
        if dot.count and comma.count:
            raise IngestError(
                f"{self.source}: its numbers use both a decimal point, {dot} values, and a "
                f"decimal comma, {comma}; nothing was loaded. State the decimal mark with "
                "\"decimal: '.'\" or \"decimal: ','\" in the mapping, or fix the file"
            )
        if dot.count or comma.count:
            return "." if dot.count else ","
        if both.count:
            raise IngestError(
                f"{self.source}: {both} numbers could be thousands (1,234 = 1234) or decimals "
                "(1,234 = 1.234) and no number in the file settles it; nothing was loaded. "
                "State the decimal mark in the mapping: \"decimal: '.'\" or \"decimal: ','\""
            )
        return "."


def _columns_by_kind(
    mapping: Mapping, schema: TableSchema, chosen: dict[str, str]
) -> tuple[list[str], list[str]]:
    """Source columns read as times, and as numbers (not through a word map)."""
    times, numbers = [], []
    for source, target in chosen.items():
        dtype = schema.column(target).dtype if schema.has_column(target) else "string"
        if dtype == "timestamp":
            times.append(source)
        scale = mapping.scales.get(target)
        if dtype in ("int", "float") and (scale is None or scale.rule != "map"):
            numbers.append(source)
    return times, numbers


def _day_month_like(text: pd.Series) -> bool:
    values = text.dropna().astype(str).str.lstrip()
    # a separator among the first 3 characters (01/..., 1.2...) before the full pattern:
    # ISO dates (2024-...) never have one, and a short string is quick to look at
    head = values[values.str[:3].str.contains("[./-]", regex=True)]
    return bool(head.str.match(r"\d{1,2}[./-]\d{1,2}[./-]").any())


def _separator_like(text: pd.Series) -> bool:
    values = text.dropna().astype(str)
    if values.str.contains(",", regex=False).any():
        return True
    dotted = values[values.str.contains(".", regex=False)]
    return bool(dotted.str.match(r"\s*[+-]?[1-9]\d{0,2}\.\d{3}\s*$").any())


def _tally(
    chunks: Iterable[pd.DataFrame], times: list[str], numbers: list[str], chosen: dict[str, str]
) -> dict[str, _Tally]:
    """Count, over the whole file, the values that settle (or leave open) each decision."""
    tallies = {k: _Tally() for k in ("dayfirst", "monthfirst", "ambiguous", ".", ",", "1,234")}
    for chunk in chunks:
        rows = chunk["_source_row"]
        for source in times:
            if source in chunk:
                found = day_month_evidence(_clean_text(chunk[source]))
                for kind, values in found.items():
                    tallies[kind].add(values, rows, chosen[source])
        for source in numbers:
            if source in chunk:
                text = _clean_text(chunk[source])
                for mark, values in decimal_evidence(text).items():
                    tallies[mark].add(values, rows, chosen[source])
                tallies["1,234"].add(text[ambiguous_numbers(text, None)], rows, chosen[source])
    return tallies


def canonical_columns(frame: pd.DataFrame, mapping: Mapping, schema: TableSchema) -> dict[str, str]:
    """Return ``{source column: canonical column}`` for the columns of ``frame`` that load.

    Mapped columns load under their mapped name; a column already named canonically loads
    as is; any other column is left out (reported as ignored by the loader). Raises
    MappingError when a ``fill`` names a column the file does not have.
    """
    chosen: dict[str, str] = {}
    for source in frame.columns:
        if source.startswith("_"):  # reader columns (_source_row...), never canonical
            continue
        if source in mapping.columns:
            chosen[source] = mapping.columns[source]
        elif schema.has_column(source):
            chosen[source] = source
    for target, fill in mapping.fill.items():
        if fill.kind == "column" and fill.value not in frame.columns:
            raise MappingError(
                f"fill.{target}: the file has no column {fill.value!r}; its columns are "
                f"{[c for c in frame.columns if not c.startswith('_')]}"
            )
    return chosen


def check_chunk(
    frame: pd.DataFrame,
    mapping: Mapping,
    schema: TableSchema,
    chosen: dict[str, str],
    reading: FileReading | None = None,
) -> Checked:
    """Cast and check one chunk of text rows; see the module docstring.

    ``reading`` carries the file's decisions from chunk to chunk (a fresh one decides from
    this chunk alone).

    Example:
        >>> m = Mapping(table="responses")
        >>> raw = pd.DataFrame({"response_id": ["r1"], "responded_at": ["2024-01-02"],
        ...                     "nps": ["11"], "_source_row": [2]})
        >>> check_chunk(raw, m, get_table("responses"), {c: c for c in raw if c[0] != "_"}
        ...             ).problems["reason"].tolist()  # doctest: +SKIP
        ['nps 11 is outside int in [0, 10]']
    """
    reading = reading if reading is not None else FileReading()
    reading.settle(frame, mapping, schema, chosen)
    rows = frame["_source_row"].to_numpy()
    texts = {target: _clean_text(frame[source]) for source, target in chosen.items()}
    filled = _fill(frame, texts, mapping, reading)
    typed: dict[str, pd.Series] = {}
    offsets: dict[str, pd.Series] = {}
    problems: list[pd.DataFrame] = []
    for target, text in texts.items():
        column = schema.column(target) if schema.has_column(target) else Column(target, "string")
        text = _not_answered(text, column, mapping)
        texts[target] = text
        typed[target], found = _check_column(rows, text, column, mapping, reading)
        problems.extend(found)
        if column.dtype == "timestamp":
            offsets[target] = utc_offsets(text)
    for col in schema.required:  # cast failures are reported already; flag absent values
        problems.append(
            _problems(rows, texts[col].isna().to_numpy(), col, None, "required",
                      "required value is missing")
        )  # fmt: skip
    if schema.at_least_one_of:
        none = np.ones(len(frame), bool)
        for col in schema.at_least_one_of:
            if col in texts:
                none &= texts[col].isna().to_numpy()
        label = " or ".join(schema.at_least_one_of)
        problems.append(
            _problems(
                rows, none, label, None, "at least one score", f"the row has no {label} score"
            )
        )
    if ROW_PROBLEM in frame.columns:
        problems = _structure_problems(frame, rows, problems)
    typed[OFFSETS] = _json_per_row(offsets, frame.index)
    typed[FILLED] = _json_per_row(filled, frame.index)
    return _split(frame, typed, problems, rows)


def _fill(
    frame: pd.DataFrame, texts: dict[str, pd.Series], mapping: Mapping, reading: FileReading
) -> dict[str, pd.Series]:
    """Fill missing values as the mapping's ``fill`` says; return where each was filled from."""
    filled = {}
    for target, fill in mapping.fill.items():
        base = texts.get(target, pd.Series(None, index=frame.index, dtype=object))
        if fill.kind == "column":
            value = _clean_text(frame[str(fill.value)])
        elif fill.kind == "load_date":
            value = pd.Series(reading.load_time.strftime("%Y-%m-%d"), index=frame.index)
        else:
            value = pd.Series(fill.value, index=frame.index)
        taken = base.isna() & value.notna()
        texts[target] = base.astype(object).where(~taken, value)
        label = fill.label
        if fill.kind == "load_date":
            label = f"load date {reading.load_time:%Y-%m-%d}"
        filled[target] = pd.Series(label, index=frame.index).where(taken, None)
    return filled


def _json_per_row(parts: dict[str, pd.Series], index: pd.Index) -> pd.Series:
    """One JSON object per row of the non-null ``parts`` ({column: text}), null if none.

    Built with vectorised string operations: a file where every time has an offset writes
    this for every row.
    """
    out = pd.Series(pd.NA, index=index, dtype="string")
    for name, values in parts.items():
        text = values.astype("string")
        if not text.notna().any():
            continue
        for raw, escape in (("\\", "\\\\"), ('"', '\\"'), ("\n", "\\n"), ("\t", "\\t")):
            text = text.str.replace(raw, escape, regex=False)
        item = json.dumps(name) + ': "' + text + '"'
        joined = (out + ", " + item).where(out.notna(), item)
        out = joined.where(item.notna(), out)
    return ("{" + out + "}").astype("string")


def _structure_problems(
    frame: pd.DataFrame, rows: np.ndarray, problems: list[pd.DataFrame]
) -> list[pd.DataFrame]:
    """Give a row with the wrong field count one reason, its structure, and no other."""
    broken = frame[ROW_PROBLEM].notna().to_numpy()
    if not broken.any():
        return problems
    kept = [p[~p["source_row"].isin(rows[broken])] for p in problems]
    kept.append(
        pd.DataFrame({
            "source_row": rows[broken].astype(np.int64),
            "column": "row",
            "value": frame.loc[broken, ROW_TEXT].to_numpy(),
            "rule": "field count",
            "reason": frame.loc[broken, ROW_PROBLEM].to_numpy(),
        })
    )  # fmt: skip
    return kept


def _clean_text(values: pd.Series) -> pd.Series:
    """Strip the text; empty or blank becomes null."""
    stripped = values.astype("string").str.strip()
    return stripped.astype(object).where(stripped.notna() & (stripped != ""), None)


def _not_answered(text: pd.Series, column: Column, mapping: Mapping) -> pd.Series:
    """Turn the words meaning "no answer" (``not_answered``) into null."""
    words = mapping.not_answered_for(column)
    if not words:
        return text
    silent = text.map(lambda v: v is not None and word_key(v) in words).astype(bool)
    return text.where(~silent, None)


def _check_column(
    rows: np.ndarray, text: pd.Series, column: Column, mapping: Mapping, reading: FileReading
) -> tuple[pd.Series, list[pd.DataFrame]]:
    """Cast one column, apply its declared scale and its range; return values and problems."""
    name = column.name
    scale = mapping.scales.get(name)
    if scale is not None and scale.rule == "map":  # words or numbers through a table
        values = scale.lookup(text)
        off = text.notna().to_numpy() & values.isna().to_numpy()
        found = [Found(off, scale.description, f"not on the {scale.description}")]
    else:
        values, found = _cast(text, column, mapping, reading)
        if scale is not None:
            values, off_scale = _apply_scale(values, column, mapping)
            found.extend(off_scale)
    problems = [_problems(rows, f.mask, name, text, f.rule, f.why) for f in found]
    out_of_range = _out_of_range(values, column)
    problems.append(
        _problems(rows, out_of_range, name, text, column.rule, f"outside {column.rule}")
    )
    return values, problems


def _split(
    frame: pd.DataFrame, typed: dict[str, pd.Series], problems: list[pd.DataFrame], rows: np.ndarray
) -> Checked:
    found = (
        pd.concat([p for p in problems if len(p)], ignore_index=True)
        if any(len(p) for p in problems)
        else pd.DataFrame(columns=PROBLEM_COLUMNS)
    )
    bad_rows = set(found["source_row"].tolist())
    keep = ~np.isin(rows, list(bad_rows)) if bad_rows else np.ones(len(rows), bool)
    good = pd.DataFrame(typed, index=frame.index)[keep]
    good["_source_row"] = rows[keep]
    if len(found):
        raw = frame[[c for c in frame.columns if not c.startswith("_")]]
        raw_by_row = {
            int(r): json.dumps(
                {k: v for k, v in rec.items() if v is not None and v == v},
                ensure_ascii=False,
                default=str,
            )
            for r, rec in zip(rows, raw.to_dict("records"), strict=True)
            if int(r) in bad_rows
        }
        if ROW_TEXT in frame.columns:  # a broken row's raw text is its line, not its fields
            texts_of = dict(zip(rows, frame[ROW_TEXT], strict=True))
            raw_by_row.update({r: texts_of[r] for r in raw_by_row if texts_of[r] is not None})
        found["raw"] = found["source_row"].map(raw_by_row)
    else:
        found["raw"] = pd.Series(dtype=object)
    return Checked(rows=good.reset_index(drop=True), problems=found)


def _problems(
    rows: np.ndarray, mask: np.ndarray, column: str, text: pd.Series | None, rule: str, why: str
) -> pd.DataFrame:
    if not mask.any():
        return pd.DataFrame(columns=PROBLEM_COLUMNS)
    values = text[mask].astype(object).to_numpy() if text is not None else [None] * int(mask.sum())
    reasons = [f"{column} {v!r} is {why}" if v is not None else f"{column}: {why}" for v in values]
    return pd.DataFrame(
        {
            "source_row": rows[mask].astype(np.int64),
            "column": column,
            "value": [None if v is None else str(v) for v in values],
            "rule": rule,
            "reason": reasons,
        }
    )


def _cast(
    text: pd.Series, column: Column, mapping: Mapping, reading: FileReading
) -> tuple[pd.Series, list[Found]]:
    """Return the typed values and the failures of non-null texts that did not cast."""
    present = text.notna().to_numpy()
    if column.dtype == "string":
        return text.astype("string"), []
    if column.dtype in ("int", "float"):
        numbers, found = parse_numbers(text, reading.decimal or ".")
        found = [
            Found(f.mask, column.dtype, f"not a valid {column.dtype}") if f.rule == "number" else f
            for f in found
        ]
        if column.dtype == "int" and column.name not in mapping.scales:
            fractional, too_large = whole_numbers(numbers)
            found.append(Found(fractional, "int", "not a whole number"))
            found.append(Found(too_large, "int", "too large to store exactly (limit 2^53)"))
            numbers = numbers.where(~(fractional | too_large))
        return numbers, found
    if column.dtype == "timestamp":
        return parse_times(text, mapping.date_format, reading.dayfirst)
    lowered = text.str.lower()
    flags = lowered.map(lambda v: True if v in _TRUE else False if v in _FALSE else None)
    bad = present & flags.isna().to_numpy()
    return flags.astype("boolean"), [Found(bad, "bool", "not a valid bool")]


def _apply_scale(
    values: pd.Series, column: Column, mapping: Mapping
) -> tuple[pd.Series, list[Found]]:
    """Convert values on a declared linear scale; only whole points of an integer score."""
    scale = mapping.scales[column.name]
    integer = column.dtype == "int"
    known = values.notna().to_numpy()
    off_scale = known & ~scale.accepts(values).to_numpy()
    fractional = np.zeros(len(values), bool)
    if integer:
        fractional = known & ~off_scale & whole_numbers(values)[0]
    on_scale = ~(off_scale | fractional)
    assert column.minimum is not None and column.maximum is not None
    converted = scale.convert(
        values.where(on_scale), (column.minimum, column.maximum), integer=integer
    )
    desc = scale.description
    return converted, [
        Found(off_scale, desc, f"outside the {desc}"),
        Found(fractional, desc, f"not a whole point of the {desc}"),
    ]


def _out_of_range(values: pd.Series, column: Column) -> np.ndarray:
    if column.allowed is not None:
        return (values.notna() & ~values.isin(column.allowed)).to_numpy()
    if column.minimum is None and column.maximum is None:
        return np.zeros(len(values), bool)
    low = column.minimum if column.minimum is not None else -np.inf
    high = column.maximum if column.maximum is not None else np.inf
    return (values.notna() & ~values.between(low, high)).to_numpy()
