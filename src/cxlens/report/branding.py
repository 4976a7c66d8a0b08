"""Branding of the report: the consulting firm's name and logo, the client, who prepared it.

The logo file is read once, checked (it exists, is a PNG, JPEG or SVG by its contents and not
just its name, and is small enough to inline) and embedded as a ``data:`` URI, so the report
stays one self-contained file that opens offline.
"""

from __future__ import annotations

import base64
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from cxlens.errors import ArgumentError
from cxlens.report.template import esc

#: Largest logo file inlined (bytes): a logo is a few KB; a photo would bloat every copy.
LOGO_MAX_BYTES = 512 * 1024

#: Media type of each accepted file suffix.
LOGO_TYPES: dict[str, str] = {
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".svg": "image/svg+xml",
}

_PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
_JPEG_MAGIC = b"\xff\xd8\xff"
# scripts, event handlers and external references have no place in an inlined logo
_SVG_UNSAFE = re.compile(rb"<script|<foreignObject|\son\w+\s*=|javascript:", re.IGNORECASE)


def logo_data_uri(path: str | Path, *, max_bytes: int = LOGO_MAX_BYTES) -> str:
    """Read a PNG, JPEG or SVG logo, check it and return it as a ``data:`` URI.

    Args:
        path: the logo file.
        max_bytes: the largest file accepted.

    Returns:
        ``data:<media type>;base64,<contents>``, ready for an ``<img src>``.

    Raises:
        ArgumentError: the file is missing or not a file, its suffix is not .png, .jpg,
            .jpeg or .svg, its contents do not match the suffix (or an SVG holds scripts),
            it is empty, or it is larger than ``max_bytes``.

    Example:
        >>> logo_data_uri("logo.svg")[:26]  # doctest: +SKIP
        'data:image/svg+xml;base64,'
    """
    file = Path(path)
    if not file.exists():
        raise ArgumentError(f"logo file {str(file)!r} does not exist; pass the path of a PNG, "
                            "JPEG or SVG file")  # fmt: skip
    if not file.is_file():
        raise ArgumentError(f"logo {str(file)!r} is not a file; pass a PNG, JPEG or SVG file")
    suffix = file.suffix.lower()
    if suffix not in LOGO_TYPES:
        raise ArgumentError(
            f"logo {file.name!r} has an unsupported type {suffix or '(no suffix)'!r}; use a "
            f"{', '.join(LOGO_TYPES)} file (convert other formats to PNG first)"
        )
    size = file.stat().st_size
    if size > max_bytes:
        raise ArgumentError(
            f"logo {file.name!r} is {size / 1024:,.0f} KB, over the {max_bytes / 1024:,.0f} KB "
            "limit for a logo inlined in every copy of the report; export it smaller (a "
            "400 px wide PNG or an SVG is plenty)"
        )
    data = file.read_bytes()
    if not data:
        raise ArgumentError(f"logo {file.name!r} is empty")
    _check_contents(file.name, suffix, data)
    return f"data:{LOGO_TYPES[suffix]};base64,{base64.b64encode(data).decode('ascii')}"


def _check_contents(name: str, suffix: str, data: bytes) -> None:
    """Raise when the bytes are not the image the suffix promises."""
    if suffix == ".png" and not data.startswith(_PNG_MAGIC):
        raise ArgumentError(f"logo {name!r} is named .png but is not a PNG image")
    if suffix in (".jpg", ".jpeg") and not data.startswith(_JPEG_MAGIC):
        raise ArgumentError(f"logo {name!r} is named {suffix} but is not a JPEG image")
    if suffix == ".svg":
        try:
            root = ET.fromstring(data)
        except ET.ParseError as exc:
            raise ArgumentError(f"logo {name!r} is not a well-formed SVG file: {exc}") from exc
        if root.tag.rsplit("}", 1)[-1] != "svg":
            raise ArgumentError(f"logo {name!r} is XML but its root element is not <svg>")
        if _SVG_UNSAFE.search(data):
            raise ArgumentError(
                f"logo {name!r} contains scripts, event handlers or embedded HTML; export a "
                "plain SVG (shapes and text only)"
            )


@dataclass(frozen=True)
class Branding:
    """Who the report is from and for; plain text, escaped when rendered.

    ``logo`` is a ``data:`` URI from :func:`logo_data_uri` (or "" for none).

    Example:
        >>> Branding(firm="Acme Insights", client="Northwind").prepared_for
        'Northwind'
    """

    firm: str = ""
    logo: str = ""
    client: str = ""
    prepared_for: str = ""
    prepared_by: str = ""

    def __post_init__(self) -> None:
        # the client is who it is prepared for unless a person is named
        if not self.prepared_for and self.client:
            object.__setattr__(self, "prepared_for", self.client)

    def eyebrow(self) -> str:
        """Return the small line above the title.

        Example:
            >>> Branding(client="Northwind").eyebrow()
            'Prepared for Northwind'
        """
        if not self.prepared_for:
            return "Customer experience report"
        return f"Prepared for {self.prepared_for}"

    def brand_html(self) -> str:
        """Return the firm's logo and name for the page header ("" when neither is given).

        Example:
            >>> Branding(firm="A&B").brand_html()
            '<div class="brand"><span class="firm">A&amp;B</span></div>'
        """
        if not (self.firm or self.logo):
            return ""
        alt = f"{self.firm} logo" if self.firm else "logo"
        logo = f'<img class="logo" src="{esc(self.logo)}" alt="{esc(alt)}">' if self.logo else ""
        firm = f'<span class="firm">{esc(self.firm)}</span>' if self.firm else ""
        return f'<div class="brand">{logo}{firm}</div>'

    def cover_html(self, *, period: str, prepared_on: date) -> str:
        """Return the cover facts: client, period covered, date, who prepared it, the firm.

        Example:
            >>> "Period covered" in Branding(client="N").cover_html(
            ...     period="Jan – Mar 2025", prepared_on=date(2025, 4, 1))
            True
        """
        rows = [
            ("Client", self.client),
            ("Prepared for", "" if self.prepared_for == self.client else self.prepared_for),
            ("Period covered", period),
            ("Date", f"{prepared_on:%d %B %Y}"),
            ("Prepared by", self.prepared_by),
            ("Firm", self.firm),
        ]
        facts = "".join(f"<div><dt>{esc(k)}</dt><dd>{esc(v)}</dd></div>" for k, v in rows if v)
        return f'<dl class="cover-facts">{facts}</dl>'
