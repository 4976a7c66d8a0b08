"""The workspaces a server serves: one open connection each, a lock, a version and a cache.

A DuckDB file takes one writer process, and a DuckDB connection is not safe to use from
several threads at once (a result being fetched can be cut off by another thread's query),
so each workspace has one connection and one lock around every use of it: uploads, and the
queries of reads whose result is not cached yet. Results of reads are cached per workspace
in a small LRU keyed by the request and the workspace's *version*, which goes up after every
successful load, so a cached answer never outlives the data it was computed from. Other
workspaces are not held up by one's lock.
"""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from pathlib import Path
from typing import Any, TypeVar

from starlette.responses import Response

from cxlens.api.keys import NAME_PATTERN
from cxlens.workspace import Workspace

T = TypeVar("T")

#: Suffix of workspace files in the served folder.
SUFFIX = ".duckdb"

#: Cached results per workspace (the precomputed answers take about 70 per segment).
CACHE_SIZE = 1024


def _encode(payload: dict[str, Any]) -> bytes:
    # as FastAPI's JSONResponse encodes (payloads hold JSON types only: see serialize)
    return json.dumps(payload, ensure_ascii=False, allow_nan=False, separators=(",", ":"),
                      default=str).encode("utf-8")  # fmt: skip


class LruCache:
    """A small least-recently-used cache (thread-safe).

    Example:
        >>> cache = LruCache(2)
        >>> cache.put("a", 1); cache.put("b", 2); cache.put("c", 3)
        >>> cache.get("a") is None, cache.get("c")
        (True, 3)
    """

    def __init__(self, size: int = CACHE_SIZE) -> None:
        self.size = size
        self._items: OrderedDict[Hashable, Any] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> Any | None:
        """Return the value under ``key`` (marking it recently used), or None."""
        with self._lock:
            if key not in self._items:
                return None
            self._items.move_to_end(key)
            return self._items[key]

    def put(self, key: Hashable, value: Any) -> None:
        """Store ``value`` under ``key``, dropping the least recently used beyond ``size``."""
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self.size:
                self._items.popitem(last=False)

    def __len__(self) -> int:
        return len(self._items)


class ServedWorkspace:
    """One workspace file behind the server.

    Args:
        name: its name in URLs (the file stem).
        path: the DuckDB file.
        on_change: called with the workspace when it is first served and after each write
            (the server warms its cache there, see :mod:`cxlens.api.warm`).

    Example:
        >>> served = ServedWorkspace("acme", Path("acme.duckdb"))  # doctest: +SKIP
        >>> served.read(("overview",), lambda ws: ws.metrics.nps())  # doctest: +SKIP
    """

    def __init__(
        self, name: str, path: Path, on_change: Callable[[ServedWorkspace], Any] | None = None
    ) -> None:
        self.name = name
        self.path = path
        self.on_change = on_change
        self.lock = threading.RLock()
        self.version = 0
        #: The version whose common answers are precomputed (None: not yet).
        self.warmed: int | None = None
        self.cache = LruCache()
        #: The same answers encoded as JSON, as a cache hit sends them (no re-encoding).
        self.encoded = LruCache()
        self._ws: Workspace | None = None

    def workspace(self) -> Workspace:
        """Return the open Workspace (opened on first use); call with :attr:`lock` held."""
        if self._ws is None:
            self._ws = Workspace(self.path)
        return self._ws

    def read(self, key: Hashable, compute: Callable[[Workspace], T]) -> tuple[T, bool]:
        """Return ``(compute(ws), cached)``, from the cache when this version has it.

        Errors are not cached.
        """
        hit = self.cache.get((self.version, key))
        if hit is not None:
            return hit, True
        with self.lock:
            version = self.version
            hit = self.cache.get((version, key))  # another request may have filled it
            if hit is not None:
                return hit, True
            value = compute(self.workspace())
            self.cache.put((version, key), value)
            return value, False

    def answer(self, key: Hashable, compute: Callable[[Workspace], dict[str, Any]]) -> Response:
        """Return :meth:`read`'s answer with ``cached`` as a JSON response.

        A cached answer is sent as the bytes encoded the first time: a hit costs a lookup,
        not a walk over the table (tens of ms for a table by month and group).
        """
        version = self.version
        hit = self.encoded.get((version, key))
        if hit is not None:
            return Response(hit, media_type="application/json")
        payload, cached = self.read(key, compute)
        self.encoded.put((version, key), _encode(payload | {"cached": True}))
        return Response(_encode(payload | {"cached": cached}), media_type="application/json")

    def write(self, change: Callable[[Workspace], T]) -> T:
        """Run ``change`` alone on the workspace; bump the version when it succeeds."""
        with self.lock:
            try:
                return change(self.workspace())
            finally:
                # a failed load rolls back, but bumping anyway can only cost a recompute
                self.version += 1
                if self.on_change is not None:
                    self.on_change(self)

    def close(self) -> None:
        """Close the connection."""
        with self.lock:
            if self._ws is not None:
                self._ws.close()
                self._ws = None


class Workspaces:
    """Every ``NAME.duckdb`` in a folder, found when asked (a file added later is served).

    Args:
        directory: the folder.

    Example:
        >>> Workspaces(tempfile.mkdtemp()).names()  # doctest: +SKIP
        []
    """

    def __init__(
        self,
        directory: str | Path,
        on_change: Callable[[ServedWorkspace], Any] | None = None,
    ) -> None:
        self.directory = Path(directory)
        self.on_change = on_change
        self._served: dict[str, ServedWorkspace] = {}
        self._lock = threading.Lock()

    def names(self) -> list[str]:
        """Return the names of the workspace files in the folder, sorted."""
        return sorted(
            p.name[: -len(SUFFIX)]
            for p in self.directory.glob(f"*{SUFFIX}")
            if p.is_file() and NAME_PATTERN.match(p.name[: -len(SUFFIX)])
        )

    def get(self, name: str) -> ServedWorkspace | None:
        """Return the served workspace ``name``, or None when there is no such file."""
        with self._lock:
            if name in self._served:
                return self._served[name]
            if not NAME_PATTERN.match(name):
                return None
            path = self.directory / f"{name}{SUFFIX}"
            if not path.is_file():
                return None
            served = ServedWorkspace(name, path, self.on_change)
            self._served[name] = served
        if served.on_change is not None:
            served.on_change(served)
        return served

    def close(self) -> None:
        """Close every open workspace."""
        with self._lock:
            for served in self._served.values():
                served.close()
