"""Plotly figures of the theme tables: size with sentiment colour, trends, impact.

Pure functions over the tidy tables of :mod:`cxlens.text.themes` and
:mod:`cxlens.text.impact`; nothing here reads a Workspace.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd
import plotly.graph_objects as go

from cxlens.errors import SchemaError
from cxlens.palette import BAD, FONT, GOOD, GRID, INK, MUTED, PRIMARY
from cxlens.text.translate import theme_names


def _require(df: pd.DataFrame, columns: Sequence[str], what: str) -> None:
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise SchemaError(f"{what} needs columns {', '.join(columns)}; missing {missing}")


def _layout(fig: go.Figure, title: str, height: int) -> go.Figure:
    fig.update_layout(
        title=title, font={"family": FONT, "color": INK}, height=height,
        plot_bgcolor="white", paper_bgcolor="white", margin={"l": 10, "r": 10, "t": 50, "b": 10},
    )  # fmt: skip
    fig.update_xaxes(gridcolor=GRID, zerolinecolor=MUTED)
    fig.update_yaxes(gridcolor=GRID)
    return fig


def _names(data: pd.DataFrame) -> list[str]:
    """Return the themes' client names: a ``name`` column, else :func:`theme_names`."""
    return [str(n) for n in data["name"]] if "name" in data.columns else theme_names(data)


def theme_bars(themes: pd.DataFrame, top: int = 20) -> go.Figure:
    """Horizontal bars of the largest themes' share, coloured by mean sentiment (red to green).

    Each bar is named by the theme's ``name`` (no two alike), else by
    :func:`cxlens.text.translate.theme_names`; never by its id.

    Example:
        >>> t = pd.DataFrame({"theme": ["a"], "label": ["price"], "share": [0.1],
        ...                   "sentiment": [-0.4], "count": [10]})
        >>> list(theme_bars(t).data[0].y)
        ['price']
    """
    _require(themes, ["theme", "label", "share", "sentiment", "count"], "theme_bars")
    data = themes.nlargest(top, "share").iloc[::-1]
    fig = go.Figure(
        go.Bar(
            x=100 * data["share"],
            y=_names(data),
            orientation="h",
            marker={"color": data["sentiment"], "colorscale": [[0, BAD], [0.5, "#d9d9d9"],
                    [1, GOOD]], "cmin": -1, "cmax": 1, "colorbar": {"title": "sentiment"}},
            customdata=data[["count", "sentiment"]],
            hovertemplate="%{y}<br>%{x:.1f}% of comments (%{customdata[0]})"
            "<br>sentiment %{customdata[1]:.2f}<extra></extra>",
        )
    )  # fmt: skip
    fig.update_xaxes(title="% of analysed comments")
    return _layout(fig, "Themes by share of comments", 120 + 24 * len(data))


def theme_trend(trend: pd.DataFrame, themes: Sequence[str]) -> go.Figure:
    """Monthly share of comments of the given themes, one line each.

    Example:
        >>> t = pd.DataFrame({"theme": ["a", "a"], "month": pd.to_datetime(["2024-01-01",
        ...                   "2024-02-01"]), "share": [0.1, 0.2]})
        >>> len(theme_trend(t, ["a"]).data)
        1
    """
    _require(trend, ["theme", "month", "share"], "theme_trend")
    fig = go.Figure()
    for name in themes:
        part = trend[trend["theme"] == name].sort_values("month")
        fig.add_trace(go.Scatter(x=part["month"], y=100 * part["share"], mode="lines+markers",
                                 name=str(name)))  # fmt: skip
    fig.update_yaxes(title="% of comments that month")
    return _layout(fig, "Theme trends", 380)


def impact_bars(impact: pd.DataFrame, top: int = 15) -> go.Figure:
    """Bars of each theme's impact on the score with its interval (negative in red).

    Each bar is named by ``name``, else by its label (:func:`cxlens.text.translate.theme_names`),
    else by ``theme`` (an aspect: "price").

    Example:
        >>> t = pd.DataFrame({"theme": ["a"], "impact": [-2.0], "ci_low": [-3.0],
        ...                   "ci_high": [-1.0]})
        >>> impact_bars(t).data[0].x.tolist()
        [-2.0]
    """
    _require(impact, ["theme", "impact", "ci_low", "ci_high"], "impact_bars")
    data = impact.reindex(impact["impact"].abs().sort_values(ascending=False).index).head(top)
    data = data.iloc[::-1]
    names = _names(data) if "name" in data or "label" in data else data["theme"].astype(str)
    fig = go.Figure(
        go.Bar(
            x=data["impact"], y=names, orientation="h",
            marker={"color": [BAD if v < 0 else PRIMARY for v in data["impact"]]},
            error_x={"type": "data", "symmetric": False, "array": data["ci_high"] - data["impact"],
                     "arrayminus": data["impact"] - data["ci_low"], "color": MUTED},
        )
    )  # fmt: skip
    # the metric column of theme_impact's table; a table without it gets a neutral title
    metric = str(impact["metric"].iloc[0]) if "metric" in impact and len(impact) else "score"
    fig.update_xaxes(title=f"points of {metric.upper()} the theme accounts for")
    return _layout(fig, f"Theme impact on {metric.upper()}", 120 + 24 * len(data))
