"""Key driver analysis: which driver ratings move NPS, CSAT or CES, and how sure we are.

Three measures of relative importance, each with a bootstrap percentile interval:

* :func:`relative_weights` — Johnson's (2000) relative weights: R² split over correlated
  drivers through their closest orthogonal counterparts.
* :func:`shapley_regression` — the Shapley value of R² over all 2**p driver subsets (also
  called LMG or dominance analysis' general dominance weights).
* :func:`drivers_logistic` — relative weights for a binary outcome (promoter or detractor),
  after Tonidandel & LeBreton (2010), with odds ratios per rating point.

All three only need weighted sums of the answers, so they run on a *pattern table*: one row
per distinct combination of target and driver values with a ``weights`` count. The engine
builds that table (:func:`driver_patterns`); a bootstrap resample is a multinomial draw of
counts over its rows (see :mod:`cxlens.analysis._bootstrap`), so 1,000 resamples of a
million answers never touch the million rows. :func:`priority_matrix` puts importance next
to performance; :func:`drivers_for_workspace` runs any of it on a Workspace, optionally per
group. Formulas, rules and caveats: docs/analysis-drivers.md.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import ibis.expr.types as ir
import numpy as np
import pandas as pd

from cxlens.analysis._bootstrap import MAX_PATTERNS, FloatArray, Replicates, weighted_correlations
from cxlens.analysis._bootstrap import bootstrap as run_bootstrap
from cxlens.analysis._importance import (
    MAX_SHAPLEY_DRIVERS,
    logistic_relative_weights,
    relative_weights_from_corr,
    shapley_from_corr,
    standardized_coefficients,
)
from cxlens.errors import ArgumentError, NotEnoughDataError, SchemaError
from cxlens.metrics.customer_columns import with_customer_columns
from cxlens.metrics.definitions import is_detractor, is_promoter
from cxlens.metrics.stats import check_confidence, check_min_n
from cxlens.schema.tables import DRIVER_PREFIX
from cxlens.store.catalog import Catalog
from cxlens.store.query import is_present, run, seeded_sample

#: Methods accepted by :func:`drivers_for_workspace` and :func:`priority_matrix`.
METHODS: tuple[str, ...] = ("relative_weights", "shapley", "logistic")
#: Binary outcomes of :func:`drivers_logistic`, read from the 0-10 NPS answer.
OUTCOMES: dict[str, Callable[[FloatArray], FloatArray]] = {
    "promoter": lambda s: is_promoter(s).astype(np.float64),
    "detractor": lambda s: is_detractor(s).astype(np.float64),
}
_DECOMPOSE = {"relative_weights": relative_weights_from_corr, "shapley": shapley_from_corr}
#: Smallest eigenvalue of the drivers' correlation matrix below which drivers are collinear.
COLLINEAR_EIGENVALUE = 1e-6
#: Most pattern rows :func:`drivers_for_workspace` fetches; above it, the engine fallback
#: (exact moments in the engine, bootstrap on a sample of rows).
FETCH_LIMIT = 200_000
#: Quadrant names of :func:`priority_matrix`, keyed by (high importance, high performance).
QUADRANTS: dict[tuple[bool, bool], str] = {
    (True, False): "fix first",
    (True, True): "maintain",
    (False, False): "lower priority",
    (False, True): "possible overkill",
}
#: Columns of every importance table, in order.
COLUMNS: tuple[str, ...] = (
    "driver",
    "raw_weight",
    "rescaled_weight",
    "sign",
    "ci_low",
    "ci_high",
    "importance_rank",
    "correlation",
    "beta",
)
LOGISTIC_COLUMNS: tuple[str, ...] = (
    "odds_ratio",
    "odds_ratio_ci_low",
    "odds_ratio_ci_high",
    "p_value",
)
#: Facts of the fit, the same on every row of an importance table (after the columns above):
#: complete answers, distinct patterns, R² with its bootstrap interval, the method, the
#: target (logistic: ``"promoter (nps)"``), the intervals' level, the resamples asked for,
#: those left out (a driver constant in the resample) and how they were drawn
#: (``"patterns"``, ``"subsample"``; None without a bootstrap).
FIT_COLUMNS: tuple[str, ...] = (
    "n",
    "r_squared",
    "r_squared_ci_low",
    "r_squared_ci_high",
    "patterns",
    "method",
    "target",
    "confidence",
    "bootstrap",
    "bootstrap_failed",
    "bootstrap_mode",
)
#: Facts a logistic table adds after :data:`FIT_COLUMNS`: the outcome and how many have it.
LOGISTIC_FIT_COLUMNS: tuple[str, ...] = ("outcome", "events")
#: Whole-number columns a small group leaves missing (nullable in tables with ``by``).
_COUNTS: tuple[str, ...] = ("importance_rank", "sign", "patterns", "bootstrap_failed", "events")


# --------------------------------------------------------------------------------------
# input: columns, patterns, checks


@dataclass(frozen=True)
class _Data:
    """Pattern values (target first, then drivers), their counts, and what they stand for."""

    names: list[str]
    values: FloatArray
    counts: np.ndarray
    n: int
    corr: FloatArray | None = None  # exact correlations when values is only a sample

    @property
    def drivers(self) -> list[str]:
        return self.names[1:]


def _patterns(
    names: list[str],
    values: FloatArray,
    counts: np.ndarray,
    n: int | None = None,
    corr: FloatArray | None = None,
) -> _Data:
    """Pattern data in a canonical (lexicographic) row order.

    The engine returns groups in any order; sorting makes a seeded bootstrap give the same
    intervals whichever order the rows came in (and for rows or their patterns alike).
    """
    values = np.asarray(values, dtype=np.float64).reshape(len(counts), len(names))
    counts = np.asarray(counts, dtype=np.int64)
    order = np.lexsort(values.T[::-1]) if len(counts) else np.arange(0)
    total = int(counts.sum()) if n is None else int(n)
    return _Data(names, values[order], counts[order], total, corr)


def _as_names(drivers: Sequence[str] | str | None) -> list[str] | None:
    if drivers is None:
        return None
    return [drivers] if isinstance(drivers, str) else list(drivers)


def _resolve_drivers(
    columns: Sequence[str], target: str, drivers: Sequence[str] | str | None, where: str
) -> list[str]:
    """Check the target and driver names against ``columns``; default to every driver_* column."""
    if target not in columns:
        raise SchemaError(
            f"target column '{target}' is not in {where}; available columns: {', '.join(columns)}"
        )
    names = _as_names(drivers)
    if names is None:
        names = [c for c in columns if c.startswith(DRIVER_PREFIX)]
        if not names:
            raise SchemaError(
                f"{where} has no {DRIVER_PREFIX}* columns to analyse; name the driver columns "
                "with drivers=[...] or map rating questions to driver_<name> when ingesting"
            )
    if not names:
        raise ArgumentError("drivers is empty; name at least one driver column")
    if len(set(names)) != len(names):
        raise ArgumentError(f"drivers={names!r} names a column more than once")
    if target in names:
        raise ArgumentError(f"'{target}' is the target; it cannot also be a driver")
    unknown = [c for c in names if c not in columns]
    if unknown:
        known = [c for c in columns if c.startswith(DRIVER_PREFIX)]
        raise SchemaError(
            f"unknown driver column(s) {', '.join(unknown)} in {where}; driver columns there: "
            f"{', '.join(known) or '(none)'}"
        )
    return names


def _check_settings(bootstrap: int, confidence: float, min_n: int) -> None:
    check_confidence(confidence)
    check_min_n(min_n)
    if isinstance(bootstrap, bool) or not isinstance(bootstrap, int | np.integer) or bootstrap < 0:
        raise ArgumentError(
            f"bootstrap must be a non-negative whole number of resamples (0 = none); "
            f"got {bootstrap!r}"
        )


def _frame_data(
    frame: pd.DataFrame, target: str, drivers: Sequence[str] | str | None, weights: str | None
) -> _Data:
    """Collapse a frame of rows, or of patterns with a count column, to distinct patterns."""
    if not isinstance(frame, pd.DataFrame):
        raise ArgumentError(f"expected a pandas DataFrame of answers; got {type(frame).__name__}")
    names = [target, *_resolve_drivers(list(frame.columns), target, drivers, "the frame")]
    for col in names:
        if not pd.api.types.is_numeric_dtype(frame[col]) or pd.api.types.is_bool_dtype(frame[col]):
            raise SchemaError(f"column '{col}' must hold numeric ratings; found {frame[col].dtype}")
    values = frame[names].astype("float64")
    if weights is None:
        counts = pd.Series(1, index=frame.index, dtype="int64")
    else:
        counts = _check_counts(frame, weights)
    keep = values.notna().all(axis=1).to_numpy() & (counts.to_numpy() > 0)
    grouped = (
        pd.concat([values[keep], counts[keep].rename("_n")], axis=1)
        .groupby(names, sort=False)["_n"]
        .sum()
    )
    pattern = grouped.index.to_frame(index=False).to_numpy(dtype=np.float64)
    cnt = grouped.to_numpy(dtype=np.int64)
    return _patterns(names, pattern, cnt)


def _check_counts(frame: pd.DataFrame, weights: str) -> pd.Series:
    if weights not in frame.columns:
        raise SchemaError(
            f"weights column '{weights}' is not in the frame; pass the name of the column that "
            "holds how many answers each row stands for"
        )
    raw = pd.to_numeric(frame[weights], errors="coerce")
    if raw.isna().any():
        raise ArgumentError(f"weights column '{weights}' has missing or non-numeric counts")
    if (raw < 0).any() or not np.allclose(raw, np.round(raw)):
        raise ArgumentError(
            f"weights column '{weights}' must hold whole, non-negative counts of answers "
            "(frequency weights); survey design weights are not supported here"
        )
    return raw.round().astype("int64")


def _check_size(data: _Data, what: str, min_n: int) -> None:
    """Raise NotEnoughDataError when fewer than ``min_n`` (or p + 2) complete answers."""
    need = max(min_n, len(data.drivers) + 2)
    if data.n < need:
        raise NotEnoughDataError(
            f"{what} of {data.names[0]} needs at least {need} complete responses; got {data.n}"
        )


def _check_corr(data: _Data, corr: FloatArray) -> None:
    """Raise on a constant target or driver, or on collinear drivers."""
    for j, name in enumerate(data.names):
        if not np.isfinite(corr[j, j]):
            seen = np.unique(data.values[data.counts > 0, j])
            value = f"{seen[0]:g}" if len(seen) else "?"
            if j == 0:
                raise NotEnoughDataError(
                    f"{name} is constant (every answer {value}): there is nothing to explain"
                )
            raise NotEnoughDataError(
                f"{name} is constant (every answer {value}): it explains nothing; drop it"
            )
    _check_collinear(corr[1:, 1:], data.drivers)


def _check_collinear(rxx: FloatArray, drivers: list[str]) -> None:
    if len(drivers) < 2:
        return
    vals, vecs = np.linalg.eigh(rxx)
    if vals[0] >= COLLINEAR_EIGENVALUE:
        return
    loading = np.abs(vecs[:, 0])
    members = [drivers[j] for j in np.flatnonzero(loading >= 0.2 * loading.max())]
    off = np.abs(rxx - np.eye(len(drivers)))
    i, j = np.unravel_index(np.argmax(off), off.shape)
    raise ArgumentError(
        f"drivers {', '.join(members)} are collinear: together they are (almost) a linear "
        f"combination of each other (smallest eigenvalue of the drivers' correlation matrix "
        f"{vals[0]:.2g}); the most correlated pair is {drivers[i]} and {drivers[j]} "
        f"(r = {rxx[i, j]:.4f}). Drop one of them (e.g. a total or overall rating built from "
        "the others) or combine them into one score"
    )


# --------------------------------------------------------------------------------------
# the analyses


def _importance_statistic(
    method: str,
) -> Callable[[FloatArray, FloatArray], FloatArray]:
    """Statistic for the bootstrap: (values, weights) -> [rescaled weights (p), R²]."""
    decompose = _DECOMPOSE[method]

    def statistic(values: FloatArray, weights: FloatArray) -> FloatArray:
        corr, _ = weighted_correlations(values, weights)
        return _stack(*decompose(corr))

    return statistic


def _logistic_statistic(values: FloatArray, weights: FloatArray) -> FloatArray:
    corr, sd = weighted_correlations(values[:, 1:], weights)
    return _stack(*logistic_relative_weights(values, weights, corr, sd))


def _stack(raw: FloatArray, r2: FloatArray) -> FloatArray:
    with np.errstate(all="ignore"):
        return np.column_stack([100.0 * raw / r2[:, None], r2])


def _run(
    method: str,
    data: _Data,
    *,
    bootstrap: int,
    confidence: float,
    seed: int,
    min_n: int,
) -> pd.DataFrame:
    """Point estimate, checks and bootstrap of one importance method on pattern data."""
    what = "logistic driver analysis" if method == "logistic" else "driver analysis"
    _check_size(data, what, min_n)
    corr = data.corr
    if corr is None:
        corr = weighted_correlations(data.values, data.counts)[0][0]
    _check_corr(data, corr)
    if method == "logistic":
        statistic = _logistic_statistic
        estimate = statistic(data.values, data.counts[None, :].astype(np.float64))[0]
        if not np.all(np.isfinite(estimate)):
            raise NotEnoughDataError(
                f"the logistic regression of {data.names[0]} on the drivers did not converge "
                "(an outcome perfectly separated by the drivers?); use relative_weights instead"
            )
    else:
        statistic = _importance_statistic(method)
        decompose = _DECOMPOSE[method]
        estimate = _stack(*decompose(corr[None]))[0]
    reps = None
    if bootstrap:
        reps = run_bootstrap(
            data.values, data.counts, statistic, estimate,
            replicates=bootstrap, seed=seed, n_total=data.n,
        )  # fmt: skip
    return _table(method, data, corr, estimate, reps, confidence, bootstrap)


def _table(
    method: str,
    data: _Data,
    corr: FloatArray,
    estimate: FloatArray,
    reps: Replicates | None,
    confidence: float,
    bootstrap: int,
) -> pd.DataFrame:
    p = len(data.drivers)
    r2 = float(estimate[-1])
    rescaled = estimate[:p]
    low = high = np.full(p + 1, np.nan)
    if reps is not None:
        low, high = reps.interval(confidence)
    beta = standardized_coefficients(corr)[0][0]
    out = pd.DataFrame(
        {
            "driver": data.drivers,
            "raw_weight": rescaled * r2 / 100.0,
            "rescaled_weight": rescaled,
            "sign": np.where(beta < 0, -1, 1).astype("int64"),
            "ci_low": low[:p],
            "ci_high": high[:p],
            "importance_rank": pd.Series(rescaled).rank(ascending=False, method="min"),
            "correlation": corr[0, 1:],
            "beta": beta,
        }
    )
    out["importance_rank"] = out["importance_rank"].astype("int64")
    out = out.sort_values(["importance_rank", "driver"], kind="mergesort").reset_index(drop=True)
    return out.assign(**_fit_facts(method, data, r2, (low[p], high[p]), confidence, bootstrap,
                                   reps))  # fmt: skip


def _fit_facts(
    method: str,
    data: _Data,
    r2: float,
    r2_ci: tuple[float, float],
    confidence: float,
    bootstrap: int,
    reps: Replicates | None,
) -> dict[str, Any]:
    """Return the values of :data:`FIT_COLUMNS` for one fit."""
    return {
        "n": int(data.n),
        "r_squared": r2,
        "r_squared_ci_low": float(r2_ci[0]),
        "r_squared_ci_high": float(r2_ci[1]),
        "patterns": len(data.counts),
        "method": method,
        "target": data.names[0],
        "confidence": float(confidence),
        "bootstrap": int(bootstrap),
        "bootstrap_failed": 0 if reps is None else int(reps.failed),
        "bootstrap_mode": None if reps is None else reps.mode,
    }


def relative_weights(
    frame: pd.DataFrame,
    target: str = "nps",
    drivers: Sequence[str] | str | None = None,
    *,
    bootstrap: int = 1000,
    confidence: float = 0.95,
    seed: int = 0,
    weights: str | None = None,
    min_n: int = 200,
) -> pd.DataFrame:
    """Johnson's (2000) relative weights of the drivers of ``target``, with bootstrap intervals.

    The drivers' correlation matrix is decomposed ``Rxx = Q Λ Qᵀ``; ``Λ* = Q Λ^½ Qᵀ`` links
    the drivers to their closest orthogonal counterparts Z; ``β = Λ*⁻¹ rxy`` regresses the
    target on Z; driver j's raw weight is ``Σ_k Λ*_jk² β_k²``. The raw weights add up to the
    R² of the OLS regression of the target on all drivers; the rescaled weights are their
    shares of R² in percent (they add up to 100). Rows with a missing value in the target
    or any driver are left out (complete cases).

    Args:
        frame: one row per answer, or one row per pattern with a count column (``weights``).
        target: the outcome column (e.g. nps, csat, ces).
        drivers: driver columns; default every ``driver_*`` column of ``frame``.
        bootstrap: number of bootstrap resamples for the intervals (0 = no intervals).
        confidence: two-sided level of the percentile intervals.
        seed: seed of the bootstrap (same seed, same intervals).
        weights: name of a column of whole counts: each row stands for that many answers.
        min_n: fewest complete answers accepted.

    Returns:
        DataFrame sorted by importance with columns ``driver, raw_weight, rescaled_weight,
        sign, ci_low, ci_high, importance_rank, correlation, beta``: ``sign`` is the sign of
        the standardized OLS coefficient ``beta`` (+1 when more of the driver goes with more
        of the target, the others held fixed); ``ci_low``/``ci_high`` bound
        ``rescaled_weight``; ``correlation`` is the driver's correlation with the target.
        Then the fit's facts, the same on every row (:data:`FIT_COLUMNS`): ``n`` (complete
        answers), ``patterns``, ``r_squared``, ``r_squared_ci_low``, ``r_squared_ci_high``,
        ``method``, ``target``, ``confidence``, ``bootstrap``, ``bootstrap_failed``,
        ``bootstrap_mode``.

    Raises:
        SchemaError: unknown or non-numeric columns.
        NotEnoughDataError: fewer than ``min_n`` complete answers, or a constant column.
        ArgumentError: collinear drivers, bad settings or bad counts.

    Example:
        >>> rng = np.random.default_rng(1)
        >>> x = rng.integers(1, 6, size=(400, 2)).astype(float)
        >>> df = pd.DataFrame({"nps": x @ [1.0, 0.5] + rng.normal(size=400),
        ...                    "driver_a": x[:, 0], "driver_b": x[:, 1]})
        >>> rw = relative_weights(df, bootstrap=0)
        >>> rw[["driver", "importance_rank"]].values.tolist()
        [['driver_a', 1], ['driver_b', 2]]
        >>> round(float(rw.rescaled_weight.sum()), 6)
        100.0
    """
    _check_settings(bootstrap, confidence, min_n)
    data = _frame_data(frame, target, drivers, weights)
    return _run("relative_weights", data, bootstrap=bootstrap, confidence=confidence,
                seed=seed, min_n=min_n)  # fmt: skip


def shapley_regression(
    frame: pd.DataFrame,
    target: str = "nps",
    drivers: Sequence[str] | str | None = None,
    *,
    bootstrap: int = 1000,
    confidence: float = 0.95,
    seed: int = 0,
    weights: str | None = None,
    min_n: int = 200,
) -> pd.DataFrame:
    """Shapley value decomposition of R² over the drivers, with bootstrap intervals.

    Driver j gets ``Σ_{S ⊆ P∖{j}} |S|!(p-|S|-1)!/p! · (R²(S ∪ {j}) - R²(S))``, its average
    gain in R² over every order of adding drivers (LMG; Lipovetsky & Conklin 2001). Each
    subset's ``R²(S) = r_Sᵀ R_SS⁻¹ r_S`` comes from the correlation matrix, so the 2**p
    regressions never touch the rows. With uncorrelated drivers each value is the squared
    correlation, as with :func:`relative_weights`.

    Args:
        frame: one row per answer, or one row per pattern with a count column (``weights``).
        target: the outcome column.
        drivers: driver columns (at most 15); default every ``driver_*`` column.
        bootstrap: number of bootstrap resamples (0 = no intervals); with many drivers the
            2**p regressions per resample make this slow (about p=12 and up).
        confidence: two-sided level of the percentile intervals.
        seed: seed of the bootstrap.
        weights: name of a column of whole counts.
        min_n: fewest complete answers accepted.

    Returns:
        DataFrame with the columns of :func:`relative_weights`, facts of the fit included
        (``raw_weight`` is the Shapley value; ``method`` is ``"shapley"``).

    Raises:
        ArgumentError: more than 15 drivers, collinear drivers or bad settings.
        SchemaError, NotEnoughDataError: as :func:`relative_weights`.

    Example:
        >>> rng = np.random.default_rng(1)
        >>> x = rng.integers(1, 6, size=(400, 2)).astype(float)
        >>> df = pd.DataFrame({"nps": x @ [1.0, 0.5] + rng.normal(size=400),
        ...                    "driver_a": x[:, 0], "driver_b": x[:, 1]})
        >>> sv = shapley_regression(df, bootstrap=0)
        >>> bool(np.isclose(sv.raw_weight.sum(), sv.r_squared.iloc[0]))
        True
    """
    _check_settings(bootstrap, confidence, min_n)
    _check_shapley_size(_as_names(drivers))
    data = _frame_data(frame, target, drivers, weights)
    _check_shapley_size(data.drivers)
    return _run("shapley", data, bootstrap=bootstrap, confidence=confidence, seed=seed,
                min_n=min_n)  # fmt: skip


def _check_shapley_size(drivers: list[str] | None) -> None:
    if drivers is not None and len(drivers) > MAX_SHAPLEY_DRIVERS:
        raise ArgumentError(
            f"Shapley regression needs 2**p regressions; {len(drivers)} drivers is more than "
            f"the {MAX_SHAPLEY_DRIVERS} it accepts. Use relative_weights (same idea, any number "
            "of drivers) or pick fewer drivers"
        )


def drivers_logistic(
    frame: pd.DataFrame,
    outcome: str = "promoter",
    drivers: Sequence[str] | str | None = None,
    *,
    target: str = "nps",
    bootstrap: int = 1000,
    confidence: float = 0.95,
    seed: int = 0,
    weights: str | None = None,
    min_n: int = 200,
) -> pd.DataFrame:
    """Relative weights of the drivers of being a promoter (or detractor), logistic scale.

    Follows Tonidandel & LeBreton (2010): the logistic regression of the 0/1 outcome on the
    drivers is re-expressed on Johnson's orthogonal counterparts Z of the standardized
    drivers, its coefficients are fully standardized (``β = b_Z · R / sd(logit ŷ)``, with R
    the correlation between predicted probability and outcome), and driver j's raw weight is
    ``Σ_k Λ*_jk² β_k²``. The raw weights add up to ``R²`` (that squared correlation), and
    the rescaled weights to 100. Odds ratios per rating point (with Wald intervals) come
    from the same fit (statsmodels GLM, binomial, frequency weights on the pattern table).

    Args:
        frame: one row per answer, or one row per pattern with a count column (``weights``).
        outcome: ``"promoter"`` (``target`` 9-10) or ``"detractor"`` (0-6).
        drivers: driver columns; default every ``driver_*`` column.
        target: the 0-10 likelihood-to-recommend column the outcome is read from.
        bootstrap: number of bootstrap resamples (0 = no intervals).
        confidence: two-sided level of all intervals.
        seed: seed of the bootstrap.
        weights: name of a column of whole counts.
        min_n: fewest complete answers accepted; at least 10 answers must have the outcome
            and 10 must not.

    Returns:
        DataFrame with the columns of :func:`relative_weights` (``beta``: the logit
        coefficient per rating point; ``sign``: its sign), then ``odds_ratio,
        odds_ratio_ci_low, odds_ratio_ci_high, p_value``, the facts of the fit
        (:data:`FIT_COLUMNS`; ``target`` is e.g. ``"promoter (nps)"``), then ``outcome``
        and ``events`` (answers with the outcome).

    Example:
        >>> rng = np.random.default_rng(2)
        >>> x = rng.integers(1, 6, size=(600, 2)).astype(float)
        >>> nps = np.clip(np.rint(2 + x @ [1.0, 0.3] + rng.normal(size=600)), 0, 10)
        >>> df = pd.DataFrame({"nps": nps, "driver_a": x[:, 0], "driver_b": x[:, 1]})
        >>> lw = drivers_logistic(df, "promoter", bootstrap=0)
        >>> lw.driver.tolist(), bool(lw.odds_ratio.iloc[0] > 1)
        (['driver_a', 'driver_b'], True)
    """
    if outcome not in OUTCOMES:
        raise ArgumentError(f"unknown outcome {outcome!r}; use one of: {', '.join(OUTCOMES)}")
    _check_settings(bootstrap, confidence, min_n)
    data = _logistic_data(_frame_data(frame, target, drivers, weights), outcome, min_n)
    out = _run("logistic", data, bootstrap=bootstrap, confidence=confidence, seed=seed,
               min_n=min_n)  # fmt: skip
    return _with_odds_ratios(out, data, outcome, confidence)


def _logistic_data(data: _Data, outcome: str, min_n: int) -> _Data:
    target = data.names[0]
    seen = data.values[:, 0]
    if len(seen) and (seen.min() < 0 or seen.max() > 10):
        raise ArgumentError(
            f"{outcome}s are read from a 0-10 answer; {target} ranges "
            f"{seen.min():g}-{seen.max():g}. Pass target='nps' (or a 0-10 column)"
        )
    y = OUTCOMES[outcome](seen)
    frame = pd.DataFrame(np.column_stack([y, data.values[:, 1:]]))
    grouped = frame.assign(_n=data.counts).groupby(list(frame.columns), sort=False)["_n"].sum()
    values = grouped.index.to_frame(index=False).to_numpy(dtype=np.float64)
    counts = grouped.to_numpy(dtype=np.int64)
    events = int(counts[values[:, 0] == 1].sum())
    if data.n >= min_n and min(events, data.n - events) < 10:
        raise NotEnoughDataError(
            f"logistic driver analysis of {outcome}s needs at least 10 answers with and 10 "
            f"without the outcome; got {events} {outcome}s out of {data.n}"
        )
    return _patterns([_outcome_name(outcome, target), *data.drivers], values, counts, data.n)


def _outcome_name(outcome: str, target: str) -> str:
    """Name the ``target`` of a logistic table: the outcome and the answer it is read from."""
    return f"{outcome} ({target})"


def _with_odds_ratios(
    out: pd.DataFrame, data: _Data, outcome: str, confidence: float
) -> pd.DataFrame:
    import statsmodels.api as sm

    design = sm.add_constant(data.values[:, 1:], has_constant="add")
    # on the engine's sample of rows (see _sampled_data) the weights stand for all n answers
    weights = data.counts * (data.n / data.counts.sum())
    fit = sm.GLM(
        data.values[:, 0], design, family=sm.families.Binomial(), freq_weights=weights
    ).fit()
    ci = np.asarray(fit.conf_int(alpha=1.0 - confidence))[1:]
    table = pd.DataFrame(
        {
            "driver": data.drivers,
            "beta": np.asarray(fit.params)[1:],
            "odds_ratio": np.exp(np.asarray(fit.params)[1:]),
            "odds_ratio_ci_low": np.exp(ci[:, 0]),
            "odds_ratio_ci_high": np.exp(ci[:, 1]),
            "p_value": np.asarray(fit.pvalues)[1:],
        }
    )
    merged = out.drop(columns="beta").merge(table, on="driver", how="left")
    merged["sign"] = np.where(merged["beta"] < 0, -1, 1).astype("int64")
    merged = merged[[*COLUMNS, *LOGISTIC_COLUMNS, *FIT_COLUMNS]]
    return merged.assign(outcome=outcome, events=int(data.counts[data.values[:, 0] == 1].sum()))


# --------------------------------------------------------------------------------------
# priority matrix


def priority_matrix(
    source: pd.DataFrame | Catalog,
    target: str = "nps",
    drivers: Sequence[str] | str | None = None,
    *,
    importance: pd.DataFrame | None = None,
    method: str = "relative_weights",
    performance: str = "mean",
    weights: str | None = None,
    bootstrap: int = 0,
    confidence: float = 0.95,
    seed: int = 0,
    min_n: int = 200,
) -> pd.DataFrame:
    """Place each driver by importance and performance in one of four action quadrants.

    Importance is the driver's rescaled weight (% of R²); performance is its mean rating
    (``performance="mean"``) or the share of answers in the top two points of the scale
    (``"top2"``, in %, the scale's top being the highest rating seen over all drivers).
    The split is at the mean importance (``100 / p``, an equal share) and at the mean
    performance over the drivers; a driver on a line counts as high:

    * fix first: high importance, low performance;
    * maintain: high importance, high performance;
    * lower priority: low importance, low performance;
    * possible overkill: low importance, high performance.

    Both measures are computed on the same complete answers.

    Args:
        source: a pandas frame (rows, or patterns with ``weights``) or a Workspace.
        target: the outcome column.
        drivers: driver columns; default every ``driver_*`` column.
        importance: a table from :func:`relative_weights` (or the others) to reuse instead
            of computing one.
        method: relative_weights, shapley or logistic (promoters).
        performance: ``"mean"`` or ``"top2"``.
        weights: count column of a pattern frame.
        bootstrap: resamples for the importance intervals (0 = none).
        confidence: level of those intervals.
        seed: seed of the bootstrap.
        min_n: fewest complete answers accepted.

    Returns:
        DataFrame with columns ``driver, importance, importance_ci_low, importance_ci_high,
        performance, quadrant``, then what every row's quadrant was decided by:
        ``importance_cut``, ``performance_cut``, ``performance_measure`` and ``n`` (complete
        answers); sorted by importance.

    Example:
        >>> rng = np.random.default_rng(1)
        >>> x = rng.integers(1, 6, size=(400, 2)).astype(float)
        >>> df = pd.DataFrame({"nps": x @ [1.0, 0.2] + rng.normal(size=400),
        ...                    "driver_a": x[:, 0], "driver_b": x[:, 1] + (x[:, 1] < 5)})
        >>> priority_matrix(df)[["driver", "quadrant"]].values.tolist()
        [['driver_a', 'fix first'], ['driver_b', 'possible overkill']]
    """
    if performance not in ("mean", "top2"):
        raise ArgumentError(f"performance must be 'mean' or 'top2'; got {performance!r}")
    if method not in METHODS:
        raise ArgumentError(f"unknown method {method!r}; use one of: {', '.join(METHODS)}")
    _check_settings(bootstrap, confidence, min_n)
    if isinstance(source, pd.DataFrame):
        data = _frame_data(source, target, drivers, weights)
    else:
        data = _workspace_data(source, target, drivers, [], seed)[0][1]
    if importance is None:
        importance = _analyse(method, "promoter", data, bootstrap=bootstrap,
                              confidence=confidence, seed=seed, min_n=min_n)  # fmt: skip
    return _quadrants(importance, data, performance)


def _analyse(method: str, outcome: str, data: _Data, **settings: Any) -> pd.DataFrame:
    """Run ``method`` on pattern data (logistic: on the ``outcome`` read from the target)."""
    if method != "logistic":
        return _run(method, data, **settings)
    ldata = _logistic_data(data, outcome, settings["min_n"])
    return _with_odds_ratios(_run(method, ldata, **settings), ldata, outcome,
                             settings["confidence"])  # fmt: skip


def _quadrants(importance: pd.DataFrame, data: _Data, performance: str) -> pd.DataFrame:
    missing = {"driver", "rescaled_weight"} - set(importance.columns)
    if missing:
        raise SchemaError(
            "importance must be a table from relative_weights, shapley_regression or "
            f"drivers_logistic; it lacks {', '.join(sorted(missing))}"
        )
    imp = importance.set_index("driver")
    unknown = [d for d in imp.index if d not in data.drivers]
    if unknown:
        raise SchemaError(f"importance names driver(s) not in the data: {', '.join(unknown)}")
    w = data.counts.astype(np.float64)
    x = data.values[:, 1:]
    if performance == "mean":
        perf = (w @ x) / w.sum()
    else:
        top = float(np.max(x))
        perf = 100.0 * (w @ (x >= top - 1.0)) / w.sum()
    perf_by = pd.Series(perf, index=data.drivers)
    out = pd.DataFrame(
        {
            "driver": imp.index,
            "importance": imp["rescaled_weight"].to_numpy(dtype=np.float64),
            "importance_ci_low": imp.get("ci_low", pd.Series(np.nan, index=imp.index)).to_numpy(),
            "importance_ci_high": imp.get("ci_high", pd.Series(np.nan, index=imp.index)).to_numpy(),
            "performance": perf_by.loc[imp.index].to_numpy(),
        }
    )
    imp_cut = float(out["importance"].mean())
    perf_cut = float(out["performance"].mean())
    high_imp = out["importance"] >= imp_cut
    high_perf = out["performance"] >= perf_cut
    out["quadrant"] = [QUADRANTS[(bool(a), bool(b))] for a, b in zip(high_imp, high_perf,
                                                                      strict=True)]  # fmt: skip
    out = out.sort_values("importance", ascending=False, kind="mergesort").reset_index(drop=True)
    return out.assign(importance_cut=imp_cut, performance_cut=perf_cut,
                      performance_measure=performance, n=int(data.n))  # fmt: skip


# --------------------------------------------------------------------------------------
# workspace level


def _responses(ws: Catalog, by: list[str]) -> ir.Table:
    if not ws.has_table("responses"):
        raise NotEnoughDataError(
            "driver analysis needs the 'responses' table, which this workspace does not have; "
            "ingest a survey file first"
        )
    table = ws.table("responses")
    missing = [c for c in by if c not in table.columns]
    if missing:
        table = with_customer_columns(ws, table, "responses", by)
    return table


def driver_patterns(
    ws: Catalog,
    target: str = "nps",
    drivers: Sequence[str] | str | None = None,
    *,
    by: Sequence[str] | str | None = None,
) -> ir.Table:
    """Build the engine query behind the workspace-level analyses: answers per pattern.

    Filters ``responses`` to rows where the target and every driver hold a number, groups
    by ``*by, target, *drivers`` and counts, all in the engine. ``ibis.to_sql`` shows it.

    Args:
        ws: a Workspace (anything with ``table`` and ``has_table``).
        target: the outcome column of responses.
        drivers: driver columns; default every ``driver_*`` column of responses.
        by: grouping columns of responses or customers.

    Returns:
        An Ibis table with columns ``*by, target, *drivers, weights`` (lazy).

    Example:
        >>> import ibis
        >>> class Ws:
        ...     def table(self, name):
        ...         return ibis.memtable({"nps": [9, 9, 3], "driver_a": [5.0, 5.0, 1.0]})
        ...     def has_table(self, name):
        ...         return True
        >>> driver_patterns(Ws()).execute().sort_values("nps").weights.tolist()
        [1, 2]
    """
    cols = _as_names(by) or []
    table = _responses(ws, cols)
    names = _resolve_drivers(list(table.columns), target, drivers, "responses")
    for col in [target, *names]:
        if not table[col].type().is_numeric():
            raise SchemaError(f"responses.{col} must be numeric; found type {table[col].type()}")
    rows = table.filter([is_present(table[c]) for c in [target, *names]])
    return rows.group_by([*cols, target, *names]).aggregate(weights=rows.count())


def _workspace_data(
    ws: Catalog,
    target: str,
    drivers: Sequence[str] | str | None,
    by: list[str],
    seed: int,
) -> list[tuple[tuple[Any, ...], _Data]]:
    """Pattern data per group (one entry without ``by``), built in the engine."""
    patterns = driver_patterns(ws, target, drivers, by=by)
    names = [c for c in patterns.columns if c not in by and c != "weights"]
    frame = run(patterns.limit(FETCH_LIMIT + 1), "driver patterns")
    if len(frame) > FETCH_LIMIT:
        return _sampled_data(ws, patterns, names, by, seed)
    if not by:
        return [((), _pattern_frame_data(frame, names))]
    groups = frame.groupby(by, sort=True, dropna=False)
    return [(key if isinstance(key, tuple) else (key,), _pattern_frame_data(part, names))
            for key, part in groups]  # fmt: skip


def _pattern_frame_data(frame: pd.DataFrame, names: list[str]) -> _Data:
    counts = frame["weights"].to_numpy(dtype=np.int64)
    values = frame[names].to_numpy(dtype=np.float64).reshape(len(frame), len(names))
    return _patterns(names, values, counts)


def _sampled_data(
    ws: Catalog, patterns: ir.Table, names: list[str], by: list[str], seed: int
) -> list[tuple[tuple[Any, ...], _Data]]:
    """Fallback for (nearly) continuous columns: exact moments plus a sample of rows.

    The correlations come from sums and cross-products computed in the engine; the bootstrap
    resamples a Bernoulli sample of about MAX_PATTERNS rows (see _bootstrap).
    """
    table = _responses(ws, by)
    rows = table.filter([is_present(table[c]) for c in names])
    sums: dict[str, ir.Scalar] = {"_n": rows.count()}
    for i, a in enumerate(names):
        sums[f"_s{i}"] = rows[a].cast("float64").sum()
        for j in range(i, len(names)):
            sums[f"_s{i}_{j}"] = (rows[a].cast("float64") * rows[names[j]].cast("float64")).sum()
    moments = rows.group_by(by).aggregate(**sums) if by else rows.aggregate(**sums)
    mom = run(moments, "driver moments")
    total = int(mom["_n"].sum())
    fraction = min(1.0, MAX_PATTERNS / max(total, 1))
    key = "response_id" if "response_id" in rows.columns else None
    sample = seeded_sample(rows, fraction, seed, key)
    sampled = sample.group_by([*by, *names]).aggregate(weights=sample.count())
    sample_frame = run(sampled, "driver pattern sample")
    out = []
    if by:
        mom = mom.sort_values(by, kind="mergesort").reset_index(drop=True)
    for _, row in mom.iterrows():
        key = tuple(row[c] for c in by)
        part = sample_frame
        for col, value in zip(by, key, strict=True):
            part = part[part[col].isna()] if pd.isna(value) else part[part[col] == value]
        data = _pattern_frame_data(part, names)
        corr = _corr_from_sums(row, len(names))
        out.append((key, _patterns(names, data.values, data.counts, int(row["_n"]), corr)))
    return out


def _corr_from_sums(row: pd.Series, m: int) -> FloatArray:
    n = float(row["_n"])
    mean = np.array([row[f"_s{i}"] for i in range(m)], dtype=np.float64) / n
    cov = np.empty((m, m))
    for i in range(m):
        for j in range(i, m):
            cov[i, j] = cov[j, i] = row[f"_s{i}_{j}"] / n - mean[i] * mean[j]
    sd = np.sqrt(np.clip(np.diag(cov), 0.0, None))
    with np.errstate(all="ignore"):
        corr = cov / np.outer(sd, sd)
    tiny = np.diag(cov) <= 1e-12 * np.maximum(1.0, mean**2)
    corr[tiny, :] = np.nan
    corr[:, tiny] = np.nan
    np.fill_diagonal(corr, np.where(tiny, np.nan, 1.0))
    return corr


def drivers_for_workspace(
    ws: Catalog,
    target: str = "nps",
    drivers: Sequence[str] | str | None = None,
    *,
    by: Sequence[str] | str | None = None,
    method: str = "relative_weights",
    outcome: str = "promoter",
    min_n: int = 200,
    bootstrap: int = 1000,
    confidence: float = 0.95,
    seed: int = 0,
) -> pd.DataFrame:
    """Key driver analysis of a Workspace's responses, overall or per group.

    The engine filters ``responses`` to complete answers (target and every driver present),
    groups them by ``*by, target, *drivers`` and counts (:func:`driver_patterns`); only that
    pattern table comes back, and the chosen method runs on it. If the patterns number more
    than ``FETCH_LIMIT`` (200,000; e.g. continuous ratings), the correlations come from
    sums and cross-products computed in the engine and the bootstrap resamples a Bernoulli
    sample of about ``MAX_PATTERNS`` (50,000) rows (see docs/analysis-drivers.md).

    Args:
        ws: a Workspace (anything with ``table`` and ``has_table``).
        target: nps, csat, ces or another numeric column of responses.
        drivers: driver columns; default every ``driver_*`` column of responses.
        by: grouping columns of responses or customers: one analysis per group value;
            groups with fewer than ``min_n`` complete answers are flagged, not analysed.
        method: relative_weights (default), shapley or logistic.
        outcome: for ``method="logistic"``: promoter or detractor.
        min_n: fewest complete answers for an analysis.
        bootstrap: resamples for the intervals (0 = none).
        confidence: level of the intervals.
        seed: seed of the bootstrap.

    Returns:
        DataFrame with columns ``*by,`` the columns of the method's function
        (:func:`relative_weights` etc., the facts of each group's fit included: ``n``,
        ``r_squared`` and the rest of :data:`FIT_COLUMNS`), then ``small_sample``. A small
        group's rows hold its ``n`` and the settings (``method``, ``target``,
        ``confidence``, ``bootstrap``, ``outcome``); what a fit would give is missing.

    Raises:
        NotEnoughDataError: fewer than ``min_n`` complete answers in all (or no responses
            table); a constant column.
        SchemaError: unknown columns; ArgumentError: bad settings or collinear drivers.

    Example:
        >>> ws.analysis.drivers(target="nps", by="segment")  # doctest: +SKIP
    """
    if method not in METHODS:
        raise ArgumentError(f"unknown method {method!r}; use one of: {', '.join(METHODS)}")
    if method == "logistic" and outcome not in OUTCOMES:
        raise ArgumentError(f"unknown outcome {outcome!r}; use one of: {', '.join(OUTCOMES)}")
    if method == "shapley":
        _check_shapley_size(_as_names(drivers))
    _check_settings(bootstrap, confidence, min_n)
    cols = _as_names(by) or []
    parts = _workspace_data(ws, target, drivers, cols, seed)
    total = sum(data.n for _, data in parts)
    if not parts or total < min_n:
        raise NotEnoughDataError(
            f"driver analysis of {target} needs at least {min_n} complete responses; got {total}"
        )
    if method == "shapley":
        _check_shapley_size(parts[0][1].drivers)
    tables = [_group_table(method, outcome, key, data, cols, bootstrap=bootstrap,
                           confidence=confidence, seed=seed, min_n=min_n)
              for key, data in parts]  # fmt: skip
    return pd.concat(tables, ignore_index=True) if len(tables) > 1 else tables[0]


def _group_table(
    method: str,
    outcome: str,
    key: tuple[Any, ...],
    data: _Data,
    by: list[str],
    **settings: Any,
) -> pd.DataFrame:
    if by and data.n < settings["min_n"]:
        out = _small_group_table(method, outcome, data, settings["confidence"],
                                 settings["bootstrap"])  # fmt: skip
    else:
        try:
            out = _analyse(method, outcome, data, **settings)
        except (NotEnoughDataError, ArgumentError) as exc:
            if not by:
                raise
            where = ", ".join(f"{c}={v!r}" for c, v in zip(by, key, strict=True))
            raise type(exc)(f"in the group {where}: {exc}") from exc
        out["small_sample"] = False
        if by:  # small groups hold NA ranks, signs and counts
            for col in _COUNTS:
                if col in out:
                    out[col] = out[col].astype("Int64")
    for col, value in reversed(list(zip(by, key, strict=True))):
        out.insert(0, col, value)
    return out


def _small_group_table(
    method: str, outcome: str, data: _Data, confidence: float, bootstrap: int
) -> pd.DataFrame:
    """Return the rows of a group too small to analyse: its n and the settings, no fit."""
    logistic = method == "logistic"
    out = pd.DataFrame({"driver": data.drivers})
    for col in [*COLUMNS[1:], *(LOGISTIC_COLUMNS if logistic else ())]:
        out[col] = np.nan
    facts = _fit_facts(method, data, np.nan, (np.nan, np.nan), confidence, bootstrap, None)
    if logistic:
        facts["target"] = _outcome_name(outcome, data.names[0])
        facts.update(outcome=outcome, events=pd.NA)
    out = out.assign(**facts, small_sample=True)
    for col in _COUNTS:
        if col in out:
            out[col] = pd.array([pd.NA] * len(out), dtype="Int64")
    return out


__all__ = [
    "COLUMNS",
    "FIT_COLUMNS",
    "LOGISTIC_FIT_COLUMNS",
    "METHODS",
    "QUADRANTS",
    "driver_patterns",
    "drivers_for_workspace",
    "drivers_logistic",
    "priority_matrix",
    "relative_weights",
    "shapley_regression",
]
