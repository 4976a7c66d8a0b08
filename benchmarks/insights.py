"""Benchmark "insights": the "what changed and where" scan on a million responses.

One run: generate (or reuse) a million responses and their customers with one planted change
(:mod:`benchmarks.insights_data`), load them into a Workspace DuckDB file, then time cxlens
(``ws.analysis.insights()`` with its defaults) and the "pandas" baseline (the same scan
written plainly in pandas on the raw rows of the Parquet files, read time included), each in
a fresh subprocess (:mod:`benchmarks.insights_impls`).

Agreement, before anything is reported:

* required: the top finding is the same (metric, dimension, group and kind) with the same
  value, comparison value and difference (1e-9 relative);
* compared and reported in ``notes`` when they differ: every test of the scan (cxlens's
  ``attrs["tests"]`` against the baseline's: the same tests, n exactly, values and
  differences to 1e-9, p- and q-values to 1e-7 relative) and every row of the ranked
  findings (rank by rank: the same group and kind, figures, lead flag and kind of note).

The scan's ranking rules were still being reworked when this benchmark was written, so only
the top finding stops a run; the notes show at once when the baseline no longer follows
cxlens (``agreement`` in the entry counts what was compared and what differed).

Example:
    >>> entry = run(rows=20_000, repeat=1, warmup=0)  # doctest: +SKIP
    >>> sorted(entry["ratios"])
    ['pandas']
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
    load_average,
    measure_each,
    results_of,
    say_with,
    timing_of,
)
from benchmarks.data import DEFAULT_DATA_DIR
from benchmarks.insights_data import PLANTED, ensure_insights_dataset
from benchmarks.insights_impls import FDR, factories
from benchmarks.measure import Measurement
from benchmarks.workspace import ensure_workspace

NAME = "insights"
DEFAULT_ROWS = 1_000_000
DEFAULT_SEED = 20240601
BASELINES = ("pandas",)

KEYS = ["metric", "dimension", "group", "kind"]
RTOL = 1e-9
ATOL = 1e-12
#: Relative tolerance of p- and q-values (tiny p-values amplify rounding in the sums).
P_RTOL = 1e-7
TEST_FIGURES = (
    *("n", "value", "comparison_value", "difference", "candidates", "p_split", "p_value"),
    *("q_value", "period_start", "comparison_start", "comparison_end"),
)
FINDING_FIGURES = (
    *("metric", "dimension", "group", "kind", "n", "customers_affected", "value"),
    *("comparison_value", "difference", "ci_low", "ci_high", "p_value", "q_value"),
    *("effect_size", "score", "direction", "lead", "note_kind"),
)


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
    """Run the insights benchmark and return its results entry.

    Args:
        rows: survey responses to generate (1 million by default).
        seed: generator seed.
        repeat: timed runs per implementation; the best is reported.
        warmup: untimed runs before them.
        data_dir: where the generated Parquet and the Workspace file are cached.
        rebuild: load the Workspace file again even when a cached one exists.
        log: called with a line of progress now and then.

    Returns:
        The results.json entry (see ``benchmarks/README.md``), with ``agreement`` and ``scan``
        (tests, significant findings, the top finding and whether it is the planted change).

    Raises:
        DisagreementError: when the top findings differ.
    """
    load_before = load_average()
    measured = measure_all(
        rows, seed=seed, repeat=repeat, warmup=warmup, data_dir=data_dir, rebuild=rebuild, log=log
    )
    agreement, notes = check_agreement(results_of(measured))
    for note in notes:
        say_with(log)(f"insights: note: {note}")
    return make_entry(
        rows, seed, repeat, warmup, measured, agreement, notes, load_before=load_before
    )


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
    """Prepare the data and measure both implementations, each in a fresh subprocess.

    Returns:
        ``{implementation: Measurement}`` with their ``findings`` and ``tests`` frames.
    """
    say = say_with(log)
    say(f"insights: data for {rows:,} responses (seed {seed})")
    ds = ensure_insights_dataset(rows, seed, Path(data_dir))
    db = ensure_workspace(ds, rebuild=rebuild)
    return measure_each(NAME, factories(), db, ds, repeat=repeat, warmup=warmup, say=say)


def check_agreement(
    results: dict[str, dict[str, pd.DataFrame]],
) -> tuple[dict[str, Any], list[str]]:
    """Check the top findings agree; compare every test and finding row.

    Returns:
        ``(agreement, notes)``: counts of the tests and findings compared and of those that
        differ, and one note per kind of difference (empty when everything agrees).

    Raises:
        DisagreementError: no findings on one side, or top findings that differ.
    """
    ours, theirs = results[SUBJECT], results[BASELINES[0]]
    top = _top(ours["findings"], theirs["findings"])
    test_notes, tests_differing = compare_tests(ours["tests"], theirs["tests"])
    finding_notes, findings_differing = compare_findings(ours["findings"], theirs["findings"])
    agreement = {
        "top_finding": top,
        "tests": len(ours["tests"]),
        "tests_differing": tests_differing,
        "findings": len(ours["findings"]),
        "findings_differing": findings_differing,
    }
    return agreement, test_notes + finding_notes


def _top(ours: pd.DataFrame, theirs: pd.DataFrame) -> dict[str, Any]:
    if ours.empty or theirs.empty:
        raise DisagreementError(f"no findings: cxlens has {len(ours)}, the baseline {len(theirs)}")
    a, b = ours.iloc[0], theirs.iloc[0]
    problems = [f"{k}: cxlens {a[k]!r}, baseline {b[k]!r}" for k in KEYS if a[k] != b[k]]
    if not problems:
        for col in ("value", "comparison_value", "difference"):
            if not np.isclose(float(a[col]), float(b[col]), rtol=RTOL, atol=ATOL):
                problems.append(f"{col}: cxlens {a[col]!r}, baseline {b[col]!r}")
    if problems:
        raise DisagreementError("the top findings differ:\n" + "\n".join(problems))
    return {k: a[k] for k in KEYS} | {
        "value": float(a["value"]),
        "comparison_value": float(a["comparison_value"]),
        "difference": float(a["difference"]),
    }


def _differs(a: pd.Series, b: pd.Series, col: str) -> np.ndarray:
    """Which rows differ in ``col`` (numbers within tolerance, NaN matching NaN)."""
    if col == "n" or col == "candidates":
        return (a.to_numpy(dtype=float) != b.to_numpy(dtype=float)) & ~(a.isna() & b.isna())
    if pd.api.types.is_numeric_dtype(a) and not pd.api.types.is_bool_dtype(a):
        rtol = P_RTOL if col in ("p_split", "p_value", "q_value") else RTOL
        x, y = a.to_numpy(dtype=float), b.to_numpy(dtype=float)
        return ~np.isclose(x, y, rtol=rtol, atol=ATOL, equal_nan=True)
    return (a.astype(str) != b.astype(str)).to_numpy()


def compare_tests(
    ours: pd.DataFrame, theirs: pd.DataFrame, limit: int = 3
) -> tuple[list[str], int]:
    """Compare two tables of every test, matched on metric, dimension, group and kind.

    Returns:
        ``(notes, differing)``: a note per figure that differs (and for tests on one side
        only), and how many tests differ in anything.
    """
    if ours.empty or not set(KEYS) <= set(ours.columns):
        return ["cxlens's result has no attrs['tests'] to compare"], 0
    merged = ours.merge(theirs, on=KEYS, how="outer", suffixes=("_c", "_b"), indicator="side")
    notes = []
    alone = merged[merged["side"] != "both"]
    if len(alone):
        sample = "; ".join(
            f"{r.metric} {r.dimension}={r.group} {r.kind} ({r.side})"
            for r in alone.head(limit).itertuples()
        )
        notes.append(f"{len(alone)} tests on one side only, e.g. {sample}")
    both = merged[merged["side"] == "both"].reset_index(drop=True)
    bad = np.zeros(len(both), dtype=bool)
    for col in TEST_FIGURES:
        if f"{col}_c" not in both.columns or f"{col}_b" not in both.columns:
            continue
        diff = _differs(both[f"{col}_c"], both[f"{col}_b"], col)
        bad |= diff
        if diff.any():
            rows = both.loc[diff].head(limit)
            sample = "; ".join(
                f"{r['metric']} {r['dimension']}={r['group']} {r['kind']}: "
                f"{r[f'{col}_c']!r} vs {r[f'{col}_b']!r}"
                for _, r in rows.iterrows()
            )
            notes.append(f"tests: {col} differs in {int(diff.sum())} of {len(both)}, e.g. {sample}")
    return notes, int(bad.sum()) + len(alone)


def compare_findings(
    ours: pd.DataFrame, theirs: pd.DataFrame, limit: int = 3
) -> tuple[list[str], int]:
    """Compare the ranked findings rank by rank.

    Returns:
        ``(notes, differing)``: a note per column that differs, and how many ranks differ.
    """
    notes = []
    if len(ours) != len(theirs):
        notes.append(f"findings: cxlens returned {len(ours)} rows, the baseline {len(theirs)}")
    merged = ours.merge(theirs, on="rank", suffixes=("_c", "_b"))
    bad = np.zeros(len(merged), dtype=bool)
    for col in FINDING_FIGURES:
        if f"{col}_c" not in merged.columns:
            continue
        diff = _differs(merged[f"{col}_c"], merged[f"{col}_b"], col)
        bad |= diff
        if diff.any():
            rows = merged.loc[diff].head(limit)
            sample = "; ".join(
                f"rank {r['rank']}: {r[f'{col}_c']!r} vs {r[f'{col}_b']!r}"
                for _, r in rows.iterrows()
            )
            notes.append(f"findings: {col} differs at {int(diff.sum())} ranks, e.g. {sample}")
    return notes, int(bad.sum()) + abs(len(ours) - len(theirs))


def make_entry(
    rows: int,
    seed: int,
    repeat: int,
    warmup: int,
    measured: dict[str, Measurement],
    agreement: dict[str, Any],
    notes: list[str],
    *,
    load_before: list[float] | None = None,
) -> dict[str, Any]:
    """Return the results entry of one run from its measurements and agreement figures."""
    tests = measured[SUBJECT].results["tests"]
    findings = measured[SUBJECT].results["findings"]
    segment, touchpoint, month, effect = PLANTED
    planted = f"{segment} × {touchpoint}"
    scan = {
        "tests": len(tests),
        "significant": int((tests["q_value"] <= FDR).sum()) if "q_value" in tests else None,
        "findings_returned": len(findings),
        "planted": f"{planted}: satisfaction {effect:+g} from month {month + 1} of 24",
        "top_is_planted": bool(len(findings) and findings["group"].iloc[0] == planted),
    }
    return build_entry(
        NAME,
        rows,
        seed,
        measured,
        BASELINES,
        notes=notes,
        timing=timing_of(repeat, warmup),
        extra={"agreement": agreement, "scan": scan, "load_average_before": load_before},
    )
