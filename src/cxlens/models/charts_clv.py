"""Plotly figures of the CLV analysis: the holdout check, the CLV distribution, LTV:CAC.

Pure functions: each takes a table :func:`cxlens.models.clv.clv` returns and gives back a
``plotly.graph_objects.Figure``; nothing here reads a Workspace or writes a file.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from cxlens.analysis.charts_customers import _require
from cxlens.charting import error_bars, style_figure
from cxlens.models.clv import DEFAULT_TIERS, LTV_CAC_HIGH
from cxlens.money import money_prefix, money_title
from cxlens.palette import BAD, GOOD, GREY, MUTED, PRIMARY

#: Colour of each default CLV tier.
TIER_COLOURS: dict[str, str] = {
    "platinum": PRIMARY,
    "gold": "#b7791f",
    "silver": "#8a94a3",
    "bronze": "#9c4a1a",
}

#: Trace names.
PREDICTED_TRACE = "Predicted (fit on calibration period)"
ACTUAL_TRACE = "Actual"
NORM_LABEL = "3-5x norm"


def holdout_figure(
    holdout: pd.DataFrame, *, height: int = 380, title: str | None = None
) -> go.Figure:
    """Predicted vs actual mean purchases in the holdout period, by calibration frequency.

    Args:
        holdout: ``ClvResult.holdout`` (frequency_cal, customers, predicted, actual,
            actual_ci_low, actual_ci_high; calibration_end and observation_end if present).
        height: figure height in pixels.
        title: optional title (default names the holdout period when the table has it).

    Returns:
        A grouped bar figure with traces "Predicted (fit on calibration period)" and
        "Actual" (with its interval).

    Example:
        >>> h = pd.DataFrame({"frequency_cal": ["0", "1"], "customers": [50, 20],
        ...     "predicted": [0.4, 1.1], "actual": [0.5, 1.0], "actual_ci_low": [0.3, 0.7],
        ...     "actual_ci_high": [0.7, 1.3]})
        >>> [t.name for t in holdout_figure(h).data]
        ['Predicted (fit on calibration period)', 'Actual']
    """
    cols = ["frequency_cal", "customers", "predicted", "actual", "actual_ci_low", "actual_ci_high"]
    _require(holdout, cols, "holdout_figure")
    x = holdout["frequency_cal"].astype(str)
    hover = (
        "%{x} repeat purchases: %{y:.2f}<br>customers %{customdata:,}"
        "<extra>%{fullData.name}</extra>"
    )
    fig = go.Figure(
        [
            go.Bar(
                x=x,
                y=holdout["predicted"].astype(float),
                name=PREDICTED_TRACE,
                marker={"color": PRIMARY},
                customdata=holdout["customers"],
                hovertemplate=hover,
            ),
            go.Bar(
                x=x,
                y=holdout["actual"].astype(float),
                name=ACTUAL_TRACE,
                marker={"color": GREY},
                customdata=holdout["customers"],
                hovertemplate=hover,
                error_y=error_bars(
                    holdout["actual"], holdout["actual_ci_low"], holdout["actual_ci_high"]
                ),
            ),
        ]
    )
    fig.update_layout(barmode="group")
    fig.update_xaxes(title_text="repeat purchases in the calibration period", type="category")
    fig.update_yaxes(title_text="mean purchases in the holdout period")
    window = [holdout[c].iloc[0] for c in ("calibration_end", "observation_end")
              if c in holdout.columns and len(holdout)]  # fmt: skip
    if title is None and len(window) == 2:
        start, end = window
        title = (
            f"Holdout check: purchases after {pd.Timestamp(start).date()} to "
            f"{pd.Timestamp(end).date()}, predicted vs actual"
        )
    return style_figure(fig, height=height, title=title)


def clv_distribution_figure(
    customers: pd.DataFrame,
    *,
    tiers: tuple[tuple[str, float], ...] | None = None,
    bins: int = 40,
    height: int = 380,
    title: str | None = None,
    currency: str = "",
) -> go.Figure:
    """Histogram of CLV per customer, one colour per CLV tier (stacked).

    Args:
        customers: ``ClvResult.customers`` (clv, clv_tier).
        tiers: tier order, best first (default: the tiers found, in the default order).
        bins: number of equal-width bins over the CLV range.
        height: figure height in pixels.
        title: optional title.
        currency: ISO code of the CLV, written on the axis ("" when unknown).

    Returns:
        A stacked bar figure with one trace per tier (named by the tier, with its share of
        customers and of total CLV).

    Example:
        >>> c = pd.DataFrame({"clv": [900.0, 300.0, 100.0, 50.0],
        ...                   "clv_tier": ["platinum", "gold", "silver", "bronze"]})
        >>> [t.name.split(":")[0] for t in clv_distribution_figure(c).data]
        ['platinum', 'gold', 'silver', 'bronze']
    """
    _require(customers, ["clv", "clv_tier"], "clv_distribution_figure")
    values = customers["clv"].astype(float).to_numpy()
    found = list(pd.unique(customers["clv_tier"].astype(str)))
    order = [name for name, _ in (tiers or DEFAULT_TIERS) if name in found]
    order += [name for name in found if name not in order]
    edges = np.linspace(float(values.min()), float(values.max()) or 1.0, bins + 1)
    centres = (edges[:-1] + edges[1:]) / 2
    total = float(values.sum()) or 1.0
    fig = go.Figure()
    for name in order:
        mine = values[customers["clv_tier"].astype(str).to_numpy() == name]
        counts, _ = np.histogram(mine, bins=edges)
        label = (
            f"{name}: {len(mine) / len(values):.0%} of customers, {mine.sum() / total:.0%} of CLV"
        )
        fig.add_trace(
            go.Bar(
                x=centres,
                y=counts,
                width=np.diff(edges),
                name=label,
                marker={"color": TIER_COLOURS.get(name, MUTED)},
                hovertemplate=f"{name}<br>CLV about {money_prefix(currency)}%{{x:,.0f}}: "
                "%{y:,} customers<extra></extra>",
            )
        )
    fig.update_layout(barmode="stack", bargap=0)
    fig.update_xaxes(
        title_text=money_title("CLV per customer (discounted, over the horizon)", currency),
        tickprefix=money_prefix(currency),
    )
    fig.update_yaxes(title_text="customers")
    return style_figure(fig, height=height, title=title)


def ltv_cac_figure(
    table: pd.DataFrame,
    by: str = "segment",
    *,
    low: float = 3.0,
    high: float = LTV_CAC_HIGH,
    height: int = 360,
    title: str | None = None,
) -> go.Figure:
    """LTV:CAC per group with its interval, against the shaded 3-5x band.

    Bars are green inside the band, red below it, amber above it; groups flagged
    ``small_sample`` are grey.

    Args:
        table: ``ClvResult.by_segment`` or ``by_channel`` (from :func:`cxlens.models.clv.ltv_cac`).
        by: its group column.
        low: lower end of the band.
        high: upper end of the band.
        height: figure height in pixels.
        title: optional title.

    Returns:
        A horizontal bar figure (trace "LTV:CAC") with the band as a shape.

    Example:
        >>> t = pd.DataFrame({"segment": ["a", "b"], "ltv_cac": [2.0, 4.0],
        ...     "ltv_cac_ci_low": [1.5, 3.5], "ltv_cac_ci_high": [2.5, 4.5],
        ...     "customers_with_cac": [100, 80], "status": ["below 3x", "3-5x"],
        ...     "small_sample": [False, False]})
        >>> len(ltv_cac_figure(t).layout.shapes)
        1
    """
    cols = [
        by,
        "ltv_cac",
        "ltv_cac_ci_low",
        "ltv_cac_ci_high",
        "customers_with_cac",
        "status",
        "small_sample",
    ]
    _require(table, cols, "ltv_cac_figure")
    rows = table.dropna(subset=["ltv_cac"])
    value = rows["ltv_cac"].astype(float)
    colours = [
        GREY if small else GOOD if low <= v <= high else BAD if v < low else "#b7791f"
        for v, small in zip(value, rows["small_sample"].astype(bool), strict=True)
    ]
    fig = go.Figure(
        go.Bar(
            y=rows[by].astype(str),
            x=value,
            orientation="h",
            name="LTV:CAC",
            marker={"color": colours},
            error_x=error_bars(value, rows["ltv_cac_ci_low"], rows["ltv_cac_ci_high"]),
            customdata=np.column_stack([rows["customers_with_cac"], rows["status"].astype(str)]),
            hovertemplate="%{y}: %{x:.2f}x<br>%{customdata[1]}<br>customers with a cost "
            "%{customdata[0]:,}<extra></extra>",
        )
    )
    fig.add_vrect(
        x0=low,
        x1=high,
        fillcolor=GOOD,
        opacity=0.12,
        line_width=0,
        annotation_text=NORM_LABEL,
        annotation_position="top left",
    )
    fig.update_xaxes(title_text="CLV / acquisition cost", rangemode="tozero")
    fig.update_yaxes(autorange="reversed")
    return style_figure(fig, height=height, title=title)
