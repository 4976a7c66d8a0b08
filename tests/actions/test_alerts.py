"""Alerts collected from a Workspace and sent once per channel, by webhook and by e-mail."""

from __future__ import annotations

import doctest
import json

import pytest

import cxlens.actions.alerts as alerts_module
from cxlens.actions.alerts import WebhookTarget, alert_id, collect, digest, notify
from cxlens.actions.email import SmtpSettings
from cxlens.actions.webhook import verify
from cxlens.analysis.kpis import Kpis
from cxlens.api.audit import AuditLog
from cxlens.errors import ArgumentError
from tests.actions.receivers import SmtpReceiver, WebhookReceiver
from tests.analysis.test_kpis import _two_months

SECRET = "s3cret"
AS_OF = "2025-03-01"
# From tests/analysis/test_kpis.py: NPS +40 in Jan 2025, -25 in Feb 2025 (95% CI -48 to 1, the
# adjusted Wald interval of Rocks 2016: p = 10.75/43, d = 20.75/43).
NPS_MESSAGE = (
    "KPI 'NPS' (NPS of all customers) went from on track to off track in Feb 2025: −25 "
    "(95% CI −48 to 1) against a target of 30, short by 55.0 points (warning band 5)."
)


@pytest.fixture
def ws(tmp_path):
    workspace = _two_months(tmp_path / "two")
    Kpis(workspace).define("NPS", "nps", 30, warning_band=5)
    yield workspace
    workspace.close()


def _mail(port: int) -> SmtpSettings:
    return SmtpSettings("127.0.0.1", "cx@example.com", ("ops@example.com",), port=port)


def test_collect_gives_each_alert_a_stable_id(ws):
    payload = collect(ws, threshold=None, as_of=AS_OF)
    (alert,) = payload["alerts"]
    assert alert["message"] == NPS_MESSAGE
    assert (alert["source"], alert["severity"], alert["status"], alert["period_start"]) == (
        "kpi", "critical", "off track", "2025-02-01",
    )  # fmt: skip
    assert alert["score"] is None and payload["counts"] == {"critical": 1}
    assert (
        alert["id"]
        == alert_id(alert)
        == collect(ws, threshold=None, as_of=AS_OF)["alerts"][0]["id"]
    )
    json.dumps(payload)  # JSON-ready as it is


def test_notify_sends_only_new_alerts_on_each_run(ws, tmp_path):
    state = tmp_path / "state.json"
    log = AuditLog(tmp_path / "audit")
    with WebhookReceiver(SECRET) as hook, SmtpReceiver() as smtp:
        target = WebhookTarget(hook.url, SECRET)
        first = notify(ws, webhook=target, email=_mail(smtp.port), threshold=None,
                       state_file=state, as_of=AS_OF, audit=log)  # fmt: skip
        second = notify(ws, webhook=target, email=_mail(smtp.port), threshold=None,
                        state_file=state, as_of=AS_OF)  # fmt: skip
        Kpis(ws).define("NPS stretch", "nps", 35)  # a second KPI slips too
        third = notify(ws, webhook=target, email=_mail(smtp.port), threshold=None,
                       state_file=state, as_of=AS_OF)  # fmt: skip
    nps_id = first.alerts["id"].iloc[0]
    assert first.ok and first.new == {"webhook": [nps_id], "email": [nps_id]}
    assert second.new == {"webhook": [], "email": []} and second.deliveries == {}
    stretch = [i for i in third.alerts["id"] if i != nps_id]
    assert len(stretch) == 1 and third.new == {"webhook": stretch, "email": stretch}
    # the receiver got two signed deliveries, each with only the new alerts
    assert len(hook.attempts) == 2 and all(a.signature_ok for a in hook.attempts)
    bodies = [json.loads(a.body) for a in hook.attempts]
    assert [[x["id"] for x in b["alerts"]] for b in bodies] == [[nps_id], stretch]
    assert bodies[0]["alerts"][0]["message"] == NPS_MESSAGE
    # and two digests, the first naming the KPI alert in both parts
    assert len(smtp.mails) == 2
    msg = smtp.mails[0].message
    assert msg["Subject"] == "cxlens alerts: 1 new (1 critical)"
    assert NPS_MESSAGE in msg.get_body(("plain",)).get_content()
    assert "KPI &#x27;NPS&#x27; (NPS of all customers)" in msg.get_body(("html",)).get_content()
    saved = json.loads(state.read_text())["sent"]
    assert set(saved["webhook"]) == set(saved["email"]) == {nps_id, *stretch}
    logged = log.read()
    assert logged["action"].tolist() == ["notify webhook", "notify email"]
    assert (logged["outcome"] == "ok").all()


