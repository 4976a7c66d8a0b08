"""A Workspace holding generated identity records with known true identities."""

from __future__ import annotations

from pathlib import Path

import pytest

import cxlens
from cxlens.identity.testdata import generate_identities

PEOPLE = 1200
FAST = {"max_pairs": 2e5}


@pytest.fixture(scope="module")
def sample():
    return generate_identities(people=PEOPLE, seed=11)


@pytest.fixture(scope="module")
def resolved(sample, tmp_path_factory: pytest.TempPathFactory):
    """The sample ingested from CSV and resolved once (DuckDB)."""
    folder: Path = tmp_path_factory.mktemp("identity")
    sample.records.to_csv(folder / "ids.csv", index=False)
    ws = cxlens.Workspace(folder / "ws.duckdb")
    ws.ingest(folder / "ids.csv", table="identities")
    from cxlens.identity.namespace import Identity

    ident = Identity(ws)
    result = ident.resolve(**FAST)
    yield ws, ident, result
    ws.close()
