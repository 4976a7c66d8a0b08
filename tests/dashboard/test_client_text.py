"""The dashboard speaks the client's language: no raw identifier or placeholder on the page.

Signs in to the session's dashboard (``board``) in Debian's headless chromium and scans the
page's visible text and every drawn chart (categories, point labels, legend, titles) for
the column names and category values of the workspace's own data.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.dashboard.signin import sign_in, wait_drawn
from tests.report.client_text import chart_labels, frame_identifiers, leaks

CHROMIUM = Path("/usr/bin/chromium")

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not CHROMIUM.exists(), reason="needs Debian's chromium at /usr/bin/chromium"
    ),
]

sync_api = pytest.importorskip("playwright.sync_api", reason="needs the playwright package")

#: Every chart the signed-in board draws for a workspace with responses and transactions.
CHARTS = ("trend-nps", "trend-csat", "trend-ces", "trend-churn", "priority", "segments",
          "loyalty")  # fmt: skip

_FIGURES = """(ids) => ids.map((id) => {
  const el = document.getElementById(id);
  return {data: el.data || [], layout: el.layout || {}};
})"""


@pytest.mark.parametrize("width", [1024, 1440])
def test_no_raw_identifier_or_placeholder_on_the_board(board, width):
    # the server holds the workspace: the identifiers come from the frames it loaded
    snake, lower = frame_identifiers(list(board.tables.values()))
    assert {"small_business", "customer_id"} <= snake and "consumer" in lower
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": width, "height": 900})
        sign_in(page, board.url, board.keys["viewer"])
        wait_drawn(page, timeout_ms=60_000)
        text = page.inner_text("#board").splitlines()
        options = page.eval_on_selector_all("#segment option", "(os) => os.map((o) => o.text)")
        figures = page.evaluate(_FIGURES, list(CHARTS))
        browser.close()
    assert "Small business" in options and "small_business" not in options
    assert leaks(options, text, snake, lower) == []
    # the tiles' lines are in the scan: the month in words, its change and test, the whole
    # period; no p-value in scientific notation and no month written as 2024-12
    assert any(line.startswith("Net Promoter Score, ") for line in text)
    assert any(line.startswith("Whole period ") for line in text)
    assert any(" vs previous month (" in line for line in text)
    joined = " ".join(text)
    assert re.findall(r"\b[pq] = (?:\d+(?:\.\d+)?e-\d+|0\.0+\b)", joined) == []
    assert re.findall(r"\b(?:19|20)\d\d-\d\d\b", joined) == []
    found = {c: leaks(*chart_labels(f), snake, lower) for c, f in zip(CHARTS, figures, strict=True)}
    assert {c: got for c, got in found.items() if got} == {}
    segments = dict(zip(CHARTS, figures, strict=True))["segments"]["data"][0]["y"]
    assert sorted(segments) == ["Consumer", "Enterprise", "Small business"]
