"""The customer profile: hand-made tables with hand-computed answers, and the sample resolved."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

import cxlens
from cxlens.errors import ArgumentError, NotEnoughDataError
from cxlens.identity.profile import profile as _profile
from cxlens.text.redact import redact


def profile(ws, customer_id, **kw):
    """The profile as the Workspace builds it: comments redacted by cxlens.text."""
    return _profile(ws, customer_id, redact=redact, **kw)


def build_small(folder: Path) -> cxlens.Workspace:
    """Two customers, A1 with everything, B2 with one order; segments and a churn score."""
    files = {
        "customers": "customer_id,segment,region\nA1,consumer,north\nB2,business,south\n",
        "identities": (
            "source,source_id,customer_id,email,phone,name\n"
            "crm,CRM-1,A1,ann@example.org,+442079460018,Ann Smith\n"
            "crm,CRM-2,B2,bob@example.org,,Bob Jones\n"
        ),
        "responses": (
            "response_id,customer_id,responded_at,touchpoint,nps,csat,ces,comment\n"
            "R1,A1,2024-01-10,billing,6,3,,Bill is wrong. Mail me at ann@example.org\n"
            "R2,A1,2024-03-01,support,9,5,6,\n"
            "R3,B2,2024-02-01,billing,10,5,7,great\n"
        ),
        "transactions": (
            "transaction_id,customer_id,occurred_at,amount,category\n"
            "T1,A1,2024-01-01,50,plan\nT2,A1,2024-02-01,30,device\n"
            "T3,A1,2024-02-15,-10,plan\nT4,B2,2024-01-05,99,plan\n"
        ),
        "events": (
            "event_id,customer_id,occurred_at,touchpoint,stage,duration_seconds\n"
            "E1,A1,2024-01-01,website,consideration,30\n"
            "E2,A1,2024-01-02,checkout,purchase,60\n"
            "E3,A1,2024-01-20,billing,usage,40\n"
            "E4,A1,2024-02-20,billing,usage,20\n"
            "E5,B2,2024-01-05,checkout,purchase,10\n"
        ),
    }
    ws = cxlens.Workspace(folder / "p.duckdb")
    for table, text in files.items():
        (folder / f"{table}.csv").write_text(text)
        ws.ingest(folder / f"{table}.csv", table=table)
    ws.save_table("customer_segments", pd.DataFrame(
        {"customer_id": ["A1", "B2"], "rfm_segment": ["Loyal", "New"], "clv_tier": ["high", None]}
    ))  # fmt: skip
    ws.save_table("churn_scores", pd.DataFrame(
        {"customer_id": ["A1", "B2"], "churn_probability": [0.25, 0.5]}
    ))  # fmt: skip
    ws.save_table("comment_sentiment", pd.DataFrame({"response_id": ["R1"], "label": ["negative"]}))
    return ws


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    ws = build_small(tmp_path_factory.mktemp("profile"))
    yield ws
    ws.close()


def test_scores_over_time_and_their_summary(small):
    p = profile(small, "A1")
    assert p.scores.response_id.tolist() == ["R1", "R2"]
    assert p.scores.nps.tolist() == [6, 9]
    s = p.score_summary.set_index("metric")
    assert s.index.tolist() == ["nps", "csat", "ces"]
    assert s.loc["nps", "n"] == 2 and s.loc["nps", "mean"] == 7.5 and s.loc["nps", "latest"] == 9
    assert s.loc["csat", "mean"] == 4.0 and s.loc["csat", "latest"] == 5
    assert s.loc["ces", "n"] == 1 and s.loc["ces", "latest"] == 6
    assert s.loc["nps", "latest_at"] == pd.Timestamp("2024-03-01")


def test_transactions_summary_and_recent_list(small):
    p = profile(small, "A1", recent=2)
    t = p.transactions
    assert (t["orders"], t["refunds"], t["revenue"]) == (2, 1, 70.0)
    assert t["average_order"] == 35.0
    assert t["first_at"] == pd.Timestamp("2024-01-01")
    assert t["last_at"] == pd.Timestamp("2024-02-15")
    assert t["categories"] == "plan (2), device (1)"
    assert p.recent_transactions.transaction_id.tolist() == ["T3", "T2"]


def test_journey_counts_by_stage_and_touchpoint(small):
    p = profile(small, "A1")
    j = p.journey.set_index(["stage", "touchpoint"])
    assert j.loc[("usage", "billing"), "events"] == 2
    assert j.loc[("usage", "billing"), "seconds"] == 60.0
    assert j.loc[("purchase", "checkout"), "events"] == 1
    assert p.journey.events.sum() == 4
    assert p.recent_events.event_id.tolist() == ["E4", "E3", "E2", "E1"]


def test_comments_are_redacted_and_carry_sentiment(small):
    p = profile(small, "A1")
    assert p.comments.response_id.tolist() == ["R1"]
    assert p.comments.comment[0] == "Bill is wrong. Mail me at [EMAIL]"
    assert p.comments.sentiment[0] == "negative"


def test_identities_segments_attributes_and_model_outputs(small):
    p = profile(small, "A1")
    assert p.identities[["source", "source_id", "how", "email"]].values.tolist() == [
        ["crm", "CRM-1", "loaded", "ann@example.org"]
    ]
    assert p.attributes == {"segment": "consumer", "region": "north"}
    assert p.segments == {"rfm_segment": "Loyal", "clv_tier": "high"}
    assert p.models == {
        "churn_scores": [{"churn_probability": 0.25}],
    }
    b = profile(small, "B2")
    assert b.segments == {"rfm_segment": "New"}  # missing values are left out
    assert b.transactions["orders"] == 1 and b.comments.comment.tolist() == ["great"]


def test_to_dict_is_json_and_render_names_every_part(small):
    p = profile(small, "A1")
    data = json.loads(json.dumps(p.to_dict()))
    assert data["transactions"]["revenue"] == 70.0
    assert data["scores"][0]["responded_at"].startswith("2024-01-10")
    text = p.render()
    for title in ("Identities", "Scores", "Transactions", "Journey", "Comments", "Segments",
                  "Model output: churn_scores"):  # fmt: skip
        assert title in text
    assert "ann@example.org" in text.split("Comments")[0]  # PII only among identities
    assert "ann@example.org" not in text.split("Comments")[1]


def test_unknown_customer_and_bad_arguments(small):
    with pytest.raises(NotEnoughDataError, match="no table mentions customer 'ZZ9'"):
        profile(small, "ZZ9")
    with pytest.raises(ArgumentError, match="customer_id must be non-empty"):
        profile(small, "  ")
    with pytest.raises(ArgumentError, match="recent must be at least 1"):
        profile(small, "A1", recent=0)


def test_workspace_method_and_resolved_records_on_the_sample(tmp_path):
    from cxlens.sample import generate, write_sample

    data = generate(customers=150, months=6, seed=3)
    paths = write_sample(data, tmp_path / "data")
    with cxlens.Workspace(tmp_path / "s.duckdb") as ws:
        for table in ("customers", "identities", "responses", "transactions", "events"):
            ws.ingest(paths[table], table=table)
        ws.identity.resolve(max_pairs=2e5)
        cl = ws.identity.clusters().to_pandas()
        ids = data.tables["identities"]
        # A customer with a record that only resolution linked to them.
        extra = cl[cl.loaded_customer_id.isna() & cl.customer_id.str.startswith("C")]
        cid = sorted(extra.customer_id)[0]
        p = ws.profile(cid)
        loaded = set(ids[ids.customer_id == cid].source_id)
        resolved = set(cl[cl.customer_id == cid].source_id)
        assert set(p.identities.source_id) == loaded | resolved
        hows = dict(zip(p.identities.source_id, p.identities.how, strict=True))
        for sid in resolved - loaded:
            assert hows[sid] == "resolved"
        tx = data.tables["transactions"].query("customer_id == @cid")
        assert p.transactions.get("revenue", 0.0) == pytest.approx(tx.amount.sum())
        ev = data.tables["events"].query("customer_id == @cid")
        assert int(p.journey.events.sum()) == len(ev)
