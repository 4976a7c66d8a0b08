"""Triggering: every contact rule, each decision recorded once, due times in customers' zones."""

from __future__ import annotations

from datetime import datetime

import pandas as pd
from scipy.stats import binomtest

from cxlens.collect.rules import DECISIONS
from tests.collect.conftest import SURVEY, load

NOW = datetime(2025, 3, 1)


def _events(rows):
    return [{"event_id": e, "customer_id": c, "occurred_at": at, "touchpoint": tp}
            for e, c, at, tp in rows]  # fmt: skip


def _decisions(frame: pd.DataFrame) -> dict[tuple[str, str], str]:
    return {(r.survey, r.event_id): r.decision for r in frame.itertuples()}


def test_each_rule_records_its_decision(people):
    ws, surveys, tmp = people
    surveys.create({**SURVEY, "channel": "email"})
    load(ws, tmp, "events", _events([
        ("E1", "C1", "2025-03-03 10:00", "ticket_solved"),   # invited
        ("E2", "C2", "2025-03-03 10:00", "ticket_solved"),   # refused consent
        ("E3", "C3", "2025-03-03 10:00", "ticket_solved"),   # no e-mail address
        ("E4", "C4", "2025-03-03 10:00", "ticket_solved"),   # time zone not IANA
        ("E5", "C1", "2025-03-10 10:00", "ticket_solved"),   # 7 days after E1: quiet period
        ("E6", "C1", "2025-01-02 10:00", "ticket_solved"),   # expired before NOW
        ("E7", "C1", "2025-03-03 11:00", "page_view"),       # not a trigger
        ("E8", "C9", "2025-04-20 10:00", "ticket_solved"),   # unknown customer, no e-mail
    ]))  # fmt: skip
    got = _decisions(surveys.trigger(now=NOW))
    assert got == {
        ("support-csat", "E6"): "outside window",
        ("support-csat", "E1"): "invited",
        ("support-csat", "E2"): "no consent",
        ("support-csat", "E3"): "no address",
        ("support-csat", "E4"): "unknown time zone",
        ("support-csat", "E5"): "quiet period",
        ("support-csat", "E8"): "no address",
    }
    assert set(got.values()) <= set(DECISIONS)
    # a second run decides nothing again, and the table keeps one row per decision
    assert surveys.trigger(now=NOW).empty
    assert len(surveys.invitations()) == 7
    invited = surveys.invitations().set_index("event_id").loc["E1"]
    assert invited.language == "en" and invited.channel == "email"
    assert invited.due_at == pd.Timestamp("2025-03-03 11:00")  # the 1h delay
    assert invited.expires_at == pd.Timestamp("2025-03-10 10:00")


def test_quiet_period_holds_across_surveys_and_ends(people):
    ws, surveys, tmp = people
    surveys.create({**SURVEY, "channel": "link"})
    surveys.create({**SURVEY, "name": "delivery-nps", "kind": "nps", "channel": "link",
                    "trigger": {"touchpoint": "delivered"}})  # fmt: skip
    load(ws, tmp, "events", _events([
        ("E1", "C1", "2025-03-03 10:00", "ticket_solved"),
        ("E2", "C1", "2025-03-20 10:00", "delivered"),      # 17 days later: another survey
        ("E3", "C1", "2025-04-03 12:00", "delivered"),      # 31 days after E1: allowed
        ("E4", "C3", "2025-03-20 10:00", "delivered"),      # another customer: unaffected
    ]))  # fmt: skip
    got = _decisions(surveys.trigger(now=NOW))
    assert got == {
        ("support-csat", "E1"): "invited",
        ("delivery-nps", "E2"): "quiet period",
        ("delivery-nps", "E3"): "invited",
        ("delivery-nps", "E4"): "invited",
    }
    # a later run still sees the earlier invitations
    load(ws, tmp, "events", _events([("E5", "C1", "2025-04-10 12:00", "ticket_solved")]))
    assert _decisions(surveys.trigger(now=NOW)) == {("support-csat", "E5"): "quiet period"}


def test_consent_modes_and_do_not_contact(people):
    ws, surveys, tmp = people
    surveys.create({**SURVEY, "channel": "link", "contact": {"consent": "opt_in"}})
    load(ws, tmp, "events", _events([
        (f"E{c}", c, "2025-03-03 10:00", "ticket_solved") for c in ("C1", "C2", "C3")
    ]))  # fmt: skip
    # opt-in: C1 said nothing, C2 said no, C3 said yes
    got = _decisions(surveys.trigger(now=NOW))
    assert got == {("support-csat", "EC1"): "no consent", ("support-csat", "EC2"): "no consent",
                   ("support-csat", "EC3"): "invited"}  # fmt: skip
    assert surveys.do_not_contact(["C3", "C3", "C1"]) == 2
    assert surveys.do_not_contact(["C3"]) == 0
    load(ws, tmp, "events", _events([("F3", "C3", "2025-05-03 10:00", "ticket_solved")]))
    assert _decisions(surveys.trigger(now=NOW)) == {("support-csat", "F3"): "no consent"}


