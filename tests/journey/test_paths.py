"""Directly-follows graph, variants, paths around a step and flows on hand-computed logs."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cxlens.errors import ArgumentError, NotEnoughDataError
from cxlens.journey.cases import CaseSpec
from cxlens.journey.paths import DFG_COLUMNS, dfg, flows, paths_around, variants
from tests.journey.logs import HAND, at, events


def edges(frame: pd.DataFrame) -> dict[tuple[str, str], tuple[int, float, float]]:
    return {
        (r.source, r.target): (r.count, r.mean_seconds, r.median_seconds)
        for r in frame.itertuples()
    }


def test_dfg_by_hand_with_a_tie_out_of_order_rows_and_a_single_event_journey(table):
    got = dfg(table(HAND))
    assert list(got.columns) == list(DFG_COLUMNS)
    assert edges(got) == {
        ("web", "web"): (2, 44_100.0, 44_100.0),  # a: 86,400 s, c: 1,800 s
        ("ad", "app"): (1, 3600.0, 3600.0),
        ("app", "web"): (1, 0.0, 0.0),  # the tie at +3600 s: e2 (app) before e3 (web)
    }
    assert got["count"].tolist() == [2, 1, 1]  # most frequent first, then by name


def test_a_tie_is_broken_by_event_id(table):
    swapped = HAND.copy()
    swapped["event_id"] = swapped["event_id"].replace({"e2": "e3", "e3": "e2"})
    got = edges(dfg(table(swapped)))
    assert set(got) == {("ad", "web"), ("web", "app"), ("app", "web"), ("web", "web")}
    assert got[("app", "web")] == (1, 86_400.0, 86_400.0)


def test_dfg_with_ends_counts_journey_starts_and_ends(table):
    got = edges(dfg(table(HAND), ends=True))
    assert got[("(start)", "ad")][0] == 2 and got[("(start)", "web")][0] == 1
    assert got[("web", "(end)")][0] == 2 and got[("ad", "(end)")][0] == 1
    assert np.isnan(got[("(start)", "ad")][1])


def test_stage_level_and_session_and_gap_journeys(table):
    got = edges(dfg(table(HAND), level="stage"))
    assert got == {
        ("consideration", "consideration"): (2, 44_100.0, 44_100.0),
        ("awareness", "usage"): (1, 3600.0, 3600.0),
        ("usage", "consideration"): (1, 0.0, 0.0),
    }
    # a gap of one hour splits a's last event off: no web -> web edge for a any more
    got = edges(dfg(table(HAND), CaseSpec(gap="1h")))
    assert got[("web", "web")] == (1, 1800.0, 1800.0)
    sessions = HAND.assign(session_id=["s1", "s2", "s1", "s1", None, "s3", "s3"])
    got = edges(dfg(table(sessions), CaseSpec("session")))
    assert got == {("ad", "app"): (1, 3600.0, 3600.0), ("app", "web"): (1, 0.0, 0.0),
                   ("web", "web"): (1, 1800.0, 1800.0)}  # fmt: skip


def test_a_customer_with_thousands_of_events(table):
    n = 3000
    rows = [(f"x{i:05d}", "heavy", 60 * i, "app" if i % 2 else "billing", "usage", "app")
            for i in range(n)]  # fmt: skip
    rows.append(("y", "light", 0, "app", "usage", "app"))
    got = edges(dfg(table(events(rows))))
    assert got == {("billing", "app"): (1500, 60.0, 60.0), ("app", "billing"): (1499, 60.0, 60.0)}
    var = variants(table(events(rows)), top=None, collapse=False)
    assert var["variant"].tolist()[0] == "app"  # equal counts: by name
    assert var["steps"].tolist() == [1, 3000]
    assert var["variant"].iloc[1].count(" > ") == n - 1


def test_dfg_counts_and_means_match_pm4py_on_a_random_log(table):
    pm4py = pytest.importorskip("pm4py")
    rng = np.random.default_rng(3)
    n = 600
    frame = pd.DataFrame({
        "event_id": [f"e{i:04d}" for i in rng.permutation(n)],
        "customer_id": rng.choice([f"c{i}" for i in range(40)], n),
        "occurred_at": [at(60 * int(s)) for s in rng.integers(0, 50, n)],  # many ties
        "touchpoint": rng.choice(["ad", "web", "app", "billing", "support"], n),
    })  # fmt: skip
    got = dfg(table(frame))
    log = frame.sort_values(["customer_id", "occurred_at", "event_id"]).rename(
        columns={"customer_id": "case:concept:name", "touchpoint": "concept:name",
                 "occurred_at": "time:timestamp"})  # fmt: skip
    ref, _, _ = pm4py.discover_dfg(log)
    assert {(r.source, r.target): r.count for r in got.itertuples()} == dict(ref)
    perf, _, _ = pm4py.discover_performance_dfg(log)
    for r in got.itertuples():
        assert r.mean_seconds == pytest.approx(perf[(r.source, r.target)]["mean"])
        assert r.median_seconds == pytest.approx(perf[(r.source, r.target)]["median"])


def test_variants_collapse_repeats_and_carry_outcomes(table):
    responses = pd.DataFrame({
        "response_id": ["r1", "r2", "r3"], "customer_id": ["a", "a", "c"],
        "responded_at": [at(10), at(20), at(10)], "nps": [3, 10, 9],
    })  # fmt: skip
    customers = pd.DataFrame({
        "customer_id": ["a", "b", "c"], "churned_at": [pd.NaT, at(99), pd.NaT],
    })  # fmt: skip
    got = variants(table(HAND), responses=table(responses, "responses"),
                   customers=table(customers, "customers"), converted="web")  # fmt: skip
    by = got.set_index("variant")
    assert by.loc["ad > app > web", "journeys"] == 1 and by.loc["web", "journeys"] == 1
    assert by.loc["ad > app > web", "nps"] == 100.0  # a's latest answer is a 10
    # one promoter: adjusted Wald (Rocks 2016), p = 1.75/4, d = 0.75/4, not the point [100, 100]
    p, d = 1.75 / 4, 0.75 / 4
    low = 100 * (p - d) - 1.959964 * 100 * np.sqrt((p + d - (p - d) ** 2) / 4)
    assert by.loc["ad > app > web", "nps_ci_low"] == pytest.approx(low, abs=1e-4)
    assert by.loc["ad > app > web", "nps_ci_high"] == 100.0
    assert by.loc["ad", "churn_rate"] == 100.0 and by.loc["web", "churn_rate"] == 0.0
    assert by.loc["ad", "conversion"] == 0.0 and by.loc["web", "conversion"] == 100.0
    assert got["share"].sum() == pytest.approx(100.0)
    assert len(got) == 3 and got.attrs == {}
    short = variants(table(HAND), max_steps=2, level="stage")
    assert set(short["variant"]) == {"awareness > usage", "awareness", "consideration"}
    assert np.isnan(short["conversion"]).all() and np.isnan(short["nps"]).all()


def test_paths_around_a_step(table):
    after = paths_around(table(HAND), "ad", steps=2)
    assert dict(zip(after["path"], after["journeys"], strict=True)) == {
        "app > web": 1, "(end)": 1}  # fmt: skip
    before = paths_around(table(HAND), "web", direction="before", steps=5)
    assert dict(zip(before["path"], before["share"], strict=True)) == {
        "ad > app": 50.0, "(start)": 50.0}  # fmt: skip
    with pytest.raises(NotEnoughDataError, match="no journey contains 'nowhere'"):
        paths_around(table(HAND), "nowhere")
    with pytest.raises(ArgumentError, match="direction"):
        paths_around(table(HAND), "ad", direction="sideways")


def test_flows_by_step(table):
    got = flows(table(HAND), steps=3)
    rows = {(r.step, r.source, r.target): r.count for r in got.itertuples()}
    assert rows == {(1, "ad", "app"): 1, (1, "ad", "(end)"): 1, (1, "web", "(end)"): 1,
                    (2, "app", "web"): 1}  # fmt: skip
    with pytest.raises(ArgumentError, match="at least 2"):
        flows(table(HAND), steps=1)
