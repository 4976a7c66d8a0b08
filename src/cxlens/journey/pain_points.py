"""Pain points: touchpoints (overall and per segment) where bad outcomes are more likely.

The unit is an answer left at a touchpoint. Its outcomes: ``detractor`` (NPS 0-6),
``high_effort`` (CES 1-3 on the 1-7 scale) and ``churn`` (the customer's ``churned_at`` falls
within ``churn_days`` after the answer). A *cell* is a touchpoint, overall and within each
group of the ``by`` columns (default: the customers' ``segment``).

Each cell's rate in the recent window (the last ``recent_months`` months of answers) is
compared, as a lift (risk ratio, Katz log interval), with

* ``compare="past"`` (default): the same cell before the window - what got worse. A
  touchpoint that is always harder (support, say) is a known cost, not news; a touchpoint
  that turned bad is the pain point to act on.
* ``compare="rest"``: the other touchpoints of the same group in the window - where the
  outcome is worse than elsewhere right now (``recent_months=None``: over all answers).

Cells are ranked by excess customers affected, ``affected * (1 - 1 / lift)`` (customers with
the bad outcome in the cell, times the share attributable to the cell), significant lifts
first; small cells are flagged and not ranked. The engine returns one row per group,
touchpoint and window; everything after that is arithmetic on that small table.
"""

from __future__ import annotations

from collections.abc import Sequence

import ibis
import ibis.expr.types as ir
import numpy as np
import pandas as pd

from cxlens.errors import ArgumentError, NotEnoughDataError, SchemaError
from cxlens.metrics.definitions import is_detractor, is_high_effort
from cxlens.metrics.stats import check_confidence, check_min_n, z_value
from cxlens.store.query import is_present, require_columns, run

OUTCOMES: tuple[str, ...] = ("detractor", "high_effort", "churn")
COMPARISONS: tuple[str, ...] = ("past", "rest")

#: Columns of :func:`pain_points`.
_CELL_COLUMNS: tuple[str, ...] = (
    "rank",
    "touchpoint",
    "dimension",
    "group",
    "outcome",
    "n",
    "rate",
    "baseline_n",
    "baseline_rate",
    "lift",
    "lift_ci_low",
    "lift_ci_high",
    "affected",
    "excess_customers",
    "significant",
    "small_sample",
)
#: Columns of :func:`pain_points`: each cell's figures, then the recent window they cover
#: (``window_start`` is NaT when the window is every answer).
PAIN_COLUMNS: tuple[str, ...] = (*_CELL_COLUMNS, "window_start", "window_end")


def _outcome_flags(r: ir.Table, customers: ir.Table | None, churn_days: int) -> dict:
    flags: dict[str, ir.BooleanValue] = {}
    if "nps" in r.columns:
        nps = r["nps"]
        flags["detractor"] = is_present(nps).ifelse(is_detractor(nps.cast("float64")), None)
    if "ces" in r.columns:
        ces = r["ces"]
        flags["high_effort"] = is_present(ces).ifelse(is_high_effort(ces.cast("float64")), None)
    if customers is not None and "churned_at" in r.columns:
        gone = r["churned_at"]
        after = gone.epoch_seconds() - r["responded_at"].epoch_seconds()
        flags["churn"] = gone.notnull() & (after >= 0) & (after <= churn_days * 86_400)
    return flags


