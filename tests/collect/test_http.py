"""The survey page and the survey API, in process (FastAPI's TestClient over the real app).

Every refusal is checked to store nothing: the rows of ``responses``, the load log and the
quarantine are compared before and after.
"""

from __future__ import annotations

import html
import re
import threading
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient

from cxlens import Workspace
from cxlens.api import KeyStore, create_app
from cxlens.collect.tokens import sign_token
from cxlens.store.secrets import workspace_secret
from tests.collect.conftest import SURVEY, load

NPS = {**SURVEY, "name": "delivery-nps", "kind": "nps", "channel": "link", "delay": "0m",
       "languages": ["en", "ru", "zh"], "trigger": {"touchpoint": "delivered"},
       "contact": {"quiet_days": 0},
       "drivers": [{"name": "speed",
                    "question": {"en": "How quick was the delivery?"}}]}  # fmt: skip


def _ago(hours: float) -> str:
    return (datetime.now(UTC) - timedelta(hours=hours)).strftime("%Y-%m-%d %H:%M:%S")


@pytest.fixture
def site(people):
    """The served folder with workspace ``ws``: links for C1 (en), C2b (ru), C3 (zh)."""
    ws, surveys, tmp = people
    load(ws, tmp, "customers", [{"customer_id": "C7", "timezone": "Europe/Moscow",
                                 "language": "ru-RU", "survey_consent": "yes"}])  # fmt: skip
    surveys.create(NPS)
    load(ws, tmp, "events", [{"event_id": f"D{c}", "customer_id": c, "occurred_at": _ago(2),
                              "touchpoint": "delivered"} for c in ("C1", "C3", "C7")])  # fmt: skip
    made = surveys.trigger()
    assert set(made.decision) == {"invited"}
    tokens = {r.customer_id: surveys.token(r.invitation_id) for r in made.itertuples()}
    ids = dict(zip(made.customer_id, made.invitation_id, strict=True))
    secret = workspace_secret(ws)
    ws.close()
    keys = KeyStore(tmp)
    analyst = keys.create(["ws"], "analyst")[1]
    viewer = keys.create(["ws"], "viewer")[1]
    app = create_app(tmp, warm_cache=False)
    with TestClient(app) as client:
        yield {"client": client, "tokens": tokens, "ids": ids, "secret": secret, "app": app,
               "analyst": {"Authorization": f"Bearer {analyst}"},
               "viewer": {"Authorization": f"Bearer {viewer}"},
               "path": tmp / "ws.duckdb"}  # fmt: skip


def _state(site) -> tuple:
    """Rows of responses (id, nps, comment), loads and quarantine rows, read by the server."""
    served = site["app"].state.workspaces.get("ws")
    with served.lock:
        ws = served.workspace()
        rows = []
        if ws.has_table("responses"):
            t = ws.table("responses").execute().sort_values("response_id")
            rows = [
                (r.response_id, r.nps, None if r.comment != r.comment else r.comment)
                for r in t.itertuples()
            ]  # NaN -> None
        return rows, len(ws.loads()), len(ws.quarantine())


def test_the_page_is_small_accessible_and_in_the_customers_language(site):
    c = site["client"]
    ru = c.get(f"/s/{site['tokens']['C7']}")
    assert ru.status_code == 200 and ru.headers["content-type"].startswith("text/html")
    text = ru.text
    assert '<html lang="ru">' in text  # ru-RU is offered as ru
    assert "Насколько вероятно, что вы порекомендуете Acme другу или коллеге?" in text
    assert text.count('name="score"') == 11 and "<legend>" in text and 'name="viewport"' in text
    assert "<script" not in text and "http://" not in text and "https://" not in text
    assert len(ru.content) < 8_000  # small: one round trip, no other file
    zh = c.get(f"/s/{site['tokens']['C3']}").text
    assert '<html lang="zh">' in zh and "您有多大可能向朋友或同事推荐Acme？" in zh
    assert "How quick was the delivery?" in zh  # a driver without a zh text: the first language


