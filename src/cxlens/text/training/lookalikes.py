"""Real words one edit from a problem word: the list a typo is checked against.

:func:`cxlens.text.sentiment_model.typo_of` reads a word one edit from a problem form
("ouages": outages) as that problem word, unless the word is real: in the language's
dictionary (English: pyspellchecker's word list, OpenSubtitles frequencies, MIT; Russian:
pymorphy3's OpenCorpora dictionary) or frequent in its training texts (at least
:data:`FREQUENT` times: a "typo" that many writers share is a word, slang or a name). The
list is written to :data:`cxlens.text.sentiment_model.LOOKALIKES_FILE` by ``python -m
cxlens.text.training.lookalikes DATA_DIR``; no label is read, and no test text.

Example:
    >>> "tissue" in dictionary_lookalikes("en")
    True
"""

from __future__ import annotations

import re
import string
import sys
from collections import Counter
from collections.abc import Iterable

from cxlens.text.language import normalise_noise
from cxlens.text.sentiment_model import (
    LOOKALIKES_FILE,
    MIN_TYPO_LETTERS,
    PROBLEM_FORMS,
    PROBLEM_WORDS,
    one_edit_apart,
)

#: A word seen at least this many times in a language's training texts is a word, not a typo.
FREQUENT = 3
#: The letters a one-edit neighbour of a problem form is spelt with, per language.
ALPHABETS: dict[str, str] = {
    "en": string.ascii_lowercase,
    "ru": "абвгдеёжзийклмнопрстуфхцчшщъыьэюя",
}
WORD = re.compile(r"\w+")


def neighbours(language: str) -> set[str]:
    """Return every string one edit from a problem form of ``language`` that is no problem word.

    (Forms of at least :data:`MIN_TYPO_LETTERS` letters; edits with the language's letters.)

    Example:
        >>> {"ouages", "outrage"} <= neighbours("en")
        True
    """
    letters = ALPHABETS[language]
    out: set[str] = set()
    for form in PROBLEM_FORMS[language]:
        if len(form) < MIN_TYPO_LETTERS:
            continue
        for i in range(len(form) + 1):
            out.update(form[:i] + c + form[i:] for c in letters)
            if i < len(form):
                out.add(form[:i] + form[i + 1 :])
                out.update(form[:i] + c + form[i + 1 :] for c in letters)
            if i < len(form) - 1:
                out.add(form[:i] + form[i + 1] + form[i] + form[i + 2 :])
    return {w for w in out if not re.fullmatch(PROBLEM_WORDS[language], w, re.I)}


def is_neighbour(word: str, language: str) -> bool:
    """Return True when ``word`` is one edit from a problem form and no problem word itself.

    Example:
        >>> is_neighbour("tissue", "en"), is_neighbour("issue", "en")
        (True, False)
    """
    if re.fullmatch(PROBLEM_WORDS[language], word, re.I):
        return False
    return any(
        one_edit_apart(word, form)
        for form in PROBLEM_FORMS[language]
        if len(form) >= MIN_TYPO_LETTERS
    )


def dictionary_lookalikes(language: str) -> set[str]:
    """Return the problem forms' one-edit neighbours that the language's dictionary knows."""
    if language == "en":
        from spellchecker import SpellChecker

        known = SpellChecker(language="en").word_frequency.dictionary
        return {w for w in neighbours(language) if w in known}
    import pymorphy3

    morph = pymorphy3.MorphAnalyzer()
    return {w for w in neighbours(language) if morph.word_is_known(w)}


def frequent_lookalikes(texts: Iterable[str], language: str) -> set[str]:
    """Return the words seen at least :data:`FREQUENT` times in ``texts`` one edit from a form.

    Example:
        >>> sorted(frequent_lookalikes(["outgae", "outgae!", "Outgae", "ouage"], "en"))
        ['outgae']
    """
    counts = Counter(w for t in texts for w in WORD.findall(normalise_noise(t).lower()))
    return {w for w, n in counts.items() if n >= FREQUENT and is_neighbour(w, language)}


def lookalike_lines(folder: str) -> list[str]:
    """Return the lines of :data:`cxlens.text.sentiment_model.LOOKALIKES_FILE`, sorted.

    Per language of :data:`cxlens.text.sentiment_model.PROBLEM_FORMS`: its dictionary's
    lookalikes and the frequent ones of its training texts in ``folder``.
    """
    from cxlens.text.training.sets import load_sets

    frame = load_sets(folder)
    train = frame[frame["split"] == "train"]
    lines = []
    for language in sorted(PROBLEM_FORMS):
        texts = train.loc[train["language"] == language, "text"]
        words = dictionary_lookalikes(language) | frequent_lookalikes(texts, language)
        lines += [f"{language} {w}" for w in sorted(words)]
    return lines


if __name__ == "__main__":
    written = lookalike_lines(sys.argv[1])
    LOOKALIKES_FILE.write_text("\n".join(written) + "\n", encoding="utf-8")
    print(f"{len(written)} lookalikes written to {LOOKALIKES_FILE}")
