"""Pattern tables and a multinomial bootstrap of statistics built from weighted sums.

Survey ratings are discrete, so a million answer sets collapse to at most a few tens of
thousands of distinct *patterns* (one row per distinct combination of values, with a count).
A bootstrap resample of the rows is then a multinomial draw of counts over the patterns, and
any statistic that only needs weighted sums (means, covariances, correlations, a logistic fit
by IRLS) can be computed for a whole batch of resamples at once with matrix products.

When there are more patterns than :data:`MAX_PATTERNS` (continuous columns), the resamples are
drawn from a random subsample of :data:`MAX_PATTERNS` rows instead: each resample still has the
full size n, so its spread is that of the full data, and the replicates are shifted by
``estimate(full) - estimate(subsample)`` so that they centre on the full-data estimate.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]

#: Replicates drawn and evaluated together (bounds memory: BATCH x patterns floats).
BATCH = 50
#: Most patterns the multinomial bootstrap resamples; above it, resample a subsample.
MAX_PATTERNS = 50_000

#: A statistic of weighted patterns: (values k x m, weights b x k) -> b x q.
Statistic = Callable[[FloatArray, FloatArray], FloatArray]


@dataclass(frozen=True)
class Replicates:
    """Bootstrap replicates of a statistic and how they were drawn.

    Attributes:
        values: replicates x statistics; rows where a resample failed (e.g. a driver was
            constant in it) are dropped.
        requested: number of resamples drawn.
        failed: resamples dropped because the statistic was not finite.
        mode: ``"patterns"`` (multinomial over all patterns) or ``"subsample"``.
    """

    values: FloatArray
    requested: int
    failed: int
    mode: str

    def interval(self, confidence: float) -> tuple[FloatArray, FloatArray]:
        """Percentile interval of each statistic at two-sided ``confidence``.

        Example:
            >>> r = Replicates(np.arange(101.0)[:, None], 101, 0, "patterns")
            >>> [round(float(x[0]), 6) for x in r.interval(0.9)]
            [5.0, 95.0]
        """
        if not len(self.values):
            nan = np.full(self.values.shape[1], np.nan)
            return nan, nan.copy()
        alpha = (1.0 - confidence) / 2.0
        low, high = np.quantile(self.values, [alpha, 1.0 - alpha], axis=0)
        return low, high


def weighted_correlations(values: FloatArray, weights: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Correlation matrices and standard deviations of weighted rows, one per weight vector.

    Built from weighted sums only: ``S0 = W 1``, ``S1 = W V``, ``S2 = W (V_i V_j)``; the
    columns are first centred and scaled by their unweighted pattern mean and spread, which
    leaves correlations unchanged and keeps the sums well conditioned.

    Args:
        values: patterns x columns.
        weights: resamples x patterns (or one vector of patterns) of non-negative weights.

    Returns:
        ``(corr, sd)``: resamples x columns x columns and resamples x columns (population
        standard deviations on the original scale). A constant column gives NaN correlations.

    Example:
        >>> v = np.array([[1.0, 2.0], [2.0, 4.0], [3.0, 5.0]])
        >>> corr, sd = weighted_correlations(v, np.array([1.0, 1.0, 2.0]))
        >>> round(float(corr[0, 0, 1]), 4)
        0.9847
    """
    w = np.atleast_2d(np.asarray(weights, dtype=np.float64))
    v = np.asarray(values, dtype=np.float64)
    centre = v.mean(axis=0)
    scale = v.std(axis=0)
    scale = np.where(scale > 0, scale, 1.0)
    z = (v - centre) / scale
    m = z.shape[1]
    iu, ju = np.triu_indices(m)
    total = w.sum(axis=1)
    mean = (w @ z) / total[:, None]
    second = (w @ (z[:, iu] * z[:, ju])) / total[:, None]
    cov = np.empty((w.shape[0], m, m))
    cov[:, iu, ju] = second - mean[:, iu] * mean[:, ju]
    cov[:, ju, iu] = cov[:, iu, ju]
    var = np.clip(np.diagonal(cov, axis1=1, axis2=2), 0.0, None)
    sd = np.sqrt(var)
    with np.errstate(divide="ignore", invalid="ignore"):
        corr = cov / (sd[:, :, None] * sd[:, None, :])
    tiny = var <= 1e-12
    corr[np.broadcast_to(tiny[:, :, None], corr.shape)] = np.nan
    corr[np.broadcast_to(tiny[:, None, :], corr.shape)] = np.nan
    idx = np.arange(m)
    corr[:, idx, idx] = np.where(tiny, np.nan, 1.0)
    return corr, sd * scale


