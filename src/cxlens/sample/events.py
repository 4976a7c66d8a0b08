"""Journey events: what each customer did, touchpoint by touchpoint, stage by stage.

Customers who join inside the period leave an acquisition trail (awareness ads, consideration
visits, checkout, installation and activation). While active they use the app, look at bills,
call support (the less satisfied call more, and small businesses more once the billing change
starts), get renewal offers on their anniversaries and, if they leave, a cancellation. Events
of one visit share a ``session_id``; durations are log-normal around a median per touchpoint.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from cxlens.sample import catalog as cat
from cxlens.sample.customers import SEGMENTS, Population
from cxlens.sample.timeline import DAY, MONTH, Timeline, daytime, to_timestamps

#: touchpoint -> (stage, channel shares, median duration in seconds)
TOUCHPOINTS: dict[str, tuple[str, dict[str, float], float]] = {
    "social_ad": ("awareness", {"social": 1.0}, 8),
    "search_ad": ("awareness", {"search": 1.0}, 6),
    "display_ad": ("awareness", {"web": 1.0}, 4),
    "referral": ("awareness", {"word_of_mouth": 1.0}, 40),
    "website": ("consideration", {"web": 0.8, "app": 0.2}, 150),
    "plan_comparison": ("consideration", {"web": 1.0}, 240),
    "coverage_check": ("consideration", {"web": 1.0}, 60),
    "store": ("consideration", {"store": 1.0}, 900),
    "sales_chat": ("consideration", {"chat": 1.0}, 420),
    "checkout": ("purchase", {"web": 1.0}, 360),
    "installation": ("onboarding", {"field": 1.0}, 5400),
    "activation": ("onboarding", {"app": 0.6, "web": 0.4}, 240),
    "onboarding": ("onboarding", {"email": 0.5, "phone": 0.5}, 300),
    "app": ("usage", {"app": 1.0}, 110),
    "billing": ("usage", {"web": 0.6, "app": 0.4}, 75),
    "speed_test": ("usage", {"app": 0.7, "web": 0.3}, 35),
    "support": ("support", {"phone": 0.5, "chat": 0.3, "email": 0.2}, 600),
    "renewal": ("renewal", {"phone": 0.5, "web": 0.5}, 300),
    "cancellation": ("renewal", {"phone": 0.8, "web": 0.2}, 540),
}
STAGES: tuple[str, ...] = (
    "awareness", "consideration", "purchase", "onboarding", "usage", "support", "renewal",
)  # fmt: skip

_CHECKOUT_CHANNEL = {
    "online": "web",
    "referral": "web",
    "retail_store": "store",
    "telesales": "phone",
    "partner": "partner",
    "field_sales": "in_person",
}
#: Visits per active month.
USAGE_VISITS = 0.25
SUPPORT_RATE = 0.06
PROBLEM_SUPPORT_RATE = 0.08


def _visits(
    rng: np.random.Generator,
    cust: np.ndarray,
    at: np.ndarray,
    options: dict[str, float],
    extra_events: float,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Expand visits into events: (visit index, customer, start time, touchpoint) per event."""
    size = (
        1 + rng.poisson(extra_events, size=len(cust)) if extra_events else np.ones(len(cust), int)
    )
    visit = np.repeat(np.arange(len(cust)), size)
    names = np.array(list(options), dtype=object)
    p = np.array(list(options.values()))
    tp = names[rng.choice(len(names), size=len(visit), p=p / p.sum())]
    return visit, cust[visit], at[visit], tp


