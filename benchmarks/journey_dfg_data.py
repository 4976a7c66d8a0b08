"""Generated data of the "journey-dfg" benchmark: an events table of N journey events.

Customers (one per 100 events, at most 200,000) each have a journey whose length is
geometric-ish (heavy tail: a few customers with thousands of events). Each event's touchpoint
is drawn from weights that move from awareness to renewal as the journey goes on, its stage
is the touchpoint's stage, and times advance by whole seconds (exponential gaps, rounded, so
ties in time happen and are broken by ``event_id``). Vectorised numpy with a fixed seed,
written in chunks of whole customers, cached as Parquet under ``benchmarks/data/``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from benchmarks.data import DEFAULT_DATA_DIR, Dataset, _write_atomically, cached_dataset

GENERATOR_VERSION = 1
START = np.datetime64("2024-01-01T00:00:00", "s")
#: touchpoint -> (stage, weight early in a journey, weight late in a journey)
TOUCHPOINTS: dict[str, tuple[str, float, float]] = {
    "social_ad": ("awareness", 0.25, 0.01),
    "search_ad": ("awareness", 0.2, 0.01),
    "website": ("consideration", 0.2, 0.05),
    "plan_comparison": ("consideration", 0.15, 0.01),
    "checkout": ("purchase", 0.1, 0.02),
    "installation": ("onboarding", 0.05, 0.01),
    "app": ("usage", 0.02, 0.4),
    "billing": ("usage", 0.02, 0.25),
    "support": ("support", 0.01, 0.15),
    "renewal": ("renewal", 0.0, 0.09),
}
#: The funnel the benchmark times (stage level).
FUNNEL = ["awareness", "consideration", "purchase", "onboarding", "usage"]
CHUNK_CUSTOMERS = 20_000

_SCHEMA = pa.schema([
    ("event_id", pa.string()), ("customer_id", pa.string()), ("occurred_at", pa.timestamp("us")),
    ("touchpoint", pa.string()), ("stage", pa.string()), ("channel", pa.string()),
    ("duration_seconds", pa.float64()),
])  # fmt: skip


def dataset_paths(rows: int, seed: int, data_dir: Path = DEFAULT_DATA_DIR) -> Dataset:
    """Return where the events of ``rows`` and ``seed`` are (or would be) cached."""
    return cached_dataset(
        rows, seed, data_dir, version=GENERATOR_VERSION, tables=("events",), prefix="journey-"
    )


def journey_lengths(rows: int, rng: np.random.Generator) -> np.ndarray:
    """Return events per customer summing to ``rows`` (heavy-tailed, every customer >= 1)."""
    customers = int(min(200_000, max(10, rows // 100)))
    weights = rng.pareto(1.5, customers) + 0.2
    lengths = np.maximum(1, np.floor(weights / weights.sum() * rows)).astype(np.int64)
    diff = rows - int(lengths.sum())
    # hand out (or take back) the rounding rest one event at a time from the longest journeys
    order = np.argsort(-lengths, kind="stable")
    step = 1 if diff > 0 else -1
    for i in range(abs(diff)):
        lengths[order[i % customers]] += step
    return lengths


def _chunk(
    first_event: int, ids: np.ndarray, lengths: np.ndarray, rng: np.random.Generator
) -> pa.Table:
    n = int(lengths.sum())
    cust = np.repeat(ids, lengths)
    starts = np.repeat(np.cumsum(lengths) - lengths, lengths)
    pos = np.arange(n) - starts
    progress = pos / np.repeat(np.maximum(lengths - 1, 1), lengths)
    names = list(TOUCHPOINTS)
    early = np.array([TOUCHPOINTS[t][1] for t in names])
    late = np.array([TOUCHPOINTS[t][2] for t in names])
    probs = early[None, :] * (1 - progress[:, None]) + late[None, :] * progress[:, None]
    cum = np.cumsum(probs / probs.sum(axis=1, keepdims=True), axis=1)
    tp = (rng.random(n)[:, None] > cum).sum(axis=1).clip(0, len(names) - 1)
    gaps = np.rint(rng.exponential(3 * 3600.0, n)).astype(np.int64)
    gaps[(pos == 0) | (rng.random(n) < 0.05)] = 0  # 5% ties in time, broken by event_id
    offset = rng.integers(0, 365 * 86_400, len(ids))
    total = np.cumsum(gaps)
    seconds = total - np.repeat(total[np.cumsum(lengths) - lengths], lengths)
    seconds += np.repeat(offset, lengths)
    stages = np.array([TOUCHPOINTS[t][0] for t in names], dtype=object)
    channels = np.array(["web", "app", "phone", "email"], dtype=object)
    event_no = pa.array(np.arange(first_event, first_event + n) + 1)
    return pa.table(
        {
            "event_id": pc.binary_join_element_wise(
                "E", pc.utf8_lpad(pc.cast(event_no, pa.string()), 9, "0"), ""
            ),
            "customer_id": pc.binary_join_element_wise(
                "C", pc.utf8_lpad(pc.cast(pa.array(cust), pa.string()), 7, "0"), ""
            ),
            "occurred_at": pa.array(
                (START + seconds.astype("timedelta64[s]")).astype("datetime64[us]")
            ),
            "touchpoint": pa.array(np.array(names, dtype=object)[tp], pa.string()),
            "stage": pa.array(stages[tp], pa.string()),
            "channel": pa.array(channels[rng.integers(0, 4, n)], pa.string()),
            "duration_seconds": pa.array(np.round(rng.lognormal(4.5, 1.0, n), 1)),
        },
        schema=_SCHEMA,
    )


def ensure_journey_dataset(
    rows: int, seed: int = 20240601, data_dir: Path = DEFAULT_DATA_DIR
) -> Dataset:
    """Return the cached events dataset of ``rows`` events, generating it when missing.

    Example:
        >>> ds = ensure_journey_dataset(20_000, seed=1)  # doctest: +SKIP
        >>> ds.tables["events"].name
        'journey-events-20000-s1-v1.parquet'
    """
    if rows < 10:
        raise ValueError(f"rows must be at least 10, not {rows}")
    ds = dataset_paths(rows, seed, data_dir)
    path = ds.tables["events"]
    if path.is_file():
        return ds
    path.parent.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng([seed, rows])
    lengths = journey_lengths(rows, rng)

    def write(target: Path) -> None:
        with pq.ParquetWriter(target, _SCHEMA, compression="zstd") as writer:
            done = 0
            for lo in range(0, len(lengths), CHUNK_CUSTOMERS):
                part = lengths[lo : lo + CHUNK_CUSTOMERS]
                ids = np.arange(lo, lo + len(part)) + 1
                writer.write_table(_chunk(done, ids, part, rng))
                done += int(part.sum())

    _write_atomically(path, write)
    return ds
