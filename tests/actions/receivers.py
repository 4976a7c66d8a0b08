"""Real receivers on localhost for the delivery tests: an HTTP webhook and an SMTP server.

Both run in a thread on a free port and record what they got. The HTTP receiver checks
the signature itself (hmac over "timestamp." + raw body, written here independently of
cxlens) and answers from a script (e.g. 503, 503, then 200). The SMTP server speaks enough
of RFC 5321 for smtplib: EHLO/HELO, AUTH PLAIN, STARTTLS, MAIL FROM, RCPT TO, DATA, RSET,
NOOP, QUIT.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import socketserver
import ssl
import threading
import time
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


def expected_signature(body: bytes, secret: str, timestamp: str) -> str:
    """The signature a receiver expects, computed without cxlens."""
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


@dataclass
class Attempt:
    at: float
    headers: dict[str, str]
    body: bytes
    signature_ok: bool
    status: int


@dataclass
class WebhookReceiver:
    """Answers POSTs from ``script`` (status, headers) in order, then ``final``."""

    secret: str
    script: list[tuple[int, dict[str, str]]] = field(default_factory=list)
    final: tuple[int, dict[str, str]] = (200, {})
    attempts: list[Attempt] = field(default_factory=list)

    def __post_init__(self) -> None:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                ts = self.headers.get("X-Cxlens-Timestamp", "")
                sig = self.headers.get("X-Cxlens-Signature", "")
                good = hmac.compare_digest(sig, expected_signature(body, receiver.secret, ts))
                step = len(receiver.attempts)
                status, headers = (
                    receiver.script[step] if step < len(receiver.script) else receiver.final
                )
                receiver.attempts.append(
                    Attempt(time.monotonic(), dict(self.headers), body, good, status)
                )
                self.send_response(status)
                for k, v in headers.items():
                    self.send_header(k, v)
                reply = b'{"ok": true}' if status < 300 else b'{"error": "scripted"}'
                self.send_header("Content-Length", str(len(reply)))
                self.end_headers()
                self.wfile.write(reply)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/hook"

    def __enter__(self) -> WebhookReceiver:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


@dataclass
class Mail:
    sender: str
    recipients: list[str]
    data: bytes
    tls: bool
    login: str | None

    @property
    def message(self) -> EmailMessage:
        return message_from_bytes(self.data, policy=policy.default)  # type: ignore[return-value]


class SmtpReceiver:
    """A minimal SMTP server; ``users`` enables AUTH PLAIN, ``tls`` (cert, key) STARTTLS."""

    def __init__(
        self,
        users: dict[str, str] | None = None,
        tls: tuple[str, str] | None = None,
        refuse: set[str] | None = None,
    ) -> None:
        self.mails: list[Mail] = []
        self.users = users or {}
        self.refuse = refuse or set()
        self.context = None
        if tls:
            self.context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            self.context.load_cert_chain(*tls)
        owner = self

        class Handler(socketserver.StreamRequestHandler):
            def handle(self) -> None:
                owner._session(self)

        socketserver.ThreadingTCPServer.allow_reuse_address = True
        self.server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    @property
    def port(self) -> int:
        return self.server.server_address[1]

    def __enter__(self) -> SmtpReceiver:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()

    def _session(self, h: socketserver.StreamRequestHandler) -> None:
        conn, rfile, tls = h.connection, h.rfile, False
        login: str | None = None
        sender, rcpts = "", []

        def send(line: str) -> None:
            conn.sendall(line.encode() + b"\r\n")

        send("220 localhost cxlens-test ESMTP")
        while True:
            raw = rfile.readline()
            if not raw:
                return
            line = raw.decode().rstrip("\r\n")
            verb, _, arg = line.partition(" ")
            verb = verb.upper()
            if verb in ("EHLO", "HELO"):
                if verb == "HELO":
                    send("250 localhost")
                    continue
                extras = ["8BITMIME", "SMTPUTF8"]
                if self.context and not tls:
                    extras.append("STARTTLS")
                if self.users:
                    extras.append("AUTH PLAIN")
                for x in extras:
                    send(f"250-{x}")
                send("250 HELP")
            elif verb == "STARTTLS" and self.context and not tls:
                send("220 ready to start TLS")
                conn = self.context.wrap_socket(conn, server_side=True)
                rfile, tls = conn.makefile("rb"), True
            elif verb == "AUTH" and self.users:
                mech, _, blob = arg.partition(" ")
                _, user, password = base64.b64decode(blob).decode().split("\0")
                if mech.upper() == "PLAIN" and self.users.get(user) == password:
                    login = user
                    send("235 2.7.0 Authentication successful")
                else:
                    send("535 5.7.8 Authentication credentials invalid")
            elif verb == "MAIL":
                if self.users and login is None:
                    send("530 5.7.0 Authentication required")
                    continue
                sender, rcpts = arg.split(":", 1)[1].split()[0].strip("<>"), []
                send("250 OK")
            elif verb == "RCPT":
                addr = arg.split(":", 1)[1].strip().strip("<>")
                if addr in self.refuse:
                    send("550 5.1.1 no such user")
                else:
                    rcpts.append(addr)
                    send("250 OK")
            elif verb == "DATA":
                send("354 End data with <CR><LF>.<CR><LF>")
                lines = []
                while True:
                    chunk = rfile.readline()
                    if chunk in (b".\r\n", b".\n", b""):
                        break
                    lines.append(chunk[1:] if chunk.startswith(b"..") else chunk)
                self.mails.append(Mail(sender, list(rcpts), b"".join(lines), tls, login))
                send("250 OK queued")
            elif verb == "RSET":
                sender, rcpts = "", []
                send("250 OK")
            elif verb == "NOOP":
                send("250 OK")
            elif verb == "QUIT":
                send("221 Bye")
                return
            else:
                send("502 5.5.2 Command not recognized")
