"""What a request's text may hold, written once: as OpenAPI patterns and as checks.

Every free-text parameter carries a pattern in the spec, so a client (or a fuzzer) knows
before sending what the server accepts, and FastAPI refuses anything else with 422 before an
endpoint runs. On top of the patterns, :func:`reject_control_characters` runs before every
endpoint and refuses a query or path value holding a control character (NUL, line breaks,
escape, C1 controls), so none ever reaches a workspace, a log line or the engine, whatever
an endpoint declares.
"""

from __future__ import annotations

import datetime as _dt
import re
from typing import Annotated

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from pydantic import StringConstraints

#: Control characters: C0 (NUL to US), DEL and C1.
CONTROL = "\\x00-\\x1f\\x7f-\\x9f"

#: Free text without control characters (may be empty).
TEXT_PATTERN = f"^[^{CONTROL}]*$"

#: Text with at least one visible character (a reason, a name: blank is refused).
VISIBLE_PATTERN = f"^[^{CONTROL}]*[^\\s{CONTROL}][^{CONTROL}]*$"

#: A column name as the canonical and derived tables spell them.
COLUMN_PATTERN = r"^[A-Za-z_][A-Za-z0-9_]{0,99}$"

#: ``column=value``: a column name, ``=``, then a value with at least one visible character
#: (spaces around the name and the value are dropped, as :func:`filters.parse_filters` does).
FILTER_PATTERN = (
    r"^ *[A-Za-z_][A-Za-z0-9_]{0,99} *="
    f"[^{CONTROL}]*[^\\s{CONTROL}][^{CONTROL}]*$"
)

#: An upload's ``map`` item: ``Source header=column`` (split at the last ``=``).
MAP_PATTERN = f"^[^{CONTROL}]*[^\\s{CONTROL}][^{CONTROL}]*= *[A-Za-z_][A-Za-z0-9_]{{0,99}} *$"

#: An upload's ``scale`` item: ``column=LOW-HIGH``, e.g. ``nps=1-10``.
SCALE_PATTERN = (
    r"^ *[A-Za-z_][A-Za-z0-9_]{0,99} *= *[0-9]{1,9}(\.[0-9]{1,9})? *- *[0-9]{1,9}(\.[0-9]{1,9})? *$"
)

#: Query values that may hold a tab (a TSV upload's delimiter).
TAB_ALLOWED = frozenset({"delimiter"})

#: File endings the readers know (see cxlens.ingest.readers).
SUFFIXES: tuple[str, ...] = (".csv", ".tsv", ".txt", ".parquet", ".pq", ".jsonl", ".ndjson",
                             ".json", ".xlsx")  # fmt: skip


def _any_case(text: str) -> str:
    return "".join(f"[{c.lower()}{c.upper()}]" if c.isalpha() else re.escape(c) for c in text)


#: A plain file name with a known ending: dot-separated parts of letters, digits, ``_``,
#: ``-`` and spaces (so no ``..`` and no folder), starting with a letter or digit. The
#: OpenAPI spec carries the same pattern.
FILENAME_PATTERN = (
    r"^[A-Za-z0-9][A-Za-z0-9_ -]*(\.[A-Za-z0-9_ -]+)*\.("
    + "|".join(_any_case(s.lstrip(".")) for s in SUFFIXES)
    + ")$"
)

#: What each pattern asks for, in words (the 422 message says this, not the regex).
PATTERN_HELP: dict[str, str] = {
    TEXT_PATTERN: "must be printable text (no control characters)",
    FILENAME_PATTERN: "must be a plain file name (letters, digits, '.', '_', '-', spaces; "
    f"no folders) with a known ending: {', '.join(SUFFIXES)}",
    VISIBLE_PATTERN: "must be printable text with at least one visible character",
    COLUMN_PATTERN: "must be a column name (letters, digits and _), e.g. segment",
    FILTER_PATTERN: "must look like column=value, e.g. filter=segment=consumer",
    MAP_PATTERN: "must look like 'Source header=column', e.g. map=Score=nps",
    SCALE_PATTERN: "must look like column=LOW-HIGH, e.g. scale=nps=1-10",
}

ColumnName = Annotated[str, StringConstraints(pattern=COLUMN_PATTERN)]
Text = Annotated[str, StringConstraints(pattern=TEXT_PATTERN)]
FilterItem = Annotated[str, StringConstraints(pattern=FILTER_PATTERN, max_length=300)]

#: A calendar day, ``YYYY-MM-DD`` (an impossible one, e.g. 0000-00-00, answers 422).
Day = _dt.date


def control_character(value: str, *, tab: bool = False) -> int | None:
    r"""Return the position of the first control character in ``value``, or None.

    Example:
        >>> control_character("segment=a\x00b"), control_character("a\tb", tab=True)
        (9, None)
    """
    for i, ch in enumerate(value):
        code = ord(ch)
        if (code < 0x20 or 0x7F <= code <= 0x9F) and not (tab and ch == "\t"):
            return i
    return None


def reject_control_characters(request: Request) -> None:
    """Refuse (422) a request whose query or path values hold a control character.

    Runs before every endpoint (an app-wide dependency).

    Example:
        >>> # FastAPI(dependencies=[Depends(reject_control_characters)])
    """
    errors = []
    values = [("query", k, v) for k, v in request.query_params.multi_items()]
    values += [("path", k, str(v)) for k, v in request.path_params.items()]
    for where, name, value in values:
        at = control_character(value, tab=name in TAB_ALLOWED)
        if at is not None:
            errors.append({
                "loc": (where, name),
                "msg": f"holds the control character U+{ord(value[at]):04X} at position {at}; "
                "send printable text",
                "type": "control_character",
            })  # fmt: skip
    if errors:
        raise RequestValidationError(errors)
