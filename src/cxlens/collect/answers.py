"""Recording an answer: checked, then loaded into ``responses`` through the ingest path.

An answer is checked whole before anything is written: the token (genuine, unexpired, naming
an invitation that was made), the score (a whole number on the survey's scale), the driver
ratings (named by the survey, 0-10) and the comment's length. A token already answered is
refused: its response id is fixed by the invitation, so the first answer is the only one.

The checked answers are then loaded by :func:`cxlens.ingest.load.load_checked`: typed by the
``responses`` schema, they land atomically and carry lineage like any load (without the
file a load from disk writes, reads and validates): the load log names the batch
``survey-<survey>-<invitation>.jsonl`` and the row keeps ``invitation_id`` and
``trigger_event_id`` beside the canonical survey, touchpoint, channel and language.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from numbers import Integral
from typing import Any

import pandas as pd

from cxlens.collect.definitions import Survey
from cxlens.collect.tables import response_id
from cxlens.errors import ArgumentError, EngineError, WorkspaceError
from cxlens.ingest.load import load_checked
from cxlens.ingest.mapping import Mapping as ColumnMapping
from cxlens.store.catalog import Catalog
from cxlens.store.query import run

#: The columns an answer adds to the canonical ones of responses (kept as extra columns).
_MAPPING = ColumnMapping(
    table="responses",
    columns={"invitation_id": "invitation_id", "trigger_event_id": "trigger_event_id"},
)
#: Longest comment accepted, in characters (a long letter; more is a paste or an attack).
MAX_COMMENT_CHARS = 5000


class AnsweredLink(ArgumentError):
    """A survey link that was answered already (the first answer stands)."""


@dataclass(frozen=True)
class Answer:
    """What a respondent submitted for one invitation.

    Example:
        >>> Answer(score=9, comment="Fast delivery").score
        9
    """

    score: Any
    comment: str | None = None
    drivers: Mapping[str, Any] | None = None


def check_answer(survey: Survey, answer: Answer) -> dict[str, Any]:
    """Return the answer's values as ``responses`` columns, or raise ArgumentError saying why.

    Example:
        >>> from cxlens.collect.definitions import parse_survey
        >>> s = parse_survey({"name": "c", "kind": "csat", "company": "A",
        ...                   "trigger": {"touchpoint": "t"}})
        >>> check_answer(s, Answer(score=6))
        Traceback (most recent call last):
        cxlens.errors.ArgumentError: survey 'c': the csat score must be a whole number from 1
        to 5, not 6
    """
    low, high = survey.scale
    score = answer.score
    if isinstance(score, str) and score.strip().isdigit():
        score = int(score.strip())
    if isinstance(score, bool) or not isinstance(score, Integral) or not low <= score <= high:
        raise ArgumentError(
            f"survey '{survey.name}': the {survey.kind} score must be a whole number from "
            f"{low} to {high}, not {answer.score!r}"
        )
    values: dict[str, Any] = {survey.kind: int(score)}
    comment = check_comment(survey, answer.comment)
    if comment is not None:
        values["comment"] = comment
    values.update(_drivers(survey, answer.drivers or {}))
    return values


def check_comment(survey: Survey, comment: Any) -> str | None:
    """Return the comment stripped (None when empty), or raise ArgumentError saying why.

    Example:
        >>> from cxlens.collect.definitions import parse_survey
        >>> s = parse_survey({"name": "c", "kind": "nps", "company": "A",
        ...                   "trigger": {"touchpoint": "t"}})
        >>> check_comment(s, "  Fast  "), check_comment(s, " ")
        ('Fast', None)
    """
    if comment is None:
        return None
    if not isinstance(comment, str):
        raise ArgumentError(f"survey '{survey.name}': the comment must be text")
    if len(comment) > MAX_COMMENT_CHARS:
        raise ArgumentError(
            f"survey '{survey.name}': the comment is {len(comment):,} characters; "
            f"at most {MAX_COMMENT_CHARS:,} are accepted"
        )
    return comment.strip() or None


def _drivers(survey: Survey, given: Mapping[str, Any]) -> dict[str, int]:
    known = {d.name: d.column for d in survey.drivers}
    out: dict[str, int] = {}
    for name, rating in given.items():
        if name not in known:
            raise ArgumentError(
                f"survey '{survey.name}' has no driver question '{name}'; it has: "
                f"{', '.join(known) or 'none'}"
            )
        if isinstance(rating, bool) or not isinstance(rating, Integral) or not 0 <= rating <= 10:
            raise ArgumentError(
                f"survey '{survey.name}': driver '{name}' must be a whole number from 0 to 10, "
                f"not {rating!r}"
            )
        out[known[name]] = int(rating)
    return out


def is_answered(catalog: Catalog, invitation: str) -> bool:
    """Return True when ``responses`` already holds the answer to ``invitation``.

    Example:
        >>> is_answered(ws, "0f3a...")  # doctest: +SKIP
        False
    """
    return invitation in answered(catalog, [invitation])


def answered(catalog: Catalog, invitations: Iterable[str]) -> set[str]:
    """Return those of ``invitations`` whose answer ``responses`` already holds (one query).

    Example:
        >>> answered(ws, ["0f3a...", "9b1c..."])  # doctest: +SKIP
        {'0f3a...'}
    """
    wanted = {response_id(i): i for i in invitations}
    if not wanted or not catalog.has_table("responses"):
        return set()
    t = catalog.table("responses")
    hits = run(t.filter(t.response_id.isin(list(wanted))).select("response_id"),
               "which invitations were answered")  # fmt: skip
    return {wanted[r] for r in hits.response_id}


def store_answer(
    catalog: Catalog, invitation: Mapping[str, Any], values: dict[str, Any], now: datetime
) -> str:
    """Load one checked answer into ``responses``; return its response_id.

    ``invitation`` is the invitation's row (survey_invitations columns); ``values`` comes
    from :func:`check_answer`.

    Example:
        >>> store_answer(ws, invitation, {"nps": 9}, now)  # doctest: +SKIP
        'inv-0f3a...'
    """
    return store_answers(catalog, [(invitation, values)], now)[0]


def store_answers(
    catalog: Catalog,
    answers: Sequence[tuple[Mapping[str, Any], dict[str, Any]]],
    now: datetime,
    times: Sequence[datetime] | None = None,
) -> list[str]:
    """Load checked answers into ``responses`` as one load; return their response ids.

    One load for many answers: it is atomic (all rows or none), each row keeps its
    ``_source_row``, and its cost hardly grows with the rows (a server batches answers that
    arrive together). One answer is named ``survey-<survey>-<invitation>.jsonl``; a batch
    ``survey-answers-<time>-<first invitation>-<n>.jsonl``. ``responded_at`` is ``now``, or
    each answer's own time from ``times`` (the demo's simulated answers).

    Example:
        >>> store_answers(ws, [(invitation, {"nps": 9})], now)  # doctest: +SKIP
        ['inv-0f3a...']
    """
    if not answers:
        return []
    times = list(times) if times is not None else [now] * len(answers)
    if len(times) != len(answers):
        raise ArgumentError(f"{len(answers)} answers but {len(times)} times")
    rows = [_answer_row(inv, values, at) for (inv, values), at in zip(answers, times, strict=True)]
    first = answers[0][0]
    if len(answers) == 1:
        name = f"survey-{first['survey']}-{first['invitation_id']}.jsonl"
    else:
        name = (f"survey-answers-{now:%Y%m%d%H%M%S%f}-{first['invitation_id']}-"
                f"{len(answers)}.jsonl")  # fmt: skip
    # the rows are checked (check_answer) and built here: no file to write, read and validate
    result = load_checked(catalog.engine, "responses", rows, name, _MAPPING)
    if result.status != "loaded" or result.rows_loaded != len(rows):
        raise WorkspaceError(
            f"the answers to invitation(s) {', '.join(r['invitation_id'] for r in rows)} did "
            f"not load ({result.summary()}); see the quarantine of load {result.load_id}"
        )
    return [row["response_id"] for row in rows]


def _answer_row(
    invitation: Mapping[str, Any], values: dict[str, Any], now: datetime
) -> dict[str, Any]:
    row = {
        "response_id": response_id(invitation["invitation_id"]),
        "customer_id": invitation["customer_id"],
        "responded_at": now.replace(microsecond=0),
        "survey": invitation["survey"],
        "touchpoint": invitation["touchpoint"],
        "channel": invitation["channel"],
        "language": invitation["language"],
        "invitation_id": invitation["invitation_id"],
        "trigger_event_id": invitation["event_id"],
        **values,
    }
    return {k: (None if v is None or v is pd.NaT else v) for k, v in row.items()}


def add_follow_up(catalog: Catalog, survey: Survey, invitation: str, comment: Any) -> None:
    """Store the follow-up answer of an invitation whose score came by one tap.

    The comment fills the empty ``comment`` of the answer's row, once: a row that has a
    comment already keeps it (AnsweredLink), as a link answered twice does.

    Raises:
        ArgumentError: no score was recorded yet, or the comment is not text or too long.
        AnsweredLink: the answer has a comment already.
        WorkspaceError: the engine cannot update a row in place (Spark tables).

    Example:
        >>> add_follow_up(ws, survey, "0f3a...", "Quick delivery")  # doctest: +SKIP
    """
    text = check_comment(survey, comment)
    if text is None:
        raise ArgumentError(f"survey '{survey.name}': the follow-up answer is empty")
    engine = catalog.engine
    with engine.transaction():
        t = catalog.table("responses") if catalog.has_table("responses") else None
        if t is None or invitation not in answered(catalog, [invitation]):
            raise ArgumentError(
                f"survey '{survey.name}': give the score first; this link has no answer yet"
            )
        target = t.response_id == response_id(invitation)
        try:
            changed = engine.update_where("responses", {"comment": text},
                                          target & t.comment.isnull())  # fmt: skip
        except EngineError:
            raise WorkspaceError(
                f"the follow-up answer fills the answer's row in place, which the {engine.name} "
                "engine cannot do (DuckDB can); send the comment with the score instead"
            ) from None
        if changed != 1:
            raise AnsweredLink("this survey link was answered already; the first answer stands")
