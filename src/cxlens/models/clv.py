"""Customer lifetime value from a Workspace: BG/NBD purchases, Gamma-Gamma spend, tiers, LTV:CAC.

:func:`clv` builds the per-customer summary in the engine (:mod:`cxlens.models.rfm`), fits
:class:`~cxlens.models.BetaGeo` on every customer and :class:`~cxlens.models.GammaGamma` on
the repeat customers, and returns per customer the expected purchases over the horizon,
P(alive), the expected average spend and the discounted CLV; a calibration/holdout check by
frequency bucket; CLV tiers; and CLV and LTV:CAC by segment and acquisition channel against
the 3-5x rule of thumb.

Discounting: the horizon is cut into months of 365.25/12 days and the expected purchases of
month i are discounted by ``(1 + annual_rate) ** (i / 12)``, i.e. monthly at
``(1 + annual_rate) ** (1/12) - 1`` (lifetimes' ``customer_lifetime_value`` discounts monthly
too, with 30-day months and a monthly rate given directly).

Degenerate fits: BG/NBD assumes Poisson purchasing with Gamma-spread rates, Gamma-Gamma a
spend that varies around each customer's mean. On regular payments (subscriptions: one a
month, the same amount) neither holds, and maximum likelihood runs to the edge of the
parameter space (r, alpha, p or q in the millions: every customer the same rate, no spread
in spend) along a flat ridge. :func:`clv` flags any of them above :data:`DEGENERATE_BOUND`
(alpha measured in days) with a note that says what to do: model recurring revenue apart
and fit CLV on the discretionary purchases (``exclude_categories=["subscription"]``).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import ibis
import numpy as np
import pandas as pd
from scipy import stats

from cxlens.analysis import monetization as _monetization
from cxlens.analysis.segments import save_segments
from cxlens.errors import ArgumentError, CxlensError, NotEnoughDataError
from cxlens.metrics.benchmarks import benchmarks
from cxlens.metrics.stats import check_confidence
from cxlens.models.beta_geo import BetaGeo
from cxlens.models.checks import DEGENERATE_BOUND, FitCheck, clv_checks
from cxlens.models.clv_subscription import SubscriptionValue, subscription_value
from cxlens.models.gamma_gamma import GammaGamma
from cxlens.models.rfm import TIME_UNITS, DateLike, plan_rfm_summary
from cxlens.store.catalog import Catalog
from cxlens.store.query import run

#: Days in an average month (the CLV horizon and discounting step).
DAYS_PER_MONTH = 365.25 / 12

#: CLV tiers, best first: (name, share of customers). Top 10% platinum, next 20% gold,
#: next 30% silver, the remaining 40% bronze.
DEFAULT_TIERS: tuple[tuple[str, float], ...] = (
    ("platinum", 0.10),
    ("gold", 0.20),
    ("silver", 0.30),
    ("bronze", 0.40),
)

#: Fewest repeat customers the Gamma-Gamma fit (and the BG/NBD dropout process) needs.
MIN_REPEATERS = 30

#: |Pearson r| between frequency and average spend above which the Gamma-Gamma
#: independence assumption is flagged.
CORRELATION_WARNING = 0.3

#: Parameters checked against :data:`DEGENERATE_BOUND`: (model, name).
DEGENERATE_PARAMS: tuple[tuple[str, str], ...] = (
    ("bg", "r"),
    ("bg", "alpha"),
    ("gg", "p"),
    ("gg", "q"),
)

#: LTV:CAC above this is flagged as possible under-investment in acquisition.
LTV_CAC_HIGH = 5.0

#: Calibration-period frequency buckets of the holdout check: 0..6, then "7+".
HOLDOUT_BUCKETS = 7

#: Columns of ``ClvResult.customers``, in order.
CUSTOMER_COLUMNS: tuple[str, ...] = (
    "customer_id",
    "frequency",
    "recency",
    "T",
    "monetary_value",
    "expected_purchases",
    "probability_alive",
    "expected_average_value",
    "clv",
    "clv_tier",
)

#: Columns of ``ClvResult.holdout``, in order.
HOLDOUT_TABLE_COLUMNS: tuple[str, ...] = (
    "frequency_cal",
    "customers",
    "predicted",
    "actual",
    "actual_ci_low",
    "actual_ci_high",
    "difference",
)
#: Columns of ``ClvResult.holdout``: the table's, then the window compared (the same on
#: every row): the model is fitted up to ``calibration_end`` and checked up to
#: ``observation_end``.
HOLDOUT_COLUMNS: tuple[str, ...] = (*HOLDOUT_TABLE_COLUMNS, "calibration_end", "observation_end")

#: Columns of ``customers`` joined in the engine for the LTV:CAC tables.
_ATTRIBUTES = {"segment": "string", "acquisition_channel": "string", "acquisition_cost": "float64"}

STATUS_BELOW = "below 3x"
STATUS_WITHIN = "3-5x"
STATUS_ABOVE = "above 5x — may be under-investing in acquisition"


@dataclass
class ClvResult:
    """What :func:`clv` returns.

    Attributes:
        customers: one row per customer who bought by ``as_of``: :data:`CUSTOMER_COLUMNS`.
        bg_params: BG/NBD ``r``, ``alpha``, ``a``, ``b`` (alpha in ``time_unit``).
        gg_params: Gamma-Gamma ``p``, ``q``, ``gamma``.
        holdout: by calibration frequency bucket: ``frequency_cal``, ``customers``,
            ``predicted`` and ``actual`` mean purchases in the holdout period, ``actual_ci_low``,
            ``actual_ci_high``, ``difference`` (predicted - actual), ``calibration_end``,
            ``observation_end``; empty without a holdout. Totals over customers are
            ``(predicted * customers).sum()`` and ``(actual * customers).sum()``.
        tiers: ``tier``, ``share`` (nominal), ``customers``, ``clv_min``, ``clv_max``,
            ``clv_mean``, ``clv_total``, ``clv_share``.
        by_segment: :func:`ltv_cac` by ``segment`` (empty when customers has no segment).
        by_channel: :func:`ltv_cac` by ``acquisition_channel`` (empty when absent).
        as_of: the as-of day.
        horizon_months: the CLV horizon.
        discount_rate: the annual discount rate.
        time_unit: unit of recency, T and alpha.
        spend_frequency_correlation: Pearson r of frequency and monetary_value among repeat
            customers (Gamma-Gamma assumes 0).
        notes: assumptions, exclusions and warnings, in words.
        bg: the fitted BetaGeo.
        gg: the fitted GammaGamma.
        categories: the transaction categories used (None: every category).
        exclude_categories: the categories left out.
        degenerate: the fitted parameters above :data:`DEGENERATE_BOUND` (``r``, ``alpha``
            in days, ``p``, ``q``), empty for a sound fit.
        full_fit: set by :func:`clv_auto` when it refitted on the discretionary purchases:
            the (degenerate) fit on all transactions.
        recurring: set by :func:`clv_auto` with ``full_fit``: the regularity table
            (:func:`cxlens.models.rfm.recurring_categories`) that named the recurring ones.
        currency: ISO 4217 code of every money figure (:func:`transactions_currency`); ""
            when transactions have no currency column and none was declared.
        ltv_cac_note: why the LTV:CAC columns are empty ("" when they are computed): see
            :func:`ltv_cac_scope`.
    """

    customers: pd.DataFrame
    bg_params: dict[str, float]
    gg_params: dict[str, float]
    holdout: pd.DataFrame
    tiers: pd.DataFrame
    by_segment: pd.DataFrame
    by_channel: pd.DataFrame
    as_of: pd.Timestamp
    horizon_months: int
    discount_rate: float
    time_unit: str
    spend_frequency_correlation: float
    notes: list[str] = field(default_factory=list)
    bg: BetaGeo | None = field(default=None, repr=False)
    gg: GammaGamma | None = field(default=None, repr=False)
    categories: tuple[str, ...] | None = None
    exclude_categories: tuple[str, ...] = ()
    degenerate: dict[str, float] = field(default_factory=dict)
    currency: str = ""
    full_fit: ClvResult | None = field(default=None, repr=False)
    recurring: pd.DataFrame | None = field(default=None, repr=False)
    ltv_cac_note: str = ""

    @property
    def failed_checks(self) -> list[FitCheck]:
        """The checks this fit fails (:func:`cxlens.models.checks.clv_checks`); empty: sound."""
        return clv_checks(self)

    #: The BG/NBD parameters fitted on the calibration period (empty without a holdout).
    holdout_bg_params: dict[str, float] = field(default_factory=dict)


# --- arguments -------------------------------------------------------------------------------


def _whole(value: Any, name: str, low: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < low:
        raise ArgumentError(f"{name} must be a whole number >= {low}; got {value!r}")
    return int(value)


def check_tiers(tiers: Sequence[tuple[str, float]]) -> tuple[tuple[str, float], ...]:
    """Validate tiers: (name, share) pairs, best first, distinct names, shares summing to 1.

    Returns:
        The tiers as a tuple of ``(str, float)``.

    Raises:
        ArgumentError: a malformed pair, a share <= 0, repeated names, or shares that do not
            add up to 1.

    Example:
        >>> check_tiers([("top", 0.2), ("rest", 0.8)])
        (('top', 0.2), ('rest', 0.8))
    """
    out = []
    for item in tiers:
        try:
            name, share = item
            share = float(share)
        except (TypeError, ValueError):
            raise ArgumentError(f"each tier must be a (name, share) pair; got {item!r}") from None
        if not (math.isfinite(share) and share > 0):
            raise ArgumentError(f"tier {name!r} has share {share!r}; shares must be > 0")
        out.append((str(name), share))
    names = [n for n, _ in out]
    if not out or len(set(names)) != len(names):
        raise ArgumentError(f"tiers need distinct names; got {names}")
    total = sum(s for _, s in out)
    if abs(total - 1) > 1e-9:
        raise ArgumentError(f"tier shares must add up to 1; {names} add up to {total:g}")
    return tuple(out)


# --- CLV arithmetic --------------------------------------------------------------------------


def monthly_rate(annual_rate: float) -> float:
    """Return the monthly rate equivalent to ``annual_rate`` compounded monthly.

    Example:
        >>> round(monthly_rate(0.1268250301319698), 6)
        0.01
    """
    if not (math.isfinite(annual_rate) and annual_rate >= 0):
        raise ArgumentError(f"discount_rate must be a number >= 0; got {annual_rate!r}")
    return (1 + annual_rate) ** (1 / 12) - 1


def discounted_clv(
    bg: BetaGeo,
    gg: GammaGamma,
    frequency: np.ndarray,
    recency: np.ndarray,
    T: np.ndarray,
    monetary_value: np.ndarray,
    *,
    months: int,
    annual_rate: float,
    units_per_month: float,
) -> np.ndarray:
    """Discounted expected spend over the next ``months`` months, per customer.

    ``sum_{i=1..months} (E[Y(i m)] - E[Y((i-1) m)]) * E[Z] / (1 + d) ** i`` with ``m`` the
    month in model time units, ``E[Y]`` the BG/NBD conditional expectation, ``E[Z]`` the
    Gamma-Gamma expected average spend and ``d`` the monthly rate of ``annual_rate``.

    Returns:
        CLV per customer (money units of the spend).

    Example:
        >>> discounted_clv(bg, gg, f, r, T, m, months=12, annual_rate=0.1,
        ...                units_per_month=DAYS_PER_MONTH)  # doctest: +SKIP
    """
    value = gg.expected_average_value(frequency, monetary_value)
    rate = monthly_rate(annual_rate)
    total = np.zeros(len(value))
    previous = np.zeros(len(value))
    for i in range(1, months + 1):
        current = bg.expected_purchases(i * units_per_month, frequency, recency, T)
        total += (current - previous) * value / (1 + rate) ** i
        previous = current
    return total


def assign_tiers(values: np.ndarray, tiers: Sequence[tuple[str, float]]) -> np.ndarray:
    """Label each value with its tier: the top ``share`` of values get the first tier, etc.

    Values are ranked from highest; tied values share the better tier ("min" rank). A tier
    with cumulative share ``c`` ends at position ``floor(c * n)`` (so with 2,000 customers the
    default tiers hold 200, 400, 600 and 800).

    Returns:
        Array of tier names, one per value.

    Example:
        >>> assign_tiers(np.arange(10.0), [("top", 0.2), ("rest", 0.8)]).tolist()[-3:]
        ['rest', 'top', 'top']
    """
    tiers = check_tiers(tiers)
    n = len(values)
    position = pd.Series(values).rank(ascending=False, method="min").to_numpy() - 1
    ends = np.floor(n * np.cumsum([s for _, s in tiers]) + 1e-9)
    ends[-1] = n
    index = np.searchsorted(ends, position, side="right")
    names = np.array([name for name, _ in tiers], dtype=object)
    return names[np.minimum(index, len(tiers) - 1)]


def tier_table(customers: pd.DataFrame, tiers: Sequence[tuple[str, float]]) -> pd.DataFrame:
    """Summarise CLV per tier: customers, range, mean, total and share of the total CLV.

    Returns:
        DataFrame with ``tier``, ``share``, ``customers``, ``clv_min``, ``clv_max``,
        ``clv_mean``, ``clv_total``, ``clv_share``, one row per tier, best first.

    Example:
        >>> c = pd.DataFrame({"clv": [5.0, 1.0], "clv_tier": ["top", "rest"]})
        >>> tier_table(c, [("top", 0.5), ("rest", 0.5)])["clv_share"].tolist()
        [0.8333333333333334, 0.16666666666666666]
    """
    total = float(customers["clv"].sum())
    rows = []
    for name, share in check_tiers(tiers):
        values = customers.loc[customers["clv_tier"] == name, "clv"]
        rows.append(
            {
                "tier": name,
                "share": share,
                "customers": len(values),
                "clv_min": float(values.min()) if len(values) else np.nan,
                "clv_max": float(values.max()) if len(values) else np.nan,
                "clv_mean": float(values.mean()) if len(values) else np.nan,
                "clv_total": float(values.sum()),
                "clv_share": float(values.sum()) / total if total else np.nan,
            }
        )
    return pd.DataFrame(rows)


# --- LTV:CAC ---------------------------------------------------------------------------------


def ltv_cac_norm() -> tuple[float, float, str]:
    """Return the LTV:CAC rule of thumb: (low, high, source).

    The low end (3x) is the ``ltv_cac_ratio`` ``target_low`` row of the shipped benchmarks
    (David Skok, "SaaS Metrics 2.0", 2013); above :data:`LTV_CAC_HIGH` (5x) is commonly read
    as under-investment in acquisition (growth could be bought faster).

    Example:
        >>> ltv_cac_norm()[:2]
        (3.0, 5.0)
    """
    table = benchmarks()
    row = table[(table["metric"] == "ltv_cac_ratio") & (table["statistic"] == "target_low")]
    return float(row["value"].iloc[0]), LTV_CAC_HIGH, str(row["source"].iloc[0])


def ltv_cac_status(ratio: float, low: float = 3.0, high: float = LTV_CAC_HIGH) -> str | None:
    """Return the status of an LTV:CAC ratio against the 3-5x norm (None when not finite).

    Example:
        >>> [ltv_cac_status(x) for x in (2.0, 4.0, 6.0)]
        ['below 3x', '3-5x', 'above 5x — may be under-investing in acquisition']
    """
    if not math.isfinite(ratio):
        return None
    if ratio < low:
        return STATUS_BELOW
    return STATUS_WITHIN if ratio <= high else STATUS_ABOVE


def ltv_cac(
    frame: pd.DataFrame,
    by: str,
    *,
    confidence: float = 0.95,
    min_n: int = 30,
) -> pd.DataFrame:
    """CLV and LTV:CAC per group, with a delta-method interval for the ratio.

    LTV:CAC has one definition everywhere: a customer's value over the CLV horizon (the
    CLV, plus the expected subscription revenue when the frame has ``subscription_value``:
    :mod:`cxlens.models.clv_subscription`) over the acquisition cost. The ratio is mean
    value / mean acquisition cost over the group's customers with a known, positive
    acquisition cost (a ratio of means). Its interval is
    ``R ± z * sqrt((s_c² - 2 R s_ca + R² s_a²) / n) / mean_a`` (delta method; ``s`` are sample
    (co)variances of value ``c`` and cost ``a``). It reflects customer-to-customer variation
    only, not the uncertainty of the fitted CLV model.

    Args:
        frame: one row per customer with ``by``, ``clv`` and ``acquisition_cost`` (and
            ``subscription_value``, missing read as none).
        by: the group column (e.g. ``segment``, ``acquisition_channel``).
        confidence: two-sided level of the interval.
        min_n: groups with fewer customers with a cost are flagged ``small_sample``.

    Returns:
        DataFrame sorted by ``by`` with ``customers``, ``clv_mean``, ``clv_total``,
        ``subscription_value_mean``, ``value_mean`` (CLV plus subscription revenue: the
        value LTV:CAC divides), ``customers_with_cac``, ``acquisition_cost_mean``,
        ``ltv_cac``, ``ltv_cac_ci_low``, ``ltv_cac_ci_high``, ``status`` (below 3x / 3-5x /
        above 5x...), ``small_sample``.
        Customers without a group value are left out.

    Example:
        >>> f = pd.DataFrame({"segment": ["a", "a"], "clv": [300.0, 500.0],
        ...                   "acquisition_cost": [100.0, 100.0]})
        >>> ltv_cac(f, "segment", min_n=1)["ltv_cac"].tolist()
        [4.0]
    """
    check_confidence(confidence)
    z = float(stats.norm.ppf(0.5 + confidence / 2))
    low, high, _ = ltv_cac_norm()
    rows = []
    for group, part in frame.dropna(subset=[by]).groupby(by, sort=True):
        clv = part["clv"].to_numpy(dtype=float)
        subscription = np.zeros(len(part))
        if "subscription_value" in part.columns:
            subscription = part["subscription_value"].fillna(0.0).to_numpy(dtype=float)
        value = clv + subscription
        cost = pd.to_numeric(part["acquisition_cost"], errors="coerce").to_numpy(dtype=float)
        known = np.isfinite(cost) & (cost > 0)
        c, a = value[known], cost[known]
        n = len(c)
        ratio = lo = hi = np.nan
        if n:
            ratio = c.mean() / a.mean()
        if n > 1:
            cov = np.cov(c, a, ddof=1)
            var = (cov[0, 0] - 2 * ratio * cov[0, 1] + ratio**2 * cov[1, 1]) / n
            half = z * math.sqrt(max(var, 0.0)) / a.mean()
            lo, hi = ratio - half, ratio + half
        rows.append(
            {
                by: group,
                "customers": len(part),
                "clv_mean": float(clv.mean()),
                "clv_total": float(clv.sum()),
                "subscription_value_mean": float(subscription.mean()),
                "value_mean": float(value.mean()),
                "customers_with_cac": n,
                "acquisition_cost_mean": float(a.mean()) if n else np.nan,
                "ltv_cac": ratio,
                "ltv_cac_ci_low": lo,
                "ltv_cac_ci_high": hi,
                "status": ltv_cac_status(ratio, low, high),
                "small_sample": n < min_n,
            }
        )
    columns = [
        by,
        "customers",
        "clv_mean",
        "clv_total",
        "subscription_value_mean",
        "value_mean",
        "customers_with_cac",
        "acquisition_cost_mean",
        "ltv_cac",
        "ltv_cac_ci_low",
        "ltv_cac_ci_high",
        "status",
        "small_sample",
    ]
    return pd.DataFrame(rows, columns=columns)


# --- holdout check ---------------------------------------------------------------------------


def holdout_table(
    cal: pd.DataFrame, bg: BetaGeo, *, buckets: int = HOLDOUT_BUCKETS, confidence: float = 0.95
) -> pd.DataFrame:
    """Predicted vs actual holdout purchases by calibration frequency bucket.

    Args:
        cal: from :func:`cxlens.models.rfm.calibration_and_holdout`.
        bg: a BetaGeo fitted on the calibration columns of ``cal``.
        buckets: frequencies 0..buckets-1 get a bucket each, the rest share "buckets+".
        confidence: level of the t interval of the actual mean.

    Returns:
        DataFrame with ``frequency_cal`` (text: "0", "1", ..., "7+"), ``customers``,
        ``predicted``, ``actual``, ``actual_ci_low``, ``actual_ci_high``, ``difference``.

    Example:
        >>> holdout_table(calibration_and_holdout(ws, "2025-06-30"), bg)  # doctest: +SKIP
    """
    x = cal["frequency_cal"].to_numpy(dtype=float)
    predicted = bg.expected_purchases(
        cal["duration_holdout"].to_numpy(dtype=float), x, cal["recency_cal"], cal["T_cal"]
    )
    actual = cal["frequency_holdout"].to_numpy(dtype=float)
    labels = [str(i) for i in range(buckets)] + [f"{buckets}+"]
    bucket = np.minimum(x, buckets).astype(int)
    rows = []
    for i, label in enumerate(labels):
        mask = bucket == i
        n = int(mask.sum())
        if not n:
            continue
        mean = float(actual[mask].mean())
        half = np.nan
        if n > 1:
            sd = float(actual[mask].std(ddof=1))
            half = float(stats.t.ppf(0.5 + confidence / 2, n - 1)) * sd / math.sqrt(n)
        rows.append(
            {
                "frequency_cal": label,
                "customers": n,
                "predicted": float(predicted[mask].mean()),
                "actual": mean,
                "actual_ci_low": mean - half,
                "actual_ci_high": mean + half,
            }
        )
    table = pd.DataFrame(rows)
    table["difference"] = table["predicted"] - table["actual"]
    return table


def default_holdout_months(history_months: float) -> int:
    """Return the default holdout length: 6 months with 18+ months of history, else a third.

    Returns 0 (no holdout) when a third of the history is under one month.

    Example:
        >>> [default_holdout_months(m) for m in (24, 12, 2)]
        [6, 4, 0]
    """
    if history_months >= 18:
        return 6
    return max(int(history_months // 3), 0)


def _holdout(
    ws: Catalog,
    as_of: pd.Timestamp,
    months: int,
    *,
    time_unit: str,
    penalizer: float,
    min_repeaters: int,
    confidence: float,
    categories: tuple[str, ...] | None,
    exclude_categories: tuple[str, ...],
) -> tuple[pd.DataFrame, dict[str, float]]:
    """Return the holdout table over ``months`` before ``as_of`` and the calibration fit."""
    cal_end = as_of - pd.DateOffset(months=months)
    plan = plan_rfm_summary(
        ws,
        as_of,
        calibration_end=cal_end,
        time_unit=time_unit,
        categories=categories,
        exclude_categories=exclude_categories,
    )
    cal = plan.execute()
    repeaters = int((cal["frequency_cal"] > 0).sum())
    if repeaters < min_repeaters:
        raise NotEnoughDataError(
            f"the holdout check needs {min_repeaters} customers with a repeat purchase by "
            f"the calibration end {cal_end.date()}; there are {repeaters}. Use a shorter "
            "holdout_months, or holdout_months=0 to skip the check"
        )
    bg = BetaGeo(penalizer).fit(cal["frequency_cal"], cal["recency_cal"], cal["T_cal"])
    table = holdout_table(cal, bg, confidence=confidence)
    table = table.assign(calibration_end=pd.Timestamp(plan.calibration_end),
                         observation_end=pd.Timestamp(plan.as_of))  # fmt: skip
    return table, dict(bg.params_)


# --- the analysis ----------------------------------------------------------------------------


def _summary_with_attributes(ws: Catalog, plan: Any) -> pd.DataFrame:
    """Execute the summary joined (in the engine) to the customers' segment and CAC columns."""
    expr = plan.expr
    present: dict[str, str] = {}
    if ws.has_table("customers"):
        c = ws.table("customers")
        present = {col: t for col, t in _ATTRIBUTES.items() if col in c.columns}
        if present and "customer_id" in c.columns:
            right = c.select(
                _cid=c["customer_id"], **{col: c[col].cast(t) for col, t in present.items()}
            )
            joined = expr.left_join(right, expr["customer_id"] == right["_cid"])
            expr = joined.drop("_cid")
    frame = run(expr.order_by("customer_id"), "the CLV summary with customer attributes")
    frame["frequency"] = frame["frequency"].astype("int64")
    for col, dtype in _ATTRIBUTES.items():
        if col not in frame.columns:
            frame[col] = pd.Series(
                np.nan if dtype == "float64" else None,
                index=frame.index,
                dtype="float64" if dtype == "float64" else "object",
            )
    return frame


