"""The report's voice sections on the cxlens sample: numbers recomputed from the raw tables.

One workspace (500 customers, 12 months, with comments, posts and campaigns) is built per
module; the themes are found once by the first section build and saved, which the later
tests reuse. Expected values come from the sample's own frames with pandas, not from the
functions the sections call.
"""

from __future__ import annotations

import re

import pandas as pd
import pytest

import cxlens
from cxlens.report.template import esc
from cxlens.report.voice_parts import (
    names_by_theme,
    report_themes,
    social_part,
    theme_table,
    themes_up_to_date,
    voice_part,
    voice_parts,
)
from cxlens.sample import generate, write_sample

TABLES = ("customers", "responses", "transactions", "posts", "campaigns")
EMAIL = re.compile(r"[\w.+-]+@[\w-]+\.[\w.]+")


@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    folder = tmp_path_factory.mktemp("voice")
    data = generate(customers=500, months=12, seed=7)
    paths = write_sample(data, folder / "data")
    ws = cxlens.Workspace(folder / "ws.duckdb")
    for table in TABLES:
        ws.ingest(paths[table], table=table)
    fresh = themes_up_to_date(ws)
    voice = voice_part(ws, bootstrap=50)
    yield ws, data, voice, fresh
    ws.close()


def _nps(scores: pd.Series) -> float:
    return 100.0 * ((scores >= 9).mean() - (scores <= 6).mean())


@pytest.mark.slow  # themes of a 500-customer sample for the report; missing tables stay fast
def test_themes_are_found_once_then_reused_until_the_responses_change(sample):
    ws, _, voice, fresh = sample
    assert fresh is False and themes_up_to_date(ws)
    assert "saved to the workspace" in voice.methods[0][1]
    again = voice_part(ws, bootstrap=50)
    # the page says the same whether the themes were found now or reused: a re-run of the
    # demo writes the same report
    assert again.methods == voice.methods
    themes, reused = report_themes(ws)
    assert reused and isinstance(themes["quotes"].iloc[0], list)
    # a response missing from the saved assignments makes them stale
    saved = ws.table("comment_themes").to_pandas()
    first = saved["response_id"].iloc[0]
    try:
        ws.save_table("comment_themes", saved[saved["response_id"] != first])
        assert not themes_up_to_date(ws)
    finally:
        ws.save_table("comment_themes", saved)
    assert themes_up_to_date(ws)


@pytest.mark.slow  # themes of a 500-customer sample for the report; missing tables stay fast
def test_theme_rows_count_the_saved_assignments(sample):
    ws, _, voice, _ = sample
    themes, _ = report_themes(ws)
    saved = ws.table("comment_themes").to_pandas()
    members = saved.dropna(subset=["theme"]).groupby("theme")["response_id"].nunique()
    analysed = saved.loc[saved["status"].isin(["ok", "truncated", "invalid_utf8", "no_theme"]),
                         "response_id"].nunique()  # fmt: skip
    top = themes.iloc[0]
    assert top["count"] == members[top["theme"]] == members.max()
    assert top["share"] == pytest.approx(members[top["theme"]] / analysed)
    body = voice.section.body_html
    # named as everywhere (report_themes' ``name``), each language's label beneath, no id
    assert f"<td><b>{esc(top['name'])}</b>" in body
    assert all(esc(label) in body for label in top["labels"].values())
    assert f"({top['theme']})" not in body
    assert f"{int(top['count']):,}" in body
    assert f"{100 * top['share']:.1f}%" in body


@pytest.mark.slow  # themes of a 500-customer sample for the report; missing tables stay fast
def test_quotes_are_members_comments_redacted(sample):
    ws, data, voice, _ = sample
    themes, _ = report_themes(ws)
    comments = data.tables["responses"].set_index("response_id")["comment"].dropna()
    saved = ws.table("comment_themes").to_pandas().dropna(subset=["theme"])
    body = voice.section.body_html
    assert not EMAIL.search(body), "an e-mail address reached the report"
    for row in themes.head(3).itertuples():
        assert all(1 <= len(q) <= 3 for q in row.quotes_by_language.values())  # per language
        texts = set(comments[comments.index.isin(saved.loc[saved.theme == row.theme,
                                                           "response_id"])])  # fmt: skip
        per = 3 if len(row.quotes_by_language) == 1 else 2  # shown per language
        for quote in [q for qs in row.quotes_by_language.values() for q in qs[:per]]:
            # a quote is a member's comment, or that comment with PII replaced by a tag
            assert quote in texts or "[" in quote, quote
            assert quote.replace("&", "&amp;").replace("<", "&lt;")[:30] in body.replace(
                "&#x27;", "'"
            ).replace("&quot;", '"')


@pytest.mark.slow  # themes of a 500-customer sample for the report; missing tables stay fast
def test_impact_on_nps_matches_the_answers_by_hand(sample):
    ws, data, voice, _ = sample
    resp = data.tables["responses"].dropna(subset=["nps"])
    saved = ws.table("comment_themes").to_pandas().dropna(subset=["theme"])
    impact = ws.text.theme_impact("nps", bootstrap=0)
    row = impact.iloc[0]
    ids = set(saved.loc[saved.theme == row["theme"], "response_id"])
    inside = resp[resp.response_id.isin(ids)]["nps"]
    outside = resp[~resp.response_id.isin(ids)]["nps"]
    assert row["score_theme"] == pytest.approx(_nps(inside))
    assert row["score_without"] == pytest.approx(_nps(outside))
    assert row["impact"] == pytest.approx(_nps(resp["nps"]) - _nps(outside))
    name = names_by_theme(report_themes(ws)[0])[row["theme"]]  # the summary's name for it
    assert f'<tr><td>{esc(name)}</td><td class="num">{int(row["n"]):,}</td>' in (
        voice.section.body_html
    )
    assert f"({row['theme']})" not in voice.section.body_html
    assert 'id="chart-voice-impact"' in voice.section.body_html


