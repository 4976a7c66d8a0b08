"""A theme reads the same everywhere a client reads it, and never by its internal id.

Hand-built themes (Russian, English and Chinese; with and without ``labels``, a label map's
``label_translated`` and a cluster marked mixed) are named by hand from the rule in
docs/report.md; each table of "What customers say", the social section's distinctive
themes and the summary must name every theme exactly so. A small workspace with comments
then gets a real report: no theme id in its text or charts, and the summary's themes are
named in the tables as in the summary, and on the dashboard's panel.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pandas as pd
import pytest

from cxlens.report.summary import theme_point
from cxlens.report.voice_parts import (
    distinctive_themes_table,
    emerging_table,
    impact_table,
    names_by_theme,
    theme_driver_table,
    theme_table,
)
from cxlens.text.translate import theme_names
from tests.report.client_text import chart_labels, plotly_figures, visible_text

#: A theme id as cxlens writes one now ("t03") or wrote one before ("en_2", "ru_1", "xx_3").
THEME_ID = re.compile(r"\b(?:[a-z]{2}_\d+|t\d{2,})\b")

#: Eight themes, most comments first, as report_themes orders them.
THEMES = pd.DataFrame(
    {
        "theme": ["t01", "t02", "t03", "t04", "t05", "t06", "t07", "t08"],
        "language": ["ru", "ru", "zh", "en", "ru", "en", "en", "en"],
        "languages": [["ru", "en"], ["ru", "en"], ["zh"], ["en"], ["ru"], ["en"], ["en"], ["en"]],
        "label": [
            "Пропадает каждый вечер",
            "Цены кусаются",
            "价格太贵",
            "Outage",
            "Сбой",
            "Billing",
            "Billing",
            "Slow app",
        ],
        "labels": [
            {"ru": "Пропадает каждый вечер", "en": "Evening, internet is painfully slow"},
            {"ru": "Цены кусаются", "en": "Mixed: price"},  # its English cluster: a scatter
            {"zh": "价格太贵"},
            {"en": "Outage"},
            {"ru": "Сбой"},
            {"en": "Billing"},
            {"en": "Billing"},
            None,  # a table without per-language labels
        ],
        "label_translated": [None, "Prices bite", None, None, "Outage", None, None, None],
        "count": [300, 200, 150, 120, 110, 100, 90, 80],
        "share": [0.30, 0.20, 0.15, 0.12, 0.11, 0.10, 0.09, 0.08],
        "sentiment": [-0.6, -0.3, -0.2, -0.5, -0.4, -0.1, -0.1, -0.2],
        "negative_share": [0.86, 0.51, 0.40, 0.70, 0.65, 0.30, 0.20, 0.45],
        "negative_quote": [
            "Пропадает.",
            "Дорого.",
            "太贵了。",
            "Down again.",
            "Сбой.",
            "Billed twice.",
            "Wrong bill.",
            "So slow.",
        ],
        "quotes": [["q"]] * 8,
        "recent_share": [0.4] * 8,
        "previous_share": [0.1] * 8,
        "share_ratio": [4.0] * 8,
        "q_value": [0.001] * 8,
        "new": [False] * 8,
    }
)

#: By hand, from the rule: the English cluster's label where it is a topic (t01; t02's is
#: mixed), else the label map's translation (t02, t05), else the label as written; t04 and
#: t05 both read "Outage" but are of different languages, t06 and t07 of the same.
EXPECTED = {
    "t01": "Evening, internet is painfully slow",
    "t02": "Prices bite",
    "t03": "价格太贵",
    "t04": "Outage (English)",
    "t05": "Outage (Russian)",
    "t06": "Billing",
    "t07": "Billing (2)",
    "t08": "Slow app",
}


class _Cells(HTMLParser):
    """Rows of a rendered table, each the text of its cells (tags dropped)."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[list[str]] = []
        self.bold: list[str] = []
        self._cell: list[str] | None = None
        self._in_bold = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "tr":
            self.rows.append([])
        elif tag == "td":
            self._cell = []
        elif tag == "b":
            self._in_bold = True
            self.bold.append("")

    def handle_endtag(self, tag: str) -> None:
        if tag == "td" and self._cell is not None:
            self.rows[-1].append("".join(self._cell))
            self._cell = None
        elif tag == "b":
            self._in_bold = False

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)
        if self._in_bold:
            self.bold[-1] += data


def _column(html: str, index: int) -> list[str]:
    parser = _Cells()
    parser.feed(html)
    return [row[index] for row in parser.rows if row]


def _summary_names(sentence: str) -> list[str]:
    return re.findall(r"“([^”]+)” \(\d+% of its", sentence)


def test_names_follow_the_rule_and_no_two_themes_share_one():
    assert theme_names(THEMES) == list(EXPECTED.values())
    assert names_by_theme(THEMES) == EXPECTED


