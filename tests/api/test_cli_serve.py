"""``cxlens keys create/list/revoke`` and ``cxlens serve``'s checks, through the CLI."""

from __future__ import annotations

from typer.testing import CliRunner

import cxlens.cli.serve  # noqa: F401 - registers the commands until cxlens.cli imports it
from cxlens.api import AuditLog, KeyStore
from cxlens.cli import app

runner = CliRunner()


def test_keys_create_list_revoke(tmp_path):
    made = runner.invoke(app, ["keys", "create", "--workspaces", str(tmp_path), "--workspace",
                               "acme", "--workspace", "beta", "--role", "analyst"])  # fmt: skip
    assert made.exit_code == 0, made.output
    token = made.output.strip().splitlines()[-1]
    key = KeyStore(tmp_path).authenticate(token)
    assert key is not None and key.role == "analyst" and key.workspaces == ("acme", "beta")
    listed = runner.invoke(app, ["keys", "list", "--workspaces", str(tmp_path)])
    assert key.key_id in listed.output and token not in listed.output
    gone = runner.invoke(app, ["keys", "revoke", key.key_id, "--workspaces", str(tmp_path)])
    assert gone.exit_code == 0 and KeyStore(tmp_path).authenticate(token) is None
    log = AuditLog(tmp_path).read()
    assert log["action"].tolist() == ["key create", "key create", "key revoke", "key revoke"]
    assert set(log["target"]) == {key.key_id} and token not in str(log.to_dict())


def test_bad_role_and_folder_give_one_clear_line(tmp_path):
    bad = runner.invoke(app, ["keys", "create", "--workspaces", str(tmp_path), "--workspace",
                              "acme", "--role", "owner"])  # fmt: skip
    assert bad.exit_code == 1 and "unknown role 'owner'" in bad.output
    missing = runner.invoke(app, ["serve", "--workspaces", str(tmp_path / "nope")])
    assert missing.exit_code == 1 and "is not a folder" in missing.output
    empty = runner.invoke(app, ["serve", "--workspaces", str(tmp_path)])
    assert empty.exit_code == 1 and "holds no NAME.duckdb workspace" in empty.output
