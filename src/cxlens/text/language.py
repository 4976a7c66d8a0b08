"""Language of each text: script counts first, a restricted langid model for Latin script.

Cyrillic, Han, kana and Hangul letters settle most texts at once (Russian, Chinese, Japanese,
Korean); a text whose letters are mostly Latin goes to py3langid restricted to
:data:`LATIN_LANGUAGES`, falling back to English when its confidence is below
:data:`MIN_CONFIDENCE` (short replies like "bad" or "refund pls" are too short to tell).
A text is ``mixed`` when a second script holds at least :data:`MIXED_SHARE` of its letters
(one Han character counts as :data:`HAN_WEIGHT` letters, about one word); two languages in
the same script (English and French, say) are not told apart.

Social-media noise never decides: URLs, ``@handles``, ``#hashtags``, a leading ``RT`` and
emoji are removed before counting (:func:`strip_noise`); a text that is only noise is judged
by its hashtags' words, else it is undetermined.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache
from typing import Any

import pandas as pd

from cxlens.text.clean import clean

#: Latin-script languages the langid model chooses among.
LATIN_LANGUAGES: tuple[str, ...] = (
    *("en", "fr", "de", "es", "it", "pt", "nl", "sv", "da", "no", "fi", "pl", "cs"),
    *("tr", "id", "ro", "hu", "vi"),
)
MIN_CONFIDENCE = 0.5
MIXED_SHARE = 0.2
HAN_WEIGHT = 3
#: Language code of a text without letters.
UNDETERMINED = "und"

_SCRIPTS: dict[str, re.Pattern[str]] = {
    "latin": re.compile(r"[A-Za-z\u00C0-\u024F]"),
    "cyrillic": re.compile(r"[\u0400-\u04FF]"),
    "han": re.compile(r"[\u3400-\u4DBF\u4E00-\u9FFF\uF900-\uFAFF]"),
    "kana": re.compile(r"[\u3040-\u30FF]"),
    "hangul": re.compile(r"[\uAC00-\uD7AF]"),
}
_UKRAINIAN = re.compile(r"[іїєґІЇЄҐ]")
# Noise written in Latin letters whatever the language: links (with or without a scheme),
# @handles, the retweet marker; hashtags are kept apart as a last resort.
_URL = re.compile(r"(?:https?://|www\.)\S+|\b[\w-]+(?:\.[\w-]+)*\.(?:com|ru|cn|co|ly|me|io)/\S*")
_HANDLE = re.compile(r"(?<![\w.])@\w+")
_RETWEET = re.compile(r"(?<!\w)(?:RT|MT|via)(?=\s*[@:])", re.IGNORECASE)
_HASHTAG = re.compile(r"(?<![\w&])#(\w+)")
# Emoji and pictographs, variation selectors and the zero-width joiner.
_EMOJI = re.compile(
    "[\U0001f000-\U0001faff\u2600-\u27bf\u2b00-\u2bff\ufe0e\ufe0f\u200d\U000e0020-\U000e007f]"
)


@lru_cache(maxsize=1)
def _langid() -> Any:
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    model = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    model.set_languages(list(LATIN_LANGUAGES))
    return model


def script_counts(text: str) -> dict[str, int]:
    """Return the weighted letter count of each script in ``text``.

    Example:
        >>> script_counts("Hi 你好")
        {'latin': 2, 'cyrillic': 0, 'han': 6, 'kana': 0, 'hangul': 0}
    """
    counts = {name: len(rx.findall(text)) for name, rx in _SCRIPTS.items()}
    counts["han"] *= HAN_WEIGHT
    return counts


def strip_noise(text: str) -> str:
    """Return ``text`` without URLs, @handles, hashtags, RT markers and emoji.

    When nothing with letters is left, the hashtags' words are returned instead (a post that
    is only ``@shop #сбербанк`` is still Russian).

    Example:
        >>> strip_noise("RT @user: сбербанк опять http://t.co/x8KqP2 #fail 😡")
        ': сбербанк опять'
    """
    kept = _URL.sub(" ", text)
    kept = _HANDLE.sub(" ", kept)
    kept = _RETWEET.sub(" ", kept)
    tags = " ".join(_HASHTAG.findall(kept)).replace("_", " ")
    kept = _EMOJI.sub(" ", _HASHTAG.sub(" ", kept))
    kept = " ".join(kept.split())
    if not any(rx.search(kept) for rx in _SCRIPTS.values()):
        return tags
    return kept


def normalise_noise(text: str) -> str:
    """Return ``text`` ready for a sentiment model, emoji kept (they carry feeling).

    Links and retweet markers are dropped, ``@handles`` become ``@user`` and hashtags words.

    Example:
        >>> normalise_noise("RT @united: delayed again http://t.co/x8 #fail 😡")
        '@user: delayed again fail 😡'
    """
    kept = _URL.sub(" ", text)
    kept = _RETWEET.sub(" ", kept)
    kept = _HANDLE.sub("@user", kept)
    kept = _HASHTAG.sub(lambda m: m.group(1).replace("_", " "), kept)
    return " ".join(kept.split())


def detect_one(text: str) -> tuple[str, bool]:
    """Return ``(language, mixed)`` of one cleaned text, social-media noise removed first.

    Example:
        >>> detect_one("Доставка быстрая, thanks!")
        ('ru', True)
    """
    text = strip_noise(text)
    counts = script_counts(text)
    total = sum(counts.values())
    if total == 0:
        return UNDETERMINED, False
    # Japanese writes kanji (Han) and kana together: one script for the mixed flag.
    merged = {**counts, "han": counts["han"] + counts["kana"], "kana": 0}
    ranked = sorted(merged.items(), key=lambda kv: kv[1], reverse=True)
    script = ranked[0][0]
    mixed = ranked[1][1] >= MIXED_SHARE * total
    if script == "han":
        language = "ja" if counts["kana"] else "zh"
    elif script == "hangul":
        language = "ko"
    elif script == "cyrillic":
        language = "uk" if _UKRAINIAN.search(text) else "ru"
    else:
        code, confidence = _langid().classify(text)
        language = code if confidence >= MIN_CONFIDENCE else "en"
    return language, bool(mixed)


def detect_language(texts: Iterable[object]) -> pd.DataFrame:
    """Detect the language of every text, one row per text in the input order.

    Args:
        texts: str, bytes (UTF-8) or None; bad input is handled as in :mod:`cxlens.text.clean`.

    Returns:
        A DataFrame with ``language`` (ISO 639-1 code, ``"und"`` when the text has no
        letters), ``mixed`` (a second script holds at least 20% of the letters) and
        ``status`` (see :mod:`cxlens.text.clean`).

    Example:
        >>> texts = ["Great support", "Отличная связь", "物流很快", "🙂"]
        >>> detect_language(texts)["language"].tolist()
        ['en', 'ru', 'zh', 'und']
    """
    cleaned = clean(texts)
    rows = [detect_one(c.text) for c in cleaned]
    return pd.DataFrame(
        {
            "language": [r[0] for r in rows],
            "mixed": [r[1] for r in rows],
            "status": [c.status for c in cleaned],
        }
    )
