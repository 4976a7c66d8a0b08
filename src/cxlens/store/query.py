"""Running queries: the one way every capability executes an Ibis expression.

:func:`run` executes an expression in its engine and turns any engine failure into an
:class:`~cxlens.errors.EngineError` that carries the failing SQL; :func:`sql` shows the SQL of
any expression. The column checks raise a :class:`~cxlens.errors.SchemaError` that names the
table, the column and what is there instead, before a query is sent.
"""

from __future__ import annotations

from typing import Any

import ibis
import ibis.expr.types as ir

from cxlens.errors import CxlensError, EngineError, SchemaError


def sql(expr: ir.Expr) -> str | None:
    """Return the SQL of ``expr`` in its backend's dialect, or None if it cannot compile.

    Example:
        >>> t = ibis.memtable({"nps": [9, 3]})
        >>> "AVG" in sql(t.nps.mean())
        True
    """
    try:
        return str(ibis.to_sql(expr))
    except Exception:
        return None


def run(expr: ir.Expr, what: str = "a query") -> Any:
    """Execute ``expr`` in its engine and return the result (a DataFrame, Series or scalar).

    Engine failures come back as :class:`~cxlens.errors.EngineError` naming ``what`` was
    being computed, with the SQL attached; cxlens' own errors pass through unchanged.

    Example:
        >>> t = ibis.memtable({"nps": [9, 3]})
        >>> float(run(t.nps.mean(), "mean NPS answer"))
        6.0
    """
    try:
        return expr.execute()
    except CxlensError:
        raise
    except Exception as exc:  # each backend raises its own error types
        raise EngineError(
            f"the engine failed while computing {what}: {type(exc).__name__}: {exc}",
            sql=sql(expr),
        ) from exc


def require_columns(table: ir.Table, table_name: str, *columns: str) -> None:
    """Raise SchemaError naming the first of ``columns`` missing from ``table``.

    Example:
        >>> require_columns(ibis.memtable({"nps": [9]}), "responses", "nps")
    """
    for col in columns:
        if col not in table.columns:
            raise SchemaError(
                f"{table_name} has no column '{col}', which this analysis needs; available "
                f"columns: {', '.join(table.columns)}"
            )


def require_numeric(table: ir.Table, table_name: str, column: str) -> None:
    """Raise SchemaError unless ``column`` of ``table`` is numeric.

    Example:
        >>> require_numeric(ibis.memtable({"nps": [9]}), "responses", "nps")
    """
    require_columns(table, table_name, column)
    dtype = table[column].type()
    if not dtype.is_numeric():
        raise SchemaError(f"{table_name}.{column} must be numeric; found type {dtype}")


def require_temporal(table: ir.Table, table_name: str, column: str) -> None:
    """Raise SchemaError unless ``column`` of ``table`` is a timestamp or date.

    Example:
        >>> import datetime as dt
        >>> require_temporal(ibis.memtable({"at": [dt.datetime(2025, 1, 1)]}), "events", "at")
    """
    require_columns(table, table_name, column)
    dtype = table[column].type()
    if not (dtype.is_timestamp() or dtype.is_date()):
        raise SchemaError(
            f"{table_name}.{column} must be a timestamp or date; found type {dtype}. Load it "
            "through cxlens ingest, which parses dates."
        )


def is_present(column: ir.NumericValue) -> ir.BooleanValue:
    """Return true where ``column`` holds a number: not null and, for floats, not NaN.

    Spark keeps pandas NaN as a NaN double (not NULL) and orders it above every number, so a
    NaN score must be dropped explicitly rather than left to compare.

    Example:
        >>> t = ibis.memtable({"x": [1.0, None, float("nan")]})
        >>> int(run(is_present(t.x).sum()))
        1
    """
    if column.type().is_floating():
        return column.notnull() & ~column.isnan().fill_null(False)
    return column.notnull()


def zero_if_missing(column: ir.NumericValue) -> ir.FloatingValue:
    """Return ``column`` as float64 with null (and NaN) replaced by 0.

    Example:
        >>> t = ibis.memtable({"x": [2.0, None]})
        >>> float(run(zero_if_missing(t.x).sum()))
        2.0
    """
    return is_present(column).ifelse(column.cast("float64"), 0.0)


def seeded_sample(table: ir.Table, fraction: float, seed: int, key: str | None = None) -> ir.Table:
    """Return a repeatable sample of about ``fraction`` of ``table``'s rows, on any engine.

    DuckDB samples natively with the seed. Other engines (Spark has no seeded
    ``TABLESAMPLE`` in Ibis) keep the rows whose hash of ``key`` (or of the whole row when
    ``key`` is None) and the seed falls below ``fraction``: the same rows on every run.

    Example:
        >>> t = ibis.memtable({"id": [str(i) for i in range(1000)]})
        >>> 0.05 < int(run(seeded_sample(t, 0.1, seed=1).count())) / 1000 < 0.2
        True
    """
    if fraction >= 1.0:
        return table
    if ibis.get_backend(table).name == "duckdb":
        return table.sample(fraction, seed=seed)
    columns = [key] if key else list(table.columns)
    text = ibis.literal(str(seed)).concat(
        *[table[c].cast("string").fill_null("\x00") for c in columns]
    )
    buckets = 1 << 20
    return table.filter((text.hash() % buckets + buckets) % buckets < int(fraction * buckets))


def ordered_concat(
    column: ir.StringValue,
    order_by: ir.Value,
    sep: str,
    where: ir.BooleanValue | None = None,
) -> ir.StringScalar:
    """Return the aggregate that joins ``column``'s values in ``order_by`` order with ``sep``.

    DuckDB orders inside ``string_agg``. Engines whose Ibis compiler cannot order an
    aggregate (Spark) collect (position, value) pairs, sort them and join the values, which
    gives the same text.

    Example:
        >>> t = ibis.memtable({"k": [1, 1, 1], "pos": [2, 1, 3], "step": ["b", "a", "c"]})
        >>> run(t.group_by("k").aggregate(path=ordered_concat(t.step, t.pos, " > "))).path[0]
        'a > b > c'
    """
    if ibis.get_backend(column).name == "duckdb":
        return column.group_concat(sep, where=where, order_by=[order_by])
    pairs = ibis.struct({"pos": order_by, "value": column}).collect(where=where)
    return pairs.sort().map(lambda pair: pair["value"]).join(sep)
