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

Markup that exports leave in text is undone first, whatever the status (:func:`decode_markup`):
HTML tags (``<br>``, ``<p>``, ``<b>``... by name, so ``<3`` stays) and HTML entities
(``&amp;``, ``&#39;``, ``&quot;``, ``&lt;``, also encoded twice as ``&amp;quot;``), so
language detection, scoring, themes and quotes read what the customer wrote.
"""

from __future__ import annotations

import html
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


# HTML tags by name (web forms, help desks and review sites export them): a break or block
# ends a line (a sentence boundary for themes), an inline tag goes. Named, so that "<3",
# "a < b" or "<sigh>" are left as written.
_BLOCK_TAGS = "br|p|div|li|ul|ol|tr|td|th|table|tbody|thead|h[1-6]|hr|blockquote|pre"
_INLINE_TAGS = "span|b|i|u|em|strong|a|font|small|sup|sub|code|img"
_BLOCK_TAG = re.compile(rf"</?(?:{_BLOCK_TAGS})\b[^<>]*>", re.IGNORECASE)
_INLINE_TAG = re.compile(rf"</?(?:{_INLINE_TAGS})\b[^<>]*>", re.IGNORECASE)
# An entity with its semicolon only: "&not" in "this&nothing" or "AT&T" are not entities.
_ENTITY = re.compile(r"&(?:#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});")
#: Passes of entity decoding: exports that escaped an escaped text give ``&amp;quot;``.
ENTITY_PASSES = 2


def decode_markup(text: str) -> str:
    r"""Return ``text`` with HTML tags removed and HTML entities decoded.

    Tags first (a tag is markup), then entities (``&lt;3`` is what the customer typed: ``<3``),
    then tags that were escaped (``&lt;br&gt;``).
    Break and block tags (``<br>``, ``<p>``, ``<div>``, ``<li>``...) become a line break,
    inline ones (``<b>``, ``<span>``, ``<a href=...>``...) nothing. Entities need their
    semicolon and are decoded at most :data:`ENTITY_PASSES` times.

    Example:
        >>> decode_markup("L&amp;F desk closed<br />I &lt;3 the crew &amp;quot;anyway&amp;quot;")
        'L&F desk closed\nI <3 the crew "anyway"'
    """
    text = _strip_tags(text)
    for _ in range(ENTITY_PASSES):
        if "&" not in text:
            break
        text = _ENTITY.sub(lambda m: html.unescape(m.group(0)), text)
    return _strip_tags(text)  # tags that were escaped ("&lt;br&gt;") are markup too


def _strip_tags(text: str) -> str:
    if "<" not in text:
        return text
    return _INLINE_TAG.sub("", _BLOCK_TAG.sub("\n", text))


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
    text = decode_markup(text).strip()
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
