"""Transactions: monthly subscription payments, add-on purchases and refunds, in one currency.

Subscriptions bill on the customer's joining day of the month (capped at the 28th) while they
are active, with an annual price rise. Add-ons follow a repeat-purchase process: each customer
has a personal purchase rate (Gamma-distributed, higher for happier customers) and buys at
Poisson times while active. After the planted billing change, small-business customers are
sometimes charged twice and refunded later (negative amounts).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from cxlens.sample import catalog as cat
from cxlens.sample.customers import SEGMENTS, Population
from cxlens.sample.timeline import DAY, Timeline, daytime, to_timestamps

#: Price rise applied from the 13th month of the period on.
PRICE_RISE = 0.03
PRICE_RISE_MONTH = 12
#: Add-on purchase rate: Gamma(shape, mean) per active month, scaled by satisfaction.
ADDON_SHAPE = 0.5
ADDON_MEAN_RATE = 0.1
#: Share of the planted segment's payments charged twice once the billing change starts.
DOUBLE_CHARGE_SHARE = 0.06
ADDON_REFUND_SHARE = 0.02

_PAYMENT: dict[str, dict[str, float]] = {
    "consumer": {"auto_pay": 0.7, "card": 0.25, "bank_transfer": 0.05},
    "small_business": {"auto_pay": 0.6, "card": 0.25, "bank_transfer": 0.15},
    "enterprise": {"bank_transfer": 0.8, "auto_pay": 0.2},
}
_SHOP: dict[str, float] = {"web": 0.45, "app": 0.25, "store": 0.2, "phone": 0.1}


def _choose(rng: np.random.Generator, options: dict[str, float], n: int) -> np.ndarray:
    names = np.array(list(options), dtype=object)
    p = np.array(list(options.values()))
    return names[rng.choice(len(names), size=n, p=p / p.sum())]


def _subscriptions(
    rng: np.random.Generator, pop: Population, timeline: Timeline
) -> dict[str, np.ndarray]:
    """One payment per active month on the customer's billing day."""
    n = len(pop)
    starts = timeline.month_starts()
    dom = (pop.first_seen - pop.first_seen.astype("datetime64[M]")).astype("timedelta64[D]")
    dom = np.minimum(dom.astype(np.int64), 27)
    clock = 3 * 3600 + rng.integers(0, 3 * 3600, size=n)
    due = starts[None, :] + (dom * DAY + clock)[:, None].astype("timedelta64[s]")  # n x months
    first_day = pop.start.astype("datetime64[D]").astype("datetime64[s]")
    active = (due >= first_day[:, None]) & (due < pop.stop[:, None])
    cust, month = np.nonzero(active)
    price = pop.price[cust] * np.where(month >= PRICE_RISE_MONTH, 1 + PRICE_RISE, 1.0)
    method = np.empty(n, dtype=object)
    for s, name in enumerate(SEGMENTS):
        idx = np.flatnonzero(pop.segment == s)
        method[idx] = _choose(rng, _PAYMENT[name], len(idx))
    return {
        "cust": cust,
        "at": np.maximum(due[cust, month], pop.start[cust]),  # never before joining
        "amount": np.round(price, 2),
        "quantity": np.ones(len(cust), dtype=np.int64),
        "product": pop.plan[cust],
        "category": np.full(len(cust), "subscription", dtype=object),
        "channel": method[cust],
        "month": month,
    }


def _addons(rng: np.random.Generator, pop: Population) -> dict[str, np.ndarray]:
    """Add-on purchases from a per-customer Poisson rate (repeat buyers buy again)."""
    n = len(pop)
    rate = rng.gamma(ADDON_SHAPE, ADDON_MEAN_RATE / ADDON_SHAPE, size=n)
    rate *= np.exp(0.15 * (pop.mean_latent - 7.0))
    counts = rng.poisson(rate * pop.active_months())
    cust = np.repeat(np.arange(n), counts)
    span = (pop.stop - pop.start).astype(np.int64)[cust]
    at = pop.start[cust] + (rng.random(len(cust)) * span).astype(np.int64).astype("timedelta64[s]")
    at = np.clip(daytime(rng, at), pop.start[cust], pop.stop[cust] - 1)
    names = np.array(list(cat.PRODUCTS), dtype=object)
    product = np.empty(len(cust), dtype=object)
    seg_of = pop.segment[cust]
    for s, seg in enumerate(SEGMENTS):
        idx = np.flatnonzero(seg_of == s)
        offered = [k for k, v in enumerate(cat.PRODUCTS.values()) if seg in v[3]]
        p = np.array([list(cat.PRODUCTS.values())[k][2] for k in offered])
        product[idx] = names[
            np.array(offered)[rng.choice(len(offered), size=len(idx), p=p / p.sum())]
        ]
    category = np.array([cat.PRODUCTS[p][0] for p in names], dtype=object)
    unit = np.array([cat.PRODUCTS[p][1] for p in names])
    k = pd.Series(product).map({p: i for i, p in enumerate(names)}).to_numpy(int)
    extra = np.where(seg_of == SEGMENTS.index("enterprise"), rng.geometric(0.15, len(cust)) - 1, 0)
    extra += np.where(
        seg_of == SEGMENTS.index("small_business"), rng.geometric(0.6, len(cust)) - 1, 0
    )
    extra += np.where(seg_of == SEGMENTS.index("consumer"), rng.random(len(cust)) < 0.05, 0)
    quantity = 1 + extra.astype(np.int64)
    return {
        "cust": cust,
        "at": at,
        "amount": np.round(unit[k] * quantity, 2),
        "quantity": quantity,
        "product": product,
        "category": category[k],
        "channel": _choose(rng, _SHOP, len(cust)),
    }


