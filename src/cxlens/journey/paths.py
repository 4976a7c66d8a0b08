"""Paths through journeys: the directly-follows graph, variants, paths around a step, flows.

Everything runs in the engine over :func:`cxlens.journey.cases.prepare` (one window per
journey in ``occurred_at, event_id`` order); only the aggregated graph, variant or flow table
comes back to pandas.
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir
import numpy as np
import pandas as pd

from cxlens.errors import ArgumentError, NotEnoughDataError
from cxlens.journey.cases import (
    CaseSpec,
    collapse_repeats,
    lead_window,
    prepare,
    running_window,
    seconds,
    with_order,
)
from cxlens.journey.outcomes import customer_outcomes
from cxlens.metrics.definitions import is_detractor, is_promoter
from cxlens.metrics.stats import nps_adjusted_wald_interval, nps_estimate, wilson_interval
from cxlens.store.query import ordered_concat, run

#: Columns of :func:`dfg`.
DFG_COLUMNS: tuple[str, ...] = ("source", "target", "count", "mean_seconds", "median_seconds")
#: Step names of the start and end of a journey in :func:`dfg` (``ends=True``) and flows.
START, END = "(start)", "(end)"


def dfg_expr(events: ir.Table, spec: CaseSpec | None = None, level: str = "touchpoint") -> ir.Table:
    """Return the directly-follows graph as a lazy Ibis aggregate (see :func:`dfg`).

    Example:
        >>> print(ibis.to_sql(dfg_expr(ws.table("events"))))  # doctest: +SKIP
    """
    t = prepare(events, spec, level)
    w = lead_window()
    # only the two leads: one sort per journey, nothing the graph does not need
    t = t.mutate(
        next_activity=t["activity"].lead().over(w), next_at=t["occurred_at"].lead().over(w)
    )
    t = t.mutate(seconds_to_next=seconds(t["next_at"], t["occurred_at"]))
    pairs = t.filter(t["next_activity"].notnull())
    return pairs.group_by(source=pairs["activity"], target=pairs["next_activity"]).aggregate(
        count=pairs.count(),
        mean_seconds=pairs["seconds_to_next"].mean(),
        median_seconds=pairs["seconds_to_next"].median(),
    )


def dfg(
    events: ir.Table,
    spec: CaseSpec | None = None,
    *,
    level: str = "touchpoint",
    ends: bool = False,
) -> pd.DataFrame:
    """Return the directly-follows graph: how often one step follows another, and how fast.

    An edge ``source -> target`` counts each pair of consecutive events in a journey (events
    ordered by ``occurred_at``, then ``event_id``). Seconds run from the source event to the
    target event; the median is the interpolated (continuous) median.

    Args:
        events: the canonical events table (Ibis).
        spec: how journeys are cut (default: one per customer).
        level: ``"touchpoint"`` or ``"stage"``.
        ends: add edges from ``"(start)"`` to each journey's first step and from its last step
            to ``"(end)"`` (their seconds are NaN).

    Returns:
        DataFrame with ``source, target, count, mean_seconds, median_seconds``, most frequent
        edge first (ties by source, target). The SQL is ``ibis.to_sql(dfg_expr(...))``.

    Example:
        >>> dfg(ws.table("events")).head(3)  # doctest: +SKIP
    """
    expr = dfg_expr(events, spec, level)
    out = run(expr, "the directly-follows graph")
    out["count"] = out["count"].astype("int64")
    for col in ("mean_seconds", "median_seconds"):
        out[col] = out[col].astype("float64")
    if ends:
        t = with_order(prepare(events, spec, level))
        starts = t.filter(t["pos"] == 1)
        firsts = starts.group_by(target=starts["activity"]).aggregate(count=starts.count())
        lasts = t.filter(t["next_activity"].isnull())
        lasts = lasts.group_by(source=lasts["activity"]).aggregate(count=lasts.count())
        first = run(firsts, "journey starts").assign(source=START)
        last = run(lasts, "journey ends").assign(target=END)
        out = pd.concat([out, first, last], ignore_index=True)
        out["count"] = out["count"].astype("int64")
    out = out.sort_values(["count", "source", "target"], ascending=[False, True, True])
    return out[list(DFG_COLUMNS)].reset_index(drop=True)


#: Columns of :func:`variants`.
VARIANT_COLUMNS: tuple[str, ...] = (
    "variant",
    "steps",
    "journeys",
    "share",
    "customers",
    "conversion",
    "conversion_ci_low",
    "conversion_ci_high",
    "nps",
    "nps_ci_low",
    "nps_ci_high",
    "nps_n",
    "churn_rate",
    "churn_ci_low",
    "churn_ci_high",
    "churn_n",
    "small_sample",
)


def _check_positive(name: str, value: int | None, *, allow_none: bool = True) -> None:
    if value is None and allow_none:
        return
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 1:
        raise ArgumentError(f"{name} must be a positive integer; got {value!r}")


def variants(
    events: ir.Table,
    spec: CaseSpec | None = None,
    *,
    responses: ir.Table | None = None,
    customers: ir.Table | None = None,
    level: str = "touchpoint",
    top: int | None = 20,
    collapse: bool = True,
    max_steps: int | None = None,
    converted: str | None = None,
    sep: str = " > ",
    confidence: float = 0.95,
    min_n: int = 30,
) -> pd.DataFrame:
    """Return the most common journey variants with their share and outcomes.

    A variant is a journey's sequence of steps joined by ``sep``; with ``collapse`` a run of
    the same step counts once (``app > app > billing`` is ``app > billing``); with
    ``max_steps`` only the first steps count. Outcomes per variant: conversion (share of
    journeys that reach step ``converted`` anywhere, Wilson interval), NPS of the journeys'
    customers from each one's latest answer (adjusted-Wald interval, Rocks 2016), and churn
    (share of customers with a ``churned_at``, Wilson interval). A customer with several journeys of
    the variant counts once for NPS and churn.

    Args:
        events: the canonical events table.
        spec: how journeys are cut.
        responses: the responses table, for NPS (None: NPS is NaN).
        customers: the customers table, for churn (None: churn is NaN).
        level: ``"touchpoint"`` or ``"stage"``.
        top: how many variants to return (None: all).
        collapse: count a run of one step once.
        max_steps: keep only the first steps of each journey (after collapsing).
        converted: the step that marks a conversion (None: conversion is NaN).
        sep: separator of the steps in ``variant``.
        confidence: level of the intervals.
        min_n: variants with fewer journeys are flagged ``small_sample``.

    Returns:
        DataFrame with :data:`VARIANT_COLUMNS` (rates in percent), most common first;
        ``share`` is of all journeys (``top=None`` lists every variant).

    Example:
        >>> variants(ws.table("events"), level="stage", converted="purchase")  # doctest: +SKIP
    """
    _check_positive("top", top)
    _check_positive("max_steps", max_steps)
    t = prepare(events, spec, level)
    conv = (
        (t["activity"] == converted).ifelse(1, 0).max()
        if converted is not None
        else t.count() * 0  # no conversion step: ignored by _finish_variants
    )
    per_case_conv = t.group_by("case_id").aggregate(_converted=conv)
    if collapse:
        steps = collapse_repeats(t)
    else:
        steps = t.mutate(pos=ibis.row_number().over(running_window()) + 1)
    if max_steps is not None:
        steps = steps.filter(steps["pos"] <= max_steps)
    seq = steps.group_by("case_id").aggregate(
        customer_id=steps["customer_id"].max(),
        variant=ordered_concat(steps["activity"], steps["pos"], sep),
        n_steps=steps.count(),
    )
    seq = seq.join(per_case_conv, "case_id")
    outcomes = customer_outcomes(responses, customers)
    if outcomes is not None:
        seq = seq.left_join(outcomes, seq["customer_id"] == outcomes["customer_id"]).drop(
            "customer_id_right"
        )
    one = ibis.literal(1)
    metrics = {
        "journeys": seq.count(),
        "steps": seq["n_steps"].max(),
        "converted": seq["_converted"].sum(),
        "customers": seq["customer_id"].nunique(),
    }
    if outcomes is not None:
        # one vote per customer: dedupe (variant, customer) before counting outcomes
        per_customer = seq.group_by(["variant", "customer_id"]).aggregate(
            last_nps=seq["last_nps"].max(), churned=seq["churned"].max()
        )
        nps = per_customer["last_nps"]
        votes = per_customer.group_by("variant").aggregate(
            nps_n=nps.count(),
            promoters=is_promoter(nps).ifelse(one, 0).sum(),
            detractors=is_detractor(nps).ifelse(one, 0).sum(),
            churn_n=per_customer["churned"].count(),
            churned_n=per_customer["churned"].ifelse(one, 0).sum(),
        )
    agg = seq.group_by("variant").aggregate(**metrics)
    if outcomes is not None:
        agg = agg.left_join(votes, "variant").drop("variant_right")
    got = run(agg, "the journey variants")
    if got.empty:
        raise NotEnoughDataError("no journeys: the events table has no usable rows")
    return _finish_variants(got, top, confidence, min_n, converted is not None)


def _finish_variants(
    got: pd.DataFrame, top: int | None, confidence: float, min_n: int, has_conversion: bool
) -> pd.DataFrame:
    df = got.copy()
    for col in ("nps_n", "promoters", "detractors", "churn_n", "churned_n"):
        df[col] = df[col].fillna(0).astype("int64") if col in df else 0
    total = int(df["journeys"].sum())
    df["journeys"] = df["journeys"].astype("int64")
    df["customers"] = df["customers"].astype("int64")
    df["steps"] = df["steps"].astype("int64")
    df["share"] = 100.0 * df["journeys"] / total
    n = df["journeys"].to_numpy(float)
    if has_conversion:
        conv = df["converted"].to_numpy(float)
        df["conversion"] = 100.0 * conv / n
        low, high = wilson_interval(conv, n, confidence)
        df["conversion_ci_low"], df["conversion_ci_high"] = 100.0 * low, 100.0 * high
    else:
        df["conversion"] = df["conversion_ci_low"] = df["conversion_ci_high"] = np.nan
    value, _ = nps_estimate(df["promoters"], df["detractors"], df["nps_n"])
    df["nps"] = value
    df["nps_ci_low"], df["nps_ci_high"] = nps_adjusted_wald_interval(
        df["promoters"], df["detractors"], df["nps_n"], confidence
    )
    churn_n = df["churn_n"].to_numpy(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        df["churn_rate"] = np.where(churn_n > 0, 100.0 * df["churned_n"] / churn_n, np.nan)
    low, high = wilson_interval(df["churned_n"].to_numpy(float), churn_n, confidence)
    df["churn_ci_low"], df["churn_ci_high"] = 100.0 * low, 100.0 * high
    df["small_sample"] = df["journeys"] < min_n
    df = df.sort_values(["journeys", "variant"], ascending=[False, True], kind="mergesort")
    out = df[list(VARIANT_COLUMNS)].reset_index(drop=True)
    return out.head(top) if top is not None else out


#: Columns of :func:`paths_around`.
AROUND_COLUMNS: tuple[str, ...] = ("path", "journeys", "share")


def paths_around(
    events: ir.Table,
    anchor: str,
    spec: CaseSpec | None = None,
    *,
    direction: str = "after",
    steps: int = 3,
    level: str = "touchpoint",
    collapse: bool = True,
    top: int | None = 20,
    sep: str = " > ",
) -> pd.DataFrame:
    """Return the paths that lead to, or follow, the first ``anchor`` step of each journey.

    Args:
        events: the canonical events table.
        anchor: the step (touchpoint or stage name) to look around.
        spec: how journeys are cut.
        direction: ``"after"`` (the next ``steps`` steps) or ``"before"`` (the ``steps``
            steps up to it).
        steps: how many steps to show.
        level: ``"touchpoint"`` or ``"stage"``.
        collapse: count a run of one step once.
        top: how many paths to return (None: all).
        sep: separator of the steps.

    Returns:
        DataFrame with ``path, journeys, share`` (share of journeys that contain the anchor,
        in percent), most common first. A journey that ends (or starts) at the anchor has the
        path ``"(end)"`` (``"(start)"``).

    Raises:
        ArgumentError: unknown direction or steps below 1.
        NotEnoughDataError: no journey contains the anchor.

    Example:
        >>> paths_around(ws.table("events"), "support", direction="before")  # doctest: +SKIP
    """
    if direction not in ("after", "before"):
        raise ArgumentError(f"direction={direction!r} is unknown; use 'after' or 'before'")
    _check_positive("steps", steps, allow_none=False)
    _check_positive("top", top)
    t = prepare(events, spec, level)
    t = collapse_repeats(t) if collapse else with_order(t)
    hit = (t["activity"] == anchor).ifelse(t["pos"], ibis.null().cast("int64"))
    t = t.mutate(_anchor=hit.min().over(ibis.window(group_by="case_id")))
    t = t.filter(t["_anchor"].notnull())
    if direction == "after":
        near = (t["pos"] > t["_anchor"]) & (t["pos"] <= t["_anchor"] + steps)
    else:
        near = (t["pos"] >= t["_anchor"] - steps) & (t["pos"] < t["_anchor"])
    cases = t.group_by("case_id").aggregate(
        path=ordered_concat(t["activity"], t["pos"], sep, where=near)
    )
    agg = cases.group_by("path").aggregate(journeys=cases.count())
    got = run(agg, f"the paths {direction} '{anchor}'")
    total = int(got["journeys"].sum()) if len(got) else 0
    if total == 0:
        raise NotEnoughDataError(
            f"no journey contains '{anchor}' at level '{level}'; check the name (see "
            "ws.journey.touchpoints())"
        )
    empty = END if direction == "after" else START
    got["path"] = got["path"].where(got["path"].notna() & (got["path"] != ""), empty)
    got = got.groupby("path", as_index=False)["journeys"].sum()
    got["journeys"] = got["journeys"].astype("int64")
    got["share"] = 100.0 * got["journeys"] / total
    got = got.sort_values(["journeys", "path"], ascending=[False, True], kind="mergesort")
    out = got[list(AROUND_COLUMNS)].reset_index(drop=True)
    return out.head(top) if top is not None else out


#: Columns of :func:`flows`.
FLOW_COLUMNS: tuple[str, ...] = ("step", "source", "target", "count")


def flows(
    events: ir.Table,
    spec: CaseSpec | None = None,
    *,
    steps: int = 5,
    level: str = "touchpoint",
    collapse: bool = True,
) -> pd.DataFrame:
    """Return how journeys move from their step ``k`` to step ``k + 1`` (for a Sankey chart).

    Args:
        events: the canonical events table.
        spec: how journeys are cut.
        steps: how many steps from the start to follow.
        level: ``"touchpoint"`` or ``"stage"``.
        collapse: count a run of one step once.

    Returns:
        DataFrame with ``step, source, target, count``: journeys at step ``step`` on
        ``source`` whose next step is ``target`` (``"(end)"`` when the journey stops there),
        for ``step`` 1 to ``steps - 1``.

    Example:
        >>> flows(ws.table("events"), steps=4)  # doctest: +SKIP
    """
    _check_positive("steps", steps, allow_none=False)
    if steps < 2:
        raise ArgumentError(f"steps must be at least 2 to show a flow; got {steps}")
    t = prepare(events, spec, level)
    t = collapse_repeats(t) if collapse else with_order(t)
    t = t.mutate(_next=t["activity"].lead().over(lead_window()))
    t = t.filter(t["pos"] < steps)
    agg = t.group_by(step=t["pos"], source=t["activity"], target=t["_next"].fill_null(END))
    got = run(agg.aggregate(count=t.count()), "the journey flows")
    got["step"] = got["step"].astype("int64")
    got["count"] = got["count"].astype("int64")
    got = got.sort_values(
        ["step", "count", "source", "target"], ascending=[True, False, True, True]
    )
    return got[list(FLOW_COLUMNS)].reset_index(drop=True)
