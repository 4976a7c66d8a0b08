"""The audit log: one JSON line per write, erasure, key change and refused request.

Append-only: lines are only ever added (``O_APPEND``, one ``write`` per line, so lines from
several threads or processes never interleave), never rewritten. A line says who (the key id,
never the key), when (UTC), what (the action and its target), on which workspace, and the
outcome (``ok``, ``refused``, ``failed``) with details such as row counts.
"""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd

#: File in the workspaces folder that holds the log.
AUDIT_FILE = "_cxlens_audit.jsonl"

#: Columns of :meth:`AuditLog.read`.
AUDIT_COLUMNS: tuple[str, ...] = (
    "at",
    "key_id",
    "role",
    "action",
    "workspace",
    "target",
    "outcome",
    "detail",
)


class AuditLog:
    """Append-only audit log of one workspaces folder.

    Args:
        directory: the folder holding the workspaces.

    Example:
        >>> import tempfile
        >>> log = AuditLog(tempfile.mkdtemp())
        >>> log.record("upload", key_id="1a2b3c4d", role="analyst", workspace="acme",
        ...            target="responses", outcome="ok", detail={"rows_loaded": 10})
        >>> log.read()[["action", "workspace", "outcome"]].values.tolist()
        [['upload', 'acme', 'ok']]
    """

    def __init__(self, directory: str | Path) -> None:
        self.path = Path(directory) / AUDIT_FILE

    def record(
        self,
        action: str,
        *,
        key_id: str | None,
        role: str | None = None,
        workspace: str | None = None,
        target: str | None = None,
        outcome: str = "ok",
        detail: dict[str, Any] | None = None,
    ) -> None:
        """Append one line.

        Args:
            action: what was done, e.g. "upload", "key create", "key revoke".
            key_id: the key that did it ("cli" for the command line); never the key itself.
            role: the key's role.
            workspace: the workspace concerned.
            target: what in it (a table, a key id...).
            outcome: "ok", "refused" or "failed".
            detail: extra facts (counts, the reason of a refusal).

        Example:
            >>> AuditLog(tempfile.mkdtemp()).record("key revoke", key_id="cli")  # doctest: +SKIP
        """
        line = {
            "at": datetime.now(UTC).isoformat(timespec="milliseconds"),
            "key_id": key_id,
            "role": role,
            "action": action,
            "workspace": workspace,
            "target": target,
            "outcome": outcome,
            "detail": detail or {},
        }
        data = (json.dumps(line, default=str, ensure_ascii=False) + "\n").encode("utf-8")
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            os.write(fd, data)
        finally:
            os.close(fd)

    def read(self, workspaces: list[str] | None = None, limit: int | None = None) -> pd.DataFrame:
        """Return the log, oldest first, optionally only for some workspaces and the last lines.

        Args:
            workspaces: keep lines about these workspaces (None: all lines).
            limit: keep only the last ``limit`` lines (after filtering).

        Returns:
            DataFrame with columns at, key_id, role, action, workspace, target, outcome,
            detail (a dict).

        Example:
            >>> AuditLog("/nonexistent").read().empty
            True
        """
        if not self.path.is_file():
            return pd.DataFrame(columns=list(AUDIT_COLUMNS))
        with self.path.open(encoding="utf-8") as fh:
            rows = [json.loads(line) for line in fh if line.strip()]
        if workspaces is not None:
            allowed = set(workspaces)
            rows = [r for r in rows if r.get("workspace") in allowed]
        if limit is not None:
            rows = rows[-limit:] if limit > 0 else []
        return pd.DataFrame(rows, columns=list(AUDIT_COLUMNS))
