"""Plotly figures for the customer analyses: monetisation, loyalty matrix, RFM and segments.

Pure functions: each takes the tidy table an analysis returns and gives back a
``plotly.graph_objects.Figure``; nothing here reads a Workspace or writes a file.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from cxlens.analysis.segments import RFM_GRID
from cxlens.charting import error_bars, label_places, style_figure
from cxlens.errors import SchemaError
from cxlens.money import format_money, money_prefix, money_title
from cxlens.palette import BAD, GOOD, GREY, INK, PRIMARY

#: Colour of each NPS group and loyalty quadrant.
GROUP_COLOURS: dict[str, str] = {
    "promoter": GOOD,
    "passive": "#8a94a3",
    "detractor": BAD,
    "loyalists": GOOD,
    "mercenaries": "#b7791f",
    "hostages": "#6b46c1",
    "defectors": BAD,
}

#: Trace name of segments too small to rank.
UNRANKED_TRACE = "Small sample (not ranked)"


def _require(df: pd.DataFrame, columns: Sequence[str], what: str) -> None:
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise SchemaError(
            f"{what} needs columns {', '.join(columns)}; missing: {', '.join(missing)} "
            "(pass the table the analysis returns)"
        )


#: Columns of a segment profile that are money (value per customer): their axis names the
#: currency.
MONEY_COLUMNS = frozenset({"value_per_customer", "revenue_per_customer", "clv", "clv_mean"})


def correlations_figure(
    table: pd.DataFrame, method: str = "spearman", *, height: int = 380, title: str | None = None
) -> go.Figure:
    """Dot plot of correlations with their intervals, one row per score and outcome.

    Args:
        table: from :func:`cxlens.analysis.monetization.correlations`.
        method: ``"spearman"``, ``"pearson"`` or ``"partial"`` (partial_r).
        height: figure height in pixels.
        title: optional title.

    Returns:
        A figure with one trace per score.

    Example:
        >>> t = pd.DataFrame({"score": ["nps"], "outcome": ["revenue"], "spearman": [0.2],
        ...     "spearman_ci_low": [0.1], "spearman_ci_high": [0.3], "n": [500]})
        >>> [tr.name for tr in correlations_figure(t).data]
        ['NPS']
    """
    column = {"spearman": "spearman", "pearson": "pearson", "partial": "partial_r"}.get(method)
    if column is None:
        raise SchemaError(f"method must be spearman, pearson or partial; got {method!r}")
    low_col = f"{method}_ci_low" if method != "partial" else "partial_ci_low"
    high_col = f"{method}_ci_high" if method != "partial" else "partial_ci_high"
    _require(table, ["score", "outcome", "n", column, low_col, high_col], "correlations_figure")
    fig = go.Figure()
    for score, rows in table.groupby("score", sort=False):
        fig.add_trace(
            go.Scatter(
                x=rows[column].astype(float),
                y=rows["outcome"],
                mode="markers",
                orientation="h",
                name=str(score).upper(),
                error_x=error_bars(rows[column], rows[low_col], rows[high_col]),
                marker={"size": 10},
                customdata=np.column_stack([rows["n"]]),
                hovertemplate=f"{str(score).upper()} vs %{{y}}: %{{x:.3f}}"
                "<br>n = %{customdata[0]:,}<extra></extra>",
            )
        )
    fig.add_vline(x=0, line={"color": GREY, "width": 1})
    lows = pd.to_numeric(table[low_col], errors="coerce").fillna(0.0)
    highs = pd.to_numeric(table[high_col], errors="coerce").fillna(0.0)
    span = [max(-1.0, min(-0.1, float(lows.min()) - 0.05)),
            min(1.0, max(0.1, float(highs.max()) + 0.05))]  # fmt: skip
    fig.update_xaxes(title_text=f"{method} correlation", range=span)
    fig.update_layout(scattermode="group")
    return style_figure(fig, height=height, title=title)


def value_by_nps_group_figure(
    groups: pd.DataFrame, *, height: int = 360, title: str | None = None, currency: str = ""
) -> go.Figure:
    """Revenue per customer and retention rate per NPS group, with intervals.

    Args:
        groups: from :func:`cxlens.analysis.monetization.value_by_nps_group`.
        height: figure height in pixels.
        title: optional title.
        currency: ISO code of the revenue, written in its panel title and on its ticks
            ("$120"; "" when unknown).

    Returns:
        A two-panel bar figure (traces "Revenue per customer", "Retention rate").

    Example:
        >>> g = pd.DataFrame({"nps_group": ["promoter", "detractor"], "customers": [80, 20],
        ...     "revenue_per_customer": [120.0, 90.0], "revenue_ci_low": [110.0, 70.0],
        ...     "revenue_ci_high": [130.0, 110.0], "retention_rate": [90.0, 70.0],
        ...     "retention_ci_low": [82.0, 48.0], "retention_ci_high": [95.0, 85.0]})
        >>> [t.name for t in value_by_nps_group_figure(g).data]
        ['Revenue per customer', 'Retention rate']
    """
    cols = [
        "nps_group",
        "customers",
        "revenue_per_customer",
        "revenue_ci_low",
        "revenue_ci_high",
        "retention_rate",
        "retention_ci_low",
        "retention_ci_high",
    ]
    _require(groups, cols, "value_by_nps_group_figure")
    fig = make_subplots(
        rows=1,
        cols=2,
        subplot_titles=(
            money_title("Revenue per customer, 12 months", currency),
            "Retention rate (%)",
        ),
    )
    colours = [GROUP_COLOURS.get(str(g), PRIMARY) for g in groups["nps_group"]]
    money = money_prefix(currency)
    for col, (name, prefix) in enumerate(
        (("Revenue per customer", "revenue"), ("Retention rate", "retention")), start=1
    ):
        value = groups[f"{prefix}_per_customer" if prefix == "revenue" else "retention_rate"]
        shown = f"{money}%{{y:,.1f}}" if prefix == "revenue" else "%{y:,.1f}%"
        hover = f"%{{x}}: {shown}<br>customers %{{customdata:,}}<extra></extra>"
        fig.add_trace(
            go.Bar(
                x=groups["nps_group"],
                y=value.astype(float),
                name=name,
                marker={"color": colours},
                error_y=error_bars(value, groups[f"{prefix}_ci_low"], groups[f"{prefix}_ci_high"]),
                customdata=groups["customers"],
                hovertemplate=hover,
                showlegend=False,
            ),
            row=1,
            col=col,
        )
    fig.update_yaxes(tickprefix=money, separatethousands=True, row=1, col=1)
    fig = style_figure(fig, height=height, title=title)
    fig.update_layout(margin={"t": 80 if title else 56})  # room for the panel titles
    return fig


def nps_uplift_figure(
    uplift: object, *, height: int = 340, title: str | None = None, currency: str = ""
) -> go.Figure:
    """Projected 12-month revenue effect of each NPS move, with its interval.

    Args:
        uplift: an ``NpsUplift`` (from :func:`cxlens.analysis.monetization.nps_uplift`) or
            its ``table``.
        height: figure height in pixels.
        title: optional title (default names the points gained).
        currency: ISO code of the revenue, written on the axis ("" when unknown).

    Returns:
        A horizontal bar figure (trace "Projected revenue").

    Example:
        >>> t = pd.DataFrame({"move": ["detractor → passive"], "projected_revenue": [900.0],
        ...     "projected_revenue_ci_low": [100.0], "projected_revenue_ci_high": [1700.0],
        ...     "customers_moved": [45.0], "feasible": [True]})
        >>> nps_uplift_figure(t).data[0].name
        'Projected revenue'
    """
    table = getattr(uplift, "table", uplift)
    points = getattr(uplift, "points", None)
    if not isinstance(table, pd.DataFrame):
        raise SchemaError("nps_uplift_figure needs an NpsUplift or its table")
    cols = ["move", "projected_revenue", "projected_revenue_ci_low", "projected_revenue_ci_high",
            "customers_moved", "feasible"]  # fmt: skip
    _require(table, cols, "nps_uplift_figure")
    value = table["projected_revenue"].astype(float)
    colours = [GOOD if v >= 0 else BAD for v in value]
    fig = go.Figure(
        go.Bar(
            y=table["move"],
            x=value,
            orientation="h",
            name="Projected revenue",
            marker={"color": colours},
            error_x=error_bars(
                value, table["projected_revenue_ci_low"], table["projected_revenue_ci_high"]
            ),
            customdata=np.column_stack([table["customers_moved"], table["feasible"]]),
            hovertemplate=f"%{{y}}: {money_prefix(currency)}%{{x:,.0f}} per 12 months<br>"
            "customers moved "
            "%{customdata[0]:,.0f}<br>feasible: %{customdata[1]}<extra></extra>",
        )
    )
    fig.add_vline(x=0, line={"color": GREY, "width": 1})
    fig.update_xaxes(title_text=money_title("projected revenue effect, 12 months", currency))
    fig.update_yaxes(autorange="reversed")
    if title is None and points is not None:
        title = f"Revenue effect of +{points:g} NPS points (see assumptions)"
    return style_figure(fig, height=height, title=title)


def loyalty_matrix_figure(
    summary: pd.DataFrame,
    *,
    attitude: str | None = None,
    behaviour: str | None = None,
    height: int = 420,
    title: str | None = None,
    currency: str = "",
) -> go.Figure:
    """Draw the loyalty matrix as 2 × 2 tiles: attitude up, behaviour across.

    Each tile shows the quadrant, its customers and share, revenue per customer and share of
    revenue; a quadrant flagged ``small_sample`` says so.

    Args:
        summary: from :func:`cxlens.analysis.loyalty.loyalty_matrix` (its ``summary``).
        attitude: the attitude measure, named on the vertical axis (``matrix.attitude``).
        behaviour: the behaviour measure, named across (``matrix.behaviour``).
        height: figure height in pixels.
        title: optional title.
        currency: ISO code of the revenue, written with each tile's revenue per customer
            ("$1,234"; "" when unknown).

    Returns:
        A figure with one heatmap trace (colour = share of revenue) and four annotations.

    Example:
        >>> s = pd.DataFrame({"quadrant": ["loyalists", "mercenaries", "hostages", "defectors"],
        ...     "attitude": ["high", "high", "low", "low"],
        ...     "behaviour": ["high", "low", "high", "low"], "customers": [40, 30, 20, 10],
        ...     "share": [.4, .3, .2, .1], "revenue_per_customer": [90.0, 50.0, 80.0, 20.0],
        ...     "revenue_share": [.5, .2, .25, .05], "small_sample": [False] * 4})
        >>> len(loyalty_matrix_figure(s).layout.annotations)
        4
    """
    cols = ["quadrant", "attitude", "behaviour", "customers", "share",
            "revenue_per_customer", "revenue_share", "small_sample"]  # fmt: skip
    _require(summary, cols, "loyalty_matrix_figure")
    rows = {(r.attitude, r.behaviour): r for r in summary.itertuples()}
    levels = ("low", "high")
    z = [[float(getattr(rows.get((a, b)), "revenue_share", np.nan)) for b in levels]
         for a in levels]  # fmt: skip
    fig = go.Figure(
        go.Heatmap(
            z=z,
            x=["low behaviour", "high behaviour"],
            y=["low attitude", "high attitude"],
            colorscale=[[0, "#f3f6fa"], [1, "#9fb8d3"]],
            zmin=0,
            zmax=1,
            showscale=False,
            hoverinfo="skip",
            name="Revenue share",
        )
    )
    for (a, b), r in rows.items():
        flag = "<br><i>small sample</i>" if r.small_sample else ""
        text = (
            f"<b>{r.quadrant}</b><br>{r.customers:,} customers ({r.share:.0%})"
            f"<br>revenue / customer {format_money(r.revenue_per_customer, currency)}"
            f"<br>{float(r.revenue_share):.0%} of revenue{flag}"
        )
        fig.add_annotation(
            x=levels.index(b), y=levels.index(a), text=text, showarrow=False,
            font={"color": GROUP_COLOURS.get(r.quadrant, INK), "size": 13},
        )  # fmt: skip
    fig.update_xaxes(title_text=f"behaviour: {behaviour}" if behaviour else "behaviour")
    fig.update_yaxes(title_text=f"attitude: {attitude}" if attitude else "attitude")
    return style_figure(fig, height=height, title=title)


def rfm_grid_figure(rfm: pd.DataFrame, *, height: int = 420, title: str | None = None) -> go.Figure:
    """Show customers on the R × FM grid, each cell named by its RFM segment.

    Args:
        rfm: from :func:`cxlens.analysis.segments.rfm` (r_score, fm_score).
        height: figure height in pixels.
        title: optional title.

    Returns:
        A heatmap figure (trace "Customers") with counts and segment names as text.

    Example:
        >>> r = pd.DataFrame({"r_score": [5, 1], "fm_score": [5, 1]})
        >>> int(np.nansum(rfm_grid_figure(r).data[0].z))
        2
    """
    _require(rfm, ["r_score", "fm_score"], "rfm_grid_figure")
    counts = pd.crosstab(rfm["r_score"], rfm["fm_score"]).reindex(
        index=range(1, 6), columns=range(1, 6), fill_value=0
    )
    text = [[f"{RFM_GRID[r][f - 1]}<br>{counts.loc[r, f]:,}" for f in range(1, 6)]
            for r in range(1, 6)]  # fmt: skip
    fig = go.Figure(
        go.Heatmap(
            z=counts.to_numpy(),
            x=[str(f) for f in range(1, 6)],
            y=[str(r) for r in range(1, 6)],
            text=text,
            texttemplate="%{text}",
            colorscale=[[0, "#f3f6fa"], [1, PRIMARY]],
            name="Customers",
            hovertemplate="R %{y}, FM %{x}: %{z:,} customers<extra></extra>",
            showscale=False,
        )
    )
    fig.update_xaxes(title_text="FM score (mean of frequency and monetary scores)")
    fig.update_yaxes(title_text="R score (5 = most recent)")
    return style_figure(fig, height=height, title=title)


def segment_profile_figure(
    table: pd.DataFrame,
    by: str = "cluster",
    *,
    x: str = "nps",
    y: str = "value_per_customer",
    height: int = 420,
    title: str | None = None,
    currency: str = "",
) -> go.Figure:
    """Bubble chart of segments: NPS across, value per customer up, size = customers.

    Segments flagged ``small_sample`` are drawn grey in their own trace and not ranked.

    Args:
        table: a segment profile (``clusters(...).profile`` or :func:`segment_profile`).
        by: the segment column.
        x: column for the horizontal axis.
        y: column for the vertical axis.
        height: figure height in pixels.
        title: optional title.
        currency: ISO code of the money columns (:data:`MONEY_COLUMNS`), written in their
            axis title and ticks ("" when unknown).

    Returns:
        A figure with traces "Ranked" and, when any, "Small sample (not ranked)".

    Example:
        >>> t = pd.DataFrame({"cluster": ["C1", "C2"], "customers": [900, 12],
        ...     "nps": [20.0, -5.0], "value_per_customer": [300.0, 80.0],
        ...     "small_sample": [False, True]})
        >>> [tr.name for tr in segment_profile_figure(t).data]
        ['Ranked', 'Small sample (not ranked)']
    """
    _require(table, [by, "customers", x, y, "small_sample"], "segment_profile_figure")
    fig = go.Figure()
    biggest = max(float(table["customers"].max()), 1.0)
    sizes = 12 + 48 * np.sqrt(table["customers"].astype(float) / biggest)
    x_range, y_range = _padded(table[x]), _padded(table[y])
    points = [(float(a), float(b), str(c), float(d))
              for a, b, c, d in zip(table[x], table[y], table[by], sizes, strict=True)]  # fmt: skip
    places = pd.Series(
        label_places(points, x_range=x_range, y_range=y_range, height=height - 76.0, font=13.0),
        index=table.index,
    )
    for name, part, colour in (
        ("Ranked", table[~table["small_sample"].astype(bool)], PRIMARY),
        (UNRANKED_TRACE, table[table["small_sample"].astype(bool)], GREY),
    ):
        if part.empty:
            continue
        described = part["description"] if "description" in part else part[by]
        fig.add_trace(
            go.Scatter(
                x=part[x].astype(float),
                y=part[y].astype(float),
                mode="markers+text",
                text=part[by].astype(str),
                textposition=places[part.index].tolist(),  # labels clear of each other
                name=name,
                marker={
                    "size": sizes[part.index],
                    "color": colour,
                    "opacity": 0.7,
                    "line": {"color": "white", "width": 1},
                },
                customdata=np.column_stack([part["customers"], described.astype(str)]),
                hovertemplate="<b>%{text}</b> (%{customdata[0]:,} customers)<br>"
                "%{customdata[1]}<br>"
                + f"{x} {_prefix(x, currency)}%{{x:.1f}}, "
                + f"{y} {_prefix(y, currency)}%{{y:,.0f}}<extra></extra>",
            )
        )
    fig.update_xaxes(**_profile_axis(x, currency), range=list(x_range))
    fig.update_yaxes(**_profile_axis(y, currency), range=list(y_range))
    return style_figure(fig, height=height, title=title)


def _padded(values: pd.Series, share: float = 0.15) -> tuple[float, float]:
    """Return the range of ``values`` widened by ``share`` of its span each way (bubbles fit)."""
    v = values.astype(float)
    low, high = float(v.min()), float(v.max())
    pad = share * ((high - low) or abs(high) or 1.0)
    return low - pad, high + pad


def _prefix(column: str, currency: str) -> str:
    """Return the currency prefix of a money column's numbers ("" for any other column)."""
    return money_prefix(currency) if column in MONEY_COLUMNS else ""


def _profile_axis(column: str, currency: str) -> dict[str, object]:
    """Return a profile axis's title (with the currency for money) and tick prefix."""
    words = column.replace("_", " ")
    if column not in MONEY_COLUMNS:
        return {"title_text": words}
    return {"title_text": money_title(words, currency), "tickprefix": _prefix(column, currency)}
