"""The sign of theme sentences as a sentiment backend reads them, for the themes' labels.

:meth:`cxlens.text.discover.ThemeModel.fit` takes a *polarity*: a callable from a language's
sentences to their signs (-1 negative, 0 neutral or unread, +1 positive), so that no label
phrase carries the sign its cluster's majority contradicts. Discovery itself knows no
sentiment model; this module is the bridge to one.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from cxlens.text.clean import MAX_CHARS
from cxlens.text.discover import Polarity
from cxlens.text.sentiment import LABELS, SentimentBackend, score_texts

#: A sentence's sign per sentiment label (an unread sentence, label None, is 0).
SIGNS: dict[str, int] = dict(zip(LABELS, (-1, 0, 1), strict=True))


def label_polarity(backend: SentimentBackend) -> Polarity:
    """Return a polarity reading sentences with ``backend``: -1, 0 or +1 per sentence.

    A language ``backend`` does not read gets 0 for every sentence (its labels are left as
    c-TF-IDF names them).

    Example:
        >>> from cxlens.text.backends import ModelBackend
        >>> read = label_polarity(ModelBackend(mode="fast"))
        >>> read(["Awful service.", "Thank you, all fixed"], "en").tolist()
        [-1, 1]
    """

    def score(sentences: list[str], language: str) -> tuple[object, list[object]]:
        if not backend.supports(language):
            return None, [None] * len(sentences)
        read = score_texts(sentences, backend, language, MAX_CHARS)
        return read["score"], read["label"].tolist()

    return scorer_polarity(score)


def scorer_polarity(
    score: Callable[[list[str], str], tuple[np.ndarray, np.ndarray]],
) -> Polarity:
    """Return a polarity reading sentences with a scorer's ``score`` (scores and labels).

    Themes pass their :class:`cxlens.text.themes.SentenceScorer`'s: the most frequent
    sentences are read by the accurate path within its budget (kept for the members'
    theme sentences later), the rest by the fast head, so a frequent phrase the fast head
    misreads ("The price is fair for what you get." negative) does not sign a label.

    Example:
        >>> read = scorer_polarity(lambda s, lang: (None, np.array(["negative", None])))
        >>> read(["Awful.", "?"], "en").tolist()
        [-1, 0]
    """

    def read(sentences: list[str], language: str) -> np.ndarray:
        if not sentences:
            return np.zeros(0, dtype=np.int8)
        _, labels = score(list(sentences), language)
        return np.array([SIGNS.get(str(v), 0) for v in labels], dtype=np.int8)

    return read
