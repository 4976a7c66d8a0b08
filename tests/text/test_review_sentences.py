"""The Russian reviews' aspect sentences: labels from annotated mentions, read by hand."""

from __future__ import annotations

from xml.sax.saxutils import escape

import numpy as np
import pytest

from cxlens.text.training.review_sentences import passes
from cxlens.text.training.sets import aspect_sentences, review_sentences, sentence_label


def _review(rid: int, text: str, mentions: list[tuple[str, str]]) -> str:
    """Return a SentiRuEval review element whose mentions sit at their terms' first places."""
    parts = []
    for term, sentiment in mentions:
        a = text.index(term)
        parts.append(
            f'<aspect category="Food" from="{a}" to="{a + len(term)}" mark="Rel" '
            f'sentiment="{sentiment}" term="{escape(term)}" type="explicit" />'
        )
    return (
        f'<review id="{rid}"><text>{escape(text)}</text><aspects>{"".join(parts)}</aspects>'
        '<categories><category name="Whole" sentiment="both" /></categories></review>'
    )


def _write(tmp_path, domain: str, reviews: list[str]) -> None:
    folder = tmp_path / "ru" / "SentiRuEval-2015-subtask-1"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"SentiRuEval_{domain}_markup_train.xml").write_text(
        f"<reviews>{''.join(reviews)}</reviews>", encoding="utf-8"
    )


def test_a_sentence_takes_the_one_polarity_its_mentions_agree_on():
    assert sentence_label({"positive"}) == "positive"
    assert sentence_label({"negative", "neutral"}) == "negative"
    assert sentence_label({"neutral"}) == "neutral"
    assert sentence_label({"positive", "negative"}) is None  # both polarities
    assert sentence_label({"both"}) is None and sentence_label({"both", "positive"}) is None
    assert sentence_label(set()) is None  # no mention: no label to learn


def test_mentions_belong_to_the_sentence_that_holds_them():
    text = "Салат был свежий! Но официант хамил, а счёт принесли через час. Зал большой."
    spans = [
        (text.index("Салат"), text.index("Салат") + 5, "positive"),
        (text.index("официант"), text.index("официант") + 8, "negative"),
        (text.index("счёт"), text.index("счёт") + 4, "neutral"),
        (text.index("Зал"), text.index("Зал") + 3, "neutral"),
    ]
    assert review_sentences(text, spans) == [
        ("Салат был свежий!", "positive"),
        ("Но официант хамил, а счёт принесли через час.", "negative"),
        ("Зал большой.", "neutral"),
    ]
    # a mention across a sentence end belongs to neither sentence
    across = [(text.index("свежий"), text.index("Но") + 2, "positive")]
    assert review_sentences(text, across) == []


def test_training_files_give_sentences_with_their_reviews(tmp_path):
    first = "Кухня отличная. Обслуживание медленное."
    second = "Машина надёжная. Кухня отличная. Расход большой, но салон удобный."
    _write(
        tmp_path,
        "rest",
        [_review(1, first, [("Кухня", "positive"), ("Обслуживание", "negative")])],
    )
    mentions = [("Машина", "positive"), ("Кухня", "negative"), ("Расход", "negative"),
                ("салон", "positive")]  # fmt: skip
    _write(tmp_path, "car", [_review(2, second, mentions)])
    got = aspect_sentences(tmp_path)
    # "Кухня отличная." is labelled positive once and negative once: left out, not guessed
    assert got[["text", "label"]].values.tolist() == [
        ["Обслуживание медленное.", "negative"],
        ["Машина надёжная.", "positive"],
    ]
    assert got["review"].tolist() == [first, second]
    assert set(got["language"]) == {"ru"} and set(got["split"]) == {"train"}


def test_a_mention_off_its_term_is_refused(tmp_path):
    text = "Кухня отличная."
    bad = (
        f'<review id="9"><text>{text}</text><aspects><aspect from="1" to="6" '
        'sentiment="positive" term="Кухня" /></aspects></review>'
    )
    _write(tmp_path, "rest", [bad])
    _write(tmp_path, "car", [])
    with pytest.raises(ValueError, match=r"review 9: mention 'Кухня' is not at 1:6"):
        aspect_sentences(tmp_path)