def _refunds(
    rng: np.random.Generator, part: dict[str, np.ndarray], chosen: np.ndarray, end: np.datetime64
) -> dict[str, np.ndarray]:
    """Negative rows refunding ``chosen`` rows of ``part`` 5-25 days later (inside the period)."""
    delay = (rng.uniform(5, 25, size=len(chosen)) * DAY).astype(np.int64)
    at = part["at"][chosen] + delay.astype("timedelta64[s]")
    keep = at < end
    chosen, at = chosen[keep], at[keep]
    return {
        "cust": part["cust"][chosen],
        "at": at,
        "amount": -part["amount"][chosen],
        "quantity": part["quantity"][chosen],
        "product": part["product"][chosen],
        "category": part["category"][chosen],
        "channel": part["channel"][chosen],
    }


def build_transactions(
    rng: np.random.Generator, pop: Population, timeline: Timeline, problem_month: int
) -> tuple[pd.DataFrame, dict[str, object]]:
    """Generate subscription payments, add-on purchases and refunds.

    Args:
        rng: the random generator.
        pop: the customers.
        timeline: the sample's period.
        problem_month: 0-based month from which small-business payments are sometimes charged
            twice (and refunded).

    Returns:
        The canonical ``transactions`` table (transaction_id, customer_id, occurred_at, amount,
        currency, quantity, product, category, channel) and facts for the truth file.

    Example:
        >>> from cxlens.sample import generate
        >>> data = generate(customers=100, months=6, seed=2)
        >>> sorted(data.tables["transactions"]["currency"].unique())
        ['USD']
    """
    subs = _subscriptions(rng, pop, timeline)
    adds = _addons(rng, pop)
    sb = SEGMENTS.index(cat.PROBLEM_SEGMENT)
    hit = (
        (pop.segment[subs["cust"]] == sb)
        & (subs["month"] >= problem_month)
        & (rng.random(len(subs["cust"])) < DOUBLE_CHARGE_SHARE)
    )
    dup_idx = np.flatnonzero(hit)
    subs.pop("month")
    dup = {k: v[dup_idx] for k, v in subs.items()}
    dup["at"] = dup["at"] + (rng.integers(60, 6 * 3600, size=len(dup_idx))).astype("timedelta64[s]")
    inside = dup["at"] < pop.stop[dup["cust"]]
    dup = {k: v[inside] for k, v in dup.items()}
    dup_refund = _refunds(rng, dup, np.arange(len(dup["cust"])), timeline.end)
    add_refund = _refunds(
        rng, adds, np.flatnonzero(rng.random(len(adds["cust"])) < ADDON_REFUND_SHARE), timeline.end
    )
    parts = [subs, adds, dup, dup_refund, add_refund]
    cols = {k: np.concatenate([p[k] for p in parts]) for k in subs}
    order = np.lexsort((cols["cust"], cols["at"]))
    cols = {k: v[order] for k, v in cols.items()}
    n = len(order)
    width = max(8, len(str(n)))
    table = pd.DataFrame(
        {
            "transaction_id": pd.Series([f"TX{k:0{width}d}" for k in range(1, n + 1)], dtype="str"),
            "customer_id": pd.Series(pop.ids[cols["cust"]], dtype="str"),
            "occurred_at": to_timestamps(cols["at"]),
            "amount": cols["amount"].astype(float),
            "currency": pd.Series(np.full(n, cat.CURRENCY, dtype=object), dtype="str"),
            "quantity": cols["quantity"].astype(np.int64),
            "product": pd.Series(cols["product"], dtype="str"),
            "category": pd.Series(cols["category"], dtype="str"),
            "channel": pd.Series(cols["channel"], dtype="str"),
        }
    )
    facts: dict[str, object] = {
        "currency": cat.CURRENCY,
        "price_rise": {"from_month_index": PRICE_RISE_MONTH, "share": PRICE_RISE},
        "addon_rate": {
            "distribution": "gamma",
            "shape": ADDON_SHAPE,
            "mean_per_month": ADDON_MEAN_RATE,
            "satisfaction_factor": "exp(0.15 * (mean_latent - 7))",
        },
        "double_charges": len(dup["cust"]),
        "double_charge_share": DOUBLE_CHARGE_SHARE,
    }
    return table, facts
