"""Answers under warm caching: a burst re-warms once, after it settles, with the new answers."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient

from cxlens import Workspace
from cxlens.api import KeyStore, create_app
from cxlens.api import warm as warm_module
from cxlens.api.state import ServedWorkspace
from cxlens.collect import Surveys
from tests.collect.conftest import load

SURVEY = {"name": "visit-nps", "kind": "nps", "company": "Acme", "languages": ["en"],
          "trigger": {"touchpoint": "visit"}, "channel": "link", "delay": "0m",
          "expiry": "7d", "contact": {"quiet_days": 0}}  # fmt: skip
#: 50 scores: 20 promoters (9-10), 20 passives (7-8), 10 detractors (0-6).
SCORES = [10, 9] * 10 + [8, 7] * 10 + [0, 3, 5, 6, 6] * 2


def _idle(seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while any(t.name.startswith("cxlens-warm-") for t in threading.enumerate()):
        assert time.monotonic() < deadline, "warming did not finish"
        time.sleep(0.1)


def test_a_burst_of_50_answers_rewarms_once_and_the_dashboard_shows_them(tmp_path, monkeypatch):
    ws = Workspace(tmp_path / "ws.duckdb")
    people = [f"C{i:02d}" for i in range(len(SCORES))]
    load(ws, tmp_path, "customers", [{"customer_id": c, "timezone": "Europe/London",
                                      "language": "en", "survey_consent": "yes"}
                                     for c in people])  # fmt: skip
    surveys = Surveys(ws)
    surveys.create(SURVEY)
    at = (datetime.now(UTC) - timedelta(hours=2)).strftime("%Y-%m-%d %H:%M:%S")
    load(ws, tmp_path, "events", [{"event_id": f"E{c}", "customer_id": c, "occurred_at": at,
                                   "touchpoint": "visit"} for c in people])  # fmt: skip
    made = surveys.trigger()
    assert list(made.decision) == ["invited"] * len(people)
    tokens = [surveys.token(i) for i in made.sort_values("customer_id").invitation_id]
    ws.close()
    viewer = {"Authorization": f"Bearer {KeyStore(tmp_path).create(['ws'], 'viewer')[1]}"}

    warms: list[int] = []
    real_warm = warm_module.warm

    def counted(served):
        warms.append(served.version)
        return real_warm(served)

    monkeypatch.setattr(warm_module, "warm", counted)
    with TestClient(create_app(tmp_path)) as client:
        _idle()
        assert len(warms) == 1  # served for the first time: warmed at once
        outcomes: list[int] = []

        def answer(part: list[int]) -> None:
            for i in part:
                r = client.post(f"/s/{tokens[i]}", json={"score": SCORES[i]})
                outcomes.append(r.status_code)

        threads = [threading.Thread(target=answer, args=(list(range(k, 50, 10)),))
                   for k in range(10)]  # fmt: skip
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert outcomes == [201] * 50
        version = client.get("/api/v1/workspaces/ws", headers=viewer).json()["version"]
        assert version > 1  # the answers were written in more than one batch
        _idle()
        assert warms == [0, version]  # one re-warm, of the last version
        info = client.get("/api/v1/workspaces/ws", headers=viewer).json()
        nps = client.get("/api/v1/workspaces/ws/metrics/nps", headers=viewer).json()
    assert info["warmed"] is True and info["version"] == version
    assert nps["cached"] is True  # precomputed by the re-warm
    (row,) = nps["rows"]
    # by hand: (20 promoters - 10 detractors) / 50 answers = +20
    assert row["n"] == 50 and row["value"] == 20.0


def test_a_warm_still_waiting_when_the_server_stops_never_runs(tmp_path, monkeypatch):
    warms: list[str] = []
    monkeypatch.setattr(warm_module, "warm", lambda served: warms.append(served.name))
    warmer = warm_module.Warmer(settle=0.3)
    served = ServedWorkspace("ws", tmp_path / "ws.duckdb")
    served.version = 1  # changed: waits for the changes to settle
    warmer(served)
    warmer.close()
    time.sleep(0.8)
    warmer(served)  # a change after closing is ignored too
    _idle()
    assert warms == [] and warmer.runs == {}
