"""Measuring the collection: time to answer, surveys per customer, the non-response check.

Twelve customers in two segments, each invited once after a delivery (A1 twice). A1-A5 and
B1 answer, 1 to 10 hours after the event; B4-B6 churned. Every expected figure below is
worked out by hand in the comments (and the p-values from the hand-made statistics).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from math import comb

import pytest
from scipy import stats as sps
from typer.testing import CliRunner

from cxlens import Workspace
from cxlens.cli import app
from tests.collect.conftest import load

EVENT = datetime(2025, 3, 1, 10, 0)
AFTER = datetime(2025, 3, 20)  # every invitation has expired or was answered
NPS = {"name": "delivery-nps", "kind": "nps", "company": "Acme", "channel": "link",
       "trigger": {"touchpoint": "delivered"}, "contact": {"quiet_days": 0}}  # fmt: skip
ANSWERS = {"A1": 1, "A2": 2, "A3": 3, "A4": 4, "A5": 5, "B1": 10}  # hours after the event
CUSTOMERS = [f"A{i}" for i in range(1, 7)] + [f"B{i}" for i in range(1, 7)]
CHURNED = {"B4", "B5", "B6"}


@pytest.fixture
def measured(tmp_path):
    ws = Workspace(tmp_path / "ws.duckdb")
    load(ws, tmp_path, "customers", [
        {"customer_id": c, "segment": c[0], "churned_at": "2025-05-01" if c in CHURNED else ""}
        for c in CUSTOMERS
    ])  # fmt: skip
    # responders are worth 100-600, non-responders 1-6: complete separation
    value = {c: 100 * (i + 1) for i, c in enumerate(ANSWERS)}
    value |= {c: i + 1 for i, c in enumerate(c for c in CUSTOMERS if c not in ANSWERS)}
    load(ws, tmp_path, "transactions", [
        {"transaction_id": f"T{c}", "customer_id": c, "occurred_at": "2025-01-05",
         "amount": v} for c, v in value.items()
    ])  # fmt: skip
    events = [{"event_id": f"E{c}", "customer_id": c, "occurred_at": f"{EVENT:%Y-%m-%d %H:%M}",
               "touchpoint": "delivered"} for c in CUSTOMERS]  # fmt: skip
    events.append({"event_id": "E2A1", "customer_id": "A1", "occurred_at": "2025-03-02 10:00",
                   "touchpoint": "delivered"})  # fmt: skip
    load(ws, tmp_path, "events", events)
    ws.surveys.create(NPS)
    made = ws.surveys.trigger(now=EVENT - timedelta(hours=1))
    assert (made.decision == "invited").all() and len(made) == 13
    first = made[made.event_id.str.startswith("E") & ~made.event_id.eq("E2A1")]
    ids = dict(zip(first.customer_id, first.invitation_id, strict=True))
    for customer, hours in ANSWERS.items():
        ws.surveys.answer(ws.surveys.token(ids[customer]), 9, now=EVENT + timedelta(hours=hours))
    yield ws
    ws.close()


def test_time_to_answer(measured):
    got = measured.surveys.timing()
    # hours 1, 2, 3, 4, 5, 10: median (3 + 4) / 2 = 3.5; p90 at rank 0.9 * 5 = 4.5 between
    # 5 and 10 (type 7): 5 + 0.5 * 5 = 7.5
    assert got.to_dict("records") == [
        {"survey": "delivery-nps", "answered": 6, "median_hours": 3.5, "p90_hours": 7.5}
    ]


def test_surveys_per_customer(measured):
    got = measured.surveys.per_customer()
    rows = {(r.survey, r.invitations): (r.customers, r.share) for r in got.itertuples()}
    # 11 customers asked once, A1 twice; one survey, so "*" and delivery-nps agree
    assert rows == {
        ("*", 1): (11, 11 / 12),
        ("*", 2): (1, 1 / 12),
        ("delivery-nps", 1): (11, 11 / 12),
        ("delivery-nps", 2): (1, 1 / 12),
    }


def test_the_nonresponse_check(measured):
    got = measured.surveys.nonresponse(now=AFTER).set_index(["attribute", "level"])
    # segment: A 5 of 6 answered, B 1 of 6. Yates-corrected chi-square on [[5, 1], [1, 5]]:
    # n (|ad - bc| - n/2)^2 / (row and column totals) = 12 (24 - 6)^2 / 6^4 = 3.0
    seg = got.loc["segment"]
    assert seg.loc["A", ["customers", "responders"]].tolist() == [6, 5]
    assert seg.loc["B", "response_rate"] == pytest.approx(1 / 6)
    assert seg.statistic.iloc[0] == pytest.approx(3.0)
    assert seg.p_value.iloc[0] == pytest.approx(sps.chi2.sf(3.0, 1))  # 0.0833
    # churn: active 6 answered / 3 not, churned 0 / 3: 12 (18 - 6)^2 / (9 * 3 * 6 * 6) = 16/9
    churn = got.loc["churn"]
    assert churn.loc["churned", "responders"] == 0
    assert churn.statistic.iloc[0] == pytest.approx(16 / 9)
    # value: every responder is worth more than every non-responder (6 and 6): U = 36 and
    # the exact two-sided p is 2 / C(12, 6) = 2 / 924
    value = got.loc["value"]
    assert value.loc["responders", "median_value"] == pytest.approx(350.0)
    assert value.loc["non-responders", "median_value"] == pytest.approx(3.5)
    assert value.statistic.iloc[0] == 36
    assert value.p_value.iloc[0] == pytest.approx(2 / comb(12, 6))


def test_open_invitations_are_left_out_of_the_nonresponse_check(measured):
    # on the day of the event nobody's invitation has expired: only the six who answered are
    # closed, so no attribute has both responders and non-responders to compare
    assert measured.surveys.nonresponse(now=EVENT + timedelta(hours=12)).empty


def test_stats_command_shows_the_figures(measured, tmp_path):
    measured.close()
    out = CliRunner(env={"COLUMNS": "200"}).invoke(
        app, ["surveys", "stats", "-w", str(tmp_path / "ws.duckdb")]
    )
    assert out.exit_code == 0, out.output
    for title in ("response rates", "hours from the triggering event to the answer",
                  "invitations per customer", "non-response check"):  # fmt: skip
        assert title in out.output
    assert "Mann-Whitney U" in out.output and "chi-square" in out.output


def test_the_report_section(measured):
    from cxlens.report.collection_parts import collection_part

    part = collection_part(measured)
    body = part.section.body_html
    assert part.section.id == "collection"
    # 6 of 13 answered: 46.2%; median 3.5 h, p90 7.5 h; value p = 2/924 = 0.00216, shown 0.002
    assert (
        "46.2%" in body
        and "3.5 h" in body
        and "7.5 h" in body
        and "0.002" in body
        and "0.00216" not in body
    )
    assert "Mann-Whitney U" in part.methods[0][1]


def test_no_surveys_no_section(tmp_path):
    from cxlens.report.collection_parts import collection_part

    with Workspace(tmp_path / "none.duckdb") as ws:
        assert collection_part(ws).section is None
