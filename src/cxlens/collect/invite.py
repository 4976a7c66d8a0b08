"""E-mail invitations: which are due, what each says, and which were sent.

An invitation is due when it was made for an ``email`` survey, its due time has come, it has
not expired, it was not sent before and was not answered. Its message is built in the
customer's language from the survey's own wording: the question is the subject, and the
body offers every score as a link (one tap answers) built from a link template holding
``{token}`` and ``{score}``, e.g. ``https://cx.acme.example/s/{token}?score={score}`` (the page
``cxlens serve`` hosts) or a page of yours (docs/collect.md). Sending itself
(SMTP) is done by the caller; :func:`record_sends` keeps what happened.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from datetime import datetime

import ibis
import pandas as pd
import pyarrow as pa

from cxlens.collect.definitions import Survey
from cxlens.collect.rules import INVITED
from cxlens.collect.tables import INVITATIONS_TABLE, RESPONSE_PREFIX, ensure_table
from cxlens.errors import ArgumentError
from cxlens.store.catalog import Catalog
from cxlens.store.query import run

SENDS_TABLE = "survey_sends"
SEND_COLUMNS = {"invitation_id": "string", "customer_id": "string", "sent_at": "timestamp",
                "ok": "bool", "error": "string"}  # fmt: skip


@dataclass(frozen=True)
class Invitation:
    """One e-mail to send: who, the message, and the invitation it belongs to."""

    invitation_id: str
    customer_id: str
    email: str
    subject: str
    text: str
    html: str


def check_link_template(template: str) -> str:
    """Return ``template`` when it is an http(s) URL holding ``{token}``; ArgumentError if not.

    Example:
        >>> check_link_template("https://acme.example/s/{token}?score={score}")
        'https://acme.example/s/{token}?score={score}'
    """
    if not template.startswith(("https://", "http://")) or "{token}" not in template:
        raise ArgumentError(
            "the link template must be an http(s) URL holding {token} (and {score} for "
            f"one-tap answers), e.g. https://acme.example/s/{{token}}?score={{score}}; "
            f"got {template!r}"
        )
    unknown = template.replace("{token}", "").replace("{score}", "")
    if "{" in unknown or "}" in unknown:
        raise ArgumentError(
            f"the link template may hold only {{token}} and {{score}}: {template!r}"
        )
    return template


def compose(
    survey: Survey, language: str | None, token: str, template: str
) -> tuple[str, str, str]:
    """Return (subject, plain text, HTML) of the invitation, in ``language`` when offered.

    Example:
        >>> from cxlens.collect.definitions import parse_survey
        >>> s = parse_survey({"name": "c", "kind": "csat", "company": "Acme",
        ...                   "trigger": {"touchpoint": "t"}})
        >>> subject, text, page = compose(s, "en", "TOKEN", "https://a.example/s/{token}?s={score}")
        >>> subject
        'Overall, how satisfied were you with your experience with Acme?'
        >>> page.count('href="https://a.example/s/TOKEN?s=')
        5
    """
    words = survey.wording_for(language)
    low, high = survey.scale

    def link(score: int | str) -> str:
        return template.replace("{token}", token).replace("{score}", str(score))

    answer = link("")
    text = "\n".join([
        words.question, "",
        f"{low} = {words.low}, {high} = {words.high}", "",
        *(f"{score}: {link(score)}" for score in range(low, high + 1)),
        "", answer,
    ])  # fmt: skip
    cells = "".join(
        f'<a href="{html.escape(link(s))}" style="display:inline-block;min-width:2.2em;'
        f'padding:.5em;margin:2px;border:1px solid #888;text-align:center">{s}</a>'
        for s in range(low, high + 1)
    )
    page = (
        f"<p>{html.escape(words.question)}</p><p>{cells}</p>"
        f"<p><small>{low} = {html.escape(words.low)}, {high} = {html.escape(words.high)}"
        "</small></p>"
    )
    return words.question, text, page


def due(catalog: Catalog, now: datetime) -> pd.DataFrame:
    """Return the e-mail invitations to send now, with the customer's address.

    Columns: invitation_id, survey, customer_id, language, expires_at, email (the address of
    the customer's identity record, the lowest source and source id having one).

    Example:
        >>> due(ws, datetime(2025, 3, 4)).email.tolist()  # doctest: +SKIP
        ['c1@example.com']
    """
    columns = ["invitation_id", "survey", "customer_id", "language", "expires_at", "email"]
    if not (catalog.has_table(INVITATIONS_TABLE) and catalog.has_table("identities")):
        return pd.DataFrame(columns=columns)
    t = catalog.table(INVITATIONS_TABLE)
    t = t.filter((t.decision == INVITED) & (t.channel == "email") & (t.due_at <= now)
                 & (t.expires_at > now))  # fmt: skip
    if catalog.has_table(SENDS_TABLE):
        sends = catalog.table(SENDS_TABLE)
        t = t.anti_join(sends.filter(sends.ok).select("invitation_id"), "invitation_id")
    if catalog.has_table("responses"):
        answered = catalog.table("responses").select(rid="response_id")
        t = t.mutate(rid=ibis.literal(RESPONSE_PREFIX).concat(t.invitation_id))
        t = t.anti_join(answered, "rid").drop("rid")
    ids = catalog.table("identities")
    ids = ids.filter(ids.email.notnull() & (ids.email.strip() != ""))
    rank = ibis.row_number().over(group_by=ids.customer_id, order_by=[ids.source, ids.source_id])
    first = ids.mutate(pick=rank).filter(ibis._.pick == 0)
    first = first.select(customer_id=first.customer_id.cast("string"), email=first.email.strip())
    joined = t.join(first, "customer_id").select(*columns)
    return run(joined.order_by("invitation_id"), "the invitations due")


def record_sends(catalog: Catalog, rows: list[dict[str, object]]) -> None:
    """Append what became of sent invitations (invitation_id, customer_id, sent_at, ok, error).

    Example:
        >>> record_sends(ws, [{"invitation_id": "0f3a...", "customer_id": "C1",
        ...                    "sent_at": now, "ok": True, "error": None}])  # doctest: +SKIP
    """
    if not rows:
        return
    types = {"string": pa.string(), "timestamp": pa.timestamp("us"), "bool": pa.bool_()}
    schema = pa.schema([(c, types[t]) for c, t in SEND_COLUMNS.items()])
    table = pa.Table.from_pylist([{c: r.get(c) for c in SEND_COLUMNS} for r in rows], schema)
    with catalog.engine.transaction():
        ensure_table(catalog, SENDS_TABLE, SEND_COLUMNS)
        catalog.engine.append(SENDS_TABLE, table)
