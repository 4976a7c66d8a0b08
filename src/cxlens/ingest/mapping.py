"""Column mappings and declared scales: how a source file's columns become canonical ones.

A mapping file (YAML or TOML) looks like::

    table: responses
    columns:                      # source header -> canonical column
      "Response ID": response_id
      "How likely ... (1-10)": nps
    scales:                       # declared scale of a canonical score column
        nps: {from: [1, 10], rule: linear}
      csat: {Good: 5, Bad: 1}     # or a Likert word preset: csat: satisfaction
    not_answered: {csat: [Offered, Unoffered]}
    fill: {responded_at: load_date}   # or a value, or {column: "Updated at"}
    delimiter: ";"                # optional reader settings
    encoding: cp1251
    sheet: Responses
    date_format: "%d.%m.%Y"       # "%s" / "%ms": Unix epoch seconds / milliseconds
    dayfirst: true                # else decided from the file's own dates, or refused
    decimal: ","                  # else decided from the file's own numbers, or refused
    missing: [NA, "-", "n/a"]     # tokens read as no value (default: NA N/A #N/A null None -)
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from cxlens.errors import MappingError
from cxlens.ingest.scales import LIKERT, preset_values, word_key
from cxlens.ingest.values import EPOCH_UNITS
from cxlens.schema import Column, get_table

_RULES = ("linear", "map")
_KEYS = (
    "table", "columns", "scales", "delimiter", "encoding", "sheet", "date_format", "dayfirst",
    "decimal", "not_answered", "fill", "missing",
)  # fmt: skip
_RANGE = re.compile(r"^\s*(-?\d+(?:\.\d+)?)\s*-\s*(-?\d+(?:\.\d+)?)\s*$")
#: ``fill: {responded_at: load_date}``: the load's date, for a survey without a timestamp.
LOAD_DATE = "load_date"


@dataclass(frozen=True)
class Scale:
    """How a score asked on another scale converts to the canonical one.

    ``rule="linear"`` maps ``source`` (lo, hi) onto the canonical (lo, hi) linearly and rounds
    integer columns half up (only whole points of the source scale are accepted there);
    ``rule="map"`` uses ``values`` (source word or number, in :func:`word_key` form ->
    canonical value); ``preset`` names the Likert word preset the map came from.

    Example:
        >>> Scale(source=(1, 10), rule="linear").convert(pd.Series([1.0, 10.0]), (0, 10)).tolist()
        [0.0, 10.0]
    """

    source: tuple[float, float] | None = None
    rule: str = "linear"
    values: dict[str, float] = field(default_factory=dict)
    preset: str | None = None

    def convert(
        self, values: pd.Series, target: tuple[float, float], integer: bool = True
    ) -> pd.Series:
        """Return ``values`` (on the linear source scale) on the ``target`` scale; NaN stays."""
        assert self.source is not None
        (slo, shi), (tlo, thi) = self.source, target
        out = tlo + (values - slo) * (thi - tlo) / (shi - slo)
        return np.floor(out + 0.5) if integer else out

    def lookup(self, text: pd.Series) -> pd.Series:
        """Return the canonical value of each text by the map (NaN where the map has none).

        Example:
            >>> Scale(rule="map", values={"good": 5.0}).lookup(pd.Series([" GOOD", "meh"])).tolist()
            [5.0, nan]
        """

        def one(value: object) -> float:
            if value is None or value != value:
                return np.nan
            key = word_key(value)
            if key in self.values:
                return self.values[key]
            number = _number_key(key)
            return self.values.get(number, np.nan) if number is not None else np.nan

        return text.map(one).astype("float64")

    def accepts(self, values: pd.Series) -> pd.Series:
        """Return a boolean mask of values that lie on the declared linear source scale."""
        assert self.source is not None
        return values.between(*self.source)

    @property
    def description(self) -> str:
        """The declared scale in words, for quarantine reasons."""
        if self.rule == "map":
            if self.preset is not None:
                return f"'{self.preset}' word scale"
            return f"one of {sorted(self.values)}"
        assert self.source is not None
        return f"declared scale [{self.source[0]:g}, {self.source[1]:g}]"


@dataclass(frozen=True)
class Fill:
    """Where a column's value comes from when the file does not give it.

    ``kind`` is ``constant`` (``value`` is the text), ``column`` (``value`` is another
    header of the file) or ``load_date`` (the date of the load, UTC).

    Example:
        >>> Fill("constant", "2024-03-31").label
        "constant '2024-03-31'"
    """

    kind: str
    value: str | None = None

    @property
    def label(self) -> str:
        """How the filled value is described in the row's lineage (``_filled_from``)."""
        if self.kind == "load_date":
            return "load date"
        return f"{self.kind} {self.value!r}"


