"""The collect tables on every engine (the ``catalog`` fixture: DuckDB, and Spark marked spark).

A survey is stored, triggered on events, answered in one batch (one with a follow-up comment),
and measured; the same figures are expected on each engine, worked out by hand.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import pandas as pd
import pytest

from cxlens.collect.answers import Answer
from cxlens.errors import WorkspaceError

EVENT = datetime(2025, 3, 3, 10, 0)
NPS = {"name": "delivery-nps", "kind": "nps", "company": "Acme", "channel": "link",
       "trigger": {"touchpoint": "delivered"}, "contact": {"quiet_days": 0}}  # fmt: skip


def test_trigger_answer_and_measure(catalog, tmp_path):
    events = pd.DataFrame({
        "event_id": ["E1", "E2", "E3", "E4"], "customer_id": ["C1", "C2", "C3", "C3"],
        "occurred_at": [EVENT] * 4, "touchpoint": ["delivered"] * 3 + ["store"],
    })  # fmt: skip
    path = tmp_path / "events.csv"
    events.to_csv(path, index=False)
    assert catalog.ingest(path, table="events").rows_loaded == 4
    surveys = catalog.surveys
    surveys.create(NPS)
    made = surveys.trigger(now=EVENT - timedelta(hours=1))
    assert sorted(made.event_id) == ["E1", "E2", "E3"] and set(made.decision) == {"invited"}
    ids = dict(zip(made.customer_id, made.invitation_id, strict=True))
    tokens = {c: surveys.token(i) for c, i in ids.items()}
    later = EVENT + timedelta(hours=2)
    out = surveys.answer_many(
        [(tokens["C1"], Answer(10)), (tokens["C2"], Answer(3)), (tokens["C1"], Answer(0))],
        now=later,
    )
    assert out[:2] == [f"inv-{ids['C1']}", f"inv-{ids['C2']}"]
    assert "answered already" in str(out[2])  # the same link twice in a batch: first stands
    if catalog.engine.name == "duckdb":
        surveys.follow_up(tokens["C2"], "Late", now=later)
    else:  # Spark tables cannot update a row in place: refused, saying so, nothing changed
        with pytest.raises(WorkspaceError, match="cannot do"):
            surveys.follow_up(tokens["C2"], "Late", now=later)
    resp = catalog.table("responses").execute().set_index("customer_id")
    assert resp.nps.to_dict() == {"C1": 10, "C2": 3}
    comment = resp.comment.get("C2")
    assert comment == "Late" if catalog.engine.name == "duckdb" else pd.isna(comment)
    rates = surveys.stats().iloc[0]
    assert (rates.invited, rates.answered) == (3, 2)
    timing = surveys.timing().iloc[0]
    assert (timing.answered, timing.median_hours) == (2, 2.0)
    per = surveys.per_customer()
    assert per[per.survey == "*"].customers.tolist() == [3]
