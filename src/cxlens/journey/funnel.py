"""Ordered funnels: how many journeys pass each step in order, how fast, by segment or channel.

A journey enters step 1 at its first step-1 event; it reaches step ``k`` at its first
step-``k`` event after the event that reached step ``k - 1`` (journey order: ``occurred_at``,
then ``event_id``, so a tie in time counts when the event id sorts after). The engine keeps
only the funnel's events, numbers them per journey once, and finds each step with one
aggregate; pandas adds the intervals to the small table of counts and durations.
"""

from __future__ import annotations

from collections.abc import Sequence

import ibis
import ibis.expr.types as ir
import numpy as np
import pandas as pd

from cxlens.errors import ArgumentError, NotEnoughDataError, SchemaError
from cxlens.journey.cases import CaseSpec, prepare, running_window, seconds
from cxlens.metrics.stats import check_confidence, check_min_n, wilson_interval
from cxlens.store.query import run

#: Columns of :func:`funnel` after the ``by`` columns.
FUNNEL_COLUMNS: tuple[str, ...] = (
    "step",
    "name",
    "entered",
    "conversion",
    "conversion_ci_low",
    "conversion_ci_high",
    "step_conversion",
    "step_ci_low",
    "step_ci_high",
    "drop_off",
    "drop_off_rate",
    "median_seconds_from_previous",
    "p90_seconds_from_previous",
    "median_seconds_from_start",
    "mean_seconds_from_start",
    "small_sample",
)


def _check_stages(stages: Sequence[str]) -> list[str]:
    if isinstance(stages, str) or not stages or len(stages) < 2:
        raise ArgumentError(
            f"a funnel needs at least two steps in order, e.g. ['awareness', 'purchase']; "
            f"got {stages!r}"
        )
    names = [str(s) for s in stages]
    if len(set(names)) != len(names):
        raise ArgumentError(f"funnel steps must differ; {names!r} repeats one")
    return names


def _by_columns(
    by: Sequence[str] | str | None, events: ir.Table, customers: ir.Table | None
) -> tuple[list[str], list[str]]:
    """Split ``by`` into columns of events (taken at step 1) and columns of customers."""
    cols = [by] if isinstance(by, str) else list(by or [])
    on_events, on_customers = [], []
    for col in cols:
        if col in events.columns and col not in ("customer_id", "event_id", "occurred_at"):
            on_events.append(col)
        elif customers is not None and col in customers.columns:
            on_customers.append(col)
        else:
            avail = [c for c in events.columns if not c.startswith("_")]
            if customers is not None:
                avail += [c for c in customers.columns if not c.startswith("_")]
            raise SchemaError(
                f"cannot break the funnel down by '{col}': not a column of events or "
                f"customers; available: {', '.join(dict.fromkeys(avail))}"
            )
    return on_events, on_customers