@dataclass(frozen=True)
class Mapping:
    """Which canonical table a file feeds, how its columns map, and how to read it.

    ``dayfirst`` and ``decimal`` are None unless declared: then each file decides them from
    its own unambiguous values (or the load is refused). ``not_answered`` maps a canonical
    column (or ``*``: every score) to the words meaning "no answer"; ``fill`` gives a
    column's value where the file has none.

    Example:
        >>> m = Mapping.from_dict({"table": "responses", "columns": {"Score": "nps"}})
        >>> m.columns
        {'Score': 'nps'}
    """

    table: str
    columns: dict[str, str] = field(default_factory=dict)
    scales: dict[str, Scale] = field(default_factory=dict)
    delimiter: str | None = None
    encoding: str | None = None
    sheet: str | None = None
    date_format: str | None = None
    dayfirst: bool | None = None
    decimal: str | None = None
    not_answered: dict[str, tuple[str, ...]] = field(default_factory=dict)
    fill: dict[str, Fill] = field(default_factory=dict)
    #: Tokens read as no value in any column (None: the readers' default list).
    missing: tuple[str, ...] | None = None

    @classmethod
    def from_dict(cls, raw: dict[str, Any], origin: str = "mapping") -> Mapping:
        """Build and check a mapping from a parsed YAML/TOML document.

        Raises MappingError naming the key at fault for anything it cannot use.
        """
        if not isinstance(raw, dict) or "table" not in raw:
            raise MappingError(f"{origin}: a mapping needs a 'table' key (e.g. table: responses)")
        unknown = set(raw) - set(_KEYS)
        if unknown:
            raise MappingError(
                f"{origin}: unknown keys {sorted(map(str, unknown))}; a mapping takes {_KEYS}"
            )
        if not isinstance(raw["table"], str):
            raise MappingError(f"{origin}: 'table' must be a table name, got {raw['table']!r}")
        try:
            schema = get_table(raw["table"])
        except Exception as exc:
            raise MappingError(f"{origin}: key 'table': {exc}") from None
        columns = _columns(_section(raw, "columns", origin), origin, schema)
        scales = {
            str(col): _parse_scale(str(col), spec, origin, schema.name)
            for col, spec in _section(raw, "scales", origin).items()
        }
        return cls(
            table=schema.name,
            columns=columns,
            scales=scales,
            delimiter=_text(raw, "delimiter", origin),
            encoding=_text(raw, "encoding", origin),
            sheet=_sheet(raw, origin),
            date_format=_date_format(raw, origin),
            dayfirst=_flag(raw, "dayfirst", origin),
            decimal=_decimal(raw, origin),
            not_answered=_not_answered(raw.get("not_answered"), origin, schema),
            fill=_fills(_section(raw, "fill", origin), origin, schema),
            missing=_parse_missing(raw.get("missing"), origin),
        )

    def fingerprint(self) -> str:
        """Return a stable text form of the mapping, recorded with each load."""
        doc: dict[str, Any] = {
            "table": self.table,
            "columns": self.columns,
            "scales": {
                k: {"from": list(s.source or ()), "rule": s.rule, "values": s.values}
                for k, s in self.scales.items()
            },
        }
        settings = {
            "date_format": self.date_format, "dayfirst": self.dayfirst, "decimal": self.decimal,
            "not_answered": {k: list(v) for k, v in self.not_answered.items()} or None,
            "fill": {k: f.label for k, f in self.fill.items()} or None,
        }  # fmt: skip
        doc.update({k: v for k, v in settings.items() if v is not None})
        if self.missing is not None:
            doc["missing"] = list(self.missing)
        return yaml.safe_dump(doc, sort_keys=True, allow_unicode=True)

    def not_answered_for(self, column: Column) -> set[str]:
        """Return the word keys that mean "no answer" in ``column`` (``*`` covers scores)."""
        words = set(self.not_answered.get(column.name, ()))
        if _is_score(column):
            words |= set(self.not_answered.get("*", ()))
        return {word_key(w) for w in words}


def _is_score(column: Column) -> bool:
    return column.dtype in ("int", "float") and column.maximum is not None


def _section(raw: dict[str, Any], key: str, origin: str) -> dict[Any, Any]:
    value = raw.get(key)
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise MappingError(
            f"{origin}: '{key}' must be a mapping of NAME: VALUE, got {type(value).__name__} "
            f"{value!r}"
        )
    return value


def _columns(section: dict[Any, Any], origin: str, schema: Any) -> dict[str, str]:
    columns = {}
    for source, target in section.items():
        if not isinstance(target, str) or not target.strip():
            raise MappingError(
                f"{origin}: columns.{source}: the target must be a canonical column name, "
                f"got {target!r}"
            )
        if not schema.has_column(target) and not schema.extra_columns:
            raise MappingError(
                f"{origin}: column '{source}' maps to '{target}', which table "
                f"'{schema.name}' does not have (columns: {', '.join(schema.names)})"
            )
        columns[str(source)] = target.strip()
    return columns


