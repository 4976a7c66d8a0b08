"""Sentiment of every post, scored in batches and kept as the derived table ``post_sentiment``.

Scoring text is the one step that cannot run in the engine: post ids and texts stream out in
Arrow batches, :func:`cxlens.text.sentiment` scores each batch, and the result is saved with
``ws.save_table``. Stored scores are reused while they are up to date: only posts without a
score from the same scorer are scored again, and scores of posts no longer in ``posts``
(erased) are dropped. Analyses join the table back to ``posts`` in the engine.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import ibis.expr.types as ir
import pandas as pd

from cxlens.errors import ArgumentError
from cxlens.store.catalog import Catalog
from cxlens.store.query import require_columns, run
from cxlens.text import SentimentBackend, sentiment
from cxlens.text.sentiment import resolve_backend

#: Name of the derived table with one sentiment row per post.
POST_SENTIMENT_TABLE = "post_sentiment"

#: Columns of ``post_sentiment``; ``scorer`` names the backend that scored the row.
SENTIMENT_COLUMNS: tuple[str, ...] = ("post_id", "language", "label", "score", "status", "scorer")


@dataclass(frozen=True)
class ScoreResult:
    """What :func:`score_posts` did.

    Attributes:
        table: the stored ``post_sentiment`` table (Ibis).
        scored: posts scored by this call.
        reused: stored scores kept.
        dropped: stored scores removed (post gone, or scored by another backend).
    """

    table: ir.Table
    scored: int
    reused: int
    dropped: int


def scorer_name(backend: Any) -> str:
    """Return the name stored with each score: the backend's name, plus its model folder.

    Example:
        >>> from cxlens.text import LexiconBackend
        >>> scorer_name(LexiconBackend())
        'lexicon'
    """
    path = getattr(backend, "model_path", None)
    name = str(getattr(backend, "name", type(backend).__name__))
    return f"{name}:{path}" if path else name


def _count(expr: ir.Table, what: str) -> int:
    return int(run(expr.count(), what))


def score_posts(
    ws: Catalog,
    *,
    backend: SentimentBackend | str | Path | None = None,
    batch_size: int = 5000,
    force: bool = False,
) -> ScoreResult:
    """Score the sentiment of every post and store it as ``post_sentiment``.

    Args:
        ws: the Workspace; needs ``posts`` with ``post_id`` and ``text``.
        backend: sentiment backend (None: the offline default; see :mod:`cxlens.text`).
        batch_size: posts fetched and scored per batch.
        force: score every post again even when stored scores are up to date.

    Returns:
        :class:`ScoreResult`; its ``table`` has the columns :data:`SENTIMENT_COLUMNS`, one row
        per post (label and score missing where the text could not be scored; ``status``
        says why).

    Example:
        >>> score_posts(ws).scored  # doctest: +SKIP
        4000
    """
    if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
        raise ArgumentError(f"batch_size must be a positive integer; got {batch_size!r}")
    posts = ws.table("posts")
    require_columns(posts, "posts", "post_id", "text")
    model = resolve_backend(backend)
    name = scorer_name(model)
    posts = posts.select("post_id", "text")

    keep: ir.Table | None = None
    stored_rows = 0
    if ws.has_table(POST_SENTIMENT_TABLE) and not force:
        stored = ws.table(POST_SENTIMENT_TABLE)
        if set(SENTIMENT_COLUMNS) <= set(stored.columns):
            stored_rows = _count(stored, "stored post sentiment")
            keep = stored.filter(stored["scorer"] == name).semi_join(posts, "post_id")
            keep = keep.select(*SENTIMENT_COLUMNS)
    todo = posts if keep is None else posts.anti_join(keep, "post_id")
    reused = 0 if keep is None else _count(keep, "reusable post sentiment")
    missing = _count(todo, "posts to score")
    if keep is not None and missing == 0 and reused == stored_rows:
        return ScoreResult(ws.table(POST_SENTIMENT_TABLE), 0, reused, 0)

    frames: list[pd.DataFrame] = []
    if missing:
        for batch in todo.to_pyarrow_batches(chunk_size=batch_size):
            chunk = batch.to_pandas()
            if chunk.empty:
                continue
            scored = sentiment(chunk["text"].tolist(), backend=model)
            frames.append(
                pd.DataFrame(
                    {
                        "post_id": chunk["post_id"].astype(str).to_numpy(),
                        "language": scored["language"].astype(str).to_numpy(),
                        "label": scored["label"].astype(object).to_numpy(),
                        "score": scored["score"].astype("float64").to_numpy(),
                        "status": scored["status"].astype(str).to_numpy(),
                        "scorer": name,
                    }
                )
            )
    if keep is not None and reused:
        frames.insert(0, run(keep, "reusable post sentiment"))
    frame = _tidy(frames)
    table = ws.save_table(POST_SENTIMENT_TABLE, frame)
    return ScoreResult(table, missing, reused, stored_rows - reused)


def _tidy(frames: list[pd.DataFrame]) -> pd.DataFrame:
    if frames:
        frame = pd.concat(frames, ignore_index=True)
    else:
        frame = pd.DataFrame({c: [] for c in SENTIMENT_COLUMNS})
    out = pd.DataFrame(
        {
            "post_id": frame["post_id"].astype("string"),
            "language": frame["language"].astype("string"),
            "label": frame["label"].astype(object).where(frame["label"].notna(), None),
            "score": pd.to_numeric(frame["score"], errors="coerce").astype("float64"),
            "status": frame["status"].astype("string"),
            "scorer": frame["scorer"].astype("string"),
        }
    )
    out["label"] = out["label"].astype("string")
    return out.sort_values("post_id", kind="mergesort").reset_index(drop=True)


def with_sentiment(posts: ir.Table, scores: ir.Table) -> ir.Table:
    """Join ``label`` and ``score`` of ``post_sentiment`` onto ``posts`` (in the engine).

    Posts without a stored score keep null ``sentiment_label``/``sentiment_score``.

    Returns:
        ``posts`` with two more columns, ``sentiment_label`` and ``sentiment_score``.

    Example:
        >>> import ibis
        >>> p = ibis.memtable({"post_id": ["a", "b"]})
        >>> s = ibis.memtable({"post_id": ["a"], "label": ["negative"], "score": [-0.5]})
        >>> out = with_sentiment(p, s).order_by("post_id").execute()
        >>> out["sentiment_label"].isna().tolist()
        [False, True]
    """
    require_columns(scores, POST_SENTIMENT_TABLE, "post_id", "label", "score")
    s = scores.select(
        _sid=scores["post_id"],
        sentiment_label=scores["label"].cast("string"),
        sentiment_score=scores["score"].cast("float64"),
    )
    joined = posts.left_join(s, posts["post_id"] == s["_sid"])
    return joined.drop("_sid")


def sentiment_table(
    ws: Catalog, *, backend: SentimentBackend | str | Path | None = None
) -> ir.Table:
    """Return ``posts`` with ``sentiment_label``/``sentiment_score``, scoring what is missing.

    Example:
        >>> sentiment_table(ws).sentiment_label.value_counts().execute()  # doctest: +SKIP
    """
    scores = score_posts(ws, backend=backend).table
    return with_sentiment(ws.table("posts"), scores)
