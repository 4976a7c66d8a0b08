"""Branding: the logo is checked and embedded as a data URI; firm, client and cover facts shown."""

from __future__ import annotations

import base64
import html
import re
import struct
import zlib
from datetime import date
from pathlib import Path

import pytest

from cxlens.errors import ArgumentError
from cxlens.report import build_report
from cxlens.report.branding import Branding, logo_data_uri
from tests.report.conftest import load_workspace

SVG = (b'<svg xmlns="http://www.w3.org/2000/svg" width="40" height="20">'
       b'<rect width="40" height="20" fill="#1f4e79"/></svg>')  # fmt: skip


def tiny_png() -> bytes:
    """A valid 1 x 1 RGB PNG, built chunk by chunk."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        crc = zlib.crc32(kind + body) & 0xFFFFFFFF
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\x00\x1f\x4e\x79")
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels)
            + chunk(b"IEND", b""))  # fmt: skip


@pytest.mark.parametrize(
    ("name", "data", "media"),
    [
        ("logo.png", tiny_png(), "image/png"),
        ("logo.JPG", b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(40), "image/jpeg"),
        ("logo.svg", SVG, "image/svg+xml"),
    ],
)
def test_logo_is_embedded_byte_for_byte(tmp_path, name, data, media):
    path = tmp_path / name
    path.write_bytes(data)
    uri = logo_data_uri(path)
    prefix = f"data:{media};base64,"
    assert uri.startswith(prefix)
    assert base64.b64decode(uri[len(prefix) :]) == data


def test_shipped_logo_is_a_valid_svg():
    shipped = Path(__file__).parents[2] / "src" / "cxlens" / "report" / "logo.svg"
    assert logo_data_uri(shipped).startswith("data:image/svg+xml;base64,")


@pytest.mark.parametrize(
    ("name", "data", "match"),
    [
        ("logo.gif", b"GIF89a" + bytes(10), r"unsupported type '\.gif'.*\.png, \.jpg"),
        ("logo", b"x", r"unsupported type '\(no suffix\)'"),
        ("logo.png", b"<svg/>", r"named \.png but is not a PNG"),
        ("logo.jpeg", tiny_png(), r"named \.jpeg but is not a JPEG"),
        ("logo.svg", b"<svg><rect", r"not a well-formed SVG"),
        ("logo.svg", b"<html><body/></html>", r"root element is not <svg>"),
        ("logo.svg", SVG.replace(b"<rect", b"<script>alert(1)</script><rect"), r"scripts"),
        ("logo.svg", SVG.replace(b"<rect", b'<rect onload="x()"'), r"event handlers"),
        ("logo.png", b"", r"is empty"),
    ],
)
def test_bad_logos_are_refused_with_the_reason(tmp_path, name, data, match):
    path = tmp_path / name
    path.write_bytes(data)
    with pytest.raises(ArgumentError, match=match):
        logo_data_uri(path)


def test_missing_directory_and_oversized_logos_are_refused(tmp_path):
    with pytest.raises(ArgumentError, match=r"'.*nope\.png' does not exist"):
        logo_data_uri(tmp_path / "nope.png")
    folder = tmp_path / "dir.png"
    folder.mkdir()
    with pytest.raises(ArgumentError, match="is not a file"):
        logo_data_uri(folder)
    big = tmp_path / "big.png"
    big.write_bytes(tiny_png() + bytes(3000))
    with pytest.raises(ArgumentError, match=r"is 3 KB, over the 2 KB limit"):
        logo_data_uri(big, max_bytes=2048)
    assert logo_data_uri(big, max_bytes=4096)  # under the limit it goes in


def test_branding_escapes_and_defaults():
    b = Branding(firm="R&D <Partners>", client="Acme & Co")
    assert b.prepared_for == "Acme & Co"
    assert b.eyebrow() == "Prepared for Acme & Co"
    assert (
        b.brand_html()
        == '<div class="brand"><span class="firm">R&amp;D &lt;Partners&gt;</span></div>'
    )
    assert Branding().brand_html() == ""
    assert Branding().eyebrow() == "Customer experience report"
    cover = Branding(client="Acme", prepared_for="Ops team", prepared_by="Jo <Analyst>").cover_html(
        period="Jan 2024 – Dec 2024", prepared_on=date(2025, 3, 7)
    )
    facts = dict(re.findall(r"<dt>(.*?)</dt><dd>(.*?)</dd>", cover))
    assert facts == {
        "Client": "Acme",
        "Prepared for": "Ops team",
        "Period covered": "Jan 2024 – Dec 2024",
        "Date": "07 March 2025",
        "Prepared by": "Jo &lt;Analyst&gt;",
    }


@pytest.fixture(scope="module")
def branded(tmp_path_factory) -> tuple[str, bytes]:
    folder = tmp_path_factory.mktemp("branded")
    ws = load_workspace(folder, customers=200, months=6, posts=False, analyses=False)
    logo = folder / "acme.png"
    logo.write_bytes(tiny_png())
    try:
        page = build_report(ws, folder / "report.html", analyses=False, client="Northwind",
                            firm="Acme Insights", logo=logo, prepared_by="J. Analyst")  # fmt: skip
    finally:
        ws.close()
    return page.read_text(encoding="utf-8"), tiny_png()


def test_report_header_and_cover_carry_the_branding(branded):
    page, png = branded
    header = page.split('<header class="cover">')[1].split("</header>")[0]
    logo = re.search(
        r'<img class="logo" src="data:image/png;base64,([^"]+)" alt="([^"]+)">', header
    )
    assert logo is not None
    assert base64.b64decode(logo.group(1)) == png
    assert logo.group(2) == "Acme Insights logo"
    assert '<span class="firm">Acme Insights</span>' in header
    facts = dict(re.findall(r"<dt>(.*?)</dt><dd>(.*?)</dd>", header))
    # 6 months of data from Jan 2024 (tests/report/conftest.py), generated today
    assert facts["Client"] == "Northwind"
    assert facts["Period covered"] == "January 2024 – June 2024"  # months in full
    assert facts["Prepared by"] == "J. Analyst"
    assert facts["Firm"] == "Acme Insights"
    assert re.fullmatch(r"\d{2} [A-Z][a-z]+ 20\d{2}", html.unescape(facts["Date"]))
    assert "Prepared for Northwind" in header
    assert "Prepared by Acme Insights." in page.split("<footer>")[1]
    # no link anywhere: the logo travels inside the file
    markup = re.sub(r"<script.*?</script>", "", page, flags=re.S)
    assert re.findall(r'src="(.{5})', markup) == ["data:"]


def test_bad_logo_fails_before_any_work(tmp_path):
    import cxlens

    with cxlens.Workspace(":memory:") as ws, pytest.raises(ArgumentError, match="does not exist"):
        build_report(ws, tmp_path / "r.html", logo=tmp_path / "missing.svg")
    assert not (tmp_path / "r.html").exists()
