"""A real ``cxlens serve`` process over one sample workspace with a KPI, for the dashboard.

``board`` (session scope) builds ``acme`` (customers, responses, transactions of
``cxlens.sample`` with 1,000 customers over 12 months, and an NPS KPI), creates keys,
starts the server on a free port (the same helpers as tests/api) and stops it at the end.
The sample frames are kept so tests can compute expected answers independently.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import httpx
import pandas as pd
import pytest

import cxlens
from cxlens.api import KeyStore
from cxlens.sample import generate, write_sample
from tests.api.conftest import free_port, start_server, stop_server, wait_ready

#: The KPI the workspace holds: NPS target 30, at risk within 5 points.
KPI = {"name": "Company NPS", "metric": "nps", "target": 30.0, "warning_band": 5.0}


@dataclass
class Board:
    """A running server and what the tests need to check its answers."""

    url: str
    folder: Path
    keys: dict[str, str]
    tables: dict[str, pd.DataFrame]
    paths: dict[str, Path]

    def client(self, key: str | None = "viewer") -> httpx.Client:
        """Return a client sending key ``key`` (a name in ``keys``), or none."""
        headers = {} if key is None else {"Authorization": f"Bearer {self.keys[key]}"}
        return httpx.Client(base_url=self.url, headers=headers, timeout=60)

    def get(self, path: str, params: list[tuple[str, str]] | None = None) -> dict:
        """Return the JSON of ``GET /api/v1{path}`` with the viewer key (must be 200)."""
        with self.client() as c:
            r = c.get(f"/api/v1{path}", params=params or [])
        assert r.status_code == 200, r.text
        return r.json()


def build(folder: Path) -> tuple[dict[str, pd.DataFrame], dict[str, Path]]:
    data = generate(customers=1000, months=12, seed=7)
    paths = write_sample(data, folder / "_sample")
    tables = ["customers", "responses", "transactions"]
    with cxlens.Workspace(folder / "acme.duckdb") as ws:
        for table in tables:
            ws.ingest(paths[table], table=table)
        ws.kpis.define(KPI["name"], KPI["metric"], KPI["target"],
                       warning_band=KPI["warning_band"])  # fmt: skip
    # a second workspace the viewer key may not see
    with cxlens.Workspace(folder / "globex.duckdb") as ws:
        ws.ingest(paths["customers"], table="customers")
    return {t: data.tables[t] for t in tables}, {t: paths[t] for t in tables}


@pytest.fixture(scope="session")
def board(tmp_path_factory: pytest.TempPathFactory) -> Board:
    """The session's dashboard server (read-only: no test changes the workspace)."""
    folder = tmp_path_factory.mktemp("dashboard")
    tables, paths = build(folder)
    store = KeyStore(folder)
    keys = {
        "viewer": store.create(["acme"], "viewer", name="dashboard viewer")[1],
        "globex": store.create(["globex"], "viewer", name="other client")[1],
    }
    port = free_port()
    process = start_server(folder, port)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_ready(url, process, folder)
        yield Board(url, folder, keys, tables, paths)
    finally:
        stop_server(process)
