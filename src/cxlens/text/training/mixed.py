"""Choose the "mixed" reading (both a clear praise and a clear complaint) on training rows.

``python -m cxlens.text.training.mixed DATA_DIR`` compares three readings of
``mixed_sentiment`` on the Russian reviews' training split (``ru_reviews``: the rows
annotated "both" against the single-polarity ones: positive, negative and neutral) and
prints the rule's verdict; no test row is read. ``... DATA_DIR 0.15`` limits the choice to
thresholds flagging under 15% of the single-polarity rows (exploratory, not the rule);
``... DATA_DIR test`` then measures each reading at the thresholds chosen on all folds on the
held-out splits (:func:`held_out`) and the sentence reading's cost (:func:`sentence_cost`).
Measured on 2026-12-06: not shipped (docs/text.md, "Mixed.").

Pre-registered rule (2026-12-06, before anything was computed):

* Rows: the 403 ``ru_reviews`` training rows; "both" is the class to detect, every other
  label the rest.
* Probabilities out-of-fold: the 3-class rows keep their folds of
  :func:`cxlens.text.training.folds.fold_ids` (Russian's training rows, stratified by set
  and label); the "both" rows get 5 folds of their own, seeded. Each fold's rows are scored by
  Russian's own fast head and own e5 head (with the other languages' capped rows, as
  shipped) refitted outside the fold, read as the cascade reads them (fast head; below
  ``CONFIDENT`` the accurate path: ``FAST_WEIGHTS``, ``LEXICON_WEIGHTS``).
* Candidates: (1) whole text: mixed when min(P(negative), P(positive)) >= t, t in 0.05 to
  0.45 by 0.01; (2) sentences: the noise-normalised text split into sentences
  (:func:`cxlens.text.tokenize.sentences`), each scored by the fold's fast head alone; mixed
  when one sentence has P(positive) >= a and another P(negative) >= b, a and b in 0.30 to
  0.90 by 0.05; (3) either (1) or (2), t, a and b chosen together.
* Choice: per fold, the thresholds with the highest F1 of "both" on the other four folds
  (ties within 0.001: the lower flag rate on their single-polarity rows, then the stricter
  thresholds); applied to the fold. The criterion is the pooled out-of-fold F1 of "both".
* The current rule (MIXED_MIN 0.25, as is) on the same probabilities is the baseline.
* Ship the candidate with the best out-of-fold F1 only if the paired 95% bootstrap interval
  (1,000 draws, rows resampled within "both" and the rest, seeded) of its F1 minus the
  current rule's lies above 0 and its out-of-fold flag rate on the positive and negative
  training reviews is under 15%; then with the thresholds chosen on all five folds.
  Otherwise keep the code and record the measurement as not shipped.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from cxlens.text.discover import split_sentences
from cxlens.text.language import normalise_noise
from cxlens.text.sentiment_model import (
    CLASSES,
    MIXED_MIN,
    NEUTRAL_SHIFT,
    accurate_path,
    classify,
    e5_vectors,
    fast_features,
    fast_probabilities,
    shift_neutral,
    softmax,
    unsure_rows,
)
from cxlens.text.training.evaluate import model_probabilities
from cxlens.text.training.folds import FOLDS, e5_model_probabilities, fold_ids
from cxlens.text.training.resampling import bootstrap_intervals, whole
from cxlens.text.training.sets import load_sets
from cxlens.text.training.train import (
    SEED,
    embed_cached,
    fit_e5_models,
    fit_fast_head,
    own_e5_rows,
    own_fast_rows,
)

LANGUAGE = "ru"
SET = "ru_reviews"
#: The label the annotators gave a review with both polarities.
BOTH = "mixed"
#: Grids of the pre-registered rule (module docstring).
WHOLE_GRID: tuple[float, ...] = tuple(np.round(np.arange(0.05, 0.451, 0.01), 2).tolist())
SENTENCE_GRID: tuple[float, ...] = tuple(np.round(np.arange(0.30, 0.901, 0.05), 2).tolist())
#: New embeddings go to this cache file only (the others are never rewritten).
STORE = "e5_mixed.npz"
DRAWS = 1000


def embed_new(cache: Path) -> Callable[[list[str]], np.ndarray]:
    """Return an ``embed`` for :func:`e5_vectors` that adds missing texts to :data:`STORE` only."""
    return lambda windows: embed_cached(windows, cache, STORE)


def review_folds(reviews: pd.DataFrame, rows: pd.DataFrame, fold: np.ndarray) -> np.ndarray:
    """Return each review's fold: a 3-class review its fold among ``rows``; a "both" one its own.

    ``rows`` and ``fold``: Russian's 3-class training rows and their folds
    (:func:`cxlens.text.training.folds.fold_ids`). The "both" reviews, which no head learns
    from, are split in :data:`FOLDS` seeded folds.

    Example:
        >>> rows = pd.DataFrame({"text": ["a", "b"]})
        >>> reviews = pd.DataFrame({"text": ["b", *"vwxyz"], "label": ["positive"] + [BOTH] * 5})
        >>> got = review_folds(reviews, rows, np.array([0, 1]))
        >>> int(got[0]), sorted(got[1:].tolist())
        (1, [0, 1, 2, 3, 4])
    """
    from sklearn.model_selection import KFold

    of_text = dict(zip(rows["text"], fold, strict=True))
    out = reviews["text"].map(of_text).to_numpy(dtype=float, copy=True)
    both = np.flatnonzero(reviews["label"].to_numpy() == BOTH)
    for k, (_, held) in enumerate(KFold(FOLDS, shuffle=True, random_state=SEED).split(both)):
        out[both[held]] = k
    if np.isnan(out).any():
        raise ValueError(f"{SET} training rows missing from Russian's training rows")
    return out.astype(int)


def cascade_probabilities(
    fast: np.ndarray, e5: np.ndarray, texts: list[str], language: str
) -> np.ndarray:
    """Return the cascade's probabilities as :func:`classify` reads them, without a budget.

    The fast head's where its top class reaches :data:`CONFIDENT`, else the accurate path's
    (:func:`cxlens.text.sentiment_model.accurate_path`); then the language's neutral shift.
    """
    out = fast.copy()
    unsure = unsure_rows(fast, budget=len(fast))  # every unsure row: no budget
    if len(unsure):
        out[unsure] = accurate_path(fast[unsure], e5[unsure], [texts[i] for i in unsure], language)
    return shift_neutral(out, NEUTRAL_SHIFT.get(language, 0.0))


def out_of_fold(folder: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Return the training reviews' out-of-fold cascade probabilities and their sentences'.

    Reviews: ``text``, ``label``, ``fold``, ``p_<class>`` (the cascade's, from Russian's own
    heads refitted outside the fold), ``fast_<class>`` and ``e5_<class>`` (each head's).
    Sentences: ``owner`` (the review's row), ``sentence``, ``p_<class>`` (the fold's fast head
    alone). Cached in ``DATA_DIR/cache/mixed_*.parquet``.
    """
    cache = Path(folder) / "cache"
    paths = cache / "mixed_reviews_oof.parquet", cache / "mixed_sentences_oof.parquet"
    if all(p.is_file() for p in paths):
        return pd.read_parquet(paths[0]), pd.read_parquet(paths[1])
    frame = load_sets(folder)
    rows = own_fast_rows(frame, LANGUAGE).reset_index(drop=True)
    fold = fold_ids(rows, LANGUAGE)
    features = fast_features([normalise_noise(t) for t in rows["text"]])
    e5_rows = own_e5_rows(frame, LANGUAGE, others=True).reset_index(drop=True)
    mine = (e5_rows["language"] == LANGUAGE).to_numpy()
    e5_fold = np.where(mine, fold_ids(e5_rows, LANGUAGE), -1)
    vectors = e5_vectors(e5_rows["text"].tolist(), embed_new(cache))
    reviews = frame[(frame["set"] == SET) & (frame["split"] == "train")].reset_index(drop=True)
    reviews = reviews[["text", "label"]].assign(fold=review_folds(reviews, rows, fold))
    texts = [normalise_noise(t) for t in reviews["text"]]
    review_vectors = e5_vectors(reviews["text"].tolist(), embed_new(cache))
    sentences, owner = split_sentences(texts, keep_noise=True)
    probs = np.zeros((len(reviews), 3))
    heads = np.zeros((len(reviews), 6))  # fast and e5 probabilities, kept for checks
    sentence_probs = np.zeros((len(sentences), 3))
    for k in range(FOLDS):
        fast_model = fit_fast_head(rows[fold != k], features[fold != k], (), 2)
        coef = fast_model.coef_.astype(np.float16).astype(np.float32)  # as shipped

        def fast(batch: list[str], coef: np.ndarray = coef, model: object = fast_model):
            return softmax(np.asarray(fast_features(batch) @ coef.T) + model.intercept_)

        e5_models = fit_e5_models(e5_rows[e5_fold != k], vectors[e5_fold != k])
        held = np.flatnonzero(reviews["fold"].to_numpy() == k)
        e5 = e5_model_probabilities(e5_models, review_vectors[held])
        held_texts = [texts[i] for i in held]
        heads[held, :3], heads[held, 3:] = fast(held_texts), e5
        probs[held] = cascade_probabilities(heads[held, :3], e5, held_texts, LANGUAGE)
        in_fold = np.flatnonzero(np.isin(owner, held))
        sentence_probs[in_fold] = fast([sentences[i] for i in in_fold])
        print(f"fold {k} scored", flush=True)
    columns = [f"p_{c}" for c in CLASSES]
    reviews[columns] = probs
    reviews[[f"{h}_{c}" for h in ("fast", "e5") for c in CLASSES]] = heads
    sentence_frame = pd.DataFrame({"owner": owner, "sentence": sentences})
    sentence_frame[columns] = sentence_probs
    reviews.to_parquet(paths[0])
    sentence_frame.to_parquet(paths[1])
    return reviews, sentence_frame


