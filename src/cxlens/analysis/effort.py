"""Customer effort: how CES goes with satisfaction, loyalty and behaviour, and where it costs.

CES in cxlens is the 1-7 *ease* answer ("the company made it easy for me..."): higher means
easier, so "low effort" is 5-7 and "high effort" 1-3. Three views:

* :func:`effort_correlations` — CES against CSAT and NPS per answer (Pearson and Spearman),
  and per customer against repurchase and churn afterwards (point-biserial);
* :func:`effort_bands` — repurchase and churn rates of low-, neutral- and high-effort
  customers, and the low-minus-high difference;
* :func:`effort_by_touchpoint` — CES per touchpoint, how much NPS moves per CES point
  there, and the "process optimisation list" ranked by loyalty at stake.

Every function aggregates in the engine (contingency tables, per-customer outcomes and sums
of products come back, never the answers) and takes a Workspace or a pandas frame of
responses (run through DuckDB via ``ibis.memtable``). Formulas: docs/analysis-drivers.md.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import ibis
import ibis.expr.types as ir
import numpy as np
import pandas as pd
from scipy import stats as st

from cxlens.errors import ArgumentError, NotEnoughDataError, SchemaError
from cxlens.metrics.stats import (
    check_confidence,
    check_min_n,
    two_proportion_z_test,
    wilson_interval,
    z_value,
)
from cxlens.metrics.survey import ces as ces_metric
from cxlens.store.catalog import Catalog
from cxlens.store.query import is_present, require_numeric, require_temporal, run

#: CES bands on the 1-7 ease scale: (label, lowest, highest) — higher CES = easier.
BANDS: tuple[tuple[str, float, float], ...] = (
    ("high effort (1-3)", 1.0, 3.0),
    ("neutral (3-5)", 3.0, 5.0),
    ("low effort (5-7)", 5.0, 7.0),
)
#: Label of the low-minus-high difference row of :func:`effort_bands`.
DIFFERENCE = "low − high effort"
CORRELATION_COLUMNS: tuple[str, ...] = (
    "level",
    "measure",
    "method",
    "n",
    "estimate",
    "ci_low",
    "ci_high",
    "p_value",
    "small_sample",
)

BAND_COLUMNS: tuple[str, ...] = (
    "outcome",
    "band",
    "n",
    "events",
    "rate",
    "ci_low",
    "ci_high",
    "p_value",
    "small_sample",
)
TOUCHPOINT_COLUMNS: tuple[str, ...] = (
    "touchpoint",
    "n",
    "ces",
    "ces_ci_low",
    "ces_ci_high",
    "nps_per_ces_point",
    "slope_ci_low",
    "slope_ci_high",
    "ces_gap",
    "loyalty_at_stake",
    "rank",
    "small_sample",
)

Source = Catalog | pd.DataFrame


# --------------------------------------------------------------------------------------
# inputs


def _responses(source: Source) -> ir.Table:
    if isinstance(source, pd.DataFrame):
        return ibis.memtable(source)
    if isinstance(source, ir.Table):
        return source
    if not source.has_table("responses"):
        raise NotEnoughDataError(
            "effort analysis needs the 'responses' table, which this workspace does not have; "
            "ingest a survey file first"
        )
    return source.table("responses")


def _optional(source: Source, name: str) -> ir.Table | None:
    if isinstance(source, pd.DataFrame | ir.Table) or not source.has_table(name):
        return None
    return source.table(name)


def _check_days(name: str, days: int) -> int:
    if isinstance(days, bool) or not isinstance(days, int | np.integer) or days <= 0:
        raise ArgumentError(f"{name} must be a positive whole number of days; got {days!r}")
    return int(days)


def _check_outcome_settings(repurchase_days: int, churn_days: int, ces: str) -> tuple[int, int]:
    if ces not in ("mean", "first"):
        raise ArgumentError(f"ces must be 'mean' or 'first'; got {ces!r}")
    return _check_days("repurchase_days", repurchase_days), _check_days("churn_days", churn_days)


# --------------------------------------------------------------------------------------
# correlation arithmetic on weighted (contingency) data


def _weighted_pearson(x: np.ndarray, y: np.ndarray, w: np.ndarray) -> float:
    total = w.sum()
    mx, my = (w @ x) / total, (w @ y) / total
    sxy = w @ ((x - mx) * (y - my))
    sxx, syy = w @ (x - mx) ** 2, w @ (y - my) ** 2
    if sxx <= 0 or syy <= 0:
        return float("nan")
    return float(np.clip(sxy / np.sqrt(sxx * syy), -1.0, 1.0))


def midranks(values: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """Average rank of each value when ``counts[i]`` observations hold ``values[i]``.

    Ties share the mean of the ranks they span, as ``scipy.stats.rankdata`` does.

    Example:
        >>> midranks(np.array([2.0, 1.0, 2.0]), np.array([1, 2, 3])).tolist()
        [4.5, 1.5, 4.5]
    """
    levels, inverse = np.unique(values, return_inverse=True)
    per_level = np.bincount(inverse, weights=counts, minlength=len(levels))
    before = np.concatenate([[0.0], np.cumsum(per_level)[:-1]])
    return (before + (per_level + 1.0) / 2.0)[inverse]


def correlation_summary(
    r: float, n: int, confidence: float, *, spearman: bool = False
) -> tuple[float, float, float]:
    """Fisher-z interval and t-test p-value of a correlation ``r`` from ``n`` pairs.

    The interval is ``tanh(atanh(r) ± z·se)`` with ``se = 1/√(n-3)`` (Pearson) or
    ``√(1.06/(n-3))`` for Spearman (Fieller, Hartley & Pearson 1957); the p-value is the
    two-sided test of ``t = r √((n-2)/(1-r²))`` on n-2 degrees of freedom (as scipy).

    Returns:
        ``(ci_low, ci_high, p_value)``; NaN when n < 4 or r is NaN.

    Example:
        >>> [round(v, 4) for v in correlation_summary(0.5, 50, 0.95)]
        [0.2575, 0.6833, 0.0002]
    """
    if not np.isfinite(r) or n < 4:
        return float("nan"), float("nan"), float("nan")
    se = np.sqrt((1.06 if spearman else 1.0) / (n - 3))
    z = np.arctanh(np.clip(r, -0.999999999, 0.999999999))
    half = z_value(confidence) * se
    if abs(r) >= 1.0:
        p = 0.0
    else:
        t = r * np.sqrt((n - 2) / (1.0 - r * r))
        p = float(2.0 * st.t.sf(abs(t), n - 2))
    return float(np.tanh(z - half)), float(np.tanh(z + half)), p


def _row(level: str, measure: str, method: str, n: int, r: float, confidence: float,
         min_n: int) -> dict[str, Any]:  # fmt: skip
    low, high, p = correlation_summary(r, n, confidence, spearman=method == "spearman")
    return {"level": level, "measure": measure, "method": method, "n": int(n), "estimate": r,
            "ci_low": low, "ci_high": high, "p_value": p, "small_sample": n < min_n}  # fmt: skip


# --------------------------------------------------------------------------------------
# per-customer outcomes, built in the engine


def _as_of(responses: ir.Table, transactions: ir.Table | None, as_of: Any) -> Any:
    if as_of is not None:
        return pd.Timestamp(as_of)
    ends = [run(responses.responded_at.max(), "the latest answer")]
    if transactions is not None:
        ends.append(run(transactions.occurred_at.max(), "the latest transaction"))
    ends = [pd.Timestamp(e) for e in ends if e is not None and not pd.isna(e)]
    return max(ends) if ends else None


def _per_customer(responses: ir.Table, ces: str) -> ir.Table:
    """One row per customer: their CES (mean or first answer) and first CES answer time."""
    require_temporal(responses, "responses", "responded_at")
    if "customer_id" not in responses.columns:
        raise SchemaError("responses has no customer_id column; cannot follow customers")
    rows = responses.filter(is_present(responses.ces) & responses.customer_id.notnull())
    value = rows.ces.mean() if ces == "mean" else rows.ces.argmin(rows.responded_at)
    return rows.group_by("customer_id").aggregate(
        ces=value.cast("float64"), anchor=rows.responded_at.min()
    )


def customer_outcomes(
    source: Source,
    *,
    repurchase_days: int = 90,
    churn_days: int = 180,
    ces: str = "mean",
    as_of: datetime | str | None = None,
) -> dict[str, ir.Table]:
    """Per-customer CES and later behaviour, as lazy engine tables (one per outcome).

    A customer's anchor is their first CES answer; their CES is the mean of their CES
    answers (``ces="mean"``) or the first answer only (``ces="first"``, strictly before
    the outcome). ``repurchase_<d>d`` is 1 when they bought (amount > 0) within
    ``repurchase_days`` after the anchor; ``churn_<d>d`` is 1 when ``customers.churned_at``
    falls within ``churn_days`` after it. Customers whose window runs past ``as_of``
    (default: the latest answer or transaction) are left out, as are customers who had
    churned before the anchor.

    Args:
        source: a Workspace with responses and customers and/or transactions.
        repurchase_days: length of the repurchase window.
        churn_days: length of the churn window.
        ces: ``"mean"`` or ``"first"``.
        as_of: end of the observed data.

    Returns:
        ``{outcome name: Ibis table (customer_id, ces, outcome)}`` for the outcomes the
        workspace has the tables for (none for a frame).

    Example:
        >>> sorted(customer_outcomes(ws))  # doctest: +SKIP
        ['churn_180d', 'repurchase_90d']
    """
    rep_days, churn = _check_outcome_settings(repurchase_days, churn_days, ces)
    responses = _responses(source)
    transactions = _optional(source, "transactions")
    customers = _optional(source, "customers")
    if transactions is None and customers is None:
        return {}
    end = _as_of(responses, transactions, as_of)
    per = _per_customer(responses, ces)
    out: dict[str, ir.Table] = {}
    if transactions is not None and end is not None:
        out[f"repurchase_{rep_days}d"] = _repurchase(per, transactions, rep_days, end)
    if customers is not None and "churned_at" in customers.columns and end is not None:
        out[f"churn_{churn}d"] = _churn(per, customers, churn, end)
    return out


def _repurchase(per: ir.Table, transactions: ir.Table, days: int, end: Any) -> ir.Table:
    require_numeric(transactions, "transactions", "amount")
    require_temporal(transactions, "transactions", "occurred_at")
    tx = transactions.filter(transactions.amount > 0)
    tx = tx.select(_cid=tx.customer_id, _at=tx.occurred_at)
    window = ibis.interval(days=days)
    joined = per.left_join(
        tx, [per.customer_id == tx._cid, tx._at > per.anchor, tx._at <= per.anchor + window]
    )
    counted = joined.group_by(["customer_id", "ces", "anchor"]).aggregate(_k=joined._at.count())
    counted = counted.filter(counted.anchor + window <= ibis.literal(end))
    return counted.select("customer_id", "ces", outcome=(counted._k > 0).ifelse(1, 0))


def _churn(per: ir.Table, customers: ir.Table, days: int, end: Any) -> ir.Table:
    require_temporal(customers, "customers", "churned_at")
    c = customers.select(_cid=customers.customer_id, _churned=customers.churned_at)
    joined = per.join(c, per.customer_id == c._cid)
    window = ibis.interval(days=days)
    joined = joined.filter(
        (joined._churned.isnull() | (joined._churned > joined.anchor))
        & (joined.anchor + window <= ibis.literal(end))
    )
    hit = joined._churned.notnull() & (joined._churned <= joined.anchor + window)
    return joined.select("customer_id", "ces", outcome=hit.ifelse(1, 0))


# --------------------------------------------------------------------------------------
# public analyses


def effort_correlations(
    source: Source,
    against: Sequence[str] = ("csat", "nps"),
    *,
    confidence: float = 0.95,
    min_n: int = 30,
    repurchase_days: int = 90,
    churn_days: int = 180,
    ces: str = "mean",
    as_of: datetime | str | None = None,
) -> pd.DataFrame:
    """Correlate CES with satisfaction and loyalty per answer, and with behaviour per customer.

    Per answer (pairs where both are given): Pearson and Spearman correlation of ``ces``
    with each column of ``against``, computed from the engine's contingency table of the
    two ratings (Spearman with mid-ranks for ties, as scipy). Per customer (Workspace with
    customers/transactions): the point-biserial (Pearson) correlation of the customer's CES
    with repurchase within ``repurchase_days`` and churn within ``churn_days`` after their
    first CES answer (see :func:`customer_outcomes`). Intervals: Fisher z (see
    :func:`correlation_summary`).

    Args:
        source: a Workspace, or a pandas frame of responses (answer level only).
        against: response columns to correlate with ``ces`` (e.g. csat, nps, driver_ease).
        confidence: level of the intervals.
        min_n: pairs below this are flagged ``small_sample``.
        repurchase_days: repurchase window after the anchor answer.
        churn_days: churn window after the anchor answer.
        ces: per-customer CES: ``"mean"`` of their answers or the ``"first"`` one.
        as_of: end of the observed data (default: latest answer or transaction).

    Returns:
        DataFrame with columns ``level`` (response/customer), ``measure``, ``method``
        (pearson, spearman, point-biserial), ``n, estimate, ci_low, ci_high, p_value,
        small_sample``.

    Example:
        >>> df = pd.DataFrame({"ces": [1, 2, 3, 4, 5, 6, 7, 7],
        ...                    "nps": [2, 3, 6, 5, 8, 9, 10, 9]})
        >>> out = effort_correlations(df, against=["nps"])
        >>> out[["method", "n"]].values.tolist()
        [['pearson', 8], ['spearman', 8]]
    """
    check_confidence(confidence)
    check_min_n(min_n)
    _check_outcome_settings(repurchase_days, churn_days, ces)
    responses = _responses(source)
    require_numeric(responses, "responses", "ces")
    rows: list[dict[str, Any]] = []
    for measure in [against] if isinstance(against, str) else list(against):
        if measure == "ces":
            raise ArgumentError("against names ces itself; pick other columns")
        require_numeric(responses, "responses", measure)
        pairs = responses.filter(is_present(responses.ces) & is_present(responses[measure]))
        table = run(
            pairs.group_by(["ces", measure]).aggregate(_w=pairs.count()), f"CES x {measure}"
        )
        x = table["ces"].to_numpy(dtype=np.float64)
        y = table[measure].to_numpy(dtype=np.float64)
        w = table["_w"].to_numpy(dtype=np.float64)
        n = int(w.sum())
        if n == 0:
            continue
        pearson = _weighted_pearson(x, y, w)
        spearman = _weighted_pearson(midranks(x, w), midranks(y, w), w)
        rows.append(_row("response", measure, "pearson", n, pearson, confidence, min_n))
        rows.append(_row("response", measure, "spearman", n, spearman, confidence, min_n))
    outcomes = customer_outcomes(
        source, repurchase_days=repurchase_days, churn_days=churn_days, ces=ces, as_of=as_of
    )
    for name, table in outcomes.items():
        sums = run(
            table.aggregate(
                n=table.count(),
                sx=table.ces.sum(),
                sy=table.outcome.sum(),
                sxx=(table.ces * table.ces).sum(),
                sxy=(table.ces * table.outcome).sum(),
            ),
            f"CES and {name}",
        ).iloc[0]
        n = int(sums["n"])
        r = _pearson_from_sums(sums) if n else float("nan")
        rows.append(_row("customer", name, "point-biserial", n, r, confidence, min_n))
    return pd.DataFrame(rows, columns=list(CORRELATION_COLUMNS))


def _pearson_from_sums(s: pd.Series) -> float:
    n = float(s["n"])
    sx, sy = float(s["sx"] or 0.0), float(s["sy"] or 0.0)
    sxx, sxy = float(s["sxx"] or 0.0), float(s["sxy"] or 0.0)
    syy = sy  # the outcome is 0/1, so y² = y
    cov = sxy - sx * sy / n
    vx, vy = sxx - sx * sx / n, syy - sy * sy / n
    if vx <= 0 or vy <= 0:
        return float("nan")
    return float(np.clip(cov / np.sqrt(vx * vy), -1.0, 1.0))


def effort_bands(
    source: Catalog,
    *,
    confidence: float = 0.95,
    min_n: int = 30,
    repurchase_days: int = 90,
    churn_days: int = 180,
    ces: str = "mean",
    as_of: datetime | str | None = None,
) -> pd.DataFrame:
    """Repurchase and churn rates of high-, neutral- and low-effort customers.

    Customers are banded by their CES (see :func:`customer_outcomes`): high effort 1-3,
    neutral strictly between 3 and 5, low effort 5-7. Rates carry Wilson intervals; the
    ``low − high effort`` row gives the difference in percentage points with Newcombe's
    (1998) hybrid score interval and a pooled two-proportion z-test.

    Args:
        source: a Workspace with responses and customers and/or transactions.
        confidence: level of the intervals.
        min_n: bands with fewer customers are flagged ``small_sample``.
        repurchase_days: repurchase window after the anchor answer.
        churn_days: churn window after the anchor answer.
        ces: per-customer CES: ``"mean"`` or ``"first"``.
        as_of: end of the observed data.

    Returns:
        DataFrame with columns ``outcome, band, n, events, rate, ci_low, ci_high, p_value,
        small_sample``; rates in %.

    Raises:
        NotEnoughDataError: the workspace has neither customers nor transactions.

    Example:
        >>> effort_bands(ws).query("band == 'low − high effort'")  # doctest: +SKIP
    """
    check_confidence(confidence)
    check_min_n(min_n)
    outcomes = customer_outcomes(
        source, repurchase_days=repurchase_days, churn_days=churn_days, ces=ces, as_of=as_of
    )
    if not outcomes:
        raise NotEnoughDataError(
            "effort bands need a customers table (churned_at) or a transactions table next to "
            "responses; ingest one first"
        )
    parts = [_band_rows(name, table, confidence, min_n) for name, table in outcomes.items()]
    return pd.concat(parts, ignore_index=True)[list(BAND_COLUMNS)]


def _band_rows(name: str, table: ir.Table, confidence: float, min_n: int) -> pd.DataFrame:
    hard, _, easy = (b[0] for b in BANDS)
    banded = table.mutate(_band=ibis.cases(
        (table.ces <= BANDS[0][2], hard), (table.ces >= BANDS[2][1], easy), else_=BANDS[1][0]
    ))  # fmt: skip
    agg = run(
        banded.group_by("_band").aggregate(n=banded.count(), events=banded.outcome.sum()),
        f"{name} by CES band",
    ).set_index("_band")
    agg = agg.reindex([b[0] for b in BANDS]).fillna(0)
    n = agg["n"].to_numpy(dtype=np.float64)
    k = agg["events"].to_numpy(dtype=np.float64)
    low, high = wilson_interval(k, n, confidence)
    with np.errstate(all="ignore"):
        rate = np.where(n > 0, k / n, np.nan)
    out = pd.DataFrame(
        {
            "outcome": name,
            "band": agg.index,
            "n": n.astype("int64"),
            "events": k.astype("int64"),
            "rate": 100.0 * rate,
            "ci_low": 100.0 * low,
            "ci_high": 100.0 * high,
            "p_value": np.nan,
            "small_sample": n < min_n,
        }
    )
    diff = _newcombe(k[2], n[2], k[0], n[0], confidence)
    out.loc[len(out)] = {
        "outcome": name, "band": DIFFERENCE, "n": int(n[2] + n[0]), "events": int(k[2] + k[0]),
        "rate": diff[0], "ci_low": diff[1], "ci_high": diff[2], "p_value": diff[3],
        "small_sample": bool(min(n[2], n[0]) < min_n),
    }  # fmt: skip
    return out


def _newcombe(
    x1: float, n1: float, x0: float, n0: float, confidence: float
) -> tuple[float, float, float, float]:
    """Difference of two shares in points with Newcombe's hybrid score interval and p-value."""
    if n1 == 0 or n0 == 0:
        return (float("nan"),) * 4  # type: ignore[return-value]
    p1, p0 = x1 / n1, x0 / n0
    l1, u1 = (float(v[0]) for v in wilson_interval([x1], [n1], confidence))
    l0, u0 = (float(v[0]) for v in wilson_interval([x0], [n0], confidence))
    d = p1 - p0
    low = d - np.sqrt((p1 - l1) ** 2 + (u0 - p0) ** 2)
    high = d + np.sqrt((u1 - p1) ** 2 + (p0 - l0) ** 2)
    p = float(two_proportion_z_test([x1], [n1], [x0], [n0])[0])
    return 100.0 * d, 100.0 * low, 100.0 * high, p


