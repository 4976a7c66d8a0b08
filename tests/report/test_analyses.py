"""The report's analysis sections: content, numbers from the Python API, notes, robustness."""

from __future__ import annotations

import html
import importlib
import re
from pathlib import Path

import pandas as pd
import pytest

import cxlens
from cxlens.analysis.drivers import drivers_for_workspace
from cxlens.display import relabel_text
from cxlens.errors import NotEnoughDataError, SchemaError
from cxlens.report import build_report
from cxlens.report.analyses import (
    PART_ORDER,
    describe_filter,
    fmt_interval,
    fmt_number,
    guarded,
    kpi_table,
)
from cxlens.report.parts import analysis_parts
from tests.report.conftest import load_workspace, write_sources
from tests.report.test_build import ANALYSIS_CHARTS

SECTION_IDS = ["kpi-status", "insights", "drivers", "effort", "loyalty", "value",
               "customer-segments"]  # fmt: skip


def section(page: str, section_id: str) -> str:
    return page.split(f'<section id="{section_id}">')[1].split("</section>")[0]


@pytest.fixture(scope="module")
def built(analysed) -> tuple[str, Path]:
    out, folder = analysed
    return out.read_text(encoding="utf-8"), folder


def test_sections_come_in_order_with_their_charts(built):
    page, _ = built
    ids = re.findall(r'<section id="([\w-]+)">', page)
    assert ids == ["summary", "kpis", "kpi-status", "insights", "trends", "segments", "drivers",
                   "effort",
                   "loyalty", "value", "customer-segments", "clv", "churn-risk", "offers",
                   "journeys", "voice", "social", "methods", "lineage"]  # fmt: skip
    toc = re.search(r'<nav class="toc">(.*?)</nav>', page).group(1)
    for title in ("What changed", "What drives NPS", "Customer effort", "Loyalty matrix",
                  "What NPS is worth", "Customer segments", "KPIs"):  # fmt: skip
        assert f">{title}</a>" in toc
    for div in ANALYSIS_CHARTS:
        assert page.count(f'id="{div}"') == 1, div
        assert re.search(rf'Plotly\.newPlot\(\s*"{div}"', page), div
    assert '<p class="note">' not in "".join(section(page, s) for s in SECTION_IDS)


def test_what_changed_lists_the_top_insights_with_their_numbers(built):
    page, folder = built
    with cxlens.Workspace(folder / "ws.duckdb") as ws:
        scan = ws.analysis.insight_scan(top=8)
    found = scan.findings
    body = section(page, "insights")
    assert f"corrected for the {len(scan.tests):,} tests run" in page  # the section's lead
    items = re.findall(r"<li[^>]*>(.*?)<span", body)
    # the same sentences, in client words (small_business reads "Small business")
    assert [html.unescape(i) for i in items] == [relabel_text(s) for s in found["sentence"]]
    assert 1 <= len(items) <= 8
    assert re.search(r"\d", items[0])  # the sentence carries its numbers
    assert f"score {found['score'].iloc[0]:,.0f}" in body


def test_what_drives_nps_shows_the_driver_weights(built):
    page, folder = built
    with cxlens.Workspace(folder / "ws.duckdb") as ws:
        imp = drivers_for_workspace(ws, "nps", bootstrap=200, seed=0)
    body = section(page, "drivers")
    top = imp.iloc[0]
    assert top["driver"] == "driver_reliability"  # planted: it tracks NPS most closely
    assert f"reliability ({top['rescaled_weight']:.0f}% of R²" in body
    assert f"R² = {top['r_squared']:.2f}" in body
    assert "Fix first" in body or "Maintain" in body


def test_value_section_lists_every_assumption(built):
    page, folder = built
    from cxlens.analysis.monetization import nps_uplift

    with cxlens.Workspace(folder / "ws.duckdb") as ws:
        up = nps_uplift(ws, 5)
    body = section(page, "value")
    for assumption in up.assumptions:
        assert f"<li>{html.escape(assumption)}</li>" in body
    assert body.count("<tr>") == 1 + len(up.table)


def test_kpi_section_shows_each_status(built):
    page, folder = built
    with cxlens.Workspace(folder / "ws.duckdb") as ws:
        status = ws.kpis.status()
    body = section(page, "kpi-status")
    pills = re.findall(r'<span class="pill[^"]*">([^<]+)</span>', body)
    assert pills == status["status"].tolist()
    assert "segment = Small business" in body
    assert "CX team" in body


def test_methods_name_the_bootstrap_sizes(built):
    page, _ = built
    methods = section(page, "methods")
    assert "Key drivers" in methods and "percentile bootstrap, 200 resamples" in methods
    assert "Benjamini-Hochberg" in methods
    assert "KPIs" in methods


