"""HTML pieces of the report: the page, KPI tiles, chart cards, tables and notes.

Every function returns an HTML string and escapes the text it is given with ``html.escape``;
only arguments named ``*_html`` are inserted as they are. The page skeleton and its CSS live in
``template.html`` next to this module and are filled with ``string.Template``.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache
from importlib.resources import files
from string import Template

from cxlens.display import active_names, format_p, relabel_label, relabel_text, without_code

#: Table headers whose cells are p- or q-values, written with :func:`cxlens.display.format_p`.
P_HEADERS = {"p", "q", "p-value", "q-value", "p value", "q value", "p_value", "q_value"}

#: Tables up to this many rows are printed on one page (no orphan row on the next).
KEEP_WHOLE_ROWS = 20

#: A tag, or a script/style element whole: the text between them is what a reader sees.
_MARKUP = re.compile(r"(<script\b.*?</script>|<style\b.*?</style>|<[^>]*>)", re.S | re.I)


def esc(text: object) -> str:
    """Escape ``text`` for HTML text and attribute values.

    Example:
        >>> esc("<b>R&D</b>")
        '&lt;b&gt;R&amp;D&lt;/b&gt;'
    """
    return html.escape(str(text), quote=True)


class Trusted(str):
    """HTML built by this module's functions, inserted by :func:`table_html` as it is.

    Example:
        >>> table_html(["status"], [[Trusted(pill_html("on track", "good"))]]).count("<span")
        1
    """

    __slots__ = ()


@cache
def _page_template() -> Template:
    return Template(files("cxlens.report").joinpath("template.html").read_text("utf-8"))


@dataclass(frozen=True)
class Section:
    """One titled section of the report.

    ``body_html`` is trusted HTML built by this module's functions; ``lead`` is plain text.

    Example:
        >>> Section("kpis", "Headline", "<p>hi</p>").html().startswith('<section id="kpis">')
        True
    """

    id: str
    title: str
    body_html: str
    lead: str = ""

    def html(self) -> str:
        """Render the section."""
        lead = f'<p class="lead">{esc(self.lead)}</p>\n' if self.lead else ""
        return (
            f'<section id="{esc(self.id)}">\n<h2>{esc(self.title)}</h2>\n{lead}'
            f"{self.body_html}\n</section>"
        )


@dataclass(frozen=True)
class BenchmarkLine:
    """One benchmark comparison under a KPI tile; plain text, escaped when rendered.

    ``tone`` ("good", "bad" or "") colours the verdict; ``source`` is shown small and
    ``citation`` (the full reference) as a tooltip.

    Example:
        >>> BenchmarkLine("All-industry median: 16", "above", "Reichheld, 2003").html()[:26]
        '<div class="tile-bench">Al'
    """

    text: str
    verdict: str = ""
    source: str = ""
    citation: str = ""
    tone: str = ""

    def html(self) -> str:
        """Render the line."""
        verdict = ""
        if self.verdict:
            cls = f"verdict {self.tone}".strip()
            verdict = f' · <span class="{cls}">{esc(self.verdict)}</span>'
        source = ""
        if self.source:
            title = f' title="{esc(self.citation)}"' if self.citation else ""
            source = f'<br><span class="src"{title}>{esc(self.source)}</span>'
        return f'<div class="tile-bench">{esc(self.text)}{verdict}{source}</div>'


@dataclass(frozen=True)
class Tile:
    """Contents of one KPI tile; plain text, escaped when rendered.

    ``tone`` of the change is "good", "bad" or "" and ``significant`` says whether the change
    passed the significance test.

    Example:
        >>> "tile-value" in Tile("NPS", "Net Promoter Score", "32").html()
        True
    """

    label: str
    long_label: str
    value: str
    interval: str = ""
    n: str = ""
    change: str = ""
    tone: str = ""
    significant: bool = False
    benchmarks: Sequence[BenchmarkLine] = field(default_factory=tuple)
    flags: Sequence[str] = field(default_factory=tuple)
    metric: str = ""

    def html(self) -> str:
        """Render the tile."""
        flags = "".join(f' <span class="flag">{esc(f)}</span>' for f in self.flags)
        parts = [
            f'<article class="tile" data-metric="{esc(self.metric)}">',
            f'<h3 class="tile-label">{esc(self.label)}<small>{esc(self.long_label)}</small></h3>',
            f'<div class="tile-value">{esc(self.value)}{flags}</div>',
        ]
        if self.interval:
            parts.append(f'<div class="tile-ci">{esc(self.interval)}</div>')
        if self.n:
            parts.append(f'<div class="tile-n">{esc(self.n)}</div>')
        if self.change:
            classes = " ".join(c for c in ("tile-change", self.tone, "sig" * self.significant) if c)
            parts.append(f'<div class="{classes}">{esc(self.change)}</div>')
        parts.extend(b.html() for b in self.benchmarks)
        parts.append("</article>")
        return "\n".join(parts)


def tiles_html(tiles: Sequence[Tile]) -> str:
    """Lay tiles out in a responsive grid.

    Example:
        >>> tiles_html([]).startswith('<div class="tiles">')
        True
    """
    return '<div class="tiles">\n' + "\n".join(t.html() for t in tiles) + "\n</div>"


def card_html(title: str, body_html: str, subtitle: str = "") -> str:
    """Wrap a chart (or any trusted HTML) in a titled card.

    Example:
        >>> card_html("NPS by month", "<div></div>", "95% interval").count("<h3>")
        1
    """
    sub = f'<p class="sub">{esc(subtitle)}</p>' if subtitle else ""
    return (
        f'<div class="card"><h3>{esc(title)}</h3>{sub}\n<div class="chart">{body_html}</div>\n'
        "</div>"
    )


def note_html(text: str) -> str:
    """Render a highlighted note, used when a section is skipped or needs a caveat.

    Example:
        >>> note_html("No posts table.")
        '<p class="note">No posts table.</p>'
    """
    return f'<p class="note">{esc(without_code(text))}</p>'


def table_html(
    columns: Sequence[str], rows: Sequence[Sequence[object]], numeric: Sequence[int] = ()
) -> str:
    """Render a plain table; cells are escaped, ``numeric`` columns are right-aligned.

    A cell that is :class:`Trusted` HTML (e.g. from :func:`pill_html`) goes in as it is.

    Example:
        >>> table_html(["a", "n"], [["x", 3]], numeric=[1]).count("<tr>")
        2
    """
    num = set(numeric)
    p_columns = {i for i, c in enumerate(columns) if str(c).strip().lower() in P_HEADERS}

    def cls(i: int) -> str:
        return ' class="num"' if i in num else ""

    def cell(i: int, value: object) -> str:
        if isinstance(value, Trusted):
            return value
        if i in p_columns and _is_number(value):
            return esc(format_p(value))
        return esc(relabel_label(value))  # client words for identifiers in the data

    def header(i: int, name: object) -> str:
        return "p-value" if i in p_columns and str(name) in ("p", "P") else esc(relabel_label(name))

    head = "".join(f"<th{cls(i)}>{header(i, c)}</th>" for i, c in enumerate(columns))
    body = "\n".join(
        "<tr>" + "".join(f"<td{cls(i)}>{cell(i, v)}</td>" for i, v in enumerate(row)) + "</tr>"
        for row in rows
    )
    keep = " keep" if len(rows) <= KEEP_WHOLE_ROWS else ""
    return (
        f'<div class="table-wrap{keep}"><table>\n<thead><tr>{head}</tr></thead>\n<tbody>\n'
        f"{body}\n</tbody></table></div>"
    )


def _is_number(value: object) -> bool:
    try:
        float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return False
    return not isinstance(value, bool)


def client_text_html(fragment: str) -> str:
    """Return trusted HTML with its visible text in client words (scripts, tags untouched).

    Each text node goes through :func:`cxlens.display.relabel_text`: ``snake_case``
    identifiers become display names and raw p-values read "p < 0.001".

    Example:
        >>> client_text_html('<p class="x_y">small_business: p = 0.0</p>')
        '<p class="x_y">Small business: p &lt; 0.001</p>'
    """
    # the text is already escaped, so the names put into it are escaped too
    names = {key: esc(label) for key, label in active_names().items()}
    pieces = _MARKUP.split(fragment)
    return "".join(
        p if i % 2 else relabel_text(p, names).replace("< ", "&lt; ") for i, p in enumerate(pieces)
    )


def pill_html(text: str, tone: str = "") -> Trusted:
    """Render a small coloured label; ``tone`` is "good", "warn", "bad" or "".

    Example:
        >>> pill_html("off track", "bad")
        '<span class="pill bad">off track</span>'
    """
    cls = f"pill {tone}".strip()
    return Trusted(f'<span class="{esc(cls)}">{esc(text)}</span>')


def list_html(items: Sequence[str], *, ordered: bool = False, cls: str = "") -> str:
    """Render plain-text items as a bulleted (or numbered) list.

    Example:
        >>> list_html(["a", "<b>"]).count("<li>"), "&lt;b&gt;" in list_html(["<b>"])
        (2, True)
    """
    tag = "ol" if ordered else "ul"
    attr = f' class="{esc(cls)}"' if cls else ""
    body = "\n".join(f"<li>{esc(item)}</li>" for item in items)
    return f"<{tag}{attr}>\n{body}\n</{tag}>"


def definitions_html(items: Sequence[tuple[str, str]]) -> str:
    """Render a definition list of (term, description) pairs.

    Example:
        >>> definitions_html([("NPS", "promoters minus detractors")]).count("<dt>")
        1
    """
    body = "\n".join(f"<dt>{esc(term)}</dt><dd>{esc(text)}</dd>" for term, text in items)
    return f'<dl class="methods">\n{body}\n</dl>'


def page_html(
    *,
    title: str,
    eyebrow: str,
    meta: Sequence[str],
    sections: Sequence[Section],
    footer: str,
    plotlyjs: str,
    version: str,
    brand_html: str = "",
    cover_html: str = "",
) -> str:
    """Assemble the whole self-contained page.

    Args:
        title: report title (plain text).
        eyebrow: small line above the title, e.g. the client's name (plain text).
        meta: short facts under the title, e.g. period covered, date generated (plain text).
        sections: the sections, in order; each gets an entry in the table of contents.
        footer: footer line (plain text).
        plotlyjs: the Plotly JavaScript bundle, inlined once in the page head.
        version: cxlens version, recorded in a ``generator`` meta tag.
        brand_html: trusted HTML of the firm's logo and name, shown at the top of the header
            (see :mod:`cxlens.report.branding`).
        cover_html: trusted HTML of the cover facts (client, period, date, prepared by),
            shown under the title; the header prints as the cover page.

    Returns:
        The complete HTML document.

    Example:
        >>> page = page_html(title="T", eyebrow="E", meta=["m"], sections=[], footer="f",
        ...                  plotlyjs="", version="0")
        >>> page.startswith("<!DOCTYPE html>")
        True
    """
    if "</script" in plotlyjs.lower():
        raise ValueError("the Plotly bundle contains '</script' and cannot be inlined safely")
    toc = "".join(f'<a href="#{esc(s.id)}">{esc(s.title)}</a>' for s in sections)
    return _page_template().substitute(
        title=esc(title),
        eyebrow=esc(eyebrow),
        meta="".join(f"<span>{esc(m)}</span>" for m in meta),
        toc=toc,
        sections=client_text_html("\n".join(s.html() for s in sections)),
        footer=esc(footer),
        plotlyjs=plotlyjs,
        version=esc(version),
        brand=brand_html,
        cover=cover_html,
    )