def effort_by_touchpoint(
    source: Source,
    *,
    min_n: int = 30,
    confidence: float = 0.95,
) -> pd.DataFrame:
    """CES per touchpoint and the loyalty each touchpoint's effort costs: the optimisation list.

    For each touchpoint: mean CES with its t-interval (:func:`cxlens.metrics.ces`), and the
    OLS slope of the NPS contribution ``s = 100·[nps ≥ 9] - 100·[nps ≤ 6]`` on CES over the
    answers that give both — ``nps_per_ces_point``: how many NPS points the touchpoint's
    score moves per CES point (the mean of s is the NPS) — with its t-interval. Then

        loyalty_at_stake = nps_per_ces_point × (best CES - CES) × n / 100

    where the best CES is the highest mean CES among the ranked touchpoints and n the
    touchpoint's CES answers: the net promoters (promoters gained plus detractors avoided)
    the touchpoint would win over those answers if its effort matched the best touchpoint,
    assuming the within-touchpoint slope holds. Touchpoints with fewer than ``min_n``
    answers are flagged ``small_sample`` and not ranked (nor can they set the best CES).

    Args:
        source: a Workspace or a pandas frame of responses (touchpoint, ces, nps).
        min_n: fewest CES answers for a touchpoint to be ranked.
        confidence: level of the intervals.

    Returns:
        DataFrame with columns ``touchpoint, n, ces, ces_ci_low, ces_ci_high,
        nps_per_ces_point, slope_ci_low, slope_ci_high, ces_gap, loyalty_at_stake, rank,
        small_sample``, ranked touchpoints first (rank 1 = most loyalty at stake).

    Example:
        >>> df = pd.DataFrame({"touchpoint": ["app"] * 4 + ["billing"] * 4,
        ...                    "ces": [6, 7, 5, 6, 2, 3, 4, 3], "nps": [9, 10, 8, 9, 4, 7, 9, 6]})
        >>> out = effort_by_touchpoint(df, min_n=2)
        >>> out[["touchpoint", "ces", "ces_gap", "rank"]].values.tolist()
        [['billing', 3.0, 3.0, 1], ['app', 6.0, 0.0, 2]]
    """
    check_confidence(confidence)
    check_min_n(min_n)
    responses = _responses(source)
    for col in ("ces", "nps"):
        require_numeric(responses, "responses", col)
    if "touchpoint" not in responses.columns:
        raise SchemaError("responses has no touchpoint column; effort by touchpoint needs it")
    rows = responses.filter(responses.touchpoint.notnull())
    means = ces_metric(rows, by="touchpoint", confidence=confidence, min_n=min_n)
    if means.empty:
        raise NotEnoughDataError("no CES answers with a touchpoint; nothing to compare")
    slopes = _slopes(rows, confidence)
    out = means[["touchpoint", "n", "value", "ci_low", "ci_high", "small_sample"]].rename(
        columns={"value": "ces", "ci_low": "ces_ci_low", "ci_high": "ces_ci_high"}
    )
    out = out.merge(slopes, on="touchpoint", how="left")
    ranked = ~out["small_sample"]
    best = out.loc[ranked, "ces"].max() if ranked.any() else np.nan
    out["ces_gap"] = best - out["ces"]
    out["loyalty_at_stake"] = out["nps_per_ces_point"] * out["ces_gap"] * out["n"] / 100.0
    rank = out.loc[ranked, "loyalty_at_stake"].rank(ascending=False, method="min")
    out["rank"] = pd.array([pd.NA] * len(out), dtype="Int64")
    out.loc[ranked, "rank"] = rank.astype("int64").to_numpy()
    out = out.sort_values(["rank", "ces"], na_position="last", kind="mergesort")
    out["small_sample"] = out["small_sample"].astype(bool)
    out["n"] = out["n"].astype("int64")
    return out[list(TOUCHPOINT_COLUMNS)].reset_index(drop=True)


