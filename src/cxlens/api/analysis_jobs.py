"""Long analyses as jobs: an answer within a stated time, or a job to poll.

An analysis request waits for its answer at most ``wait_seconds`` (10 s by default,
``cxlens serve --analysis-wait``). Most analyses answer well within it and the request gets
its 200 as before. One that takes longer (the churn model, themes as drivers on a large
workspace) keeps running in a worker thread and the request answers 202 with the job:
``GET /api/v1/workspaces/{name}/analyses/jobs/{job_id}`` answers 202 while it runs, then
200 with the result, or the error the analysis raised (422, or 500 with an error id).
The finished result also lands in the workspace's cache, so asking again answers at once.

Asking the same analysis with the same parameters while its job runs joins that job, so a
client that retries does not start the work twice. Jobs are kept in memory (a restart
forgets them); the last :data:`KEEP` finished jobs stay readable.
"""

from __future__ import annotations

import threading
import uuid
from collections import OrderedDict
from collections.abc import Callable, Hashable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from cxlens.api.state import ServedWorkspace

#: Seconds an analysis request waits before answering 202 with its job.
WAIT_SECONDS = 10.0
#: Finished jobs kept readable.
KEEP = 500
#: Analyses computed at once (each holds its workspace's lock while it runs).
WORKERS = 2


@dataclass
class AnalysisJob:
    """One analysis run in the background."""

    job_id: str
    workspace: str
    analysis: str
    future: Future = field(repr=False)
    created_at: str = field(default_factory=lambda: datetime.now(UTC).isoformat())

    @property
    def status(self) -> str:
        """running, done or failed."""
        if not self.future.done():
            return "running"
        return "failed" if self.future.exception() is not None else "done"

    def view(self) -> dict[str, Any]:
        """Return the job as JSON-ready data (without the result)."""
        return {
            "job_id": self.job_id,
            "workspace": self.workspace,
            "analysis": self.analysis,
            "status": self.status,
            "created_at": self.created_at,
            "poll": f"/api/v1/workspaces/{self.workspace}/analyses/jobs/{self.job_id}",
        }


class AnalysisJobs:
    """The analysis jobs of a server.

    Example:
        >>> jobs = AnalysisJobs()
        >>> jobs.get("acme", "0" * 32) is None
        True
    """

    def __init__(self, workers: int = WORKERS) -> None:
        self._pool = ThreadPoolExecutor(workers, thread_name_prefix="cxlens-analysis")
        self._jobs: OrderedDict[str, AnalysisJob] = OrderedDict()
        self._running: dict[tuple[str, int, Hashable], AnalysisJob] = {}
        self._lock = threading.Lock()

    def submit(
        self, served: ServedWorkspace, analysis: str, key: Hashable, compute: Callable[[Any], Any]
    ) -> AnalysisJob:
        """Start ``served.read(key, compute)`` in a worker, or join the same request's job."""
        ident = (served.name, served.version, key)
        with self._lock:
            running = self._running.get(ident)
            if running is not None and not running.future.done():
                return running
            future = self._pool.submit(served.read, key, compute)
            job = AnalysisJob(uuid.uuid4().hex, served.name, analysis, future)
            self._jobs[job.job_id] = job
            self._running[ident] = job
            self._prune()
        future.add_done_callback(lambda _: self._finished(ident, job))
        return job

    def _finished(self, ident: tuple[str, int, Hashable], job: AnalysisJob) -> None:
        with self._lock:
            if self._running.get(ident) is job:
                del self._running[ident]

    def _prune(self) -> None:
        done = [j for j in self._jobs.values() if j.future.done()]
        for job in done[: max(0, len(done) - KEEP)]:
            del self._jobs[job.job_id]

    def get(self, workspace: str, job_id: str) -> AnalysisJob | None:
        """Return job ``job_id`` of ``workspace``, or None."""
        job = self._jobs.get(job_id)
        return job if job is not None and job.workspace == workspace else None

    def close(self) -> None:
        """Stop taking jobs (running ones finish)."""
        self._pool.shutdown(wait=False, cancel_futures=True)
