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


#: Where a point's label may go, in the order tried: above, below, right, left, diagonals.
_PLACES = (
    ("top center", 0.0, 1.0), ("bottom center", 0.0, -1.0), ("middle right", 1.0, 0.0),
    ("middle left", -1.0, 0.0), ("top right", 1.0, 1.0), ("top left", -1.0, 1.0),
    ("bottom right", 1.0, -1.0), ("bottom left", -1.0, -1.0),
)  # fmt: skip


Box = tuple[float, float, float, float]  # left, bottom, right, top in px


def label_places(
    points: list[tuple[float, float, str, float]],
    *,
    x_range: tuple[float, float],
    y_range: tuple[float, float],
    width: float = 360.0,
    height: float = 300.0,
    font: float = 12.0,
    taken: list[Box] | None = None,
) -> list[str]:
    """Return a Plotly ``textposition`` per point so that no two labels overlap.

    Greedy: each point, in order, takes the first place (above, below, right, left, then the
    diagonals) whose label box, estimated at 0.62 em per character, stays in the plot and
    clear of the labels placed before it and of the ``taken`` boxes; when none is clear,
    the place that overlaps least. On a wider plot the points move apart and the labels keep
    their size, so a layout clear at the smallest width is clear at every one.

    Args:
        points: (x, y, label, marker diameter in px) per point, in the order to place them.
        x_range: the x axis range (fix the figure's axis to it).
        y_range: the y axis range (fix the figure's axis to it).
        width: the plot's smallest width in px.
        height: the plot's height in px.
        font: the labels' font size in px.
        taken: boxes no label may cover, in px (left, bottom, right, top), e.g. annotations.

    Example:
        >>> label_places([(1, 1, "Reliability", 13), (1.05, 1, "Support", 13)],
        ...              x_range=(0, 2), y_range=(0, 2))
        ['top center', 'bottom center']
    """
    boxes = list(taken or [])
    places: list[str] = []
    for x, y, label, marker in points:
        px = (x - x_range[0]) / ((x_range[1] - x_range[0]) or 1.0) * width
        py = (y - y_range[0]) / ((y_range[1] - y_range[0]) or 1.0) * height
        size = (0.62 * font * len(label), 1.3 * font)
        candidates = [_label_box(px, py, size, marker, dx, dy) for _, dx, dy in _PLACES]
        costs = [_crowding(b, boxes, width, height) for b in candidates]
        best = costs.index(min(costs))
        boxes.append(candidates[best])
        places.append(_PLACES[best][0])
    return places


def _label_box(
    px: float, py: float, size: tuple[float, float], marker: float, dx: float, dy: float
) -> Box:
    """Return the box of a label of ``size`` (w, h) placed ``dx``, ``dy`` from its point."""
    (w, h), gap = size, marker / 2 + 2
    cx, cy = px + dx * (gap + w / 2), py + dy * (gap + h / 2)
    return cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2


def _crowding(box: Box, boxes: list[Box], width: float, height: float) -> float:
    """Return how badly a label box fits: px² over other boxes, plus a penalty outside."""
    out = max(0.0, -box[0]) + max(0.0, box[2] - width) + max(0.0, -box[1])
    out += max(0.0, box[3] - height)
    return 100.0 * out + sum(_shared(box, other) for other in boxes)


def _shared(a: Box, b: Box) -> float:
    """Return the area two boxes (left, bottom, right, top) share."""
    across = min(a[2], b[2]) - max(a[0], b[0])
    up = min(a[3], b[3]) - max(a[1], b[1])
    return across * up if across > 0 and up > 0 else 0.0