def _slopes(rows: ir.Table, confidence: float) -> pd.DataFrame:
    pairs = rows.filter(is_present(rows.ces) & is_present(rows.nps))
    x = pairs.ces.cast("float64")
    s = (pairs.nps >= 9).ifelse(100.0, 0.0) - (pairs.nps <= 6).ifelse(100.0, 0.0)
    agg = run(
        pairs.group_by("touchpoint").aggregate(
            _n=pairs.count(), sx=x.sum(), ss=s.sum(), sxx=(x * x).sum(), sxs=(x * s).sum(),
            sss=(s * s).sum(),
        ),
        "NPS on CES per touchpoint",
    )  # fmt: skip
    n = agg["_n"].to_numpy(dtype=np.float64)
    with np.errstate(all="ignore"):
        sxx = agg["sxx"].to_numpy(dtype=np.float64) - agg["sx"].to_numpy() ** 2 / n
        sxs = agg["sxs"].to_numpy(dtype=np.float64) - agg["sx"].to_numpy() * agg["ss"] / n
        sss = agg["sss"].to_numpy(dtype=np.float64) - agg["ss"].to_numpy() ** 2 / n
        slope = np.where(sxx > 0, sxs / sxx, np.nan)
        resid = np.clip(sss - slope * sxs, 0.0, None) / (n - 2.0)
        se = np.where(n > 2, np.sqrt(resid / sxx), np.nan)
        tq = st.t.ppf(0.5 + confidence / 2.0, np.where(n > 2, n - 2.0, np.nan))
    low, high = slope - tq * se, slope + tq * se
    return pd.DataFrame(
        {
            "touchpoint": agg["touchpoint"],
            "nps_per_ces_point": slope,
            "slope_ci_low": low,
            "slope_ci_high": high,
        }
    )
