"""Sentence embeddings from the packaged encoders: shape, norm, meaning across languages."""

from __future__ import annotations

import numpy as np
import pytest

from cxlens.errors import ArgumentError
from cxlens.text.embeddings import dimensions, embed

# The same complaint in three languages, and an unrelated sentence of praise.
LATE = [
    "My parcel arrived two weeks late.",
    "Моя посылка пришла на две недели позже.",
    "我的包裹晚到了两个星期。",
]
UNRELATED = "The hotel breakfast was delicious and the staff were lovely."


@pytest.mark.parametrize("encoder", ["e5", "use"])
def test_rows_are_unit_length_and_empty_texts_are_zero(encoder):
    vectors = embed(["fine", "", "   ", "ok then"], encoder)
    assert vectors.shape == (4, dimensions(encoder))
    assert vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), [1, 0, 0, 1], atol=1e-5)


@pytest.mark.parametrize("encoder", ["e5", "use"])
def test_translations_are_nearer_each_other_than_an_unrelated_sentence(encoder):
    vectors = embed([*LATE, UNRELATED], encoder)
    similar = vectors[:3] @ vectors[:3].T
    unrelated = vectors[:3] @ vectors[3]
    for i in range(3):
        others = [similar[i, j] for j in range(3) if j != i]
        assert min(others) > unrelated[i]


def test_batching_does_not_change_the_vectors():
    texts = [f"review number {i}: the courier was {'late' if i % 2 else 'early'}" for i in range(7)]
    np.testing.assert_allclose(embed(texts, "use", batch_size=3), embed(texts, "use"), atol=1e-5)


def test_progress_counts_every_text():
    seen: list[int] = []
    embed(["a", "b", "c", "d", "e"], "use", batch_size=2, progress=seen.append)
    assert seen == [2, 2, 1]


def test_unknown_encoder_and_bad_batch_are_refused():
    with pytest.raises(ArgumentError, match="unknown encoder 'bert'"):
        embed(["x"], "bert")  # type: ignore[arg-type]
    with pytest.raises(ArgumentError, match="batch_size"):
        embed(["x"], "use", batch_size=0)
