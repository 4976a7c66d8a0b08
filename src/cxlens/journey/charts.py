"""Plotly figures of the journey tables: Sankey of flows, journey map, emotion curve, funnel.

Pure functions: each takes the tidy table a ``ws.journey`` method returns and gives back a
``plotly.graph_objects.Figure``; nothing here reads a Workspace or writes a file.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from cxlens.charting import style_figure
from cxlens.errors import SchemaError
from cxlens.palette import BAD, GOOD, GREY, MUTED, PRIMARY


def _require(df: pd.DataFrame, columns: Sequence[str], what: str) -> None:
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise SchemaError(
            f"{what} needs columns {', '.join(columns)}; missing: {', '.join(missing)} "
            "(pass the table the ws.journey method returns)"
        )


def sankey_figure(flows: pd.DataFrame, *, title: str | None = "Journey flows") -> go.Figure:
    """Return a Sankey diagram of :func:`ws.journey.flows` (nodes are ``step. touchpoint``).

    Example:
        >>> f = pd.DataFrame({"step": [1], "source": ["ad"], "target": ["web"], "count": [3]})
        >>> len(sankey_figure(f).data[0].node.label)
        2
    """
    _require(flows, ("step", "source", "target", "count"), "the Sankey chart")
    src = flows["step"].astype(int).astype(str) + ". " + flows["source"].astype(str)
    dst = (flows["step"].astype(int) + 1).astype(str) + ". " + flows["target"].astype(str)
    labels = list(dict.fromkeys([*src, *dst]))
    index = {label: i for i, label in enumerate(labels)}
    colours = [GREY if label.endswith("(end)") else PRIMARY for label in labels]
    fig = go.Figure(
        go.Sankey(
            node={"label": labels, "color": colours, "pad": 12, "thickness": 14},
            link={
                "source": [index[s] for s in src],
                "target": [index[d] for d in dst],
                "value": flows["count"].astype(int).tolist(),
                "color": "rgba(31, 78, 121, 0.25)",
            },
        )
    )
    return style_figure(fig, height=460, title=title)


def emotion_curve_figure(
    emotion: pd.DataFrame, *, title: str | None = "Emotion along the journey"
) -> go.Figure:
    """Return the journey emotion curve: emotion per touchpoint in journey order, with intervals.

    Example:
        >>> e = pd.DataFrame({"touchpoint": ["a", "b"], "emotion": [0.4, -0.2],
        ...                   "emotion_ci_low": [0.3, -0.3], "emotion_ci_high": [0.5, -0.1],
        ...                   "emotion_source": ["scores"] * 2, "responses": [40, 50]})
        >>> emotion_curve_figure(e).data[0].y.tolist()
        [0.4, -0.2]
    """
    cols = ("touchpoint", "emotion", "emotion_ci_low", "emotion_ci_high", "emotion_source")
    _require(emotion, cols, "the emotion curve")
    e = emotion.dropna(subset=["emotion"])
    colours = [GOOD if v >= 0 else BAD for v in e["emotion"]]
    source = str(e["emotion_source"].iloc[0]) if len(e) else "scores"
    fig = go.Figure(
        go.Scatter(
            x=e["touchpoint"],
            y=e["emotion"],
            mode="lines+markers",
            line={"color": PRIMARY, "width": 3, "shape": "spline"},
            marker={"size": 11, "color": colours},
            error_y={
                "type": "data",
                "array": (e["emotion_ci_high"] - e["emotion"]).to_numpy(),
                "arrayminus": (e["emotion"] - e["emotion_ci_low"]).to_numpy(),
                "color": MUTED,
                "thickness": 1,
            },
            name=f"emotion ({source})",
            customdata=np.c_[e.get("responses", pd.Series(np.nan, index=e.index))],
            hovertemplate="%{x}: %{y:.2f} (n=%{customdata[0]})<extra></extra>",
        )
    )
    fig.add_hline(y=0, line={"color": GREY, "dash": "dot"})
    fig.update_yaxes(title="emotion (-1 to +1)", range=[-1, 1])
    return style_figure(fig, height=380, title=title)


def journey_map_figure(
    touchpoints: pd.DataFrame,
    emotion: pd.DataFrame | None = None,
    *,
    title: str | None = "Journey map",
) -> go.Figure:
    """Return the journey map: touchpoints by stage (x, journey order) and reach (bubble size).

    Bubbles are coloured by the touchpoint's NPS when ``emotion`` is given (grey: no answers).

    Example:
        >>> t = pd.DataFrame({"touchpoint": ["ad"], "stage": ["awareness"], "journeys": [10],
        ...                   "share_of_journeys": [50.0], "mean_relative_position": [0.1]})
        >>> journey_map_figure(t).data[0].x.tolist()
        ['awareness']
    """
    cols = ("touchpoint", "stage", "journeys", "share_of_journeys", "mean_relative_position")
    _require(touchpoints, cols, "the journey map")
    t = touchpoints.copy()
    t["stage"] = t["stage"].fillna("(no stage)")
    order = t.groupby("stage")["mean_relative_position"].mean().sort_values().index.tolist()
    nps = None
    if emotion is not None and "nps" in emotion.columns:
        nps = t["touchpoint"].map(emotion.set_index("touchpoint")["nps"])
    size = 12 + 40 * np.sqrt(t["share_of_journeys"].to_numpy(float) / 100.0)
    marker: dict = {"size": size, "line": {"color": "white", "width": 1}}
    if nps is not None and nps.notna().any():
        marker |= {"color": nps.fillna(0.0), "colorscale": [[0, BAD], [0.5, "#f2f4f7"], [1, GOOD]],
                   "cmin": -100, "cmax": 100, "colorbar": {"title": "NPS"}}  # fmt: skip
    else:
        marker["color"] = PRIMARY
    fig = go.Figure(
        go.Scatter(
            x=t["stage"],
            y=t["share_of_journeys"],
            mode="markers+text",
            text=t["touchpoint"],
            textposition="top center",
            marker=marker,
            hovertemplate="%{text}: %{y:.1f}% of journeys<extra></extra>",
        )
    )
    fig.update_xaxes(categoryorder="array", categoryarray=order, title="stage")
    fig.update_yaxes(title="share of journeys (%)")
    return style_figure(fig, height=460, title=title)


def funnel_figure(funnel: pd.DataFrame, *, title: str | None = "Funnel") -> go.Figure:
    """Return the funnel chart (one funnel per ``by`` group when the table has groups).

    Example:
        >>> f = pd.DataFrame({"step": [1, 2], "name": ["a", "b"], "entered": [10, 4],
        ...                   "conversion": [100.0, 40.0]})
        >>> funnel_figure(f).data[0].x.tolist()
        [10, 4]
    """
    _require(funnel, ("step", "name", "entered", "conversion"), "the funnel chart")
    known = {"step", "name", "entered", "conversion"}
    by = [c for c in funnel.columns[: list(funnel.columns).index("step")] if c not in known]
    groups = funnel.groupby(by, dropna=False, sort=False) if by else [("all", funnel)]
    fig = go.Figure()
    for key, g in groups:
        label = " · ".join(map(str, key)) if isinstance(key, tuple) else str(key)
        fig.add_trace(
            go.Funnel(
                y=g["name"],
                x=g["entered"],
                name=label,
                textinfo="value+percent initial",
                marker={"color": PRIMARY} if not by else None,
            )
        )
    return style_figure(fig, height=380, title=title)
