"""Bad input, made explicit: every text gets one cleaned string and one status, in order.

Statuses, most serious first (a text gets the first that applies):

* ``empty``: None, NaN or only whitespace; not scored.
* ``no_letters``: no letter of any script (emoji only, punctuation, digits); emoji are still
  scored where the backend knows them.
* ``invalid_utf8``: bytes that do not decode as UTF-8 (or a str holding lone surrogates);
  the bad bytes become U+FFFD and the rest is scored.
* ``truncated``: longer than :data:`MAX_CHARS` characters; the first :data:`MAX_CHARS` are
  scored.
* ``ok``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from dataclasses import dataclass

from cxlens.errors import ArgumentError

#: Longest text scored, in characters (about two pages); longer texts are cut and flagged.
MAX_CHARS = 5000

STATUSES: tuple[str, ...] = ("ok", "empty", "no_letters", "invalid_utf8", "truncated")

# Any letter of any script (\w minus digits and underscore).
_LETTER = re.compile(r"[^\W\d_]")


@dataclass(frozen=True)
class Cleaned:
    """One input text after cleaning: the text to analyse and why it may differ."""

    text: str
    status: str


def clean_one(value: object, max_chars: int = MAX_CHARS) -> Cleaned:
    r"""Return the text to analyse and its status for one input value.

    Example:
        >>> clean_one(b"caf\xe9 ok")
        Cleaned(text='caf\ufffd ok', status='invalid_utf8')
    """
    status = "ok"
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return Cleaned("", "empty")
    if isinstance(value, bytes | bytearray | memoryview):
        raw = bytes(value)
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            text = raw.decode("utf-8", errors="replace")
            status = "invalid_utf8"
    elif isinstance(value, str):
        text = value
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:  # lone surrogates, e.g. from errors="surrogateescape"
            text = text.encode("utf-8", errors="surrogateescape").decode("utf-8", "replace")
            status = "invalid_utf8"
    else:
        raise ArgumentError(
            f"texts must be str or bytes, got {type(value).__name__} ({value!r:.60}); "
            "convert the column to text first"
        )
    text = text.strip()
    if not text:
        return Cleaned("", "empty")
    if len(text) > max_chars:
        text = text[:max_chars]
        status = status if status != "ok" else "truncated"
    if not _LETTER.search(text):
        return Cleaned(text, "no_letters")
    return Cleaned(text, status)


def clean(texts: Iterable[object], max_chars: int = MAX_CHARS) -> list[Cleaned]:
    """Clean every text, one result per input in the same order (nothing is dropped).

    Args:
        texts: str, bytes (decoded as UTF-8) or None/NaN for a missing text.
        max_chars: longest text kept; longer ones are cut and flagged ``truncated``.

    Returns:
        One :class:`Cleaned` per input.

    Example:
        >>> [c.status for c in clean(["fine", "", "🙂🙂", "x" * 6000])]
        ['ok', 'empty', 'no_letters', 'truncated']
    """
    if isinstance(texts, str | bytes):
        raise ArgumentError("texts must be a list of texts, not one string; wrap it: [text]")
    if max_chars < 1:
        raise ArgumentError(f"max_chars must be at least 1, not {max_chars}")
    return [clean_one(t, max_chars) for t in texts]
