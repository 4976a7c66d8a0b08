"""Plotly figures for the report, built from the tidy tables that ``ws.metrics`` returns.

Pure functions: each takes a metric DataFrame (columns as documented in cxlens.metrics) and
returns a ``plotly.graph_objects.Figure``; nothing here reads a Workspace or writes a file.
"""

from __future__ import annotations

import base64
import html
import math
from collections.abc import Sequence

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from cxlens.display import relabel_figure
from cxlens.errors import SchemaError
from cxlens.palette import BAD, FONT, GOOD, GREY, GRID, INK, MUTED, PRIMARY
from cxlens.report.spec import METRICS, MetricSpec, format_period

#: Fill of the interval bands (PRIMARY at 14%).
BAND = "rgba(31, 78, 121, 0.14)"

#: Trace names the tests and the report rely on.
SIGNIFICANT_TRACE = "Significant change"
SMALL_SAMPLE_TRACE = "Small sample"
PARTIAL_TRACE = "Partial period (not compared)"
RANKED_TRACE = "Ranked"
UNRANKED_TRACE = "Small sample (not ranked)"
VALUE_LABELS_TRACE = "Value labels"

#: Plotly config for every figure: no logo, no cloud links, resizes with the page.
CONFIG: dict[str, object] = {
    "displaylogo": False,
    "displayModeBar": "hover",
    "responsive": True,
    "modeBarButtonsToRemove": ["select2d", "lasso2d", "autoScale2d"],
}

_TREND_COLUMNS = ("period", "n", "value", "ci_low", "ci_high", "change", "significant")
_SEGMENT_COLUMNS = ("n", "value", "ci_low", "ci_high", "small_sample")


def _spec(metric: str | MetricSpec) -> MetricSpec:
    if isinstance(metric, MetricSpec):
        return metric
    try:
        return METRICS[metric]
    except KeyError:
        raise SchemaError(
            f"unknown metric '{metric}'; the report knows: {', '.join(METRICS)}"
        ) from None


def _require(df: pd.DataFrame, columns: Sequence[str], what: str) -> None:
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise SchemaError(
            f"{what} needs a metric table with columns {', '.join(columns)}; missing: "
            f"{', '.join(missing)} (pass the DataFrame that ws.metrics returns)"
        )


def _style(fig: go.Figure, *, height: int, title: str | None = None) -> go.Figure:
    fig.update_layout(
        template="plotly_white",
        height=height,
        margin={"l": 56, "r": 24, "t": 56 if title else 28, "b": 40},
        font={"family": FONT, "size": 13, "color": INK},
        title={"text": title, "x": 0, "xanchor": "left", "font": {"size": 15}} if title else None,
        # the legend above the plot: below it, it covered the x axis title at 1024 px
        legend={
            "orientation": "h",
            "traceorder": "normal",
            "yanchor": "bottom",
            "y": 1.02,
            "xanchor": "left",
            "x": 0,
            "font": {"size": 12, "color": MUTED},
        },
        hoverlabel={"font": {"family": FONT}},
        paper_bgcolor="white",
        plot_bgcolor="white",
    )
    fig.update_xaxes(gridcolor=GRID, linecolor=GRID, zeroline=False)
    fig.update_yaxes(gridcolor=GRID, linecolor=GRID, zerolinecolor="#c9ced6")
    return fig


def _num(value: object) -> float:
    try:
        out = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return math.nan
    return out