def test_the_rule_by_hand():
    calm = {"sign": (0.0, 0, 0), "macro_f1": (-0.005, 0, 0)}
    reviews = {"sign": (0.01, 0, 0), "macro_f1": (np.nan, 0, 0)}
    assert passes({"ru_reviews": reviews, "t": calm}, {"macro_f1": (-0.002, 0, 0)})
    assert not passes({"ru_reviews": reviews, "t": calm}, {"macro_f1": (-0.0021, 0, 0)})
    lost = {"sign": (-0.0051, 0, 0), "macro_f1": (0.0, 0, 0)}
    assert not passes({"ru_reviews": reviews, "t": lost}, {"macro_f1": (0.0, 0, 0)})
    flat = {"sign": (0.0, 0, 0), "macro_f1": (np.nan, 0, 0)}
    assert not passes({"ru_reviews": flat, "t": calm}, {"macro_f1": (0.0, 0, 0)})


def _by_hand(text: str, head: str) -> np.ndarray:
    """A head's probabilities computed from its shipped file, apart from the package's reader."""
    from sklearn.feature_extraction.text import HashingVectorizer
    from sklearn.preprocessing import normalize

    from cxlens.text.sentiment_model import HEADS

    with np.load(HEADS / f"{head}_head.npz") as data:
        coef, intercept = data["coef"].astype(np.float32), data["intercept"]
    common = {"n_features": 2**18, "alternate_sign": False, "norm": None, "lowercase": True}
    counts = HashingVectorizer(analyzer="char_wb", ngram_range=(1, 4), **common).transform(
        [text]
    ) + HashingVectorizer(analyzer="word", ngram_range=(1, 2), **common).transform([text])
    counts.data = np.log1p(counts.data)
    logits = np.asarray(normalize(counts) @ coef.T).ravel() + intercept
    return np.exp(logits - logits.max()) / np.exp(logits - logits.max()).sum()


def test_a_long_russian_text_is_read_by_the_long_text_head_and_nothing_else_is():
    from cxlens.text.sentiment_model import E5_CHARS, fast_probabilities

    review = (
        "Были в ресторане в субботу вечером, столик бронировали заранее. Кухня неплохая, "
        "порции большие, но горячее ждали почти час, официант забыл про напитки, а счёт "
        "принесли с чужим блюдом. Администратор извинился, но осадок остался. Интерьер "
        "уютный, музыка громковата, парковка маленькая, гардероб работал медленно, десерты "
        "принесли тёплыми, хотя просили холодные. Цены выше среднего по городу, и за такие "
        "деньги ждёшь большего. Больше, наверное, не придём."
    )
    assert len(review) > E5_CHARS
    short = review[:E5_CHARS]
    english = "We waited an hour for the main course and the bill was wrong. " * 8
    got = fast_probabilities([review, short, english], "ru")
    assert got[0] == pytest.approx(_by_hand(review, "fast_ru_long"), abs=1e-5)
    assert got[1] == pytest.approx(_by_hand(short, "fast_ru"), abs=1e-5)
    assert not np.allclose(_by_hand(review, "fast_ru_long"), _by_hand(review, "fast_ru"))
    # another language's long text keeps its own head
    assert fast_probabilities([english], "en")[0] == pytest.approx(
        _by_hand(english, "fast"), abs=1e-5
    )


def test_the_long_text_head_learns_no_test_text(tmp_path):
    import pandas as pd

    from cxlens.text.training.train import long_fast_rows

    text = "Кухня отличная. Обслуживание медленное. Зал большой."
    _write(
        tmp_path,
        "rest",
        [_review(1, text, [("Кухня", "positive"), ("Обслуживание", "negative"),
                           ("Зал", "neutral")])],
    )  # fmt: skip
    _write(tmp_path, "car", [])
    frame = pd.DataFrame(
        {
            "language": ["ru", "ru", "en"],
            "split": ["train", "test", "train"],
            "label": ["positive", "negative", "neutral"],
            "text": ["Зал большой.", "обслуживание медленное!!", "fine"],
            "set": ["a", "a", "b"],
        }
    )
    got = long_fast_rows(frame, tmp_path, "ru")
    # its own training row, and of the three sentences only the one neither a training row
    # nor (up to case and marks) a test text
    assert got["text"].tolist() == ["Зал большой.", "Кухня отличная."]
    assert got["label"].tolist() == ["positive", "positive"]
