"""Time-on-task: how long journeys stay in each stage, trends over months, and the score link.

A *stay* is a run of consecutive events of one stage in a journey. Its dwell time runs from
its first event to the first event of the next stay (the journey moved on); a journey's last
stay has no end and is counted as ``open``, not timed. ``active_seconds`` adds up the
``duration_seconds`` of the stay's events (time on the touchpoints themselves). Stays are
built in the engine with two windows; only per-stage (and per-month) figures come back, and
for the score link one row per customer and stage.
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir
import numpy as np
import pandas as pd
from scipy import stats as st

from cxlens.errors import ArgumentError, NotEnoughDataError
from cxlens.journey.cases import CaseSpec, case_window, prepare, running_window, seconds
from cxlens.metrics.periods import check_every, truncate
from cxlens.metrics.stats import check_confidence, z_value
from cxlens.store.query import is_present, require_columns, run

#: Columns of :func:`time_in_stage` (after ``period`` when trending).
TIME_COLUMNS: tuple[str, ...] = (
    "stage",
    "stays",
    "open",
    "dwell_p10",
    "dwell_p25",
    "dwell_median",
    "dwell_p75",
    "dwell_p90",
    "dwell_mean",
    "active_median",
    "active_p90",
    "to_next_median",
)


def stays(events: ir.Table, spec: CaseSpec | None = None) -> ir.Table:
    """Return one row per stay (run of one stage) as a lazy table.

    Columns: ``case_id, customer_id, stage, stay_no, entered_at, last_at, events,
    active_seconds, dwell_seconds`` (null for a journey's last stay) and ``to_next_seconds``
    (from the stay's last event to the next stay's first event).

    Example:
        >>> stays(ws.table("events")).head().execute()  # doctest: +SKIP
    """
    t = prepare(events, spec, "stage")
    prev = t["activity"].lag().over(case_window())
    t = t.mutate(_new=(prev.isnull() | (prev != t["activity"])).ifelse(1, 0))
    t = t.mutate(stay_no=t["_new"].sum().over(running_window()))
    runs = t.group_by(["case_id", "stay_no"]).aggregate(
        customer_id=t["customer_id"].max(),
        stage=t["activity"].max(),
        entered_at=t["occurred_at"].min(),
        last_at=t["occurred_at"].max(),
        events=t.count(),
        active_seconds=t["duration_seconds"].sum(),
    )
    nxt = (
        runs["entered_at"]
        .lead()
        .over(ibis.window(group_by="case_id", order_by="stay_no", preceding=0, following=1))
    )
    runs = runs.mutate(_next=nxt)
    return runs.mutate(
        dwell_seconds=seconds(runs["_next"], runs["entered_at"]),
        to_next_seconds=seconds(runs["_next"], runs["last_at"]),
    ).drop("_next")


def time_in_stage(
    events: ir.Table, spec: CaseSpec | None = None, *, every: str | None = None
) -> pd.DataFrame:
    """Return the time journeys spend in each stage: quantiles of dwell and active time.

    Args:
        events: the canonical events table (needs ``stage``).
        spec: how journeys are cut.
        every: trend by period of entering the stage ("month", "week"...; None: overall).

    Returns:
        DataFrame with ``period`` (when ``every``) then :data:`TIME_COLUMNS`: ``stays``,
        ``open`` (stays still running at the journey's end, not timed), dwell seconds
        (p10, p25, median, p75, p90, mean), active seconds (median, p90) and the median
        seconds from the stay's last event to the next stage. Stages in typical journey
        order (by their mean stay number).

    Example:
        >>> time_in_stage(ws.table("events"))  # doctest: +SKIP
    """
    check_every(every)
    s = stays(events, spec)
    keys = ["stage"]
    if every:
        s = s.mutate(period=truncate(s["entered_at"], every))
        keys = ["period", "stage"]
    d, a = s["dwell_seconds"], s["active_seconds"]
    agg = s.group_by(keys).aggregate(
        stays=s.count(),
        open=d.isnull().ifelse(1, 0).sum(),
        dwell_p10=d.quantile(0.1),
        dwell_p25=d.quantile(0.25),
        dwell_median=d.median(),
        dwell_p75=d.quantile(0.75),
        dwell_p90=d.quantile(0.9),
        dwell_mean=d.mean(),
        active_median=a.median(),
        active_p90=a.quantile(0.9),
        to_next_median=s["to_next_seconds"].median(),
        _order=s["stay_no"].mean(),
    )
    got = run(agg, "time in stage")
    if got.empty:
        raise NotEnoughDataError("no events with a stage: time in stage needs events.stage")
    got["stays"] = got["stays"].astype("int64")
    got["open"] = got["open"].astype("int64")
    order = got.groupby("stage")["_order"].mean().sort_values()
    got["_rank"] = got["stage"].map({s: i for i, s in enumerate(order.index)})
    sort = ["period", "_rank"] if every else ["_rank"]
    got = got.sort_values(sort, kind="mergesort")
    if every:
        got["period"] = pd.to_datetime(got["period"]).astype("datetime64[us]")
    cols = [*(["period"] if every else []), *TIME_COLUMNS]
    for col in TIME_COLUMNS[3:]:
        got[col] = got[col].astype("float64")
    return got[cols].reset_index(drop=True)


#: Columns of :func:`stage_trends`.
TREND_COLUMNS: tuple[str, ...] = (
    "stage",
    "stays",
    "months",
    "monthly_change",
    "ci_low",
    "ci_high",
    "p_value",
    "growing",
)


def stage_trends(
    events: ir.Table, spec: CaseSpec | None = None, *, confidence: float = 0.95
) -> pd.DataFrame:
    """Return, per stage, how dwell time changes from month to month, and whether it grows.

    Ordinary least squares of ``log(1 + dwell seconds)`` on the month of entering the stage
    (months since the first month in the data), fitted from sums the engine computes over the
    timed stays. ``monthly_change`` is ``exp(slope) - 1`` in percent (the typical change per
    month); ``growing`` marks a positive change whose interval excludes zero. Stays of one
    customer are treated as independent, so the interval is optimistic for heavy users.

    Returns:
        DataFrame with :data:`TREND_COLUMNS`, fastest growing first.

    Example:
        >>> stage_trends(ws.table("events")).query("growing")  # doctest: +SKIP
    """
    check_confidence(confidence)
    s = stays(events, spec)
    s = s.filter(s["dwell_seconds"].notnull())
    start = s["entered_at"].min().over(ibis.window())
    month = (s["entered_at"].year() - start.year()) * 12 + (s["entered_at"].month() - start.month())
    s = s.mutate(_x=month.cast("float64"), _y=(s["dwell_seconds"] + 1.0).ln())
    x, y = s["_x"], s["_y"]
    agg = s.group_by("stage").aggregate(
        n=s.count(),
        sx=x.sum(),
        sy=y.sum(),
        sxx=(x * x).sum(),
        sxy=(x * y).sum(),
        syy=(y * y).sum(),
        months=x.nunique(),
    )
    got = run(agg, "stage time trends")
    rows = []
    z = z_value(confidence)
    for r in got.itertuples():
        n = float(r.n)
        sxx = r.sxx - r.sx**2 / n
        if n < 3 or sxx <= 0:
            rows.append((r.stage, int(r.n), int(r.months), *([np.nan] * 4), False))
            continue
        slope = (r.sxy - r.sx * r.sy / n) / sxx
        syy = r.syy - r.sy**2 / n
        resid = max(syy - slope**2 * sxx, 0.0)
        se = np.sqrt(resid / (n - 2) / sxx)
        tq = st.t.ppf(0.5 + confidence / 2, n - 2) if n > 2 else z
        p = float(2 * st.t.sf(abs(slope / se), n - 2)) if se > 0 else 0.0
        change = 100.0 * np.expm1([slope, slope - tq * se, slope + tq * se])
        rows.append((r.stage, int(r.n), int(r.months), *change, p, bool(change[1] > 0)))
    out = pd.DataFrame(rows, columns=list(TREND_COLUMNS))
    return out.sort_values("monthly_change", ascending=False, na_position="last").reset_index(
        drop=True
    )


#: Columns of :func:`time_vs_score`.
LINK_COLUMNS: tuple[str, ...] = ("stage", "score", "n", "spearman", "ci_low", "ci_high", "p_value")
_SCORES = ("csat", "ces", "nps")


def time_vs_score(
    events: ir.Table,
    responses: ir.Table,
    spec: CaseSpec | None = None,
    *,
    score: str = "ces",
    min_n: int = 10,
    confidence: float = 0.95,
) -> pd.DataFrame:
    """Return the link between time spent in a stage and the score left at that stage.

    The engine builds one row per customer and stage: the customer's median dwell time in
    the stage and their mean ``score`` over answers at touchpoints of that stage (a
    touchpoint belongs to its most common stage in events). The link is Spearman's rank
    correlation over customers, with a Fisher-z interval. A negative link for CSAT or CES
    (higher = better/easier) means longer stays go with worse answers.

    Args:
        events: the canonical events table (needs ``stage``).
        responses: the responses table (``customer_id``, ``touchpoint`` and the score).
        spec: how journeys are cut.
        score: ``"ces"``, ``"csat"`` or ``"nps"``.
        min_n: stages with fewer customers get NaN.
        confidence: level of the interval.

    Returns:
        DataFrame with :data:`LINK_COLUMNS`, one row per stage with answers.

    Example:
        >>> time_vs_score(ws.table("events"), ws.table("responses"), score="csat")  # doctest: +SKIP
    """
    if score not in _SCORES:
        raise ArgumentError(f"score={score!r} is unknown; use one of: {', '.join(_SCORES)}")
    check_confidence(confidence)
    require_columns(responses, "responses", "customer_id", "touchpoint", score)
    s = stays(events, spec)
    s = s.filter(s["dwell_seconds"].notnull())
    dwell = s.group_by(["customer_id", "stage"]).aggregate(dwell=s["dwell_seconds"].median())
    e = prepare(events, spec, "stage")
    pairs = e.group_by(["touchpoint", "stage"]).aggregate(n=e.count())
    home = pairs.group_by("touchpoint").aggregate(_stage=pairs["stage"].argmax(pairs["n"]))
    r = responses.filter(is_present(responses[score]), responses["customer_id"].notnull())
    r = r.join(home, r["touchpoint"] == home["touchpoint"])
    answers = r.group_by(customer_id=r["customer_id"].cast("string"), stage=r["_stage"]).aggregate(
        value=r[score].cast("float64").mean()
    )
    joined = dwell.join(answers, ["customer_id", "stage"])
    got = run(joined, "time in stage against scores")
    rows = []
    z = z_value(confidence)
    for stage, g in got.groupby("stage", sort=True):
        n = len(g)
        if n < max(min_n, 4) or g["dwell"].nunique() < 2 or g["value"].nunique() < 2:
            rows.append((stage, score, n, np.nan, np.nan, np.nan, np.nan))
            continue
        rho, p = st.spearmanr(g["dwell"], g["value"])
        half = z / np.sqrt(n - 3)
        centre = np.arctanh(np.clip(rho, -0.999999, 0.999999))
        lo, hi = np.tanh(centre - half), np.tanh(centre + half)
        rows.append((stage, score, n, float(rho), float(lo), float(hi), float(p)))
    return pd.DataFrame(rows, columns=list(LINK_COLUMNS))
