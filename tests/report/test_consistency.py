"""One truth in every view: each headline figure of the demo is the same in the CLI, the API,
the report and the dashboard's data endpoint.

The demo workspace (1,500 customers, the report the demo writes) is built once. Each figure
is read from the command line (``--output`` CSV or its printed text), the API's JSON
(FastAPI's TestClient on the served folder), the report's HTML and the dashboard's overview
endpoint, and compared: the exact numbers where two views give them at full precision, the
report's text against the shared formatting of the API's number.
"""

from __future__ import annotations

import html
import io
import re

import pandas as pd
import pytest
from fastapi.testclient import TestClient
from rich.console import Console
from typer.testing import CliRunner

from cxlens.api import KeyStore
from cxlens.api.app import create_app
from cxlens.cli import app
from cxlens.demo import run_demo
from cxlens.report.spec import METRICS

pytestmark = pytest.mark.slow

API = "/api/v1/workspaces/cxlens"


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> dict:
    """The demo folder, its report's text, an API client with a key, and a CLI runner."""
    folder = tmp_path_factory.mktemp("consistency")
    page = run_demo(folder, customers=1500, console=Console(file=io.StringIO(), width=200))
    _, token = KeyStore(folder).create(["cxlens"], "admin", name="consistency")
    with TestClient(create_app(folder, analysis_wait=600)) as client:
        client.headers["Authorization"] = f"Bearer {token}"
        yield {
            "folder": folder,
            "ws": str(folder / "cxlens.duckdb"),
            "html": page.read_text(encoding="utf-8"),
            "api": client,
            "cli": CliRunner(),
        }


def cli(demo: dict, *args: str) -> str:
    """Run a CLI command on the demo workspace, wide enough for one line per sentence."""
    result = demo["cli"].invoke(app, [*args, "-w", demo["ws"]], env={"COLUMNS": "400"})
    assert result.exit_code == 0, result.output
    return re.sub(r"\s+", " ", result.output)


def api(demo: dict, path: str, **params: object) -> dict:
    response = demo["api"].get(f"{API}{path}", params=params)
    assert response.status_code == 200, response.text
    return response.json()


def plain(fragment: str) -> str:
    """The text of an HTML fragment, tags dropped and spaces collapsed."""
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", fragment))).strip()


def section(page: str, section_id: str) -> str:
    found = re.search(rf'<section[^>]*id="{section_id}".*?</section>', page, re.S)
    assert found, section_id
    return found.group(0)


def tile_value(page: str, metric: str) -> str:
    found = re.search(
        rf'<article class="tile" data-metric="{metric}">.*?<div class="tile-value">(.*?)</div>',
        page,
        re.S,
    )
    assert found, metric
    return plain(found.group(1).split("<span")[0])


def tile_text(page: str, metric: str) -> str:
    found = re.search(rf'<article class="tile" data-metric="{metric}">.*?</article>', page, re.S)
    assert found, metric
    return plain(found.group(0))


@pytest.mark.parametrize("metric", ["nps", "csat", "ces"])
def test_survey_metrics_agree_in_cli_api_report_and_dashboard(demo, metric, tmp_path):
    spec = METRICS[metric]
    out = tmp_path / f"{metric}.csv"
    cli(demo, "metrics", metric, "--output", str(out))
    from_cli = float(pd.read_csv(out)["value"].iloc[0])
    from_api = api(demo, f"/metrics/{metric}")["rows"][0]["value"]
    tile = {t["metric"]: t for t in api(demo, "/overview")["tiles"]}[metric]
    # the whole period: the CLI, the API, the dashboard's tile and the report tile's n line
    assert from_cli == pytest.approx(from_api, rel=1e-12)
    assert tile["whole"]["value"] == pytest.approx(from_api, rel=1e-12)
    assert tile["whole"]["text"] in tile_text(demo["html"], metric)
    assert f"whole period January 2024 – December 2025: {spec.fmt(from_api)} (" in tile_text(
        demo["html"], metric
    )
    # the latest full month leads the report tile, as the API and the CLI give it
    out = tmp_path / f"{metric}-monthly.csv"
    cli(demo, "metrics", metric, "--every", "month", "--output", str(out))
    monthly = pd.read_csv(out)
    monthly = monthly[(monthly["n"] > 0) & ~monthly["partial"]]
    rows = pd.DataFrame(api(demo, f"/metrics/{metric}", every="month")["rows"])
    rows = rows[(rows["n"] > 0) & ~rows["partial"]]
    assert float(monthly["value"].iloc[-1]) == pytest.approx(rows["value"].iloc[-1], rel=1e-12)
    assert tile_value(demo["html"], metric) == spec.fmt(rows["value"].iloc[-1])
    month = pd.Timestamp(rows["period"].iloc[-1]).strftime("%B %Y")
    assert f"{spec.long_label}, {month}" in tile_text(demo["html"], metric)
    # the dashboard's tile is the report's: the same month, figure, change and test
    assert tile["value"] == pytest.approx(rows["value"].iloc[-1], rel=1e-12)
    assert tile["label"] == f"{spec.long_label}, {month}"
    assert tile_value(demo["html"], metric) == tile["value_text"]
    assert tile["change_text"] in tile_text(demo["html"], metric)
    assert tile["p_value"] == pytest.approx(rows["p_value"].iloc[-1], rel=1e-12)