def clv(
    ws: Catalog,
    horizon_months: int = 12,
    *,
    discount_rate: float = 0.10,
    as_of: DateLike | None = None,
    holdout_months: int | None = None,
    tiers: Sequence[tuple[str, float]] = DEFAULT_TIERS,
    time_unit: str = "days",
    penalizer: float = 0.0,
    min_repeaters: int = MIN_REPEATERS,
    confidence: float = 0.95,
    min_n: int = 30,
    categories: Sequence[str] | str | None = None,
    exclude_categories: Sequence[str] | str = (),
    currency: str | None = None,
    subscription: SubscriptionValue | None = None,
) -> ClvResult:
    """Estimate customer lifetime value with BG/NBD + Gamma-Gamma on the Workspace's purchases.

    The per-customer summary (:func:`cxlens.models.rfm.rfm_summary`; refunds netted per day,
    days with net spend <= 0 not purchases) is built in the engine with the customers'
    ``segment``, ``acquisition_channel`` and ``acquisition_cost`` joined there. BG/NBD is
    fitted on every customer, Gamma-Gamma on the repeat customers only; a customer without
    a repeat purchase is valued at the Gamma-Gamma population mean spend ``p * gamma /
    (q - 1)``. CLV is the expected spend over ``horizon_months`` discounted monthly at the
    annual ``discount_rate`` (see the module docstring). The holdout check refits BG/NBD on
    the history up to ``as_of - holdout_months`` and compares its predictions with the
    purchases after that, by calibration frequency.

    A fit that runs to the edge of the parameter space (r, alpha in days, p or q above
    :data:`DEGENERATE_BOUND`: regular payments such as subscriptions) is kept but named in
    ``degenerate`` and explained in ``notes``; fit on the discretionary purchases instead,
    e.g. ``exclude_categories=["subscription"]``.

    Args:
        ws: the Workspace (needs ``transactions``; ``customers`` for the LTV:CAC tables).
        horizon_months: CLV horizon in months (>= 1).
        discount_rate: annual discount rate (0.10 = 10% a year).
        as_of: the as-of day (default: the last transaction's day).
        holdout_months: length of the holdout period; None picks 6 with 18+ months of
            history, else a third of it; 0 skips the check.
        tiers: ``(name, share)`` pairs, best first (default: top 10% platinum, next 20%
            gold, next 30% silver, last 40% bronze).
        time_unit: ``"days"`` or ``"weeks"`` for recency, T and alpha.
        penalizer: L2 penalty of both fits (0 = plain maximum likelihood).
        min_repeaters: fewest customers with a repeat purchase to fit at all.
        confidence: level of the LTV:CAC and holdout intervals.
        min_n: LTV:CAC groups with fewer customers with a cost are flagged small_sample.
        categories: fit on transactions of these categories only (None: every category).
        exclude_categories: leave out transactions of these categories (the as-of day and
            the history length stay those of all transactions).
        currency: the currency of the amounts when transactions have no ``currency``
            column (it must agree with the column when there is one).
        subscription: the expected revenue of the excluded recurring categories
            (:func:`cxlens.models.clv_subscription.subscription_value`), added to each
            customer's CLV in the LTV:CAC tables; when it covers every excluded category
            LTV:CAC is shown, its note says how (``clv_auto`` passes it).

    Returns:
        ClvResult (``customers``, ``bg_params``, ``gg_params``, ``holdout``, ``tiers``,
        ``by_segment``, ``by_channel``, ``spend_frequency_correlation``, ``notes``,
        ``degenerate``...).

    Raises:
        ArgumentError: bad horizon, rate, tiers, time unit, holdout length, an as_of
            outside the transactions, or a category not in the data.
        SchemaError: a category filter on transactions without a ``category`` column.
        NotEnoughDataError: fewer than ``min_repeaters`` repeat customers (in the whole
            history, or by the calibration end when holdout_months is given), or a
            Gamma-Gamma fit with q <= 1 (unbounded mean spend).

    Example:
        >>> result = clv(ws, horizon_months=12, discount_rate=0.1)  # doctest: +SKIP
        >>> result.customers[["customer_id", "clv", "clv_tier"]].head()  # doctest: +SKIP
    """
    horizon = _whole(horizon_months, "horizon_months", 1)
    monthly_rate(discount_rate)
    tiers = check_tiers(tiers)
    check_confidence(confidence)
    min_repeaters = _whole(min_repeaters, "min_repeaters", 2)
    if holdout_months is not None:
        holdout_months = _whole(holdout_months, "holdout_months", 0)
    plan = plan_rfm_summary(
        ws,
        as_of,
        time_unit=time_unit,
        categories=categories,
        exclude_categories=exclude_categories,
    )
    keep = plan.keep
    frame = _summary_with_attributes(ws, plan)
    notes = [f"fitted on {keep.describe()}"] if keep.active else []
    notes += plan.notes()
    x = frame["frequency"].to_numpy(dtype=float)
    repeaters = int((x > 0).sum())
    if repeaters < min_repeaters:
        raise NotEnoughDataError(
            f"CLV needs at least {min_repeaters} customers with a repeat purchase (a second "
            f"purchase day) to fit the dropout and spend models; {repeaters} of {len(frame)} "
            f"customers have one by {plan.as_of.date()}"
            + (f" among the {keep.describe()}" if keep.active else "")
        )
    f, r, big_t, m = (
        frame[c].to_numpy(dtype=float) for c in ("frequency", "recency", "T", "monetary_value")
    )
    bg = BetaGeo(penalizer).fit(f, r, big_t)
    gg = GammaGamma(penalizer).fit(f, m)
    q = gg.params_["q"]
    if q <= 1:
        raise NotEnoughDataError(
            f"the Gamma-Gamma fit has q = {q:.3g} <= 1, so its mean spend p*gamma/(q-1) is "
            "unbounded (a very heavy-tailed spend); check for outlier amounts or use a "
            "penalizer"
        )
    out = _value(frame, bg, gg, horizon, discount_rate, TIME_UNITS[time_unit], tiers)
    corr = _spend_frequency_correlation(x, m)
    edge = degenerate_params(bg.params_, gg.params_, time_unit)
    notes += degenerate_notes(edge, time_unit)
    notes += _model_notes(len(out) - repeaters, gg, corr, horizon)
    money = transactions_currency(ws, currency)
    holdout, holdout_bg = _run_holdout(
        ws,
        plan,
        holdout_months,
        notes,
        time_unit=time_unit,
        penalizer=penalizer,
        min_repeaters=min_repeaters,
        confidence=confidence,
        categories=keep.include,
        exclude_categories=keep.exclude,
    )
    valued = frame[["segment", "acquisition_channel", "acquisition_cost"]].assign(clv=out["clv"])
    scope = ltv_cac_scope(keep.include, keep.exclude)
    if (
        subscription is not None
        and keep.include is None
        and set(keep.exclude) <= set(subscription.categories)
    ):
        per = subscription.customers.set_index("customer_id")["subscription_value"]
        valued["subscription_value"] = frame["customer_id"].map(per).fillna(0.0).to_numpy()
        inside = int(per.index.isin(frame["customer_id"]).sum())
        notes.append(
            f"{subscription.note(money)} The ratio covers the customers the CLV values (with "
            f"a discretionary purchase), {inside:,} of them paying subscribers; the "
            f"{len(per) - inside:,} who only pay the subscription are not in it."
        )
        scope = ""
    return ClvResult(
        customers=out[list(CUSTOMER_COLUMNS)],
        bg_params=dict(bg.params_),
        gg_params=dict(gg.params_),
        holdout=holdout,
        tiers=tier_table(out, tiers),
        by_segment=_without_ratio(
            ltv_cac(valued, "segment", confidence=confidence, min_n=min_n), scope
        ),
        by_channel=_without_ratio(
            ltv_cac(valued, "acquisition_channel", confidence=confidence, min_n=min_n), scope
        ),
        as_of=plan.as_of,
        horizon_months=horizon,
        discount_rate=float(discount_rate),
        time_unit=time_unit,
        spend_frequency_correlation=corr,
        notes=notes,
        bg=bg,
        gg=gg,
        categories=keep.include,
        exclude_categories=keep.exclude,
        degenerate=edge,
        currency=money,
        ltv_cac_note=scope,
        holdout_bg_params=holdout_bg,
    )


