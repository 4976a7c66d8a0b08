"""Sending survey invitations: once (``cxlens surveys send``) or every N seconds (``cxlens serve``).

One round, per workspace that has surveys: trigger the surveys on events not decided yet
(events loaded by ``cxlens ingest`` or an upload count, not only those sent to the API), then
send every e-mail invitation that is due over SMTP and record each outcome in
``survey_sends`` as soon as the server answers, so a crash never sends one twice and a
refused address is tried again next round. The scheduler is a daemon thread in the server;
it holds a workspace's lock only while working on it.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from cxlens.actions.email import SmtpSettings, build_message, send
from cxlens.api.state import ServedWorkspace, Workspaces
from cxlens.collect.tables import DEFINITIONS_TABLE

log = logging.getLogger("cxlens.api.surveys")

#: Seconds between rounds unless told otherwise.
DEFAULT_EVERY = 60.0


@dataclass
class Round:
    """What one round did in one workspace."""

    decided: int = 0
    sent: int = 0
    failed: int = 0


def send_due(
    ws: Any, settings: SmtpSettings, link: str, report: Callable[[str, str], None] | None = None
) -> Round:
    """Send the workspace's due e-mail invitations, each recorded as it goes; return counts.

    ``ws`` is a Workspace; ``link`` the answer page's template with ``{token}`` and
    ``{score}``; ``report(invitation_id, error)`` hears of each failure.

    Example:
        >>> send_due(ws, settings, "https://cx.example/s/{token}?score={score}")  # doctest: +SKIP
        Round(decided=0, sent=2, failed=0)
    """
    done = Round()
    surveys = ws.surveys
    for invitation in surveys.due(link):
        mail = replace(settings, to=(invitation.email,))
        message = build_message(mail, invitation.subject, invitation.text, invitation.html)
        result = send(mail, message)
        # recorded one by one: a crash part-way never sends the same invitation twice
        surveys.record_sends([(invitation, result.ok, result.error)])
        done.sent, done.failed = done.sent + result.ok, done.failed + (not result.ok)
        if not result.ok and report is not None:
            report(invitation.invitation_id, result.error or "")
    return done


class SurveyScheduler:
    """Every ``every`` seconds, trigger and send the invitations of every served workspace.

    Args:
        workspaces: the server's workspaces.
        settings: SMTP settings (``to`` is replaced by each customer's address).
        link: the answer page's template, e.g. ``https://cx.example/s/{token}?score={score}``.
        every: seconds between rounds.

    Example:
        >>> s = SurveyScheduler(app.state.workspaces, settings, link, every=60)  # doctest: +SKIP
        >>> s.start(); s.stop()  # doctest: +SKIP
    """

    def __init__(
        self, workspaces: Workspaces, settings: SmtpSettings, link: str, every: float
    ) -> None:
        self.workspaces = workspaces
        self.settings = settings
        self.link = link
        self.every = float(every)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def run_once(self) -> dict[str, Round]:
        """Run one round over every workspace with surveys; return what it did by name."""
        out = {}
        for name in self.workspaces.names():
            served = self.workspaces.get(name)
            if served is not None:
                try:
                    done = _round(served, self.settings, self.link)
                except Exception:  # one workspace's failure must not stop the others
                    log.exception("survey round failed in workspace %s", name)
                    continue
                if done is not None:
                    out[name] = done
        return out

    def start(self) -> None:
        """Start the rounds in a daemon thread (the first round at once)."""
        self._thread = threading.Thread(target=self._loop, name="survey-scheduler", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop after the round under way, if any."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=30)

    def _loop(self) -> None:
        while not self._stop.is_set():
            for name, done in self.run_once().items():
                if done.decided or done.sent or done.failed:
                    log.info("surveys in %s: %d decided, %d sent, %d failed", name,
                             done.decided, done.sent, done.failed)  # fmt: skip
            self._stop.wait(self.every)


def _round(served: ServedWorkspace, settings: SmtpSettings, link: str) -> Round | None:
    """Trigger and send in one workspace; None when it has no surveys."""
    with served.lock:
        ws = served.workspace()
        if not ws.has_table(DEFINITIONS_TABLE):
            return None
        decided = len(ws.surveys.trigger())
        done = send_due(ws, settings, link)
        done.decided = decided
        changed = bool(done.decided or done.sent or done.failed)
        if changed:  # as ServedWorkspace.write does, but only when something was written
            served.version += 1
    if changed and served.on_change is not None:
        served.on_change(served)
    return done
