"""Recording an answer: checked, then loaded into ``responses`` through the ingest path.

An answer is checked whole before anything is written: the token (genuine, unexpired, naming
an invitation that was made), the score (a whole number on the survey's scale), the driver
ratings (named by the survey, 0-10) and the comment's length. A token already answered is
refused: its response id is fixed by the invitation, so the first answer is the only one.

The answer is then written as a one-row JSON-lines file and loaded by
:func:`cxlens.ingest.load.ingest_file`, so it is validated by the same schema, lands atomically
and carries lineage like any load: the load log names the file
``survey-<survey>-<invitation>.jsonl`` and the row keeps ``invitation_id`` and
``trigger_event_id`` beside the canonical survey, touchpoint, channel and language.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from numbers import Integral
from pathlib import Path
from typing import Any

import pandas as pd

from cxlens.collect.definitions import Survey
from cxlens.collect.tables import response_id
from cxlens.errors import ArgumentError, WorkspaceError
from cxlens.ingest.load import ingest_file
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
    if answer.comment is not None:
        if not isinstance(answer.comment, str):
            raise ArgumentError(f"survey '{survey.name}': the comment must be text")
        if len(answer.comment) > MAX_COMMENT_CHARS:
            raise ArgumentError(
                f"survey '{survey.name}': the comment is {len(answer.comment):,} characters; "
                f"at most {MAX_COMMENT_CHARS:,} are accepted"
            )
        if answer.comment.strip():
            values["comment"] = answer.comment.strip()
    values.update(_drivers(survey, answer.drivers or {}))
    return values


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
    if not catalog.has_table("responses"):
        return False
    t = catalog.table("responses")
    hit = t.filter(t.response_id == response_id(invitation)).count()
    return int(run(hit, "whether the invitation was answered")) > 0


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
    rid = response_id(invitation["invitation_id"])
    row = {
        "response_id": rid,
        "customer_id": invitation["customer_id"],
        "responded_at": now.isoformat(sep=" ", timespec="seconds"),
        "survey": invitation["survey"],
        "touchpoint": invitation["touchpoint"],
        "channel": invitation["channel"],
        "language": invitation["language"],
        "invitation_id": invitation["invitation_id"],
        "trigger_event_id": invitation["event_id"],
        **values,
    }
    row = {k: (None if v is None or v is pd.NaT else str(v)) for k, v in row.items()}
    with tempfile.TemporaryDirectory(prefix="cxlens-answer-") as tmp:
        path = Path(tmp) / f"survey-{invitation['survey']}-{invitation['invitation_id']}.jsonl"
        path.write_text(json.dumps(row, ensure_ascii=False) + "\n", encoding="utf-8")
        result = ingest_file(catalog.engine, path, mapping=_MAPPING)
    if result.status != "loaded" or result.rows_loaded != 1:
        raise WorkspaceError(
            f"the answer to invitation {invitation['invitation_id']} did not load "
            f"({result.summary()}); see the quarantine of load {result.load_id}"
        )
    return rid
