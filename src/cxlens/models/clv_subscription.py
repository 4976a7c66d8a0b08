"""Subscription revenue in a customer's value: what LTV:CAC counts beside the fitted CLV.

LTV:CAC has one definition in every view (``cxlens clv``, the API, the report and the
dashboard): a customer's value over the CLV horizon, over the acquisition cost. When the
purchases hold regular payments (a recurring category such as subscriptions, which BG/NBD
cannot model: :func:`cxlens.models.clv.clv_auto` fits CLV on the discretionary purchases),
the value is that CLV plus the expected subscription revenue, so the ratio sets all of the
value against all of the cost.

The subscription revenue is the constant-retention value of Gupta and Lehmann ("Customers
as assets", Journal of Interactive Marketing 17(1), 2003), over a finite horizon: a
customer paying ``m`` in the latest full month is worth ``m * sum_{k=1..H} (r / (1 + d))^k``,
where ``r`` is the monthly retention of paying subscribers (the share of the customers who
paid in one month and paid again in the next, pooled over every full month of the history),
``d`` the monthly discount rate and ``H`` the horizon in months. A customer who did not pay
in the latest full month is not an active subscriber and adds nothing. The monthly payments
are summed in the engine (refunds net within the month).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from cxlens.errors import NotEnoughDataError
from cxlens.metrics.periods import truncate
from cxlens.money import format_money
from cxlens.store.catalog import Catalog
from cxlens.store.query import run


@dataclass(frozen=True)
class SubscriptionValue:
    """What :func:`subscription_value` found.

    Attributes:
        customers: ``customer_id``, ``monthly_payment`` (the latest full month's) and
            ``subscription_value`` (discounted, over the horizon), one row per active
            subscriber.
        categories: the recurring categories counted.
        retention: the monthly retention of paying subscribers (0-1).
        pairs: the subscriber-months it was estimated on.
        last_month: the latest full month (its first day).
        horizon_months: the horizon.
        discount_rate: the annual discount rate.
    """

    customers: pd.DataFrame
    categories: tuple[str, ...]
    retention: float
    pairs: int
    last_month: pd.Timestamp
    horizon_months: int
    discount_rate: float

    def note(self, currency: str = "") -> str:
        """Say how the subscription revenue enters the value (the method note of LTV:CAC).

        Example:
            >>> sv = SubscriptionValue(pd.DataFrame({"subscription_value": [120.0]}),
            ...     ("subscription",), 0.9, 400, pd.Timestamp("2025-12-01"), 12, 0.1)
            >>> sv.note("USD")[:60]
            'LTV:CAC counts the CLV of the discretionary purchases plus t'
        """
        total = float(self.customers["subscription_value"].sum())
        return (
            f"LTV:CAC counts the CLV of the discretionary purchases plus the expected "
            f"{', '.join(self.categories)} revenue over the same {self.horizon_months} months "
            f"({format_money(total, currency)} from {len(self.customers):,} customers paying "
            f"in {self.last_month:%B %Y}), over the full acquisition cost. Subscription "
            f"revenue: each paying customer's latest monthly payment, kept with the monthly "
            f"retention of paying subscribers ({self.retention:.1%}, from {self.pairs:,} "
            f"subscriber-months) and discounted at {self.discount_rate:.0%} a year "
            "(constant-retention value, Gupta and Lehmann 2003)."
        )


def retention_factor(retention: float, horizon_months: int, discount_rate: float) -> float:
    """Return ``sum_{k=1..H} (r / (1 + d))^k``: months of payment a subscriber is worth.

    ``d`` is the monthly rate equivalent to the annual ``discount_rate``.

    Example:
        >>> retention_factor(1.0, 12, 0.0)
        12.0
        >>> round(retention_factor(0.5, 2, 0.0), 4)
        0.75
    """
    monthly = (1 + discount_rate) ** (1 / 12) - 1
    ratio = retention / (1 + monthly)
    return float(sum(ratio**k for k in range(1, horizon_months + 1)))


def last_full_month(as_of: pd.Timestamp) -> pd.Timestamp:
    """Return the first day of the latest month that ends on or before ``as_of``'s day.

    Example:
        >>> last_full_month(pd.Timestamp("2025-12-31 18:00")), last_full_month(
        ...     pd.Timestamp("2025-12-30"))
        (Timestamp('2025-12-01 00:00:00'), Timestamp('2025-11-01 00:00:00'))
    """
    day = pd.Timestamp(as_of).normalize()
    start = day.to_period("M").start_time
    return (
        start
        if (day + pd.Timedelta(days=1)).month != day.month
        else start - pd.DateOffset(months=1)
    )


def monthly_payments(ws: Catalog, categories: Sequence[str], until: pd.Timestamp) -> pd.DataFrame:
    """Return ``customer_id, month, amount``: each customer's net payments per month, > 0.

    Summed in the engine over the transactions of ``categories`` up to ``until`` (inclusive).

    Example:
        >>> monthly_payments(ws, ["subscription"], pd.Timestamp("2025-12-31"))  # doctest: +SKIP
    """
    t = ws.table("transactions")
    end = pd.Timestamp(until).normalize() + pd.Timedelta(days=1)
    t = t.filter(t["category"].isin(list(categories)) & (t["occurred_at"] < end.to_pydatetime()))
    per = t.group_by(customer_id=t["customer_id"], month=truncate(t["occurred_at"], "month")).agg(
        amount=t["amount"].cast("float64").sum()
    )
    frame = run(per.filter(per["amount"] > 0), "the monthly subscription payments")
    frame["month"] = pd.to_datetime(frame["month"])
    return frame


def subscription_value(
    ws: Catalog,
    categories: Sequence[str],
    *,
    as_of: pd.Timestamp,
    horizon_months: int = 12,
    discount_rate: float = 0.10,
) -> SubscriptionValue:
    """Return the expected revenue of each active subscriber over the horizon.

    See the module docstring for the method (Gupta and Lehmann 2003, finite horizon).

    Raises:
        NotEnoughDataError: no subscriber paid in two consecutive full months (retention
            cannot be estimated).

    Example:
        >>> sv = subscription_value(ws, ["subscription"], as_of=pd.Timestamp("2025-12-31"))
        ... # doctest: +SKIP
        >>> sv.customers.columns.tolist()  # doctest: +SKIP
        ['customer_id', 'monthly_payment', 'subscription_value']
    """
    last = last_full_month(as_of)
    paid = monthly_payments(ws, categories, last + pd.offsets.MonthEnd(0))
    keys = set(zip(paid["customer_id"], paid["month"], strict=True))
    history = paid[paid["month"] < last]
    again = np.array(
        [(c, m + pd.DateOffset(months=1)) in keys for c, m in zip(history["customer_id"],
                                                                    history["month"], strict=True)],
        dtype=bool,
    )  # fmt: skip
    if not len(history):
        raise NotEnoughDataError(
            f"the {', '.join(categories)} payments cover no two consecutive full months up to "
            f"{last:%B %Y}: their monthly retention cannot be estimated"
        )
    retention = float(again.mean())
    factor = retention_factor(retention, horizon_months, discount_rate)
    active = paid[paid["month"] == last]
    customers = pd.DataFrame(
        {
            "customer_id": active["customer_id"].to_numpy(),
            "monthly_payment": active["amount"].to_numpy(dtype=float),
            "subscription_value": active["amount"].to_numpy(dtype=float) * factor,
        }
    ).sort_values("customer_id", ignore_index=True)
    return SubscriptionValue(
        customers=customers,
        categories=tuple(categories),
        retention=retention,
        pairs=len(history),
        last_month=last,
        horizon_months=horizon_months,
        discount_rate=float(discount_rate),
    )
