"""The ``cxlens surveys`` commands on a small workspace: counts checked against the API."""

from __future__ import annotations

from typer.testing import CliRunner

from cxlens import Workspace
from cxlens.cli import app
from cxlens.collect import Surveys
from tests.collect.conftest import load

runner = CliRunner(env={"COLUMNS": "200"})

DEFINITION = """\
name: delivery-nps
kind: nps
company: Acme
languages: [en, ru]
trigger: {touchpoint: delivered}
channel: link
expiry: 3650d
contact: {quiet_days: 0, business_hours: {start: "09:00", end: "17:00"}}
"""


def run(*args):
    return runner.invoke(app, [str(a) for a in args])


def test_create_show_trigger_stats_pause(tmp_path):
    db = tmp_path / "ws.duckdb"
    ws = Workspace(db)
    load(ws, tmp_path, "events", [
        {"event_id": f"E{i}", "customer_id": f"C{i}", "occurred_at": "2025-03-03 10:00",
         "touchpoint": "delivered" if i < 4 else "page_view"} for i in range(6)
    ])  # fmt: skip
    ws.close()
    (tmp_path / "nps.yaml").write_text(DEFINITION, encoding="utf-8")
    made = run("surveys", "create", tmp_path / "nps.yaml", "-w", db)
    assert made.exit_code == 0, made.output
    assert "created survey 'delivery-nps': nps after touchpoint delivered" in made.output
    shown = run("surveys", "show", "delivery-nps", "-w", db)
    assert "Насколько вероятно, что вы порекомендуете Acme другу или коллеге?" in shown.output
    assert "09:00-17:00" in shown.output
    triggered = run("surveys", "trigger", "-w", db)
    assert triggered.exit_code == 0 and "decisions (4 events)" in triggered.output
    assert "│ delivery-nps │ invited  │ 4 │" in triggered.output
    with Workspace(db) as ws:
        surveys = Surveys(ws)
        token = surveys.token(surveys.invitations().invitation_id.iloc[0])
        surveys.answer(token, 9)
        expected = surveys.stats()
    out = tmp_path / "stats.csv"
    assert run("surveys", "stats", "-o", out, "-w", db).exit_code == 0
    assert out.read_text().splitlines()[1].startswith("delivery-nps,4,1,0.25,")
    assert expected.answered.iloc[0] == 1
    assert run("surveys", "pause", "delivery-nps", "-w", db).exit_code == 0
    listed = run("surveys", "list", "-w", db)
    assert "paused" in listed.output
    bad = run("surveys", "show", "nope", "-w", db)
    assert bad.exit_code == 1 and "no survey named 'nope'" in bad.output
