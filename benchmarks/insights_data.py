"""Generated data of the "insights" benchmark: responses and customers with one planted change.

Customers (50,000 at full size) have a segment (four, with different satisfaction levels and
churn hazards), a plan (five, small effects on satisfaction) and a region (five, no effect),
a ``first_seen`` between January 2021 and September 2024 and, for those who leave before the
end of 2024, a ``churned_at`` (monthly hazard by segment). Responses are spread over the 24
months of 2023-2024 with growing volume and heavy-tailed activity per customer; each has a
touchpoint (seven, with effects on satisfaction), a channel (four, no effect), and NPS, CSAT
and CES answers where the survey asked them (85%, 65% and 45%; every response answers at
least one).

The planted change: from October 2024 (the last three months, the scan's default window)
the satisfaction of small_business customers at billing drops by 0.5 (about -25 NPS points).
Nothing else changes over time, so the change is the thing to find; the persistent
differences between segments, plans and touchpoints are there to be recognised as such.

Vectorised numpy with a fixed seed, responses written in 1M-row chunks, cached under
``benchmarks/data/`` keyed by size, seed and generator version, like the core-metrics data.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from benchmarks.data import (
    ASKED,
    CHANNELS,
    CHUNK_ROWS,
    DEFAULT_DATA_DIR,
    MONTHS,
    PLANS,
    REGIONS,
    SEGMENTS,
    START,
    TOUCHPOINTS,
    Dataset,
    _ids,
    _pick,
    _write_atomically,
    cached_dataset,
    customer_count,
)

#: Bump when the generator changes, so cached files from an older generator are not reused.
GENERATOR_VERSION = 1

#: Plan -> effect on satisfaction.
PLAN_EFFECTS = dict(zip(PLANS, (-0.10, 0.0, 0.05, 0.10, 0.20), strict=True))
#: Segment -> monthly churn hazard.
CHURN_HAZARD = {"consumer": 0.012, "small_business": 0.016, "enterprise": 0.006,
                "public_sector": 0.008}  # fmt: skip
#: The planted change: (segment, touchpoint, first month index from January 2023, effect).
PLANTED = ("small_business", "billing", MONTHS - 3, -0.5)
END = START.astype("datetime64[M]") + np.timedelta64(MONTHS, "M")


def insights_dataset_paths(rows: int, seed: int, data_dir: Path = DEFAULT_DATA_DIR) -> Dataset:
    """Return where the insights dataset of ``rows`` and ``seed`` is (or would be) cached."""
    return cached_dataset(rows, seed, data_dir, version=GENERATOR_VERSION, prefix="insights-")


def ensure_insights_dataset(
    rows: int, seed: int = 20240601, data_dir: Path = DEFAULT_DATA_DIR
) -> Dataset:
    """Return the insights dataset of ``rows`` responses, generating and caching it if missing.

    Args:
        rows: number of survey responses.
        seed: seed of the generator; the same rows and seed give the same bytes.
        data_dir: cache folder.

    Returns:
        Dataset with the paths of its responses and customers Parquet.
    """
    if rows < 1:
        raise ValueError(f"rows must be at least 1, not {rows}")
    ds = insights_dataset_paths(rows, seed, data_dir)
    if ds.responses.is_file() and ds.customers.is_file():
        return ds
    ds.responses.parent.mkdir(parents=True, exist_ok=True)
    customer_seed, response_seed = np.random.SeedSequence([seed, rows, 3]).spawn(2)
    customers, latent, segment, plan = generate_customers(
        customer_count(rows), np.random.default_rng(customer_seed)
    )
    _write_atomically(ds.customers, lambda path: pq.write_table(customers, path))

    def write_responses(path: Path) -> None:
        with pq.ParquetWriter(path, RESPONSES_SCHEMA, compression="zstd") as writer:
            starts = range(0, rows, CHUNK_ROWS)
            for start, chunk_seed in zip(starts, response_seed.spawn(len(starts)), strict=True):
                size = min(CHUNK_ROWS, rows - start)
                rng = np.random.default_rng(chunk_seed)
                writer.write_table(generate_responses(start, size, latent, segment, plan, rng))

    _write_atomically(ds.responses, write_responses)
    return ds


def generate_customers(
    n: int, rng: np.random.Generator
) -> tuple[pa.Table, np.ndarray, np.ndarray, np.ndarray]:
    """Return ``n`` customers and, aligned with them, latent satisfaction, segment and plan codes.

    Returns:
        (table, latent, segment, plan): the table has customer_id, first_seen, churned_at,
        segment, region and plan.
    """
    names = list(SEGMENTS)
    shares = np.array([SEGMENTS[s][0] for s in names])
    segment = rng.choice(len(names), size=n, p=shares / shares.sum())
    plan = rng.integers(0, len(PLANS), n)
    latent = np.array([SEGMENTS[s][1] for s in names])[segment] + rng.normal(0.0, 0.8, n)
    earliest = START - np.timedelta64(2 * 365, "D")
    latest = (END - np.timedelta64(3, "M")).astype("datetime64[us]")
    span_us = (latest - earliest).astype(np.int64)
    first_seen = earliest + (rng.random(n) * span_us).astype("timedelta64[us]")
    hazard = np.array([CHURN_HAZARD[s] for s in names])[segment]
    months_kept = rng.exponential(1.0 / hazard)
    churned_at = first_seen + (months_kept * 30.44 * 86_400e6).astype("timedelta64[us]")
    churned = churned_at < END.astype("datetime64[us]")
    table = pa.table(
        {
            "customer_id": _ids("C", np.arange(1, n + 1), 6),
            "first_seen": pa.array(first_seen, pa.timestamp("us")),
            "churned_at": pa.array(churned_at, pa.timestamp("us"), mask=~churned),
            "segment": _pick(names, segment),
            "region": _pick(REGIONS, rng.integers(0, len(REGIONS), n)),
            "plan": _pick(PLANS, plan),
        }
    )
    return table, latent, segment, plan


def generate_responses(
    start: int,
    size: int,
    latent: np.ndarray,
    segment: np.ndarray,
    plan: np.ndarray,
    rng: np.random.Generator,
) -> pa.Table:
    """Return ``size`` responses numbered from ``start``, drawn for the given customers."""
    n_customers = len(latent)
    activity = np.random.default_rng(n_customers).pareto(2.5, n_customers) + 1.0
    who = rng.choice(n_customers, size=size, p=activity / activity.sum())
    month_volume = np.linspace(1.0, 1.5, MONTHS)
    month = rng.choice(MONTHS, size=size, p=month_volume / month_volume.sum())
    month_start = (START.astype("datetime64[M]") + month.astype("timedelta64[M]")).astype(
        "datetime64[us]"
    )
    month_end = (month_start + np.timedelta64(32, "D")).astype("datetime64[M]")
    span_us = (month_end.astype("datetime64[us]") - month_start).astype(np.int64)
    responded_at = month_start + (rng.random(size) * span_us).astype("timedelta64[us]")

    tp_names = list(TOUCHPOINTS)
    tp_shares = np.array([TOUCHPOINTS[t][0] for t in tp_names])
    touchpoint = rng.choice(len(tp_names), size=size, p=tp_shares / tp_shares.sum())
    z = (
        latent[who]
        + np.array(list(PLAN_EFFECTS.values()))[plan[who]]
        + np.array([TOUCHPOINTS[t][1] for t in tp_names])[touchpoint]
        + rng.normal(0.0, 0.9, size)
    )
    seg, tp, first_month, effect = PLANTED
    hit = (
        (segment[who] == list(SEGMENTS).index(seg))
        & (touchpoint == tp_names.index(tp))
        & (month >= first_month)
    )
    z = z + effect * hit

    nps = np.clip(np.rint(8.45 + 1.5 * z + rng.normal(0, 0.6, size)), 0, 10).astype(np.int8)
    csat = np.clip(np.rint(4.25 + 0.75 * z + rng.normal(0, 0.5, size)), 1, 5).astype(np.int8)
    ces = np.clip(np.rint(5.3 + 1.0 * z + rng.normal(0, 0.7, size)), 1, 7).astype(np.int8)
    asked = {q: rng.random(size) < p for q, p in ASKED.items()}
    asked["nps"] |= ~(asked["nps"] | asked["csat"] | asked["ces"])
    return pa.table(
        {
            "response_id": _ids("R", np.arange(start + 1, start + size + 1), 9),
            "customer_id": _ids("C", who + 1, 6),
            "responded_at": pa.array(responded_at, pa.timestamp("us")),
            "touchpoint": _pick(tp_names, touchpoint),
            "channel": _pick(CHANNELS, rng.integers(0, len(CHANNELS), size)),
            "nps": pa.array(nps, pa.int8(), mask=~asked["nps"]),
            "csat": pa.array(csat, pa.int8(), mask=~asked["csat"]),
            "ces": pa.array(ces, pa.int8(), mask=~asked["ces"]),
        },
        schema=RESPONSES_SCHEMA,
    )


RESPONSES_SCHEMA = pa.schema(
    [
        ("response_id", pa.string()),
        ("customer_id", pa.string()),
        ("responded_at", pa.timestamp("us")),
        ("touchpoint", pa.string()),
        ("channel", pa.string()),
        ("nps", pa.int8()),
        ("csat", pa.int8()),
        ("ces", pa.int8()),
    ]
)
