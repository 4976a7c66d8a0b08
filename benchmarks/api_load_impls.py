"""The load test's client, run by :func:`benchmarks.measure.measure` in a fresh process.

``load_test(url=..., token=..., workspace=..., clients=20, requests=2000, seconds=60)``
returns a workload whose ``run()`` sends GET ``/overview`` from ``clients`` threads (one
keep-alive HTTP connection each) until ``requests`` answers have come back or ``seconds``
have passed, timing every request.

With ``varied=True`` each request is a metric with parameters drawn (seeded) as a
dashboard's users vary them (:func:`varied_plan`): NPS, CSAT, CES or churn, overall or by
one of segment, touchpoint, channel, region or plan, over the whole range, by month or by
quarter; and a share ``filtered_share`` of them also filtered to one segment.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Any

import httpx
import numpy as np
import pandas as pd

#: Columns a varied request groups by (None: overall); churn counts customers.
BY_ANSWERS = (None, "segment", "touchpoint", "channel", "region", "plan")
BY_CUSTOMERS = (None, "segment", "region", "plan")
SEGMENTS = ("consumer", "small_business", "enterprise", "public_sector")


def varied_plan(n: int, seed: int, filtered_share: float = 0.2) -> list[tuple[str, dict]]:
    """Return ``n`` (path suffix, params) of varied metric requests, drawn with ``seed``.

    Example:
        >>> varied_plan(2, 1)[0][0].startswith("/metrics/")
        True
    """
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(n):
        metric = ("nps", "csat", "ces", "churn")[rng.integers(4)]
        by_set = BY_CUSTOMERS if metric == "churn" else BY_ANSWERS
        by = by_set[rng.integers(len(by_set))]
        grains = ("month", "quarter") if metric == "churn" else (None, "month", "quarter")
        every = grains[rng.integers(len(grains))]
        params: dict = {k: v for k, v in (("by", by), ("every", every)) if v is not None}
        if rng.random() < filtered_share:
            params["filter"] = f"segment={SEGMENTS[rng.integers(len(SEGMENTS))]}"
        out.append((f"/metrics/{metric}", params))
    return out


@dataclass
class LoadTest:
    """GET the overview from many clients at once; see the module docstring."""

    url: str
    token: str
    workspace: str
    clients: int = 20
    requests: int = 2000
    seconds: float = 60.0
    varied: bool = False
    seed: int = 0
    filtered_share: float = 0.2

    @property
    def path(self) -> str:
        """The overview's path."""
        return f"/api/v1/workspaces/{self.workspace}/overview"

    def run(self) -> dict[str, Any]:
        """Send the requests; return each one's latency, status and whether it was cached."""
        rows: list[tuple[int, float, int, bool]] = []
        lock = threading.Lock()
        sent = iter(range(self.requests))
        base = f"/api/v1/workspaces/{self.workspace}"
        plan = (varied_plan(self.requests, self.seed, self.filtered_share) if self.varied
                else [(self.path[len(base):], {})] * self.requests)  # fmt: skip
        deadline = time.monotonic() + self.seconds
        headers = {"Authorization": f"Bearer {self.token}"}

        def client(number: int) -> None:
            with httpx.Client(base_url=self.url, headers=headers, timeout=120) as http:
                while time.monotonic() < deadline:
                    with lock:
                        index = next(sent, None)
                    if index is None:
                        return
                    suffix, params = plan[index]
                    start = time.perf_counter()
                    response = http.get(base + suffix, params=params)
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
