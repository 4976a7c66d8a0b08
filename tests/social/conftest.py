"""Shared data of the social tests: a tiny hand-made Workspace and the seeded sample."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest

import cxlens
from cxlens.text import DefaultBackend
from tests.conftest import ENGINES, on_engine

TS = pd.Timestamp

#: Seven posts whose engagement, shares of voice and campaign figures are worked by hand in
#: the tests (engagement per post = likes + shares + comments).
POSTS = pd.DataFrame({
    "post_id": ["p1", "p2", "p3", "p4", "p5", "p6", "p7"],
    "platform": ["x", "x", "tiktok", "x", "tiktok", "x", "tiktok"],
    "brand": ["A", "A", "A", "B", "B", "B", "C"],
    "brand_role": ["own", "own", "own", "competitor", "competitor", "competitor", "competitor"],
    "author": ["@a", "@b", "@a", "@d", "@e", "@f", "@g"],
    "posted_at": [TS("2024-01-05 10:00"), TS("2024-01-20 11:00"), TS("2024-02-03 12:00"),
                  TS("2024-01-10 09:00"), TS("2024-02-14 08:00"), TS("2024-02-20 07:00"),
                  TS("2024-02-25 06:00")],
    "text": ["I love this, great service!", "Terrible support, awful.",
             "The store opens at nine.", "Absolutely fantastic, thank you!",
             "Worst experience ever, horrible.", "", "Great, really happy."],
    "likes": [10, 5, 20, 1, 8, 0, 4],
    "shares": [2, 0, 5, 0, 1, 0, 0],
    "comments": [3, 0, 5, 1, 1, 0, 0],
    "reach": [100, 200, 300, 50, None, 80, 40],
    "campaign_id": ["C1", None, "C1", None, None, None, "C9"],
})  # fmt: skip

CAMPAIGNS = pd.DataFrame({
    "campaign_id": ["C1", "C2", "C3"],
    "kind": ["influencer", "campaign", "influencer"],
    "name": ["Deal one", "Free push", "Undated deal"],
    "channel": ["x", "email", "tiktok"],
    "influencer": ["@a", None, "@z"],
    "cost": [1000.0, 0.0, 500.0],
    "start_at": [TS("2024-03-11"), TS("2024-05-01"), None],
    "end_at": [TS("2024-03-20"), TS("2024-05-10"), None],
    "tracking_code": ["T1", "T2", "T3"],
})  # fmt: skip

CUSTOMERS = pd.DataFrame({
    "customer_id": ["u1", "u2", "u3", "u4", "u5", "u6", "u7", "u8"],
    "first_seen": [TS("2024-03-12 09:00"), TS("2024-03-20 23:00"), TS("2024-03-15"),
                   TS("2024-03-05"), TS("2024-03-21 00:30"), TS("2024-05-02"),
                   TS("2024-05-03"), TS("2024-02-29")],
    "campaign_id": ["C1", "C1", None, None, None, "C2", "C9", None],
})  # fmt: skip

TRANSACTIONS = pd.DataFrame({
    "transaction_id": ["t1", "t2", "t3", "t4", "t5", "t6", "t7"],
    "customer_id": ["u1", "u1", "u1", "u2", "u6", "u7", "u3"],
    "occurred_at": [TS("2024-03-01"), TS("2024-03-13"), TS("2024-06-30"), TS("2024-03-21"),
                    TS("2024-05-05"), TS("2024-05-06"), TS("2024-03-16")],
    "amount": [50.0, 100.0, 40.0, 60.0, 30.0, 20.0, 999.0],
})  # fmt: skip

#: Extra columns to keep when ingesting (the canonical ones load without a mapping).
MAPPINGS = {"customers": {"table": "customers", "columns": {"campaign_id": "campaign_id"}}}


class EnglishRussian(DefaultBackend):
    """The default scorers for English and Russian only.

    The Chinese scorer trains on first use (8-17 CPU seconds); leaving it out keeps the
    sample tests quick. Chinese posts get status ``unsupported_language`` and no label.
    """

    name = "default-en-ru"

    def supports(self, language: str) -> bool:
        """Return True for English and Russian."""
        return language in ("en", "ru")


def ingest(ws: cxlens.Workspace, directory: Path, table: str, frame: pd.DataFrame) -> None:
    """Write ``frame`` as CSV and ingest it as ``table``; fail on any quarantined row."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{table}-{len(list(directory.iterdir()))}.csv"
    frame.to_csv(path, index=False, date_format="%Y-%m-%d %H:%M:%S")
    result = ws.ingest(path, table=table, mapping=MAPPINGS.get(table))
    assert result.rows_quarantined == 0, ws.quarantine()


def hand_workspace(directory: Path, **frames: pd.DataFrame) -> cxlens.Workspace:
    """A fresh DuckDB Workspace holding the given frames as canonical tables."""
    directory.mkdir(parents=True, exist_ok=True)
    ws = cxlens.Workspace(directory / "hand.duckdb")
    for table, frame in frames.items():
        ingest(ws, directory / "src", table, frame)
    return ws


@pytest.fixture(scope="session")
def hand_file(tmp_path_factory) -> Path:
    """The DuckDB file of the hand-made workspace, ingested once for the session.

    Four ingests cost about 0.6 CPU seconds; ``hand_ws`` copies the closed file instead.
    """
    directory = tmp_path_factory.mktemp("social-hand")
    ws = hand_workspace(directory, posts=POSTS, campaigns=CAMPAIGNS, customers=CUSTOMERS,
                        transactions=TRANSACTIONS)  # fmt: skip
    ws.close()
    return directory / "hand.duckdb"


@pytest.fixture(params=ENGINES)
def hand_ws(request, hand_file: Path, tmp_path: Path) -> cxlens.Workspace:
    """The hand-made posts, campaigns, customers and transactions, on each engine.

    Each test gets a private copy of ``hand_file`` (tests save tables into it).
    """
    shutil.copyfile(hand_file, tmp_path / "hand.duckdb")
    ws = cxlens.Workspace(tmp_path / "hand.duckdb")
    yield on_engine(request, ws)
    ws.close()


@pytest.fixture(scope="session")
def sample(tmp_path_factory):
    """The sample (10,000 customers, 24 months, seed 7) with posts, campaigns, customers
    (with ``campaign_id``) and transactions in a DuckDB Workspace."""
    from cxlens.sample import generate, write_sample

    data = generate(customers=10_000, months=24, seed=7)
    directory = tmp_path_factory.mktemp("social-sample")
    paths = write_sample(data, directory / "data")
    ws = cxlens.Workspace(directory / "sample.duckdb")
    for table in ("posts", "campaigns", "customers", "transactions"):
        result = ws.ingest(paths[table], table=table, mapping=MAPPINGS.get(table))
        assert result.rows_quarantined == 0
    yield ws, data
    ws.close()