def f1(truth: np.ndarray, flags: np.ndarray) -> float:
    """Return the F1 of ``flags`` detecting the True rows of ``truth`` (0 when none is right).

    Example:
        >>> f1(np.array([True, True, False, False]), np.array([True, False, True, False]))
        0.5
    """
    tp = float(np.sum(truth & flags))
    wrong = float(np.sum(truth != flags))
    return 2 * tp / (2 * tp + wrong) if tp else 0.0


def within_classes(truth: np.ndarray) -> list[np.ndarray]:
    """Return the bootstrap's strata of a detection: the True rows of ``truth``, then the rest.

    Resampling within each keeps the share of "both" reviews fixed
    (:func:`cxlens.text.training.resampling.bootstrap_intervals`).

    Example:
        >>> within_classes(np.array([False, True, True]))
        [array([1, 2]), array([0])]
    """
    return [np.flatnonzero(truth), np.flatnonzero(~truth)]


def candidate_flags(
    probs: np.ndarray, sentence_probs: np.ndarray, owner: np.ndarray
) -> dict[str, dict[tuple[float, ...], np.ndarray]]:
    """Return each candidate's flags per thresholds, strictest first.

    ``whole`` (t): min(P(negative), P(positive)) >= t; ``sentences`` (a, b):
    :func:`mixed_sentences`; ``either`` (t, a, b): one or the other.

    Example:
        >>> got = candidate_flags(np.array([[0.4, 0.2, 0.4]]), np.eye(3)[[0, 2]], np.array([0, 0]))
        >>> got["whole"][(0.45,)].tolist(), got["sentences"][(0.9, 0.9)].tolist()
        ([False], [True])
    """
    n = len(probs)
    least = np.minimum(probs[:, 0], probs[:, 2])
    whole = {(t,): least >= t for t in sorted(WHOLE_GRID, reverse=True)}
    strict = sorted(SENTENCE_GRID, reverse=True)
    sentences = {
        (a, b): mixed_sentences(sentence_probs, owner, n, a, b) for a in strict for b in strict
    }
    either = {w + s: wf | sf for w, wf in whole.items() for s, sf in sentences.items()}
    return {"whole": whole, "sentences": sentences, "either": either}


