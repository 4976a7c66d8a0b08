"""Emotion of Russian texts: joy, sadness, surprise, fear, anger, or none of them.

A 6-class logistic regression on multilingual-e5-small sentence embeddings
(:mod:`cxlens.text.embeddings`), shipped in ``heads/emotion_head.npz`` and rebuilt by
:mod:`cxlens.text.training.emotion` from CEDR (Sboev et al. 2021, Apache-2.0), a Russian set
of sentences from LiveJournal, Lenta.ru and Twitter labelled with Ekman's basic emotions
less disgust. It was measured on Russian only (figures in docs/text.md), so texts in other
languages get no emotion (status ``unsupported_language``). Every Russian text is embedded:
~50 texts/s on 2 cores.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

from cxlens.errors import ArgumentError
from cxlens.text.clean import MAX_CHARS, clean
from cxlens.text.language import UNDETERMINED, detect_one, normalise_noise
from cxlens.text.sentiment_model import HEADS, e5_text, softmax

#: The classes of the head, "none" first: no emotion of the five.
EMOTIONS: tuple[str, ...] = ("none", "joy", "sadness", "surprise", "fear", "anger")
#: Languages the emotion head was trained and measured on.
LANGUAGES: tuple[str, ...] = ("ru",)


@lru_cache(maxsize=1)
def load_emotion_head(path: Path = HEADS / "emotion_head.npz") -> tuple[np.ndarray, np.ndarray]:
    """Return (coefficients 6 x 384, intercepts 6) of the shipped emotion head.

    Example:
        >>> load_emotion_head()[0].shape
        (6, 384)
    """
    if not path.is_file():
        raise ArgumentError(
            f"the emotion head {path} is missing; rebuild it with "
            "python -m cxlens.text.training.emotion DATA_DIR (see docs/text.md)"
        )
    with np.load(path) as data:
        if tuple(data["classes"].tolist()) != EMOTIONS:
            raise ArgumentError(f"{path} has classes {data['classes'].tolist()}, not {EMOTIONS}")
        return data["coef"].astype(np.float32), data["intercept"].astype(np.float32)


def emotion_probabilities(vectors: np.ndarray) -> np.ndarray:
    """Return the probability of each of :data:`EMOTIONS` per e5 embedding row.

    Example:
        >>> emotion_probabilities(np.zeros((1, 384), dtype=np.float32)).shape
        (1, 6)
    """
    coef, intercept = load_emotion_head()
    return softmax(vectors @ coef.T + intercept)


def classify_emotions(
    texts: list[str], progress: Callable[[int], None] | None = None
) -> np.ndarray:
    """Return :func:`emotion_probabilities` of cleaned texts (noise-normalised, embedded).

    Example:
        >>> probs = classify_emotions(["Я так рада, спасибо!"])  # doctest: +SKIP
        >>> EMOTIONS[int(probs.argmax())]  # doctest: +SKIP
        'joy'
    """
    from cxlens.text.embeddings import embed

    if not texts:
        return np.zeros((0, len(EMOTIONS)))
    cut = [e5_text(normalise_noise(t)) for t in texts]
    return emotion_probabilities(embed(cut, "e5", progress=progress))


def emotion(
    texts: Iterable[object],
    *,
    language: str | None = None,
    max_chars: int = MAX_CHARS,
    progress: Callable[[int], None] | None = None,
) -> pd.DataFrame:
    """Read the emotion of every text (Russian texts only).

    Args:
        texts: str, bytes (decoded as UTF-8) or None; one output row per input.
        language: skip detection and treat every text as this language.
        max_chars: longest text read; longer texts are cut and flagged ``truncated``.
        progress: called with the number of texts just embedded.

    Returns:
        A DataFrame, one row per text in input order: ``language``, ``emotion`` (one of
        :data:`EMOTIONS`; missing where not read), ``emotion_probability`` (of that class;
        NaN where not read) and ``status`` (ok, empty, no_letters, invalid_utf8, truncated,
        unsupported_language).

    Example:
        >>> emotion(["Мне очень страшно, я боюсь", ""])["emotion"].tolist()  # doctest: +SKIP
        ['fear', None]
    """
    cleaned = clean(texts, max_chars)
    n = len(cleaned)
    languages = np.full(n, UNDETERMINED, dtype=object)
    statuses = np.array([c.status for c in cleaned], dtype=object)
    for i, c in enumerate(cleaned):
        if c.status not in ("empty", "no_letters"):
            languages[i] = language or detect_one(c.text)[0]
    readable = np.isin(languages, LANGUAGES) & ~np.isin(statuses, ("empty", "no_letters"))
    statuses[~readable & ~np.isin(statuses, ("empty", "no_letters"))] = "unsupported_language"
    texts_of = [c.text if ok else "" for c, ok in zip(cleaned, readable, strict=True)]
    labels, chance = read_emotions(texts_of, readable, progress)
    return pd.DataFrame(
        {
            "language": languages.astype(str),
            "emotion": labels,
            "emotion_probability": chance,
            "status": statuses.astype(str),
        }
    )


def read_emotions(
    texts: list[str], readable: np.ndarray, progress: Callable[[int], None] | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Return (emotion or None, its probability or NaN) per cleaned text; only ``readable`` read.

    Example:
        >>> read_emotions(["", "x"], np.array([False, False]))[0].tolist()
        [None, None]
    """
    labels = np.full(len(texts), None, dtype=object)
    chance = np.full(len(texts), np.nan)
    idx = np.flatnonzero(readable)
    if len(idx):
        probs = classify_emotions([texts[i] for i in idx], progress)
        labels[idx] = np.asarray(EMOTIONS, dtype=object)[probs.argmax(axis=1)]
        chance[idx] = probs.max(axis=1)
    return labels, chance
