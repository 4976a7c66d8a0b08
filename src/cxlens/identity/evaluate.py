"""Pairwise linkage quality against known true identities, counted in the engine.

Two records form a *predicted pair* when they share a ``customer_id`` and a *true pair* when
they share a true identity. Precision = true predicted pairs / predicted pairs, recall = true
predicted pairs / true pairs, F1 their harmonic mean. Pairs are counted from group sizes
(n records make n(n-1)/2 pairs), so nothing is enumerated.
"""

from __future__ import annotations

from collections.abc import Sequence

import ibis  # noqa: F401  (used in the docstring example)
import ibis.expr.types as ir
import pandas as pd

from cxlens.errors import SchemaError
from cxlens.store.query import run

KEYS = ("source", "source_id")
#: Names the true identity column goes by when a truth file has more than one other column:
#: person_id (:mod:`cxlens.identity.testdata`) and customer_id (the demo's identity_links.csv).
TRUE_COLUMNS = ("person_id", "customer_id")


def _pairs(table: ir.Table, by: list[str]) -> ir.IntegerValue:
    n = table.group_by(by).aggregate(n=table.count())
    return (n["n"] * (n["n"] - 1) / 2).sum().cast("int64")


def pairwise_scores(
    assigned: ir.Table,
    truth: ir.Table,
    predicted: str = "customer_id",
    true: str = "person_id",
) -> pd.DataFrame:
    """Return precision, recall and F1 of the pairs implied by ``assigned`` against ``truth``.

    Args:
        assigned: ``source``, ``source_id`` and the predicted identity column per record.
        truth: ``source``, ``source_id`` and the true identity column per record.
        predicted: the predicted identity column.
        true: the true identity column.

    Returns:
        One row: ``records``, ``true_pairs``, ``predicted_pairs``, ``true_positives``,
        ``precision``, ``recall``, ``f1`` (records only in one table are left out).

    Raises:
        SchemaError: a table lacks the key or identity column.

    Example:
        >>> a = ibis.memtable({"source": ["a"] * 3, "source_id": ["1", "2", "3"],
        ...                    "customer_id": ["x", "x", "y"]})
        >>> t = ibis.memtable({"source": ["a"] * 3, "source_id": ["1", "2", "3"],
        ...                    "person_id": ["p", "p", "p"]})
        >>> pairwise_scores(a, t)[["precision", "recall"]].round(3).values.tolist()
        [[1.0, 0.333]]
    """
    for name, table, col in (("assigned", assigned, predicted), ("truth", truth, true)):
        lacking = [c for c in (*KEYS, col) if c not in table.columns]
        if lacking:
            raise SchemaError(f"{name} lacks column(s) {', '.join(lacking)}")
    a = assigned.select(*KEYS, _pred=assigned[predicted].cast("string"))
    t = truth.select(*KEYS, _true=truth[true].cast("string"))
    j = a.join(t, list(KEYS))
    # four small scalar queries: counts of records and of pairs by group sizes
    n = int(run(j.count(), "the records evaluated"))
    tt = int(run(_pairs(j, ["_true"]), "the true pairs") or 0)
    pp = int(run(_pairs(j, ["_pred"]), "the predicted pairs") or 0)
    tp = int(run(_pairs(j, ["_pred", "_true"]), "the pairs both agree on") or 0)
    precision = tp / pp if pp else float("nan")
    recall = tp / tt if tt else float("nan")
    f1 = 2 * precision * recall / (precision + recall) if tp else 0.0
    return pd.DataFrame(
        {
            "records": [n],
            "true_pairs": [tt],
            "predicted_pairs": [pp],
            "true_positives": [tp],
            "precision": [precision],
            "recall": [recall],
            "f1": [f1],
        }
    )


def truth_column(columns: Sequence[str], true: str | None = None) -> str:
    """Return which of a truth table's ``columns`` holds the true identity.

    A truth table has ``source``, ``source_id`` and the true identity column. ``true`` names
    that column; left out, it is the only column besides the two keys, or else the one of
    :data:`TRUE_COLUMNS` present (so the demo's ``identity_links.csv``, keyed by
    ``customer_id``, and the identity test data's ``person_id`` both work).

    Raises:
        SchemaError: a key column or ``true`` is missing, or the column cannot be told.

    Example:
        >>> truth_column(["source", "source_id", "customer_id"])
        'customer_id'
        >>> truth_column(["source", "source_id", "person_id", "name"])
        'person_id'
    """
    lacking = [c for c in (*KEYS, *([true] if true else [])) if c not in columns]
    if lacking:
        raise SchemaError(f"the truth table lacks column(s) {', '.join(lacking)}; it needs "
                          "source, source_id and the true identity column")  # fmt: skip
    if true:
        return true
    others = [c for c in columns if c not in KEYS]
    named = [c for c in TRUE_COLUMNS if c in others]
    if len(others) == 1:
        return others[0]
    if len(named) == 1:
        return named[0]
    found = ", ".join(others) or "none"
    raise SchemaError(
        "cannot tell which column of the truth table holds the true identity (columns besides "
        f"source and source_id: {found}); name it (true=... / --true)"
    )
