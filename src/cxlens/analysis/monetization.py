"""Monetisation: what satisfaction is worth, at customer level.

* :func:`correlations`: NPS, CSAT and CES against revenue, purchase frequency, retention and
  historical value, with seeded bootstrap intervals and partial correlations controlling
  for segment (also as an OLS coefficient with segment fixed effects).
* :func:`value_by_nps_group`: customers, revenue, frequency, retention and churn per
  promoter / passive / detractor, with intervals (aggregated in the engine).
* :func:`nps_uplift`: the value of moving customers between NPS groups and the projected
  12-month revenue effect of +N NPS points, with the assumptions spelled out.

The correlations fit on the per-customer feature table (pulled once); the group tables
aggregate the lazy feature expression in the engine.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

import numpy as np
import pandas as pd
from scipy import sparse
from scipy import stats as st

from cxlens.analysis.features import (
    NPS_GROUPS,
    FeaturePlan,
    customer_features,
    plan_features,
    profile,
)
from cxlens.errors import ArgumentError, SchemaError
from cxlens.metrics.stats import (
    check_confidence,
    check_min_n,
    welch_t_test,
    wilson_interval,
    z_value,
)
from cxlens.money import check_code, load_currency, one_currency
from cxlens.store.catalog import Catalog
from cxlens.store.query import run

#: Attitude scores: name -> feature column (each customer's mean answer).
SCORES: dict[str, str] = {"nps": "mean_nps", "csat": "mean_csat", "ces": "mean_ces"}

#: Outcomes: name -> feature column. ``retained`` is derived as ``not churned``.
OUTCOMES: dict[str, str] = {
    "revenue": "revenue_12m",
    "frequency": "frequency_12m",
    "retention": "retained",
    "value": "revenue",
}

#: Fewest complete pairs for which correlations are computed at all.
MIN_PAIRS = 4

_BOOT_CHUNK = 100

Timestamp = str | date | datetime | pd.Timestamp


# --- bootstrap -------------------------------------------------------------------------------


def _weighted_corr(a: np.ndarray, b: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Row-wise weighted Pearson correlation; ``a``, ``b`` are (n,) or (B, n), ``w`` (B, n).

    Works on moments about fixed centres (the unweighted means), so 1-D inputs reduce to
    matrix-vector products.
    """
    a = a - a.mean(axis=-1, keepdims=True)
    b = b - b.mean(axis=-1, keepdims=True)
    total = w.sum(axis=1)

    def wsum(v: np.ndarray) -> np.ndarray:
        return w @ v if v.ndim == 1 else (w * v).sum(axis=1)

    ma, mb = wsum(a) / total, wsum(b) / total
    cov = wsum(a * b) / total - ma * mb
    var_a = wsum(a * a) / total - ma * ma
    var_b = wsum(b * b) / total - mb * mb
    with np.errstate(invalid="ignore", divide="ignore"):
        r = cov / np.sqrt(var_a * var_b)
    return np.where((var_a > 1e-12 * np.abs(wsum(a * a) / total)) & (var_b > 0), r, np.nan)


def _resample_ranks(w: np.ndarray, onehot: sparse.csr_matrix, inverse: np.ndarray) -> np.ndarray:
    """Mid-ranks each observation would get inside each weighted resample (ties averaged)."""
    counts = np.asarray(w @ onehot)  # (B, unique values): copies drawn of each value
    below = np.cumsum(counts, axis=1) - counts
    return (below + (counts + 1.0) / 2.0)[:, inverse]


def _onehot(values: np.ndarray) -> tuple[sparse.csr_matrix, np.ndarray]:
    uniq, inverse = np.unique(values, return_inverse=True)
    n = len(values)
    data = np.ones(n)
    return sparse.csr_matrix((data, (np.arange(n), inverse)), shape=(n, len(uniq))), inverse


def bootstrap_weights(n: int, n_boot: int, rng: np.random.Generator) -> np.ndarray:
    """Draw ``n_boot`` bootstrap resamples of ``n`` items as counts (each row sums to ``n``).

    Example:
        >>> w = bootstrap_weights(5, 3, np.random.default_rng(0))
        >>> w.shape, w.sum(axis=1).tolist()
        ((3, 5), [5.0, 5.0, 5.0])
    """
    idx = rng.integers(0, n, size=(n_boot, n))
    offsets = (np.arange(n_boot) * n)[:, None]
    return np.bincount((idx + offsets).ravel(), minlength=n_boot * n).reshape(n_boot, n) * 1.0