def test_one_tap_records_the_score_then_the_follow_up_once(site):
    c, token = site["client"], site["tokens"]["C1"]
    rid = f"inv-{site['ids']['C1']}"
    tap = c.get(f"/s/{token}?score=9")
    assert tap.status_code == 200 and "Your score: 9" in tap.text and 'name="comment"' in tap.text
    assert _state(site)[0] == [(rid, 9, None)]
    again = c.get(f"/s/{token}?score=9")  # a reload: the same page, nothing new
    assert again.status_code == 200 and _state(site)[0] == [(rid, 9, None)]
    before = _state(site)
    other = c.get(f"/s/{token}?score=3")
    assert other.status_code == 409 and "answered already" in other.text
    assert _state(site) == before
    done = c.post(f"/s/{token}", data={"comment": "  The courier was early  "})
    assert done.status_code == 200 and "Thank you! Your answer is recorded." in done.text
    assert _state(site)[0] == [(rid, 9, "The courier was early")]
    late = c.post(f"/s/{token}", data={"comment": "changed my mind"})
    assert late.status_code == 409 and _state(site)[0] == [(rid, 9, "The courier was early")]


def test_a_json_answer_with_drivers_and_a_second_submit(site):
    c, token = site["client"], site["tokens"]["C3"]
    first = c.post(f"/s/{token}", json={"score": 10, "comment": "很好", "drivers": {"speed": 8}})
    assert first.status_code == 201 and first.json() == {"response_id": f"inv-{site['ids']['C3']}"}
    before = _state(site)
    second = c.post(f"/s/{token}", json={"score": 2})
    assert second.status_code == 409 and second.json()["error"] == "AnsweredLink"
    assert _state(site) == before
    with Workspace(site["path"]) as ws:
        site["app"].state.workspaces.close()
        row = ws.table("responses").execute().iloc[0]
        assert (row.nps, row.comment, row.driver_speed, row.language) == (10, "很好", 8, "zh")


def test_a_form_post_of_the_page(site):
    c, token = site["client"], site["tokens"]["C7"]
    page = c.post(f"/s/{token}", data={"score": "6", "driver_speed": "", "comment": "Медленно"})
    assert page.status_code == 200 and "Спасибо! Ваш ответ записан." in page.text
    assert _state(site)[0] == [(f"inv-{site['ids']['C7']}", 6, "Медленно")]


@pytest.mark.parametrize(
    ("send", "status", "says"),
    [
        ({"json": {"score": 11}}, 422, "whole number from 0 to 10, not 11"),
        ({"json": {"score": 9, "comment": "x" * 5001}}, 422, "5,001 characters"),
        ({"json": {"score": 9, "drivers": {"price": 3}}}, 422, "no driver question 'price'"),
        ({"json": {"score": 9, "mood": "ok"}}, 422, "unknown field(s) ['mood']"),
        ({"data": {"score": "9", "hack": "1"}}, 422, "unknown form field 'hack'"),
        ({"data": {"score": "9", "comment": "x" * 40_000}}, 413, "at most 32,768"),
        ({"json": [9]}, 422, "send a JSON object"),
    ],
)
def test_bad_answers_are_refused_and_store_nothing(site, send, status, says):
    before = _state(site)
    got = site["client"].post(f"/s/{site['tokens']['C1']}", **send)
    assert got.status_code == status, got.text
    assert says in html.unescape(got.text)
    assert _state(site) == before


def test_forged_expired_and_foreign_links(site):
    c, inv = site["client"], site["ids"]["C1"]
    before = _state(site)
    good = site["tokens"]["C1"]
    forged = good[:-1] + ("0" if good[-1] != "0" else "1")
    assert c.get(f"/s/{forged}").status_code == 404
    assert c.post(f"/s/{forged}", json={"score": 9}).json()["error"] == "InvalidLink"
    other = sign_token(inv, datetime(2031, 1, 1), b"another workspace's secret, 32b.")
    assert c.get(f"/s/{other}?score=9").status_code == 404
    expired = sign_token(inv, datetime(2020, 1, 1), site["secret"])
    page = c.get(f"/s/{expired}?score=9")
    assert page.status_code == 410 and "This survey link has expired." in page.text
    assert c.post(f"/s/{expired}", json={"score": 9}).status_code == 410
    assert c.get("/s/..%2F..%2Fetc").status_code in (404, 422)
    assert _state(site) == before


def test_answers_arriving_together_are_one_load_each_stored_once(site):
    c, tokens = site["client"], site["tokens"]
    codes: list[int] = []

    def answer(customer: str) -> None:
        codes.append(c.post(f"/s/{tokens[customer]}", json={"score": 7}).status_code)

    loads_before = _state(site)[1]
    threads = [threading.Thread(target=answer, args=(k,)) for k in ("C1", "C3", "C7") * 4]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(codes) == [201] * 3 + [409] * 9  # each link once, whoever came first
    rows, loads, quarantined = _state(site)
    assert len(rows) == 3 and {r[1] for r in rows} == {7} and quarantined == 0
    assert 1 <= loads - loads_before <= 3


