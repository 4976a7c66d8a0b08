"""Open the report in headless Debian chromium and check every chart was actually drawn."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.report import chromium
from tests.report.test_build import ALL_CHARTS, ANALYSIS_CHARTS

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not chromium.CHROMIUM.exists(),
        reason="needs Debian's chromium at /usr/bin/chromium (apt-get install chromium)",
    ),
]


@pytest.fixture(scope="module")
def rendered(analysed, tmp_path_factory) -> tuple[Path, str, Path]:
    page, _ = analysed
    folder = tmp_path_factory.mktemp("browser")
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
        layer = ANALYSIS_CHARTS.get(div) or ("barlayer" if "segment" in div else "scatterlayer")
        assert layer in drawn, f"{div}: no {layer}"
        trace = "hm" if layer == "heatmaplayer" else "trace"  # a heatmap draws one image
        assert trace in drawn, f"{div}: no trace was drawn"


def test_analysis_sections_are_rendered(rendered):
    _, dom, _ = rendered
    for section_id in ("kpi-status", "insights", "drivers", "effort", "loyalty", "value",
                       "customer-segments"):  # fmt: skip
        assert f'<section id="{section_id}">' in dom, section_id
    # the quadrant names of the loyalty matrix are drawn as SVG annotations
    matrix = dom.split('id="chart-loyalty-matrix"')[1].split("</section>")[0]
    for quadrant in ("loyalists", "mercenaries", "hostages", "defectors"):
        assert quadrant in matrix


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