def trend_figure(
    df: pd.DataFrame,
    metric: str | MetricSpec,
    *,
    every: str | None = "month",
    confidence: float = 0.95,
    benchmark: float | None = None,
    benchmark_label: str | None = None,
    height: int = 340,
) -> go.Figure:
    """Line chart of a metric by period, with its confidence band and significant changes marked.

    Periods flagged ``small_sample`` get hollow grey markers, ``partial`` ones (the data covers
    them only in part) hollow squares; every row with
    ``significant=True`` gets a diamond marker (green when the change is for the better,
    red when for the worse) and an annotation with the size of the change.

    Args:
        df: one metric's trend, as returned by e.g. ``ws.metrics.nps(every="month")``
            (columns period, n, value, ci_low, ci_high, change, significant; small_sample
            and p_value are used when present). Must not have ``by`` columns.
        metric: metric key ("nps", "csat", "ces", "churn", "engagement") or a MetricSpec.
        every: the time grain of ``period``, used in hover text.
        confidence: the confidence level of the interval, for the legend.
        benchmark: an industry value to draw as a dashed horizontal line.
        benchmark_label: text next to the benchmark line.
        height: figure height in pixels.

    Returns:
        A Plotly figure with traces: interval band (2), the metric, "Small sample" (when
        any), "Significant change" (when any).

    Example:
        >>> df = pd.DataFrame({"period": pd.to_datetime(["2025-01-01", "2025-02-01"]),
        ...     "n": [200, 210], "value": [30.0, 41.0], "ci_low": [20.0, 31.0],
        ...     "ci_high": [40.0, 51.0], "change": [np.nan, 11.0], "p_value": [np.nan, 0.04],
        ...     "significant": [False, True], "small_sample": [False, False]})
        >>> fig = trend_figure(df, "nps")
        >>> [t.name for t in fig.data][-1]
        'Significant change'
    """
    spec = _spec(metric)
    _require(df, _TREND_COLUMNS, "trend_figure")
    data = df.sort_values("period").reset_index(drop=True)
    x = pd.to_datetime(data["period"])
    value = data["value"].astype(float)
    small = (
        data["small_sample"].astype(bool)
        if "small_sample" in data
        else pd.Series(False, index=data.index)
    )
    partial = (
        data["partial"].fillna(False).astype(bool)
        if "partial" in data
        else pd.Series(False, index=data.index)
    )
    sig = data["significant"].fillna(False).astype(bool)
    p_values = data["p_value"] if "p_value" in data else pd.Series(np.nan, index=data.index)
    labels = [format_period(p, every, short=True) for p in x]
    hover = [
        f"<b>{label}</b><br>{spec.label} {spec.fmt(v)}"
        f"<br>{confidence:.0%} interval {spec.fmt(lo)} to {spec.fmt(hi)}"
        f"<br>n = {int(n):,}{' (small sample)' if s else ''}"
        + ("<br>partial period: not compared" if part else "")
        + (f"<br>change {spec.fmt_change(c)}" if math.isfinite(_num(c)) else "")
        + (f", p = {_num(p):.3g}" if math.isfinite(_num(p)) else "")
        for label, v, lo, hi, n, s, part, c, p in zip(
            labels,
            value,
            data["ci_low"],
            data["ci_high"],
            data["n"],
            small,
            partial,
            data["change"],
            p_values,
            strict=True,
        )
    ]

    fig = go.Figure()
    fig.add_trace(
        go.Scatter(
            x=x,
            y=data["ci_high"].astype(float),
            mode="lines",
            line={"width": 0},
            hoverinfo="skip",
            showlegend=False,
            name="upper bound",
        )
    )
    fig.add_trace(
        go.Scatter(
            x=x,
            y=data["ci_low"].astype(float),
            mode="lines",
            line={"width": 0},
            fill="tonexty",
            fillcolor=BAND,
            hoverinfo="skip",
            name=f"{confidence:.0%} interval",
        )
    )
    fig.add_trace(
        go.Scatter(
            x=x,
            y=value,
            mode="lines+markers",
            name=spec.label,
            line={"color": PRIMARY, "width": 2.5},
            marker={"size": 7, "color": PRIMARY},
            hovertext=hover,
            hoverinfo="text",
        )
    )
    if small.any():
        fig.add_trace(
            go.Scatter(
                x=x[small],
                y=value[small],
                mode="markers",
                name=SMALL_SAMPLE_TRACE,
                marker={
                    "size": 9,
                    "color": "white",
                    "symbol": "circle",
                    "line": {"color": GREY, "width": 2},
                },
                hovertext=[h for h, s in zip(hover, small, strict=True) if s],
                hoverinfo="text",
            )
        )
    if partial.any():
        fig.add_trace(
            go.Scatter(
                x=x[partial],
                y=value[partial],
                mode="markers",
                name=PARTIAL_TRACE,
                marker={
                    "size": 11,
                    "color": "white",
                    "symbol": "square-open",
                    "line": {"color": GREY, "width": 2},
                },
                hovertext=[h for h, s in zip(hover, partial, strict=True) if s],
                hoverinfo="text",
            )
        )
    if sig.any():
        changes = data["change"].astype(float)[sig]
        colours = [GOOD if spec.is_good(c) else BAD for c in changes]
        fig.add_trace(
            go.Scatter(
                x=x[sig],
                y=value[sig],
                mode="markers",
                name=SIGNIFICANT_TRACE,
                marker={
                    "size": 13,
                    "symbol": "diamond",
                    "color": colours,
                    "line": {"color": "white", "width": 1.5},
                },
                hovertext=[h for h, s in zip(hover, sig, strict=True) if s],
                hoverinfo="text",
            )
        )
        for when, y, change, colour in zip(x[sig], value[sig], changes, colours, strict=True):
            fig.add_annotation(
                x=when,
                y=y,
                text=f"{'▲' if change > 0 else '▼'} {spec.fmt_change(change)}",
                showarrow=True,
                arrowhead=0,
                arrowcolor=colour,
                ax=0,
                ay=-30 if change > 0 else 30,
                font={"size": 11, "color": colour},
                bgcolor="rgba(255,255,255,0.85)",
            )
    if benchmark is not None and math.isfinite(benchmark):
        fig.add_hline(
            y=benchmark,
            line={"color": MUTED, "width": 1.2, "dash": "dash"},
            annotation_text=benchmark_label or f"benchmark {spec.fmt(benchmark)}",
            annotation_position="top left",
            annotation_font={"size": 11, "color": MUTED},
        )
    _style(fig, height=height)
    fig.update_yaxes(title_text=axis_title(spec))
    if every:
        fig.update_xaxes(title_text=every.capitalize())
    return fig


