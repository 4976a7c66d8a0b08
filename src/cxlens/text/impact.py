"""Theme impact on a score, and themes as drivers of it.

**Impact.** With N respondents of overall score S, and n_t of them mentioning theme t with
score S_t, removing those n_t would move the score to S_without = (N S - n_t S_t)/(N - n_t).
The theme's impact is

    impact_t = n_t (S_t - S) / (N - n_t) = S - S_without,

the points of the score the theme accounts for: negative for a theme that pulls the score
down (remove its comments and the score rises by |impact|). Scores: ``nps`` (percent
promoters 9-10 minus percent detractors 0-6), ``csat`` (percent 4-5 on 1-5), ``ces``
(mean) and ``sentiment`` (mean comment score, rounded to 0.01 for the patterns). The
intervals are percentile bootstraps over respondents: the engine counts respondents per
(score value, member or not) cell, and a resample is one multinomial draw of N over those
cells (the pattern trick of :mod:`cxlens.analysis._bootstrap`), so no row is revisited.

**Drivers.** :func:`theme_drivers` puts one 0/1 column per theme next to the score of every
respondent with an analysed comment (the engine collapses them to patterns with a count)
and runs the relative-weights driver analysis of :mod:`cxlens.analysis.drivers` on them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import ibis
import numpy as np
import pandas as pd

from cxlens.analysis.drivers import relative_weights
from cxlens.errors import ArgumentError, NotEnoughDataError
from cxlens.metrics.customer_columns import with_customer_columns
from cxlens.metrics.definitions import is_satisfied, nps_points
from cxlens.store.catalog import Catalog
from cxlens.store.query import is_present, run
from cxlens.text.themes import ANALYSED, ASSIGNMENTS_TABLE, SENTIMENT_TABLE, THEMES_TABLE

FloatArray = np.ndarray
#: Score of a value distribution: (values k, weights b x k) -> b scores.
ScoreFn = Callable[[FloatArray, FloatArray], FloatArray]


def _share(mask: Callable[[FloatArray], FloatArray]) -> ScoreFn:
    def score(values: FloatArray, weights: FloatArray) -> FloatArray:
        total = weights.sum(axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            return 100.0 * (weights @ mask(values)) / total

    return score


def _mean(values: FloatArray, weights: FloatArray) -> FloatArray:
    with np.errstate(invalid="ignore", divide="ignore"):
        return (weights @ values) / weights.sum(axis=1)


#: Metric -> score function of a value distribution.
SCORES: dict[str, ScoreFn] = {
    "nps": _share(nps_points),
    "csat": _share(lambda v: is_satisfied(v).astype(float)),
    "ces": _mean,
    "sentiment": _mean,
}
IMPACT_COLUMNS: tuple[str, ...] = (
    "theme", "n", "share", "score_theme", "score", "score_without", "impact", "ci_low",
    "ci_high", "metric", "respondents", "confidence", "bootstrap",
)  # fmt: skip


def score_of(metric: str, values: Sequence[float], counts: Sequence[float]) -> float:
    """Return the score of ``metric`` for a distribution of values with counts.

    Example:
        >>> score_of("nps", [10, 8, 3], [5, 3, 2])  # 50% promoters - 20% detractors
        30.0
    """
    _check_metric(metric)
    w = np.asarray(counts, dtype=float)[None, :]
    return float(SCORES[metric](np.asarray(values, dtype=float), w)[0])


def _check_metric(metric: str) -> None:
    if metric not in SCORES:
        raise ArgumentError(f"unknown metric {metric!r}; use one of: {', '.join(SCORES)}")


def impact_from_counts(
    members: pd.DataFrame,
    overall: pd.DataFrame,
    metric: str = "nps",
    *,
    bootstrap: int = 1000,
    confidence: float = 0.95,
    seed: int = 0,
) -> pd.DataFrame:
    """Impact of each theme on the score, from counts of respondents per score value.

    Args:
        members: ``theme, value, count``: respondents mentioning each theme per score value.
        overall: ``value, count``: all respondents per score value.
        metric: nps, csat, ces or sentiment.
        bootstrap: resamples for the intervals (0: none).
        confidence: two-sided level of the percentile intervals.
        seed: seed of the bootstrap.

    Returns:
        One row per theme, most negative impact first: ``theme, n, share`` (of respondents),
        ``score_theme, score, score_without, impact, ci_low, ci_high``, then the same on
        every row: ``metric``, ``respondents`` (N, all respondents with a score),
        ``confidence`` and ``bootstrap`` (resamples; 0: no intervals).

    Example:
        >>> m = pd.DataFrame({"theme": ["bill"], "value": [0], "count": [2]})
        >>> o = pd.DataFrame({"value": [0, 10], "count": [2, 8]})
        >>> out = impact_from_counts(m, o, bootstrap=0)
        >>> out[["score", "score_without", "impact"]].values.tolist()
        [[60.0, 100.0, -40.0]]
    """
    _check_metric(metric)
    if not 0 < confidence < 1 or bootstrap < 0:
        raise ArgumentError("confidence must be in (0, 1) and bootstrap at least 0")
    values = np.sort(overall["value"].astype(float).unique())
    total = overall.groupby("value")["count"].sum().reindex(values, fill_value=0).to_numpy(float)
    n_all = total.sum()
    if n_all == 0:
        raise NotEnoughDataError(f"no respondents with a {metric} score")
    fn = SCORES[metric]
    rng = np.random.default_rng(seed)
    rows = []
    for theme, part in members.groupby("theme", sort=True):
        m = part.groupby("value")["count"].sum().reindex(values, fill_value=0).to_numpy(float)
        n_t = m.sum()
        rest = total - m
        if n_t == 0 or (rest < 0).any():
            continue
        s_t, s = fn(values, m[None])[0], fn(values, total[None])[0]
        without = fn(values, rest[None])[0] if n_all > n_t else np.nan
        impact = n_t * (s_t - s) / (n_all - n_t) if n_all > n_t else np.nan
        low = high = np.nan
        if bootstrap:
            cells = np.concatenate([m, rest]) / n_all
            draws = rng.multinomial(int(n_all), cells, size=bootstrap).astype(float)
            dm, dr = draws[:, : len(values)], draws[:, len(values) :]
            nt = dm.sum(axis=1)
            with np.errstate(invalid="ignore", divide="ignore"):
                rep = nt * (fn(values, dm) - fn(values, dm + dr)) / (n_all - nt)
            rep = rep[np.isfinite(rep)]
            if len(rep):
                tail = 100 * (1 - confidence) / 2
                low, high = np.percentile(rep, [tail, 100 - tail])
        rows.append([theme, int(n_t), n_t / n_all, s_t, s, without, impact, low, high])
    out = pd.DataFrame(rows, columns=list(IMPACT_COLUMNS[:9]))
    out = out.sort_values(["impact", "theme"], ignore_index=True)
    return out.assign(metric=metric, respondents=int(n_all), confidence=float(confidence),
                      bootstrap=int(bootstrap))  # fmt: skip


def _scores(ws: Catalog, metric: str, id_column: str, where: dict[str, Any] | None) -> ibis.Table:
    """Respondents' ``id, value`` of the metric (engine), filtered by ``where``."""
    if metric == "sentiment":
        t = ws.table(SENTIMENT_TABLE)
        t = t.filter(t.status.isin(ANALYSED))
        value = t.score.round(2)
    else:
        t = ws.table("responses")
        if metric not in t.columns:
            raise ArgumentError(f"responses has no '{metric}' column to score themes against")
        value = t[metric]
    t = t.filter(is_present(t[metric] if metric != "sentiment" else t.score))
    if where:
        base = ws.table("responses")
        missing = [c for c in where if c not in base.columns]
        if missing:
            base = with_customer_columns(ws, base, "responses", missing)
        keep = base
        for col, val in where.items():
            if col not in keep.columns:
                raise ArgumentError(f"cannot filter on unknown column {col!r}")
            keep = keep.filter(keep[col].isin(val if isinstance(val, list | tuple) else [val]))
        t = t.semi_join(keep.select(id_column), id_column)
        value = t["score"].round(2) if metric == "sentiment" else t[metric]
    return t.select(t[id_column], value=value.cast("float64"))


