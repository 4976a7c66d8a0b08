"""Every chart whose axis or labels are money names the currency, in the builder and the report.

The money charts: CLV per customer by tier, revenue per NPS group, the revenue effect of +N NPS
points, the loyalty matrix's revenue per customer and the segment profiles' value per
customer. Each is built with a currency and its spec is read back: the code in the axis
title or its symbol as the tick prefix (and in the labels that write an amount).
"""

from __future__ import annotations

import re

import pandas as pd
import plotly.graph_objects as go
import pytest

from cxlens.analysis.charts_customers import (
    loyalty_matrix_figure,
    nps_uplift_figure,
    segment_profile_figure,
    value_by_nps_group_figure,
)
from cxlens.models.charts_clv import clv_distribution_figure
from cxlens.money import money_prefix
from tests.report.client_text import plotly_figures

GROUPS = pd.DataFrame({
    "nps_group": ["promoter", "detractor"], "customers": [80, 20],
    "revenue_per_customer": [120.0, 90.0], "revenue_ci_low": [110.0, 70.0],
    "revenue_ci_high": [130.0, 110.0], "retention_rate": [90.0, 70.0],
    "retention_ci_low": [82.0, 48.0], "retention_ci_high": [95.0, 85.0],
})  # fmt: skip
UPLIFT = pd.DataFrame({
    "move": ["detractor → passive"], "projected_revenue": [900.0],
    "projected_revenue_ci_low": [100.0], "projected_revenue_ci_high": [1700.0],
    "customers_moved": [45.0], "feasible": [True],
})  # fmt: skip
QUADRANTS = pd.DataFrame({
    "quadrant": ["loyalists", "mercenaries", "hostages", "defectors"],
    "attitude": ["high", "high", "low", "low"], "behaviour": ["high", "low", "high", "low"],
    "customers": [40, 30, 20, 10], "share": [0.4, 0.3, 0.2, 0.1],
    "revenue_per_customer": [1890.4, 50.0, 80.0, 20.0],
    "revenue_share": [0.5, 0.2, 0.25, 0.05], "small_sample": [False] * 4,
})  # fmt: skip
PROFILE = pd.DataFrame({
    "cluster": ["C1", "C2"], "customers": [900, 12], "nps": [20.0, -5.0],
    "value_per_customer": [300.0, 80.0], "small_sample": [False, True],
})  # fmt: skip
CLV = pd.DataFrame({"clv": [900.0, 300.0, 100.0, 50.0],
                    "clv_tier": ["platinum", "gold", "silver", "bronze"]})  # fmt: skip


def money_axes(figure: dict, currency: str) -> list[str]:
    """Return the names of the axes of a figure spec that carry ``currency``.

    An axis carries it when its title holds the ISO code or its tick prefix is the prefix
    :func:`cxlens.money.format_money` writes ("€", "CHF ").
    """
    found = []
    for key, axis in figure["layout"].items():
        if not key.startswith(("xaxis", "yaxis")) or not isinstance(axis, dict):
            continue
        title = (axis.get("title") or {}).get("text") or ""
        if currency in title or axis.get("tickprefix") == money_prefix(currency):
            found.append(key)
    return found


def spec(fig: go.Figure) -> dict:
    return fig.to_plotly_json()


@pytest.mark.parametrize("currency", ["EUR", "CHF"])
def test_each_money_chart_names_its_currency_on_its_money_axis(currency):
    prefix = money_prefix(currency)
    clv = spec(clv_distribution_figure(CLV, currency=currency))
    assert money_axes(clv, currency) == ["xaxis"]  # CLV across; customers up
    assert clv["layout"]["xaxis"]["tickprefix"] == prefix
    groups = spec(value_by_nps_group_figure(GROUPS, currency=currency))
    assert money_axes(groups, currency) == ["yaxis"]  # the revenue panel, not retention
    assert all(prefix in t["hovertemplate"] for t in groups["data"][:1])
    assert prefix not in groups["data"][1]["hovertemplate"]  # retention is a rate
    uplift = spec(nps_uplift_figure(UPLIFT, currency=currency))
    assert money_axes(uplift, currency) == ["xaxis"]
    assert f"{prefix}%{{x:,.0f}}" in uplift["data"][0]["hovertemplate"]
    profile = spec(segment_profile_figure(PROFILE, currency=currency))
    assert money_axes(profile, currency) == ["yaxis"]  # value per customer; NPS across
    assert profile["layout"]["yaxis"]["title"]["text"] == f"value per customer ({currency})"


