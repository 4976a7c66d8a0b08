"""Plotly figures of the social tables: engagement, share of voice, sentiment, alerts, lift.

Pure functions: each takes the tidy table a ``ws.social`` method returns and gives back a
``plotly.graph_objects.Figure``; nothing here reads a Workspace or writes a file.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from cxlens.charting import error_bars, style_figure
from cxlens.errors import ArgumentError, SchemaError
from cxlens.palette import BAD, GOOD, GREY, MUTED, PRIMARY
from cxlens.social.spikes import ALL_NEGATIVE

#: Colours given to brands in order of appearance (the first is usually the own brand).
BRAND_COLOURS: tuple[str, ...] = (PRIMARY, "#b7791f", "#6b46c1", "#2c7a7b", "#9c4221", MUTED)

#: Share measures :func:`share_of_voice_figure` can draw.
MEASURES: tuple[str, ...] = ("volume", "engagement", "reach")


def _require(df: pd.DataFrame, columns: Sequence[str], what: str) -> None:
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise SchemaError(
            f"{what} needs columns {', '.join(columns)}; missing: {', '.join(missing)} "
            "(pass the table the ws.social method returns)"
        )


def _band(fig: go.Figure, x: pd.Series, low: pd.Series, high: pd.Series, colour: str,
          name: str) -> None:  # fmt: skip
    """Add a shaded interval band under a line."""
    fig.add_trace(
        go.Scatter(
            x=list(x) + list(x[::-1]),
            y=list(high.astype(float)) + list(low.astype(float)[::-1]),
            fill="toself",
            fillcolor=colour,
            opacity=0.15,
            line={"width": 0},
            hoverinfo="skip",
            showlegend=False,
            legendgroup=name,
        )
    )


def _brand_colours(brands: Sequence[object]) -> dict[object, str]:
    return {b: BRAND_COLOURS[i % len(BRAND_COLOURS)] for i, b in enumerate(brands)}


def engagement_figure(
    table: pd.DataFrame, *, by: str | None = None, title: str | None = "Engagement rate"
) -> go.Figure:
    """Return bars of the engagement rate per group with intervals (lines when by period).

    Example:
        >>> t = pd.DataFrame({"platform": ["x"], "value": [2.0], "ci_low": [1.5],
        ...                   "ci_high": [2.5], "n": [40]})
        >>> engagement_figure(t).data[0].type
        'bar'
    """
    _require(table, ("value", "ci_low", "ci_high"), "the engagement chart")
    skip = {"period", "n", "value", "ci_low", "ci_high", "change", "p_value", "significant",
            "small_sample", "interactions", "reach"}  # fmt: skip
    group = by or next((c for c in table.columns if c not in skip), None)
    fig = go.Figure()
    if "period" in table.columns:
        groups = table[group].unique() if group else [None]
        colours = _brand_colours(groups)
        for g in groups:
            rows = table if g is None else table[table[group] == g]
            name = "all posts" if g is None else str(g)
            _band(fig, rows["period"], rows["ci_low"], rows["ci_high"], colours[g], name)
            fig.add_trace(go.Scatter(x=rows["period"], y=rows["value"], name=name,
                                     mode="lines+markers", line={"color": colours[g]}))  # fmt: skip
    else:
        labels = table[group].astype(str) if group else pd.Series(["all posts"] * len(table))
        fig.add_trace(
            go.Bar(x=labels, y=table["value"], marker_color=PRIMARY, name="engagement rate",
                   error_y=error_bars(table["value"], table["ci_low"], table["ci_high"]))
        )  # fmt: skip
    fig.update_yaxes(title_text="engagements per 100 reach (%)", rangemode="tozero")
    return style_figure(fig, height=380, title=title)


def share_of_voice_figure(
    table: pd.DataFrame,
    *,
    measure: str = "volume",
    by: str = "brand",
    title: str | None = "Share of voice",
) -> go.Figure:
    """Return share of voice per brand: bars with intervals, or lines with bands by period.

    Args:
        table: :func:`ws.social.share_of_voice` output.
        measure: ``volume``, ``engagement`` or ``reach`` (over time); without a ``period``
            column all three are drawn side by side.
        by: the voice column of the table.
        title: chart title (None for none).

    Example:
        >>> t = pd.DataFrame({"brand": ["a", "b"], "volume_share": [60.0, 40.0],
        ...     "volume_ci_low": [50.0, 30.0], "volume_ci_high": [70.0, 50.0],
        ...     "engagement_share": [70.0, 30.0], "engagement_ci_low": [60.0, 20.0],
        ...     "engagement_ci_high": [80.0, 40.0], "reach_share": [50.0, 50.0],
        ...     "reach_ci_low": [40.0, 40.0], "reach_ci_high": [60.0, 60.0]})
        >>> len(share_of_voice_figure(t).data)
        3
    """
    if measure not in MEASURES:
        raise ArgumentError(f"unknown measure={measure!r}; use one of: {', '.join(MEASURES)}")
    fig = go.Figure()
    if "period" in table.columns:
        cols = (by, "period", f"{measure}_share", f"{measure}_ci_low", f"{measure}_ci_high")
        _require(table, cols, "the share of voice chart")
        brands = list(dict.fromkeys(table[by]))
        colours = _brand_colours(brands)
        for b in brands:
            rows = table[table[by] == b].sort_values("period")
            _band(fig, rows["period"], rows[cols[3]], rows[cols[4]], colours[b], str(b))
            fig.add_trace(go.Scatter(x=rows["period"], y=rows[cols[2]], name=str(b),
                                     mode="lines+markers", legendgroup=str(b),
                                     line={"color": colours[b]}))  # fmt: skip
        fig.update_yaxes(title_text=f"share of {measure} (%)", rangemode="tozero")
    else:
        shades = {"volume": PRIMARY, "engagement": "#b7791f", "reach": GREY}
        for m in MEASURES:
            cols = (by, f"{m}_share", f"{m}_ci_low", f"{m}_ci_high")
            _require(table, cols, "the share of voice chart")
            fig.add_trace(
                go.Bar(x=table[by].astype(str), y=table[cols[1]], name=f"share of {m}",
                       marker_color=shades[m],
                       error_y=error_bars(table[cols[1]], table[cols[2]], table[cols[3]]))
            )  # fmt: skip
        fig.update_layout(barmode="group")
        fig.update_yaxes(title_text="share (%)", rangemode="tozero")
    return style_figure(fig, height=400, title=title)


def sentiment_figure(
    table: pd.DataFrame, *, by: str = "brand", title: str | None = "Net sentiment by brand"
) -> go.Figure:
    """Return net sentiment (positive minus negative share) per brand, with intervals.

    Example:
        >>> t = pd.DataFrame({"brand": ["a"], "net_sentiment": [10.0], "net_ci_low": [2.0],
        ...                   "net_ci_high": [18.0]})
        >>> sentiment_figure(t).data[0].type
        'bar'
    """
    _require(table, (by, "net_sentiment", "net_ci_low", "net_ci_high"), "the sentiment chart")
    fig = go.Figure()
    brands = list(dict.fromkeys(table[by]))
    colours = _brand_colours(brands)
    if "period" in table.columns:
        for b in brands:
            rows = table[table[by] == b].sort_values("period")
            _band(fig, rows["period"], rows["net_ci_low"], rows["net_ci_high"], colours[b], str(b))
            fig.add_trace(go.Scatter(x=rows["period"], y=rows["net_sentiment"], name=str(b),
                                     mode="lines+markers", legendgroup=str(b),
                                     line={"color": colours[b]}))  # fmt: skip
    else:
        values = table["net_sentiment"].astype(float)
        fig.add_trace(
            go.Bar(x=table[by].astype(str), y=values, name="net sentiment",
                   marker_color=[GOOD if v >= 0 else BAD for v in values],
                   error_y=error_bars(values, table["net_ci_low"], table["net_ci_high"]))
        )  # fmt: skip
    fig.add_hline(y=0, line_color="#c9ced6", line_width=1)
    fig.update_yaxes(title_text="% positive − % negative")
    return style_figure(fig, height=380, title=title)


def alerts_figure(
    table: pd.DataFrame,
    *,
    brand: str | None = None,
    topic: str = ALL_NEGATIVE,
    title: str | None = None,
) -> go.Figure:
    """Return one brand's negative share by period, its trailing baseline and the alerts.

    Args:
        table: :meth:`ws.social.alerts` with ``all_periods=True``.
        brand: the brand to draw (None: the first in the table).
        topic: the series (``"all negative"`` or a topic name).
        title: chart title (None: "Negative posts: <brand>, <topic>").

    Example:
        >>> t = pd.DataFrame({"brand": ["a"] * 2, "topic": ["all negative"] * 2,
        ...     "period": pd.to_datetime(["2024-01-01", "2024-02-01"]), "share": [20.0, 45.0],
        ...     "ci_low": [10.0, 30.0], "ci_high": [30.0, 60.0], "baseline_share": [None, 20.0],
        ...     "alert": [False, True]})
        >>> [d.name for d in alerts_figure(t).data]
        ['negative share', 'trailing baseline', 'alert']
    """
    cols = ("brand", "topic", "period", "share", "ci_low", "ci_high", "baseline_share", "alert")
    _require(table, cols, "the alerts chart")
    if table.empty:
        raise ArgumentError("the alerts table is empty; pass ws.social.alerts(all_periods=True)")
    brand = table["brand"].iloc[0] if brand is None else brand
    rows = table[(table["brand"] == brand) & (table["topic"] == topic)].sort_values("period")
    if rows.empty:
        raise ArgumentError(f"no rows for brand {brand!r} and topic {topic!r} in the table")
    fig = go.Figure()
    fig.add_trace(
        go.Scatter(x=rows["period"], y=rows["share"], name="negative share",
                   mode="lines+markers", line={"color": PRIMARY},
                   error_y=error_bars(rows["share"], rows["ci_low"], rows["ci_high"]))
    )  # fmt: skip
    fig.add_trace(
        go.Scatter(x=rows["period"], y=rows["baseline_share"], name="trailing baseline",
                   mode="lines", line={"color": MUTED, "dash": "dash"})
    )  # fmt: skip
    hits = rows[rows["alert"].astype(bool)]
    fig.add_trace(
        go.Scatter(x=hits["period"], y=hits["share"], name="alert", mode="markers",
                   marker={"color": BAD, "size": 13, "symbol": "triangle-up"})
    )  # fmt: skip
    fig.update_yaxes(title_text="% of scored posts", rangemode="tozero")
    name = title if title is not None else f"Negative posts: {brand}, {topic}"
    return style_figure(fig, height=380, title=name)


def lift_figure(table: pd.DataFrame, *, title: str | None = "Acquisition lift") -> go.Figure:
    """Return each campaign's acquisition lift (rate ratio) with its interval; 1 = no lift.

    Example:
        >>> t = pd.DataFrame({"campaign_id": ["C1"], "name": ["Spring"], "lift": [1.4],
        ...                   "lift_ci_low": [1.1], "lift_ci_high": [1.8]})
        >>> lift_figure(t).data[0].type
        'scatter'
    """
    _require(table, ("campaign_id", "lift", "lift_ci_low", "lift_ci_high"), "the lift chart")
    rows = table[np.isfinite(table["lift"].astype(float))]
    label = rows["campaign_id"].astype(str)
    if "name" in rows.columns:
        label = rows["name"].fillna(rows["campaign_id"]).astype(str)
    high = rows["lift_ci_high"].astype(float).replace(np.inf, np.nan)
    bounds = zip(rows["lift_ci_low"].astype(float), high.fillna(np.inf), strict=True)
    colours = [GOOD if lo > 1 else (BAD if hi < 1 else GREY) for lo, hi in bounds]
    fig = go.Figure(
        go.Scatter(x=rows["lift"], y=label, mode="markers", name="lift",
                   marker={"color": colours, "size": 11},
                   error_x=error_bars(rows["lift"], rows["lift_ci_low"], high.fillna(rows["lift"])))
    )  # fmt: skip
    fig.add_vline(x=1.0, line_color="#c9ced6", line_width=1)
    fig.update_xaxes(title_text="acquisitions in window / baseline (rate ratio)")
    fig.update_yaxes(autorange="reversed")
    return style_figure(fig, height=max(260, 60 + 36 * len(rows)), title=title)


def brand_themes_figure(
    table: pd.DataFrame, *, top: int = 15, title: str | None = "Themes per brand"
) -> go.Figure:
    """Return a brand × theme heatmap of each brand's share of posts in the theme.

    Cells print the share; a star marks a theme the brand talks about significantly more
    or less than the other brands (``distinctive``). Only the ``top`` themes with the most
    posts over all brands are drawn.

    Args:
        table: ``ws.social.themes().table`` (``brand, label, theme, share, distinctive``).
        top: most themes drawn.
        title: chart title (None: none).

    Returns:
        A Plotly figure with one heatmap trace (rows: brands, columns: themes).

    Example:
        >>> t = pd.DataFrame({"brand": ["a", "b"], "theme": ["t", "t"], "label": ["price"] * 2,
        ...                   "posts": [4, 1], "share": [40.0, 10.0], "distinctive": [True, False]})
        >>> [list(row) for row in brand_themes_figure(t).data[0].z]
        [[40.0], [10.0]]
    """
    _require(table, ("brand", "theme", "label", "posts", "share", "distinctive"),
             "the themes-per-brand chart")  # fmt: skip
    if isinstance(top, bool) or not isinstance(top, int) or top < 1:
        raise ArgumentError(f"top must be a positive integer (themes drawn); got {top!r}")
    totals = table.groupby("theme", sort=False)["posts"].sum()
    themes = totals.sort_values(ascending=False, kind="mergesort").index[:top].tolist()
    brands = list(dict.fromkeys(table["brand"]))
    cells = table[table["theme"].isin(themes)].set_index(["brand", "theme"])
    labels = table.drop_duplicates("theme").set_index("theme")["label"]
    z = [[float(cells["share"].get((b, t), np.nan)) for t in themes] for b in brands]
    text = [
        [f"{v:.1f}%{'*' if bool(cells['distinctive'].get((b, t), False)) else ''}"
         for v, t in zip(row, themes, strict=True)]
        for b, row in zip(brands, z, strict=True)
    ]  # fmt: skip
    fig = go.Figure(
        go.Heatmap(
            z=z,
            x=[f"{labels[t]} ({t})" for t in themes],
            y=[str(b) for b in brands],
            text=text,
            texttemplate="%{text}",
            colorscale=[[0.0, "#ffffff"], [1.0, PRIMARY]],
            colorbar={"title": {"text": "% of brand's posts"}},
            hovertemplate="%{y}<br>%{x}<br>%{text} of the brand's posts<extra></extra>",
        )
    )
    fig.update_xaxes(tickangle=-35)
    fig.update_yaxes(autorange="reversed")
    return style_figure(fig, height=200 + 48 * len(brands), title=title)
