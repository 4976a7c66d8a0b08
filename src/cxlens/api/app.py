"""The FastAPI app: ``create_app(workspaces_dir)`` serves every ``NAME.duckdb`` in a folder."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from cxlens.api import (
    dashboard,
    routes_analyses,
    routes_customers,
    routes_data,
    routes_metrics,
    routes_uploads,
)
from cxlens.api.audit import AuditLog
from cxlens.api.keys import KeyStore
from cxlens.api.state import Workspaces
from cxlens.api.uploads import MAX_UPLOAD_BYTES, Jobs
from cxlens.errors import CxlensError, EngineError, WorkspaceError

PREFIX = "/api/v1"

DESCRIPTION = """\
Customer-experience metrics and analyses of the workspaces in one folder.

Every call but `/api/v1/health` needs `Authorization: Bearer KEY` (a key from
`cxlens keys create`). A key has a role (viewer < analyst < admin) and a list of
workspaces; a workspace outside that list answers 404, as one that does not exist.
Unknown metrics, columns or values answer 422 with the reason. See docs/api.md.
"""


def _error_body(exc: Exception) -> dict[str, Any]:
    return {"detail": str(exc), "error": type(exc).__name__}


def create_app(workspaces_dir: str | Path, *, max_upload_bytes: int = MAX_UPLOAD_BYTES) -> FastAPI:
    """Return the API app serving every ``NAME.duckdb`` in ``workspaces_dir``.

    Keys (``_cxlens_keys.json``) and the audit log (``_cxlens_audit.jsonl``) live in the
    same folder. Workspaces are opened on first use and held open (read-write: uploads
    write) until the app stops. The web dashboard is served at ``/`` (docs/dashboard.md).

    Args:
        workspaces_dir: the folder of workspace files.
        max_upload_bytes: largest upload accepted (413 above it).

    Returns:
        The FastAPI app; run it with uvicorn (``cxlens serve`` does).

    Example:
        >>> app = create_app("demo")  # doctest: +SKIP
        >>> app.openapi()["info"]["title"]  # doctest: +SKIP
        'cxlens'
    """
    folder = Path(workspaces_dir)
    if not folder.is_dir():
        raise WorkspaceError(
            f"{folder} is not a folder; give the folder that holds the NAME.duckdb workspaces"
        )

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
        app.state.workspaces.close()

    from cxlens import __version__

    app = FastAPI(
        title="cxlens",
        version=__version__,
        description=DESCRIPTION,
        lifespan=lifespan,
        openapi_url=f"{PREFIX}/openapi.json",
        docs_url=f"{PREFIX}/docs",
        redoc_url=None,
    )
    app.state.keys = KeyStore(folder)
    app.state.audit = AuditLog(folder)
    app.state.workspaces = Workspaces(folder)
    app.state.jobs = Jobs(app.state.audit)
    app.state.max_upload_bytes = int(max_upload_bytes)

    @app.exception_handler(CxlensError)
    async def cxlens_error(request: Request, exc: CxlensError) -> JSONResponse:
        # bad requests (unknown column, too little data, bad mapping) are the caller's to fix;
        # an engine failure is ours
        if isinstance(exc, EngineError):
            return JSONResponse(_error_body(exc), status_code=500)
        status = 409 if isinstance(exc, WorkspaceError) else 422
        return JSONResponse(_error_body(exc), status_code=status)

    @app.get(f"{PREFIX}/health", tags=["meta"], summary="Liveness (no key needed)")
    def health() -> dict[str, str]:
        """Return ``{"status": "ok"}`` while the server runs."""
        return {"status": "ok"}

    app.include_router(routes_data.router, prefix=PREFIX)
    app.include_router(routes_metrics.router, prefix=PREFIX)
    app.include_router(routes_analyses.router(), prefix=PREFIX)
    app.include_router(routes_uploads.router, prefix=PREFIX)
    app.include_router(routes_customers.router, prefix=PREFIX)
    app.include_router(dashboard.panels(), prefix=PREFIX)
    app.include_router(dashboard.pages())  # the web dashboard at /
    return app
