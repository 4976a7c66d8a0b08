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
from cxlens.palette import BAD, GOOD, GREY, GRID, MUTED, PRIMARY

#: What each ``emotion_source`` of :func:`cxlens.journey.emotion.emotion` means, in words.
EMOTION_SOURCES = {
    "scores": "the NPS, CSAT and CES answers mapped to -1 to +1",
    "sentiment": "the sentiment of the comments",
}


def emotion_source_words(source: str) -> str:
    """Return where the emotion curve comes from, in words.

    Example:
        >>> emotion_source_words("scores")
        'the NPS, CSAT and CES answers mapped to -1 to +1'
    """
    return EMOTION_SOURCES.get(source, source)


def _require(df: pd.DataFrame, columns: Sequence[str], what: str) -> None:
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise SchemaError(
            f"{what} needs columns {', '.join(columns)}; missing: {', '.join(missing)} "
            "(pass the table the ws.journey method returns)"
        )


#: The invisible column right of the last one: Plotly writes the labels of a Sankey's last
#: column to the left of its boxes, over the labels of the column before (unreadable in
#: print); with this column last, every touchpoint's label sits to the right of its box.
_EDGE = ""
_CLEAR = "rgba(0, 0, 0, 0)"


def sankey_figure(
    flows: pd.DataFrame, *, title: str | None = "Journey flows", top: int = 6
) -> go.Figure:
    """Return a Sankey diagram of :func:`ws.journey.flows` (nodes are ``step. touchpoint``).

    At each position the ``top`` touchpoints most journeys pass keep their own node; the
    rest are drawn as one node, "Other (N)", so the diagram stays legible on
    screen and in print; journeys that end leave the diagram. Columns are named
    "touchpoint 1", "touchpoint 2"... below. Every label sits right of its box: the journeys
    of the last column flow on into an invisible column, so Plotly does not write that
    column's labels over the one before.

    Example:
        >>> f = pd.DataFrame({"step": [1], "source": ["ad"], "target": ["web"], "count": [3]})
        >>> [n for n in sankey_figure(f).data[0].node.label]
        ['ad', 'web', '']
    """
    _require(flows, ("step", "source", "target", "count"), "the Sankey chart")
    # a journey that ends leaves the diagram: "(end)" nodes crowded the last column
    flows = _keep_top_nodes(flows[~flows["target"].astype(str).eq("(end)")], top)
    src = flows["step"].astype(int).astype(str) + ". " + flows["source"].astype(str)
    dst = (flows["step"].astype(int) + 1).astype(str) + ". " + flows["target"].astype(str)
    nodes = list(dict.fromkeys([*src, *dst]))
    # one column per position, named once on the axis below, so a node says only its touchpoint
    position = [int(node.split(". ", 1)[0]) for node in nodes]
    first, last = min(position), max(position)
    ends = _into_edge(list(dst), flows["count"].astype(int).tolist(), f"{last}. ")
    index = {node: i for i, node in enumerate([*nodes, _EDGE])}
    real = len(nodes)
    fig = go.Figure(
        go.Sankey(
            arrangement="snap",
            node={
                "label": [node.split(". ", 1)[1] for node in nodes] + [_EDGE],
                "customdata": [f"touchpoint {p}" for p in position] + [""],
                "hovertemplate": ["%{label} (%{customdata}): %{value:,} journeys<extra></extra>"]
                * real
                + ["<extra></extra>"],
                "color": [PRIMARY] * real + [_CLEAR],
                "line": {"width": 0},  # one width for all: Plotly reads no list here
                "pad": 16,  # more than a label's height: labels of one column never touch
                "thickness": 16,
                # each node in the column of its position (the default pushes a touchpoint
                # where every journey ends to the last column)
                "align": "left",
            },
            textfont={"size": 11},
            link={
                "source": [index[s] for s in src] + [index[n] for n in ends],
                "target": [index[d] for d in dst] + [index[_EDGE]] * len(ends),
                "value": flows["count"].astype(int).tolist() + list(ends.values()),
                "color": ["rgba(31, 78, 121, 0.25)"] * len(src) + [_CLEAR] * len(ends),
                "hovertemplate": [
                    "%{source.label} → %{target.label}: %{value:,} journeys<extra></extra>"
                ]
                * len(src)
                + ["<extra></extra>"] * len(ends),
            },
        )
    )
    columns = last - first + 1  # and the invisible one: column k sits near k / columns
    for p in range(first, last + 1):
        fig.add_annotation(
            x=(p - first) / columns, y=-0.06, xref="paper", yref="paper",
            text=f"touchpoint {p}", showarrow=False, font={"size": 11, "color": MUTED},
            xanchor="left" if p == first else "center",
        )  # fmt: skip
    style_figure(fig, height=480, title=title)
    # no axes to make room for: the width goes to the gaps the labels are written in
    fig.update_layout(margin={"l": 8, "r": 8})
    return fig


def _into_edge(targets: list[str], counts: list[int], prefix: str) -> dict[str, int]:
    """Return {last-column node: journeys into it}, the flows on into the invisible column."""
    into: dict[str, int] = {}
    for node, count in zip(targets, counts, strict=True):
        if node.startswith(prefix):
            into[node] = into.get(node, 0) + count
    return into


OTHER = "Other"


