"""Drive Debian's headless chromium: dump a page's DOM after its scripts ran, take screenshots.

Used by the browser tests, and as a script to refresh the screenshot in the docs:

    .venv/bin/python -m tests.report.chromium docs/report.png
"""

from __future__ import annotations

import struct
import subprocess
import sys
import tempfile
import zlib
from html.parser import HTMLParser
from pathlib import Path

CHROMIUM = Path("/usr/bin/chromium")

#: Flags that keep chromium offline, quiet and independent of any profile.
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-extensions",
    "--hide-scrollbars",
    "--virtual-time-budget=10000",
)

#: Inserted at the top of <head> of a copy of the page: records JavaScript errors and, once
#: the page has loaded, writes them (and the page height) into the DOM for --dump-dom.
ERROR_HOOK = """<script>
window.__cxErrors = [];
window.addEventListener("error", function (e) {
  window.__cxErrors.push("error: " + e.message + " at " + e.filename + ":" + e.lineno);
});
window.addEventListener("unhandledrejection", function (e) {
  window.__cxErrors.push("unhandled rejection: " + String(e.reason));
});
(function () {
  var original = console.error;
  console.error = function () {
    window.__cxErrors.push("console.error: " + Array.prototype.join.call(arguments, " "));
    return original.apply(console, arguments);
  };
})();
window.addEventListener("load", function () {
  setTimeout(function () {
    var pre = document.createElement("pre");
    pre.id = "cx-js-errors";
    pre.textContent = window.__cxErrors.join("\\n");
    document.body.appendChild(pre);
    var done = document.createElement("div");
    done.id = "cx-loaded";
    done.setAttribute("data-height", String(document.documentElement.scrollHeight));
    document.body.appendChild(done);
  }, 500);
});
</script>"""

_VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source",
         "track", "wbr"}  # fmt: skip


def run(args: list[str], profile: Path, timeout: int = 180) -> subprocess.CompletedProcess[str]:
    """Run chromium with the offline flags, a private profile and ``args``."""
    return subprocess.run(
        [str(CHROMIUM), *FLAGS, f"--user-data-dir={profile}", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def with_error_hook(page: Path, out: Path) -> Path:
    """Copy ``page`` to ``out`` with :data:`ERROR_HOOK` as the first thing in <head>."""
    html = page.read_text(encoding="utf-8")
    assert html.count("<head>") == 1
    out.write_text(html.replace("<head>", "<head>\n" + ERROR_HOOK, 1), encoding="utf-8")
    return out


def dump_dom(page: Path, profile: Path, width: int = 1280, height: int = 2400) -> str:
    """Return the page's DOM after its scripts ran (as chromium's --dump-dom prints it)."""
    done = run(["--dump-dom", f"--window-size={width},{height}", page.resolve().as_uri()], profile)
    if done.returncode != 0 or "<html" not in done.stdout:
        raise RuntimeError(f"chromium --dump-dom failed ({done.returncode}): {done.stderr[-2000:]}")
    return done.stdout


def screenshot(page: Path, png: Path, profile: Path, width: int = 1280, height: int = 2400) -> Path:
    """Save a ``width`` x ``height`` screenshot of the top of ``page`` to ``png``."""
    done = run(
        [f"--screenshot={png}", f"--window-size={width},{height}", page.resolve().as_uri()],
        profile,
    )
    if done.returncode != 0 or not png.exists():
        raise RuntimeError(
            f"chromium --screenshot failed ({done.returncode}): {done.stderr[-2000:]}"
        )
    return png


class ChartContents(HTMLParser):
    """For each element id in ``ids``, collect the classes of everything drawn inside it."""

    def __init__(self, ids: set[str]) -> None:
        super().__init__()
        self.ids = ids
        self.classes: dict[str, list[str]] = {i: [] for i in ids}
        self._active: str | None = None
        self._depth = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if self._active is None:
            if found.get("id") in self.ids and tag not in _VOID:
                self._active, self._depth = found["id"], 1
            return
        self.classes[self._active].extend((found.get("class") or "").split())
        if tag not in _VOID:
            self._depth += 1

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self._active is not None:
            self.classes[self._active].extend((dict(attrs).get("class") or "").split())

    def handle_endtag(self, tag: str) -> None:
        if self._active is not None and tag not in _VOID:
            self._depth -= 1
            if self._depth == 0:
                self._active = None


def chart_classes(dom: str, ids: set[str]) -> dict[str, list[str]]:
    """Classes of the elements inside each chart div of a dumped DOM."""
    parser = ChartContents(ids)
    parser.feed(dom)
    return parser.classes


def png_info(path: Path) -> tuple[int, int, int]:
    """Return (width, height, decompressed image bytes) of a PNG, checking its structure."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, width, height, idat = 8, 0, 0, b""
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind = data[pos + 4 : pos + 8]
        body = data[pos + 8 : pos + 8 + length]
        if kind == b"IHDR":
            width, height = struct.unpack(">II", body[:8])
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    return width, height, len(zlib.decompress(idat))


def main(out: str = "docs/report.png") -> None:
    """Build the report on a generated sample and save a full-page screenshot to ``out``.

    The sample has customers, responses, transactions and posts, and two KPIs, so every
    section but the (optional) saved segments is drawn.
    """
    import cxlens
    from cxlens.report import build_report
    from cxlens.sample import generate, write_sample

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        paths = write_sample(generate(customers=3000, months=24, seed=7), folder / "data")
        with cxlens.Workspace(folder / "ws.duckdb") as ws:
            for table in ("customers", "responses", "transactions", "posts"):
                ws.ingest(paths[table], table=table)
            ws.kpis.define("NPS", "nps", 30, warning_band=3, owner="CX team")
            ws.kpis.define("SMB billing NPS", "nps", 15, warning_band=5,
                           filter={"segment": "small_business", "touchpoint": "billing"},
                           deadline="2026-06-30", owner="billing team")  # fmt: skip
            page = build_report(ws, folder / "report.html", client="Northwind Connect")
        hooked = with_error_hook(page, folder / "hooked.html")
        dom = dump_dom(hooked, folder / "profile")
        height = int(dom.split('id="cx-loaded" data-height="')[1].split('"')[0])
        screenshot(page, Path(out), folder / "profile", height=height)
    print(f"wrote {out} (1280 x {height})")


if __name__ == "__main__":
    main(*sys.argv[1:])
