"""Analysis endpoints, one per registered analysis (see :mod:`cxlens.api.analyses`)."""

# No ``from __future__ import annotations`` here: the endpoints are made in a loop and
# FastAPI must see each one's parameter model as a real annotation, not a string.

from concurrent.futures import TimeoutError as FutureTimeout
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request
from fastapi.responses import JSONResponse

from cxlens.api import serialize
from cxlens.api.analyses import REGISTRY, AnalysisSpec
from cxlens.api.deps import Access, access
from cxlens.workspace import Workspace


def _payload(name: str, workspace: str, parts: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {"workspace": workspace, "analysis": name, "parts": {}}
    for part, value in parts.items():
        out["parts"][part] = value if isinstance(value, list) else serialize.table(value)
    return out


def _endpoint(spec: AnalysisSpec) -> Any:
    model = spec.params

    def endpoint(
        request: Request,
        params: Annotated[model, Query()],  # type: ignore[valid-type]
        a: Annotated[Access, Depends(access(spec.role))],
    ) -> Any:
        def compute(ws: Workspace) -> dict[str, Any]:
            return _payload(spec.name, a.name, spec.run(ws, params))

        key = ("analysis", spec.name, params.model_dump_json())
        hit = a.served.cache.get((a.served.version, key))
        if hit is not None:
            return hit | {"cached": True}
        job = request.app.state.analysis_jobs.submit(a.served, spec.name, key, compute)
        try:
            payload, cached = job.future.result(timeout=request.app.state.analysis_wait)
        except FutureTimeout:
            return JSONResponse(job.view(), status_code=202)
        return payload | {"cached": cached}

    endpoint.__name__ = f"analysis_{spec.name}"
    endpoint.__doc__ = (
        f"{spec.summary}. Returns ``parts``: each a table (``columns``, ``rows``) or a list "
        "of sentences."
    )
    return endpoint


def router() -> APIRouter:
    """Return a router with one GET endpoint per registered analysis, plus their list.

    Example:
        >>> "/workspaces/{name}/analyses/drivers" in [r.path for r in router().routes]
        True
    """
    out = APIRouter(tags=["analyses"])

    @out.get("/workspaces/{name}/analyses", summary="The analyses this API serves")
    def analyses(a: Annotated[Access, Depends(access("viewer"))]) -> dict[str, Any]:
        """Return each analysis's name, summary and least role."""
        return {
            "workspace": a.name,
            "analyses": [
                {"name": s.name, "summary": s.summary, "role": s.role} for s in REGISTRY.values()
            ],
        }

    @out.get(
        "/workspaces/{name}/analyses/jobs/{job_id}",
        summary="A long analysis's job: 202 while it runs, then its result",
        responses={202: {"description": "Still running"}},
    )
    def analysis_job(
        request: Request,
        job_id: Annotated[str, Path(pattern=r"^[0-9a-f]{32}$", description="From the 202.")],
        a: Annotated[Access, Depends(access("viewer"))],
    ) -> Any:
        """Return the job (202) while it runs, then 200 with ``result``, or its error."""
        job = request.app.state.analysis_jobs.get(a.name, job_id)
        spec = REGISTRY.get(job.analysis) if job is not None else None
        if job is None or spec is None or not a.key.allows(spec.role):
            raise HTTPException(404, f"no analysis job {job_id!r} in workspace {a.name!r}")
        if not job.future.done():
            return JSONResponse(job.view(), status_code=202)
        payload, _ = job.future.result()  # raises the analysis's error: answered as such
        return job.view() | {"result": payload}

    for spec in REGISTRY.values():
        out.add_api_route(
            f"/workspaces/{{name}}/analyses/{spec.name}",
            _endpoint(spec),
            methods=["GET"],
            summary=f"{spec.summary} (202 with a job past the server's wait)",
            responses={202: {"description": "Still running: poll the job it names"}},
        )
    return out
