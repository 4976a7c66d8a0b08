"""Choose the accurate path's blend by 5-fold cross-validation on the training splits.

``python -m cxlens.text.training.tune DATA_DIR [LANGUAGE]`` (Russian by default) prints a
grid: for each fast-head weight in :data:`WEIGHTS` and each neutral shift in :data:`SHIFTS`,
the out-of-fold figures of the language's training rows (mean macro-F1 over its 3-class
sets, mean sign-only accuracy over all its sets), for the cascade and the accurate path.
No test row is read.

How: the language's 3-class training rows are split in 5 folds, stratified by set and
label (seeded). For each fold the fast head is refitted on every training row outside it
(all languages, as :func:`cxlens.text.training.train.fit_fast_head` does) and the e5 head on
the recipe's e5 rows outside it (:func:`cxlens.text.training.train.e5_training_rows`); the
fold's rows get both heads' probabilities, which are blended as
:func:`cxlens.text.sentiment_model.combine` does. Out-of-fold probabilities are cached in
``DATA_DIR/cache/tune_<language>.parquet`` (the fast refits take minutes).
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd

from cxlens.text.language import normalise_noise
from cxlens.text.sentiment_model import (
    CLASSES,
    CONFIDENT,
    FAST_WEIGHT,
    combine,
    compose,
    read_probabilities,
    shift_neutral,
    softmax,
)
from cxlens.text.training.evaluate import figures
from cxlens.text.training.sets import load_sets
from cxlens.text.training.train import (
    SEED,
    e5_training_rows,
    embed_cached,
    fast_training_rows,
    fit_fast_head,
)

FOLDS = 5
WEIGHTS: tuple[float, ...] = (0.3, 0.4, 0.5, 0.6, 0.7)
SHIFTS: tuple[float, ...] = (-2.5, -2.0, -1.75, -1.5, -1.25, -1.0, -0.5, 0.0, 0.5)
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


def out_of_fold(frame: pd.DataFrame, language: str, cache: Path) -> pd.DataFrame:
    """Return ``language``'s training rows with out-of-fold fast and e5 probabilities.

    Columns: ``set``, ``text``, ``label``, ``fold``, ``fast_<class>`` and ``e5_<class>``
    for each class; the e5 columns are NaN for rows the recipe does not embed.
    """
    return with_e5_out_of_fold(fast_out_of_fold(frame, language), frame, cache)


def fast_out_of_fold(frame: pd.DataFrame, language: str) -> pd.DataFrame:
    """Return ``language``'s fast-head training rows, their fold and out-of-fold probabilities.

    Each fold's probabilities come from a fast head refitted on every other training row.
    """
    from cxlens.text.sentiment_model import fast_features

    rows = fast_training_rows(frame).reset_index(drop=True)
    fold = fold_ids(rows, language)
    features = fast_features([normalise_noise(t) for t in rows["text"]])
    fast = np.zeros((len(rows), 3))
    for k in range(FOLDS):
        model = fit_fast_head(rows[fold != k], features[fold != k])
        coef = model.coef_.astype(np.float16).astype(np.float32)  # as shipped
        fast[fold == k] = softmax(np.asarray(features[fold == k] @ coef.T) + model.intercept_)
    mine = fold >= 0
    out = rows.loc[mine, ["set", "text", "label"]].assign(fold=fold[mine])
    out[[f"fast_{c}" for c in CLASSES]] = fast[mine]
    return out.reset_index(drop=True)


def with_e5_out_of_fold(oof: pd.DataFrame, frame: pd.DataFrame, cache: Path) -> pd.DataFrame:
    """Return ``oof`` with the e5 head's out-of-fold probabilities (``e5_<class>``).

    Each fold's come from the two regressions refitted on the recipe's e5 rows outside it
    (other languages' rows are always in); rows the recipe does not embed get NaN.
    """
    from cxlens.text.training.train import fit_e5_models

    e5_rows = e5_training_rows(frame).reset_index(drop=True)
    vectors = embed_cached(e5_rows["text"].tolist(), cache)
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


def best(table: pd.DataFrame, weight: float = FAST_WEIGHT) -> pd.Series:
    """Return the cascade's row at fast-head ``weight`` with the highest mean macro-F1.

    The weight is shared by every language, so one language's folds do not move it (the
    grid shows what they say of it); the shift is the language's own. Ties (within 0.001)
    go to the higher mean sign, then to the smaller shift.
    """
    cascade = table[(table["method"] == "cascade") & (table["weight"] == weight)].copy()
    cascade["f1_rounded"] = cascade["macro_f1"].round(3)
    cascade["sign_rounded"] = cascade["sign"].round(3)
    cascade["size"] = cascade["shift"].abs()
    order = cascade.sort_values(
        ["f1_rounded", "sign_rounded", "size"], ascending=[False, False, True]
    )
    return order.iloc[0]


def main(folder: str, language: str = "ru") -> pd.DataFrame:
    """Print and return the grid for ``language``, from cached out-of-fold rows if present."""
    cache = Path(folder) / "cache"
    path = cache / f"tune_{language}.parquet"
    if path.is_file():
        oof = pd.read_parquet(path)
    else:
        oof = out_of_fold(load_sets(folder), language, cache)
        oof.to_parquet(path)
    table = grid(oof, language)
    with pd.option_context("display.width", 250, "display.max_columns", 30):
        print(table.sort_values(["method", "macro_f1"], ascending=False).to_string(index=False))
    chosen = best(table)
    print(f"chosen: NEUTRAL_SHIFT[{language!r}] = {chosen['shift']} at FAST_WEIGHT {FAST_WEIGHT}")
    return table


if __name__ == "__main__":
    main(sys.argv[1], *(sys.argv[2:3]))
