"""Pairwise precision, recall and F1 on hand-counted clusterings."""

from __future__ import annotations

import ibis
import pytest

from cxlens.errors import SchemaError
from cxlens.identity.evaluate import pairwise_scores


def test_hand_counted_pairs():
    # truth: {1,2,3} {4,5}; predicted: {1,2} {3,4,5}
    keys = {"source": ["s"] * 5, "source_id": ["1", "2", "3", "4", "5"]}
    a = ibis.memtable({**keys, "customer_id": ["x", "x", "y", "y", "y"]})
    t = ibis.memtable({**keys, "person_id": ["p", "p", "p", "q", "q"]})
    row = pairwise_scores(a, t).iloc[0]
    # true pairs 3 + 1 = 4; predicted 1 + 3 = 4; correct: (1,2) and (4,5) = 2
    assert (row["true_pairs"], row["predicted_pairs"], row["true_positives"]) == (4, 4, 2)
    assert row["precision"] == pytest.approx(0.5) and row["recall"] == pytest.approx(0.5)
    assert row["f1"] == pytest.approx(0.5)


def test_missing_column_is_a_schema_error():
    a = ibis.memtable({"source": ["s"], "source_id": ["1"]})
    with pytest.raises(SchemaError, match="assigned lacks column"):
        pairwise_scores(a, a)