def funnel_expr(
    events: ir.Table,
    stages: Sequence[str],
    spec: CaseSpec | None = None,
    *,
    level: str = "stage",
    by: Sequence[str] | str | None = None,
    customers: ir.Table | None = None,
    within: str | pd.Timedelta | None = None,
) -> ir.Table:
    """Return the funnel's engine query: entries and durations per step (and ``by`` group).

    Columns: ``*by``, then for each step ``k`` (1-based) ``entered_k`` and, from step 2,
    ``med_prev_k``, ``p90_prev_k``, ``med_start_k``, ``mean_start_k`` (seconds).

    Example:
        >>> funnel_expr(ws.table("events"), ["awareness", "purchase"])  # doctest: +SKIP
    """
    names = _check_stages(stages)
    ev_by, cust_by = _by_columns(by, events, customers)
    limit = _within_seconds(within)
    t = prepare(events, spec, level)
    own = [c for c in ev_by if c in t.columns]  # prepared columns: no join needed
    t = t.mutate(**{f"_by_{c}": t[c].cast("string") for c in own})
    if len(own) < len(ev_by):
        more = {f"_by_{c}": events[c].cast("string") for c in ev_by if c not in own}
        t = t.join(events.select(_eid=events["event_id"].cast("string"), **more),
                   t["event_id"] == ibis._["_eid"]).drop("_eid")  # fmt: skip
    t = t.filter(t["activity"].isin(names))
    # numbering only the funnel's events keeps the journey order among them
    t = t.mutate(pos=ibis.row_number().over(running_window()) + 1)
    first = t.filter(t["activity"] == names[0])
    extra = {f"_by_{c}": first[f"_by_{c}"].argmin(first["pos"]) for c in ev_by}
    reached = first.group_by("case_id").aggregate(
        customer_id=first["customer_id"].max(),
        p_1=first["pos"].min(),
        t_1=first["occurred_at"].min(),
        **extra,
    )
    # step k is searched only among journeys that reached step k - 1 (an inner chain), and
    # the steps are left-joined once at the end, so no step is computed twice
    prev = reached.select("case_id", _p="p_1", _t1="t_1")
    steps = []
    for k, name in enumerate(names[1:], start=2):
        cand = t.filter(t["activity"] == name).join(prev, "case_id")
        keep = cand["pos"] > cand["_p"]
        if limit is not None:
            keep &= seconds(cand["occurred_at"], cand["_t1"]) <= limit
        cand = cand.filter(keep)
        step = cand.group_by("case_id").aggregate(
            _p=cand["pos"].min(), _t1=cand["_t1"].min(), **{f"t_{k}": cand["occurred_at"].min()}
        )
        steps.append(step.select("case_id", f"t_{k}"))
        prev = step.select("case_id", "_p", "_t1")
    for step in steps:
        reached = reached.left_join(step, "case_id").drop("case_id_right")
    groups: list[ir.Value] = [reached[f"_by_{c}"].name(c) for c in ev_by]
    if cust_by:
        assert customers is not None
        cust = customers.select(
            _cid=customers["customer_id"].cast("string"),
            **{c: customers[c].cast("string") for c in cust_by},
        )
        reached = reached.left_join(cust, reached["customer_id"] == cust["_cid"])
        groups += [reached[c] for c in cust_by]
    metrics: dict[str, ir.Scalar] = {"entered_1": reached.count()}
    for k in range(2, len(names) + 1):
        at = reached[f"t_{k}"]
        from_prev = seconds(at, reached[f"t_{k - 1}"])
        from_start = seconds(at, reached["t_1"])
        metrics |= {
            f"entered_{k}": at.count(),
            f"med_prev_{k}": from_prev.median(),
            f"p90_prev_{k}": from_prev.quantile(0.9),
            f"med_start_{k}": from_start.median(),
            f"mean_start_{k}": from_start.mean(),
        }
    if groups:
        return reached.group_by(groups).aggregate(**metrics)
    return reached.aggregate(**metrics)


def _within_seconds(within: str | pd.Timedelta | None) -> float | None:
    if within is None:
        return None
    try:
        span = pd.Timedelta(within)
    except (TypeError, ValueError) as exc:
        raise ArgumentError(f"within={within!r} is not a duration; pass e.g. '30D'") from exc
    if pd.isna(span) or span <= pd.Timedelta(0):
        raise ArgumentError(f"within must be a positive duration; got {within!r}")
    return span.total_seconds()


