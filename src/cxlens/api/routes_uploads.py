"""Upload endpoints: send a file, follow its load."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from pydantic import StringConstraints

from cxlens.api.deps import Access, access, audit_of
from cxlens.api.errors import WORKSPACE_ERRORS, body, responses
from cxlens.api.params import FILENAME_PATTERN, MAP_PATTERN, SCALE_PATTERN
from cxlens.api.uploads import receive, safe_filename
from cxlens.errors import CxlensError
from cxlens.ingest.mapping import mapping_from_options

router = APIRouter(tags=["uploads"])

TableName = Literal[
    "responses", "transactions", "events", "posts", "customers", "identities", "campaigns"
]

_BODY = {
    "requestBody": {
        "required": True,
        "description": "The file's bytes (CSV, Parquet, JSON Lines or XLSX), not multipart.",
        "content": {
            "application/octet-stream": {
                "schema": {"type": "string", "format": "binary", "minLength": 1}
            }
        },
    }
}


@router.post(
    "/workspaces/{name}/uploads",
    summary="Upload a file into a canonical table (streamed, size-limited, validated)",
    openapi_extra=_BODY,
    status_code=202,
    responses={
        200: {"description": "wait=true: the finished job"},
        **WORKSPACE_ERRORS,
        **responses(413),
    },
)
async def upload(
    request: Request,
    a: Annotated[Access, Depends(access("analyst", "upload"))],
    table: Annotated[TableName, Query(description="Canonical table to load into.")],
    filename: Annotated[
        str,
        Query(
            min_length=1,
            max_length=128,
            pattern=FILENAME_PATTERN,
            description="The file's name; its ending gives the format.",
        ),
    ],
    map_: Annotated[
        list[Annotated[str, StringConstraints(pattern=MAP_PATTERN)]],
        Query(alias="map", max_length=200, description="'Source header=column' (repeatable)."),
    ] = [],  # noqa: B006
    scale: Annotated[
        list[Annotated[str, StringConstraints(pattern=SCALE_PATTERN)]],
        Query(max_length=50, description="Declared scale, e.g. nps=1-10."),
    ] = [],  # noqa: B006
    encoding: Annotated[str | None, Query(pattern=r"^[A-Za-z0-9_-]{1,32}$")] = None,
    delimiter: Annotated[
        str | None, Query(min_length=1, max_length=1, pattern=r"^[^\x00-\x08\x0a-\x1f\x7f-\x9f]$")
    ] = None,
    wait: Annotated[bool, Query(description="Answer when the load is done (200).")] = False,
) -> Any:
    """Upload a file: stream it to disk, then load it as ``cxlens ingest`` does.

    The body is written to disk as it arrives (413 past the limit: the workspace is not
    touched). Bad rows go to quarantine, the load is atomic, a file loaded before is
    skipped. Returns the job (202; poll ``GET .../uploads/{job_id}``), or
    with ``wait=true`` the finished job with rows_loaded and rows_quarantined (200; 422 when
    the file could not be loaded).
    """
    audit = audit_of(request)
    try:
        safe_filename(filename)
        mapping = mapping_from_options(table, map_, scale) if (map_ or scale) else None
        path = await receive(request, filename, request.app.state.max_upload_bytes)
    except (HTTPException, CxlensError) as exc:
        reason = exc.detail if isinstance(exc, HTTPException) else str(exc)
        audit.record(
            "upload",
            key_id=a.key.key_id,
            role=a.key.role,
            workspace=a.name,
            target=table,
            outcome="refused",
            detail={"filename": filename, "reason": reason},
        )
        raise
    jobs = request.app.state.jobs
    job = jobs.create(a.served, a.key, table, path)
    options = {"encoding": encoding, "delimiter": delimiter}
    if not wait:
        jobs.start(job, a.served, a.key, path, mapping, options)
        return JSONResponse(job.view(), status_code=202)
    await run_in_threadpool(jobs.run, job, a.served, a.key, path, mapping, options)
    if job.status != "done" and job.error_id is not None:  # ours, not the file's
        return JSONResponse(body(job.error or "", "ServerError", error_id=job.error_id), 500)
    if job.status != "done":
        raise HTTPException(422, f"the file could not be loaded: {job.error}")
    return JSONResponse(job.view(), status_code=200)


@router.get("/workspaces/{name}/uploads/{job_id}", summary="An upload's load: status, counts")
def job_status(
    job_id: Annotated[str, Path(pattern=r"^[0-9a-f]{32}$", description="From the upload.")],
    request: Request,
    a: Annotated[Access, Depends(access("analyst"))],
) -> dict[str, Any]:
    """Return an upload's job.

    Fields: status (queued, running, done, failed), rows_read so far, and when done the
    result (load_id, rows_loaded, rows_quarantined, ignored_columns).
    """
    job = request.app.state.jobs.get(a.name, job_id)
    if job is None:
        raise HTTPException(404, f"no upload job {job_id!r} in workspace {a.name!r}")
    return job.view()