def _memberships(ws: Catalog, id_column: str, level: str) -> ibis.Table:
    if not ws.has_table(ASSIGNMENTS_TABLE):
        raise NotEnoughDataError(
            "no theme assignments yet; run ws.text.themes() first (it saves comment_themes)"
        )
    ct = ws.table(ASSIGNMENTS_TABLE)
    ct = ct.filter(ct.theme.notnull())
    if level == "theme":
        return ct.select(id_column, "theme").distinct()
    if level == "aspect":
        th = ws.table(THEMES_TABLE).select("theme", "aspect")
        joined = ct.inner_join(th, "theme")
        return joined.select(joined[id_column], theme=joined.aspect).distinct()
    raise ArgumentError(f"level must be 'theme' or 'aspect', not {level!r}")


def theme_impact(
    ws: Catalog,
    metric: str = "nps",
    *,
    level: str = "theme",
    where: dict[str, Any] | None = None,
    id_column: str = "response_id",
    bootstrap: int = 1000,
    confidence: float = 0.95,
    seed: int = 0,
) -> pd.DataFrame:
    """Impact of each theme on a Workspace's score (see the module for the formula).

    Args:
        ws: a Workspace with ``comment_themes`` (from ``ws.text.themes()``).
        metric: nps, csat, ces (columns of responses) or sentiment (comment_sentiment).
        level: ``theme`` or ``aspect`` (themes of every language with the same aspect).
        where: only respondents with these values, e.g. ``{"segment": "small_business"}``
            (columns of responses or customers; a list means any of).
        id_column: the respondent key.
        bootstrap: resamples of respondents for the intervals (0: none).
        confidence: two-sided level of the percentile intervals.
        seed: seed of the bootstrap.

    Returns:
        The table of :func:`impact_from_counts`, with ``label`` and ``aspect`` of each theme
        when ``level="theme"``; most negative impact first.

    Example:
        >>> ws.text.theme_impact("nps").head(3)  # doctest: +SKIP
    """
    _check_metric(metric)
    scores = _scores(ws, metric, id_column, where)
    members = _memberships(ws, id_column, level)
    joined = members.inner_join(scores, id_column)
    counts = run(
        joined.group_by(["theme", "value"]).agg(count=joined[id_column].count()),
        "theme impact counts",
    )
    overall = run(
        scores.group_by("value").agg(count=scores[id_column].count()), "score distribution"
    )
    out = impact_from_counts(
        counts, overall, metric, bootstrap=bootstrap, confidence=confidence, seed=seed
    )
    if level == "theme" and ws.has_table(THEMES_TABLE):
        labels = run(ws.table(THEMES_TABLE).select("theme", "label", "aspect"), "theme labels")
        out = out.merge(labels, on="theme", how="left")
        out = out[["theme", "label", "aspect", *IMPACT_COLUMNS[1:]]]
    return out