def transactions_currency(ws: Catalog, declared: str | None = None) -> str:
    """Return the currency of the transactions' amounts.

    The rule's home is :func:`cxlens.analysis.monetization.transactions_currency`.

    Example:
        >>> transactions_currency(ws)  # doctest: +SKIP
        'USD'
    """
    return _monetization.transactions_currency(ws, declared)


def ltv_cac_scope(categories: Sequence[str] | None, exclude_categories: Sequence[str] = ()) -> str:
    """Say why LTV:CAC is not computed for a CLV fit on part of the purchases ("" if all).

    LTV:CAC has one definition everywhere: the CLV of all of a customer's purchases over
    the horizon, over the full acquisition cost. Acquisition cost buys the whole customer,
    so a CLV that leaves categories out (e.g. recurring subscription revenue) would set part
    of the value against all of the cost and understate the ratio.

    Example:
        >>> ltv_cac_scope(None, ())
        ''
        >>> ltv_cac_scope(None, ("subscription",))[:52]
        'LTV:CAC is not shown: this CLV leaves out subscripti'
    """
    if categories is None and not exclude_categories:
        return ""
    if exclude_categories:
        scope = f"leaves out {', '.join(exclude_categories)}"
    else:
        scope = f"covers only {', '.join(categories or ())}"
    return (
        f"LTV:CAC is not shown: this CLV {scope} purchases, while the acquisition cost buys "
        "the whole customer, so the ratio would set part of the value against all of the cost. "
        "LTV:CAC is the CLV of all purchases over the acquisition cost; it needs a CLV fit "
        "on all transactions that passes its checks."
    )


