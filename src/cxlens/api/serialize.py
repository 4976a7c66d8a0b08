"""Tables to JSON: ``{"columns": [...], "rows": [{...}, ...]}`` with NaN as null, ISO dates."""

from __future__ import annotations

import json
from typing import Any

import pandas as pd


def table(frame: pd.DataFrame) -> dict[str, Any]:
    """Return ``frame`` as ``{"columns": [...], "rows": [...]}`` ready for JSON.

    Missing values become null, timestamps ISO 8601 text; pandas' own JSON writer does
    the conversion, so numpy and pandas scalars never reach the response encoder.

    Example:
        >>> table(pd.DataFrame({"n": [3], "value": [float("nan")]}))
        {'columns': ['n', 'value'], 'rows': [{'n': 3, 'value': None}]}
    """
    frame = frame.reset_index(drop=True)
    frame.columns = [str(c) for c in frame.columns]
    rows = json.loads(
        frame.to_json(orient="records", date_format="iso", date_unit="s", double_precision=15)
    )
    return {"columns": list(frame.columns), "rows": rows}


def record(frame: pd.DataFrame) -> dict[str, Any] | None:
    """Return the first row of ``frame`` as a JSON-ready dict, or None when it is empty.

    Example:
        >>> record(pd.DataFrame({"n": [3]}))
        {'n': 3}
    """
    rows = table(frame.head(1))["rows"]
    return rows[0] if rows else None
