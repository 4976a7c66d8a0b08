"""Uploads: stream a file to disk under a size limit, then load it as ``cxlens ingest`` does.

The request body is the file's bytes (no multipart), written to a private temporary folder
as it arrives; past the limit the request stops with 413 and the file is deleted before
anything touches the workspace. The load then runs as a *job*, alone on the workspace (its
lock), through ``ws.ingest``: bad rows go to quarantine with their reasons, the load is
atomic and a file loaded before is skipped. By default the request returns 202 at once with
the job, whose status (rows read so far, then the counts) can be polled; ``wait=true``
answers with the finished job instead, which suits small files.
"""

from __future__ import annotations

import re
import shutil
import tempfile
import threading
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from fastapi import HTTPException, Request

from cxlens.api.audit import AuditLog
from cxlens.api.errors import log, scrub
from cxlens.api.keys import ApiKey
from cxlens.api.params import FILENAME_PATTERN, SUFFIXES
from cxlens.api.state import ServedWorkspace
from cxlens.errors import CxlensError
from cxlens.ingest.mapping import Mapping

#: Default largest upload, in bytes.
MAX_UPLOAD_BYTES = 512 * 1024 * 1024

_SAFE_NAME = re.compile(FILENAME_PATTERN)


def safe_filename(filename: str) -> str:
    """Return ``filename`` if it is a plain file name with a known ending, else raise 422.

    The name is kept as the load's ``source_file`` (lineage), so it must be the client's
    own name, but it never becomes a path outside the job's private folder.

    Example:
        >>> safe_filename("survey 2025-03.csv")
        'survey 2025-03.csv'
    """
    if not filename.lower().endswith(SUFFIXES):
        raise HTTPException(
            422, f"filename {filename!r} has an unknown ending; use one of: {', '.join(SUFFIXES)}"
        )
    if len(filename) > 128 or not _SAFE_NAME.match(filename):
        raise HTTPException(
            422,
            f"filename {filename!r} must be a plain file name of at most 128 characters "
            "(letters, digits, '.', '_', '-', spaces; no folders), e.g. surveys.csv",
        )
    return filename


async def receive(request: Request, filename: str, limit: int) -> Path:
    """Write the request body to ``<private temp folder>/<filename>``; 413 past ``limit``.

    Example:
        >>> # path = await receive(request, "surveys.csv", 10_000_000)
    """
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise HTTPException(413, _too_large(int(declared), limit))
    folder = Path(tempfile.mkdtemp(prefix="cxlens-upload-"))
    path = folder / filename
    size = 0
    try:
        with path.open("wb") as fh:
            async for chunk in request.stream():
                size += len(chunk)
                if size > limit:
                    raise HTTPException(413, _too_large(size, limit))
                fh.write(chunk)
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    if size == 0:
        shutil.rmtree(folder, ignore_errors=True)
        raise HTTPException(422, "the request body is empty; send the file's bytes as the body")
    return path


def _too_large(size: int, limit: int) -> str:
    return (
        f"upload too large: {size:,} bytes or more, the limit is {limit:,} bytes; split the "
        "file, or start the server with a larger --max-upload-mb"
    )


@dataclass
class Job:
    """One upload's load: its state and, when done, its counts or error."""

    job_id: str
    workspace: str
    table: str
    filename: str
    key_id: str
    size_bytes: int
    status: str = "queued"
    rows_read: int = 0
    result: dict[str, Any] | None = None
    error: str | None = None
    #: Set when the load failed on the server's side: the id of the failure in its log.
    error_id: str | None = None
    created_at: str = field(default_factory=lambda: datetime.now(UTC).isoformat())
    finished_at: str | None = None

    def view(self) -> dict[str, Any]:
        """Return the job as JSON-ready data."""
        return {
            "job_id": self.job_id,
            "workspace": self.workspace,
            "table": self.table,
            "filename": self.filename,
            "size_bytes": self.size_bytes,
            "status": self.status,
            "rows_read": self.rows_read,
            "result": self.result,
            "error": self.error,
            "error_id": self.error_id,
            "created_at": self.created_at,
            "finished_at": self.finished_at,
        }


class Jobs:
    """The upload jobs of a server (in memory; a restart forgets them, not the loads).

    Example:
        >>> Jobs(audit).get("acme", "nope") is None  # doctest: +SKIP
        True
    """

    def __init__(self, audit: AuditLog) -> None:
        self.audit = audit
        self._jobs: dict[str, Job] = {}
        self._lock = threading.Lock()

    def create(self, served: ServedWorkspace, key: ApiKey, table: str, path: Path) -> Job:
        """Register a job for the file at ``path``."""
        job = Job(uuid.uuid4().hex, served.name, table, path.name, key.key_id,
                  path.stat().st_size)  # fmt: skip
        with self._lock:
            self._jobs[job.job_id] = job
        return job

    def get(self, workspace: str, job_id: str) -> Job | None:
        """Return job ``job_id`` of ``workspace``, or None."""
        job = self._jobs.get(job_id)
        return job if job is not None and job.workspace == workspace else None

    def run(
        self, job: Job, served: ServedWorkspace, key: ApiKey, path: Path, mapping: Mapping | None,
        options: dict[str, Any],
    ) -> Job:  # fmt: skip
        """Load the job's file (alone on the workspace), record the outcome, delete the file."""

        def advance(rows: int) -> None:
            job.rows_read += rows

        def load(ws: Any) -> Any:
            job.status = "running"
            return ws.ingest(path, job.table, mapping, progress=advance, **options)

        try:
            result = served.write(load)
        except CxlensError as exc:
            # the message names the file; the caller knows its name, not our folder
            job.status, job.error = "failed", scrub(str(exc), [path.parent])
        except UnicodeDecodeError as exc:  # a reader that met bytes of another encoding
            job.status, job.error = (
                "failed",
                (
                    f"{job.filename} is not valid {exc.encoding} text (bytes {exc.start}-{exc.end} "
                    "of a line cannot be decoded); declare its encoding, e.g. encoding=cp1251"
                ),
            )
        except Exception as exc:
            job.error_id = uuid.uuid4().hex[:16]
            job.status, job.error = "failed", _internal(exc, job)
        else:
            job.status = "done"
            job.result = {
                "status": result.status,
                "load_id": result.load_id,
                "rows_loaded": result.rows_loaded,
                "rows_quarantined": result.rows_quarantined,
                "ignored_columns": list(result.ignored_columns),
                "summary": result.summary(),
            }
        finally:
            shutil.rmtree(path.parent, ignore_errors=True)
            job.finished_at = datetime.now(UTC).isoformat()
        self.audit.record(
            "upload", key_id=key.key_id, role=key.role, workspace=served.name,
            target=job.table, outcome="ok" if job.status == "done" else "failed",
            detail={"job_id": job.job_id, "filename": job.filename,
                    "size_bytes": job.size_bytes, **(job.result or {}), "error": job.error},
        )  # fmt: skip
        return job

    def start(self, *args: Any) -> None:
        """Run :meth:`run` in a background thread."""
        threading.Thread(target=self.run, args=args, daemon=True, name="cxlens-load").start()


def _internal(exc: Exception, job: Job) -> str:
    """Log an unexpected load failure under an id; return the job's error naming the id."""
    error_id = job.error_id
    log.error("error_id=%s upload job %s: %s: %s", error_id, job.job_id, type(exc).__name__,
              exc, exc_info=exc)  # fmt: skip
    return (
        f"the server failed to load the file (error id {error_id}); nothing was loaded. "
        "Tell the server's administrator the error id: the log has the details"
    )
