"""Generated data of the clv-fit benchmark: one row per customer, cached as Parquet.

A million customers' (frequency, recency, T, monetary_value) drawn from the BG/NBD and
Gamma-Gamma stories with known parameters (the published CDNOW fits, alpha turned from weeks
into days), vectorised numpy, fixed seed:

* T: whole days since the first purchase, uniform on 1..730;
* lambda ~ Gamma(r, alpha), dropout p ~ Beta(a, b); the customer stops after the D-th repeat
  purchase, D ~ Geometric(p); N ~ Poisson(lambda T) purchases would fall in (0, T];
  frequency x = min(N, D), and recency is the x-th of N uniform arrival times, i.e.
  T * Beta(x, N - x + 1), rounded down to whole days (what a daily transaction log gives);
* each transaction is Gamma(p, nu) with nu ~ Gamma(q, gamma); the mean of x of them is
  Gamma(p x, nu x), rounded to cents (at least 0.01); 0 for customers without repeats.

Files are cached under ``benchmarks/data/`` keyed by size, seed and generator version.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from benchmarks.data import DEFAULT_DATA_DIR, Dataset, _write_atomically, cached_dataset

#: Bump when the generator changes, so cached files from an older generator are not reused.
GENERATOR_VERSION = 1

#: Planted BG/NBD parameters: CDNOW's published fit with alpha in days (4.414 weeks * 7).
TRUTH_BG = {"r": 0.243, "alpha": 4.414 * 7, "a": 0.793, "b": 2.426}
#: Planted Gamma-Gamma parameters: CDNOW's published fit.
TRUTH_GG = {"p": 6.25, "q": 3.74, "gamma": 15.44}
#: Longest customer age T, in days.
MAX_AGE_DAYS = 730


def clv_dataset_paths(rows: int, seed: int, data_dir: Path = DEFAULT_DATA_DIR) -> Dataset:
    """Return where the clv-fit dataset of ``rows`` customers and ``seed`` is (or would be)."""
    return cached_dataset(
        rows, seed, data_dir, version=GENERATOR_VERSION, tables=("summary",), prefix="clv-fit-"
    )


def ensure_clv_dataset(
    rows: int, seed: int = 20240601, data_dir: Path = DEFAULT_DATA_DIR
) -> Dataset:
    """Return the clv-fit dataset, generating and caching it if it is missing.

    Args:
        rows: number of customers.
        seed: seed of the generator; the same rows and seed give the same bytes.
        data_dir: cache folder.

    Returns:
        Dataset whose ``files["summary"]`` is the Parquet file.
    """
    if rows < 1:
        raise ValueError(f"rows must be at least 1, not {rows}")
    ds = clv_dataset_paths(rows, seed, data_dir)
    path = ds.files["summary"]
    if path.is_file():
        return ds
    path.parent.mkdir(parents=True, exist_ok=True)
    table = simulate_summary(rows, np.random.default_rng(np.random.SeedSequence([seed, rows, 5])))
    _write_atomically(path, lambda tmp: pq.write_table(table, tmp, compression="zstd"))
    return ds


def simulate_summary(n: int, rng: np.random.Generator) -> pa.Table:
    """Return ``n`` customers' frequency, recency, T and monetary_value (see the module doc)."""
    r, alpha, a, b = TRUTH_BG.values()
    p, q, gamma = TRUTH_GG.values()
    big_t = rng.integers(1, MAX_AGE_DAYS + 1, n).astype(float)
    rate = rng.gamma(r, 1 / alpha, n)
    dropout = rng.beta(a, b, n)
    lifetime = rng.geometric(dropout)  # repeat purchases until the one after which they stop
    arrivals = rng.poisson(rate * big_t)
    x = np.minimum(arrivals, lifetime)
    repeat = x > 0
    recency = np.zeros(n)
    recency[repeat] = np.floor(
        big_t[repeat] * rng.beta(x[repeat], arrivals[repeat] - x[repeat] + 1)
    )
    nu = rng.gamma(q, 1 / gamma, n)
    spend = np.zeros(n)
    spend[repeat] = np.maximum(
        np.round(rng.gamma(p * x[repeat], 1 / (nu[repeat] * x[repeat])), 2), 0.01
    )
    return pa.table(
        {
            "frequency": pa.array(x.astype(np.int64)),
            "recency": pa.array(recency),
            "T": pa.array(big_t),
            "monetary_value": pa.array(spend),
        }
    )
