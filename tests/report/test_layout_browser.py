"""Every chart of the report, drawn by chromium at 1024 and 1440 px and as printed to the PDF
(print media at the PDF's window, ``PRINT_WINDOW``), can be read.

For each chart the boxes of its SVG texts are read in the browser (tests/report/layout.py):
no two labels overlap, no text runs outside the chart, no legend covers an axis title.
"""

from __future__ import annotations

import pytest

from cxlens.report.pdf import PRINT_WINDOW
from tests.report.chromium import CHROMIUM
from tests.report.layout import layout_problems, read_charts
from tests.report.test_build import ALL_CHARTS

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,  # the full report is built first (shared with the other browser tests)
    pytest.mark.skipif(
        not CHROMIUM.exists(), reason="needs Debian's chromium at /usr/bin/chromium"
    ),
]
sync_api = pytest.importorskip("playwright.sync_api", reason="needs the playwright package")


#: The screen widths, and "print": the layout chromium prints the PDF from (report/pdf.py).
LAYOUTS = [1024, 1440, "print"]


def open_page(browser, layout: int | str):
    """Return a new page at a screen width, or as the PDF is printed (print CSS, A4 width)."""
    if layout == "print":
        width, height = PRINT_WINDOW
        page = browser.new_page(viewport={"width": width, "height": height})
        page.emulate_media(media="print")
        return page
    return browser.new_page(viewport={"width": layout, "height": 900})


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
        yield chromium
        chromium.close()


@pytest.mark.parametrize("width", LAYOUTS)
def test_no_chart_of_the_report_has_overlapping_or_clipped_text(analysed, browser, width):
    page = open_page(browser, width)
    try:
        page.goto(analysed[0].resolve().as_uri(), wait_until="load")
        page.wait_for_function("() => document.querySelectorAll('.js-plotly-plot').length > 0")
        page.wait_for_timeout(1500)  # Plotly's resize to the page after load
        charts = read_charts(page)
    finally:
        page.close()
    assert set(ALL_CHARTS) <= {c["id"] for c in charts}
    assert all(c["texts"] for c in charts), [c["id"] for c in charts if not c["texts"]]
    problems = layout_problems(charts)
    assert not problems, "\n".join(problems)


@pytest.fixture(scope="module")
def journey_page(tmp_path_factory):
    """The report's journey section alone (map, emotion, Sankey, funnel) on the sample."""
    import plotly.offline

    import cxlens
    from cxlens.report.journey_parts import journey_part
    from cxlens.report.template import page_html
    from cxlens.sample import generate, write_sample

    folder = tmp_path_factory.mktemp("journey-layout")
    paths = write_sample(generate(customers=1000, months=12, seed=7), folder / "sample")
    with cxlens.Workspace(folder / "ws.duckdb") as ws:
        for table in ("customers", "responses", "events"):
            ws.ingest(paths[table], table=table)
        section = journey_part(ws).section
    js = plotly.offline.get_plotlyjs()
    page = page_html(title="Journeys", eyebrow="", meta=[], sections=[section], footer="",
                     plotlyjs=js, version=cxlens.__version__)  # fmt: skip
    out = folder / "journeys.html"
    out.write_text(page, encoding="utf-8")
    return out


@pytest.mark.parametrize("width", LAYOUTS)
def test_no_journey_chart_has_overlapping_or_clipped_text(journey_page, browser, width):
    page = open_page(browser, width)
    try:
        page.goto(journey_page.resolve().as_uri(), wait_until="load")
        page.wait_for_timeout(1500)  # Plotly's resize, and the Sankey's label transition
        charts = read_charts(page)
    finally:
        page.close()
    drawn = {c["id"] for c in charts}
    assert {"chart-journey-map", "chart-journey-sankey", "chart-journey-funnel"} <= drawn
    sankey = next(c for c in charts if c["id"] == "chart-journey-sankey")
    assert len(sankey["texts"]) >= 10  # the touchpoints are labelled, the last column too
    problems = layout_problems(charts)
    assert not problems, "\n".join(problems)