def _text(raw: dict[str, Any], key: str, origin: str) -> str | None:
    value = raw.get(key)
    if value is not None and not isinstance(value, str):
        raise MappingError(f"{origin}: '{key}' must be text, got {value!r}")
    return value


def _sheet(raw: dict[str, Any], origin: str) -> str | None:
    value = raw.get("sheet")
    if value is not None and not isinstance(value, str | int):
        raise MappingError(f"{origin}: 'sheet' must be a sheet name or number, got {value!r}")
    return value  # type: ignore[return-value]


def _date_format(raw: dict[str, Any], origin: str) -> str | None:
    value = _text(raw, "date_format", origin)
    if value is not None and value not in EPOCH_UNITS and "%" not in value:
        raise MappingError(
            f"{origin}: 'date_format' {value!r} is not a strftime pattern (e.g. '%d.%m.%Y'); "
            "'%s' and '%ms' read Unix epoch seconds and milliseconds"
        )
    return value


def _flag(raw: dict[str, Any], key: str, origin: str) -> bool | None:
    value = raw.get(key)
    if value is not None and not isinstance(value, bool):
        raise MappingError(f"{origin}: '{key}' must be true or false, got {value!r}")
    return value


def _decimal(raw: dict[str, Any], origin: str) -> str | None:
    value = raw.get("decimal")
    if value is not None and value not in (".", ","):
        raise MappingError(f"{origin}: 'decimal' must be '.' or ',', got {value!r}")
    return value


def _not_answered(value: Any, origin: str, schema: Any) -> dict[str, tuple[str, ...]]:
    """``[Offered, Unoffered]`` (every score column) or ``{csat: [Offered]}`` per column."""
    if value is None:
        return {}
    if isinstance(value, list):
        value = {"*": value}
    if not isinstance(value, dict):
        raise MappingError(
            f"{origin}: 'not_answered' must be a list of words or {{column: [words]}}, "
            f"got {value!r}"
        )
    out = {}
    for col, words in value.items():
        if col != "*" and not schema.has_column(str(col)):
            raise MappingError(f"{origin}: not_answered.{col}: table has no column '{col}'")
        if isinstance(words, str):
            words = [words]
        if not isinstance(words, list) or not all(isinstance(w, str | int) for w in words):
            raise MappingError(f"{origin}: not_answered.{col} must be a list of words")
        out[str(col)] = tuple(str(w) for w in words)
    return out


def _fills(section: dict[Any, Any], origin: str, schema: Any) -> dict[str, Fill]:
    """``{responded_at: load_date | "2024-03-31" | {column: "Updated at"}}``."""
    out = {}
    for col, spec in section.items():
        col = str(col)
        if not schema.has_column(col):
            raise MappingError(f"{origin}: fill.{col}: table '{schema.name}' has no such column")
        if spec == LOAD_DATE:
            out[col] = Fill("load_date")
        elif isinstance(spec, str | int | float) and not isinstance(spec, bool):
            out[col] = Fill("constant", str(spec))
        elif isinstance(spec, dict) and set(spec) == {"column"} and isinstance(spec["column"], str):
            out[col] = Fill("column", spec["column"])
        else:
            raise MappingError(
                f"{origin}: fill.{col} must be {LOAD_DATE}, a value, or {{column: HEADER}}; "
                f"got {spec!r}"
            )
    return out


def _number_key(value: object) -> str | None:
    """Return a number's key in a value map: 5, 5.0 and '5' are all '5'."""
    try:
        number = float(str(value).replace(",", "."))
    except ValueError:
        return None
    return f"{number:g}" if np.isfinite(number) else None


def _parse_missing(spec: Any, origin: str) -> tuple[str, ...] | None:
    """Return the ``missing:`` tokens; YAML's bare null/None/NA stay the text written."""
    if spec is None:
        return None
    if not isinstance(spec, list):
        raise MappingError(
            f"{origin}: 'missing' must be a list of the texts that mean no value, e.g. "
            f"missing: [NA, '-'], got {spec!r}"
        )
    tokens = []
    for item in spec:
        if item is None:  # YAML reads a bare null / ~ as None: the text meant is "null"
            item = "null"
        if not isinstance(item, str | int | float) or isinstance(item, bool):
            raise MappingError(f"{origin}: 'missing' holds {item!r}; write each token as text")
        tokens.append(str(item))
    return tuple(tokens)


