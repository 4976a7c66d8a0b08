"""Evaluate next-best offers on a time split: hit rate, precision and recall at k.

The model is fitted, and offers made, from transactions up to the cut-off only; the holdout
is each customer's items bought for the first time in ``(cutoff, cutoff + horizon]``
(refunded purchases do not count). Customers scored are those with a purchase up to the
cut-off and at least one new item in the holdout. The baseline offers every customer the
most popular items (by buying customers before the cut-off) they do not own.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

import numpy as np
import pandas as pd
from scipy import stats

from cxlens.analysis.features import resolve_as_of
from cxlens.errors import ArgumentError, NotEnoughDataError
from cxlens.metrics.stats import check_confidence, t_interval, wilson_interval
from cxlens.models.offers_baskets import data_range, owned_items
from cxlens.models.offers_rank import AffinityOffers, check_k
from cxlens.store.catalog import Catalog

Timestamp = str | date | datetime | pd.Timestamp

#: Columns of :func:`evaluate_offers`, in order.
EVALUATION_COLUMNS: tuple[str, ...] = (
    "method",
    "k",
    "customers",
    "customers_hit",
    "hit_rate",
    "hit_rate_ci_low",
    "hit_rate_ci_high",
    "precision",
    "precision_ci_low",
    "precision_ci_high",
    "recall",
    "recall_ci_low",
    "recall_ci_high",
    "lift",
    "p_value",
    "customers_offered",
    "hit_rate_offered",
    "hit_rate_offered_ci_low",
    "hit_rate_offered_ci_high",
    "cutoff",
    "horizon_end",
    "new_items",
    "rank_by",
)

#: What ``hit_rate`` is a share of, for labels (``hit_rate_offered`` is a share of everyone).
HIT_RATE_DENOMINATOR = "customers who bought a new item in the holdout"

#: The two methods compared, model first.
METHODS: tuple[str, ...] = ("model", "popularity")


def _ks(k: int | Sequence[int]) -> list[int]:
    values = [k] if isinstance(k, int | np.integer) and not isinstance(k, bool) else k
    try:
        ks = sorted({check_k(v) for v in values})  # type: ignore[union-attr]
    except TypeError as exc:
        raise ArgumentError(
            f"k must be a positive whole number or a list of them; got {k!r}"
        ) from exc
    if not ks:
        raise ArgumentError("k is empty; pass a number of offers such as 3")
    return ks


def check_cutoff(
    ws: Catalog, cutoff: Timestamp, horizon_days: float
) -> tuple[pd.Timestamp, pd.Timestamp]:
    """Return the cut-off and holdout end after checking the cut-off lies inside the data.

    Raises:
        ArgumentError: the cut-off is not after the first or not before the last
            transaction (the message gives the range), or the horizon is not positive.

    Example:
        >>> check_cutoff(ws, "2025-06-30", 90)  # doctest: +SKIP
    """
    if isinstance(horizon_days, bool) or not isinstance(horizon_days, int | float):
        raise ArgumentError(f"horizon_days must be a positive number; got {horizon_days!r}")
    if not np.isfinite(horizon_days) or horizon_days <= 0:
        raise ArgumentError(f"horizon_days must be a positive number; got {horizon_days!r}")
    stamp = resolve_as_of(ws, cutoff)
    first, last = data_range(ws)
    if not first < stamp < last:
        raise ArgumentError(
            f"cutoff {stamp:%Y-%m-%d %H:%M} is outside the data: transactions run from "
            f"{first:%Y-%m-%d %H:%M} to {last:%Y-%m-%d %H:%M}; pick a cut-off between them "
            "that leaves a holdout after it"
        )
    return stamp, stamp + pd.Timedelta(days=float(horizon_days))


def _hits(offers: pd.DataFrame, holdout: pd.DataFrame, item: str, ks: list[int]) -> pd.DataFrame:
    """Per scored customer and k: number of offers in the top k that they went on to buy."""
    got = offers.rename(columns={item: "item"}).merge(holdout, on=["customer_id", "item"])
    rows = {}
    for k in ks:
        per = got[got["rank"] <= k].groupby("customer_id").size()
        rows[k] = per
    return pd.DataFrame(rows).reindex(holdout["customer_id"].unique()).fillna(0)


def _add_offered(out: pd.DataFrame, offered: int, confidence: float) -> None:
    """Add the hit rate over everyone offered (customers with a purchase up to the cut-off)."""
    hits = out["customers_hit"].to_numpy(dtype=float)
    low, high = wilson_interval(hits, np.full(len(out), float(offered)), confidence)
    out["customers_offered"] = offered
    out["hit_rate_offered"] = hits / offered if offered else np.nan
    out["hit_rate_offered_ci_low"] = low
    out["hit_rate_offered_ci_high"] = high


def _summarise(
    hits: pd.DataFrame, new_counts: pd.Series, method: str, confidence: float
) -> list[dict[str, object]]:
    rows = []
    n = len(hits)
    for k in hits.columns:
        h = hits[k].to_numpy(dtype=float)
        hit = h > 0
        lo, hi = wilson_interval(hit.sum(), n, confidence)
        prec = h / k
        rec = h / new_counts.reindex(hits.index).to_numpy(dtype=float)
        row: dict[str, object] = {
            "method": method,
            "k": int(k),
            "customers": n,
            "customers_hit": int(hit.sum()),
            "hit_rate": hit.mean() if n else np.nan,
            "hit_rate_ci_low": float(np.ravel(lo)[0]),
            "hit_rate_ci_high": float(np.ravel(hi)[0]),
        }
        for name, values in (("precision", prec), ("recall", rec)):
            mean = values.mean() if n else np.nan
            sd = values.std(ddof=1) if n > 1 else np.nan
            low, high = t_interval(mean, sd, n, confidence)
            row[name] = mean
            row[f"{name}_ci_low"] = float(np.clip(np.ravel(low)[0], 0, 1))
            row[f"{name}_ci_high"] = float(np.clip(np.ravel(high)[0], 0, 1))
        rows.append(row)
    return rows


def mcnemar_p(model_hit: np.ndarray, base_hit: np.ndarray) -> float:
    """Exact McNemar p-value (two-sided) for paired hit/miss outcomes of two methods.

    Example:
        >>> round(mcnemar_p(np.array([1, 1, 1, 1, 1, 0]), np.array([0, 0, 0, 0, 0, 0])), 4)
        0.0625
    """
    b = int(np.sum((model_hit > 0) & (base_hit == 0)))
    c = int(np.sum((model_hit == 0) & (base_hit > 0)))
    if b + c == 0:
        return 1.0
    return float(stats.binomtest(b, b + c, 0.5).pvalue)


def evaluate_offers(
    ws: Catalog,
    cutoff: Timestamp,
    *,
    k: int | Sequence[int] = 3,
    horizon_days: float = 90,
    basket: str = "customer",
    item: str = "product",
    exclude_categories: Sequence[str] = (),
    smoothing: float = 10.0,
    rank_by: str = "expected_value",
    value: str = "customer",
    combine: str = "log_odds",
    not_offered: Sequence[str] = (),
    confidence: float = 0.95,
    min_baskets: int = 20,
) -> pd.DataFrame:
    """Score next-best offers made at ``cutoff`` against what customers bought next.

    Fits the affinities and makes the offers from transactions up to ``cutoff`` only (later
    rows, refunds included, are never read for them). The holdout is each customer's items
    first bought in ``(cutoff, cutoff + horizon_days]``; customers with a purchase up to the
    cut-off and at least one new item are scored. Hit rate at k: share of them with at
    least one new item among their top k offers (Wilson interval): its denominator is the
    customers who bought something new, not everyone offered. ``hit_rate_offered`` is the
    same hits over every customer with a purchase up to the cut-off (everyone who would be
    offered), with its Wilson interval; precision at k: mean
    share of the k offers bought; recall at k: mean share of the new items that were
    offered (Student-t intervals). The popularity baseline offers each customer the most
    popular items they do not own; ``lift`` is the model's hit rate over the baseline's and
    ``p_value`` an exact McNemar test of the paired hits (model rows).

    Args:
        ws: the Workspace (needs transactions with ``item``).
        cutoff: the split date; must lie strictly inside the transaction dates.
        k: offers per customer, or several k (one row each).
        horizon_days: length of the holdout in days.
        basket: basket grain of the affinities (as in ``next_best_offers``).
        item: ``"product"`` or ``"category"``.
        exclude_categories: categories left out everywhere.
        smoothing: pseudo-baskets pulling rule confidences to the base rate.
        rank_by: ``"expected_value"`` or ``"probability"``.
        value: ``"customer"`` or ``"line"`` value of an item.
        combine: ``"log_odds"`` or ``"max"``.
        not_offered: categories used as evidence but never offered; their items are
            also left out of the holdout (neither method can hit them).
        min_baskets: fewest baskets with two or more items needed before the cut-off.
        confidence: level of the intervals.

    Returns:
        DataFrame ``method, k, customers, customers_hit, hit_rate, hit_rate_ci_low,
        hit_rate_ci_high, precision, precision_ci_low, precision_ci_high, recall,
        recall_ci_low, recall_ci_high, lift, p_value, customers_offered, hit_rate_offered,
        hit_rate_offered_ci_low, hit_rate_offered_ci_high``, and the same on every row
        ``cutoff``, ``horizon_end`` (the holdout's end), ``new_items`` (customer-item pairs
        bought new in the holdout) and ``rank_by``; model rows first. What ``hit_rate`` is
        a share of is :data:`HIT_RATE_DENOMINATOR`.

    Raises:
        ArgumentError: cut-off outside the data (the message gives the range), bad settings.
        NotEnoughDataError: too few baskets before the cut-off, or nobody bought anything
            new in the holdout.

    Example:
        >>> evaluate_offers(ws, "2025-06-30", k=[1, 3, 5], horizon_days=180)  # doctest: +SKIP
    """
    ks = _ks(k)
    check_confidence(confidence)
    start, end = check_cutoff(ws, cutoff, horizon_days)
    model = AffinityOffers(max(ks), smoothing, rank_by, value, combine, not_offered)
    model.fit_catalog(
        ws,
        basket=basket,
        item=item,
        as_of=start,
        exclude_categories=exclude_categories,
        min_baskets=min_baskets,
    )
    owned = owned_items(ws, item=item, upto=start, exclude_categories=exclude_categories)
    new = owned_items(ws, item=item, upto=end, since=start, exclude_categories=exclude_categories)
    holdout = new[new["customer_id"].isin(owned["customer_id"])][["customer_id", "item"]]
    # items of categories never offered cannot be hit by either method
    category = holdout["item"].map(model.items_.set_index("item")["category"])
    holdout = holdout[~category.isin(list(not_offered)).to_numpy()]
    if holdout.empty:
        raise NotEnoughDataError(
            f"no customer with a purchase up to {start:%Y-%m-%d} bought a new {item} in the "
            f"{horizon_days:g} days after it; pick an earlier cut-off or a longer horizon"
        )
    scored = owned[owned["customer_id"].isin(holdout["customer_id"])]
    new_counts = holdout.groupby("customer_id").size()
    offers = model.recommend(scored)
    baseline = model.popularity(scored)
    model_hits = _hits(offers, holdout, item, ks)
    base_hits = _hits(baseline, holdout, item, ks)
    rows = _summarise(model_hits, new_counts, "model", confidence)
    rows += _summarise(base_hits, new_counts, "popularity", confidence)
    out = pd.DataFrame(rows)
    base_rate = out[out["method"] == "popularity"].set_index("k")["hit_rate"]
    with np.errstate(divide="ignore", invalid="ignore"):
        out["lift"] = out["hit_rate"].to_numpy() / out["k"].map(base_rate).to_numpy()
    out["p_value"] = [
        mcnemar_p(model_hits[kk].to_numpy(), base_hits[kk].to_numpy()) if m == "model" else np.nan
        for m, kk in zip(out["method"], out["k"], strict=True)
    ]
    _add_offered(out, int(owned["customer_id"].nunique()), confidence)
    # the split and setting every row was evaluated on
    out["cutoff"], out["horizon_end"], out["new_items"] = start, end, len(holdout)
    out["rank_by"] = rank_by
    return out[list(EVALUATION_COLUMNS)]
