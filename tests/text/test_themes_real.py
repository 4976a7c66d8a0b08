"""Themes of real comments (airline tweets, Russian telecom tweets, Chinese reviews).

The samples (400 each) are in ``tests/fixtures/real/text/themes_*.csv`` (provenance in
``tests/fixtures/real/README.md``). Checks that hold for any reader: labels are words of the
comments' language (checked with a dictionary independent of the tokeniser where one ships),
no two quotes of a theme are the same, and no label says the opposite of its members.
"""

from __future__ import annotations

import copy
import re
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from cxlens.text.clean import clean
from cxlens.text.discover import LABEL_FLOOR, MIXED, ThemeModel, _label_clusters, mixed_marker
from cxlens.text.themes import normalise
from cxlens.text.tokenize import chinese_words, is_chinese_word, word_spans

FIXTURES = Path(__file__).parents[1] / "fixtures" / "real" / "text"
SETS = {"en": "themes_en_airline_tweets.csv", "ru": "themes_ru_telecom_tweets.csv",
        "zh": "themes_zh_reviews.csv"}  # fmt: skip


def _texts(lang: str) -> list[str]:
    frame = pd.read_csv(FIXTURES / SETS[lang])
    return [c.text for c in clean(frame["text"].tolist()) if c.status == "ok"]


@lru_cache(maxsize=3)
def _model(lang: str) -> ThemeModel:
    texts = _texts(lang)
    return ThemeModel(seed=0).fit(texts, [lang] * len(texts))


@lru_cache(maxsize=1)
def _english_words() -> set[str]:
    from spellchecker import SpellChecker  # its English list: OpenSubtitles word frequencies

    return set(SpellChecker(language="en").word_frequency.keys())


def _is_word(word: str, lang: str) -> bool:
    if lang == "en":
        return word.lower() in _english_words()
    if lang == "ru":
        import pymorphy3

        return bool(_morph().word_is_known(word.lower())) if pymorphy3 else False
    return is_chinese_word(word)


@lru_cache(maxsize=1)
def _morph():
    import pymorphy3

    return pymorphy3.MorphAnalyzer()


def _label_words(label: str, lang: str) -> list[str]:
    if lang == "zh":
        return [w for _, _, w in chinese_words(label) if re.search(r"[\u4e00-\u9fff]", w)]
    pattern = r"[a-z]+(?:'[a-z]+)?" if lang == "en" else r"[а-яё]+"
    return re.findall(pattern, label.lower())


@pytest.mark.parametrize("lang", ["en", "ru", "zh"])
def test_labels_are_words_of_the_language(lang):
    model = _model(lang)
    assert len(model.themes_) >= 3
    for label in model.themes_["label"]:
        words = _label_words(label, lang)
        assert words, label
        unknown = [w for w in words if not _is_word(w, lang)]
        assert not unknown, (label, unknown)


#: Words that name no theme, written out by hand: the hosts of English contractions
#: ("what's", "we'll", "you're", "y'all"), and auxiliaries and fillers ("did", "got", "just").
FUNCTION_HOSTS = {"what", "that", "there", "here", "how", "who", "where", "let", "it", "i",
                  "you", "we", "they", "he", "she", "y"}  # fmt: skip
FILLERS = {"did", "does", "doing", "got", "gets", "getting", "just", "really"}


def test_no_label_is_a_contraction_or_filler_on_real_tweets():
    # 200 more real tweets to the airlines, each with a contraction: before the change their
    # labels read "Flight, what's", "We'll, we're", "Call, that's", "What's, phone number"
    extra = pd.read_csv(FIXTURES / "themes_en_contractions.csv")["text"].tolist()
    texts = _texts("en") + [c.text for c in clean(extra) if c.status == "ok"]
    model = ThemeModel(seed=0).fit(texts, ["en"] * len(texts))
    assert len(model.themes_) >= 3
    for label in model.themes_["label"]:
        for word in re.findall(r"[a-z]+(?:['\u2019][a-z]+)?", label.lower()):
            host = re.split(r"['\u2019]", word)[0]
            assert host not in FUNCTION_HOSTS and word not in FILLERS, (label, word)


