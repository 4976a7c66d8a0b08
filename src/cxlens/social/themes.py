"""Themes per brand: what people talk about for each brand, and what sets a brand apart.

The themes are discovered once over the text of all posts (every brand together, so a theme
means the same thing for each brand) with :func:`cxlens.text.themes.themes_for_workspace`,
reusing the ``post_sentiment`` scores. The assignments are saved as ``post_themes`` and the
themes as ``post_theme_labels``; the survey comments' ``comment_themes``/``themes`` are
never touched. Then one engine aggregate per brand and theme counts the posts, the mean
sentiment and negative share of their theme sentences, and one windowed query picks example
posts.

* Share: a brand's posts in the theme over the brand's analysed posts (posts with words in a
  language that has a theme model), with the Wilson (1927) interval. A post can belong to
  several themes, so a brand's shares can add up to more than 100%.
* Distinctive: the brand's share against the share among all other brands' analysed posts,
  a two-sided pooled two-proportion z-test, Benjamini-Hochberg corrected over every brand
  and theme shown; ``direction`` says whether the brand talks about it more or less.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import ibis
import ibis.expr.types as ir
import numpy as np
import pandas as pd

from cxlens.errors import ArgumentError, NotEnoughDataError
from cxlens.metrics.stats import (
    benjamini_hochberg,
    check_confidence,
    check_min_n,
    two_proportion_test,
    wilson_interval,
)
from cxlens.social.post_sentiment import POST_SENTIMENT_TABLE, score_posts
from cxlens.store.catalog import Catalog
from cxlens.store.query import require_columns, run
from cxlens.text.discover import Polarity, ThemeModel
from cxlens.text.polarity import label_polarity
from cxlens.text.redact import redact
from cxlens.text.sentiment import resolve_backend
from cxlens.text.themes import (
    ANALYSED,
    NEGATIVE,
    SentenceScorer,
    _fit_sample,
    themes_for_workspace,
)

#: Derived tables: post theme assignments, the themes found in posts, and the brand table.
POST_THEMES_TABLE = "post_themes"
POST_THEME_LABELS_TABLE = "post_theme_labels"
BRAND_THEMES_TABLE = "brand_themes"

#: Columns of :attr:`BrandThemes.table`, in order (shares in percent).
COLUMNS: tuple[str, ...] = (
    "brand", "theme", "label", "posts", "brand_posts", "share", "share_ci_low",
    "share_ci_high", "others_share", "lift", "p_value", "test", "q_value", "distinctive",
    "direction", "sentiment", "negative_share", "quotes", "small_sample",
)  # fmt: skip


@dataclass
class BrandThemes:
    """What :func:`brand_themes` found.

    Attributes:
        table: one row per brand and theme (columns :data:`COLUMNS`), brands by number of
            analysed posts, then themes by posts.
        themes: the themes over all posts (``theme, language, label, keywords, quotes,
            count, share, sentiment...``, as :func:`~cxlens.text.themes.themes_for_workspace`).
        assignments: Ibis table ``post_id, theme, weight, status, language, sentiment,
            sentiment_label, brand``: one row per post and theme, and one with a null theme
            for a post in none.
        outlier_share: share of analysed posts in no theme.
        model: the fitted :class:`~cxlens.text.discover.ThemeModel`.
    """

    table: pd.DataFrame
    themes: pd.DataFrame
    assignments: ir.Table = field(repr=False)
    outlier_share: float
    model: Any = field(repr=False)


def _check(quotes: int, fdr: float, confidence: float, min_n: int) -> None:
    if isinstance(quotes, bool) or not isinstance(quotes, int) or quotes < 0:
        raise ArgumentError(f"quotes must be an integer >= 0 (example posts); got {quotes!r}")
    if not 0.0 < fdr < 1.0:
        raise ArgumentError(f"fdr must be in (0, 1), e.g. 0.05; got {fdr!r}")
    check_confidence(confidence)
    check_min_n(min_n)


def _brand_list(brands: Sequence[str] | str | None, known: list[str]) -> list[str]:
    if brands is None:
        return known
    wanted = [brands] if isinstance(brands, str) else list(brands)
    unknown = [b for b in wanted if b not in known]
    if unknown:
        raise ArgumentError(
            f"brand(s) {', '.join(map(str, unknown))} have no analysed posts; "
            f"brands with posts: {', '.join(map(str, known))}"
        )
    return wanted


def _counts(assigned: ir.Table) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Engine aggregates: analysed posts per brand; posts and sentiment per brand and theme.

    A post's sentiment about a theme is its theme sentence's (``post_themes``' ``sentiment``
    and ``sentiment_label``, as :func:`cxlens.text.themes.theme_sentiment` reads them): a post
    praising a brand's app and complaining of its prices is negative only about prices.
    """
    analysed = assigned.filter(assigned.status.isin([*ANALYSED, "no_theme"]))
    per_brand = analysed.group_by("brand").agg(brand_posts=analysed.post_id.nunique())
    members = assigned.filter(assigned.theme.notnull())
    score = members.sentiment.cast("float64")
    negative = (score.notnull() & (members.sentiment_label == NEGATIVE)).ifelse(1, 0)
    per_theme = members.group_by(["brand", "theme"]).agg(
        posts=members.post_id.nunique(),
        sentiment=score.mean(),
        scored=score.count(),
        negatives=negative.sum(),
    )
    return run(per_brand, "posts per brand"), run(per_theme, "posts per brand and theme")


