"""End to end: a real ``cxlens serve``, a real SMTP server, Debian's chromium, ws.metrics.nps().

An event sent to the API triggers an NPS survey; the server's scheduler e-mails the
invitation to a local SMTP server (tests/actions/receivers.py); chromium, at a phone's width,
opens the one-tap link for 9 from the captured e-mail, answers the follow-up question and
sends it; after the server stops, ``ws.metrics.nps()`` counts the answer. The widget runs
in a page served from another origin (a second tiny http.server): answered from the origin
the survey declares, blocked by the browser's CORS check from one it does not.
"""

from __future__ import annotations

import functools
import os
import re
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest

from cxlens import Workspace
from cxlens.api import KeyStore
from tests.actions.receivers import SmtpReceiver
from tests.api.conftest import free_port, stop_server, wait_ready
from tests.collect.conftest import load
from tests.dashboard.signin import sign_in

CHROMIUM = Path("/usr/bin/chromium")
SERVE = (
    "import sys, cxlens.cli.serve; from cxlens.cli import app; "
    "sys.argv = ['cxlens', *sys.argv[1:]]; app()"
)
NPS = {"name": "delivery-nps", "kind": "nps", "company": "Acme", "languages": ["en", "ru"],
       "trigger": {"touchpoint": "delivered"}, "channel": "email", "delay": "0m",
       "expiry": "7d"}  # fmt: skip

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not CHROMIUM.exists(), reason="needs Debian's chromium at /usr/bin/chromium"
    ),
]
sync_api = pytest.importorskip("playwright.sync_api", reason="needs the playwright package")


def _serve(folder: Path, port: int, smtp_port: int | None = None) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CXLENS_SMTP_")}
    if smtp_port is not None:
        env |= {"CXLENS_SMTP_HOST": "127.0.0.1", "CXLENS_SMTP_PORT": str(smtp_port),
                "CXLENS_SMTP_FROM": "cx@acme.example"}  # fmt: skip
    cmd = [sys.executable, "-c", SERVE, "serve", "--workspaces", str(folder), "--port", str(port),
           "--no-warm", "--log-level", "warning", "--surveys-every", "1"]  # fmt: skip
    log = (folder / "server.log").open("wb")
    return subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, env=env)


def _wait_for(condition, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("timed out")
        time.sleep(0.2)


def test_email_link_answered_in_chromium_lands_in_nps(tmp_path):
    with Workspace(tmp_path / "acme.duckdb") as ws:
        load(ws, tmp_path, "customers", [{"customer_id": "C1", "timezone": "Europe/Moscow",
                                          "language": "ru", "survey_consent": "yes"}])  # fmt: skip
        load(
            ws,
            tmp_path,
            "identities",
            [{"source": "crm", "source_id": "1", "customer_id": "C1", "email": "c1@example.ru"}],
        )
        ws.surveys.create(NPS)
    key = KeyStore(tmp_path).create(["acme"], "analyst")[1]
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    with SmtpReceiver() as rx:
        server = _serve(tmp_path, port, rx.port)
        try:
            wait_ready(url, server, tmp_path)
            at = (datetime.now(UTC) - timedelta(minutes=5)).isoformat()
            sent = httpx.post(f"{url}/api/v1/workspaces/acme/events", timeout=60,
                              headers={"Authorization": f"Bearer {key}"},
                              json={"events": [{"event_id": "D1", "customer_id": "C1",
                                                "occurred_at": at,
                                                "touchpoint": "delivered"}]})  # fmt: skip
            assert sent.status_code == 200, sent.text
            _wait_for(lambda: len(rx.mails) >= 1)
            time.sleep(1.5)  # a second round must not send it again
            assert len(rx.mails) == 1
            mail = rx.mails[0]
            assert mail.recipients == ["c1@example.ru"]
            html = mail.message.get_body(("html",)).get_content()
            links = [x.replace("&amp;", "&") for x in re.findall(r'href="([^"]+)"', html)]
            assert len(links) == 11 and all(x.startswith(f"{url}/s/") for x in links)
            with sync_api.sync_playwright() as pw:
                browser = pw.chromium.launch(executable_path=str(CHROMIUM),
                                             args=["--no-sandbox", "--disable-gpu"])  # fmt: skip
                page = browser.new_page(viewport={"width": 360, "height": 640})
                requests: list[str] = []
                page.on("request", lambda r: requests.append(r.url))
                page.goto(links[9])  # the one-tap link for 9
                assert "Ваша оценка: 9" in page.inner_text("main")
                width = page.evaluate("document.documentElement.scrollWidth")
                assert width <= 360  # nothing wider than a phone's screen
                page.fill("textarea[name=comment]", "Курьер приехал раньше срока")
                page.click("button[type=submit]")
                assert "Спасибо! Ваш ответ записан." in page.inner_text("main")
                assert all(r.startswith(url) for r in requests)  # nothing from elsewhere
                browser.close()
        finally:
            stop_server(server)
    with Workspace(tmp_path / "acme.duckdb") as ws:
        nps = ws.metrics.nps()
        assert (int(nps.n.iloc[0]), float(nps.value.iloc[0])) == (1, 100.0)  # one promoter
        row = ws.table("responses").execute().iloc[0]
        assert (row.nps, row.comment, row.language, row.channel) == (
            9, "Курьер приехал раньше срока", "ru", "email")  # fmt: skip
        sends = ws.table("survey_sends").execute()
        assert len(sends) == 1 and bool(sends.ok.iloc[0])


class _Site:
    """A tiny web site of the client on its own port (another origin than cxlens')."""

    def __init__(self, folder: Path) -> None:
        handler = functools.partial(_QuietHandler, directory=str(folder))
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.origin = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, *args: object) -> None:
        pass


