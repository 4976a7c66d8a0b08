"""Theme impact on scores (hand-computed) and themes as drivers, on the planted sample."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import cxlens
from cxlens.errors import ArgumentError, NotEnoughDataError
from cxlens.sample import generate, write_sample
from cxlens.text.impact import impact_from_counts, score_of
from cxlens.text.namespace import Text


def _nps(s: np.ndarray) -> float:
    return 100 * ((s >= 9).mean() - (s <= 6).mean())


def test_impact_matches_a_hand_computation_and_the_removal_it_stands_for():
    # 10 respondents: theme "bill" = 3 of them (0, 2, 9); others 10, 10, 10, 9, 8, 7, 5
    scores = np.array([0, 2, 9, 10, 10, 10, 9, 8, 7, 5])
    member = np.zeros(10, bool)
    member[:3] = True
    members = pd.DataFrame({"theme": "bill", "value": scores[member], "count": 1})
    overall = pd.DataFrame({"value": scores, "count": 1})
    row = impact_from_counts(members, overall, bootstrap=0).iloc[0]
    # by hand: NPS = 50% - 30% = 20; theme NPS = 33.3 - 66.7 = -33.3; N - n = 7
    assert row["score"] == pytest.approx(20.0)
    assert row["score_theme"] == pytest.approx(-100 / 3)
    assert row["impact"] == pytest.approx(3 * (-100 / 3 - 20) / 7)
    # impact = score - score without the theme's respondents
    assert row["score_without"] == pytest.approx(_nps(scores[~member]))
    assert row["impact"] == pytest.approx(20 - _nps(scores[~member]))
    assert row["n"] == 3 and row["share"] == pytest.approx(0.3)


def test_csat_and_ces_scores():
    assert score_of("csat", [5, 4, 2], [1, 1, 2]) == pytest.approx(50.0)
    assert score_of("ces", [7, 1], [1, 3]) == pytest.approx(2.5)
    with pytest.raises(ArgumentError, match="unknown metric"):
        score_of("clv", [1], [1])


def test_bootstrap_interval_agrees_with_resampling_rows():
    rng = np.random.default_rng(3)
    n = 600
    scores = rng.integers(0, 11, n)
    member = rng.random(n) < np.where(scores <= 6, 0.4, 0.1)
    members = pd.DataFrame({"theme": "t", "value": scores[member], "count": 1})
    overall = pd.DataFrame({"value": scores, "count": 1})
    row = impact_from_counts(members, overall, bootstrap=2000, seed=1).iloc[0]
    # independent check: resample respondents (rows) and recompute the removal effect
    reps = []
    for _ in range(1000):
        i = rng.integers(0, n, n)
        s, m = scores[i], member[i]
        reps.append(_nps(s) - _nps(s[~m]))
    low, high = np.percentile(reps, [2.5, 97.5])
    assert row["ci_low"] < row["impact"] < row["ci_high"]
    assert row["ci_low"] == pytest.approx(low, abs=0.6)
    assert row["ci_high"] == pytest.approx(high, abs=0.6)


@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    directory: Path = tmp_path_factory.mktemp("impact")
    data = generate(customers=2000, months=24, seed=7)
    paths = write_sample(data, directory / "data")
    ws = cxlens.Workspace(directory / "ws.duckdb")
    for table in ("customers", "responses"):
        ws.ingest(paths[table], table=table)
    Text(ws).themes()
    yield ws, data
    ws.close()


def test_impact_on_the_sample_is_the_removal_effect(sample):
    ws, data = sample
    out = Text(ws).theme_impact("nps", bootstrap=200)
    r = data.tables["responses"]
    ct = ws.table("comment_themes").execute()
    theme = out.iloc[0]["theme"]
    ids = set(ct.loc[ct["theme"] == theme, "response_id"])
    without = r.loc[~r["response_id"].isin(ids), "nps"].to_numpy()
    assert out.iloc[0]["score"] == pytest.approx(_nps(r["nps"].to_numpy()))
    assert out.iloc[0]["impact"] == pytest.approx(_nps(r["nps"].to_numpy()) - _nps(without))
    assert (out["ci_low"] <= out["impact"]).all() and (out["impact"] <= out["ci_high"]).all()


def test_billing_is_the_top_negative_aspect_where_the_problem_was_planted(sample):
    ws, data = sample
    p = data.truth["planted_problem"]
    cell = {"segment": p["segment"], "touchpoint": p["touchpoint"]}
    out = Text(ws).theme_impact("nps", level="aspect", where=cell, bootstrap=200)
    named = out[out["theme"] != "general"]
    assert named.iloc[0]["theme"] == "billing"
    assert named.iloc[0]["ci_high"] < 0


def test_billing_is_the_top_theme_driver_of_nps(sample):
    ws, _ = sample
    out = Text(ws).theme_drivers("nps", bootstrap=100)
    top = out.iloc[0]
    assert top["driver"] == "billing" and top["sign"] == -1
    assert out["rescaled_weight"].sum() == pytest.approx(100.0)


def test_impact_needs_themes_first(ws, tmp_path):
    pd.DataFrame({"response_id": ["R1"], "responded_at": ["2024-01-01"], "nps": [9]}).to_csv(
        tmp_path / "r.csv", index=False
    )
    ws.ingest(tmp_path / "r.csv", table="responses")
    with pytest.raises(NotEnoughDataError, match=r"ws\.text\.themes"):
        Text(ws).theme_impact("nps")
