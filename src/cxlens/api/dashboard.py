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
"""

from __future__ import annotations

from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Query
from fastapi.responses import FileResponse

from cxlens.analysis.namespace import Analysis
from cxlens.api import serialize
from cxlens.api.deps import Access, access
from cxlens.api.filters import FilteredWorkspace, MetricQuery, validate
from cxlens.api.routes_metrics import Filters, Since, Until
from cxlens.store.workspace import Workspace

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


def _responses(ws: Workspace, filters: list[str], since: str | None, until: str | None) -> Any:
    """Return the workspace with its responses cut to the filter and date range (in the engine)."""
    query: MetricQuery = validate(ws, "nps", filters=filters, since=since, until=until)
    return FilteredWorkspace(ws, "responses", query.filter, query.since, query.until)


def _panel(name: str, a: Access, params: dict[str, Any], table: Any) -> dict[str, Any]:
    return {"workspace": a.name, "panel": name, **params, **serialize.table(table)}


def panels() -> APIRouter:
    """Return the router of the dashboard's filtered analysis panels (under ``/api/v1``).

    ``GET /workspaces/{name}/dashboard/priority`` and ``.../dashboard/loyalty`` take the
    metric endpoints' ``filter``, ``since`` and ``until``.

    Example:
        >>> [r.path for r in panels().routes]  # doctest: +NORMALIZE_WHITESPACE
        ['/workspaces/{name}/dashboard/priority', '/workspaces/{name}/dashboard/loyalty']
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
            cuts = {k: table.attrs.get(k) for k in ("importance_cut", "performance_cut", "n")}
            extra = {"performance_measure": table.attrs.get("performance_measure"), **cuts}
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
        its ``summary``; ``rules`` lists how the quadrants were drawn.
        """

        def compute(ws: Workspace) -> dict[str, Any]:
            view = _responses(ws, filters, since, until)
            found = Analysis(view).loyalty_matrix(attitude, behaviour)
            rules = [str(r) for r in found.summary.attrs.get("rules", [])]
            params = {"attitude": attitude, "behaviour": behaviour, "rules": rules}
            return _panel("loyalty", a, params, found.summary)

        key = ("dashboard", "loyalty", attitude, behaviour, tuple(filters), since, until)
        payload, cached = a.served.read(key, compute)
        return payload | {"cached": cached}

    return out
