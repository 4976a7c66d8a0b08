"""Sentences and theme tokens per language: English words, Russian lemmas, Chinese bigrams.

Themes are found in sentences, not whole comments: a survey comment often praises one thing
and complains about another ("Fast internet. But support took ages."), and a sentence
usually holds one topic. :func:`sentences` splits on sentence ends (``. ! ? 。 ！ ？ ;``
and line breaks).

:func:`tokens` gives the units a theme model counts:

* English: lower-case words without stop words, plural ``-s``/``-ies`` stripped
  ("outages" -> "outage", "speeds" -> "speed"), so singular and plural count together.
* Russian: pymorphy3 lemmas ("счета", "счёт" -> "счет"), function words (prepositions,
  conjunctions, particles, pronouns, interjections) dropped.
* Chinese: overlapping character bigrams of each run of Han characters ("网速很快" ->
  "网速", "速很", "很快"): no word segmenter ships offline, and bigrams carry most two-
  character words; a one-character run stays as itself. Latin words inside (``App``) are
  kept lower-case.
* Any other language: lower-case words of any script.
"""

from __future__ import annotations

import itertools
import re
from functools import lru_cache
from typing import Any

from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

from cxlens.errors import ArgumentError

_SENTENCE_END = re.compile(r"(?<=[.!?;。！？；…])\s*|\n+")
_EN_WORD = re.compile(r"[a-z]+(?:'[a-z]+)?")
_RU_WORD = re.compile(r"[а-яё]+(?:-[а-яё]+)?")
_ANY_WORD = re.compile(r"[^\W\d_]+")
_HAN_RUN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")
_LATIN_WORD = re.compile(r"[a-z]{2,}")

# sklearn's list holds CX words that name topics ("bill", "call", "system", "fire"): keep them.
_KEEP = {"bill", "call", "system", "fire", "find", "found", "full", "empty", "move", "show"}
EN_STOP_WORDS: frozenset[str] = frozenset(
    (set(ENGLISH_STOP_WORDS) - _KEEP) | {"s", "t", "ve", "ll", "re", "d", "m", "it's", "i'm"}
)
#: pymorphy3 parts of speech that carry no topic.
RU_FUNCTION_POS: frozenset[str] = frozenset({"PREP", "CONJ", "PRCL", "NPRO", "INTJ"})
#: Frequent Russian words pymorphy3 tags as content words that still carry no topic.
RU_STOP_LEMMAS: frozenset[str] = frozenset(
    {"быть", "это", "весь", "всё", "свой", "который", "такой", "очень", "так", "как", "уже"}
)


def sentences(text: str) -> list[str]:
    """Split a cleaned text into sentences (non-empty, stripped).

    Example:
        >>> sentences("Fast internet! But support took ages. 客服太慢。价格贵")
        ['Fast internet!', 'But support took ages.', '客服太慢。', '价格贵']
    """
    return [s.strip() for s in _SENTENCE_END.split(text) if s and s.strip()]


def _singular(word: str) -> str:
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is", "'s")):
        return word[:-1]
    return word


@lru_cache(maxsize=1)
def _morph() -> Any:
    import pymorphy3

    return pymorphy3.MorphAnalyzer()


@lru_cache(maxsize=300_000)
def russian_lemma(word: str) -> str | None:
    """Return the pymorphy3 lemma of a lower-case Russian word, None for a function word.

    Example:
        >>> russian_lemma("счета"), russian_lemma("на")
        ('счет', None)
    """
    parse = _morph().parse(word)[0]
    if parse.tag.POS in RU_FUNCTION_POS:
        return None
    lemma = parse.normal_form.replace("ё", "е")
    return None if lemma in RU_STOP_LEMMAS else lemma


def _english(text: str) -> list[str]:
    return [_singular(w) for w in _EN_WORD.findall(text.lower()) if w not in EN_STOP_WORDS]


def _russian(text: str) -> list[str]:
    lower = text.lower()
    out = [lemma for w in _RU_WORD.findall(lower) if (lemma := russian_lemma(w))]
    return out + [w for w in _LATIN_WORD.findall(lower) if w not in EN_STOP_WORDS]


def chinese_bigrams(text: str) -> list[str]:
    """Return the character bigrams of each Han run (a lone character as itself).

    Example:
        >>> chinese_bigrams("网速很快，App好用")
        ['网速', '速很', '很快', 'app', '好用']
    """
    out: list[str] = []
    pos = 0
    lower = text.lower()
    for m in _HAN_RUN.finditer(lower):
        out += _LATIN_WORD.findall(lower[pos : m.start()])
        run = m.group()
        out += [run] if len(run) == 1 else [run[i : i + 2] for i in range(len(run) - 1)]
        pos = m.end()
    return out + _LATIN_WORD.findall(lower[pos:])


def tokens(text: str, language: str) -> list[str]:
    """Return the theme tokens of one cleaned text in ``language`` (ISO 639-1).

    Example:
        >>> tokens("The outages keep dropping my calls", "en")
        ['outage', 'dropping', 'call']
        >>> tokens("Счета приходят неправильные", "ru")
        ['счет', 'приходить', 'неправильный']
    """
    if not isinstance(language, str) or not language:
        raise ArgumentError(f"language must be an ISO 639-1 code such as 'en', not {language!r}")
    if language == "en":
        return _english(text)
    if language == "ru":
        return _russian(text)
    if language in ("zh", "ja"):
        return chinese_bigrams(text)
    return [w for w in _ANY_WORD.findall(text.lower()) if len(w) > 1]


def analyzer(language: str) -> Any:
    """Return a scikit-learn ``analyzer`` callable: tokens plus adjacent token pairs.

    Pairs ("far expensive", "charged twice") make labels readable and topics sharper.

    Example:
        >>> analyzer("en")("charged twice")
        ['charged', 'twice', 'charged twice']
    """

    def analyse(text: str) -> list[str]:
        units = tokens(text, language)
        if language in ("zh", "ja"):  # bigrams already span two characters
            return units
        return units + [f"{a} {b}" for a, b in itertools.pairwise(units)]

    return analyse
