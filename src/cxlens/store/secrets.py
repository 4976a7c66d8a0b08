"""The workspace secret and pseudonymisation: customer ids as keyed hashes (HMAC-SHA256).

A pseudonym is ``HMAC-SHA256(secret, id)`` as hex, cut to :data:`PSEUDONYM_CHARS`
characters. Without the secret nobody can compute one from a guessed id (a plain hash of a
customer id could be reversed by hashing every plausible id); with it, the same id always
gives the same pseudonym, so pseudonymised exports still join with each other and the
erasure log can tell whether an id was erased without keeping it.

The secret (32 random bytes) is created on first use and kept in the Workspace's
``_workspace_secret`` table, so it works on every engine, travels with a backup of the
workspace and changes with it atomically. docs/privacy.md says how to back it up alone.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets as _random
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

import pandas as pd
import pyarrow as pa

from cxlens.errors import ArgumentError, SchemaError, WorkspaceError

#: Table holding the workspace secret (one row).
SECRET_TABLE = "_workspace_secret"
#: Bytes of a new secret.
SECRET_BYTES = 32
#: Hex characters kept of each HMAC (80 bits: no collision expected below ~10^11 ids).
PSEUDONYM_CHARS = 20


def pseudonymise(
    values: Iterable[Any], secret: bytes, *, length: int = PSEUDONYM_CHARS
) -> list[str | None]:
    """Return the keyed hash of each value: HMAC-SHA256 with ``secret``, hex, ``length`` chars.

    Values are hashed as their UTF-8 text; missing values (None, NaN, NA) stay None.

    Example:
        >>> pseudonymise(["C000001", None], bytes(32), length=12)
        ['dcf2e721b040', None]
    """
    if not isinstance(secret, bytes | bytearray) or len(secret) < 16:
        raise ArgumentError("the pseudonymisation secret must be at least 16 bytes")
    if not 8 <= length <= 64:
        raise ArgumentError(f"length must be between 8 and 64 hex characters, not {length}")
    out: list[str | None] = []
    for value in values:
        if value is None or (pd.api.types.is_scalar(value) and pd.isna(value)):
            out.append(None)
            continue
        digest = hmac.new(bytes(secret), str(value).encode("utf-8"), hashlib.sha256)
        out.append(digest.hexdigest()[:length])
    return out


def pseudonymise_frame(
    frame: pd.DataFrame, secret: bytes, columns: Sequence[str] = ("customer_id",)
) -> pd.DataFrame:
    """Return a copy of ``frame`` with each of ``columns`` replaced by its pseudonyms.

    Use it on anything that leaves the Workspace (CSV exports, files for an agency): the
    rows still join on the pseudonymised ids, but do not name the customers.

    Example:
        >>> out = pseudonymise_frame(pd.DataFrame({"customer_id": ["C1"], "nps": [9]}),
        ...                          bytes(32))
        >>> out.columns.tolist(), len(out.customer_id[0])
        (['customer_id', 'nps'], 20)
    """
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise SchemaError(
            f"cannot pseudonymise column(s) {', '.join(missing)}: the frame has "
            f"{', '.join(map(str, frame.columns))}"
        )
    out = frame.copy()
    for col in columns:
        out[col] = pd.Series(pseudonymise(out[col], secret), index=out.index, dtype="string")
    return out


def workspace_secret(ws: Any, *, create: bool = True) -> bytes:
    """Return the Workspace's secret, creating a random one on first use when ``create``.

    Example:
        >>> len(workspace_secret(Workspace(":memory:")))  # doctest: +SKIP
        32
    """
    stored = _stored(ws)
    if stored is not None:
        return stored
    if not create:
        raise WorkspaceError(
            f"the workspace has no secret yet ('{SECRET_TABLE}'); it is created by the first "
            "erasure or pseudonymisation, or restored with restore_secret(ws, HEX)"
        )
    secret = _random.token_bytes(SECRET_BYTES)
    _write(ws, secret)
    return secret


def restore_secret(ws: Any, secret_hex: str) -> None:
    """Install a backed-up secret (hex) in a Workspace that has none yet.

    Pseudonyms made before keep matching only under the same secret; a workspace that
    already has a different one is refused rather than silently re-keyed.

    Example:
        >>> restore_secret(ws, "9f3c...")  # doctest: +SKIP
    """
    try:
        secret = bytes.fromhex(secret_hex.strip())
    except ValueError:
        raise ArgumentError("the secret must be hex text, as docs/privacy.md backs it up") from None
    if len(secret) < 16:
        raise ArgumentError(f"the secret is {len(secret)} bytes; expected {SECRET_BYTES}")
    stored = _stored(ws)
    if stored is not None and stored != secret:
        raise WorkspaceError(
            "the workspace already has a different secret; restoring another would change "
            "every pseudonym and the erasure log's ids (restore into a fresh workspace)"
        )
    if stored is None:
        _write(ws, secret)


def _stored(ws: Any) -> bytes | None:
    if SECRET_TABLE not in ws.engine.list_tables():
        return None
    rows = ws.engine.execute(ws.engine.table(SECRET_TABLE).select("secret").limit(1))
    return bytes.fromhex(rows["secret"].iloc[0]) if len(rows) else None


def _write(ws: Any, secret: bytes) -> None:
    row = pa.table(
        {
            "secret": pa.array([secret.hex()], pa.string()),
            "created_at": pa.array([datetime.now(UTC).replace(tzinfo=None)], pa.timestamp("us")),
        }
    )
    engine = ws.engine
    if SECRET_TABLE not in engine.list_tables():
        engine.create_table(SECRET_TABLE, {"secret": "string", "created_at": "timestamp"})
    engine.append(SECRET_TABLE, row)
