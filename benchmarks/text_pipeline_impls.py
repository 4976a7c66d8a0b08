"""The two implementations the text benchmark times: cxlens and VADER alone on English.

* cxlens: ``cxlens.text.sentiment`` on every comment (cleaning, language detection, the
  default model's cascade; loading the heads is timed too), then, untimed, the fast head's
  and the cascade's agreement with the accurate path on a seeded sample,
  then themes: a :class:`~cxlens.text.discover.ThemeModel` fitted on a seeded sample of at
  most ``fit_sample`` analysed comments (fit timed) and every comment assigned in batches of
  ``batch_size``, the way :func:`cxlens.text.themes.themes_for_workspace` does it. The three
  parts are timed inside the run and returned with the result.
* vader: ``vaderSentiment`` compound scores of the English comments only, labelled with
  VADER's own +/-0.05 thresholds.

Each ``tidy`` returns ``{"labels": frame}`` with the source language, the true label and the
predicted one, so the benchmark can report accuracy next to speed; cxlens's also has each
comment's theme count and theme status, and the frames ``split`` (seconds per part) and
``themes`` (the themes found, with the comments assigned to each).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd


def _texts(path: str) -> tuple[list[Any], pd.DataFrame]:
    frame = pd.read_parquet(path)
    # pandas 3 reads the missing texts as NaN, not None: the bytes stand in for any non-str
    pairs = zip(frame["text"], frame["raw"], strict=True)
    texts = [t if isinstance(t, str) else r for t, r in pairs]
    return texts, frame


#: Statuses of comments that theme assignment reads (as in cxlens.text.themes).
ANALYSED = ("ok", "truncated", "invalid_utf8")


@dataclass
class CxlensText:
    """``cxlens.text.sentiment`` on every comment, then theme discovery and assignment."""

    path: str
    fit_sample: int = 50_000
    batch_size: int = 50_000
    seed: int = 0
    agreement_sample: int = 300

    def __post_init__(self) -> None:
        self.texts, self.frame = _texts(self.path)

    def run(self) -> dict[str, Any]:
        from cxlens.text.sentiment import sentiment_run
        from cxlens.text.sentiment_model import load_head

        load_head.cache_clear()  # time loading the heads too
        start = time.perf_counter()
        run = sentiment_run(self.texts)
        scored = run.scores
        agreement = self._agreement(scored)
        fit_start = time.perf_counter()
        model, fitted_on = self._fit(scored)
        assign_start = time.perf_counter()
        n_themes, theme_status, members = self._assign(model, scored)
        end = time.perf_counter()
        split = {
            "sentiment": fit_start - start - agreement["seconds"],
            "theme_fit": assign_start - fit_start,
            "assignment": end - assign_start,
        }
        return {"scored": scored, "model": model, "fitted_on": fitted_on, "split": split,
                "accurate": (run.accurate_texts, run.accurate_seconds), "n_themes": n_themes,
                "theme_status": theme_status, "members": members,
                "agreement": agreement}  # fmt: skip

    def _agreement(self, scored: pd.DataFrame) -> dict[str, float]:
        """Return how often the fast head alone agrees with the accurate path (e5 on every
        text) on a seeded sample of ``agreement_sample`` scored comments; not in the timings."""
        from cxlens.text.sentiment_model import classify

        start = time.perf_counter()
        ok = np.flatnonzero(scored["label"].notna().to_numpy())
        pick = np.random.default_rng(self.seed).choice(
            ok, min(self.agreement_sample, len(ok)), replace=False
        )
        texts = [str(self.texts[i]) for i in pick]
        fast = classify(texts, mode="fast")[0].argmax(axis=1)
        accurate = classify(texts, mode="accurate")[0].argmax(axis=1)
        cascade = scored["label"].astype(object).to_numpy()[pick]
        names = np.array(["negative", "neutral", "positive"], dtype=object)
        return {
            "sample": len(pick),
            "fast_vs_accurate": float(np.mean(fast == accurate)),
            "cascade_vs_accurate": float(np.mean(cascade == names[accurate])),
            "seconds": time.perf_counter() - start,
        }

    def _fit(self, scored: pd.DataFrame) -> tuple[Any, int]:
        """Fit the ThemeModel on a seeded sample of the analysed comments."""
        from cxlens.text.clean import clean
        from cxlens.text.discover import ThemeModel

        analysed = np.flatnonzero(scored["status"].isin(ANALYSED).to_numpy())
        rng = np.random.default_rng(self.seed)
        pick = np.sort(rng.choice(analysed, min(self.fit_sample, len(analysed)), replace=False))
        cleaned = clean([self.texts[i] for i in pick])
        # sentiment's languages are reused: detection is not done twice
        langs = scored["language"].to_numpy(dtype=object)[pick].tolist()
        model = ThemeModel(seed=self.seed).fit([c.text for c in cleaned], langs)
        return model, len(pick)

    def _assign(self, model: Any, scored: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, pd.Series]:
        """Assign every comment in batches; return theme counts, theme statuses, members.

        The theme status is "assigned", "no_theme" (analysed, an outlier), the sentiment
        status of comments not analysed, or "unsupported_language" (no theme model).
        """
        from cxlens.text.clean import clean

        n = len(self.texts)
        n_themes = np.zeros(n, dtype=np.int64)
        status = scored["status"].to_numpy(dtype=object).copy()
        langs = scored["language"].to_numpy(dtype=object)
        usable = np.isin(status, ANALYSED)
        status[usable & ~np.isin(langs, list(model.models_))] = "unsupported_language"
        usable &= np.isin(langs, list(model.models_))
        members = pd.Series(0, index=model.themes_["theme"].to_numpy(), dtype="int64")
        for lo in range(0, n, self.batch_size):
            hi = min(lo + self.batch_size, n)
            cleaned = clean(self.texts[lo:hi])
            texts = [c.text if ok else "" for c, ok in zip(cleaned, usable[lo:hi], strict=True)]
            found = model.transform(texts, langs[lo:hi].tolist())
            found = found[usable[lo + found["row"].to_numpy()]]
            np.add.at(n_themes, lo + found["row"].to_numpy(), 1)
            members = members.add(found["theme"].value_counts(), fill_value=0)
        status[usable] = np.where(n_themes[usable] > 0, "assigned", "no_theme")
        return n_themes, status, members.astype("int64")

    def tidy(self, result: dict[str, Any]) -> dict[str, pd.DataFrame]:
        scored = result["scored"]
        themes = result["model"].themes_[["theme", "language", "label", "aspect"]].copy()
        members = result["members"].reindex(themes["theme"]).fillna(0).astype("int64")
        split = pd.DataFrame([{**result["split"], "fitted_on": result["fitted_on"]}])
        agreement = pd.DataFrame([result["agreement"]])
        texts, seconds = result["accurate"]
        accurate = pd.DataFrame([{"accurate_texts": texts, "accurate_seconds": seconds}])
        return {
            "labels": pd.DataFrame(
                {
                    "source": self.frame["language"],
                    "truth": self.frame["label"],
                    "predicted": scored["label"].astype(object),
                    "language": scored["language"],
                    "status": scored["status"],
                    "themes": result["n_themes"],
                    "theme_status": result["theme_status"],
                }
            ),
            "split": split,
            "agreement": agreement,
            "accurate": accurate,
            "themes": themes.assign(members=members.to_numpy()),
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
