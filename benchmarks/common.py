"""Pieces every benchmark shares: the disagreement error, the machine record and the entry.

Each benchmark module (``core_metrics``, ``drivers``, ``insights``) measures its
implementations with :func:`benchmarks.measure.measure`, checks that they agree, and turns
the measurements into one results.json entry with :func:`build_entry`, so every entry has
the same keys (see ``benchmarks/README.md``).
"""

from __future__ import annotations

import os
import platform
import sys
from collections.abc import Callable, Sequence
from importlib import metadata
from typing import Any

from benchmarks.measure import Measurement

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
