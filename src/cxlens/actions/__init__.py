"""Acting on the findings: alerts delivered by webhook and e-mail, target lists for CRMs.

* :mod:`~cxlens.actions.webhook`: signed JSON delivery with retries (:func:`deliver`,
  :func:`verify` for receivers).
* :mod:`~cxlens.actions.email`: SMTP delivery of a plain-text + HTML message.
* :mod:`~cxlens.actions.alerts`: KPI and insight alerts as one payload; :func:`notify` sends
  only the alerts each channel has not delivered yet.
* :mod:`~cxlens.actions.targets`: the churn-risk, next-best-offer and detractor lists.
* :mod:`~cxlens.actions.contacts`: one contact record per customer from ``identities``.
* :mod:`~cxlens.actions.exports`: the lists as CSV in HubSpot's and Salesforce's layouts.

See docs/actions.md.
"""

from __future__ import annotations

from cxlens.actions.alerts import NotifyResult, WebhookTarget, collect, digest, notify
from cxlens.actions.email import EmailResult, SmtpSettings
from cxlens.actions.exports import FORMATS, ExportResult, export, headers
from cxlens.actions.targets import TARGET_LISTS, churn_risk, detractors, next_best_offer
from cxlens.actions.webhook import DeliveryResult, deliver, sign, verify

__all__ = [
    "FORMATS",
    "TARGET_LISTS",
    "DeliveryResult",
    "EmailResult",
    "ExportResult",
    "NotifyResult",
    "SmtpSettings",
    "WebhookTarget",
    "churn_risk",
    "collect",
    "deliver",
    "detractors",
    "digest",
    "export",
    "headers",
    "next_best_offer",
    "notify",
    "sign",
    "verify",
]
