"""Answers: signed single-use expiring links, checks that store nothing, and the load they make."""

from __future__ import annotations

from datetime import datetime

import numpy as np
import pandas as pd
import pytest

from cxlens import Workspace
from cxlens.collect.answers import MAX_COMMENT_CHARS, Answer
from cxlens.collect.tokens import sign_token
from cxlens.errors import ArgumentError, IngestError
from cxlens.ingest import load as load_module
from cxlens.ingest.load import ingest_file, load_checked
from cxlens.ingest.mapping import Mapping as ColumnMapping
from cxlens.metrics.stats import wilson_interval
from tests.collect.conftest import SURVEY, load

NOW = datetime(2025, 3, 1)
LATER = datetime(2025, 3, 4, 12, 0)  # after the invitations are due, before they expire

NPS = {**SURVEY, "name": "delivery-nps", "kind": "nps", "channel": "link",
       "languages": ["en", "ru", "zh"], "trigger": {"touchpoint": "delivered"},
       "drivers": [{"name": "speed", "question": "How quick was the delivery?"}]}  # fmt: skip


@pytest.fixture
def invited(people):
    """Three invitations to delivery-nps: C1 (en), C3 (zh), C5 (no customer row: en)."""
    ws, surveys, tmp = people
    surveys.create(NPS)
    load(ws, tmp, "events", [
        {"event_id": f"D{c}", "customer_id": c, "occurred_at": "2025-03-03 10:00",
         "touchpoint": "delivered"} for c in ("C1", "C3", "C5")
    ])  # fmt: skip
    out = surveys.trigger(now=NOW)
    assert set(out.decision) == {"invited"}
    tokens = {r.customer_id: surveys.token(r.invitation_id) for r in out.itertuples()}
    return ws, surveys, tokens


def _state(ws):
    """What an answer may change: the rows of responses, the load log and the quarantine."""
    rows = int(ws.table("responses").count().execute()) if ws.has_table("responses") else 0
    return rows, len(ws.loads()), len(ws.quarantine())


def test_an_answer_lands_in_responses_with_lineage_and_in_nps(invited):
    ws, surveys, tokens = invited
    speed = np.int64(9)  # a number from pandas or numpy is a whole number too
    rid = surveys.answer(tokens["C1"], 10, "Fast and friendly", {"speed": speed}, now=LATER)
    surveys.answer(tokens["C3"], 9, "很好", now=LATER)
    surveys.answer(tokens["C5"], "3", now=LATER)  # a form posts text
    assert surveys.stats().answered.iloc[0] == 3
    row = ws.table("responses").filter(ws.table("responses").response_id == rid).execute()
    r = row.iloc[0]
    assert (r.customer_id, r.nps, r.comment, r.driver_speed) == ("C1", 10, "Fast and friendly", 9)
    assert (r.survey, r.touchpoint, r.channel, r.language) == (
        "delivery-nps", "delivered", "link", "en")  # fmt: skip
    assert r.trigger_event_id == "DC1" and rid == f"inv-{r.invitation_id}"
    assert str(r.responded_at) == "2025-03-04 12:00:00"
    # lineage like any load: the load log names the answer's file
    log = ws.loads().set_index("load_id").loc[r._load_id]
    assert log.source_file == r._source_file == f"survey-delivery-nps-{r.invitation_id}.jsonl"
    assert log.rows_loaded == 1
    zh = ws.table("responses").filter(ws.table("responses").customer_id == "C3").execute()
    assert zh.language.iloc[0] == "zh" and zh.comment.iloc[0] == "很好"
    # NPS of 10, 9, 3: 2 promoters, 1 detractor of 3 -> (2 - 1) / 3 = 33.3 points
    nps = ws.metrics.nps()
    assert int(nps.n.iloc[0]) == 3
    assert nps.value.iloc[0] == pytest.approx(100 / 3)
    # response rate: 3 of 3 invited answered; Wilson interval as the stats module computes it
    stats = surveys.stats()
    assert stats[["survey", "invited", "answered"]].values.tolist() == [["delivery-nps", 3, 3]]
    lo, _ = wilson_interval([3], [3])
    assert stats.ci_low.iloc[0] == pytest.approx(lo[0]) and stats.ci_high.iloc[0] == 1.0


def test_a_link_answers_once(invited):
    ws, surveys, tokens = invited
    surveys.answer(tokens["C1"], 8, now=LATER)
    before = _state(ws)
    with pytest.raises(ArgumentError, match="answered already; the first answer stands"):
        surveys.answer(tokens["C1"], 2, now=LATER)
    assert _state(ws) == before
    assert ws.table("responses").nps.execute().tolist() == [8]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((11,), "nps score must be a whole number from 0 to 10, not 11"),
        ((-1,), "from 0 to 10, not -1"),
        ((7.5,), "not 7.5"),
        ((True,), "not True"),
        ((9, "x" * (MAX_COMMENT_CHARS + 1)), "the comment is 5,001 characters"),
        ((9, None, {"price": 5}), "has no driver question 'price'; it has: speed"),
        ((9, None, {"speed": 11}), "driver 'speed' must be a whole number from 0 to 10"),
    ],
)
def test_bad_answers_store_nothing(invited, args, message):
    ws, surveys, tokens = invited
    before = _state(ws)
    with pytest.raises(ArgumentError, match=message):
        surveys.answer(tokens["C1"], *args, now=LATER)
    assert _state(ws) == before
    surveys.answer(tokens["C1"], 9, now=LATER)  # the link still works afterwards


