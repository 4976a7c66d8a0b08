"""Generated benchmark data: survey responses and customers, cached as Parquet.

The generator is vectorised numpy with a fixed seed, written chunk by chunk so that 10 million
rows never sit in memory at once. Files are cached under ``benchmarks/data/`` (gitignored), keyed
by row count, seed and generator version, so a rerun reuses them. ``ensure_workspace`` bulk-loads
the Parquet into a cxlens Workspace DuckDB file with the canonical columns and lineage.

The data has the shape of a real survey programme: about 50,000 customers in four segments with
different satisfaction levels, 24 months of responses with growing volume, a seasonal drift and
an incident dip, per-customer effects, touchpoint effects, and questions that not every survey
asks (so ``nps``, ``csat`` and ``ces`` each have gaps, but every row answers at least one).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

#: Bump when the generator changes, so cached files from an older generator are not reused.
GENERATOR_VERSION = 1

DEFAULT_DATA_DIR = Path(__file__).resolve().parent / "data"

#: Segment -> (share of customers, mean of the customer's latent satisfaction).
SEGMENTS: dict[str, tuple[float, float]] = {
    "consumer": (0.62, 0.0),
    "small_business": (0.25, -0.25),
    "enterprise": (0.09, 0.35),
    "public_sector": (0.04, -0.45),
}
REGIONS = ("north", "south", "east", "west", "central")
PLANS = ("basic", "plus", "pro", "business", "dedicated")
ACQUISITION = ("online", "retail_store", "telesales", "partner", "referral")

#: Touchpoint -> (share of responses, effect on satisfaction).
TOUCHPOINTS: dict[str, tuple[float, float]] = {
    "onboarding": (0.12, 0.15),
    "installation": (0.10, -0.10),
    "billing": (0.18, -0.30),
    "support_call": (0.20, -0.20),
    "support_chat": (0.15, 0.00),
    "app": (0.15, 0.20),
    "renewal": (0.10, 0.10),
}
CHANNELS = ("email", "sms", "in_app", "web")
LANGUAGES = ("en", "es", "de", "ru", "zh")
LANGUAGE_SHARES = (0.78, 0.08, 0.06, 0.05, 0.03)
COMMENTS = (
    "Quick and friendly, thanks.",
    "Took far too long to get through to someone.",
    "The app keeps logging me out.",
    "Billing was confusing this month.",
    "Great service, technician was on time.",
    "Price went up again without notice.",
)

#: Share of responses whose survey asked each question.
ASKED = {"nps": 0.85, "csat": 0.65, "ces": 0.45}

START = np.datetime64("2023-01-01T00:00:00", "us")
MONTHS = 24
CHUNK_ROWS = 1_000_000
MAX_CUSTOMERS = 50_000


@dataclass(frozen=True)
class Dataset:
    """The cached Parquet files of one generated benchmark dataset.

    ``key`` names the benchmark's data (size, seed, generator version) and ``files`` maps
    each canonical table to its Parquet file, in the order the Workspace loads them.

    Example:
        >>> ds = ensure_dataset(20_000, seed=7)  # doctest: +SKIP
        >>> ds.responses.name
        'responses-20000-s7-v1.parquet'
    """

    rows: int
    seed: int
    key: str
    files: dict[str, Path]

    @property
    def tables(self) -> dict[str, Path]:
        """Canonical table -> Parquet file, in the order the Workspace loads them."""
        return dict(self.files)

    @property
    def responses(self) -> Path:
        """The responses Parquet file."""
        return self.files["responses"]

    @property
    def customers(self) -> Path:
        """The customers Parquet file (datasets without one raise KeyError)."""
        return self.files["customers"]


def cached_dataset(
    rows: int,
    seed: int,
    data_dir: Path,
    *,
    version: int,
    tables: tuple[str, ...] = ("customers", "responses"),
    prefix: str = "",
) -> Dataset:
    """Return where a dataset of ``rows`` and ``seed`` is (or would be) cached.

    Files are named ``{prefix}{table}-{rows}-s{seed}-v{version}.parquet``; the key is
    ``{prefix}{rows}-s{seed}-v{version}``.
    """
    tail = f"{rows}-s{seed}-v{version}"
    folder = Path(data_dir).resolve()
    files = {t: folder / f"{prefix}{t}-{tail}.parquet" for t in tables}
    return Dataset(rows=rows, seed=seed, key=f"{prefix}{tail}", files=files)


def customer_count(rows: int) -> int:
    """Return how many customers a dataset of ``rows`` responses has (50,000 at full size)."""
    return int(min(MAX_CUSTOMERS, max(500, rows // 20)))


def dataset_paths(rows: int, seed: int, data_dir: Path = DEFAULT_DATA_DIR) -> Dataset:
    """Return where the dataset of ``rows`` and ``seed`` is (or would be) cached."""
    return cached_dataset(rows, seed, data_dir, version=GENERATOR_VERSION)


def ensure_dataset(rows: int, seed: int = 20240601, data_dir: Path = DEFAULT_DATA_DIR) -> Dataset:
    """Return the dataset of ``rows`` responses, generating and caching it if it is missing.

    Args:
        rows: number of survey responses.
        seed: seed of the generator; the same rows and seed give the same bytes.
        data_dir: cache folder.

    Returns:
        Dataset with the paths of ``responses-*.parquet`` and ``customers-*.parquet``.
    """
    if rows < 1:
        raise ValueError(f"rows must be at least 1, not {rows}")
    ds = dataset_paths(rows, seed, data_dir)
    if ds.responses.is_file() and ds.customers.is_file():
        return ds
    ds.responses.parent.mkdir(parents=True, exist_ok=True)
    customer_seed, response_seed = np.random.SeedSequence([seed, rows]).spawn(2)
    customers, latent = generate_customers(
        customer_count(rows), np.random.default_rng(customer_seed)
    )
    _write_atomically(ds.customers, lambda path: pq.write_table(customers, path))

    def write_responses(path: Path) -> None:
        with pq.ParquetWriter(path, _RESPONSES_SCHEMA, compression="zstd") as writer:
            starts = range(0, rows, CHUNK_ROWS)
            chunk_seeds = response_seed.spawn(len(starts))
            for start, chunk_seed in zip(starts, chunk_seeds, strict=True):
                size = min(CHUNK_ROWS, rows - start)
                rng = np.random.default_rng(chunk_seed)
                writer.write_table(generate_responses(start, size, latent, customers, rng))

    _write_atomically(ds.responses, write_responses)
    return ds


def generate_customers(n: int, rng: np.random.Generator) -> tuple[pa.Table, np.ndarray]:
    """Return ``n`` customers (canonical columns) and each one's latent satisfaction.

    Returns:
        (table, latent): the table has customer_id, first_seen, churned_at, acquisition_cost,
        segment, region, plan and acquisition_channel; ``latent`` is aligned with its rows.
    """
    names = list(SEGMENTS)
    shares = np.array([SEGMENTS[s][0] for s in names])
    segment = rng.choice(len(names), size=n, p=shares / shares.sum())
    latent = np.array([SEGMENTS[s][1] for s in names])[segment] + rng.normal(0.0, 0.8, n)
    first_seen = START - np.timedelta64(3 * 365, "D") + _uniform_span(rng, n, 4 * 365)
    churned = rng.random(n) < 0.12
    churned_at = first_seen + _uniform_span(rng, n, 700)
    cost = np.round(rng.lognormal(np.log(120.0), 0.6, n), 2)
    table = pa.table(
        {
            "customer_id": _ids("C", np.arange(1, n + 1), 6),
            "first_seen": pa.array(first_seen, pa.timestamp("us")),
            "churned_at": pa.array(churned_at, pa.timestamp("us"), mask=~churned),
            "acquisition_cost": pa.array(cost, pa.float64()),
            "segment": _pick(names, segment),
            "region": _pick(REGIONS, rng.integers(0, len(REGIONS), n)),
            "plan": _pick(PLANS, rng.integers(0, len(PLANS), n)),
            "acquisition_channel": _pick(ACQUISITION, rng.integers(0, len(ACQUISITION), n)),
        }
    )
    return table, latent


def generate_responses(
    start: int, size: int, latent: np.ndarray, customers: pa.Table, rng: np.random.Generator
) -> pa.Table:
    """Return ``size`` responses numbered from ``start``, drawn for the given customers.

    Scores follow one latent satisfaction per response: the customer's own level, the month
    (seasonal drift plus an incident dip in month 14), the touchpoint, and noise. NPS lands at
    roughly 45% promoters and 25% detractors, CSAT at about 75% top-2-box, CES near 5 of 7.
    """
    n_customers = len(latent)
    # Heavy-tailed activity: a few customers answer many surveys, most answer a few.
    activity = np.random.default_rng(n_customers).pareto(2.5, n_customers) + 1.0
    who = rng.choice(n_customers, size=size, p=activity / activity.sum())

    month_volume = np.linspace(1.0, 1.5, MONTHS)
    month = rng.choice(MONTHS, size=size, p=month_volume / month_volume.sum())
    month_start = START.astype("datetime64[M]") + month.astype("timedelta64[M]")
    month_start = month_start.astype("datetime64[us]")
    days = (month_start + np.timedelta64(32, "D")).astype("datetime64[M]").astype("datetime64[us]")
    span_us = (days - month_start).astype(np.int64)
    responded_at = month_start + (rng.random(size) * span_us).astype("timedelta64[us]")

    tp_names = list(TOUCHPOINTS)
    tp_shares = np.array([TOUCHPOINTS[t][0] for t in tp_names])
    touchpoint = rng.choice(len(tp_names), size=size, p=tp_shares / tp_shares.sum())
    month_effect = 0.15 * np.sin(2 * np.pi * np.arange(MONTHS) / 12.0)
    month_effect[13] -= 0.5  # an outage in February of the second year
    z = (
        latent[who]
        + month_effect[month]
        + np.array([TOUCHPOINTS[t][1] for t in tp_names])[touchpoint]
        + rng.normal(0.0, 0.9, size)
    )

    nps = np.clip(np.rint(8.45 + 1.5 * z + rng.normal(0, 0.6, size)), 0, 10).astype(np.int8)
    csat = np.clip(np.rint(4.25 + 0.75 * z + rng.normal(0, 0.5, size)), 1, 5).astype(np.int8)
    ces = np.clip(np.rint(5.3 + 1.0 * z + rng.normal(0, 0.7, size)), 1, 7).astype(np.int8)
    asked = {q: rng.random(size) < p for q, p in ASKED.items()}
    nothing = ~(asked["nps"] | asked["csat"] | asked["ces"])
    asked["nps"] |= nothing  # every response answers at least one question

    has_comment = rng.random(size) < 0.04
    comment = _pick(COMMENTS, rng.integers(0, len(COMMENTS), size))
    comment = pc.if_else(pa.array(has_comment), comment, pa.scalar(None, pa.string()))
    customer_ids = customers.column("customer_id").combine_chunks()
    return pa.table(
        {
            "response_id": _ids("R", np.arange(start + 1, start + size + 1), 9),
            "customer_id": customer_ids.take(pa.array(who)),
            "responded_at": pa.array(responded_at, pa.timestamp("us")),
            "survey": _pick(("transactional", "relationship"), (touchpoint == 6).astype(int)),
            "touchpoint": _pick(tp_names, touchpoint),
            "channel": _pick(CHANNELS, rng.integers(0, len(CHANNELS), size)),
            "nps": pa.array(nps, pa.int8(), mask=~asked["nps"]),
            "csat": pa.array(csat, pa.int8(), mask=~asked["csat"]),
            "ces": pa.array(ces, pa.int8(), mask=~asked["ces"]),
            "comment": comment,
            "language": _pick(LANGUAGES, rng.choice(len(LANGUAGES), size, p=LANGUAGE_SHARES)),
        },
        schema=_RESPONSES_SCHEMA,
    )


_RESPONSES_SCHEMA = pa.schema(
    [
        ("response_id", pa.string()),
        ("customer_id", pa.string()),
        ("responded_at", pa.timestamp("us")),
        ("survey", pa.string()),
        ("touchpoint", pa.string()),
        ("channel", pa.string()),
        ("nps", pa.int8()),
        ("csat", pa.int8()),
        ("ces", pa.int8()),
        ("comment", pa.string()),
        ("language", pa.string()),
    ]
)


def _ids(prefix: str, numbers: np.ndarray, width: int) -> pa.Array:
    """Return ids like ``R000000042``, built in Arrow rather than in a Python loop."""
    text = pc.utf8_lpad(pc.cast(pa.array(numbers), pa.string()), width=width, padding="0")
    return pc.binary_join_element_wise(prefix, text, "")


def _pick(labels: tuple[str, ...] | list[str], codes: np.ndarray) -> pa.Array:
    """Return the labels at ``codes`` as a plain string array."""
    return pa.array(list(labels), pa.string()).take(pa.array(codes))


def _uniform_span(rng: np.random.Generator, n: int, days: int) -> np.ndarray:
    return (rng.random(n) * days * 86_400e6).astype("timedelta64[us]")


def _write_atomically(path: Path, write) -> None:  # type: ignore[no-untyped-def]
    """Write through a temporary name and rename, so an interrupted run leaves no half file."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        write(tmp)
        tmp.replace(path)
    finally:
        tmp.unlink(missing_ok=True)