def _without_ratio(table: pd.DataFrame, note: str) -> pd.DataFrame:
    """Blank the LTV:CAC columns of a :func:`ltv_cac` table when ``note`` says why."""
    if not note or table.empty:
        return table
    ratio = ["ltv_cac", "ltv_cac_ci_low", "ltv_cac_ci_high"]
    return table.assign(**{c: np.nan for c in ratio}, status=None)


def clv_auto(ws: Catalog, horizon_months: int = 12, **kw: Any) -> ClvResult:
    """Fit CLV; when the fit on all purchases is degenerate, refit on the discretionary ones.

    The refit happens when the first fit is degenerate (:data:`DEGENERATE_BOUND`), no
    category filter was asked for, and transactions have a ``category`` column with
    recurring categories (:func:`cxlens.models.rfm.recurring_categories`: bought at regular
    intervals) and other ones. The returned fit then leaves the recurring categories out
    (its ``exclude_categories``), keeps the first fit in ``full_fit`` and the regularity
    table in ``recurring``; its LTV:CAC counts the recurring categories' expected revenue
    beside the CLV (:func:`cxlens.models.clv_subscription.subscription_value`), or is
    withheld with the reason when that cannot be estimated (:func:`ltv_cac_scope`). The
    report, the command line and the API all call it through ``ws.models.clv``.

    Returns:
        ClvResult: the fit on all purchases, or the discretionary refit.

    Example:
        >>> clv_auto(ws).exclude_categories  # doctest: +SKIP
        ('subscription',)
    """
    from cxlens.models.rfm import recurring_categories

    result = clv(ws, horizon_months, **kw)
    asked = kw.get("categories") is not None or bool(kw.get("exclude_categories"))
    kw = {k: v for k, v in kw.items() if k not in ("categories", "exclude_categories")}
    if asked or not result.degenerate or "category" not in ws.table("transactions").columns:
        return result
    table = recurring_categories(ws)
    recurring = table.loc[table["recurring"], "category"].tolist()
    if not recurring or len(recurring) == len(table):  # nothing discretionary is left
        return result
    subscription, why_not = _subscription(ws, recurring, result)
    try:
        refit = clv(
            ws, horizon_months, exclude_categories=recurring, subscription=subscription, **kw
        )
    except CxlensError as exc:  # too few discretionary repeat buyers: keep the first fit
        result.notes.append(f"CLV of the discretionary purchases could not be fitted: {exc}")
        return result
    refit.full_fit, refit.recurring = result, table
    refit.notes += [why_not] if why_not else []
    return refit


