"""Every panel of the dashboard, drawn at 1024 and 1440 px, can be read; money has its currency.

For each chart the boxes of its SVG texts are read in chromium (tests/report/layout.py): no
two labels overlap, no text runs outside the chart, no legend covers an axis title.
"""

from __future__ import annotations

import re

import pytest

from tests.dashboard.signin import sign_in, wait_drawn
from tests.dashboard.test_browser import CHROMIUM, Watched, browser  # noqa: F401
from tests.report.layout import layout_problems, read_charts

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not CHROMIUM.exists(), reason="needs Debian's chromium at /usr/bin/chromium"
    ),
]
pytest.importorskip("playwright.sync_api", reason="needs the playwright package")

#: The panels the sample workspace of ``board`` draws (it has no events, posts or themes).
PANELS = ("trend-nps", "trend-csat", "trend-ces", "trend-churn", "priority", "segments",
          "loyalty")  # fmt: skip


@pytest.fixture(params=[1024, 1440])
def drawn(request, browser, board):  # noqa: F811
    context = browser.new_context(viewport={"width": request.param, "height": 900})
    watched = Watched(context.new_page(), board)
    watched.sign_in()
    watched.ready([])
    watched.page.wait_for_timeout(1000)  # Plotly's resize to the panel
    yield watched, read_charts(watched.page)
    context.close()


def test_no_dashboard_chart_has_overlapping_or_clipped_text(drawn):
    _, charts = drawn
    assert set(PANELS) <= {c["id"] for c in charts}
    problems = layout_problems(charts)
    assert not problems, "\n".join(problems)


def test_the_loyalty_panel_writes_revenue_with_the_datas_currency(drawn, board):
    watched, _ = drawn
    body = board.get("/workspaces/acme/dashboard/loyalty")
    assert (body["currency"], body["currency_prefix"]) == ("USD", "$")  # the sample's
    text = watched.page.inner_text("#loyalty")
    amounts = re.findall(r"revenue / customer (\$\d{1,3}(?:,\d{3})*)", text)
    by_hand = [f"${round(r['revenue_per_customer']):,}" for r in body["rows"]]
    assert sorted(amounts) == sorted(by_hand)


#: The journey and social panels, drawn only for a workspace with events and posts.
VOICE_PANELS = ("journey-emotion", "journey-funnel", "social-sentiment", "social-voice")


@pytest.fixture(scope="module")
def full_board(tmp_path_factory):
    """A served workspace with every sample table (events and posts too) and a viewer key."""
    import cxlens
    from cxlens.api import KeyStore
    from cxlens.sample import generate, write_sample
    from tests.api.conftest import free_port, start_server, stop_server, wait_ready

    folder = tmp_path_factory.mktemp("full-board")
    # the screenshots' demo data (3,000 customers, 24 months): its touchpoint names met the
    # emotion chart's "−1" tick at 1024 px
    paths = write_sample(generate(customers=3000, months=24, seed=7), folder / "_sample")
    with cxlens.Workspace(folder / "acme.duckdb") as ws:
        for table in ("customers", "responses", "transactions", "events", "posts"):
            ws.ingest(paths[table], table=table)
    key = KeyStore(folder).create(["acme"], "viewer", name="layout")[1]
    port = free_port()
    process = start_server(folder, port)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_ready(url, process, folder, seconds=120)
        yield url, key
    finally:
        stop_server(process)


@pytest.mark.slow  # a second server over a workspace with events and posts
@pytest.mark.parametrize("width", [1024, 1440])
def test_no_journey_or_social_panel_has_overlapping_or_clipped_text(browser, full_board, width):  # noqa: F811
    url, key = full_board
    page = browser.new_page(viewport={"width": width, "height": 900})
    try:
        sign_in(page, url, key)
        wait_drawn(page)
        page.wait_for_timeout(1500)  # Plotly's resize to the panel
        charts = read_charts(page)
    finally:
        page.close()
    assert set(VOICE_PANELS) <= {c["id"] for c in charts}
    problems = layout_problems(charts)
    assert not problems, "\n".join(problems)