def choose(
    flags: dict[tuple[float, ...], np.ndarray],
    truth: np.ndarray,
    rows: np.ndarray,
    cap: float | None = None,
) -> tuple[float, ...]:
    """Return the thresholds whose flags have the best F1 on ``rows`` (a mask).

    Ties within 0.001 go to the lower flag rate on the rows' single-polarity texts, then to
    the stricter thresholds (``flags`` lists them strictest first). With ``cap``, only
    thresholds flagging under ``cap`` of those texts compete (the strictest when none does;
    an exploratory variant, not the pre-registered rule).

    Example:
        >>> truth = np.array([True, False, False])
        >>> choose({(0.4,): np.array([True, False, False]),
        ...         (0.2,): np.array([True, True, False])}, truth, np.ones(3, bool))
        (0.4,)
    """
    rest = rows & ~truth
    scored = [
        (-round(f1(truth[rows], got[rows]), 3), float(got[rest].mean()), k)
        for k, got in enumerate(flags.values())
    ]
    allowed = [x for x in scored if cap is None or x[1] < cap] or scored[:1]
    return list(flags)[min(allowed)[2]]


def cross_validated(
    flags: dict[tuple[float, ...], np.ndarray],
    truth: np.ndarray,
    fold: np.ndarray,
    cap: float | None = None,
) -> tuple[np.ndarray, list[tuple[float, ...]]]:
    """Return out-of-fold flags (each fold's at the other folds' choice) and the choices.

    ``cap`` as in :func:`choose`.

    Example:
        >>> truth = np.array([True, False] * 2); fold = np.array([0, 0, 1, 1])
        >>> got, chosen = cross_validated({(0.4,): truth.copy()}, truth, fold)
        >>> got.tolist(), chosen
        ([True, False, True, False], [(0.4,), (0.4,)])
    """
    out = np.zeros(len(truth), dtype=bool)
    chosen = []
    for k in np.unique(fold):
        params = choose(flags, truth, fold != k, cap)
        out[fold == k] = flags[params][fold == k]
        chosen.append(params)
    return out, chosen


