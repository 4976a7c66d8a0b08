"""Benchmark "churn-train": churn model training, calibration and scoring on a million customers.

One run: generate (or reuse) a per-customer feature table with a known churn mechanism
(:mod:`benchmarks.churn_train_data`), then time cxlens's ``ChurnModel`` (LightGBM, early
stopping and isotonic calibration on a slice the trees never saw) and the "sklearn-hgb"
baseline (``HistGradientBoostingClassifier`` + ``CalibratedClassifierCV`` on the same
slices), each reading the Parquet, training, calibrating and scoring every customer in a
fresh subprocess (:mod:`benchmarks.churn_train_impls`), with its peak memory.

Agreement, before anything is reported: cxlens's ROC-AUC on the test part is not worse than
the baseline's by more than 0.01; the quality figures of both go into the entry.

Example:
    >>> entry = run(rows=20_000, repeat=1, warmup=0)  # doctest: +SKIP
    >>> sorted(entry["ratios"])
    ['sklearn-hgb']
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd

from benchmarks.churn_train_data import ensure_churn_train_data
from benchmarks.churn_train_impls import factories
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
from benchmarks.measure import Measurement

NAME = "churn-train"
DEFAULT_ROWS = 1_000_000
DEFAULT_SEED = 20240601
BASELINES = ("sklearn-hgb",)
#: Most ROC-AUC cxlens may lose against the baseline on the test part.
AUC_TOLERANCE = 0.01


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
    """Run the churn-train benchmark and return its results entry.

    Args:
        rows: customers in the feature table (1 million by default).
        seed: generator seed.
        repeat: timed runs per implementation; the best is reported.
        warmup: untimed runs before them.
        data_dir: where the generated Parquet is cached.
        rebuild: accepted for the common interface; the table is regenerated only when its
            cached file is missing.
        log: called with a line of progress now and then.

    Returns:
        The results.json entry (see ``benchmarks/README.md``) with ``quality`` (test
        ROC-AUC, PR-AUC, Brier, base rate, rows scored, trees per implementation).

    Raises:
        DisagreementError: cxlens's test ROC-AUC is more than 0.01 below the baseline's.
    """
    load_before = load_average()
    measured = measure_all(rows, seed=seed, repeat=repeat, warmup=warmup, data_dir=data_dir,
                           log=log)  # fmt: skip
    quality = check_agreement(results_of(measured))
    return make_entry(rows, seed, repeat, warmup, measured, quality, load_before=load_before)


def measure_all(
    rows: int,
    *,
    seed: int = DEFAULT_SEED,
    repeat: int = 3,
    warmup: int = 1,
    data_dir: Path = DEFAULT_DATA_DIR,
    log: Callable[[str], None] | None = None,
) -> dict[str, Measurement]:
    """Prepare the data and measure both implementations, each in a fresh subprocess."""
    say = say_with(log)
    say(f"churn-train: data for {rows:,} customers (seed {seed})")
    path = ensure_churn_train_data(rows, seed, Path(data_dir))
    return measure_each(NAME, factories(), str(path), repeat=repeat, warmup=warmup, say=say)


def check_agreement(results: dict[str, dict[str, pd.DataFrame]]) -> dict[str, dict[str, float]]:
    """Return each implementation's test quality; raise when cxlens's AUC trails too far.

    Raises:
        DisagreementError: cxlens's ROC-AUC is more than ``AUC_TOLERANCE`` below the
            baseline's, or the two scored different numbers of customers.
    """
    quality = {name: r["quality"].iloc[0].to_dict() for name, r in results.items()}
    ours, theirs = quality[SUBJECT], quality[BASELINES[0]]
    if ours["scored"] != theirs["scored"]:
        raise DisagreementError(
            f"cxlens scored {ours['scored']} customers, the baseline {theirs['scored']}"
        )
    if ours["roc_auc"] < theirs["roc_auc"] - AUC_TOLERANCE:
        raise DisagreementError(
            f"cxlens's test ROC-AUC {ours['roc_auc']:.4f} is more than {AUC_TOLERANCE} below "
            f"the baseline's {theirs['roc_auc']:.4f}"
        )
    return {name: {k: float(v) for k, v in q.items()} for name, q in quality.items()}


def make_entry(
    rows: int,
    seed: int,
    repeat: int,
    warmup: int,
    measured: dict[str, Measurement],
    quality: dict[str, dict[str, float]],
    *,
    load_before: list[float] | None = None,
) -> dict[str, Any]:
    """Return the results entry of one run from its measurements and quality figures."""
    ours, theirs = quality[SUBJECT], quality[BASELINES[0]]
    notes = [
        f"test ROC-AUC: cxlens {ours['roc_auc']:.4f}, sklearn-hgb {theirs['roc_auc']:.4f}; "
        f"Brier: cxlens {ours['brier']:.5f}, sklearn-hgb {theirs['brier']:.5f}"
    ]
    return build_entry(
        NAME,
        rows,
        seed,
        measured,
        BASELINES,
        notes=notes,
        timing=timing_of(
            repeat, warmup, "wall clock of read + train + calibrate + score every customer"
        ),
        extra={"quality": quality, "load_average_before": load_before},
    )
