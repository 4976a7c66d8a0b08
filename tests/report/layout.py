"""Read the drawn layout of every Plotly chart on a page and name what a reader could not read.

Shared by the report's and the dashboard's browser tests (Playwright pages). For each chart
(a ``.js-plotly-plot`` element) the bounding boxes of its SVG ``<text>`` elements are read
in chromium; :func:`layout_problems` reports

* two labels of one chart that overlap (more than :data:`SLACK` px each way),
* a text element that runs outside the chart's box (clipped on screen, cut in print),
* a legend box that covers an axis title.
"""

from __future__ import annotations

from typing import Any

#: Pixels two boxes may share each way before they count as overlapping: the line boxes of
#: neighbouring labels touch at the edge; a real collision shares several pixels.
SLACK = 1.5

#: Runs in the page: the boxes of each chart's texts, legend and axis titles.
_READ = """(selector) => {
  const box = (el) => { const r = el.getBoundingClientRect();
    return {left: r.left, top: r.top, right: r.right, bottom: r.bottom}; };
  const visible = (el) => {
    const r = el.getBoundingClientRect();
    if (r.width < 1 || r.height < 1 || !el.textContent.trim()) return false;
    for (let n = el; n && n.nodeType === 1; n = n.parentNode) {
      const s = getComputedStyle(n);
      if (s.display === "none" || s.visibility === "hidden" || Number(s.opacity) === 0)
        return false;
    }
    return true;
  };
  return [...document.querySelectorAll(selector)].map((gd) => {
    const texts = [...gd.querySelectorAll(".main-svg text, .infolayer text")]
      .filter((t) => !t.closest(".hoverlayer, .modebar, .hovertext") && visible(t))
      .map((t) => ({text: t.textContent.trim(), cls: t.getAttribute("class") || "",
                    ...box(t)}));
    const legend = gd.querySelector(".legend .bg");
    const titles = [...gd.querySelectorAll(".g-xtitle text, .g-ytitle text")]
      .filter(visible).map((t) => ({text: t.textContent.trim(), ...box(t)}));
    return {id: gd.id || gd.closest("[id]")?.id || "?", chart: box(gd), texts,
            legend: legend && visible(gd.querySelector(".legend text") || legend)
              ? box(legend) : null, titles};
  });
}"""


def _overlap(a: dict[str, float], b: dict[str, float], slack: float = SLACK) -> bool:
    across = min(a["right"], b["right"]) - max(a["left"], b["left"])
    down = min(a["bottom"], b["bottom"]) - max(a["top"], b["top"])
    return across > slack and down > slack


def read_charts(page: Any, selector: str = ".js-plotly-plot") -> list[dict[str, Any]]:
    """Return, per chart on a Playwright ``page``, its box, its texts' boxes, legend, titles."""
    return page.evaluate(_READ, selector)


def layout_problems(charts: list[dict[str, Any]]) -> list[str]:
    """Return one line per overlap, clipped text or covered axis title in ``charts``.

    Example:
        >>> a = {"left": 0, "top": 0, "right": 50, "bottom": 12}
        >>> chart = {"id": "c", "chart": {"left": 0, "top": 0, "right": 100, "bottom": 100},
        ...     "texts": [{"text": "A", **a}, {"text": "B", **a}], "legend": None, "titles": []}
        >>> layout_problems([chart])
        ["c: 'A' overlaps 'B'"]
    """
    found: list[str] = []
    for chart in charts:
        name, texts, edge = chart["id"], chart["texts"], chart["chart"]
        for i, a in enumerate(texts):
            for b in texts[i + 1 :]:
                if _overlap(a, b):
                    found.append(f"{name}: {a['text']!r} overlaps {b['text']!r}")
            outside = (
                a["left"] < edge["left"] - SLACK
                or a["right"] > edge["right"] + SLACK
                or a["top"] < edge["top"] - SLACK
                or a["bottom"] > edge["bottom"] + SLACK
            )
            if outside:
                found.append(f"{name}: {a['text']!r} runs outside the chart")
        legend = chart["legend"]
        for title in chart["titles"] if legend else []:
            if _overlap(legend, title):
                found.append(f"{name}: the legend covers the axis title {title['text']!r}")
    return found