@dataclass(frozen=True, eq=False)
class ThemeDrivers:
    """Themes as drivers of a score, and the themes that could not be: :func:`theme_drivers`.

    Attributes:
        table: the relative-weights table of :func:`cxlens.analysis.drivers.relative_weights`
            with ``driver`` the theme or aspect (``sign`` +1 when mentioning it goes with a
            higher score), the fit's ``n`` (respondents) and ``r_squared`` on every row.
        level: ``"theme"`` or ``"aspect"``.
        dropped: ``{theme: why}`` for each theme left out (constant, or determined by the
            themes kept before it).
        notes: one sentence per theme left out, e.g. ``"general left out: constant: ..."``.
    """

    table: pd.DataFrame
    level: str
    dropped: dict[str, str]
    notes: tuple[str, ...]


def theme_drivers(
    ws: Catalog,
    target: str = "nps",
    *,
    level: str = "aspect",
    min_share: float = 0.01,
    id_column: str = "response_id",
    bootstrap: int = 1000,
    confidence: float = 0.95,
    seed: int = 0,
    min_n: int = 200,
) -> ThemeDrivers:
    """Themes as drivers of a score: relative weights of theme-mention 0/1 columns.

    Respondents with an analysed comment (assigned to a theme or an outlier) get one 0/1
    column per theme (or aspect) holding at least ``min_share`` of them; the engine groups
    them by (target, columns) and counts; :func:`cxlens.analysis.drivers.relative_weights`
    decomposes the R² of the target over the columns.

    Two kinds of column cannot be drivers and are dropped first (see :func:`usable_columns`):
    a column that is constant over the respondents with a score (e.g. the ``general``
    aspect, which every analysed comment mentions), and a column that is a linear
    combination of the intercept and the columns kept before it, larger themes first (e.g.
    per-language themes that together cover every comment once, or two themes mentioned by
    the same respondents).

    Returns:
        A :class:`ThemeDrivers`: ``table`` (the relative-weights table, ``driver`` the
        theme or aspect, with the fit's ``n`` and ``r_squared`` columns), ``level``,
        ``dropped`` (``{theme: why}``) and ``notes`` (one sentence per theme left out).

    Raises:
        NotEnoughDataError: fewer than two usable themes, or too few respondents.

    Example:
        >>> ws.text.theme_drivers("nps").table.head(3)  # doctest: +SKIP
    """
    members = _memberships(ws, id_column, level)
    ct = ws.table(ASSIGNMENTS_TABLE)
    analysed = ct.filter(ct.status.isin([*ANALYSED, "no_theme"])).select(id_column).distinct()
    n_analysed = int(run(analysed.count(), "analysed comments"))
    sizes = run(members.group_by("theme").agg(n=members[id_column].count()), "theme sizes")
    sizes = sizes[sizes["n"] >= min_share * max(n_analysed, 1)]
    # larger themes first: they are kept when a smaller one repeats what they say
    sizes = sizes.sort_values(["n", "theme"], ascending=[False, True])
    names = sizes["theme"].tolist()
    _need_two(names, min_share, {})
    responses = ws.table("responses")
    responses = responses.filter(is_present(responses[target]))
    base = analysed.inner_join(responses.select(id_column, target), id_column)
    flags = members.filter(members.theme.isin(names))
    dummies = {f"theme_{i}": (flags.theme == name).cast("int64") for i, name in enumerate(names)}
    flagged = flags.mutate(**dummies)
    wide = flagged.group_by(id_column).agg(**{k: flagged[k].max() for k in dummies})
    table = base.left_join(wide, id_column).select(
        target, **{k: ibis.coalesce(wide[k], 0) for k in dummies}
    )
    patterns = run(
        table.group_by([target, *dummies]).agg(n=table[target].count()), "theme patterns"
    )
    label = dict(zip(dummies, names, strict=True))
    kept, why = usable_columns(patterns, list(dummies), weights="n", labels=label)
    dropped = {label[k]: reason for k, reason in why.items()}
    _need_two([label[k] for k in kept], min_share, dropped)
    out = relative_weights(
        patterns, target, kept, bootstrap=bootstrap, confidence=confidence,
        seed=seed, weights="n", min_n=min_n,
    )  # fmt: skip
    out["driver"] = out["driver"].map(label)
    notes = tuple(f"{name} left out: {reason}" for name, reason in dropped.items())
    return ThemeDrivers(table=out, level=level, dropped=dropped, notes=notes)


