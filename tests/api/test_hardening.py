"""Hostile input to the live server: every one refused with 422 and the documented body.

The three requests that answered 500 in the adversarial run (a NUL in ``filter``,
``as_of=0000-00-00`` on KPIs and alerts, ``survival?by=``) and their neighbours; a 500
that carries an error id and keeps its SQL in the server's log; upload errors that do not
name the server's temporary folder.
"""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from cxlens.api import create_app
from cxlens.api.errors import scrub
from cxlens.errors import EngineError

API = "/api/v1/workspaces/acme"

HOSTILE = [
    (f"{API}/metrics/nps", {"filter": "segment=a\x00b"}, "control character U+0000"),
    (f"{API}/metrics/nps", {"by": "seg\nment"}, "control character U+000A"),
    (f"{API}/overview", {"filter": "segment=\x1bx"}, "control character U+001B"),
    (f"{API}/analyses/kpis", {"as_of": "0000-00-00"}, "as_of"),
    (f"{API}/analyses/alerts", {"as_of": "0000-00-00"}, "as_of"),
    (f"{API}/analyses/kpis", {"as_of": "2025-02-30"}, "as_of"),
    (f"{API}/analyses/survival", {"by": ""}, "must be a column name"),
    (f"{API}/metrics/nps", {"by": ""}, "must be a column name"),
    (f"{API}/metrics/nps", {"since": "2025-13-01"}, "since"),
    (f"{API}/metrics/nps", {"since": ""}, "since"),
    (f"{API}/metrics/nps", {"filter": "segment="}, "must look like column=value"),
    (f"{API}/analyses/journey-funnel", {"stages": ""}, "stages"),
    ("/api/v1/norms", {"metric": "nps", "value": "nan"}, "value"),
]


@pytest.mark.parametrize(("path", "params", "message"), HOSTILE)
def test_hostile_input_is_refused_with_the_documented_body(served, path, params, message):
    with served.client("acme_viewer") as c:
        r = c.get(path, params=params)
    assert r.status_code == 422, r.text
    body = r.json()
    assert set(body) <= {"detail", "error", "errors"}
    assert isinstance(body["detail"], str) and message in body["detail"]
    assert body["error"] == "RequestValidationError"
    assert all(set(item) == {"loc", "msg", "type"} for item in body["errors"])
    assert "SELECT" not in r.text and "/tmp" not in r.text


def test_the_valid_neighbours_are_answered(served):
    with served.client("acme_viewer") as c:
        kpis = c.get(f"{API}/analyses/kpis", params={"as_of": "2024-12-31"})
        nps = c.get(f"{API}/metrics/nps", params={"since": "2024-06-01", "until": "2024-06-30"})
    assert kpis.status_code == 200 and nps.status_code == 200
    responses = served.tables["acme"]["responses"]
    when = responses["responded_at"].astype("datetime64[ns]")
    june = responses[(when >= "2024-06-01") & (when < "2024-07-01")]["nps"].dropna()
    assert nps.json()["rows"][0]["n"] == len(june)


@pytest.fixture
def app_client(tmp_path: Path) -> TestClient:
    app = create_app(tmp_path)

    def boom() -> None:
        raise EngineError("the duckdb engine failed: syntax", "SELECT secret FROM t")

    def crash() -> None:
        raise RuntimeError(f"cannot open {tmp_path}/acme.duckdb")

    app.add_api_route("/boom", boom)
    app.add_api_route("/crash", crash)
    return TestClient(app, raise_server_exceptions=False)


def test_a_server_error_names_an_id_and_logs_the_sql_under_it(app_client, caplog):
    with caplog.at_level(logging.ERROR, logger="cxlens.api"):
        r = app_client.get("/boom")
    assert r.status_code == 500
    body = r.json()
    assert set(body) == {"detail", "error", "error_id"} and body["error"] == "ServerError"
    assert "SELECT" not in r.text and "secret" not in r.text
    logged = "\n".join(rec.getMessage() for rec in caplog.records)
    assert f"error_id={body['error_id']}" in logged and "SELECT secret FROM t" in logged


def test_an_unexpected_error_is_a_500_without_its_message(app_client, tmp_path):
    r = app_client.get("/crash")
    assert r.status_code == 500 and str(tmp_path) not in r.text and "acme.duckdb" not in r.text
    assert len(r.json()["error_id"]) == 16


def test_scrub_keeps_only_file_names(tmp_path):
    served = tmp_path / "served"
    text = f"{served}/acme.duckdb is locked; /tmp/cxlens-upload-x1/s.csv: empty"
    assert scrub(text, [served]) == "acme.duckdb is locked; s.csv: empty"


@pytest.mark.parametrize(
    ("filename", "body", "extra"),
    [
        ("h.csv", b"response_id,responded_at,nps\n", {}),
        ("m.csv", b"a,b\n1,2\n", {"map": "Nope=nps"}),
    ],
)
def test_upload_errors_do_not_name_the_servers_folders(served, filename, body, extra):
    params = {"table": "responses", "filename": filename, "wait": "true", **extra}
    with served.client("acme_analyst") as c:
        r = c.post(f"{API}/uploads", params=params, content=body)
    assert r.status_code == 422
    detail = r.json()["detail"]
    assert filename in detail and "cxlens-upload" not in detail and "/tmp" not in detail


def test_a_load_that_fails_on_the_servers_side_is_a_500_with_an_id(tmp_path, monkeypatch, caplog):
    import cxlens
    from tests.api.conftest import make_keys

    cxlens.Workspace(tmp_path / "acme.duckdb").close()
    token = make_keys(tmp_path)[0]["acme_analyst"]

    def broken(self, *args, **kwargs):
        raise RuntimeError(f"disk error in {tmp_path}/acme.duckdb.wal")

    monkeypatch.setattr(cxlens.Workspace, "ingest", broken)
    client = TestClient(create_app(tmp_path, warm_cache=False), raise_server_exceptions=False)
    params = {"table": "responses", "filename": "s.csv", "wait": "true"}
    with caplog.at_level(logging.ERROR, logger="cxlens.api"):
        r = client.post(f"{API}/uploads", params=params, content=b"a,b\n1,2\n",
                        headers={"Authorization": f"Bearer {token}"})  # fmt: skip
    assert r.status_code == 500 and r.json()["error"] == "ServerError"
    assert str(tmp_path) not in r.text and "disk error" not in r.text
    assert f"error_id={r.json()['error_id']}" in caplog.text and "disk error" in caplog.text
