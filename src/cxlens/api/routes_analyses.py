"""Analysis endpoints, one per registered analysis (see :mod:`cxlens.api.analyses`)."""

# No ``from __future__ import annotations`` here: the endpoints are made in a loop and
# FastAPI must see each one's parameter model as a real annotation, not a string.

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query

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
        params: Annotated[model, Query()],  # type: ignore[valid-type]
        a: Annotated[Access, Depends(access(spec.role))],
    ) -> dict[str, Any]:
        def compute(ws: Workspace) -> dict[str, Any]:
            return _payload(spec.name, a.name, spec.run(ws, params))

        key = ("analysis", spec.name, params.model_dump_json())
        payload, cached = a.served.read(key, compute)
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

    for spec in REGISTRY.values():
        out.add_api_route(
            f"/workspaces/{{name}}/analyses/{spec.name}",
            _endpoint(spec),
            methods=["GET"],
            summary=spec.summary,
        )
    return out
