"""The journey tests run on every engine: ``table`` makes a table in the engine under test."""

from __future__ import annotations

import itertools
from collections.abc import Callable

import ibis.expr.types as ir
import pandas as pd
import pytest


@pytest.fixture
def table(backend) -> Callable[..., ir.Table]:
    """Return a function that stores a frame as a new table of the engine under test."""
    names = itertools.count()

    def make(frame: pd.DataFrame, name: str = "events") -> ir.Table:
        return backend.create_table(f"{name}_{next(names)}", frame)

    return make
