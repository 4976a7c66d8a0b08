"""Baskets for the offer models, built in the engine: purchase lines, basket-item pairs, counts.

Everything per row runs as Ibis expressions over ``transactions``: the purchase lines (refunds
matched to the purchase they cancel and both dropped), the distinct basket-item pairs, the
item counts, and the pair counts by a self-join on the basket. Only small tables come back:
one row per item, one row per co-occurring item pair, one row per customer and item owned.

Rules (the docs repeat them):

* a purchase line has ``amount > 0``, a customer, and an item (``product`` or ``category``)
  that is not null or empty; rows after ``as_of`` are ignored;
* a refund line (``amount < 0``) cancels one purchase: the customer's latest purchase of the
  same item with the same absolute amount (to the cent) at or before the refund; the
  cancelled purchase does not count. A refund with no such purchase (a partial refund)
  cancels nothing;
* a basket is a customer (everything they bought, the default), a customer and calendar
  day (an order), or the value of a column (e.g. an order id).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

import ibis
import ibis.expr.types as ir
import pandas as pd

from cxlens.analysis.features import as_microseconds, resolve_as_of
from cxlens.errors import ArgumentError, NotEnoughDataError, SchemaError
from cxlens.store.catalog import Catalog
from cxlens.store.query import is_present, require_columns, run

Timestamp = str | date | datetime | pd.Timestamp

#: Items an offer can be about: transaction columns.
ITEMS: tuple[str, ...] = ("product", "category")

#: Basket grains that are not a column name.
GRAINS: tuple[str, ...] = ("customer", "day")

_DAY = "_basket_day"


@dataclass(frozen=True)
class BasketStats:
    """The small tables the offer models fit on, with the settings that built them.

    Attributes:
        items: one row per item: ``item, category, baskets, customers, lines, revenue,
            value_per_customer, value_per_line`` (counts of distinct baskets, buying
            customers and purchase lines; revenue of the purchase lines).
        pairs: one row per ordered pair of distinct items seen in one basket:
            ``antecedent, consequent, baskets_with_both``.
        n_baskets: baskets with at least one purchase line.
        multi_item_baskets: baskets with two or more distinct items.
        basket: the basket grain (``"customer"``, ``"day"`` or a column name).
        item: ``"product"`` or ``"category"``.
        as_of: rows after this timestamp were ignored.
    """

    items: pd.DataFrame
    pairs: pd.DataFrame
    n_baskets: int
    multi_item_baskets: int
    basket: str
    item: str
    as_of: pd.Timestamp


def check_item(item: str) -> str:
    """Return ``item`` after checking it names an item column (``product`` or ``category``).

    Example:
        >>> check_item("category")
        'category'
    """
    if item not in ITEMS:
        raise ArgumentError(f"item must be one of {', '.join(ITEMS)}; got {item!r}")
    return item


def transactions_table(ws: Catalog, item: str) -> ir.Table:
    """Return ``transactions`` after checking the columns the offer models read.

    Raises:
        SchemaError: no transactions table, or a needed column is missing.

    Example:
        >>> t = transactions_table(ws, "product")  # doctest: +SKIP
    """
    check_item(item)
    if not ws.has_table("transactions"):
        raise SchemaError(
            "offers need the transactions table (transaction_id, customer_id, occurred_at, "
            f"amount, {item}); ingest one with ws.ingest(FILE, table='transactions')"
        )
    t = ws.table("transactions")
    require_columns(t, "transactions", "transaction_id", "customer_id", "occurred_at", "amount")
    if item not in t.columns:
        raise SchemaError(
            f"transactions has no '{item}' column, which names what customers bought; map a "
            f"column to '{item}' when ingesting, or use item="
            f"{'category' if item == 'product' else 'product'!r}"
        )
    return t


def _rows(
    t: ir.Table,
    item: str,
    upto: pd.Timestamp,
    exclude_categories: Sequence[str],
    extra: Sequence[str],
) -> ir.Table:
    """Lines with a customer, an item and an amount up to ``upto``, outside the excluded."""
    name = t[item].cast("string")
    rows = t.filter(
        t["customer_id"].notnull(),
        name.notnull(),
        name.strip() != "",
        t["occurred_at"] <= ibis.literal(upto, type="timestamp"),
        is_present(t["amount"]),
    )
    if exclude_categories:
        if "category" not in t.columns:
            raise SchemaError(
                "exclude_categories needs a 'category' column in transactions; it has none"
            )
        rows = rows.filter(
            rows["category"].isnull() | ~rows["category"].isin(list(exclude_categories))
        )
    amount = rows["amount"].cast("float64")
    category = rows["category"].cast("string") if "category" in t.columns else ibis.null("string")
    return rows.select(
        "transaction_id",
        "customer_id",
        "occurred_at",
        *extra,
        item=rows[item].cast("string"),
        category=category,
        amount=amount,
        cents=(amount * 100).round().cast("int64"),
    )


def purchase_lines(
    ws: Catalog,
    *,
    item: str = "product",
    upto: pd.Timestamp,
    exclude_categories: Sequence[str] = (),
    extra: Sequence[str] = (),
) -> ir.Table:
    """Plan the purchase lines up to ``upto`` that no refund cancelled (lazy Ibis table).

    Args:
        ws: the Workspace.
        item: ``"product"`` or ``"category"``.
        upto: rows (purchases and refunds) after this timestamp are ignored.
        exclude_categories: categories whose lines are left out (null categories stay).
        extra: further transaction columns to keep (e.g. an order id).

    Returns:
        Ibis table ``transaction_id, customer_id, occurred_at, *extra, item, category,
        amount, cents``; one row per purchase line (``amount > 0``) not cancelled.

    Raises:
        SchemaError: missing columns.

    Example:
        >>> lines = purchase_lines(ws, upto=pd.Timestamp("2025-01-01"))  # doctest: +SKIP
    """
    t = transactions_table(ws, item)
    for col in extra:
        require_columns(t, "transactions", col)
    rows = _rows(t, item, upto, exclude_categories, extra)
    buys = rows.filter(rows["amount"] > 0)
    refunds = rows.filter(rows["amount"] < 0).select(
        r_tid="transaction_id", r_cust="customer_id", r_item="item", r_at="occurred_at",
        r_cents="cents",
    )  # fmt: skip
    b = buys.view()
    matched = refunds.join(
        b,
        [
            refunds["r_cust"] == b["customer_id"],
            refunds["r_item"] == b["item"],
            refunds["r_cents"] == -b["cents"],
            b["occurred_at"] <= refunds["r_at"],
        ],
    )
    # each refund cancels the latest matching purchase before it
    cancelled = matched.group_by("r_tid").aggregate(
        cancelled=matched["transaction_id"].argmax(matched["occurred_at"])
    )
    return buys.anti_join(cancelled, buys["transaction_id"] == cancelled["cancelled"])


def basket_keys(basket: str, columns: Sequence[str]) -> list[str]:
    """Return the key columns of a basket grain, checking a column grain exists.

    Example:
        >>> basket_keys("day", ["customer_id", "occurred_at"])
        ['customer_id', '_basket_day']
    """
    if not isinstance(basket, str) or not basket:
        raise ArgumentError(
            f"basket must be 'customer', 'day' or a transactions column; got {basket!r}"
        )
    if basket == "customer":
        return ["customer_id"]
    if basket == "day":
        return ["customer_id", _DAY]
    if basket not in columns:
        raise SchemaError(
            f"basket={basket!r} is neither 'customer' nor 'day' nor a transactions column; "
            f"available columns: {', '.join(c for c in columns if not c.startswith('_'))}"
        )
    return [basket]


def basket_items(lines: ir.Table, basket: str) -> ir.Table:
    """Distinct basket-item pairs of the purchase lines (lazy): basket keys and ``item``.

    Example:
        >>> basket_items(purchase_lines(ws, upto=as_of), "day")  # doctest: +SKIP
    """
    keys = basket_keys(basket, lines.columns)
    rows = lines
    if basket == "day":
        rows = rows.mutate(**{_DAY: rows["occurred_at"].date()})
    rows = rows.filter(*(rows[k].notnull() for k in keys))
    return rows.select(*keys, "item").distinct()


def item_counts(lines: ir.Table, pairs: ir.Table) -> ir.Table:
    """Per item: baskets, buying customers, lines, revenue and category (lazy)."""
    baskets = pairs.group_by("item").aggregate(baskets=pairs.count())
    per = lines.group_by("item").aggregate(
        customers=lines["customer_id"].nunique(),
        lines=lines.count(),
        revenue=lines["amount"].sum(),
        category=lines["category"].max(),
    )
    joined = baskets.join(per, "item")
    return joined.select("item", "category", "baskets", "customers", "lines", "revenue")


def pair_counts(pairs: ir.Table, keys: list[str]) -> ir.Table:
    """Ordered pairs of distinct items in one basket and their basket counts (lazy self-join)."""
    left = pairs.select(*keys, antecedent=pairs["item"])
    right = pairs.view()
    right = right.select(
        **{f"_r{i}": right[k] for i, k in enumerate(keys)}, consequent=right["item"]
    )
    on = [left[k] == right[f"_r{i}"] for i, k in enumerate(keys)]
    joined = left.join(right, [*on, left["antecedent"] != right["consequent"]])
    return joined.group_by("antecedent", "consequent").aggregate(baskets_with_both=joined.count())


def basket_sizes(pairs: ir.Table, keys: list[str]) -> ir.Table:
    """One row: baskets and baskets with two or more distinct items (lazy)."""
    sizes = pairs.group_by(keys).aggregate(size=pairs.count())
    return sizes.aggregate(
        n_baskets=sizes.count(),
        multi_item_baskets=(sizes["size"] >= 2).ifelse(1, 0).sum(),
    )


def _check_present(ws: Catalog, item: str, upto: pd.Timestamp) -> None:
    """SchemaError when no purchase line up to ``upto`` names an item (all null)."""
    t = transactions_table(ws, item)
    rows = t.filter(t["occurred_at"] <= ibis.literal(upto, type="timestamp"))
    got = run(
        rows.aggregate(lines=rows.count(), named=rows[item].count()),
        f"the {item} check",
    )
    lines, named = int(got["lines"].iloc[0] or 0), int(got["named"].iloc[0] or 0)
    if lines and not named:
        raise SchemaError(
            f"transactions.{item} is null in all {lines} rows up to {upto:%Y-%m-%d}; offers "
            f"need to know what was bought. Map a column to '{item}' when ingesting"
            + (", or use item='category'" if item == "product" else "")
        )


def basket_stats(
    ws: Catalog,
    *,
    basket: str = "customer",
    item: str = "product",
    as_of: Timestamp | None = None,
    exclude_categories: Sequence[str] = (),
    min_baskets: int = 20,
) -> BasketStats:
    """Count items and item pairs over baskets in the engine and return the small tables.

    Three queries run (items, pairs, basket sizes); each returns one row per item, per
    co-occurring pair, or one row in all.

    Args:
        ws: the Workspace (needs transactions with ``item``).
        basket: ``"customer"``, ``"day"`` or a transactions column holding a basket id.
        item: ``"product"`` or ``"category"``.
        as_of: rows after it are ignored (default: the last date in the data).
        exclude_categories: categories left out (e.g. ``("subscription",)``).
        min_baskets: fewest baskets with 2+ items needed to estimate affinities.

    Returns:
        :class:`BasketStats`.

    Raises:
        SchemaError: missing transactions, item column, or every item null.
        NotEnoughDataError: fewer than ``min_baskets`` baskets with two or more items.

    Example:
        >>> stats = basket_stats(ws, basket="day")  # doctest: +SKIP
        >>> stats.pairs.sort_values("baskets_with_both").tail()  # doctest: +SKIP
    """
    if isinstance(min_baskets, bool) or not isinstance(min_baskets, int) or min_baskets < 1:
        raise ArgumentError(f"min_baskets must be a positive integer; got {min_baskets!r}")
    stamp = resolve_as_of(ws, as_of)
    t = transactions_table(ws, item)
    keys = basket_keys(basket, t.columns)
    _check_present(ws, item, stamp)
    extra = [basket] if basket not in GRAINS else []
    lines = purchase_lines(
        ws, item=item, upto=stamp, exclude_categories=exclude_categories, extra=extra
    )
    bi = basket_items(lines, basket)
    sizes = run(basket_sizes(bi, keys), "the basket counts")
    n = int(sizes["n_baskets"].iloc[0] or 0) if len(sizes) else 0
    multi = int(sizes["multi_item_baskets"].iloc[0] or 0) if len(sizes) else 0
    if multi < min_baskets:
        raise NotEnoughDataError(
            f"affinities need at least {min_baskets} baskets with two or more distinct "
            f"{item}s; up to {stamp:%Y-%m-%d} there are {multi} of {n} baskets "
            f"(basket={basket!r}). Use a coarser basket (basket='customer'), item='category', "
            "more data, or a lower min_baskets"
        )
    items = run(item_counts(lines, bi), "the item counts")
    items = items.astype({"baskets": "int64", "customers": "int64", "lines": "int64"})
    items["revenue"] = items["revenue"].astype(float)
    items["value_per_customer"] = items["revenue"] / items["customers"]
    items["value_per_line"] = items["revenue"] / items["lines"]
    items = items.sort_values(["baskets", "item"], ascending=[False, True], ignore_index=True)
    pairs = run(pair_counts(bi, keys), "the item pair counts")
    pairs["baskets_with_both"] = pairs["baskets_with_both"].astype("int64")
    pairs = pairs.sort_values(["antecedent", "consequent"], ignore_index=True)
    return BasketStats(items, pairs, n, multi, basket, item, stamp)


def owned_items(
    ws: Catalog,
    *,
    item: str = "product",
    upto: pd.Timestamp,
    since: pd.Timestamp | None = None,
    exclude_categories: Sequence[str] = (),
) -> pd.DataFrame:
    """Return what each customer bought: one row per customer and item (from the engine).

    Args:
        ws: the Workspace.
        item: ``"product"`` or ``"category"``.
        upto: rows after it are ignored.
        since: when given, keep only items first bought after it (new purchases).
        exclude_categories: categories left out.

    Returns:
        DataFrame ``customer_id, item, first_bought_at`` sorted by customer and item.

    Example:
        >>> owned_items(ws, upto=pd.Timestamp("2025-01-01")).head()  # doctest: +SKIP
    """
    lines = purchase_lines(ws, item=item, upto=upto, exclude_categories=exclude_categories)
    per = lines.group_by("customer_id", "item").aggregate(
        first_bought_at=lines["occurred_at"].min()
    )
    if since is not None:
        per = per.filter(per["first_bought_at"] > ibis.literal(since, type="timestamp"))
    got = run(per, f"the {item}s each customer bought")
    got = as_microseconds(got)
    return got.sort_values(["customer_id", "item"], ignore_index=True)


def data_range(ws: Catalog) -> tuple[pd.Timestamp, pd.Timestamp]:
    """Return the first and last ``occurred_at`` in transactions (one small query).

    Raises:
        NotEnoughDataError: transactions is empty.

    Example:
        >>> first, last = data_range(ws)  # doctest: +SKIP
    """
    if not ws.has_table("transactions"):
        raise SchemaError("offers need the transactions table; ingest one first")
    t = ws.table("transactions")
    got = run(
        t.aggregate(first=t["occurred_at"].min(), last=t["occurred_at"].max()),
        "the transaction date range",
    )
    first, last = got["first"].iloc[0], got["last"].iloc[0]
    if first is None or pd.isna(first):
        raise NotEnoughDataError("the transactions table is empty; ingest transactions first")
    return pd.Timestamp(first), pd.Timestamp(last)
