"""Send an e-mail (plain text plus an HTML alternative) over SMTP with the standard library.

Settings come from :class:`SmtpSettings` or from environment variables
(:meth:`SmtpSettings.from_env`): ``CXLENS_SMTP_HOST``, ``CXLENS_SMTP_PORT``,
``CXLENS_SMTP_FROM``, ``CXLENS_SMTP_TO`` (comma-separated), ``CXLENS_SMTP_USER``,
``CXLENS_SMTP_PASSWORD``, ``CXLENS_SMTP_STARTTLS`` and ``CXLENS_SMTP_SSL`` (1/true/yes).

The connection is plain SMTP, upgraded with STARTTLS when asked, or TLS from the start
(``ssl``, port 465). A login is refused over an unencrypted connection unless the server is
on this machine, so a password never crosses a network in clear text.
"""

from __future__ import annotations

import ipaddress
import os
import smtplib
import ssl as _ssl
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from cxlens.errors import ArgumentError

_TRUE = {"1", "true", "yes", "on"}


@dataclass(frozen=True)
class SmtpSettings:
    """Where and how to send e-mail.

    Attributes:
        host: the SMTP server.
        sender: the From address.
        to: the recipients.
        port: the server port (default 465 with ``ssl``, 587 with ``starttls``, else 25).
        username: login name, or None for no login.
        password: login password.
        starttls: upgrade the connection with STARTTLS before sending.
        ssl: use TLS from the start (SMTPS).
        timeout: seconds to wait for the server.
        cafile: a CA bundle to verify the server's certificate with (default: the system's).

    Example:
        >>> SmtpSettings("smtp.example.com", "cx@example.com", ("ops@example.com",)).port_
        25
    """

    host: str
    sender: str
    to: tuple[str, ...]
    port: int | None = None
    username: str | None = None
    password: str | None = None
    starttls: bool = False
    ssl: bool = False
    timeout: float = 30.0
    cafile: str | None = None

    @property
    def port_(self) -> int:
        """The port used: the one given, else the usual one for the connection kind."""
        if self.port is not None:
            return int(self.port)
        return 465 if self.ssl else 587 if self.starttls else 25

    @classmethod
    def from_env(
        cls, environ: Mapping[str, str] | None = None, prefix: str = "CXLENS_SMTP_"
    ) -> SmtpSettings:
        """Return settings read from ``{prefix}HOST``, ``PORT``, ``FROM``, ``TO``, ... variables.

        Raises:
            ArgumentError: HOST, FROM or TO is missing, or PORT is not a number.

        Example:
            >>> env = {"CXLENS_SMTP_HOST": "localhost", "CXLENS_SMTP_FROM": "cx@example.com",
            ...        "CXLENS_SMTP_TO": "a@example.com, b@example.com"}
            >>> SmtpSettings.from_env(env).to
            ('a@example.com', 'b@example.com')
        """
        env = os.environ if environ is None else environ

        def get(name: str) -> str | None:
            value = env.get(prefix + name)
            return value.strip() if value and value.strip() else None

        missing = [prefix + n for n in ("HOST", "FROM", "TO") if get(n) is None]
        if missing:
            raise ArgumentError(
                f"SMTP settings missing: set {', '.join(missing)} (or pass SmtpSettings)"
            )
        port = get("PORT")
        if port is not None and not port.isdigit():
            raise ArgumentError(f"{prefix}PORT must be a number; got {port!r}")
        return cls(
            host=str(get("HOST")),
            sender=str(get("FROM")),
            to=tuple(a.strip() for a in str(get("TO")).split(",") if a.strip()),
            port=int(port) if port else None,
            username=get("USER"),
            password=env.get(prefix + "PASSWORD"),
            starttls=(get("STARTTLS") or "").lower() in _TRUE,
            ssl=(get("SSL") or "").lower() in _TRUE,
        )


@dataclass(frozen=True)
class EmailResult:
    """What became of one e-mail.

    Attributes:
        ok: True when the server accepted it for at least one recipient.
        message_id: the Message-ID header.
        refused: recipients the server refused, with its answer.
        error: why it failed (None when ok).
    """

    ok: bool
    message_id: str
    refused: dict[str, str]
    error: str | None = None


def build_message(
    settings: SmtpSettings, subject: str, text: str, html: str | None = None
) -> EmailMessage:
    """Return the message: ``text`` as the plain part, ``html`` as its alternative.

    Example:
        >>> s = SmtpSettings("localhost", "cx@example.com", ("ops@example.com",))
        >>> build_message(s, "Alerts", "2 new alerts", "<p>2 new alerts</p>").get_content_type()
        'multipart/alternative'
    """
    message = EmailMessage()
    message["Subject"] = subject
    message["From"] = settings.sender
    message["To"] = ", ".join(settings.to)
    message["Date"] = formatdate(localtime=False, usegmt=True)
    domain = settings.sender.rpartition("@")[2] or None
    message["Message-ID"] = make_msgid("cxlens", domain=domain)
    message.set_content(text)
    if html is not None:
        message.add_alternative(html, subtype="html")
    return message


def send(settings: SmtpSettings, message: EmailMessage) -> EmailResult:
    """Send ``message`` to ``settings.to`` through the SMTP server.

    Returns:
        EmailResult: ok, the Message-ID, refused recipients, and the reason on failure
        (network errors and SMTP errors are caught and reported, not raised).

    Raises:
        ArgumentError: no recipient, or a login over an unencrypted connection to another
            machine.

    Example:
        >>> s = SmtpSettings("localhost", "cx@example.com", ("ops@example.com",), port=2525)
        >>> send(s, build_message(s, "Alerts", "none")).ok  # doctest: +SKIP
        True
    """
    _check(settings)
    message_id = str(message["Message-ID"] or "")
    context = _ssl.create_default_context(cafile=settings.cafile)
    try:
        if settings.ssl:
            server: smtplib.SMTP = smtplib.SMTP_SSL(
                settings.host, settings.port_, timeout=settings.timeout, context=context
            )
        else:
            server = smtplib.SMTP(settings.host, settings.port_, timeout=settings.timeout)
        with server:
            server.ehlo()
            if settings.starttls:
                server.starttls(context=context)
                server.ehlo()
            if settings.username:
                server.login(settings.username, settings.password or "")
            refused = server.send_message(message, settings.sender, list(settings.to))
    except smtplib.SMTPRecipientsRefused as exc:
        return EmailResult(False, message_id, _refused(exc.recipients), "every recipient refused")
    except (smtplib.SMTPException, OSError) as exc:
        where = f"{settings.host}:{settings.port_}"
        return EmailResult(False, message_id, {}, f"SMTP via {where} failed: {exc}")
    return EmailResult(True, message_id, _refused(refused))


def _check(settings: SmtpSettings) -> None:
    if not settings.to:
        raise ArgumentError("no e-mail recipient: give at least one address in 'to'")
    encrypted = settings.starttls or settings.ssl
    if settings.username and not encrypted and not _is_local(settings.host):
        raise ArgumentError(
            f"refusing to log in to {settings.host} over an unencrypted connection; turn on "
            "starttls (port 587) or ssl (port 465)"
        )


def _is_local(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _refused(recipients: Mapping[str, tuple[int, bytes]] | Sequence[str]) -> dict[str, str]:
    if not isinstance(recipients, Mapping):
        return {}
    return {
        addr: f"{code} {text.decode('utf-8', 'replace') if isinstance(text, bytes) else text}"
        for addr, (code, text) in recipients.items()
    }