def test_missing_data_gives_notes_not_failures(tmp_path):
    paths = write_sources(tmp_path, posts=False, analyses=False)
    ws = cxlens.Workspace(tmp_path / "ws.duckdb")
    ws.ingest(paths["responses"], table="responses")
    out = build_report(ws, tmp_path / "r.html", bootstrap=0)
    ws.close()
    page = out.read_text(encoding="utf-8")
    for sid, title in (("drivers", "What drives NPS"), ("loyalty", "Loyalty matrix"),
                       ("value", "What NPS is worth")):  # fmt: skip
        assert f"{title} is not shown:" in section(page, sid), sid
    assert "transactions" in section(page, "value")
    assert "touchpoint" in section(page, "effort")
    # no segments saved and no KPI defined: those sections are left out
    assert 'id="customer-segments"' not in page
    assert 'id="kpi-status"' not in page
    for div in ANALYSIS_CHARTS:
        assert f'id="{div}"' not in page


def test_a_failing_analysis_becomes_a_note(tmp_path, monkeypatch, caplog):
    def boom(*args, **kwargs):
        raise RuntimeError("boom")

    def no_scan(*args, **kwargs):
        raise NotEnoughDataError("skipped in this test")

    monkeypatch.setattr("cxlens.analysis.drivers.drivers_for_workspace", boom)
    # the module itself: cxlens.analysis.insights also names the function it exports
    insights_module = importlib.import_module("cxlens.analysis.insights")
    monkeypatch.setattr(insights_module, "insight_scan", no_scan)
    ws = load_workspace(tmp_path, posts=False)
    out = build_report(ws, tmp_path / "r.html", bootstrap=0)
    ws.close()
    page = out.read_text(encoding="utf-8")
    body = section(page, "drivers")
    assert "What drives NPS is not shown: the analysis failed (RuntimeError: boom)" in body
    assert "report section 'What drives NPS' failed" in caplog.text
    assert 'id="chart-loyalty-matrix"' in page  # the others still ran
    assert "What changed is not shown: skipped in this test" in section(page, "insights")


def test_analyses_false_leaves_them_out(tmp_path):
    ws = load_workspace(tmp_path, posts=False)
    out = build_report(ws, tmp_path / "r.html", analyses=False)
    ws.close()
    page = out.read_text(encoding="utf-8")
    for sid in SECTION_IDS:
        assert f'id="{sid}"' not in page


def test_empty_workspace_skips_every_analysis_with_a_note(tmp_path):
    parts = analysis_parts(cxlens.Workspace(":memory:"))
    assert list(parts) == list(PART_ORDER)
    shown = {k: p.section for k, p in parts.items() if p.section is not None}
    assert list(shown) == ["insights", "drivers", "effort", "loyalty", "value", "clv", "churn",
                           "offers", "journeys", "voice", "social"]  # fmt: skip
    for s in shown.values():
        assert s.body_html.startswith('<p class="note">'), s.id
        assert "plotly" not in s.body_html


def test_guarded_passes_cxlens_errors_through_as_the_note():
    def missing():
        raise SchemaError("responses has no touchpoint column")

    part = guarded("effort", "Customer effort", missing)
    assert part.section.body_html == (
        '<p class="note">Customer effort is not shown: responses has no touchpoint column</p>'
    )
    assert part.methods == []


def test_formatting_helpers():
    assert fmt_number(-1234.56, 1, "%") == "−1,234.6%"
    assert fmt_number(None) == fmt_number("x") == fmt_number(float("inf")) == "—"
    assert fmt_interval(1, float("nan")) == "—"
    assert describe_filter("{}") == "all customers"
    assert describe_filter('{"plan": ["A", "B"]}') == "plan = A or B"


def test_kpi_table_colours_status_and_escapes_text():
    status = pd.DataFrame(
        {
            "name": ["<b>NPS</b>", "Churn"],
            "metric": ["nps", "churn"],
            "filter": ["{}", "{}"],
            "period": [pd.Timestamp("2025-12-01"), None],
            "value": [15.8, float("nan")],
            "ci_low": [11.3, float("nan")],
            "ci_high": [20.3, float("nan")],
            "n": [900, None],
            "target": [25.0, 1.5],
            "gap": [-9.2, float("nan")],
            "status": ["off track", "no data"],
            "previous_status": ["on track", None],
            "trend": ["worsening", None],
            "deadline": [None, float("nan")],
            "owner": [None, "ops"],
        }
    )
    out = kpi_table(status)
    assert '<span class="pill bad">off track</span>' in out
    assert '<span class="pill">no data</span>' in out
    assert "&lt;b&gt;NPS&lt;/b&gt;" in out and "<b>NPS" not in out
    assert "15.8 (11.3 to 20.3)" in out
    assert "1.5%" in out
    assert ">nan<" not in out