def pain_points(
    responses: ir.Table,
    customers: ir.Table | None = None,
    *,
    by: Sequence[str] | str | None = ("segment",),
    outcomes: Sequence[str] = OUTCOMES,
    compare: str = "past",
    recent_months: int | None = 6,
    churn_days: int = 90,
    confidence: float = 0.95,
    min_n: int = 30,
) -> pd.DataFrame:
    """Return touchpoints (overall and per group) where bad outcomes are more likely.

    Args:
        responses: the responses table (``customer_id``, ``responded_at``, ``touchpoint``,
            ``nps``/``ces``).
        customers: the customers table (for ``by`` columns and churn; None: neither).
        by: customer columns to split cells by; missing ones are skipped when left at the
            default, an error when named.
        outcomes: any of ``detractor``, ``high_effort``, ``churn``.
        compare: ``"past"`` (the cell before the window) or ``"rest"`` (other touchpoints of
            the group in the window).
        recent_months: length of the recent window (None with ``compare="rest"``: all answers).
        churn_days: an answer counts as followed by churn within this many days.
        confidence: level of the lift interval.
        min_n: cells with fewer answers (in the window or the baseline) are ``small_sample``.

    Returns:
        DataFrame with :data:`PAIN_COLUMNS`: ``dimension`` is ``"all"`` or the ``by`` column,
        ``group`` its value; rates in percent; ``affected`` counts customers with the bad
        outcome in the cell; ``rank`` 1 is the worst (small samples have no rank);
        ``window_start`` and ``window_end`` bound the recent window (the same on every row).

    Raises:
        ArgumentError: unknown outcome or comparison, bad window.
        SchemaError: a named ``by`` column is not in customers.
        NotEnoughDataError: no answers at touchpoints with the outcomes.

    Example:
        >>> pain_points(ws.table("responses"), ws.table("customers")).head(3)  # doctest: +SKIP
    """
    check_confidence(confidence)
    check_min_n(min_n)
    if compare not in COMPARISONS:
        raise ArgumentError(f"compare={compare!r} is unknown; use one of: {', '.join(COMPARISONS)}")
    bad = [o for o in outcomes if o not in OUTCOMES]
    if bad or not outcomes:
        raise ArgumentError(f"unknown outcomes {bad!r}; use some of: {', '.join(OUTCOMES)}")
    if recent_months is None and compare == "past":
        raise ArgumentError("compare='past' needs recent_months (e.g. 6): the window to compare")
    if recent_months is not None and (not isinstance(recent_months, int) or recent_months < 1):
        raise ArgumentError(f"recent_months must be a positive integer; got {recent_months!r}")
    require_columns(responses, "responses", "customer_id", "responded_at", "touchpoint")
    dims = _dimensions(by, customers)
    r = responses.filter(responses["touchpoint"].notnull(), responses["customer_id"].notnull())
    r = r.mutate(customer_id=r["customer_id"].cast("string"))
    if customers is not None:
        keep = [c for c in (*dims, "churned_at") if c in customers.columns]
        c = customers.select(*keep, _cid=customers["customer_id"].cast("string"))
        r = r.left_join(c, r["customer_id"] == c["_cid"])
    flags = {k: v for k, v in _outcome_flags(r, customers, churn_days).items() if k in outcomes}
    if not flags:
        raise NotEnoughDataError(
            f"none of the outcomes {list(outcomes)} can be measured: responses need nps or ces, "
            "churn needs customers.churned_at"
        )
    last = run(r.aggregate(last=r["responded_at"].max()), "the last answer")["last"].iloc[0]
    if last is None or pd.isna(last):
        raise NotEnoughDataError("no answers at touchpoints to look for pain points")
    end = pd.Timestamp(last)
    start = end - pd.DateOffset(months=recent_months) if recent_months else None
    recent = (
        r["responded_at"] > ibis.literal(start, type="timestamp")
        if start is not None
        else ibis.literal(True)
    )
    r = r.mutate(_recent=recent, **{f"_o_{k}": v for k, v in flags.items()})
    frames = []
    for dim in ["all", *dims]:
        group = ibis.literal("all") if dim == "all" else r[dim].cast("string").fill_null("(none)")
        for outcome in flags:
            o = r[f"_o_{outcome}"]
            keys = {"group": group, "touchpoint": r["touchpoint"].cast("string")}
            agg = r.group_by(**keys, recent=r["_recent"]).aggregate(
                n=o.count(),
                bad=o.ifelse(1, 0).sum(),
                affected=r["customer_id"].nunique(where=o.fill_null(False)),
            )
            got = run(agg, f"pain points ({outcome} by {dim})")
            frames.append(got.assign(dimension=dim, outcome=outcome))
    table = pd.concat(frames, ignore_index=True)
    out = _compare(table, compare, confidence, min_n)
    return out.assign(window_start=pd.Timestamp(start) if start is not None else pd.NaT,
                      window_end=end)  # fmt: skip


def _dimensions(by: Sequence[str] | str | None, customers: ir.Table | None) -> list[str]:
    default = by == ("segment",)
    cols = [by] if isinstance(by, str) else list(by or [])
    if customers is None:
        if cols and not default:
            raise SchemaError(f"by={cols!r} needs the customers table; it is missing")
        return []
    missing = [c for c in cols if c not in customers.columns]
    if missing and not default:
        raise SchemaError(
            f"cannot split pain points by {missing}: not columns of customers; available: "
            f"{', '.join(c for c in customers.columns if not c.startswith('_'))}"
        )
    return [c for c in cols if c in customers.columns]


def _compare(table: pd.DataFrame, compare: str, confidence: float, min_n: int) -> pd.DataFrame:
    t = table.copy()
    for col in ("n", "bad", "affected"):
        t[col] = t[col].fillna(0).astype("int64")
    keys = ["outcome", "dimension", "group", "touchpoint"]
    now = t[t["recent"].astype(bool)].set_index(keys)
    if compare == "past":
        base = t[~t["recent"].astype(bool)].set_index(keys)[["n", "bad"]]
        base = base.reindex(now.index).fillna(0)
    else:
        sums = now.groupby(level=["outcome", "dimension", "group"])[["n", "bad"]].transform("sum")
        base = sums - now[["n", "bad"]]
    df = now.reset_index()
    n1, a = df["n"].to_numpy(float), df["bad"].to_numpy(float)
    n0, c = base["n"].to_numpy(float), base["bad"].to_numpy(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        p1 = np.where(n1 > 0, a / n1, np.nan)
        p0 = np.where(n0 > 0, c / n0, np.nan)
        lift = p1 / p0
        se = np.sqrt(1 / a - 1 / n1 + 1 / c - 1 / n0)
        z = z_value(confidence)
        ok = (a > 0) & (c > 0)
        df["lift_ci_low"] = np.where(ok, lift * np.exp(-z * se), np.nan)
        df["lift_ci_high"] = np.where(ok, lift * np.exp(z * se), np.nan)
    df["rate"], df["baseline_rate"] = 100.0 * p1, 100.0 * p0
    df["baseline_n"] = n0.astype("int64")
    df["lift"] = np.where(np.isfinite(lift), lift, np.nan)
    with np.errstate(invalid="ignore", divide="ignore"):
        excess = df["affected"] * (1.0 - 1.0 / df["lift"])
    df["excess_customers"] = np.where(df["lift"] > 1, excess, 0.0)
    df["significant"] = (df["lift_ci_low"] > 1).fillna(False).astype(bool)
    df["small_sample"] = (n1 < min_n) | (n0 < min_n)
    df["_ranked"] = ~df["small_sample"] & df["significant"]
    df = df.sort_values(
        ["_ranked", "excess_customers", "lift"], ascending=[False, False, False], kind="mergesort"
    )
    ranked = df["_ranked"].to_numpy()
    df["rank"] = pd.array(np.where(ranked, np.cumsum(ranked), 0), dtype="Int64")
    df.loc[~ranked, "rank"] = pd.NA
    return df[list(_CELL_COLUMNS)].reset_index(drop=True)