def bootstrap_correlations(
    x: Sequence[float] | np.ndarray,
    y: Sequence[float] | np.ndarray,
    *,
    n_boot: int = 1000,
    confidence: float = 0.95,
    seed: int | Sequence[int] = 0,
) -> dict[str, tuple[float, float]]:
    """Percentile bootstrap intervals of the Pearson and Spearman correlations of x and y.

    Customers are resampled with replacement ``n_boot`` times (seeded). Each resample is
    held as counts per customer, so Pearson is a weighted correlation and Spearman a weighted
    correlation of the mid-ranks the values take inside the resample (ties averaged, as
    ``scipy.stats.spearmanr`` does on the resampled data). Degenerate resamples (a constant
    variable) are skipped.

    Args:
        x: first variable, no missing values.
        y: second variable, same length.
        n_boot: number of resamples.
        confidence: two-sided level of the percentile interval.
        seed: seed (or seed sequence) of ``numpy.random.default_rng``.

    Returns:
        ``{"pearson": (low, high), "spearman": (low, high)}``.

    Example:
        >>> rng = np.random.default_rng(1)
        >>> x = rng.normal(size=200)
        >>> ci = bootstrap_correlations(x, x + rng.normal(size=200), n_boot=200)
        >>> ci["pearson"][0] < 0.71 < ci["pearson"][1]
        True
    """
    check_confidence(confidence)
    if n_boot < 1:
        raise ArgumentError(f"n_boot must be a positive integer; got {n_boot!r}")
    xa = np.asarray(x, dtype=float)
    ya = np.asarray(y, dtype=float)
    rng = np.random.default_rng(seed)
    ox, ix = _onehot(xa)
    oy, iy = _onehot(ya)
    pearson, spearman = [], []
    for start in range(0, n_boot, _BOOT_CHUNK):
        w = bootstrap_weights(len(xa), min(_BOOT_CHUNK, n_boot - start), rng)
        pearson.append(_weighted_corr(xa, ya, w))
        spearman.append(_weighted_corr(_resample_ranks(w, ox, ix), _resample_ranks(w, oy, iy), w))
    q = [50.0 * (1.0 - confidence), 50.0 * (1.0 + confidence)]
    out = {}
    for name, draws in (("pearson", pearson), ("spearman", spearman)):
        values = np.concatenate(draws)
        values = values[np.isfinite(values)]
        low, high = np.percentile(values, q) if len(values) else (np.nan, np.nan)
        out[name] = (float(low), float(high))
    return out


# --- partial correlation and fixed effects ----------------------------------------------------


def _demean_within(values: np.ndarray, groups: np.ndarray) -> np.ndarray:
    """Residuals of ``values`` regressed on group dummies (value minus its group mean)."""
    frame = pd.DataFrame({"v": values, "g": groups})
    return values - frame.groupby("g")["v"].transform("mean").to_numpy()


def partial_correlation(
    x: np.ndarray, y: np.ndarray, groups: np.ndarray | None, confidence: float = 0.95
) -> tuple[float, float, float, float]:
    """Correlation of x and y after removing group means (i.e. controlling for group dummies).

    The interval uses Fisher's z with ``se = 1 / sqrt(n - 3 - k)`` and the p-value the t
    statistic with ``n - 2 - k`` degrees of freedom, ``k`` being the number of dummies
    (groups - 1).

    Args:
        x: first variable.
        y: second variable.
        groups: the control (e.g. segment) per row, or None for the plain correlation.
        confidence: two-sided level of the interval.

    Returns:
        ``(r, ci_low, ci_high, p_value)``; NaN where undefined.

    Example:
        >>> x = np.array([1.0, 2, 3, 4, 11, 12, 13, 14])
        >>> y = np.array([2.0, 1, 4, 3, 0, 1, -1, 2])
        >>> g = np.array(list("aaaabbbb"))
        >>> round(partial_correlation(x, y, g)[0], 4)
        0.5
    """
    k = 0
    if groups is not None:
        k = len(pd.unique(groups)) - 1
        x = _demean_within(x, groups)
        y = _demean_within(y, groups)
    n = len(x)
    if n - 3 - k < 1 or np.std(x) == 0 or np.std(y) == 0:
        return (np.nan, np.nan, np.nan, np.nan)
    r = float(np.corrcoef(x, y)[0, 1])
    r = min(max(r, -1.0), 1.0)
    df = n - 2 - k
    with np.errstate(divide="ignore"):
        t = r * np.sqrt(df / max(1.0 - r * r, 1e-300))
    p = float(2.0 * st.t.sf(abs(t), df))
    half = z_value(confidence) / np.sqrt(n - 3 - k)
    zr = np.arctanh(np.clip(r, -1 + 1e-15, 1 - 1e-15))
    return r, float(np.tanh(zr - half)), float(np.tanh(zr + half)), p


