"""Repeated comments are scored and assigned once: same answers, less work."""

from __future__ import annotations

import sys

import numpy as np
import pandas as pd
import pytest

from cxlens.text import sentiment, sentiment_model
from cxlens.text.discover import ThemeModel
from cxlens.text.sentiment_model import accurate_budget, classify, distinct


def test_distinct_keeps_first_seen_order_and_maps_every_input():
    uniques, of = distinct(["b", "a", "b", "c", "a"])
    assert uniques == ["b", "a", "c"]
    assert of.tolist() == [0, 1, 0, 2, 1]
    assert distinct([])[0] == []


def test_repeats_read_as_their_text_alone():
    texts = ["Terrible service, never again", "Спасибо, всё работает", "质量很差"]
    repeated = [texts[i] for i in (0, 1, 0, 2, 2, 0)]
    got, _ = classify(repeated, mode="fast")
    alone = np.vstack([classify([t], mode="fast")[0] for t in repeated])
    np.testing.assert_allclose(got, alone, rtol=1e-6)


@pytest.fixture
def e5_calls(monkeypatch: pytest.MonkeyPatch) -> list[list[str]]:
    """Record what reaches the accurate path; answer a fixed neutral reading (cheap)."""
    calls: list[list[str]] = []

    def accurate(texts, progress=None, language=None):
        calls.append(list(texts))
        return np.tile([[0.1, 0.8, 0.1]], (len(texts), 1))

    monkeypatch.setattr(sentiment_model, "e5_probabilities", accurate)
    return calls


def test_the_accurate_path_embeds_each_distinct_text_once(e5_calls):
    # the last two differ only by a link, which noise normalisation drops
    texts = ["The app keeps crashing", "ok", "The app keeps crashing", "ok",
             "The app keeps crashing http://t.co/x1"]  # fmt: skip
    probs, used = classify(texts, mode="accurate")
    assert e5_calls == [["The app keeps crashing", "ok"]]
    assert used.all()
    np.testing.assert_allclose(probs[0], probs[2])
    np.testing.assert_allclose(probs[0], probs[4])


def test_the_budget_counts_every_text_and_is_spent_on_distinct_ones(monkeypatch, e5_calls):
    # 250 distinct unsure texts, each 4 times: 1,000 texts, a budget of 200 distinct texts,
    # the least sure first (old code spent it on 200 rows: 50 texts and their repeats)
    distinct_texts = [f"comment {i}" for i in range(250)]
    confidence = {t: 0.4 + 0.001 * i for i, t in enumerate(distinct_texts)}

    def fast(texts, language=None):
        top = np.array([confidence[t] for t in texts])
        rest = (1 - top) / 2
        return np.column_stack([top, rest, rest])

    monkeypatch.setattr(sentiment_model, "fast_probabilities", fast)
    texts = distinct_texts * 4
    _, used = classify(texts, mode="cascade")
    budget = accurate_budget(len(texts))
    assert budget == 200
    assert len(e5_calls) == 1 and sorted(e5_calls[0]) == sorted(distinct_texts[:budget])
    assert used.sum() == 4 * budget
    assert used[:budget].all() and not used[budget:250].any()


def test_theme_assignment_of_repeats_equals_each_comment_alone(monkeypatch):
    texts = ["Far too expensive.", "The internet is slow."] * 40
    model = ThemeModel(n_themes=2, min_comments=10).fit(texts, ["en"] * 80)
    both = "Far too expensive! The internet is slow."
    comments = [both, "", "The internet is slow.", both, "Привет", "The internet is slow."]
    langs = ["en", "en", "en", "en", "ru", "en"]
    alone = pd.concat(
        [model.transform([c], [lang]).assign(row=i) for i, (c, lang) in
         enumerate(zip(comments, langs, strict=True))],
        ignore_index=True,
    )  # fmt: skip
    seen: list[int] = []
    sentence_themes = ThemeModel._sentence_themes

    def counted(self, lang_model, sents):
        seen.append(len(sents))
        return sentence_themes(self, lang_model, sents)

    monkeypatch.setattr(ThemeModel, "_sentence_themes", counted)
    got = model.transform(comments, langs)
    # two distinct English comments with words: three sentences, each assigned once
    assert seen == [3]
    expected = alone.sort_values(["row", "theme"], ignore_index=True)
    pd.testing.assert_frame_equal(got, expected, check_dtype=False)
    assert sorted(got["row"].unique().tolist()) == [0, 2, 3, 5]


def test_language_is_detected_once_per_distinct_text(monkeypatch):
    module = sys.modules["cxlens.text.sentiment"]
    seen: list[str] = []
    detect_one = module.detect_one

    def counted(text):
        seen.append(text)
        return detect_one(text)

    monkeypatch.setattr(module, "detect_one", counted)
    texts = ["Great support", "Great support", "Ужасная связь", "  Great support ", None]
    got = sentiment(texts, backend="fast")
    assert sorted(seen) == ["Great support", "Ужасная связь"]
    assert got["language"].tolist() == ["en", "en", "ru", "en", "und"]
    assert got["score"].iloc[0] == got["score"].iloc[1] == got["score"].iloc[3]
