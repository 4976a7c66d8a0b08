"""Pairwise precision, recall and F1 on hand-counted clusterings."""

from __future__ import annotations

import ibis
import pytest

from cxlens.errors import SchemaError
from cxlens.identity.evaluate import pairwise_scores, truth_column


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


def test_truth_column_is_named_or_the_only_other_one():
    keys = ["source", "source_id"]
    assert truth_column([*keys, "customer_id"]) == "customer_id"  # the demo's identity_links
    assert truth_column([*keys, "person_id"]) == "person_id"
    assert truth_column([*keys, "household"]) == "household"
    assert truth_column([*keys, "person_id", "email"]) == "person_id"
    assert truth_column([*keys, "email", "household"], true="household") == "household"
    with pytest.raises(SchemaError, match=r"cannot tell .* \(columns besides source and "
                       r"source_id: email, household\)"):  # fmt: skip
        truth_column([*keys, "email", "household"])
    with pytest.raises(SchemaError, match=r"cannot tell .*: none"):
        truth_column(keys)
    with pytest.raises(SchemaError, match="lacks column\\(s\\) source_id"):
        truth_column(["source", "customer_id"])
    with pytest.raises(SchemaError, match="lacks column\\(s\\) person_id"):
        truth_column([*keys, "customer_id"], true="person_id")
