"""Benchmark "clv-fit": BG/NBD and Gamma-Gamma fitted on a million customers.

One run: generate (or reuse) one row per customer (frequency, recency, T, monetary_value)
drawn from known BG/NBD and Gamma-Gamma parameters (:mod:`benchmarks.clv_fit_data`), then
time cxlens (``BetaGeo().fit`` + ``GammaGamma().fit``) and the "lifetimes" baseline
(``BetaGeoFitter().fit`` + ``GammaGammaFitter().fit``) on the same arrays, each in a fresh
subprocess (:mod:`benchmarks.clv_fit_impls`). Reading the Parquet is not timed.

lifetimes takes ten seconds or more at a million customers, so it runs once without a
warm-up (as the drivers baseline does); cxlens runs ``warmup`` + ``repeat`` times.

Before anything is reported the fits must agree: every parameter equal to 3 significant
digits (within half a unit of the third significant digit of lifetimes' value). The entry
also shows both fits against the planted values.

Example:
    >>> entry = run(rows=20_000, repeat=1, warmup=0)  # doctest: +SKIP
    >>> sorted(entry["ratios"])  # doctest: +SKIP
    ['lifetimes']
"""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd

from benchmarks.clv_fit_data import TRUTH_BG, TRUTH_GG, ensure_clv_dataset
from benchmarks.clv_fit_impls import factories
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
from benchmarks.measure import Measurement

NAME = "clv-fit"
DEFAULT_ROWS = 1_000_000
DEFAULT_SEED = 20240601
BASELINES = ("lifetimes",)
#: Timed runs and warm-ups of the baseline at most (ten seconds or more at 1M customers).
BASELINE_REPEAT = 1
BASELINE_WARMUP = 0
BASELINE_RUNS = (BASELINE_REPEAT, BASELINE_WARMUP)
#: cxlens must take at most this share of lifetimes' time (10x faster).
TARGET_RATIO = 0.1
#: Significant digits the parameters must share.
DIGITS = 3


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
    """Run the clv-fit benchmark and return its results entry.

    Args:
        rows: customers to generate (1 million by default).
        seed: generator seed.
        repeat: timed runs of cxlens; the best is reported (lifetimes runs once).
        warmup: untimed cxlens runs before them.
        data_dir: where the generated Parquet is cached.
        rebuild: accepted for the harness; there is no Workspace file to rebuild.
        log: called with a line of progress now and then.

    Returns:
        The results.json entry (see ``benchmarks/README.md``), with ``agreement`` (the
        parameters side by side) and ``planted`` (the true parameters).

    Raises:
        DisagreementError: when a parameter differs in its first three significant digits.
    """
    load_before = load_average()
    measured = measure_all(
        rows, seed=seed, repeat=repeat, warmup=warmup, data_dir=data_dir, log=log
    )
    agreement = check_agreement(results_of(measured))
    return make_entry(rows, seed, repeat, warmup, measured, agreement, load_before=load_before)


def measure_all(
    rows: int,
    *,
    seed: int = DEFAULT_SEED,
    repeat: int = 3,
    warmup: int = 1,
    data_dir: Path = DEFAULT_DATA_DIR,
    log: Callable[[str], None] | None = None,
) -> dict[str, Measurement]:
    """Prepare the data and measure both implementations, each in a fresh subprocess.

    Returns:
        ``{implementation: Measurement}`` with their ``params`` frames.
    """
    say = say_with(log)
    say(f"clv-fit: data for {rows:,} customers (seed {seed})")
    ds = ensure_clv_dataset(rows, seed, Path(data_dir))
    return measure_each(
        NAME,
        factories(),
        ds,
        repeat=repeat,
        warmup=warmup,
        say=say,
        baseline_most=BASELINE_RUNS,
    )


def same_digits(ours: float, theirs: float, digits: int = DIGITS) -> bool:
    """Return True when ``ours`` is within half a unit of the ``digits``-th significant digit.

    Example:
        >>> same_digits(2.4656, 2.4657), same_digits(2.4656, 2.4706)
        (True, False)
    """
    if theirs == 0 or not (math.isfinite(ours) and math.isfinite(theirs)):
        return ours == theirs
    unit = 10.0 ** (math.floor(math.log10(abs(theirs))) - (digits - 1))
    return abs(ours - theirs) <= unit / 2


def check_agreement(results: dict[str, dict[str, pd.DataFrame]]) -> dict[str, Any]:
    """Check that cxlens and lifetimes give the same parameters to 3 significant digits.

    Returns:
        ``{"parameters": [{model, param, cxlens, lifetimes, relative_difference}, ...],
        "max_relative_difference": float, "digits": 3}``.

    Raises:
        DisagreementError: a parameter missing on one side or differing in its first three
            significant digits.
    """
    ours = results[SUBJECT]["params"].set_index(["model", "param"])["value"]
    theirs = results[BASELINES[0]]["params"].set_index(["model", "param"])["value"]
    if list(ours.index) != list(theirs.index):
        raise DisagreementError(
            f"different parameters: cxlens {list(ours.index)}, lifetimes {list(theirs.index)}"
        )
    rows, problems = [], []
    for (model, param), value in ours.items():
        other = float(theirs[(model, param)])
        rows.append(
            {
                "model": model,
                "param": param,
                "cxlens": float(value),
                "lifetimes": other,
                "relative_difference": abs(float(value) - other) / abs(other),
            }
        )
        if not same_digits(float(value), other):
            problems.append(f"{model} {param}: cxlens {value!r}, lifetimes {other!r}")
    if problems:
        raise DisagreementError(
            f"the fits differ in the first {DIGITS} significant digits:\n" + "\n".join(problems)
        )
    largest = max(r["relative_difference"] for r in rows)
    return {"parameters": rows, "max_relative_difference": largest, "digits": DIGITS}


def make_entry(
    rows: int,
    seed: int,
    repeat: int,
    warmup: int,
    measured: dict[str, Measurement],
    agreement: dict[str, Any],
    *,
    load_before: list[float] | None = None,
) -> dict[str, Any]:
    """Return the results entry of one run from its measurements and agreement figures."""
    reps, warm = capped_runs(repeat, warmup, BASELINE_RUNS)
    timing = (
        f"wall clock of both fits (Parquet read untimed); cxlens {best_of(repeat, warmup)}, "
        f"lifetimes {best_of(reps, warm)}; one fresh process each"
    )
    notes = [
        "lifetimes' fit() also computes the Hessian (autograd) for standard errors; cxlens "
        "does not, and the time includes it as part of the call"
    ]
    extra = {
        "agreement": agreement,
        "planted": {"bg_nbd": TRUTH_BG, "gamma_gamma": TRUTH_GG},
        "load_average_before": load_before,
    }
    return build_entry(
        NAME,
        rows,
        seed,
        measured,
        BASELINES,
        notes=notes,
        timing=timing,
        targets={"ratios": {"lifetimes": TARGET_RATIO}},
        extra=extra,
    )