def _subscription(
    ws: Catalog, recurring: list[str], result: ClvResult
) -> tuple[SubscriptionValue | None, str]:
    """Return the recurring categories' expected revenue for LTV:CAC, or None and why not.

    Without it LTV:CAC stays withheld (:func:`ltv_cac_scope`), for the reason given.
    """
    try:
        found = subscription_value(
            ws,
            recurring,
            as_of=result.as_of,
            horizon_months=result.horizon_months,
            discount_rate=result.discount_rate,
        )
    except NotEnoughDataError as exc:
        return None, f"Subscription revenue could not be valued: {exc}"
    return found, ""


def degenerate_params(
    bg_params: dict[str, float],
    gg_params: dict[str, float],
    time_unit: str = "days",
    bound: float = DEGENERATE_BOUND,
) -> dict[str, float]:
    """Return the fitted parameters that ran to the edge: r, alpha (in days), p, q > ``bound``.

    Returns:
        ``{name: value}`` of the parameters above the bound (alpha converted to days), in
        the order r, alpha, p, q; empty for a sound fit.

    Example:
        >>> degenerate_params({"r": 3.2e6, "alpha": 9.1e7, "a": 0.3, "b": 26.0},
        ...                   {"p": 2.9e5, "q": 2.1, "gamma": 4e-4})
        {'r': 3200000.0, 'alpha': 91000000.0, 'p': 290000.0}
    """
    found = {}
    for model, name in DEGENERATE_PARAMS:
        value = float((bg_params if model == "bg" else gg_params)[name])
        if name == "alpha":
            value *= TIME_UNITS[time_unit]
        if not value <= bound:  # NaN counts as degenerate too
            found[name] = value
    return found


