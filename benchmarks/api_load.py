"""Benchmark "api-load": latency of the HTTP API's overview on 10 million responses.

One run: generate (or reuse) the core-metrics dataset (``benchmarks.data``: responses and
customers) and its Workspace file, serve it with ``cxlens serve`` on loopback with a fresh
admin key, time the first GET ``/overview`` (cold: NPS, CSAT, CES over every response and
churn, computed in the engine), then load-test the same endpoint from 20 concurrent clients
(bounded: 2,000 requests or 60 s, whichever comes first), in a fresh client process
(:mod:`benchmarks.api_load_impls`). Answers after the first come from the server's cache
until the data changes, so the load test measures the server's own overhead: HTTP, auth,
cache lookup, JSON.

There is no named baseline: the entry reports absolute figures (cold seconds, p50 and p95
latency in ms, throughput, errors), the cold/cached ratio and the server's peak memory.
Before anything is reported, the overview's NPS must equal NPS computed from the Parquet
(pyarrow), and every answer must be a 200.

The first server runs with ``--no-warm`` so the cold request is the engine's work. A second
server then runs as ``cxlens serve`` does by default: it precomputes the common answers
(:mod:`cxlens.api.warm`; the time until ``GET /workspaces/bench`` says ``warmed`` is
reported), and the same clients send *varied* requests (NPS, CSAT, CES or churn, by one of
five columns or none, by month, quarter or overall, 20% also filtered to a segment;
:func:`benchmarks.api_load_impls.varied_plan`). Its p50/p95, errors (non-200 answers, counted
and reported, not fatal) and the share answered from the cache are reported beside the
cached overview's figures.

Example:
    >>> entry = run(rows=20_000, repeat=1, warmup=0, requests=200)  # doctest: +SKIP
    >>> entry["latency_ms"]["p50"] < entry["latency_ms"]["p95"] * 1.0001  # doctest: +SKIP
    True
"""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pyarrow.compute as pc
import pyarrow.parquet as pq

from benchmarks.common import (
    SUBJECT,
    DisagreementError,
    build_entry,
    load_average,
    say_with,
    serving,
)
from benchmarks.data import DEFAULT_DATA_DIR, ensure_dataset
from benchmarks.measure import Measurement, measure, peak_mb
from benchmarks.workspace import ensure_workspace

NAME = "api-load"
DEFAULT_ROWS = 10_000_000
DEFAULT_SEED = 20240601
CLIENTS = 20
REQUESTS = 2000
SECONDS = 60.0
WORKSPACE = "bench"


def run(
    rows: int = DEFAULT_ROWS,
    *,
    seed: int = DEFAULT_SEED,
    repeat: int = 3,
    warmup: int = 1,
    data_dir: Path = DEFAULT_DATA_DIR,
    rebuild: bool = False,
    log: Callable[[str], None] | None = None,
    clients: int = CLIENTS,
    requests: int = REQUESTS,
    seconds: float = SECONDS,
) -> dict[str, Any]:
    """Run the API load benchmark and return its results entry.

    Args:
        rows: survey responses (10 million by default).
        seed: generator seed.
        repeat: timed load tests; the latencies reported are those of the last one.
        warmup: untimed load tests before them.
        data_dir: where the generated Parquet and the Workspace file are cached.
        rebuild: load the Workspace file again even when a cached one exists.
        log: called with a line of progress now and then.
        clients: concurrent clients.
        requests: most requests per load test.
        seconds: most seconds per load test.

    Returns:
        The results.json entry with ``cold_seconds``, ``latency_ms`` (p50, p95, mean, max of
        the best run), ``throughput_rps``, ``requests``, ``errors``, ``cold_cached_ratio``
        (cold seconds / cached p50) and ``server_peak_mb``.

    Raises:
        DisagreementError: the overview's NPS differs from the Parquet's, or a request failed.
    """
    say = say_with(log)
    load_before = load_average()
    say(f"api-load: data for {rows:,} responses (seed {seed})")
    ds = ensure_dataset(rows, seed, Path(data_dir))
    db = ensure_workspace(ds, rebuild=rebuild)
    with tempfile.TemporaryDirectory(prefix="cxlens-api-bench-") as tmp:
        folder = Path(tmp) / "served"
        folder.mkdir()
        os.symlink(db, folder / f"{WORKSPACE}.duckdb")
        token = _admin_key(folder)
        with serving(folder, "--no-warm") as (server, url):
            say("api-load: first (cold) request")
            cold, overview = _cold(url, token)
            kwargs = {"url": url, "token": token, "workspace": WORKSPACE, "clients": clients,
                      "requests": requests, "seconds": seconds}  # fmt: skip
            say(f"api-load: {clients} clients, up to {requests:,} requests or {seconds:g} s")
            measured = measure(SUBJECT, "benchmarks.api_load_impls:load_test", kwargs,
                               Path(tmp) / "work", repeat=repeat, warmup=warmup)  # fmt: skip
            server_peak = peak_mb(server.pid)
        with serving(folder, "--warm") as (server, url):
            say("api-load: precomputing the common answers")
            precompute = _wait_warmed(url, token)
            kwargs |= {"url": url, "varied": True, "seed": seed}
            say(f"api-load: varied parameters, {clients} clients")
            varied = measure(SUBJECT, "benchmarks.api_load_impls:load_test", kwargs,
                             Path(tmp) / "varied", repeat=1, warmup=0)  # fmt: skip
    expected = nps_from_parquet(ds.responses)
    check(overview, expected, measured)
    entry = make_entry(rows, seed, repeat, warmup, measured, cold, expected, server_peak,
                       clients, load_before)  # fmt: skip
    entry["varied"] = varied_figures(varied, entry["latency_ms"]["p95"], precompute)
    return entry


