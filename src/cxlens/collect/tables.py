"""The derived tables of collect/: their names and columns, spelled once.

``survey_definitions`` holds one row per survey (its checked definition as JSON);
``survey_invitations`` one row per (event, survey) decision, invited or skipped and why;
``survey_do_not_contact`` the customers who asked not to be surveyed. Each has a
``customer_id`` where it names a customer, so an erasure removes their rows too.
"""

from __future__ import annotations

import hashlib

from cxlens.store.catalog import Catalog

DEFINITIONS_TABLE = "survey_definitions"
INVITATIONS_TABLE = "survey_invitations"
DO_NOT_CONTACT_TABLE = "survey_do_not_contact"

#: Columns of the invitations table, as cxlens dtypes.
INVITATION_COLUMNS = {
    "invitation_id": "string", "survey": "string", "event_id": "string",
    "customer_id": "string", "touchpoint": "string", "stage": "string",
    "event_at": "timestamp", "channel": "string", "language": "string",
    "decision": "string", "due_at": "timestamp", "expires_at": "timestamp",
    "decided_at": "timestamp",
}  # fmt: skip
DO_NOT_CONTACT_COLUMNS = {"customer_id": "string", "reason": "string", "added_at": "timestamp"}
#: Prefix of the response_id an answered invitation writes (the id is then fixed per link).
RESPONSE_PREFIX = "inv-"


def invitation_id(survey: str, event_id: str) -> str:
    """Return the invitation id of ``survey`` triggered by ``event_id`` (the same every run).

    Example:
        >>> invitation_id("csat", "E1") == invitation_id("csat", "E1"), len(invitation_id("a", "b"))
        (True, 24)
    """
    return hashlib.sha256(f"{survey}\x1f{event_id}".encode()).hexdigest()[:24]


def response_id(invitation: str) -> str:
    """Return the ``responses.response_id`` an answer to ``invitation`` is stored under.

    Example:
        >>> response_id("abc")
        'inv-abc'
    """
    return RESPONSE_PREFIX + invitation


def ensure_table(catalog: Catalog, name: str, columns: dict[str, str]) -> None:
    """Create table ``name`` with ``columns`` when the catalog lacks it."""
    if not catalog.has_table(name):
        catalog.engine.create_table(name, columns)
