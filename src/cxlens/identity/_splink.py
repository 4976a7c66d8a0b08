"""Splink on the Workspace's own engine: scratch tables and the database API.

Which Splink API fits the engine is decided in :mod:`cxlens.store.linkage`, with the rest of
the engine-specific code. Splink reads the prepared records from a table in that engine and
writes its intermediate tables there, so the records never leave it.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import ibis.expr.types as ir

from cxlens.store.linkage import splink_api

#: Prefix of the scratch tables identity resolution writes (dropped when it ends).
SCRATCH = "_identity_scratch_"


def db_api(ws: Any) -> Any:
    """Return a Splink database API on the Workspace's engine (see :func:`splink_api`).

    Example:
        >>> db_api(ws)  # doctest: +SKIP
    """
    return splink_api(ws.engine)


def materialise(ws: Any, name: str, expr: ir.Table) -> str:
    """Write ``expr`` to scratch table ``name`` in the engine and return its name."""
    ws.con.create_table(name, expr, overwrite=True)
    return name


def drop(ws: Any, *names: str) -> None:
    """Drop scratch tables (those that exist)."""
    present = set(ws.con.list_tables())
    for name in names:
        if name in present:
            ws.con.drop_table(name, force=True)


@contextmanager
def quiet() -> Iterator[None]:
    """Keep Splink's progress and advice messages out of the caller's output while it runs."""
    logger = logging.getLogger("splink")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        logger.setLevel(level)
