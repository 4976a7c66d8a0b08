"""`cxlens profile`, `cxlens erase` and `cxlens erasures` print what the Python API does."""

from __future__ import annotations

import hashlib
import hmac
import json

import pytest
from typer.testing import CliRunner

import cxlens
import cxlens.cli.privacy  # registers the commands until cli/__init__ imports it
from cxlens.cli import app
from tests.identity.test_profile import build_small

runner = CliRunner(env={"COLUMNS": "250"})


@pytest.fixture
def db(tmp_path):
    build_small(tmp_path).close()
    return tmp_path / "p.duckdb"


def _count(db, table: str, customer: str) -> int:
    with cxlens.Workspace(db) as ws:
        t = ws.table(table)
        return int(t.filter(t.customer_id == customer).count().execute())


def test_profile_shows_every_part(db):
    out = runner.invoke(app, ["profile", "A1", "-w", str(db)])
    assert out.exit_code == 0, out.output
    titles = ["Customer A1", "Identities (PII) (1)", "Scores (3)", "Transactions", "Journey",
              "Comments (PII redacted) (1)", "Segments", "churn_scores"]  # fmt: skip
    for title in titles:
        assert title in out.output
    assert "Mail me at [EMAIL]" in out.output and "revenue: 70.00" in out.output


def test_profile_json(db):
    out = runner.invoke(app, ["profile", "A1", "--json", "-w", str(db)])
    assert out.exit_code == 0, out.output
    data = json.loads(out.output)
    assert data["transactions"]["orders"] == 2 and data["segments"]["rfm_segment"] == "Loyal"


def test_erase_asks_first_and_no_keeps_everything(db):
    out = runner.invoke(app, ["erase", "A1", "--reason", "r", "--requested-by", "dpo",
                              "-w", str(db)], input="n\n")  # fmt: skip
    assert out.exit_code == 1
    assert "transactions" in out.output and "nothing erased" in out.output
    assert _count(db, "transactions", "A1") == 3


def test_erase_yes_then_the_log_shows_only_the_keyed_hash(db):
    out = runner.invoke(app, ["erase", "A1", "--reason", "ticket 7", "--requested-by", "dpo",
                              "-w", str(db)], input="y\n")  # fmt: skip
    assert out.exit_code == 0, out.output
    assert _count(db, "transactions", "A1") == 0 and _count(db, "transactions", "B2") == 1
    with cxlens.Workspace(db) as ws:
        secret = bytes.fromhex(ws.table("_workspace_secret").to_pandas().secret[0])
    key = hmac.new(secret, b"A1", hashlib.sha256).hexdigest()[:20]
    assert key in out.output
    log = runner.invoke(app, ["erasures", "-w", str(db)])
    assert log.exit_code == 0 and key in log.output and "ticket 7" in log.output
    assert "A1" not in log.output
    again = runner.invoke(app, ["erase", "A1", "--reason", "r", "--requested-by", "d", "--yes",
                                "-w", str(db)])  # fmt: skip
    assert again.exit_code == 1 and "was erased on" in again.output
    gone = runner.invoke(app, ["profile", "A1", "-w", str(db)])
    assert gone.exit_code == 1 and "no table mentions customer 'A1'" in gone.output


def test_erase_with_yes_and_csv_log(db, tmp_path):
    out = runner.invoke(app, ["erase", "B2", "--reason", "r", "--requested-by", "d", "--yes",
                              "-w", str(db)])  # fmt: skip
    assert out.exit_code == 0, out.output
    assert _count(db, "customers", "B2") == 0
    csv = tmp_path / "log.csv"
    log = runner.invoke(app, ["erasures", "-o", str(csv), "-w", str(db)])
    assert log.exit_code == 0
    assert "customers" in csv.read_text() and "B2" not in csv.read_text()


def test_erase_unknown_customer_is_one_red_line(db):
    out = runner.invoke(app, ["erase", "nobody", "--reason", "r", "--requested-by", "d",
                              "-w", str(db)])  # fmt: skip
    assert out.exit_code == 1
    assert "no table references customer 'nobody'" in out.output
