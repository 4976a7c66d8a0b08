"""The map from each loaded customer id to the customer identity resolution gave it.

The bridge between fact rows and resolved customers is the ``customer_id`` loaded on each
identities record: load each source's records with the same key its fact rows use, and after
:func:`~cxlens.identity.resolve.resolve` (or ``link_new``) ``identity_customer_map`` says, for
every loaded id, the resolved ``customer_id``. The Catalog reads ``responses``,
``transactions`` and ``events`` through it (:mod:`cxlens.store.customer_ids`).
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir

from cxlens.store.customer_ids import MAP_TABLE

__all__ = ["MAP_TABLE", "customer_map"]


def customer_map(clusters: ir.Table) -> ir.Table:
    """Return one row per loaded customer id with the resolved ``customer_id`` it maps to.

    A loaded id carried by records of two clusters (records the linkage kept apart) maps to
    the cluster with more of them (ties: the smaller resolved id) and is flagged ``ambiguous``.

    Args:
        clusters: ``identity_clusters`` (``loaded_customer_id``, ``customer_id``).

    Returns:
        Columns ``loaded_customer_id``, ``customer_id``, ``records`` (identities records with
        that loaded id in the chosen cluster), ``ambiguous``.

    Example:
        >>> c = ibis.memtable({"loaded_customer_id": ["Q7", "S3", None],
        ...                    "customer_id": ["S3", "S3", "cx:a"]})
        >>> customer_map(c).order_by("loaded_customer_id").execute().customer_id.tolist()
        ['S3', 'S3']
    """
    known = clusters.filter(clusters["loaded_customer_id"].notnull())
    counts = known.group_by(["loaded_customer_id", "customer_id"]).aggregate(records=known.count())
    order = ibis.window(
        group_by="loaded_customer_id", order_by=[ibis.desc("records"), "customer_id"]
    )
    ranked = counts.mutate(
        _rank=ibis.row_number().over(order),
        _clusters=counts["customer_id"].count().over(ibis.window(group_by="loaded_customer_id")),
    )
    top = ranked.filter(ranked["_rank"] == 0)
    return top.select(
        "loaded_customer_id", "customer_id", "records", ambiguous=top["_clusters"] > 1
    )
