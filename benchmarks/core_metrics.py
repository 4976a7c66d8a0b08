"""Benchmark "core-metrics": NPS, CSAT and CES by segment and month on generated responses.

One run: generate (or reuse) the data, load it into a Workspace DuckDB file, then time each
implementation in its own fresh subprocess on the same data: cxlens
(``ws.metrics.nps/csat/ces(by=["segment"], every="month")``), the "duckdb-sql" baseline (the same
results as hand-written DuckDB SQL on the same file) and the "pandas" baseline (the same from
the Parquet, read time included). Before anything is reported the results must agree: the
baselines with each other on every figure, cxlens with them on n and value per segment and
month. Differences in cxlens's intervals or changes are reported as notes, not failures, since
interval methods may legitimately differ.

Example:
    >>> entry = run(rows=20_000, repeat=1, warmup=0)  # doctest: +SKIP
    >>> sorted(entry["ratios"])
    ['duckdb-sql', 'pandas']
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from benchmarks.common import (
    SUBJECT,
    DisagreementError,
    build_entry,
    measure_each,
    quiet,
    results_of,
    timing_of,
)
from benchmarks.core_metrics_impls import BY, METRICS, factories
from benchmarks.data import DEFAULT_DATA_DIR, ensure_dataset
from benchmarks.measure import Measurement
from benchmarks.workspace import ensure_workspace

NAME = "core-metrics"
DEFAULT_ROWS = 10_000_000
DEFAULT_SEED = 20240601
BASELINES = ("duckdb-sql", "pandas")

#: Targets printed beside the figures (not asserted): the highest acceptable
#: cxlens/baseline time ratio per baseline, and the highest acceptable cxlens peak memory.
TARGETS: dict[str, Any] = {
    "ratios": {"duckdb-sql": 1.5, "pandas": 1 / 3},
    "peak_mb": 2048,
}

#: Columns that must agree exactly (n) or to floating-point noise (the rest).
STRICT = ("n", "value")
ALL_FIGURES = ("n", "value", "ci_low", "ci_high", "change", "p_value")
RTOL = 1e-9
ATOL = 1e-8


def run(
    rows: int = DEFAULT_ROWS,
    *,
    seed: int = DEFAULT_SEED,
    repeat: int = 3,
    warmup: int = 1,
    data_dir: Path = DEFAULT_DATA_DIR,
    rebuild: bool = False,
    log: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """Run the core-metrics benchmark and return its results entry.

    Args:
        rows: survey responses to generate (10 million by default).
        seed: generator seed.
        repeat: timed runs per implementation; the best is reported.
        warmup: untimed runs before them.
        data_dir: where the generated Parquet and the Workspace file are cached.
        rebuild: load the Workspace file again even when a cached one exists.
        log: called with a line of progress now and then.

    Returns:
        The entry written to results.json: name, rows, seconds, peak_mb, baselines, ratios,
        plus median_seconds, cpu_seconds, cpu_ratios, runs, baseline_peak_mb, startup_mb, targets,
        targets_met, notes, seed, timing and machine.

    Raises:
        DisagreementError: when the implementations' figures differ.
    """
    measured = measure_all(
        rows, seed=seed, repeat=repeat, warmup=warmup, data_dir=data_dir, rebuild=rebuild, log=log
    )
    notes = check_agreement(results_of(measured))
    for note in notes:
        (log or quiet)(f"core-metrics: note: {note}")
    return make_entry(rows, seed, repeat, warmup, measured, notes)


def measure_all(
    rows: int,
    *,
    seed: int = DEFAULT_SEED,
    repeat: int = 3,
    warmup: int = 1,
    data_dir: Path = DEFAULT_DATA_DIR,
    rebuild: bool = False,
    log: Callable[[str], None] | None = None,
) -> dict[str, Measurement]:
    """Prepare the data and measure every implementation, each in a fresh subprocess.

    Returns:
        ``{implementation: Measurement}`` for cxlens and the baselines, with their frames.
    """
    say = log or quiet
    say(f"core-metrics: data for {rows:,} responses (seed {seed})")
    ds = ensure_dataset(rows, seed, Path(data_dir))
    db = ensure_workspace(ds, rebuild=rebuild)
    return measure_each(NAME, factories(), db, ds, repeat=repeat, warmup=warmup, say=say)


def check_agreement(results: dict[str, dict[str, pd.DataFrame]]) -> list[str]:
    """Check the implementations agree; return notes on tolerated differences.

    The baselines must agree on every figure; cxlens must agree with the duckdb-sql baseline
    on n and value. Its intervals, changes and p-values are compared too, and differences
    come back as notes.

    Raises:
        DisagreementError: naming the metric, segment, month and figures that differ.
    """
    reference = results[BASELINES[0]]
    problems = compare(reference, results[BASELINES[1]], ALL_FIGURES)
    if problems:
        raise DisagreementError(
            f"the {BASELINES[0]} and {BASELINES[1]} baselines disagree:\n" + "\n".join(problems)
        )
    problems = compare(reference, results[SUBJECT], STRICT)
    if problems:
        raise DisagreementError(
            f"cxlens disagrees with the {BASELINES[0]} baseline:\n" + "\n".join(problems)
        )
    soft = [c for c in ALL_FIGURES if c not in STRICT]
    return [
        f"cxlens differs from {BASELINES[0]} in {line}"
        for line in compare(reference, results[SUBJECT], soft, limit=1)
    ]


def compare(
    left: dict[str, pd.DataFrame],
    right: dict[str, pd.DataFrame],
    columns: tuple[str, ...] | list[str],
    *,
    limit: int = 5,
) -> list[str]:
    """Return lines describing where ``right`` differs from ``left`` (empty when they agree).

    Frames are matched per metric on (segment, period); ``n`` must be equal, other columns
    equal within RTOL/ATOL, with NaN matching NaN.
    """
    problems: list[str] = []
    for metric in METRICS:
        if metric not in left or metric not in right:
            problems.append(f"{metric}: missing from one side")
            continue
        keys = [BY, "period"]
        merged = left[metric].merge(
            right[metric], on=keys, how="outer", suffixes=("_l", "_r"), indicator=True
        )
        unmatched = merged[merged["_merge"] != "both"]
        if len(unmatched):
            sample = unmatched[[*keys, "_merge"]].head(limit).to_string(index=False)
            problems.append(
                f"{metric}: {len(unmatched)} segment/month groups on one side only\n{sample}"
            )
            continue
        for col in columns:
            a = merged[f"{col}_l"].to_numpy(dtype="float64")
            b = merged[f"{col}_r"].to_numpy(dtype="float64")
            exact = col == "n"
            bad = (a != b) if exact else ~np.isclose(a, b, rtol=RTOL, atol=ATOL, equal_nan=True)
            for i in np.flatnonzero(bad)[:limit]:
                row = merged.iloc[i]
                problems.append(
                    f"{metric} {col} for {row[BY]} {row['period']:%Y-%m}: {a[i]!r} vs {b[i]!r}"
                    f" ({int(bad.sum())} groups differ)"
                )
    return problems


def make_entry(
    rows: int,
    seed: int,
    repeat: int,
    warmup: int,
    measured: dict[str, Measurement],
    notes: list[str],
) -> dict[str, Any]:
    """Return the results entry of one run from its measurements."""
    return build_entry(
        NAME,
        rows,
        seed,
        measured,
        BASELINES,
        notes=notes,
        timing=timing_of(repeat, warmup),
        targets=TARGETS,
    )
