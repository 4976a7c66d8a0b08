"""Workspaces for the target-list tests: the sample with identities, and a tiny hand-made one."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

import cxlens


def ingest_frames(ws: cxlens.Workspace, directory: Path, **frames: pd.DataFrame) -> None:
    """Write each frame as CSV and ingest it as the table of its name."""
    directory.mkdir(parents=True, exist_ok=True)
    for table, frame in frames.items():
        path = directory / f"{table}.csv"
        frame.to_csv(path, index=False)
        ws.ingest(path, table=table)


@pytest.fixture(scope="session")
def sample(tmp_path_factory):
    """The cxlens sample (800 customers, 24 months) with identities, and its tables."""
    from cxlens.sample import generate, write_sample

    directory = tmp_path_factory.mktemp("actions-sample")
    data = generate(customers=800, months=24, seed=3)
    paths = write_sample(data, directory / "data")
    ws = cxlens.Workspace(directory / "sample.duckdb")
    for table in ("customers", "responses", "transactions", "events", "identities"):
        ws.ingest(paths[table], table=table)
    yield ws, data
    ws.close()


#: Hand-made identities: C1 has a CRM and a web record; C2 only a CRM record without e-mail
#: or phone plus a web record with an e-mail; C3 a Chinese name without a space; C4 a CRM
#: record with neither e-mail nor phone; C5 no identity at all; C6 a "Last, First" name.
IDENTITIES = pd.DataFrame(
    {
        "source": ["crm", "web", "crm", "web", "crm", "crm", "crm", "support"],
        "source_id": ["CRM-1", "W1", "CRM-2", "W2", "CRM-3", "CRM-4", "CRM-6", "SUP-9"],
        "customer_id": ["C1", "C1", "C2", "C2", "C3", "C4", "C6", None],
        "email": ["anna.ivanova@example.ru", "anna@web.example", None, "boris@web.example",
                  "wang.wei@example.cn", None, "o.brien@example.ie", "c5@example.com"],
        "phone": ["+79161234567", None, None, None, "+8613812345678", None, "+353861234567",
                  None],
        "name": ["Анна Иванова", "anna i", "Борис Петров", "Boris Petrov", "王伟", "Nobody Here",
                 "O'Brien, Siobhán", "Someone Else"],
        "country": ["Russia", None, "Russia", None, "China", "UK", "Ireland", None],
    }
)  # fmt: skip

#: Responses: C1 answered 3 then 9 (not a detractor now), C2 9 then 2 (a detractor), C3 1
#: (a detractor, with PII and a formula in the comment), C4 5, C5 4, C6 0 but before the window.
RESPONSES = pd.DataFrame(
    {
        "response_id": ["r1", "r2", "r3", "r4", "r5", "r6", "r7", "r8"],
        "customer_id": ["C1", "C1", "C2", "C2", "C3", "C4", "C5", "C6"],
        "responded_at": ["2025-06-02", "2025-06-20", "2025-06-03", "2025-06-25", "2025-06-28",
                         "2025-06-15", "2025-06-10", "2025-05-01"],
        "nps": [3, 9, 9, 2, 1, 5, 4, 0],
        "touchpoint": ["billing", "billing", "support", "billing", "app", "app", "support",
                       "app"],
        "comment": ["slow", "better", "fine", "Charged twice! Call me on +7 916 123-45-67",
                    "=HYPERLINK(\"http://x\") 服务很差", "meh", None, "awful"],
    }
)  # fmt: skip
CUSTOMERS = pd.DataFrame(
    {"customer_id": ["C1", "C2", "C3", "C4", "C5", "C6"], "first_seen": "2024-01-01"}
)


@pytest.fixture(scope="session")
def hand_ws(tmp_path_factory):
    directory = tmp_path_factory.mktemp("actions-hand")
    ws = cxlens.Workspace(directory / "hand.duckdb")
    ingest_frames(ws, directory / "data", customers=CUSTOMERS, identities=IDENTITIES,
                  responses=RESPONSES)  # fmt: skip
    yield ws
    ws.close()