def _keep_top_nodes(flows: pd.DataFrame, top: int) -> pd.DataFrame:
    """Return ``flows`` with the touchpoints outside each position's ``top`` lumped together."""
    f = flows.copy()
    into = pd.concat([
        f.assign(pos=f["step"], name=f["source"]),
        f.assign(pos=f["step"] + 1, name=f["target"]),
    ]).groupby(["pos", "name"])["count"].sum()  # fmt: skip
    keep: dict[int, set[str]] = {}
    dropped: dict[int, int] = {}
    for pos, part in into.groupby(level="pos"):
        ranked = part.droplevel("pos").sort_values(ascending=False, kind="mergesort")
        names = [n for n in ranked.index if n != "(end)"][:top]
        keep[int(pos)] = {*names, "(end)"}
        dropped[int(pos)] = len(ranked) - len(keep[int(pos)] & set(ranked.index))

    def lump(name: str, pos: int) -> str:
        return name if name in keep[pos] else f"{OTHER} ({dropped[pos]})"

    f["source"] = [lump(n, int(p)) for n, p in zip(f["source"], f["step"], strict=True)]
    f["target"] = [lump(n, int(p) + 1) for n, p in zip(f["target"], f["step"], strict=True)]
    return f.groupby(["step", "source", "target"], as_index=False, sort=False)["count"].sum()


def sankey_positions(flows: pd.DataFrame) -> int:
    """Return how many touchpoints in a row the Sankey of ``flows`` shows (steps + 1).

    Example:
        >>> sankey_positions(pd.DataFrame({"step": [1, 2, 3]}))
        4
    """
    return int(flows["step"].max()) + 1 if len(flows) else 0


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
            name="Emotion",
            customdata=np.c_[e.get("responses", pd.Series(np.nan, index=e.index))],
            hovertemplate="%{x}: %{y:.2f} (n=%{customdata[0]})<extra></extra>",
        )
    )
    fig.add_hline(y=0, line={"color": GREY, "dash": "dot"})
    fig.update_yaxes(title="Emotion (-1 to +1)", range=[-1, 1])
    return style_figure(fig, height=380, title=title)


def journey_map_figure(
    touchpoints: pd.DataFrame,
    emotion: pd.DataFrame | None = None,
    *,
    title: str | None = "Journey map",
) -> go.Figure:
    """Return the journey map: one row per touchpoint, grouped by stage in journey order.

    Each touchpoint is a dot at its share of journeys (size grows with it), on its own row,
    so no two labels can fall on each other; the stages are named at the left of their
    rows. Dots are coloured by the touchpoint's NPS when ``emotion`` is given (grey: no
    answers).

    Example:
        >>> t = pd.DataFrame({"touchpoint": ["ad", "web"], "stage": ["awareness", "awareness"],
        ...                   "journeys": [10, 4], "share_of_journeys": [50.0, 20.0],
        ...                   "mean_relative_position": [0.1, 0.2]})
        >>> journey_map_figure(t).data[0].y.tolist()
        ['ad', 'web']
    """
    cols = ("touchpoint", "stage", "journeys", "share_of_journeys", "mean_relative_position")
    _require(touchpoints, cols, "the journey map")
    t = touchpoints.copy()
    t["stage"] = t["stage"].astype(object).fillna("(no stage)")
    stage_rank = t.groupby("stage")["mean_relative_position"].mean().rank(method="first")
    t = t.assign(_stage=t["stage"].map(stage_rank)).sort_values(
        ["_stage", "mean_relative_position", "touchpoint"], kind="mergesort"
    )
    nps = None
    if emotion is not None and "nps" in emotion.columns:
        nps = t["touchpoint"].map(emotion.set_index("touchpoint")["nps"])
    size = 8 + 22 * np.sqrt(t["share_of_journeys"].to_numpy(float) / 100.0)
    marker: dict = {"size": size, "line": {"color": "white", "width": 1}}
    if nps is not None and nps.notna().any():
        marker |= {"color": nps.fillna(0.0), "colorscale": [[0, BAD], [0.5, "#f2f4f7"], [1, GOOD]],
                   "cmin": -100, "cmax": 100,
                   "colorbar": {"title": {"text": "NPS", "side": "right"},  # not on "100"
                                "thickness": 12, "len": 0.6}}  # fmt: skip
    else:
        marker["color"] = PRIMARY
    fig = go.Figure(
        go.Scatter(
            x=t["share_of_journeys"],
            y=t["touchpoint"],
            mode="markers",
            marker=marker,
            customdata=np.c_[t["stage"].astype(str)],
            hovertemplate="%{y} (%{customdata[0]}): %{x:.1f}% of journeys<extra></extra>",
        )
    )
    rows = t["touchpoint"].tolist()
    for _, part in t.groupby("_stage", sort=True):
        first = rows.index(part["touchpoint"].iloc[0])
        last = rows.index(part["touchpoint"].iloc[-1])
        if first > 0:
            fig.add_hline(y=first - 0.5, line={"color": GRID, "width": 1})
        fig.add_annotation(
            x=0, xref="paper", xanchor="right", xshift=-150, y=(first + last) / 2, yref="y",
            text=f"<b>{part['stage'].iloc[0]}</b>", showarrow=False,
            font={"size": 11, "color": MUTED}, align="right",
        )  # fmt: skip
    fig.update_yaxes(autorange="reversed", categoryorder="array", categoryarray=rows,
                     showgrid=False, title=None, automargin=True)  # fmt: skip
    fig.update_xaxes(title="Share of journeys (%)", rangemode="tozero")
    style_figure(fig, height=110 + 22 * len(t), title=title)
    fig.update_layout(margin={"l": 260})
    return fig


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
                # one number format for every step: "14,642 · 100%", never "14.642k"
                texttemplate="%{value:,.0f} · %{percentInitial:.0%}",
                marker={"color": PRIMARY} if not by else None,
            )
        )
    return style_figure(fig, height=380, title=title)
