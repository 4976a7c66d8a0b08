"""Russian sentiment: a lemma lexicon with negation, boosters, contrast and bracket smileys.

Words are lemmatised with pymorphy3 (its dictionary ships in ``pymorphy3-dicts-ru``) and looked
up in :data:`cxlens.text.ru_lexicon.LEXICON`. The rules follow VADER's: a negator ("не", "нет",
"без"...) up to three words before an evaluative word, in the same clause, flips it and damps
it (x -0.75, so "не плохо" is mildly positive); a booster ("очень", "крайне") scales the next
one; after a contrast word ("но", "зато") words weigh 1.5 and before it 0.5; "!" strengthens;
")))" and "(((" (the Russian smileys) count as +/-1.5. The sum s becomes s / sqrt(s^2 + 15),
in [-1, 1].
"""

from __future__ import annotations

import math
import re
from functools import lru_cache
from typing import Any

import numpy as np

from cxlens.text.ru_lexicon import BOOSTERS, CONTRAST, LEXICON, NEGATORS

#: Scores at or below the first bound are negative, at or above the second positive.
BAND = (-0.1, 0.2)
NEGATION_FACTOR = -0.75
NEGATION_WINDOW = 3
ALPHA = 15.0

_TOKEN = re.compile(r"[а-яёa-z]+(?:-[а-яё]+)?|\){2,}|\({2,}|[!,.;:?—]", re.IGNORECASE)
# A negation reaches no further than the end of its clause.
_CLAUSE_END = frozenset(",.;:?—")


@lru_cache(maxsize=1)
def _morph() -> Any:
    import pymorphy3

    return pymorphy3.MorphAnalyzer()


@lru_cache(maxsize=200_000)
def lemma(word: str) -> str:
    """Return the pymorphy3 normal form of a lower-case word (cached).

    Example:
        >>> lemma("доставили")
        'доставить'
    """
    return _morph().parse(word)[0].normal_form.replace("ё", "е")


_LEXICON = {k.replace("ё", "е"): v for k, v in LEXICON.items()}


def raw_score(text: str) -> float:
    """Return the unnormalised lexicon sum of one text.

    Example:
        >>> raw_score("не плохо") > 0 > raw_score("плохо")
        True
    """
    tokens = _TOKEN.findall(text.lower())
    total_before, total_after, contrast_seen = 0.0, 0.0, False
    negated_until, boost, exclaims = -1, 1.0, 0
    for i, token in enumerate(tokens):
        if token == "!":
            exclaims += 1
            continue
        if token in _CLAUSE_END:
            negated_until = -1
            continue
        if token.startswith(")"):
            value = 1.5
        elif token.startswith("("):
            value = -1.5
        else:
            if token in NEGATORS:
                negated_until = i + NEGATION_WINDOW
                continue
            if token in CONTRAST:
                contrast_seen = True
                continue
            if token in BOOSTERS:
                boost = BOOSTERS[token]
                continue
            value = _LEXICON.get(lemma(token), 0.0)
            if value == 0.0:
                continue
            value *= boost
            boost = 1.0
            if i <= negated_until:
                value *= NEGATION_FACTOR
                negated_until = -1
        if contrast_seen:
            total_after += value
        else:
            total_before += value
    total = total_before * 0.5 + total_after * 1.5 if contrast_seen else total_before
    if total:
        total += math.copysign(min(exclaims, 4) * 0.292, total)
    return total


def score_russian(texts: list[str]) -> np.ndarray:
    """Return the lexicon score in [-1, 1] of each text.

    Example:
        >>> (score_russian(["Отличная связь, спасибо!", "Ужасная поддержка"]) > 0).tolist()
        [True, False]
    """
    sums = np.array([raw_score(t) for t in texts], dtype=float)
    return sums / np.sqrt(sums * sums + ALPHA)
