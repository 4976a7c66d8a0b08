"""Write the screenshots of docs/screenshots/: the report (HTML at 1024 and 1440 px, PDF pages)
and the dashboard's panels at 1024 and 1440 px, from one demo workspace.

    cxlens demo --dir demo          # or run_demo(Path("demo"), customers=3000) for a quick one
    .venv/bin/python -m tests.report.screenshots demo docs/screenshots

Needs Debian's chromium (/usr/bin/chromium), playwright (driving it; no browser download) and
pypdfium2 (PDF pages to PNG), all in the dev extra. Each PNG is cut to one region and reduced
to 256 colours, so it stays well under 300 KB.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from PIL import Image

from tests.dashboard.signin import sign_in, wait_drawn

CHROMIUM = "/usr/bin/chromium"

#: (file, width, first section id, last section id) of the report's HTML shots.
REPORT_SHOTS = (
    ("report-1440-top.png", 1440, None, "kpis"),
    ("report-1024-segments.png", 1024, "segments", "segments"),
    ("report-1024-drivers-effort.png", 1024, "drivers", "effort"),
    ("report-1024-journeys.png", 1024, "journeys", "journeys"),
    ("report-1440-churn.png", 1440, "churn-risk", "churn-risk"),
)

#: (file stem, first section, last section) of the dashboard's shots, each at both widths.
DASHBOARD_SHOTS = (
    ("overview", "filters", "trends-title"),
    ("drivers-segments", "drivers-title", "segments-title"),
    ("voice", "journey-panel", "social-panel"),
)

#: Words that find the PDF pages to show (the first page holding each).
PDF_PAGES = (("report-pdf-journeys.png", "Journey flows"), ("report-pdf-effort.png", "Effort"))


def small_png(raw: Path, out: Path, max_height: int = 2400) -> Path:
    """Save ``raw`` as ``out`` cut to ``max_height`` px and reduced to 256 colours."""
    with Image.open(raw) as img:
        img = img.convert("RGB")
        if img.height > max_height:
            img = img.crop((0, 0, img.width, max_height))
        img.quantize(colors=256, method=Image.Quantize.MEDIANCUT).save(out, optimize=True)
    return out


def _clip(page, first: str | None, last: str) -> dict[str, float]:
    box = page.evaluate(
        """([first, last]) => {
            const a = first ? document.getElementById(first) : document.body;
            const b = document.getElementById(last);
            const top = a.getBoundingClientRect().top + window.scrollY;
            const r = b.closest('section') || b;
            const bottom = r.getBoundingClientRect().bottom + window.scrollY;
            return {top: Math.max(0, top - 8), bottom: bottom + 8};
        }""",
        [first, last],
    )
    width = page.viewport_size["width"]
    return {"x": 0, "y": box["top"], "width": width, "height": box["bottom"] - box["top"]}


def report_shots(browser, html: Path, out: Path, tmp: Path) -> list[Path]:
    """Screenshots of the report's sections at 1024 and 1440 px."""
    written = []
    for name, width, first, last in REPORT_SHOTS:
        page = browser.new_page(viewport={"width": width, "height": 900})
        page.goto(html.resolve().as_uri(), wait_until="load")
        page.wait_for_timeout(1500)  # Plotly's resize after load
        raw = tmp / name
        page.screenshot(path=str(raw), full_page=True, clip=_clip(page, first, last))
        written.append(small_png(raw, out / name))
        page.close()
    return written


def pdf_shots(pdf: Path, out: Path, tmp: Path) -> list[Path]:
    """The first PDF page holding each phrase of :data:`PDF_PAGES`, as PNG."""
    import pypdf
    import pypdfium2

    texts = [p.extract_text() or "" for p in pypdf.PdfReader(pdf).pages]
    doc = pypdfium2.PdfDocument(str(pdf))
    written = []
    for name, phrase in PDF_PAGES:
        index = next(i for i, t in enumerate(texts) if phrase in t)
        raw = tmp / name
        doc[index].render(scale=1.5).to_pil().save(raw)
        written.append(small_png(raw, out / name))
    return written


def dashboard_shots(browser, url: str, key: str, out: Path, tmp: Path) -> list[Path]:
    """Screenshots of the dashboard's panels at 1024 and 1440 px, after every panel drew."""
    written = []
    for width in (1024, 1440):
        page = browser.new_page(viewport={"width": width, "height": 900})
        sign_in(page, url, key)
        wait_drawn(page)
        page.wait_for_timeout(1500)
        for stem, first, last in DASHBOARD_SHOTS:
            name = f"dashboard-{width}-{stem}.png"
            raw = tmp / name
            page.screenshot(path=str(raw), full_page=True, clip=_clip(page, first, last))
            written.append(small_png(raw, out / name))
        page.close()
    return written


def main(demo: str = "demo", out: str = "docs/screenshots") -> None:
    """Build the report and its PDF from ``demo``/cxlens.duckdb and write every screenshot."""
    from playwright.sync_api import sync_playwright

    import cxlens
    from cxlens.api import KeyStore
    from cxlens.report import build_report
    from cxlens.report.pdf import export_pdf
    from tests.api.conftest import free_port, start_server, stop_server, wait_ready

    folder, target = Path(demo), Path(out)
    target.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as scratch:
        tmp = Path(scratch)
        with cxlens.Workspace(folder / "cxlens.duckdb") as ws:
            html = build_report(ws, tmp / "report.html", client="Northwind Connect (sample)")
        pdf = export_pdf(html, tmp / "report.pdf")
        key = KeyStore(folder).create([folder.joinpath("cxlens.duckdb").stem], "viewer",
                                      name="screenshots")[1]  # fmt: skip
        port = free_port()
        server = start_server(folder, port)
        try:
            wait_ready(f"http://127.0.0.1:{port}", server, folder, seconds=120)
            with sync_playwright() as pw:
                browser = pw.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
                shots = report_shots(browser, html, target, tmp)
                shots += dashboard_shots(browser, f"http://127.0.0.1:{port}", key, target, tmp)
                browser.close()
        finally:
            stop_server(server)
        shots += pdf_shots(pdf, target, tmp)
    for shot in shots:
        print(f"{shot} {shot.stat().st_size // 1024} KB")


if __name__ == "__main__":
    main(*sys.argv[1:])
