"""Column mappings and declared scales: how a source file's columns become canonical ones.

A mapping file (YAML or TOML) looks like::

    table: responses
    columns:                      # source header -> canonical column
      "Response ID": response_id
      "How likely ... (1-10)": nps
    scales:                       # declared scale of a canonical score column
      nps: {from: [1, 10], rule: linear}
    delimiter: ";"                # optional reader settings
    encoding: cp1251
    sheet: Responses
    date_format: "%d.%m.%Y"
    dayfirst: true
    missing: [NA, "-", "n/a"]     # tokens read as no value (default: NA N/A #N/A null None -)
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from cxlens.errors import MappingError
from cxlens.schema import get_table

_RULES = ("linear", "map")


@dataclass(frozen=True)
class Scale:
    """How a score asked on another scale converts to the canonical one.

    ``rule="linear"`` maps ``source`` (lo, hi) onto the canonical (lo, hi) linearly and rounds
    integer columns half up; ``rule="map"`` uses ``values`` (source value -> canonical value).

    Example:
        >>> Scale(source=(1, 10), rule="linear").convert(pd.Series([1.0, 10.0]), (0, 10)).tolist()
        [0.0, 10.0]
    """

    source: tuple[float, float] | None = None
    rule: str = "linear"
    values: dict[float, float] = field(default_factory=dict)

    def convert(
        self, values: pd.Series, target: tuple[float, float], integer: bool = True
    ) -> pd.Series:
        """Return ``values`` converted to the ``target`` scale (NaN stays NaN)."""
        if self.rule == "map":
            return values.map(lambda v: self.values.get(v, np.nan) if pd.notna(v) else v)
        assert self.source is not None
        (slo, shi), (tlo, thi) = self.source, target
        out = tlo + (values - slo) * (thi - tlo) / (shi - slo)
        return np.floor(out + 0.5) if integer else out

    def accepts(self, values: pd.Series) -> pd.Series:
        """Return a boolean mask of values that lie on the declared source scale."""
        if self.rule == "map":
            return values.isin(list(self.values))
        assert self.source is not None
        return values.between(*self.source)

    @property
    def description(self) -> str:
        """The declared scale in words, for quarantine reasons."""
        if self.rule == "map":
            return f"one of {sorted(self.values)}"
        assert self.source is not None
        return f"declared scale [{self.source[0]:g}, {self.source[1]:g}]"


@dataclass(frozen=True)
class Mapping:
    """Which canonical table a file feeds, how its columns map, and how to read it.

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
    dayfirst: bool = False
    #: Tokens read as no value in any column (None: the readers' default list).
    missing: tuple[str, ...] | None = None

    @classmethod
    def from_dict(cls, raw: dict[str, Any], origin: str = "mapping") -> Mapping:
        """Build and check a mapping from a parsed YAML/TOML document."""
        if not isinstance(raw, dict) or "table" not in raw:
            raise MappingError(f"{origin}: a mapping needs a 'table' key (e.g. table: responses)")
        unknown = set(raw) - {
            "table", "columns", "scales", "delimiter", "encoding", "sheet", "date_format",
            "dayfirst", "missing",
        }  # fmt: skip
        if unknown:
            raise MappingError(f"{origin}: unknown keys {sorted(unknown)}")
        schema = get_table(str(raw["table"]))
        columns = {str(k): str(v) for k, v in (raw.get("columns") or {}).items()}
        for source, target in columns.items():
            if not schema.has_column(target) and not schema.extra_columns:
                raise MappingError(
                    f"{origin}: column '{source}' maps to '{target}', which table "
                    f"'{schema.name}' does not have (columns: {', '.join(schema.names)})"
                )
        scales = {
            str(col): _parse_scale(col, spec, origin, schema.name)
            for col, spec in (raw.get("scales") or {}).items()
        }
        return cls(
            table=schema.name,
            columns=columns,
            scales=scales,
            delimiter=raw.get("delimiter"),
            encoding=raw.get("encoding"),
            sheet=raw.get("sheet"),
            date_format=raw.get("date_format"),
            dayfirst=bool(raw.get("dayfirst", False)),
            missing=_parse_missing(raw.get("missing"), origin),
        )

    def fingerprint(self) -> str:
        """Return a stable text form of the mapping, recorded with each load."""
        form: dict[str, Any] = {
            "table": self.table,
            "columns": self.columns,
            "scales": {
                k: {"from": list(s.source or ()), "rule": s.rule, "values": s.values}
                for k, s in self.scales.items()
            },
        }
        if self.missing is not None:
            form["missing"] = list(self.missing)
        return yaml.safe_dump(form, sort_keys=True, allow_unicode=True)


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
    if not schema.has_column(col):
        raise MappingError(f"{origin}: scale declared for unknown column '{col}' of '{table}'")
    column = schema.column(col)
    if column.dtype not in ("int", "float") or column.minimum is None or column.maximum is None:
        raise MappingError(f"{origin}: column '{col}' is not a bounded score; it takes no scale")
    if isinstance(spec, str):  # shorthand "1-10"
        spec = {"from": spec.split("-"), "rule": "linear"}
    if not isinstance(spec, dict):
        raise MappingError(f"{origin}: scale of '{col}' must be {{from: [lo, hi], rule: linear}}")
    rule = str(spec.get("rule", "linear"))
    if rule not in _RULES:
        raise MappingError(f"{origin}: scale rule of '{col}' is '{rule}'; use one of {_RULES}")
    if rule == "map":
        values = spec.get("values")
        if not isinstance(values, dict) or not values:
            raise MappingError(f"{origin}: scale of '{col}' with rule map needs 'values'")
        return Scale(rule="map", values={float(k): float(v) for k, v in values.items()})
    bounds = spec.get("from")
    try:
        lo, hi = (float(b) for b in bounds)
    except (TypeError, ValueError):
        raise MappingError(
            f"{origin}: scale of '{col}' needs from: [lo, hi], got {bounds!r}"
        ) from None
    if not lo < hi:
        raise MappingError(f"{origin}: scale of '{col}' has from: [{lo:g}, {hi:g}], lo >= hi")
    return Scale(source=(lo, hi), rule="linear")


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
