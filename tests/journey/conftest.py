"""The journey tests run on every engine: ``table`` makes a table in the engine under test."""

from __future__ import annotations

import itertools
from collections.abc import Callable

import ibis.expr.types as ir
import pandas as pd
import pyarrow as pa
import pytest

from cxlens.store.engine import engine_for


@pytest.fixture
def table(backend) -> Callable[..., ir.Table]:
    """Return a function that stores a frame as a new table of the engine under test."""
    names = itertools.count()

    engine = engine_for(backend)

    def make(frame: pd.DataFrame, name: str = "events") -> ir.Table:
        # through Arrow, as ingestion writes: a missing text is NULL on Spark, never "NaN"
        table_name = f"{name}_{next(names)}"
        engine.replace_table(table_name, pa.Table.from_pandas(frame, preserve_index=False))
        return engine.table(table_name)

    return make
