"""Engagement of social posts: the rate by platform, brand or period, and the top posts.

The rate is the one :mod:`cxlens.metrics.engagement` defines (``100 * sum(likes + shares +
comments) / sum(reach)`` over posts with ``reach > 0``, ratio-estimator interval), so
``ws.social.engagement(by="platform")`` and ``ws.metrics.engagement(by=["platform"])`` agree
to the last digit. Per post there is one number and no sampling, so :func:`top_posts` gives
the rate without an interval.
"""

from __future__ import annotations

from collections.abc import Sequence

import ibis
import ibis.expr.types as ir
import pandas as pd

from cxlens.errors import ArgumentError, SchemaError
from cxlens.metrics.engagement import INTERACTIONS, plan_engagement
from cxlens.store.query import is_present, require_columns, run, zero_if_missing

#: Columns of :func:`top_posts` after the post's own columns.
TOP_POST_COLUMNS: tuple[str, ...] = ("engagements", "reach", "engagement_rate")

#: Orderings :func:`top_posts` accepts.
TOP_SORTS: tuple[str, ...] = ("engagements", "engagement_rate", "reach")

_POST_COLUMNS: tuple[str, ...] = (
    "post_id",
    "platform",
    "brand",
    "brand_role",
    "author",
    "posted_at",
    "influencer",
    "campaign_id",
    "text",
)


def post_engagements(posts: ir.Table) -> ir.FloatingValue:
    """Return the per-post engagement expression: likes + shares + comments (null counts 0).

    Raises SchemaError when ``posts`` has none of the interaction columns.

    Example:
        >>> t = ibis.memtable({"likes": [3, None], "shares": [1, 2], "comments": [0, 1]})
        >>> t.select(e=post_engagements(t)).execute()["e"].tolist()
        [4.0, 3.0]
    """
    present = [c for c in INTERACTIONS if c in posts.columns]
    if not present:
        raise SchemaError(
            "posts has none of the interaction columns likes, shares, comments; available "
            f"columns: {', '.join(posts.columns)}"
        )
    total: ir.FloatingValue = ibis.literal(0.0)
    for col in present:
        if not posts[col].type().is_numeric():
            raise SchemaError(f"posts.{col} must be numeric; found type {posts[col].type()}")
        total = total + zero_if_missing(posts[col])
    return total


def engagement(
    posts: ir.Table,
    *,
    by: Sequence[str] | str | None = ("platform",),
    every: str | None = None,
    confidence: float = 0.95,
    min_n: int = 30,
) -> pd.DataFrame:
    """Engagement rate (percent of reach) by platform, brand or any post column, and period.

    Exactly :func:`cxlens.metrics.engagement.engagement`: only posts with ``reach > 0``
    count; the interval is the ratio estimator's delta-method interval; ``change`` is tested
    against the same group's previous period.

    Args:
        posts: the ``posts`` table (Ibis).
        by: grouping columns of ``posts`` (default ``platform``; e.g. ``["brand",
            "platform"]``; None for one overall rate).
        every: time grain of ``posted_at``: day, week, month, quarter or year.
        confidence: two-sided level of the intervals.
        min_n: groups with fewer posts are flagged ``small_sample``.

    Returns:
        DataFrame ``*by, [period], n, value, ci_low, ci_high, change, p_value, significant,
        small_sample, interactions, reach``; ``n`` counts posts with reach.

    Example:
        >>> t = ibis.memtable({"platform": ["x", "x", "tiktok"], "likes": [5, 1, 9],
        ...                    "reach": [100, 100, 100]})
        >>> engagement(t)[["platform", "value"]].to_dict("records")
        [{'platform': 'tiktok', 'value': 9.0}, {'platform': 'x', 'value': 3.0}]
    """
    cols = [by] if isinstance(by, str) else list(by or [])
    if "post_id" in cols:
        raise ArgumentError(
            "by='post_id' gives one rate per post without an interval; use "
            "ws.social.top_posts() for post-level engagement"
        )
    return plan_engagement(posts, by=cols, every=every, confidence=confidence, min_n=min_n).run()


def top_posts(
    posts: ir.Table,
    *,
    top: int = 20,
    sort: str = "engagements",
    min_reach: int = 1,
    brand_role: str | None = None,
) -> pd.DataFrame:
    """Return the ``top`` posts by engagements, engagement rate or reach (ranked in the engine).

    Args:
        posts: the ``posts`` table.
        top: number of posts returned.
        sort: ``engagements`` (likes + shares + comments), ``engagement_rate`` or ``reach``.
        min_reach: posts with a smaller (or missing) reach are left out, so that a post seen
            by 3 people and liked by 2 does not top the rate ranking.
        brand_role: keep only ``own`` or ``competitor`` posts (None: all).

    Returns:
        DataFrame with the post's columns among post_id, platform, brand, brand_role, author,
        posted_at, influencer, campaign_id, text, then ``engagements``, ``reach`` and
        ``engagement_rate`` (percent of reach), best first.

    Example:
        >>> t = ibis.memtable({"post_id": ["a", "b"], "likes": [5, 40], "reach": [10, 1000]})
        >>> top_posts(t, top=1, sort="engagement_rate")[["post_id", "engagement_rate"]].values
        array([['a', 50.0]], dtype=object)
    """
    if isinstance(top, bool) or not isinstance(top, int) or top < 1:
        raise ArgumentError(f"top must be a positive integer; got {top!r}")
    if sort not in TOP_SORTS:
        raise ArgumentError(f"unknown sort={sort!r}; use one of: {', '.join(TOP_SORTS)}")
    if isinstance(min_reach, bool) or not isinstance(min_reach, int) or min_reach < 0:
        raise ArgumentError(f"min_reach must be a non-negative integer; got {min_reach!r}")
    require_columns(posts, "posts", "post_id", "reach")
    rows = posts.filter(is_present(posts["reach"]) & (posts["reach"] >= max(min_reach, 1)))
    if brand_role is not None:
        require_columns(posts, "posts", "brand_role")
        rows = rows.filter(rows["brand_role"] == brand_role)
    keep = [c for c in _POST_COLUMNS if c in posts.columns]
    e = post_engagements(rows)
    r = rows["reach"].cast("float64")
    ranked = rows.select(*keep, engagements=e, reach=r, engagement_rate=100.0 * e / r)
    ranked = ranked.order_by([ibis.desc(sort), "post_id"]).limit(top)
    out = run(ranked, "top posts")
    return out[[*keep, *TOP_POST_COLUMNS]].reset_index(drop=True)
