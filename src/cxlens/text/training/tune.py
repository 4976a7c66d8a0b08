"""Choose the recipe's per-language settings by 5-fold cross-validation on the training splits.

``python -m cxlens.text.training.tune DATA_DIR [RECIPE ...]`` prints, per recipe and
language, the out-of-fold figures (mean macro-F1 over the language's 3-class sets, mean
sign-only accuracy over all its sets) of the cascade at the language's best fast-head weight
of :data:`cxlens.text.training.choices.WEIGHTS`, neutral shift of
:data:`cxlens.text.training.choices.SHIFTS` and lexicon weight of
:data:`cxlens.text.training.choices.LEXICON_GRID`, chosen together
(:func:`cxlens.text.training.choices.best`; to be set in
:data:`cxlens.text.sentiment_model.FAST_WEIGHTS`, ``NEUTRAL_SHIFT`` and
``LEXICON_WEIGHTS``), and of the fast head alone (``FAST_MODE_SHIFT``); then each later
recipe's paired change against the first, with 95% intervals
(:func:`cxlens.text.training.paired.paired_change`).
A recipe names the languages whose fast-head classes are balanced within the language
(``ru``, ``en+ru+zh``; ``none``: over all rows only, the shared heads' recipe; default: the
shipped :data:`cxlens.text.training.train.BALANCE_WITHIN`), or a language's own heads on
top of ``none`` (:func:`cxlens.text.training.folds.own_out_of_fold`): ``own:ru`` (Russian's
own fast head), ``own-e5:ru`` (and its own accurate head on all its rows and the other
languages' capped rows), ``own-e5only:ru`` (on its rows only); ``own-polarity:zh``: Chinese's
own 2-class fast polarity (:func:`cxlens.text.training.folds.own_polarity_out_of_fold`);
``own-e5-sentences:ru``: ``own-e5:ru`` with the fast head reading Russian texts longer than
:data:`cxlens.text.sentiment_model.E5_CHARS` sentence by sentence
(:func:`cxlens.text.training.folds.own_sentences_out_of_fold`). No test row is read.
``python -m cxlens.text.training.tune DATA_DIR long`` instead prints, per language on its
shipped heads' cached rows (:func:`cxlens.text.training.long_texts.shipped_recipe`), the
texts longer than :data:`cxlens.text.sentiment_model.E5_CHARS`' own fast-head and lexicon
weights the folds prefer and their paired change
(:func:`cxlens.text.training.long_texts.long_report`).

How: each language's 3-class training rows are split in 5 folds, stratified by set and
label (seeded; :func:`cxlens.text.training.folds.all_fold_ids`). For each fold the fast head
is refitted on every training row outside it
(:func:`cxlens.text.training.train.fit_fast_head`) and the e5 head on the recipe's e5 rows
outside it (:func:`cxlens.text.training.train.e5_training_rows`); the fold's rows get both
heads' probabilities, which are blended as :func:`cxlens.text.sentiment_model.combine` does,
and the lexicon's out-of-fold polarity
(:func:`cxlens.text.training.folds.with_lexicon_out_of_fold`). Out-of-fold rows are cached
in ``DATA_DIR/cache/tune_within-<recipe>.parquet`` (five fast refits: about 2 minutes on 2
shared cores) or ``tune_own-<heads>-<language>.parquet``; delete them after changing the
sets.
"""

from __future__ import annotations

import sys

import pandas as pd

from cxlens.text.training.choices import summary
from cxlens.text.training.folds import LANGUAGES, cached_out_of_fold, recipe_name
from cxlens.text.training.long_texts import long_main
from cxlens.text.training.paired import paired_change
from cxlens.text.training.train import BALANCE_WITHIN


def compared_languages(recipes: tuple[str, ...]) -> tuple[str, ...]:
    """Return the languages a run summarises: an own-heads recipe's only, when all are such.

    Own heads (``own...:<language>``) change no other language's rows.

    Example:
        >>> compared_languages(("none", "own:ru", "own-e5:ru")), compared_languages(("none", "ru"))
        (('ru',), ('en', 'ru', 'zh'))
    """
    own = {r.split(":")[1] for r in recipes[1:] if r.startswith("own")}
    if recipes[1:] and all(r.startswith("own") for r in recipes[1:]):
        return tuple(sorted(own))
    return LANGUAGES


def main(folder: str, *recipes: str) -> pd.DataFrame:
    """Print and return each recipe's per-language summary, from cached out-of-fold rows.

    ``recipes``: the languages balanced within (``"ru"``, ``"en+ru+zh"``; ``"none"`` for the
    shared heads' recipe), or a language's own heads (``"own:ru"``, see
    :func:`cxlens.text.training.folds.cached_out_of_fold`); default: the shipped
    :data:`BALANCE_WITHIN`. With several, each later one's paired change against the first is
    printed too (:func:`cxlens.text.training.paired.paired_change`), for the languages of
    :func:`compared_languages`.
    """
    state: dict = {}
    recipes = recipes or (recipe_name(BALANCE_WITHIN),)
    languages = compared_languages(recipes)
    loaded = [cached_out_of_fold(folder, name, state) for name in recipes]
    tables = [
        summary(oof[oof["language"].isin(languages)]).assign(recipe=label) for label, oof in loaded
    ]
    table = pd.concat(tables, ignore_index=True)
    with pd.option_context("display.width", 250, "display.max_columns", 30):
        print(table.drop(columns="per_set").sort_values(["language", "recipe"]).to_string())
    for row in table.itertuples():
        print(row.recipe, row.language, row.per_set)
    (base_label, base), others = loaded[0], loaded[1:]
    for label, oof in others:
        for language in languages:
            got = paired_change(base, oof, language)
            shown = {k: tuple(round(x, 4) for x in v) for k, v in got.items()}
            print(f"{label} - {base_label} {language}: {shown}", flush=True)
    return table


if __name__ == "__main__":
    if sys.argv[2:] == ["long"]:
        long_main(sys.argv[1])
    else:
        main(sys.argv[1], *sys.argv[2:])
