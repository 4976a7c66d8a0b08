"""Authentication and authorisation: who is calling, and may they use this workspace.

Order of checks, so that nothing leaks: no or bad key -> 401; a workspace outside the key's
scope, or one that does not exist -> 404 with the same message (a key cannot learn which
other workspaces exist); in scope but the role is too low -> 403.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, HTTPException, Path, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from cxlens.api.audit import AuditLog
from cxlens.api.keys import ApiKey, KeyStore
from cxlens.api.state import ServedWorkspace, Workspaces

bearer = HTTPBearer(
    auto_error=False,
    scheme_name="ApiKey",
    description="An API key from `cxlens keys create`, sent as `Authorization: Bearer KEY`.",
)

#: The path parameter naming a workspace.
WorkspaceName = Annotated[
    str,
    Path(
        description="Workspace name (the file NAME.duckdb in the served folder).",
        pattern=r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$",
    ),
]


@dataclass(frozen=True)
class Access:
    """A request allowed on one workspace: the caller's key and the workspace."""

    key: ApiKey
    served: ServedWorkspace

    @property
    def name(self) -> str:
        """The workspace's name."""
        return self.served.name


def keys_of(request: Request) -> KeyStore:
    """Return the app's key store."""
    return request.app.state.keys


def audit_of(request: Request) -> AuditLog:
    """Return the app's audit log."""
    return request.app.state.audit


def workspaces_of(request: Request) -> Workspaces:
    """Return the app's workspaces."""
    return request.app.state.workspaces


def caller(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> ApiKey:
    """Return the key of the request; 401 when it is missing, unknown or revoked.

    Example:
        >>> # def endpoint(key: Annotated[ApiKey, Depends(caller)]): ...
    """
    if credentials is None:
        raise HTTPException(
            401,
            "missing API key: send the header 'Authorization: Bearer KEY' with a key from "
            "`cxlens keys create`",
            headers={"WWW-Authenticate": "Bearer"},
        )
    key = keys_of(request).authenticate(credentials.credentials)
    if key is None:
        raise HTTPException(
            401,
            "invalid API key: it is unknown, malformed, expired or revoked; ask an admin for a key",
            headers={"WWW-Authenticate": 'Bearer error="invalid_token"'},
        )
    if key.survey is not None:  # a widget key sits in web pages: it only runs its widget
        raise HTTPException(403, f"a widget key can only show and answer survey '{key.survey}'")
    return key


def access(role: str, action: str | None = None) -> Callable[..., Access]:
    """Return a dependency that admits keys of ``role`` or above to the path's workspace.

    Args:
        role: the least role needed (viewer, analyst, admin).
        action: for writes, the audit action to record when the request is refused.

    Example:
        >>> # def endpoint(a: Annotated[Access, Depends(access("analyst", "upload"))]): ...
    """

    def dependency(
        request: Request, name: WorkspaceName, key: Annotated[ApiKey, Depends(caller)]
    ) -> Access:
        served = workspaces_of(request).get(name) if key.can_use(name) else None
        if served is None:
            if action is not None:
                audit_of(request).record(
                    action, key_id=key.key_id, role=key.role, workspace=name,
                    outcome="refused", detail={"reason": "workspace not in the key's scope"},
                )  # fmt: skip
            raise HTTPException(
                404,
                f"no workspace named {name!r} for this key; GET /api/v1/workspaces lists "
                "the workspaces it may use",
            )
        if not key.allows(role):
            if action is not None:
                audit_of(request).record(
                    action, key_id=key.key_id, role=key.role, workspace=name,
                    outcome="refused", detail={"reason": f"needs role {role}"},
                )  # fmt: skip
            raise HTTPException(
                403, f"this needs the {role} role or above; this key is a {key.role} key"
            )
        return Access(key, served)

    return dependency
