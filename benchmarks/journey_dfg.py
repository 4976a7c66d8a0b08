"""Benchmark "journey-dfg": the directly-follows graph and an ordered funnel on 10M events.

One run: generate (or reuse) N journey events (:mod:`benchmarks.journey_dfg_data`), load them
into a Workspace DuckDB file, then time, each in a fresh subprocess
(:mod:`benchmarks.journey_dfg_impls`):

* cxlens: ``Journey(ws).dfg()`` + ``Journey(ws).funnel(FUNNEL)``;
* duckdb-sql: the same two queries written directly in DuckDB SQL on the same file;
* pm4py: reading the Parquet into pandas + ``discover_dfg`` + ``discover_performance_dfg``
  (graph only: pm4py has no ordered funnel). pm4py runs on the first ``pm4py_rows`` events
  (2 million by default, fewer than the engines' 10 million, as it holds everything in pandas
  memory); its time is scaled to the full size by events (linear), and the entry says so.

Agreement, before anything is reported: cxlens and duckdb-sql give identical graph counts,
means and medians (1e-9 relative) and identical funnel counts; pm4py's graph counts are
identical (and its means within 1e-6) to the same SQL run on its prefix of the events.

Example:
    >>> entry = run(rows=20_000, repeat=1, warmup=0)  # doctest: +SKIP
    >>> sorted(entry["ratios"])
    ['duckdb-sql', 'pm4py']
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pandas as pd

from benchmarks.common import (
    SUBJECT,
    DisagreementError,
    build_entry,
    load_average,
    measure_each,
    results_of,
    say_with,
    timing_of,
)
from benchmarks.data import DEFAULT_DATA_DIR
from benchmarks.journey_dfg_data import ensure_journey_dataset
from benchmarks.journey_dfg_impls import DFG_SQL, GRAPH_ONLY, factories
from benchmarks.workspace import ensure_workspace

NAME = "journey-dfg"
DEFAULT_ROWS = 10_000_000
DEFAULT_SEED = 20240601
BASELINES = ("duckdb-sql", "pm4py")
PM4PY_ROWS = 2_000_000
TARGETS = {"ratios": {"duckdb-sql": 1.5, "pm4py": 0.1}}
KEYS = ["source", "target"]


def run(
    rows: int = DEFAULT_ROWS,
    *,
    seed: int = DEFAULT_SEED,
    repeat: int = 3,
    warmup: int = 1,
    data_dir: Path = DEFAULT_DATA_DIR,
    rebuild: bool = False,
    log: Callable[[str], None] | None = None,
    pm4py_rows: int | None = None,
) -> dict[str, Any]:
    """Run the journey-dfg benchmark and return its results entry.

    Args:
        rows: events to generate (10 million by default).
        seed: generator seed.
        repeat: timed runs per implementation; the best is reported.
        warmup: untimed runs before them.
        data_dir: where the Parquet and the Workspace file are cached.
        rebuild: load the Workspace file again even when a cached one exists.
        log: called with a line of progress now and then.
        pm4py_rows: events pm4py runs on (default: ``min(rows, PM4PY_ROWS)``).

    Returns:
        The results.json entry, with ``agreement`` and ``pm4py`` (the rows it ran on, its
        measured seconds, and the scaling applied).

    Raises:
        DisagreementError: when the graphs or funnels differ.
    """
    say = say_with(log)
    load_before = load_average()
    small = min(rows, pm4py_rows or PM4PY_ROWS)
    say(f"{NAME}: data for {rows:,} events (seed {seed})")
    ds = ensure_journey_dataset(rows, seed, Path(data_dir))
    db = ensure_workspace(ds, rebuild=rebuild)
    parquet = ds.tables["events"]
    jobs = factories(str(db), str(parquet), small)
    measured = measure_each(NAME, jobs, repeat=repeat, warmup=warmup, say=say)
    graph = measured.pop(GRAPH_ONLY)
    results = results_of(measured)
    _same_graph(graph.results["dfg"], results[SUBJECT]["dfg"], "cxlens graph alone", 1e-9)
    agreement = check_agreement(results, parquet, small)
    measured_pm4py = measured["pm4py"].best
    scale = rows / small
    # compare per event: pm4py's time scaled to the engines' size
    measured["pm4py"].seconds = [s * scale for s in measured["pm4py"].seconds]
    measured["pm4py"].cpu_seconds = [s * scale for s in measured["pm4py"].cpu_seconds]
    notes = []
    if scale != 1:
        notes.append(
            f"pm4py ran on the first {small:,} of {rows:,} events ({measured_pm4py:.2f} s, "
            f"peak {measured['pm4py'].peak_mb:.0f} MB); its seconds are scaled by {scale:g} "
            "(linear in events); its peak memory is at the smaller size"
        )
    notes.append("pm4py times the graph only (read + discover_dfg + performance dfg): no funnel")
    graph_only = {
        "cxlens_seconds": graph.best,
        "cxlens_cpu_seconds": graph.best_cpu,
        "cxlens_peak_mb": round(graph.peak_mb, 1),
        "pm4py_seconds": measured["pm4py"].best,
        "ratio": graph.best / measured["pm4py"].best,
        "cpu_ratio": graph.best_cpu / measured["pm4py"].best_cpu,
    }
    notes.append(
        f"graph alone (like for like with pm4py): cxlens {graph.best:.2f} s against pm4py "
        f"{measured['pm4py'].best:.2f} s, {1 / graph_only['ratio']:.1f}x faster "
        f"({1 / graph_only['cpu_ratio']:.1f}x by CPU)"
    )
    return build_entry(
        NAME,
        rows,
        seed,
        measured,
        BASELINES,
        notes=notes,
        timing=timing_of(repeat, warmup),
        targets=TARGETS,
        extra={
            "agreement": agreement,
            "pm4py": {"rows": small, "seconds": measured_pm4py, "scale": scale},
            "graph_only": graph_only,
            "load_average_before": load_before,
        },
    )


def _same_graph(a: pd.DataFrame, b: pd.DataFrame, what: str, rtol: float) -> int:
    x = a.set_index(KEYS).sort_index()
    y = b.set_index(KEYS).sort_index()
    if not x.index.equals(y.index):
        raise DisagreementError(f"{what}: the graphs have different edges")
    if (x["count"].astype("int64") != y["count"].astype("int64")).any():
        raise DisagreementError(f"{what}: edge counts differ")
    for col in ("mean_seconds", "median_seconds"):
        if not np.allclose(x[col].astype(float), y[col].astype(float), rtol=rtol, atol=1e-6):
            raise DisagreementError(f"{what}: {col} differs beyond {rtol:g}")
    return len(x)


def check_agreement(
    results: dict[str, dict[str, pd.DataFrame]], parquet: Path, pm4py_rows: int
) -> dict[str, Any]:
    """Check the three implementations agree; return what was compared.

    Raises:
        DisagreementError: any graph or funnel count differs (see the module docstring).
    """
    ours, sql = results[SUBJECT], results["duckdb-sql"]
    edges = _same_graph(ours["dfg"], sql["dfg"], "cxlens vs duckdb-sql", 1e-9)
    a = ours["funnel"]["entered"].astype("int64").tolist()
    b = sql["funnel"]["entered"].astype("int64").tolist()
    if a != b:
        raise DisagreementError(f"funnel counts differ: cxlens {a}, duckdb-sql {b}")
    prefix = reference_dfg(parquet, pm4py_rows)
    pm_edges = _same_graph(results["pm4py"]["dfg"], prefix, "pm4py vs SQL on its events", 1e-6)
    return {
        "edges": edges,
        "transitions": int(ours["dfg"]["count"].sum()),
        "funnel": a,
        "pm4py_edges": pm_edges,
        "pm4py_rows": pm4py_rows,
    }


def reference_dfg(parquet: Path, rows: int) -> pd.DataFrame:
    """Return the graph of the first ``rows`` events of the file, by the hand-written SQL."""
    con = duckdb.connect()
    path = str(parquet).replace("'", "''")
    con.execute(
        "CREATE TEMP VIEW events AS SELECT * FROM read_parquet("
        f"'{path}', file_row_number = true) WHERE file_row_number < {int(rows)}"
    )
    return con.execute(DFG_SQL).fetch_df()