def _quotes(assigned: ir.Table, posts: ir.Table, k: int) -> pd.DataFrame:
    """Up to ``k`` distinct redacted posts per brand and theme: highest weight, shorter first."""
    if not k:
        return pd.DataFrame({"brand": [], "theme": [], "quotes": []})
    members = assigned.filter(assigned.theme.notnull()).select("post_id", "brand", "theme",
                                                              "weight")  # fmt: skip
    texts = posts.select(_pid=posts.post_id, text=posts.text)
    joined = members.inner_join(texts, members.post_id == texts._pid)
    joined = joined.mutate(length=joined.text.length())
    rank = ibis.row_number().over(
        group_by=[joined.brand, joined.theme],
        order_by=[joined.weight.desc(), joined.length, joined.post_id],
    )
    # a few spare candidates per group so that duplicates can be dropped after
    best = joined.mutate(rank=rank).filter(lambda t: t["rank"] < 3 * k)
    frame = run(best.select("brand", "theme", "text", "rank"), "example posts")
    frame = frame.sort_values(["brand", "theme", "rank"])
    frame = frame.drop_duplicates(["brand", "theme", "text"])
    frame = frame.groupby(["brand", "theme"], sort=False).head(k)
    frame = frame.assign(text=redact(frame["text"].tolist()))
    return frame.groupby(["brand", "theme"])["text"].agg(list).rename("quotes").reset_index()


def compare_brands(
    grid: pd.DataFrame,
    *,
    brands: Sequence[str] | None = None,
    confidence: float = 0.95,
    fdr: float = 0.05,
    min_n: int = 30,
) -> pd.DataFrame:
    """Add shares, Wilson intervals and the BH-corrected test against the other brands.

    Args:
        grid: one row per brand and theme with ``brand, theme, posts`` (posts of the brand
            in the theme) and ``brand_posts`` (the brand's analysed posts); every brand
            appears with every theme (0 posts where none). The comparison uses all brands
            of ``grid``.
        brands: brands whose rows are returned and form the corrected family (None: all).
        confidence: two-sided level of the share intervals.
        fdr: false discovery rate of the distinctive flags.
        min_n: brands (or all other brands together) with fewer analysed posts are flagged
            ``small_sample`` and not tested.

    Returns:
        ``grid`` plus ``share, share_ci_low, share_ci_high, others_share`` (percent),
        ``lift`` (share / others_share), ``p_value, q_value, distinctive, direction``
        (``over``/``under``), ``small_sample``.

    Example:
        >>> g = pd.DataFrame({"brand": ["a", "b"], "theme": ["t", "t"], "posts": [40, 10],
        ...                   "brand_posts": [100, 100]})
        >>> compare_brands(g)[["brand", "share", "others_share", "direction"]].values.tolist()
        [['a', 40.0, 10.0, 'over'], ['b', 10.0, 40.0, 'under']]
    """
    out = grid.copy()
    x = out["posts"].to_numpy(float)
    n = out["brand_posts"].to_numpy(float)
    theme_total = out.groupby("theme")["posts"].transform("sum").to_numpy(float)
    all_posts = float(out.drop_duplicates("brand")["brand_posts"].sum())
    x0, n0 = theme_total - x, all_posts - n
    with np.errstate(invalid="ignore", divide="ignore"):
        share = np.where(n > 0, x / n, np.nan)
        others = np.where(n0 > 0, x0 / n0, np.nan)
        out["lift"] = share / others
    low, high = wilson_interval(x, n, confidence)
    out["share"], out["share_ci_low"], out["share_ci_high"] = 100 * share, 100 * low, 100 * high
    out["others_share"] = 100 * others
    out["small_sample"] = (n < min_n) | (n0 < min_n)
    # Fisher's exact test where an expected count is below 5, else the pooled z-test
    tested, test = two_proportion_test(x, n, x0, n0)
    p = np.where(out["small_sample"], np.nan, tested)
    test = np.where(out["small_sample"], None, test)
    if brands is not None:
        shown = out["brand"].isin(list(brands)).to_numpy()
        out, p, test = out[shown].copy(), p[shown], test[shown]
    q = benjamini_hochberg(p)
    out["p_value"], out["test"], out["q_value"] = p, test, q
    out["distinctive"] = np.isfinite(q) & (q <= fdr)
    s, o = out["share"].to_numpy(float), out["others_share"].to_numpy(float)
    out["direction"] = np.where(s > o, "over", np.where(s < o, "under", ""))
    return out


