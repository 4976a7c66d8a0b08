"""What a client reads in a rendered view, and the raw identifiers of the data behind it.

Shared by the report's and the dashboard's client-language tests: :func:`visible_text` and
:func:`chart_labels` pull the words out of a page, :func:`data_identifiers` lists every column
name and category value of a workspace that a client must never read as it is.
"""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from typing import Any

import cxlens

#: Words that mean a view was built from missing data.
PLACEHOLDERS = ("None", "nan", "NaN", "SCORE", "TODO", "undefined")

#: Columns every table has for lineage; they never reach a view.
_LINEAGE = {"_load_id", "_source_file", "_source_row"}


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.skip = 0
        self.parts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style"):
            self.skip += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style"):
            self.skip -= 1

    def handle_data(self, data: str) -> None:
        if not self.skip and data.strip():
            self.parts.append(data.strip())


def visible_text(page: str) -> list[str]:
    """Return the text nodes of an HTML page outside scripts and styles."""
    parser = _Text()
    parser.feed(page)
    return parser.parts


def plotly_figures(page: str) -> dict[str, dict[str, Any]]:
    """Return {div id: {"data": [...], "layout": {...}}} of every Plotly.newPlot on the page."""
    decoder = json.JSONDecoder()
    found: dict[str, dict[str, Any]] = {}
    for m in re.finditer(r'Plotly\.newPlot\(\s*"([^"]+)",\s*', page):
        data, end = decoder.raw_decode(page, m.end())
        layout, _ = decoder.raw_decode(page, page.index("{", end))
        found[m.group(1)] = {"data": data, "layout": layout}
    return found


def chart_labels(figure: dict[str, Any]) -> tuple[list[str], list[str]]:
    """Return (whole labels, running text) a reader sees in one Plotly figure.

    Labels: string ``x``/``y`` categories, ``text`` of points, trace names, Sankey node
    labels, tick texts. Running text: titles, axis titles, annotations, hover text.
    """
    labels: list[str] = []
    text: list[str] = []

    def strings(value: Any) -> list[str]:
        if isinstance(value, str):
            return [value]
        if isinstance(value, list):
            return [v for item in value for v in strings(item)]
        return []

    for trace in figure["data"]:
        for key in ("x", "y", "labels", "text"):
            labels += [v for v in strings(trace.get(key)) if not re.match(r"\d{4}-\d\d", v)]
        if trace.get("showlegend", True) is not False:
            labels += strings(trace.get("name"))
        labels += strings((trace.get("node") or {}).get("label"))
        text += strings(trace.get("hovertext"))
    layout = figure["layout"]
    for key, value in layout.items():
        if key.startswith(("xaxis", "yaxis")) and isinstance(value, dict):
            text += strings((value.get("title") or {}).get("text"))
            labels += strings(value.get("ticktext"))
    text += strings((layout.get("title") or {}).get("text"))
    text += [a.get("text", "") for a in layout.get("annotations", [])]
    return labels, text


def data_identifiers(ws: cxlens.Workspace, max_values: int = 50) -> tuple[set[str], set[str]]:
    """Return (identifiers with "_", lowercase code-like words) among the data's names.

    Every column name of every loaded table, and every value of a text column with at most
    ``max_values`` distinct values (segments, channels, touchpoints, platforms...).
    """
    names: set[str] = set()
    for table in ws.tables():
        expr = ws.engine.table(table)
        for column, dtype in expr.schema().items():
            if column in _LINEAGE:
                continue
            names.add(column)
            if dtype.is_string():
                values = expr[column].value_counts().limit(max_values + 1).execute()[column]
                if len(values) <= max_values:
                    names |= {str(v) for v in values.dropna()}
    return _split(names)


def frame_identifiers(frames: list[Any], max_values: int = 50) -> tuple[set[str], set[str]]:
    """Return what :func:`data_identifiers` does, from the pandas frames that were loaded."""
    names: set[str] = set()
    for frame in frames:
        names |= {str(c) for c in frame.columns}
        for column in frame.columns:
            values = frame[column]
            textual = values.dtype == object or str(values.dtype) in ("category", "string", "str")
            if textual and values.nunique() <= max_values:
                names |= {str(v) for v in values.dropna().unique()}
    return _split(names)


def _split(names: set[str]) -> tuple[set[str], set[str]]:
    snake = {n for n in names if re.fullmatch(r"[a-z][a-z0-9]*(_[a-z0-9]+)+", n)}
    lower = {n for n in names if re.fullmatch(r"[a-z][a-z0-9]+", n)}
    return snake, lower


def leaks(
    labels: list[str], text: list[str], snake: set[str], lower: set[str]
) -> list[tuple[str, str]]:
    """Return (what, where) for each raw identifier or placeholder word a reader would see."""
    found: list[tuple[str, str]] = []
    for item in [*labels, *text]:
        for word in re.findall(r"[A-Za-z][A-Za-z0-9_]*", item):
            if word in snake or word in PLACEHOLDERS:
                found.append((word, item[:120]))
    for item in labels:
        if item.strip() in lower:
            found.append((item.strip(), item[:120]))
    return found
