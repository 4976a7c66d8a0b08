"""Generated data of the "churn-train" benchmark: a per-customer feature table with known churn.

One row per customer (1 million at full size) with the columns the churn model reads from
``customer_features``: survey scores (average NPS, CSAT and CES, missing for customers who
never answered), behaviour (recency, purchases and revenue in the last 12 months, tenure,
journey events) and three attributes (segment and plan with effects, region without). The
churn probability is a known logistic function of them, with a non-linear piece (new
customers and long silences leave more) that a linear model would miss; ``part`` splits the
rows 60/20/20 into train, calibration and test.

Vectorised numpy with a fixed seed, cached as one Parquet file under ``benchmarks/data/``
keyed by size, seed and generator version.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from benchmarks.data import DEFAULT_DATA_DIR, _write_atomically

#: Bump when the generator changes, so cached files from an older generator are not reused.
GENERATOR_VERSION = 1
SEGMENTS = {"consumer": 0.0, "small_business": 0.25, "enterprise": -0.8, "public_sector": -0.3}
PLANS = {"basic": 0.3, "plus": 0.1, "pro": 0.0, "business": -0.1, "dedicated": -0.4}
REGIONS = ("north", "south", "east", "west", "central")
NUMERIC = (
    *("mean_nps", "mean_csat", "mean_ces", "recency_days", "frequency_12m", "revenue_12m"),
    *("tenure_days", "n_events"),
)
CATEGORICAL = ("segment", "plan", "region")
FEATURES = (*NUMERIC, *CATEGORICAL)


def churn_train_path(rows: int, seed: int, data_dir: Path = DEFAULT_DATA_DIR) -> Path:
    """Return where the table of ``rows`` customers and ``seed`` is (or would be) cached."""
    return Path(data_dir) / f"churn-train-{rows}-s{seed}-v{GENERATOR_VERSION}.parquet"


def true_logit(frame: pd.DataFrame) -> np.ndarray:
    """The planted log-odds of churn within the horizon (missing scores count as neutral)."""
    nps = frame["mean_nps"].fillna(7.0).to_numpy()
    csat = frame["mean_csat"].fillna(3.8).to_numpy()
    ces = frame["mean_ces"].fillna(4.0).to_numpy()
    recency = frame["recency_days"].to_numpy()
    return (
        -2.6
        - 0.30 * (nps - 7.0)
        - 0.35 * (csat - 3.8)
        + 0.20 * (ces - 4.0)
        + 0.9 * (recency > 60)
        - 0.04 * frame["frequency_12m"].to_numpy()
        + 0.6 * (frame["tenure_days"].to_numpy() < 180)
        + frame["segment"].map(SEGMENTS).to_numpy(dtype=float)
        + frame["plan"].map(PLANS).to_numpy(dtype=float)
    )


def generate(rows: int, seed: int) -> pd.DataFrame:
    """Return ``rows`` customers: the feature columns, ``churned`` (bool) and ``part``.

    Example:
        >>> generate(1000, 1)["part"].value_counts().sort_index().tolist()
        [200, 200, 600]
    """
    rng = np.random.default_rng(seed)
    latent = rng.normal(0, 1, rows)
    answered = rng.random(rows) < 0.7

    def score(centre: float, scale: float, low: float, high: float, noise: float) -> np.ndarray:
        x = np.clip(centre + scale * latent + rng.normal(0, noise, rows), low, high)
        return np.where(answered, np.round(x, 2), np.nan)

    frequency = rng.poisson(np.exp(1.5 + 0.3 * latent))
    frame = pd.DataFrame(
        {
            "mean_nps": score(7.0, 1.6, 0, 10, 1.0),
            "mean_csat": score(3.8, 0.6, 1, 5, 0.5),
            "mean_ces": score(4.0, -0.8, 1, 7, 0.8),
            "recency_days": np.round(rng.exponential(35 * np.exp(-0.2 * latent)), 1),
            "frequency_12m": frequency.astype(float),
            "revenue_12m": np.round(frequency * rng.lognormal(3.5, 0.6, rows), 2),
            "tenure_days": np.round(rng.uniform(0, 1800, rows), 1),
            "n_events": rng.poisson(12, rows).astype(float),
            "segment": rng.choice(list(SEGMENTS), rows, p=[0.6, 0.25, 0.1, 0.05]),
            "plan": rng.choice(list(PLANS), rows),
            "region": rng.choice(REGIONS, rows),
        }
    )
    p = 1 / (1 + np.exp(-true_logit(frame)))
    frame["churned"] = rng.random(rows) < p
    # exact 60/20/20 shares, rows assigned at random
    order = rng.permutation(rows)
    cut1, cut2 = int(rows * 0.6), int(rows * 0.8)
    part = np.empty(rows, dtype=object)
    part[order[:cut1]], part[order[cut1:cut2]], part[order[cut2:]] = "train", "calibration", "test"
    frame["part"] = part
    return frame


def ensure_churn_train_data(rows: int, seed: int, data_dir: Path = DEFAULT_DATA_DIR) -> Path:
    """Return the cached Parquet of ``rows`` customers, generating it when missing."""
    if rows < 1000:
        raise ValueError(f"rows must be at least 1000, not {rows}")
    path = churn_train_path(rows, seed, data_dir)
    if path.exists():
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    table = pa.Table.from_pandas(generate(rows, seed), preserve_index=False)
    _write_atomically(path, lambda p: pq.write_table(table, p, compression="zstd"))
    return path


def read_parts(path: str | Path) -> dict[str, pd.DataFrame]:
    """Read the table and split it by ``part``; text columns become pandas categoricals."""
    frame = pd.read_parquet(path)
    for col in CATEGORICAL:
        frame[col] = frame[col].astype("category")
    return {name: part.drop(columns="part") for name, part in frame.groupby("part", observed=True)}
