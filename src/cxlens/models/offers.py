"""Upsell and cross-sell: product affinities, next-best offers and their time-split evaluation.

* :func:`affinities`: association rules from baskets (support, confidence, lift, tests);
* :func:`next_best_offers`: per customer, the k items not owned yet, by expected value;
* :func:`evaluate_offers`: hit rate, precision and recall at k on a time split, model vs
  a popularity baseline;
* :func:`offers`: all three with sensible defaults, as an :class:`OffersResult`.

The engine does the per-row work (:mod:`cxlens.models.offers_baskets`); the rules
(:mod:`~cxlens.models.offers_rules`), the ranking (:mod:`~cxlens.models.offers_rank`) and the
evaluation (:mod:`~cxlens.models.offers_eval`) run on the small tables it returns.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

import pandas as pd

from cxlens.analysis.features import resolve_as_of
from cxlens.errors import NotEnoughDataError
from cxlens.models.offers_baskets import data_range
from cxlens.models.offers_eval import evaluate_offers
from cxlens.models.offers_rank import AffinityOffers, next_best_offers
from cxlens.models.offers_rules import affinities
from cxlens.store.catalog import Catalog

Timestamp = str | date | datetime | pd.Timestamp

__all__ = [
    "AffinityOffers",
    "OffersResult",
    "affinities",
    "evaluate_offers",
    "next_best_offers",
    "offers",
]


@dataclass(frozen=True)
class OffersResult:
    """Affinities, offers and their evaluation from :func:`offers`.

    Attributes:
        affinities: the rules table of :func:`affinities`.
        offers: the next-best offers of :func:`next_best_offers`.
        evaluation: the table of :func:`evaluate_offers` (k = 1..k), or None when the
            data cannot be split (``note`` says why).
        note: why the evaluation is missing, else None.
    """

    affinities: pd.DataFrame
    offers: pd.DataFrame
    evaluation: pd.DataFrame | None
    note: str | None = None


def offers(
    ws: Catalog,
    *,
    k: int = 3,
    basket: str = "customer",
    item: str = "product",
    as_of: Timestamp | None = None,
    horizon_days: float = 90,
    cutoff: Timestamp | None = None,
    exclude_categories: Sequence[str] = (),
    not_offered: Sequence[str] = (),
    rank_by: str = "expected_value",
    min_support: float = 0.001,
    min_count: int = 5,
    min_baskets: int = 20,
) -> OffersResult:
    """Run affinities, next-best offers and their evaluation with one set of settings.

    The evaluation cut-off defaults to ``as_of`` (or the last transaction) minus
    ``horizon_days``; its offers are made from data before it only. The other settings keep
    the defaults of the three functions (``smoothing=10``, ``combine="log_odds"``,
    ``value="customer"``).

    Args:
        ws: the Workspace (needs transactions with ``item``).
        k: offers per customer; the evaluation reports k = 1..k.
        basket: ``"customer"``, ``"day"`` or a transactions column holding a basket id.
        item: ``"product"`` or ``"category"``.
        as_of: date of the affinities and offers (default: the last date in the data).
        horizon_days: holdout length of the evaluation.
        cutoff: evaluation cut-off (default: as_of, or the last transaction, minus horizon).
        exclude_categories: categories left out everywhere.
        not_offered: categories used as evidence but never offered (e.g. subscription plans).
        rank_by: ``"expected_value"`` or ``"probability"``.
        min_support: rules table: leave out rules with a smaller support.
        min_count: rules table: leave out rules seen in fewer baskets.
        min_baskets: fewest baskets with two or more items needed.

    Returns:
        :class:`OffersResult`.

    Raises:
        SchemaError: no transactions, no ``item`` column, or every item null.
        NotEnoughDataError: too few baskets with two or more items.
        ArgumentError: a bad setting, or a cut-off outside the data.

    Example:
        >>> result = offers(ws, k=3, not_offered=("subscription",))  # doctest: +SKIP
        >>> result.evaluation  # doctest: +SKIP
    """
    common = {
        "basket": basket,
        "item": item,
        "exclude_categories": exclude_categories,
        "min_baskets": min_baskets,
    }
    rules = affinities(ws, min_support=min_support, min_count=min_count, as_of=as_of, **common)
    made = next_best_offers(
        ws, k=k, as_of=as_of, not_offered=not_offered, rank_by=rank_by, **common
    )
    if cutoff is None:
        end = resolve_as_of(ws, as_of) if as_of is not None else data_range(ws)[1]
        cutoff = end - pd.Timedelta(days=float(horizon_days))
    try:
        evaluation = evaluate_offers(
            ws,
            cutoff,
            k=list(range(1, k + 1)),
            horizon_days=horizon_days,
            not_offered=not_offered,
            rank_by=rank_by,
            **common,
        )
    except NotEnoughDataError as exc:
        return OffersResult(rules, made, None, f"no evaluation: {exc}")
    return OffersResult(rules, made, evaluation)
