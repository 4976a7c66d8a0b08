"""Print the HTML report to PDF with headless Chromium (Debian's ``chromium`` package).

Chromium loads the self-contained page offline, lets its scripts run on a virtual clock until
every Plotly chart is drawn (``--virtual-time-budget``), finishes all compositor stages before
it captures (``--run-all-compositor-stages-before-draw``) and prints with the page's print
CSS: A4, the cover on its own page, a page break before each section, no toolbars.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from cxlens.errors import ArgumentError, CxlensError

#: Executables tried, in order, when no ``chromium`` is given (CXLENS_CHROMIUM first).
CHROMIUM_NAMES: tuple[str, ...] = ("chromium", "chromium-browser", "google-chrome", "chrome")

#: Where Debian puts chromium, tried last (for a PATH without /usr/bin).
CHROMIUM_PATHS: tuple[str, ...] = ("/usr/bin/chromium",)

#: Milliseconds of virtual time the page gets to draw its charts before it is printed.
VIRTUAL_TIME_MS = 20_000

#: Window size (CSS px) of the load: the printed A4 width less its margins, so the charts
#: are laid out at the width they are printed at.
PRINT_WINDOW = (720, 1020)

INSTALL_HINT = (
    "install it with `sudo apt-get install chromium` (Debian/Ubuntu), `brew install --cask "
    "chromium` (macOS), or set CXLENS_CHROMIUM to the path of a Chromium or Chrome executable"
)


class PdfExportError(CxlensError, RuntimeError):
    """Chromium is missing, or it ran and did not print the PDF."""


def find_chromium(chromium: str | Path | None = None) -> Path:
    """Return the Chromium executable to print with.

    Args:
        chromium: an executable path or name; None tries ``$CXLENS_CHROMIUM``, then
            :data:`CHROMIUM_NAMES` on the PATH, then :data:`CHROMIUM_PATHS`.

    Returns:
        The executable's path.

    Raises:
        PdfExportError: none was found; the message says how to install one.

    Example:
        >>> find_chromium()  # doctest: +SKIP
        PosixPath('/usr/bin/chromium')
    """
    wanted = [str(chromium)] if chromium is not None else []
    if chromium is None:
        env = os.environ.get("CXLENS_CHROMIUM")
        wanted = ([env] if env else []) + [*CHROMIUM_NAMES, *CHROMIUM_PATHS]
    for name in wanted:
        found = shutil.which(name)
        if found:
            return Path(found)
    tried = ", ".join(wanted)
    raise PdfExportError(f"cannot export the PDF: no Chromium executable found (tried {tried}); "
                         f"{INSTALL_HINT}")  # fmt: skip


def export_pdf(
    html_path: str | Path,
    pdf_path: str | Path,
    *,
    chromium: str | Path | None = None,
    timeout: float = 300,
) -> Path:
    """Print an HTML report to PDF with headless Chromium, charts fully drawn.

    Args:
        html_path: the report (from :func:`cxlens.report.build_report`).
        pdf_path: the PDF to write (parent folders are created; written atomically).
        chromium: the Chromium executable (see :func:`find_chromium`).
        timeout: seconds Chromium may take before the export is abandoned.

    Returns:
        The path of the written PDF.

    Raises:
        ArgumentError: ``html_path`` does not exist.
        PdfExportError: Chromium is missing, fails, times out or writes no PDF.

    Example:
        >>> export_pdf("report.html", "report.pdf")  # doctest: +SKIP
        PosixPath('report.pdf')
    """
    page = Path(html_path).resolve()
    if not page.is_file():
        raise ArgumentError(f"cannot export {str(html_path)!r} to PDF: no such file; build the "
                            "report first (cxlens report -o report.html)")  # fmt: skip
    exe = find_chromium(chromium)
    out = Path(pdf_path).resolve()
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.tmp")
    tmp.unlink(missing_ok=True)
    width, height = PRINT_WINDOW
    # a private, throwaway profile: no user settings, no lock on the user's own profile
    with tempfile.TemporaryDirectory(prefix="cxlens-chromium-") as profile:
        args = [
            str(exe),
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--disable-extensions",
            "--disable-sync",
            "--disable-background-networking",
            "--disable-component-update",
            "--hide-scrollbars",
            f"--user-data-dir={profile}",
            f"--window-size={width},{height}",
            "--run-all-compositor-stages-before-draw",
            f"--virtual-time-budget={VIRTUAL_TIME_MS}",
            "--no-pdf-header-footer",
            f"--print-to-pdf={tmp}",
            page.as_uri(),
        ]
        try:
            done = subprocess.run(args, capture_output=True, text=True, timeout=timeout,
                                  check=False)  # fmt: skip
        except subprocess.TimeoutExpired as exc:
            tmp.unlink(missing_ok=True)
            raise PdfExportError(
                f"Chromium did not print {page.name} within {timeout:.0f} s; try a larger "
                "timeout, or a report with fewer sections (--no-analyses)"
            ) from exc
    if done.returncode != 0 or not tmp.exists() or tmp.stat().st_size == 0:
        tmp.unlink(missing_ok=True)
        raise PdfExportError(
            f"Chromium ({exe}) failed to print {page.name} to PDF (exit code "
            f"{done.returncode}): {done.stderr.strip()[-1500:] or 'no error output'}"
        )
    if tmp.read_bytes()[:5] != b"%PDF-":
        tmp.unlink(missing_ok=True)
        raise PdfExportError(f"Chromium wrote {tmp.name}, but it is not a PDF file")
    tmp.replace(out)
    return out
