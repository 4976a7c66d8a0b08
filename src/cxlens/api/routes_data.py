"""Workspace endpoints: list, describe, load log, quarantine; and the audit log."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query, Request

from cxlens.api import serialize
from cxlens.api.deps import Access, access, audit_of, caller, workspaces_of
from cxlens.api.keys import ApiKey
from cxlens.store.query import run
from cxlens.workspace import Workspace

router = APIRouter(tags=["workspaces"])

Limit = Annotated[int, Query(ge=1, le=10_000, description="Most rows returned.")]


@router.get("/workspaces", summary="The workspaces this key may use")
def list_workspaces(request: Request, key: Annotated[ApiKey, Depends(caller)]) -> dict[str, Any]:
    """Return the names of the served workspaces in this key's scope, and the key's role."""
    present = set(workspaces_of(request).names())
    return {
        "key_id": key.key_id,
        "role": key.role,
        "workspaces": [w for w in key.workspaces if w in present],
    }


@router.get("/workspaces/{name}", summary="A workspace's tables, row counts and version")
def describe(a: Annotated[Access, Depends(access("viewer"))]) -> dict[str, Any]:
    """Return the canonical tables that hold data with their row counts, and the version.

    The version goes up after each load; cached answers are kept per version. ``warmed``
    is true once the common answers of this version are precomputed (docs/api.md).
    """

    def compute(ws: Workspace) -> dict[str, Any]:
        counts = {t: int(run(ws.table(t).count(), f"the rows of {t}")) for t in ws.tables()}
        return {"workspace": a.name, "tables": counts}

    payload, cached = a.served.read(("describe",), compute)
    warmed = a.served.warmed == a.served.version
    return payload | {"version": a.served.version, "warmed": warmed, "cached": cached}


@router.get("/workspaces/{name}/loads", summary="The load log")
def loads(a: Annotated[Access, Depends(access("viewer"))]) -> dict[str, Any]:
    """Return one row per file loaded: load_id, table_name, source_file, sha256, counts."""
    payload, cached = a.served.read(("loads",), lambda ws: serialize.table(ws.loads()))
    return {"workspace": a.name, **payload, "cached": cached}


@router.get("/workspaces/{name}/quarantine", summary="Rejected rows with their reasons")
def quarantine(
    a: Annotated[Access, Depends(access("analyst"))],
    load_id: Annotated[
        str | None, Query(max_length=64, pattern=r"^[A-Za-z0-9_-]+$", description="One load.")
    ] = None,
    limit: Limit = 1000,
) -> dict[str, Any]:
    """Return rejected rows, one per problem, the first ``limit`` of them and the total.

    Columns: load_id, table_name, source_file, source_row, column, value, rule, reason,
    raw. Analyst role and above: the raw rows may hold personal data.
    """

    def compute(ws: Workspace) -> dict[str, Any]:
        frame = ws.quarantine(load_id)
        return {"total": len(frame), **serialize.table(frame.head(limit))}

    payload, cached = a.served.read(("quarantine", load_id, limit), compute)
    return {"workspace": a.name, **payload, "cached": cached}


@router.get("/audit", summary="The audit log of the key's workspaces (admin)")
def audit(
    request: Request,
    key: Annotated[ApiKey, Depends(caller)],
    limit: Limit = 1000,
) -> dict[str, Any]:
    """Return the last ``limit`` audit lines about the workspaces in this admin key's scope."""
    if not key.allows("admin"):
        raise HTTPException(403, f"the audit log needs the admin role; this key is {key.role}")
    frame = audit_of(request).read(list(key.workspaces), limit=limit)
    return serialize.table(frame)
