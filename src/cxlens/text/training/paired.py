"""Paired bootstrap changes between two recipes' (or two blends') out-of-fold figures.

:func:`paired_change` compares two recipes' cascades, each at its own chosen settings
(:func:`cxlens.text.training.choices.cascade_choice`), on the same rows;
:func:`paired_probabilities_change` compares any two probabilities of the same rows. Both
resample the same rows for both within each set (:func:`set_figures` gives a resample's
figures) and return each figure's change with its 95% percentile interval
(:func:`cxlens.text.training.resampling.bootstrap_intervals`, the one bootstrap of the text
measurements).

Example:
    >>> part = pd.DataFrame({"set": ["a"] * 2, "label": ["negative", "positive"]})
    >>> got = paired_probabilities_change(part, np.eye(3)[[2, 2]], np.eye(3)[[0, 2]], draws=10)
    >>> float(got["sign"][0])
    0.5
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from cxlens.text.sentiment_model import CLASSES, read_probabilities
from cxlens.text.training.choices import NEUTRAL_MIN, cascade_choice
from cxlens.text.training.resampling import bootstrap_intervals
from cxlens.text.training.train import SEED


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

    Per figure (``macro_f1``: mean over the sets with
    :data:`cxlens.text.training.choices.NEUTRAL_MIN` neutral rows; ``sign``: mean over all
    sets) (change, 2.5th, 97.5th percentile), each recipe's cascade at its own chosen weight
    and shift (:func:`cxlens.text.training.choices.cascade_choice`, held fixed in the draws);
    the same rows resampled for both, within each set. ``stacked``: per recipe, whether its
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

    Per figure (``macro_f1``: mean over the sets with
    :data:`cxlens.text.training.choices.NEUTRAL_MIN` neutral rows; ``sign``: mean over all
    sets) (change, 2.5th, 97.5th percentile of ``draws`` bootstrap draws, the same rows
    resampled for both, within each set).

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

    def change(drawn: list[np.ndarray]) -> list[float]:
        out = []
        for _, label, right in coded:
            per_set = [set_figures(truth[j], label[j], right[j]) for j in drawn]
            f1 = [f for (f, _), keep in zip(per_set, three, strict=True) if keep]
            out.append((np.mean(f1) if f1 else np.nan, np.mean([s for _, s in per_set])))
        return [out[1][0] - out[0][0], out[1][1] - out[0][1]]

    # the same rows for both (paired), resampled within each set
    intervals = bootstrap_intervals(change, sets, draws, seed)
    return dict(zip(("macro_f1", "sign"), intervals, strict=True))
