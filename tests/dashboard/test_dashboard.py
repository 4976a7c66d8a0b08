"""The dashboard's server side: page and assets, date ranges, norms, the filtered panels.

Expected numbers are computed independently: metric values in pandas from the sample frames
by the standard definitions, the filtered analyses on a fresh workspace that holds only the
rows the filter keeps (no FilteredWorkspace involved).
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import cxlens
from cxlens.api.dashboard import plotly_js
from cxlens.metrics.benchmarks import benchmarks, compare

SINCE, UNTIL = "2024-03-01", "2024-08-31"


def nps(scores: pd.Series) -> tuple[float, int]:
    s = scores.dropna()
    return 100 * ((s >= 9).mean() - (s <= 6).mean()), len(s)


def answers(board, since: str | None = None, until: str | None = None, segment: str | None = None):
    """The sample's responses in [since, until] (whole days) of ``segment``, in pandas."""
    r = board.tables["responses"]
    day = r["responded_at"].dt.normalize()
    keep = pd.Series(True, index=r.index)
    if since:
        keep &= day >= pd.Timestamp(since)
    if until:
        keep &= day <= pd.Timestamp(until)
    if segment:
        c = board.tables["customers"]
        keep &= r["customer_id"].isin(c.loc[c["segment"] == segment, "customer_id"])
    return r[keep]


def latest_full_month(at: pd.Series) -> pd.Period:
    """The last calendar month lying wholly between the first and the last day of ``at``."""
    start, end = at.min().normalize(), at.max().normalize()
    months = pd.period_range(start, end, freq="M")
    return [m for m in months if m.start_time >= start and m.end_time.normalize() <= end][-1]


# --------------------------------------------------------------------------- page and assets


def test_the_page_and_its_assets_are_served_without_a_key(board):
    with board.client(None) as c:
        page = c.get("/")
        js, css = c.get("/static/app.js"), c.get("/static/style.css")
        plotly = c.get("/static/plotly.min.js")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert '<script src="/static/app.js"' in page.text and 'id="sign-in-form"' in page.text
    # only this server's scripts may run: no CDN, no inline script
    assert "script-src 'self'" in page.headers["content-security-policy"]
    assert "http" not in page.text.replace("http-equiv", "")
    assert js.status_code == css.status_code == 200
    assert js.headers["content-type"].startswith("text/javascript")
    assert css.headers["content-type"].startswith("text/css")
    # Plotly.js byte for byte from the installed plotly package
    assert plotly.status_code == 200
    assert (
        hashlib.sha256(plotly.content).digest()
        == hashlib.sha256(Path(plotly_js()).read_bytes()).digest()
    )


@pytest.mark.parametrize("asset", ["index.html", "..%2Fdashboard.py", "app.py", "nosuch.js"])
def test_only_the_listed_assets_are_served(board, asset):
    with board.client(None) as c:
        assert c.get(f"/static/{asset}").status_code == 404


# --------------------------------------------------------------------------- date ranges


def test_nps_in_a_date_range_matches_pandas(board):
    body = board.get("/workspaces/acme/metrics/nps", [("since", SINCE), ("until", UNTIL)])
    value, n = nps(answers(board, SINCE, UNTIL)["nps"])
    row = body["rows"][0]
    assert (body["since"], body["until"]) == (SINCE, UNTIL)
    assert row["n"] == n and row["value"] == pytest.approx(value, abs=1e-9)
    # the whole range is inclusive: the last day's answers count
    last = answers(board, UNTIL, UNTIL)
    assert len(last) > 0
    whole = board.get("/workspaces/acme/metrics/nps")["rows"][0]
    assert whole["n"] > n


def test_monthly_trend_of_a_segment_in_a_range_matches_pandas(board):
    params = [("every", "month"), ("since", SINCE), ("until", UNTIL),
              ("filter", "segment=small_business")]  # fmt: skip
    rows = board.get("/workspaces/acme/metrics/nps", params)["rows"]
    r = answers(board, SINCE, UNTIL, "small_business")
    expected = r.groupby(r["responded_at"].dt.to_period("M"))["nps"].apply(lambda s: nps(s)[0])
    got = pd.Series({pd.Period(x["period"][:7], "M"): x["value"] for x in rows})
    assert list(got.index) == list(pd.period_range("2024-03", "2024-08", freq="M"))
    np.testing.assert_allclose(got.to_numpy(), expected.to_numpy(), atol=1e-9)


def test_churn_in_a_range_keeps_the_periods_starting_in_it(board):
    rows = board.get("/workspaces/acme/metrics/churn", [("since", SINCE), ("until", UNTIL)])["rows"]
    assert [x["period"][:7] for x in rows] == [f"2024-{m:02d}" for m in range(3, 9)]
    # each month as the contractual definition gives it, from the customers frame
    c = board.tables["customers"]
    for x in rows:
        start = pd.Timestamp(x["period"][:10])
        end = start + pd.offsets.MonthBegin(1)
        at_start = (c["first_seen"] < start) & (c["churned_at"].isna() | (c["churned_at"] >= start))
        lost = at_start & (c["churned_at"] < end)
        assert x["n"] == at_start.sum()
        assert x["value"] == pytest.approx(100 * lost.sum() / at_start.sum(), abs=1e-9)