def _fit_without_brands(
    posts: ir.Table, n_themes: int | None, sample: int, seed: int, polarity: Polarity
) -> ThemeModel:
    """Fit the theme model on a sample of posts with the brand names taken out.

    Otherwise every brand's own name becomes a theme of that brand ("using skyline"), which
    is trivially distinctive and says nothing about what people talk about. Every word of a
    name is taken out, so a generic word in a name ("Telecom") is no theme keyword either.
    """
    names = run(posts.select("brand").distinct(), "brand names")["brand"].dropna()
    texts, langs = _fit_sample(posts, "text", sample, seed)
    if not texts:
        raise NotEnoughDataError("table 'posts' has no posts with words in 'text'")
    # each word of a name, whole: a word left in the vocabulary ("telecom" of "Skyline
    # Telecom") would pull every post naming the brand into a theme when assigning
    words = {w for b in names for w in re.findall(r"\w+", str(b)) if len(w) > 2}
    if words:
        alternatives = "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))
        # not \b: in "Telecom推出" a Chinese character follows with no word boundary
        edge = r"[0-9A-Za-z\u00c0-\u024f\u0400-\u04ff]"  # Latin and Cyrillic letters
        pattern = re.compile(rf"(?<!{edge})(?:{alternatives})(?!{edge})", re.IGNORECASE)
        texts = [pattern.sub(" ", t) for t in texts]
    return ThemeModel(n_themes, seed=seed).fit(texts, langs, polarity=polarity)


