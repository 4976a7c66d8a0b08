"""API keys: roles, workspace scopes, hashed storage, revocation.

A key is ``cxl_<key_id>_<secret>``: ``key_id`` (8 hex digits) is public and names the key in
lists and the audit log; ``secret`` is 256 random bits. Only the SHA-256 of the secret is
stored. A slow hash (scrypt, bcrypt) protects low-entropy passwords against guessing; a
256-bit random secret cannot be guessed, so a fast hash is as safe and keeps every request's
check to microseconds. Comparison is constant-time.

A key may carry an expiry (``expires_at``, UTC): from then on it is refused as a revoked key
is, without anyone having to revoke it.

Keys live in ``DIR/_cxlens_keys.json`` next to the workspaces, written atomically (temporary
file, then rename). A running server rereads the file when it changes, so ``cxlens keys
revoke`` takes effect at once.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import re
import secrets
import threading
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd

from cxlens.errors import ArgumentError

#: Roles from least to most privileged; each can do what the ones before it can.
ROLES: tuple[str, ...] = ("viewer", "analyst", "admin")

#: File in the workspaces folder that holds the keys.
KEYS_FILE = "_cxlens_keys.json"

#: Workspace names: letters, digits, ``_`` and ``-`` (the file stem of ``NAME.duckdb``).
NAME_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")

_KEY_PATTERN = re.compile(r"^cxl_([0-9a-f]{8})_([A-Za-z0-9_-]{43})$")

#: Columns of :meth:`KeyStore.list`.
KEY_COLUMNS: tuple[str, ...] = (
    "key_id",
    "name",
    "role",
    "workspaces",
    "created_at",
    "expires_at",
    "revoked_at",
    "active",
)


def role_rank(role: str) -> int:
    """Return the rank of ``role`` (viewer 0, analyst 1, admin 2).

    Raises:
        ArgumentError: an unknown role.

    Example:
        >>> role_rank("analyst") > role_rank("viewer")
        True
    """
    if role not in ROLES:
        raise ArgumentError(f"unknown role {role!r}; use one of: {', '.join(ROLES)}")
    return ROLES.index(role)


def check_workspace_name(name: str) -> str:
    """Return ``name`` if it is a valid workspace name, else raise ArgumentError.

    Example:
        >>> check_workspace_name("acme-2025")
        'acme-2025'
    """
    if not isinstance(name, str) or not NAME_PATTERN.match(name):
        raise ArgumentError(
            f"workspace name {name!r} must be 1-64 letters, digits, '_' or '-' (the file "
            "name of NAME.duckdb without .duckdb), starting with a letter or digit"
        )
    return name


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode("ascii")).hexdigest()


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _expiry(when: datetime | None) -> str | None:
    """Return ``when`` as UTC ISO text after checking it is aware and in the future."""
    if when is None:
        return None
    if when.tzinfo is None:
        raise ArgumentError(f"the expiry {when} has no time zone; give it in UTC")
    if when <= datetime.now(UTC):
        raise ArgumentError(f"the expiry {when.isoformat()} is not in the future")
    return when.astimezone(UTC).isoformat(timespec="seconds")


@dataclass(frozen=True)
class ApiKey:
    """One stored key (never the key itself: its id and the hash of its secret).

    Attributes:
        key_id: public id, 8 hex digits.
        name: a label for people (e.g. "acme BI").
        role: viewer, analyst or admin.
        workspaces: names of the workspaces the key may use.
        secret_sha256: SHA-256 of the secret, hex.
        created_at: ISO time of creation (UTC).
        revoked_at: ISO time of revocation, or None while active.
        expires_at: ISO time (UTC) from which the key is refused, or None for no expiry.
        survey: for a widget key, the one survey it may show and answer (nothing else);
            None for an ordinary key.
    """

    key_id: str
    name: str
    role: str
    workspaces: tuple[str, ...]
    secret_sha256: str
    created_at: str
    revoked_at: str | None = None
    expires_at: str | None = None
    survey: str | None = None

    @property
    def active(self) -> bool:
        """True until the key is revoked or expires."""
        return self.revoked_at is None and not self.expired()

    def expired(self, now: datetime | None = None) -> bool:
        """Return True when the key has an expiry and ``now`` (default: the time) is past it."""
        if self.expires_at is None:
            return False
        return (now or datetime.now(UTC)) >= datetime.fromisoformat(self.expires_at)

    def allows(self, role: str) -> bool:
        """Return True when this key's role is ``role`` or above it."""
        return role_rank(self.role) >= role_rank(role)

    def can_use(self, workspace: str) -> bool:
        """Return True when ``workspace`` is in this key's scope."""
        return workspace in self.workspaces


@dataclass
class _Cache:
    stamp: tuple[int, int, int] = (-1, -1, -1)
    keys: dict[str, ApiKey] = field(default_factory=dict)


