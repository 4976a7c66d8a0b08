"""Deliver a JSON payload to a webhook, signed with a shared secret, retried with backoff.

Signing scheme (the one GitHub and Stripe use, with a timestamp against replays):

* ``X-Cxlens-Timestamp``: the Unix time (seconds) the attempt was signed.
* ``X-Cxlens-Signature``: ``sha256=<hex>``, the HMAC-SHA256 under the shared secret of
  ``f"{timestamp}.".encode() + body`` (the raw request body, UTF-8 JSON).
* ``X-Cxlens-Delivery``: one id per delivery, the same on every retry, so a receiver can
  drop a payload it has already processed.

A receiver recomputes the HMAC over the timestamp, a dot and the raw body it received,
compares it in constant time (:func:`hmac.compare_digest`) and rejects a timestamp more than
a few minutes old (:func:`verify` does all three). Each retry is signed afresh, so a long
backoff does not make a good delivery look stale.

Retries: network errors, 408, 429 and 5xx answers are retried up to ``retries`` times, waiting
``backoff * 2**k`` seconds (capped at ``max_backoff``) with "equal jitter" (a uniform draw
between half and all of it) so that many senders do not retry in step; a ``Retry-After``
header (seconds or an HTTP date) replaces the computed wait. Other 4xx answers mean the
request itself is wrong and are not retried; redirects are not followed (a redirected POST
would lose its body).
"""

from __future__ import annotations

import email.utils
import hashlib
import hmac
import json
import random
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from cxlens.errors import ArgumentError

SIGNATURE_HEADER = "X-Cxlens-Signature"
TIMESTAMP_HEADER = "X-Cxlens-Timestamp"
DELIVERY_HEADER = "X-Cxlens-Delivery"
#: Answers worth another try: the server or something in between was busy or failed.
RETRY_STATUSES = frozenset({408, 429, 500, 502, 503, 504}) | frozenset(range(505, 600))
#: A receiver's default tolerance for the timestamp's age, in seconds (Stripe uses 300).
TOLERANCE_S = 300


@dataclass(frozen=True)
class DeliveryResult:
    """What became of one webhook delivery.

    Attributes:
        ok: True when the receiver answered 2xx.
        status: the last HTTP status (None when the last attempt got no answer).
        attempts: how many requests were sent.
        waits: the seconds waited before each retry, in order.
        delivery_id: the ``X-Cxlens-Delivery`` id, the same on every attempt.
        error: why it failed (None when ok).
        body: the first 2,000 characters of the last answer's body.
    """

    ok: bool
    status: int | None
    attempts: int
    waits: tuple[float, ...] = field(default_factory=tuple)
    delivery_id: str = ""
    error: str | None = None
    body: str = ""


def sign(body: bytes, secret: str | bytes, timestamp: int) -> str:
    """Return the signature header value ``sha256=<hex>`` of ``body`` signed at ``timestamp``.

    Example:
        >>> sign(b'{"a":1}', "s3cret", 1700000000)[:15]
        'sha256=1698a50b'
    """
    key = secret.encode("utf-8") if isinstance(secret, str) else secret
    message = f"{int(timestamp)}.".encode() + body
    return "sha256=" + hmac.new(key, message, hashlib.sha256).hexdigest()


def verify(
    body: bytes,
    signature: str | None,
    timestamp: str | int | None,
    secret: str | bytes,
    *,
    tolerance: float = TOLERANCE_S,
    now: float | None = None,
) -> bool:
    """Return True when ``signature`` is this secret's signature of ``body`` and is fresh.

    For receivers: pass the raw body and the ``X-Cxlens-Signature`` and
    ``X-Cxlens-Timestamp`` headers. The comparison is constant-time; a timestamp more than
    ``tolerance`` seconds from ``now`` (either way) fails, which stops replays.

    Example:
        >>> sig = sign(b"{}", "k", 1700000000)
        >>> verify(b"{}", sig, "1700000000", "k", now=1700000010)
        True
        >>> verify(b"{}", sig, "1700000000", "other", now=1700000010)
        False
    """
    if not signature or timestamp is None:
        return False
    try:
        ts = int(timestamp)
    except (TypeError, ValueError):
        return False
    current = time.time() if now is None else now
    if abs(current - ts) > tolerance:
        return False
    return hmac.compare_digest(sign(body, secret, ts), signature)


def encode(payload: Any) -> bytes:
    """Return the JSON body sent for ``payload`` (UTF-8, compact, dates as ISO text).

    Example:
        >>> encode({"b": 1, "a": "é"}).decode("utf-8")
        '{"b":1,"a":"é"}'
    """
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":"), default=_default).encode(
        "utf-8"
    )