def test_events_trigger_invitations_through_the_api(site):
    c = site["client"]
    events = [{"event_id": f"API{i}", "customer_id": "C1", "occurred_at": _ago(1),
               "touchpoint": "delivered", "channel": "web"} for i in range(3)]  # fmt: skip
    refused = c.post("/api/v1/workspaces/ws/events", json={"events": events},
                     headers=site["viewer"])  # fmt: skip
    assert refused.status_code == 403
    bad = [*events, {"event_id": "X", "customer_id": "C1", "touchpoint": "delivered",
                     "occurred_at": "yesterday-ish"}]  # fmt: skip
    got = c.post("/api/v1/workspaces/ws/events", json={"events": bad}, headers=site["analyst"])
    assert got.status_code == 422 and "occurred_at of event 3, 'yesterday-ish', is not a time" in (
        got.json()["detail"])  # fmt: skip
    loads = _state(site)[1]
    ok = c.post("/api/v1/workspaces/ws/events", json={"events": events}, headers=site["analyst"])
    assert ok.status_code == 200, ok.text
    body = ok.json()
    assert body["load"]["rows_loaded"] == 3 and body["load"]["status"] == "loaded"
    assert body["decisions"] == [{"survey": "delivery-nps", "decision": "invited", "n": 3}]
    assert _state(site)[1] == loads + 1
    again = c.post("/api/v1/workspaces/ws/events", json={"events": events},
                   headers=site["analyst"]).json()  # fmt: skip
    assert again["load"]["status"] == "already loaded" and again["decisions"] == []
    assert c.post("/api/v1/workspaces/ws/events", json={"events": events}).status_code == 401


def test_surveys_are_created_and_read_through_the_api(site):
    c, h = site["client"], site["analyst"]
    spec = {**NPS, "name": "support-ces", "kind": "ces", "trigger": {"touchpoint": "solved"}}
    made = c.post("/api/v1/workspaces/ws/surveys", json=spec, headers=h)
    assert made.status_code == 200 and made.json()["kind"] == "ces"
    dup = c.post("/api/v1/workspaces/ws/surveys", json=spec, headers=h)
    assert dup.status_code == 422 and "replace" in dup.json()["detail"]
    wrong = c.post("/api/v1/workspaces/ws/surveys", json={**spec, "kind": "nsp"}, headers=h)
    assert wrong.status_code == 422 and "kind" in wrong.json()["detail"]
    listed = c.get("/api/v1/workspaces/ws/surveys", headers=site["viewer"]).json()["surveys"]
    assert [s["name"] for s in listed] == ["delivery-nps", "support-ces"]
    one = c.get("/api/v1/workspaces/ws/surveys/support-ces", headers=site["viewer"]).json()
    assert one["trigger"] == {"touchpoint": "solved"}
    assert c.post("/api/v1/workspaces/ws/surveys", json=spec,
                  headers=site["viewer"]).status_code == 403  # fmt: skip


def test_the_page_has_no_secrets_of_other_customers(site):
    text = site["client"].get(f"/s/{site['tokens']['C1']}").text
    assert not re.search(r"C[0-9]", text) and "@" not in text


def test_survey_stats_through_the_api(site):
    c = site["client"]
    c.post(f"/s/{site['tokens']['C1']}", json={"score": 9})
    got = c.get("/api/v1/workspaces/ws/survey-stats", headers=site["viewer"])
    assert got.status_code == 200, got.text
    body = got.json()
    rates = body["response_rates"][0]
    assert (rates["survey"], rates["invited"], rates["answered"]) == ("delivery-nps", 3, 1)
    assert rates["response_rate"] == pytest.approx(1 / 3)
    assert body["timing"][0]["answered"] == 1
    assert body["timing"][0]["median_hours"] == pytest.approx(2, abs=0.1)  # event 2 h ago
    assert body["per_customer"][0] == {"survey": "*", "invitations": 1, "customers": 3,
                                       "share": 1.0}  # fmt: skip
    assert body["nonresponse"] == []  # the other two links are still open
    assert c.get("/api/v1/workspaces/ws/survey-stats?by=colour",
                 headers=site["viewer"]).status_code == 422  # fmt: skip
