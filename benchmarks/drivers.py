"""Benchmark "drivers": relative weights of NPS on five driver ratings, with a 1,000 bootstrap.

One run: generate (or reuse) a million responses with NPS and five 1-5 driver ratings
(:mod:`benchmarks.drivers_data`), load them into a Workspace DuckDB file, then time cxlens
(``ws.analysis.drivers("nps", bootstrap=1000, seed=0)``) and the "statsmodels-pandas"
baseline (read the Parquet, relative weights from the correlation matrix, 1,000 row
resamples) each in a fresh subprocess (:mod:`benchmarks.drivers_impls`).

The baseline redraws a million rows and recomputes the correlation matrix a thousand times,
about 0.1 s a resample on the development machine, so it runs once, without a warm-up (a
run of a minute or two is not disturbed the way a run of a second is); cxlens runs
``warmup`` + ``repeat`` times as usual.

Before anything is reported the results must agree: the same complete responses (n), point
estimates (raw and rescaled weights, correlations, standardized coefficients, R²) equal to
1e-9 relative, and 95% interval widths within 15% of each other (the two draw different
resamples: a multinomial over answer patterns against a row index), each interval holding
its point estimate.

Example:
    >>> entry = run(rows=20_000, repeat=1, warmup=0)  # doctest: +SKIP
    >>> sorted(entry["ratios"])
    ['statsmodels-pandas']
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
    best_of,
    build_entry,
    capped_runs,
    load_average,
    measure_each,
    results_of,
    say_with,
)
from benchmarks.data import DEFAULT_DATA_DIR
from benchmarks.drivers_data import ensure_drivers_dataset
from benchmarks.drivers_impls import BOOTSTRAP, factories
from benchmarks.measure import Measurement
from benchmarks.workspace import ensure_workspace

NAME = "drivers"
DEFAULT_ROWS = 1_000_000
DEFAULT_SEED = 20240601
BASELINES = ("statsmodels-pandas",)
#: Timed runs and warm-ups of the baseline at most (it takes a minute or more at 1M rows).
BASELINE_REPEAT = 1
BASELINE_WARMUP = 0
BASELINE_RUNS = (BASELINE_REPEAT, BASELINE_WARMUP)

#: Point estimates compared to 1e-9 relative.
POINT_COLUMNS = ("raw_weight", "rescaled_weight", "correlation", "beta", "r_squared")
RTOL = 1e-9
ATOL = 1e-12
#: Largest relative difference of two bootstrap interval widths.
WIDTH_TOLERANCE = 0.15


def run(
    rows: int = DEFAULT_ROWS,
    *,
    seed: int = DEFAULT_SEED,
    repeat: int = 3,
    warmup: int = 1,
    data_dir: Path = DEFAULT_DATA_DIR,
    rebuild: bool = False,
    log: Callable[[str], None] | None = None,
    bootstrap: int = BOOTSTRAP,
) -> dict[str, Any]:
    """Run the drivers benchmark and return its results entry.

    Args:
        rows: survey responses to generate (1 million by default).
        seed: generator seed.
        repeat: timed runs of cxlens; the best is reported (the baseline runs once).
        warmup: untimed cxlens runs before them.
        data_dir: where the generated Parquet and the Workspace file are cached.
        rebuild: load the Workspace file again even when a cached one exists.
        log: called with a line of progress now and then.
        bootstrap: resamples, for both implementations.

    Returns:
        The results.json entry (see ``benchmarks/README.md``), with ``agreement`` (largest
        point-estimate difference, interval width ratios) and ``bootstrap``.

    Raises:
        DisagreementError: when the implementations' figures differ.
    """
    load_before = load_average()
    measured = measure_all(
        rows, seed=seed, repeat=repeat, warmup=warmup, data_dir=data_dir, rebuild=rebuild,
        log=log, bootstrap=bootstrap,
    )  # fmt: skip
    agreement = check_agreement(results_of(measured))
    return make_entry(
        rows, seed, repeat, warmup, measured, agreement, bootstrap, load_before=load_before
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
    bootstrap: int = BOOTSTRAP,
) -> dict[str, Measurement]:
    """Prepare the data and measure both implementations, each in a fresh subprocess.

    Returns:
        ``{implementation: Measurement}`` with their ``weights`` frames.
    """
    say = say_with(log)
    say(f"drivers: data for {rows:,} responses (seed {seed})")
    ds = ensure_drivers_dataset(rows, seed, Path(data_dir))
    db = ensure_workspace(ds, rebuild=rebuild)
    return measure_each(
        NAME,
        factories(bootstrap),
        db,
        ds,
        repeat=repeat,
        warmup=warmup,
        say=say,
        baseline_most=BASELINE_RUNS,
    )


def check_agreement(results: dict[str, dict[str, pd.DataFrame]]) -> dict[str, Any]:
    """Check cxlens and the baseline agree; return how closely.

    Returns:
        ``{"max_relative_difference": {column: largest relative difference of the point
        estimates}, "interval_width_ratios": {driver or "r_squared": cxlens width / baseline
        width}}``.

    Raises:
        DisagreementError: different drivers or n, point estimates further apart than 1e-9
            relative, interval widths more than 15% apart, an interval that misses its
            estimate, or a baseline whose relative weights do not add up to OLS's R².
    """
    ours = results[SUBJECT]["weights"]
    theirs = results[BASELINES[0]]["weights"]
    problems: list[str] = []
    if list(ours["driver"]) != list(theirs["driver"]):
        raise DisagreementError(
            f"different drivers: cxlens {list(ours['driver'])}, baseline {list(theirs['driver'])}"
        )
    if not (ours["n"].to_numpy() == theirs["n"].to_numpy()).all():
        problems.append(f"n: cxlens {ours['n'].iloc[0]}, baseline {theirs['n'].iloc[0]}")
    largest: dict[str, float] = {}
    for col in POINT_COLUMNS:
        a, b = ours[col].to_numpy(dtype=float), theirs[col].to_numpy(dtype=float)
        largest[col] = float(np.max(np.abs(a - b) / np.maximum(np.abs(b), ATOL)))
        for i in np.flatnonzero(~np.isclose(a, b, rtol=RTOL, atol=ATOL)):
            problems.append(f"{col} of {ours['driver'].iloc[i]}: {a[i]!r} vs {b[i]!r}")
    ols = theirs["ols_r_squared"].to_numpy(dtype=float)
    if not np.allclose(theirs["r_squared"], ols, rtol=RTOL, atol=ATOL):
        problems.append(f"baseline: relative weights add up to {theirs['r_squared'].iloc[0]!r}, "
                        f"OLS R² is {ols[0]!r}")  # fmt: skip
    ratios: dict[str, float] = {}
    sides = [
        (ours["driver"].tolist(), "ci_low", "ci_high", "rescaled_weight"),
        (["r_squared"], "r_squared_ci_low", "r_squared_ci_high", "r_squared"),
    ]
    for labels, low, high, estimate in sides:
        for i, label in enumerate(labels):
            widths = []
            for who, frame in (("cxlens", ours), ("baseline", theirs)):
                lo, hi, est = (float(frame[c].iloc[i]) for c in (low, high, estimate))
                if not lo <= est <= hi:
                    problems.append(f"{who}'s interval of {label} [{lo}, {hi}] misses {est}")
                widths.append(hi - lo)
            ratios[label] = widths[0] / widths[1]
            if not abs(widths[0] / widths[1] - 1.0) <= WIDTH_TOLERANCE:
                problems.append(
                    f"interval width of {label}: cxlens {widths[0]:.4g}, baseline "
                    f"{widths[1]:.4g} (ratio {ratios[label]:.3f}, tolerance {WIDTH_TOLERANCE:.0%})"
                )
    if problems:
        raise DisagreementError("cxlens and the baseline disagree:\n" + "\n".join(problems))
    return {"max_relative_difference": largest, "interval_width_ratios": ratios}


def make_entry(
    rows: int,
    seed: int,
    repeat: int,
    warmup: int,
    measured: dict[str, Measurement],
    agreement: dict[str, Any],
    bootstrap: int = BOOTSTRAP,
    *,
    load_before: list[float] | None = None,
) -> dict[str, Any]:
    """Return the results entry of one run from its measurements and agreement figures."""
    reps, warm = capped_runs(repeat, warmup, BASELINE_RUNS)
    timing = (
        f"wall clock; cxlens {best_of(repeat, warmup)}, baseline {best_of(reps, warm)} "
        f"(all {bootstrap:,} resamples, not scaled); one fresh process each"
    )
    weights = measured[SUBJECT].results["weights"]
    extra = {
        "bootstrap": bootstrap,
        "complete_responses": int(weights["n"].iloc[0]),
        "agreement": agreement,
        "load_average_before": load_before,
    }
    return build_entry(NAME, rows, seed, measured, BASELINES, notes=[], timing=timing, extra=extra)
