"""Validation: cast text to canonical types and apply each column's rules, row by row.

A row that breaks any rule goes to quarantine with one record per problem (which column,
which value, which rule, why); every other row loads. Done column-wise in pandas on one
chunk of a source file at a time: this is parsing input, not aggregating stored rows.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import numpy as np
import pandas as pd

from cxlens.ingest.mapping import Mapping
from cxlens.ingest.readers import ROW_PROBLEM, ROW_TEXT
from cxlens.schema import Column, TableSchema

_TRUE = {"true", "t", "yes", "y", "1", "да", "是"}
_FALSE = {"false", "f", "no", "n", "0", "нет", "否"}

PROBLEM_COLUMNS = ["source_row", "column", "value", "rule", "reason"]


@dataclass
class Checked:
    """One validated chunk: the typed rows that passed, and the problems of those that did not.

    ``rows`` holds canonical columns plus ``_source_row``; ``problems`` has PROBLEM_COLUMNS
    plus ``raw`` (the row's source values as JSON).
    """

    rows: pd.DataFrame
    problems: pd.DataFrame


def canonical_columns(frame: pd.DataFrame, mapping: Mapping, schema: TableSchema) -> dict[str, str]:
    """Return ``{source column: canonical column}`` for the columns of ``frame`` that load.

    Mapped columns load under their mapped name; a column already named canonically loads
    as is; any other column is left out (reported as ignored by the loader).
    """
    chosen: dict[str, str] = {}
    for source in frame.columns:
        if source.startswith("_"):  # reader columns (_source_row...), never canonical
            continue
        if source in mapping.columns:
            chosen[source] = mapping.columns[source]
        elif schema.has_column(source):
            chosen[source] = source
    return chosen


def check_chunk(
    frame: pd.DataFrame, mapping: Mapping, schema: TableSchema, chosen: dict[str, str]
) -> Checked:
    """Cast and check one chunk of text rows; see the module docstring.

    Example:
        >>> m = Mapping(table="responses")
        >>> raw = pd.DataFrame({"response_id": ["r1"], "responded_at": ["2024-01-02"],
        ...                     "nps": ["11"], "_source_row": [2]})
        >>> check_chunk(raw, m, get_table("responses"), {c: c for c in raw if c[0] != "_"}
        ...             ).problems["reason"].tolist()  # doctest: +SKIP
        ['nps 11 is outside int in [0, 10]']
    """
    rows = frame["_source_row"].to_numpy()
    texts = {target: _clean_text(frame[source]) for source, target in chosen.items()}
    typed: dict[str, pd.Series] = {}
    problems: list[pd.DataFrame] = []
    for target, text in texts.items():
        column = schema.column(target) if schema.has_column(target) else Column(target, "string")
        typed[target], found = _check_column(rows, text, column, mapping)
        problems.extend(found)
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
    return _split(frame, typed, problems, rows)


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


def _check_column(
    rows: np.ndarray, text: pd.Series, column: Column, mapping: Mapping
) -> tuple[pd.Series, list[pd.DataFrame]]:
    """Cast one column, apply its declared scale and its range; return values and problems."""
    name = column.name
    values, bad = _cast(text, column, mapping)
    problems = [_problems(rows, bad, name, text, column.dtype, f"not a valid {column.dtype}")]
    values, off_scale = _apply_scale(values, column, mapping, bad)
    if off_scale is not None:
        scale = mapping.scales[name].description
        problems.append(_problems(rows, off_scale, name, text, scale, f"outside the {scale}"))
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


def _cast(text: pd.Series, column: Column, mapping: Mapping) -> tuple[pd.Series, np.ndarray]:
    """Return the typed values and a mask of non-null texts that failed to cast."""
    present = text.notna().to_numpy()
    if column.dtype == "string":
        return text.astype("string"), np.zeros(len(text), bool)
    if column.dtype in ("int", "float"):
        numbers = pd.to_numeric(
            text.str.replace(",", ".", regex=False) if text.notna().any() else text, errors="coerce"
        )
        numbers = numbers.astype("float64")
        bad = present & numbers.isna().to_numpy()
        if column.dtype == "int" and column.name not in mapping.scales:
            fractional = present & ~bad & (numbers % 1 != 0).to_numpy()
            bad |= fractional
            numbers = numbers.where(~fractional)
        return numbers, bad
    if column.dtype == "timestamp":
        stamps = _parse_timestamps(text, mapping)
        return stamps, present & stamps.isna().to_numpy()
    lowered = text.str.lower()
    flags = lowered.map(lambda v: True if v in _TRUE else False if v in _FALSE else None)
    bad = present & flags.isna().to_numpy()
    return flags.astype("boolean"), bad


def _parse_timestamps(text: pd.Series, mapping: Mapping) -> pd.Series:
    if mapping.date_format:
        stamps = pd.to_datetime(text, format=mapping.date_format, errors="coerce", utc=True)
    else:
        stamps = pd.to_datetime(text, format="ISO8601", errors="coerce", utc=True)
        retry = stamps.isna() & text.notna()
        if retry.any():
            stamps[retry] = pd.to_datetime(
                text[retry], format="mixed", dayfirst=mapping.dayfirst, errors="coerce", utc=True
            )
    return stamps.dt.tz_convert(None).astype("datetime64[us]")


def _apply_scale(
    values: pd.Series, column: Column, mapping: Mapping, bad: np.ndarray
) -> tuple[pd.Series, np.ndarray | None]:
    scale = mapping.scales.get(column.name)
    if scale is None:
        return values, None
    on_scale = scale.accepts(values).to_numpy() | values.isna().to_numpy()
    off_scale = ~on_scale & ~bad
    converted = scale.convert(
        values.where(on_scale), (column.minimum, column.maximum), integer=column.dtype == "int"
    )
    return converted, off_scale


def _out_of_range(values: pd.Series, column: Column) -> np.ndarray:
    if column.allowed is not None:
        return (values.notna() & ~values.isin(column.allowed)).to_numpy()
    if column.minimum is None and column.maximum is None:
        return np.zeros(len(values), bool)
    low = column.minimum if column.minimum is not None else -np.inf
    high = column.maximum if column.maximum is not None else np.inf
    return (values.notna() & ~values.between(low, high)).to_numpy()