def _within(
    rng: np.random.Generator, pop: Population, counts: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Return customer index and a uniform time in their active window, ``counts`` each."""
    cust = np.repeat(np.arange(len(pop)), counts)
    span = (pop.stop - pop.start).astype(np.int64)[cust]
    at = pop.start[cust] + (rng.random(len(cust)) * span).astype(np.int64).astype("timedelta64[s]")
    return cust, daytime(rng, at)


def _ago(rng: np.random.Generator, base: np.ndarray, lo: float, hi: float) -> np.ndarray:
    """Return times ``lo``-``hi`` days before (negative: after) ``base``."""
    days = rng.uniform(lo, hi, size=len(base))
    return base - (days * DAY).astype(np.int64).astype("timedelta64[s]")


def build_events(
    rng: np.random.Generator, pop: Population, timeline: Timeline, problem_month: int
) -> tuple[pd.DataFrame, dict[str, object]]:
    """Generate journey events over the stages awareness -> renewal.

    Args:
        rng: the random generator.
        pop: the customers.
        timeline: the sample's period (events outside it are dropped).
        problem_month: 0-based month from which small-business customers contact support more.

    Returns:
        The canonical ``events`` table (event_id, customer_id, occurred_at, touchpoint, stage,
        channel, session_id, duration_seconds) and facts for the truth file.

    Example:
        >>> from cxlens.sample import generate
        >>> data = generate(customers=100, months=6, seed=2)
        >>> set(data.tables["events"]["stage"]) <= set(STAGES)
        True
    """
    n = len(pop)
    new = np.flatnonzero(pop.first_seen >= timeline.start)
    groups: list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]] = []

    def add(cust: np.ndarray, at: np.ndarray, options: dict[str, float], extra: float) -> None:
        groups.append(_visits(rng, cust, at, options, extra))

    # Acquisition trail of customers who joined inside the period.
    awareness = {"social_ad": 0.4, "search_ad": 0.3, "display_ad": 0.2, "referral": 0.1}
    consideration = {
        "website": 0.35,
        "plan_comparison": 0.25,
        "coverage_check": 0.2,
        "store": 0.1,
        "sales_chat": 0.1,
    }
    c = np.repeat(new, 1 + rng.poisson(0.8, size=len(new)))
    add(c, daytime(rng, _ago(rng, pop.first_seen[c], 7, 45)), awareness, 0.0)
    c = np.repeat(new, 1 + rng.poisson(0.6, size=len(new)))
    add(c, daytime(rng, _ago(rng, pop.first_seen[c], 0.5, 14)), consideration, 0.9)
    add(new, pop.first_seen[new] - 300, {"checkout": 1.0}, 0.0)
    install = daytime(rng, _ago(rng, pop.first_seen[new], -10, -2))
    add(new, install, {"installation": 1.0}, 0.0)
    later = (2 * 3600 + rng.integers(0, DAY, len(new))).astype("timedelta64[s]")
    add(new, install + later, {"activation": 1.0}, 0.0)
    add(new, daytime(rng, _ago(rng, pop.first_seen[new], -14, -1)), {"onboarding": 1.0}, 0.0)

    # Life-time usage and support.
    months = pop.active_months()
    cust, at = _within(rng, pop, rng.poisson(USAGE_VISITS * months))
    add(cust, at, {"app": 0.55, "billing": 0.3, "speed_test": 0.15}, 0.7)
    support_rate = SUPPORT_RATE * np.exp(-0.35 * (pop.mean_latent - 7.0))
    cust, at = _within(rng, pop, rng.poisson(support_rate * months))
    add(cust, at, {"support": 1.0}, 0.0)
    problem_at = timeline.month_starts()[problem_month] if problem_month < timeline.months else None
    extra_support = 0
    if problem_at is not None:
        sb = np.flatnonzero(
            (pop.segment == SEGMENTS.index(cat.PROBLEM_SEGMENT)) & (pop.stop > problem_at)
        )
        begin = np.maximum(pop.start[sb], problem_at)
        span = (pop.stop[sb] - begin).astype(np.int64)
        k = rng.poisson(PROBLEM_SUPPORT_RATE * span / MONTH)
        c = np.repeat(np.arange(len(sb)), k)
        at = begin[c] + (rng.random(len(c)) * span[c]).astype(np.int64).astype("timedelta64[s]")
        add(sb[c], daytime(rng, at), {"support": 1.0}, 0.0)
        extra_support = len(c)

    # Renewal offers before each anniversary; a cancellation when a customer leaves.
    years = np.arange(1, 12)
    anniv = pop.first_seen[:, None] + (years * 365 * DAY)[None, :].astype("timedelta64[s]")
    offer = anniv - 10 * DAY
    due = (offer >= pop.start[:, None]) & (offer < pop.stop[:, None])
    c, y = np.nonzero(due)
    add(c, daytime(rng, offer[c, y]), {"renewal": 1.0}, 0.0)
    left = np.flatnonzero(~np.isnat(pop.churned_at))
    add(left, pop.churned_at[left] - 600, {"cancellation": 1.0}, 0.0)

    # Assemble: one session per visit, events of a visit one after another.
    visit_offset = np.cumsum([0] + [int(g[0].max() + 1) if len(g[0]) else 0 for g in groups])
    visit = np.concatenate([g[0] + off for g, off in zip(groups, visit_offset, strict=False)])
    cust = np.concatenate([g[1] for g in groups])
    start = np.concatenate([g[2] for g in groups]).astype("datetime64[s]")
    tp = np.concatenate([g[3] for g in groups])
    spec = pd.DataFrame(
        [(name, s, m) for name, (s, _, m) in TOUCHPOINTS.items()], columns=["tp", "stage", "median"]
    ).set_index("tp")
    tps = pd.Series(tp, dtype=object)
    median = tps.map(spec["median"]).to_numpy(float)
    duration = np.round(median * rng.lognormal(0.0, 0.6, size=len(tp)), 1)
    gap = duration + rng.integers(1, 60, size=len(tp))
    first = np.r_[True, visit[1:] != visit[:-1]]
    csum = np.cumsum(gap)
    before = csum - gap
    offset = before - np.maximum.accumulate(np.where(first, before, 0))
    at = start + offset.astype(np.int64).astype("timedelta64[s]")

    channel = np.empty(len(tp), dtype=object)
    for name, (_, options, _) in TOUCHPOINTS.items():
        idx = np.flatnonzero(tp == name)
        names = np.array(list(options), dtype=object)
        p = np.array(list(options.values()))
        channel[idx] = names[rng.choice(len(names), size=len(idx), p=p / p.sum())]
    checkout = tp == "checkout"
    channel[checkout] = pd.Series(pop.channel[cust[checkout]]).map(_CHECKOUT_CHANNEL).to_numpy()

    keep = (at >= timeline.start) & (at < timeline.end) & (at <= pop.stop[cust])
    visit, cust, at, tp, channel, duration = (
        a[keep] for a in (visit, cust, at, tp, channel, duration)
    )
    order = np.lexsort((visit, at))
    visit, cust, at, tp, channel, duration = (
        a[order] for a in (visit, cust, at, tp, channel, duration)
    )
    _, session_no = np.unique(visit, return_inverse=True)
    m = len(order)
    width = max(8, len(str(m)))
    stage = tps.map(spec["stage"]).to_numpy()[keep][order]
    sessions = rng.permutation(max(int(session_no.max()) + 1, 1) if m else 1)
    table = pd.DataFrame(
        {
            "event_id": pd.Series([f"E{k:0{width}d}" for k in range(1, m + 1)], dtype="str"),
            "customer_id": pd.Series(pop.ids[cust], dtype="str"),
            "occurred_at": to_timestamps(at),
            "touchpoint": pd.Series(tp, dtype="str"),
            "stage": pd.Series(stage, dtype="str"),
            "channel": pd.Series(channel, dtype="str"),
            "session_id": pd.Series(
                [f"S{k:0{width}d}" for k in sessions[session_no]] if m else [], dtype="str"
            ),
            "duration_seconds": duration.astype(float),
        }
    )
    facts: dict[str, object] = {
        "stages": list(STAGES),
        "touchpoints": {name: stage for name, (stage, _, _) in TOUCHPOINTS.items()},
        "support_rate_per_month": f"{SUPPORT_RATE} * exp(-0.35 * (mean_latent - 7))",
        "problem_extra_support_contacts": int(extra_support),
        "customers": n,
    }
    return table, facts
