"""Write docs/screenshots/themes-real.png: the report's theme table on real comments.

The comments are the real samples of tests/fixtures/real/text (airline tweets, Russian
telecom tweets, Chinese reviews; provenance in tests/fixtures/real/README.md), loaded as
survey comments into a fresh workspace; the report's "What customers say" table is then
rendered in Debian's chromium and cut to its first rows.

    .venv/bin/python -m tests.report.themes_screenshot docs/screenshots

Needs chromium (/usr/bin/chromium) and playwright, as tests/report/screenshots.py does.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

from tests.report.screenshots import CHROMIUM, small_png

FIXTURES = Path(__file__).parents[1] / "fixtures" / "real" / "text"
SETS = ("themes_en_airline_tweets.csv", "themes_ru_telecom_tweets.csv", "themes_zh_reviews.csv")
#: the table's height in the shot (about seven themes)
HEIGHT = 1000


def comments_csv(path: Path) -> Path:
    """Write the three real samples as one survey export (id, date, NPS, comment).

    A response needs a score to load; the samples have none, so each row gets an NPS drawn
    at random (seeded). The shot shows only the theme table, which does not read it.
    """
    frames = [pd.read_csv(FIXTURES / name)["text"] for name in SETS]
    texts = pd.concat(frames, ignore_index=True)
    pd.DataFrame({
        "response_id": [f"r{i}" for i in range(len(texts))],
        "responded_at": "2024-03-01",
        "nps": np.random.default_rng(0).integers(0, 11, len(texts)),
        "comment": texts,
    }).to_csv(path, index=False)  # fmt: skip
    return path


def main(out: Path) -> Path:
    """Build the report on the real comments and save the theme table's shot; return its path."""
    from playwright.sync_api import sync_playwright

    tmp = Path(tempfile.mkdtemp(prefix="cxlens-themes-shot-"))
    db, html = tmp / "real.duckdb", tmp / "report.html"
    cli = [sys.executable, "-m", "cxlens"]
    csv = comments_csv(tmp / "comments.csv")
    subprocess.run([*cli, "ingest", str(csv), "--as", "responses", "-w", str(db)], check=True)
    subprocess.run([*cli, "report", "-w", str(db), "-o", str(html)], check=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1140, "height": 900})
        page.goto(html.resolve().as_uri(), wait_until="load")
        table = page.locator("section", has_text="What customers say").locator("table").first
        box = table.bounding_box()
        raw = tmp / "themes-real.png"
        clip = {"x": box["x"], "y": box["y"], "width": box["width"], "height": HEIGHT}
        page.screenshot(path=str(raw), full_page=True, clip=clip)
        browser.close()
    return small_png(raw, out / "themes-real.png")


if __name__ == "__main__":
    print(main(Path(sys.argv[1] if len(sys.argv) > 1 else "docs/screenshots")))
