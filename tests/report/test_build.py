"""Integration tests: ingest small CSVs into a DuckDB workspace and build the HTML report."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pandas as pd
import plotly.offline
import pytest

import cxlens
from cxlens.report import build_report, collect_metrics
from tests.report.conftest import load_workspace, write_sources

METRIC_CHARTS = [
    *(f"chart-trend-{m}" for m in ("nps", "csat", "ces", "churn", "engagement")),
    *(f"chart-segment-{m}" for m in ("nps", "csat", "ces", "churn")),
]
#: Chart div of each analysis section -> the Plotly layer its traces are drawn in.
ANALYSIS_CHARTS = {
    "chart-drivers-importance": "barlayer",
    "chart-drivers-priority": "scatterlayer",
    "chart-effort-touchpoints": "barlayer",
    "chart-loyalty-matrix": "heatmaplayer",
    "chart-value-groups": "barlayer",
    "chart-value-uplift": "barlayer",
    "chart-value-correlations": "scatterlayer",
    "chart-segments-rfm-segment": "scatterlayer",
}
ALL_CHARTS = [*METRIC_CHARTS, *ANALYSIS_CHARTS]


class Resources(HTMLParser):
    """Collect every attribute that could make a browser fetch something."""

    def __init__(self) -> None:
        super().__init__()
        self.scripts_with_src: list[str] = []
        self.links: list[str] = []
        self.urls: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "script" and attrs.get("src"):
            self.scripts_with_src.append(attrs["src"])
        if tag == "link":
            self.links.append(attrs.get("href") or "")
        for name in ("src", "href", "data", "poster", "srcset", "action"):
            value = (attrs.get(name) or "").strip().lower()
            if value.startswith(("http:", "https:", "//")):
                self.urls.append(value)


@pytest.fixture(scope="module")
def full(analysed) -> tuple[Path, str, Path]:
    out, folder = analysed
    return out, out.read_text(encoding="utf-8"), folder


def test_report_is_one_self_contained_file(full):
    out, page, _ = full
    assert out.name == "report.html"
    assert [p.name for p in out.parent.iterdir()] == ["report.html"]  # no temp or side files
    parser = Resources()
    parser.feed(page)
    assert parser.scripts_with_src == []
    assert parser.links == []
    assert parser.urls == []
    assert not re.search(r"""<script[^>]+src=["']?https?:""", page, re.I)
    assert "cdn.plot.ly" not in page.split("</script>", 1)[1]  # nothing after the bundle


def test_plotly_is_inlined_exactly_once(full):
    _, page, _ = full
    bundle = plotly.offline.get_plotlyjs()
    assert page.count(bundle[:400]) == 1
    assert page.count(bundle[-400:]) == 1


def test_every_chart_and_tile_is_there(full):
    _, page, _ = full
    for div in ALL_CHARTS:
        assert page.count(f'id="{div}"') == 1, div
        assert re.search(rf'Plotly\.newPlot\(\s*"{div}"', page), div
    tiles = re.findall(r'<article class="tile" data-metric="(\w+)"', page)
    assert tiles == ["nps", "csat", "ces", "churn", "engagement"]


def test_tiles_show_interval_n_change_and_benchmark(full):
    _, page, folder = full
    nps_tile = page.split('data-metric="nps"')[1].split("</article>")[0]
    # the latest full month leads, labelled; the whole period (1,440 answers) beside it
    with cxlens.Workspace(folder / "ws.duckdb") as ws:
        monthly = ws.metrics.nps(every="month")
    full_months = monthly[(monthly["n"] > 0) & ~monthly["partial"]]
    last = full_months.iloc[-1]
    month = pd.Timestamp(last["period"]).strftime("%B %Y")
    # by hand from the month's counts: % promoters - % detractors
    by_hand = 100 * (last["promoters"] - last["detractors"]) / last["n"]
    assert f"Net Promoter Score, {month}" in nps_tile
    assert (
        f'<div class="tile-value">{by_hand:.0f}'.replace("-", "−").replace("tile−", "tile-")
        in nps_tile
    )
    assert f"n = {int(last['n']):,} answers; whole period January 2024 – " in nps_tile
    assert "1,440 answers)" in nps_tile
    assert "95% interval" in nps_tile
    assert f"in {month} vs previous month" in nps_tile
    assert "All-industry median: 16" in nps_tile
    churn_tile = page.split('data-metric="churn"')[1].split("</article>")[0]
    # the data ends inside December: churn's December is partial, so November leads and
    # December is named as under way, not compared
    with cxlens.Workspace(folder / "ws.duckdb") as ws:
        churn = ws.metrics.churn(every="month")
    churn = churn[churn["n"] > 0]
    assert bool(churn["partial"].iloc[-1]) and not bool(churn["partial"].iloc[-2])
    assert "Monthly churn, November 2024" in churn_tile
    assert "December 2024 so far: " in churn_tile and "a partial month, not compared" in churn_tile
    assert "customers at start" in churn_tile


def test_client_name_is_escaped(full):
    _, page, _ = full
    assert "Prepared for Northwind &lt;Connect&gt; &amp; Co" in page
    assert "<Connect>" not in page


