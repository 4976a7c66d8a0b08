"""Fixtures for the metrics tests: an in-memory DuckDB connection and a table factory."""

from __future__ import annotations

from collections.abc import Callable

import ibis
import pandas as pd
import pytest


@pytest.fixture
def con() -> ibis.BaseBackend:
    return ibis.duckdb.connect()


@pytest.fixture
def make_table(con: ibis.BaseBackend) -> Callable[..., ibis.Table]:
    """Create a table in the in-memory DuckDB from columns given as keyword lists."""
    counter = iter(range(1_000_000))

    def make(name: str | None = None, **columns: list) -> ibis.Table:
        frame = pd.DataFrame(columns)
        return con.create_table(name or f"t{next(counter)}", frame, overwrite=True)

    return make
