"""The length-aware blend measured: own weights for the texts longer than the e5 head reads.

The e5 head reads a text's first :data:`cxlens.text.sentiment_model.E5_CHARS` characters only,
the fast head and the lexicon all of it (:func:`long_rows`). :func:`long_choice` chooses the
long rows' fast-head and lexicon weights on out-of-fold rows, :func:`nested_long` scores each
fold's long rows by the other folds' choice, and :func:`long_report` gives both against the
shipped cascade with paired intervals, per language on its shipped heads' rows
(:func:`shipped_recipe`); ``python -m cxlens.text.training.tune DATA_DIR long`` runs
:func:`long_main`.

Example:
    >>> long_rows(["short", "x" * 401]).tolist()
    [False, True]
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from cxlens.text.language import normalise_noise
from cxlens.text.sentiment_model import past_e5
from cxlens.text.training.choices import blended, cascade_choice, mean_figures
from cxlens.text.training.folds import LANGUAGES, cached_out_of_fold
from cxlens.text.training.paired import paired_probabilities_change

#: Fast-head weights tried for the texts longer than :data:`E5_CHARS`, whose end the e5 head
#: does not read and the fast head does (:func:`long_choice`).
LONG_WEIGHTS: tuple[float, ...] = (0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0)
#: Lexicon weights tried for them, for :data:`LONG_LEXICON_LANGUAGES` (Russian: its lexicon
#: is fixed, so out-of-fold as it is); other languages keep their own.
LONG_LEXICON_GRID: tuple[float, ...] = (0.0, 0.1, 0.2, 0.3, 0.4, 0.5)
LONG_LEXICON_LANGUAGES: tuple[str, ...] = ("ru",)


def long_rows(texts: pd.Series | list[str]) -> np.ndarray:
    """Return True for each text longer than :data:`E5_CHARS` once noise-normalised.

    The e5 head reads such a text's first :data:`E5_CHARS` characters only; the fast head and
    the lexicon read all of it.

    Example:
        >>> long_rows(["short", "x" * 401, "https://example.com " + "x" * 390]).tolist()
        [False, True, False]
    """
    return np.array([past_e5(normalise_noise(t)) for t in texts], dtype=bool)


def length_aware(
    part: pd.DataFrame,
    language: str,
    short: dict[str, float],
    long: dict[str, float] | None,
    is_long: np.ndarray,
) -> np.ndarray:
    """Return the cascade's probabilities with the ``is_long`` rows' accurate path at ``long``.

    ``short``: the language's weight, shift and lexicon weight
    (:func:`cxlens.text.training.choices.cascade_choice`), for every row; ``long``
    (``{"weight": ..., "lexicon": ...}``) replaces the weight and lexicon weight of the long
    rows (the shift is kept). ``None``: ``short`` everywhere.
    """
    probs = blended(part, language, **short)["cascade"]
    if long and is_long.any():
        rows = part[is_long].reset_index(drop=True)
        probs[is_long] = blended(rows, language, **{**short, **long})["cascade"]
    return probs


def long_choice(
    part: pd.DataFrame, language: str, short: dict[str, float], is_long: np.ndarray
) -> dict[str, float]:
    """Return the long rows' fast-head weight and lexicon weight the folds prefer.

    Of :data:`LONG_WEIGHTS` and (for :data:`LONG_LEXICON_LANGUAGES`) :data:`LONG_LEXICON_GRID`,
    the pair whose cascade (:func:`length_aware`, the short rows at ``short``) has the
    language's highest mean macro-F1, then mean sign
    (:func:`cxlens.text.training.choices.mean_figures`, unrounded: a long review moves a set's
    sign by a few thousandths); ties go to the pair nearest ``short``'s.
    """
    lexicons = LONG_LEXICON_GRID if language in LONG_LEXICON_LANGUAGES else (short["lexicon"],)

    def key(pair: dict[str, float]) -> tuple[float, float, float]:
        got = mean_figures(part, length_aware(part, language, short, pair, is_long))
        near = abs(pair["weight"] - short["weight"]) + abs(pair["lexicon"] - short["lexicon"])
        return float(np.nan_to_num(got["macro_f1"], nan=-1.0)), got["sign"], -near

    return max(({"weight": w, "lexicon": x} for w in LONG_WEIGHTS for x in lexicons), key=key)


def nested_long(
    part: pd.DataFrame, language: str, short: dict[str, float], is_long: np.ndarray
) -> tuple[np.ndarray, list[dict[str, float]]]:
    """Return the cascade's probabilities with each fold's long rows at the others' choice.

    For each fold, :func:`long_choice` on the other folds' rows chooses the setting its long
    rows get, so no row is scored by a choice that saw it. Also returns the folds' choices.
    """
    probs = blended(part, language, **short)["cascade"]
    fold = part["fold"].to_numpy()
    choices = []
    for k in sorted(np.unique(fold)):
        others = fold != k
        chosen = long_choice(part[others].reset_index(drop=True), language, short, is_long[others])
        choices.append(chosen)
        held = (fold == k) & is_long
        if held.any():
            rows = part[held].reset_index(drop=True)
            probs[held] = blended(rows, language, **{**short, **chosen})["cascade"]
    return probs, choices


def shipped_recipe(language: str) -> str:
    """Return the recipe whose out-of-fold rows are the shipped heads' for ``language``.

    Example:
        >>> shipped_recipe("ru"), shipped_recipe("zh")
        ('own-e5:ru', 'none')
    """
    from cxlens.text.sentiment_model import OWN_HEADS

    kinds = set(OWN_HEADS.get(language, ()))
    if not kinds:
        return "none"
    return f"{'own-e5' if 'e5' in kinds else 'own'}:{language}"


def long_report(oof: pd.DataFrame, language: str) -> dict:
    """Return the length-aware blend's out-of-fold figures for ``language`` (shipped heads).

    Keys: ``short`` (the language's settings,
    :func:`cxlens.text.training.choices.cascade_choice`), ``long_per_set`` (its long rows per
    set), ``chosen`` (:func:`long_choice` on all folds), ``nested`` (the folds' own choices,
    :func:`nested_long`), and the paired changes against the shipped cascade
    (:func:`cxlens.text.training.paired.paired_probabilities_change`) of the choice on all
    folds (``change_chosen``) and of the nested choices (``change_nested``: the rule's).
    """
    part, base, short = cascade_choice(oof, language)
    is_long = long_rows(part["text"])
    chosen = long_choice(part, language, short, is_long)
    nested, choices = nested_long(part, language, short, is_long)
    aware = length_aware(part, language, short, chosen, is_long)
    return {
        "language": language,
        "short": short,
        "long_per_set": part.loc[is_long, "set"].value_counts().sort_index().to_dict(),
        "chosen": chosen,
        "nested": choices,
        "figures_base": mean_figures(part, base),
        "figures_chosen": mean_figures(part, aware),
        "figures_nested": mean_figures(part, nested),
        "change_chosen": paired_probabilities_change(part, base, aware),
        "change_nested": paired_probabilities_change(part, base, nested),
    }


def long_main(folder: str, languages: tuple[str, ...] = LANGUAGES) -> list[dict]:
    """Print and return :func:`long_report` per language, on its shipped heads' rows."""
    state: dict = {}
    out = []
    for language in languages:
        _, oof = cached_out_of_fold(folder, shipped_recipe(language), state)
        report = long_report(oof, language)
        print(report, flush=True)
        out.append(report)
    return out