def fixed_effects_slope(
    x: np.ndarray, y: np.ndarray, groups: np.ndarray | None, confidence: float = 0.95
) -> tuple[float, float, float, float]:
    """OLS slope of y on x with group fixed effects and HC3 robust standard errors.

    Fits ``y ~ 1 + x + group dummies`` with statsmodels; the slope is the change in y per
    unit of x within groups.

    Returns:
        ``(coef, ci_low, ci_high, p_value)``; NaN where the fit is undefined.

    Example:
        >>> x = np.arange(10.0)
        >>> y = 2 * x + np.array([0, 1, 0, 1, 0, 1, 0, 1, 0, 1.0])
        >>> round(fixed_effects_slope(x, y, None)[0], 4)
        2.0303
    """
    import statsmodels.api as sm

    columns = [np.ones(len(x)), x]
    if groups is not None:
        dummies = pd.get_dummies(pd.Series(groups, dtype="string"), drop_first=True, dtype=float)
        columns.extend(dummies.to_numpy().T)
    design = np.column_stack(columns)
    if len(x) <= design.shape[1] or np.std(x) == 0:
        return (np.nan, np.nan, np.nan, np.nan)
    fit = sm.OLS(y, design).fit(cov_type="HC3")
    low, high = fit.conf_int(alpha=1.0 - confidence)[1]
    return float(fit.params[1]), float(low), float(high), float(fit.pvalues[1])


# --- correlations --------------------------------------------------------------------------


def _prepare_frame(features: pd.DataFrame) -> pd.DataFrame:
    # one row order whatever order the engine's parallel scan returned: the seeded bootstrap
    # resamples rows by position, so its intervals would change from run to run otherwise
    frame = features.copy()
    if "customer_id" in frame.columns:
        frame = frame.sort_values("customer_id", kind="mergesort").reset_index(drop=True)
    if "churned" in frame.columns:
        churned = frame["churned"].astype("boolean")
        frame["retained"] = (~churned).astype("Float64").astype(float)
    return frame


def _correlation_row(
    x: np.ndarray,
    y: np.ndarray,
    groups: np.ndarray | None,
    *,
    n_boot: int,
    confidence: float,
    seed: Sequence[int],
) -> dict[str, float]:
    n = len(x)
    row: dict[str, float] = {"n": n}
    names = [
        "pearson",
        "pearson_ci_low",
        "pearson_ci_high",
        "pearson_p",
        "spearman",
        "spearman_ci_low",
        "spearman_ci_high",
        "spearman_p",
        "partial_r",
        "partial_ci_low",
        "partial_ci_high",
        "partial_p",
        "coef",
        "coef_ci_low",
        "coef_ci_high",
        "coef_p",
    ]
    row.update(dict.fromkeys(names, np.nan))
    if n < MIN_PAIRS or np.std(x) == 0 or np.std(y) == 0:
        return row
    pr = st.pearsonr(x, y)
    sr = st.spearmanr(x, y)
    boot = bootstrap_correlations(x, y, n_boot=n_boot, confidence=confidence, seed=seed)
    row.update(
        pearson=float(pr.statistic),
        pearson_p=float(pr.pvalue),
        spearman=float(sr.statistic),
        spearman_p=float(sr.pvalue),
        pearson_ci_low=boot["pearson"][0],
        pearson_ci_high=boot["pearson"][1],
        spearman_ci_low=boot["spearman"][0],
        spearman_ci_high=boot["spearman"][1],
    )
    keys = ("partial_r", "partial_ci_low", "partial_ci_high", "partial_p")
    row.update(zip(keys, partial_correlation(x, y, groups, confidence), strict=True))
    keys = ("coef", "coef_ci_low", "coef_ci_high", "coef_p")
    row.update(zip(keys, fixed_effects_slope(x, y, groups, confidence), strict=True))
    return row


