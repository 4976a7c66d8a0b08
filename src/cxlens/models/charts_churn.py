"""Plotly figures of the churn model and survival tables, in the house look.

Pure functions: each takes a tidy table that :mod:`cxlens.models.churn_analysis` or
:mod:`cxlens.models.survival` returns and gives back a ``plotly.graph_objects.Figure``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from cxlens.charting import style_figure
from cxlens.errors import SchemaError
from cxlens.palette import BAD, GOOD, GREY, MUTED, PRIMARY

#: Line colours of survival groups, in order.
SERIES = (PRIMARY, BAD, GOOD, "#b7791f", "#6b46c1", MUTED, "#0f766e", "#9d174d")


def _require(df: pd.DataFrame, columns: Sequence[str], what: str) -> None:
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise SchemaError(
            f"{what} needs columns {', '.join(columns)}; missing: {', '.join(missing)} "
            "(pass the table the churn model or survival function returns)"
        )


def calibration_figure(
    calibration: pd.DataFrame, *, height: int = 380, title: str | None = "Calibration (held out)"
) -> go.Figure:
    """Predicted against observed churn per bin, with the observed rate's interval.

    Args:
        calibration: ``ChurnResult.calibration`` (bin, n, predicted_mean, observed_rate,
            ci_low, ci_high).
        height: figure height in pixels.
        title: figure title (None for none).

    Returns:
        Figure: the diagonal (perfect calibration) and one marker per bin.

    Example:
        >>> calibration_figure(result.calibration)  # doctest: +SKIP
    """
    _require(calibration, ("bin", "n", "predicted_mean", "observed_rate", "ci_low", "ci_high"),
             "calibration_figure")  # fmt: skip
    c = calibration
    top = float(max(c["predicted_mean"].max(), c["ci_high"].max())) * 1.05
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=[0, top], y=[0, top], mode="lines", name="Perfect calibration",
                             line={"color": GREY, "dash": "dash"}, hoverinfo="skip"))  # fmt: skip
    fig.add_trace(
        go.Scatter(
            x=c["predicted_mean"], y=c["observed_rate"], mode="markers+lines",
            name="Observed churn rate per bin",
            marker={"color": PRIMARY, "size": 8}, line={"color": PRIMARY, "width": 1},
            error_y={"type": "data", "symmetric": False,
                     "array": (c["ci_high"] - c["observed_rate"]).clip(lower=0),
                     "arrayminus": (c["observed_rate"] - c["ci_low"]).clip(lower=0),
                     "color": MUTED, "thickness": 1.2, "width": 4},
            customdata=c[["bin", "n"]].to_numpy(),
            hovertemplate="bin %{customdata[0]} (%{customdata[1]} customers)<br>predicted "
            "%{x:.1%}<br>observed %{y:.1%}<extra></extra>",
        )
    )  # fmt: skip
    fig.update_xaxes(title="Predicted churn probability", tickformat=".0%", range=[0, top])
    fig.update_yaxes(title="Observed churn rate", tickformat=".0%", range=[0, top])
    return style_figure(fig, height=height, title=title)


def roc_pr_figure(
    curves: pd.DataFrame,
    evaluation: Mapping[str, Any] | None = None,
    *,
    height: int = 380,
    title: str | None = "Discrimination (held out)",
) -> go.Figure:
    """ROC curve and precision-recall curve side by side.

    Args:
        curves: ``ChurnResult.curves`` (curve, x, y).
        evaluation: ``ChurnResult.evaluation``; its ROC-AUC, PR-AUC and base rate label
            the panels and draw the chance lines.
        height: figure height in pixels.
        title: figure title (None for none).

    Returns:
        Figure with two panels.

    Example:
        >>> roc_pr_figure(result.curves, result.evaluation)  # doctest: +SKIP
    """
    _require(curves, ("curve", "x", "y"), "roc_pr_figure")
    e = dict(evaluation or {})
    roc_title = f"ROC (AUC {e['roc_auc']:.3f})" if "roc_auc" in e else "ROC"
    pr_title = f"Precision-recall (AP {e['pr_auc']:.3f})" if "pr_auc" in e else "Precision-recall"
    fig = make_subplots(rows=1, cols=2, subplot_titles=(roc_title, pr_title))
    roc = curves[curves["curve"] == "roc"]
    pr = curves[curves["curve"] == "pr"]
    fig.add_trace(go.Scatter(x=[0, 1], y=[0, 1], mode="lines", name="Chance",
                             line={"color": GREY, "dash": "dash"}), 1, 1)  # fmt: skip
    fig.add_trace(go.Scatter(x=roc["x"], y=roc["y"], mode="lines", name="Churn model",
                             line={"color": PRIMARY, "width": 2}), 1, 1)  # fmt: skip
    fig.add_trace(
        go.Scatter(
            x=pr["x"],
            y=pr["y"],
            mode="lines",
            name="Churn model (PR)",
            line={"color": PRIMARY, "width": 2},
            showlegend=False,
        ),
        1,
        2,
    )
    if "base_rate" in e:
        rate = float(e["base_rate"])
        fig.add_trace(
            go.Scatter(
                x=[0, 1],
                y=[rate, rate],
                mode="lines",
                showlegend=False,
                name="Base rate",
                line={"color": GREY, "dash": "dash"},
            ),
            1,
            2,
        )
    fig.update_xaxes(title="False positive rate", row=1, col=1)
    fig.update_yaxes(title="True positive rate", row=1, col=1)
    fig.update_xaxes(title="Recall", row=1, col=2)
    fig.update_yaxes(title="Precision", row=1, col=2)
    return style_figure(fig, height=height, title=title)


def importance_figure(
    importance: pd.DataFrame,
    *,
    top: int = 12,
    height: int | None = None,
    title: str | None = "What drives churn risk",
) -> go.Figure:
    """Horizontal bars of the mean absolute contribution of each feature, largest on top.

    Args:
        importance: ``ChurnResult.importance`` (label, mean_abs_contribution, share).
        top: features shown.
        height: figure height (default grows with ``top``).
        title: figure title (None for none).

    Returns:
        Figure.

    Example:
        >>> importance_figure(result.importance)  # doctest: +SKIP
    """
    _require(importance, ("label", "mean_abs_contribution", "share"), "importance_figure")
    shown = importance.head(top).iloc[::-1]
    fig = go.Figure(
        go.Bar(
            x=shown["mean_abs_contribution"], y=shown["label"], orientation="h",
            marker={"color": PRIMARY}, customdata=shown["share"],
            hovertemplate="%{y}: %{x:.3f} effect on churn log-odds (%{customdata:.0%} of the total)"
            "<extra></extra>",
        )
    )  # fmt: skip
    # short enough for a half-width card: a longer title was cut ("(TreeSH")
    fig.update_xaxes(title="Average effect on churn odds (log-odds)")
    return style_figure(fig, height=height or 120 + 26 * len(shown), title=title)


def survival_figure(
    curves: pd.DataFrame,
    *,
    height: int = 400,
    title: str | None = "Customer survival (Kaplan-Meier)",
    bands: bool = True,
) -> go.Figure:
    """Step survival curves per group with their pointwise confidence bands.

    Args:
        curves: ``SurvivalCurves.curves`` (group, time_days, survival, ci_low, ci_high).
        height: figure height in pixels.
        title: figure title (None for none).
        bands: draw the confidence bands.

    Returns:
        Figure, x in months since joining.

    Example:
        >>> survival_figure(survival_curves(ws).curves)  # doctest: +SKIP
    """
    _require(curves, ("group", "time_days", "survival", "ci_low", "ci_high"), "survival_figure")
    fig = go.Figure()
    for k, (name, part) in enumerate(curves.groupby("group", sort=True)):
        colour = SERIES[k % len(SERIES)]
        months = pd.concat([pd.Series([0.0]), part["time_days"] / 30.4375], ignore_index=True)

        def start(col: str, p: pd.DataFrame = part) -> pd.Series:
            return pd.concat([pd.Series([1.0]), p[col]], ignore_index=True)

        if bands:
            fig.add_trace(
                go.Scatter(
                    x=months,
                    y=start("ci_high"),
                    mode="lines",
                    line_shape="hv",
                    line={"width": 0},
                    showlegend=False,
                    hoverinfo="skip",
                )
            )
            fig.add_trace(go.Scatter(x=months, y=start("ci_low"), mode="lines", line_shape="hv",
                                     line={"width": 0}, fill="tonexty", fillcolor=_tint(colour),
                                     showlegend=False, hoverinfo="skip"))  # fmt: skip
        fig.add_trace(
            go.Scatter(x=months, y=start("survival"), mode="lines", line_shape="hv", name=str(name),
                       line={"color": colour, "width": 2},
                       hovertemplate=f"{name}<br>%{{x:.1f}} months: %{{y:.1%}} still customers"
                       "<extra></extra>")
        )  # fmt: skip
    fig.update_xaxes(title="Months since joining")
    fig.update_yaxes(title="Share still a customer", tickformat=".0%", range=[0, 1.02])
    return style_figure(fig, height=height, title=title)


def hazard_ratio_figure(
    table: pd.DataFrame, *, height: int | None = None, title: str | None = "Hazard ratios (Cox)"
) -> go.Figure:
    """Forest plot of a Cox table: each term's hazard ratio and interval, log scale.

    Example:
        >>> hazard_ratio_figure(cox(ws, ["segment"]))  # doctest: +SKIP
    """
    _require(table, ("covariate", "term", "hazard_ratio", "ci_low", "ci_high"),
             "hazard_ratio_figure")  # fmt: skip
    rows = table.iloc[::-1]
    names = [
        t if c == t else f"{c}: {t} (vs {r})"
        for c, t, r in zip(
            rows["covariate"], rows["term"], rows.get("reference", rows["term"]), strict=True
        )
    ]
    colour = [BAD if h > 1 else GOOD for h in rows["hazard_ratio"]]
    fig = go.Figure(
        go.Scatter(
            x=rows["hazard_ratio"], y=names, mode="markers", marker={"color": colour, "size": 9},
            error_x={"type": "data", "symmetric": False,
                     "array": rows["ci_high"] - rows["hazard_ratio"],
                     "arrayminus": rows["hazard_ratio"] - rows["ci_low"], "color": MUTED},
            hovertemplate="%{y}: HR %{x:.2f}<extra></extra>", showlegend=False,
        )
    )  # fmt: skip
    fig.add_vline(x=1, line={"color": GREY, "dash": "dash"})
    fig.update_xaxes(type="log", title="Hazard ratio (above 1: leaves sooner)")
    return style_figure(fig, height=height or 120 + 30 * len(rows), title=title)


def _tint(colour: str, alpha: float = 0.15) -> str:
    r, g, b = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
    return f"rgba({r}, {g}, {b}, {alpha})"