def test_business_hours_in_each_customers_zone(people):
    ws, surveys, tmp = people
    hours = {"start": "09:00", "end": "18:00", "days": ["mon", "tue", "wed", "thu", "fri"]}
    surveys.create({**SURVEY, "channel": "link", "delay": "30m",
                    "contact": {"business_hours": hours, "consent": "opt_out"}})  # fmt: skip
    # Friday 7 March 2025, 19:30 UTC (+30 min delay = 20:00 UTC)
    load(ws, tmp, "events", _events([
        (f"E{c}", c, "2025-03-07 19:30", "ticket_solved") for c in ("C1", "C3")
    ]))  # fmt: skip
    out = surveys.trigger(now=NOW).set_index("customer_id")
    # London 20:00 GMT Friday: closed -> Monday 10 March 09:00 GMT = 09:00 UTC
    assert out.loc["C1", "due_at"] == pd.Timestamp("2025-03-10 09:00")
    # Shanghai 04:00 Saturday: -> Monday 09:00 CST = 01:00 UTC
    assert out.loc["C3", "due_at"] == pd.Timestamp("2025-03-10 01:00")
    # a 1h expiry cannot reach Monday: outside the window
    short = {**SURVEY, "name": "short", "channel": "link", "delay": "30m", "expiry": "1h",
             "contact": {"business_hours": hours}}  # fmt: skip
    surveys.create(short)
    assert set(surveys.trigger(now=NOW).decision) == {"outside window"}


def test_sampling_through_the_trigger_is_binomial_and_repeatable(people, tmp_path):
    ws, surveys, tmp = people
    surveys.create({**SURVEY, "channel": "link",
                    "contact": {"sampling": 0.2, "seed": 3, "quiet_days": 0}})  # fmt: skip
    rows = [(f"S{i:04d}", f"C{i % 50 + 100}", f"2025-03-03 {i % 24:02d}:00", "ticket_solved")
            for i in range(1500)]  # fmt: skip
    load(ws, tmp, "events", _events(rows))
    first = surveys.trigger(now=NOW)
    invited = int((first.decision == "invited").sum())
    assert set(first.decision) == {"invited", "sampling"}
    ci = binomtest(invited, len(first), 0.2).proportion_ci(confidence_level=0.999)
    assert ci.low < 0.2 < ci.high
    # the same seed on a fresh workspace invites exactly the same events
    from cxlens import Workspace
    from cxlens.collect import Surveys

    other = Workspace(tmp_path / "other.duckdb")
    load(other, tmp, "events", _events(rows))
    again = Surveys(other)
    again.create({**SURVEY, "channel": "link",
                  "contact": {"sampling": 0.2, "seed": 3, "quiet_days": 0}})  # fmt: skip
    second = again.trigger(now=NOW)
    assert set(first.event_id[first.decision == "invited"]) == set(
        second.event_id[second.decision == "invited"]
    )
    other.close()
    cov = surveys.coverage()
    assert cov.n.sum() == 1500 and abs(cov.share.sum() - 1) < 1e-12


def test_paused_survey_invites_nobody(people):
    ws, surveys, tmp = people
    surveys.create({**SURVEY, "channel": "link"})
    surveys.pause("support-csat")
    load(ws, tmp, "events", _events([("E1", "C1", "2025-03-03 10:00", "ticket_solved")]))
    assert surveys.trigger(now=NOW).empty
    surveys.resume("support-csat")
    assert _decisions(surveys.trigger(now=NOW)) == {("support-csat", "E1"): "invited"}


def test_erasure_removes_the_customers_invitations(people):
    ws, surveys, tmp = people
    surveys.create({**SURVEY, "channel": "link"})
    load(ws, tmp, "events", _events([
        ("E1", "C1", "2025-03-03 10:00", "ticket_solved"),
        ("E3", "C3", "2025-03-03 10:00", "ticket_solved"),
    ]))  # fmt: skip
    surveys.trigger(now=NOW)
    surveys.do_not_contact(["C1"])
    ws.erase("C1", reason="customer request", requested_by="dpo@example.com")
    assert surveys.invitations().customer_id.tolist() == ["C3"]
    assert ws.table("survey_do_not_contact").count().execute() == 0


def test_new_events_as_a_frame(people):
    _, surveys, _ = people
    surveys.create({**SURVEY, "channel": "link"})
    fresh = pd.DataFrame({
        "event_id": ["N1", "N2", "N3"], "customer_id": ["C1", "C1", None],
        "occurred_at": pd.to_datetime(["2025-03-03 10:00", "2025-03-04 10:00", "2025-03-03 09:00"]),
        "touchpoint": ["ticket_solved"] * 3,
    })  # fmt: skip
    got = _decisions(surveys.trigger(fresh, now=NOW))
    # the event without a customer is not considered; N2 falls in N1's quiet period
    assert got == {("support-csat", "N1"): "invited", ("support-csat", "N2"): "quiet period"}
    assert surveys.trigger(fresh, now=NOW).empty