def _group_labels(df: pd.DataFrame, by: Sequence[str]) -> list[str]:
    parts = [df[col].astype(object).where(df[col].notna(), "(missing)").astype(str) for col in by]
    labels = parts[0]
    for part in parts[1:]:
        labels = labels + " / " + part
    return labels.tolist()


def rank_groups(
    df: pd.DataFrame, metric: str | MetricSpec, by: str | Sequence[str]
) -> pd.DataFrame:
    """Order groups best first and rank them; small-sample groups go last, unranked.

    Args:
        df: a metric by group, as returned by e.g. ``ws.metrics.nps(by=["segment"])``.
        metric: metric key or MetricSpec (gives the better direction).
        by: the grouping column(s) of ``df``.

    Returns:
        ``df`` reordered, with columns ``group`` (the group's label) and ``rank`` (1 = best;
        missing for small-sample groups and groups without a value).

    Example:
        >>> df = pd.DataFrame({"segment": ["a", "b", "c"], "n": [100, 12, 90],
        ...     "value": [10.0, 80.0, 30.0], "ci_low": [5.0, 40.0, 25.0],
        ...     "ci_high": [15.0, 99.0, 35.0], "small_sample": [False, True, False]})
        >>> rank_groups(df, "nps", "segment")[["group", "rank"]].values.tolist()
        [['c', 1], ['a', 2], ['b', <NA>]]
    """
    spec = _spec(metric)
    cols = [by] if isinstance(by, str) else list(by)
    _require(df, [*cols, *_SEGMENT_COLUMNS], "rank_groups")
    data = df.copy()
    data["group"] = _group_labels(data, cols)
    unranked = data["small_sample"].astype(bool) | data["value"].isna()
    ranked = data[~unranked].sort_values(
        "value", ascending=not spec.higher_is_better, kind="mergesort"
    )
    ranked["rank"] = pd.array(range(1, len(ranked) + 1), dtype="Int64")
    rest = data[unranked].sort_values("group", kind="mergesort")
    rest["rank"] = pd.array([pd.NA] * len(rest), dtype="Int64")
    return pd.concat([ranked, rest], ignore_index=True)


