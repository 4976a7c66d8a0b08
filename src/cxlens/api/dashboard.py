"""The web dashboard: its page and assets, and the two analysis panels that take its filters.

``GET /`` serves one static page (``static/index.html``) with plain JavaScript
(``static/app.js``) that asks for an API key, keeps it in ``sessionStorage`` and calls the
JSON API with it; the page itself holds no data, so it needs no key. Plotly's JavaScript is
served from the installed ``plotly`` package, so the dashboard works offline and loads
nothing from elsewhere (the page's Content-Security-Policy allows only this server).

The metric panels use the metric endpoints, which take the dashboard's date range and
filters. The analyses endpoints take neither, so the priority matrix and the loyalty matrix
panels have their own endpoints here, computed on the responses in the range and the
filter (an Ibis filter in the engine, as the metrics do) and cached per workspace version.

The voice panels have theirs too: ``journey`` (emotion per touchpoint over the answers in
the range and filter; the funnel over all events, "all dates"), ``themes`` (the saved
themes, reused while up to date; over all comments, "all dates") and ``social`` (share of
voice and sentiment by brand over the posts in the date range; posts have no segment).
Each answer says in ``scope`` which filters it followed.
"""

from __future__ import annotations

from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, Literal

import pandas as pd
from fastapi import APIRouter, Depends, HTTPException, Query
from fastapi.responses import FileResponse

from cxlens.analysis.monetization import transactions_currency
from cxlens.analysis.namespace import Analysis
from cxlens.api import serialize
from cxlens.api.deps import Access, access
from cxlens.api.filters import FilteredWorkspace, MetricQuery, validate
from cxlens.api.params import Day
from cxlens.api.routes_metrics import Filters, Since, Until
from cxlens.display import ACRONYMS, DEFAULT_NAMES, PREFIXES, load_names
from cxlens.errors import NotEnoughDataError
from cxlens.money import money_prefix
from cxlens.workspace import Workspace

#: The folder of the page and its assets.
STATIC = Path(__file__).with_name("static")

#: Assets the page loads, with their media types; nothing else under /static is served.
ASSETS: dict[str, str] = {
    "app.js": "text/javascript; charset=utf-8",
    "style.css": "text/css; charset=utf-8",
}

#: Only this server's own scripts and data; Plotly sets inline styles and draws data: images.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data: blob:; connect-src 'self'; frame-ancestors 'none'; "
    "base-uri 'none'; form-action 'none'"
)

_NO_STORE = {"Cache-Control": "no-cache", "Content-Security-Policy": CSP}


@lru_cache(maxsize=1)
def plotly_js() -> Path:
    """Return the path of the minified Plotly.js that the installed plotly package ships.

    Raises:
        FileNotFoundError: the plotly package has no ``package_data/plotly.min.js``.

    Example:
        >>> plotly_js().name
        'plotly.min.js'
    """
    path = Path(str(resources.files("plotly").joinpath("package_data", "plotly.min.js")))
    if not path.is_file():
        raise FileNotFoundError(
            f"{path} is missing; reinstall the plotly package (it ships plotly.min.js)"
        )
    return path


def pages() -> APIRouter:
    """Return the router of the page (``/``) and its assets (``/static/...``).

    Example:
        >>> sorted(r.path for r in pages().routes)
        ['/', '/static/plotly.min.js', '/static/{asset}']
    """
    out = APIRouter(include_in_schema=False)

    @out.get("/")
    def index() -> FileResponse:
        """Return the dashboard page."""
        return FileResponse(STATIC / "index.html", media_type="text/html", headers=_NO_STORE)

    @out.get("/static/plotly.min.js")
    def plotly() -> FileResponse:
        """Return Plotly.js from the installed plotly package."""
        return FileResponse(
            plotly_js(),
            media_type=ASSETS["app.js"],
            headers={"Cache-Control": "public, max-age=86400"},
        )

    @out.get("/static/{asset}")
    def static(asset: str) -> FileResponse:
        """Return one of the page's assets (a fixed list: no path from the URL is opened)."""
        if asset not in ASSETS:
            raise HTTPException(404, f"no asset named {asset!r}")
        return FileResponse(STATIC / asset, media_type=ASSETS[asset], headers=_NO_STORE)

    return out


def _responses(ws: Workspace, filters: list[str], since: Day | None, until: Day | None) -> Any:
    """Return the workspace with its responses cut to the filter and date range (in the engine)."""
    query: MetricQuery = validate(ws, "nps", filters=filters, since=since, until=until)
    return FilteredWorkspace(ws, "responses", query.filter, query.since, query.until)


