"""The report speaks the client's language: no raw identifiers, placeholders or raw p-values.

Scans the visible text and every chart of the full report (built once, ``analysed``) for
the column names and category values of its own data, written as they are in the data.
"""

from __future__ import annotations

import re

import pytest

import cxlens
from cxlens.report import build_report
from tests.report.client_text import (
    chart_labels,
    data_identifiers,
    leaks,
    plotly_figures,
    visible_text,
)
from tests.report.conftest import load_workspace


@pytest.fixture(scope="module")
def page_and_names(analysed):
    out, folder = analysed
    with cxlens.Workspace(folder / "ws.duckdb") as ws:
        snake, lower = data_identifiers(ws)
    return out.read_text(encoding="utf-8"), snake, lower


def test_the_scan_knows_the_data_it_looks_for(page_and_names):
    _, snake, lower = page_and_names
    # the fixture's segment, driver columns and touchpoints, written as in the data
    assert {"small_business", "driver_reliability", "response_id"} <= snake
    assert {"consumer", "enterprise", "billing", "nps"} <= lower


def test_no_raw_identifier_or_placeholder_in_the_text(page_and_names):
    page, snake, lower = page_and_names
    text = visible_text(page)
    cells = re.findall(r"<t[dh][^>]*>([^<]*)</t[dh]>", page)
    assert leaks(cells, text, snake, lower) == []


def test_no_raw_identifier_or_placeholder_in_any_chart(page_and_names):
    page, snake, lower = page_and_names
    figures = plotly_figures(page)
    assert len(figures) >= 10
    found = {fid: leaks(*chart_labels(fig), snake, lower) for fid, fig in figures.items()}
    assert {fid: got for fid, got in found.items() if got} == {}


def test_p_values_read_as_a_client_reads_them(page_and_names):
    page, _, _ = page_and_names
    text = " ".join(visible_text(page))
    # never "p = 4.3e-196" or "p = 0.000": below 0.001 it is "< 0.001"
    assert re.findall(r"\b[pq] = (?:\d+(?:\.\d+)?e-\d+|0\.0+\b)", text) == []
    assert "p < 0.05" in text or "p &lt; 0.05" in page
    # a table's p column: three decimals or "< 0.001", headed "p-value"
    for table in re.findall(r"<table>.*?</table>", page, re.S):
        heads = re.findall(r"<th[^>]*>([^<]*)</th>", table)
        if "p-value" in heads:
            col = heads.index("p-value")
            for row in re.findall(r"<tr>(.*?)</tr>", table, re.S)[1:]:
                cell = re.findall(r"<td[^>]*>([^<]*)</td>", row)[col]
                assert cell in ("", "—") or re.fullmatch(r"&lt; 0\.001|[01]\.\d{3}", cell), cell


def test_the_workspace_names_reach_the_report(tmp_path):
    ws = load_workspace(tmp_path, customers=150, months=6, responses_per_month=60,
                        posts=False, analyses=False)  # fmt: skip
    ws.display_names.set(small_business="Small firms", consumer="Households")
    try:
        page = build_report(ws, tmp_path / "r.html", analyses=False).read_text("utf-8")
    finally:
        ws.close()
    segment_chart = plotly_figures(page)["chart-segment-nps"]
    labels, _ = chart_labels(segment_chart)
    assert any(label.startswith("Small firms") for label in labels)
    assert any(label.startswith("Households") for label in labels)
    assert not any("Small business" in label or "Consumer" in label for label in labels)


def test_no_method_jargon_in_the_cards_or_the_rules(page_and_names):
    page, _, _ = page_and_names
    text = " ".join(visible_text(page))
    # "TreeSHAP (log-odds)" stays in the methods (the churn card: test_models_parts.py)
    assert "Mean absolute TreeSHAP contribution" not in text
    assert "attitude=" not in text.lower()