def test_overview_with_a_range_and_a_segment(board):
    params = [("since", SINCE), ("until", UNTIL), ("filter", "segment=consumer")]
    tiles = {t["metric"]: t for t in board.get("/workspaces/acme/overview", params)["tiles"]}
    kept = answers(board, SINCE, UNTIL, "consumer")
    # beside each survey tile, the whole range
    value, n = nps(kept["nps"])
    whole = tiles["nps"]["whole"]
    assert whole["n"] == n and whole["value"] == pytest.approx(value, abs=1e-9)
    csat = kept["csat"].dropna()
    assert tiles["csat"]["whole"]["value"] == pytest.approx(100 * (csat >= 4).mean(), abs=1e-9)
    # the tile itself: the latest month the answers kept cover in full, labelled
    month = latest_full_month(kept["responded_at"])
    value, n = nps(kept.loc[kept["responded_at"].dt.to_period("M") == month, "nps"])
    assert tiles["nps"]["period_label"] == month.strftime("%B %Y")
    assert tiles["nps"]["n"] == n and tiles["nps"]["value"] == pytest.approx(value, abs=1e-9)
    assert tiles["churn"]["period"][:7] == "2024-08"  # the latest month starting in the range


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ([("since", "2024-13-01")], r"since='2024-13-01' is not a date; give .*YYYY-MM-DD"),
        ([("until", "yesterday")], r"until='yesterday' is not a date"),
        ([("since", "2024-06-01"), ("until", "2024-05-31")], r"since=2024-06-01 is after"),
    ],
)
def test_bad_dates_are_refused_with_the_reason(board, params, message):
    with board.client() as c:
        for path in ("metrics/nps", "overview", "dashboard/priority"):
            r = c.get(f"/api/v1/workspaces/acme/{path}", params=params)
            assert r.status_code == 422, (path, r.text)
            assert re.search(message, r.json()["detail"]), r.json()["detail"]


# --------------------------------------------------------------------------- norms


def test_norms_are_the_shipped_table_and_its_comparison(board):
    body = board.get("/norms")
    table = benchmarks()
    assert body["columns"] == list(table.columns)
    assert [r["value"] for r in body["rows"]] == table["value"].tolist()
    compared = board.get("/norms", [("metric", "nps"), ("value", "12.5")])["rows"]
    assert [r["verdict"] for r in compared] == compare("nps", 12.5)["verdict"].tolist()
    assert [r["verdict"] for r in compared] == ["below", "above"]  # median 16; average 5-10
    with board.client() as c:
        assert c.get("/api/v1/norms", params={"metric": "ces"}).status_code == 422
        assert c.get("/api/v1/norms", params={"value": "3"}).status_code == 422
    with board.client(None) as c:
        assert c.get("/api/v1/norms").status_code == 401


# --------------------------------------------------------------------------- filtered panels


@pytest.fixture(scope="module")
def sliced(board, tmp_path_factory):
    """A fresh workspace holding only the small-business answers in the range."""
    folder = tmp_path_factory.mktemp("sliced")
    path = folder / "responses.csv"
    answers(board, SINCE, UNTIL, "small_business").to_csv(path, index=False)
    with cxlens.Workspace(folder / "sliced.duckdb") as ws:
        ws.ingest(path, table="responses")
        ws.ingest(board.paths["customers"], table="customers")
        ws.ingest(board.paths["transactions"], table="transactions")
        yield ws


PANEL = [("since", SINCE), ("until", UNTIL), ("filter", "segment=small_business")]


def test_priority_panel_is_the_matrix_of_the_answers_in_the_slice(board, sliced):
    body = board.get("/workspaces/acme/dashboard/priority", PANEL)
    expected = sliced.analysis.priority_matrix("nps", bootstrap=0)
    got = pd.DataFrame(body["rows"])
    assert got["driver"].tolist() == expected["driver"].tolist()
    assert got["quadrant"].tolist() == expected["quadrant"].tolist()
    np.testing.assert_allclose(got["importance"], expected["importance"], atol=1e-9)
    np.testing.assert_allclose(got["performance"], expected["performance"], atol=1e-9)
    n = len(answers(board, SINCE, UNTIL, "small_business"))
    assert body["n"] == expected["n"].iloc[0] == n
    assert body["importance_cut"] == pytest.approx(expected["importance_cut"].iloc[0])
    whole = board.get("/workspaces/acme/dashboard/priority")
    assert whole["n"] > body["n"]


def test_loyalty_panel_is_the_matrix_of_the_customers_in_the_slice(board, sliced):
    body = board.get("/workspaces/acme/dashboard/loyalty", PANEL)
    expected = sliced.analysis.loyalty_matrix("nps", "frequency").summary
    got = pd.DataFrame(body["rows"]).set_index("quadrant")
    exp = expected.set_index("quadrant")
    assert got["customers"].to_dict() == exp["customers"].to_dict()
    np.testing.assert_allclose(got.loc[exp.index, "revenue_share"], exp["revenue_share"])
    # every customer in the matrix is a small-business customer who answered in the range
    assert (
        got["customers"].sum()
        == answers(board, SINCE, UNTIL, "small_business")["customer_id"].nunique()
    )
    assert body["rules"] and body["attitude"] == "nps"


def test_panels_need_a_key_and_keep_to_its_workspaces(board):
    with board.client(None) as c:
        assert c.get("/api/v1/workspaces/acme/dashboard/priority").status_code == 401
    with board.client("globex") as c:
        other = c.get("/api/v1/workspaces/acme/dashboard/loyalty")
    assert other.status_code == 404


def test_a_filter_column_the_panels_cannot_read_is_refused(board):
    with board.client() as c:
        r = c.get("/api/v1/workspaces/acme/dashboard/priority", params={"filter": "nosuch=1"})
    assert r.status_code == 422 and "available columns" in r.json()["detail"]


def test_the_names_endpoint_gives_the_display_rules(board):
    body = board.get("/workspaces/acme/dashboard/names")
    assert body["names"]["log-odds (TreeSHAP)"] == "Effect on churn odds"
    assert body["prefixes"] == ["driver_", "theme_", "feature_"]
    assert body["acronyms"]["nps"] == "NPS" and body["cached"] is False