def subsample(counts: IntArray, size: int, rng: np.random.Generator) -> tuple[IntArray, IntArray]:
    """Draw ``size`` rows without losing the count structure: indices and counts of a subsample.

    The rows are drawn with replacement (a multinomial over the patterns), so a pattern that
    holds many rows is drawn in proportion. Returns the indices of the drawn patterns and how
    many times each was drawn.
    """
    drawn = rng.multinomial(size, counts / counts.sum())
    keep = np.flatnonzero(drawn)
    return keep, drawn[keep].astype(np.int64)


def bootstrap(
    values: FloatArray,
    counts: IntArray,
    statistic: Statistic,
    estimate: FloatArray,
    *,
    replicates: int,
    seed: int,
    n_total: int | None = None,
    max_patterns: int = MAX_PATTERNS,
) -> Replicates:
    """Bootstrap ``statistic`` by multinomial resampling of pattern counts.

    Each resample draws ``n`` rows with replacement, i.e. counts ~ Multinomial(n, counts / n)
    over the patterns; resamples are evaluated ``BATCH`` at a time, batches in parallel
    threads, each batch with its own child seed of ``seed`` (so the result does not depend on
    the number of threads).

    Args:
        values: patterns x columns.
        counts: rows per pattern.
        statistic: ``(values, weights b x k) -> b x q``.
        estimate: the statistic on the full data (q), used to centre subsampled replicates.
        replicates: number of resamples.
        seed: seed of the random generator.
        n_total: rows the data stand for when ``counts`` is already a sample of them (the
            engine's fallback for continuous columns); defaults to ``counts.sum()``.
        max_patterns: above this many patterns, resample a subsample of that many rows.

    Returns:
        Replicates (see the class).

    Example:
        >>> v = np.array([[0.0], [1.0]])
        >>> def share(values, w):
        ...     return (w @ values) / w.sum(axis=1, keepdims=True)
        >>> r = bootstrap(v, np.array([50, 50]), share, np.array([0.5]), replicates=200, seed=1)
        >>> lo, hi = r.interval(0.95)
        >>> bool(lo[0] < 0.5 < hi[0])
        True
    """
    counts = np.asarray(counts, dtype=np.int64)
    n = int(counts.sum()) if n_total is None else int(n_total)
    root = np.random.SeedSequence(seed)
    sub_seed, *batch_seeds = root.spawn(1 + -(-replicates // BATCH))
    estimate = np.asarray(estimate, dtype=np.float64)
    sampled = n != int(counts.sum())
    if len(counts) > max_patterns:
        keep, counts = subsample(counts, max_patterns, np.random.default_rng(sub_seed))
        values = values[keep]
        sampled = True
    mode = "subsample" if sampled else "patterns"
    shift = np.zeros_like(estimate)
    if sampled:
        with np.errstate(all="ignore"):
            shift = estimate - statistic(values, counts[None, :].astype(np.float64))[0]
    p = counts / counts.sum()

    def run(i: int) -> FloatArray:
        size = min(BATCH, replicates - i * BATCH)
        draws = np.random.default_rng(batch_seeds[i]).multinomial(n, p, size=size)
        with np.errstate(all="ignore"):
            return statistic(values, draws.astype(np.float64))

    n_batches = len(batch_seeds)
    workers = max(1, min(n_batches, os.cpu_count() or 1))
    if workers == 1:
        parts = [run(i) for i in range(n_batches)]
    else:
        with ThreadPoolExecutor(workers) as pool:
            parts = list(pool.map(run, range(n_batches)))
    out = np.concatenate(parts, axis=0) if parts else np.empty((0, len(estimate)))
    ok = np.all(np.isfinite(out), axis=1)
    return Replicates(out[ok] + shift, replicates, int((~ok).sum()), mode)