def _panel(name: str, a: Access, params: dict[str, Any], table: Any) -> dict[str, Any]:
    return {"workspace": a.name, "panel": name, **params, **serialize.table(table)}


def _scope(dates: bool, segment: bool) -> dict[str, str]:
    """Say which of the dashboard's filters a panel followed."""
    return {"dates": "filtered" if dates else "all dates",
            "segment": "filtered" if segment else "all segments"}  # fmt: skip


def journey_panel(
    ws: Workspace, filters: list[str], since: Day | None, until: Day | None
) -> dict[str, Any]:
    """Return the emotion per touchpoint (filtered answers) and the funnel (all events).

    Example:
        >>> journey_panel(ws, [], None, None)["funnel"]["columns"][:2]  # doctest: +SKIP
        ['step', 'name']
    """
    from cxlens.journey.emotion import emotion
    from cxlens.report.journey_parts import funnel_stages, stage_order

    view = _responses(ws, filters, since, until)
    curve = emotion(view.table("responses"), ws.journey.touchpoints())
    stages = funnel_stages(stage_order(ws))
    funnel = ws.journey.funnel(stages)
    return {
        "emotion": serialize.table(curve),
        "emotion_scope": _scope(True, True),
        "funnel": serialize.table(funnel),
        "funnel_scope": _scope(False, False),
        "stages": stages,
    }


def themes_panel(ws: Workspace, top: int = 8, quotes: int = 3) -> dict[str, Any]:
    """Return the top themes with sentiment and ``quotes`` redacted quotes each (all dates).

    Each theme has its ``name``, the one the report gives it
    (:func:`cxlens.report.voice_parts.report_themes`), which the page shows; ``theme`` is its
    id, for the page's bookkeeping only.

    Each theme also has ``negative_quote`` as three parts, before / theme sentence / after
    (:func:`cxlens.text.quote.quote_parts`; the sentence "" where not known), so the page
    marks the part the theme is about; None without a negative quote.

    Example:
        >>> themes_panel(ws)["rows"][0]["quotes"][:1]  # doctest: +SKIP
        ['The bill was wrong again.']
    """
    from cxlens.report.voice_parts import report_themes, themes_up_to_date

    # finding themes takes minutes on a large workspace and would hold the workspace's lock;
    # the dashboard shows saved ones only
    if not themes_up_to_date(ws):
        raise NotEnoughDataError(
            "no up-to-date themes are saved; run `ws.text.themes()` (or GET "
            ".../analyses/themes, or build the report) to find and save them"
        )
    themes, reused = report_themes(ws)
    from cxlens.text.quote import quote_parts

    shown = themes.head(top)
    negative = [
        list(quote_parts(q, s)) if isinstance(q, str) and q else None
        for q, s in zip(shown["negative_quote"], shown["negative_sentence"], strict=True)
    ]
    shown = shown[["theme", "name", "label", "count", "share", "sentiment", "negative_share",
                   "emerging", "quotes"]]  # fmt: skip
    shown = shown.assign(quotes=shown["quotes"].map(lambda q: list(q)[:quotes]))
    shown = shown.assign(negative_quote=pd.Series(negative, index=shown.index, dtype=object))
    return {**serialize.table(shown), "themes": len(themes), "reused": reused,
            "scope": _scope(False, False)}  # fmt: skip


def social_panel(ws: Workspace, since: Day | None, until: Day | None) -> dict[str, Any]:
    """Return share of voice and sentiment by brand over the posts in the date range.

    Example:
        >>> social_panel(ws, None, None)["share_of_voice"]["columns"][:2]  # doctest: +SKIP
        ['brand', 'posts']
    """
    from cxlens.social.post_sentiment import with_sentiment
    from cxlens.social.voice import sentiment_by_brand, share_of_voice

    if not ws.has_table("posts"):
        raise NotEnoughDataError(
            "the social panel needs the 'posts' table, which this workspace does not have; "
            "load it with `cxlens ingest FILE --as posts`"
        )
    # the engagement metric reads posts: its validation checks the dates the same way
    query = validate(ws, "engagement", since=since, until=until)
    posts = FilteredWorkspace(ws, "posts", {}, query.since, query.until).table("posts")
    voice = share_of_voice(posts)
    scored = with_sentiment(posts, ws.social.score_posts().table)
    return {
        "share_of_voice": serialize.table(voice),
        "sentiment": serialize.table(sentiment_by_brand(scored)),
        "scope": _scope(True, False),
    }


