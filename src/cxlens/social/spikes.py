"""Alerts on negative spikes: periods where a brand's share of negative posts jumps.

For each brand (own brands by default) and period, the share of scored posts that are
negative is compared with the pooled share of the ``baseline`` periods before it. The
baseline trails, so a lasting change alerts from its first period until the baseline has
absorbed it. The test is Fisher's exact test, one-sided (is the period's share higher?),
which stays exact for the small monthly counts of a single brand; the p-values of every
period and series tested in one call are adjusted with Benjamini-Hochberg, and a period
alerts when its q-value is below ``fdr``.

``topics`` adds one series per topic: negative posts whose text contains any of the topic's
terms (case-insensitive), e.g. ``{"billing": ["billing", "invoice", "счет", "计费"]}``. A
problem that changes what customers complain about without making them complain more (the
sample's billing change turns other complaints into billing complaints) shows there, not in
the overall negative share. Counting runs in the engine; the tests run on the small
brand x period table.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import ibis
import ibis.expr.types as ir
import numpy as np
import pandas as pd
from scipy import stats as st
from statsmodels.stats.multitest import multipletests

from cxlens.errors import ArgumentError, NotEnoughDataError
from cxlens.metrics.periods import check_every, period_step, truncate
from cxlens.metrics.stats import check_confidence, check_min_n, wilson_interval
from cxlens.store.query import require_columns, require_temporal, run

#: Name of the series of all negative posts (topic series carry the topic's name).
ALL_NEGATIVE = "all negative"

#: Columns of :func:`negative_spikes`.
SPIKE_COLUMNS: tuple[str, ...] = (
    "brand",
    "topic",
    "period",
    "n",
    "negatives",
    "share",
    "ci_low",
    "ci_high",
    "baseline_periods",
    "baseline_n",
    "baseline_negatives",
    "baseline_share",
    "ratio",
    "p_value",
    "q_value",
    "alert",
    "small_sample",
)


def _check_topics(topics: Mapping[str, Sequence[str]] | None) -> dict[str, list[str]]:
    if topics is None:
        return {}
    if not isinstance(topics, Mapping):
        raise ArgumentError(
            "topics must map a topic name to its terms, e.g. {'billing': ['invoice', 'billing']}"
        )
    out: dict[str, list[str]] = {}
    for name, terms in topics.items():
        if not isinstance(name, str) or not name or name == ALL_NEGATIVE:
            raise ArgumentError(f"topic names must be non-empty text other than {ALL_NEGATIVE!r}")
        words = [terms] if isinstance(terms, str) else list(terms)
        if not words or not all(isinstance(w, str) and w.strip() for w in words):
            raise ArgumentError(f"topic {name!r} needs at least one non-empty term")
        out[name] = [w.strip().lower() for w in words]
    return out


def _check_positive(value: int, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 1:
        raise ArgumentError(f"{name} must be a positive integer; got {value!r}")
    return int(value)


def _brand_filter(posts: ir.Table, brands: Sequence[str] | str | None) -> ir.Table:
    if brands is not None:
        names = [brands] if isinstance(brands, str) else list(brands)
        if not names:
            raise ArgumentError("brands is empty; name at least one brand or pass None")
        return posts.filter(posts["brand"].isin(names))
    if "brand_role" in posts.columns:
        return posts.filter(posts["brand_role"] == "own")
    return posts.filter(posts["brand"].notnull())


def negative_spikes(
    posts: ir.Table,
    *,
    every: str = "month",
    baseline: int = 6,
    min_baseline: int = 3,
    topics: Mapping[str, Sequence[str]] | None = None,
    brands: Sequence[str] | str | None = None,
    fdr: float = 0.05,
    confidence: float = 0.95,
    min_n: int = 30,
) -> pd.DataFrame:
    """Test every period's negative share against its trailing baseline; flag the spikes.

    Args:
        posts: posts with ``sentiment_label`` joined on
            (:func:`cxlens.social.post_sentiment.with_sentiment`); posts without a label
            (text not scored) are left out.
        every: period grain: day, week, month, quarter or year.
        baseline: number of periods before each period pooled into its baseline.
        min_baseline: periods with fewer baseline periods holding posts are not tested.
        topics: optional ``{name: [terms]}``; each adds a series of negative posts whose
            text contains one of the terms (case-insensitive).
        brands: brands to watch (default: ``brand_role == "own"``, or every brand when
            posts has no ``brand_role``).
        fdr: false discovery rate of the Benjamini-Hochberg correction.
        confidence: level of the Wilson interval of each period's share.
        min_n: periods with fewer scored posts are flagged ``small_sample`` (still tested).

    Returns:
        DataFrame :data:`SPIKE_COLUMNS`, one row per brand, series and period with posts:
        ``share``/``baseline_share`` in percent, ``ratio`` = share / baseline share,
        ``p_value`` (one-sided Fisher exact; NaN when not tested), ``q_value`` (BH) and
        ``alert`` (q < fdr), sorted by brand, topic, period.

    Example:
        >>> t = ibis.memtable({"brand": ["a"] * 8, "sentiment_label": ["negative", "neutral"] * 4,
        ...     "posted_at": pd.to_datetime(["2024-01-05", "2024-01-09", "2024-02-05",
        ...         "2024-02-09", "2024-03-05", "2024-03-09", "2024-04-05", "2024-04-09"])})
        >>> negative_spikes(t, baseline=2, min_baseline=1)["alert"].any()
        np.False_
    """
    every = check_every(every, required=True)
    baseline = _check_positive(baseline, "baseline")
    min_baseline = _check_positive(min_baseline, "min_baseline")
    if min_baseline > baseline:
        raise ArgumentError(
            f"min_baseline ({min_baseline}) cannot exceed baseline ({baseline}) periods"
        )
    if not 0.0 < float(fdr) < 1.0:
        raise ArgumentError(f"fdr must lie strictly between 0 and 1 (e.g. 0.05); got {fdr!r}")
    check_confidence(confidence)
    check_min_n(min_n)
    terms = _check_topics(topics)
    require_columns(posts, "posts", "brand", "sentiment_label")
    require_temporal(posts, "posts", "posted_at")
    if terms:
        require_columns(posts, "posts", "text")

    rows = _brand_filter(posts, brands)
    rows = rows.filter(rows["sentiment_label"].notnull() & rows["posted_at"].notnull())
    rows = rows.mutate(period=truncate(rows["posted_at"], every))
    negative = rows["sentiment_label"] == "negative"
    one = ibis.literal(1)
    counts: dict[str, ir.Scalar] = {"n": rows.count(), "_x0": negative.ifelse(one, 0).sum()}
    text = rows["text"].lower() if terms else None
    for i, words in enumerate(terms.values(), start=1):
        hit = ibis.literal(False)
        for word in words:
            hit = hit | text.contains(word).fill_null(False)
        counts[f"_x{i}"] = (negative & hit).ifelse(one, 0).sum()
    agg = rows.group_by(["brand", "period"]).aggregate(**counts)
    df = run(agg, "negative share by brand and period")
    if df.empty:
        raise NotEnoughDataError(
            "no scored posts of the brands watched: score posts first (ws.social.sentiment() "
            "does it) and check the brands (own brands need brand_role = 'own')"
        )
    df["period"] = pd.to_datetime(df["period"]).astype("datetime64[us]")
    grid = _full_grid(df, every)
    names = [ALL_NEGATIVE, *terms]
    frames = [_series(grid, f"_x{i}", name, baseline, min_baseline) for i, name in
              enumerate(names)]  # fmt: skip
    out = pd.concat(frames, ignore_index=True)
    out = out[out["n"] > 0].reset_index(drop=True)
    out["q_value"] = _bh(out["p_value"].to_numpy(float))
    out["alert"] = (out["q_value"] < fdr) & (out["share"] > out["baseline_share"])
    low, high = wilson_interval(out["negatives"].to_numpy(float), out["n"].to_numpy(float),
                                confidence)  # fmt: skip
    out["ci_low"], out["ci_high"] = 100.0 * low, 100.0 * high
    out["small_sample"] = out["n"] < min_n
    out = out.sort_values(["brand", "topic", "period"], kind="mergesort")
    return out[list(SPIKE_COLUMNS)].reset_index(drop=True)


def _bh(p: np.ndarray) -> np.ndarray:
    """Benjamini-Hochberg q-values of the finite p-values; NaN stays NaN (not counted)."""
    q = np.full(p.shape, np.nan)
    ok = np.isfinite(p)
    if ok.any():
        q[ok] = multipletests(p[ok], method="fdr_bh")[1]
    return q


def _full_grid(df: pd.DataFrame, every: str) -> pd.DataFrame:
    """Every brand x every period from the first to the last, empty periods as zeros."""
    step = period_step(every)
    periods = []
    at, last = df["period"].min(), df["period"].max()
    while at <= last:
        periods.append(at)
        at = at + step
    index = pd.MultiIndex.from_product(
        [sorted(df["brand"].astype(str).unique()), periods], names=["brand", "period"]
    )
    counts = [c for c in df.columns if c not in ("brand", "period")]
    full = df.assign(brand=df["brand"].astype(str)).set_index(["brand", "period"])[counts]
    full = full.reindex(index, fill_value=0).reset_index()
    for col in counts:
        full[col] = full[col].fillna(0).astype("int64")
    return full


def _series(
    grid: pd.DataFrame, column: str, topic: str, baseline: int, min_baseline: int
) -> pd.DataFrame:
    """One series (all negatives, or one topic) with its trailing baseline and test."""
    parts = []
    for brand, g in grid.groupby("brand", sort=True):
        g = g.sort_values("period").reset_index(drop=True)
        n = g["n"].to_numpy(float)
        x = g[column].to_numpy(float)
        has = (n > 0).astype(float)
        # trailing sums over the previous `baseline` periods (the period itself excluded)
        cn, cx, ch = (np.concatenate([[0.0], np.cumsum(v)]) for v in (n, x, has))
        idx = np.arange(len(g))
        lo = np.maximum(idx - baseline, 0)
        bn, bx, bp = cn[idx] - cn[lo], cx[idx] - cx[lo], ch[idx] - ch[lo]
        p = np.full(len(g), np.nan)
        testable = (n > 0) & (bn > 0) & (bp >= min_baseline)
        for i in np.flatnonzero(testable):
            table = [[x[i], n[i] - x[i]], [bx[i], bn[i] - bx[i]]]
            p[i] = st.fisher_exact(table, alternative="greater").pvalue
        with np.errstate(invalid="ignore", divide="ignore"):
            share = np.where(n > 0, 100.0 * x / n, np.nan)
            base = np.where(bn > 0, 100.0 * bx / bn, np.nan)
            ratio = share / base
        parts.append(
            pd.DataFrame(
                {
                    "brand": brand,
                    "topic": topic,
                    "period": g["period"],
                    "n": g["n"].astype("int64"),
                    "negatives": g[column].astype("int64"),
                    "share": share,
                    "baseline_periods": bp.astype("int64"),
                    "baseline_n": bn.astype("int64"),
                    "baseline_negatives": bx.astype("int64"),
                    "baseline_share": base,
                    "ratio": ratio,
                    "p_value": p,
                }
            )
        )
    return pd.concat(parts, ignore_index=True)
