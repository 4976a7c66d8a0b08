"""PII redaction before texts are shown in reports or quotes: emails, phones, cards, names.

* ``[EMAIL]``: addresses like ``name@host.tld``.
* ``[CARD]``: 13-19 digits (spaces or dashes allowed) that pass the Luhn check, so order and
  tracking numbers are left alone.
* ``[PHONE]``: digit runs that the ``phonenumbers`` library (Google's libphonenumber data)
  accepts as a valid number, international (``+7``, ``+86``, ``+44``...) or national in
  :data:`REGIONS` (US, RU, CN, GB, DE by default).
* ``[NAME]``: person names, found three ways: a capitalised word right after a greeting,
  introduction or sign-off cue ("Dear", "my name is", "Regards,", "меня зовут",
  "С уважением,", "我叫"...); capitalised first names and surnames from the name lists in
  :mod:`cxlens.sample.names` (English, Russian in both scripts, Chinese pinyin), with the
  Russian case endings; Russian words pymorphy3 tags as first name, surname or patronymic;
  Chinese surname + given name from the lists. Names not in the lists and without a cue
  are missed; docs/text.md gives the recall measured.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from functools import lru_cache
from typing import Any

import pandas as pd

from cxlens.errors import ArgumentError
from cxlens.sample import names as name_lists
from cxlens.text.clean import clean, clean_one
from cxlens.text.quote import is_quote_of

KINDS: tuple[str, ...] = ("email", "phone", "card", "name")
TAGS: dict[str, str] = {"email": "[EMAIL]", "phone": "[PHONE]", "card": "[CARD]", "name": "[NAME]"}
#: Regions whose national phone formats are recognised without a "+" prefix.
REGIONS: tuple[str, ...] = ("US", "RU", "CN", "GB", "DE")

_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)*\.[A-Za-z]{2,}")
_CARD = re.compile(r"(?<![\d+])(?:\d[ -]?){12,18}\d(?!\d)")
# No letter or digit of a Latin word right before (Chinese text has no spaces before numbers).
_PHONE = re.compile(r"(?<![\dA-Za-z+])(?:\+|00)?\(?\d[\d\s().-]{5,18}\d(?!\d)")
_WORD = r"[A-ZА-ЯЁ][a-zа-яё]+(?:-[A-ZА-ЯЁ][a-zа-яё]+)?"
_CUES = (
    r"(?:[Dd]ear|[Hh]i|[Hh]ello|[Hh]ey|[Tt]hanks|[Tt]hank you|[Rr]egards|[Cc]heers|"
    r"[Ss]incerely|[Bb]est|[Mm]y name is|[Tt]his is|[Ss]poke (?:to|with)|[Aa]gent|"
    r"[Зз]дравствуйте|[Дд]обрый день|[Пп]ривет|[Сс]пасибо|[Сс] уважением|[Мм]еня зовут|"
    r"[Оо]ператор\w*|[Мм]енеджер\w*|[Сс]отрудни(?:к|ц)\w*|[Кк]онсультант\w*|[Уу]важаем\w+)"
)


@lru_cache(maxsize=1)
def _name_words() -> frozenset[str]:
    """Lower-case first names and surnames of the shipped lists, with Russian case forms."""
    words: set[str] = set(n.lower() for n in (*name_lists.EN_FIRST, *name_lists.EN_LAST))
    for cyr, lat, lat2, _ in name_lists.RU_FIRST:
        words |= {cyr.lower(), lat.lower(), lat2.lower()}
        words |= {form.word for form in _morph().parse(cyr.lower())[0].lexeme}  # Анне, Ивану
    for cyr, lat, lat2 in name_lists.RU_LAST:
        base = cyr.lower()
        words |= {lat.lower(), lat2.lower(), lat.lower() + "a", lat2.lower() + "a"}
        words |= {base + end for end in ("", "а", "у", "ым", "е", "ой", "ым", "ых", "ого", "ому")}
    for _, pinyin in (*name_lists.ZH_LAST, *name_lists.ZH_FIRST):
        words.add(pinyin.lower())
    return frozenset(words)


@lru_cache(maxsize=1)
def _chinese_name() -> re.Pattern[str]:
    surnames = "".join(h for h, _ in name_lists.ZH_LAST)
    given = "|".join(sorted((h for h, _ in name_lists.ZH_FIRST), key=len, reverse=True))
    cue = r"(?<=我叫|我是|客服|经理|先生|女士|姓名)"
    # after a cue, a name is a listed surname and one or two more characters ("客服很差" is no name)
    return re.compile(rf"[{surnames}](?:{given})|{cue}[{surnames}][\u4e00-\u9fff]{{1,2}}")


_CUE_NAME = re.compile(rf"\b{_CUES},?:?\s+({_WORD}(?:\s+{_WORD}){{0,2}})")
_CAPITALISED = re.compile(_WORD)


@lru_cache(maxsize=1)
def _morph() -> Any:
    import pymorphy3

    return pymorphy3.MorphAnalyzer()


@lru_cache(maxsize=50_000)
def _is_russian_name(word: str) -> bool:
    parse = _morph().parse(word)[0]
    return parse.score >= 0.5 and bool({"Name", "Surn", "Patr"} & parse.tag.grammemes)


def _luhn(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def _valid_phone(candidate: str) -> bool:
    import phonenumbers

    digits = re.sub(r"\D", "", candidate)
    if not 7 <= len(digits) <= 15:
        return False
    text = "+" + candidate.lstrip()[2:] if candidate.lstrip().startswith("00") else candidate
    international = text.lstrip().startswith("+")
    # A bare digit run ("order 20240611") is more likely an id than a phone unless it has the
    # length of a full national number (10 in the US, 11 in Russia with 8, China's mobiles).
    bare = not re.search(r"[\s().-]", candidate.strip())
    if not international and bare and len(digits) not in (10, 11):
        return False
    regions = (None,) if international else REGIONS
    for region in regions:
        try:
            number = phonenumbers.parse(text, region)
        except phonenumbers.NumberParseException:
            continue
        if phonenumbers.is_valid_number(number):
            return True
    return False


def _name_spans(text: str) -> list[tuple[int, int]]:
    spans = [m.span(1) for m in _CUE_NAME.finditer(text)]
    spans += [m.span() for m in _chinese_name().finditer(text)]
    listed = _name_words()
    for m in _CAPITALISED.finditer(text):
        word = m.group()
        if word.lower() in listed:
            spans.append(m.span())
        elif "А" <= word[0] <= "Я" or word[0] == "Ё":
            # a capitalised Cyrillic word pymorphy3 knows as a name, not first in its sentence
            before = text[: m.start()].rstrip()
            if before and before[-1] not in ".!?" and _is_russian_name(word):
                spans.append(m.span())
    return spans


def redact_one(text: str, kinds: Iterable[str] = KINDS) -> tuple[str, dict[str, int]]:
    """Return ``text`` with PII replaced by tags, and the count replaced of each kind.

    Example:
        >>> redact_one("Mail me at ann@example.com, Anna")[0]
        'Mail me at [EMAIL], [NAME]'
    """
    kinds = set(kinds)
    counts = dict.fromkeys(KINDS, 0)
    if "email" in kinds:
        text, counts["email"] = _EMAIL.subn(TAGS["email"], text)

    def card(m: re.Match[str]) -> str:
        digits = re.sub(r"\D", "", m.group())
        if 13 <= len(digits) <= 19 and _luhn(digits):
            counts["card"] += 1
            return TAGS["card"]
        return m.group()

    def phone(m: re.Match[str]) -> str:
        if _valid_phone(m.group()):
            counts["phone"] += 1
            return TAGS["phone"]
        return m.group()

    if "card" in kinds:
        text = _CARD.sub(card, text)
    if "phone" in kinds:
        text = _PHONE.sub(phone, text)
    if "name" in kinds:
        spans = sorted(set(_name_spans(text)))
        merged: list[list[int]] = []
        for start, end in spans:
            # overlapping spans, or spans only whitespace apart ("Ivan" + "Petrov"), join
            touching = merged and text[merged[-1][1] : start].strip() == ""
            if merged and (start < merged[-1][1] or touching):
                merged[-1][1] = max(merged[-1][1], end)
            else:
                merged.append([start, end])
        for start, end in reversed(merged):
            text = text[:start] + TAGS["name"] + text[end:]
        counts["name"] = len(merged)
    return text, counts


def redact(texts: Iterable[object], kinds: Iterable[str] = KINDS) -> list[str]:
    """Return every text with emails, phone numbers, card numbers and names replaced by tags.

    Args:
        texts: str, bytes (UTF-8, bad bytes replaced) or None (returned as "").
        kinds: which of "email", "phone", "card", "name" to redact.

    Returns:
        One redacted string per input, in order.

    Example:
        >>> redact(["Call +7 916 123-45-67 or mail ivan@mail.ru. Regards, Ivan Petrov"])
        ['Call [PHONE] or mail [EMAIL]. Regards, [NAME]']
    """
    return redact_frame(texts, kinds)["text"].tolist()


def redact_frame(texts: Iterable[object], kinds: Iterable[str] = KINDS) -> pd.DataFrame:
    """Redact every text and count what was replaced.

    Returns:
        A DataFrame, one row per input in order: ``text`` (redacted), ``email``, ``phone``,
        ``card``, ``name`` (how many of each were replaced).

    Example:
        >>> redact_frame(["card 4111 1111 1111 1111, order 1234567812345678"])["card"].tolist()
        [1]
    """
    kinds = tuple(kinds)
    unknown = set(kinds) - set(KINDS)
    if unknown:
        raise ArgumentError(f"unknown PII kinds {sorted(unknown)}; choose among {list(KINDS)}")
    rows = []
    for value in texts:
        text, counts = redact_one(clean_one(value, max_chars=10**9).text, kinds)
        rows.append({"text": text, **counts})
    return pd.DataFrame(rows, columns=["text", *KINDS])


def quote_forms(comments: Iterable[str]) -> set[str]:
    """Return the forms ``comments`` take as quotes in derived tables: cleaned, then redacted.

    :func:`quote_match` finds a customer's comments among the quotes a theme table keeps.

    Example:
        >>> sorted(quote_forms(["Call Anna on +44 20 7946 0018"]))
        ['Call [NAME] on [PHONE]']
    """
    comments = list(comments)
    cleaned = [c.text for c in clean(comments) if c.text]
    return set(redact(cleaned)) | set(redact(comments))


def quote_match(comments: Iterable[str]) -> Callable[[str], bool]:
    """Return a test of whether a quote in a derived table is one of ``comments``.

    Whole or cut (:func:`cxlens.text.quote.is_quote_of`), in any of the forms
    :func:`quote_forms` gives. The Workspace passes it to erasure.

    Example:
        >>> theirs = quote_match(["Call Anna on +44 20 7946 0018. " + "Slow. " * 60])
        >>> theirs("Call [NAME] on [PHONE]. Slow. Slow.…"), theirs("Slow internet")
        (True, False)
    """
    forms = quote_forms(comments)
    return lambda quote: is_quote_of(quote, forms)