def segment_figure(
    df: pd.DataFrame,
    metric: str | MetricSpec,
    by: str | Sequence[str],
    *,
    overall: float | None = None,
    confidence: float = 0.95,
    height: int | None = None,
) -> go.Figure:
    """Horizontal bar chart of a metric per group with interval error bars.

    Groups with enough answers are ranked best first in the metric's colour; groups flagged
    ``small_sample`` are drawn grey at the bottom, labelled "small sample" and not ranked.

    Args:
        df: a metric by group, as returned by e.g. ``ws.metrics.nps(by=["segment"])``
            (columns: the ``by`` columns, n, value, ci_low, ci_high, small_sample).
        metric: metric key or MetricSpec.
        by: the grouping column(s) of ``df``.
        overall: the metric over everyone, drawn as a dashed reference line.
        confidence: the confidence level of the intervals, for hover text.
        height: figure height in pixels (default grows with the number of groups).

    Returns:
        A Plotly figure with a "Ranked" bar trace, a "Small sample (not ranked)" bar trace
        when any group is unranked, and a "Value labels" text trace (value and n per group).

    Example:
        >>> df = pd.DataFrame({"segment": ["a", "b"], "n": [100, 12], "value": [10.0, 80.0],
        ...     "ci_low": [5.0, 40.0], "ci_high": [15.0, 99.0], "small_sample": [False, True]})
        >>> fig = segment_figure(df, "nps", "segment")
        >>> [t.name for t in fig.data]
        ['Ranked', 'Small sample (not ranked)', 'Value labels']
    """
    spec = _spec(metric)
    ranked = rank_groups(df, spec, by)
    small = ranked["small_sample"].astype(bool)
    # Plotly reads its text as light HTML; escape the data's own text so it shows as written
    shown = [html.escape(g, quote=False) for g in ranked["group"].astype(str)]
    ranked["label"] = [f"{g} · small sample" if s else g for g, s in zip(shown, small, strict=True)]
    ranked["value"] = ranked["value"].astype(float)
    of = int(ranked["rank"].max()) if ranked["rank"].notna().any() else 0
    hover = [
        f"<b>{g}</b><br>{spec.label} {spec.fmt(v)}"
        f"<br>{confidence:.0%} interval {spec.fmt(lo)} to {spec.fmt(hi)}<br>n = {int(n):,}"
        + (f"<br>rank {int(r)} of {of}" if not pd.isna(r) else "<br>not ranked")
        + (" (small sample)" if s else "")
        for g, v, lo, hi, n, r, s in zip(
            shown,
            ranked["value"],
            ranked["ci_low"],
            ranked["ci_high"],
            ranked["n"],
            ranked["rank"],
            small,
            strict=True,
        )
    ]
    ranked["hover"] = hover
    fig = go.Figure()
    unranked = ranked["rank"].isna()
    for part, name, colour in (
        (ranked[~unranked], RANKED_TRACE, PRIMARY),
        (ranked[unranked], UNRANKED_TRACE, GREY),
    ):
        if part.empty:
            continue
        fig.add_trace(
            go.Bar(
                x=part["value"],
                y=part["label"],
                orientation="h",
                name=name,
                marker={"color": colour},
                error_x={
                    "type": "data",
                    "symmetric": False,
                    "array": (part["ci_high"].astype(float) - part["value"]).clip(lower=0),
                    "arrayminus": (part["value"] - part["ci_low"].astype(float)).clip(lower=0),
                    "color": MUTED if colour == PRIMARY else GREY,
                    "thickness": 1.5,
                    "width": 5,
                },
                hovertext=part["hover"],
                hoverinfo="text",
            )
        )
    # value and n in one column right of the plot: never on a bar, error bar or the line
    low, high = _value_range(ranked, spec, overall)
    label_x = pd.Series(high, index=ranked.index)
    fig.add_trace(
        go.Scatter(
            x=label_x,
            y=ranked["label"],
            mode="text",
            text=[
                f"  {spec.fmt(v)} · n={int(n):,}"
                for v, n in zip(ranked["value"], ranked["n"], strict=True)
            ],
            textposition="middle right",
            textfont={"size": 12, "color": INK},
            hoverinfo="skip",
            showlegend=False,
            cliponaxis=False,
            name=VALUE_LABELS_TRACE,
        )
    )
    if overall is not None and math.isfinite(overall):
        fig.add_vline(
            x=overall,
            line={"color": INK, "width": 1.2, "dash": "dash"},
            annotation_text=f"all: {spec.fmt(overall)}",
            annotation_position="top",
            annotation_font={"size": 11, "color": MUTED},
        )
    _style(fig, height=height or 110 + 38 * len(ranked))
    fig.update_layout(
        margin={"t": 50, "r": 150, "b": 48}, bargap=0.35, barmode="overlay", showlegend=False
    )
    fig.update_yaxes(autorange="reversed", showgrid=False)
    fig.update_xaxes(title_text=axis_title(spec), range=[low, high])
    return fig


#: Where a metric's scale starts when it does not start at 0: a CES bar begins at 1, the
#: lowest answer, so its length is the distance from "very hard" (a bar from 0 overstates it).
SCALE_FLOOR: dict[str, float] = {"ces": 1.0}


