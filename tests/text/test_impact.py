"""Theme impact on scores (hand-computed) and themes as drivers, on the planted sample."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import cxlens
from cxlens.errors import ArgumentError, NotEnoughDataError
from cxlens.sample import generate, write_sample
from cxlens.text.impact import IMPACT_COLUMNS, impact_from_counts, score_of
from cxlens.text.namespace import Text
from tests.conftest import ENGINES, on_engine


def _nps(s: np.ndarray) -> float:
    return 100 * ((s >= 9).mean() - (s <= 6).mean())


def test_impact_matches_a_hand_computation_and_the_removal_it_stands_for():
    # 10 respondents: theme "bill" = 3 of them (0, 2, 9); others 10, 10, 10, 9, 8, 7, 5
    scores = np.array([0, 2, 9, 10, 10, 10, 9, 8, 7, 5])
    member = np.zeros(10, bool)
    member[:3] = True
    members = pd.DataFrame({"theme": "bill", "value": scores[member], "count": 1})
    overall = pd.DataFrame({"value": scores, "count": 1})
    out = impact_from_counts(members, overall, bootstrap=0)
    row = out.iloc[0]
    # by hand: NPS = 50% - 30% = 20; theme NPS = 33.3 - 66.7 = -33.3; N - n = 7
    assert row["score"] == pytest.approx(20.0)
    assert row["score_theme"] == pytest.approx(-100 / 3)
    assert row["impact"] == pytest.approx(3 * (-100 / 3 - 20) / 7)
    # impact = score - score without the theme's respondents
    assert row["score_without"] == pytest.approx(_nps(scores[~member]))
    assert row["impact"] == pytest.approx(20 - _nps(scores[~member]))
    assert row["n"] == 3 and row["share"] == pytest.approx(0.3)
    # the facts of the whole table are columns (N = 10 respondents), not attrs
    assert (row["metric"], row["respondents"], row["confidence"], row["bootstrap"]) == (
        "nps",
        10,
        0.95,
        0,
    )
    assert out.columns.tolist() == list(IMPACT_COLUMNS) and out.attrs == {}


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
def duckdb_sample(tmp_path_factory):
    directory: Path = tmp_path_factory.mktemp("impact")
    data = generate(customers=2000, months=24, seed=7)
    paths = write_sample(data, directory / "data")
    ws = cxlens.Workspace(directory / "ws.duckdb")
    for table in ("customers", "responses"):
        ws.ingest(paths[table], table=table)
    Text(ws).themes()
    yield ws, data
    ws.close()


@pytest.fixture(scope="module", params=ENGINES)
def sample(request, duckdb_sample):
    """``duckdb_sample`` on each engine (Spark: a copy of the same tables)."""
    ws, *rest = duckdb_sample
    return (on_engine(request, ws), *rest)


@pytest.mark.slow  # themes of the 2,000-customer sample; hand-made siblings above
def test_impact_on_the_sample_is_the_removal_effect(sample):
    ws, data = sample
    out = Text(ws).theme_impact("nps", bootstrap=200)
    r = data.tables["responses"]
    assert out["respondents"].eq(int(r["nps"].notna().sum())).all()
    assert out["metric"].eq("nps").all() and out["bootstrap"].eq(200).all()
    ct = ws.table("comment_themes").execute()
    theme = out.iloc[0]["theme"]
    ids = set(ct.loc[ct["theme"] == theme, "response_id"])
    without = r.loc[~r["response_id"].isin(ids), "nps"].to_numpy()
    assert out.iloc[0]["score"] == pytest.approx(_nps(r["nps"].to_numpy()))
    assert out.iloc[0]["impact"] == pytest.approx(_nps(r["nps"].to_numpy()) - _nps(without))
    assert (out["ci_low"] <= out["impact"]).all() and (out["impact"] <= out["ci_high"]).all()


@pytest.mark.slow  # themes of the 2,000-customer sample; hand-made siblings above
def test_billing_is_the_top_negative_aspect_where_the_problem_was_planted(sample):
    ws, data = sample
    p = data.truth["planted_problem"]
    cell = {"segment": p["segment"], "touchpoint": p["touchpoint"]}
    out = Text(ws).theme_impact("nps", level="aspect", where=cell, bootstrap=200)
    named = out[out["theme"] != "general"]
    assert named.iloc[0]["theme"] == "billing"
    assert named.iloc[0]["ci_high"] < 0


@pytest.mark.slow  # themes of the 2,000-customer sample; hand-made siblings above
def test_billing_is_the_top_theme_driver_of_nps(sample):
    ws, _ = sample
    out = Text(ws).theme_drivers("nps", bootstrap=100).table
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


# ------------------------------------------------------------------ constant and collinear themes


@pytest.fixture(scope="module")
def duckdb_planted_themes(tmp_path_factory):
    """2,000 answers in two languages; every comment sits in its language's general theme.

    NPS = 8 - 4 billing + 1.5 ease + noise. At the aspect level ``general`` is mentioned by
    everyone (constant); at the theme level ``en-gen`` + ``de-gen`` = 1 (collinear with the
    intercept): the failures of the demo data, planted.
    """
    directory: Path = tmp_path_factory.mktemp("planted-themes")
    rng = np.random.default_rng(5)
    n = 2000
    ids = [f"R{i:05d}" for i in range(n)]
    lang = np.where(rng.random(n) < 0.7, "en", "de")
    bill, ease = rng.random(n) < 0.2, rng.random(n) < 0.3
    nps = np.clip(np.round(8 - 4 * bill + 1.5 * ease + rng.normal(0, 1.5, n)), 0, 10)
    pd.DataFrame({"response_id": ids, "responded_at": "2024-01-01", "nps": nps}).to_csv(
        directory / "r.csv", index=False
    )
    ws = cxlens.Workspace(directory / "ws.duckdb")
    ws.ingest(directory / "r.csv", table="responses")
    rows = []
    for i in range(n):
        rows.append((ids[i], f"{lang[i]}-gen"))
        if bill[i]:
            rows.append((ids[i], f"{lang[i]}-bill"))
        if ease[i]:
            rows.append((ids[i], f"{lang[i]}-ease"))
    ct = pd.DataFrame(rows, columns=["response_id", "theme"])
    ct = ct.merge(pd.DataFrame({"response_id": ids, "language": lang}))
    ct = ct.assign(weight=1.0, status="ok")
    ws.save_table("comment_themes", ct[["response_id", "theme", "weight", "status", "language"]])
    aspect = {"gen": "general", "bill": "billing", "ease": "ease"}
    themes = pd.DataFrame({"theme": sorted(ct["theme"].unique())})
    themes["aspect"] = themes["theme"].str.split("-").str[1].map(aspect)
    themes["label"] = themes["theme"]
    ws.save_table("themes", themes)
    flags = pd.DataFrame({"nps": nps, "billing": bill, "ease": ease, "lang": lang})
    yield ws, flags
    ws.close()


@pytest.fixture(scope="module", params=ENGINES)
def planted_themes(request, duckdb_planted_themes):
    """``duckdb_planted_themes`` on each engine (Spark: a copy of the same tables)."""
    ws, *rest = duckdb_planted_themes
    return (on_engine(request, ws), *rest)


def _ols_r2(y: np.ndarray, x: np.ndarray) -> float:
    design = np.column_stack([np.ones(len(y)), x])
    fit = design @ np.linalg.lstsq(design, y, rcond=None)[0]
    return float(1 - ((y - fit) ** 2).sum() / ((y - y.mean()) ** 2).sum())


def test_aspect_drivers_leave_out_the_aspect_everyone_mentions(planted_themes):
    # the demo data failed here with "theme_2 is constant (every answer 1)"
    ws, flags = planted_themes
    found = Text(ws).theme_drivers("nps", level="aspect", bootstrap=50)
    out = found.table
    assert set(out["driver"]) == {"billing", "ease"} and found.level == "aspect"
    assert found.dropped == {"general": "constant: every respondent with a score mentions it"}
    assert found.notes == ("general left out: " + found.dropped["general"],)
    top = out.iloc[0]
    assert top["driver"] == "billing" and top["sign"] == -1  # the planted -4
    assert out.set_index("driver").loc["ease", "sign"] == 1
    x = flags[["billing", "ease"]].to_numpy(float)
    r2 = _ols_r2(flags["nps"].to_numpy(), x)
    assert out["r_squared"].to_numpy() == pytest.approx([r2, r2])
    assert out["raw_weight"].sum() == pytest.approx(r2)
    assert out["n"].eq(len(flags)).all() and out.attrs == {}


def test_theme_drivers_drop_a_per_language_theme_the_others_determine(planted_themes):
    # the demo data failed here: per-language general themes add up to the intercept
    ws, flags = planted_themes
    found = Text(ws).theme_drivers("nps", level="theme", bootstrap=50)
    out, dropped = found.table, found.dropped
    # larger themes are kept first: en-gen (70%) stays, de-gen = 1 - en-gen goes
    assert list(dropped) == ["de-gen"]
    assert "collinear" in dropped["de-gen"] and "en-gen, r = -1.000" in dropped["de-gen"]
    assert set(out["driver"]) == {"en-gen", "en-bill", "de-bill", "en-ease", "de-ease"}
    cols = {f"{lg}-{k}": (flags["lang"] == lg) & flags[a]
            for lg in ("en", "de") for k, a in (("bill", "billing"), ("ease", "ease"))}  # fmt: skip
    cols["en-gen"] = flags["lang"] == "en"
    cols["de-gen"] = flags["lang"] == "de"  # all six: the same fit, rank-deficient
    x = pd.DataFrame(cols).to_numpy(float)
    r2 = _ols_r2(flags["nps"].to_numpy(), x)
    assert out["r_squared"].to_numpy() == pytest.approx([r2] * len(out))
    assert out["rescaled_weight"].sum() == pytest.approx(100.0)


def test_theme_drivers_say_what_was_left_when_too_little_is(planted_themes):
    ws, _ = planted_themes
    with pytest.raises(NotEnoughDataError, match=r"found 1 after leaving out general \(constant"):
        Text(ws).theme_drivers("nps", level="aspect", min_share=0.25, bootstrap=0)
