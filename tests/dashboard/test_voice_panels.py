"""The Journey, Themes and Social panels in headless chromium, against a real server.

``voice`` serves the cxlens sample loaded as the demo loads it, with its themes found and
saved before the server starts (the template of tests/api/test_voice_customers_api.py);
each panel must show what its endpoint answers. The ``board`` workspace (conftest.py) has
no saved themes, no events and no posts: there the three panels stay hidden, quietly.
"""

from __future__ import annotations

import json
import shutil

import pytest

from cxlens.api import KeyStore
from tests.api.conftest import free_port, start_server, stop_server, wait_ready
from tests.api.test_voice_customers_api import voice_template
from tests.dashboard.conftest import Board
from tests.dashboard.test_browser import CHROMIUM, Watched, browser  # noqa: F401

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,  # finding the template's themes takes about half a minute
    pytest.mark.skipif(
        not CHROMIUM.exists(), reason="needs Debian's chromium at /usr/bin/chromium"
    ),
]
pytest.importorskip("playwright.sync_api", reason="needs the playwright package")


@pytest.fixture(scope="module")
def voice_board(tmp_path_factory):
    """A server over ``acme``: the voice template (themes saved), with a viewer key."""
    folder = tmp_path_factory.mktemp("voice-board")
    template, tables = voice_template()
    shutil.copy(template, folder / "acme.duckdb")
    keys = {"viewer": KeyStore(folder).create(["acme"], "viewer", name="voice viewer")[1]}
    port = free_port()
    process = start_server(folder, port)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_ready(url, process, folder)
        yield Board(url, folder, keys, tables, {})
    finally:
        stop_server(process)


@pytest.fixture
def page_of(browser):  # noqa: F811
    contexts = []

    def open_on(board: Board) -> Watched:
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        contexts.append(context)
        return Watched(context.new_page(), board)

    yield open_on
    for context in contexts:
        context.close()


def test_the_voice_panels_show_what_the_api_answers(page_of, voice_board):
    watched = page_of(voice_board)
    watched.sign_in()
    watched.ready([])
    page = watched.page
    for panel in ("journey-panel", "themes-panel", "social-panel"):
        assert page.is_visible(f"#{panel}"), panel
    # themes: the cards in the API's order, the first quote word for word
    themes = voice_board.get("/workspaces/acme/dashboard/themes", [("top", "8")])
    cards = page.locator("#themes article")
    assert cards.count() == len(themes["rows"]) == 8
    first = themes["rows"][0]
    # each card is titled by the theme's name as the report gives it, never by its id
    for i, row in enumerate(themes["rows"]):
        title = page.inner_text(f"#themes article >> nth={i} >> h3")
        assert title == row["name"] + (" (emerging)" if row["emerging"] else "")
        assert row["theme"] not in title
    assert page.inner_text("#themes article >> nth=0 >> blockquote >> nth=0") == (
        f"“{first['quotes'][0]}”"
    )
    assert f"{themes['themes']} themes in all the comments" in page.inner_text("#themes-note")
    # each card's negative quote (when its quotes lack it) marks the API's theme sentence
    shown = 0
    for i, row in enumerate(themes["rows"]):
        parts = row["negative_quote"]
        if not parts or "".join(parts) in row["quotes"]:
            assert page.locator(f"#themes article >> nth={i} >> blockquote.negative").count() == 0
            continue
        quote = page.locator(f"#themes article >> nth={i} >> blockquote.negative")
        assert quote.inner_text() == f"negative “{''.join(parts)}”"
        marks = quote.locator("mark")
        assert marks.count() == (1 if parts[1] else 0)
        if parts[1]:
            assert marks.inner_text() == parts[1]
            shown += 1
    assert shown >= 1  # the template has themes whose typical quotes are all praise
    # social: the share-of-voice bars are the API's numbers, and the analysis endpoint's
    social = voice_board.get("/workspaces/acme/dashboard/social")
    voice = watched.trace("social-voice", "Volume")
    assert voice["x"] == [r["brand"] for r in social["share_of_voice"]["rows"]]
    assert voice["y"] == [r["volume_share"] for r in social["share_of_voice"]["rows"]]
    sov = voice_board.get("/workspaces/acme/analyses/social-share-of-voice")
    by_brand = {r["brand"]: r["volume_share"] for r in sov["parts"]["share_of_voice"]["rows"]}
    assert voice["y"] == pytest.approx([by_brand[b] for b in voice["x"]], rel=1e-12)
    posts = voice_board.tables["posts"]
    counts = posts["brand"].value_counts()
    assert voice["y"] == pytest.approx([100 * counts[b] / len(posts) for b in voice["x"]])
    net = watched.trace("social-sentiment", "net sentiment")
    assert net["y"] == [r["net_sentiment"] for r in social["sentiment"]["rows"]]
    # journey: both charts drawn; the funnel is the API's
    journey = voice_board.get("/workspaces/acme/dashboard/journey")
    for chart in ("journey-emotion", "journey-funnel"):
        assert page.locator(f"#{chart} .main-svg").count() > 0, chart
    funnel = watched.trace("journey-funnel", "Funnel")
    assert funnel["x"] == [r["entered"] for r in journey["funnel"]["rows"]]
    assert "all dates" in page.inner_text("#journey-funnel-note")
    assert watched.errors == []


