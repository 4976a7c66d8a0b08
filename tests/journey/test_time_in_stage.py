"""Time in stage, trends and the score link on hand-made logs."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats as st

from cxlens.errors import ArgumentError
from cxlens.journey.time_in_stage import stage_trends, time_in_stage, time_vs_score
from tests.journey.logs import T0, events

# a: s1 (0, 100) -> s2 (300) -> s1 (400, open); b: s1 (0) -> s2 (50, open)
LOG = events([
    ("a1", "a", 0, "x", "s1", "web"), ("a2", "a", 100, "x", "s1", "web"),
    ("a3", "a", 300, "x", "s2", "web"), ("a4", "a", 400, "x", "s1", "web"),
    ("b1", "b", 0, "x", "s1", "web"), ("b2", "b", 50, "x", "s2", "web"),
]).assign(duration_seconds=[10.0, 20.0, 5.0, 1.0, 7.0, 3.0])  # fmt: skip


def test_dwell_active_and_open_stays_by_hand(table):
    got = time_in_stage(table(LOG)).set_index("stage")
    assert got.loc["s1", "stays"] == 3 and got.loc["s1", "open"] == 1
    assert got.loc["s1", "dwell_median"] == pytest.approx(175.0)  # stays of 300 s and 50 s
    assert got.loc["s1", "dwell_mean"] == pytest.approx(175.0)
    assert got.loc["s1", "active_median"] == pytest.approx(7.0)  # 30, 1, 7
    assert got.loc["s1", "to_next_median"] == pytest.approx(125.0)  # 200 s and 50 s
    assert got.loc["s2", "stays"] == 2 and got.loc["s2", "open"] == 1
    assert got.loc["s2", "dwell_median"] == pytest.approx(100.0)
    assert got.index.tolist() == ["s1", "s2"]
    monthly = time_in_stage(table(LOG), every="month")
    assert monthly["period"].unique().tolist() == [pd.Timestamp("2024-03-01")]


def test_a_stage_whose_time_grows_is_found(table):
    rng = np.random.default_rng(1)
    rows = []
    for k in range(240):
        month = k % 12
        start = ((T0 + pd.DateOffset(months=month)) - T0).total_seconds()
        grow = round(600 * 1.1**month * rng.lognormal(0, 0.2))  # +10% a month
        flat = round(600 * rng.lognormal(0, 0.2))
        rows += [(f"{k}a", f"c{k}", start, "x", "wait", "web"),
                 (f"{k}b", f"c{k}", start + grow, "x", "fixed", "web"),
                 (f"{k}c", f"c{k}", start + grow + flat, "x", "end", "web")]  # fmt: skip
    got = stage_trends(table(events(rows))).set_index("stage")
    assert got.loc["wait", "growing"] and not got.loc["fixed", "growing"]
    assert got.loc["wait", "monthly_change"] == pytest.approx(10.0, abs=1.5)
    assert got.loc["fixed", "ci_low"] < 0 < got.loc["fixed", "ci_high"]
    assert got.index[0] == "wait"


def test_time_vs_score_is_spearman_over_customers(table):
    rng = np.random.default_rng(2)
    rows, answers = [], []
    for k in range(60):
        dwell = float(rng.integers(60, 6000))
        rows += [(f"{k}a", f"c{k}", 0, "billing", "usage", "web"),
                 (f"{k}b", f"c{k}", dwell, "support", "support", "web")]  # fmt: skip
        answers.append((f"r{k}", f"c{k}", T0, "billing", int(np.clip(7 - dwell // 1000, 1, 7))))
    responses = pd.DataFrame(answers, columns=["response_id", "customer_id", "responded_at",
                                               "touchpoint", "ces"])  # fmt: skip
    got = time_vs_score(table(events(rows)), table(responses, "responses"))
    row = got.set_index("stage").loc["usage"]
    dwell = [float(r[2]) for r in rows if r[4] == "support"]
    rho = st.spearmanr(dwell, responses["ces"]).statistic
    assert row["n"] == 60 and row["spearman"] == pytest.approx(rho)
    assert row["ci_low"] < row["spearman"] < row["ci_high"] < 0
    with pytest.raises(ArgumentError, match="score="):
        time_vs_score(table(events(rows)), table(responses, "responses"), score="mood")
