"""One customer id for every table: fact rows read under their resolved customer.

A fact row (a survey response, an order line, a journey event) carries the ``customer_id`` its
source file gave it: the survey tool's respondent id, the shop's customer number, the app's
user id. Identity resolution (:mod:`cxlens.identity.resolve`) links the ``identities`` records
of one person across sources, gives the cluster one ``customer_id``, and writes
``identity_customer_map``: for every ``customer_id`` loaded on an identities record, the
resolved one (:func:`cxlens.identity.keys.customer_map`).

:func:`resolved_table` is how the Catalog reads ``responses``, ``transactions`` and
``events``: ``customer_id`` replaced by the resolved one where the map has it (a left join in
the engine; ids the map does not know stay as loaded), so every metric, model and journey
counts a person once, whichever source each row came from. The stored rows are unchanged:
``engine.table(name)`` reads them as loaded.
"""

from __future__ import annotations

from typing import Any

import ibis
import ibis.expr.types as ir

#: The derived table identity resolution writes: loaded customer id -> resolved customer id.
MAP_TABLE = "identity_customer_map"
#: Canonical tables read under resolved customer ids (``customers`` keeps its own rows: two
#: CRM accounts of one person stay two rows there).
RESOLVED_TABLES: tuple[str, ...] = ("responses", "transactions", "events")


def with_resolved_ids(table: ir.Table, cmap: ir.Table) -> ir.Table:
    """Return ``table`` with ``customer_id`` replaced by its resolved id (same columns, rows).

    ``cmap`` has one row per ``loaded_customer_id`` with its resolved ``customer_id``.

    Example:
        >>> t = ibis.memtable({"response_id": ["r1", "r2"], "customer_id": ["Q7", "Z9"]})
        >>> m = ibis.memtable({"loaded_customer_id": ["Q7"], "customer_id": ["S3"]})
        >>> with_resolved_ids(t, m).order_by("response_id").execute().customer_id.tolist()
        ['S3', 'Z9']
    """
    right = cmap.select(_cx_loaded=cmap["loaded_customer_id"], _cx_resolved=cmap["customer_id"])
    j = table.left_join(right, table["customer_id"] == right["_cx_loaded"])
    resolved = ibis.coalesce(j["_cx_resolved"], j["customer_id"])
    return j.select(*[resolved.name(c) if c == "customer_id" else j[c] for c in table.columns])


def resolved_table(engine: Any, name: str) -> ir.Table:
    """Return table ``name`` as analyses read it: fact tables under resolved customer ids.

    ``responses``, ``transactions`` and ``events`` with a ``customer_id`` column are mapped
    through ``identity_customer_map`` when identity resolution has written it; every other
    table, or any table before resolution, is returned as stored.

    Example:
        >>> resolved_table(ws.engine, "transactions")  # doctest: +SKIP
    """
    table = engine.table(name)
    if name not in RESOLVED_TABLES or "customer_id" not in table.columns:
        return table
    if MAP_TABLE not in engine.list_tables():
        return table
    return with_resolved_ids(table, engine.table(MAP_TABLE))
