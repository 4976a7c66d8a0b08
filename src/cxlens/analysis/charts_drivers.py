"""Plotly figures for driver and effort analyses, built from the tables those functions return.

Pure functions: each takes a DataFrame from :mod:`cxlens.analysis.drivers` or
:mod:`cxlens.analysis.effort` and returns a ``plotly.graph_objects.Figure``; nothing here
reads a Workspace or writes a file.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from cxlens.charting import label_places
from cxlens.errors import SchemaError
from cxlens.palette import BAD, FONT, GOOD, GREY, GRID, INK, MUTED, PRIMARY

#: Marker colour of each priority quadrant.
QUADRANT_COLOURS: dict[str, str] = {
    "fix first": BAD,
    "maintain": GOOD,
    "lower priority": GREY,
    "possible overkill": "#b7791f",
}


def _first(df: pd.DataFrame, column: str, default: object) -> object:
    """Return ``column``'s first value (a fact the same on every row), else ``default``."""
    return df[column].iloc[0] if column in df.columns and len(df) else default


def _require(df: pd.DataFrame, columns: Sequence[str], what: str, source: str) -> None:
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise SchemaError(
            f"{what} needs columns {', '.join(columns)}; missing: {', '.join(missing)} "
            f"(pass the DataFrame that {source} returns)"
        )


def _style(fig: go.Figure, *, height: int, title: str | None) -> go.Figure:
    fig.update_layout(
        template="plotly_white",
        height=height,
        margin={"l": 56, "r": 24, "t": 56 if title else 28, "b": 48},
        font={"family": FONT, "size": 13, "color": INK},
        title={"text": title, "x": 0, "xanchor": "left"} if title else None,
        showlegend=False,
        paper_bgcolor="white",
        plot_bgcolor="white",
    )
    fig.update_xaxes(gridcolor=GRID, linecolor=GRID, zeroline=False)
    fig.update_yaxes(gridcolor=GRID, linecolor=GRID, zeroline=False)
    return fig


def _label(driver: str) -> str:
    return driver.removeprefix("driver_").replace("_", " ")


def importance_figure(
    df: pd.DataFrame, *, title: str | None = None, height: int | None = None
) -> go.Figure:
    """Horizontal bars of each driver's share of R² (%), with its bootstrap interval.

    Args:
        df: a table from relative_weights, shapley_regression, drivers_logistic or
            drivers_for_workspace without ``by`` (columns driver, rescaled_weight; ci_low,
            ci_high and sign are used when present).
        title: figure title.
        height: pixels; default grows with the number of drivers.

    Returns:
        A Plotly figure with one bar trace, most important driver on top; bars of drivers
        with a negative sign are red.

    Example:
        >>> df = pd.DataFrame({"driver": ["driver_a", "driver_b"], "rescaled_weight": [70.0, 30.0],
        ...                    "ci_low": [60.0, 20.0], "ci_high": [80.0, 40.0], "sign": [1, -1]})
        >>> importance_figure(df).data[0].y
        ('b', 'a')
    """
    _require(df, ("driver", "rescaled_weight"), "importance_figure", "relative_weights")
    rows = df.sort_values("rescaled_weight", ascending=True, kind="mergesort")
    x = rows["rescaled_weight"].to_numpy(dtype=np.float64)
    error = None
    if {"ci_low", "ci_high"} <= set(rows.columns) and rows["ci_low"].notna().any():
        error = {
            "type": "data",
            "symmetric": False,
            "array": rows["ci_high"].to_numpy(dtype=np.float64) - x,
            "arrayminus": x - rows["ci_low"].to_numpy(dtype=np.float64),
            "color": MUTED,
        }
    sign = rows["sign"].to_numpy() if "sign" in rows.columns else np.ones(len(rows))
    colours = [BAD if s == -1 else PRIMARY for s in sign]
    fig = go.Figure(
        go.Bar(
            x=x,
            y=[_label(d) for d in rows["driver"]],
            orientation="h",
            marker={"color": colours},
            error_x=error,
            text=[f"{v:.1f}%" for v in x],
            textposition="inside",
            insidetextanchor="end",
            hovertemplate="%{y}: %{x:.1f}% of R²<extra></extra>",
            name="Share of R²",
        )
    )
    fig.update_xaxes(title_text="share of explained variance (R²), %", rangemode="tozero")
    return _style(fig, height=height or 120 + 36 * len(rows), title=title)


