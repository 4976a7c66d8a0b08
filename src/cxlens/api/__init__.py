"""The cxlens HTTP API: FastAPI app, API keys with roles and scopes, audit log.

``create_app(DIR)`` serves every ``NAME.duckdb`` in ``DIR``; ``cxlens serve`` runs it with
uvicorn. See docs/api.md.
"""

from __future__ import annotations

from cxlens.api.app import create_app
from cxlens.api.audit import AuditLog
from cxlens.api.keys import ROLES, ApiKey, KeyStore

__all__ = ["ROLES", "ApiKey", "AuditLog", "KeyStore", "create_app"]
