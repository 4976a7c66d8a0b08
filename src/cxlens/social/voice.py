"""Competitor analysis: share of voice by volume, engagement and reach, and sentiment per brand.

One engine aggregate per call groups posts by brand (and period, and any ``within`` column
such as platform) into counts and sums of squares; shares and intervals are computed on that
small table.

* Volume share: a brand's posts over all posts of the period. Each share has the Wilson
  (1927) interval (``interval="wilson"``) or the Goodman (1965) simultaneous multinomial
  interval (``interval="goodman"``), which covers all brands of a period at once.
* Engagement (and reach) share: a brand's likes + shares + comments over everybody's, a ratio
  of two sums over posts. Its interval is the ratio estimator's delta-method interval with
  the post as the unit, so one viral post widens it as it should.
* Sentiment per brand: mean score (Student-t interval), share negative and share positive
  (Wilson) and net sentiment, positive minus negative share (trinomial interval, as NPS),
  over posts whose text was scored.
"""

from __future__ import annotations

from collections.abc import Sequence

import ibis
import ibis.expr.types as ir
import numpy as np
import pandas as pd
from statsmodels.stats.proportion import multinomial_proportions_confint

from cxlens.errors import ArgumentError, NotEnoughDataError, SchemaError
from cxlens.metrics.periods import check_every, truncate
from cxlens.metrics.stats import (
    check_confidence,
    check_min_n,
    nps_adjusted_wald_interval,
    nps_estimate,
    ratio_estimate,
    t_interval,
    wilson_interval,
    z_value,
)
from cxlens.social.engagement import post_engagements
from cxlens.store.query import is_present, require_columns, require_temporal, run, zero_if_missing

#: Interval methods for the volume share.
INTERVALS: tuple[str, ...] = ("wilson", "goodman")

#: Columns of :func:`share_of_voice` after the ``within``, ``period`` and ``by`` columns.
VOICE_COLUMNS: tuple[str, ...] = (
    "posts",
    "volume_share",
    "volume_ci_low",
    "volume_ci_high",
    "engagements",
    "engagement_share",
    "engagement_ci_low",
    "engagement_ci_high",
    "reach",
    "reach_share",
    "reach_ci_low",
    "reach_ci_high",
    "total_posts",
    "small_sample",
)

#: Columns of :func:`sentiment_by_brand` after the ``by`` and ``period`` columns.
SENTIMENT_COLUMNS: tuple[str, ...] = (
    "posts",
    "n",
    "score",
    "score_ci_low",
    "score_ci_high",
    "negative_share",
    "negative_ci_low",
    "negative_ci_high",
    "positive_share",
    "positive_ci_low",
    "positive_ci_high",
    "net_sentiment",
    "net_ci_low",
    "net_ci_high",
    "small_sample",
)


def _columns(value: Sequence[str] | str | None, table: ir.Table, what: str) -> list[str]:
    cols = [value] if isinstance(value, str) else list(value or [])
    for col in cols:
        if col not in table.columns:
            raise SchemaError(
                f"{what} column '{col}' is not in posts; available columns: "
                f"{', '.join(table.columns)}"
            )
    return cols


def _keys(posts: ir.Table, every: str | None) -> tuple[ir.Table, list[str]]:
    if every is None:
        return posts, []
    require_temporal(posts, "posts", "posted_at")
    return posts.mutate(period=truncate(posts["posted_at"], every)), ["period"]


