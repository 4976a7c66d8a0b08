"""Pieces every benchmark shares: timing, the disagreement error, the machine and the entry.

Each benchmark module (``core_metrics``, ``drivers``, ``insights``...) times its
implementations with :func:`measure_each` (each in a fresh subprocess), checks that they
agree, and turns the measurements into one results.json entry with :func:`build_entry`, so
every entry has the same keys (see ``benchmarks/README.md``). The load benchmarks
(``api_load``, ``survey_load``) run the real server with :func:`serving`.
"""

from __future__ import annotations

import os
import platform
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from importlib import metadata
from pathlib import Path
from typing import Any

import httpx

from benchmarks.measure import REPO_ROOT, Measurement, measure

#: The implementation every ratio is taken of.
SUBJECT = "cxlens"

#: Packages whose versions go into every entry's ``machine``.
PACKAGES = ("cxlens", "duckdb", "ibis-framework", "pandas", "numpy", "pyarrow", "statsmodels")


class DisagreementError(AssertionError):
    """Two implementations gave different figures for the same thing."""


def quiet(_line: str) -> None:
    """Discard a progress line."""


def say_with(log: Callable[[str], None] | None) -> Callable[[str], None]:
    """Return ``log``, or a function that discards lines when it is None."""
    return log or quiet


def capped_runs(repeat: int, warmup: int, most: tuple[int, int]) -> tuple[int, int]:
    """Return ``(repeat, warmup)`` cut to at most ``most`` (timed runs, warm-ups).

    A baseline that takes minutes a run is timed fewer times than cxlens.

    Example:
        >>> capped_runs(3, 1, (1, 0)), capped_runs(1, 0, (2, 1))
        ((1, 0), (1, 0))
    """
    return min(repeat, most[0]), min(warmup, most[1])


def best_of(repeat: int, warmup: int) -> str:
    """Say how a time was taken, for an entry's ``timing``.

    Example:
        >>> best_of(3, 1)
        'best of 3 after 1 warm-up'
    """
    return f"best of {repeat} after {warmup} warm-up"


def timing_of(repeat: int, warmup: int, what: str = "wall clock") -> str:
    """Return an entry's ``timing`` where every implementation is timed alike.

    Example:
        >>> timing_of(3, 1)
        'wall clock, best of 3 after 1 warm-up, one fresh process each'
    """
    return f"{what}, {best_of(repeat, warmup)}, one fresh process each"


def measure_each(
    label: str,
    jobs: Mapping[str, tuple[str, Any]],
    *args: Any,
    repeat: int,
    warmup: int,
    say: Callable[[str], None] = quiet,
    baseline_most: tuple[int, int] | None = None,
) -> dict[str, Measurement]:
    """Time each implementation of ``jobs`` in its own fresh subprocess, in order.

    Args:
        label: the benchmark's name, which starts each progress line.
        jobs: ``{implementation: ("module:factory", kwargs)}`` (an ``*_impls`` module's
            ``factories()``); kwargs is the factory's keyword arguments, or a function of
            ``args`` that returns them.
        args: what such a function is called with (e.g. the Workspace file and the data).
        repeat: timed runs; the best is reported.
        warmup: untimed runs before them.
        say: called with a line of progress before and after each implementation.
        baseline_most: at most this many timed runs and warm-ups of the implementations
            other than cxlens (:func:`capped_runs`); None: the same as cxlens.

    Returns:
        ``{implementation: Measurement}``, with the frames each implementation wrote.

    Example:
        >>> jobs = {"cxlens": ("benchmarks.core_metrics_impls:CxlensWorkload",
        ...                    {"workspace": "bench.duckdb"})}
        >>> measure_each("core-metrics", jobs, repeat=1, warmup=0)  # doctest: +SKIP
    """
    measured: dict[str, Measurement] = {}
    with tempfile.TemporaryDirectory(prefix="cxlens-bench-") as workdir:
        for name, (target, kwargs) in jobs.items():
            reps, warm = repeat, warmup
            if baseline_most is not None and name != SUBJECT:
                reps, warm = capped_runs(repeat, warmup, baseline_most)
            say(f"{label}: timing {name} ({warm} warm-up, best of {reps})")
            given = kwargs(*args) if callable(kwargs) else kwargs
            measured[name] = measure(name, target, given, Path(workdir), repeat=reps, warmup=warm)
            say(f"{label}: {name}: best {measured[name].best:.3f} s")
    return measured


def results_of(measured: Mapping[str, Measurement]) -> dict[str, dict[str, Any]]:
    """Return ``{implementation: the frames it wrote}``, what the agreement checks compare.

    Example:
        >>> results_of({})
        {}
    """
    return {name: m.results for name, m in measured.items()}


