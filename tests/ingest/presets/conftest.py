"""Shared helpers of the preset tests: the sample exports and reading back what loaded."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "presets"


@pytest.fixture
def sample(tmp_path: Path):
    """Return a function giving a private copy of a sample export (tests may edit it)."""

    def copy(name: str) -> Path:
        target = tmp_path / name
        shutil.copyfile(FIXTURES / name, target)
        return target

    return copy


def loaded(ws, table: str, columns: list[str], order: str) -> list[tuple]:
    """Return the stored rows of ``table`` as tuples of ``columns``, sorted by ``order``."""
    frame = ws.table(table).order_by(order).execute()
    frame = frame[columns].astype(object).where(frame[columns].notna(), None)
    return [tuple(r) for r in frame.itertuples(index=False)]


def problems(ws) -> list[tuple]:
    """Return the quarantine as (source_row, column, reason), sorted."""
    q = ws.quarantine()
    return sorted(zip(q["source_row"], q["column"], q["reason"], strict=True))


def ts(text: str) -> pd.Timestamp:
    """A naive UTC timestamp, as the Workspace stores them."""
    return pd.Timestamp(text)
