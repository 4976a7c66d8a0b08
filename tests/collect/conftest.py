"""A workspace with events, customers (time zone, language, consent) and e-mail addresses."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest

from cxlens import Workspace
from cxlens.collect import Surveys

SURVEY = {"name": "support-csat", "kind": "csat", "company": "Acme", "languages": ["en", "ru"],
          "trigger": {"touchpoint": "ticket_solved"}, "delay": "1h", "expiry": "7d",
          "contact": {"quiet_days": 30}}  # fmt: skip


def load(ws: Workspace, tmp: Path, table: str, rows: list[dict]) -> None:
    """Write ``rows`` to a CSV file and ingest it into ``table``."""
    path = tmp / f"{table}-{len(list(tmp.iterdir()))}.csv"
    pd.DataFrame(rows).to_csv(path, index=False)
    extra = [c for c in rows[0] if c in ("timezone", "language", "survey_consent")]
    mapping = {"table": table, "columns": {c: c for c in extra}} if extra else None
    result = ws.ingest(path, table=table, mapping=mapping)
    assert not result.ignored_columns
    assert result.rows_quarantined == 0, ws.quarantine()


@pytest.fixture(scope="session")
def people_file(tmp_path_factory) -> Path:
    """The DuckDB file of ``people``'s workspace, ingested once for the session."""
    directory = tmp_path_factory.mktemp("collect-people")
    ws = Workspace(directory / "ws.duckdb")
    load(ws, directory, "customers", [
        {"customer_id": "C1", "timezone": "Europe/London", "language": "en", "survey_consent": ""},
        {"customer_id": "C2", "timezone": "Europe/Moscow", "language": "ru",
         "survey_consent": "no"},
        {"customer_id": "C3", "timezone": "Asia/Shanghai", "language": "zh",
         "survey_consent": "yes"},
        {"customer_id": "C4", "timezone": "Atlantis/Nowhere", "language": "en",
         "survey_consent": "yes"},
    ])  # fmt: skip
    load(ws, directory, "identities", [
        {"source": "crm", "source_id": "1", "customer_id": "C1", "email": "c1@example.com"},
        {"source": "crm", "source_id": "2", "customer_id": "C2", "email": "c2@example.com"},
        {"source": "crm", "source_id": "3", "customer_id": "C3", "email": ""},
        {"source": "crm", "source_id": "4", "customer_id": "C4", "email": "c4@example.com"},
    ])  # fmt: skip
    ws.close()
    return directory / "ws.duckdb"


@pytest.fixture
def people(people_file: Path, tmp_path: Path) -> tuple[Workspace, Surveys, Path]:
    """C1 London (en, e-mail), C2 Moscow (ru, e-mail, refused), C3 Shanghai (no e-mail).

    A private copy of ``people_file`` in ``tmp_path`` (tests add rows and surveys to it).
    """
    shutil.copyfile(people_file, tmp_path / "ws.duckdb")
    ws = Workspace(tmp_path / "ws.duckdb")
    yield ws, Surveys(ws), tmp_path
    ws.close()