def varied_figures(measured: Measurement, cached_p95: float, precompute: float) -> dict[str, Any]:
    """Return the varied load test's figures: latency, errors, cache share, p95 vs cached.

    Example:
        >>> varied_figures(m, 30.0, 12.5)["p95_vs_cached"]  # doctest: +SKIP
        1.4
    """
    frame = measured.results["latencies"]
    lat = frame["seconds"].to_numpy() * 1000
    p50, p95 = (float(x) for x in np.percentile(lat, [50, 95]))
    return {
        "latency_ms": {"p50": p50, "p95": p95, "mean": float(lat.mean()), "max": float(lat.max())},
        "requests": len(lat),
        "errors": int((frame["status"] != 200).sum()),
        "cached_share": float(frame["cached"].mean()),
        "p95_vs_cached": p95 / cached_p95 if cached_p95 > 0 else float("nan"),
        "precompute_seconds": precompute,
        "filtered_share": 0.2,
    }


def nps_from_parquet(path: Path) -> dict[str, float]:
    """Return NPS and its n computed with pyarrow from the responses Parquet (the reference)."""
    nps = pq.read_table(path, columns=["nps"])["nps"].drop_null()
    n = len(nps)
    promoters = pc.sum(pc.greater_equal(nps, 9)).as_py()
    detractors = pc.sum(pc.less_equal(nps, 6)).as_py()
    return {"value": 100 * (promoters - detractors) / n, "n": n}


def check(overview: dict[str, Any], expected: dict[str, float], measured: Measurement) -> None:
    """Stop the run unless the overview's NPS is right and every request answered 200.

    The NPS checked is the tile's whole-period figure (``whole``): every response.
    """
    tiles = {t["metric"]: t for t in overview["tiles"]}
    nps = tiles["nps"]["whole"]
    if nps.get("n") != expected["n"] or not np.isclose(nps["value"], expected["value"],
                                                        rtol=1e-9):  # fmt: skip
        raise DisagreementError(f"overview NPS {nps} differs from the Parquet's {expected}")
    statuses = measured.results["latencies"]["status"]
    if (statuses != 200).any():
        raise DisagreementError(f"{int((statuses != 200).sum())} requests did not answer 200")


def make_entry(
    rows: int,
    seed: int,
    repeat: int,
    warmup: int,
    measured: Measurement,
    cold: float,
    expected: dict[str, float],
    server_peak: float | None,
    clients: int,
    load_before: list[float] | None,
) -> dict[str, Any]:
    """Return the results entry from the last load test's latencies and the cold request."""
    lat = measured.results["latencies"]["seconds"].to_numpy() * 1000
    wall = float(measured.results["wall"]["wall_seconds"].iloc[0])
    p50, p95 = (float(x) for x in np.percentile(lat, [50, 95]))
    extra = {
        "cold_seconds": cold,
        "latency_ms": {"p50": p50, "p95": p95, "mean": float(lat.mean()), "max": float(lat.max())},
        "requests": len(lat),
        "clients": clients,
        "errors": 0,
        "throughput_rps": len(lat) / wall if wall > 0 else float("nan"),
        "cached_share": float(measured.results["latencies"]["cached"].mean()),
        "cold_cached_ratio": cold / (p50 / 1000) if p50 > 0 else float("nan"),
        "server_peak_mb": None if server_peak is None else round(server_peak, 1),
        "overview_nps": expected,
        "load_average_before": load_before,
    }
    return build_entry(
        NAME, rows, seed, {SUBJECT: measured}, (), notes=[],
        timing=(f"first request timed alone on a fresh server (cold); then {clients} "
                f"concurrent clients, latency of each request of the last of {repeat} load "
                f"tests after {warmup} warm-up; seconds = wall time of a whole load test"),
        extra=extra,
    )  # fmt: skip


def _admin_key(folder: Path) -> str:
    from cxlens.api import KeyStore

    return KeyStore(folder).create([WORKSPACE], "admin", name="api-load benchmark")[1]


def _wait_warmed(url: str, token: str, seconds: float = 900) -> float:
    """Return the seconds until the server says the workspace's common answers are ready."""
    headers = {"Authorization": f"Bearer {token}"}
    start = time.perf_counter()
    with httpx.Client(base_url=url, headers=headers, timeout=600) as http:
        while time.perf_counter() - start < seconds:
            if http.get(f"/api/v1/workspaces/{WORKSPACE}").json().get("warmed"):
                return time.perf_counter() - start
            time.sleep(0.2)
    raise RuntimeError(f"the server did not precompute its answers in {seconds:g} s")


def _cold(url: str, token: str) -> tuple[float, dict[str, Any]]:
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=url, headers=headers, timeout=600) as http:
        start = time.perf_counter()
        response = http.get(f"/api/v1/workspaces/{WORKSPACE}/overview")
        took = time.perf_counter() - start
    response.raise_for_status()
    body = response.json()
    if body.get("cached"):
        raise DisagreementError("the first request was answered from the cache")
    return took, body