def _parse_scale(col: str, spec: Any, origin: str, table: str) -> Scale:
    schema = get_table(table)
    where = f"{origin}: scales.{col}"
    if not schema.has_column(col):
        raise MappingError(f"{where}: scale declared for unknown column '{col}' of '{table}'")
    column = schema.column(col)
    if not _is_score(column) or column.minimum is None:
        raise MappingError(f"{where}: column '{col}' is not a bounded score; it takes no scale")
    if isinstance(spec, str) and _RANGE.match(spec):  # shorthand "1-10"
        lo, hi = _RANGE.match(spec).groups()  # type: ignore[union-attr]
        spec = {"from": [lo, hi], "rule": "linear"}
    elif isinstance(spec, str):  # a Likert preset name
        spec = {"preset": spec}
    if not isinstance(spec, dict) or not spec:
        raise MappingError(
            f"{where}: write {{from: [lo, hi]}}, a preset name ({', '.join(LIKERT)}) or a "
            f"map {{Word: value}}; got {spec!r}"
        )
    if "preset" in spec:
        return _preset_scale(col, column, spec, where)
    if not set(spec) & {"from", "rule", "values"}:  # {Good: 5, Bad: 1}
        return _map_scale(col, column, spec, where)
    rule = str(spec.get("rule", "linear"))
    if rule not in _RULES:
        raise MappingError(f"{where}: rule is '{rule}'; use one of {_RULES}")
    if rule == "map":
        values = spec.get("values")
        if not isinstance(values, dict) or not values:
            raise MappingError(f"{where}: rule map needs 'values' {{source: canonical}}")
        return _map_scale(col, column, values, where)
    bounds = spec.get("from")
    try:
        lo, hi = (float(b) for b in bounds)
    except (TypeError, ValueError):
        raise MappingError(f"{where}: needs from: [lo, hi], got {bounds!r}") from None
    if not lo < hi:
        raise MappingError(f"{where}: from: [{lo:g}, {hi:g}] has lo >= hi")
    return Scale(source=(lo, hi), rule="linear")


def _preset_scale(col: str, column: Column, spec: dict[str, Any], where: str) -> Scale:
    name = spec["preset"]
    if set(spec) != {"preset"} or name not in LIKERT:
        raise MappingError(
            f"{where}: unknown word scale {name!r}; the presets are {', '.join(LIKERT)}, or "
            "write the words out: {Word: value}"
        )
    assert column.minimum is not None and column.maximum is not None
    values = preset_values(name, column.minimum, column.maximum, column.dtype == "int")
    if values is None:
        points = len(LIKERT[name])
        raise MappingError(
            f"{where}: the '{name}' scale has {points} points and '{col}' takes "
            f"{column.maximum - column.minimum + 1:g} ({column.rule}); write the words out "
            "with the values you mean: {Word: value}"
        )
    return Scale(rule="map", values=values, preset=name)


def _map_scale(col: str, column: Column, values: dict[Any, Any], where: str) -> Scale:
    out: dict[str, float] = {}
    for source, target in values.items():
        if isinstance(target, bool) or not isinstance(target, int | float):
            raise MappingError(f"{where}.{source}: the value must be a number, got {target!r}")
        if not column.check_range(float(target)):
            raise MappingError(f"{where}.{source}: {target!r} is outside {column.rule}")
        if column.dtype == "int" and float(target) % 1:
            raise MappingError(f"{where}.{source}: {target!r} is not a whole number")
        number = _number_key(source)
        out[number if number is not None else word_key(source)] = float(target)
    return Scale(rule="map", values=out)


def read_mapping(path: str | Path) -> Mapping:
    """Read a mapping from a YAML (.yaml/.yml) or TOML (.toml) file.

    Example:
        >>> read_mapping("survey_export.mapping.yaml").table  # doctest: +SKIP
        'responses'
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise MappingError(f"cannot read mapping file {path}: {exc.strerror}") from None
    try:
        raw = tomllib.loads(text) if path.suffix == ".toml" else yaml.safe_load(text)
    except (yaml.YAMLError, tomllib.TOMLDecodeError) as exc:
        raise MappingError(f"mapping file {path} is not valid: {exc}") from None
    return Mapping.from_dict(raw, origin=str(path))


def mapping_from_options(
    table: str, columns: list[str] | None = None, scales: list[str] | None = None
) -> Mapping:
    """Build a mapping from command-line options ``SOURCE=column`` and ``column=LO-HI``.

    Example:
        >>> mapping_from_options("responses", ["Score=nps"], ["nps=1-10"]).scales["nps"].source
        (1.0, 10.0)
    """

    def pairs(items: list[str] | None, what: str) -> dict[str, str]:
        out = {}
        for item in items or []:
            if "=" not in item:
                raise MappingError(f"{what} '{item}' must look like NAME=VALUE")
            key, value = item.rsplit("=", 1)
            out[key.strip()] = value.strip()
        return out

    return Mapping.from_dict(
        {"table": table, "columns": pairs(columns, "--map"), "scales": pairs(scales, "--scale")},
        origin="command line",
    )