def degenerate_notes(found: dict[str, float], time_unit: str = "days") -> list[str]:
    """Explain a degenerate fit in plain words (no note when ``found`` is empty).

    Args:
        found: from :func:`degenerate_params`.
        time_unit: the fit's time unit (alpha is reported in days).

    Returns:
        Zero, one or two notes: regular purchasing (r or alpha at the edge), near-constant
        spend per customer (p or q at the edge).

    Example:
        >>> degenerate_notes({"r": 3.2e6})[0][:46]
        'purchases are regular rather than random (e.g.'
    """
    notes = []
    shown = {k: f"{k} = {v:.3g}" + (" days" if k == "alpha" else "") for k, v in found.items()}
    purchase = [shown[k] for k in ("r", "alpha") if k in found]
    spend = [shown[k] for k in ("p", "q") if k in found]
    if purchase:
        notes.append(
            "purchases are regular rather than random (e.g. subscription payments): BG/NBD "
            "assumes Poisson purchasing; model the recurring revenue separately and fit CLV on "
            "discretionary purchases, e.g. exclude_categories=['subscription'] (the fit ran to "
            f"the edge of its parameter space: {', '.join(purchase)}, above "
            f"{DEGENERATE_BOUND:g}, so its purchase forecasts are not trustworthy)"
        )
    if spend:
        notes.append(
            "spend per purchase barely varies within each customer (e.g. fixed plan prices): "
            "the Gamma-Gamma spend model ran to the edge of its parameter space "
            f"({', '.join(spend)}, above {DEGENERATE_BOUND:g}); expected spend is then each "
            "customer's own average, and the fitted spread means nothing"
        )
    return notes


