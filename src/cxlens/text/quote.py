"""Where a theme sentence sits in its quote: one rule for the report, summary and dashboard.

A theme's ``negative_quote`` is a whole comment; ``negative_sentence`` is the sentence of it
the theme is about (the one read negative). A reader shown the whole comment takes its
strongest complaint for the reason, which may be about another topic ("Decent overall. The
app is esy to use. But the bill keeps going up." in the theme "App"), so the theme sentence
is marked inside the quote (:func:`quote_parts`) and a one-line summary quotes that sentence
(:func:`sentence_excerpt`).
"""

from __future__ import annotations

#: A theme sentence of fewer words than this says too little alone ("Awful."): the summary
#: quotes the whole comment around it instead.
SHORT_SENTENCE_WORDS = 4


def quote_parts(quote: str, sentence: object) -> tuple[str, str, str]:
    """Return ``quote`` as (before, theme sentence, after); ("quote", "", "") when not in it.

    The sentence is found by its first occurrence as written. It is missing from the quote
    when none was saved (themes saved before sentences were kept) or the quote was cut short
    of it: then nothing is marked rather than something guessed.

    Example:
        >>> quote_parts("Decent overall. The app is esy to use. But the bill keeps going up.",
        ...             "The app is esy to use.")
        ('Decent overall. ', 'The app is esy to use.', ' But the bill keeps going up.')
        >>> quote_parts("Billed twice.", None)
        ('Billed twice.', '', '')
    """
    if not isinstance(sentence, str) or not sentence.strip():
        return quote, "", ""
    at = quote.find(sentence.strip())
    if at < 0:
        return quote, "", ""
    end = at + len(sentence.strip())
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
    if not own or len(own.split()) < SHORT_SENTENCE_WORDS:
        return quote
    return ("… " if before.strip() else "") + own + (" …" if after.strip() else "")


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
    own = sentence if isinstance(sentence, str) else ""
    at = text.find(own) if own else -1
    if at < 0 or at + len(own) <= limit - 1 or len(own) > limit - 4:
        return text[: limit - 1].rstrip() + "…"
    end = at + len(own)
    start = max(0, end - (limit - 4))  # room for "… " and " …"
    window = text[start : start + limit - 4]
    cut = ("… " if start else "") + window.strip()
    return cut + (" …" if start + len(window) < len(text) else "")
