"""The load test's client, run by :func:`benchmarks.measure.measure` in a fresh process.

``load_test(url=..., token=..., workspace=..., clients=20, requests=2000, seconds=60)``
returns a workload whose ``run()`` sends GET ``/overview`` from ``clients`` threads (one
keep-alive HTTP connection each) until ``requests`` answers have come back or ``seconds``
have passed, timing every request.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Any

import httpx
import pandas as pd


@dataclass
class LoadTest:
    """GET the overview from many clients at once; see the module docstring."""

    url: str
    token: str
    workspace: str
    clients: int = 20
    requests: int = 2000
    seconds: float = 60.0

    @property
    def path(self) -> str:
        """The overview's path."""
        return f"/api/v1/workspaces/{self.workspace}/overview"

    def run(self) -> dict[str, Any]:
        """Send the requests; return each one's latency, status and whether it was cached."""
        rows: list[tuple[int, float, int, bool]] = []
        lock = threading.Lock()
        sent = iter(range(self.requests))
        deadline = time.monotonic() + self.seconds
        headers = {"Authorization": f"Bearer {self.token}"}

        def client(number: int) -> None:
            with httpx.Client(base_url=self.url, headers=headers, timeout=120) as http:
                while time.monotonic() < deadline:
                    with lock:
                        if next(sent, None) is None:
                            return
                    start = time.perf_counter()
                    response = http.get(self.path)
                    took = time.perf_counter() - start
                    cached = response.status_code == 200 and response.json().get("cached", False)
                    with lock:
                        rows.append((number, took, response.status_code, bool(cached)))

        threads = [threading.Thread(target=client, args=(i,)) for i in range(self.clients)]
        start = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        wall = time.perf_counter() - start
        with httpx.Client(base_url=self.url, headers=headers, timeout=120) as http:
            overview = http.get(self.path).json()
        return {"rows": rows, "wall": wall, "overview": overview}

    def tidy(self, result: dict[str, Any]) -> dict[str, pd.DataFrame]:
        """Return the latencies and the overview tiles as frames."""
        latencies = pd.DataFrame(result["rows"], columns=["client", "seconds", "status", "cached"])
        tiles = pd.DataFrame(result["overview"]["tiles"])
        wall = pd.DataFrame({"wall_seconds": [result["wall"]]})
        return {"latencies": latencies, "tiles": tiles, "wall": wall}


def load_test(**kwargs: Any) -> LoadTest:
    """Return the load test workload (the factory ``measure`` calls)."""
    return LoadTest(**kwargs)
