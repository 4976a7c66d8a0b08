"""Rebuild and measure the shipped emotion head from CEDR (Russian).

Run ``python -m cxlens.text.training.emotion DATA_DIR`` with CEDR's ``cedr-main-train.csv``
and ``cedr-main-test.csv`` in ``DATA_DIR/ru/CEDR`` (as copied in
github.com/searayeah/russian-sentiment-emotion-datasets, commit b43a50a, from the Hugging
Face dataset ``cedr``; Sboev et al. 2021, Apache-2.0). It prints a Markdown table of per-class
F1 on the held-out test split with 95% bootstrap intervals, next to always-"none" (the
majority class), and writes ``heads/emotion_head.npz``. Deterministic: fixed seeds and caps.

CEDR labels each sentence with zero or more of joy, sadness, surprise, fear, anger; the ~1%
with two are left out (one class per text is read). Training rows sharing a text with the
test split (by :func:`cxlens.text.training.sets.leak_key`) are dropped.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import numpy as np
import pandas as pd

from cxlens.text.emotion import EMOTIONS
from cxlens.text.language import normalise_noise
from cxlens.text.sentiment_model import HEADS
from cxlens.text.training.evaluate import RESAMPLES, SEED
from cxlens.text.training.resampling import bootstrap_intervals, whole
from cxlens.text.training.sets import leak_key
from cxlens.text.training.train import embed_cached

#: Rows embedded: e5 reads ~50 texts/s on 2 cores.
TRAIN_CAP = 4000
TEST_CAP = 1000
CAP_SEED = 7


def read_cedr(folder: str | Path) -> pd.DataFrame:
    """Return CEDR's single-emotion rows: ``text``, ``emotion`` (of :data:`EMOTIONS`), ``split``.

    Raises:
        FileNotFoundError: naming the file that is missing.

    Example:
        >>> read_cedr("/work/textdata")["emotion"].value_counts().index[0]  # doctest: +SKIP
        'none'
    """
    frames = []
    for split in ("train", "test"):
        path = Path(folder) / "ru" / "CEDR" / f"cedr-main-{split}.csv"
        if not path.is_file():
            raise FileNotFoundError(
                f"CEDR needs {path}: copy cedr-main-{split}.csv from "
                "github.com/searayeah/russian-sentiment-emotion-datasets (CEDR/)"
            )
        rows = pd.read_csv(path)
        rows["emotion"] = rows["labels"].map(single_emotion)
        rows["split"] = split
        frames.append(rows.dropna(subset=["emotion"])[["text", "emotion", "split"]])
    frame = pd.concat(frames, ignore_index=True)
    frame["text"] = frame["text"].astype(str).str.strip()
    return without_test_leaks(frame[frame["text"] != ""])


def single_emotion(labels: str) -> str | None:
    """Return the emotion of a CEDR label list ("[]", "[2]"), None when it names two.

    CEDR's class ids: 0 joy, 1 sadness, 2 surprise, 3 fear, 4 anger.

    Example:
        >>> single_emotion("[]"), single_emotion("[3]"), single_emotion("[0 2]")
        ('none', 'fear', None)
    """
    ids = ast.literal_eval(labels.replace(" ", ",")) if labels.strip("[] ") else []
    if len(ids) > 1:
        return None
    return EMOTIONS[ids[0] + 1] if ids else "none"


def without_test_leaks(frame: pd.DataFrame) -> pd.DataFrame:
    """Return ``frame`` less training rows whose text (by ``leak_key``) is in the test split."""
    keys = frame["text"].map(leak_key)
    tested = set(keys[frame["split"] == "test"])
    return frame[~((frame["split"] == "train") & keys.isin(tested))].reset_index(drop=True)


def sample(frame: pd.DataFrame, split: str, cap: int) -> pd.DataFrame:
    """Return at most ``cap`` rows of ``split``, drawn with a fixed seed."""
    part = frame[frame["split"] == split]
    return part.sample(n=min(cap, len(part)), random_state=CAP_SEED).sort_index()


def fit(vectors: np.ndarray, emotions: np.ndarray) -> object:
    """Return a balanced 6-class logistic regression of ``emotions`` on e5 ``vectors``."""
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression(C=2.0, class_weight="balanced", max_iter=3000).fit(vectors, emotions)


def class_f1(truth: np.ndarray, predicted: np.ndarray, label: str) -> float:
    """Return the F1 of one class (0 when it is never true nor predicted).

    Example:
        >>> class_f1(np.array(["joy", "none"]), np.array(["joy", "joy"]), "joy")
        0.6666666666666666
    """
    tp = np.sum((truth == label) & (predicted == label))
    wrong = np.sum((truth == label) != (predicted == label))
    return float(2 * tp / (2 * tp + wrong)) if tp + wrong else 0.0


def figures_with_intervals(truth: np.ndarray, predicted: np.ndarray) -> dict[str, tuple]:
    """Return per-class F1, macro-F1 and accuracy as (value, 2.5%, 97.5%) over resamples.

    :data:`RESAMPLES` resamples of the rows (:func:`bootstrap_intervals`).

    Example:
        >>> t = np.array(["joy", "none", "joy", "none"])
        >>> figures_with_intervals(t, t)["accuracy"]
        (1.0, 1.0, 1.0)
    """

    def point(t: np.ndarray, p: np.ndarray) -> dict[str, float]:
        per_class = {e: class_f1(t, p, e) for e in EMOTIONS}
        return {**per_class, "macro_f1": float(np.mean(list(per_class.values()))),
                "accuracy": float(np.mean(t == p))}  # fmt: skip

    names = list(point(truth, predicted))

    def statistic(drawn: list[np.ndarray]) -> list[float]:
        got = point(truth[drawn[0]], predicted[drawn[0]])
        return [got[k] for k in names]

    intervals = bootstrap_intervals(statistic, whole(len(truth)), RESAMPLES, SEED)
    return dict(zip(names, intervals, strict=True))


def markdown(rows: dict[str, dict[str, tuple]], n: int) -> str:
    """Return one Markdown row per measure, one column per method ("value [low, high]")."""
    methods = list(rows)
    lines = [f"| measure (n = {n}) | " + " | ".join(methods) + " |",
             "| --- |" + " --- |" * len(methods)]  # fmt: skip
    for key in rows[methods[0]]:
        cells = [f"{rows[m][key][0]:.2f} [{rows[m][key][1]:.2f}, {rows[m][key][2]:.2f}]"
                 for m in methods]  # fmt: skip
        lines.append(f"| {key} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def normalised(rows: pd.DataFrame) -> list[str]:
    """Return the rows' texts as :func:`cxlens.text.emotion.emotion` reads them."""
    return [normalise_noise(t) for t in rows["text"]]


