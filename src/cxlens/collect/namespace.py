"""``ws.surveys``: define surveys, trigger invitations, sign links, record answers, measure.

:class:`Surveys` is typed against the Catalog; the Workspace exposes it as ``ws.surveys``.

Example:
    >>> from cxlens.store.catalog import EngineCatalog
    >>> from cxlens.store.engine import engine_for
    >>> surveys = Surveys(EngineCatalog(engine_for(ibis.duckdb.connect())))
    >>> surveys.create({"name": "after-delivery", "kind": "nps", "company": "Acme",
    ...                 "trigger": {"touchpoint": "delivered"}}).scale
    (0, 10)
    >>> surveys.list()[["name", "trigger", "status"]].to_dict("records")
    [{'name': 'after-delivery', 'trigger': 'touchpoint=delivered', 'status': 'active'}]
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import ibis
import ibis.expr.types as ir
import pandas as pd
import pyarrow as pa

from cxlens.collect import invite, measure, page
from cxlens.collect.answers import (
    Answer,
    AnsweredLink,
    add_follow_up,
    answered,
    check_answer,
    store_answers,
)
from cxlens.collect.definitions import Survey, parse_survey, read_survey
from cxlens.collect.invite import Invitation
from cxlens.collect.rules import INVITED
from cxlens.collect.tables import (
    DEFINITIONS_TABLE,
    DO_NOT_CONTACT_COLUMNS,
    DO_NOT_CONTACT_TABLE,
    INVITATION_COLUMNS,
    INVITATIONS_TABLE,
    ensure_table,
    invitation_id,
    response_id,
)
from cxlens.collect.tokens import InvalidLink, sign_token, verify_token
from cxlens.collect.trigger import trigger
from cxlens.errors import ArgumentError
from cxlens.metrics.stats import check_confidence, wilson_interval
from cxlens.store.catalog import Catalog
from cxlens.store.query import run
from cxlens.store.secrets import workspace_secret

_DEFINITION_COLUMNS = ["name", "kind", "channel", "trigger", "languages", "status",
                       "definition", "updated_at"]  # fmt: skip
_STATS_KEYS = ("survey", "channel", "touchpoint", "language")


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


class Surveys:
    """Event-triggered NPS, CSAT and CES surveys of one workspace.

    Args:
        catalog: the workspace's tables (the Workspace itself, or any Catalog).
    """

    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog

    # -- definitions -----------------------------------------------------------------------

    def create(
        self, definition: Mapping[str, Any] | str | Path | Survey, *, replace: bool = False
    ) -> Survey:
        """Check a survey definition (a mapping, a YAML file or a Survey) and store it.

        Raises:
            MappingError: a key of the definition is missing, unknown or wrong.
            ArgumentError: a survey of that name exists and ``replace`` is False.

        Example:
            >>> ws.surveys.create("survey.yaml").name  # doctest: +SKIP
            'support-csat'
        """
        if isinstance(definition, Survey):
            survey = definition
        elif isinstance(definition, str | Path):
            survey = read_survey(definition)
        else:
            survey = parse_survey(dict(definition))
        stored = self._definitions()
        if survey.name in set(stored.name) and not replace:
            raise ArgumentError(
                f"a survey named '{survey.name}' exists; pass replace=True to change it"
            )
        kept = stored[stored.name != survey.name]
        self._save_definitions(pd.concat([kept, _definition_row(survey)], ignore_index=True))
        return survey

    def list(self) -> pd.DataFrame:
        """Return the surveys: name, kind, channel, trigger, languages, status, updated_at.

        Example:
            >>> ws.surveys.list().name.tolist()  # doctest: +SKIP
            ['after-delivery', 'support-csat']
        """
        return self._definitions().drop(columns="definition").reset_index(drop=True)

    def get(self, name: str) -> Survey:
        """Return the stored survey ``name``.

        Raises:
            ArgumentError: no survey has that name (the message lists those that exist).

        Example:
            >>> ws.surveys.get("support-csat").kind  # doctest: +SKIP
            'csat'
        """
        stored = self._definitions()
        hit = stored[stored.name == name]
        if hit.empty:
            known = ", ".join(sorted(stored.name)) or "none yet"
            raise ArgumentError(f"no survey named '{name}'; the surveys are: {known}")
        return _parse_stored(hit.definition.iloc[0])

    def pause(self, name: str) -> Survey:
        """Stop ``name`` from inviting anyone (answers to links already sent still count).

        Example:
            >>> ws.surveys.pause("support-csat").status  # doctest: +SKIP
            'paused'
        """
        return self._set_status(name, "paused")

    def resume(self, name: str) -> Survey:
        """Let a paused survey invite again (events during the pause are then considered).

        Example:
            >>> ws.surveys.resume("support-csat").status  # doctest: +SKIP
            'active'
        """
        return self._set_status(name, "active")

    # -- contact rules and triggering ------------------------------------------------------

    def do_not_contact(self, customer_ids: Iterable[str], reason: str = "asked") -> int:
        """Put customers on the do-not-contact list; return how many were added.

        Example:
            >>> ws.surveys.do_not_contact(["C000017"], reason="complaint")  # doctest: +SKIP
            1
        """
        ids = sorted({str(c) for c in customer_ids if c is not None and str(c).strip()})
        if not ids:
            return 0
        engine = self.catalog.engine
        with engine.transaction():
            ensure_table(self.catalog, DO_NOT_CONTACT_TABLE, DO_NOT_CONTACT_COLUMNS)
            t = self.catalog.table(DO_NOT_CONTACT_TABLE)
            known = set(run(t.customer_id, "the do-not-contact list"))
            new = [c for c in ids if c not in known]
            if new:
                rows = pd.DataFrame({"customer_id": new, "reason": reason, "added_at": _now()})
                engine.append(
                    DO_NOT_CONTACT_TABLE, pa.Table.from_pandas(rows, preserve_index=False)
                )
        return len(new)

    def trigger(
        self, events: ir.Table | pd.DataFrame | None = None, *, now: datetime | None = None
    ) -> pd.DataFrame:
        """Decide invitations for new events by every active survey's rules; record each.

        See :func:`cxlens.collect.trigger.trigger` for the rules and their order.

        Returns:
            This run's decisions (columns of ``survey_invitations``).

        Example:
            >>> ws.surveys.trigger().decision.value_counts()  # doctest: +SKIP
            invited         412
            quiet period     95
        """
        surveys = [_parse_stored(text) for text in self._definitions().definition]
        return trigger(self.catalog, surveys, events, now=now)

    def invitations(self, survey: str | None = None) -> pd.DataFrame:
        """Return the recorded decisions (all, or one survey's), oldest event first.

        Example:
            >>> ws.surveys.invitations("support-csat").decision.unique()  # doctest: +SKIP
            array(['invited', 'sampling'], dtype=object)
        """
        if not self.catalog.has_table(INVITATIONS_TABLE):
            return pd.DataFrame(columns=list(INVITATION_COLUMNS))
        t = self.catalog.table(INVITATIONS_TABLE)
        if survey is not None:
            t = t.filter(t.survey == survey)
        return run(t.order_by(["event_at", "event_id", "survey"]), "the survey invitations")

    # -- links and answers -----------------------------------------------------------------

    def token(self, invitation_id: str) -> str:
        """Return the signed, single-use link token of an invitation that was made.

        Raises:
            ArgumentError: no invitation has that id, or it was skipped (saying why).

        Example:
            >>> ws.surveys.token("0f3a9c...")  # doctest: +SKIP
            '0f3a9c....1741600000.5e1d...'
        """
        row = self._invitation(invitation_id)
        if row["decision"] != INVITED:
            raise ArgumentError(
                f"invitation {invitation_id} was not made ({row['decision']}); it has no link"
            )
        expires = pd.Timestamp(row["expires_at"]).to_pydatetime()
        return sign_token(invitation_id, expires, workspace_secret(self.catalog))

    def answer(
        self,
        token: str,
        score: Any,
        comment: str | None = None,
        drivers: Mapping[str, Any] | None = None,
        *,
        now: datetime | None = None,
    ) -> str:
        """Record an answer to a survey link; return the response_id written to ``responses``.

        Everything is checked before anything is written; a refused answer stores nothing.

        Raises:
            InvalidLink: the token is forged or malformed, or names no invitation made.
            ExpiredLink: the link has expired.
            AnsweredLink: the link was answered already (the first answer stands).
            ArgumentError: the score is off the survey's scale; a driver is unknown or off
                0-10; the comment is too long.

        Example:
            >>> ws.surveys.answer(token, 9, "Quick and friendly")  # doctest: +SKIP
            'inv-0f3a9c...'
        """
        result = self.answer_many([(token, Answer(score, comment, drivers))], now=now)[0]
        if isinstance(result, Exception):
            raise result
        return result

    def answer_many(
        self, answers: Sequence[tuple[str, Answer]], *, now: datetime | None = None
    ) -> list[str | ArgumentError]:
        """Check many answers and load the good ones as one load; return each one's outcome.

        Each outcome is the response_id, or the ArgumentError that refused that answer
        (as :meth:`answer` raises it). Two answers to one link in the same batch: the
        first is stored, the second refused as answered. One load serves the whole batch,
        which is what makes a busy server fast (docs/collect.md).

        Example:
            >>> ws.surveys.answer_many([(t1, Answer(9)), (t2, Answer(11))])  # doctest: +SKIP
            ['inv-0f3a...', ArgumentError("survey 'nps': the nps score must be ...")]
        """
        now = now or _now()
        secret = workspace_secret(self.catalog)
        outcomes: list[Any] = []
        for token, _ in answers:
            try:
                outcomes.append(verify_token(token, secret, now))
            except ArgumentError as exc:
                outcomes.append(exc)
        rows = self._invitations([o for o in outcomes if isinstance(o, str)])
        done = answered(self.catalog, rows)
        surveys: dict[str, Survey] = {}
        batch: list[tuple[dict[str, Any], dict[str, Any]]] = []
        slots: list[int] = []
        for i, (outcome, (_, given)) in enumerate(zip(outcomes, answers, strict=True)):
            if isinstance(outcome, Exception):
                continue
            try:
                row = _made(rows, outcome)
                if row["survey"] not in surveys:  # read each survey once per batch
                    surveys[row["survey"]] = self.get(row["survey"])
                survey = surveys[row["survey"]]
                values = check_answer(survey, given)
                if outcome in done:
                    raise AnsweredLink(
                        "this survey link was answered already; the first answer stands"
                    )
            except ArgumentError as exc:
                outcomes[i] = exc
                continue
            done.add(outcome)
            batch.append((row, values))
            slots.append(i)
        for i, rid in zip(slots, store_answers(self.catalog, batch, now), strict=True):
            outcomes[i] = rid
        return outcomes

    def follow_up(self, token: str, comment: str, *, now: datetime | None = None) -> str:
        """Add the follow-up answer to a link whose score was recorded (the one-tap e-mail).

        Returns the response_id. The comment fills the answer's empty ``comment`` once.

        Raises:
            InvalidLink, ExpiredLink: as :meth:`answer`.
            AnsweredLink: the answer has a comment already.
            ArgumentError: no score yet; the comment is empty or too long.

        Example:
            >>> ws.surveys.follow_up(token, "The courier was early")  # doctest: +SKIP
            'inv-0f3a9c...'
        """
        row, survey = self.link(token, now=now)
        add_follow_up(self.catalog, survey, row["invitation_id"], comment)
        return response_id(row["invitation_id"])

    def link(self, token: str, *, now: datetime | None = None) -> tuple[dict[str, Any], Survey]:
        """Return the invitation row and the survey of a genuine, unexpired link.

        Raises:
            InvalidLink, ExpiredLink: as :meth:`answer`.

        Example:
            >>> row, survey = ws.surveys.link(token)  # doctest: +SKIP
            >>> row["language"], survey.kind  # doctest: +SKIP
            ('ru', 'nps')
        """
        invitation = verify_token(token, workspace_secret(self.catalog), now or _now())
        row = _made(self._invitations([invitation]), invitation)
        return row, self.get(row["survey"])

    def answer_of(self, invitation: str) -> dict[str, Any] | None:
        """Return the stored answer (score, comment) to ``invitation``, or None.

        Example:
            >>> ws.surveys.answer_of("0f3a9c...")  # doctest: +SKIP
            {'score': 9, 'comment': None}
        """
        if not self.catalog.has_table("responses"):
            return None
        t = self.catalog.table("responses")
        kinds = [k for k in ("nps", "csat", "ces") if k in t.columns]
        hit = run(t.filter(t.response_id == response_id(invitation))
                  .select(*kinds, "comment").limit(1), "the answer")  # fmt: skip
        if hit.empty:
            return None
        first = hit.iloc[0]
        score = next((int(first[k]) for k in kinds if pd.notna(first[k])), None)
        return {"score": score, "comment": None if pd.isna(first.comment) else first.comment}

    def widget(
        self,
        name: str,
        customer_id: str,
        *,
        event_id: str | None = None,
        now: datetime | None = None,
    ) -> dict[str, Any]:
        """Return what the widget of survey ``name`` shows ``customer_id`` now, if anything.

        The page view is an event of the survey's trigger for that customer (``event_id``,
        default one per customer and day, so reloading the page asks nothing new) and goes
        through the same contact rules as any event; the decision is recorded in
        ``survey_invitations`` (the event itself is not added to ``events``).

        Returns:
            ``{"show": False, "reason": ...}`` (a rule refused, not due yet, answered,
            expired, paused), or ``{"show": True, "token", "language", "question", "low",
            "high", "scale", "follow_up", "send", "choose", "thanks"}`` in the customer's
            language.

        Raises:
            ArgumentError: no such survey, it is not a widget survey, or a bad id.

        Example:
            >>> ws.surveys.widget("support-ces", "C000123")["show"]  # doctest: +SKIP
            True
        """
        now = now or _now()
        survey = self.get(name)
        if survey.channel != "widget":
            raise ArgumentError(f"survey '{name}' is a {survey.channel} survey, not a widget one")
        for label, value in (("customer_id", customer_id), ("event_id", event_id)):
            if value is not None and (not isinstance(value, str) or not 0 < len(value) <= 200):
                raise ArgumentError(f"{label} must be text of 1 to 200 characters")
        if customer_id is None:
            raise ArgumentError("customer_id is missing: the widget asks a known customer")
        event_id = event_id or f"widget-{customer_id}-{now:%Y%m%d}"
        made = invitation_id(survey.name, event_id)
        row = self._invitations([made]).get(made)
        if row is None:
            event = {"event_id": event_id, "customer_id": customer_id, "occurred_at": now,
                     survey.trigger_column: survey.trigger_value}  # fmt: skip
            decided = trigger(self.catalog, [survey], pd.DataFrame([event]), now=now)
            if decided.empty:
                return {"show": False, "reason": "paused"}
            row = decided.iloc[0].to_dict()
        reason = _not_shown(row, now, made in answered(self.catalog, [made]))
        if reason is not None:
            return {"show": False, "reason": reason}
        words = survey.wording_for(row["language"])
        ui = page.UI[page.ui_language(row["language"])]
        expires = pd.Timestamp(row["expires_at"]).to_pydatetime()
        return {"show": True, "token": sign_token(made, expires, workspace_secret(self.catalog)),
                "language": row["language"], "question": words.question, "low": words.low,
                "high": words.high, "scale": list(survey.scale),
                "follow_up": words.follow_up if survey.follow_up else None,
                "send": ui["send"], "choose": ui["choose"], "thanks": ui["thanks"]}  # fmt: skip

    def due(self, link_template: str, *, now: datetime | None = None) -> list[Invitation]:
        """Return the e-mail invitations due now, each with its message built and signed.

        ``link_template`` is the answer page's URL with ``{token}`` and ``{score}``; see
        :mod:`cxlens.collect.invite`. Send them (e.g. with :mod:`cxlens.actions.email`) and
        pass the outcomes to :meth:`record_sends`, so none is sent twice.

        Example:
            >>> link = "https://acme.example/s/{token}?score={score}"
            >>> [i.email for i in ws.surveys.due(link)]  # doctest: +SKIP
            ['c1@example.com']
        """
        template = invite.check_link_template(link_template)
        now = now or _now()
        secret = workspace_secret(self.catalog)
        surveys: dict[str, Survey] = {}
        out = []
        for row in invite.due(self.catalog, now).itertuples(index=False):
            if row.survey not in surveys:  # read each survey once
                surveys[row.survey] = self.get(row.survey)
            survey = surveys[row.survey]
            expires = pd.Timestamp(row.expires_at).to_pydatetime()
            token = sign_token(row.invitation_id, expires, secret)
            subject, text, page = invite.compose(survey, row.language, token, template)
            out.append(Invitation(row.invitation_id, row.customer_id, row.email, subject, text,
                                  page))  # fmt: skip
        return out

    def record_sends(self, outcomes: Iterable[tuple[Invitation, bool, str | None]]) -> int:
        """Record what became of sent invitations: (invitation, ok, error); return how many.

        Example:
            >>> ws.surveys.record_sends([(invitation, True, None)])  # doctest: +SKIP
            1
        """
        now = _now()
        rows = [
            {"invitation_id": i.invitation_id, "customer_id": i.customer_id, "sent_at": now,
             "ok": ok, "error": error}
            for i, ok, error in outcomes
        ]  # fmt: skip
        invite.record_sends(self.catalog, rows)
        return len(rows)

    # -- measuring the collection ----------------------------------------------------------

    def coverage(self) -> pd.DataFrame:
        """Return how each survey's triggering events were decided: survey, decision, n, share.

        Example:
            >>> ws.surveys.coverage().head(2)  # doctest: +SKIP
                   survey      decision    n  share
            0  support-csat     invited  412  0.62
        """
        if not self.catalog.has_table(INVITATIONS_TABLE):
            return pd.DataFrame(columns=["survey", "decision", "n", "share"])
        t = self.catalog.table(INVITATIONS_TABLE)
        counts = t.group_by(["survey", "decision"]).aggregate(n=t.count())
        out = run(counts.order_by(["survey", ibis.desc("n"), "decision"]), "survey coverage")
        out["share"] = out.n / out.groupby("survey").n.transform("sum")
        return out

    def stats(self, by: Sequence[str] | str = "survey", confidence: float = 0.95) -> pd.DataFrame:
        """Return response rates of the invitations made, with Wilson (1927) intervals.

        Args:
            by: any of survey, channel, touchpoint, language.
            confidence: two-sided level of the interval.

        Returns:
            DataFrame: ``*by, invited, answered, response_rate, ci_low, ci_high``.

        Example:
            >>> ws.surveys.stats(["survey", "channel"])  # doctest: +SKIP
                     survey channel  invited  answered  response_rate  ci_low  ci_high
            0  support-csat   email      412        97          0.235   0.197    0.279
        """
        keys = [by] if isinstance(by, str) else list(dict.fromkeys(by))  # each key once
        bad = [k for k in keys if k not in _STATS_KEYS]
        if bad or not keys:
            raise ArgumentError(
                f"stats can group by {', '.join(_STATS_KEYS)}, not {bad or 'nothing'}"
            )
        confidence = check_confidence(confidence)
        columns = [*keys, "invited", "answered", "response_rate", "ci_low", "ci_high"]
        if not self.catalog.has_table(INVITATIONS_TABLE):
            return pd.DataFrame(columns=columns)
        inv = self.catalog.table(INVITATIONS_TABLE)
        inv = inv.filter(inv.decision == INVITED)
        inv = inv.mutate(rid=ibis.literal(response_id("")).concat(inv.invitation_id))
        if self.catalog.has_table("responses"):
            answered = self.catalog.table("responses").select(rid="response_id").distinct()
            inv = inv.left_join(answered, "rid").mutate(
                hit=ibis.ifelse(ibis._.rid_right.notnull(), 1, 0)
            )
        else:
            inv = inv.mutate(hit=ibis.literal(0))
        grouped = inv.group_by(keys).aggregate(invited=inv.count(), answered=inv.hit.sum())
        out = run(grouped.order_by(keys), "survey response rates")
        out["answered"] = out.answered.fillna(0).astype("int64")
        out["response_rate"] = out.answered / out.invited
        out["ci_low"], out["ci_high"] = wilson_interval(out.answered, out.invited, confidence)
        return out[columns]

    def timing(self) -> pd.DataFrame:
        """Return per survey the answers and the median and 90th percentile hours to answer.

        Hours run from the triggering event to the answer
        (:func:`cxlens.collect.measure.time_to_answer`).

        Example:
            >>> ws.surveys.timing().columns.tolist()  # doctest: +SKIP
            ['survey', 'answered', 'median_hours', 'p90_hours']
        """
        return measure.time_to_answer(self.catalog)

    def per_customer(self) -> pd.DataFrame:
        """Return how many customers got 1, 2, ... invitations, per survey and overall ("*").

        Example:
            >>> ws.surveys.per_customer().columns.tolist()  # doctest: +SKIP
            ['survey', 'invitations', 'customers', 'share']
        """
        return measure.per_customer(self.catalog)

    def nonresponse(self, *, now: datetime | None = None) -> pd.DataFrame:
        """Return the non-response check: whether responders differ from non-responders.

        Segment, region, plan and churn by chi-square, value by Mann-Whitney U, over the
        customers with a closed invitation (:func:`cxlens.collect.measure.nonresponse`).

        Example:
            >>> ws.surveys.nonresponse()[["attribute", "p_value"]].drop_duplicates()
            ...  # doctest: +SKIP
        """
        return measure.nonresponse(self.catalog, now or _now())

    # -- storage ---------------------------------------------------------------------------

    def _definitions(self) -> pd.DataFrame:
        if not self.catalog.has_table(DEFINITIONS_TABLE):
            return pd.DataFrame(columns=_DEFINITION_COLUMNS)
        t = self.catalog.table(DEFINITIONS_TABLE)
        return run(t.order_by("name"), "the survey definitions")

    def _save_definitions(self, frame: pd.DataFrame) -> None:
        self.catalog.save_table(DEFINITIONS_TABLE, frame[_DEFINITION_COLUMNS].astype(
            {c: "string" for c in _DEFINITION_COLUMNS if c != "updated_at"}
        ))  # fmt: skip

    def _set_status(self, name: str, status: str) -> Survey:
        survey = self.get(name)
        spec = {**survey.spec, "status": status}
        return self.create(spec, replace=True)

    def _invitation(self, invitation_id: str) -> dict[str, Any]:
        if not self.catalog.has_table(INVITATIONS_TABLE):
            raise ArgumentError("not a valid survey link: the workspace has no invitations")
        found = self._invitations([invitation_id])
        if invitation_id not in found:
            raise ArgumentError(f"not a valid survey link: no invitation {invitation_id}")
        return found[invitation_id]

    def _invitations(self, ids: Iterable[str]) -> dict[str, dict[str, Any]]:
        """Return the invitation rows of ``ids`` by id, in one query."""
        wanted = sorted(set(ids))
        if not wanted or not self.catalog.has_table(INVITATIONS_TABLE):
            return {}
        t = self.catalog.table(INVITATIONS_TABLE)
        found = run(t.filter(t.invitation_id.isin(wanted)), "the invitations")
        return {r["invitation_id"]: r for r in found.to_dict("records")}


def _definition_row(survey: Survey) -> pd.DataFrame:
    return pd.DataFrame([{
        "name": survey.name, "kind": survey.kind, "channel": survey.channel,
        "trigger": f"{survey.trigger_column}={survey.trigger_value}",
        "languages": ",".join(survey.languages), "status": survey.status,
        "definition": survey.to_json(), "updated_at": _now(),
    }])  # fmt: skip


def _not_shown(row: Mapping[str, Any], now: datetime, done: bool) -> str | None:
    """Return why a widget invitation is not shown now, or None to show it."""
    if row["decision"] != INVITED:
        return str(row["decision"])
    if done:
        return "answered"
    if pd.Timestamp(row["expires_at"]) <= pd.Timestamp(now):
        return "expired"
    if pd.Timestamp(row["due_at"]) > pd.Timestamp(now):
        return "not due yet"
    return None


def _made(rows: dict[str, dict[str, Any]], invitation: str) -> dict[str, Any]:
    """Return the invitation's row when it was made (invited); InvalidLink otherwise."""
    row = rows.get(invitation)
    if row is None:
        raise InvalidLink(f"not a valid survey link: no invitation {invitation}")
    if row["decision"] != INVITED:
        raise InvalidLink(f"not a valid survey link: invitation {invitation} was not made")
    return row


def _parse_stored(text: str) -> Survey:
    return parse_survey(json.loads(text))