def test_methods_and_lineage(full):
    _, page, _ = full
    methods = page.split('<section id="methods">')[1].split("</section>")[0]
    assert "trinomial" in methods
    assert "Wilson" in methods
    assert "Student-t" in methods
    assert "1,440" in methods
    lineage = page.split('<section id="lineage">')[1].split("</section>")[0]
    for name in ("responses.csv", "customers.csv", "posts.csv"):
        assert name in lineage
    load_ids = re.findall(r"<td>([0-9a-f-]{8,})</td>", lineage)
    assert len(load_ids) >= 3


def test_churn_trend_starts_with_the_survey_window(full, tmp_path):
    _, _, folder = full
    ws = cxlens.Workspace(folder / "ws.duckdb")
    try:
        results, notes = collect_metrics(ws)
    finally:
        ws.close()
    assert notes == []
    by_key = {r.spec.key: r for r in results}
    assert by_key["churn"].trend["period"].min() == pd.Timestamp("2024-01-01")
    assert by_key["nps"].segments["segment"].tolist() == [
        "consumer",
        "enterprise",
        "small_business",
    ]
    assert by_key["nps"].segments.set_index("segment")["small_sample"]["enterprise"]


def test_missing_tables_are_skipped_with_notes(tmp_path):
    paths = write_sources(tmp_path, posts=False)
    ws = cxlens.Workspace(tmp_path / "ws.duckdb")
    ws.ingest(paths["responses"], table="responses")
    out = build_report(ws, tmp_path / "r.html", by="segment")
    ws.close()
    page = out.read_text(encoding="utf-8")
    assert "Customer churn is not shown: the workspace has no customers table." in page
    assert "Social engagement rate is not shown: the workspace has no posts table." in page
    assert "The comparison by &#x27;segment&#x27; is not shown." in page
    assert "chart-segment-" not in page
    assert 'id="chart-trend-nps"' in page
    assert 'id="chart-trend-churn"' not in page


def test_missing_by_column_is_a_note_not_a_failure(tmp_path):
    ws = load_workspace(tmp_path, posts=False, analyses=False)
    out = build_report(ws, tmp_path / "r.html", by="plan_tier", analyses=False)
    ws.close()
    page = out.read_text(encoding="utf-8")
    assert "The comparison by &#x27;Plan tier&#x27; is not shown." in page
    assert "chart-segment-" not in page
    assert page.count('<article class="tile"') == 4


def test_by_none_leaves_the_comparison_out(tmp_path):
    ws = load_workspace(tmp_path, posts=False, months=4, analyses=False)
    out = build_report(
        ws, tmp_path / "r.html", by=None, every="quarter", title="Q report", analyses=False
    )
    ws.close()
    page = out.read_text(encoding="utf-8")
    assert 'id="segments"' not in page
    assert "<title>Q report</title>" in page
    assert "Net Promoter Score by quarter" in page


def test_missing_column_skips_only_that_metric(tmp_path):
    (tmp_path / "responses.csv").write_text(
        "response_id,customer_id,responded_at,nps,csat\n"
        + "".join(f"r{i},c{i % 7},2024-0{1 + i % 3}-1{i % 9} 10:00,{i % 11},{1 + i % 5}\n"
                  for i in range(90)),
        encoding="utf-8",
    )  # fmt: skip
    ws = cxlens.Workspace(tmp_path / "ws.duckdb")
    ws.ingest(tmp_path / "responses.csv", table="responses")
    out = build_report(ws, tmp_path / "r.html", by=None)
    ws.close()
    page = out.read_text(encoding="utf-8")
    assert re.findall(r'data-metric="(\w+)"', page) == ["nps", "csat"]
    # ingest declares every canonical column, so ces exists but is empty
    assert "Customer effort score is not shown: the responses table has no CES values" in page


def test_empty_workspace_still_gives_a_report(tmp_path):
    ws = cxlens.Workspace(tmp_path / "ws.duckdb")
    out = build_report(ws, tmp_path / "r.html")
    ws.close()
    page = out.read_text(encoding="utf-8")
    assert "No metric could be computed." in page
    assert "No load log" in page
    assert "plotly-graph-div" not in page


def test_unknown_grain_is_refused(tmp_path):
    ws = cxlens.Workspace(tmp_path / "ws.duckdb")
    with pytest.raises(ValueError, match="unknown time grain every='fortnight'"):
        build_report(ws, tmp_path / "r.html", every="fortnight")
    ws.close()
    assert not (tmp_path / "r.html").exists()


def test_progress_names_every_step_in_order(tmp_path: Path) -> None:
    from cxlens.report.build import report_steps

    steps: list[str] = []
    with cxlens.Workspace(tmp_path / "empty.duckdb") as ws:
        build_report(ws, tmp_path / "r.html", progress=steps.append)
    assert steps == [
        "headline metrics", "KPI status", "what changed", "drivers of NPS", "customer effort",
        "loyalty matrix", "value of NPS", "customer segments", "themes and social posts",
        "CLV, churn and offer models", "customer journeys", "survey collection",
        "executive summary",
        "writing the page",
    ]  # fmt: skip
    assert tuple(steps) == report_steps()
    short: list[str] = []
    with cxlens.Workspace(tmp_path / "empty.duckdb") as ws:
        build_report(ws, tmp_path / "r.html", analyses=False, summary=False, progress=short.append)
    assert short == ["headline metrics", "writing the page"]
