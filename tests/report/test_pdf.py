"""PDF export: Debian's headless chromium prints the report, charts and summary included."""

from __future__ import annotations

import html
import re

import pytest

from cxlens.errors import ArgumentError
from cxlens.report.pdf import PdfExportError, export_pdf, find_chromium
from tests.report import chromium


def test_missing_chromium_says_how_to_install_it(tmp_path, monkeypatch):
    with pytest.raises(PdfExportError, match=r"no Chromium executable found.*apt-get install"):
        find_chromium(tmp_path / "no-such-chromium")
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setattr("cxlens.report.pdf.CHROMIUM_PATHS", ())
    monkeypatch.setenv("CXLENS_CHROMIUM", str(tmp_path / "nothing-here"))
    page = tmp_path / "r.html"
    page.write_text("<html></html>")
    with pytest.raises(PdfExportError, match=r"tried .*nothing-here, chromium, chromium-browser"):
        export_pdf(page, tmp_path / "r.pdf")
    assert not (tmp_path / "r.pdf").exists()


def test_missing_report_is_refused(tmp_path):
    with pytest.raises(ArgumentError, match=r"no such file; build the report first"):
        export_pdf(tmp_path / "nope.html", tmp_path / "r.pdf")


@pytest.mark.browser
@pytest.mark.skipif(not chromium.CHROMIUM.exists(), reason="needs Debian's chromium")
def test_pdf_has_the_cover_summary_and_drawn_charts(analysed, tmp_path):
    pypdf = pytest.importorskip("pypdf")
    page, _ = analysed
    pdf = export_pdf(page, tmp_path / "out" / "report.pdf")
    assert pdf.read_bytes()[:5] == b"%PDF-"
    reader = pypdf.PdfReader(pdf)
    width, height = (float(v) for v in reader.pages[0].mediabox[2:])
    assert (round(width), round(height)) == (595, 842)  # A4 in points
    texts = [" ".join(p.extract_text().split()) for p in reader.pages]
    assert len(texts) > 15  # the cover, then a page or more per section
    # the cover is a page of its own
    assert "Prepared for Northwind <Connect> & Co".upper() in texts[0].upper()
    assert "Executive summary" not in texts[0]
    # every summary sentence is printed, on the page after the cover
    source = page.read_text(encoding="utf-8")
    block = source.split('<section id="summary">')[1].split("</section>")[0]
    sentences = [html.unescape(s) for s in re.findall(r"<li[^>]*>(.*?)</li>", block)]
    assert len(sentences) >= 3
    summary_page = texts[1] + " " + texts[2]
    for sentence in sentences:
        assert sentence in summary_page, sentence
    # axis titles exist only in the charts' JSON: printed, they prove Plotly drew the charts
    markup = re.sub(r"<script.*?</script>", "", source, flags=re.S)
    visible = " ".join(html.unescape(re.sub(r"<[^>]+>", " ", markup)).split())
    titles = set(re.findall(r'"title":\{"text":"([^"\\]{4,60})"', source))
    chart_only = [t for t in titles if t not in visible]
    assert len(chart_only) >= 5
    printed = " ".join(texts)
    assert [t for t in chart_only if t not in printed] == []
    # the toolbar and table of contents are for the screen only
    assert "Download plot" not in printed
    # the methods appendix comes last
    last = next(i for i, t in enumerate(texts) if "Methods and definitions" in t[:40])
    assert last > len(texts) // 2
