"""Misspelt negated problems ("No ouages at all"): the rows the typo reading changes, measured.

:func:`cxlens.text.sentiment_model.reading_pattern` reads a problem word misspelt by one edit
as the word. :func:`typo_rule_report` measures that against the rule in docs/text.md
("Misspelt negated problems"): the training rows whose reading it changes
(:func:`newly_matched`), each scored out-of-fold as the shipped code reads it
(:func:`shipped_reading`: no typo read) and as the candidate does, by the heads of the
language's shipped recipe refitted outside the row's fold (only the folds that hold such a
row), the cascade at the shipped settings (``python -m cxlens.text.training.negation_typos
DATA_DIR``). No test row is read.

Example:
    >>> newly_matched(pd.Series(["No ouages at all.", "No outages at all.", "Outage"]), "en")
    array([ True, False, False])
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import numpy as np
import pandas as pd

from cxlens.text.language import normalise_noise
from cxlens.text.sentiment_model import (
    CLASSES,
    FAST_WEIGHT,
    FAST_WEIGHTS,
    LEXICON_WEIGHTS,
    MIN_TYPO_LETTERS,
    NEUTRAL_SHIFT,
    OWN_HEADS,
    PROBLEM_WORDS,
    e5_vectors,
    fast_features,
    lexicon_polarity,
    negated_problem_pattern,
    without_negated_problems,
)
from cxlens.text.training.choices import blended
from cxlens.text.training.folds import (
    LANGUAGES,
    all_fold_ids,
    e5_model_probabilities,
    fold_ids,
)
from cxlens.text.training.negation import E5, FAST, fast_in_fold, sign_right
from cxlens.text.training.sets import load_sets
from cxlens.text.training.train import (
    e5_cached,
    e5_training_rows,
    embed_cached,
    fast_training_rows,
    fit_e5_models,
    fit_fast_head,
    own_e5_rows,
    own_fast_rows,
)

#: The cache file the newly matched texts' readings are embedded into.
CACHE_NAME = "e5_negation_typos.npz"


def shipped_reading(text: str, language: str) -> str:
    """Return ``text`` as the code before typo tolerance read it (misspelt problems kept).

    Negated problems deleted (:func:`cxlens.text.sentiment_model.negated_problem_pattern`
    with no typos), as shipped before.

    Example:
        >>> shipped_reading("No ouages at all. No problems.", "en")
        'No ouages at all. .'
    """
    compiled = negated_problem_pattern(language)
    return text if compiled is None else compiled.sub("", text)


def newly_matched(texts: pd.Series, language: str) -> np.ndarray:
    """Return True for each text (noise-normalised) the typo reading reads differently."""
    normalised = [normalise_noise(t) for t in texts]
    return np.array(
        [shipped_reading(t, language) != without_negated_problems(t, language) for t in normalised],
        dtype=bool,
    )


def recipe_rows(frame: pd.DataFrame, language: str) -> tuple[pd.DataFrame, np.ndarray]:
    """Return the fast head's training rows of ``language``'s shipped recipe and their folds.

    (Its own rows and folds where :data:`OWN_HEADS` gives it a fast head, else every
    language's rows and :func:`cxlens.text.training.folds.all_fold_ids`; -1 outside the folds.)
    """
    if "fast" in OWN_HEADS.get(language, ()):
        rows = own_fast_rows(frame, language).reset_index(drop=True)
        return rows, fold_ids(rows, language)
    rows = fast_training_rows(frame).reset_index(drop=True)
    return rows, all_fold_ids(rows)


def e5_recipe_rows(
    frame: pd.DataFrame, language: str, text_fold: dict[str, int]
) -> tuple[pd.DataFrame, np.ndarray]:
    """Return the accurate head's training rows of ``language``'s shipped recipe, their folds.

    (As :func:`cxlens.text.training.negation.e5_fold_models` fits them: its own rows and folds,
    or the shared rows in the folds of their texts, ``text_fold``.)
    """
    if "e5" in OWN_HEADS.get(language, ()):
        rows = own_e5_rows(frame, language, True).reset_index(drop=True)
        mine = (rows["language"] == language).to_numpy()
        return rows, np.where(mine, fold_ids(rows, language), -1)
    rows = e5_training_rows(frame).reset_index(drop=True)
    return rows, rows["text"].map(text_fold).fillna(-1).to_numpy().astype(int)


def rescored(folder: str, language: str, frame: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """Return ``language``'s newly matched training rows scored out-of-fold, read both ways.

    ``shipped`` (:func:`shipped_reading`) and ``candidate``
    (:func:`cxlens.text.sentiment_model.without_negated_problems`): fast, e5 and lexicon
    columns from the heads refitted outside each row's fold (the fast head reads the
    noise-normalised text, the e5 head the raw one, as the tune's rows were scored).
    """
    cache = Path(folder) / "cache"
    rows, fold = recipe_rows(frame, language)
    mine = (rows["language"] == language).to_numpy() & (fold >= 0)
    hit = np.flatnonzero(mine & newly_matched(rows["text"], language))
    matched = rows.iloc[hit].assign(fold=fold[hit])
    if not len(matched):
        return {}
    text_fold = dict(zip(rows["text"][fold >= 0], fold[fold >= 0], strict=False))
    e5_rows, e5_fold = e5_recipe_rows(frame, language, text_fold)
    e5_of = dict(zip(e5_rows["text"], e5_fold, strict=False))
    matched_e5_fold = matched["text"].map(e5_of).fillna(matched["fold"]).to_numpy().astype(int)
    features = None
    out = {name: _with_columns(matched.copy()) for name in ("shipped", "candidate")}
    readers = {"shipped": shipped_reading, "candidate": without_negated_problems}
    for k in sorted(set(matched["fold"]) | set(matched_e5_fold)):
        if features is None:
            features = fast_features([normalise_noise(t) for t in rows["text"]])
        fast_model = fit_fast_head(rows[fold != k], features[fold != k], (), 2)
        outside = e5_fold != k
        e5_models = fit_e5_models(
            e5_rows[outside], e5_cached(e5_rows["text"][outside].tolist(), cache)
        )
        for name, read in readers.items():
            got = out[name]
            i = np.flatnonzero(matched["fold"].to_numpy() == k)
            texts = [read(normalise_noise(t), language) for t in matched["text"].iloc[i]]
            got.iloc[i, [got.columns.get_loc(c) for c in FAST]] = fast_in_fold(fast_model, texts)
            i = np.flatnonzero(matched_e5_fold == k)
            raw = [read(t, language) for t in matched["text"].iloc[i]]
            vectors = e5_vectors(raw, lambda w: embed_cached(w, cache, CACHE_NAME))
            got.iloc[i, [got.columns.get_loc(c) for c in E5]] = e5_model_probabilities(
                e5_models, vectors
            )
    for name, read in readers.items():
        texts = [read(normalise_noise(t), language) for t in matched["text"]]
        out[name]["lexicon"] = (
            lexicon_polarity(texts, language) if LEXICON_WEIGHTS.get(language) else np.nan
        )
    return out


def _with_columns(rows: pd.DataFrame) -> pd.DataFrame:
    """Return ``rows`` with empty fast, e5 and lexicon columns added where missing."""
    for column in [*FAST, *E5, "lexicon"]:
        if column not in rows:
            rows[column] = np.nan
    return rows


def shipped_settings(language: str) -> dict[str, float]:
    """Return the cascade's shipped settings of ``language`` (blend weight, shift, lexicon).

    Example:
        >>> shipped_settings("ru")
        {'weight': 0.6, 'shift': 0.0, 'lexicon': 0.2}
    """
    return {
        "weight": FAST_WEIGHTS.get(language, FAST_WEIGHT),
        "shift": NEUTRAL_SHIFT.get(language, 0.0),
        "lexicon": LEXICON_WEIGHTS.get(language, 0.0),
    }


def tune_change_nonnegative(
    shipped: str, candidate: str, label: str, shipped_right: float, candidate_right: float
) -> bool:
    """Return True when one row's move can only raise its set's sign and macro-F1.

    The row's class unchanged or moved onto its label, its sign not worse: in any resample
    that holds it, its class's true positives rise (or nothing moves) and the class it left
    loses a false positive, so no F1 falls; a sign right stays right. Where this holds for
    the only changed row, the paired intervals' lower bounds are 0 or more, computed or not.

    Example:
        >>> tune_change_nonnegative("negative", "positive", "positive", 0.0, 1.0)
        True
        >>> tune_change_nonnegative("neutral", "negative", "positive", float("nan"), 0.0)
        False
    """
    if shipped_right == 1.0 and candidate_right == 0.0:
        return False
    return candidate in (shipped, label)


def typo_rule_report(folder: str) -> dict:
    """Return, per language, the newly matched training rows and their out-of-fold readings.

    Per language: ``rows`` (training rows of its recipe), ``newly_matched``; per newly matched
    row its set, label, text, the cascade's class and score both ways, whether its sign
    worsened (right to wrong) and :func:`tune_change_nonnegative`; ``in_tune_rows`` (how many
    of them have e5 columns in the tune's rows: where none has, the tune's figures are
    unchanged, 0 [0, 0]).
    """
    frame = load_sets(folder)
    shared_e5 = set(e5_training_rows(frame)["text"])
    report: dict = {}
    for language in LANGUAGES:
        rows, fold = recipe_rows(frame, language)
        count = int(((rows["language"] == language).to_numpy() & (fold >= 0)).sum())
        scored = rescored(folder, language, frame)
        entry: dict = {"rows": count, "newly_matched": []}
        if scored:
            settings = shipped_settings(language)
            probs = {
                name: blended(_with_columns(r).reset_index(drop=True), language, **settings)[
                    "cascade"
                ]
                for name, r in scored.items()
            }
            shipped = scored["shipped"]
            labels = shipped["label"].to_numpy()
            right = {name: sign_right(p, labels) for name, p in probs.items()}
            for j, (_, row) in enumerate(shipped.iterrows()):
                entry["newly_matched"].append(
                    {
                        "set": row["set"],
                        "label": row["label"],
                        "text": row["text"],
                        "fold": int(row["fold"]),
                        **{
                            f"{name}_class": CLASSES[int(p[j].argmax())]
                            for name, p in probs.items()
                        },
                        **{
                            f"{name}_score": round(float(p[j, 2] - p[j, 0]), 4)
                            for name, p in probs.items()
                        },
                        "sign_worsened": bool(
                            right["shipped"][j] == 1.0 and right["candidate"][j] == 0.0
                        ),
                        "tune_change_nonnegative": tune_change_nonnegative(
                            *(CLASSES[int(probs[n][j].argmax())] for n in ("shipped", "candidate")),
                            str(row["label"]),
                            *(right[n][j] for n in ("shipped", "candidate")),
                        ),
                    }
                )
            entry["in_tune_rows"] = int(shipped["text"].isin(shared_e5).sum())
        report[language] = entry
        print(language, entry, flush=True)
    return report


if __name__ == "__main__":
    typo_rule_report(sys.argv[1])


def planted_typos(word: str, seed: int = 7) -> list[str]:
    """Return ``word`` misspelt four ways: a letter left out, doubled, changed, two swapped.

    Each at a seeded position inside the word (not its first letter), as typing slips.

    Example:
        >>> planted_typos("outages")
        ['outags', 'outagges', 'outapes', 'outagse']
    """
    rng = np.random.default_rng(seed)
    at = [int(rng.integers(1, len(word) - 1)) for _ in range(4)]
    letters = "abcdefghijklmnopqrstuvwxyz" if word.isascii() else "абвгдежзийклмнопрстуфхцчшщыьэюя"
    changed = next(c for c in letters[int(rng.integers(0, len(letters))) :] + letters
                   if c != word[at[2]])  # fmt: skip
    return [
        word[: at[0]] + word[at[0] + 1 :],
        word[: at[1]] + word[at[1]] + word[at[1] :],
        word[: at[2]] + changed + word[at[2] + 1 :],
        word[: at[3]] + word[at[3] + 1] + word[at[3]] + word[at[3] + 2 :],
    ]


def planted_recall(texts: list[str], language: str) -> tuple[int, int]:
    """Return (read, planted): typos planted in ``texts``' negated problem words, and read.

    A typo is read when the candidate deletes the misspelt phrase as it deletes the one
    spelt right.

    Per text, the problem word (of at least :data:`MIN_TYPO_LETTERS` letters) of its first
    negated problem (:func:`shipped_reading`'s) is misspelt by :func:`planted_typos`; a typo
    counts as read when the text then reads as the text spelt right does.

    Example:
        >>> planted_recall(["No outages at all, great."], "en")
        (4, 4)
    """
    word_of = re.compile(rf"(?<!\w)(?:{PROBLEM_WORDS[language]})(?!\w)", re.IGNORECASE)
    read = planted = 0
    for text in texts:
        match = next(negated_problem_pattern(language).finditer(text), None)
        word = None if match is None else word_of.search(match.group())
        if word is None or len(word.group()) < MIN_TYPO_LETTERS:
            continue
        start = match.start() + word.start()
        right = without_negated_problems(text, language)
        for typo in planted_typos(word.group()):
            misspelt = text[:start] + typo + text[start + len(word.group()) :]
            read += int(without_negated_problems(misspelt, language) == right)
            planted += 1
    return read, planted
