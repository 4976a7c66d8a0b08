"""A theme's label never carries a sign most of its members contradict.

Hand-built clusters (en, ru, zh), each member's sign given by hand as a sentiment reader
would give it (-1 complaint, +1 praise, 0 neither). Before signs were read, c-TF-IDF named
each of them by a phrase of the minority's sign, or by one phrase of each sign (the demo's
"晚上也不卡, 网速很快" over 86% complaints, "Загружается очень быстро, грузятся целую
вечность", "Way overpriced, price is fair", "Satisfied so far, not happy").
"""

from __future__ import annotations

import numpy as np
import pytest

from cxlens.errors import ArgumentError
from cxlens.text.discover import MIXED, ThemeModel, _Cluster, _label_clusters
from cxlens.text.tokenize import word_spans

#: (sentence, sign, copies); the second cluster of each language gives c-TF-IDF its contrast
CLUSTERS = {
    "zh": (
        [("晚上也不卡，网速很快。", 1, 3), ("晚上卡得要命。", -1, 2), ("一到晚上就卡。", -1, 2),
         ("晚上网速慢。", -1, 2), ("晚上经常断线。", -1, 2), ("晚上根本打不开网页。", -1, 1)],
        [("价格太贵了。", -1, 5), ("套餐太贵。", -1, 5)],
    ),
    "ru": (
        [("Загружается очень быстро.", 1, 4), ("Страницы грузятся целую вечность.", -1, 3),
         ("Загружается целую вечность.", -1, 2), ("Очень долго загружается.", -1, 2),
         ("Загрузка медленная.", -1, 2)],
        [("Цена слишком высокая.", -1, 5), ("Тариф дорогой.", -1, 5)],
    ),
}  # fmt: skip
INTERNET = [("The internet is slow.", -1, 5), ("Download speed is awful.", -1, 5)]
#: 50/50: as many members praise the price as complain of it
PRICE_SPLIT = [("The price is fair.", 1, 4), ("The price is way too high.", -1, 4),
               ("Way overpriced.", -1, 2), ("Great value.", 1, 2)]  # fmt: skip
#: all opinion, no topic word: praise clearly prevails (7 to 2), then a 50/50 one
SATISFIED = [("Satisfied so far.", 1, 6), ("Not happy.", -1, 2), ("Very satisfied.", 1, 1)]
SATISFIED_SPLIT = [("Satisfied so far.", 1, 4), ("Not happy.", -1, 4),
                   ("Very satisfied.", 1, 1), ("Not happy at all.", -1, 1)]  # fmt: skip


def _labelled(lang: str, *groups: list[tuple[str, int, int]], signed: bool = True) -> str:
    """The label of the first of ``groups`` (each a cluster), labelled with all of them."""
    clusters = []
    for group in groups:
        sents = [s for s, _, n in group for _ in range(n)]
        c = _Cluster(lang, np.zeros(2), sents, np.ones(len(sents)))
        if signed:  # set as an attribute: a cluster without signs is labelled as before
            c.signs = np.array([v for _, v, n in group for _ in range(n)], dtype=np.int8)
        clusters.append(c)
    spans = {s: word_spans(s, lang) for c in clusters for s in c.sentences}
    _label_clusters(clusters, lang, spans, 8)
    return clusters[0].label


def test_unsigned_clusters_are_named_by_the_minority_as_before():
    # the failure the signs fix, kept visible: without them the minority names the theme
    assert _labelled("zh", *CLUSTERS["zh"], signed=False) == "晚上, 网速很快"
    assert _labelled("ru", *CLUSTERS["ru"], signed=False) == (
        "Загружается очень быстро, грузятся целую вечность"
    )
    assert _labelled("en", PRICE_SPLIT, INTERNET, signed=False) == (
        "Price is way too high, great value"
    )
    assert _labelled("en", SATISFIED, INTERNET, signed=False) == "Satisfied so far, not happy"