def _member_negation(model: ThemeModel, lang: str) -> list[tuple[str, str, float, bool]]:
    """(theme, label word, share of members' uses negated, label negates it) per word."""
    out = []
    for c in model.clusters_:
        words = [(c.label[s:e], k) for s, e, k, _ in word_spans(c.label, lang) if k]
        for i, (surface, key) in enumerate(words):
            uses = [n for s in c.sentences for _, _, k, n in word_spans(s, lang) if k == key]
            if not uses:
                continue
            spans = word_spans(c.label, lang)
            at = next(j for j, sp in enumerate(spans) if sp[2] == key)
            negated_in_label = spans[at][3]  # a negator just before it, no word between
            out.append((c.theme, surface, float(np.mean(uses)), negated_in_label))
            del i
    return out


@pytest.mark.parametrize("lang", ["en", "ru", "zh"])
def test_no_label_is_contradicted_by_the_majority_of_its_members(lang):
    for theme, word, negated_share, label_negates in _member_negation(_model(lang), lang):
        if negated_share > 0.5:
            assert label_negates, (theme, word, negated_share)
        elif label_negates:
            assert negated_share >= 0.5, (theme, word, negated_share)


def test_a_label_negates_what_most_members_negate():
    texts = ["No outages at all.", "Never any outages.", "No outages this year."] * 20
    texts += ["The price is too high.", "Too expensive for me."] * 30
    model = ThemeModel(n_themes=2, min_comments=10).fit(texts, ["en"] * len(texts))
    labels = " | ".join(model.themes_["label"])
    assert "No outages" in labels, labels  # not "Outages": the members say there are none
    zh = ["一直没有断网。", "从来没有断网过。", "基本没有断网。"] * 20 + [
        "价格太贵了。",
        "套餐太贵。",
    ] * 30
    model = ThemeModel(n_themes=2, min_comments=10).fit(zh, ["zh"] * len(zh))
    assert "没有断网" in " | ".join(model.themes_["label"])


@pytest.mark.slow  # themes of each real corpus again; the label tests stay fast
@pytest.mark.parametrize("lang", ["en", "ru", "zh"])
def test_quotes_of_a_theme_differ_and_are_typical(lang, ws, tmp_path):
    from cxlens.text.namespace import Text

    texts = _texts(lang)
    # responses need a score to load; the constant 5 is not used by any check here
    ids = [f"R{i}" for i in range(len(texts))]
    rows = pd.DataFrame(
        {"response_id": ids, "responded_at": pd.Timestamp("2024-01-05"), "nps": 5, "comment": texts}
    )
    rows.to_csv(tmp_path / "r.csv", index=False)
    ws.ingest(tmp_path / "r.csv", table="responses")
    result = Text(ws).themes(model=_model(lang), recent=1)
    assert len(result.themes) >= 3
    for _, row in result.themes.iterrows():
        quotes = row["quotes_by_language"].get(lang, [])
        assert quotes, row["theme"]
        assert len({normalise(q) for q in quotes}) == len(quotes), row["theme"]
    cover = result.coverage.set_index("language")
    assert cover.loc[lang, "analysed"] > 0.8 * len(texts)
    # purity: share of a theme's quotes holding a word (lemma) of its label, per theme
    assert result.themes["purity"].between(0, 1).all()
    assert result.themes["purity"].median() >= MEDIAN_PURITY[lang]


#: Median purity measured on these sets (2026-12-05: en 0.67 over 11 themes, ru 1.00 over
#: 10, zh 0.50 over 12), the bounds a little below (docs/text.md).
MEDIAN_PURITY = {"en": 0.5, "ru": 0.8, "zh": 0.4}


def _held(phrase: str, sentences: list[str]) -> float:
    """Share of ``sentences`` holding every word of an English ``phrase`` (plural folded)."""
    stems = [w.rstrip("s") for w in re.findall(r"[a-z]+", phrase.lower())]
    pattern = [re.compile(rf"\b{re.escape(stem)}") for stem in stems]
    return float(np.mean([all(p.search(s.lower()) for p in pattern) for s in sentences]))