def paired_f1_change(
    truth: np.ndarray, base: np.ndarray, other: np.ndarray, draws: int = DRAWS, seed: int = SEED
) -> tuple[float, float, float]:
    """Return F1(``other``) - F1(``base``) and its paired 95% bootstrap interval.

    Rows are resampled within the True rows and within the others (the same rows for both).

    Example:
        >>> truth = np.array([True, True, False, False])
        >>> paired_f1_change(truth, np.array([True, False, True, False]), truth, draws=20)[0]
        0.5
    """

    def change(drawn: list[np.ndarray]) -> list[float]:
        i = np.concatenate(drawn)
        return [f1(truth[i], other[i]) - f1(truth[i], base[i])]

    return bootstrap_intervals(change, within_classes(truth), draws, seed)[0]


def compare(
    reviews: pd.DataFrame, sentences: pd.DataFrame, cap: float | None = None
) -> pd.DataFrame:
    """Return one row per reading: out-of-fold F1, flag rates, choices, change over the rule.

    ``current`` is :data:`MIXED_MIN` as is; each candidate's flags are out-of-fold
    (:func:`cross_validated`, ``cap`` as in :func:`choose`); ``all_folds`` is the choice on
    every training row (what would ship).
    """
    columns = [f"p_{c}" for c in CLASSES]
    probs = reviews[columns].to_numpy()
    truth = reviews["label"].to_numpy() == BOTH
    polar = reviews["label"].isin(["positive", "negative"]).to_numpy()
    fold = reviews["fold"].to_numpy()
    current = np.minimum(probs[:, 0], probs[:, 2]) >= MIXED_MIN
    grids = candidate_flags(probs, sentences[columns].to_numpy(), sentences["owner"].to_numpy())
    out = [reading_row("current", truth, polar, current, current)]
    for name, flags in grids.items():
        got, chosen = cross_validated(flags, truth, fold, cap)
        row = reading_row(name, truth, polar, current, got)
        row.update(folds=chosen, all_folds=choose(flags, truth, np.ones(len(truth), bool), cap))
        out.append(row)
    return pd.DataFrame(out)


def reading_row(
    name: str, truth: np.ndarray, polar: np.ndarray, current: np.ndarray, flags: np.ndarray
) -> dict:
    """Return a reading's figures: F1, recall, flag rates, the paired change over ``current``."""
    change = paired_f1_change(truth, current, flags)
    return {
        "reading": name,
        "f1": round(f1(truth, flags), 3),
        "both_flagged": round(float(flags[truth].mean()), 3),
        "polar_flagged": round(float(flags[polar].mean()), 3),
        "change": tuple(round(x, 3) for x in change),
    }


def decision(table: pd.DataFrame, rate: float = 0.15) -> str:
    """Return the pre-registered rule's verdict on ``compare``'s table.

    The candidate with the best out-of-fold F1 ships when its change's interval is above 0
    and it flags under ``rate`` of the positive and negative reviews.

    Example:
        >>> t = pd.DataFrame({"reading": ["current", "whole"], "f1": [0.3, 0.5],
        ...     "polar_flagged": [0.1, 0.1], "change": [(0, 0, 0), (0.2, 0.05, 0.3)]})
        >>> decision(t)
        'ship whole'
    """
    candidates = table[table["reading"] != "current"]
    best = candidates.loc[candidates["f1"].idxmax()]
    above = best["change"][1] > 0
    under = best["polar_flagged"] < rate
    if above and under:
        return f"ship {best['reading']}"
    why = [] if above else ["interval not above 0"]
    why += [] if under else [f"flags {best['polar_flagged']:.1%} of polar reviews"]
    return f"not shipped: best is {best['reading']}, {'; '.join(why)}"


