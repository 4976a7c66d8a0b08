"""Collect KPI and insight alerts into one payload and send only the new ones.

:func:`collect` runs :meth:`ws.kpis.alerts <cxlens.analysis.kpis.Kpis.alerts>` (KPIs that
slipped, plus insights above a score) and gives each alert a stable id: a hash of its source,
name, metric, period and status, so the same finding in a later run has the same id.

:func:`notify` is the cron job: it collects the alerts, drops those each channel (webhook,
e-mail) has already delivered, according to a small JSON state file, sends the rest, and
records the ids only after the channel accepted them, so a failed delivery is tried again on
the next run. Each channel keeps its own list, so a webhook outage does not resend the
e-mail. Ids older than ``keep_days`` are forgotten.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import html
import json
import math
import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from cxlens.actions import email as _email
from cxlens.actions import webhook as _webhook
from cxlens.errors import ArgumentError

if TYPE_CHECKING:
    from cxlens.workspace import Workspace

#: Fields of one alert in the payload.
ALERT_FIELDS: tuple[str, ...] = (
    "id",
    "source",
    "name",
    "metric",
    "period_start",
    "severity",
    "status",
    "score",
    "message",
)
SEVERITY_ORDER = {"critical": 0, "warning": 1, "info": 2}
_ID_PARTS = ("source", "name", "metric", "period_start", "status")


@dataclass(frozen=True)
class WebhookTarget:
    """A webhook to deliver to; keyword options go to :func:`cxlens.actions.webhook.deliver`.

    Example:
        >>> WebhookTarget("https://hooks.example.com/cx", "s3cret", {"retries": 3}).url
        'https://hooks.example.com/cx'
    """

    url: str
    secret: str
    options: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class NotifyResult:
    """What one :func:`notify` run found and sent.

    Attributes:
        alerts: every alert found now (the payload's ``alerts``, as a table).
        new: per channel ("webhook", "email"), the ids that were new to it.
        deliveries: per channel, the DeliveryResult or EmailResult (absent when the channel
            had nothing new or was not configured).
    """

    alerts: pd.DataFrame
    new: dict[str, list[str]]
    deliveries: dict[str, Any]

    @property
    def ok(self) -> bool:
        """True when every attempted delivery succeeded."""
        return all(d.ok for d in self.deliveries.values())


def alert_id(alert: dict[str, Any]) -> str:
    """Return the stable id of an alert: 16 hex digits of SHA-256 over its identifying fields.

    Example:
        >>> alert_id({"source": "kpi", "name": "NPS", "metric": "nps",
        ...           "period_start": "2025-03-01", "status": "off track"})
        '8b211e62631c07d1'
    """
    key = json.dumps([_text(alert.get(k)) for k in _ID_PARTS], ensure_ascii=False)
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:16]


def collect(
    ws: Workspace,
    *,
    threshold: float | None = 25.0,
    as_of: Any = None,
    every: str = "month",
    **insight_options: Any,
) -> dict[str, Any]:
    """Return the workspace's alerts as one JSON-ready payload.

    Args:
        ws: the Workspace.
        threshold: insight score above which an insight alerts (None: KPI alerts only).
        as_of: date the KPIs are evaluated on (default today).
        every: period grain of KPIs and insights.
        **insight_options: passed to the insight scan (metrics, dimensions, recent...).

    Returns:
        dict with ``generated_at`` (UTC, ISO), ``as_of``, ``every``, ``threshold``,
        ``counts`` (by severity) and ``alerts``: a list of dicts with id, source, name,
        metric, period_start (ISO date), severity, status, score (None for KPIs), message;
        most severe first.

    Example:
        >>> payload = collect(ws, threshold=None, as_of="2025-03-01")  # doctest: +SKIP
        >>> [a["severity"] for a in payload["alerts"]]  # doctest: +SKIP
        ['critical', 'warning']
    """
    frame = ws.kpis.alerts(threshold, as_of=as_of, every=every, **insight_options)
    alerts = [_record(row) for row in frame.to_dict("records")]
    alerts.sort(key=lambda a: SEVERITY_ORDER.get(str(a["severity"]), 9))
    counts: dict[str, int] = {}
    for a in alerts:
        counts[a["severity"]] = counts.get(a["severity"], 0) + 1
    return {
        "generated_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "as_of": None if as_of is None else str(as_of),
        "every": every,
        "threshold": threshold,
        "counts": counts,
        "alerts": alerts,
    }


def digest(payload: dict[str, Any], title: str = "cxlens alerts") -> tuple[str, str, str]:
    """Return the e-mail digest of a payload: subject, plain text and HTML.

    Example:
        >>> p = {"alerts": [{"severity": "critical", "message": "NPS fell", "name": "NPS"}]}
        >>> digest(p)[0]
        'cxlens alerts: 1 new (1 critical)'
    """
    alerts = payload.get("alerts", [])
    counts: dict[str, int] = {}
    for a in alerts:
        counts[str(a["severity"])] = counts.get(str(a["severity"]), 0) + 1
    ordered = sorted(counts.items(), key=lambda kv: SEVERITY_ORDER.get(kv[0], 9))
    parts = ", ".join(f"{n} {s}" for s, n in ordered)
    subject = f"{title}: {len(alerts)} new" + (f" ({parts})" if parts else "")
    lines = [f"{len(alerts)} new alert(s)" + (f" ({parts})" if parts else "") + ":", ""]
    lines += [f"[{a['severity'].upper()}] {a['message']}" for a in alerts]
    text = "\n".join(lines) + "\n"
    colours = {"critical": "#b42318", "warning": "#b54708", "info": "#175cd3"}
    items = "".join(
        f'<li><strong style="color:{colours.get(str(a["severity"]), "#344054")}">'
        f"{html.escape(str(a['severity']))}</strong> {html.escape(str(a['message']))}</li>"
        for a in alerts
    )
    body = (
        '<!doctype html><html><body style="font-family:sans-serif">'
        f"<h2>{html.escape(subject)}</h2><ul>{items}</ul></body></html>"
    )
    return subject, text, body


def notify(
    ws: Workspace,
    *,
    webhook: WebhookTarget | None = None,
    email: _email.SmtpSettings | None = None,
    threshold: float | None = 25.0,
    state_file: str | Path | None = None,
    as_of: Any = None,
    every: str = "month",
    keep_days: int = 400,
    payload: dict[str, Any] | None = None,
    audit: Any = None,
    **insight_options: Any,
) -> NotifyResult:
    """Send the alerts each channel has not delivered yet, by webhook and/or e-mail.

    Args:
        ws: the Workspace.
        webhook: where to POST the signed JSON payload (its ``alerts`` only the new ones).
        email: SMTP settings for the digest.
        threshold: insight score above which an insight alerts (None: KPI alerts only).
        as_of: date the KPIs are evaluated on (default today).
        every: period grain of KPIs and insights.
        state_file: JSON file of the ids each channel has delivered (None: send all).
        keep_days: forget delivered ids after this many days.
        payload: alerts already collected with :func:`collect` (skips the scan).
        audit: an :class:`cxlens.api.audit.AuditLog` to record each delivery in.
        **insight_options: passed to the insight scan (metrics, dimensions, recent...).

    Returns:
        NotifyResult: all alerts, the new ids per channel and each delivery's result.

    Raises:
        ArgumentError: neither channel was given, or the state file is not cxlens's.

    Example:
        >>> hook = WebhookTarget("https://hooks.example.com/cx", "s3cret")
        >>> notify(ws, webhook=hook, state_file="alerts.json").new  # doctest: +SKIP
        {'webhook': ['8b211e62631c07d1']}
    """
    if webhook is None and email is None:
        raise ArgumentError("notify needs a channel: pass webhook=WebhookTarget(...) or email=...")
    payload = payload or collect(ws, threshold=threshold, as_of=as_of, every=every,
                                 **insight_options)  # fmt: skip
    state = _load_state(state_file)
    now = dt.datetime.now(dt.UTC)
    senders: dict[str, Callable[[dict[str, Any]], Any]] = {}
    if webhook is not None:
        senders["webhook"] = lambda p: _webhook.deliver(
            webhook.url, p, webhook.secret, **webhook.options
        )
    if email is not None:
        senders["email"] = lambda p: _email.send(email, _email.build_message(email, *digest(p)))
    new: dict[str, list[str]] = {}
    deliveries: dict[str, Any] = {}
    for channel, send in senders.items():
        sent = state.setdefault(channel, {})
        fresh = [a for a in payload["alerts"] if a["id"] not in sent]
        new[channel] = [a["id"] for a in fresh]
        if not fresh:
            continue
        result = send({**payload, "alerts": fresh})
        deliveries[channel] = result
        if result.ok:
            sent.update({a["id"]: now.isoformat(timespec="seconds") for a in fresh})
        if audit is not None:
            audit.record(
                f"notify {channel}", key_id="cli", workspace=_ws_name(ws), target=channel,
                outcome="ok" if result.ok else "failed",
                detail={"alerts": len(fresh), "error": getattr(result, "error", None)},
            )  # fmt: skip
    _save_state(state_file, state, now - dt.timedelta(days=keep_days))
    table = pd.DataFrame(payload["alerts"], columns=list(ALERT_FIELDS))
    return NotifyResult(table, new, deliveries)


def _record(row: dict[str, Any]) -> dict[str, Any]:
    out = {k: row.get(k) for k in ALERT_FIELDS if k != "id"}
    start = out["period_start"]
    out["period_start"] = None if _missing(start) else pd.Timestamp(start).date().isoformat()
    score = out["score"]
    out["score"] = None if _missing(score) else round(float(score), 3)
    for key in ("source", "name", "metric", "severity", "status", "message"):
        out[key] = None if _missing(out[key]) else str(out[key])
    return {"id": alert_id(out), **out}


def _missing(value: Any) -> bool:
    if value is None:
        return True
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def _text(value: Any) -> str | None:
    if _missing(value):
        return None
    if isinstance(value, float) and math.isfinite(value):
        return repr(value)
    return str(value)


def _ws_name(ws: Workspace) -> str:
    path = getattr(ws, "path", None)
    return Path(path).stem if path else str(getattr(getattr(ws, "engine", None), "name", "ws"))


def _load_state(path: str | Path | None) -> dict[str, dict[str, str]]:
    if path is None or not Path(path).exists():
        return {}
    try:
        doc = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise ArgumentError(
            f"cannot read the alert state file {path}: {exc}; delete it to start afresh "
            "(every current alert is then sent once more)"
        ) from exc
    sent = doc.get("sent") if isinstance(doc, dict) else None
    if not isinstance(sent, dict) or not all(isinstance(v, dict) for v in sent.values()):
        raise ArgumentError(
            f"{path} is not a cxlens alert state file (expected {{'sent': {{channel: "
            "{id: time}}}}); pass another --state-file"
        )
    return {str(k): {str(i): str(t) for i, t in v.items()} for k, v in sent.items()}


def _save_state(
    path: str | Path | None, state: dict[str, dict[str, str]], forget_before: dt.datetime
) -> None:
    """Write the state atomically (a crash leaves the old file), dropping old ids."""
    if path is None:
        return
    cutoff = forget_before.isoformat(timespec="seconds")
    kept = {ch: {i: t for i, t in ids.items() if t >= cutoff} for ch, ids in state.items()}
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=target.name, suffix=".tmp", dir=target.parent)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        json.dump({"version": 1, "sent": kept}, fh, indent=1, sort_keys=True)
    os.replace(tmp, target)
