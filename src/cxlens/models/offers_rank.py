"""Next-best offers: per customer, the items they do not own yet, ranked by expected value.

The model (:class:`AffinityOffers`) fits on the small item and pair tables the engine builds
and scores the per-customer owned-items table:

* the chance a customer who owns the set S buys item j is the highest smoothed confidence
  of a rule i -> j over the items i in S:
  ``P(j | S) = max_i (n_ij + m * p_j) / (n_i + m)``, where ``n_ij`` baskets hold both,
  ``n_i`` hold i, ``p_j`` is j's share of baskets and ``m`` (``smoothing``) pseudo-baskets
  pull small counts towards that base rate. A pair never seen together counts as
  ``n_ij = 0``, so an item the customer's products never sell with scores below its base
  rate; a customer who owns nothing known gets the base rate (popularity);
* the maximum, not a noisy-OR, because a customer's items are correlated evidence (a plan
  and the add-ons bought with it), and a noisy-OR would count them as independent causes;
* the value of j is the mean spend on j per buying customer (``value="customer"``, over
  the relationship) or per purchase line (``value="line"``), net of refunded lines;
* expected value = probability x value; offers are ranked by it (or by probability);
* ``kind`` is ``"upsell"`` when the customer owns a cheaper item of the same category
  (e.g. a lower plan tier) and ``"cross-sell"`` otherwise.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

import numpy as np
import pandas as pd

from cxlens.errors import ArgumentError, NotEnoughDataError
from cxlens.models.offers_baskets import BasketStats, basket_stats, owned_items
from cxlens.store.catalog import Catalog

Timestamp = str | date | datetime | pd.Timestamp

#: What offers can be ranked by.
RANK_BY: tuple[str, ...] = ("expected_value", "probability")

#: How the evidence of several owned items is combined.
COMBINE: tuple[str, ...] = ("max", "log_odds")

_EPS = 1e-9

#: How an item's value is measured.
VALUES: tuple[str, ...] = ("customer", "line")


def check_k(k: int) -> int:
    """Return ``k`` after checking it is a positive whole number.

    Example:
        >>> check_k(3)
        3
    """
    if isinstance(k, bool) or not isinstance(k, int | np.integer) or k < 1:
        raise ArgumentError(f"k must be a positive whole number of offers; got {k!r}")
    return int(k)


class AffinityOffers:
    """Rank the items a customer does not own by affinity-based chance times value.

    Args:
        k: offers per customer.
        smoothing: pseudo-baskets ``m`` pulling a rule's confidence towards the
            consequent's base rate (0: raw confidences).
        rank_by: ``"expected_value"`` (probability x value) or ``"probability"``.
        value: ``"customer"`` (mean spend per buying customer) or ``"line"`` (per line).
        combine: ``"log_odds"`` (add each owned item's shift of the base-rate log-odds: pools
            the evidence, including "never bought together") or ``"max"`` (best single rule).
        not_offered: categories whose items are evidence but never offered.

    Attributes (after fit):
        items_: one row per item: ``item, category, baskets, customers, base_rate, value,
            value_per_line``.
        pairs_: ``antecedent, consequent, baskets_with_both``.
        n_baskets_: baskets counted.
        item_: the item column (``"product"`` or ``"category"``).

    Example:
        >>> model = AffinityOffers(k=3).fit(basket_stats(ws))  # doctest: +SKIP
        >>> model.recommend(owned_items(ws, upto=model.as_of_))  # doctest: +SKIP
    """

    def __init__(
        self,
        k: int = 3,
        smoothing: float = 10.0,
        rank_by: str = "expected_value",
        value: str = "customer",
        combine: str = "log_odds",
        not_offered: Sequence[str] = (),
    ) -> None:
        self.k = k
        self.combine = combine
        self.not_offered = not_offered
        self.smoothing = smoothing
        self.rank_by = rank_by
        self.value = value

    def _check(self) -> None:
        check_k(self.k)
        if isinstance(self.smoothing, bool) or not isinstance(self.smoothing, int | float):
            raise ArgumentError(f"smoothing must be a number >= 0; got {self.smoothing!r}")
        if not np.isfinite(self.smoothing) or self.smoothing < 0:
            raise ArgumentError(f"smoothing must be a number >= 0; got {self.smoothing!r}")
        if self.rank_by not in RANK_BY:
            raise ArgumentError(
                f"rank_by must be one of {', '.join(RANK_BY)}; got {self.rank_by!r}"
            )
        if self.combine not in COMBINE:
            raise ArgumentError(
                f"combine must be one of {', '.join(COMBINE)}; got {self.combine!r}"
            )
        if self.value not in VALUES:
            raise ArgumentError(f"value must be one of {', '.join(VALUES)}; got {self.value!r}")

    def fit(self, stats: BasketStats) -> AffinityOffers:
        """Learn base rates, values and pair counts from basket counts; return self.

        Raises:
            NotEnoughDataError: no baskets.

        Example:
            >>> AffinityOffers().fit(basket_stats(ws)).items_  # doctest: +SKIP
        """
        self._check()
        if stats.n_baskets < 1 or stats.items.empty:
            raise NotEnoughDataError("no purchase baskets to fit offers on")
        items = stats.items.copy()
        items["base_rate"] = items["baskets"] / stats.n_baskets
        column = "value_per_customer" if self.value == "customer" else "value_per_line"
        items["value"] = items[column]
        self.items_ = items[
            ["item", "category", "baskets", "customers", "base_rate", "value", "value_per_line"]
        ].reset_index(drop=True)
        self.pairs_ = stats.pairs[["antecedent", "consequent", "baskets_with_both"]].copy()
        self.n_baskets_ = stats.n_baskets
        self.item_ = stats.item
        self.as_of_ = stats.as_of
        return self

    def fit_catalog(self, ws: Catalog, **counting: Any) -> AffinityOffers:
        """Check the settings, count the baskets of ``ws`` and fit on them; return self.

        The settings are checked before the engine counts anything, so a bad one costs no
        query. ``counting`` holds the keyword arguments of
        :func:`~cxlens.models.offers_baskets.basket_stats` (basket, item, as_of,
        exclude_categories, min_baskets); the data's as-of timestamp is ``as_of_``.

        Raises:
            ArgumentError: a bad setting.
            SchemaError: missing transactions or item column, or every item null.
            NotEnoughDataError: too few baskets with two or more items.

        Example:
            >>> AffinityOffers(k=3).fit_catalog(ws, basket="day").as_of_  # doctest: +SKIP
        """
        self._check()
        return self.fit(basket_stats(ws, **counting))

    def _fitted(self) -> None:
        if not hasattr(self, "items_"):
            raise ArgumentError("this AffinityOffers is not fitted yet; call fit(stats) first")

    def _offerable(self, by_item: pd.Series) -> pd.Series:
        """``by_item`` without the items of the categories never offered."""
        category = self.items_.set_index("item")["category"].reindex(by_item.index)
        return by_item[~category.isin(list(self.not_offered)).to_numpy()]

    def _owned(self, owned: pd.DataFrame) -> pd.DataFrame:
        missing = {"customer_id", "item"} - set(owned.columns)
        if missing:
            raise ArgumentError(
                f"owned needs columns customer_id and item; missing {', '.join(sorted(missing))}"
            )
        return owned[["customer_id", "item"]].dropna().drop_duplicates()

    def _unowned(self, cand: pd.DataFrame, owned: pd.DataFrame) -> pd.DataFrame:
        """Candidate rows whose item the customer does not own."""
        flagged = cand.merge(owned.assign(_own=True), on=["customer_id", "item"], how="left")
        return flagged[flagged["_own"].isna()].drop(columns="_own")

    def _top_cross(self, owned: pd.DataFrame, order: pd.Series, k: int) -> pd.DataFrame:
        """Each customer x the first items of ``order`` (enough to leave k unowned)."""
        width = k + int(owned.groupby("customer_id").size().max())
        top = order.head(width).index.to_numpy()
        customers = owned["customer_id"].drop_duplicates().to_numpy()
        return pd.DataFrame(
            {"customer_id": np.repeat(customers, len(top)), "item": np.tile(top, len(customers))}
        )

    def recommend(self, owned: pd.DataFrame, k: int | None = None) -> pd.DataFrame:
        """Return each customer's top-k offers among the items they do not own.

        Args:
            owned: one row per customer and owned item: ``customer_id, item``.
            k: offers per customer (default: the model's ``k``).

        Returns:
            DataFrame ``customer_id, rank, <item>, probability, value, expected_value,
            because, kind`` (``<item>`` is ``product`` or ``category``; ``because`` is the
            owned item whose rule gave the probability, None when the base rate did);
            sorted by customer and rank.

        Example:
            >>> owned = pd.DataFrame({"customer_id": ["c1"], "item": ["A"]})
            >>> model.recommend(owned)  # doctest: +SKIP
        """
        self._fitted()
        k = check_k(self.k if k is None else k)
        owned = self._owned(owned)
        items = self.items_.set_index("item")
        known = owned[owned["item"].isin(items.index)]
        empty = owned.loc[~owned["customer_id"].isin(known["customer_id"]), ["customer_id"]]
        m = float(self.smoothing)
        base, value = items["base_rate"], items["value"]
        # candidates: every consequent of an owned item, plus the best never-paired items
        paired = known.merge(self.pairs_, left_on="item", right_on="antecedent")
        paired = paired[["customer_id", "consequent"]].rename(columns={"consequent": "item"})
        key = base * value if self.rank_by == "expected_value" else base
        order = self._offerable(key.sort_index()).sort_values(ascending=False, kind="mergesort")
        frames = [paired]
        if len(known):
            frames.append(self._top_cross(known, order, k))
        cand = self._unowned(pd.concat(frames, ignore_index=True).drop_duplicates(), owned)
        cand = cand[cand["item"].isin(order.index)]
        # every (candidate j, owned i) pair: smoothed confidence of i -> j, then the best i
        full = cand.merge(known.rename(columns={"item": "antecedent"}), on="customer_id")
        full = full.merge(
            self.pairs_.rename(columns={"consequent": "item"}),
            on=["antecedent", "item"],
            how="left",
        )
        both = full["baskets_with_both"].fillna(0).to_numpy(dtype=float)
        p_j = full["item"].map(base).to_numpy(dtype=float)
        n_i = full["antecedent"].map(items["baskets"]).to_numpy(dtype=float)
        with np.errstate(invalid="ignore", divide="ignore"):
            full["_q"] = (both + m * p_j) / (n_i + m)
        full["_p"] = p_j
        lifted = (both > 0) & (full["_q"].to_numpy() > p_j)
        full["because"] = np.where(lifted, full["antecedent"], None)
        full = full.sort_values(
            ["customer_id", "item", "_q", "antecedent"],
            ascending=[True, True, False, True],
            kind="mergesort",
        )
        scored = self._combine(full)
        if len(empty):
            scored = pd.concat([scored, self._popular_for(empty, owned, order, k)])
        scored = scored.assign(value=scored["item"].map(value).to_numpy(dtype=float))
        scored["expected_value"] = scored["probability"] * scored["value"]
        return self._ranked(scored, owned, k)

    def _combine(self, full: pd.DataFrame) -> pd.DataFrame:
        """One probability per customer and candidate from its (candidate, owned item) rows."""
        first = full.drop_duplicates(["customer_id", "item"])[
            ["customer_id", "item", "_q", "because"]
        ].rename(columns={"_q": "probability"})
        if self.combine == "max":
            return first.reset_index(drop=True)
        # log-odds pooling: base-rate log-odds plus each owned item's shift of it
        q = full["_q"].clip(_EPS, 1 - _EPS)
        p = full["_p"].clip(_EPS, 1 - _EPS)
        shift = (
            (np.log(q / (1 - q)) - np.log(p / (1 - p)))
            .groupby([full["customer_id"], full["item"]], sort=False)
            .sum()
        )
        base = p.groupby([full["customer_id"], full["item"]], sort=False).first()
        logit = np.log(base / (1 - base)) + shift
        pooled = (1 / (1 + np.exp(-logit))).rename("probability").reset_index()
        return pooled.merge(first.drop(columns="probability"), on=["customer_id", "item"])

    def _popular_for(
        self, customers: pd.DataFrame, owned: pd.DataFrame, order: pd.Series, k: int
    ) -> pd.DataFrame:
        """Base-rate candidates for customers who own no item the model knows."""
        top = order.head(k).index.to_numpy()
        ids = customers["customer_id"].drop_duplicates().to_numpy()
        cand = pd.DataFrame({"customer_id": np.repeat(ids, len(top)),
                             "item": np.tile(top, len(ids))})  # fmt: skip
        cand["probability"] = cand["item"].map(self.items_.set_index("item")["base_rate"])
        cand["because"] = None
        return self._unowned(cand, owned)

    def _ranked(self, scored: pd.DataFrame, owned: pd.DataFrame, k: int) -> pd.DataFrame:
        key = self.rank_by
        scored = scored.sort_values(
            ["customer_id", key, "probability", "item"],
            ascending=[True, False, False, True],
            kind="mergesort",
        )
        scored["rank"] = scored.groupby("customer_id").cumcount() + 1
        top = scored[scored["rank"] <= k].copy()
        top["kind"] = self._kinds(top, owned)
        top = top.rename(columns={"item": self.item_})
        cols = ["customer_id", "rank", self.item_, "probability", "value", "expected_value",
                "because", "kind"]  # fmt: skip
        out = top[cols].reset_index(drop=True)
        out["rank"] = out["rank"].astype("int64")
        out["because"] = out["because"].astype(object).where(out["because"].notna(), None)
        return out

    def _kinds(self, offers: pd.DataFrame, owned: pd.DataFrame) -> np.ndarray:
        """Label each offer: upsell where the customer owns a cheaper item of its category."""
        if self.item_ != "product" or offers.empty:
            return np.full(len(offers), "cross-sell", dtype=object)
        items = self.items_.set_index("item")
        have = owned.assign(
            category=owned["item"].map(items["category"]),
            price=owned["item"].map(items["value_per_line"]),
        ).dropna(subset=["category"])
        cheapest = have.groupby(["customer_id", "category"])["price"].min().rename("_owned")
        probe = offers[["customer_id", "item"]].assign(
            category=offers["item"].map(items["category"]).to_numpy(),
            price=offers["item"].map(items["value_per_line"]).to_numpy(),
        )
        probe = probe.merge(cheapest.reset_index(), on=["customer_id", "category"], how="left")
        upsell = (probe["price"] > probe["_owned"]).to_numpy()
        return np.where(upsell, "upsell", "cross-sell").astype(object)

    def popularity(self, owned: pd.DataFrame, k: int | None = None) -> pd.DataFrame:
        """Return the baseline: each customer's k most popular items (buyers) not owned.

        Returns:
            DataFrame ``customer_id, rank, <item>, probability`` (probability: base rate).

        Example:
            >>> model.popularity(owned, k=3)  # doctest: +SKIP
        """
        self._fitted()
        k = check_k(self.k if k is None else k)
        owned = self._owned(owned)
        items = self.items_.set_index("item").sort_index()
        order = self._offerable(items["customers"]).sort_values(ascending=False, kind="mergesort")
        cand = self._unowned(self._top_cross(owned, order, k), owned)
        cand["rank"] = cand.groupby("customer_id").cumcount() + 1
        top = cand[cand["rank"] <= k].copy()
        top["probability"] = top["item"].map(items["base_rate"]).to_numpy(dtype=float)
        top = top.rename(columns={"item": self.item_})
        top = top.sort_values(["customer_id", "rank"], kind="mergesort", ignore_index=True)
        return top[["customer_id", "rank", self.item_, "probability"]]


def next_best_offers(
    ws: Catalog,
    *,
    k: int = 3,
    as_of: Timestamp | None = None,
    basket: str = "customer",
    item: str = "product",
    exclude_categories: Sequence[str] = (),
    smoothing: float = 10.0,
    rank_by: str = "expected_value",
    value: str = "customer",
    combine: str = "log_odds",
    not_offered: Sequence[str] = (),
    customers: Sequence[str] | None = None,
    min_baskets: int = 20,
) -> pd.DataFrame:
    """Each customer's k next-best offers: items not owned yet, ranked by expected value.

    The engine builds the basket counts and the per-customer owned items up to ``as_of``
    (refunded purchases do not count); :class:`AffinityOffers` scores them. Customers with
    no purchase up to ``as_of`` get no row.

    Args:
        ws: the Workspace (needs transactions with ``item``).
        k: offers per customer.
        as_of: ignore rows after it (default: the last date in the data).
        basket: basket grain of the affinities: ``"customer"``, ``"day"`` or a column.
        item: ``"product"`` or ``"category"``.
        exclude_categories: categories never offered nor used as evidence.
        smoothing: pseudo-baskets pulling rule confidences to the base rate.
        rank_by: ``"expected_value"`` or ``"probability"``.
        value: ``"customer"`` (mean spend per buying customer) or ``"line"`` (per line).
        combine: ``"log_odds"`` (pooled evidence of every owned item) or ``"max"`` (the
            best single rule).
        not_offered: categories used as evidence but never offered (e.g. plans).
        customers: only these customer ids (default: all).
        min_baskets: fewest baskets with two or more items needed.

    Returns:
        DataFrame ``customer_id, rank, <item>, probability, value, expected_value, because,
        kind, as_of`` sorted by customer and rank; ``as_of`` (the data's as-of timestamp) is
        the same on every row.

    Raises:
        SchemaError: missing transactions or item column, or every item null.
        NotEnoughDataError: too few baskets with two or more items.

    Example:
        >>> next_best_offers(ws, k=3).head()  # doctest: +SKIP
    """
    check_k(k)
    model = AffinityOffers(k, smoothing, rank_by, value, combine, not_offered).fit_catalog(
        ws,
        basket=basket,
        item=item,
        as_of=as_of,
        exclude_categories=exclude_categories,
        min_baskets=min_baskets,
    )
    owned = owned_items(ws, item=item, upto=model.as_of_, exclude_categories=exclude_categories)
    if customers is not None:
        owned = owned[owned["customer_id"].isin(list(customers))]
    out = model.recommend(owned)
    out["as_of"] = model.as_of_
    return out