@pytest.mark.slow  # themes of a 500-customer sample for the report; missing tables stay fast
def test_aspect_drivers_heading_shows_the_fits_r_squared(sample):
    ws, _, voice, _ = sample
    # the section reads R² from the drivers table's column (voice_part's call, bootstrap 50)
    found = ws.text.theme_drivers("nps", level="aspect", bootstrap=50)
    r2 = found.table["r_squared"].iloc[0]
    assert f"Aspects as drivers of NPS (R² = {r2:.3f})" in voice.section.body_html


@pytest.mark.slow  # themes of a 500-customer sample for the report; missing tables stay fast
def test_social_section_matches_the_posts_by_hand(sample):
    ws, data, _, _ = sample
    part = social_part(ws)
    body = part.section.body_html
    posts = data.tables["posts"]
    counts = posts["brand"].value_counts()
    for brand, n in counts.items():
        share = 100 * n / len(posts)
        assert f'<td>{brand}</td><td class="num">{n:,}</td><td class="num">{share:.1f}%' in (
            body
        ), brand
    eng = (
        (posts[["likes", "shares", "comments"]].fillna(0).sum(axis=1)).groupby(posts["brand"]).sum()
    )
    top = eng.idxmax()
    assert f"{100 * eng[top] / eng.sum():.1f}%" in body
    # influencer deals: cost per engagement of their tagged posts
    camps = data.tables["campaigns"]
    deals = camps[camps["kind"] == "influencer"]
    tagged = posts.dropna(subset=["campaign_id"])
    per = tagged[["likes", "shares", "comments"]].fillna(0).sum(axis=1).groupby(
        tagged["campaign_id"]).sum()  # fmt: skip
    for deal in deals.itertuples():
        if per.get(deal.campaign_id, 0) > 0 and deal.cost > 0:
            cpe = deal.cost / per[deal.campaign_id]
            assert f"{deal.name} ({deal.campaign_id})" in body
            assert f">{cpe:,.2f}<" in body, deal.campaign_id
    assert 'id="chart-social-voice"' in body and 'id="chart-social-sent"' in body
    assert part.methods[0][0] == "Social listening"
    # the distinctive themes are named as the report names themes, never by their ids
    assert "the analysis failed" not in body
    assert not re.search(r"\bt\d{2}\b", body)


def test_missing_tables_become_notes(tmp_path):
    parts = voice_parts(cxlens.Workspace(":memory:"))
    assert list(parts) == ["voice", "social"]
    for p in parts.values():
        assert p.section.body_html.startswith('<p class="note">')
    assert "comment" in parts["voice"].section.body_html
    assert "posts" in parts["social"].section.body_html


def test_the_theme_table_shows_a_negative_quote_its_typical_quotes_lack():
    row = {"theme": "en_1", "label": "No outages", "count": 120, "share": 0.2,
           "sentiment": 0.4, "negative_share": 0.1, "keywords": ["outage"],
           "quotes": ["No outages at all."], "quotes_by_language": {"en": ["No outages at all."]},
           "negative_quote": "Outage again <tonight>."}  # fmt: skip
    html = theme_table(pd.DataFrame([row]))
    assert "<small>negative</small> “Outage again &lt;tonight&gt;.”" in html
    # already among the quotes, or none: not shown twice, nothing invented
    for negative in ("No outages at all.", None):
        shown = theme_table(pd.DataFrame([{**row, "negative_quote": negative}]))
        assert "<small>negative</small>" not in shown
        assert shown.count("No outages at all.") == 1


def test_the_negative_quote_marks_its_theme_sentence_and_markup_in_it_stays_text():
    # the demo's case: the theme "App" is about the second sentence, not the bill
    row = {"theme": "en_2", "label": "App", "count": 80, "share": 0.1, "sentiment": 0.2,
           "negative_share": 0.2, "keywords": ["app"], "quotes": ["Love the app."],
           "quotes_by_language": {"en": ["Love the app."]},
           "negative_quote": "Decent <script>alert(1)</script>. The app is esy to use. "
                             "But the bill keeps going up.",
           "negative_sentence": "The app is esy to use."}  # fmt: skip
    html = theme_table(pd.DataFrame([row]))
    assert (
        "<small>negative</small> “Decent &lt;script&gt;alert(1)&lt;/script&gt;. "
        "<mark>The app is esy to use.</mark> But the bill keeps going up.”"
    ) in html
    assert "<script>" not in html and html.count("<mark>") == 1
    # markup inside the marked sentence is text too
    inside = {**row, "negative_quote": "Fine. The <b>app</b> is slow.",
              "negative_sentence": "The <b>app</b> is slow."}  # fmt: skip
    assert "Fine. <mark>The &lt;b&gt;app&lt;/b&gt; is slow.</mark>" in theme_table(
        pd.DataFrame([inside])
    )
    # saved before sentences were kept (no column) or not in the quote: shown unmarked
    for old in ({k: v for k, v in row.items() if k != "negative_sentence"},
                {**row, "negative_sentence": "The app crashes."}):  # fmt: skip
        shown = theme_table(pd.DataFrame([old]))
        assert "<mark>" not in shown and "The app is esy to use. But the bill" in shown
