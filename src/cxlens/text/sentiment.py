"""Sentiment per text: language, label (positive/neutral/negative) and score in [-1, 1].

Every input text gives exactly one row, in order. Texts are cleaned (:mod:`cxlens.text.clean`),
their language detected (:mod:`cxlens.text.language`), then scored in one batch per language
by the backend. What cannot be scored says why in ``status``: ``empty`` texts and texts in a
language the backend does not score (``unsupported_language``) get no label; emoji-only texts
(``no_letters``) are scored by the English scorer, which knows emoji, and have language "und".

The default backend is the trained model (:class:`~cxlens.text.backends.ModelBackend`): its
label is the most probable of negative/neutral/positive (neutral: no opinion), its score
P(positive) - P(negative), and ``mixed_sentiment`` says both polarities are strong. Other
backends give a score and a neutral band, and ``mixed_sentiment`` is missing.

A call of at least :data:`PROGRESS_MIN` texts shows a Rich progress bar on a terminal (texts
scored of all, time since the start), removed when done; elsewhere (tests, pipes) it is silent.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from cxlens.errors import ArgumentError
from cxlens.text.backends import (
    LexiconBackend,
    ModelBackend,
    SentimentBackend,
    TransformerBackend,
)
from cxlens.text.clean import MAX_CHARS, clean
from cxlens.text.language import UNDETERMINED, detect_one
from cxlens.text.sentiment_model import MODES, read_probabilities

if TYPE_CHECKING:
    from rich.console import Console

LABELS: tuple[str, ...] = ("negative", "neutral", "positive")
COLUMNS: tuple[str, ...] = ("language", "mixed", "label", "score", "mixed_sentiment", "status")
#: Calls of at least this many texts show a progress bar (on a terminal): below it the
#: cascade's accurate path takes seconds.
PROGRESS_MIN = 1000


@contextmanager
def texts_progress(total: int, console: Console | None = None) -> Iterator[Callable[[int], None]]:
    """Show a bar over ``total`` texts while the block runs; yield the callback "n more done".

    The bar shows texts scored of ``total`` and the time since the start, and is removed at the
    end. Nothing is drawn when ``console`` (default: a new one on stdout) is not a terminal.

    Example:
        >>> from rich.console import Console
        >>> with texts_progress(3, Console(quiet=True)) as done:
        ...     done(2)
        ...     done(1)
    """
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
    )

    console = console or Console()
    with Progress(
        TextColumn("[bold]sentiment"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("texts"),
        TimeElapsedColumn(),
        console=console,
        transient=True,
        disable=not console.is_terminal,
    ) as bar:
        task = bar.add_task("sentiment", total=total)
        yield lambda n: bar.advance(task, n)


def resolve_backend(
    backend: SentimentBackend | str | Path | None,
    progress: Callable[[int], None] | None = None,
) -> SentimentBackend:
    """Return the backend: the model (in a mode), lexicons, a local model or the object given.

    Example:
        >>> [resolve_backend(b).name for b in (None, "fast", "lexicon")]
        ['model', 'model-fast', 'lexicon']
    """
    if backend is None or backend in ("default", "model"):
        return ModelBackend(progress=progress)
    if isinstance(backend, str) and backend in MODES:
        return ModelBackend(mode=backend, progress=progress)
    if backend == "lexicon":
        return LexiconBackend()
    if isinstance(backend, str | Path):
        return TransformerBackend(backend).load()
    if not all(hasattr(backend, m) for m in ("score", "supports", "band")):
        raise ArgumentError(
            f"backend must be None, 'default', 'fast', 'accurate', 'lexicon', a local model "
            f"folder or an object with "
            f"score/supports/band methods, not {type(backend).__name__}"
        )
    return backend


def label_scores(scores: np.ndarray, band: tuple[float, float]) -> np.ndarray:
    """Return "negative" at or below band[0], "positive" at or above band[1], else "neutral".

    Example:
        >>> label_scores(np.array([-0.5, 0.0, 0.6]), (-0.05, 0.35)).tolist()
        ['negative', 'neutral', 'positive']
    """
    low, high = band
    return np.where(scores >= high, "positive", np.where(scores <= low, "negative", "neutral"))


def sentiment(
    texts: Iterable[object],
    *,
    backend: SentimentBackend | str | Path | None = None,
    language: str | None = None,
    max_chars: int = MAX_CHARS,
    progress: Callable[[int], None] | None = None,
    show_progress: bool | None = None,
    emotion: bool = False,
) -> pd.DataFrame:
    """Score the sentiment of every text.

    Args:
        texts: str, bytes (decoded as UTF-8) or None; one output row per input.
        backend: None (or "default") for the trained model's cascade (en, ru, zh);
            "accurate" (every text through e5, ~50 texts/s on 2 cores) or "fast" (the fast
            head alone); "lexicon" for the lexicon scorers; a local Hugging Face model folder
            (needs torch and transformers); or a :class:`SentimentBackend` object.
        language: skip detection and treat every text as this language (e.g. "ru").
        max_chars: longest text scored; longer texts are cut and flagged ``truncated``.
        progress: called with the number of texts just embedded by the model's accurate
            path (drive a progress bar with it).
        show_progress: draw a Rich bar over the texts on a terminal; None (default) draws
            it for :data:`PROGRESS_MIN` texts or more.
        emotion: add an ``emotion`` column (:mod:`cxlens.text.emotion`: joy, sadness,
            surprise, fear, anger or none) for Russian texts; missing for other languages.
            Every Russian text is then embedded (~50 texts/s on 2 cores).

    Returns:
        A DataFrame, one row per text in input order, with ``language`` (ISO code, "und"
        without letters), ``mixed`` (a second script holds 20%+ of the letters), ``label``
        (positive/neutral/negative, missing where not scored), ``score`` (in [-1, 1], NaN
        where not scored), ``mixed_sentiment`` (both polarities strong; missing where not
        scored or the backend cannot tell) and ``status`` (ok, empty, no_letters,
        invalid_utf8, truncated, unsupported_language).

    Example:
        >>> sentiment(["Great support, thanks!", "Ужасная связь", "质量很差"])["label"].tolist()
        ['positive', 'negative', 'negative']
    """
    return sentiment_run(
        texts, backend=backend, language=language, max_chars=max_chars, progress=progress,
        show_progress=show_progress, emotion=emotion,
    ).scores  # fmt: skip


@dataclass(frozen=True)
class SentimentRun:
    """One sentiment call: the scores and how they were made (:func:`sentiment_run`).

    Attributes:
        scores: :func:`sentiment`'s frame, one row per text in input order.
        backend: the backend's name ("model" for the cascade, "model-fast",
            "model-accurate", "lexicon", "transformer" or a custom backend's ``name``).
        accurate_texts: texts this call sent to the model's accurate (e5) path; 0 for
            backends without one.
        accurate_seconds: seconds those texts took.
        accurate_cpu_seconds: CPU seconds (all threads) those texts took.
    """

    scores: pd.DataFrame
    backend: str
    accurate_texts: int = 0
    accurate_seconds: float = 0.0
    accurate_cpu_seconds: float = 0.0


def sentiment_run(
    texts: Iterable[object],
    *,
    backend: SentimentBackend | str | Path | None = None,
    language: str | None = None,
    max_chars: int = MAX_CHARS,
    progress: Callable[[int], None] | None = None,
    show_progress: bool | None = None,
    emotion: bool = False,
) -> SentimentRun:
    """Score every text as :func:`sentiment` does; also say which backend and path did it.

    Returns:
        A :class:`SentimentRun`: ``scores`` (the frame :func:`sentiment` returns), the
        ``backend`` name and the texts and seconds of this call on the accurate path.

    Example:
        >>> run = sentiment_run(["Thanks, all fixed", "Ужасная связь"], backend="fast")
        >>> run.backend, run.accurate_texts, run.scores["label"].tolist()
        ('model-fast', 0, ['positive', 'negative'])
    """
    texts = list(texts)
    if not (len(texts) >= PROGRESS_MIN if show_progress is None else show_progress):
        model = resolve_backend(backend, progress)
        before = _accurate_stats(model)
        scored = score_texts(texts, model, language, max_chars)
        return _run(with_emotion(scored, texts, emotion, max_chars), model, before)
    with texts_progress(len(texts)) as done:

        def embedded(n: int) -> None:  # the accurate path's texts, as they are embedded
            done(n)
            if progress is not None:
                progress(n)

        model = resolve_backend(backend, embedded)
        before = _accurate_stats(model)
        scored = score_texts(texts, model, language, max_chars, done)
        return _run(with_emotion(scored, texts, emotion, max_chars), model, before)


def _accurate_stats(model: SentimentBackend) -> tuple[int, float, float]:
    """Return the texts, seconds and CPU seconds of a backend's accurate path so far."""
    stats = getattr(model, "stats", None) or {}
    return (
        int(stats.get("accurate_texts", 0)),
        float(stats.get("accurate_seconds", 0.0)),
        float(stats.get("accurate_cpu_seconds", 0.0)),
    )


