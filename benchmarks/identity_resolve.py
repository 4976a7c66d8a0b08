"""Benchmark "identity-resolve": single customer view over a million identity records.

One run: generate (or reuse) identity records with known true identities
(:func:`cxlens.identity.testdata.generate_identities`: four sources, typos, swapped names,
nicknames, Cyrillic, moves, other e-mails and phone formats, missing fields; about 2.4 records
per person), load them into a Workspace DuckDB file, then time cxlens (``Identity.resolve()``)
and the "deterministic-union" baseline (exact e-mail, phone, or name + date of birth, in
DuckDB), each in a fresh subprocess (:mod:`benchmarks.identity_resolve_impls`). Then the two
real labelled sets (FEBRL 3 and Splink's ``fake_1000``) are resolved by cxlens, by Splink run
directly with its own example settings and by the deterministic union
(:mod:`benchmarks.identity_resolve_real`).

The methods do different work, so there is no agreement check: the entry reports each one's
pairwise precision, recall and F1 against the true identities, the pairs cxlens compared and
its blocking rules. Targets: F1 >= 0.95 on the generated records; on each real set cxlens's
F1 at or above both Splink run directly and the deterministic union.

Example:
    >>> entry = run(rows=20_000, repeat=1, warmup=0)  # doctest: +SKIP
    >>> entry["quality"]["cxlens"]["f1"] >= 0.95  # doctest: +SKIP
    True
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import ibis
import pandas as pd

from benchmarks.common import SUBJECT, build_entry, load_average, measure_each, say_with, timing_of
from benchmarks.data import DEFAULT_DATA_DIR
from benchmarks.identity_resolve_impls import factories
from benchmarks.measure import Measurement
from benchmarks.workspace import ensure_workspace

NAME = "identity-resolve"
DEFAULT_ROWS = 1_000_000
DEFAULT_SEED = 20261122
BASELINES = ("deterministic-union",)
#: Records per person the generator gives on average (to size the people drawn).
RECORDS_PER_PERSON = 2.36
GENERATOR_VERSION = 1
F1_TARGET = 0.95


@dataclass(frozen=True)
class IdentityDataset:
    """Cached Parquet of generated identity records and their truth."""

    rows: int
    seed: int
    folder: Path

    @property
    def key(self) -> str:
        """Cache key: size, seed and generator version."""
        return f"identities-{self.rows}-s{self.seed}-g{GENERATOR_VERSION}"

    @property
    def tables(self) -> dict[str, Path]:
        """Canonical table -> Parquet file."""
        return {"identities": self.folder / f"{self.key}.parquet"}

    @property
    def truth(self) -> Path:
        """The true person of every record."""
        return self.folder / f"{self.key}-truth.parquet"


def ensure_identity_dataset(rows: int, seed: int, data_dir: Path) -> IdentityDataset:
    """Generate the records (about ``rows`` of them) unless cached; return the dataset."""
    from cxlens.identity.testdata import generate_identities

    ds = IdentityDataset(rows, seed, Path(data_dir))
    ds.folder.mkdir(parents=True, exist_ok=True)
    if not (ds.tables["identities"].is_file() and ds.truth.is_file()):
        sample = generate_identities(people=max(1, round(rows / RECORDS_PER_PERSON)), seed=seed)
        sample.truth.to_parquet(ds.truth, index=False)
        sample.records.to_parquet(ds.tables["identities"], index=False)
    return ds


def run(
    rows: int = DEFAULT_ROWS,
    *,
    seed: int = DEFAULT_SEED,
    repeat: int = 1,
    warmup: int = 0,
    data_dir: Path = DEFAULT_DATA_DIR,
    rebuild: bool = False,
    log: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """Run the identity-resolve benchmark and return its results entry.

    Args:
        rows: identity records to generate (about; 1 million by default).
        seed: generator seed.
        repeat: timed runs per implementation; the best is reported (1 by default: a run
            at full size takes minutes).
        warmup: untimed runs before them.
        data_dir: where the generated Parquet and the Workspace file are cached.
        rebuild: load the Workspace file again even when a cached one exists.
        log: called with a line of progress now and then.

    Returns:
        The results.json entry, with ``quality`` (precision, recall, F1 per implementation),
        ``real_data`` (per real set and method: precision, recall, F1, seconds),
        ``pairs_compared``, ``links``, ``customers``, ``blocking_rules`` and ``records``.
    """
    from benchmarks.identity_resolve_real import run_real

    load_before = load_average()
    measured, ds = measure_all(
        rows, seed=seed, repeat=repeat, warmup=warmup, data_dir=data_dir, rebuild=rebuild, log=log
    )
    say_with(log)(f"{NAME}: real sets (FEBRL 3, fake_1000): cxlens, splink-direct, union")
    real = run_real()
    return make_entry(rows, seed, repeat, warmup, measured, ds, load_before=load_before, real=real)


def measure_all(
    rows: int,
    *,
    seed: int = DEFAULT_SEED,
    repeat: int = 1,
    warmup: int = 0,
    data_dir: Path = DEFAULT_DATA_DIR,
    rebuild: bool = False,
    log: Callable[[str], None] | None = None,
) -> tuple[dict[str, Measurement], IdentityDataset]:
    """Prepare the data and measure both implementations, each in a fresh subprocess."""
    say = say_with(log)
    say(f"{NAME}: data for about {rows:,} records (seed {seed})")
    ds = ensure_identity_dataset(rows, seed, Path(data_dir))
    db = ensure_workspace(ds, rebuild=rebuild)
    measured = measure_each(NAME, factories(), db, repeat=repeat, warmup=warmup, say=say)
    return measured, ds


def quality(clusters: pd.DataFrame, truth: pd.DataFrame) -> dict[str, float]:
    """Pairwise precision, recall and F1 of ``clusters`` against ``truth`` (cxlens's scorer)."""
    from cxlens.identity.evaluate import pairwise_scores

    con = ibis.duckdb.connect()
    a = con.create_table("a", clusters[["source", "source_id", "customer_id"]])
    t = con.create_table("t", truth)
    row = pairwise_scores(a, t).iloc[0]
    return {k: float(row[k]) for k in ("precision", "recall", "f1")} | {
        k: int(row[k]) for k in ("records", "true_pairs", "predicted_pairs", "true_positives")
    }


def make_entry(
    rows: int,
    seed: int,
    repeat: int,
    warmup: int,
    measured: dict[str, Measurement],
    ds: IdentityDataset,
    *,
    load_before: list[float] | None = None,
    real: dict[str, dict[str, dict[str, float]]] | None = None,
) -> dict[str, Any]:
    """Return the results entry from the measurements and the quality of each side.

    ``real``: the scores of :func:`benchmarks.identity_resolve_real.run_real`, if run.
    """
    truth = pd.read_parquet(ds.truth)
    scores = {name: quality(m.results["clusters"], truth) for name, m in measured.items()}
    summary = measured[SUBJECT].results["summary"].iloc[0]
    notes = [
        f"{name}: precision {s['precision']:.4f}, recall {s['recall']:.4f}, F1 {s['f1']:.4f}"
        for name, s in scores.items()
    ]
    real = real or {}
    notes += [
        f"{data} {method}: precision {s['precision']:.4f}, recall {s['recall']:.4f}, "
        f"F1 {s['f1']:.4f}"
        for data, methods in real.items()
        for method, s in methods.items()
    ]
    return build_entry(
        NAME,
        rows,
        seed,
        measured,
        BASELINES,
        notes=notes,
        timing=timing_of(repeat, warmup),
        extra={
            "records": len(truth),
            "quality": scores,
            "f1_target": F1_TARGET,
            "f1_target_met": scores[SUBJECT]["f1"] >= F1_TARGET,
            "pairs_compared": int(summary["pairs_compared"]),
            "links": int(summary["links"]),
            "customers": int(summary["customers"]),
            "blocking_rules": list(measured[SUBJECT].results["blocking_rules"]["rule"]),
            "real_data": real,
            "real_data_target_met": {
                data: all(m[SUBJECT]["f1"] >= m[other]["f1"] for other in m if other != SUBJECT)
                for data, m in real.items()
            },
            "load_average_before": load_before,
        },
    )
