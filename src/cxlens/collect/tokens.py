"""Signed, expiring survey tokens: the invitation id and expiry, signed with the workspace secret.

A token is ``<invitation id>.<expiry, Unix seconds>.<signature>``, the signature being the
first 32 hex characters (128 bits) of HMAC-SHA256 over ``cxlens-survey|id|expiry`` keyed with
the workspace secret (:mod:`cxlens.store.secrets`). Changing any part, or signing with another
workspace's secret, breaks the signature; the expiry is inside what is signed, so it cannot be
extended. That a token is used once is checked against ``responses`` when answering.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from datetime import UTC, datetime

from cxlens.errors import ArgumentError

_DOMAIN = b"cxlens-survey"
_SIGNATURE_CHARS = 32
_SHAPE = re.compile(r"^([0-9a-f]{24})\.(\d{1,12})\.([0-9a-f]{32})$")


class InvalidLink(ArgumentError):
    """A survey link that is malformed, forged, or names no invitation that was made."""


class ExpiredLink(ArgumentError):
    """A genuine survey link whose expiry has passed."""


def sign_token(invitation: str, expires_at: datetime, secret: bytes) -> str:
    """Return the token for ``invitation``, valid until ``expires_at`` (naive UTC).

    Example:
        >>> sign_token("0" * 24, datetime(2030, 1, 1), bytes(32))[:36]
        '000000000000000000000000.1893456000.'
    """
    expiry = int(expires_at.replace(tzinfo=UTC).timestamp())
    return f"{invitation}.{expiry}.{_signature(invitation, expiry, secret)}"


def verify_token(token: str, secret: bytes, now: datetime) -> str:
    """Return the invitation id a genuine, unexpired token names.

    Raises:
        ArgumentError: the token is malformed or forged ("not a valid survey link"), or has
            expired (saying when).

    Example:
        >>> tok = sign_token("0" * 24, datetime(2030, 1, 1), bytes(32))
        >>> verify_token(tok, bytes(32), datetime(2029, 12, 31)) == "0" * 24
        True
    """
    match = _SHAPE.match(token.strip()) if isinstance(token, str) else None
    if match is None:
        raise InvalidLink("not a valid survey link: the token is malformed")
    invitation, expiry_text, signature = match.groups()
    expiry = int(expiry_text)
    if not hmac.compare_digest(signature, _signature(invitation, expiry, secret)):
        raise InvalidLink("not a valid survey link: the token's signature does not match")
    expires_at = datetime.fromtimestamp(expiry, UTC).replace(tzinfo=None)
    if now >= expires_at:
        raise ExpiredLink(f"this survey link expired at {expires_at:%Y-%m-%d %H:%M} UTC")
    return invitation


def signed_with(token: str, secret: bytes) -> bool:
    """Return True when ``token`` is well formed and signed with ``secret`` (expired or not).

    A server holding several workspaces finds a link's workspace this way, without the
    link naming it.

    Example:
        >>> signed_with(sign_token("0" * 24, datetime(2030, 1, 1), bytes(32)), bytes(32))
        True
    """
    match = _SHAPE.match(token.strip()) if isinstance(token, str) else None
    if match is None:
        return False
    invitation, expiry, signature = match.groups()
    return hmac.compare_digest(signature, _signature(invitation, int(expiry), secret))


def _signature(invitation: str, expiry: int, secret: bytes) -> str:
    message = b"|".join((_DOMAIN, invitation.encode(), str(expiry).encode()))
    return hmac.new(secret, message, hashlib.sha256).hexdigest()[:_SIGNATURE_CHARS]
