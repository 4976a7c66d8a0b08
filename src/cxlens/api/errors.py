"""Error answers: one JSON body for every error, documented in the OpenAPI spec.

Every error the API sends is ``{"detail": "...", "error": "..."}``: ``detail`` says what was
wrong and what to do, ``error`` names the kind. Request validation (a parameter of the wrong
type, out of bounds, not one of its choices) adds ``errors``, one item per problem with its
location; a server error (500) adds ``error_id`` and says nothing else about the failure:
the message, the SQL that failed and the traceback go to the server's log (logger
``cxlens.api``) under that id, never to the caller. No body names a file on the server:
paths of the served folder and of temporary upload folders are cut from messages.
"""

from __future__ import annotations

import logging
import re
import tempfile
import uuid
from collections.abc import Iterable
from http import HTTPStatus
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from cxlens.api.logs import redact_path
from cxlens.errors import CxlensError, EngineError, WorkspaceError

#: Where server errors are logged with their id (the SQL and the traceback included).
log = logging.getLogger("cxlens.api")


class ValidationItem(BaseModel):
    """One problem of a request: where (``["query", "min_n"]``), what, and its kind."""

    loc: list[str | int]
    msg: str
    type: str


class ErrorBody(BaseModel):
    """The body of every error answer."""

    detail: str = Field(description="What was wrong, and what to do.")
    error: str = Field(description="The kind of error, e.g. ArgumentError, Unauthorized.")
    errors: list[ValidationItem] | None = Field(
        None, description="Request validation only: one item per problem."
    )
    error_id: str | None = Field(
        None, description="Server errors only: the id of the failure in the server's log."
    )


_DESCRIPTIONS = {
    401: "No key, or an unknown, expired or revoked key",
    403: "The key's role is too low for this",
    404: "No such workspace for this key, or no such resource in it",
    409: "The workspace cannot do this now (its engine or state refuses it)",
    413: "The upload is larger than the server's limit",
    422: "A parameter is invalid, or names a column, value or data the workspace does not have",
    500: "Server error; error_id names it in the server's log",
}


def responses(*codes: int) -> dict[int | str, dict[str, Any]]:
    """Return OpenAPI ``responses`` entries (the :class:`ErrorBody` schema) for ``codes``.

    Example:
        >>> sorted(responses(401, 422))
        [401, 422]
    """
    return {code: {"model": ErrorBody, "description": _DESCRIPTIONS[code]} for code in codes}


#: The errors any call on a workspace can answer.
WORKSPACE_ERRORS = responses(401, 403, 404, 409, 422, 500)
#: The errors of calls that only need a key.
KEY_ERRORS = responses(401, 403, 422, 500)


def body(detail: str, error: str, **extra: Any) -> dict[str, Any]:
    """Return an error body (None fields left out).

    Example:
        >>> body("no such metric", "ArgumentError")
        {'detail': 'no such metric', 'error': 'ArgumentError'}
    """
    return {"detail": detail, "error": error, **{k: v for k, v in extra.items() if v is not None}}


def scrub(message: str, folders: Iterable[str | Path] = ()) -> str:
    """Return ``message`` without the server's own paths (served folder, temporary folders).

    A path under one of ``folders`` or under the temporary directory keeps only its last
    part (the file's name), which the caller already knows.

    Example:
        >>> scrub("cannot read /tmp/cxlens-upload-ab12/s.csv: bad", ["/srv/ws"])
        'cannot read s.csv: bad'
    """
    roots = {str(Path(tempfile.gettempdir())), "/tmp", *(str(Path(f)) for f in folders)}
    resolved = {str(Path(f).resolve()) for f in folders}
    for root in sorted(roots | resolved, key=len, reverse=True):
        pattern = re.escape(root.rstrip("/")) + r"/(?:[^\s'\"/]+/)*([^\s'\"/]*)"
        message = re.sub(pattern, r"\1", message)
    return message


def server_error(exc: BaseException, request: Request | None = None) -> JSONResponse:
    """Log ``exc`` (with its SQL, if any) under a new id; return the 500 answer naming the id.

    Example:
        >>> server_error(RuntimeError("boom")).status_code
        500
    """
    error_id = uuid.uuid4().hex[:16]
    sql = getattr(exc, "sql", None)
    where = f"{request.method} {redact_path(request.url.path)}" if request is not None else "-"
    log.error(
        "error_id=%s %s: %s: %s%s", error_id, where, type(exc).__name__, exc,
        f"\nSQL:\n{sql}" if sql else "", exc_info=exc,
    )  # fmt: skip
    detail = (
        f"the server failed to answer this request (error id {error_id}); nothing was "
        "changed. Tell the server's administrator the error id: the log has the details"
    )
    return JSONResponse(body(detail, "ServerError", error_id=error_id), status_code=500)


def _location(loc: Iterable[Any]) -> str:
    parts = [str(p) for p in loc]
    if len(parts) >= 2 and parts[0] in ("query", "path", "header", "body"):
        return f"{parts[0]} parameter '{parts[1]}'" + "".join(f"[{p}]" for p in parts[2:])
    return " ".join(parts) or "request"


def _message(error: dict[str, Any]) -> str:
    """Return a validation error's message; a pattern mismatch says what the pattern means."""
    from cxlens.api.params import PATTERN_HELP

    kind, loc, value = str(error.get("type", "")), list(error.get("loc", ())), error.get("input")
    if kind.startswith("date_") and len(loc) == 2:  # as filters.parse_date words it
        name = loc[1]
        return (
            f"{name}={value!r} is not a date; give a calendar date as YYYY-MM-DD, "
            f"e.g. {name}=2025-01-31"
        )
    pattern = (error.get("ctx") or {}).get("pattern")
    if error.get("type") == "string_pattern_mismatch" and pattern in PATTERN_HELP:
        value = error.get("input")
        text = PATTERN_HELP[pattern]
        return f"{value!r} {text}" if isinstance(value, str) else text
    return str(error.get("msg", ""))


def validation_error(exc: RequestValidationError) -> JSONResponse:
    """Return the 422 answer for a request that failed FastAPI's parameter validation.

    Example:
        >>> validation_error(RequestValidationError([])).status_code
        422
    """
    items = [
        {
            "loc": list(e.get("loc", ())),
            "msg": _message(e),
            "type": str(e.get("type", "")),
        }
        for e in exc.errors()
    ]
    detail = "; ".join(f"{_location(i['loc'])}: {i['msg']}" for i in items) or "invalid request"
    return JSONResponse(
        body(f"invalid request: {detail}", "RequestValidationError", errors=items), status_code=422
    )


def http_error(exc: StarletteHTTPException) -> JSONResponse:
    """Return an HTTPException as an error body, keeping its headers (WWW-Authenticate...)."""
    try:
        kind = HTTPStatus(exc.status_code).phrase.replace(" ", "")
    except ValueError:
        kind = "HTTPError"
    return JSONResponse(
        body(str(exc.detail), kind), status_code=exc.status_code, headers=exc.headers
    )


def cxlens_error(exc: CxlensError, request: Request, folders: Iterable[Path]) -> JSONResponse:
    """Return the answer for a cxlens error: 500 (engine), 409 (workspace) or 422 (request).

    Bad requests (unknown column, too little data, a bad mapping) are the caller's to fix;
    an engine failure is ours, so its message and SQL go to the log, not to the caller.
    """
    if isinstance(exc, EngineError):
        return server_error(exc, request)
    status = 409 if isinstance(exc, WorkspaceError) else 422
    return JSONResponse(body(scrub(str(exc), folders), type(exc).__name__), status_code=status)
