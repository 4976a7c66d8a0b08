"""The server's logs: access lines that never hold a customer id, and the error log.

uvicorn writes one access line per request with its path and query. A customer's id is a
path parameter (``/customers/{customer_id}``) and the query of an erasure names who asked
(``requested_by``), so both would stay in the log after the customer is erased. Every line
therefore goes through :class:`RedactPaths`: path parameters that name a customer become
``{customer_id}`` and query values are dropped (their names stay, so the line still says
which options were used). Server errors are logged by ``cxlens.api`` with their error id
(:mod:`cxlens.api.errors`), the request's path redacted the same way.
"""

from __future__ import annotations

import copy
import logging
import re
from typing import Any

#: Path segments whose next segment names a person.
_PERSONAL = re.compile(r"(/customers/)[^/?#]+")


def redact_path(path: str) -> str:
    """Return ``path`` with customer ids replaced and query values dropped.

    Example:
        >>> redact_path("/api/v1/workspaces/acme/customers/C000042?reason=x&requested_by=dpo")
        '/api/v1/workspaces/acme/customers/{customer_id}?reason=…&requested_by=…'
    """
    path, sep, query = path.partition("?")
    path = _PERSONAL.sub(r"\1{customer_id}", path)
    if not sep:
        return path
    names = [part.partition("=")[0] for part in query.split("&") if part]
    return path + "?" + "&".join(f"{name}=…" for name in names)


class RedactPaths(logging.Filter):
    """A logging filter for uvicorn's access lines: see :func:`redact_path`.

    Example:
        >>> logging.getLogger("uvicorn.access").addFilter(RedactPaths())  # doctest: +SKIP
    """

    def filter(self, record: logging.LogRecord) -> bool:
        """Rewrite the path argument of an access line; never drops a line."""
        args = record.args
        # uvicorn's access line: (client_addr, method, full_path, http_version, status_code)
        if isinstance(args, tuple) and len(args) >= 3 and isinstance(args[2], str):
            record.args = (*args[:2], redact_path(args[2]), *args[3:])
        return True


def log_config(level: str = "info") -> dict[str, Any]:
    """Return uvicorn's logging configuration with redacted access lines and cxlens' errors.

    Example:
        >>> log_config()["handlers"]["access"]["filters"]
        ['redact']
    """
    from uvicorn.config import LOGGING_CONFIG

    config = copy.deepcopy(LOGGING_CONFIG)
    config["filters"] = {"redact": {"()": "cxlens.api.logs.RedactPaths"}}
    config["handlers"]["access"]["filters"] = ["redact"]
    config["loggers"]["cxlens"] = {"handlers": ["default"], "level": level.upper(),
                                   "propagate": False}  # fmt: skip
    return config
