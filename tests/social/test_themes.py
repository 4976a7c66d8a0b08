"""Themes per brand: planted billing complaints, hand-computed shares, survey themes untouched."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy.stats import fisher_exact, norm
from statsmodels.stats.proportion import proportion_confint, proportions_ztest

from cxlens.errors import ArgumentError
from cxlens.sample import catalog
from cxlens.social import Social
from cxlens.social.charts import brand_themes_figure
from cxlens.social.themes import (
    BRAND_THEMES_TABLE,
    POST_THEME_LABELS_TABLE,
    POST_THEMES_TABLE,
    compare_brands,
    top_distinctive,
)
from cxlens.text.themes import ANALYSED

from .conftest import POSTS, EnglishRussian, hand_workspace

#: Stand-ins for the survey comments' theme tables; running post themes must leave them alone.
SURVEY = {
    "comment_themes": pd.DataFrame({"response_id": ["r1", "r2"], "theme": ["en-01", None],
                                    "weight": [0.9, np.nan], "status": ["ok", "no_theme"],
                                    "language": ["en", "en"]}),
    "themes": pd.DataFrame({"theme": ["en-01"], "label": ["price"], "count": [1]}),
    "comment_sentiment": pd.DataFrame({"response_id": ["r1", "r2"], "language": ["en", "en"],
                                       "label": ["negative", "neutral"], "score": [-0.5, 0.0],
                                       "status": ["ok", "ok"]}),
}  # fmt: skip


@pytest.fixture(scope="module")
def found(sample):
    ws, data = sample
    for name, frame in SURVEY.items():
        ws.save_table(name, frame)
    return ws, data, Social(ws, backend=EnglishRussian()).themes()


def _billing_themes(result) -> list[str]:
    themes = result.themes
    keep = themes["keywords"].map(lambda k: any("billing" in w or "invoice" in w for w in k))
    return themes.loc[keep & (themes["language"] == "en"), "theme"].tolist()


@pytest.mark.slow  # post themes of the 10,000-customer sample; the hand-worked grids stay fast
def test_planted_billing_complaints_are_distinctive_for_the_own_brand(found):
    ws, data, result = found
    billing = _billing_themes(result)
    assert billing, result.themes[["theme", "label"]]
    table = result.table.set_index(["brand", "theme"])
    for theme in billing:
        own = table.loc[(catalog.FIRM, theme)]
        assert own["distinctive"] and own["direction"] == "over"
        assert own["q_value"] < 0.05 and own["posts"] >= 10
        # only the own brand got billing complaints planted after the problem month
        for brand in data.truth["share_of_voice"]["declared"]:
            if brand != catalog.FIRM:
                assert table.loc[(brand, theme), "posts"] == 0
                assert not table.loc[(brand, theme), "distinctive"] or (
                    table.loc[(brand, theme), "direction"] == "under"
                )
    # the members really are the billing posts: precise, from the planted template
    members = result.assignments.filter(result.assignments.theme.isin(billing)).execute()
    texts = ws.table("posts").execute().set_index("post_id").loc[members["post_id"], "text"]
    assert texts.str.contains("billing|invoice", case=False).mean() > 0.9
    # the top distinctive themes of the own brand include billing; its quotes are redacted
    # posts of that brand
    tops = top_distinctive(result.table, top=50)
    assert set(billing) <= set(tops.loc[tops["brand"] == catalog.FIRM, "theme"])
    quotes = table.loc[(catalog.FIRM, billing[0]), "quotes"]
    assert 1 <= len(quotes) <= 3 and all(catalog.FIRM in q for q in quotes)


@pytest.mark.slow  # post themes of the 10,000-customer sample; the hand-worked grids stay fast
def test_no_theme_is_a_brand_name(found):
    _, data, result = found
    # the distinctive part of each name ("telecom", "broadband" are also hashtags of all)
    names = {b.split()[0].lower() for b in data.truth["share_of_voice"]["declared"]}
    assert names == {"northwind", "skyline", "blueriver"}
    for keywords in result.themes["keywords"]:
        assert not names & {w for k in keywords for w in k.split()}, keywords


@pytest.mark.slow  # post themes of the 10,000-customer sample; the hand-worked grids stay fast
def test_shares_intervals_and_tests_equal_a_hand_computation(found):
    _, _, result = found
    a = result.assignments.execute()
    analysed = a[a["status"].isin([*ANALYSED, "no_theme"])]
    n = analysed.groupby("brand")["post_id"].nunique()
    members = a[a["theme"].notna()]
    x = members.groupby(["brand", "theme"])["post_id"].nunique()
    table = result.table
    assert set(table["brand"]) == set(n.index)
    got = table.set_index(["brand", "theme"])
    rows, pvals = [], []
    for (brand, theme), row in got.iterrows():
        k = int(x.get((brand, theme), 0))
        k_other = int(x.xs(theme, level="theme").sum()) - k
        n_other = int(n.sum() - n[brand])
        assert row["posts"] == k and row["brand_posts"] == n[brand]
        lo, hi = proportion_confint(k, n[brand], alpha=0.05, method="wilson")
        assert row["share"] == pytest.approx(100 * k / n[brand])
        assert row["share_ci_low"] == pytest.approx(100 * lo, abs=1e-9)
        assert row["share_ci_high"] == pytest.approx(100 * hi, abs=1e-9)
        assert row["others_share"] == pytest.approx(100 * k_other / n_other)
        if k + k_other:
            if row["test"] == "Fisher exact":  # an expected count below 5
                _, p = fisher_exact([[k, n[brand] - k], [k_other, n_other - k_other]])
            else:
                _, p = proportions_ztest([k, k_other], [n[brand], n_other])
            assert row["p_value"] == pytest.approx(p, rel=1e-6)
        rows.append((brand, theme))
        pvals.append(row["p_value"])
    # Benjamini-Hochberg by hand over every tested brand and theme
    p = np.array(pvals, dtype=float)
    ok = np.isfinite(p)
    order = np.argsort(p[ok])
    m = ok.sum()
    ranked = p[ok][order] * m / np.arange(1, m + 1)
    q_sorted = np.minimum.accumulate(ranked[::-1])[::-1].clip(max=1)
    q = np.empty(m)
    q[order] = q_sorted
    np.testing.assert_allclose(got["q_value"].to_numpy()[ok], q, rtol=1e-9)
    assert (got["distinctive"] == (got["q_value"] <= 0.05)).all()


@pytest.mark.slow  # post themes of the 10,000-customer sample; the hand-worked grids stay fast
def test_sentiment_per_brand_and_theme_is_its_theme_sentences(found):
    _, _, result = found
    a = result.assignments.execute()
    row = result.table.sort_values("posts", ascending=False).iloc[0]
    s = a.loc[(a["brand"] == row["brand"]) & (a["theme"] == row["theme"])]
    assert row["sentiment"] == pytest.approx(s["sentiment"].mean())
    scored = s["sentiment"].notna()
    expected = 100 * (s.loc[scored, "sentiment_label"] == "negative").mean()
    assert row["negative_share"] == pytest.approx(expected)


@pytest.mark.slow  # post themes of the 10,000-customer sample; the hand-worked grids stay fast
def test_survey_comment_themes_are_untouched_and_post_themes_saved(found):
    ws, _, result = found
    for name, frame in SURVEY.items():
        pd.testing.assert_frame_equal(
            ws.table(name).execute().reset_index(drop=True), frame, check_dtype=False
        )
    assert ws.table(POST_THEMES_TABLE).count().execute() == len(result.assignments.execute())
    labels = ws.table(POST_THEME_LABELS_TABLE).execute()
    assert sorted(labels["theme"]) == sorted(result.themes["theme"])
    stored = ws.table(BRAND_THEMES_TABLE).execute()
    assert len(stored) == len(result.table)


@pytest.mark.slow  # post themes of the 10,000-customer sample; the hand-worked grids stay fast
def test_brands_limits_rows_but_compares_with_all_other_brands(found):
    ws, _, result = found
    social = Social(ws, backend=EnglishRussian())
    own = social.themes(brands=catalog.FIRM, save=False)
    assert set(own.table["brand"]) == {catalog.FIRM}
    full = result.table[result.table["brand"] == catalog.FIRM].set_index("theme")
    mine = own.table.set_index("theme").loc[full.index]
    np.testing.assert_allclose(mine["others_share"], full["others_share"])
    np.testing.assert_allclose(mine["p_value"], full["p_value"])
    with pytest.raises(ArgumentError, match=r"Nobody Telecom.*brands with posts"):
        social.themes(brands=["Nobody Telecom"], save=False)


def test_compare_brands_on_a_hand_worked_grid():
    # brand a: 30 of 100 posts in theme t; others (b + c): 10 of 200 -> 30% vs 5%
    grid = pd.DataFrame({"brand": ["a", "b", "c"], "theme": ["t"] * 3, "posts": [30, 6, 4],
                         "brand_posts": [100, 100, 100]})  # fmt: skip
    out = compare_brands(grid, min_n=30).set_index("brand")
    assert out.loc["a", "share"] == pytest.approx(30.0)
    assert out.loc["a", "others_share"] == pytest.approx(5.0)
    assert out.loc["a", "lift"] == pytest.approx(6.0)
    # pooled z: p = 40/300, se = sqrt(p(1-p)(1/100+1/200)); z = 0.25/se
    pp = 40 / 300
    z = 0.25 / np.sqrt(pp * (1 - pp) * (1 / 100 + 1 / 200))
    assert out.loc["a", "p_value"] == pytest.approx(2 * norm.sf(z))
    assert out.loc["a", "distinctive"] and out.loc["a", "direction"] == "over"
    assert out.loc["a", "test"] == "z (pooled)"
    small = compare_brands(grid.assign(brand_posts=[100, 100, 20]), min_n=30).set_index("brand")
    assert small.loc["c", "small_sample"] and np.isnan(small.loc["c", "q_value"])
    assert not small.loc["c", "distinctive"]


def test_bad_settings_are_refused(tmp_path: Path):
    ws = hand_workspace(tmp_path, posts=POSTS)
    try:
        with pytest.raises(ArgumentError, match="quotes"):
            ws.social.themes(quotes=-1)
        with pytest.raises(ArgumentError, match="fdr"):
            ws.social.themes(fdr=1.5)
    finally:
        ws.close()


@pytest.mark.slow  # post themes of the 10,000-customer sample; the hand-worked grids stay fast
def test_heatmap_shows_each_brands_share_and_stars_distinctive_themes(found):
    _, _, result = found
    fig = brand_themes_figure(result.table, top=5)
    heat = fig.data[0]
    assert heat.type == "heatmap" and len(heat.x) == 5
    brands = list(dict.fromkeys(result.table["brand"]))
    assert list(heat.y) == brands
    cell = result.table.set_index(["brand", "theme"])
    theme = heat.x[0].rsplit("(", 1)[1].rstrip(")")
    for b, row, text in zip(brands, heat.z, heat.text, strict=True):
        assert row[0] == pytest.approx(cell.loc[(b, theme), "share"])
        assert text[0].endswith("*") == bool(cell.loc[(b, theme), "distinctive"])
    with pytest.raises(ArgumentError, match="top"):
        brand_themes_figure(result.table, top=0)


def test_small_counts_are_tested_exactly():
    # brand a: 4 of 40 posts in theme t; others: 0 of 80. Expected count 40 x 4 / 120 = 1.3 < 5
    grid = pd.DataFrame({"brand": ["a", "b"], "theme": ["t"] * 2, "posts": [4, 0],
                         "brand_posts": [40, 80]})  # fmt: skip
    out = compare_brands(grid, min_n=30).set_index("brand")
    _, p = fisher_exact([[4, 36], [0, 80]])
    assert out.loc["a", "test"] == "Fisher exact"
    assert out.loc["a", "p_value"] == pytest.approx(p, rel=1e-9)
    # the z-test would have called it far stronger than the exact test does
    _, z_p = proportions_ztest([4, 0], [40, 80])
    assert z_p < p / 2
