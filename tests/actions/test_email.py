"""E-mail over SMTP to a real SMTP server on localhost: subject, both parts, login, STARTTLS."""

from __future__ import annotations

import doctest
import shutil
import subprocess

import pytest

import cxlens.actions.email as email_module
from cxlens.actions.email import SmtpSettings, build_message, send
from cxlens.errors import ArgumentError
from tests.actions.receivers import SmtpReceiver

SUBJECT = "cxlens alerts: 2 new (1 critical, 1 warning)"
TEXT = "KPI 'NPS' went from on track to off track: −25 against 30.\nЖалобы на счёт выросли.\n"
HTML = "<p>KPI &#x27;NPS&#x27; went <b>off track</b></p>"


def _settings(port: int, **kw) -> SmtpSettings:
    return SmtpSettings("127.0.0.1", "cx@example.com", ("ops@example.com", "lead@example.com"),
                        port=port, **kw)  # fmt: skip


def test_a_message_arrives_with_subject_and_both_parts():
    with SmtpReceiver() as rx:
        s = _settings(rx.port)
        result = send(s, build_message(s, SUBJECT, TEXT, HTML))
    assert result.ok and result.refused == {} and result.error is None
    (mail,) = rx.mails
    assert mail.sender == "cx@example.com"
    assert mail.recipients == ["ops@example.com", "lead@example.com"]
    msg = mail.message
    assert msg["Subject"] == SUBJECT and msg["Message-ID"] == result.message_id
    # SMTP carries lines ending CRLF (RFC 5321); the text is otherwise intact
    assert msg.get_body(("plain",)).get_content().replace("\r\n", "\n") == TEXT
    assert msg.get_body(("html",)).get_content().strip() == HTML
    assert not mail.tls and mail.login is None


def test_login_with_auth_plain_on_localhost():
    with SmtpReceiver(users={"cx": "pa55"}) as rx:
        ok = send(_settings(rx.port, username="cx", password="pa55"),
                  build_message(_settings(rx.port), "s", "t"))  # fmt: skip
        bad = send(_settings(rx.port, username="cx", password="wrong"),
                   build_message(_settings(rx.port), "s", "t"))  # fmt: skip
    assert ok.ok and rx.mails[0].login == "cx"
    assert not bad.ok and "535" in bad.error and len(rx.mails) == 1


def test_a_refused_recipient_is_reported_and_the_rest_delivered():
    with SmtpReceiver(refuse={"lead@example.com"}) as rx:
        s = _settings(rx.port)
        result = send(s, build_message(s, "s", "t"))
    assert result.ok and list(result.refused) == ["lead@example.com"]
    assert rx.mails[0].recipients == ["ops@example.com"]


def test_an_unreachable_server_is_reported_not_raised():
    with SmtpReceiver() as rx:
        port = rx.port
    result = send(_settings(port, timeout=2), build_message(_settings(port), "s", "t"))
    assert not result.ok and f"127.0.0.1:{port}" in result.error


def test_login_in_clear_text_to_another_host_is_refused():
    s = SmtpSettings("smtp.example.com", "cx@example.com", ("a@example.com",), username="u")
    with pytest.raises(ArgumentError, match="unencrypted connection"):
        send(s, build_message(s, "s", "t"))


@pytest.fixture(scope="module")
def certificate(tmp_path_factory):
    if shutil.which("openssl") is None:
        pytest.skip("openssl is needed to make a test certificate")
    d = tmp_path_factory.mktemp("tls")
    cert, key = d / "cert.pem", d / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key),
         "-out", str(cert), "-days", "1", "-subj", "/CN=localhost",
         "-addext", "subjectAltName=DNS:localhost"],
        check=True, capture_output=True,
    )  # fmt: skip
    return str(cert), str(key)


def test_starttls_then_login_with_a_verified_certificate(certificate):
    cert, _ = certificate
    with SmtpReceiver(users={"cx": "pa55"}, tls=certificate) as rx:
        s = SmtpSettings("localhost", "cx@example.com", ("ops@example.com",), port=rx.port,
                         username="cx", password="pa55", starttls=True, cafile=cert)  # fmt: skip
        result = send(s, build_message(s, SUBJECT, TEXT, HTML))
    assert result.ok
    (mail,) = rx.mails
    assert mail.tls and mail.login == "cx" and mail.message["Subject"] == SUBJECT


def test_starttls_fails_when_the_certificate_is_not_trusted(certificate):
    with SmtpReceiver(tls=certificate) as rx:
        s = SmtpSettings("localhost", "cx@example.com", ("ops@example.com",), port=rx.port,
                         starttls=True)  # fmt: skip
        result = send(s, build_message(s, "s", "t"))
    assert not result.ok and "CERTIFICATE_VERIFY_FAILED" in result.error and not rx.mails


def test_settings_from_environment_variables():
    env = {"CXLENS_SMTP_HOST": "mail.example.com", "CXLENS_SMTP_PORT": "587",
           "CXLENS_SMTP_FROM": "cx@example.com", "CXLENS_SMTP_TO": "a@example.com,b@example.com",
           "CXLENS_SMTP_USER": "cx", "CXLENS_SMTP_PASSWORD": "pw",
           "CXLENS_SMTP_STARTTLS": "yes"}  # fmt: skip
    s = SmtpSettings.from_env(env)
    assert (s.host, s.port_, s.sender, s.to, s.username, s.password, s.starttls, s.ssl) == (
        "mail.example.com", 587, "cx@example.com", ("a@example.com", "b@example.com"), "cx",
        "pw", True, False,
    )  # fmt: skip
    assert SmtpSettings("h", "f", ("t",), ssl=True).port_ == 465
    with pytest.raises(ArgumentError, match="CXLENS_SMTP_HOST"):
        SmtpSettings.from_env({"CXLENS_SMTP_FROM": "x", "CXLENS_SMTP_TO": "y"})
    with pytest.raises(ArgumentError, match="PORT must be a number"):
        SmtpSettings.from_env({**env, "CXLENS_SMTP_PORT": "smtp"})


def test_docstring_examples_run():
    result = doctest.testmod(email_module, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0 and result.failed == 0