def test_the_widget_on_another_origin_cors_and_key_scope(tmp_path):
    shop_dir, evil_dir = tmp_path / "shop", tmp_path / "evil"
    shop_dir.mkdir(), evil_dir.mkdir()
    shop, evil = _Site(shop_dir), _Site(evil_dir)
    ces = {"name": "checkout-ces", "kind": "ces", "company": "Acme", "channel": "widget",
           "trigger": {"touchpoint": "checkout"}, "origins": [shop.origin]}  # fmt: skip
    with Workspace(tmp_path / "acme.duckdb") as ws:
        load(
            ws,
            tmp_path,
            "customers",
            [
                {"customer_id": c, "timezone": "UTC", "language": "en", "survey_consent": "yes"}
                for c in ("C1", "C2")
            ],
        )
        ws.surveys.create(ces)
    key = KeyStore(tmp_path).create(["acme"], "viewer", survey="checkout-ces")[1]
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    for folder, customer in ((shop_dir, "C1"), (evil_dir, "C2")):
        (folder / "index.html").write_text(
            "<!doctype html><html><body><h1>Thank you for your order</h1>"
            f'<script src="{url}/widget.js" data-workspace="acme" data-survey="checkout-ces" '
            f'data-key="{key}" data-customer="{customer}" async></script></body></html>'
        )
    server = _serve(tmp_path, port)
    try:
        wait_ready(url, server, tmp_path)
        with sync_api.sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=str(CHROMIUM),
                                         args=["--no-sandbox", "--disable-gpu"])  # fmt: skip
            page = browser.new_page(viewport={"width": 360, "height": 640})
            page.goto(shop.origin + "/index.html")
            page.wait_for_selector("#cxlens-widget", timeout=30_000)
            assert "Acme made it easy for me to handle my issue." in page.inner_text(
                "#cxlens-widget"
            )
            page.click('#cxlens-widget button[data-score="6"]')
            page.fill("#cxlens-comment", "Quick checkout")
            page.click("#cxlens-widget button[type=submit]")
            page.wait_for_selector("text=Thank you! Your answer is recorded.", timeout=30_000)
            # a page of an origin the survey does not declare: the browser's CORS check
            # stops the widget before anything is asked or stored
            other = browser.new_page()
            errors: list[str] = []
            other.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            other.goto(evil.origin + "/index.html")
            other.wait_for_timeout(3000)
            assert other.query_selector("#cxlens-widget") is None
            assert any("CORS" in e or "Access-Control" in e for e in errors), errors
            browser.close()
    finally:
        stop_server(server)
        shop.close()
        evil.close()
    with Workspace(tmp_path / "acme.duckdb") as ws:
        row = ws.table("responses").execute()
        assert row[["customer_id", "ces", "comment", "channel"]].values.tolist() == [
            ["C1", 6, "Quick checkout", "widget"]]  # fmt: skip
        assert ws.surveys.invitations().customer_id.tolist() == ["C1"]  # C2 never asked


def test_the_dashboard_shows_the_collection_panel(tmp_path):
    nps = {**NPS, "channel": "link", "contact": {"quiet_days": 0}}
    with Workspace(tmp_path / "acme.duckdb") as ws:
        at = (datetime.now(UTC) - timedelta(hours=3)).strftime("%Y-%m-%d %H:%M:%S")
        load(ws, tmp_path, "customers", [{"customer_id": f"C{i}", "timezone": "UTC",
                                          "language": "en", "survey_consent": "yes"}
                                         for i in range(4)])  # fmt: skip
        ws.surveys.create(nps)
        load(ws, tmp_path, "events", [{"event_id": f"D{i}", "customer_id": f"C{i}",
                                       "occurred_at": at, "touchpoint": "delivered"}
                                      for i in range(4)])  # fmt: skip
        made = ws.surveys.trigger()
        ws.surveys.answer(ws.surveys.token(made.invitation_id.iloc[0]), 10)
    key = KeyStore(tmp_path).create(["acme"], "viewer")[1]
    port = free_port()
    server = _serve(tmp_path, port)
    try:
        wait_ready(f"http://127.0.0.1:{port}", server, tmp_path)
        with sync_api.sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=str(CHROMIUM),
                                         args=["--no-sandbox", "--disable-gpu"])  # fmt: skip
            page = browser.new_page()
            sign_in(page, f"http://127.0.0.1:{port}", key)
            page.wait_for_function('() => document.body.dataset.state === "ready"',
                                   timeout=60_000)  # fmt: skip
            assert page.is_visible("#collection-panel")
            y = page.evaluate("() => document.getElementById('collection-rates').data[0].y")
            assert y == [25.0]  # 1 of 4 invitations answered
            assert "median 3.0 h to answer" in page.inner_text("#collection-note")
            browser.close()
    finally:
        stop_server(server)
