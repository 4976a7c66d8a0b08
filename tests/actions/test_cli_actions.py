"""The ``cxlens notify`` and ``cxlens export`` commands, end to end on real receivers."""

from __future__ import annotations

import csv
import json

import pandas as pd
from typer.testing import CliRunner

import cxlens
import cxlens.cli.actions
from cxlens.analysis.kpis import Kpis
from cxlens.api.audit import AuditLog
from cxlens.cli import app
from tests.actions.conftest import CUSTOMERS, IDENTITIES, RESPONSES, ingest_frames
from tests.actions.receivers import SmtpReceiver, WebhookReceiver
from tests.analysis.test_kpis import _two_months

runner = CliRunner(env={"COLUMNS": "200"})


def test_notify_by_webhook_and_email_then_nothing_new(tmp_path):
    ws = _two_months(tmp_path / "w")
    Kpis(ws).define("NPS", "nps", 30, warning_band=5)
    path = ws.path
    ws.close()
    with WebhookReceiver("topsecret") as hook, SmtpReceiver() as smtp:
        args = ["notify", "--webhook", hook.url, "--secret-env", "HOOK_SECRET",
                "--smtp-host", "127.0.0.1", "--smtp-port", str(smtp.port),
                "--from", "cx@example.com", "--to", "ops@example.com", "--no-insights",
                "--as-of", "2025-03-01", "-w", str(path)]  # fmt: skip
        first = runner.invoke(app, args, env={"HOOK_SECRET": "topsecret"})
        second = runner.invoke(app, args, env={"HOOK_SECRET": "topsecret"})
    assert first.exit_code == 0, first.output
    assert "webhook: sent 1 new alert(s)" in first.output
    assert "email: sent 1 new alert(s)" in first.output
    assert second.exit_code == 0 and "webhook: nothing new" in second.output
    assert len(hook.attempts) == 1 and hook.attempts[0].signature_ok
    assert len(smtp.mails) == 1
    assert smtp.mails[0].message["Subject"] == "cxlens alerts: 1 new (1 critical)"
    state = json.loads((path.parent / (path.name + ".alerts.json")).read_text())
    assert len(state["sent"]["webhook"]) == 1
    assert AuditLog(path.parent).read()["action"].tolist() == ["notify webhook", "notify email"]


def test_notify_fails_loudly(tmp_path):
    ws = _two_months(tmp_path / "w")
    Kpis(ws).define("NPS", "nps", 30, warning_band=5)
    path = ws.path
    ws.close()
    missing = runner.invoke(app, ["notify", "--webhook", "http://127.0.0.1:9/", "-w", str(path)],
                            env={"CXLENS_WEBHOOK_SECRET": ""})  # fmt: skip
    assert missing.exit_code == 1 and "CXLENS_WEBHOOK_SECRET" in missing.output
    nothing = runner.invoke(app, ["notify", "-w", str(path)], env={"CXLENS_SMTP_HOST": ""})
    assert nothing.exit_code == 1 and "nothing to send to" in nothing.output
    with WebhookReceiver("s", final=(500, {})) as hook:
        down = runner.invoke(app, ["notify", "--webhook", hook.url, "--retries", "0",
                                   "--no-insights", "--as-of", "2025-03-01", "-w", str(path)],
                             env={"CXLENS_WEBHOOK_SECRET": "s"})  # fmt: skip
    assert down.exit_code == 1 and "FAILED" in down.output


def test_export_writes_the_layout_and_reports_who_is_left_out(tmp_path):
    ws = cxlens.Workspace(tmp_path / "hand.duckdb")
    ingest_frames(ws, tmp_path / "data", customers=CUSTOMERS, identities=IDENTITIES,
                  responses=RESPONSES)  # fmt: skip
    ws.close()
    out = tmp_path / "callbacks.csv"
    args = ["export", "detractors", "--format", "salesforce", "-o", str(out), "--days", "30",
            "-w", str(tmp_path / "hand.duckdb")]  # fmt: skip
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "wrote 2 rows" in result.output
    assert "2 customer(s) left out" in result.output and "no identity record: 1" in result.output
    with out.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert [r["Cxlens_Customer_Id__c"] for r in rows] == ["C3", "C2"]
    assert pd.read_csv(out).columns[:2].tolist() == ["FirstName", "LastName"]
    bad = runner.invoke(app, ["export", "vips", "--format", "hubspot", "-o", str(out),
                              "-w", str(tmp_path / "hand.duckdb")])  # fmt: skip
    assert bad.exit_code == 1 and "unknown target list" in bad.output