def deliver(
    url: str,
    payload: Any,
    secret: str | bytes,
    *,
    retries: int = 5,
    backoff: float = 1.0,
    max_backoff: float = 60.0,
    timeout: float = 10.0,
    headers: Mapping[str, str] | None = None,
    sleep: Callable[[float], None] = time.sleep,
    rng: random.Random | None = None,
) -> DeliveryResult:
    """POST ``payload`` as signed JSON to ``url``, retrying transient failures.

    Args:
        url: an http:// or https:// address.
        payload: anything JSON can hold (dates and timestamps become ISO text).
        secret: the shared secret both sides know; never sent.
        retries: how many times to try again after the first attempt.
        backoff: the first wait in seconds; doubled after each retry.
        max_backoff: the longest computed wait; a ``Retry-After`` longer than this ends
            the delivery as failed rather than being cut short.
        timeout: seconds to wait for each answer.
        headers: extra request headers.
        sleep: the wait function (tests pass a recorder).
        rng: the jitter's random source (default: a fresh ``random.Random()``).

    Returns:
        DeliveryResult: ok, last status, attempts, the waits, the delivery id and, on
        failure, the reason.

    Raises:
        ArgumentError: the URL is not http(s), the secret is empty, or a setting is negative.

    Example:
        >>> deliver("https://hooks.example.com/cx", {"alerts": []}, "s3cret")  # doctest: +SKIP
        DeliveryResult(ok=True, status=200, attempts=1, ...)
    """
    _check(url, secret, retries, backoff, max_backoff, timeout)
    rng = rng or random.Random()
    body = encode(payload)
    delivery_id = uuid.uuid4().hex
    opener = urllib.request.build_opener(_NoRedirect)
    waits: list[float] = []
    status: int | None = None
    error: str | None = None
    text = ""
    wait = 0.0
    for attempt in range(retries + 1):
        if attempt:
            waits.append(wait)
            sleep(wait)
        request = _request(url, body, secret, delivery_id, headers)
        retry_after: float | None = None
        try:
            with opener.open(request, timeout=timeout) as response:
                status, text = response.status, _read(response)
            return DeliveryResult(True, status, attempt + 1, tuple(waits), delivery_id, None, text)
        except urllib.error.HTTPError as exc:
            status, text = exc.code, _read(exc)
            error = f"{url} answered {exc.code} {exc.reason}"
            if exc.code not in RETRY_STATUSES:
                break
            retry_after = _retry_after(exc.headers.get("Retry-After"))
        except (urllib.error.URLError, OSError) as exc:
            status, text = None, ""
            reason = exc.reason if isinstance(exc, urllib.error.URLError) else exc
            error = f"cannot reach {url}: {reason}"
        base = min(max_backoff, backoff * 2**attempt)
        wait = base * (0.5 + 0.5 * rng.random())
        if retry_after is not None:
            if retry_after > max_backoff:
                error = f"{error}; it asked to retry after {retry_after:g} s, beyond max_backoff"
                break
            wait = retry_after
    else:
        error = f"{error}; gave up after {retries + 1} attempts"
    return DeliveryResult(False, status, len(waits) + 1, tuple(waits), delivery_id, error, text)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """Refuse redirects: urllib would turn the POST into a GET without the body."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


def _check(
    url: str, secret: str | bytes, retries: int, backoff: float, max_backoff: float, timeout: float
) -> None:
    if not isinstance(url, str) or not url.lower().startswith(("http://", "https://")):
        raise ArgumentError(f"webhook URL must start with http:// or https://; got {url!r}")
    if not secret:
        raise ArgumentError(
            "webhook secret is empty; pass the shared secret the receiver verifies with"
        )
    for name, value in (("retries", retries), ("backoff", backoff),
                        ("max_backoff", max_backoff), ("timeout", timeout)):  # fmt: skip
        if value < 0:
            raise ArgumentError(f"{name} must be 0 or more; got {value}")


def _request(
    url: str, body: bytes, secret: str | bytes, delivery_id: str, extra: Mapping[str, str] | None
) -> urllib.request.Request:
    timestamp = int(time.time())
    headers = {
        "Content-Type": "application/json; charset=utf-8",
        "User-Agent": "cxlens-webhook/1",
        TIMESTAMP_HEADER: str(timestamp),
        SIGNATURE_HEADER: sign(body, secret, timestamp),
        DELIVERY_HEADER: delivery_id,
        **dict(extra or {}),
    }
    return urllib.request.Request(url, data=body, headers=headers, method="POST")


def _read(response: Any) -> str:
    try:
        return response.read(2000).decode("utf-8", "replace")
    except Exception:  # a body that cannot be read does not change the outcome
        return ""


def _retry_after(value: str | None) -> float | None:
    """Seconds to wait from a Retry-After header: delta-seconds or an HTTP date (RFC 9110)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def _default(value: Any) -> Any:
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if hasattr(value, "item"):  # numpy scalars
        return value.item()
    raise TypeError(f"cannot send a {type(value).__name__} as JSON: {value!r}")