def brand_themes(
    ws: Catalog,
    *,
    n_themes: int | None = None,
    quotes: int = 3,
    brands: Sequence[str] | str | None = None,
    confidence: float = 0.95,
    fdr: float = 0.05,
    min_n: int = 30,
    backend: Any = None,
    sample: int = 50_000,
    batch_size: int = 50_000,
    seed: int = 0,
    save: bool = True,
) -> BrandThemes:
    """Discover the themes of all posts and compare them across brands.

    Args:
        ws: a Workspace with ``posts`` (``post_id, brand, text, posted_at``).
        n_themes: candidate themes per language (None: chosen from the data).
        quotes: redacted example posts per brand and theme.
        brands: brands to report (None: all); the comparison is always against all others.
        confidence: two-sided level of the share intervals.
        fdr: false discovery rate of the distinctive flags (Benjamini-Hochberg).
        min_n: brands with fewer analysed posts are flagged ``small_sample``, not tested.
        backend: sentiment backend for posts not yet scored and for their theme sentences
            (None: the offline default).
        sample: most posts the theme discovery is fitted on.
        batch_size: posts read from the engine and assigned at a time.
        seed: seed of the fitting sample and the model.
        save: write ``post_themes``, ``post_theme_labels`` and ``brand_themes``. Scores are
            stored in ``post_sentiment`` either way, as ``ws.social.sentiment`` does.

    Returns:
        A :class:`BrandThemes`; its ``table`` has :data:`COLUMNS`: ``posts`` (the brand's
        posts in the theme), ``brand_posts`` (its analysed posts), ``share`` with Wilson
        ``share_ci_low/high``, ``others_share`` (all other brands), ``lift``, the test
        (``p_value, q_value, distinctive, direction``), ``sentiment`` (mean score of the
        theme sentences of the brand's posts in the theme, in [-1, 1]), ``negative_share``
        (percent of those scored that are negative), ``quotes`` (list of redacted posts),
        ``small_sample``.

    Raises:
        NotEnoughDataError: no posts, or too few to discover themes. SchemaError: a column
        is missing. ArgumentError: a bad setting or an unknown brand.

    Example:
        >>> found = brand_themes(ws)  # doctest: +SKIP
        >>> found.table[found.table["distinctive"]][["brand", "label", "share"]]  # doctest: +SKIP
    """
    _check(quotes, fdr, confidence, min_n)
    if not ws.has_table("posts"):
        raise NotEnoughDataError(
            "themes per brand need the 'posts' table; load it with `cxlens ingest FILE --as posts`"
        )
    posts = ws.table("posts")
    require_columns(posts, "posts", "post_id", "brand", "text", "posted_at")
    chosen = None if backend is None else resolve_backend(backend)  # loaded once
    score_posts(ws, backend=chosen)  # stored, and reused by the themes pass
    # labels signed as the theme sentences are, read cheaply (the sentence scorer's fast path)
    polarity = label_polarity(SentenceScorer(backend=chosen).fast)
    model = _fit_without_brands(posts, n_themes, sample, seed, polarity)
    found = themes_for_workspace(
        ws, table="posts", column="text", id_column="post_id", time_column="posted_at",
        model=model, sample=sample, batch_size=batch_size, quotes=quotes, seed=seed,
        save=save, assignments_table=POST_THEMES_TABLE, themes_table=POST_THEME_LABELS_TABLE,
        sentiment_table=POST_SENTIMENT_TABLE, backend=chosen,
    )  # fmt: skip
    raw = ws.table(POST_THEMES_TABLE) if save else ibis.memtable(found.assignments)
    owner = posts.select(_pid=posts.post_id, brand=posts.brand.cast("string"))
    assigned = raw.inner_join(owner, raw.post_id == owner._pid).drop("_pid")
    assigned = assigned.filter(assigned.brand.notnull())
    per_brand, per_theme = _counts(assigned)
    if per_brand.empty or found.themes.empty:
        raise NotEnoughDataError(
            "no post with a brand has words in a language with a theme model; "
            "themes per brand need posts with text and a brand"
        )
    per_brand = per_brand.sort_values(["brand_posts", "brand"], ascending=[False, True])
    known = per_brand["brand"].astype(str).tolist()
    grid = per_brand.merge(found.themes[["theme", "label"]], how="cross")
    grid = grid.merge(per_theme, on=["brand", "theme"], how="left")
    for col in ("posts", "scored", "negatives"):
        grid[col] = grid[col].fillna(0).astype("int64")
    grid["brand_posts"] = grid["brand_posts"].astype("int64")
    with np.errstate(invalid="ignore", divide="ignore"):
        grid["negative_share"] = np.where(
            grid["scored"] > 0, 100.0 * grid["negatives"] / grid["scored"], np.nan
        )
    shown = _brand_list(brands, known)
    table = compare_brands(grid, brands=shown, confidence=confidence, fdr=fdr, min_n=min_n)
    table = table.merge(_quotes(assigned, posts, quotes), on=["brand", "theme"], how="left")
    table["quotes"] = [q if isinstance(q, list) else [] for q in table["quotes"]]
    table["sentiment"] = table["sentiment"].astype("float64")
    order = {b: i for i, b in enumerate(known)}
    table = table.assign(_o=table["brand"].map(order)).sort_values(
        ["_o", "posts", "theme"], ascending=[True, False, True]
    )
    table = table[list(COLUMNS)].reset_index(drop=True)
    if save:
        ws.save_table(BRAND_THEMES_TABLE, table.assign(quotes=table["quotes"].map("\n".join)))
    return BrandThemes(
        table=table,
        themes=found.themes,
        assignments=assigned,
        outlier_share=found.outlier_share,
        model=found.model,
    )


def top_distinctive(table: pd.DataFrame, top: int = 3) -> pd.DataFrame:
    """Each brand's ``top`` themes it talks about significantly more than the others.

    Args:
        table: :attr:`BrandThemes.table`.
        top: themes per brand.

    Returns:
        The rows with ``distinctive`` and ``direction == "over"``, at most ``top`` per brand,
        most excess posts first (posts above what the other brands' share would give).

    Example:
        >>> t = pd.DataFrame({"brand": ["a"] * 3, "theme": [1, 2, 3], "posts": [20, 30, 50],
        ...     "brand_posts": [100] * 3, "others_share": [0.0, 5.0, 50.0],
        ...     "distinctive": [True, True, False], "direction": ["over"] * 3})
        >>> top_distinctive(t)["theme"].tolist()
        [2, 1]
    """
    over = table[table["distinctive"] & (table["direction"] == "over")]
    excess = over["posts"] - over["others_share"] / 100.0 * over["brand_posts"]
    over = over.assign(_excess=excess).sort_values(
        ["brand", "_excess"], ascending=[True, False], kind="mergesort"
    )
    return (
        over.groupby("brand", sort=False).head(top).drop(columns="_excess").reset_index(drop=True)
    )
