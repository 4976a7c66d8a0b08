"""Sentiment per text: language, label (positive/neutral/negative) and score in [-1, 1].

Every input text gives exactly one row, in order. Texts are cleaned (:mod:`cxlens.text.clean`),
their language detected (:mod:`cxlens.text.language`), then scored in one batch per language
by the backend. What cannot be scored says why in ``status``: ``empty`` texts and texts in a
language the backend does not score (``unsupported_language``) get no label; emoji-only texts
(``no_letters``) are scored by the English scorer, which knows emoji, and have language "und".
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import numpy as np
import pandas as pd

from cxlens.errors import ArgumentError
from cxlens.text.backends import DefaultBackend, SentimentBackend, TransformerBackend
from cxlens.text.clean import MAX_CHARS, clean
from cxlens.text.language import UNDETERMINED, detect_one

LABELS: tuple[str, ...] = ("negative", "neutral", "positive")
COLUMNS: tuple[str, ...] = ("language", "mixed", "label", "score", "status")


def resolve_backend(backend: SentimentBackend | str | Path | None) -> SentimentBackend:
    """Return the backend to use: the default, a local transformer path, or the object given.

    Example:
        >>> resolve_backend(None).name
        'default'
    """
    if backend is None or backend == "default":
        return DefaultBackend()
    if isinstance(backend, str | Path):
        return TransformerBackend(backend).load()
    if not all(hasattr(backend, m) for m in ("score", "supports", "band")):
        raise ArgumentError(
            f"backend must be None, 'default', a local model folder or an object with "
            f"score/supports/band methods, not {type(backend).__name__}"
        )
    return backend


def label_scores(scores: np.ndarray, band: tuple[float, float]) -> np.ndarray:
    """Return "negative" at or below band[0], "positive" at or above band[1], else "neutral".

    Example:
        >>> label_scores(np.array([-0.5, 0.0, 0.6]), (-0.05, 0.35)).tolist()
        ['negative', 'neutral', 'positive']
    """
    low, high = band
    return np.where(scores >= high, "positive", np.where(scores <= low, "negative", "neutral"))


def sentiment(
    texts: Iterable[object],
    *,
    backend: SentimentBackend | str | Path | None = None,
    language: str | None = None,
    max_chars: int = MAX_CHARS,
) -> pd.DataFrame:
    """Score the sentiment of every text.

    Args:
        texts: str, bytes (decoded as UTF-8) or None; one output row per input.
        backend: None for the offline default (en, ru, zh), a local Hugging Face model folder
            (needs torch and transformers), or a :class:`SentimentBackend` object.
        language: skip detection and treat every text as this language (e.g. "ru").
        max_chars: longest text scored; longer texts are cut and flagged ``truncated``.

    Returns:
        A DataFrame, one row per text in input order, with ``language`` (ISO code, "und"
        without letters), ``mixed`` (a second script holds 20%+ of the letters), ``label``
        (positive/neutral/negative, missing where not scored), ``score`` (in [-1, 1], NaN
        where not scored) and ``status`` (ok, empty, no_letters, invalid_utf8, truncated,
        unsupported_language).

    Example:
        >>> sentiment(["Great support, thanks!", "Ужасная связь", "质量很差"])["label"].tolist()
        ['positive', 'negative', 'negative']
    """
    model = resolve_backend(backend)
    cleaned = clean(texts, max_chars)
    n = len(cleaned)
    languages = np.full(n, UNDETERMINED, dtype=object)
    mixed = np.zeros(n, dtype=bool)
    statuses = np.array([c.status for c in cleaned], dtype=object)
    for i, c in enumerate(cleaned):
        if c.status in ("empty", "no_letters"):
            continue
        languages[i], mixed[i] = (language, False) if language else detect_one(c.text)
    # Emoji-only texts go to the English scorer (VADER reads emoji); "und" stays their language.
    scorer_language = np.where(statuses == "no_letters", "en", languages)
    scores = np.full(n, np.nan)
    labels = np.full(n, None, dtype=object)
    for lang in pd.unique(scorer_language[statuses != "empty"]):
        idx = np.flatnonzero((scorer_language == lang) & (statuses != "empty"))
        if not model.supports(lang):
            statuses[idx] = "unsupported_language"  # why there is no score matters most
            continue
        values = np.clip(model.score([cleaned[i].text for i in idx], lang), -1.0, 1.0)
        scores[idx] = values
        labels[idx] = label_scores(values, model.band(lang))
    frame = pd.DataFrame(
        {
            "language": languages,
            "mixed": mixed,
            "label": pd.Categorical(labels, categories=list(LABELS)),
            "score": scores,
            "status": statuses,
        }
    )
    frame["language"] = frame["language"].astype(str)
    frame["status"] = frame["status"].astype(str)
    frame.attrs["backend"] = model.name
    return frame
