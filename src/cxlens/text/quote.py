"""Where a theme sentence sits in its quote: one rule for the report, summary and dashboard.

A theme's ``negative_quote`` is a whole comment; ``negative_sentence`` is the sentence of it
the theme is about (the one read negative). A reader shown the whole comment takes its
strongest complaint for the reason, which may be about another topic ("Decent overall. The
app is esy to use. But the bill keeps going up." in the theme "App"), so the theme sentence
is marked inside the quote (:func:`quote_parts`) and a one-line summary quotes that sentence
(:func:`sentence_excerpt`).
"""

from __future__ import annotations

import re

#: A theme sentence of fewer words than this says too little alone ("Awful."): the summary
#: quotes the whole comment around it instead. A Chinese character counts as half a word
#: (Chinese words are mostly two characters, written without spaces).
SHORT_SENTENCE_WORDS = 2
#: The mark of a cut quote, where text was left out (:func:`cut_around`).
CUT = "…"
_CJK = re.compile(r"[\u4e00-\u9fff]")


#: A word as the theme sentence and its comment are matched: letters and digits (a run of
#: Chinese characters is one).
_WORD = re.compile(r"[^\W_]+")
#: Most characters of left-out noise (handles, hashtags, links) a located sentence may span
#: beyond its own length, as a multiple of it plus a constant: a match wider than that is
#: the sentence's words scattered over the comment, not the sentence.
_SPREAD = (2, 40)


def locate(text: str, sentence: object) -> tuple[int, int] | None:
    """Return where ``sentence`` is written in ``text`` (start, end), None when it is not.

    Theme sentences are read with the comment's noise left out (@handles, hashtags, links,
    emoji; :func:`cxlens.text.discover.split_sentences`) and spaces folded, so a sentence
    may not be in its comment as it stands: then it is the shortest stretch of the
    comment holding its words in order (with its closing punctuation when the comment has
    it next), no wider than the noise can explain (:data:`_SPREAD`).

    Example:
        >>> text = "@SouthwestAir Great #BlackHistoryMonth commercial! Thx!"
        >>> start, end = locate(text, "Great commercial!")
        >>> text[start:end]
        'Great #BlackHistoryMonth commercial!'
        >>> locate(text, "Awful service.") is None
        True
    """
    if not isinstance(sentence, str) or not sentence.strip():
        return None
    own = sentence.strip()
    at = text.find(own)
    if at >= 0:
        return at, at + len(own)
    words = _WORD.findall(own)
    if not words:
        return None
    pattern = re.compile(".*?".join(re.escape(w) for w in words), re.S)
    widest = _SPREAD[0] * len(own) + _SPREAD[1]
    best: tuple[int, int] | None = None
    for first in re.finditer(re.escape(words[0]), text):
        found = pattern.match(text, first.start())
        if found is None:
            continue
        width = found.end() - found.start()
        if width <= widest and (best is None or width < best[1] - best[0]):
            best = found.span()
    if best is None:
        return None
    closing = re.search(r"[^\w\s]+$", own)
    end = best[1]
    if closing and text.startswith(closing.group(), end):
        end += len(closing.group())
    return best[0], end


def quote_parts(quote: str, sentence: object) -> tuple[str, str, str]:
    """Return ``quote`` as (before, theme sentence, after); ("quote", "", "") when not in it.

    The sentence is found by :func:`locate`. It is missing from the quote when none was
    saved (themes saved before sentences were kept) or the quote was cut short of it: then
    nothing is marked rather than something guessed.

    Example:
        >>> quote_parts("Decent overall. The app is esy to use. But the bill keeps going up.",
        ...             "The app is esy to use.")
        ('Decent overall. ', 'The app is esy to use.', ' But the bill keeps going up.')
        >>> quote_parts("Billed twice.", None)
        ('Billed twice.', '', '')
    """
    span = locate(quote, sentence)
    if span is None:
        return quote, "", ""
    at, end = span
    return quote[:at], quote[at:end], quote[end:]


def sentence_excerpt(quote: str, sentence: object) -> str:
    """Return what a one-line summary quotes: the theme sentence, "…" where the comment goes on.

    The whole quote when no sentence is known, it is not in the quote, or it has fewer
    than :data:`SHORT_SENTENCE_WORDS` words (too little alone to say what the complaint is).

    Example:
        >>> sentence_excerpt("Decent overall. The app is esy to use. But the bill keeps going up.",
        ...                  "The app is esy to use.")
        '… The app is esy to use. …'
        >>> sentence_excerpt("Awful. The app crashes.", "Awful.")
        'Awful. The app crashes.'
    """
    before, own, after = quote_parts(quote, sentence)
    if not own or _words(own) < SHORT_SENTENCE_WORDS:
        return quote
    return ("… " if before.strip() else "") + own + (" …" if after.strip() else "")


def _words(text: str) -> float:
    """Words in ``text``: each run of letters one, a Chinese character half of one."""
    return sum(len(w) / 2 if _CJK.match(w) else 1 for w in _WORD.findall(text))


def cut_around(text: str, sentence: object, limit: int) -> str:
    """Return ``text`` cut to ``limit`` characters keeping ``sentence`` in it where it fits.

    Long comments are cut at the end ("…"); when the theme sentence lies past the cut, the
    cut starts before it instead ("… sentence …"), so the quote still holds what the theme
    is about.

    Example:
        >>> cut_around("Fine. " * 10 + "Bill too high.", "Bill too high.", 30)
        '… Fine. Fine. Bill too high.'
        >>> cut_around("Short one.", "Short one.", 30)
        'Short one.'
    """
    if len(text) <= limit:
        return text
    span = locate(text, sentence)
    if span is None or span[1] <= limit - 1 or span[1] - span[0] > limit - 4:
        return text[: limit - 1].rstrip() + "…"
    end = span[1]
    start = max(0, end - (limit - 4))  # room for "… " and " …"
    window = text[start : start + limit - 4]
    cut = ("… " if start else "") + window.strip()
    return cut + (" …" if start + len(window) < len(text) else "")


def is_quote_of(quote: str, forms: set[str]) -> bool:
    """Return whether ``quote`` shows one of ``forms``: whole, or cut (:func:`cut_around`).

    A cut quote ("… part …", "start…") is one of them when what it shows lies inside one;
    an uncut quote must equal one. Erasure uses it to find a customer's comments among the
    quotes derived tables keep.

    Example:
        >>> forms = {"Fine. Fine. Fine. Bill too high."}
        >>> is_quote_of("… Fine. Bill too high.", forms), is_quote_of("Bill too high.", forms)
        (True, False)
    """
    if quote in forms:
        return True
    shown = quote.removeprefix(f"{CUT} ").removesuffix(f" {CUT}").removesuffix(CUT).strip()
    return shown != quote.strip() and bool(shown) and any(shown in form for form in forms)