def _need_two(names: list[str], min_share: float, dropped: dict[str, str]) -> None:
    if len(names) >= 2:
        return
    left_out = "; ".join(f"{k} ({v})" for k, v in dropped.items())
    raise NotEnoughDataError(
        f"theme drivers need at least two usable themes with {min_share:.0%} of the comments; "
        f"found {len(names)}"
        + (f" after leaving out {left_out}" if left_out else "")
        + "; lower min_share or try the other level ('theme' or 'aspect')"
    )


#: Smallest eigenvalue of the kept columns' correlation matrix (10x the drivers' check).
USABLE_EIGENVALUE = 1e-5


def usable_columns(
    patterns: pd.DataFrame,
    columns: list[str],
    *,
    weights: str = "n",
    labels: dict[str, str] | None = None,
) -> tuple[list[str], dict[str, str]]:
    """Return the columns that can be drivers together, and why each other one cannot.

    Over the rows with a positive count, a constant column is left out; then, in the given
    order, a column is kept only while the weighted correlation matrix of the kept columns
    stays well away from singular (smallest eigenvalue at least :data:`USABLE_EIGENVALUE`):
    a column that (with the intercept) is a linear combination of the kept ones says nothing
    they do not. ``labels`` names the columns in the reasons (default: the column names).

    Returns:
        ``(kept, dropped)``: kept column names in the given order; ``{column: reason}``.

    Example:
        >>> df = pd.DataFrame({"a": [1, 0, 1, 0], "b": [0, 1, 0, 1], "c": [1, 1, 1, 1],
        ...                    "d": [1, 1, 0, 0], "n": [3, 2, 4, 1]})
        >>> kept, dropped = usable_columns(df, ["a", "b", "c", "d"])
        >>> kept, sorted(dropped)
        (['a', 'd'], ['b', 'c'])
    """
    name = labels or {}
    w = patterns[weights].to_numpy(float)
    x = patterns[columns].to_numpy(float)[w > 0]
    w = w[w > 0]
    dropped: dict[str, str] = {}
    varying = []
    for j, col in enumerate(columns):
        seen = np.unique(x[:, j])
        if len(seen) < 2:
            value = f"{seen[0]:g}" if len(seen) else "?"
            share = "every" if value == "1" else "no" if value == "0" else f"{value} for every"
            dropped[col] = f"constant: {share} respondent with a score mentions it"
            continue
        varying.append(j)
    mean = (w @ x) / w.sum()
    centred = x - mean
    cov = (centred * w[:, None]).T @ centred / w.sum()
    kept: list[int] = []
    for j in varying:
        trial = [*kept, j]
        sd = np.sqrt(np.diag(cov)[trial])
        corr = cov[np.ix_(trial, trial)] / np.outer(sd, sd)
        if np.linalg.eigvalsh(corr)[0] >= USABLE_EIGENVALUE:
            kept.append(j)
            continue
        partner = max(kept, key=lambda k: abs(corr[-1, trial.index(k)]))
        dropped[columns[j]] = (
            "collinear with the themes kept before it (with the intercept it is a linear "
            f"combination of them; most correlated with "
            f"{name.get(columns[partner], columns[partner])}, "
            f"r = {corr[-1, trial.index(partner)]:.3f})"
        )
    return [columns[j] for j in kept], dropped