def test_an_expired_link_is_refused(invited):
    ws, surveys, tokens = invited
    with pytest.raises(ArgumentError, match="expired at 2025-03-10 10:00 UTC"):
        surveys.answer(tokens["C1"], 9, now=datetime(2025, 3, 10, 10, 0))
    assert _state(ws)[0] == 0


def test_forged_links_are_refused(invited, tmp_path):
    ws, surveys, tokens = invited
    token = tokens["C1"]
    invitation, expiry, signature = token.split(".")
    flipped = signature[:-1] + ("0" if signature[-1] != "0" else "1")
    later = str(int(expiry) + 86400 * 30)  # extend the expiry, keep the signature
    other = sign_token(invitation, datetime(2025, 3, 10, 10), b"another workspace secret!")
    for forged in (f"{invitation}.{expiry}.{flipped}", f"{invitation}.{later}.{signature}", other):
        with pytest.raises(ArgumentError, match="signature does not match"):
            surveys.answer(forged, 9, now=LATER)
    for malformed in ("", "abc", token + "x", "../../etc/passwd"):
        with pytest.raises(ArgumentError, match="malformed"):
            surveys.answer(malformed, 9, now=LATER)
    # a genuine signature over an invitation that was never made
    secret_token = sign_token("f" * 24, datetime(2025, 3, 10), _secret(ws))
    with pytest.raises(ArgumentError, match="no invitation ffff"):
        surveys.answer(secret_token, 9, now=LATER)
    assert _state(ws)[0] == 0


def test_a_skipped_invitation_has_no_link(people):
    ws, surveys, tmp = people
    surveys.create({**SURVEY, "channel": "email"})
    load(
        ws,
        tmp,
        "events",
        [
            {
                "event_id": "E3",
                "customer_id": "C3",
                "occurred_at": "2025-03-03 10:00",
                "touchpoint": "ticket_solved",
            }
        ],
    )
    out = surveys.trigger(now=NOW)
    with pytest.raises(ArgumentError, match=r"was not made \(no address\)"):
        surveys.token(out.invitation_id.iloc[0])


def _secret(ws) -> bytes:
    from cxlens.store.secrets import workspace_secret

    return workspace_secret(ws)


# -- the answers' load: rows built and checked here, loaded without a file ------------------


def test_a_batch_is_one_load_typed_as_the_file_path_would_type_it(invited, tmp_path):
    ws, surveys, tokens = invited
    before = _state(ws)
    got = surveys.answer_many([(tokens["C1"], Answer(10, "Fast", {"speed": 7})),
                               (tokens["C3"], Answer(6)), (tokens["C5"], Answer("8"))],
                              now=LATER)  # fmt: skip
    assert all(isinstance(g, str) for g in got)
    stored = ws.table("responses").execute().sort_values("_source_row", ignore_index=True)
    # lineage: one load record for the batch, counting its rows; rows numbered from 1
    assert _state(ws) == (before[0] + 3, before[1] + 1, before[2])
    (load_id,) = set(stored._load_id)
    log = ws.loads().set_index("load_id").loc[load_id]
    assert (log.rows_loaded, log.rows_quarantined, log.status) == (3, 0, "complete")
    assert log.source_file == stored._source_file.iloc[0]
    assert log.source_file.startswith("survey-answers-") and log.source_file.endswith("-3.jsonl")
    assert stored._source_row.tolist() == [1, 2, 3] and stored.response_id.tolist() == got
    # the reference: the same rows as a JSON-lines file through the validating file loader
    canonical = [c for c in stored.columns if not c.startswith("_")]
    text = stored[canonical].astype("string").to_json(orient="records", lines=True)
    path = tmp_path / "same.jsonl"
    path.write_text(text, encoding="utf-8")
    with Workspace(tmp_path / "reference.duckdb") as ref:
        mapping = ColumnMapping(table="responses", columns={c: c for c in ("invitation_id",
                                "trigger_event_id")})  # fmt: skip
        assert ingest_file(ref.engine, path, mapping=mapping).rows_loaded == 3
        want = ref.table("responses").execute().sort_values("_source_row", ignore_index=True)
        types = ref.engine.columns("responses")
    assert ws.engine.columns("responses") == types
    pd.testing.assert_frame_equal(stored[canonical], want[canonical])
    assert (stored.nps.tolist(), stored.driver_speed.iloc[0]) == ([10, 6, 8], 7.0)


def test_a_batch_that_fails_while_writing_leaves_nothing(invited, monkeypatch):
    ws, surveys, tokens = invited
    surveys.answer(tokens["C1"], 9, now=LATER)
    before = _state(ws)
    real = load_module._append_rows

    def append_then_fail(*args, **kwargs):
        real(*args, **kwargs)  # the rows are in the transaction...
        raise RuntimeError("disk full")  # ...which then fails

    monkeypatch.setattr(load_module, "_append_rows", append_then_fail)
    with pytest.raises(RuntimeError, match="disk full"):
        surveys.answer_many([(tokens["C3"], Answer(7)), (tokens["C5"], Answer(8))], now=LATER)
    assert _state(ws) == before
    monkeypatch.undo()
    assert len(surveys.answer_many([(tokens["C3"], Answer(7))], now=LATER)) == 1
    assert _state(ws)[0] == before[0] + 1


def test_a_value_that_does_not_fit_its_column_is_refused_before_writing(invited):
    ws, _, _ = invited
    before = _state(ws)
    row = {"response_id": "r1", "customer_id": "C1", "responded_at": LATER, "nps": "nine"}
    with pytest.raises(IngestError, match="column 'nps' of table 'responses' holds a value"):
        load_checked(ws.engine, "responses", [row], "bad.jsonl")
    assert _state(ws) == before
