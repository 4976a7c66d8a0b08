"""A theme's sentiment is that of what customers say about the theme, not of whole comments.

Hand-labelled comments: each praises one topic and complains about another ("Great
connection, fast and reliable. The support team was rude and useless."). Read whole, such a
comment is negative (the cascade scores it about -0.2 to -0.4), and charging that score to
every theme the comment is in makes the praised connection a complaint.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cxlens.report.voice_parts import themes_up_to_date
from cxlens.text.discover import ThemeModel
from cxlens.text.namespace import Text
from cxlens.text.themes import SentenceScorer

# By hand: the first sentence of each praises the connection, the second complains of support.
MIXED = [
    "Great connection, fast and reliable. The support team was rude and useless.",
    "The connection is excellent. Support was slow and unhelpful.",
    "Love the speed, it is always fast. Support was slow and unhelpful.",
]
# By hand: the sentence of each mixed comment that complains of support.
COMPLAINT = {
    MIXED[0]: "The support team was rude and useless.",
    MIXED[1]: "Support was slow and unhelpful.",
    MIXED[2]: "Support was slow and unhelpful.",
}
SUPPORT_PRAISE = "Support was friendly and quick."
BOTH_PRAISE = "Support was friendly and quick. The connection is excellent."
COMMENTS = MIXED * 3 + [SUPPORT_PRAISE] * 3 + [BOTH_PRAISE] * 3
FRAME = {"connection": ["connection", "speed"], "support": ["support"]}
# Counted by hand: connection is in 9 mixed + 3 both-praise comments, praised in all 12;
# support is in all 15, complained of in the 9 mixed ones.
CONNECTION = {"count": 12, "negative_share": 0.0}
SUPPORT = {"count": 15, "negative_share": 9 / 15}


def _load(ws, comments: list[str]) -> None:
    ws.save_table(
        "feedback",
        pd.DataFrame(
            {
                "response_id": [f"R{i:02d}" for i in range(len(comments))],
                "responded_at": pd.Timestamp("2024-03-05"),
                "comment": comments,
            }
        ),
    )


def _by_members(themes: pd.DataFrame, ct: pd.DataFrame, words: tuple[str, ...]) -> pd.Series:
    """The theme whose members are exactly the comments holding one of ``words`` (by hand)."""
    holding = {f"R{i:02d}" for i, c in enumerate(COMMENTS) if any(w in c.lower() for w in words)}
    members = ct.dropna(subset=["theme"]).groupby("theme")["response_id"].agg(set)
    (theme,) = [t for t, ids in members.items() if ids == holding]
    return themes.set_index("theme").loc[theme]


def test_a_praised_theme_is_not_charged_the_complaint_of_its_comments(ws):
    _load(ws, COMMENTS)
    themes = Text(ws).themes(FRAME, recent=1, table="feedback").themes.set_index("theme")
    for name, truth in (("connection", CONNECTION), ("support", SUPPORT)):
        assert themes.loc[name, "count"] == truth["count"]
        assert themes.loc[name, "negative_share"] == pytest.approx(truth["negative_share"])
    assert themes.loc["connection", "sentiment"] > 0.5  # every member sentence is praise
    assert themes.loc["support", "sentiment"] < 0


def test_each_assignment_keeps_the_sentiment_of_its_theme_sentence(ws):
    _load(ws, COMMENTS)
    Text(ws).themes(FRAME, recent=1, table="feedback")
    ct = ws.table("comment_themes").execute()
    members = ct.dropna(subset=["theme"]).set_index(["response_id", "theme"])
    first = "R00"  # MIXED[0]: connection praised, support complained of
    assert members.loc[(first, "connection"), "sentiment_label"] == "positive"
    assert members.loc[(first, "connection"), "sentiment"] > 0.5
    assert members.loc[(first, "support"), "sentiment_label"] == "negative"
    assert members.loc[(first, "support"), "sentiment"] < -0.5
    # the comment's own score is still the whole comment's (negative overall)
    scores = ws.table("comment_sentiment").execute().set_index("response_id")
    assert scores.loc[first, "label"] == "negative"


def test_rows_without_a_theme_have_no_sentence_sentiment(ws):
    _load(ws, [*COMMENTS, "Nothing to add here, thanks."])
    Text(ws).themes(FRAME, recent=1, table="feedback")
    ct = ws.table("comment_themes").execute()
    outside = ct[ct["theme"].isna()]
    assert len(outside) == 1
    assert outside["sentiment"].isna().all() and outside["sentiment_label"].isna().all()


def test_reused_comment_scores_stay_and_sentence_scores_are_still_computed(ws):
    _load(ws, COMMENTS)
    Text(ws).themes(FRAME, recent=1, table="feedback")  # computes and saves comment_sentiment
    saved = ws.table("comment_sentiment").execute().sort_values("response_id")
    themes = (
        Text(ws).themes(FRAME, recent=1, table="feedback").themes.set_index("theme")
    )  # reuses it
    again = ws.table("comment_sentiment").execute().sort_values("response_id")
    pd.testing.assert_frame_equal(saved.reset_index(drop=True), again.reset_index(drop=True))
    assert themes.loc["connection", "negative_share"] == pytest.approx(0.0)
    assert themes.loc["support", "negative_share"] == pytest.approx(9 / 15)


def test_the_negative_quote_is_a_complaint_about_the_theme_and_none_without_one(ws):
    _load(ws, COMMENTS)
    themes = Text(ws).themes(FRAME, recent=1, table="feedback").themes.set_index("theme")
    assert themes.loc["support", "negative_quote"] in MIXED
    assert pd.isna(themes.loc["connection", "negative_quote"])  # no member sentence negative
    stored = ws.table("themes").execute().set_index("theme")
    assert stored.loc["support", "negative_quote"] == themes.loc["support", "negative_quote"]


def test_discovered_themes_score_the_member_sentence(ws):
    # the same comments, themes discovered; the model is fitted on single sentences of each
    # topic, so each sentence of a mixed comment goes to its own topic's theme
    connection = ["Great connection, fast and reliable.", "The connection is excellent.",
                  "Love the speed, it is always fast."]  # fmt: skip
    support = ["The support team was rude and useless.", "Support was slow and unhelpful.",
               SUPPORT_PRAISE]  # fmt: skip
    rng = np.random.default_rng(0)
    sample = [str(rng.choice(connection)) for _ in range(40)]
    sample += [str(rng.choice(support)) for _ in range(40)]
    model = ThemeModel(n_themes=2, min_comments=10).fit(sample, ["en"] * len(sample))
    _load(ws, COMMENTS)
    themes = Text(ws).themes(model=model, recent=1, table="feedback").themes
    ct = ws.table("comment_themes").execute()
    conn = _by_members(themes, ct, ("connection", "speed"))
    assert conn["negative_share"] == pytest.approx(0.0) and conn["sentiment"] > 0.5
    assert pd.isna(conn["negative_quote"])
    supp = _by_members(themes, ct, ("support",))
    assert supp["negative_share"] == pytest.approx(9 / 15)
    assert supp["negative_quote"] in MIXED
    assert supp["negative_sentence"] == COMPLAINT[supp["negative_quote"]]
    assert pd.isna(conn["negative_sentence"])


def _themes_of_the_comments(ws, tmp_path) -> None:
    """Load :data:`COMMENTS` as survey answers and find their themes by the code frame."""
    rows = pd.DataFrame(
        {
            "response_id": [f"R{i:02d}" for i in range(len(COMMENTS))],
            "responded_at": "2024-03-05",
            "nps": 7,
            "comment": COMMENTS,
        }
    )
    rows.to_csv(tmp_path / "r.csv", index=False)
    ws.ingest(tmp_path / "r.csv", table="responses")
    Text(ws).themes(FRAME, recent=1)


def test_themes_saved_with_whole_comment_sentiment_are_not_reused(ws, tmp_path):
    _themes_of_the_comments(ws, tmp_path)
    assert themes_up_to_date(ws)
    saved = ws.table("comment_themes").execute()
    # as saved before: no sentence sentiment, the report's negative shares were whole comments'
    ws.save_table("comment_themes", saved.drop(columns=["sentiment", "sentiment_label"]))
    assert not themes_up_to_date(ws)


def test_the_accurate_path_reads_the_most_frequent_sentences_within_a_fixed_budget(monkeypatch):
    from cxlens.text import themes as themes_module

    read: list[tuple[str, list[str]]] = []
    real = themes_module.score_texts

    def recorded(texts, backend, language, max_chars):
        read.append((backend.mode, list(texts)))
        return real(texts, backend, language, max_chars)

    monkeypatch.setattr(themes_module, "score_texts", recorded)
    scorer = SentenceScorer(budget=2)
    sents = ["Awful app."] + ["Setting things up was simple."] * 3 + ["Great price."] * 2
    _, label = scorer.score(sents, "en")
    # the two most frequent distinct sentences (3 and 2 repeats) by e5, the rarest fast
    assert read == [
        ("accurate", ["Setting things up was simple.", "Great price."]),
        ("fast", ["Awful app."]),
    ]
    # by hand: the fast head alone calls this praise negative (0.92); the accurate path does not
    assert label[1] == "positive" and label[0] == "negative"
    # the budget is spent for the pass: a new sentence goes to the fast head, a known one is
    # not read again
    read.clear()
    scorer.score(["Setting things up was simple.", "Support never answers."], "en")
    assert read == [("fast", ["Support never answers."])]
    assert scorer.accurate_read == 2


def test_a_chosen_backend_reads_the_theme_sentences_as_it_read_the_comments(ws):
    # The lexicon backend, chosen by the caller, scores every theme sentence: each saved
    # sentence score equals the lexicon's own score of that sentence, computed apart.
    from cxlens.text.sentiment import sentiment

    _load(ws, COMMENTS)
    Text(ws).themes(FRAME, recent=1, table="feedback", backend="lexicon")
    ct = ws.table("comment_themes").execute().dropna(subset=["theme"])
    sentences = {
        ("connection", MIXED[0]): "Great connection, fast and reliable.",
        ("support", MIXED[0]): "The support team was rude and useless.",
        ("support", BOTH_PRAISE): "Support was friendly and quick.",
    }
    by_id = dict(zip([f"R{i:02d}" for i in range(len(COMMENTS))], COMMENTS, strict=True))
    for (theme, comment), sentence in sentences.items():
        ids = [i for i, c in by_id.items() if c == comment]
        got = ct[(ct["theme"] == theme) & ct["response_id"].isin(ids)]["sentiment"]
        want = sentiment([sentence], backend="lexicon", language="en")["score"].iloc[0]
        assert got.to_numpy() == pytest.approx([want] * len(ids))
    # and the default model reads at least one of them differently (so the test can fail)
    model = sentiment(list(sentences.values()), backend="fast")["score"].to_numpy()
    lexicon = sentiment(list(sentences.values()), backend="lexicon", language="en")["score"]
    assert not np.allclose(model, lexicon.to_numpy())


def test_each_membership_keeps_its_theme_sentence(ws):
    _load(ws, [*COMMENTS, "Nothing to add here, thanks."])
    result = Text(ws).themes(FRAME, recent=1, table="feedback")
    rows = result.assignments.set_index(["response_id", "theme"])["sentence"]
    # by hand: R00 is MIXED[0], R09 SUPPORT_PRAISE (one sentence), R12 BOTH_PRAISE
    assert rows[("R00", "connection")] == "Great connection, fast and reliable."
    assert rows[("R00", "support")] == "The support team was rude and useless."
    assert rows[("R09", "support")] == SUPPORT_PRAISE
    assert rows[("R12", "connection")] == "The connection is excellent."
    assert rows[("R12", "support")] == SUPPORT_PRAISE
    outside = result.assignments[result.assignments["theme"].isna()]
    assert len(outside) == 1 and outside["sentence"].isna().all()
    # not saved: the sentence is raw customer text, shown only redacted in quotes
    assert "sentence" not in ws.table("comment_themes").columns


def test_the_negative_quote_keeps_its_theme_sentence_saved_and_read_back(ws):
    from cxlens.text.themes import from_saved

    _load(ws, COMMENTS)
    themes = Text(ws).themes(FRAME, recent=1, table="feedback").themes.set_index("theme")
    quote = themes.loc["support", "negative_quote"]
    assert themes.loc["support", "negative_sentence"] == COMPLAINT[quote]
    assert pd.isna(themes.loc["connection", "negative_sentence"])
    stored = from_saved(ws.table("themes").execute()).set_index("theme")
    assert stored.loc["support", "negative_sentence"] == COMPLAINT[quote]
    assert pd.isna(stored.loc["connection", "negative_sentence"])


def test_themes_saved_before_the_sentence_was_kept_still_load_and_render(ws, tmp_path):
    from cxlens.report.voice_parts import report_themes, theme_table

    _themes_of_the_comments(ws, tmp_path)
    saved = ws.table("themes").execute()
    ws.save_table("themes", saved.drop(columns=["negative_sentence"]))  # as saved before
    assert themes_up_to_date(ws)  # still reused: only the mark is missing
    themes, reused = report_themes(ws)
    assert reused and themes["negative_sentence"].isna().all()
    support = themes.set_index("theme").loc["support"]
    assert support["negative_quote"] in MIXED
    # its typical quotes left out, so the negative one is shown: whole, unmarked
    alone = themes.assign(quotes=[[] for _ in themes.index], quotes_by_language=None)
    html = theme_table(alone)
    assert f"<small>negative</small> “{support['negative_quote']}”" in html
    assert "<mark>" not in html
    # saved now (with the sentence): the same quote, its complaint marked
    # the dashboard's cards: the quote as one unmarked part (the API's before, sentence, after)
    from cxlens.api.dashboard import themes_panel

    cards = {r["theme"]: r for r in themes_panel(ws)["rows"]}
    assert cards["support"]["negative_quote"] == [support["negative_quote"], "", ""]
    assert cards["connection"]["negative_quote"] is None
    kept = alone["theme"].map(saved.set_index("theme")["negative_sentence"])
    marked = theme_table(alone.assign(negative_sentence=kept))
    sentence = COMPLAINT[support["negative_quote"]]
    assert f"<mark>{sentence}</mark>”" in marked


@pytest.mark.spark
def test_the_negative_sentence_is_saved_and_read_back_on_spark(spark_ws):
    from cxlens.text.themes import from_saved

    _load(spark_ws, COMMENTS)
    themes = Text(spark_ws).themes(FRAME, recent=1, table="feedback").themes.set_index("theme")
    stored = from_saved(spark_ws.table("themes").execute()).set_index("theme")
    quote = stored.loc["support", "negative_quote"]
    assert quote == themes.loc["support", "negative_quote"]
    assert stored.loc["support", "negative_sentence"] == COMPLAINT[quote]
    assert pd.isna(stored.loc["connection", "negative_sentence"])  # typed text, none kept


def test_a_negative_quote_is_one_the_accurate_path_confirms_most_typical_first():
    from cxlens.text.themes import SentenceScorer, _confirmed

    part = pd.DataFrame({"sentence": ["a", "b", "c", "d", "e"], "text": list("ABCDE")})
    asked: list[list[str]] = []

    def confirm(sentences: list[str], language: str) -> list[bool]:
        asked.append(sentences)
        return [s in {"c", "e"} for s in sentences]

    # k = 1: two at a time, most typical first, until one is confirmed
    assert _confirmed(part, 1, confirm, "en")["text"].tolist() == ["C"]
    assert asked == [["a", "b"], ["c", "d"]]
    asked.clear()
    assert _confirmed(part, 2, confirm, "en")["text"].tolist() == ["C", "E"]
    assert asked == [["a", "b", "c", "d"], ["e"]]
    # none confirmed: no quote
    assert _confirmed(part, 1, lambda s, lang: [False] * len(s), "en").empty
    # the fast head reads this praise as a complaint at 0.92; the accurate path does not
    scorer = SentenceScorer(budget=0)
    praise, complaint = "Setting things up was simple.", "The connection drops every evening."
    assert scorer.score([praise], "en")[1].tolist() == ["negative"]
    assert scorer.reads_negative([praise, complaint], "en") == [False, True]
    assert scorer.accurate_read == 2
