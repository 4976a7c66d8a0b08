"""Triggering: events create invitations by the surveys' contact rules, each decision recorded.

For every active survey the matching events (its touchpoint or stage) not decided before
are taken from the engine, with only the columns the rules need; per customer the time zone,
language and consent come from ``customers`` and "has an e-mail address" from
``identities`` (no address leaves the engine). Each (event, survey) then gets one decision,
checked in this order, the first that fails being recorded:

1. ``unknown time zone``: the customer's time zone is not an IANA name;
2. ``outside window``: the due time (event + delay, moved into business hours in the
   customer's time zone) is at or after the expiry, or the expiry has passed already;
3. ``no consent``: on the do-not-contact list, or the consent rule refuses;
4. ``no address``: an e-mail survey for a customer without an e-mail;
5. ``quiet period``: the customer has an invitation (any survey) due within the survey's
   quiet period of this one;
6. ``sampling``: the event's seeded draw is at or above the sampling rate;

otherwise ``invited``. Events are decided in time order, so an earlier event wins the quiet
period. Running the trigger again on the same events decides nothing twice. Events without a
customer or a time are not considered (nobody could be asked).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import ibis
import ibis.expr.types as ir
import pandas as pd
import pyarrow as pa

from cxlens.collect.definitions import Survey, check_timezone
from cxlens.collect.rules import (
    BAD_TIMEZONE,
    INVITED,
    NO_ADDRESS,
    NO_CONSENT,
    OUTSIDE_WINDOW,
    QUIET_PERIOD,
    SAMPLING,
    consents,
    due_time,
    sample_draw,
)
from cxlens.collect.tables import (
    DO_NOT_CONTACT_TABLE,
    INVITATION_COLUMNS,
    INVITATIONS_TABLE,
    ensure_table,
    invitation_id,
)
from cxlens.errors import MappingError
from cxlens.store.catalog import Catalog
from cxlens.store.query import require_columns, require_temporal, run

#: Columns of ``customers`` the rules read when present.
TIMEZONE_COLUMN = "timezone"
LANGUAGE_COLUMN = "language"
CONSENT_COLUMN = "survey_consent"


def trigger(
    catalog: Catalog,
    surveys: Sequence[Survey],
    events: ir.Table | pd.DataFrame | None = None,
    *,
    now: datetime | None = None,
) -> pd.DataFrame:
    """Decide an invitation for every new (event, active survey) pair and record each decision.

    Args:
        catalog: the workspace's tables.
        surveys: the surveys to consider (paused ones are left out).
        events: the events to consider: the ``events`` table (default), an Ibis table, or
            a DataFrame of new events with event_id, customer_id, occurred_at (naive UTC)
            and the touchpoint or stage the surveys trigger on.
        now: the current time, naive UTC (default: the clock).

    Returns:
        The decisions made by this run, one row each, with the columns of
        ``survey_invitations``: invitation_id, survey, event_id, customer_id, touchpoint,
        stage, event_at, channel, language, decision, due_at, expires_at, decided_at.

    Example:
        >>> trigger(ws, [survey]).decision.value_counts()  # doctest: +SKIP
        invited         412
        quiet period     95
    """
    now = now or datetime.now(UTC).replace(tzinfo=None)
    active = [s for s in surveys if s.status == "active"]
    if events is None:
        events = catalog.table("events")
    elif isinstance(events, pd.DataFrame):
        events = ibis.memtable(events)
    require_columns(events, "events", "event_id", "customer_id", "occurred_at")
    require_temporal(events, "events", "occurred_at")
    candidates = _candidates(catalog, active, events)
    if candidates.empty:
        return pd.DataFrame(columns=list(INVITATION_COLUMNS))
    ids = sorted(candidates.customer_id.dropna().unique())
    people = _customers(catalog, ids)
    blocked = _do_not_contact(catalog, ids)
    with_email = _with_email(catalog, ids)
    recent = _recent_invitations(catalog, ids)
    by_name = {s.name: s for s in active}
    rows = []
    for cand in candidates.itertuples(index=False):
        survey = by_name[cand.survey]
        person = people.get(cand.customer_id, {})
        decision, due = _decide(survey, cand, person, blocked, with_email, recent, now)
        if decision == INVITED:
            recent[cand.customer_id].append(due)
        rows.append(_row(survey, cand, person, decision, due, now))
    decided = pd.DataFrame(rows, columns=list(INVITATION_COLUMNS))
    _append(catalog, decided)
    return decided


def _candidates(catalog: Catalog, surveys: Sequence[Survey], events: ir.Table) -> pd.DataFrame:
    """Return the matching events not decided before, one row per (event, survey), in order."""
    decided = catalog.table(INVITATIONS_TABLE) if catalog.has_table(INVITATIONS_TABLE) else None
    parts = []
    for survey in surveys:
        require_columns(events, "events", survey.trigger_column)
        # an event without a customer or a time cannot lead to anyone being asked
        hits = events.filter(
            (events[survey.trigger_column] == survey.trigger_value)
            & events.customer_id.notnull()
            & events.occurred_at.notnull()
        )
        if decided is not None:
            done = decided.filter(decided.survey == survey.name).select("event_id")
            hits = hits.anti_join(done, "event_id")
        stage = hits.stage if "stage" in hits.columns else ibis.null().cast("string")
        touch = hits.touchpoint if "touchpoint" in hits.columns else ibis.null().cast("string")
        parts.append(hits.select(
            survey=ibis.literal(survey.name), event_id=hits.event_id.cast("string"),
            customer_id=hits.customer_id.cast("string"), touchpoint=touch.cast("string"),
            stage=stage.cast("string"), event_at=hits.occurred_at.cast("timestamp"),
        ))  # fmt: skip
    if not parts:
        return pd.DataFrame(columns=["survey", "event_id", "customer_id", "event_at"])
    union = parts[0] if len(parts) == 1 else ibis.union(*parts)
    frame = run(union, "the events that trigger surveys")
    return frame.sort_values(["event_at", "event_id", "survey"], kind="stable").reset_index(
        drop=True
    )


def _probe(ids: Sequence[str]) -> ir.Table:
    return ibis.memtable(pd.DataFrame({"customer_id": pd.Series(ids, dtype="string")}))


def _customers(catalog: Catalog, ids: Sequence[str]) -> dict[str, dict[str, object]]:
    """Return {customer_id: {timezone, language, survey_consent}} for the columns present."""
    if not catalog.has_table("customers"):
        return {}
    t = catalog.table("customers")
    wanted = [c for c in (TIMEZONE_COLUMN, LANGUAGE_COLUMN, CONSENT_COLUMN) if c in t.columns]
    if not wanted:
        return {}
    t = t.mutate(customer_id=t.customer_id.cast("string"))
    frame = run(t.semi_join(_probe(ids), "customer_id").select("customer_id", *wanted),
                "the customers' contact settings")  # fmt: skip
    frame = frame.astype(object).where(frame.notna(), None)
    return {r["customer_id"]: r for r in frame.to_dict("records")}


def _do_not_contact(catalog: Catalog, ids: Sequence[str]) -> set[str]:
    if not catalog.has_table(DO_NOT_CONTACT_TABLE):
        return set()
    t = catalog.table(DO_NOT_CONTACT_TABLE)
    found = run(t.semi_join(_probe(ids), "customer_id").select("customer_id").distinct(),
                "the do-not-contact list")  # fmt: skip
    return set(found.customer_id)


def _with_email(catalog: Catalog, ids: Sequence[str]) -> set[str]:
    """Return the customers among ``ids`` with an e-mail address (the address stays put)."""
    if not catalog.has_table("identities"):
        return set()
    t = catalog.table("identities")
    if "email" not in t.columns:
        return set()
    t = t.filter(t.email.notnull() & (t.email.strip() != ""))
    t = t.select(customer_id=t.customer_id.cast("string"))
    found = run(t.semi_join(_probe(ids), "customer_id").distinct(), "who has an e-mail address")
    return set(found.customer_id)


def _recent_invitations(catalog: Catalog, ids: Sequence[str]) -> dict[str, list[datetime]]:
    """Return {customer_id: due times of their invitations}, from every survey."""
    recent: dict[str, list[datetime]] = defaultdict(list)
    if not catalog.has_table(INVITATIONS_TABLE):
        return recent
    t = catalog.table(INVITATIONS_TABLE)
    t = t.filter(t.decision == INVITED).semi_join(_probe(ids), "customer_id")
    found = run(t.select("customer_id", "due_at"), "earlier invitations")
    for cid, due in zip(found.customer_id, found.due_at, strict=True):
        recent[cid].append(pd.Timestamp(due).to_pydatetime())
    return recent


def _decide(
    survey: Survey,
    cand: object,
    person: dict[str, object],
    blocked: set[str],
    with_email: set[str],
    recent: dict[str, list[datetime]],
    now: datetime,
) -> tuple[str, datetime | None]:
    """Return (decision, due time) for one event and survey; see the module docstring."""
    rules = survey.contact
    try:
        zone = _zone(person.get(TIMEZONE_COLUMN), rules.timezone)
    except MappingError:
        return BAD_TIMEZONE, None
    event_at = pd.Timestamp(cand.event_at).to_pydatetime()  # type: ignore[attr-defined]
    due = due_time(event_at + survey.delay, rules.business_hours, zone)
    expires = event_at + survey.expiry
    if due >= expires or expires <= now:
        return OUTSIDE_WINDOW, due
    customer = cand.customer_id  # type: ignore[attr-defined]
    if customer in blocked or not consents(person.get(CONSENT_COLUMN), rules.consent):
        return NO_CONSENT, due
    if survey.channel == "email" and customer not in with_email:
        return NO_ADDRESS, due
    quiet = pd.Timedelta(days=rules.quiet_days)
    if rules.quiet_days and any(abs(due - other) < quiet for other in recent.get(customer, [])):
        return QUIET_PERIOD, due
    if sample_draw(rules.seed, survey.name, cand.event_id) >= rules.sampling:  # type: ignore[attr-defined]
        return SAMPLING, due
    return INVITED, due


def _zone(value: object, default: str) -> ZoneInfo:
    if value is None or str(value).strip() == "":
        return ZoneInfo(default)
    return check_timezone(str(value).strip(), "customers.timezone")


def _row(
    survey: Survey,
    cand: object,
    person: dict[str, object],
    decision: str,
    due: datetime | None,
    now: datetime,
) -> dict[str, object]:
    event_at = pd.Timestamp(cand.event_at).to_pydatetime()  # type: ignore[attr-defined]
    language = person.get(LANGUAGE_COLUMN)
    return {
        "invitation_id": invitation_id(survey.name, cand.event_id),  # type: ignore[attr-defined]
        "survey": survey.name,
        "event_id": cand.event_id,  # type: ignore[attr-defined]
        "customer_id": cand.customer_id,  # type: ignore[attr-defined]
        "touchpoint": cand.touchpoint,  # type: ignore[attr-defined]
        "stage": cand.stage,  # type: ignore[attr-defined]
        "event_at": event_at,
        "channel": survey.channel,
        "language": survey.language_for(None if language is None else str(language)),
        "decision": decision,
        "due_at": due,
        "expires_at": event_at + survey.expiry,
        "decided_at": now,
    }


def _append(catalog: Catalog, decided: pd.DataFrame) -> None:
    """Append the decisions in one transaction (all of them, or none on a crash)."""
    types = {"string": pa.string(), "timestamp": pa.timestamp("us")}
    schema = pa.schema([(c, types[t]) for c, t in INVITATION_COLUMNS.items()])
    rows = pa.Table.from_pandas(decided, schema=schema, preserve_index=False)
    with catalog.engine.transaction():
        ensure_table(catalog, INVITATIONS_TABLE, INVITATION_COLUMNS)
        catalog.engine.append(INVITATIONS_TABLE, rows)