def _value(
    frame: pd.DataFrame,
    bg: BetaGeo,
    gg: GammaGamma,
    horizon: int,
    annual_rate: float,
    unit_days: float,
    tiers: Sequence[tuple[str, float]],
) -> pd.DataFrame:
    """Per-customer expected purchases, P(alive), expected spend, CLV and tier."""
    f, r, big_t, m = (
        frame[c].to_numpy(dtype=float) for c in ("frequency", "recency", "T", "monetary_value")
    )
    units_per_month = DAYS_PER_MONTH / unit_days
    out = frame[["customer_id", "frequency", "recency", "T", "monetary_value"]].copy()
    out["expected_purchases"] = bg.expected_purchases(horizon * units_per_month, f, r, big_t)
    out["probability_alive"] = bg.probability_alive(f, r, big_t)
    out["expected_average_value"] = gg.expected_average_value(f, m)
    out["clv"] = discounted_clv(
        bg, gg, f, r, big_t, m,
        months=horizon, annual_rate=annual_rate, units_per_month=units_per_month,
    )  # fmt: skip
    out["clv_tier"] = assign_tiers(out["clv"].to_numpy(), tiers)
    return out


def _model_notes(one_time: int, gg: GammaGamma, corr: float, horizon: int) -> list[str]:
    p, q, gamma = gg.params_["p"], gg.params_["q"], gg.params_["gamma"]
    notes = [
        f"{one_time:,} customers without a repeat purchase are valued at the Gamma-Gamma "
        f"population mean spend p*gamma/(q-1) = {p * gamma / (q - 1):,.2f}"
    ]
    if math.isfinite(corr) and abs(corr) > CORRELATION_WARNING:
        notes.append(
            f"frequency and average spend correlate (Pearson r = {corr:.2f} among repeat "
            "customers); the Gamma-Gamma model assumes they are independent, so CLV may be "
            "biased"
        )
    low, high, source = ltv_cac_norm()
    notes.append(
        f"CLV is discounted revenue over {horizon} months, not gross margin over a lifetime; "
        f"the {low:g}-{high:g}x LTV:CAC norm ({source}) assumes the latter"
    )
    return notes