def funnel(
    events: ir.Table,
    stages: Sequence[str],
    spec: CaseSpec | None = None,
    *,
    level: str = "stage",
    by: Sequence[str] | str | None = None,
    customers: ir.Table | None = None,
    within: str | pd.Timedelta | None = None,
    confidence: float = 0.95,
    min_n: int = 30,
) -> pd.DataFrame:
    """Return an ordered funnel: journeys entering each step, conversion and drop-off, timing.

    Args:
        events: the canonical events table.
        stages: the steps in order (stage names, or touchpoints with ``level="touchpoint"``).
        spec: how journeys are cut (default: one per customer).
        level: ``"stage"`` or ``"touchpoint"``.
        by: break down by columns of events (the value at the journey's step-1 event, e.g.
            ``"channel"``) or of customers (e.g. ``"segment"``).
        customers: the customers table (needed for customer columns in ``by``).
        within: count a step only when it happens within this time of step 1 (e.g. "30D").
        confidence: level of the Wilson intervals.
        min_n: rows whose step-1 count is below this are flagged ``small_sample``.

    Returns:
        DataFrame with ``*by`` then :data:`FUNNEL_COLUMNS`, one row per group and step:
        ``entered`` journeys; ``conversion`` = entered / entered at step 1 and
        ``step_conversion`` = entered / entered at the previous step (percent, Wilson
        intervals); ``drop_off`` journeys lost since the previous step and its rate; seconds
        from the previous step (median, p90) and from step 1 (median, mean). The SQL is
        ``ibis.to_sql(funnel_expr(...))``.

    Raises:
        ArgumentError: fewer than two steps, repeated steps, a bad ``within``.
        SchemaError: a ``by`` column is in neither events nor customers.
        NotEnoughDataError: no journey enters step 1.

    Example:
        >>> funnel(ws.table("events"), ["awareness", "consideration", "purchase"])  # doctest: +SKIP
    """
    check_confidence(confidence)
    check_min_n(min_n)
    names = _check_stages(stages)
    cols = [by] if isinstance(by, str) else list(by or [])
    expr = funnel_expr(
        events, names, spec, level=level, by=cols, customers=customers, within=within
    )
    got = run(expr, "the funnel")
    if got.empty or int(got["entered_1"].fillna(0).sum()) == 0:
        raise NotEnoughDataError(
            f"no journey reaches the first funnel step '{names[0]}' at level '{level}'; "
            "check the step names (see ws.journey.touchpoints())"
        )
    # no attrs["sql"]: compiling twice costs as much as a small query; see funnel_expr
    return _long(got, names, cols, confidence, min_n)


def _long(
    got: pd.DataFrame, names: list[str], by: list[str], confidence: float, min_n: int
) -> pd.DataFrame:
    rows = []
    for k, name in enumerate(names, start=1):
        part = got[by].copy()
        part["step"] = k
        part["name"] = name
        part["entered"] = got[f"entered_{k}"].fillna(0).astype("int64").to_numpy()
        part["_start"] = got["entered_1"].fillna(0).astype("int64").to_numpy()
        prev = got[f"entered_{k - 1}"] if k > 1 else got["entered_1"]
        part["_prev"] = prev.fillna(0).astype("int64").to_numpy()
        for col, src in (
            ("median_seconds_from_previous", "med_prev"),
            ("p90_seconds_from_previous", "p90_prev"),
            ("median_seconds_from_start", "med_start"),
            ("mean_seconds_from_start", "mean_start"),
        ):
            key = f"{src}_{k}"
            part[col] = got[key].astype("float64").to_numpy() if key in got else np.nan
        rows.append(part)
    df = pd.concat(rows, ignore_index=True)
    entered, start, prev = (df[c].to_numpy(float) for c in ("entered", "_start", "_prev"))
    with np.errstate(invalid="ignore", divide="ignore"):
        df["conversion"] = np.where(start > 0, 100.0 * entered / start, np.nan)
        df["step_conversion"] = np.where(prev > 0, 100.0 * entered / prev, np.nan)
    low, high = wilson_interval(entered, start, confidence)
    df["conversion_ci_low"], df["conversion_ci_high"] = 100.0 * low, 100.0 * high
    low, high = wilson_interval(entered, prev, confidence)
    df["step_ci_low"], df["step_ci_high"] = 100.0 * low, 100.0 * high
    df["drop_off"] = (df["_prev"] - df["entered"]).astype("int64")
    df["drop_off_rate"] = 100.0 - df["step_conversion"]
    df["small_sample"] = df["_start"] < min_n
    df = df.sort_values([*by, "step"], na_position="last", kind="mergesort")
    return df[[*by, *FUNNEL_COLUMNS]].reset_index(drop=True)
