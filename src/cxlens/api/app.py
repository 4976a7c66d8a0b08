"""The FastAPI app: ``create_app(workspaces_dir)`` serves every ``NAME.duckdb`` in a folder."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from cxlens.api import (
    dashboard,
    errors,
    routes_analyses,
    routes_customers,
    routes_data,
    routes_metrics,
    routes_surveys,
    routes_uploads,
    warm,
)
from cxlens.api.analysis_jobs import WAIT_SECONDS, AnalysisJobs
from cxlens.api.audit import AuditLog
from cxlens.api.errors import WORKSPACE_ERRORS
from cxlens.api.keys import KeyStore
from cxlens.api.params import reject_control_characters
from cxlens.api.state import Workspaces
from cxlens.api.uploads import MAX_UPLOAD_BYTES, Jobs
from cxlens.errors import CxlensError, WorkspaceError

PREFIX = "/api/v1"

DESCRIPTION = """\
Customer-experience metrics and analyses of the workspaces in one folder.

Every call but `/api/v1/health` needs `Authorization: Bearer KEY` (a key from
`cxlens keys create`). A key has a role (viewer < analyst < admin) and a list of
workspaces; a workspace outside that list answers 404, as one that does not exist.
Unknown metrics, columns or values answer 422 with the reason. Every error answers
`{"detail": ..., "error": ...}`; a server error (500) also `error_id`, which names the
failure in the server's log. See docs/api.md.
"""


def create_app(
    workspaces_dir: str | Path,
    *,
    max_upload_bytes: int = MAX_UPLOAD_BYTES,
    analysis_wait: float = WAIT_SECONDS,
    warm_cache: bool = True,
) -> FastAPI:
    """Return the API app serving every ``NAME.duckdb`` in ``workspaces_dir``.

    Keys (``_cxlens_keys.json``) and the audit log (``_cxlens_audit.jsonl``) live in the
    same folder. Workspaces are opened on first use and held open (read-write: uploads
    write) until the app stops. The web dashboard is served at ``/`` (docs/dashboard.md).

    Args:
        workspaces_dir: the folder of workspace files.
        max_upload_bytes: largest upload accepted (413 above it).
        analysis_wait: seconds an analysis request waits before answering 202 with a job.
        warm_cache: precompute the common answers of every workspace when the server
            starts and after each change (:mod:`cxlens.api.warm`).

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
        if warm_cache:
            for name in app.state.workspaces.names():
                app.state.workspaces.get(name)  # opens it and starts warming its cache
        yield
        if warmer is not None:
            warmer.close()  # a warm still waiting must not reopen a closed workspace
        app.state.analysis_jobs.close()
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
        dependencies=[Depends(reject_control_characters)],
    )
    app.state.keys = KeyStore(folder)
    app.state.audit = AuditLog(folder)
    warmer = warm.Warmer() if warm_cache else None
    app.state.workspaces = Workspaces(folder, on_change=warmer)
    app.state.jobs = Jobs(app.state.audit)
    app.state.max_upload_bytes = int(max_upload_bytes)
    app.state.analysis_jobs = AnalysisJobs()
    app.state.analysis_wait = float(analysis_wait)

    _handle_errors(app, folder)

    @app.get(
        f"{PREFIX}/health", tags=["meta"], summary="Liveness (no key needed)",
        responses=errors.responses(422, 500),
    )  # fmt: skip
    def health() -> dict[str, str]:
        """Return ``{"status": "ok"}`` while the server runs."""
        return {"status": "ok"}

    for router in (routes_data.router, routes_metrics.router, routes_analyses.router(),
                   routes_uploads.router, routes_customers.router, dashboard.panels()):  # fmt: skip
        app.include_router(router, prefix=PREFIX, responses=WORKSPACE_ERRORS)
    app.include_router(dashboard.pages())  # the web dashboard at /
    routes_surveys.register(app, PREFIX)  # the survey page /s/{token} and the survey API
    return app


def _handle_errors(app: FastAPI, folder: Path) -> None:
    """Answer every error with the documented body (see :mod:`cxlens.api.errors`)."""

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        return errors.validation_error(exc)

    @app.exception_handler(StarletteHTTPException)
    async def http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        return errors.http_error(exc)

    @app.exception_handler(CxlensError)
    async def cxlens(request: Request, exc: CxlensError) -> JSONResponse:
        return errors.cxlens_error(exc, request, [folder])

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> JSONResponse:
        return errors.server_error(exc, request)