def priority_matrix_figure(
    df: pd.DataFrame, *, title: str | None = None, height: int = 440
) -> go.Figure:
    """Scatter of importance against performance, with the quadrant lines and their names.

    Args:
        df: the table from :func:`cxlens.analysis.drivers.priority_matrix` (columns driver,
            importance, performance, quadrant; the cut lines come from its
            ``importance_cut`` and ``performance_cut`` columns or, when absent, from the
            column means).
        title: figure title.
        height: pixels.

    Returns:
        A Plotly figure with one marker trace per quadrant present (named after it), dashed
        lines at the two cuts and the quadrant names in the corners.

    Example:
        >>> df = pd.DataFrame({"driver": ["driver_a", "driver_b"], "importance": [70.0, 30.0],
        ...                    "performance": [3.1, 4.2], "quadrant": ["fix first",
        ...                    "possible overkill"]})
        >>> [t.name for t in priority_matrix_figure(df).data]
        ['fix first', 'possible overkill']
    """
    _require(
        df, ("driver", "importance", "performance", "quadrant"), "priority_matrix_figure",
        "priority_matrix",
    )  # fmt: skip
    x_cut = float(_first(df, "performance_cut", df["performance"].mean()))
    y_cut = float(_first(df, "importance_cut", df["importance"].mean()))
    x_range, y_range = _padded(df["performance"], 0.12), _padded(df["importance"], 0.15)
    places = pd.Series(_priority_places(df, x_range, y_range, height), index=df.index)
    fig = go.Figure()
    for quadrant, colour in QUADRANT_COLOURS.items():
        part = df[df["quadrant"] == quadrant]
        if part.empty:
            continue
        fig.add_trace(
            go.Scatter(
                x=part["performance"],
                y=part["importance"],
                mode="markers+text",
                text=[_label(d) for d in part["driver"]],
                textposition=places[part.index].tolist(),
                marker={"size": 13, "color": colour, "line": {"width": 1, "color": "white"}},
                name=quadrant,
                hovertemplate=(
                    "%{text}<br>importance %{y:.1f}%<br>performance %{x:.2f}"
                    f"<br>{quadrant}<extra></extra>"
                ),
            )
        )
    fig.add_vline(x=x_cut, line={"dash": "dash", "color": GREY, "width": 1})
    fig.add_hline(y=y_cut, line={"dash": "dash", "color": GREY, "width": 1})
    corners = {
        "fix first": (0.01, 0.99, "left", "top"),
        "maintain": (0.99, 0.99, "right", "top"),
        "lower priority": (0.01, 0.01, "left", "bottom"),
        "possible overkill": (0.99, 0.01, "right", "bottom"),
    }
    for name, (x, y, xa, ya) in corners.items():
        fig.add_annotation(
            x=x, y=y, xref="paper", yref="paper", xanchor=xa, yanchor=ya, text=name.upper(),
            showarrow=False, font={"size": 11, "color": QUADRANT_COLOURS[name]},
        )  # fmt: skip
    measure = _first(df, "performance_measure", "mean")
    fig.update_xaxes(title_text="performance (% top-2-box)" if measure == "top2" else
                     "performance (mean rating)")  # fmt: skip
    fig.update_xaxes(range=list(x_range))
    fig.update_yaxes(title_text="importance (% of R²)", range=list(y_range))
    return _style(fig, height=height, title=title)


def _padded(values: pd.Series, share: float) -> tuple[float, float]:
    """Return the range of ``values`` widened by ``share`` of its span each way."""
    low, high = float(values.min()), float(values.max())
    pad = share * ((high - low) or abs(high) or 1.0)
    return low - pad, high + pad


def _priority_places(
    df: pd.DataFrame, x_range: tuple[float, float], y_range: tuple[float, float], height: int
) -> list[str]:
    """Return where each driver's label goes: clear of the others and of the corner names."""
    plot_w, plot_h, font = 360.0, height - 84.0, 13.0
    taken = []
    for name, (left, bottom) in {"fix first": (True, False), "maintain": (False, False),
                                 "lower priority": (True, True),
                                 "possible overkill": (False, True)}.items():  # fmt: skip
        w, h = 0.62 * 11 * len(name) + 4, 16.0
        x0 = 0.0 if left else plot_w - w
        y0 = 0.0 if bottom else plot_h - h
        taken.append((x0, y0, x0 + w, y0 + h))
    points = [(float(r.performance), float(r.importance), _label(str(r.driver)), 13.0)
              for r in df.itertuples()]  # fmt: skip
    return label_places(points, x_range=x_range, y_range=y_range, width=plot_w,
                        height=plot_h, font=font, taken=taken)  # fmt: skip


def loyalty_at_stake_figure(
    df: pd.DataFrame, *, title: str | None = None, height: int | None = None
) -> go.Figure:
    """Bars of loyalty at stake per touchpoint (the process optimisation list).

    Args:
        df: the table from :func:`cxlens.analysis.effort.effort_by_touchpoint`.
        title: figure title.
        height: pixels; default grows with the number of touchpoints.

    Returns:
        A Plotly figure with one bar trace; touchpoints flagged ``small_sample`` are grey
        and marked "(small)".

    Example:
        >>> df = pd.DataFrame({"touchpoint": ["billing", "app"], "n": [400, 300],
        ...     "ces": [3.9, 5.1], "loyalty_at_stake": [22.5, 0.0], "rank": [1, 2],
        ...     "small_sample": [False, False]})
        >>> loyalty_at_stake_figure(df).data[0].y
        ('app', 'billing')
    """
    _require(
        df, ("touchpoint", "n", "ces", "loyalty_at_stake", "small_sample"),
        "loyalty_at_stake_figure", "effort_by_touchpoint",
    )  # fmt: skip
    rows = df.sort_values("loyalty_at_stake", ascending=True, kind="mergesort", na_position="first")
    small = rows["small_sample"].astype(bool).to_numpy()
    labels = [f"{t} (small)" if s else str(t) for t, s in zip(rows["touchpoint"], small,
                                                               strict=True)]  # fmt: skip
    fig = go.Figure(
        go.Bar(
            x=rows["loyalty_at_stake"],
            y=labels,
            orientation="h",
            marker={"color": [GREY if s else PRIMARY for s in small]},
            customdata=np.column_stack([rows["ces"], rows["n"]]),
            hovertemplate=(
                "%{y}: %{x:.1f} net promoters at stake<br>CES %{customdata[0]:.2f}, "
                "n %{customdata[1]:,}<extra></extra>"
            ),
            name="Loyalty at stake",
        )
    )
    fig.update_xaxes(title_text="net promoters at stake if effort matched the best touchpoint")
    return _style(fig, height=height or 120 + 36 * len(rows), title=title)
