"""The two implementations the text benchmark times: cxlens and VADER alone on English.

* cxlens: ``cxlens.text.sentiment`` on every comment (cleaning, language detection, the
  per-language default scorers; the Chinese model's training on first use is timed too).
* vader: ``vaderSentiment`` compound scores of the English comments only, labelled with
  VADER's own +/-0.05 thresholds.

Each ``tidy`` returns ``{"labels": frame}`` with the source language, the true label and the
predicted one, so the benchmark can report accuracy next to speed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd


def _texts(path: str) -> tuple[list[Any], pd.DataFrame]:
    frame = pd.read_parquet(path)
    texts = [r if t is None else t for t, r in zip(frame["text"], frame["raw"], strict=True)]
    return texts, frame


@dataclass
class CxlensText:
    """``cxlens.text.sentiment`` on every comment."""

    path: str

    def __post_init__(self) -> None:
        self.texts, self.frame = _texts(self.path)

    def run(self) -> pd.DataFrame:
        from cxlens.text import sentiment
        from cxlens.text.sentiment_zh import chinese_model

        chinese_model.cache_clear()  # time the training too
        return sentiment(self.texts)

    def tidy(self, result: pd.DataFrame) -> dict[str, pd.DataFrame]:
        return {
            "labels": pd.DataFrame(
                {
                    "source": self.frame["language"],
                    "truth": self.frame["label"],
                    "predicted": result["label"].astype(object),
                    "language": result["language"],
                    "status": result["status"],
                }
            )
        }


@dataclass
class VaderEnglish:
    """VADER alone on the English comments."""

    path: str

    def __post_init__(self) -> None:
        _, frame = _texts(self.path)
        self.frame = frame[frame["language"] == "en"]
        self.texts = self.frame["text"].tolist()

    def run(self) -> np.ndarray:
        from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

        vader = SentimentIntensityAnalyzer()
        return np.array([vader.polarity_scores(t)["compound"] for t in self.texts])

    def tidy(self, result: np.ndarray) -> dict[str, pd.DataFrame]:
        labels = np.where(
            result >= 0.05, "positive", np.where(result <= -0.05, "negative", "neutral")
        )
        return {
            "labels": pd.DataFrame(
                {"source": "en", "truth": self.frame["label"].to_numpy(), "predicted": labels}
            )
        }


def factories() -> dict[str, tuple[str, Any]]:
    """Return ``{name: (target, kwargs(path))}`` of the implementations, cxlens first."""
    return {
        "cxlens": ("benchmarks.text_pipeline_impls:CxlensText", lambda p: {"path": str(p)}),
        "vader": ("benchmarks.text_pipeline_impls:VaderEnglish", lambda p: {"path": str(p)}),
    }
