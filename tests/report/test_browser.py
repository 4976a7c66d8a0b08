"""Open the report in headless Debian chromium and check every chart was actually drawn."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from cxlens.report import build_report
from tests.report import chromium
from tests.report.conftest import load_workspace
from tests.report.test_build import ALL_CHARTS

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not chromium.CHROMIUM.exists(),
        reason="needs Debian's chromium at /usr/bin/chromium (apt-get install chromium)",
    ),
]


@pytest.fixture(scope="module")
def rendered(tmp_path_factory) -> tuple[Path, str, Path]:
    folder = tmp_path_factory.mktemp("browser")
    ws = load_workspace(folder)
    try:
        page = build_report(ws, folder / "report.html", client="Northwind Connect")
    finally:
        ws.close()
    hooked = chromium.with_error_hook(page, folder / "hooked.html")
    dom = chromium.dump_dom(hooked, folder / "profile")
    return page, dom, folder


def test_page_loaded_without_javascript_errors(rendered):
    _, dom, _ = rendered
    assert 'id="cx-loaded"' in dom, "the load hook never ran"
    errors = re.search(r'<pre id="cx-js-errors">(.*?)</pre>', dom, re.S)
    assert errors is not None
    assert errors.group(1).strip() == ""


def test_every_chart_was_drawn_as_svg(rendered):
    _, dom, _ = rendered
    classes = chromium.chart_classes(dom, set(ALL_CHARTS))
    for div in ALL_CHARTS:
        drawn = classes[div]
        assert "main-svg" in drawn, f"{div}: Plotly drew no SVG"
        assert "trace" in drawn, f"{div}: no trace was drawn"
        layer = "barlayer" if "segment" in div else "scatterlayer"
        assert layer in drawn, f"{div}: no {layer}"


def test_significant_changes_are_annotated_in_the_drawn_chart(rendered):
    _, dom, _ = rendered
    # the planted outage month drops NPS significantly; its annotation is drawn as SVG text
    nps = dom.split('id="chart-trend-nps"')[1].split('id="chart-trend-csat"')[0]
    assert re.search(r"▼ −\d+\.\d pts", nps)
    assert 'class="annotation"' in nps


def test_screenshot_is_not_blank(rendered):
    page, _, folder = rendered
    png = chromium.screenshot(page, folder / "report.png", folder / "profile")
    width, height, pixels = chromium.png_info(png)
    assert (width, height) == (1280, 2400)
    assert pixels >= width * height * 3  # at least RGB for every pixel
    # a blank page of this size compresses to about 16 KB; the report is far richer
    assert png.stat().st_size > 150_000
