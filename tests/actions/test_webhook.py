"""Webhook delivery against a real HTTP receiver on localhost: signature, retries, backoff."""

from __future__ import annotations

import doctest
import email.utils
import json
import random
import socket
import time

import pytest

import cxlens.actions.webhook as webhook_module
from cxlens.actions.webhook import deliver, sign, verify
from cxlens.errors import ArgumentError
from tests.actions.receivers import WebhookReceiver, expected_signature

SECRET = "whsec_test_5f2a"
PAYLOAD = {"alerts": [{"id": "a1", "message": "NPS fell to −25 in Feb 2025", "score": 61.5}]}


def _recorder():
    waits: list[float] = []
    return waits, waits.append


def test_a_delivery_is_signed_over_timestamp_and_raw_body():
    with WebhookReceiver(SECRET) as rx:
        result = deliver(rx.url, PAYLOAD, SECRET)
    assert result.ok and result.status == 200 and result.attempts == 1
    (attempt,) = rx.attempts
    assert attempt.signature_ok
    assert json.loads(attempt.body.decode("utf-8")) == PAYLOAD  # non-ASCII survives
    assert attempt.headers["Content-Type"].startswith("application/json")
    assert attempt.headers["X-Cxlens-Delivery"] == result.delivery_id
    assert abs(int(attempt.headers["X-Cxlens-Timestamp"]) - time.time()) < 5


def test_a_wrong_secret_is_detected_by_the_receiver():
    with WebhookReceiver(SECRET) as rx:
        deliver(rx.url, PAYLOAD, "not-the-secret")
    (attempt,) = rx.attempts
    assert not attempt.signature_ok
    ts = attempt.headers["X-Cxlens-Timestamp"]
    sig = attempt.headers["X-Cxlens-Signature"]
    assert not verify(attempt.body, sig, ts, SECRET)
    assert verify(attempt.body, sig, ts, "not-the-secret")
    # a body changed in transit fails too
    assert not verify(attempt.body + b" ", sig, ts, "not-the-secret")


def test_503_is_retried_with_growing_backoff_until_it_succeeds():
    script = [(503, {}), (503, {}), (503, {})]
    waits, sleep = _recorder()
    with WebhookReceiver(SECRET, script=script) as rx:
        result = deliver(rx.url, PAYLOAD, SECRET, backoff=1.0, sleep=sleep,
                         rng=random.Random(0))  # fmt: skip
    assert result.ok and result.attempts == 4 and [a.status for a in rx.attempts] == [
        503, 503, 503, 200,
    ]  # fmt: skip
    assert all(a.signature_ok for a in rx.attempts)
    assert json.loads(rx.attempts[-1].body) == PAYLOAD
    # equal jitter: the k-th wait lies in [2**k / 2, 2**k] seconds
    assert list(result.waits) == waits and len(waits) == 3
    for k, w in enumerate(waits):
        assert 2**k / 2 <= w <= 2**k
    # one delivery id on every attempt, a fresh timestamp and signature on each
    assert len({a.headers["X-Cxlens-Delivery"] for a in rx.attempts}) == 1


def test_real_waits_happen_between_attempts():
    with WebhookReceiver(SECRET, script=[(502, {}), (500, {})]) as rx:
        result = deliver(rx.url, PAYLOAD, SECRET, backoff=0.2, rng=random.Random(1))
    assert result.ok and result.attempts == 3
    gaps = [b.at - a.at for a, b in zip(rx.attempts, rx.attempts[1:], strict=False)]
    for gap, w in zip(gaps, result.waits, strict=True):
        assert gap >= w - 0.01
    assert gaps[0] >= 0.1 and gaps[1] >= 0.2


def test_429_retry_after_seconds_is_honoured():
    waits, sleep = _recorder()
    with WebhookReceiver(SECRET, script=[(429, {"Retry-After": "7"})]) as rx:
        result = deliver(rx.url, PAYLOAD, SECRET, backoff=0.01, sleep=sleep)
    assert result.ok and result.attempts == 2 and waits == [7.0]


def test_retry_after_as_http_date_is_honoured():
    when = email.utils.formatdate(time.time() + 20, usegmt=True)
    waits, sleep = _recorder()
    with WebhookReceiver(SECRET, script=[(503, {"Retry-After": when})]) as rx:
        result = deliver(rx.url, PAYLOAD, SECRET, backoff=0.01, sleep=sleep)
    assert result.ok and 17 <= waits[0] <= 20.5


def test_a_retry_after_beyond_max_backoff_ends_the_delivery():
    waits, sleep = _recorder()
    with WebhookReceiver(SECRET, script=[(429, {"Retry-After": "3600"})]) as rx:
        result = deliver(rx.url, PAYLOAD, SECRET, max_backoff=60, sleep=sleep)
    assert not result.ok and result.status == 429 and len(rx.attempts) == 1 and waits == []
    assert "3600" in result.error


def test_400_is_not_retried():
    waits, sleep = _recorder()
    with WebhookReceiver(SECRET, script=[(400, {})]) as rx:
        result = deliver(rx.url, PAYLOAD, SECRET, sleep=sleep)
    assert not result.ok and result.status == 400 and result.attempts == 1
    assert len(rx.attempts) == 1 and waits == []
    assert "400" in result.error and "scripted" in result.body


def test_giving_up_after_the_retries_reports_the_last_status():
    _, sleep = _recorder()
    with WebhookReceiver(SECRET, final=(503, {})) as rx:
        result = deliver(rx.url, PAYLOAD, SECRET, retries=2, sleep=sleep)
    assert not result.ok and result.status == 503 and result.attempts == 3 == len(rx.attempts)
    assert "gave up after 3 attempts" in result.error


def test_a_refused_connection_is_retried_and_reported():
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    waits, sleep = _recorder()
    result = deliver(f"http://127.0.0.1:{port}/", PAYLOAD, SECRET, retries=2, sleep=sleep)
    assert not result.ok and result.status is None and result.attempts == 3 and len(waits) == 2
    assert "cannot reach" in result.error


def test_redirects_are_not_followed():
    with WebhookReceiver(SECRET, script=[(301, {"Location": "http://127.0.0.1:9/x"})]) as rx:
        result = deliver(rx.url, PAYLOAD, SECRET)
    assert not result.ok and result.status == 301 and len(rx.attempts) == 1


def test_verify_rejects_stale_timestamps_and_sign_matches_an_independent_hmac():
    body = b'{"a":1}'
    assert sign(body, SECRET, 1_700_000_000) == expected_signature(body, SECRET, "1700000000")
    sig = sign(body, SECRET, 1_700_000_000)
    assert verify(body, sig, 1_700_000_000, SECRET, now=1_700_000_299)
    assert not verify(body, sig, 1_700_000_000, SECRET, now=1_700_000_301)
    assert not verify(body, None, 1_700_000_000, SECRET)
    assert not verify(body, sig, "not-a-number", SECRET)


@pytest.mark.parametrize(
    ("url", "secret", "match"),
    [("file:///etc/passwd", "s", "http:// or https://"), ("http://x", "", "secret is empty")],
)
def test_bad_arguments_are_refused(url, secret, match):
    with pytest.raises(ArgumentError, match=match):
        deliver(url, {}, secret)


def test_docstring_examples_run():
    result = doctest.testmod(webhook_module, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0 and result.failed == 0