def main(folder: str, cap: float | None = None) -> pd.DataFrame:
    """Print and return :func:`compare`'s table and the verdict, from out-of-fold rows."""
    reviews, sentences = out_of_fold(folder)
    table = compare(reviews, sentences, cap)
    with pd.option_context("display.width", 250, "display.max_columns", 30):
        print(table.to_string())
    print(decision(table), flush=True)
    return table


def shipped_cascade(texts: list[str], cache: Path, language: str) -> np.ndarray:
    """Return the shipped cascade's probabilities of raw ``texts`` (its unsure rows, budget).

    :func:`cxlens.text.training.evaluate.model_probabilities`'s cascade: the texts read as
    :func:`classify` reads them (noise-normalised, negated problems deleted), new
    embeddings cached in :data:`STORE` only.
    """
    return model_probabilities(texts, cache, language, store_name=STORE)["cascade"]


def readings(
    texts: list[str], probs: np.ndarray, language: str, chosen: dict[str, tuple[float, ...]]
) -> dict[str, np.ndarray]:
    """Return each reading's flags of ``texts``: ``current`` and each candidate at ``chosen``.

    Sentences are scored by the shipped fast head of ``language``.
    """
    least = np.minimum(probs[:, 0], probs[:, 2])
    sentences, owner = split_sentences([normalise_noise(t) for t in texts], keep_noise=True)
    sentence_probs = fast_probabilities(sentences, language) if sentences else np.zeros((0, 3))
    out = {"current": least >= MIXED_MIN}
    for name, params in chosen.items():
        whole = least >= params[0] if name in ("whole", "either") else np.zeros(len(texts), bool)
        a, b = params[-2:] if name != "whole" else (2.0, 2.0)  # 2: no sentence reaches it
        out[name] = whole | mixed_sentences(sentence_probs, owner, len(texts), a, b)
    return out


def rate_interval(
    flags: np.ndarray, draws: int = DRAWS, seed: int = SEED
) -> tuple[float, float, float]:
    """Return the share of True ``flags`` and its 95% percentile bootstrap interval.

    Example:
        >>> rate_interval(np.array([True, False, False, False]), draws=10)[0]
        0.25
    """

    def share(drawn: list[np.ndarray]) -> list[float]:
        return [flags[drawn[0]].mean()]

    return bootstrap_intervals(share, whole(len(flags)), draws, seed)[0]


def f1_interval(
    truth: np.ndarray, flags: np.ndarray, draws: int = DRAWS, seed: int = SEED
) -> tuple[float, float, float]:
    """Return the F1 of ``flags`` and its 95% bootstrap interval (within True and the rest).

    Example:
        >>> truth = np.array([True, True, False, False])
        >>> f1_interval(truth, truth, draws=10)
        (1.0, 1.0, 1.0)
    """

    def score(drawn: list[np.ndarray]) -> list[float]:
        i = np.concatenate(drawn)
        return [f1(truth[i], flags[i])]

    return bootstrap_intervals(score, within_classes(truth), draws, seed)[0]


def held_out(folder: str, chosen: dict[str, tuple[float, ...]]) -> pd.DataFrame:
    """Return the readings' held-out figures, measured only (the test splits chose nothing).

    Russian reviews' whole test split: F1 of "both", share flagged of "both", positive and
    negative reviews. Every other set's capped test split
    (:func:`cxlens.text.training.train.test_rows`): share flagged of its positive and
    negative texts (``polar``: of both together). Each with a 95% bootstrap interval.
    """
    from cxlens.text.training.train import test_rows

    frame = load_sets(folder)
    cache = Path(folder) / "cache"
    reviews = frame[(frame["set"] == SET) & (frame["split"] == "test")]
    others = test_rows(frame)
    others = others[(others["set"] != SET) & others["label"].isin(["positive", "negative"])]
    out = []
    for name, part in pd.concat([reviews, others]).groupby("set", sort=True):
        texts, language = part["text"].tolist(), str(part["language"].iloc[0])
        flags = readings(texts, shipped_cascade(texts, cache, language), language, chosen)
        label = part["label"].to_numpy()
        for reading, got in flags.items():
            row = {"set": name, "reading": reading, "n": len(part)}
            if name == SET:
                row["f1"] = f1_interval(label == BOTH, got)
                row["both"] = rate_interval(got[label == BOTH])
            row["polar"] = rate_interval(got[np.isin(label, ["positive", "negative"])])
            row["positive"] = rate_interval(got[label == "positive"])
            row["negative"] = rate_interval(got[label == "negative"])
            out.append(row)
        print(f"{name} measured", flush=True)
    return pd.DataFrame(out)