def _spend_frequency_correlation(x: np.ndarray, m: np.ndarray) -> float:
    repeat = x > 0
    if repeat.sum() < 3 or np.std(x[repeat]) == 0 or np.std(m[repeat]) == 0:
        return float("nan")
    return float(np.corrcoef(x[repeat], m[repeat])[0, 1])


def _run_holdout(
    ws: Catalog,
    plan: Any,
    holdout_months: int | None,
    notes: list[str],
    **settings: Any,
) -> tuple[pd.DataFrame, dict[str, float]]:
    history = (plan.as_of - plan.first_day).days / DAYS_PER_MONTH
    months = default_holdout_months(history) if holdout_months is None else holdout_months
    if months == 0:
        notes.append("no holdout check (holdout_months=0, or under 3 months of history)")
        return holdout_table_empty(), {}
    if plan.as_of - pd.DateOffset(months=months) <= plan.first_day:
        # the data, not the argument, is too short: more history would make it valid
        raise NotEnoughDataError(
            f"holdout_months={months} leaves no calibration period: the transactions run "
            f"from {plan.first_day.date()} to {plan.as_of.date()} ({history:.1f} months)"
        )
    try:
        return _holdout(ws, plan.as_of, months, **settings)
    except NotEnoughDataError as exc:
        if holdout_months is not None:
            raise
        notes.append(f"no holdout check: {exc}")
        return holdout_table_empty(), {}


def holdout_table_empty() -> pd.DataFrame:
    """Return the holdout table with its columns and no rows (no holdout check was run).

    Example:
        >>> holdout_table_empty().columns.tolist()[:3]
        ['frequency_cal', 'customers', 'predicted']
    """
    return pd.DataFrame(columns=list(HOLDOUT_COLUMNS))


def save_clv_tiers(ws: Catalog, result: ClvResult) -> ibis.Table:
    """Store the CLV tiers as column ``clv_tier`` of the ``customer_segments`` table.

    Other saved segment columns are kept (see :func:`cxlens.analysis.segments.save_segments`);
    afterwards ``ws.metrics.nps(by=["clv_tier"])`` groups by tier.

    Returns:
        The stored ``customer_segments`` table as an Ibis expression.

    Example:
        >>> save_clv_tiers(ws, clv(ws))  # doctest: +SKIP
    """
    return save_segments(ws, result.customers[["customer_id", "clv_tier"]], columns=["clv_tier"])