def share_of_sum(
    part: np.ndarray,
    part_sq: np.ndarray,
    total: np.ndarray,
    total_sq: np.ndarray,
    n: np.ndarray,
    confidence: float = 0.95,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Share ``part / total`` of a sum over posts, with the ratio estimator's interval.

    With ``y_i = x_i`` for the brand's posts and 0 otherwise, the share is ``sum y / sum x``
    over the ``n`` posts of the period; ``sum y**2 = sum x*y = part_sq``.

    Args:
        part: the brand's sum of ``x`` (e.g. engagements).
        part_sq: the brand's sum of ``x**2``.
        total: everybody's sum of ``x``.
        total_sq: everybody's sum of ``x**2``.
        n: number of posts of the period (all brands).
        confidence: two-sided level.

    Returns:
        ``(share, low, high)`` in percent; NaN where the total is 0, interval NaN for n < 2.

    Example:
        >>> s, lo, hi = share_of_sum(np.array([30.0]), np.array([500.0]), np.array([40.0]),
        ...                          np.array([600.0]), np.array([4]))
        >>> round(float(s[0]), 1), round(float(lo[0]), 1), round(float(hi[0]), 1)
        (75.0, 22.1, 100.0)
    """
    n = np.asarray(n, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        dof = np.where(n > 1, n - 1.0, np.nan)
        s_yy = (part_sq - part * part / n) / dof
        s_xx = (total_sq - total * total / n) / dof
        s_xy = (part_sq - part * total / n) / dof
    share, se = ratio_estimate(part, total, n, s_yy, s_xx, s_xy)
    z = z_value(confidence)
    low = np.clip(share - z * se, 0.0, 1.0)
    high = np.clip(share + z * se, 0.0, 1.0)
    return 100.0 * share, 100.0 * low, 100.0 * high


def share_of_voice(
    posts: ir.Table,
    *,
    by: str = "brand",
    every: str | None = None,
    within: Sequence[str] | str | None = None,
    confidence: float = 0.95,
    min_n: int = 30,
    interval: str = "wilson",
) -> pd.DataFrame:
    """Share of voice per brand by volume (posts), engagement and reach, with intervals.

    Args:
        posts: the ``posts`` table; needs ``by`` and at least one of likes/shares/comments.
        by: the column naming the voices (``brand``; or ``brand_role``).
        every: time grain of ``posted_at`` (day, week, month, quarter, year); None overall.
        within: columns that split the conversation (e.g. ``platform``): shares add up to
            100% within each of their values.
        confidence: two-sided level of the intervals.
        min_n: periods with fewer posts in all are flagged ``small_sample``.
        interval: ``wilson`` (per brand) or ``goodman`` (simultaneous over the brands of a
            period) for the volume share.

    Returns:
        DataFrame ``*within, [period], <by>,`` then :data:`VOICE_COLUMNS`; shares and
        intervals in percent. Posts with a null ``by`` are left out. Engagement counts a null
        like/share/comment as 0; reach counts a null reach as 0.

    Raises:
        SchemaError: a column is missing. NotEnoughDataError: no posts.

    Example:
        >>> t = ibis.memtable({"brand": ["a", "a", "a", "b"], "likes": [1, 2, 3, 10],
        ...                    "reach": [10, 10, 10, 10]})
        >>> share_of_voice(t)[["brand", "volume_share", "engagement_share"]].values.tolist()
        [['a', 75.0, 37.5], ['b', 25.0, 62.5]]
    """
    every = check_every(every)
    check_confidence(confidence)
    check_min_n(min_n)
    if interval not in INTERVALS:
        raise ArgumentError(f"unknown interval={interval!r}; use one of: {', '.join(INTERVALS)}")
    require_columns(posts, "posts", by)
    split = _columns(within, posts, "within")
    if by in split:
        raise ArgumentError(f"'{by}' cannot be both the voice column and a within column")
    rows = posts.filter(posts[by].notnull())
    e = post_engagements(rows)
    r = zero_if_missing(rows["reach"]) if "reach" in rows.columns else ibis.literal(0.0)
    rows, period = _keys(rows.mutate(_e=e, _r=r), every)
    groups = [*split, *period]
    agg = rows.group_by([*groups, by]).aggregate(
        posts=rows.count(),
        engagements=rows["_e"].sum(),
        _e2=(rows["_e"] * rows["_e"]).sum(),
        reach=rows["_r"].sum(),
        _r2=(rows["_r"] * rows["_r"]).sum(),
    )
    df = run(agg, "share of voice")
    if df.empty:
        raise NotEnoughDataError("share of voice needs posts with a brand; posts has none")
    for col in ("engagements", "_e2", "reach", "_r2"):
        df[col] = df[col].astype("float64").fillna(0.0)
    df["posts"] = df["posts"].astype("int64")
    if period:
        df["period"] = pd.to_datetime(df["period"]).astype("datetime64[us]")
    if groups:
        tot = df.groupby(groups, dropna=False)[["posts", "engagements", "_e2", "reach", "_r2"]]
        totals = tot.transform("sum")
    else:
        totals = df[["posts", "engagements", "_e2", "reach", "_r2"]].sum().to_frame().T
        totals = totals.loc[np.zeros(len(df), dtype=int)].reset_index(drop=True)
    n = totals["posts"].to_numpy(float)
    x = df["posts"].to_numpy(float)
    df["volume_share"] = 100.0 * x / n
    if interval == "wilson":
        low, high = wilson_interval(x, n, confidence)
    else:
        low, high = _goodman(df, groups, confidence)
    df["volume_ci_low"], df["volume_ci_high"] = 100.0 * low, 100.0 * high
    for name, s, q in (("engagement", "engagements", "_e2"), ("reach", "reach", "_r2")):
        share, lo, hi = share_of_sum(
            df[s].to_numpy(float),
            df[q].to_numpy(float),
            totals[s].to_numpy(float),
            totals[q].to_numpy(float),
            n,
            confidence,
        )
        df[f"{name}_share"], df[f"{name}_ci_low"], df[f"{name}_ci_high"] = share, lo, hi
    df["total_posts"] = n.astype("int64")
    df["small_sample"] = df["total_posts"] < min_n
    keys = [*groups, by]
    out = df.sort_values(keys, kind="mergesort", na_position="last")
    return out[[*keys, *VOICE_COLUMNS]].reset_index(drop=True)


def _goodman(df: pd.DataFrame, groups: list[str], confidence: float) -> tuple[np.ndarray, ...]:
    """Goodman simultaneous intervals of the volume shares, one multinomial per period."""
    low = np.full(len(df), np.nan)
    high = np.full(len(df), np.nan)
    parts = df.groupby(groups, dropna=False).indices.values() if groups else [np.arange(len(df))]
    for idx in parts:
        idx = np.asarray(idx)
        counts = df["posts"].to_numpy(float)[idx]
        if len(idx) < 2:  # one brand holds the whole conversation
            low[idx], high[idx] = 1.0, 1.0
            continue
        ci = multinomial_proportions_confint(counts, alpha=1.0 - confidence, method="goodman")
        low[idx], high[idx] = ci[:, 0], ci[:, 1]
    return low, high


def sentiment_by_brand(
    posts: ir.Table,
    *,
    by: Sequence[str] | str = "brand",
    every: str | None = None,
    confidence: float = 0.95,
    min_n: int = 30,
) -> pd.DataFrame:
    """Sentiment per brand (and period): mean score, share negative/positive, net sentiment.

    Args:
        posts: posts with ``sentiment_label`` and ``sentiment_score`` joined on
            (:func:`cxlens.social.post_sentiment.with_sentiment`).
        by: grouping columns (``brand``; e.g. ``["brand", "platform"]``).
        every: time grain of ``posted_at``; None for one row per group.
        confidence: two-sided level of the intervals.
        min_n: groups with fewer scored posts are flagged ``small_sample``.

    Returns:
        DataFrame ``*by, [period],`` then :data:`SENTIMENT_COLUMNS`: ``posts`` (all posts),
        ``n`` (scored posts), ``score`` (mean in [-1, 1], t interval), ``negative_share`` and
        ``positive_share`` (percent of scored posts, Wilson), ``net_sentiment`` (positive
        minus negative share in points, trinomial interval).

    Example:
        >>> t = ibis.memtable({"brand": ["a"] * 4, "sentiment_label": ["positive",
        ...     "negative", "neutral", "positive"], "sentiment_score": [0.8, -0.6, 0.0, 0.6]})
        >>> sentiment_by_brand(t)[["brand", "n", "net_sentiment"]].values.tolist()
        [['a', 4, 25.0]]
    """
    every = check_every(every)
    check_confidence(confidence)
    check_min_n(min_n)
    cols = _columns(by, posts, "by")
    if not cols:
        raise ArgumentError("by must name at least one column (e.g. 'brand')")
    require_columns(posts, "posts", "sentiment_label", "sentiment_score")
    rows, period = _keys(posts, every)
    score = rows["sentiment_score"].cast("float64")
    ok = is_present(score)
    label = rows["sentiment_label"]
    one = ibis.literal(1)
    agg = rows.group_by([*cols, *period]).aggregate(
        posts=rows.count(),
        n=ok.ifelse(one, 0).sum(),
        negatives=(ok & (label == "negative")).ifelse(one, 0).sum(),
        positives=(ok & (label == "positive")).ifelse(one, 0).sum(),
        score=ok.ifelse(score, ibis.null().cast("float64")).mean(),
        _sd=ok.ifelse(score, ibis.null().cast("float64")).std(),
    )
    df = run(agg, "sentiment per brand")
    if df.empty:
        raise NotEnoughDataError("sentiment per brand needs posts; posts has none")
    for col in ("posts", "n", "negatives", "positives"):
        df[col] = df[col].fillna(0).astype("int64")
    if period:
        df["period"] = pd.to_datetime(df["period"]).astype("datetime64[us]")
    n = df["n"].to_numpy(float)
    df["score"] = df["score"].astype("float64")
    df["score_ci_low"], df["score_ci_high"] = t_interval(
        df["score"], df["_sd"].astype("float64"), n, confidence
    )
    for kind in ("negative", "positive"):
        x = df[f"{kind}s"].to_numpy(float)
        with np.errstate(invalid="ignore", divide="ignore"):
            df[f"{kind}_share"] = np.where(n > 0, 100.0 * x / n, np.nan)
        low, high = wilson_interval(x, n, confidence)
        df[f"{kind}_ci_low"], df[f"{kind}_ci_high"] = 100.0 * low, 100.0 * high
    net, _ = nps_estimate(df["positives"], df["negatives"], n)
    df["net_sentiment"] = net
    # positives minus negatives is a trinomial score like NPS: the same adjusted-Wald
    # interval (Rocks 2016), which keeps its width when every post reads one way
    df["net_ci_low"], df["net_ci_high"] = nps_adjusted_wald_interval(
        df["positives"], df["negatives"], n, confidence
    )
    df["small_sample"] = df["n"] < min_n
    keys = [*cols, *period]
    out = df.sort_values(keys, kind="mergesort", na_position="last")
    return out[[*keys, *SENTIMENT_COLUMNS]].reset_index(drop=True)
