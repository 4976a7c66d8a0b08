"""The house look of every cxlens chart: layout, axes and interval error bars.

The colours live in :mod:`cxlens.palette`; these helpers apply them, so a chart from any
capability (analyses, models, journeys, social) reads as part of one report.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from cxlens.palette import FONT, GRID, INK, MUTED


def style_figure(fig: go.Figure, *, height: int, title: str | None) -> go.Figure:
    """Return ``fig`` with the house layout: white, left-aligned title, legend below.

    Example:
        >>> style_figure(go.Figure(), height=300, title="NPS").layout.height
        300
    """
    fig.update_layout(
        template="plotly_white",
        height=height,
        margin={"l": 56, "r": 24, "t": 56 if title else 28, "b": 48},
        font={"family": FONT, "size": 13, "color": INK},
        title={"text": title, "x": 0, "xanchor": "left", "font": {"size": 15}} if title else None,
        legend={"orientation": "h", "yanchor": "top", "y": -0.18, "x": 0,
                "font": {"size": 12, "color": MUTED}},
        paper_bgcolor="white",
        plot_bgcolor="white",
    )  # fmt: skip
    fig.update_xaxes(gridcolor=GRID, linecolor=GRID, zeroline=False)
    fig.update_yaxes(gridcolor=GRID, linecolor=GRID, zerolinecolor="#c9ced6")
    return fig


def error_bars(value: pd.Series, low: pd.Series, high: pd.Series) -> dict[str, object]:
    """Return Plotly ``error_x``/``error_y`` settings drawing the interval [low, high].

    Example:
        >>> bars = error_bars(pd.Series([5.0]), pd.Series([4.0]), pd.Series([7.0]))
        >>> bars["array"].tolist(), bars["arrayminus"].tolist()
        ([2.0], [1.0])
    """
    v = value.astype(float).to_numpy()
    return {
        "type": "data",
        "symmetric": False,
        "array": np.clip(high.astype(float).to_numpy() - v, 0, None),
        "arrayminus": np.clip(v - low.astype(float).to_numpy(), 0, None),
        "color": MUTED,
        "thickness": 1.2,
        "width": 4,
    }
