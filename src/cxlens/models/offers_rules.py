"""Product affinities: association rules A -> B with support, confidence, lift and their doubts.

The engine counts baskets per item and per item pair (:mod:`cxlens.models.offers_baskets`);
here the small tables become rules. For ``N`` baskets, ``n_A`` with A, ``n_B`` with B and
``n_AB`` with both:

* support = n_AB / N; confidence = n_AB / n_A (share of A-baskets that hold B);
* lift = confidence / (n_B / N): how many times likelier B is in a basket with A;
* a Wilson interval on confidence, and the lift interval it implies (n_B / N held fixed);
* a one-sided Fisher exact p-value for "B is likelier with A" (hypergeometric upper tail),
  Benjamini-Hochberg q-values over every ordered pair of items (unseen pairs have p = 1),
  and ``significant`` when q < 1 - confidence level and lift > 1.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

import numpy as np
import pandas as pd
from scipy import stats

from cxlens.errors import ArgumentError
from cxlens.metrics.stats import benjamini_hochberg, check_confidence, check_min_n, wilson_interval
from cxlens.models.offers_baskets import BasketStats, basket_stats
from cxlens.store.catalog import Catalog

Timestamp = str | date | datetime | pd.Timestamp

#: Columns of :func:`affinities` (and :func:`rules_from_stats`), in order.
AFFINITY_COLUMNS: tuple[str, ...] = (
    "antecedent",
    "consequent",
    "baskets_with_both",
    "antecedent_baskets",
    "consequent_baskets",
    "support",
    "antecedent_support",
    "consequent_support",
    "confidence",
    "confidence_ci_low",
    "confidence_ci_high",
    "lift",
    "lift_ci_low",
    "lift_ci_high",
    "p_value",
    "q_value",
    "significant",
    "small_sample",
    "n_baskets",
    "multi_item_baskets",
    "items",
    "basket",
    "item",
    "as_of",
)


def fisher_greater(both: np.ndarray, n_a: np.ndarray, n_b: np.ndarray, n: int) -> np.ndarray:
    """One-sided Fisher exact p-value that A and B co-occur more than by chance.

    P(X >= both) for X hypergeometric: ``n`` baskets, ``n_b`` holding B, ``n_a`` drawn.

    Example:
        >>> round(float(fisher_greater(np.array([3]), np.array([3]), np.array([3]), 6)[0]), 12)
        0.05
    """
    return stats.hypergeom.sf(np.asarray(both) - 1, n, np.asarray(n_b), np.asarray(n_a))


def _check_share(value: float, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1:
        raise ArgumentError(f"{name} must be a share between 0 and 1; got {value!r}")
    return float(value)


def rules_from_stats(
    stats_: BasketStats,
    *,
    min_support: float = 0.0,
    min_count: int = 1,
    confidence: float = 0.95,
    min_n: int = 30,
) -> pd.DataFrame:
    """Turn item and pair counts into association rules (pure pandas; see :func:`affinities`).

    Args:
        stats_: counts from :func:`cxlens.models.offers_baskets.basket_stats`.
        min_support: rules with a smaller support are left out.
        min_count: rules seen in fewer baskets are left out.
        confidence: level of the intervals and of ``significant``.
        min_n: rules with fewer baskets than this are flagged ``small_sample``.

    Returns:
        DataFrame with :data:`AFFINITY_COLUMNS`, sorted by lift, then confidence (descending).

    Example:
        >>> rules_from_stats(basket_stats(ws))  # doctest: +SKIP
    """
    min_support = _check_share(min_support, "min_support")
    check_min_n(min_count)
    check_min_n(min_n)
    check_confidence(confidence)
    n = stats_.n_baskets
    counts = stats_.items.set_index("item")["baskets"]
    df = stats_.pairs.copy()
    n_a = df["antecedent"].map(counts).to_numpy(dtype=float)
    n_b = df["consequent"].map(counts).to_numpy(dtype=float)
    both = df["baskets_with_both"].to_numpy(dtype=float)
    df["antecedent_baskets"] = n_a.astype("int64")
    df["consequent_baskets"] = n_b.astype("int64")
    df["support"] = both / n
    df["antecedent_support"] = n_a / n
    df["consequent_support"] = n_b / n
    df["confidence"] = both / n_a
    low, high = wilson_interval(both, n_a, confidence)
    df["confidence_ci_low"], df["confidence_ci_high"] = low, high
    base = n_b / n
    df["lift"] = df["confidence"] / base
    df["lift_ci_low"], df["lift_ci_high"] = low / base, high / base
    df["p_value"] = fisher_greater(both, n_a, n_b, n)
    n_items = len(counts)
    df["q_value"] = benjamini_hochberg(df["p_value"].to_numpy(), m=n_items * (n_items - 1))
    df["significant"] = (df["q_value"] < 1 - confidence) & (df["lift"] > 1)
    df["small_sample"] = df["baskets_with_both"] < min_n
    keep = (df["baskets_with_both"] >= min_count) & (df["support"] >= min_support)
    # facts of the whole basket set, the same on every row
    df["n_baskets"], df["multi_item_baskets"], df["items"] = (
        n,
        stats_.multi_item_baskets,
        n_items,
    )
    df["basket"], df["item"], df["as_of"] = stats_.basket, stats_.item, stats_.as_of
    out = df.loc[keep, list(AFFINITY_COLUMNS)]
    out = out.sort_values(
        ["lift", "confidence", "antecedent", "consequent"],
        ascending=[False, False, True, True],
        kind="mergesort",
        ignore_index=True,
    )
    return out


def affinities(
    ws: Catalog,
    *,
    basket: str = "customer",
    item: str = "product",
    min_support: float = 0.001,
    min_count: int = 5,
    as_of: Timestamp | None = None,
    exclude_categories: Sequence[str] = (),
    confidence: float = 0.95,
    min_n: int = 30,
    min_baskets: int = 20,
) -> pd.DataFrame:
    """Association rules between items bought together: support, confidence, lift, tests.

    The engine builds the baskets (refunded purchases do not count: each refund cancels
    the customer's latest purchase of the same item and amount before it), the distinct
    basket-item pairs, item counts and pair counts (a self-join on the basket); one row per
    item and per co-occurring pair comes back.

    Args:
        ws: the Workspace (needs transactions with ``item``).
        basket: ``"customer"`` (everything a customer bought: cross-sell over the
            relationship), ``"day"`` (a customer's purchases on one calendar day: an order),
            or a transactions column holding a basket id (e.g. an order id).
        item: ``"product"`` or ``"category"``.
        min_support: leave out rules in a smaller share of baskets.
        min_count: leave out rules seen in fewer baskets.
        as_of: ignore rows after it (default: the last date in the data).
        exclude_categories: categories left out (e.g. ``("subscription",)``).
        confidence: level of the Wilson and lift intervals and of ``significant``.
        min_n: rules seen in fewer baskets are flagged ``small_sample``.
        min_baskets: fewest baskets with two or more items needed.

    Returns:
        DataFrame ``antecedent, consequent, baskets_with_both, antecedent_baskets,
        consequent_baskets, support, antecedent_support, consequent_support, confidence,
        confidence_ci_low, confidence_ci_high, lift, lift_ci_low, lift_ci_high, p_value,
        q_value, significant, small_sample`` sorted by lift then confidence, and the facts of
        the basket set, the same on every row: ``n_baskets`` (baskets), ``multi_item_baskets``
        (with two or more items), ``items`` (distinct items), ``basket``, ``item`` (the
        settings) and ``as_of``.

    Raises:
        SchemaError: no transactions, no ``item`` column, or every item null.
        NotEnoughDataError: fewer than ``min_baskets`` baskets with two or more items.
        ArgumentError: a setting out of range.

    Example:
        >>> rules = affinities(ws, basket="day", min_count=10)  # doctest: +SKIP
        >>> rules[rules.significant].head()  # doctest: +SKIP
    """
    counts = basket_stats(
        ws,
        basket=basket,
        item=item,
        as_of=as_of,
        exclude_categories=exclude_categories,
        min_baskets=min_baskets,
    )
    return rules_from_stats(
        counts, min_support=min_support, min_count=min_count, confidence=confidence, min_n=min_n
    )