def test_same_named_themes_are_told_apart_in_client_words():
    def named(labels: list[str], languages: list[object]) -> list[str]:
        return theme_names(pd.DataFrame({"label": labels, "languages": languages}))

    # different languages: each gets its languages' names, a merged theme all of them
    assert named(["Outage", "Outage"], [["en"], ["ru", "en"]]) == [
        "Outage (English)",
        "Outage (Russian, English)",
    ]
    # the same language, or one cxlens does not name: ranked in table order
    assert named(["Hi", "Hi", "Hi"], [["en"], ["ru"], ["en"]]) == ["Hi", "Hi (2)", "Hi (3)"]
    assert named(["Hi", "Hi"], [["en"], ["xx"]]) == ["Hi", "Hi (2)"]
    # a tag that makes a name another theme already has is ranked in turn
    assert named(["Hi (2)", "Hi", "Hi"], [["en"], ["en"], ["en"]]) == [
        "Hi (2)",
        "Hi",
        "Hi (2) (2)",
    ]
    # without languages or labels the theme's language tells them apart
    plain = pd.DataFrame({"label": ["Hi", "Hi"], "language": ["en", "zh"]})
    assert theme_names(plain) == ["Hi (English)", "Hi (Chinese)"]
    missing = plain.assign(languages=[float("nan"), ["ru"]])  # a cell left empty
    assert theme_names(missing) == ["Hi (English)", "Hi (Russian)"]
    # in the language of a label map into Russian, the Russian cluster's label names t01
    assert theme_names(THEMES, into="ru")[0] == "Пропадает каждый вечер"


def test_every_table_names_a_theme_as_the_summary_does():
    themes = THEMES.assign(name=theme_names(THEMES))  # as report_themes names them
    said = _summary_names(theme_point(themes, top=len(themes), min_n=30).sentence)
    by_negative = themes.sort_values(["negative_share", "count"], ascending=False)
    assert said == [EXPECTED[t] for t in by_negative["theme"]]
    names = names_by_theme(themes)
    impact = themes[["theme", "label"]].assign(
        n=50, score_theme=-30.0, score_without=25.0, impact=-5.0, ci_low=-7.0, ci_high=-3.0
    )
    drivers = pd.DataFrame({"driver": themes["theme"], "rescaled_weight": 10.0})
    drivers = drivers.assign(ci_low=5.0, ci_high=15.0, sign=-1)
    social = themes[["theme", "label"]].assign(
        brand="Northwind", posts=40, share=8.0, share_ci_low=6.0, share_ci_high=10.5,
        others_share=0.5, lift=16.0, sentiment=-0.6, quotes=[["q"]] * len(themes),
    )  # fmt: skip
    parser = _Cells()
    parser.feed(theme_table(themes))
    rendered = {
        "theme table": parser.bold,
        "emerging": _column(emerging_table(themes), 0),
        "impact": _column(impact_table(impact, names), 0),
        "drivers": _column(theme_driver_table(drivers, names), 0),
        "distinctive": _column(distinctive_themes_table(social, names), 1),
    }
    for table, shown in rendered.items():
        assert shown == list(EXPECTED.values()), table
        assert not any(THEME_ID.search(cell) for cell in shown), table


def test_the_theme_table_keeps_each_languages_label_beneath_the_name():
    html = theme_table(THEMES.assign(name=theme_names(THEMES)).head(2))
    assert (
        "<b>Evening, internet is painfully slow</b><br><small>Russian: Пропадает каждый вечер"
        " · English: Evening, internet is painfully slow</small>"
    ) in html
    assert "<b>Prices bite</b><br><small>Russian: Цены кусаются · English: Mixed: price" in html
    assert "t01" not in html and "t02" not in html


# ------------------------------------------------------------------- a real report


@pytest.fixture(scope="module")
def reported(tmp_path_factory):
    """A report of the summary tests' workspace (three planted topics), its themes and panel."""
    from cxlens.api.dashboard import themes_panel
    from cxlens.report import build_report
    from cxlens.report.voice_parts import report_themes
    from tests.report.test_summary import why_workspace

    folder = tmp_path_factory.mktemp("names")
    ws = why_workspace(folder)
    try:
        page = build_report(ws, folder / "out" / "report.html", by=None, bootstrap=50)
        themes = report_themes(ws)[0]
        panel = themes_panel(ws)
    finally:
        ws.close()
    return page.read_text(encoding="utf-8"), themes, panel


@pytest.mark.slow  # finds the themes of 360 comments and builds a whole report
def test_no_theme_id_reaches_the_report(reported):
    page, themes, _ = reported
    ids = set(themes["theme"])
    assert ids and all(THEME_ID.fullmatch(i) for i in ids)  # the pattern knows today's ids
    text = visible_text(page)
    assert not [t for t in text if THEME_ID.search(t)]
    figures = plotly_figures(page)
    assert "chart-voice-themes" in figures
    for name, figure in figures.items():
        labels, running = chart_labels(figure)
        assert not [t for t in labels + running if THEME_ID.search(t)], name


@pytest.mark.slow
def test_the_reports_tables_and_the_dashboard_name_themes_as_the_summary_does(reported):
    page, themes, panel = reported
    summary = next(t for t in visible_text(page) if t.startswith("Customers raise"))
    said = _summary_names(summary)
    assert said, summary
    parser = _Cells()
    parser.feed(page[page.index("Themes and what customers say") :])
    for name in said:
        assert name in parser.bold  # the theme table's name cell, word for word
    expected = dict(zip(themes["theme"], theme_names(themes), strict=True))
    assert [r["name"] for r in panel["rows"]] == [expected[r["theme"]] for r in panel["rows"]]
    assert set(said) <= set(expected.values())