def test_the_social_panel_follows_the_date_range(page_of, voice_board):
    watched = page_of(voice_board)
    watched.sign_in()
    watched.ready([])
    since, until = "2024-04-01", "2024-06-30"
    watched.page.fill("#since", since)
    watched.page.fill("#until", until)
    watched.ready([["since", since], ["until", until]])
    dates = [("since", since), ("until", until)]
    rows = voice_board.get("/workspaces/acme/dashboard/social", dates)["share_of_voice"]["rows"]
    posts = voice_board.tables["posts"]
    at = posts["posted_at"].astype(str).str[:10]
    posts = posts[(at >= since) & (at <= until)]
    counts = posts["brand"].value_counts()
    voice = watched.trace("social-voice", "Volume")
    assert voice["y"] == [r["volume_share"] for r in rows]
    assert voice["y"] == pytest.approx([100 * counts[b] / len(posts) for b in voice["x"]])
    assert "date range applied" in watched.page.inner_text("#social-note")


def test_without_saved_themes_the_panel_is_hidden_not_an_error(page_of, board):
    watched = page_of(board)
    watched.sign_in()
    watched.ready([])
    for panel in ("themes-panel", "social-panel", "journey-panel"):
        assert watched.page.is_hidden(f"#{panel}"), panel
    assert watched.page.is_hidden("#error")
    assert watched.page.locator("#tile-nps .value").inner_text() != ""
    assert watched.errors == []


def test_the_negative_quote_is_customer_text_its_markup_never_runs(page_of, board):
    # the themes endpoint answered with a quote holding markup (routed, with the panels
    # list: ``board`` has no saved themes); the card shows it as text, the sentence marked
    parts = ["Decent <img src=x onerror=alert(1)>. ", "The <b>app</b> is esy to use.",
             " <script>bad()</script>"]  # fmt: skip
    row = {"theme": "t01", "name": "App", "label": "App", "count": 80, "share": 0.1,
           "sentiment": -0.2, "negative_share": 0.3, "emerging": False, "quotes": ["Love the app."],
           "negative_quote": parts}  # fmt: skip
    body = {"workspace": "acme", "panel": "themes", "columns": list(row), "rows": [row],
            "themes": 1, "reused": True, "scope": {}}  # fmt: skip
    off = {"available": False, "reason": "not in this test"}
    panels = {"panels": {"journey": off, "social": off,
                         "themes": {"available": True, "reason": None}}}  # fmt: skip
    watched = page_of(board)
    for path, answer in (("**/dashboard/panels*", panels), ("**/dashboard/themes*", body)):
        watched.page.route(path, _answering(answer))
    watched.sign_in()
    watched.ready([])
    quote = watched.page.locator("#themes article >> nth=0 >> blockquote.negative")
    assert quote.inner_text() == f"negative “{''.join(row['negative_quote'])}”"
    assert quote.locator("mark").inner_text() == "The <b>app</b> is esy to use."
    assert quote.locator("img, b, script").count() == 0
    assert watched.errors == []


def _answering(answer: dict):
    """A Playwright route handler answering ``answer`` as JSON."""

    def fulfil(route, request) -> None:
        route.fulfill(status=200, content_type="application/json", body=json.dumps(answer))

    return fulfil
