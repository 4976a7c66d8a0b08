"""Generated data of the "drivers" benchmark: NPS and five driver ratings, cached as Parquet.

Each response rates five drivers on 1-5 and gives an NPS answer on 0-10. Behind the ratings
are five latent driver levels ``d_j`` (standard normal, pairwise correlated 0.3 through one
common factor, as ratings of one experience are); each rating is ``d_j`` rounded onto 1-5.
The NPS answer follows a latent score with known weights,

    score = 0.40 d_ease + 0.25 d_speed + 0.15 d_staff + 0.12 d_price + 0.08 d_app + noise,

rounded onto 0-10, so the order of importance is known: ease, speed, staff, price, app. Each
driver is skipped in 2% of the responses (the complete-case analysis keeps about 90%).
Responses are spread over 24 months from 50,000 customers.

The generator is vectorised numpy with a fixed seed, written in 1M-row chunks, and cached under
``benchmarks/data/`` keyed by size, seed and generator version, like the core-metrics data.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from benchmarks.data import (
    CHUNK_ROWS,
    DEFAULT_DATA_DIR,
    MONTHS,
    START,
    Dataset,
    _ids,
    _write_atomically,
    cached_dataset,
)

#: Bump when the generator changes, so cached files from an older generator are not reused.
GENERATOR_VERSION = 1

#: Driver column -> its weight in the latent score behind NPS.
WEIGHTS: dict[str, float] = {
    "driver_ease": 0.40,
    "driver_speed": 0.25,
    "driver_staff": 0.15,
    "driver_price": 0.12,
    "driver_app": 0.08,
}
#: Loading of every latent driver on the common factor (pairwise correlation = its square).
COMMON_LOADING = 0.55
#: Share of responses that skip each driver.
SKIP_SHARE = 0.02
CUSTOMERS = 50_000


def drivers_dataset_paths(rows: int, seed: int, data_dir: Path = DEFAULT_DATA_DIR) -> Dataset:
    """Return where the drivers dataset of ``rows`` and ``seed`` is (or would be) cached."""
    return cached_dataset(
        rows, seed, data_dir, version=GENERATOR_VERSION, tables=("responses",), prefix="drivers-"
    )


def ensure_drivers_dataset(
    rows: int, seed: int = 20240601, data_dir: Path = DEFAULT_DATA_DIR
) -> Dataset:
    """Return the drivers dataset of ``rows`` responses, generating and caching it if missing.

    Args:
        rows: number of survey responses.
        seed: seed of the generator; the same rows and seed give the same bytes.
        data_dir: cache folder.

    Returns:
        Dataset with the path of its responses Parquet.
    """
    if rows < 1:
        raise ValueError(f"rows must be at least 1, not {rows}")
    ds = drivers_dataset_paths(rows, seed, data_dir)
    if ds.responses.is_file():
        return ds
    ds.responses.parent.mkdir(parents=True, exist_ok=True)

    def write(path: Path) -> None:
        with pq.ParquetWriter(path, SCHEMA, compression="zstd") as writer:
            starts = range(0, rows, CHUNK_ROWS)
            seeds = np.random.SeedSequence([seed, rows, 2]).spawn(len(starts))
            for start, chunk_seed in zip(starts, seeds, strict=True):
                size = min(CHUNK_ROWS, rows - start)
                writer.write_table(generate(start, size, np.random.default_rng(chunk_seed)))

    _write_atomically(ds.responses, write)
    return ds


def generate(start: int, size: int, rng: np.random.Generator) -> pa.Table:
    """Return ``size`` responses numbered from ``start``: NPS and five 1-5 driver ratings."""
    common = rng.standard_normal(size)
    unique = np.sqrt(1.0 - COMMON_LOADING**2)
    latent = COMMON_LOADING * common[:, None] + unique * rng.standard_normal((size, len(WEIGHTS)))
    offsets = np.linspace(3.6, 3.0, len(WEIGHTS))  # some drivers rate higher than others
    ratings = np.clip(np.rint(offsets + 1.05 * latent), 1, 5).astype(np.float64)
    score = latent @ np.array(list(WEIGHTS.values())) + rng.normal(0.0, 0.45, size)
    nps = np.clip(np.rint(7.4 + 2.6 * score + rng.normal(0.0, 0.8, size)), 0, 10).astype(np.int8)
    skipped = rng.random((size, len(WEIGHTS))) < SKIP_SHARE

    span_us = np.int64(MONTHS * 30.4 * 86_400e6)
    responded_at = START + (rng.random(size) * span_us).astype("timedelta64[us]")
    who = rng.integers(1, CUSTOMERS + 1, size)
    columns: dict[str, pa.Array] = {
        "response_id": _ids("R", np.arange(start + 1, start + size + 1), 9),
        "customer_id": _ids("C", who, 6),
        "responded_at": pa.array(responded_at, pa.timestamp("us")),
        "nps": pa.array(nps, pa.int8()),
    }
    for j, name in enumerate(WEIGHTS):
        columns[name] = pa.array(ratings[:, j], pa.float64(), mask=skipped[:, j])
    return pa.table(columns, schema=SCHEMA)


SCHEMA = pa.schema(
    [
        ("response_id", pa.string()),
        ("customer_id", pa.string()),
        ("responded_at", pa.timestamp("us")),
        ("nps", pa.int8()),
        *((name, pa.float64()) for name in WEIGHTS),
    ]
)
