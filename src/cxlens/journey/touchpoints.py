"""Touchpoint analysis: volume, reach, share of journeys, typical position, channel mix.

Three small engine aggregates (per touchpoint, per touchpoint and channel, per touchpoint and
stage) over the ordered events; pandas only joins and ranks the results.
"""

from __future__ import annotations

from dataclasses import dataclass

import ibis.expr.types as ir
import pandas as pd

from cxlens.errors import NotEnoughDataError
from cxlens.journey.cases import CaseSpec, prepare, with_order
from cxlens.store.query import run

#: Columns of :func:`touchpoints`.
TOUCHPOINT_COLUMNS: tuple[str, ...] = (
    "touchpoint",
    "stage",
    "events",
    "customers",
    "journeys",
    "share_of_journeys",
    "share_of_customers",
    "events_per_journey",
    "median_position",
    "mean_relative_position",
    "first_share",
    "last_share",
    "median_duration_seconds",
    "top_channel",
    "top_channel_share",
)


def touchpoints(events: ir.Table, spec: CaseSpec | None = None) -> pd.DataFrame:
    """Return one row per touchpoint: how often, for whom, and where in the journey it comes.

    ``median_position`` is the median 1-based step number of the touchpoint's events in their
    journeys; ``mean_relative_position`` runs from 0 (first event) to 1 (last event; a
    single-event journey counts 0); ``first_share``/``last_share`` are the shares of the
    touchpoint's journeys that start/end there. ``stage`` is the touchpoint's most common stage.

    Args:
        events: the canonical events table.
        spec: how journeys are cut (default: one per customer).

    Returns:
        DataFrame with :data:`TOUCHPOINT_COLUMNS` (shares in percent), in typical journey order
        (by ``mean_relative_position``); ``share_of_journeys`` and ``share_of_customers`` are
        of all journeys and of all customers with events.

    Raises:
        NotEnoughDataError: no events.

    Example:
        >>> touchpoints(ws.table("events"))[["touchpoint", "share_of_journeys"]]  # doctest: +SKIP
    """
    t = with_order(prepare(events, spec, "touchpoint"))
    rel = ((t["pos"] - 1).cast("float64") / (t["steps"] - 1).nullif(0).cast("float64")).fill_null(
        0.0
    )
    t = t.mutate(_rel=rel)
    agg = t.group_by("touchpoint").aggregate(
        events=t.count(),
        customers=t["customer_id"].nunique(),
        journeys=t["case_id"].nunique(),
        median_position=t["pos"].median(),
        mean_relative_position=t["_rel"].mean(),
        _first=t["case_id"].nunique(where=t["pos"] == 1),
        _last=t["case_id"].nunique(where=t["next_activity"].isnull()),
        median_duration_seconds=t["duration_seconds"].median(),
    )
    totals = t.aggregate(journeys=t["case_id"].nunique(), customers=t["customer_id"].nunique())
    got = run(agg, "the touchpoint table")
    if got.empty:
        raise NotEnoughDataError("no usable events: touchpoints need events with a customer")
    total = run(totals, "journey totals").iloc[0]
    mix = channel_mix(events, spec)
    top = mix.sort_values(["events", "channel"], ascending=[False, True]).drop_duplicates(
        "touchpoint"
    )
    stages = run(t.group_by(["touchpoint", "stage"]).aggregate(n=t.count()), "touchpoint stages")
    stages = stages.dropna(subset=["stage"]).sort_values(["n", "stage"], ascending=[False, True])
    stage = stages.drop_duplicates("touchpoint").set_index("touchpoint")["stage"]
    df = got.copy()
    for col in ("events", "customers", "journeys"):
        df[col] = df[col].astype("int64")
    df["stage"] = df["touchpoint"].map(stage)
    df["share_of_journeys"] = 100.0 * df["journeys"] / int(total["journeys"])
    df["share_of_customers"] = 100.0 * df["customers"] / int(total["customers"])
    df["events_per_journey"] = df["events"] / df["journeys"]
    df["first_share"] = 100.0 * df["_first"] / df["journeys"]
    df["last_share"] = 100.0 * df["_last"] / df["journeys"]
    df["top_channel"] = df["touchpoint"].map(top.set_index("touchpoint")["channel"])
    df["top_channel_share"] = df["touchpoint"].map(top.set_index("touchpoint")["share"])
    for col in ("median_position", "mean_relative_position", "median_duration_seconds"):
        df[col] = df[col].astype("float64")
    df = df.sort_values(["mean_relative_position", "touchpoint"], kind="mergesort")
    return df[list(TOUCHPOINT_COLUMNS)].reset_index(drop=True)


def channel_mix(events: ir.Table, spec: CaseSpec | None = None) -> pd.DataFrame:
    """Return the channel mix of each touchpoint.

    Returns:
        DataFrame with ``touchpoint, channel, events, share`` (share of the touchpoint's
        events, percent); events without a channel count as ``"(none)"``.

    Example:
        >>> channel_mix(ws.table("events"))  # doctest: +SKIP
    """
    t = prepare(events, spec, "touchpoint")
    t = t.mutate(channel=t["channel"].fill_null("(none)"))
    got = run(t.group_by(["touchpoint", "channel"]).aggregate(events=t.count()), "channel mix")
    got["events"] = got["events"].astype("int64")
    got["share"] = 100.0 * got["events"] / got.groupby("touchpoint")["events"].transform("sum")
    got = got.sort_values(["touchpoint", "events", "channel"], ascending=[True, False, True])
    return got[["touchpoint", "channel", "events", "share"]].reset_index(drop=True)


@dataclass(frozen=True)
class TouchpointsPerCustomer:
    """How many distinct touchpoints customers use: the distribution and its summary.

    Attributes:
        table: ``touchpoints`` (distinct touchpoints a customer used), ``customers`` and
            ``share`` (percent), fewest touchpoints first.
        customers: customers with events.
        mean, median, p90: of the distinct touchpoints per customer.
        mean_events: events per customer.
    """

    table: pd.DataFrame
    customers: int
    mean: float
    median: float
    p90: float
    mean_events: float


def touchpoints_per_customer(events: ir.Table) -> TouchpointsPerCustomer:
    """Return how many distinct touchpoints customers use: the distribution and its summary.

    Returns:
        A :class:`TouchpointsPerCustomer`: the distribution (``table``) and its customers,
        mean, median, p90 and events per customer.

    Example:
        >>> touchpoints_per_customer(ws.table("events")).median  # doctest: +SKIP
        3.0
    """
    t = prepare(events, None, "touchpoint")
    per = t.group_by("customer_id").aggregate(k=t["touchpoint"].nunique(), n=t.count())
    dist = per.group_by(touchpoints=per["k"]).aggregate(
        customers=per.count(), events=per["n"].sum()
    )
    got = run(dist, "touchpoints per customer").sort_values("touchpoints")
    if got.empty:
        raise NotEnoughDataError("no usable events to count touchpoints per customer")
    got["touchpoints"] = got["touchpoints"].astype("int64")
    got["customers"] = got["customers"].astype("int64")
    total = int(got["customers"].sum())
    got["share"] = 100.0 * got["customers"] / total
    cum = got["customers"].cumsum() / total
    k = got["touchpoints"].to_numpy()
    return TouchpointsPerCustomer(
        table=got[["touchpoints", "customers", "share"]].reset_index(drop=True),
        customers=total,
        mean=float((k * got["customers"]).sum() / total),
        median=float(k[(cum >= 0.5).to_numpy().argmax()]),
        p90=float(k[(cum >= 0.9).to_numpy().argmax()]),
        mean_events=float(got["events"].sum() / total),
    )