class KeyStore:
    """The API keys of one workspaces folder.

    Args:
        directory: the folder holding the workspaces (``NAME.duckdb``) and the key file.

    Example:
        >>> import tempfile
        >>> store = KeyStore(tempfile.mkdtemp())
        >>> key, token = store.create(["acme"], "viewer", name="acme BI")
        >>> store.authenticate(token).key_id == key.key_id
        True
        >>> store.authenticate(token + "x") is None
        True
    """

    def __init__(self, directory: str | Path) -> None:
        self.directory = Path(directory)
        self.path = self.directory / KEYS_FILE
        self._lock = threading.Lock()
        self._cache = _Cache()

    # -- reading

    def _read(self) -> dict[str, ApiKey]:
        """Return the keys by id, rereading the file only when it changed."""
        try:
            st = self.path.stat()
        except FileNotFoundError:
            return {}
        # every write is a new file (rename), so the inode changes even within one mtime tick
        stamp = (st.st_ino, st.st_mtime_ns, st.st_size)
        with self._lock:
            if stamp != self._cache.stamp:
                doc = json.loads(self.path.read_text(encoding="utf-8"))
                keys = {}
                for rec in doc.get("keys", []):
                    rec["workspaces"] = tuple(rec["workspaces"])
                    keys[rec["key_id"]] = ApiKey(**rec)
                self._cache = _Cache(stamp, keys)
            return dict(self._cache.keys)

    def _write(self, keys: dict[str, ApiKey]) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        doc = {"version": 1, "keys": [asdict(k) | {"workspaces": list(k.workspaces)}
                                      for k in keys.values()]}  # fmt: skip
        tmp = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")
        # owner-only: the hashes are not secrets, but the scopes and names are nobody else's
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(doc, fh, indent=2)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, self.path)

    def get(self, key_id: str) -> ApiKey | None:
        """Return the key with id ``key_id``, or None."""
        return self._read().get(key_id)

    def authenticate(self, token: str | None) -> ApiKey | None:
        """Return the active key that ``token`` is, or None (unknown, malformed or revoked).

        Example:
            >>> KeyStore("/nonexistent").authenticate("cxl_0000_x") is None
            True
        """
        match = _KEY_PATTERN.match(token or "")
        if match is None:
            return None
        key = self._read().get(match.group(1))
        if key is None or not key.active:
            return None
        if not hmac.compare_digest(key.secret_sha256, _hash(match.group(2))):
            return None
        return key

    def list(self) -> pd.DataFrame:
        """Return every key (active and revoked), without hashes.

        Returns:
            DataFrame with columns key_id, name, role, workspaces (comma-separated),
            created_at, revoked_at, active.

        Example:
            >>> KeyStore("/nonexistent").list().empty
            True
        """
        rows = [
            {
                "key_id": k.key_id,
                "name": k.name,
                "role": k.role,
                "workspaces": ",".join(k.workspaces),
                "created_at": k.created_at,
                "expires_at": k.expires_at,
                "revoked_at": k.revoked_at,
                "active": k.active,
            }
            for k in self._read().values()
        ]
        return pd.DataFrame(rows, columns=list(KEY_COLUMNS))

    # -- writing

    def create(
        self,
        workspaces: list[str] | tuple[str, ...],
        role: str,
        *,
        name: str = "",
        expires_at: datetime | None = None,
        survey: str | None = None,
    ) -> tuple[ApiKey, str]:
        """Create a key for ``workspaces`` with ``role``; return it and the token, shown once.

        Args:
            workspaces: names of the workspaces the key may use (at least one).
            role: viewer, analyst or admin.
            name: a label for people.
            expires_at: when the key stops working (a time zone-aware time; None: never).
            survey: make a widget key: it may only show and answer this survey of its one
                workspace (it sits in web pages, so it can do nothing else).

        Returns:
            ``(ApiKey, token)``; the token is not stored and cannot be shown again.

        Raises:
            ArgumentError: no workspace, a bad workspace name, an unknown role, or an
                expiry without a time zone or not in the future.

        Example:
            >>> import tempfile
            >>> key, token = KeyStore(tempfile.mkdtemp()).create(["acme"], "admin")
            >>> token.startswith("cxl_" + key.key_id)
            True
        """
        role_rank(role)
        expiry = _expiry(expires_at)
        scope = tuple(dict.fromkeys(check_workspace_name(w) for w in workspaces))
        if not scope:
            raise ArgumentError("a key needs at least one workspace it may use")
        if survey is not None and (len(scope) != 1 or role != "viewer"):
            raise ArgumentError("a widget key (survey=...) is a viewer key of one workspace")
        with self._lock:
            self._cache = _Cache()
        keys = self._read()
        key_id = secrets.token_hex(4)
        while key_id in keys:
            key_id = secrets.token_hex(4)
        secret = secrets.token_urlsafe(32)  # 256 bits, 43 characters
        key = ApiKey(key_id, name, role, scope, _hash(secret), _now(), expires_at=expiry,
                     survey=survey)  # fmt: skip
        keys[key_id] = key
        self._write(keys)
        return key, f"cxl_{key_id}_{secret}"

    def revoke(self, key_id: str) -> ApiKey:
        """Revoke key ``key_id``; requests with it get 401 from then on.

        Raises:
            ArgumentError: no key has that id.

        Example:
            >>> store.revoke("1a2b3c4d")  # doctest: +SKIP
        """
        keys = self._read()
        if key_id not in keys:
            known = ", ".join(keys) or "none"
            raise ArgumentError(f"no key with id {key_id!r}; known key ids: {known}")
        key = keys[key_id]
        if key.active:
            key = ApiKey(**(asdict(key) | {"revoked_at": _now()}))
            keys[key_id] = key
            self._write(keys)
        return key