def build_entry(
    name: str,
    rows: int,
    seed: int,
    measured: dict[str, Measurement],
    baselines: Sequence[str],
    *,
    notes: list[str],
    timing: str,
    targets: dict[str, Any] | None = None,
    extra: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Return the results.json entry of one run from its measurements.

    Args:
        name: the benchmark.
        rows: its data size.
        seed: the generator seed.
        measured: ``{implementation: Measurement}``, cxlens included.
        baselines: the baseline implementations, in the order they are shown.
        notes: tolerated differences between cxlens and the baselines.
        timing: how the figures were taken, in words.
        targets: ``{"ratios": {baseline: highest ratio}, "peak_mb": highest}`` (optional).
        extra: benchmark-specific keys added to the entry.

    Returns:
        A dict with the keys of ``results.ENTRY_KEYS`` and the optional ones the README lists.
    """
    subject = measured[SUBJECT]
    times = {b: measured[b].best for b in baselines}
    ratios = {b: subject.best / seconds for b, seconds in times.items()}
    targets = targets or {}
    met: dict[str, bool] = {}
    for b, limit in targets.get("ratios", {}).items():
        met[f"ratio vs {b}"] = ratios[b] <= limit
    if "peak_mb" in targets:
        met["peak_mb"] = subject.peak_mb < targets["peak_mb"]
    entry: dict[str, Any] = {
        "name": name,
        "rows": rows,
        "seconds": subject.best,
        "peak_mb": round(subject.peak_mb, 1),
        "baselines": times,
        "ratios": ratios,
        "median_seconds": {n: m.median for n, m in measured.items()},
        "cpu_seconds": {n: m.best_cpu for n, m in measured.items()},
        "cpu_ratios": {b: subject.best_cpu / measured[b].best_cpu for b in baselines},
        "runs": {n: m.seconds for n, m in measured.items()},
        "baseline_peak_mb": {b: round(measured[b].peak_mb, 1) for b in baselines},
        "startup_mb": {n: round(m.startup_mb, 1) for n, m in measured.items()},
        "targets": targets,
        "targets_met": met,
        "notes": notes,
    }
    entry.update(extra or {})
    entry.update({"seed": seed, "timing": timing, "machine": machine()})
    return entry


def load_average() -> list[float] | None:
    """Return the 1, 5 and 15 minute load averages (None where the system has none)."""
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except (OSError, AttributeError):
        return None


def machine() -> dict[str, Any]:
    """Return a short description of the machine, its load and the library versions.

    ``load_average`` is taken when the entry is made, so it includes the benchmark's own
    last minutes (about 1 while a single-threaded workload ran); entries of the drivers and
    insights benchmarks also keep ``load_average_before``, taken before their first run.
    """
    try:
        memory_gb = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    except (ValueError, OSError, AttributeError):
        memory_gb = float("nan")
    versions = {}
    for package in PACKAGES:
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            versions[package] = None
    return {
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "memory_gb": round(memory_gb, 1),
        "python": sys.version.split()[0],
        "load_average": load_average(),
        "versions": versions,
    }


#: Runs ``cxlens serve`` from the command line's arguments (the ``cxlens`` entry point need
#: not be installed).
_SERVE = (
    "import sys, cxlens.cli.serve; from cxlens.cli import app; "
    "sys.argv = ['cxlens', *sys.argv[1:]]; app()"
)


@contextmanager
def serving(
    folder: Path, *options: str, seconds: float = 120
) -> Iterator[tuple[subprocess.Popen, str]]:
    """Run ``cxlens serve`` on the workspaces of ``folder`` while inside, on a free local port.

    The server runs this repository's cxlens in its own process, its output going to
    ``folder/server.log``; the block is entered once ``/api/v1/health`` answers, and the
    server is stopped on the way out, also when the block raises.

    Args:
        folder: the folder of ``*.duckdb`` workspaces to serve.
        options: further ``cxlens serve`` options (e.g. ``"--no-warm"``).
        seconds: how long the server may take to answer.

    Yields:
        The server process and its base URL (``http://127.0.0.1:PORT``).

    Raises:
        RuntimeError: the server exited, or did not answer in ``seconds`` (with its log).

    Example:
        >>> with serving(Path("served"), "--no-warm") as (server, url):  # doctest: +SKIP
        ...     httpx.get(f"{url}/api/v1/health").status_code
        200
    """
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    cmd = [sys.executable, "-c", _SERVE, "serve", "--workspaces", str(folder), "--port",
           str(port), "--log-level", "warning", *options]  # fmt: skip
    paths = (str(REPO_ROOT / "src"), str(REPO_ROOT), os.environ.get("PYTHONPATH"))
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in paths if p)}
    log = folder / "server.log"
    with log.open("ab") as out:
        server = subprocess.Popen(cmd, cwd=REPO_ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        url = f"http://127.0.0.1:{port}"
        wait_healthy(server, url, log, seconds)
        yield server, url
    finally:
        stop(server)


def wait_healthy(server: subprocess.Popen, url: str, log: Path, seconds: float = 60) -> None:
    """Return once the server at ``url`` answers ``/api/v1/health`` with 200.

    The one rule for waiting on the servers the benchmarks and the tests start (tests/api/
    conftest.py's ``wait_ready`` calls it): poll every 0.1 s, each try with a 1 s timeout.

    Args:
        server: the server's process.
        url: its base URL (``http://127.0.0.1:PORT``).
        log: the file the server writes its output to; its last 4,000 characters go into
            the error.
        seconds: how long the server may take to answer.

    Raises:
        RuntimeError: the server exited, or did not answer in ``seconds`` (with its log).

    Example:
        >>> done = subprocess.Popen([sys.executable, "-c", "pass"])
        >>> done.wait()
        0
        >>> wait_healthy(done, "http://127.0.0.1:9", Path(os.devnull))
        Traceback (most recent call last):
        RuntimeError: the server exited:
        <BLANKLINE>
    """
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError("the server exited:\n" + log.read_text()[-4000:])
        try:
            if httpx.get(f"{url}/api/v1/health", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"the server did not answer in {seconds:g} s:\n" + log.read_text()[-4000:])


def stop(server: subprocess.Popen, wait: float = 30) -> int:
    """Stop a server process: terminate it, and kill it if it has not exited after ``wait`` s.

    The one rule for stopping the servers the benchmarks and the tests start (tests/api/
    conftest.py re-exports it as ``stop_server``). Returns the process's exit status.

    Example:
        >>> stop(subprocess.Popen([sys.executable, "-c", "input()"], stdin=subprocess.PIPE))
        -15
    """
    server.terminate()
    try:
        return server.wait(timeout=wait)
    except subprocess.TimeoutExpired:
        server.kill()
        return server.wait()
