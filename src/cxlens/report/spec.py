"""How the report names, formats and explains each metric.

One :class:`MetricSpec` per metric the report can show: its label, the table it needs, how its
value and changes are formatted, which direction is better, and the definition and interval
method quoted in the methods note.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import pandas as pd


@dataclass(frozen=True)
class MetricSpec:
    """Display rules for one metric.

    Example:
        >>> METRICS["nps"].fmt(31.6)
        '32'
        >>> METRICS["csat"].fmt_change(-2.04)
        '−2.0 pp'
    """

    key: str
    label: str
    long_label: str
    table: str
    columns: tuple[str, ...]
    decimals: int
    unit: str
    change_unit: str
    higher_is_better: bool
    definition: str
    interval: str
    change_test: str
    trended: bool = False

    def fmt(self, value: float | None) -> str:
        """Format a value of this metric with its unit ("—" when missing)."""
        if value is None or not math.isfinite(value):
            return "—"
        return f"{value:,.{self.decimals}f}{self.unit}".replace("-", "−")

    def fmt_change(self, change: float | None) -> str:
        """Format a change of this metric, always signed, with its change unit."""
        if change is None or not math.isfinite(change):
            return "—"
        decimals = max(self.decimals, 1)
        text = f"{change:+,.{decimals}f}".replace("-", "−")
        return f"{text} {self.change_unit}" if self.change_unit else text

    def is_good(self, change: float) -> bool:
        """Return True when ``change`` moves the metric in the better direction."""
        return change > 0 if self.higher_is_better else change < 0


#: The last sentence of every change test: a partly elapsed period is never compared as whole.
NOT_PARTIAL = "Partial periods are not compared."

#: Interval and change test of a share of counts (CSAT's top-2-box, churn's lost customers).
PROPORTION_INTERVAL = "Wilson score interval for a proportion."
PROPORTION_TEST = (
    "two-proportion z-test (pooled); Fisher's exact test when an expected count is below 5. "
    + NOT_PARTIAL
)

METRICS: dict[str, MetricSpec] = {
    spec.key: spec
    for spec in (
        MetricSpec(
            key="nps",
            label="NPS",
            long_label="Net Promoter Score",
            table="responses",
            columns=("nps",),
            decimals=0,
            unit="",
            change_unit="pts",
            higher_is_better=True,
            definition=(
                "Share of promoters (9–10) minus share of detractors (0–6) among answers to "
                "the 0–10 likelihood-to-recommend question, from −100 to +100."
            ),
            interval="Adjusted-Wald interval (Rocks 2016: 3/4 promoter, 3/4 detractor and 3/2 "
            "passive added), which keeps a positive width at any n.",
            change_test="z-test of the difference of two independent NPS estimates; exact "
            "permutation test when an expected count is below 5. " + NOT_PARTIAL,
        ),
        MetricSpec(
            key="csat",
            label="CSAT",
            long_label="Customer satisfaction",
            table="responses",
            columns=("csat",),
            decimals=1,
            unit="%",
            change_unit="pp",
            higher_is_better=True,
            definition="Top-2-box share: answers of 4 or 5 on the 1–5 satisfaction scale.",
            interval=PROPORTION_INTERVAL,
            change_test=PROPORTION_TEST,
        ),
        MetricSpec(
            key="ces",
            label="CES",
            long_label="Customer effort score",
            table="responses",
            columns=("ces",),
            decimals=2,
            unit="",
            change_unit="",
            higher_is_better=True,
            definition="Mean answer on the 1–7 ease scale (7 = very easy).",
            interval="Student-t interval for a mean.",
            change_test="Welch t-test from summary statistics. " + NOT_PARTIAL,
        ),
        MetricSpec(
            key="churn",
            label="Churn",
            long_label="Customer churn",
            table="customers",
            columns=("first_seen", "churned_at"),
            decimals=2,
            unit="%",
            change_unit="pp",
            higher_is_better=False,
            definition=(
                "Customers whose relationship ended in the period, as a share of the "
                "customers active at the start of the period."
            ),
            interval=PROPORTION_INTERVAL,
            change_test=PROPORTION_TEST,
            trended=True,
        ),
        MetricSpec(
            key="engagement",
            label="Engagement",
            long_label="Social engagement rate",
            table="posts",
            columns=("reach",),
            decimals=2,
            unit="%",
            change_unit="pp",
            higher_is_better=True,
            definition="Interactions (likes, shares and comments) divided by reach, over posts.",
            interval="Ratio estimator with a delta-method standard error.",
            change_test="z-test of the difference of two independent ratio estimates. "
            + NOT_PARTIAL,
        ),
    )
}

#: Human names of the time grains, as used in "vs previous month".
GRAIN_NAMES: dict[str, str] = {
    "day": "day",
    "week": "week",
    "month": "month",
    "quarter": "quarter",
    "year": "year",
}

#: Adjectives of the grains, as used in "monthly churn".
GRAIN_ADJECTIVES: dict[str, str] = {
    "day": "daily",
    "week": "weekly",
    "month": "monthly",
    "quarter": "quarterly",
    "year": "yearly",
}


def format_period(period: object, every: str | None, *, short: bool = False) -> str:
    """Name the ``every`` period starting at ``period`` the way a reader says it.

    Client text writes months in full ("December 2025"); ``short`` abbreviates them
    ("Dec 2025") where space is tight, as on chart axes and hover labels.

    Example:
        >>> format_period("2025-04-01", "quarter")
        'Q2 2025'
        >>> format_period("2025-04-01", "month")
        'April 2025'
        >>> format_period("2025-04-01", "month", short=True)
        'Apr 2025'
    """
    ts = pd.Timestamp(period)
    month = ts.strftime("%b %Y" if short else "%B %Y")
    if every == "year":
        return f"{ts.year}"
    if every == "quarter":
        return f"Q{ts.quarter} {ts.year}"
    if every == "month":
        return month
    if every == "week":
        return f"week of {ts.day} {month}"
    return f"{ts.day} {month}"