def sentence_cost(folder: str, n: int = 10_000) -> dict[str, float]:
    """Return seconds of the fast path and of the sentence reading on ``n`` real test texts.

    The texts: every set's test split, drawn evenly across sets (seeded), all languages.
    """
    import time

    from cxlens.text.training.train import capped

    frame = load_sets(folder)
    texts = capped(frame[frame["split"] == "test"], n)
    out = {"texts": float(len(texts))}
    fast_seconds = sentence_seconds = 0.0
    for language, part in texts.groupby("language"):
        batch = part["text"].tolist()
        started = time.perf_counter()
        classify(batch, mode="fast", language=str(language))
        fast_seconds += time.perf_counter() - started
        started = time.perf_counter()
        sentence_mixed([normalise_noise(t) for t in batch], str(language), 0.5, 0.5)
        sentence_seconds += time.perf_counter() - started
    out.update(fast_seconds=fast_seconds, sentence_seconds=sentence_seconds)
    return out


if __name__ == "__main__":
    if sys.argv[2:3] == ["test"]:
        table = main(sys.argv[1])
        chosen = dict(zip(table["reading"][1:], table["all_folds"][1:], strict=True))
        with pd.option_context("display.width", 250, "display.max_columns", 30):
            print(held_out(sys.argv[1], chosen).to_string())
        print(sentence_cost(sys.argv[1]), flush=True)
    else:
        main(sys.argv[1], float(sys.argv[2]) if sys.argv[2:] else None)


def mixed_sentences(
    sentence_probs: np.ndarray,
    owner: np.ndarray,
    n: int,
    positive_min: float,
    negative_min: float,
) -> np.ndarray:
    """Return, per text, whether one sentence is a clear praise and another a clear complaint.

    ``sentence_probs``: (negative, neutral, positive) probabilities of each sentence;
    ``owner``: its text's index of ``n``. A text is mixed when a sentence has P(positive) >=
    ``positive_min`` and a different one P(negative) >= ``negative_min``.

    Example:
        >>> probs = np.array([[0.1, 0.1, 0.8], [0.7, 0.1, 0.2], [0.5, 0.0, 0.5]])
        >>> mixed_sentences(probs, np.array([0, 0, 1]), 2, 0.5, 0.5).tolist()
        [True, False]
    """
    positive = sentence_probs[:, 2] >= positive_min
    negative = sentence_probs[:, 0] >= negative_min

    def per_text(flags: np.ndarray) -> np.ndarray:
        return np.bincount(owner, weights=flags, minlength=n)

    # some sentence of each kind, and not one sentence that is both
    return (per_text(positive) > 0) & (per_text(negative) > 0) & (per_text(positive | negative) > 1)


def sentence_mixed(
    texts: Sequence[str], language: str | None, positive_min: float, negative_min: float
) -> np.ndarray:
    """Return, per normalised text, whether its sentences hold both a praise and a complaint.

    Each sentence (:func:`cxlens.text.discover.split_sentences`, noise kept) is scored by
    the fast head of ``language`` (:func:`fast_probabilities`) and read by
    :func:`mixed_sentences`.

    Example:
        >>> sentence_mixed(["Кухня отличная, всё вкусно! Но официант нахамил, ужасно.",
        ...                 "Всё отлично, спасибо!"], "ru", 0.5, 0.5).tolist()
        [True, False]
    """
    sentences, owner = split_sentences(texts, keep_noise=True)
    if not sentences:
        return np.zeros(len(texts), dtype=bool)
    probs = fast_probabilities(sentences, language)
    return mixed_sentences(probs, owner, len(texts), positive_min, negative_min)