def test_a_failed_webhook_is_retried_next_run_without_resending_the_email(ws, tmp_path):
    state = tmp_path / "state.json"
    with SmtpReceiver() as smtp:
        with WebhookReceiver(SECRET, final=(500, {})) as down:
            failed = notify(ws, webhook=WebhookTarget(down.url, SECRET, {"retries": 0}),
                            email=_mail(smtp.port), threshold=None, state_file=state,
                            as_of=AS_OF)  # fmt: skip
        with WebhookReceiver(SECRET) as up:
            again = notify(ws, webhook=WebhookTarget(up.url, SECRET), email=_mail(smtp.port),
                           threshold=None, state_file=state, as_of=AS_OF)  # fmt: skip
    assert not failed.ok and failed.deliveries["webhook"].status == 500
    assert failed.deliveries["email"].ok
    assert again.ok and len(again.new["webhook"]) == 1 and again.new["email"] == []
    assert len(up.attempts) == 1 and verify(
        up.attempts[0].body, up.attempts[0].headers["X-Cxlens-Signature"],
        up.attempts[0].headers["X-Cxlens-Timestamp"], SECRET,
    )  # fmt: skip
    assert len(smtp.mails) == 1


def test_insight_alerts_are_collected_above_the_threshold(tmp_path):
    from tests.analysis.test_insights import _responses, _workspace

    with _workspace(tmp_path, _responses(("A", "X"))) as w:
        payload = collect(w, threshold=50.0, metrics=["nps"], dimensions=["segment", "touchpoint"])
        quiet = collect(w, threshold=1e6, metrics=["nps"], dimensions=["segment"])
    assert {a["source"] for a in payload["alerts"]} == {"insight"}
    assert all(a["score"] > 50 and a["severity"] == "warning" for a in payload["alerts"])
    assert len({a["id"] for a in payload["alerts"]}) == len(payload["alerts"]) == 2
    assert quiet["alerts"] == []


def test_digest_escapes_html_and_counts_by_severity():
    alerts = [{"severity": "warning", "message": "<script>x</script> & more"},
              {"severity": "critical", "message": "NPS fell"}]  # fmt: skip
    subject, text, html = digest({"alerts": alerts})
    assert subject == "cxlens alerts: 2 new (1 critical, 1 warning)"
    assert "[WARNING] <script>x</script> & more" in text
    assert "&lt;script&gt;x&lt;/script&gt; &amp; more" in html and "<script>" not in html


def test_a_foreign_state_file_and_no_channel_are_refused(ws, tmp_path):
    bad = tmp_path / "state.json"
    bad.write_text('["not", "ours"]')
    with pytest.raises(ArgumentError, match="not a cxlens alert state file"):
        notify(ws, webhook=WebhookTarget("http://127.0.0.1:9/", SECRET), state_file=bad,
               payload={"alerts": []})  # fmt: skip
    with pytest.raises(ArgumentError, match="needs a channel"):
        notify(ws, payload={"alerts": []})


def test_old_ids_are_forgotten(ws, tmp_path):
    state = tmp_path / "state.json"
    state.write_text(json.dumps({"sent": {"webhook": {"old": "2000-01-01T00:00:00+00:00"}}}))
    with WebhookReceiver(SECRET) as hook:
        notify(ws, webhook=WebhookTarget(hook.url, SECRET), threshold=None, state_file=state,
               as_of=AS_OF, keep_days=30)  # fmt: skip
    assert "old" not in json.loads(state.read_text())["sent"]["webhook"]


def test_docstring_examples_run():
    result = doctest.testmod(alerts_module, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0 and result.failed == 0
