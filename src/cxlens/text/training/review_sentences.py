"""The Russian reviews' aspect sentences, measured as training rows for Russian's own heads.

The Russian reviews' training split is 403 whole reviews, against 23,578 Russian tweets.
Their annotators also marked every aspect mention and its sentiment
(SentiRuEval-2015, subtask 1), so each training review's sentences carry labels of their own
(:func:`aspect_sentences`). :func:`study` refits Russian's own heads per fold with and without
them and reads both by the shipped blend, under the rule committed before it ran (docs/text.md,
"The reviews' aspect sentences"). ``python -m cxlens.text.training.review_sentences DATA_DIR``
prints its report. Only the training files are read.

Example:
    >>> sentence_label({"positive", "neutral"}), sentence_label({"positive", "negative"})
    ('positive', None)
"""

from __future__ import annotations

import sys
import xml.etree.ElementTree as ET
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
    softmax,
)
from cxlens.text.tokenize import SENTIMENT_SENTENCE_END, sentences
from cxlens.text.training.choices import blended
from cxlens.text.training.folds import FOLDS, e5_model_probabilities, fold_ids
from cxlens.text.training.paired import paired_probabilities_change
from cxlens.text.training.sets import load_sets
from cxlens.text.training.train import (
    e5_cached,
    e5_training_rows,
    fit_e5_models,
    fit_fast_head,
    own_fast_rows,
)

LANGUAGE = "ru"
SET_NAME = "ru_review_sentences"
#: The rule's limits (docs/text.md): what a tweet set may lose, and Russian's mean macro-F1.
MOST_LOST = 0.005
MOST_LOST_MEAN_F1 = 0.002
#: The recipes compared, each rule's committed before its folds ran (docs/text.md): the
#: shipped own heads; (1) every kept sentence joins both own heads; (2) the polar sentences
#: join only the own e5 head's "positive?" regression; (3) the polar sentences join both own
#: heads; (4) every kept sentence joins the own fast head only.
RECIPES: tuple[str, ...] = ("base", "sentences", "polarity", "polar", "fast-only")


def sentence_label(sentiments: set[str]) -> str | None:
    """Return a sentence's label from its aspect mentions' sentiments, None to leave it out.

    Positive or negative when its non-neutral mentions all say so, neutral when every mention
    is neutral; no mention, a "both" mention or both polarities: None.

    Example:
        >>> sentence_label({"neutral"}), sentence_label(set()), sentence_label({"both"})
        ('neutral', None, None)
    """
    polar = sentiments - {"neutral"}
    if not sentiments or polar - {"positive", "negative"} or len(polar) > 1:
        return None
    return polar.pop() if polar else "neutral"


def review_sentences(text: str, aspects: list[tuple[int, int, str]]) -> list[tuple[str, str]]:
    """Return (sentence, label) for each sentence of ``text`` that :func:`sentence_label` keeps.

    ``aspects``: (start, end, sentiment) character spans of the annotated mentions; a mention
    belongs to the sentence holding it in full.

    Example:
        >>> text = "Вкусно. Официант хамил. Зал большой."
        >>> review_sentences(text, [(0, 6, "positive"), (8, 16, "negative"),
        ...                         (24, 27, "neutral")])
        [('Вкусно.', 'positive'), ('Официант хамил.', 'negative'), ('Зал большой.', 'neutral')]
    """
    out, at = [], 0
    for piece in sentences(text, SENTIMENT_SENTENCE_END, join_bare=True):
        start = text.find(piece, at)
        if start < 0:  # cannot happen: pieces are stripped substrings, in order
            raise ValueError(f"sentence {piece!r} not found in its review")
        end = at = start + len(piece)
        held = {s for a, b, s in aspects if start <= a and b <= end}
        label = sentence_label(held)
        if label:
            out.append((piece, label))
    return out


def aspect_sentences(folder: str | Path) -> pd.DataFrame:
    """Return the training reviews' sentences labelled by their aspect mentions.

    Columns ``language``, ``set`` (:data:`SET_NAME`), ``text``, ``label``, ``split``
    ("train") and ``review`` (the whole review's text), from the restaurant and car
    ``*_markup_train.xml`` files under ``folder/ru/SentiRuEval-2015-subtask-1``. A mention
    whose offsets do not give its term is an error (the file would be misread).
    """
    rows = []
    for domain in ("rest", "car"):
        name = f"SentiRuEval_{domain}_markup_train.xml"
        path = Path(folder) / "ru" / "SentiRuEval-2015-subtask-1" / name
        for review in ET.parse(path).getroot().iter("review"):
            text = review.findtext("text") or ""
            aspects = []
            for mention in review.iter("aspect"):
                a, b = int(mention.get("from", -1)), int(mention.get("to", -1))
                if text[a:b] != mention.get("term"):
                    raise ValueError(
                        f"{path.name}: review {review.get('id')}: mention {mention.get('term')!r}"
                        f" is not at {a}:{b}"
                    )
                aspects.append((a, b, mention.get("sentiment", "")))
            for sentence, label in review_sentences(text, aspects):
                rows.append((sentence, label, text))
    frame = pd.DataFrame(rows, columns=["text", "label", "review"])
    frame = frame.drop_duplicates(["text", "label"]).drop_duplicates("text", keep=False)
    return frame.assign(language=LANGUAGE, set=SET_NAME, split="train")[
        ["language", "set", "text", "label", "split", "review"]
    ]


def _fast_probabilities(
    rows: pd.DataFrame, features: sparse.csr_matrix, held: sparse.csr_matrix
) -> np.ndarray:
    model = fit_fast_head(rows, features, (), 2)
    coef = model.coef_.astype(np.float16).astype(np.float32)  # as shipped
    return softmax(np.asarray(held @ coef.T) + model.intercept_)


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
        }
        for name, (fast_from, models) in uses.items():
            heads[name][held, 0] = fast[fast_from]
            heads[name][held, 1] = e5_model_probabilities(models, vectors[held])
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
