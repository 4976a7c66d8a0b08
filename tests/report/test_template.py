"""Unit tests of the report's formatting rules and HTML pieces."""

from __future__ import annotations

import pandas as pd
import pytest

from cxlens.metrics.benchmarks import compare
from cxlens.report.sections import benchmark_line, benchmark_text, short_source
from cxlens.report.spec import METRICS, format_period
from cxlens.report.template import (
    BenchmarkLine,
    Section,
    Tile,
    card_html,
    note_html,
    page_html,
    table_html,
)


@pytest.mark.parametrize(
    ("metric", "value", "shown"),
    [
        ("nps", 31.6, "32"),
        ("nps", -4.2, "−4"),
        ("csat", 73.25, "73.2%"),
        ("ces", 5.2789, "5.28"),
        ("churn", 1.234, "1.23%"),
        ("nps", float("nan"), "—"),
    ],
)
def test_values_are_formatted_per_metric(metric, value, shown):
    assert METRICS[metric].fmt(value) == shown


@pytest.mark.parametrize(
    ("metric", "change", "shown"),
    [("nps", 4.04, "+4.0 pts"), ("csat", -2.04, "−2.0 pp"), ("ces", 0.123, "+0.12")],
)
def test_changes_are_signed_with_units(metric, change, shown):
    assert METRICS[metric].fmt_change(change) == shown


def test_better_direction():
    assert METRICS["nps"].is_good(1.0)
    assert not METRICS["churn"].is_good(1.0)
    assert METRICS["churn"].is_good(-0.5)


@pytest.mark.parametrize(
    ("every", "shown"),
    [
        ("day", "7 April 2025"),
        ("week", "week of 7 April 2025"),
        ("month", "April 2025"),
        ("quarter", "Q2 2025"),
        ("year", "2025"),
    ],
)
def test_periods_are_named_as_readers_say_them(every, shown):
    assert format_period(pd.Timestamp("2025-04-07"), every) == shown


def test_tile_escapes_text_and_marks_significant_changes():
    tile = Tile(
        label="NPS",
        long_label="<script>alert(1)</script>",
        value="32",
        change="▲ +5 pts",
        tone="good",
        significant=True,
        benchmarks=[BenchmarkLine("median 16", "above", "A & B, 2003", tone="good")],
        flags=["small sample"],
        metric="nps",
    )
    out = tile.html()
    assert "<script>" not in out
    assert "&lt;script&gt;" in out
    assert 'class="tile-change good sig"' in out
    assert '<span class="verdict good">above</span>' in out
    assert "A &amp; B, 2003" in out
    assert '<span class="flag">small sample</span>' in out


def test_insignificant_change_is_not_marked():
    out = Tile("CSAT", "x", "70%", change="▼ −1 pp", tone="bad").html()
    assert 'class="tile-change bad"' in out
    assert "sig" not in out.split("tile-change")[1].split('"')[0]


def test_tables_notes_cards_and_sections_escape():
    assert "&lt;b&gt;" in table_html(["<b>"], [["x"]])
    assert note_html("a < b") == '<p class="note">a &lt; b</p>'
    assert "<h3>R&amp;D</h3>" in card_html("R&D", "<div></div>")
    section = Section("s1", "Q&A", "<p>trusted</p>", lead="x > y").html()
    assert "<h2>Q&amp;A</h2>" in section
    assert "<p>trusted</p>" in section
    assert "x &gt; y" in section


def test_page_inlines_bundle_once_and_escapes_title():
    page = page_html(
        title="<ACME> report",
        eyebrow="Prepared for A&B",
        meta=["Data: Jan 2025 – Jun 2025"],
        sections=[Section("kpis", "Headline", "<p>x</p>")],
        footer="f",
        plotlyjs="/* bundle */ var Plotly = {};",
        version="9.9",
    )
    assert page.count("/* bundle */") == 1
    assert "&lt;ACME&gt; report" in page
    assert "Prepared for A&amp;B" in page
    assert '<a href="#kpis">Headline</a>' in page
    assert '<meta name="generator" content="cxlens 9.9">' in page


def test_page_refuses_a_bundle_that_would_close_its_script_tag():
    with pytest.raises(ValueError, match="cannot be inlined"):
        page_html(
            title="t", eyebrow="e", meta=[], sections=[], footer="", plotlyjs="</script>",
            version="0",
        )  # fmt: skip


def test_benchmark_text_for_points_ranges_and_other_scales():
    nps = compare("nps", 30)
    assert [benchmark_text(r) for _, r in nps.iterrows()] == [
        "All-industry median: 16",
        "All-industry average: 5 to 10",
    ]
    csat = compare("csat", 70)
    assert benchmark_text(csat.iloc[0]) == (
        "All-industry average: 77.8 (index 0-100, not like-for-like)"
    )
    one_sided = pd.Series(
        {"industry": "saas", "statistic": "target", "benchmark_low": 3.0,
         "benchmark_high": float("nan"), "unit": "points"}
    )  # fmt: skip
    assert benchmark_text(one_sided) == "Saas target: at least 3"


def test_benchmark_verdict_is_coloured_only_on_a_comparable_scale():
    nps = compare("nps", 12)  # below the median, above the 5-10 range
    lines = [benchmark_line(r, METRICS["nps"]) for _, r in nps.iterrows()]
    assert [(b.verdict, b.tone) for b in lines] == [("below", "bad"), ("above", "good")]
    assert lines[0].source == "Frederick F. Reichheld, 2003"
    assert "Harvard Business Review" in lines[0].citation
    csat = benchmark_line(compare("csat", 70).iloc[0], METRICS["csat"])
    assert (csat.verdict, csat.tone) == ("below", "")


def test_short_source_without_year():
    assert short_source("Some Body, a talk") == "Some Body"
