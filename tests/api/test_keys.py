"""Key store: tokens are random and shown once, only hashes are stored, roles, scopes, revoke."""

from __future__ import annotations

import hashlib
import json

import pytest

from cxlens.api.keys import KEYS_FILE, ROLES, KeyStore, check_workspace_name, role_rank
from cxlens.errors import ArgumentError


def test_a_token_authenticates_and_only_its_hash_is_stored(tmp_path):
    store = KeyStore(tmp_path)
    key, token = store.create(["acme", "acme"], "analyst", name="acme BI")
    assert token.startswith(f"cxl_{key.key_id}_") and len(token) == 4 + 8 + 1 + 43
    assert key.workspaces == ("acme",) and key.role == "analyst"
    text = (tmp_path / KEYS_FILE).read_text()
    secret = token[len("cxl_12345678_") :]
    assert token not in text and secret not in text
    stored = json.loads(text)["keys"][0]
    assert stored["secret_sha256"] == hashlib.sha256(secret.encode()).hexdigest()
    assert (tmp_path / KEYS_FILE).stat().st_mode & 0o077 == 0  # owner-only file
    found = KeyStore(tmp_path).authenticate(token)  # a fresh store reads the file
    assert found is not None and found.key_id == key.key_id


def test_tokens_are_distinct(tmp_path):
    store = KeyStore(tmp_path)
    tokens = {store.create(["a"], "viewer")[1] for _ in range(20)}
    assert len(tokens) == 20 and len(store.list()) == 20


@pytest.mark.parametrize("token", [None, "", "cxl_zz_x", "Bearer x", "cxl_00000000_" + "A" * 43])
def test_unknown_or_malformed_tokens_fail(tmp_path, token):
    KeyStore(tmp_path).create(["a"], "admin")
    assert KeyStore(tmp_path).authenticate(token) is None


def test_revoked_keys_fail_and_stay_listed(tmp_path):
    store = KeyStore(tmp_path)
    key, token = store.create(["a"], "admin")
    other, other_token = store.create(["a"], "viewer")
    store.revoke(key.key_id)
    assert store.authenticate(token) is None
    assert store.authenticate(other_token).key_id == other.key_id
    listed = store.list().set_index("key_id")
    assert not listed.loc[key.key_id, "active"] and listed.loc[other.key_id, "active"]
    assert listed.loc[key.key_id, "revoked_at"]
    with pytest.raises(ArgumentError, match="no key with id 'nope'"):
        store.revoke("nope")


def test_roles_are_ordered_and_scopes_checked(tmp_path):
    assert [role_rank(r) for r in ROLES] == [0, 1, 2]
    key, _ = KeyStore(tmp_path).create(["a", "b"], "analyst")
    assert key.allows("viewer") and key.allows("analyst") and not key.allows("admin")
    assert key.can_use("b") and not key.can_use("c")
    with pytest.raises(ArgumentError, match="unknown role 'owner'"):
        KeyStore(tmp_path).create(["a"], "owner")
    with pytest.raises(ArgumentError, match="at least one workspace"):
        KeyStore(tmp_path).create([], "viewer")


@pytest.mark.parametrize("name", ["../x", "a/b", "", "a b", "-x", "x" * 65])
def test_bad_workspace_names_are_refused(name):
    with pytest.raises(ArgumentError, match="must be 1-64 letters"):
        check_workspace_name(name)


# --- expiry ---------------------------------------------------------------------------------


def test_a_key_works_until_its_expiry_and_not_after(tmp_path, monkeypatch):
    from datetime import UTC, datetime, timedelta

    import cxlens.api.keys as keys

    store = KeyStore(tmp_path)
    start = datetime.now(UTC)
    key, token = store.create(["acme"], "viewer", expires_at=start + timedelta(hours=1))
    assert key.expires_at == (start + timedelta(hours=1)).isoformat(timespec="seconds")
    assert store.authenticate(token) is not None and store.list()["active"].tolist() == [True]

    class Later(datetime):
        @classmethod
        def now(cls, tz=None):
            return start + timedelta(hours=1, seconds=1)

    monkeypatch.setattr(keys, "datetime", Later)
    assert KeyStore(tmp_path).authenticate(token) is None
    listed = KeyStore(tmp_path).list()
    assert listed["active"].tolist() == [False] and listed["revoked_at"].isna().all()


def test_an_expiry_must_be_aware_and_in_the_future(tmp_path):
    from datetime import UTC, datetime, timedelta

    store = KeyStore(tmp_path)
    with pytest.raises(ArgumentError, match="no time zone"):
        store.create(["a"], "viewer", expires_at=datetime(2099, 1, 1))
    with pytest.raises(ArgumentError, match="not in the future"):
        store.create(["a"], "viewer", expires_at=datetime.now(UTC) - timedelta(seconds=1))
    assert store.list().empty


def test_keys_written_before_expiries_existed_still_work(tmp_path):
    store = KeyStore(tmp_path)
    _, token = store.create(["acme"], "admin")
    doc = json.loads((tmp_path / KEYS_FILE).read_text())
    del doc["keys"][0]["expires_at"]
    (tmp_path / KEYS_FILE).write_text(json.dumps(doc))
    found = KeyStore(tmp_path).authenticate(token)
    assert found is not None and found.expires_at is None


def test_cli_creates_a_key_with_an_expiry(tmp_path):
    from datetime import UTC, datetime, timedelta

    from typer.testing import CliRunner

    from cxlens.cli import app

    before = datetime.now(UTC)
    r = CliRunner().invoke(
        app,
        ["keys", "create", "--workspace", "acme", "--expires-in-days", "2", "-d", str(tmp_path)],
    )
    assert r.exit_code == 0, r.output
    assert "valid until" in r.output
    (key,) = KeyStore(tmp_path)._read().values()
    expires = datetime.fromisoformat(key.expires_at)
    assert (
        timedelta(days=2) - timedelta(seconds=5) <= expires - before <= timedelta(days=2, seconds=5)
    )