def correlation_table(
    features: pd.DataFrame,
    *,
    scores: Sequence[str] = ("nps", "csat", "ces"),
    outcomes: Sequence[str] = ("revenue", "frequency", "retention", "value"),
    control: str | None = "segment",
    n_boot: int = 1000,
    confidence: float = 0.95,
    seed: int = 0,
    min_n: int = 30,
) -> pd.DataFrame:
    """Correlate attitude scores with outcomes on a per-customer feature table (pandas).

    The work behind :func:`correlations`, for a table from :func:`customer_features`.
    Each pair uses the customers that have both values. Missing control values form a group
    of their own.

    Args:
        features: per-customer table with the columns named in :data:`SCORES` and
            :data:`OUTCOMES` (``retention`` is computed from ``churned``).
        scores: keys of :data:`SCORES`.
        outcomes: keys of :data:`OUTCOMES`.
        control: column whose groups are controlled for (None: no control).
        n_boot: bootstrap resamples per pair.
        confidence: two-sided level of every interval.
        seed: base seed; pair ``i`` uses ``default_rng([seed, i])``.
        min_n: pairs with fewer customers are flagged ``small_sample``.

    Returns:
        DataFrame as described in :func:`correlations`.

    Example:
        >>> rng = np.random.default_rng(0)
        >>> nps = rng.integers(0, 11, 300).astype(float)
        >>> f = pd.DataFrame({"mean_nps": nps, "revenue_12m": 10 * nps + rng.normal(0, 20, 300),
        ...                   "segment": rng.choice(["a", "b"], 300)})
        >>> t = correlation_table(f, scores=["nps"], outcomes=["revenue"], n_boot=200)
        >>> bool(t.pearson[0] > 0.7)
        True
    """
    check_confidence(confidence)
    check_min_n(min_n)
    frame = _prepare_frame(features)
    if control is not None and control not in frame.columns:
        raise SchemaError(
            f"control column '{control}' is not in the feature table; pass control=None or "
            f"one of: {', '.join(c for c in frame.columns if _is_text(frame[c]))}"
        )
    rows = []
    for i, (score, outcome) in enumerate((s, o) for s in scores for o in outcomes):
        x_col, y_col = _column(SCORES, score, "score"), _column(OUTCOMES, outcome, "outcome")
        if x_col not in frame.columns or y_col not in frame.columns:
            continue
        cols = [x_col, y_col] + ([control] if control else [])
        data = frame[cols].dropna(subset=[x_col, y_col])
        groups = data[control].astype("string").fillna("(missing)").to_numpy() if control else None
        row = _correlation_row(
            data[x_col].to_numpy(dtype=float),
            data[y_col].to_numpy(dtype=float),
            groups,
            n_boot=n_boot,
            confidence=confidence,
            seed=(seed, i),
        )
        rows.append({"score": score, "outcome": outcome, **row, "control": control or ""})
    out = pd.DataFrame(rows)
    if out.empty:
        return out
    out["n"] = out["n"].astype("int64")
    out["small_sample"] = out["n"] < min_n
    return out


def _is_text(column: pd.Series) -> bool:
    return pd.api.types.is_string_dtype(column) or column.dtype == object


def _column(table: dict[str, str], name: str, what: str) -> str:
    if name not in table:
        raise ArgumentError(f"unknown {what} {name!r}; use one of: {', '.join(table)}")
    return table[name]


