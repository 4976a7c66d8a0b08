"""Choose the recipe's per-language settings by 5-fold cross-validation on the training splits.

``python -m cxlens.text.training.tune DATA_DIR [RECIPE ...]`` prints, per recipe and
language, the out-of-fold figures (mean macro-F1 over the language's 3-class sets, mean
sign-only accuracy over all its sets) of the cascade at the language's best fast-head weight
of :data:`WEIGHTS` and neutral shift of :data:`SHIFTS` (:func:`best`; to be set in
:data:`cxlens.text.sentiment_model.FAST_WEIGHTS` and ``NEUTRAL_SHIFT``), and of the fast
head alone.
A recipe names the languages whose fast-head classes are balanced within the language
(``ru``, ``en+ru+zh``; ``none``: over all rows only; default: the shipped
:data:`cxlens.text.training.train.BALANCE_WITHIN`). No test row is read.

How: each language's 3-class training rows are split in 5 folds, stratified by set and
label (seeded; :func:`all_fold_ids`). For each fold the fast head is refitted on every
training row outside it (:func:`cxlens.text.training.train.fit_fast_head`) and the e5 head on
the recipe's e5 rows outside it (:func:`cxlens.text.training.train.e5_training_rows`); the
fold's rows get both heads' probabilities, which are blended as
:func:`cxlens.text.sentiment_model.combine` does. Out-of-fold probabilities are cached in
``DATA_DIR/cache/tune_within-<recipe>_bias.parquet`` (five fast refits: about 5 minutes on 2
cores); delete them after changing the sets.
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
    CONFIDENT,
    combine,
    compose,
    fast_features,
    read_probabilities,
    shift_neutral,
    softmax,
)
from cxlens.text.training.evaluate import figures
from cxlens.text.training.sets import load_sets
from cxlens.text.training.train import (
    BALANCE_WITHIN,
    SEED,
    e5_cached,
    e5_training_rows,
    fast_training_rows,
    fit_fast_head,
)

FOLDS = 5
LANGUAGES: tuple[str, ...] = ("en", "ru", "zh")
WEIGHTS: tuple[float, ...] = (0.3, 0.4, 0.5, 0.6, 0.7)
SHIFTS: tuple[float, ...] = (-2.5, -2.0, -1.75, -1.5, -1.25, -1.0, -0.5, 0.0, 0.5, 1.0, 1.5)
#: Suffix of the out-of-fold cache files of the fast head with language columns
#: (:data:`cxlens.text.sentiment_model.BIAS_LANGUAGES`); files without it hold the earlier
#: layout's (no language columns), kept to compare against.
LAYOUT = "_bias"
#: A set counts for macro-F1 when at least this share of its rows is neutral (the Russian
#: reviews' 4% would make its F1 a figure of a dozen rows).
NEUTRAL_MIN = 0.1


def fold_ids(rows: pd.DataFrame, language: str, folds: int = FOLDS) -> np.ndarray:
    """Return each row's fold (0..folds-1) for ``language``'s rows, -1 for the others.

    Stratified by set and label, seeded, so each fold has every set's class mix.

    Example:
        >>> rows = pd.DataFrame({"language": ["ru"] * 4 + ["en"], "set": ["a"] * 5,
        ...                      "label": ["neutral", "neutral", "positive", "positive", "x"]})
        >>> fold_ids(rows, "ru", folds=2).tolist()
        [0, 1, 1, 0, -1]
    """
    from sklearn.model_selection import StratifiedKFold

    mine = np.flatnonzero(rows["language"].to_numpy() == language)
    strata = (rows["set"] + "/" + rows["label"]).to_numpy()[mine]
    out = np.full(len(rows), -1)
    split = StratifiedKFold(folds, shuffle=True, random_state=SEED).split(mine, strata)
    for k, (_, held) in enumerate(split):
        out[mine[held]] = k
    return out


def all_fold_ids(
    rows: pd.DataFrame, languages: tuple[str, ...] = LANGUAGES, folds: int = FOLDS
) -> np.ndarray:
    """Return each row's fold for every language of ``languages`` at once (-1 for the others).

    Fold k holds each language's own fold k (:func:`fold_ids`), so one refit per fold gives
    every language's out-of-fold probabilities.

    Example:
        >>> rows = pd.DataFrame({"language": ["ru"] * 4 + ["en"] * 4 + ["fr"], "set": ["a"] * 9,
        ...                      "label": ["neutral", "positive"] * 4 + ["x"]})
        >>> all_fold_ids(rows, ("en", "ru"), folds=2).tolist()
        [0, 1, 1, 0, 0, 1, 1, 0, -1]
    """
    out = np.full(len(rows), -1)
    for language in languages:
        fold = fold_ids(rows, language, folds)
        out[fold >= 0] = fold[fold >= 0]
    return out


def out_of_fold(
    frame: pd.DataFrame, cache: Path, within: tuple[str, ...] = BALANCE_WITHIN
) -> pd.DataFrame:
    """Return every language's training rows with out-of-fold fast and e5 probabilities.

    Columns: ``language``, ``set``, ``text``, ``label``, ``fold``, ``fast_<class>`` and
    ``e5_<class>`` for each class; the e5 columns are NaN for rows the recipe does not embed.
    The fast head is refitted with its classes balanced within ``within``'s languages.
    """
    return with_e5_out_of_fold(fast_out_of_fold(frame, within), frame, cache)


def fast_out_of_fold(
    frame: pd.DataFrame,
    within: tuple[str, ...] = BALANCE_WITHIN,
    n_jobs: int = 2,
    features: sparse.csr_matrix | None = None,
) -> pd.DataFrame:
    """Return the fast head's training rows, their fold and out-of-fold probabilities.

    Each fold's probabilities come from a fast head refitted on every other training row
    (:func:`cxlens.text.training.train.fit_fast_head` with ``within``). ``features``: the
    training rows' :func:`fast_features`, when the caller has them.
    """
    rows = fast_training_rows(frame).reset_index(drop=True)
    fold = all_fold_ids(rows)
    if features is None:
        features = fast_features([normalise_noise(t) for t in rows["text"]], rows["language"])
    fast = np.zeros((len(rows), 3))
    for k in range(FOLDS):
        model = fit_fast_head(rows[fold != k], features[fold != k], within, n_jobs)
        coef = model.coef_.astype(np.float16).astype(np.float32)  # as shipped
        fast[fold == k] = softmax(np.asarray(features[fold == k] @ coef.T) + model.intercept_)
        print(f"fold {k} refitted", flush=True)
    mine = fold >= 0
    out = rows.loc[mine, ["language", "set", "text", "label"]].assign(fold=fold[mine])
    out[[f"fast_{c}" for c in CLASSES]] = fast[mine]
    return out.reset_index(drop=True)


def with_e5_out_of_fold(
    oof: pd.DataFrame, frame: pd.DataFrame, cache: Path, most: int | None = None
) -> pd.DataFrame:
    """Return ``oof`` with the e5 head's out-of-fold probabilities (``e5_<class>``).

    Each fold's come from the two regressions refitted on the recipe's e5 rows outside it
    (rows of a language ``oof`` does not hold are always in); rows the recipe does not embed
    get NaN.
    """
    from cxlens.text.training.train import fit_e5_models

    e5_rows = e5_training_rows(frame).reset_index(drop=True)
    vectors = e5_cached(e5_rows["text"].tolist(), cache, most)
    text_fold = dict(zip(oof["text"], oof["fold"], strict=True))
    e5_fold = e5_rows["text"].map(text_fold).fillna(-1).to_numpy().astype(int)
    e5: dict[str, np.ndarray] = {}
    for k in range(FOLDS):
        models = fit_e5_models(e5_rows[e5_fold != k], vectors[e5_fold != k])
        held = e5_fold == k
        probs = e5_model_probabilities(models, vectors[held])
        e5.update(zip(e5_rows["text"][held], probs, strict=True))
    missing = np.full(3, np.nan)
    out = oof.copy()
    out[[f"e5_{c}" for c in CLASSES]] = np.stack([e5.get(t, missing) for t in out["text"]])
    return out


def e5_model_probabilities(models: list, vectors: np.ndarray) -> np.ndarray:
    """Return class probabilities from the fitted (neutral?, positive?) regressions."""
    neutral, positive = (m.predict_proba(vectors)[:, 1] for m in models)
    return compose(neutral, positive)


def blended(oof: pd.DataFrame, language: str, weight: float, shift: float) -> dict[str, np.ndarray]:
    """Return the cascade's and the accurate path's probabilities for ``weight`` and ``shift``.

    The cascade keeps the fast head's where its top class reaches :data:`CONFIDENT`.
    """
    fast = oof[[f"fast_{c}" for c in CLASSES]].to_numpy()
    e5 = oof[[f"e5_{c}" for c in CLASSES]].to_numpy()
    accurate = combine(fast, e5, language, weight)
    cascade = np.where((fast.max(axis=1) < CONFIDENT)[:, None], accurate, fast)
    return {m: shift_neutral(p, shift) for m, p in (("cascade", cascade), ("accurate", accurate))}


def grid(oof: pd.DataFrame, language: str) -> pd.DataFrame:
    """Return one row per (weight, shift, method): mean macro-F1 and mean sign over the sets.

    Macro-F1 is averaged over the sets with at least :data:`NEUTRAL_MIN` neutral rows, sign
    over every set.

    Example:
        >>> oof = pd.DataFrame({"set": ["a"] * 3, "label": ["negative", "neutral", "positive"],
        ...     **{f"{h}_{c}": [1.0 * (c == k) for k in ("negative", "neutral", "positive")]
        ...        for h in ("fast", "e5") for c in CLASSES}})
        >>> grid(oof, "ru").query("weight == 0.5 and shift == 0")["macro_f1"].tolist()
        [1.0, 1.0]
    """
    oof = oof.dropna(subset=[f"e5_{c}" for c in CLASSES]).reset_index(drop=True)
    neutral_share = oof.groupby("set")["label"].apply(lambda s: float((s == "neutral").mean()))
    out = []
    for weight in WEIGHTS:
        for shift in SHIFTS:
            for method, probs in blended(oof, language, weight, shift).items():
                labels, scores, _ = read_probabilities(probs)
                per_set = {
                    name: figures(part["label"].to_numpy().astype(object), labels[i], scores[i])
                    for name, part in oof.groupby("set")
                    for i in [part.index.to_numpy()]
                }
                f1 = [f["macro_f1"] for n, f in per_set.items() if neutral_share[n] >= NEUTRAL_MIN]
                out.append(
                    {
                        "weight": weight,
                        "shift": shift,
                        "method": method,
                        "macro_f1": float(np.mean(f1)) if f1 else float("nan"),
                        "sign": float(np.mean([f["sign"] for f in per_set.values()])),
                        **{f"f1 {n}": round(f["macro_f1"], 3) for n, f in per_set.items()},
                        **{f"sign {n}": round(f["sign"], 3) for n, f in per_set.items()},
                    }
                )
    return pd.DataFrame(out)


def best(table: pd.DataFrame, weight: float | None = None) -> pd.Series:
    """Return the cascade's row with the highest mean macro-F1 (at ``weight``, if given).

    The language's fast-head weight and neutral shift are chosen together. Ties (within
    0.001) go to the higher mean sign (also rounded), then to the smaller shift, then to the
    weight nearest 0.5 (an even blend).
    """
    cascade = table[table["method"] == "cascade"].copy()
    if weight is not None:
        cascade = cascade[cascade["weight"] == weight]
    cascade["f1_rounded"] = cascade["macro_f1"].round(3)
    cascade["sign_rounded"] = cascade["sign"].round(3)
    cascade["size"] = cascade["shift"].abs()
    cascade["off_even"] = (cascade["weight"] - 0.5).abs()
    order = cascade.sort_values(
        ["f1_rounded", "sign_rounded", "size", "off_even"], ascending=[False, False, True, True]
    )
    return order.iloc[0]


def mean_figures(oof: pd.DataFrame, probs: np.ndarray) -> dict[str, float]:
    """Return mean macro-F1 (sets with :data:`NEUTRAL_MIN` neutral rows) and mean sign per set.

    Example:
        >>> oof = pd.DataFrame({"set": ["a"] * 3, "label": ["negative", "neutral", "positive"]})
        >>> mean_figures(oof, np.eye(3))
        {'macro_f1': 1.0, 'sign': 1.0}
    """
    labels, scores, _ = read_probabilities(probs)
    f1, sign = [], []
    for _, part in oof.reset_index(drop=True).groupby("set"):
        i = part.index.to_numpy()
        got = figures(part["label"].to_numpy().astype(object), labels[i], scores[i])
        sign.append(got["sign"])
        if (part["label"] == "neutral").mean() >= NEUTRAL_MIN:
            f1.append(got["macro_f1"])
    return {"macro_f1": float(np.mean(f1)) if f1 else float("nan"), "sign": float(np.mean(sign))}


def summary(oof: pd.DataFrame) -> pd.DataFrame:
    """Return one row per language: its chosen weight and shift (:func:`best`) and figures.

    ``cascade_*`` on the rows with e5 probabilities, at its chosen weight and shift;
    ``fast_*``: the fast head alone on all the language's rows, at its own best shift
    (:func:`fast_alone`; to be set in :data:`cxlens.text.sentiment_model.FAST_MODE_SHIFT`).
    """
    out = []
    for language, part in oof.groupby("language"):
        part = part.reset_index(drop=True)
        chosen = best(grid(part, str(language)))
        alone = fast_alone(part)
        out.append(
            {
                "language": language,
                "weight": float(chosen["weight"]),
                "shift": float(chosen["shift"]),
                "cascade_macro_f1": float(chosen["macro_f1"]),
                "cascade_sign": float(chosen["sign"]),
                "fast_shift": alone["shift"],
                "fast_macro_f1": alone["macro_f1"],
                "fast_sign": alone["sign"],
                "per_set": {k: v for k, v in chosen.items() if k.startswith(("f1 ", "sign "))},
            }
        )
    return pd.DataFrame(out)


def fast_alone(oof: pd.DataFrame) -> dict[str, float]:
    """Return the fast head alone's best neutral shift of :data:`SHIFTS` and its figures.

    As :func:`best` chooses: the highest mean macro-F1 (to 0.001), then sign, then the
    smaller shift.

    Example:
        >>> oof = pd.DataFrame({"set": ["a"] * 3, "label": ["negative", "neutral", "positive"],
        ...     **{f"fast_{c}": [0.6, 0.45, 0.1] if c == "negative" else [0.2, 0.3, 0.1]
        ...        if c == "neutral" else [0.2, 0.25, 0.8] for c in CLASSES}})
        >>> fast_alone(oof)
        {'shift': 0.5, 'macro_f1': 1.0, 'sign': 1.0}
    """
    fast = oof[[f"fast_{c}" for c in CLASSES]].to_numpy()
    scored = [{"shift": s, **mean_figures(oof, shift_neutral(fast, s))} for s in SHIFTS]
    return max(
        scored,
        key=lambda r: (np.nan_to_num(round(r["macro_f1"], 3), nan=-1), round(r["sign"], 3),
                       -abs(r["shift"])),
    )  # fmt: skip


def recipe_name(within: tuple[str, ...]) -> str:
    """Return a recipe's name in cache files and tables: its languages joined by "+".

    Example:
        >>> recipe_name(("ru", "en")), recipe_name(())
        ('en+ru', 'none')
    """
    return "+".join(sorted(within)) or "none"


def main(folder: str, *recipes: str) -> pd.DataFrame:
    """Print and return each recipe's per-language summary, from cached out-of-fold rows.

    ``recipes``: the languages balanced within (``"ru"``, ``"en+ru+zh"``; ``"none"`` for the
    plain recipe); default: the shipped :data:`BALANCE_WITHIN`.
    """
    cache = Path(folder) / "cache"
    frame, features, e5 = None, None, None
    tables = []
    for name in recipes or (recipe_name(BALANCE_WITHIN),):
        within = () if name == "none" else tuple(name.split("+"))
        path = cache / f"tune_within-{recipe_name(within)}{LAYOUT}.parquet"
        if path.is_file():
            oof = pd.read_parquet(path)
        else:
            if frame is None:  # the features and the e5 columns do not depend on the recipe
                frame = load_sets(folder)
                rows = fast_training_rows(frame)
                texts = [normalise_noise(t) for t in rows["text"]]
                features = fast_features(texts, rows["language"])
            oof = fast_out_of_fold(frame, within, features=features)
            if e5 is None:
                e5 = with_e5_out_of_fold(oof, frame, cache).filter(like="e5_")
            oof[e5.columns] = e5.to_numpy()
            oof.to_parquet(path)
        tables.append(summary(oof).assign(recipe=recipe_name(within)))
    table = pd.concat(tables, ignore_index=True)
    with pd.option_context("display.width", 250, "display.max_columns", 30):
        print(table.drop(columns="per_set").sort_values(["language", "recipe"]).to_string())
    for row in table.itertuples():
        print(row.recipe, row.language, row.per_set)
    return table


if __name__ == "__main__":
    main(sys.argv[1], *sys.argv[2:])
