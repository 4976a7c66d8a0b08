"""The customer-columns view: one rule for grouping or filtering any table by customer attributes.

A ``segment`` (or a saved ``rfm_segment``, ``cluster``...) lives in the customer tables
(:data:`~cxlens.schema.derived.CUSTOMER_TABLES`), not in responses, transactions or posts.
Metrics, analyses, KPIs and the API all reach it the same way: a left join on
``customer_id`` in the engine to group by it, or a semi-join to filter on it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import ibis.expr.types as ir

from cxlens.errors import SchemaError
from cxlens.schema.derived import CUSTOMER_TABLES
from cxlens.store.catalog import Catalog


def as_list(by: Sequence[str] | str | None) -> list[str]:
    """Return ``by`` as a list of column names (a single name becomes a one-item list).

    Example:
        >>> as_list("segment"), as_list(None)
        (['segment'], [])
    """
    if by is None:
        return []
    return [by] if isinstance(by, str) else list(by)


def with_customer_columns(
    catalog: Catalog, table: ir.Table, table_name: str, by: Sequence[str] | str | None
) -> ir.Table:
    """Return ``table`` with the ``by`` columns it lacks joined from the customer tables.

    Looks in ``customers`` first, then in ``customer_segments`` (segments stored by
    ``ws.analysis.segments``); each is left-joined on ``customer_id`` in the engine.

    Raises:
        SchemaError: a column is in neither table, or ``table`` has no customer_id.

    Example:
        >>> import ibis
        >>> from cxlens.store.catalog import EngineCatalog
        >>> from cxlens.store.engine import engine_for
        >>> cat = EngineCatalog(engine_for(ibis.duckdb.connect()))
        >>> _ = cat.engine.con.create_table(
        ...     "customers", ibis.memtable({"customer_id": ["a"], "segment": ["smb"]}))
        >>> answers = ibis.memtable({"customer_id": ["a", "a"], "nps": [9, 3]})
        >>> with_customer_columns(cat, answers, "responses", ["segment"]).columns
        ('customer_id', 'nps', 'segment')
    """
    missing = [c for c in as_list(by) if c not in table.columns]
    if not missing:
        return table
    sources = {n: catalog.table(n) for n in CUSTOMER_TABLES if catalog.has_table(n)}
    wanted: dict[str, list[str]] = {}
    for col in missing:
        source = next((n for n, t in sources.items() if col in t.columns), None)
        if source is None:
            found = "; ".join(f"{n}: {', '.join(t.columns)}" for n, t in sources.items())
            raise SchemaError(
                f"by column '{col}' is in neither {table_name} nor the customer tables; "
                f"available columns: {table_name}: {', '.join(table.columns)}"
                + (f"; {found}" if found else "")
            )
        wanted.setdefault(source, []).append(col)
    if "customer_id" not in table.columns:
        raise SchemaError(
            f"cannot join by column(s) {', '.join(missing)}: {table_name} has no customer_id column"
        )
    joined = table
    for source, cols in wanted.items():
        other = sources[source]
        right = other.select(other["customer_id"].name("_cx_customer_id"), *cols)
        joined = joined.left_join(right, joined["customer_id"] == right["_cx_customer_id"])
        joined = joined.drop("_cx_customer_id")
    return joined.select(*table.columns, *missing)


def customer_table_with(catalog: Catalog, column: str, *, besides: str) -> ir.Table | None:
    """Return the first customer table (other than ``besides``) that has ``column``, or None.

    Example:
        >>> customer_table_with(cat, "segment", besides="responses")  # doctest: +SKIP
    """
    for name in CUSTOMER_TABLES:
        if name != besides and catalog.has_table(name):
            table = catalog.table(name)
            if column in table.columns:
                return table
    return None


def keep_customers_where(
    catalog: Catalog, table: ir.Table, table_name: str, column: str, values: list[Any]
) -> ir.Table | None:
    """Return the rows of ``table`` whose customer has ``column`` in ``values`` (a semi-join).

    The filter runs in the engine: ``customer_id`` among the customers whose ``column``
    (in a customer table) is one of ``values``. Returns None when no customer table has
    the column or ``table`` has no customer_id, so the caller can say what is missing.

    Example:
        >>> import ibis
        >>> from cxlens.store.catalog import EngineCatalog
        >>> from cxlens.store.engine import engine_for
        >>> cat = EngineCatalog(engine_for(ibis.duckdb.connect()))
        >>> _ = cat.engine.con.create_table(
        ...     "customers", ibis.memtable({"customer_id": ["a", "b"], "segment": ["smb", "ent"]}))
        >>> answers = ibis.memtable({"customer_id": ["a", "b"], "nps": [9, 3]})
        >>> kept = keep_customers_where(cat, answers, "responses", "segment", ["smb"])
        >>> kept.nps.execute().tolist()
        [9]
    """
    other = customer_table_with(catalog, column, besides=table_name)
    if other is None or "customer_id" not in table.columns:
        return None
    keep = other.filter(other[column].isin(values))
    return table.filter(table["customer_id"].isin(keep["customer_id"]))
