"""Precomputed answers: the server fills each workspace's cache before clients ask.

A metric answer that is not cached yet costs 50-600 ms of engine time on the demo workspace
(20,000 customers, 74,000 answers), and the workspace's connection runs one query at a time,
so twenty clients asking different things queue behind each other (p95 1.8 s in the
adversarial run). When a workspace is first opened, and again after every load or erasure
(the cache is kept per version), a background thread computes the answers a dashboard asks
first: the overview, and NPS, CSAT and CES overall and by each of :data:`BY` the workspace
has, with no grain, by month and by quarter, and churn by month and quarter (overall and
by the same columns), each with the default ``min_n`` and confidence; and the same again
within each value of ``segment`` (the dashboard's filter; the 12 most common values). They
land in the
cache under the key the request looks up (:class:`~cxlens.api.routes_metrics.MetricRequest`),
so those requests answer from memory. Anything else (another filter, a date range, another
column) is computed on first request and cached from then on.

A re-warm after a change is debounced (:class:`Warmer`): survey answers arrive a batch at a
time, and re-warming after each (some 400 answers, most of them reading ``responses``) would
keep the workspace's connection busy for nothing. A changed workspace is warmed once no
change has come for :data:`SETTLE_SECONDS`, or at the latest :data:`MAX_WAIT_SECONDS` after
its first unwarmed change. Meanwhile nothing stale is served: the cache is kept per version,
so a request after a change computes its answer from the new data.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import ibis

from cxlens.analysis.kpis import filter_columns
from cxlens.api.routes_metrics import MetricRequest, overview_compute, overview_key
from cxlens.api.state import ServedWorkspace
from cxlens.errors import CxlensError
from cxlens.store.query import run

log = logging.getLogger("cxlens.api")

#: Columns answers are precomputed by, when the workspace has them.
BY: tuple[str, ...] = ("segment", "touchpoint", "channel", "region", "plan")
#: Time grains precomputed (None: over the whole range).
EVERY: tuple[str | None, ...] = (None, "month", "quarter")
#: The dashboard's filter: everything above is also precomputed within each of its values.
FILTER = "segment"
#: Most values of :data:`FILTER` precomputed (the most common ones).
MAX_VALUES = 12
#: Seconds without a change before a changed workspace is warmed again.
SETTLE_SECONDS = 2.0
#: Longest a change waits for its re-warm when changes keep coming (steady answers).
MAX_WAIT_SECONDS = 30.0


def requests(ws: Any, workspace: str) -> Iterator[tuple[tuple[Any, ...], Callable[[Any], Any]]]:
    """Yield ``(cache key, compute)`` of each answer to precompute on ``ws``.

    Example:
        >>> next(requests(ws, "acme"))[0]  # doctest: +SKIP
        ('overview', (), None, None)
    """
    for filters in [(), *((f"{FILTER}={v}",) for v in filter_values(ws))]:
        yield overview_key(filters), overview_compute(workspace, filters)
        for metric in ("nps", "csat", "ces", "churn"):
            try:
                columns = filter_columns(ws, metric)
            except CxlensError:
                continue  # the metric's table is not loaded
            groups = [()] + [(c,) for c in BY if c in columns]
            for every in EVERY if metric != "churn" else ("month", "quarter"):
                for by in groups:
                    request = MetricRequest(metric, by, every, filters)
                    yield request.key(), request.compute(workspace)


def filter_values(ws: Any) -> list[str]:
    """Return the most common values of :data:`FILTER` (at most :data:`MAX_VALUES`).

    Example:
        >>> filter_values(ws)  # doctest: +SKIP
        ['consumer', 'small_business', 'enterprise', 'public_sector']
    """
    for table in ("customers", "customer_segments"):
        if ws.has_table(table) and FILTER in ws.table(table).columns:
            t = ws.table(table)
            t = t.filter(t[FILTER].notnull())
            counts = t.group_by(FILTER).agg(n=t.count())
            top = run(counts.order_by([ibis.desc("n"), FILTER]).limit(MAX_VALUES), "filter values")
            return [str(v) for v in top[FILTER]]
    return []


def warm(served: ServedWorkspace) -> int:
    """Fill ``served``'s cache with the answers of :func:`requests`; return how many.

    Each answer is computed with the workspace's lock held, one at a time, so a client's
    request waits at most for the one answer being computed. Stops early when the data
    changes meanwhile (the next version warms again). Answers that fail (too little data)
    are skipped.

    Example:
        >>> warm(served)  # doctest: +SKIP
        52
    """
    version = served.version
    with served.lock:
        planned = list(requests(served.workspace(), served.name))
    done = 0
    for key, compute in planned:
        if served.version != version:
            break
        try:
            served.read(key, compute)
            done += 1
        except CxlensError:
            continue
    if served.version == version:
        served.warmed = version
    log.info("warmed %d answers of workspace %s (version %d)", done, served.name, version)
    return done


def start(served: ServedWorkspace) -> threading.Thread:
    """Run :func:`warm` in a background thread; return the thread.

    Example:
        >>> start(served).join()  # doctest: +SKIP
    """

    def run() -> None:
        try:
            warm(served)
        except Exception:  # a warm-up failure must not take the server down
            log.exception("warming the cache of workspace %s failed", served.name)

    thread = threading.Thread(target=run, daemon=True, name=f"cxlens-warm-{served.name}")
    thread.start()
    return thread


class Warmer:
    """Warm a workspace's cache when it is first served, and after changes once they settle.

    Called (as :class:`~cxlens.api.state.ServedWorkspace`'s ``on_change``) after every
    change; one thread per workspace waits until no change has come for ``settle`` seconds
    (at most ``longest`` seconds after the first change it waits for), then runs
    :func:`warm`. A workspace served for the first time is warmed at once. So a burst of
    answer batches costs one re-warm, not one per batch.

    Args:
        settle: seconds without a change before warming.
        longest: seconds a change waits at most, however often changes come.

    Example:
        >>> warmer = Warmer(settle=2.0)
        >>> workspaces = Workspaces("served", on_change=warmer)  # doctest: +SKIP
        >>> warmer.runs  # warms started, by workspace
        {}
    """

    def __init__(self, settle: float = SETTLE_SECONDS, longest: float = MAX_WAIT_SECONDS) -> None:
        self.settle = float(settle)
        self.longest = float(longest)
        #: How many warms were started, by workspace name (for tests and measuring).
        self.runs: dict[str, int] = {}
        self._lock = threading.Lock()
        self._first: dict[str, float] = {}  # the first change not warmed yet
        self._due: dict[str, float] = {}  # when to warm, unless another change comes
        self._threads: dict[str, threading.Thread] = {}
        self._closed = threading.Event()

    def close(self) -> None:
        """Drop the warms still waiting (the server stops: nothing may reopen a workspace)."""
        with self._lock:
            self._closed.set()
            self._due.clear()
            self._first.clear()

    def __call__(self, served: ServedWorkspace) -> None:
        """Note a change of ``served`` (or its first opening); warm it when changes settle."""
        now = time.monotonic()
        with self._lock:
            if self._closed.is_set():
                return
            first = self._first.setdefault(served.name, now)
            at_once = served.warmed is None and served.version == 0  # first served
            self._due[served.name] = now if at_once else min(now + self.settle,
                                                             first + self.longest)  # fmt: skip
            if served.name not in self._threads:
                thread = threading.Thread(target=self._run, args=(served,), daemon=True,
                                          name=f"cxlens-warm-{served.name}")  # fmt: skip
                self._threads[served.name] = thread
                thread.start()

    def _run(self, served: ServedWorkspace) -> None:
        """Wait for the due time (moved by each change), warm, and again while changes came."""
        name = served.name
        while True:
            with self._lock:
                if name not in self._due:  # nothing changed since the last warm
                    del self._threads[name]
                    return
                wait = self._due[name] - time.monotonic()
                if wait <= 0:
                    del self._due[name], self._first[name]
                    self.runs[name] = self.runs.get(name, 0) + 1
            if wait > 0:
                self._closed.wait(min(wait, 0.5))
                continue
            try:
                warm(served)
            except Exception:  # a warm-up failure must not take the server down
                log.exception("warming the cache of workspace %s failed", name)
