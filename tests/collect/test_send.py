"""E-mail invitations through a real SMTP server on localhost: language, one-tap links, once."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlparse

import pytest
from typer.testing import CliRunner

from cxlens.cli import app
from cxlens.errors import ArgumentError
from tests.actions.receivers import SmtpReceiver
from tests.collect.conftest import SURVEY, load

runner = CliRunner(env={"COLUMNS": "200"})
LINK = "https://acme.example/feedback?t={token}&score={score}"
NPS = {**SURVEY, "name": "delivery-nps", "kind": "nps", "channel": "email", "delay": "0m",
       "languages": ["en", "ru"], "trigger": {"touchpoint": "delivered"}}  # fmt: skip


def _send(db, port):
    args = ["surveys", "send", "--link", LINK, "--smtp-host", "127.0.0.1", "--smtp-port",
            str(port), "--from", "cx@acme.example", "-w", str(db)]  # fmt: skip
    return runner.invoke(app, args)


@pytest.fixture
def due_now(people):
    """Two e-mail invitations due now: C1 (English) and C6 (Russian); C3 has no address."""
    ws, surveys, tmp = people
    load(ws, tmp, "customers", [{"customer_id": "C6", "timezone": "Europe/Moscow",
                                 "language": "ru", "survey_consent": "yes"}])  # fmt: skip
    load(ws, tmp, "identities", [{"source": "web", "source_id": "6", "customer_id": "C6",
                                  "email": " c6@example.ru "}])  # fmt: skip
    surveys.create(NPS)
    at = (datetime.now(UTC) - timedelta(hours=2)).strftime("%Y-%m-%d %H:%M:%S")
    load(ws, tmp, "events", [{"event_id": f"D{c}", "customer_id": c, "occurred_at": at,
                              "touchpoint": "delivered"} for c in ("C1", "C3", "C6")])  # fmt: skip
    decided = surveys.trigger().set_index("customer_id").decision.to_dict()
    assert decided == {"C1": "invited", "C3": "no address", "C6": "invited"}
    ws.close()
    return tmp / "ws.duckdb"


def test_invitations_arrive_in_the_customers_language_once(due_now):
    from cxlens import Workspace
    from cxlens.collect import Surveys

    with SmtpReceiver() as rx:
        first = _send(due_now, rx.port)
        again = _send(due_now, rx.port)
    assert first.exit_code == 0, first.output
    assert "sent 2 invitation(s); 0 failed" in first.output
    assert "sent 0 invitation(s)" in again.output  # each invitation once
    mails = {m.recipients[0]: m.message for m in rx.mails}
    assert sorted(mails) == ["c1@example.com", "c6@example.ru"]
    en, ru = mails["c1@example.com"], mails["c6@example.ru"]
    assert (
        en["Subject"].strip()
        == "How likely is it that you would recommend Acme to a friend or colleague?"
    )
    assert (
        ru["Subject"].strip() == "Насколько вероятно, что вы порекомендуете Acme другу или коллеге?"
    )
    page = ru.get_body(("html",)).get_content()
    links = re.findall(r'href="([^"]+)"', page)
    assert len(links) == 11  # one per score 0-10: one tap answers
    query = parse_qs(urlparse(links[9].replace("&amp;", "&")).query)
    assert query["score"] == ["9"]
    with Workspace(due_now) as ws:
        surveys = Surveys(ws)
        rid = surveys.answer(query["t"][0], int(query["score"][0]))
        row = ws.table("responses").execute().set_index("response_id").loc[rid]
        assert (row.customer_id, row.nps, row.language) == ("C6", 9, "ru")
        sends = ws.table("survey_sends").execute()
    assert sorted(sends.customer_id) == ["C1", "C6"] and sends.ok.all()


def test_a_refused_address_is_recorded_and_retried(due_now):
    from cxlens import Workspace

    with SmtpReceiver(refuse={"c1@example.com"}) as rx:
        first = _send(due_now, rx.port)
    assert first.exit_code == 1 and "1 failed" in first.output
    with Workspace(due_now) as ws:
        failed = ws.table("survey_sends").execute().set_index("customer_id")
    assert not failed.loc["C1", "ok"] and failed.loc["C6", "ok"]
    with SmtpReceiver() as rx:
        retry = _send(due_now, rx.port)
    assert "sent 1 invitation(s)" in retry.output
    assert [m.recipients for m in rx.mails] == [["c1@example.com"]]


def test_the_link_template_is_checked(people):
    _, surveys, _ = people
    for bad in ("acme.example/{token}", "https://acme.example/", "https://a.example/{token}/{x}"):
        with pytest.raises(ArgumentError, match="link template"):
            surveys.due(bad)
