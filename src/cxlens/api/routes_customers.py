"""Customer endpoints: one customer's profile, their erasure, and identity resolution.

Each holds the workspace's lock for its whole run (a DuckDB connection is used by one thread
at a time) and writes one audit line. The profile is personal data: it needs the analyst
role, is never cached, and every read is audited. No audit line holds the customer id or any
other personal data: the target is the id's keyed hash (:mod:`cxlens.store.secrets`, the
same ``customer_key`` the erasure log keeps), so the audit log can be matched to
``_erasures`` without naming anyone.

Erasure rewrites the DuckDB file (:meth:`DuckDBEngine.compact`), which needs the file's
only connection: the server's is that connection, and after the erasure it is closed so the
next request opens the compacted file afresh. The version goes up, so no cached answer
computed before the erasure is served after it.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request
from fastapi.concurrency import run_in_threadpool

from cxlens.api.deps import Access, access, audit_of
from cxlens.api.errors import ErrorBody
from cxlens.api.params import VISIBLE_PATTERN
from cxlens.errors import CxlensError, NotEnoughDataError
from cxlens.store.secrets import pseudonymise, workspace_secret
from cxlens.workspace import Workspace

router = APIRouter(tags=["customers"])

#: A customer id in a path: printable, no slashes, bounded.
CustomerId = Annotated[
    str,
    Path(
        min_length=1,
        max_length=200,
        pattern=r"^[^/\x00-\x1f\x7f-\x9f]+$",
        description="The customer's id as loaded or as identity resolution assigned it.",
    ),
]


def customer_key(ws: Workspace, customer_id: str) -> str:
    """Return the keyed hash of ``customer_id`` (what audit lines name instead of the id).

    Example:
        >>> customer_key(ws, "C000042")  # doctest: +SKIP
        '3f9a…'
    """
    return pseudonymise([customer_id], workspace_secret(ws))[0]


@router.get(
    "/workspaces/{name}/customers/{customer_id}",
    summary="One customer's profile: attributes, identities, activity (personal data)",
    responses={
        404: {
            "model": ErrorBody,
            "description": "No such workspace, or no table mentions the customer",
        }
    },
)
def get_customer(
    request: Request,
    customer_id: CustomerId,
    a: Annotated[Access, Depends(access("analyst", "pii read"))],
) -> dict[str, Any]:
    """Return ``ws.profile(customer_id).to_dict()`` (analyst role; every read is audited).

    404 when no table mentions the customer (never loaded, or erased).
    """
    audit = audit_of(request)
    with a.served.lock:
        ws = a.served.workspace()
        key = customer_key(ws, customer_id)
        try:
            found = ws.profile(customer_id).to_dict()
        except NotEnoughDataError as exc:
            audit.record(
                "pii read", key_id=a.key.key_id, role=a.key.role, workspace=a.name,
                target=key, outcome="failed", detail={"reason": "no such customer"},
            )  # fmt: skip
            raise HTTPException(404, f"no customer with that id in {a.name!r}: {exc}") from exc
    audit.record(
        "pii read", key_id=a.key.key_id, role=a.key.role, workspace=a.name, target=key,
        outcome="ok", detail={"what": "customer profile"},
    )  # fmt: skip
    return {"workspace": a.name, "profile": found}


@router.delete(
    "/workspaces/{name}/customers/{customer_id}",
    summary="Erase one customer from every table (admin; audited)",
    responses={
        404: {
            "model": ErrorBody,
            "description": "No such workspace, or no table mentions the customer",
        }
    },
)
async def erase_customer(
    request: Request,
    customer_id: CustomerId,
    a: Annotated[Access, Depends(access("admin", "erase"))],
    reason: Annotated[
        str,
        Query(
            min_length=1,
            max_length=500,
            pattern=VISIBLE_PATTERN,
            description="Why, e.g. 'GDPR art. 17 #123'.",
        ),
    ],
    requested_by: Annotated[
        str,
        Query(
            min_length=1,
            max_length=200,
            pattern=VISIBLE_PATTERN,
            description="Who asked or approved.",
        ),
    ],
) -> dict[str, Any]:
    """Erase the customer everywhere (``ws.erase``) and compact the file.

    Returns the erasure record without the id: erasure_id, customer_key, rows removed and
    changed per table, when. 404 when no table mentions the customer; 409 when the
    workspace's engine cannot erase.
    """
    audit = audit_of(request)

    def run() -> tuple[dict[str, Any] | None, str, str | None]:
        served = a.served
        with served.lock:
            key = customer_key(served.workspace(), customer_id)
            try:
                record = served.write(
                    lambda ws: ws.erase(customer_id, reason=reason, requested_by=requested_by)
                )
            except NotEnoughDataError as exc:
                return None, key, str(exc)
            finally:
                # compaction swapped the file under the connection: reopen it on next use
                served.close()
            return record.to_dict(), key, None

    try:
        record, key, missing = await run_in_threadpool(run)
    except CxlensError as exc:
        audit.record(
            "erase", key_id=a.key.key_id, role=a.key.role, workspace=a.name,
            outcome="failed", detail={"reason": type(exc).__name__},
        )  # fmt: skip
        raise
    if record is None:
        audit.record(
            "erase", key_id=a.key.key_id, role=a.key.role, workspace=a.name, target=key,
            outcome="failed", detail={"reason": "no table references the customer"},
        )  # fmt: skip
        raise HTTPException(404, f"nothing erased in {a.name!r}: {missing}")
    audit.record(
        "erase", key_id=a.key.key_id, role=a.key.role, workspace=a.name, target=key,
        outcome="ok",
        detail={"erasure_id": record["erasure_id"], "rows_removed": record["rows_removed"],
                "rows_total": record["rows_total"], "compacted": record["compacted"]},
    )  # fmt: skip
    return {"workspace": a.name, "erasure": record}


@router.post(
    "/workspaces/{name}/identity/resolve",
    summary="Link the identities records into customers (analyst; audited)",
)
async def resolve_identities(
    request: Request,
    a: Annotated[Access, Depends(access("analyst", "identity resolve"))],
    threshold: Annotated[float, Query(gt=0, lt=1, description="Link probability.")] = 0.9,
    default_region: Annotated[str, Query(pattern=r"^[A-Z]{2}$")] = "GB",
) -> dict[str, Any]:
    """Run ``ws.identity.resolve()``; it saves identity_clusters, identity_links, the model.

    Returns records, customers, pairs compared, links, conflicts and seconds.
    """
    audit = audit_of(request)

    def run() -> dict[str, Any]:
        found = a.served.write(
            lambda ws: ws.identity.resolve(threshold=threshold, default_region=default_region)
        )
        return {k: _plain(getattr(found, k)) for k in RESOLVE_FIELDS if hasattr(found, k)}

    try:
        summary = await run_in_threadpool(run)
    except CxlensError as exc:
        audit.record(
            "identity resolve", key_id=a.key.key_id, role=a.key.role, workspace=a.name,
            target="identities", outcome="failed", detail={"reason": str(exc)[:300]},
        )  # fmt: skip
        raise
    audit.record(
        "identity resolve", key_id=a.key.key_id, role=a.key.role, workspace=a.name,
        target="identities", outcome="ok",
        detail={k: summary[k] for k in ("records", "customers", "links") if k in summary},
    )  # fmt: skip
    return {"workspace": a.name, "resolution": summary}


#: Fields of a Resolution the endpoint returns (counts and timing; no personal data).
RESOLVE_FIELDS = ("records", "customers", "pairs_compared", "links", "conflicts",
                  "blocking_rules", "seconds", "threshold")  # fmt: skip


def _plain(value: Any) -> Any:
    if hasattr(value, "item"):
        return value.item()
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value