def main(folder: str, out: Path = HEADS) -> str:
    """Fit the emotion head on CEDR's training split, write it, return its held-out table."""
    frame = read_cedr(folder)
    train, test = sample(frame, "train", TRAIN_CAP), sample(frame, "test", TEST_CAP)
    cache = Path(folder) / "cache"
    model = fit(embed_cached(normalised(train), cache, "e5_emotion.npz"),
                train["emotion"].to_numpy())  # fmt: skip
    order = [list(model.classes_).index(e) for e in EMOTIONS]  # type: ignore[attr-defined]
    np.savez_compressed(
        out / "emotion_head.npz",
        coef=model.coef_[order].astype(np.float32),  # type: ignore[attr-defined]
        intercept=model.intercept_[order].astype(np.float32),  # type: ignore[attr-defined]
        classes=np.array(EMOTIONS),
    )
    vectors = embed_cached(normalised(test), cache, "e5_emotion.npz")
    predicted = np.asarray(model.predict(vectors), dtype=object)  # type: ignore[attr-defined]
    truth = test["emotion"].to_numpy().astype(object)
    majority = train["emotion"].mode().iloc[0]
    table = {
        "e5 head": figures_with_intervals(truth, predicted),
        f"always {majority}": figures_with_intervals(truth, np.full(len(truth), majority)),
    }
    return markdown(table, len(test))


if __name__ == "__main__":
    print(main(sys.argv[1]), flush=True)
