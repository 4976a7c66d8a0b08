"""Spreadsheet-safe exports: text that a spreadsheet would run as a formula is defused.

Every CSV the product writes (``cxlens metrics -o``, ``cxlens quarantine --export``, the
analyses' ``-o`` files, the CRM target lists) goes through :func:`write_csv`, and every cell
through :func:`neutralise`. Following OWASP's advice against CSV injection
(https://owasp.org/www-community/attacks/CSV_Injection), a text cell that starts with ``=``,
``+``, ``-``, ``@``, a tab or a carriage return gets a leading apostrophe, so Excel,
LibreOffice and Google Sheets show it as text instead of evaluating it (``=HYPERLINK(...)``,
``@SUM(...)``, ``+1+1``). Embedded quotes and separators are quoted by the CSV writer.

A cell that is a plain number (``-3.5``, ``+447946000018``: an E.164 phone) is left as it is:
a spreadsheet reads it as a number, never as a formula, and an apostrophe would turn a
negative change or a phone into text. Numbers, dates and booleans of numeric columns are not
text and pass unchanged.
"""

from __future__ import annotations

import csv
import re
from pathlib import Path
from typing import Any

import pandas as pd

#: First characters that make a spreadsheet treat a cell as a formula (OWASP).
FORMULA_START: tuple[str, ...] = ("=", "+", "-", "@", "\t", "\r")

#: A plain decimal number, optionally signed, with an optional exponent.
_PLAIN_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")


def neutralise(value: Any) -> Any:
    r"""Return ``value`` with an apostrophe in front when it is text a spreadsheet would run.

    Only strings change; a string that is a plain number is kept.

    Example:
        >>> neutralise('=HYPERLINK("http://x")'), neutralise("@SUM(A1)"), neutralise("+1+1")
        ('\'=HYPERLINK("http://x")', "'@SUM(A1)", "'+1+1")
        >>> neutralise("-3.5"), neutralise(-3.5), neutralise("fine")
        ('-3.5', -3.5, 'fine')
    """
    if not isinstance(value, str) or not value.startswith(FORMULA_START):
        return value
    if _PLAIN_NUMBER.match(value):
        return value
    return "'" + value


def neutralise_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """Return a copy of ``frame`` with every text cell (and the headers) neutralised.

    Example:
        >>> neutralise_frame(pd.DataFrame({"c": ["=1+1", "ok"], "n": [-1, 2]}))["c"].tolist()
        ["'=1+1", 'ok']
    """
    out = frame.copy()
    out.columns = [neutralise(str(c)) for c in out.columns]
    if out.index.dtype == object:
        out.index = out.index.map(neutralise)
    for col in out.columns:
        values = out[col]
        if values.dtype == object or pd.api.types.is_string_dtype(values):
            out[col] = values.map(neutralise, na_action="ignore")
    return out


def write_csv(
    frame: pd.DataFrame, output: str | Path, *, bom: bool = False, index: bool = False
) -> Path:
    """Write ``frame`` as UTF-8 CSV with formula-like text defused; return the path.

    Args:
        frame: the table.
        output: the file to write (its folder is created).
        bom: start with a byte-order mark (for Excel users).
        index: write the index as the first column.

    Example:
        >>> import tempfile
        >>> path = write_csv(pd.DataFrame({"comment": ["@SUM(A1)"]}), tempfile.mktemp())
        >>> path.read_text().splitlines()
        ['comment', "'@SUM(A1)"]
    """
    path = Path(output)
    path.parent.mkdir(parents=True, exist_ok=True)
    safe = neutralise_frame(frame)
    # CRLF (RFC 4180): Python 3.11's writer quotes a field holding a bare CR only when CR is
    # part of the line terminator, and an unquoted CR would split the row in a spreadsheet
    safe.to_csv(path, index=index, encoding="utf-8-sig" if bom else "utf-8",
                lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)  # fmt: skip
    return path
