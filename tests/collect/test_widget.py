"""The widget's endpoints in process: the key scoped to one survey, CORS, the contact rules."""

from __future__ import annotations

from datetime import datetime

import pytest
from fastapi.testclient import TestClient

from cxlens.api import KeyStore, create_app
from cxlens.collect.tokens import sign_token
from cxlens.errors import ArgumentError
from cxlens.store.secrets import workspace_secret
from tests.collect.conftest import SURVEY

SHOP = "https://shop.example"
CES = {**SURVEY, "name": "checkout-ces", "kind": "ces", "channel": "widget", "delay": "0m",
       "languages": ["en", "ru", "zh"], "trigger": {"touchpoint": "checkout"},
       "origins": [SHOP], "contact": {"quiet_days": 30}}  # fmt: skip
OTHER = {**CES, "name": "other-ces", "origins": ["https://other.example"]}


@pytest.fixture
def shop(people):
    ws, surveys, tmp = people
    surveys.create(CES)
    surveys.create(OTHER)
    surveys.do_not_contact(["C9"])
    ws.close()
    keys = KeyStore(tmp)
    widget = keys.create(["ws"], "viewer", survey="checkout-ces")[1]
    other = keys.create(["ws"], "viewer", survey="other-ces")[1]
    app = create_app(tmp, warm_cache=False)
    with TestClient(app) as client:
        yield client, {"Authorization": f"Bearer {widget}", "Origin": SHOP}, other


def _show(client, headers, customer, event=None, survey="checkout-ces"):
    body = {"customer_id": customer} | ({"event_id": event} if event else {})
    return client.post(f"/api/v1/widget/ws/{survey}/show", json=body, headers=headers)


def test_the_widget_asks_answers_and_honours_the_contact_rules(shop):
    client, headers, _ = shop
    first = _show(client, headers, "C1")
    assert first.status_code == 200 and first.headers["access-control-allow-origin"] == SHOP
    q = first.json()
    assert q["show"] and q["scale"] == [1, 7] and q["language"] == "en"
    assert q["question"] == "Acme made it easy for me to handle my issue."
    again = _show(client, headers, "C1")  # the same page view (one per customer and day)
    assert again.json()["token"] == q["token"]
    later = _show(client, headers, "C1", event="second-visit")
    assert later.json() == {"show": False, "reason": "quiet period"}
    assert _show(client, headers, "C9").json() == {"show": False, "reason": "no consent"}
    assert _show(client, headers, "C2").json() == {"show": False, "reason": "no consent"}
    zh = _show(client, headers, "C3").json()
    assert zh["language"] == "zh" and zh["send"] == "提交"
    bad = client.post("/api/v1/widget/ws/checkout-ces/answer", headers=headers,
                      json={"token": q["token"], "score": 8})  # fmt: skip
    assert bad.status_code == 422 and "from 1 to 7, not 8" in bad.json()["detail"]
    ok = client.post("/api/v1/widget/ws/checkout-ces/answer", headers=headers,
                     json={"token": q["token"], "score": 6, "comment": "Smooth"})  # fmt: skip
    assert ok.status_code == 200 and ok.headers["access-control-allow-origin"] == SHOP
    twice = client.post("/api/v1/widget/ws/checkout-ces/answer", headers=headers,
                        json={"token": q["token"], "score": 2})  # fmt: skip
    assert twice.status_code == 409
    assert _show(client, headers, "C1").json() == {"show": False, "reason": "answered"}


def test_a_widget_key_answers_its_own_survey_only(shop):
    client, headers, other_key = shop
    token = _show(client, headers, "C1").json()["token"]
    theirs = {"Authorization": f"Bearer {other_key}", "Origin": "https://other.example"}
    # the other survey's key, on this survey's endpoint or with this survey's token
    refused = client.post("/api/v1/widget/ws/checkout-ces/answer", headers=theirs,
                          json={"token": token, "score": 5})  # fmt: skip
    assert refused.status_code == 403
    cross = client.post("/api/v1/widget/ws/other-ces/answer", headers=theirs,
                        json={"token": token, "score": 5})  # fmt: skip
    assert cross.status_code == 403 and "answers survey 'other-ces' only" in cross.json()["detail"]
    # nothing else of the workspace: the key sits in a public page
    assert client.get("/api/v1/workspaces/ws/surveys", headers=headers).status_code == 403
    assert client.get("/api/v1/workspaces", headers=headers).status_code == 403
    assert client.post("/api/v1/widget/ws/checkout-ces/show", json={"customer_id": "C1"},
                       headers={"Origin": SHOP}).status_code == 401  # fmt: skip


def test_cors_only_for_the_surveys_origins(shop):
    client, headers, _ = shop
    ask = {"Origin": SHOP, "Access-Control-Request-Method": "POST",
           "Access-Control-Request-Headers": "authorization, content-type"}  # fmt: skip
    ok = client.options("/api/v1/widget/ws/checkout-ces/answer", headers=ask)
    assert ok.status_code == 204 and ok.headers["access-control-allow-origin"] == SHOP
    assert "authorization" in ok.headers["access-control-allow-headers"]
    evil = client.options("/api/v1/widget/ws/checkout-ces/answer",
                          headers=ask | {"Origin": "https://evil.example"})  # fmt: skip
    assert evil.status_code == 403 and "access-control-allow-origin" not in evil.headers
    post = _show(client, headers | {"Origin": "https://evil.example"}, "C1")
    assert post.status_code == 403 and "access-control-allow-origin" not in post.headers
    script = client.get("/widget.js")
    assert script.status_code == 200 and "javascript" in script.headers["content-type"]
    assert "innerHTML" not in script.text and "http" not in script.text.split("*/", 1)[1]


def test_widget_keys_are_viewer_keys_of_one_workspace(tmp_path):
    with pytest.raises(ArgumentError, match="viewer key of one workspace"):
        KeyStore(tmp_path).create(["a", "b"], "viewer", survey="s")
    with pytest.raises(ArgumentError, match="viewer key of one workspace"):
        KeyStore(tmp_path).create(["a"], "admin", survey="s")


def test_origins_are_checked_in_the_definition(people):
    _, surveys, _ = people
    from cxlens.errors import MappingError

    with pytest.raises(MappingError, match="without a path"):
        surveys.create({**CES, "origins": ["https://shop.example/checkout"]})


def test_an_expired_link_answers_410_as_the_spec_says(shop):
    client, headers, _ = shop
    token = _show(client, headers, "C1").json()["token"]
    served = client.app.state.workspaces.get("ws")
    with served.lock:
        secret = workspace_secret(served.workspace())
    expired = sign_token(token.split(".")[0], datetime(2020, 1, 1), secret)
    late = client.post("/api/v1/widget/ws/checkout-ces/answer", headers=headers,
                       json={"token": expired, "score": 5})  # fmt: skip
    assert late.status_code == 410 and late.json()["error"] == "ExpiredLink"
    spec = client.get("/api/v1/openapi.json").json()
    documented = spec["paths"]["/api/v1/widget/{name}/{survey}/answer"]["post"]["responses"]
    assert "410" in documented
