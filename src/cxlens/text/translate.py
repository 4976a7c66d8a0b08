"""Theme labels in the report's language, by a keyword map the user gives.

Theme labels are words and short phrases in the comments' own language ("выставления
счетов", "网络很稳定"). A keyword map (:class:`LabelMap`) lists, per source language, a word
or phrase and its translation; :func:`translate_label` replaces every word of a label found
in it and keeps the others as written, listing them. Words are matched as themes count them
(:func:`cxlens.text.tokenize.word_spans`): English singulars, Russian pymorphy3 lemmas
("счетов" matches "счёт"), Chinese jieba words; a multi-word entry ("выставление счетов")
wins over its words. Nothing is translated by guess: a word not in the map stays.

The map is saved in the workspace (table ``theme_label_map``), so the themes pass, the report
and every later call show the same translations.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from cxlens.display import language_name
from cxlens.errors import ArgumentError
from cxlens.store.catalog import Catalog
from cxlens.store.query import run
from cxlens.text.discover import MIXED, mixed_marker
from cxlens.text.tokenize import word_spans

#: Table the workspace's label map is saved under.
LABEL_MAP_TABLE = "theme_label_map"
#: Columns of a label map (a CSV may leave ``language`` out when one language is given).
MAP_COLUMNS: tuple[str, ...] = ("language", "source", "target")
#: Longest entry, in words, matched as one phrase.
MAX_PHRASE_WORDS = 6
#: Languages written without spaces between words (a translated word gets spaces around it).
_UNSPACED = ("zh", "ja")


@dataclass(frozen=True)
class LabelMap:
    """Source word or phrase -> translation, per source language, into one language.

    Attributes:
        words: ``language, source, target`` rows (one per language and source).
        into: the language translated into (labels already in it are left as they are).
    """

    words: pd.DataFrame
    into: str = "en"

    def entries(self, language: str) -> dict[tuple[str, ...], str]:
        """Return ``{units of the source: target}`` of one language (see :func:`units`).

        Example:
            >>> m = read_label_map({"ru": {"счёт": "bill"}})
            >>> m.entries("ru")
            {('счет',): 'bill'}
        """
        part = self.words[self.words["language"] == language]
        return {
            units(s, language): str(t)
            for s, t in zip(part["source"], part["target"], strict=True)
            if units(s, language)
        }


def units(text: str, language: str) -> tuple[str, ...]:
    """Return the words of ``text`` as a label map compares them.

    A word's theme key (English singular, Russian lemma, Chinese word) where it has one,
    else the word in lower case (function words and negators: "не", "很", "no").

    Example:
        >>> units("Выставления счетов", "ru"), units("Outages", "en")
        (('выставление', 'счет'), ('outage',))
    """
    return tuple(
        key or text[start:end].lower() for start, end, key, _ in word_spans(text, language)
    )


def read_label_map(spec: object, into: str = "en") -> LabelMap:
    """Return a :class:`LabelMap` from a dict, a CSV path or a dict of CSV paths.

    Args:
        spec: ``{language: {source: target}}``; a CSV file with columns ``language,
            source, target``; ``{language: CSV file with source, target}``; or a LabelMap.
        into: the language the map translates into (default English, the report's).

    Raises:
        ArgumentError: a missing file, a missing column, an empty source or target (with
            file and row), or one source given two different targets.

    Example:
        >>> read_label_map({"zh": {"网络": "network"}}).words.to_dict("records")
        [{'language': 'zh', 'source': '网络', 'target': 'network'}]
    """
    if isinstance(spec, LabelMap):
        return spec
    if isinstance(spec, str | Path):
        frame = _read_csv(Path(spec), None)
    elif isinstance(spec, Mapping):
        parts = []
        for language, words in spec.items():
            if isinstance(words, str | Path):
                parts.append(_read_csv(Path(words), str(language)))
            elif isinstance(words, Mapping):
                parts.append(
                    pd.DataFrame(
                        {
                            "language": str(language),
                            "source": list(words.keys()),
                            "target": list(words.values()),
                            "where": f"language {language!r}",
                        }
                    )
                )
            else:
                raise ArgumentError(
                    f"label map entry for {language!r} must be a dict {{source: target}} or "
                    f"a CSV path, not {type(words).__name__}"
                )
        frame = pd.concat(parts, ignore_index=True) if parts else _empty()
    else:
        raise ArgumentError(
            "a label map is a dict {language: {source: target}}, a CSV path (language, source, "
            f"target) or a dict {{language: CSV path}}, not {type(spec).__name__}"
        )
    return LabelMap(_checked(frame), into)


def _empty() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype=object) for c in (*MAP_COLUMNS, "where")})


def _read_csv(path: Path, language: str | None) -> pd.DataFrame:
    """Read a map file; ``where`` says file and line of each row for the error messages."""
    if not path.is_file():
        raise ArgumentError(f"label map file {path} does not exist")
    frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    frame.columns = [str(c).strip().lower() for c in frame.columns]
    needed = ([] if language else ["language"]) + ["source", "target"]
    missing = [c for c in needed if c not in frame.columns]
    if missing:
        raise ArgumentError(
            f"label map file {path} has no column(s) {', '.join(missing)} (it has "
            f"{', '.join(frame.columns)}); write a header row: "
            + ("source,target" if language else "language,source,target")
        )
    if language:
        frame["language"] = language
    frame["where"] = [f"{path}, line {i + 2}" for i in range(len(frame))]
    return frame[[*MAP_COLUMNS, "where"]]


def _checked(frame: pd.DataFrame) -> pd.DataFrame:
    """Return the map's rows, stripped; refuse empty cells and conflicting targets."""
    frame = frame.assign(**{c: frame[c].map(lambda v: str(v).strip()) for c in MAP_COLUMNS})
    for column in MAP_COLUMNS:
        empty = frame[frame[column] == ""]
        if len(empty):
            raise ArgumentError(
                f"label map: empty {column} at {empty['where'].iloc[0]}; every row needs a "
                "language, a source word or phrase and its translation"
            )
    frame = frame.drop_duplicates(list(MAP_COLUMNS))
    clash = frame[frame.duplicated(["language", "source"], keep=False)]
    if len(clash):
        first = clash.iloc[0]
        rows = clash[
            (clash["language"] == first["language"]) & (clash["source"] == first["source"])
        ]
        raise ArgumentError(
            f"label map: {first['source']!r} ({first['language']}) has two translations, "
            f"{' and '.join(repr(t) for t in rows['target'])} ({'; '.join(rows['where'])}); "
            "keep one"
        )
    return frame[list(MAP_COLUMNS)].reset_index(drop=True)


def theme_name(theme: Mapping[str, object], into: str = "en") -> str:
    """Return a theme's name for a reader of ``into`` (the report's language, English).

    Its label as its members write it in ``into`` when it has a cluster there that is a
    topic (customers' own words, no translation needed); else its label as the label map
    translated it (``label_translated``); else its label as written.

    Example:
        >>> theme_name({"label": "Цены кусаются",
        ...             "labels": {"ru": "Цены кусаются", "en": "Way overpriced"}})
        'Way overpriced'
        >>> theme_name({"label": "Цены кусаются", "label_translated": "Prices bite"})
        'Prices bite'
        >>> theme_name({"label": "Цены кусаются", "labels": {"en": "Mixed: hi"}})
        'Цены кусаются'
    """
    labels = theme.get("labels")
    own = labels.get(into) if isinstance(labels, Mapping) else None
    if isinstance(own, str) and own and mixed_marker(own) is None:
        return own
    translated = theme.get("label_translated")
    if isinstance(translated, str) and translated:
        return translated
    return str(theme["label"])


def theme_names(themes: pd.DataFrame, into: str = "en") -> list[str]:
    """Return each theme's name for a client, in row order, no two alike.

    The one home of the names a client reads (report tables and charts, the summary, the
    dashboard): each is :func:`theme_name`; themes that would share one are told apart in
    client words, never by their id. Where the same-named themes' comments are in different
    languages, each gets its languages' names ("Slow internet (Russian, English)"); else the
    second and later in row order get their rank ("Slow internet (2)"). Name a table once,
    whole, and show any part of it by these names, so a theme reads the same everywhere.

    Example:
        >>> theme_names(pd.DataFrame({"label": ["Outage", "Outage", "Outage", "Billing"],
        ...     "languages": [["en"], ["ru"], ["en"], ["en"]]}))
        ['Outage', 'Outage (2)', 'Outage (3)', 'Billing']
        >>> theme_names(pd.DataFrame({"label": ["Outage", "Outage"],
        ...     "languages": [["en"], ["ru", "en"]]}))
        ['Outage (English)', 'Outage (Russian, English)']
    """
    rows = themes.to_dict("records")
    names = [theme_name(r, into) for r in rows]
    seen: dict[str, list[int]] = {}
    for i, name in enumerate(names):
        seen.setdefault(name, []).append(i)
    out = list(names)
    for name, where in seen.items():
        if len(where) < 2:
            continue
        tags = [_languages_named(rows[i]) for i in where]
        if all(tags) and len(set(tags)) == len(tags):
            for i, tag in zip(where, tags, strict=True):
                out[i] = f"{name} ({tag})"
        else:
            for rank, i in enumerate(where[1:], start=2):
                out[i] = f"{name} ({rank})"
    return _unique(out)


def _languages_named(theme: Mapping[str, object]) -> str:
    """Return the names of a theme's languages ("Russian, English"); "" if one is unknown."""
    codes = theme.get("languages")
    if isinstance(codes, str) or not hasattr(codes, "__len__") or not len(codes):  # NaN, None
        labels = theme.get("labels")
        codes = list(labels) if isinstance(labels, Mapping) and labels else [theme.get("language")]
    named = [language_name(c) for c in codes]  # type: ignore[union-attr]
    return ", ".join(n for n in named if n) if all(named) else ""


def _unique(names: list[str]) -> list[str]:
    """Return names with any still alike (a tag that made a clash) ranked, as above."""
    counts = Counter(names)
    if max(counts.values(), default=1) < 2:
        return names
    taken: dict[str, int] = {}
    out = []
    for name in names:
        taken[name] = taken.get(name, 0) + 1
        out.append(name if taken[name] == 1 else f"{name} ({taken[name]})")
    return _unique(out)


def translate_label(label: str, language: str, label_map: LabelMap) -> tuple[str, list[str]]:
    """Return ``label`` translated word by word, and the words the map has no entry for.

    The longest entry of the map matching consecutive words is used; other words stay as
    written and are returned in order. A label already in ``label_map.into`` is returned as
    it is. The translation starts upper case unless the label starts lower case. The marker of
    a theme without a shared word (``discover.MIXED``: "Разное: ...") becomes the target
    language's, or English's.

    Example:
        >>> m = read_label_map({"ru": {"выставление счетов": "billing", "ошибка": "error"}})
        >>> translate_label("Ошибки выставления счетов, тариф", "ru", m)
        ('Error billing, тариф', ['тариф'])
        >>> translate_label("Разное: ошибка", "ru", m)
        ('Mixed: error', [])
    """
    if language == label_map.into or not label:
        return label, []
    if mixed_marker(label) == language:  # "Разное: билет" -> "Mixed: ticket"
        rest = label[len(MIXED[language]) + 2 :]
        into = MIXED.get(label_map.into, MIXED["en"])
        words, missing = translate_label(rest, language, label_map) if rest else ("", [])
        if not rest[:1].isupper():  # the member's words as written, not a label's capital
            words = words[:1].lower() + words[1:]
        return (f"{into}: {words}" if words else into), missing
    entries = label_map.entries(language)
    spans = word_spans(label, language)
    keys = [key or label[start:end].lower() for start, end, key, _ in spans]
    pieces: list[str] = []
    missing: list[str] = []
    cursor, i = 0, 0
    while i < len(spans):
        start = spans[i][0]
        found = None
        for n in range(min(MAX_PHRASE_WORDS, len(spans) - i), 0, -1):
            target = entries.get(tuple(keys[i : i + n]))
            if target is not None and _one_clause(label, spans[i][0], spans[i + n - 1][1]):
                found = (target, n)
                break
        pieces.append(label[cursor:start])
        if found:
            pieces.append(_spaced(found[0], language))
            i += found[1]
        else:
            word = label[start : spans[i][1]]
            pieces.append(word)
            if word not in missing:
                missing.append(word)
            i += 1
        cursor = spans[i - 1][1]
    pieces.append(label[cursor:])
    out = re.sub(r"\s+([,，、])", r"\1", " ".join("".join(pieces).split()))
    out = out.replace("，", ", ").replace("、", ", ")
    out = " ".join(out.split())
    if out and not label[:1].islower():  # labels start upper case (Chinese has no case)
        out = out[0].upper() + out[1:]
    return out, missing


def _one_clause(text: str, start: int, end: int) -> bool:
    """Return True when text[start:end] holds no comma: an entry never spans two phrases."""
    return not re.search(r"[,;，；、]", text[start:end])


def _spaced(target: str, language: str) -> str:
    """Return the translation, with spaces around it among words written without spaces."""
    return f" {target} " if language in _UNSPACED else target


def translate_themes(themes: pd.DataFrame, label_map: LabelMap | None) -> pd.DataFrame:
    """Return the themes table with its labels translated by ``label_map``.

    Adds ``label_translated`` (the label of the theme's largest language), ``labels_translated``
    (per language) and ``untranslated`` (the label words without an entry, in order; kept as
    written). Without a map the three are missing (None, {} and []).

    Example:
        >>> t = pd.DataFrame({"label": ["网络很稳定"], "language": ["zh"],
        ...                   "labels": [{"zh": "网络很稳定"}]})
        >>> m = read_label_map({"zh": {"网络": "network", "稳定": "stable"}})
        >>> translate_themes(t, m)[["label_translated", "untranslated"]].iloc[0].tolist()
        ['Network 很 stable', ['很']]
    """
    out = themes.copy()
    if label_map is None or label_map.words.empty:
        out["label_translated"] = None
        out["labels_translated"] = [{} for _ in range(len(out))]
        out["untranslated"] = [[] for _ in range(len(out))]
        return out
    translated, missing = [], []
    for labels in out["labels"]:
        done = {lang: translate_label(str(text), lang, label_map) for lang, text in labels.items()}
        translated.append({lang: t for lang, (t, _) in done.items()})
        missing.append(list(dict.fromkeys(w for _, words in done.values() for w in words)))
    out["labels_translated"] = translated
    out["label_translated"] = [
        t.get(lang, label)
        for t, lang, label in zip(translated, out["language"], out["label"], strict=True)
    ]
    out["untranslated"] = missing
    return out


def untranslated_words(themes: pd.DataFrame) -> pd.DataFrame:
    """Return the label words the map has no entry for: ``language, word, themes``.

    One row per language and word, with the number of theme labels that hold it; most
    themes first. Empty when nothing is missing (or no map is set).

    Example:
        >>> t = pd.DataFrame({"labels": [{"zh": "网络很稳定"}, {"zh": "很慢"}],
        ...                   "language": ["zh", "zh"], "label": ["网络很稳定", "很慢"]})
        >>> m = read_label_map({"zh": {"网络": "network", "稳定": "stable", "慢": "slow"}})
        >>> untranslated_words(translate_themes(t, m)).to_dict("records")
        [{'language': 'zh', 'word': '很', 'themes': 2}]
    """
    rows = []
    for labels, words in zip(themes["labels"], themes.get("untranslated", []), strict=False):
        for word in words:
            for lang, text in labels.items():
                if word in text:
                    rows.append((lang, word))
                    break
    frame = pd.DataFrame(rows, columns=["language", "word"])
    if frame.empty:
        return frame.assign(themes=pd.Series(dtype="int64"))
    counted = frame.value_counts(["language", "word"]).rename("themes").reset_index()
    return counted.sort_values(
        ["themes", "language", "word"], ascending=[False, True, True], ignore_index=True
    )


def save_label_map(ws: Catalog, spec: object, into: str = "en") -> LabelMap:
    """Save a label map in the workspace (``theme_label_map``); later themes use it.

    Returns:
        The map as read (:func:`read_label_map`).

    Example:
        >>> save_label_map(ws, {"ru": {"счёт": "bill"}}).words["target"].tolist()  # doctest: +SKIP
        ['bill']
    """
    label_map = read_label_map(spec, into)
    ws.save_table(LABEL_MAP_TABLE, label_map.words.assign(into=label_map.into))
    return label_map


def saved_label_map(ws: Catalog) -> LabelMap | None:
    """Return the workspace's saved label map, None when there is none.

    Example:
        >>> saved_label_map(ws)  # doctest: +SKIP
    """
    if not ws.has_table(LABEL_MAP_TABLE):
        return None
    frame = run(ws.table(LABEL_MAP_TABLE), "the saved theme label map")
    into = str(frame["into"].iloc[0]) if len(frame) else "en"
    return LabelMap(frame[list(MAP_COLUMNS)].reset_index(drop=True), into)


def report_language(ws: Catalog) -> str:
    """Return the language the report names themes in: its label map's, else English.

    The saved label map (:func:`saved_label_map`) translates labels into one language; the
    report names each theme in that language (:func:`theme_names`), English without a map.

    Example:
        >>> import cxlens
        >>> report_language(cxlens.Workspace(":memory:"))
        'en'
    """
    label_map = saved_label_map(ws)
    return "en" if label_map is None else label_map.into
