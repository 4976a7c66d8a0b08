"""The Russian reviews' aspect sentences, measured as training rows for Russian's own heads.

The Russian reviews' training split is 403 whole reviews, against 23,578 Russian tweets.
Their annotators also marked every aspect mention and its sentiment (SentiRuEval-2015, subtask
1), so each training review's sentences carry labels of their own
(:func:`cxlens.text.training.sets.aspect_sentences`). :func:`study` refits Russian's own heads
per fold with and without them and reads each recipe by the shipped blend, under rules
committed before they ran (docs/text.md, "The reviews' aspect sentences"); the fifth passed
and shipped (:data:`cxlens.text.sentiment_model.LONG_FAST_HEADS`). ``python -m
cxlens.text.training.review_sentences DATA_DIR`` prints its report. Only the training files
are read.

Example:
    >>> RECIPES[-1]
    'long'
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import sparse

from cxlens.text.language import normalise_noise
from cxlens.text.sentiment_model import (
    CLASSES,
    FAST_WEIGHTS,
    LEXICON_WEIGHTS,
    NEUTRAL_SHIFT,
    fast_features,
    lexicon_polarity,
)
from cxlens.text.training.choices import blended
from cxlens.text.training.folds import FOLDS, e5_model_probabilities, fold_ids
from cxlens.text.training.long_texts import long_rows
from cxlens.text.training.paired import paired_probabilities_change
from cxlens.text.training.sets import aspect_sentences, load_sets
from cxlens.text.training.train import (
    e5_cached,
    e5_training_rows,
    fast_head_probabilities,
    fit_e5_models,
    fit_fast_head,
    own_fast_rows,
)

LANGUAGE = "ru"
#: The rule's limits (docs/text.md): what a tweet set may lose, and Russian's mean macro-F1.
MOST_LOST = 0.005
MOST_LOST_MEAN_F1 = 0.002
#: The recipes compared, each rule's committed before its folds ran (docs/text.md): the
#: shipped own heads; (1) every kept sentence joins both own heads; (2) the polar sentences
#: join only the own e5 head's "positive?" regression; (3) the polar sentences join both own
#: heads; (4) every kept sentence joins the own fast head only; (5) the texts longer than
#: :data:`cxlens.text.sentiment_model.E5_CHARS` are read by (4)'s fast head, the others as
#: shipped.
RECIPES: tuple[str, ...] = ("base", "sentences", "polarity", "polar", "fast-only", "long")


def _fast_probabilities(
    rows: pd.DataFrame, features: sparse.csr_matrix, held: sparse.csr_matrix
) -> np.ndarray:
    return fast_head_probabilities(fit_fast_head(rows, features, (), 2), held)


def out_of_fold(folder: str | Path) -> tuple[pd.DataFrame, dict[str, np.ndarray]]:
    """Return Russian's own training rows with both recipes' out-of-fold cascade probabilities.

    The rows (``set``, ``text``, ``label``, ``fold``) in the shipped folds
    (:func:`cxlens.text.training.folds.fold_ids`); per recipe (``base``, ``sentences``) the
    cascade's probabilities by the shipped blend, from own heads refitted outside each fold,
    the candidate's also on the sentences whose review is outside it.
    """
    frame = load_sets(folder)
    cache = Path(folder) / "cache"
    rows = own_fast_rows(frame, LANGUAGE).reset_index(drop=True)
    fold = fold_ids(rows, LANGUAGE)
    extra = aspect_sentences(folder).reset_index(drop=True)
    extra = extra[~extra["text"].isin(set(rows["text"]))].reset_index(drop=True)
    reviews = rows["set"] == "ru_reviews"
    review_fold = dict(zip(rows.loc[reviews, "text"], fold[reviews.to_numpy()], strict=True))
    extra_fold = extra["review"].map(review_fold).fillna(-1).to_numpy().astype(int)
    print(f"{len(extra)} sentences: {extra['label'].value_counts().to_dict()}", flush=True)

    features = fast_features([normalise_noise(t) for t in rows["text"]])
    extra_features = fast_features([normalise_noise(t) for t in extra["text"]])
    shared = e5_training_rows(frame)
    others = shared[shared["language"] != LANGUAGE].reset_index(drop=True)
    vectors = e5_cached(rows["text"].tolist(), cache)
    extra_vectors = e5_cached(extra["text"].tolist(), cache)
    other_vectors = e5_cached(others["text"].tolist(), cache)
    lexicon = lexicon_polarity([normalise_noise(t) for t in rows["text"]], LANGUAGE)

    polar = (extra["label"] != "neutral").to_numpy()
    is_long = long_rows(rows["text"])
    heads = {name: np.zeros((len(rows), 2, 3)) for name in RECIPES}
    for k in range(FOLDS):
        fit, held = fold != k, fold == k
        more = extra_fold != k
        adds = {"base": np.zeros(len(extra), bool), "sentences": more, "polar": more & polar}
        fast = {
            name: _fast_probabilities(
                pd.concat([rows[fit], extra[add]]),
                sparse.vstack([features[fit], extra_features[add]]).tocsr(),
                features[held],
            )
            for name, add in adds.items()
        }
        e5 = {
            name: fit_e5_models(
                pd.concat([rows[fit], extra[add], others]),
                np.vstack([vectors[fit], extra_vectors[add], other_vectors]),
            )
            for name, add in adds.items()
        }
        # the second rule: the polar sentences teach "positive?" only, "neutral?" is the base's
        uses = {
            "base": ("base", e5["base"]),
            "sentences": ("sentences", e5["sentences"]),
            "polarity": ("base", [e5["base"][0], e5["polar"][1]]),
            "polar": ("polar", e5["polar"]),
            "fast-only": ("sentences", e5["base"]),
            "long": ("base", e5["base"]),
        }
        for name, (fast_from, models) in uses.items():
            heads[name][held, 0] = fast[fast_from]
            heads[name][held, 1] = e5_model_probabilities(models, vectors[held])
        # the fifth rule: the long texts read by rule 4's fast head
        long = held & is_long
        heads["long"][long, 0] = fast["sentences"][is_long[held]]
        print(f"fold {k} done", flush=True)

    part = rows[["set", "text", "label"]].assign(fold=fold, lexicon=lexicon)
    probs = {}
    for name, both in heads.items():
        scored = part.copy()
        scored[[f"fast_{c}" for c in CLASSES]] = both[:, 0]
        scored[[f"e5_{c}" for c in CLASSES]] = both[:, 1]
        probs[name] = blended(
            scored,
            LANGUAGE,
            FAST_WEIGHTS[LANGUAGE],
            NEUTRAL_SHIFT.get(LANGUAGE, 0.0),
            LEXICON_WEIGHTS[LANGUAGE],
        )["cascade"]
    return part, probs


def passes(per_set: dict[str, dict], overall: dict) -> bool:
    """Return the rules' verdict on a recipe's paired changes against the shipped heads.

    The reviews' sign rises; no tweet set loses more than :data:`MOST_LOST` sign or
    macro-F1; the mean macro-F1 falls by at most :data:`MOST_LOST_MEAN_F1` (point estimates).

    Example:
        >>> passes({"ru_reviews": {"sign": (0.01,)}, "t": {"sign": (-0.006,),
        ...         "macro_f1": (0.0,)}}, {"macro_f1": (0.0,)})
        False
    """
    tweets = [s for s in per_set if s != "ru_reviews"]
    return bool(
        per_set["ru_reviews"]["sign"][0] > 0
        and all(
            per_set[s][figure][0] >= -MOST_LOST
            for s in tweets
            for figure in ("sign", "macro_f1")
            if not np.isnan(per_set[s][figure][0])
        )
        and overall["macro_f1"][0] >= -MOST_LOST_MEAN_F1
    )


def study(folder: str | Path) -> dict:
    """Return each rule's figures against the shipped heads, with paired 95% intervals.

    Per recipe other than ``base`` (:data:`RECIPES`): ``per_set`` ({set: {"sign": (change,
    low, high), "macro_f1": ...}}), ``overall`` (Russian's mean figures' changes) and
    ``ships`` (:func:`passes`); also ``part`` and ``probs`` (:func:`out_of_fold`).
    """
    part, probs = out_of_fold(folder)
    report: dict = {"part": part, "probs": probs}
    for recipe in RECIPES[1:]:
        per_set = {}
        for name in sorted(part["set"].unique()):
            mine = (part["set"] == name).to_numpy()
            per_set[name] = paired_probabilities_change(
                part[mine].reset_index(drop=True), probs["base"][mine], probs[recipe][mine]
            )
        overall = paired_probabilities_change(part, probs["base"], probs[recipe])
        report[recipe] = {"per_set": per_set, "overall": overall, "ships": passes(per_set, overall)}
    return report


if __name__ == "__main__":
    report = study(sys.argv[1])
    for recipe in RECIPES[1:]:
        print(f"recipe {recipe}:")
        for name, changes in report[recipe]["per_set"].items():
            print(" ", name, {k: tuple(round(x, 4) for x in v) for k, v in changes.items()})
        overall = report[recipe]["overall"]
        print("  overall", {k: tuple(round(x, 4) for x in v) for k, v in overall.items()})
        print("  ships:", report[recipe]["ships"])
    out = report["part"].assign(**{f"{n}_{c}": p[:, i] for n, p in report["probs"].items()
                                   for i, c in enumerate(CLASSES)})  # fmt: skip
    out.to_parquet(Path(sys.argv[1]) / "cache" / "review_sentences_oof.parquet")
