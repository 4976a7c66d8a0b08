"""English sentiment: VADER with a small customer-service lexicon added.

VADER (Hutto and Gilbert, 2014) ships its lexicon in the ``vaderSentiment`` package and scores
a text in [-1, 1] (its "compound"). Complaints to a service firm are often written without a
sentiment word ("flight delayed 3 hours, still on hold"), so :data:`CX_LEXICON` adds the
service-failure and service-praise words VADER lacks, on VADER's -4..4 valence scale. The
words were chosen from knowledge of customer-service language, not mined from the evaluation
tweets; docs/text.md reports VADER with and without them.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import numpy as np

#: Service words VADER's lexicon lacks (or rates as neutral), with their valence (-4..4).
CX_LEXICON: dict[str, float] = {
    "delayed": -1.8, "delay": -1.6, "delays": -1.6, "cancelled": -2.0, "canceled": -2.0,
    "cancel": -1.2, "waiting": -1.2, "wait": -0.8, "hold": -1.0, "lost": -1.8, "refund": -1.0,
    "overcharged": -2.4, "charged": -0.8, "rude": -2.5, "unhelpful": -2.2, "useless": -2.3,
    "broken": -2.0, "stuck": -1.8, "missed": -1.4, "never": -0.8, "still": -0.6,
    "again": -0.5, "hours": -0.8, "nobody": -1.0, "disconnected": -1.8, "outage": -2.0,
    "slow": -1.5, "late": -1.5, "fee": -1.0, "fees": -1.0, "unacceptable": -2.6,
    "ridiculous": -2.0, "crashes": -1.8, "crashed": -1.8, "glitch": -1.5, "scam": -3.0,
    "thanks": 1.9, "thank": 1.5, "helpful": 2.0, "quick": 1.2, "fast": 1.2, "smooth": 1.6,
    "resolved": 1.5, "fixed": 1.2, "appreciate": 2.0, "friendly": 2.2, "seamless": 2.0,
}  # fmt: skip

#: Scores at or below the first bound are negative, at or above the second positive.
BAND = (-0.05, 0.35)


@lru_cache(maxsize=2)
def analyzer(cx_words: bool = True) -> Any:
    """Return a VADER analyzer, with :data:`CX_LEXICON` added when ``cx_words``.

    Example:
        >>> analyzer().polarity_scores("flight delayed again")["compound"] < 0
        True
    """
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    vader = SentimentIntensityAnalyzer()
    if cx_words:
        vader.lexicon = {**vader.lexicon, **CX_LEXICON}
    return vader


def score_english(texts: list[str], cx_words: bool = True) -> np.ndarray:
    """Return VADER's compound score in [-1, 1] of each text.

    Example:
        >>> score_english(["I love it", "awful, rude staff"]).round(2).tolist()
        [0.64, -0.76]
    """
    vader = analyzer(cx_words)
    return np.array([vader.polarity_scores(t)["compound"] for t in texts], dtype=float)
