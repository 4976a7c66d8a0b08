"""Unit tests of the report's chart functions on hand-made metric tables."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cxlens.errors import SchemaError
from cxlens.report import charts
from cxlens.report.charts import (
    PARTIAL_TRACE,
    RANKED_TRACE,
    SIGNIFICANT_TRACE,
    SMALL_SAMPLE_TRACE,
    UNRANKED_TRACE,
    VALUE_LABELS_TRACE,
    figure_html,
    rank_groups,
    segment_figure,
    trend_figure,
)


def trace(fig, name):
    found = [t for t in fig.data if t.name == name]
    assert len(found) == 1, [t.name for t in fig.data]
    return found[0]


def names(fig):
    return [t.name for t in fig.data]


# --- trend ------------------------------------------------------------------------------------


def test_significant_markers_are_exactly_at_significant_rows(trend_df):
    fig = trend_figure(trend_df, "nps")
    sig = trace(fig, SIGNIFICANT_TRACE)
    expected = trend_df[trend_df["significant"]]
    assert list(pd.to_datetime(sig.x)) == list(expected["period"])
    assert list(sig.y) == list(expected["value"])
    # one annotation per significant change, saying how big it was and which way
    texts = [a.text for a in fig.layout.annotations]
    assert texts == ["▼ −15.0 pts", "▲ +14.0 pts"]


def test_significant_markers_are_coloured_by_direction(trend_df):
    fig = trend_figure(trend_df, "nps")
    # NPS: the drop is bad, the rise good
    assert list(trace(fig, SIGNIFICANT_TRACE).marker.color) == [charts.BAD, charts.GOOD]
    # churn: a rise is bad, a drop good
    fig = trend_figure(trend_df, "churn")
    assert list(trace(fig, SIGNIFICANT_TRACE).marker.color) == [charts.GOOD, charts.BAD]


def test_no_significant_trace_or_annotation_without_significant_rows(trend_df):
    quiet = trend_df.assign(significant=False)
    fig = trend_figure(quiet, "nps")
    assert SIGNIFICANT_TRACE not in names(fig)
    assert len(fig.layout.annotations) == 0


def test_small_sample_periods_are_marked(trend_df):
    fig = trend_figure(trend_df, "nps")
    small = trace(fig, SMALL_SAMPLE_TRACE)
    assert list(pd.to_datetime(small.x)) == [pd.Timestamp("2025-06-01")]
    assert small.marker.color == "white"  # hollow
    assert "(small sample)" in small.hovertext[0]


def test_partial_periods_are_drawn_apart(trend_df):
    partial = np.zeros(len(trend_df), dtype=bool)
    partial[-1] = True
    fig = trend_figure(trend_df.assign(partial=partial), "nps")
    marked = trace(fig, PARTIAL_TRACE)
    last = trend_df.sort_values("period")["period"].iloc[-1]
    assert list(pd.to_datetime(marked.x)) == [last]
    assert "partial period: not compared" in marked.hovertext[0]
    assert PARTIAL_TRACE not in names(trend_figure(trend_df, "nps"))


def test_no_small_sample_trace_when_all_periods_are_large(trend_df):
    fig = trend_figure(trend_df.assign(small_sample=False), "nps")
    assert SMALL_SAMPLE_TRACE not in names(fig)


def test_interval_band_is_filled_between_bounds(trend_df):
    fig = trend_figure(trend_df, "nps", confidence=0.9)
    upper, lower, line = fig.data[:3]
    assert list(upper.y) == list(trend_df["ci_high"])
    assert list(lower.y) == list(trend_df["ci_low"])
    assert lower.fill == "tonexty"
    assert lower.name == "90% interval"
    assert line.name == "NPS"
    assert list(line.y) == list(trend_df["value"])


def test_trend_sorts_periods(trend_df):
    shuffled = trend_df.sample(frac=1, random_state=3)
    fig = trend_figure(shuffled, "nps")
    assert list(pd.to_datetime(fig.data[2].x)) == list(trend_df["period"])
    assert list(pd.to_datetime(trace(fig, SIGNIFICANT_TRACE).x)) == [
        pd.Timestamp("2025-03-01"),
        pd.Timestamp("2025-05-01"),
    ]


def test_hover_text_carries_interval_n_and_p(trend_df):
    fig = trend_figure(trend_df, "nps")
    hover = fig.data[2].hovertext
    assert "Mar 2025" in hover[2]
    assert "n = 230" in hover[2]
    assert "p = 0.03" in hover[2]
    assert "change" not in hover[0]  # first period has nothing to compare with


def test_benchmark_line_is_drawn(trend_df):
    fig = trend_figure(trend_df, "nps", benchmark=16, benchmark_label="median 16")
    assert [s.y0 for s in fig.layout.shapes] == [16]
    assert "median 16" in [a.text for a in fig.layout.annotations]


def test_trend_needs_metric_columns(trend_df):
    with pytest.raises(SchemaError, match="missing: ci_low, ci_high"):
        trend_figure(trend_df.drop(columns=["ci_low", "ci_high"]), "nps")


def test_unknown_metric_is_refused(trend_df):
    with pytest.raises(SchemaError, match=r"unknown metric 'clv'.*nps, csat"):
        trend_figure(trend_df, "clv")


# --- segments ---------------------------------------------------------------------------------


def test_rank_groups_ranks_large_groups_best_first_and_leaves_small_unranked(segment_df):
    ranked = rank_groups(segment_df, "nps", "segment")
    assert ranked["group"].tolist() == ["consumer", "small_business", "enterprise"]
    assert ranked["rank"].tolist()[:2] == [1, 2]
    # enterprise has the highest value but is a small sample: listed last, not ranked
    assert pd.isna(ranked["rank"].iloc[2])


def test_rank_groups_follows_the_better_direction(segment_df):
    ranked = rank_groups(segment_df, "churn", "segment")
    assert ranked["group"].tolist() == ["small_business", "consumer", "enterprise"]


def test_small_sample_groups_are_grey_labelled_and_not_ranked(segment_df):
    fig = segment_figure(segment_df, "nps", "segment", overall=22.0)
    ranked = trace(fig, RANKED_TRACE)
    small = trace(fig, UNRANKED_TRACE)
    assert list(ranked.y) == ["consumer", "small_business"]
    assert ranked.marker.color == charts.PRIMARY
    assert list(small.y) == ["enterprise · small sample"]
    assert small.marker.color == charts.GREY
    assert "not ranked" in small.hovertext[0]
    assert "rank 1 of 2" in ranked.hovertext[0]


def test_segment_error_bars_are_the_interval(segment_df):
    fig = segment_figure(segment_df, "nps", "segment")
    err = trace(fig, RANKED_TRACE).error_x
    assert list(err.array) == [5.0, 8.0]  # ci_high - value for consumer, small_business
    assert list(err.arrayminus) == [5.0, 8.0]
    assert err.symmetric is False


def test_segment_value_labels_show_value_and_n(segment_df):
    fig = segment_figure(segment_df, "csat", "segment")
    labels = trace(fig, VALUE_LABELS_TRACE)
    assert [t.strip() for t in labels.text] == [
        "28.0% · n=900",
        "12.0% · n=410",
        "57.0% · n=14",
    ]


def test_segment_overall_reference_line(segment_df):
    fig = segment_figure(segment_df, "nps", "segment", overall=22.0)
    assert [s.x0 for s in fig.layout.shapes] == [22.0]
    assert any("all: 22" in a.text for a in fig.layout.annotations)


def test_segment_all_large_has_no_unranked_trace(segment_df):
    fig = segment_figure(segment_df.assign(small_sample=False), "nps", "segment")
    assert UNRANKED_TRACE not in names(fig)
    assert list(trace(fig, RANKED_TRACE).y) == ["enterprise", "consumer", "small_business"]


def test_segment_by_two_columns_and_missing_values():
    df = pd.DataFrame(
        {
            "segment": ["consumer", "consumer", None],
            "region": ["north", "south", "north"],
            "n": [100, 120, 50],
            "value": [10.0, 20.0, 5.0],
            "ci_low": [0.0, 12.0, -5.0],
            "ci_high": [20.0, 28.0, 15.0],
            "small_sample": [False, False, False],
        }
    )
    fig = segment_figure(df, "nps", ["segment", "region"])
    assert list(trace(fig, RANKED_TRACE).y) == [
        "consumer / south",
        "consumer / north",
        "(missing) / north",
    ]


def test_segment_needs_by_column(segment_df):
    with pytest.raises(SchemaError, match="missing: region"):
        segment_figure(segment_df, "nps", "region")


# --- html -------------------------------------------------------------------------------------


def test_figure_html_is_a_fragment_without_plotly_js_or_links(trend_df):
    fragment = figure_html(trend_figure(trend_df, "nps"), "chart-trend-nps")
    assert 'id="chart-trend-nps"' in fragment
    assert "Plotly.newPlot" in fragment
    assert "<html" not in fragment
    assert "<script src" not in fragment
    assert "cdn.plot.ly" not in fragment
    assert len(fragment) < 100_000  # the 4.8 MB bundle is not in it
    assert '"displaylogo": false' in fragment


def test_nan_values_do_not_break_the_charts(trend_df, segment_df):
    trend = trend_df.copy()
    trend.loc[0, ["value", "ci_low", "ci_high"]] = np.nan
    assert len(trend_figure(trend, "ces").data) >= 3
    seg = segment_df.copy()
    seg.loc[1, ["ci_low", "ci_high"]] = np.nan
    fig = segment_figure(seg, "ces", "segment")
    small = trace(fig, UNRANKED_TRACE)
    assert np.isnan(small.error_x.array[0])  # no interval: no error bar
    assert "— to —" in small.hovertext[0]


def test_group_names_are_shown_as_written_not_as_markup(segment_df):
    df = segment_df.assign(segment=["<b>vip</b>", "R&D", "plain"])
    fig = segment_figure(df, "nps", "segment")
    labels = list(trace(fig, RANKED_TRACE).y) + list(trace(fig, UNRANKED_TRACE).y)
    assert "&lt;b&gt;vip&lt;/b&gt;" in labels
    assert "R&amp;D · small sample" in labels
    assert "<b>&lt;b&gt;vip&lt;/b&gt;</b>" in trace(fig, RANKED_TRACE).hovertext[0]