def test_a_rare_distinctive_phrase_does_not_name_a_theme_and_a_common_one_does():
    # planted in 6% of every cluster's sentences of the real airline tweets: rare elsewhere,
    # so c-TF-IDF ranks it high; before the label floor it named two themes ("Help,
    # turquoise blankets", "Turquoise blankets")
    clusters = copy.deepcopy(_model("en").clusters_)
    for c in clusters:
        for i in range(max(2, round(0.06 * len(c.sentences)))):
            c.sentences[i] = c.sentences[i].rstrip(".!?") + " with turquoise blankets"
    spans = {s: word_spans(s, "en") for c in clusters for s in c.sentences}
    _label_clusters(clusters, "en", spans, 8)
    for c in clusters:
        assert "turquoise" not in c.label.lower() and "blanket" not in c.label.lower(), c.label
        if c.label.startswith(f"{MIXED['en']}: "):
            continue
        for phrase in c.label.split(", "):
            assert _held(phrase, c.sentences) >= LABEL_FLOOR, (c.label, phrase)
    # "flight" and "cancelled" are common in the cancellations' sentences (69% and
    # 20%): they keep naming them, as before the planting
    cancelled = next(c for c in clusters if "cancelled" in c.keywords[:2])
    assert _held("flight", cancelled.sentences) >= 0.5
    assert _held("cancelled", cancelled.sentences) >= 0.15
    assert cancelled.label == "Flight, cancelled"


def test_quotes_reuse_the_teachers_cosines_and_are_the_same_as_recomputed(monkeypatch):
    from cxlens.text import discover, themes

    model, texts = _model("en"), _texts("en")
    found = model.transform(texts, ["en"] * len(texts))  # every sentence read by the teacher
    quoted = pd.DataFrame(
        {"theme": found["theme"], "weight": found["weight"], "language": "en",
         "text": [texts[i] for i in found["row"]], "sentence": found["sentence"]}
    )  # fmt: skip
    candidates = [themes._top_quotes(quoted, 30)]
    shortlist = len(themes._top_quotes(candidates[0], 30))
    embedded: list[int] = []
    embed = discover.embed

    def counted(sents, *args, **kwargs):
        embedded.append(len(sents))
        return embed(sents, *args, **kwargs)

    monkeypatch.setattr(discover, "embed", counted)
    monkeypatch.setattr(themes, "embed", counted)
    reused = themes._quotes(model.themes_["theme"], candidates, 3, model)
    reused_count, embedded[:] = sum(embedded), []
    forgetful = copy.deepcopy(model)  # the same centroids, no teacher's call known
    for language_model in forgetful.models_.values():
        language_model.known = {}
    recomputed = themes._quotes(model.themes_["theme"], candidates, 3, forgetful)
    assert reused == recomputed
    # recomputed: every short-listed sentence embedded for its cosine (before this change
    # twice: once more for the near-duplicate check); reused: only those the picks compare
    assert sum(embedded) >= shortlist, (sum(embedded), shortlist)
    assert reused_count < shortlist / 3, (reused_count, shortlist)


def test_purity_counts_quotes_holding_a_label_word_by_lemma():
    from cxlens.text.themes import label_purity

    # "счета" and "счёт" are one lemma; "связь" is not a label word; 网络 is in one quote of two
    labels = {"ru": "Счета", "zh": "网络很稳定"}
    quotes = {"ru": ["Опять выставили счёт дважды", "Связь плохая"],
              "zh": ["网络一直很好", "价格太贵"]}  # fmt: skip
    assert label_purity(labels, quotes) == 2 / 4
    assert label_purity({"en": "No outages"}, {"en": ["An outage again", "Never down"]}) == 0.5
    assert np.isnan(label_purity({"en": "Billing"}, {}))


