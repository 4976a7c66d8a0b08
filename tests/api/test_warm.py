"""Precomputed answers: after warming, the common requests answer from the cache, correctly."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

import cxlens
from cxlens.api import create_app
from cxlens.api.state import ServedWorkspace
from cxlens.api.warm import BY, requests, warm
from tests.api.conftest import build_workspace, make_keys

API = "/api/v1/workspaces/acme"


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> tuple[Path, dict[str, str]]:
    path = tmp_path_factory.mktemp("warm")
    build_workspace(path, "acme", 7, ["customers", "responses"])
    return path, make_keys(path)[0]


def _warmed(client: TestClient, seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if not any(t.name.startswith("cxlens-warm-") for t in threading.enumerate()):
            return
        time.sleep(0.2)
    raise AssertionError("warming did not finish")


def test_the_plan_covers_the_metrics_and_columns_the_workspace_has(folder):
    path, _ = folder
    with cxlens.Workspace(path / "acme.duckdb") as ws:
        keys = [key for key, _ in requests(ws, "acme")]
        customers = [c for c in BY if c in ws.table("customers").columns]
        answers = [c for c in BY if c in ws.table("responses").columns]
        segments = sorted(ws.table("customers").segment.to_pandas().dropna().unique())
    assert keys[0] == ("overview", (), None, None)
    assert customers == ["segment", "region", "plan"] and answers == ["touchpoint", "channel"]
    # nps, csat, ces: 3 grains x (overall + each column of answers and customers);
    # churn counts customers: 2 grains x (overall + each customer column); the overview;
    # all of it for all customers and within each segment
    assert 2 <= len(segments) <= 12
    assert len(keys) == (1 + len(segments)) * (1 + 3 * 3 * (1 + 5) + 2 * (1 + 3))
    filtered = {key[4] for key in keys if key[0] == "metric"}
    assert filtered == {(), *((f"segment={s}",) for s in segments)}
    assert len(set(keys)) == len(keys)


@pytest.mark.slow  # a live server warming every answer; the plan test stays fast
def test_warmed_requests_answer_from_the_cache_with_the_computed_figures(folder):
    path, keys = folder
    headers = {"Authorization": f"Bearer {keys['acme_viewer']}"}
    with TestClient(create_app(path)) as client:
        _warmed(client)
        r = client.get(f"{API}/metrics/nps", params={"by": "segment", "every": "quarter"},
                       headers=headers)  # fmt: skip
        overview = client.get(f"{API}/overview", headers=headers)
        filtered = client.get(f"{API}/metrics/csat", params={"filter": "segment=consumer",
                              "every": "month"}, headers=headers)  # fmt: skip
        other = client.get(f"{API}/metrics/nps", params={"min_n": 10}, headers=headers)
    assert r.status_code == 200 and r.json()["cached"] is True
    assert overview.json()["cached"] is True
    assert filtered.json()["cached"] is True  # within one segment: precomputed too
    assert other.json()["cached"] is False  # not in the plan: computed on request
    with cxlens.Workspace(path / "acme.duckdb") as ws:
        want = ws.metrics.nps(by=["segment"], every="quarter")
    rows = r.json()["rows"]
    assert [row["n"] for row in rows] == want["n"].tolist()
    assert [row["value"] for row in rows] == pytest.approx(want["value"].tolist())


def test_warming_stops_when_the_data_changes(folder):
    path, _ = folder
    served = ServedWorkspace("acme", path / "acme.duckdb")
    original = served.read

    def read_then_change(key, compute):
        served.version += 1  # a load finished meanwhile
        return original(key, compute)

    served.read = read_then_change
    assert warm(served) == 1
    served.close()
