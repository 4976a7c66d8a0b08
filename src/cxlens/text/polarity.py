"""The sign of theme sentences as a sentiment backend reads them, for the themes' labels.

:meth:`cxlens.text.discover.ThemeModel.fit` takes a *polarity*: a callable from a language's
sentences to their signs (-1 negative, 0 neutral or unread, +1 positive), so that no label
phrase carries the sign its cluster's majority contradicts. Discovery itself knows no
sentiment model; this module is the bridge to one.
"""

from __future__ import annotations

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

    def read(sentences: list[str], language: str) -> np.ndarray:
        if not sentences or not backend.supports(language):
            return np.zeros(len(sentences), dtype=np.int8)
        labels = score_texts(list(sentences), backend, language, MAX_CHARS)["label"]
        return np.array([SIGNS.get(str(v), 0) for v in labels], dtype=np.int8)

    return read
