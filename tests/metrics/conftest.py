"""Fixtures for the metrics tests: the engine under test and a table factory."""

from __future__ import annotations

from collections.abc import Callable

import ibis
import pandas as pd
import pytest


@pytest.fixture
def con(backend) -> ibis.BaseBackend:
    """The engine under test (DuckDB, then Spark: see ``backend`` in tests/conftest.py)."""
    return backend


@pytest.fixture
def make_table(con: ibis.BaseBackend) -> Callable[..., ibis.Table]:
    """Create a table in the engine under test from columns given as keyword lists."""
    counter = iter(range(1_000_000))

    def make(name: str | None = None, **columns: list) -> ibis.Table:
        frame = pd.DataFrame(columns)
        return con.create_table(name or f"t{next(counter)}", frame, overwrite=True)

    return make
