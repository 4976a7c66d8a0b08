"""Long analyses: past the server's wait an analysis answers 202 with a job, then its result."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

import cxlens
from cxlens.api import create_app
from cxlens.api.analysis_jobs import AnalysisJobs
from cxlens.api.state import ServedWorkspace
from tests.api.conftest import build_workspace, make_keys

API = "/api/v1/workspaces/acme"


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> tuple[Path, dict[str, str]]:
    path = tmp_path_factory.mktemp("jobs")
    build_workspace(path, "acme", 7, ["customers", "responses"])
    return path, make_keys(path)[0]


def _poll(client: TestClient, job: dict, headers: dict) -> object:
    for _ in range(600):
        r = client.get(job["poll"], headers=headers)
        if r.status_code != 202:
            return r
        time.sleep(0.1)
    raise AssertionError("the job did not finish in 60 s")


def test_past_the_wait_an_analysis_answers_a_job_then_its_result(folder):
    path, keys = folder
    headers = {"Authorization": f"Bearer {keys['acme_viewer']}"}
    with TestClient(create_app(path, analysis_wait=0)) as client:
        r = client.get(f"{API}/analyses/effort", headers=headers)
        assert r.status_code == 202, r.text
        job = r.json()
        assert job["status"] == "running" and job["analysis"] == "effort"
        done = _poll(client, job, headers)
        assert done.status_code == 200, done.text
        got = done.json()["result"]["parts"]["bands"]
        again = client.get(f"{API}/analyses/effort", headers=headers)  # now from the cache
        assert again.status_code == 200 and again.json()["cached"] is True
    with cxlens.Workspace(path / "acme.duckdb") as ws:
        bands = ws.analysis.effort().bands
    assert [r["n"] for r in got["rows"]] == bands["n"].tolist()


def test_a_failed_job_answers_the_analysis_error(folder):
    path, keys = folder
    headers = {"Authorization": f"Bearer {keys['acme_viewer']}"}
    with TestClient(create_app(path, analysis_wait=0)) as client:
        job = client.get(f"{API}/analyses/journey-dfg", headers=headers).json()
        r = _poll(client, job, headers)
    assert r.status_code == 422 and r.json()["error"] == "NotEnoughDataError"
    assert "events" in r.json()["detail"]


def test_an_unknown_job_or_one_above_the_keys_role_is_404(folder):
    path, keys = folder
    analyst = {"Authorization": f"Bearer {keys['acme_analyst']}"}
    viewer = {"Authorization": f"Bearer {keys['acme_viewer']}"}
    with TestClient(create_app(path, analysis_wait=0)) as client:
        assert client.get(f"{API}/analyses/jobs/{'0' * 32}", headers=viewer).status_code == 404
        job = client.get(f"{API}/analyses/churn-scores", headers=analyst).json()
        assert client.get(job["poll"], headers=viewer).status_code == 404
        _poll(client, job, analyst)


def test_the_same_request_joins_the_running_job(tmp_path):
    (tmp_path / "acme.duckdb").touch()
    served = ServedWorkspace("acme", tmp_path / "acme.duckdb")
    release = threading.Event()
    calls = []

    def slow(ws: object) -> int:
        calls.append(1)
        release.wait(10)
        return 42

    served.workspace = lambda: None  # the computation here needs no connection
    jobs = AnalysisJobs()
    first = jobs.submit(served, "x", ("k",), slow)
    second = jobs.submit(served, "x", ("k",), slow)
    assert second is first and first.status == "running"
    release.set()
    assert first.future.result(timeout=10) == (42, False) and len(calls) == 1
    assert jobs.submit(served, "x", ("k",), slow).future.result(timeout=10) == (42, True)
    jobs.close()
