"""A user-defined code frame: themes assigned by matching keywords or patterns, not discovered.

A code frame maps each theme to what marks it, for every language or per language::

    {"billing": ["invoice", "charged twice", "re:over-?charg"],
     "support": {"en": ["support", "agent"], "ru": ["поддержка", "оператор"], "zh": ["客服"]}}

An entry starting ``re:`` is a regular expression searched (case-insensitive) in the text.
Any other entry is a keyword matched on theme tokens (:func:`cxlens.text.tokenize.tokens`),
so "invoice" matches "invoices" and "счёт" matches "счета"; a several-word entry matches the
same tokens in a row. Chinese entries are searched as substrings. A match gives weight 1.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from cxlens.errors import ArgumentError
from cxlens.text.aspects import GENERAL
from cxlens.text.discover import ASSIGN_COLUMNS, THEME_COLUMNS
from cxlens.text.tokenize import tokens

CodeFrameSpec = Mapping[str, Sequence[str] | Mapping[str, Sequence[str]]]
_ALL = "*"


class CodeFrame:
    r"""Assign comments to the themes of a user-defined code frame.

    Args:
        frame: theme -> entries, or theme -> language -> entries (see module).

    Example:
        >>> cf = CodeFrame({"billing": ["invoice", "re:charged +twice"]}).fit()
        >>> texts = ["Two invoices!", "I was charged  twice", "fine"]
        >>> cf.transform(texts, ["en"] * 3)["row"].tolist()
        [0, 1]
    """

    def __init__(self, frame: CodeFrameSpec) -> None:
        self.frame = frame

    def fit(self, texts: Sequence[str] | None = None, languages: Sequence[str] | None = None):
        """Check and compile the frame; return self (nothing is learnt from the texts)."""
        if not isinstance(self.frame, Mapping) or not self.frame:
            raise ArgumentError(
                "a code frame must be a non-empty dict {theme: [keywords or 're:pattern']} "
                "or {theme: {language: [...]}}"
            )
        self.rules_: dict[str, dict[str, list[object]]] = {}
        for theme, entries in self.frame.items():
            per_language = entries if isinstance(entries, Mapping) else {_ALL: entries}
            if isinstance(entries, str) or not per_language:
                raise ArgumentError(
                    f"code frame theme {theme!r} must list keywords (a list, not a string)"
                )
            compiled: dict[str, list[object]] = {}
            for lang, items in per_language.items():
                if isinstance(items, str) or not items:
                    raise ArgumentError(
                        f"code frame theme {theme!r}, language {lang!r}: give a non-empty "
                        f"list of keywords, not {items!r}"
                    )
                compiled[lang] = [_compile(theme, str(item)) for item in items]
            self.rules_[str(theme)] = compiled
        self.themes_ = pd.DataFrame(
            [
                {"theme": t, "language": "all", "label": t, "aspect": GENERAL, "keywords": [
                    str(i) for items in (e.values() if isinstance(e, Mapping) else [e])
                    for i in items
                ], "languages": sorted(e) if isinstance(e, Mapping) else ["all"], "labels": {}}
                for t, e in self.frame.items()
            ],
            columns=list(THEME_COLUMNS),
        )  # fmt: skip
        return self

    def transform(self, texts: Sequence[str], languages: Sequence[str]) -> pd.DataFrame:
        """Return one row per (comment, theme) match: ``row``, ``theme``, ``weight`` (1.0).

        Example:
            >>> CodeFrame({"price": {"ru": ["дорого"]}}).fit().transform(
            ...     ["Слишком дорого", "Too expensive"], ["ru", "en"])["row"].tolist()
            [0]
        """
        if not hasattr(self, "rules_"):
            self.fit()
        rows: list[int] = []
        themes: list[str] = []
        for i, (text, lang) in enumerate(zip(texts, languages, strict=True)):
            if not text:
                continue
            toks: list[str] | None = None
            lower = text.lower()
            for theme, per_language in self.rules_.items():
                rules = per_language.get(lang, per_language.get(_ALL, []))
                for rule in rules:
                    if isinstance(rule, re.Pattern):
                        hit = rule.search(text) is not None
                    elif lang in ("zh", "ja"):
                        hit = "".join(rule) in lower
                    else:
                        toks = tokens(text, lang) if toks is None else toks
                        hit = _contains(toks, rule)
                    if hit:
                        rows.append(i)
                        themes.append(theme)
                        break
        return pd.DataFrame(
            {"row": np.asarray(rows, dtype=np.int64), "theme": themes, "weight": 1.0},
            columns=list(ASSIGN_COLUMNS),
        )


def _compile(theme: str, item: str) -> object:
    if item.startswith("re:"):
        try:
            return re.compile(item[3:], re.IGNORECASE)
        except re.error as exc:
            raise ArgumentError(
                f"code frame theme {theme!r}: pattern {item[3:]!r} is not a valid regular "
                f"expression ({exc})"
            ) from exc
    # keywords are tokenised like the texts; a CJK keyword stays a substring
    if re.search(r"[\u3400-\u9fff]", item):
        return (item.lower(),)
    language = "ru" if re.search(r"[а-яё]", item.lower()) else "en"
    units = tuple(tokens(item, language)) or (item.lower(),)
    return units


def _contains(toks: list[str], rule: object) -> bool:
    units = tuple(rule)  # type: ignore[arg-type]
    if len(units) == 1:
        return units[0] in toks
    n = len(units)
    return any(tuple(toks[i : i + n]) == units for i in range(len(toks) - n + 1))
