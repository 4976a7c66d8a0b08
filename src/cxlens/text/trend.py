"""Theme trends: monthly share of comments per theme, and which themes are emerging.

The engine counts theme members and analysed comments per month; here the shares are formed
and the last ``recent`` months are compared with all the months before them. A theme is
*emerging* when it is new (no member before the window, at least ``min_new`` in it) or its
share rose significantly: one-sided two-proportion z-test of the increase, Benjamini-Hochberg
q-value below ``alpha`` over all themes, and a share at least ``min_ratio`` times the earlier one.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.stats import norm

from cxlens.errors import ArgumentError
from cxlens.metrics.stats import benjamini_hochberg

TREND_COLUMNS: tuple[str, ...] = ("theme", "month", "count", "comments", "share")
EMERGING_COLUMNS: tuple[str, ...] = (
    "theme",
    "recent_count",
    "recent_share",
    "previous_share",
    "share_ratio",
    "p_value",
    "q_value",
    "new",
    "emerging",
)


def monthly_shares(counts: pd.DataFrame, totals: pd.DataFrame) -> pd.DataFrame:
    """Return every theme's count and share of the analysed comments of each month.

    Args:
        counts: ``theme, month, count`` (members per theme and month).
        totals: ``month, comments`` (analysed comments per month).

    Returns:
        ``theme, month, count, comments, share``, every theme x month (0 where none).

    Example:
        >>> c = pd.DataFrame({"theme": ["a"], "month": [pd.Timestamp("2024-02-01")], "count": [2]})
        >>> t = pd.DataFrame({"month": pd.to_datetime(["2024-01-01", "2024-02-01"]),
        ...                   "comments": [5, 4]})
        >>> monthly_shares(c, t)["share"].tolist()
        [0.0, 0.5]
    """
    themes = pd.Index(sorted(counts["theme"].unique()), name="theme")
    grid = pd.MultiIndex.from_product([themes, sorted(totals["month"])], names=["theme", "month"])
    out = (
        counts.groupby(["theme", "month"])["count"].sum().reindex(grid, fill_value=0).reset_index()
    )
    out = out.merge(totals, on="month", how="left")
    out["count"] = out["count"].astype("int64")
    out["comments"] = out["comments"].fillna(0).astype("int64")
    out["share"] = np.where(out["comments"] > 0, out["count"] / out["comments"].clip(lower=1), 0.0)
    return out[list(TREND_COLUMNS)]


def emerging(
    trend: pd.DataFrame,
    *,
    recent: int = 3,
    alpha: float = 0.05,
    min_ratio: float = 1.5,
    min_new: int = 5,
) -> pd.DataFrame:
    """Flag themes that are new or rising fast in the last ``recent`` months.

    Args:
        trend: the table of :func:`monthly_shares`.
        recent: months in the recent window (the latest months of ``trend``).
        alpha: false discovery rate of the rise tests.
        min_ratio: least ratio of recent to previous share for a significant rise to count.
        min_new: least recent members of a theme with none before to call it new.

    Returns:
        One row per theme: ``theme, recent_count, recent_share, previous_share,
        share_ratio, p_value, q_value, new, emerging``.

    Example:
        >>> months = pd.date_range("2024-01-01", periods=4, freq="MS")
        >>> t = pd.DataFrame({"theme": "a", "month": months, "count": [0, 0, 9, 12],
        ...                   "comments": 100, "share": [0, 0, 0.09, 0.12]})
        >>> emerging(t, recent=2)[["new", "emerging"]].values.tolist()
        [[True, True]]
    """
    if recent < 1:
        raise ArgumentError(f"recent must be at least 1 month, not {recent}")
    months = sorted(trend["month"].unique())
    if len(months) <= recent:
        raise ArgumentError(
            f"the comments span {len(months)} months; a recent window of {recent} leaves none "
            "before it to compare with; lower recent"
        )
    window = trend["month"].isin(months[-recent:])
    agg = (
        trend.assign(window=np.where(window, "recent", "previous"))
        .groupby(["theme", "window"])[["count", "comments"]]
        .sum()
        .unstack("window", fill_value=0)
    )
    x1, n1 = agg[("count", "recent")], agg[("comments", "recent")]
    x0, n0 = agg[("count", "previous")], agg[("comments", "previous")]
    p1 = x1 / n1.clip(lower=1)
    p0 = x0 / n0.clip(lower=1)
    pooled = (x1 + x0) / (n1 + n0).clip(lower=1)
    se = np.sqrt(pooled * (1 - pooled) * (1 / n1.clip(lower=1) + 1 / n0.clip(lower=1)))
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.where(se > 0, (p1 - p0) / se, np.nan)
    p_value = norm.sf(z)  # one-sided: a rise
    q_value = benjamini_hochberg(p_value)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(p0 > 0, p1 / p0, np.inf)
    new = (x0 == 0).to_numpy() & (x1 >= min_new).to_numpy()
    rising = (np.nan_to_num(q_value, nan=1.0) < alpha) & (ratio >= min_ratio)
    out = pd.DataFrame(
        {
            "theme": agg.index.to_numpy(),
            "recent_count": x1.to_numpy().astype("int64"),
            "recent_share": p1.to_numpy(),
            "previous_share": p0.to_numpy(),
            "share_ratio": ratio,
            "p_value": p_value,
            "q_value": q_value,
            "new": new,
            "emerging": new | rising,
        }
    )
    return out[list(EMERGING_COLUMNS)]
