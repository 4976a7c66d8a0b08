"""Plotly figures for the offer models: an affinity heatmap and hit rate at k, model vs baseline.

Pure functions: each takes the tidy table an offers function returns and gives back a
``plotly.graph_objects.Figure``; nothing here reads a Workspace or writes a file.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from cxlens.charting import style_figure
from cxlens.errors import SchemaError
from cxlens.palette import GREY, MUTED, PRIMARY

#: Bar colour of each evaluated method.
METHOD_COLOURS: dict[str, str] = {"model": PRIMARY, "popularity": GREY}


def _require(df: pd.DataFrame, columns: Sequence[str], what: str) -> None:
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise SchemaError(
            f"{what} needs columns {', '.join(columns)}; missing: {', '.join(missing)} "
            "(pass the table the offers function returns)"
        )


def affinity_heatmap(
    rules: pd.DataFrame, *, top: int = 15, height: int = 460, title: str | None = None
) -> go.Figure:
    """Heatmap of lift between the items of the top rules (by lift), antecedent x consequent.

    Only significant rules not flagged ``small_sample`` are ranked when those columns exist;
    cells without such a rule stay empty.

    Args:
        rules: from :func:`cxlens.models.offers.affinities`.
        top: how many rules to pick the items from.
        height: figure height in pixels.
        title: optional title.

    Returns:
        A figure with one heatmap trace (log2 colour scale centred on lift 1).

    Example:
        >>> r = pd.DataFrame({"antecedent": ["A", "B"], "consequent": ["B", "A"],
        ...     "lift": [2.0, 2.0], "confidence": [0.5, 0.4], "baskets_with_both": [8, 8]})
        >>> list(affinity_heatmap(r).data[0].x)
        ['A', 'B']
    """
    _require(rules, ["antecedent", "consequent", "lift", "confidence", "baskets_with_both"],
             "affinity_heatmap")  # fmt: skip
    shown = rules
    if "significant" in shown.columns:
        shown = shown[shown["significant"].astype(bool)]
    if "small_sample" in shown.columns:
        shown = shown[~shown["small_sample"].astype(bool)]
    best = shown.sort_values("lift", ascending=False, kind="mergesort").head(top)
    names = sorted(set(best["antecedent"]) | set(best["consequent"]))
    cells = shown[shown["antecedent"].isin(names) & shown["consequent"].isin(names)]
    grid = cells.pivot_table(index="antecedent", columns="consequent", values="lift",
                             aggfunc="first").reindex(index=names, columns=names)  # fmt: skip
    conf = cells.pivot_table(index="antecedent", columns="consequent", values="confidence",
                             aggfunc="first").reindex(index=names, columns=names)  # fmt: skip
    both = cells.pivot_table(index="antecedent", columns="consequent", values="baskets_with_both",
                             aggfunc="first").reindex(index=names, columns=names)  # fmt: skip
    lift = grid.to_numpy(dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.log2(lift)
    reach = float(np.nanmax(np.abs(z))) if np.isfinite(z).any() else 1.0
    fig = go.Figure(
        go.Heatmap(
            x=names,
            y=names,
            z=z,
            zmid=0,
            zmin=-reach,
            zmax=reach,
            colorscale=[[0, "#b42318"], [0.5, "#f4f5f7"], [1, PRIMARY]],
            customdata=np.dstack([lift, conf.to_numpy(dtype=float), both.to_numpy(dtype=float)]),
            hovertemplate="%{y} → %{x}<br>lift %{customdata[0]:.2f}"
            "<br>confidence %{customdata[1]:.1%}<br>baskets %{customdata[2]:,}<extra></extra>",
            colorbar={"title": "lift", "tickvals": [-2, -1, 0, 1, 2],
                      "ticktext": ["0.25", "0.5", "1", "2", "4"]},
        )
    )  # fmt: skip
    fig.update_xaxes(title="consequent (then buys)", tickangle=-35)
    fig.update_yaxes(title="antecedent (owns)", autorange="reversed")
    return style_figure(fig, height=height, title=title)


def hit_rate_figure(
    evaluation: pd.DataFrame, *, height: int = 360, title: str | None = None
) -> go.Figure:
    """Draw grouped bars of hit rate at each k, model vs popularity, with Wilson intervals.

    Args:
        evaluation: from :func:`cxlens.models.offers.evaluate_offers`.
        height: figure height in pixels.
        title: optional title.

    Returns:
        A figure with one bar trace per method.

    Example:
        >>> e = pd.DataFrame({"method": ["model", "popularity"], "k": [3, 3],
        ...     "hit_rate": [0.5, 0.3], "hit_rate_ci_low": [0.4, 0.2],
        ...     "hit_rate_ci_high": [0.6, 0.4], "customers": [100, 100]})
        >>> [t.name for t in hit_rate_figure(e).data]
        ['model', 'popularity']
    """
    _require(evaluation, ["method", "k", "hit_rate", "hit_rate_ci_low", "hit_rate_ci_high",
                          "customers"], "hit_rate_figure")  # fmt: skip
    fig = go.Figure()
    for method, rows in evaluation.groupby("method", sort=False):
        v = rows["hit_rate"].astype(float).to_numpy()
        up = rows["hit_rate_ci_high"].astype(float).to_numpy() - v
        down = v - rows["hit_rate_ci_low"].astype(float).to_numpy()
        fig.add_trace(
            go.Bar(
                x=[f"k = {k}" for k in rows["k"]],
                y=v,
                name=str(method),
                marker_color=METHOD_COLOURS.get(str(method), MUTED),
                error_y={
                    "type": "data",
                    "symmetric": False,
                    "array": np.clip(up, 0, None),
                    "arrayminus": np.clip(down, 0, None),
                    "color": MUTED,
                },
                customdata=np.column_stack([rows["customers"]]),
                hovertemplate=f"{method}, %{{x}}: %{{y:.1%}}"
                "<br>n = %{customdata[0]:,}<extra></extra>",
            )
        )
    fig.update_layout(barmode="group")
    fig.update_yaxes(title="hit rate (customers with a bought offer)", tickformat=".0%",
                     rangemode="tozero")  # fmt: skip
    return style_figure(fig, height=height, title=title)
