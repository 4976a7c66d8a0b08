"""Timing and peak memory of one workload, each in a fresh Python subprocess.

A workload is named ``"module:factory"``; the factory takes keyword arguments and returns an
object with ``run()`` (the timed work, returning ``{name: DataFrame}``) and ``tidy(result)``
(untimed: turn the last result into plain frames for the agreement check). The subprocess
imports and builds the workload, runs it ``warmup`` times untimed, then ``repeat`` times timed
by wall clock (and by the process's CPU time, all threads, which a busy shared machine
disturbs less), saves the tidied frames as Parquet and reports timings and peak memory.

Peak memory is the subprocess's own high-water resident set (``VmHWM`` from
``/proc/self/status``), so figures never mix: ``getrusage(RUSAGE_CHILDREN)`` in the parent is a
running maximum over every child, and on Linux a child's ``ru_maxrss`` starts from the parent's
size at fork. Elsewhere ``ru_maxrss`` of the child itself is the fallback.
"""

from __future__ import annotations

import gc
import importlib
import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import pandas as pd

REPO_ROOT = Path(__file__).resolve().parent.parent


class Workload(Protocol):
    """What a workload factory returns."""

    def run(self) -> Any:
        """Do the measured work once and return its result."""

    def tidy(self, result: Any) -> dict[str, pd.DataFrame]:
        """Return ``result`` as plain frames (untimed)."""


class MeasureError(RuntimeError):
    """A workload subprocess failed; the message carries the end of its output."""


@dataclass
class Measurement:
    """Timings, peak memory and final result of one workload.

    Example:
        >>> m = Measurement("pandas", seconds=[2.0, 1.8, 1.9], peak_mb=900.0)
        >>> m.best
        1.8
    """

    name: str
    seconds: list[float]
    peak_mb: float
    cpu_seconds: list[float] = field(default_factory=list)
    startup_mb: float = 0.0
    results: dict[str, pd.DataFrame] = field(default_factory=dict, repr=False)

    @property
    def best(self) -> float:
        """The fastest timed run, in seconds (the figure reported)."""
        return min(self.seconds)

    @property
    def best_cpu(self) -> float:
        """CPU seconds (all threads) of the run with the least CPU time."""
        return min(self.cpu_seconds) if self.cpu_seconds else float("nan")

    @property
    def median(self) -> float:
        """The median timed run, in seconds."""
        ordered = sorted(self.seconds)
        mid = len(ordered) // 2
        return ordered[mid] if len(ordered) % 2 else (ordered[mid - 1] + ordered[mid]) / 2


def measure(
    name: str,
    target: str,
    kwargs: dict[str, Any],
    workdir: Path,
    *,
    repeat: int = 3,
    warmup: int = 1,
) -> Measurement:
    """Run workload ``target`` in a fresh subprocess and return its Measurement.

    Args:
        name: label of the workload (e.g. "pandas"), also the folder its frames go to.
        target: ``"module:factory"`` importable from the repository root.
        kwargs: JSON-serialisable keyword arguments of the factory.
        workdir: scratch folder for the frames the subprocess writes.
        repeat: timed runs.
        warmup: untimed runs before them.
    """
    if repeat < 1:
        raise ValueError(f"repeat must be at least 1, not {repeat}")
    out = Path(workdir) / name
    out.mkdir(parents=True, exist_ok=True)
    spec = {"target": target, "kwargs": kwargs, "repeat": repeat, "warmup": warmup}
    spec["out"] = str(out)
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO_ROOT), env.get("PYTHONPATH")) if p)
    proc = subprocess.run(
        [sys.executable, "-m", "benchmarks.measure", json.dumps(spec)],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode != 0:
        tail = (proc.stdout + proc.stderr)[-4000:]
        raise MeasureError(
            f"workload {name} ({target}) failed with exit code {proc.returncode}:\n{tail}"
        )
    report = json.loads((out / "report.json").read_text())
    frames = {key: pd.read_parquet(out / f"{key}.parquet") for key in report["frames"]}
    return Measurement(
        name=name,
        seconds=report["seconds"],
        peak_mb=report["peak_mb"],
        cpu_seconds=report["cpu_seconds"],
        startup_mb=report["startup_mb"],
        results=frames,
    )


def peak_mb(pid: int | str = "self") -> float | None:
    """Return the peak resident set size of process ``pid`` so far in MiB (``VmHWM``).

    None where ``/proc`` does not tell it (not Linux, or the process is gone).

    Example:
        >>> peak_mb() > 0  # doctest: +SKIP
        True
    """
    try:
        text = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    line = next((x for x in text.splitlines() if x.startswith("VmHWM:")), None)
    return None if line is None else int(line.split()[1]) / 1024


def peak_rss_mb() -> float:
    """Return this process's peak resident set size so far, in MiB."""
    own = peak_mb()
    if own is not None:
        return own
    import resource

    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


def _work(spec: dict[str, Any]) -> None:
    """Body of the subprocess: build, warm up, time, save frames and the report."""
    out = Path(spec["out"])
    module, factory = spec["target"].split(":")
    startup_mb = peak_rss_mb()
    workload: Workload = getattr(importlib.import_module(module), factory)(**spec["kwargs"])
    for _ in range(spec["warmup"]):
        workload.run()
    seconds: list[float] = []
    cpu_seconds: list[float] = []
    result = None
    for _ in range(spec["repeat"]):
        result = None
        gc.collect()
        start, cpu_start = time.perf_counter(), time.process_time()
        result = workload.run()
        seconds.append(time.perf_counter() - start)
        cpu_seconds.append(time.process_time() - cpu_start)
    peak_mb = peak_rss_mb()
    frames = workload.tidy(result)
    for key, frame in frames.items():
        frame.to_parquet(out / f"{key}.parquet", index=False)
    report = {
        "seconds": seconds,
        "cpu_seconds": cpu_seconds,
        "peak_mb": peak_mb,
        "startup_mb": startup_mb,
        "frames": list(frames),
    }
    (out / "report.json").write_text(json.dumps(report))


if __name__ == "__main__":
    _work(json.loads(sys.argv[1]))
