import numpy as np
import pytest

from cxlens.errors import ArgumentError
from cxlens.text import TransformerBackend, sentiment
from cxlens.text.backends import label_weights
from cxlens.text.sentiment import sentiment_run


def test_label_weights_from_names_and_stars():
    assert label_weights({0: "NEGATIVE", 1: "POSITIVE"}).tolist() == [-1.0, 1.0]
    stars = {0: "1 star", 1: "2 stars", 2: "3 stars", 3: "4 stars", 4: "5 stars"}
    assert label_weights(stars).tolist() == [-1.0, -0.5, 0.0, 0.5, 1.0]
    with pytest.raises(ArgumentError, match="cannot tell sentiment"):
        label_weights({0: "LABEL_0", 1: "LABEL_1"})


def test_transformer_backend_needs_a_local_model_folder(tmp_path):
    with pytest.raises(ArgumentError, match="not a local model folder"):
        TransformerBackend(tmp_path / "missing").load()
    with pytest.raises(ArgumentError, match="never downloads"):
        sentiment(["fine"], backend=str(tmp_path))


class Reversed:
    """A backend that flips the default's English scores: a wrong backend the tests must catch."""

    name = "reversed"

    def supports(self, language):
        return language == "en"

    def score(self, texts, language):
        from cxlens.text.sentiment_en import score_english

        return -score_english(texts)

    def band(self, language):
        return (-0.05, 0.35)


def test_a_custom_backend_is_used_and_unsupported_languages_are_reported():
    got = sentiment(["I love this service", "Отличная связь"], backend=Reversed())
    assert got["label"].tolist()[0] == "negative"
    assert got["status"].tolist() == ["ok", "unsupported_language"]
    assert np.isnan(got["score"].iloc[1])
    assert got.attrs == {}  # facts about the call are in sentiment_run's result
    assert sentiment_run(["I love this service"], backend=Reversed()).backend == "reversed"


class Counting(Reversed):
    """A backend with an accurate path that counts its texts and seconds, as the model's does."""

    name = "counting"

    def __init__(self):
        self.stats = {"accurate_texts": 0, "accurate_seconds": 0.0}

    def score(self, texts, language):
        self.stats["accurate_texts"] += len(texts)
        self.stats["accurate_seconds"] += 0.5
        return np.zeros(len(texts))


def test_a_run_reports_only_its_own_accurate_texts():
    backend = Counting()
    first = sentiment_run(["slow", "again", "Отлично"], backend=backend)
    second = sentiment_run(["once more"], backend=backend)  # the same object, used again
    assert (first.backend, first.accurate_texts, first.accurate_seconds) == ("counting", 2, 0.5)
    assert (second.accurate_texts, second.accurate_seconds) == (1, 0.5)
    assert sentiment_run(["fine"], backend="lexicon").accurate_texts == 0


def test_a_backend_without_the_methods_is_refused():
    with pytest.raises(ArgumentError, match="score/supports/band"):
        sentiment(["x"], backend=object())