#: A small parallel example: the same three complaints written in three languages.
PARALLEL = {
    "en": {
        "price": ["The price is far too high.", "It costs too much.", "Too expensive for me."],
        "support": ["Support never answers the phone.", "Nobody at the call centre helped.",
                    "The helpline keeps me waiting for hours."],
        "speed": ["The internet is very slow.", "Pages load slowly.",
                  "Download speed is terrible."],
    },
    "ru": {
        "price": ["Цена слишком высокая.", "Это стоит слишком дорого.", "Для меня слишком дорого."],
        "support": ["Поддержка никогда не берёт трубку.", "В колл-центре никто не помог.",
                    "На горячей линии ждёшь часами."],
        "speed": ["Интернет очень медленный.", "Страницы грузятся медленно.",
                  "Скорость загрузки ужасная."],
    },
    "zh": {
        "price": ["价格太高了。", "这个太贵了。", "对我来说太贵了。"],
        "support": ["客服从来不接电话。", "呼叫中心没人帮忙。", "热线让我等了好几个小时。"],
        "speed": ["网速非常慢。", "网页加载很慢。", "下载速度太差了。"],
    },
}  # fmt: skip


def test_themes_that_mean_the_same_merge_across_languages():
    texts, langs, truth = [], [], []
    for lang, topics in PARALLEL.items():
        for topic, sents in topics.items():
            texts += sents * 8
            langs += [lang] * len(sents) * 8
            truth += [topic] * len(sents) * 8
    model = ThemeModel(n_themes=3, min_comments=10).fit(texts, langs)
    assert len(model.themes_) == 3  # one theme per topic, not nine
    assert all(sorted(v) == ["en", "ru", "zh"] for v in model.themes_["languages"])
    found = model.transform(texts, langs).drop_duplicates("row").set_index("row")["theme"]
    pairs = pd.DataFrame({"topic": truth, "theme": found.reindex(range(len(texts)))})
    # each topic's comments go (mostly) to one theme, in every language; on this example
    # k-means may put a sentence with a neighbouring topic
    main = pairs.groupby("topic")["theme"].agg(lambda s: s.mode()[0])
    assert main.nunique() == 3
    agree = pairs["theme"] == pairs["topic"].map(main)
    assert agree.groupby([pd.Series(langs), pairs["topic"]]).mean().min() >= 2 / 3


@lru_cache(maxsize=3)
def _signed_model(lang: str) -> ThemeModel:
    from cxlens.text.backends import ModelBackend
    from cxlens.text.polarity import label_polarity

    texts = _texts(lang)
    return ThemeModel(seed=0).fit(
        texts, [lang] * len(texts), polarity=label_polarity(ModelBackend(mode="fast"))
    )


def _most(signs: np.ndarray, of: int) -> int:
    """The sign of more than half of ``of`` readings (0: none), counted here apart."""
    neg, pos = int((signs == -1).sum()), int((signs == 1).sum())
    return -1 if 2 * neg > of else 1 if 2 * pos > of else 0


@pytest.mark.parametrize("lang", ["en", "ru", "zh"])
def test_no_label_phrase_has_the_sign_its_members_majority_contradicts(lang):
    # each phrase's sign: that of most of the members holding all its words; the theme's:
    # that of most of its members with a sign (neutral ones neither agree nor contradict)
    model = _signed_model(lang)
    checked = 0
    for c in model.clusters_:
        signs = np.asarray(c.signs)
        majority = _most(signs, int((signs != 0).sum()))
        keys = [{k for _, _, k, _ in word_spans(s, lang) if k} for s in c.sentences]
        label = c.label.split(": ", 1)[-1] if mixed_marker(c.label) else c.label
        label = "" if label in MIXED.values() else label
        phrase_signs = []
        for phrase in filter(None, label.split(", ")):
            words = {k for _, _, k, _ in word_spans(phrase, lang) if k}
            holders = np.array([words <= k for k in keys])
            assert holders.any(), (c.label, phrase)
            phrase_signs.append(_most(signs[holders], int(holders.sum())))
            checked += 1
        assert all(p != -majority for p in phrase_signs if majority), (c.label, phrase_signs)
        assert not {1, -1} <= set(phrase_signs), (c.label, phrase_signs)
    assert checked >= len(model.clusters_)