def axis_title(spec: MetricSpec) -> str:
    """Return the axis title of a metric with its unit, e.g. "NPS (points, -100 to 100)".

    Example:
        >>> axis_title(METRICS["ces"]), axis_title(METRICS["csat"])
        ('CES (1-7 scale)', 'CSAT (%)')
    """
    units = {"nps": "points, -100 to 100", "ces": "1-7 scale"}
    unit = units.get(spec.key, "%" if spec.unit == "%" else spec.unit)
    return f"{spec.label} ({unit})" if unit else spec.label


def _value_range(
    ranked: pd.DataFrame, spec: MetricSpec, overall: float | None
) -> tuple[float, float]:
    """Return the x range of a group chart: from the scale's floor (or 0) past every interval."""
    values = pd.concat([ranked["value"], ranked["ci_low"], ranked["ci_high"]]).astype(float)
    if overall is not None and math.isfinite(overall):
        values = pd.concat([values, pd.Series([overall])])
    values = values[np.isfinite(values)]
    floor = SCALE_FLOOR.get(spec.key, 0.0)
    low = min(floor, float(values.min())) if len(values) else floor
    high = max(float(values.max()) if len(values) else floor + 1, floor)
    span = (high - low) or 1.0
    # a margin below only when values go under the floor (negative NPS), one after the top
    return (low - 0.04 * span if low < floor else low), high + 0.04 * span


#: Significant digits kept in a chart's numbers: far more than a reader sees, and few enough
#: that the last-bit noise of a parallel float sum in the engine never changes the page.
CHART_DIGITS = 12


def stable_numbers(node: object) -> object:
    """Return a figure dict with every float rounded to :data:`CHART_DIGITS` significant digits.

    Example:
        >>> stable_numbers({"y": [0.1 + 0.2, 1.0], "name": "a"})
        {'y': [0.3, 1.0], 'name': 'a'}
    """
    if isinstance(node, dict) and str(node.get("dtype", "")).startswith("f") and "bdata" in node:
        return _round_typed_array(node)  # Plotly's base64 form of a float array
    if isinstance(node, dict):
        return {k: stable_numbers(v) for k, v in node.items()}
    if isinstance(node, (list, tuple)):
        return [stable_numbers(v) for v in node]
    if isinstance(node, np.ndarray) and node.dtype.kind == "f":
        return _round_floats(node)
    if isinstance(node, (float, np.floating)) and math.isfinite(node):
        return float(f"{node:.{CHART_DIGITS}g}")
    return node


def _round_typed_array(node: dict) -> dict:
    values = np.frombuffer(base64.b64decode(node["bdata"]), dtype=np.dtype(node["dtype"]))
    rounded = _round_floats(values.astype(float)).astype(values.dtype)
    return {**node, "bdata": base64.b64encode(rounded.tobytes()).decode("ascii")}


def _round_floats(values: np.ndarray) -> np.ndarray:
    flat = [float(f"{v:.{CHART_DIGITS}g}") for v in values.ravel().tolist()]
    return np.array(flat, dtype=values.dtype).reshape(values.shape)


def client_figure(fig: go.Figure) -> go.Figure:
    """Return a copy of ``fig`` in client words (:mod:`cxlens.display`) with stable numbers.

    Example:
        >>> fig = go.Figure(go.Bar(y=["small_business"], x=[0.1 + 0.2]))
        >>> shown = client_figure(fig)
        >>> list(shown.data[0].y), float(shown.data[0].x[0])
        (['Small business'], 0.3)
    """
    return go.Figure(stable_numbers(relabel_figure(fig.to_plotly_json())))


def figure_html(fig: go.Figure, div_id: str) -> str:
    """Return the figure as an HTML fragment that expects Plotly JS to be on the page already.

    The figure is drawn in client words and with stable numbers (:func:`client_figure`).

    Args:
        fig: the figure.
        div_id: id of the chart's ``<div>`` (unique within the page).

    Returns:
        A ``<div>`` and the ``<script>`` that draws into it; no Plotly JS, no links.

    Example:
        >>> "plotly-graph-div" in figure_html(go.Figure(), "chart-1")
        True
    """
    height = fig.layout.height
    return client_figure(fig).to_html(
        full_html=False,
        include_plotlyjs=False,
        div_id=div_id,
        config=CONFIG,
        default_width="100%",
        default_height=f"{height}px" if height else "100%",
    )