def test_a_refused_praise_run_leaves_its_topic_term_zh():
    # 9 of 12 members complain of the evenings; the praise run "网速很快" (3 members, all
    # praise) may not name them, "晚上" (evening: in all 12) does
    assert _labelled("zh", *CLUSTERS["zh"]) == "晚上"


def test_two_phrases_of_opposite_sign_never_share_a_label_ru():
    # 9 of 13 complain (9 > 2 x 4: a clear sign): "загружается очень быстро" (4, all praise)
    # is refused, its term "загружается" (4 praise, 4 complaints) and the complaint stay
    assert _labelled("ru", *CLUSTERS["ru"]) == "Загружается, грузятся целую вечность"


def test_a_50_50_cluster_is_named_by_its_topic_alone_en():
    # 6 praise, 6 complaints: "price is way too high" and "great value" each hold one
    # sign; "price" (4 and 4) is the topic
    assert _labelled("en", PRICE_SPLIT, INTERNET) == "Price"


def test_an_all_opinion_cluster_takes_its_clear_majoritys_words_or_none():
    # no topic word: with praise 7 to 2 the praise names it; 5 to 5, neither can, and it
    # is marked as having no shared topic
    assert _labelled("en", SATISFIED, INTERNET) == "Satisfied so far"
    assert _labelled("en", SATISFIED_SPLIT, INTERNET) == MIXED["en"]


@pytest.mark.parametrize(
    "bad", [lambda s, lang: np.zeros(len(s) + 1), lambda s, lang: np.full(len(s), 0.5)]
)
def test_a_polarity_that_returns_no_sign_per_sentence_is_refused(bad):
    texts = ["Far too expensive.", "The internet is slow."] * 40
    with pytest.raises(ArgumentError, match="one sign"):
        ThemeModel(n_themes=2, min_comments=10).fit(texts, ["en"] * 80, polarity=bad)


def test_fit_reads_each_clusters_members_once_with_the_polarity():
    texts = ["Far too expensive.", "The internet is slow.", "Fast internet, love it."] * 30
    calls: list[tuple[int, str]] = []

    def polarity(sents: list[str], lang: str) -> np.ndarray:
        calls.append((len(sents), lang))
        return np.array([1 if "love" in s else -1 for s in sents])

    model = ThemeModel(n_themes=2, min_comments=10).fit(texts, ["en"] * 90, polarity=polarity)
    members = sum(len(c.sentences) for c in model.clusters_)
    assert calls == [(members, "en")]
    for c in model.clusters_:
        assert c.signs.tolist() == [1 if "love" in s else -1 for s in c.sentences]


def test_a_theme_is_named_by_its_largest_language_whose_cluster_is_a_topic():
    from cxlens.text.discover import _theme_table

    def cluster(language: str, label: str, size: int, theme: str = "t01") -> _Cluster:
        sents = [f"{language} {i}" for i in range(size)]
        return _Cluster(language, np.ones(2), sents, np.ones(size), theme=theme, label=label)

    # the demo's t03: its largest cluster (zh) split between praise and complaint, so Mixed
    table = _theme_table([
        cluster("zh", MIXED["zh"], 30), cluster("en", "Evening, internet is slow", 20),
        cluster("ru", "Вечером интернет тормозит", 10),
        cluster("en", f"{MIXED['en']}: fine, ok", 40, "t02"), cluster("ru", MIXED["ru"], 5, "t02"),
    ])  # fmt: skip
    first, second = table.iloc[0], table.iloc[1]
    assert (first["label"], first["language"]) == ("Evening, internet is slow", "en")
    assert first["labels"] == {"zh": MIXED["zh"], "en": "Evening, internet is slow",
                               "ru": "Вечером интернет тормозит"}  # fmt: skip
    # every language a scatter: the largest names it, as before
    assert (second["label"], second["language"]) == (f"{MIXED['en']}: fine, ok", "en")