def test_churn_rate_agrees_in_cli_api_report_and_dashboard(demo, tmp_path):
    out = tmp_path / "churn.csv"
    cli(demo, "metrics", "churn", "--every", "month", "--output", str(out))
    trend = pd.read_csv(out)
    body = api(demo, "/metrics/churn", every="month")
    tile = {t["metric"]: t for t in api(demo, "/overview")["tiles"]}["churn"]
    # the headline churn is the latest month with customers at risk, in every view
    latest = trend[trend["n"] > 0].iloc[-1]
    rows = pd.DataFrame(body["rows"])
    api_latest = rows[rows["n"] > 0].iloc[-1]
    assert str(latest["period"])[:10] == str(api_latest["period"])[:10] == tile["period"][:10]
    assert float(latest["value"]) == pytest.approx(api_latest["value"], rel=1e-12)
    assert tile["value"] == pytest.approx(api_latest["value"], rel=1e-12)
    assert tile_value(demo["html"], "churn") == METRICS["churn"].fmt(api_latest["value"])
    assert tile["label"] in tile_text(demo["html"], "churn")
    assert tile["change_text"] in tile_text(demo["html"], "churn")


def test_clv_total_agrees_in_cli_api_and_report(demo, tmp_path):
    out = tmp_path / "clv.csv"
    printed = cli(demo, "clv", "--output", str(out))
    assert "not shown as results" not in printed
    from_cli = float(pd.read_csv(out)["clv"].sum())
    parts = api(demo, "/analyses/clv")["parts"]
    from_api = float(pd.DataFrame(parts["tiers"]["rows"])["clv_total"].sum())
    assert from_cli == pytest.approx(from_api, rel=1e-9)
    # the demo's amounts are in US dollars (its transactions' currency column)
    assert parts["currency"] == ["USD"]
    lead = plain(section(demo["html"], "clv"))
    assert f"total ${from_api:,.0f}" in lead
    assert f"total ${from_api:,.0f}" in cli(demo, "clv")


def test_ltv_cac_per_segment_agrees_in_cli_api_and_report(demo):
    parts = api(demo, "/analyses/clv")["parts"]
    by_segment = pd.DataFrame(parts["by_segment"]["rows"])
    report = plain(section(demo["html"], "clv"))
    printed = cli(demo, "clv")
    # the demo's CLV is fitted on the discretionary purchases; LTV:CAC adds the subscription
    # revenue to it, and every view states that one definition in the same words
    note = next(n for n in parts["notes"] if n.startswith("LTV:CAC counts the CLV of the"))
    assert note in report and note in printed
    assert by_segment["ltv_cac"].notna().all()
    for row in by_segment.itertuples():
        shown = f"{row.ltv_cac:.2f}x"
        assert shown in report and f"{row.ltv_cac:.2f}" in printed, row.segment


def test_value_at_risk_and_high_risk_agree_in_cli_api_and_report(demo):
    parts = api(demo, "/analyses/retention-targets")["parts"]
    risk = parts["at_risk"]["rows"][0]
    assert parts["currency"] == ["USD"] and risk["currency"] == "USD"
    printed = cli(demo, "retention")
    total = f"${risk['value_at_risk']:,.0f}"
    counts = (
        f"Of the {risk['active']:,} customers active now, {risk['high_risk']:,} are at high risk"
    )
    summary = plain(section(demo["html"], "summary"))
    churn = plain(section(demo["html"], "churn-risk"))
    assert f"value at risk ${risk['value_at_risk']:,.2f}" in printed and counts in printed
    assert f"puts {total} of 12-month customer value at risk" in summary and counts in summary
    assert f"of the {total} at risk across the {risk['valued']:,} active" in churn
    assert counts in churn