def _run(
    scores: pd.DataFrame, model: SentimentBackend, before: tuple[int, float, float]
) -> SentimentRun:
    """Return the call's run; a backend object passed in may have scored earlier calls."""
    texts, seconds, cpu = _accurate_stats(model)
    name = str(getattr(model, "name", type(model).__name__))
    return SentimentRun(scores, name, texts - before[0], seconds - before[1], cpu - before[2])


def with_emotion(
    frame: pd.DataFrame, texts: list[object], wanted: bool, max_chars: int = MAX_CHARS
) -> pd.DataFrame:
    """Return ``frame`` with an ``emotion`` column before ``status`` when ``wanted``.

    Read where the text was scored and is in a language of the emotion head.

    Example:
        >>> with_emotion(pd.DataFrame({"status": ["ok"]}), ["x"], False).columns.tolist()
        ['status']
    """
    if not wanted:
        return frame
    from cxlens.text.emotion import LANGUAGES, read_emotions

    cleaned = clean(texts, max_chars)
    readable = frame["language"].isin(LANGUAGES).to_numpy() & frame["label"].notna().to_numpy()
    labels, _ = read_emotions([c.text for c in cleaned], readable)
    frame.insert(frame.columns.get_loc("status"), "emotion", labels)
    return frame


def score_texts(
    texts: list[object],
    model: SentimentBackend,
    language: str | None,
    max_chars: int,
    done: Callable[[int], None] | None = None,
) -> pd.DataFrame:
    """Return :func:`sentiment`'s frame for ``texts`` scored by ``model``.

    ``done`` is told how many texts each language's batch scored without the accurate path
    (those it embedded are counted by the backend's own progress callback).

    Example:
        >>> score_texts(["Thanks, all fixed"], ModelBackend(mode="fast"), None, MAX_CHARS)[
        ...     "label"
        ... ].tolist()
        ['positive']
    """
    cleaned = clean(texts, max_chars)
    n = len(cleaned)
    languages = np.full(n, UNDETERMINED, dtype=object)
    mixed = np.zeros(n, dtype=bool)
    statuses = np.array([c.status for c in cleaned], dtype=object)
    detected: dict[str, tuple[str, bool]] = {}  # a repeated text is detected once
    for i, c in enumerate(cleaned):
        if c.status in ("empty", "no_letters"):
            continue
        if language:
            languages[i], mixed[i] = language, False
            continue
        if c.text not in detected:
            detected[c.text] = detect_one(c.text)
        languages[i], mixed[i] = detected[c.text]
    # Emoji-only texts go to the English scorer (VADER reads emoji); "und" stays their language.
    scorer_language = np.where(statuses == "no_letters", "en", languages)
    scores = np.full(n, np.nan)
    labels = np.full(n, None, dtype=object)
    both = np.full(n, None, dtype=object)
    for lang in pd.unique(scorer_language[statuses != "empty"]):
        idx = np.flatnonzero((scorer_language == lang) & (statuses != "empty"))
        if not model.supports(lang):
            statuses[idx] = "unsupported_language"  # why there is no score matters most
            continue
        texts_of = [cleaned[i].text for i in idx]
        embedded_before = getattr(model, "stats", {}).get("accurate_texts", 0)
        if hasattr(model, "classify"):  # class probabilities: label, score and mixed from them
            probabilities = model.classify(texts_of, lang)
            labels[idx], scores[idx], both[idx] = read_probabilities(probabilities)
        else:
            values = np.clip(model.score(texts_of, lang), -1.0, 1.0)
            scores[idx] = values
            labels[idx] = label_scores(values, model.band(lang))
        if done is not None:
            embedded = getattr(model, "stats", {}).get("accurate_texts", 0) - embedded_before
            done(len(idx) - int(embedded))
    frame = pd.DataFrame(
        {
            "language": languages,
            "mixed": mixed,
            "label": pd.Categorical(labels, categories=list(LABELS)),
            "score": scores,
            "mixed_sentiment": pd.array(both, dtype="boolean"),
            "status": statuses,
        }
    )
    frame["language"] = frame["language"].astype(str)
    frame["status"] = frame["status"].astype(str)
    return frame