def test_the_loyalty_matrix_writes_revenue_per_customer_with_its_currency():
    matrix = spec(loyalty_matrix_figure(QUADRANTS, currency="EUR"))
    texts = [a["text"] for a in matrix["layout"]["annotations"]]
    # 1,890.4 rounds to €1,890: the symbol before the amount, as format_money writes it
    assert "revenue / customer €1,890" in texts[0] or any("€1,890" in t for t in texts)
    assert sum("revenue / customer €" in t for t in texts) == 4
    usd = [a["text"] for a in spec(loyalty_matrix_figure(QUADRANTS, currency="GBP"))
           ["layout"]["annotations"]]  # fmt: skip
    assert sum("revenue / customer £" in t for t in usd) == 4


def test_without_a_currency_the_axes_carry_none():
    # no currency in the data and none declared: bare numbers (the views say so once)
    title = spec(clv_distribution_figure(CLV))["layout"]["xaxis"]["title"]["text"]
    assert title == "CLV per customer (discounted, over the horizon)"
    assert spec(segment_profile_figure(PROFILE))["layout"]["yaxis"].get("tickprefix") == ""


@pytest.fixture(scope="module")
def report_money_charts(tmp_path_factory) -> dict[str, dict]:
    """The report's money charts on 600 customers of the sample, whose amounts are in USD."""
    import cxlens
    from cxlens.analysis.segments import rfm, save_segments
    from cxlens.report.analyses import loyalty_part, segments_part, value_part
    from cxlens.report.models_parts import clv_part
    from cxlens.sample import generate, write_sample

    folder = tmp_path_factory.mktemp("money")
    paths = write_sample(generate(customers=600, months=12, seed=7), folder / "sample")
    with cxlens.Workspace(folder / "ws.duckdb") as ws:
        for table in ("customers", "responses", "transactions"):
            ws.ingest(paths[table], table=table)
        save_segments(ws, rfm(ws))
        parts = [loyalty_part(ws), value_part(ws, bootstrap=50), segments_part(ws),
                 clv_part(ws)]  # fmt: skip
    figures: dict[str, dict] = {}
    for part in parts:
        figures.update(plotly_figures(part.section.body_html))
    return figures


@pytest.mark.parametrize(
    ("chart", "axis"),
    [
        ("chart-value-groups", "yaxis"),
        ("chart-value-uplift", "xaxis"),
        ("chart-segments-rfm-segment", "yaxis"),
        ("chart-clv-tiers", "xaxis"),
    ],
)
def test_the_reports_money_charts_carry_the_data_currency(report_money_charts, chart, axis):
    assert chart in report_money_charts, sorted(report_money_charts)
    assert axis in money_axes(report_money_charts[chart], "USD")


def test_the_reports_loyalty_matrix_writes_dollars(report_money_charts):
    notes = [
        a["text"] for a in report_money_charts["chart-loyalty-matrix"]["layout"]["annotations"]
    ]
    assert sum(re.search(r"revenue / customer \$\d", t) is not None for t in notes) == 4


def _headers(html: str) -> list[str]:
    return re.findall(r"<th[^>]*>(.*?)</th>", html)


def test_the_loyalty_and_segment_tables_name_the_currency_of_their_money_columns():
    from cxlens.report.analyses import loyalty_table, segment_table

    quadrants = pd.DataFrame({
        "quadrant": ["loyalists"], "dick_basu": ["loyalty"], "customers": [40], "share": [0.4],
        "revenue_per_customer": [90.0], "revenue_ci_low": [80.0], "revenue_ci_high": [100.0],
        "revenue_share": [0.5], "retention_rate": [91.0], "small_sample": [False],
    })  # fmt: skip
    assert "revenue / customer, 12 m (USD)" in _headers(loyalty_table(quadrants, "USD"))
    assert "revenue / customer, 12 m" in _headers(loyalty_table(quadrants))  # unknown: no code
    profile = pd.DataFrame({
        "cluster": ["C1"], "customers": [900], "share": [0.9], "nps": [20.0],
        "nps_ci_low": [15.0], "nps_ci_high": [25.0], "value_per_customer": [300.0],
        "revenue_per_customer": [120.0], "retention_rate": [88.0], "rank": [1],
        "small_sample": [False],
    })  # fmt: skip
    headers = _headers(segment_table(profile, "cluster", "EUR"))
    assert {"value / customer (EUR)", "revenue / customer, 12 m (EUR)"} <= set(headers)