def correlations(
    ws: Catalog,
    *,
    scores: Sequence[str] = ("nps", "csat", "ces"),
    outcomes: Sequence[str] = ("revenue", "frequency", "retention", "value"),
    control: str | None = "segment",
    n_boot: int = 1000,
    confidence: float = 0.95,
    seed: int = 0,
    min_n: int = 30,
    as_of: Timestamp | None = None,
    features: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Customer-level correlation of NPS, CSAT and CES with revenue, frequency, retention, value.

    Per customer: the score is the mean of their answers up to ``as_of``; ``revenue`` is
    net revenue in the 12 months to ``as_of``, ``frequency`` the purchases in those months,
    ``retention`` 1 when not churned by ``as_of`` (else 0; the correlation is point-biserial),
    ``value`` all-history revenue (historical value; CLV models come later). Pearson and
    Spearman come with seeded percentile-bootstrap intervals over customers. The partial
    correlation controls for ``control`` (segment) by residualising both variables on its
    dummies; ``coef`` is the OLS slope of the outcome on the score with segment fixed
    effects (outcome units per score point, HC3 robust interval). These are associations,
    not causal effects.

    Args:
        ws: the Workspace (needs responses and transactions; customers for retention).
        scores: any of ``nps``, ``csat``, ``ces``.
        outcomes: any of ``revenue``, ``frequency``, ``retention``, ``value``.
        control: customer column to control for, or None.
        n_boot: bootstrap resamples per pair.
        confidence: two-sided level of every interval.
        seed: seed of the bootstrap.
        min_n: pairs with fewer customers are flagged ``small_sample``.
        as_of: the date the features describe (default: last date in the data).
        features: a table from :func:`customer_features` to reuse instead of querying.

    Returns:
        DataFrame, one row per score and outcome: ``score, outcome, n, pearson,
        pearson_ci_low, pearson_ci_high, pearson_p, spearman, spearman_ci_low,
        spearman_ci_high, spearman_p, partial_r, partial_ci_low, partial_ci_high, partial_p,
        coef, coef_ci_low, coef_ci_high, coef_p, control, small_sample``;
        :func:`correlation_notes` states the definitions behind it.

    Raises:
        SchemaError: the control column is missing, or there are no transactions.
        ArgumentError: unknown score or outcome, bad confidence or n_boot.

    Example:
        >>> correlations(ws, scores=["nps"], outcomes=["revenue"])  # doctest: +SKIP
    """
    if features is None:
        _require_transactions(ws, "correlations with revenue")
        features = customer_features(ws, as_of)
    out = correlation_table(
        features,
        scores=scores,
        outcomes=outcomes,
        control=control,
        n_boot=n_boot,
        confidence=confidence,
        seed=seed,
        min_n=min_n,
    )
    return out


def correlation_notes(
    *, control: str | None = "segment", confidence: float = 0.95, n_boot: int = 1000, seed: int = 0
) -> list[str]:
    """Return the definitions behind :func:`correlations` with these settings, as sentences.

    Example:
        >>> correlation_notes(control=None)[-2]
        'partial_r and coef: no control variable'
    """
    return [
        "score: each customer's mean answer up to the as-of date",
        "revenue: net revenue (refunds subtracted) in the 12 months to the as-of date; "
        "frequency: purchases (amount > 0) in those 12 months",
        "retention: 1 if the customer had not churned by the as-of date, else 0",
        "value: all-history net revenue per customer (historical value; CLV models come later)",
        f"intervals: {confidence:.0%} percentile bootstrap over customers, {n_boot} resamples, "
        f"seed {seed}",
        f"partial_r: correlation after residualising both on {control} dummies; coef: OLS "
        f"slope with {control} fixed effects, HC3 robust interval"
        if control
        else "partial_r and coef: no control variable",
        "associations, not causal effects",
    ]


def _require_transactions(ws: Catalog, what: str) -> None:
    if not ws.has_table("transactions"):
        raise SchemaError(
            f"{what} needs the transactions table (customer_id, occurred_at, amount); "
            "ingest one with ws.ingest(FILE, table='transactions')"
        )
    # revenue is summed per customer: never across currencies (SchemaError names them)
    transactions_currency(ws)


def transactions_currency(ws: Catalog, declared: str | None = None) -> str:
    """Return the currency of the transactions' amounts (:func:`cxlens.money.one_currency`).

    The distinct values of ``transactions.currency`` are read in the engine; without that
    column the ``declared`` currency is used (default: the workspace's, ``ws.currency``),
    and "" is returned when there is none.

    Raises:
        SchemaError: several currencies (never summed without a stated conversion), or a
            declared currency that is not the data's.

    Example:
        >>> transactions_currency(ws)  # doctest: +SKIP
        'USD'
    """
    if declared is None:
        declared = load_currency(ws)
    t = ws.table("transactions")
    if "currency" not in t.columns:
        return "" if declared is None else check_code(declared)
    found = run(t.select("currency").distinct(), "the currencies of transactions")["currency"]
    found = found.dropna()
    if found.empty and declared is None:
        return ""
    return one_currency(found.tolist(), declared, where="transactions.currency")


# --- value by NPS group ----------------------------------------------------------------------

_GROUP_COLUMNS = (
    "nps_group",
    "customers",
    "share",
    "revenue_per_customer",
    "revenue_ci_low",
    "revenue_ci_high",
    "revenue_sd",
    "purchases_per_customer",
    "value_per_customer",
    "retention_rate",
    "retention_ci_low",
    "retention_ci_high",
    "churn_rate",
    "churn_ci_low",
    "churn_ci_high",
    "retained",
    "status_known",
    "small_sample",
)


def value_by_nps_group(
    ws: Catalog,
    *,
    confidence: float = 0.95,
    min_n: int = 30,
    as_of: Timestamp | None = None,
) -> pd.DataFrame:
    """Summarise customers, revenue, frequency, retention and churn per NPS group.

    Customers are grouped by their latest NPS answer up to ``as_of`` (customers without an
    answer are left out); aggregated in the engine. Revenue per customer is the mean
    12-month revenue with a Student-t interval; retention and churn rates carry Wilson
    intervals.

    Args:
        ws: the Workspace (needs responses and transactions; customers for retention).
        confidence: two-sided level of the intervals.
        min_n: groups with fewer customers are flagged ``small_sample``.
        as_of: the date the features describe (default: last date in the data).

    Returns:
        DataFrame with one row per group (promoter, passive, detractor, in that order):
        ``nps_group, customers, share`` (of customers with an answer),
        ``revenue_per_customer, revenue_ci_low, revenue_ci_high, revenue_sd,
        purchases_per_customer, value_per_customer`` (all-history revenue),
        ``retention_rate, retention_ci_low, retention_ci_high, churn_rate, churn_ci_low,
        churn_ci_high`` (percent), ``retained, status_known, small_sample``.

    Raises:
        SchemaError: no transactions table.

    Example:
        >>> value_by_nps_group(ws)[["nps_group", "revenue_per_customer"]]  # doctest: +SKIP
    """
    _require_transactions(ws, "value by NPS group")
    return _value_by_group(plan_features(ws, as_of), confidence, min_n)


def _value_by_group(plan: FeaturePlan, confidence: float, min_n: int) -> pd.DataFrame:
    """Return the table of :func:`value_by_nps_group` from the feature query ``plan``."""
    table = profile(plan.expr, "nps_group", confidence=confidence, min_n=min_n)
    table = table[table["nps_group"].isin(NPS_GROUPS)].copy()
    order = {g: i for i, g in enumerate(NPS_GROUPS)}
    table = table.sort_values("nps_group", key=lambda s: s.map(order)).reset_index(drop=True)
    missing = [g for g in NPS_GROUPS if g not in set(table["nps_group"])]
    if missing:
        filler = pd.DataFrame({"nps_group": missing, "customers": 0, "small_sample": True})
        table = pd.concat([table, filler], ignore_index=True)
        table = table.sort_values("nps_group", key=lambda s: s.map(order)).reset_index(drop=True)
    total = table["customers"].sum()
    for col in ("customers", "retained", "status_known"):
        table[col] = table[col].fillna(0).astype("int64")
    table["share"] = table["customers"] / total if total else np.nan
    return table[list(_GROUP_COLUMNS)].reset_index(drop=True)


# --- NPS uplift ------------------------------------------------------------------------------

#: Moves between NPS groups, with the NPS points gained per 1% of respondents moved.
MOVES: tuple[tuple[str, str, int], ...] = (
    ("detractor", "passive", 1),
    ("detractor", "promoter", 2),
    ("passive", "promoter", 1),
)


@dataclass
class NpsUplift:
    """The value of moving customers between NPS groups, and the assumptions behind it.

    Attributes:
        table: one row per move (see :func:`nps_uplift`).
        assumptions: plain-language statements the projection rests on.
        points: the NPS gain projected.
        groups: the group table the differences come from (:func:`value_by_nps_group`).
    """

    table: pd.DataFrame
    assumptions: list[str]
    points: float
    groups: pd.DataFrame = field(repr=False, default_factory=pd.DataFrame)


def _welch_interval(
    m1: float, s1: float, n1: float, m0: float, s0: float, n0: float, confidence: float
) -> tuple[float, float]:
    v1, v0 = s1 * s1 / n1, s0 * s0 / n0
    se = np.sqrt(v1 + v0)
    denom = v1 * v1 / (n1 - 1) + v0 * v0 / (n0 - 1) if n1 > 1 and n0 > 1 else np.nan
    df = (v1 + v0) ** 2 / denom if denom and np.isfinite(denom) and denom > 0 else np.nan
    if not np.isfinite(df) or not np.isfinite(se):
        return (np.nan, np.nan)
    half = float(st.t.ppf(0.5 + confidence / 2.0, df) * se)
    return (m1 - m0 - half, m1 - m0 + half)


def newcombe_interval(
    x1: float, n1: float, x0: float, n0: float, confidence: float = 0.95
) -> tuple[float, float]:
    """Newcombe (1998) hybrid score interval for ``x1/n1 - x0/n0`` (method 10), as shares.

    Built from the two Wilson intervals: ``d - sqrt((p1 - l1)^2 + (u0 - p0)^2)`` to
    ``d + sqrt((u1 - p1)^2 + (p0 - l0)^2)``.

    Example:
        >>> lo, hi = newcombe_interval(56, 70, 48, 80)
        >>> round(lo, 4), round(hi, 4)
        (0.0524, 0.3339)
    """
    (l1,), (u1,) = wilson_interval([x1], [n1], confidence)
    (l0,), (u0,) = wilson_interval([x0], [n0], confidence)
    if not (n1 > 0 and n0 > 0):
        return (np.nan, np.nan)
    p1, p0 = x1 / n1, x0 / n0
    d = p1 - p0
    return (
        float(d - np.sqrt((p1 - l1) ** 2 + (u0 - p0) ** 2)),
        float(d + np.sqrt((u1 - p1) ** 2 + (p0 - l0) ** 2)),
    )


def _move_row(
    groups: pd.DataFrame, src: str, dst: str, gain: int, points: float, confidence: float
) -> dict[str, object]:
    a = groups.set_index("nps_group").loc[src]
    b = groups.set_index("nps_group").loc[dst]
    respondents = float(groups["customers"].sum())
    share = points / gain  # percent of respondents moved
    moved = respondents * share / 100.0
    diff = float(b["revenue_per_customer"] - a["revenue_per_customer"])
    rev_low, rev_high = _welch_interval(
        b["revenue_per_customer"], b["revenue_sd"], b["customers"],
        a["revenue_per_customer"], a["revenue_sd"], a["customers"], confidence,
    )  # fmt: skip
    p = welch_t_test(
        b["revenue_per_customer"], b["revenue_sd"], b["customers"],
        a["revenue_per_customer"], a["revenue_sd"], a["customers"],
    )[0]  # fmt: skip
    ret = float(b["retention_rate"] - a["retention_rate"])
    ret_low, ret_high = newcombe_interval(
        b["retained"], b["status_known"], a["retained"], a["status_known"], confidence
    )
    return {
        "move": f"{src} → {dst}",
        "from_group": src,
        "to_group": dst,
        "revenue_diff": diff,
        "revenue_diff_ci_low": rev_low,
        "revenue_diff_ci_high": rev_high,
        "revenue_diff_p": float(p),
        "retention_diff": ret,
        "retention_diff_ci_low": 100.0 * ret_low,
        "retention_diff_ci_high": 100.0 * ret_high,
        "share_moved": share,
        "customers_moved": moved,
        "feasible": bool(moved <= a["customers"]),
        "projected_revenue": moved * diff,
        "projected_revenue_ci_low": moved * rev_low,
        "projected_revenue_ci_high": moved * rev_high,
        "projected_retained": moved * ret / 100.0,
        "projected_retained_ci_low": moved * ret_low,
        "projected_retained_ci_high": moved * ret_high,
        "small_sample": bool(a["small_sample"] or b["small_sample"]),
    }


def uplift_table(groups: pd.DataFrame, points: float = 5, confidence: float = 0.95) -> pd.DataFrame:
    """Compute the uplift of each move from a group table like :func:`value_by_nps_group`'s.

    Args:
        groups: rows promoter, passive, detractor with customers, revenue_per_customer,
            revenue_sd, retention_rate, retained, status_known, small_sample.
        points: NPS points to gain.
        confidence: two-sided level of the intervals.

    Returns:
        DataFrame as described in :func:`nps_uplift`.

    Example:
        >>> g = pd.DataFrame({"nps_group": ["promoter", "passive", "detractor"],
        ...     "customers": [50, 30, 20], "revenue_per_customer": [120.0, 100.0, 80.0],
        ...     "revenue_sd": [10.0, 10.0, 10.0], "retention_rate": [90.0, 80.0, 60.0],
        ...     "retained": [45, 24, 12], "status_known": [50, 30, 20],
        ...     "small_sample": [False, False, True]})
        >>> t = uplift_table(g, points=4)
        >>> t[["move", "customers_moved", "projected_revenue"]].to_dict("records")[0]
        {'move': 'detractor → passive', 'customers_moved': 4.0, 'projected_revenue': 80.0}
    """
    check_confidence(confidence)
    return pd.DataFrame([_move_row(groups, s, d, g, points, confidence) for s, d, g in MOVES])


def _assumptions(points: float, respondents: int, as_of: pd.Timestamp | None) -> list[str]:
    when = f" to {as_of:%Y-%m-%d}" if as_of is not None else ""
    return [
        f"+{points:g} NPS points are reached by moving {points:g}% of the {respondents:,} "
        f"customers with an NPS answer from detractor to passive (or from passive to "
        f"promoter), or {points / 2:g}% from detractor to promoter (which counts twice); "
        "everyone else stays where they are.",
        "A moved customer takes on the mean 12-month revenue and the retention rate of the "
        "group they join: the full observed difference between the groups applies. The "
        "differences are associations, not measured causal effects.",
        f"Horizon: 12 months. Revenue is net of refunds over the 12 months{when}; "
        "no discounting, no growth.",
        "Groups come from each customer's latest NPS answer; customers without an answer "
        "are left out of the base.",
        "Intervals: Welch t for revenue differences, Newcombe hybrid score for retention "
        "differences; projected intervals scale those and ignore any uncertainty in the "
        "number of customers moved.",
        "Value is historical revenue; CLV models come later.",
    ]


def nps_uplift(
    ws: Catalog,
    points: float = 5,
    *,
    confidence: float = 0.95,
    min_n: int = 30,
    as_of: Timestamp | None = None,
) -> NpsUplift:
    """Estimate the value of moving customers between NPS groups, and of +N NPS points.

    For each move (detractor → passive, detractor → promoter, passive → promoter): the
    difference in mean 12-month revenue and in retention between the two groups, with
    intervals, and the projected effect of gaining ``points`` NPS points by that move alone
    under the assumptions returned with it (moving 1% of respondents from detractor to
    passive, or passive to promoter, adds 1 point; detractor to promoter adds 2).

    Args:
        ws: the Workspace (needs responses and transactions; customers for retention).
        points: NPS points to gain (positive).
        confidence: two-sided level of the intervals.
        min_n: moves involving a group with fewer customers are flagged ``small_sample``.
        as_of: the date the features describe (default: last date in the data).

    Returns:
        NpsUplift with ``table`` (one row per move: ``move, from_group, to_group,
        revenue_diff, revenue_diff_ci_low, revenue_diff_ci_high, revenue_diff_p,
        retention_diff, retention_diff_ci_low, retention_diff_ci_high`` (points of percent),
        ``share_moved`` (percent of respondents), ``customers_moved, feasible,
        projected_revenue, projected_revenue_ci_low, projected_revenue_ci_high,
        projected_retained, projected_retained_ci_low, projected_retained_ci_high,
        small_sample``), ``assumptions`` (list of strings), ``points`` and ``groups``.

    Raises:
        ArgumentError: points is not positive.
        SchemaError: no transactions table.

    Example:
        >>> up = nps_uplift(ws, points=5)  # doctest: +SKIP
        >>> up.assumptions[0]  # doctest: +SKIP
    """
    if not (isinstance(points, int | float) and np.isfinite(points) and points > 0):
        raise ArgumentError(f"points must be a positive number of NPS points; got {points!r}")
    _require_transactions(ws, "value by NPS group")
    plan = plan_features(ws, as_of)
    groups = _value_by_group(plan, confidence, min_n)
    table = uplift_table(groups, points, confidence)
    assumptions = _assumptions(float(points), int(groups["customers"].sum()), plan.as_of)
    return NpsUplift(table=table, assumptions=assumptions, points=float(points), groups=groups)
