"""Language of each text: script counts first, a restricted langid model for Latin script.

Cyrillic, Han, kana and Hangul letters settle most texts at once (Russian, Chinese, Japanese,
Korean); a text whose letters are mostly Latin goes to py3langid restricted to
:data:`LATIN_LANGUAGES`, falling back to English when its confidence is below
:data:`MIN_CONFIDENCE` (short replies like "bad" or "refund pls" are too short to tell).
A text is ``mixed`` when a second script holds at least :data:`MIXED_SHARE` of its letters
(one Han character counts as :data:`HAN_WEIGHT` letters, about one word); two languages in
the same script (English and French, say) are not told apart.
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


def detect_one(text: str) -> tuple[str, bool]:
    """Return ``(language, mixed)`` of one cleaned text.

    Example:
        >>> detect_one("Доставка быстрая, thanks!")
        ('ru', True)
    """
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