def voice_panels(ws: Workspace) -> dict[str, dict[str, Any]]:
    """Return which voice panels this workspace can show, and why not where it cannot.

    Cheap checks only (tables present; saved themes up to date), so the page asks before it
    fetches a panel and a workspace without posts or themes shows no failed request.

    Example:
        >>> voice_panels(ws)["social"]  # doctest: +SKIP
        {'available': False, 'reason': "no 'posts' table"}
    """
    from cxlens.report.voice_parts import themes_up_to_date

    def state(reason: str | None) -> dict[str, Any]:
        return {"available": reason is None, "reason": reason}

    missing = [t for t in ("events", "responses") if not ws.has_table(t)]
    return {
        "journey": state(f"no {missing[0]!r} table" if missing else None),
        "themes": state(None if themes_up_to_date(ws) else "no up-to-date saved themes"),
        "social": state(None if ws.has_table("posts") else "no 'posts' table"),
    }


def panels() -> APIRouter:
    """Return the router of the dashboard's filtered analysis panels (under ``/api/v1``).

    ``GET /workspaces/{name}/dashboard/priority``, ``.../loyalty`` and ``.../journey`` take
    the metric endpoints' ``filter``, ``since`` and ``until``; ``.../social`` the dates only;
    ``.../themes`` neither; ``.../panels`` says which voice panels the workspace can show.

    Example:
        >>> [r.path.rsplit("/", 1)[1] for r in panels().routes]
        ['priority', 'loyalty', 'panels', 'journey', 'themes', 'social', 'names']
    """
    out = APIRouter(tags=["dashboard"])

    @out.get(
        "/workspaces/{name}/dashboard/priority",
        summary="Driver priority matrix of the answers in a date range and filter",
    )
    def priority(
        a: Annotated[Access, Depends(access("viewer"))],
        target: Annotated[Literal["nps", "csat", "ces"], Query()] = "nps",
        filters: Filters = [],  # noqa: B006 - FastAPI copies defaults
        since: Since = None,
        until: Until = None,
    ) -> dict[str, Any]:
        """Return ``ws.analysis.priority_matrix(target)`` over the filtered responses.

        Columns ``driver, importance, importance_ci_low, importance_ci_high, performance,
        quadrant``; ``importance_cut``, ``performance_cut``, ``performance_measure`` and
        ``n`` (answers used) beside them. Too few answers in the slice: 422 with the reason.
        """

        def compute(ws: Workspace) -> dict[str, Any]:
            view = _responses(ws, filters, since, until)
            table = Analysis(view).priority_matrix(target, bootstrap=0)
            row = table.iloc[0]  # the cuts and n are the same on every row
            extra = {
                "performance_measure": str(row["performance_measure"]),
                "importance_cut": float(row["importance_cut"]),
                "performance_cut": float(row["performance_cut"]),
                "n": int(row["n"]),
            }
            return _panel("priority", a, {"target": target, **extra}, table)

        key = ("dashboard", "priority", target, tuple(filters), since, until)
        payload, cached = a.served.read(key, compute)
        return payload | {"cached": cached}

    @out.get(
        "/workspaces/{name}/dashboard/loyalty",
        summary="Loyalty matrix of the customers who answered in a date range and filter",
    )
    def loyalty(
        a: Annotated[Access, Depends(access("viewer"))],
        attitude: Annotated[Literal["nps", "csat"], Query()] = "nps",
        behaviour: Annotated[
            Literal["frequency", "recency", "value", "engagement"], Query()
        ] = "frequency",
        filters: Filters = [],  # noqa: B006
        since: Since = None,
        until: Until = None,
    ) -> dict[str, Any]:
        """Return the loyalty matrix summary over the customers with answers in the slice.

        Attitude comes from each customer's latest answer in the range and filter;
        behaviour from their transactions, as ``ws.analysis.loyalty_matrix``. Columns as
        its ``summary``; ``rules`` lists how the quadrants were drawn; ``currency`` (ISO
        4217, "" when unknown) and ``currency_prefix`` ("$", "CHF ") go with the revenue.
        """

        def compute(ws: Workspace) -> dict[str, Any]:
            view = _responses(ws, filters, since, until)
            found = Analysis(view).loyalty_matrix(attitude, behaviour)
            rules = list(found.rules)
            currency = transactions_currency(ws)
            params = {"attitude": attitude, "behaviour": behaviour, "rules": rules,
                      "currency": currency, "currency_prefix": money_prefix(currency)}  # fmt: skip
            return _panel("loyalty", a, params, found.summary)

        key = ("dashboard", "loyalty", attitude, behaviour, tuple(filters), since, until)
        payload, cached = a.served.read(key, compute)
        return payload | {"cached": cached}

    @out.get(
        "/workspaces/{name}/dashboard/panels",
        summary="Which voice panels (journey, themes, social) the workspace can show",
    )
    def available(a: Annotated[Access, Depends(access("viewer"))]) -> dict[str, Any]:
        """Return ``panels``: per voice panel, ``available`` and the ``reason`` when not.

        The page asks this first and fetches only the panels a workspace can show. Never
        cached: ``analyses/themes`` saves themes without a new version, and the Themes panel
        must appear as soon as they are saved (the checks are two counts in the engine).
        """
        with a.served.lock:
            found = voice_panels(a.served.workspace())
        return {"workspace": a.name, "panels": found, "cached": False}

    @out.get(
        "/workspaces/{name}/dashboard/journey",
        summary="Emotion per touchpoint (date range and filter) and the funnel (all dates)",
    )
    def journey(
        a: Annotated[Access, Depends(access("viewer"))],
        filters: Filters = [],  # noqa: B006
        since: Since = None,
        until: Until = None,
    ) -> dict[str, Any]:
        """Return the emotion per touchpoint of the answers in the slice, and the funnel.

        ``emotion`` as ``ws.journey.emotion()`` over the filtered answers; ``funnel`` over
        the stages most journeys reach, all events (it has no date filter); ``*_scope``
        says which filters each followed.
        """

        def compute(ws: Workspace) -> dict[str, Any]:
            return {"workspace": a.name, "panel": "journey",
                    **journey_panel(ws, filters, since, until)}  # fmt: skip

        key = ("dashboard", "journey", tuple(filters), since, until)
        payload, cached = a.served.read(key, compute)
        return payload | {"cached": cached}

    @out.get("/workspaces/{name}/dashboard/themes", summary="Top themes with quotes (all dates)")
    def themes(
        a: Annotated[Access, Depends(access("viewer"))],
        top: Annotated[int, Query(ge=1, le=50)] = 8,
    ) -> dict[str, Any]:
        """Return the top themes: label, share, mean sentiment, 3 redacted quotes each.

        Themes cover every comment (no date or segment filter). Only saved themes that are
        up to date are shown (422 otherwise: finding them is a long job for the analyses
        endpoint or the report, not a dashboard refresh).
        """

        def compute(ws: Workspace) -> dict[str, Any]:
            return {"workspace": a.name, "panel": "themes", **themes_panel(ws, top)}

        payload, cached = a.served.read(("dashboard", "themes", top), compute)
        return payload | {"cached": cached}

    @out.get(
        "/workspaces/{name}/dashboard/social",
        summary="Share of voice and sentiment by brand of the posts in a date range",
    )
    def social(
        a: Annotated[Access, Depends(access("viewer"))],
        since: Since = None,
        until: Until = None,
    ) -> dict[str, Any]:
        """Return ``share_of_voice`` and ``sentiment`` by brand over the posts in the range.

        Posts carry no segment, so the segment filter does not apply (``scope``).
        """

        def compute(ws: Workspace) -> dict[str, Any]:
            return {"workspace": a.name, "panel": "social", **social_panel(ws, since, until)}

        payload, cached = a.served.read(("dashboard", "social", since, until), compute)
        return payload | {"cached": cached}

    @out.get(
        "/workspaces/{name}/dashboard/names",
        summary="Display names: what clients read for the data's segments, columns, methods",
    )
    def names(a: Annotated[Access, Depends(access("viewer"))]) -> dict[str, Any]:
        """Return the rules of :mod:`cxlens.display`, so the page names things as the report does.

        ``names``: the defaults with the workspace's own names over them; ``prefixes`` and
        ``acronyms``: how any other identifier is turned into words. Never cached (two rows).
        """
        with a.served.lock:
            own = load_names(a.served.workspace())
        return {
            "workspace": a.name,
            "names": {**DEFAULT_NAMES, **own},
            "prefixes": list(PREFIXES),
            "acronyms": ACRONYMS,
            "cached": False,
        }

    return out
