"""Write docs/screenshots/themes-real.png and themes-demo.png: the report's theme table.

themes-real.png: the real samples of tests/fixtures/real/text (airline tweets, Russian
telecom tweets, Chinese reviews; provenance in tests/fixtures/real/README.md), loaded as
survey comments into a fresh workspace. themes-demo.png: the table of a demo's report
(``cxlens demo --dir DIR``). Each is rendered in Debian's chromium and cut to its first rows.

    .venv/bin/python -m tests.report.themes_screenshot docs/screenshots [DEMO_DIR]

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


def real_report(tmp: Path) -> Path:
    """Build the report of the real comments in ``tmp``; return its HTML file."""
    db, html = tmp / "real.duckdb", tmp / "report.html"
    cli = [sys.executable, "-m", "cxlens"]
    csv = comments_csv(tmp / "comments.csv")
    subprocess.run([*cli, "ingest", str(csv), "--as", "responses", "-w", str(db)], check=True)
    subprocess.run([*cli, "report", "-w", str(db), "-o", str(html)], check=True)
    return html


def theme_table_shot(html: Path, out: Path, tmp: Path) -> Path:
    """Save the first rows of the report's theme table as ``out``; return it."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1140, "height": 900})
        page.goto(html.resolve().as_uri(), wait_until="load")
        # the table under "Themes and what customers say" (other sections quote the phrase)
        table = page.locator(
            "xpath=//h3[contains(., 'Themes and what customers say')]/following::table[1]"
        )
        box = table.bounding_box()
        raw = tmp / out.name
        clip = {"x": box["x"], "y": box["y"], "width": box["width"], "height": HEIGHT}
        page.screenshot(path=str(raw), full_page=True, clip=clip)
        browser.close()
    return small_png(raw, out)


def main(out: Path, demo: Path | None = None) -> list[Path]:
    """Write themes-real.png (and themes-demo.png from a demo folder) into ``out``."""
    tmp = Path(tempfile.mkdtemp(prefix="cxlens-themes-shot-"))
    written = [theme_table_shot(real_report(tmp), out / "themes-real.png", tmp)]
    if demo is not None:
        written.append(theme_table_shot(demo / "report.html", out / "themes-demo.png", tmp))
    return written


if __name__ == "__main__":
    args = sys.argv[1:]
    print(
        main(
            Path(args[0] if args else "docs/screenshots"), Path(args[1]) if len(args) > 1 else None
        )
    )
