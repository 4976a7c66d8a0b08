"""Customers of the fictional firm: who they are, when they joined, how satisfied, when they left.

Each customer gets segment, region, plan, acquisition channel and cost, a preferred language,
customer-level driver ratings (1-5) and a personal satisfaction offset. Their mean latent score
(the 0-10 score their answers scatter around) sets a monthly churn hazard: the less satisfied,
the sooner they leave.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from cxlens.sample import catalog as cat
from cxlens.sample.campaigns import CampaignSchedule
from cxlens.sample.timeline import DAY, MONTH, Timeline, daytime, to_timestamps

#: Share of customers who joined before the period starts (still active at its start).
PRE_PERIOD_SHARE = 0.25
#: How far back pre-period customers joined, in months.
PRE_PERIOD_MONTHS = 48
#: Extra churn hazard of the planted problem's segment once the problem starts.
PROBLEM_CHURN_MULTIPLIER = 1.6

DRIVERS: tuple[str, ...] = tuple(cat.DRIVER_WEIGHTS)
WEIGHTS = np.array([cat.DRIVER_WEIGHTS[d] for d in DRIVERS])
SEGMENTS: tuple[str, ...] = tuple(cat.SEGMENTS)
LANGUAGES: tuple[str, ...] = tuple(cat.LANGUAGES)


@dataclass
class Population:
    """The customers as arrays (one entry per customer, in customer_id order).

    ``start``/``stop`` bound each customer's active time inside the period; ``drivers`` holds
    customer-level driver means (n x 5, columns in ``DRIVERS`` order); ``mean_latent`` is the
    0-10 score a customer's answers scatter around.
    """

    ids: np.ndarray
    segment: np.ndarray  # index into SEGMENTS
    language: np.ndarray  # index into LANGUAGES
    plan: np.ndarray
    price: np.ndarray
    channel: np.ndarray
    first_seen: np.ndarray  # datetime64[s]
    churned_at: np.ndarray  # datetime64[s], NaT when still active at the end
    start: np.ndarray  # datetime64[s]
    stop: np.ndarray  # datetime64[s]
    drivers: np.ndarray
    offset: np.ndarray
    mean_latent: np.ndarray

    def __len__(self) -> int:
        return len(self.ids)

    def active_months(self) -> np.ndarray:
        """Months each customer is active inside the period (float)."""
        return (self.stop - self.start).astype(np.int64) / MONTH


def _pick(rng: np.random.Generator, options: dict[str, float], n: int) -> np.ndarray:
    names = np.array(list(options))
    p = np.array(list(options.values()), dtype=float)
    return names[rng.choice(len(names), size=n, p=p / p.sum())]


def _join_times(
    rng: np.random.Generator, n: int, timeline: Timeline, campaigns: CampaignSchedule
) -> tuple[np.ndarray, np.ndarray]:
    """Draw first_seen; return it and the campaign index active at joining (-1 if none)."""
    pre = rng.random(n) < PRE_PERIOD_SHARE
    days = timeline.seconds // DAY
    day_starts = timeline.start + (np.arange(days) * DAY).astype("timedelta64[s]")
    weight = np.linspace(1.0, 1.35, days)  # the firm grows
    campaign_of_day = np.full(days, -1)
    for k in range(len(campaigns.ids)):
        inside = (day_starts >= campaigns.starts[k]) & (day_starts <= campaigns.ends[k])
        weight[inside] *= campaigns.uplift[k]
        campaign_of_day[inside & (campaign_of_day < 0)] = k
    day = rng.choice(days, size=n, p=weight / weight.sum())
    joined = daytime(rng, day_starts[day])
    back = rng.uniform(1, PRE_PERIOD_MONTHS * 30.4375, size=n) * DAY
    before = timeline.start - back.astype(np.int64).astype("timedelta64[s]")
    joined = np.where(pre, daytime(rng, before), joined)
    joined = np.minimum(joined, timeline.end - 1)
    return joined, np.where(pre, -1, campaign_of_day[day])


def _churn(
    rng: np.random.Generator,
    start: np.ndarray,
    hazard: np.ndarray,
    boost_from: np.ndarray,
    boost: np.ndarray,
) -> np.ndarray:
    """Draw churn times from a piecewise-constant monthly hazard (times in seconds from start).

    ``hazard`` applies until ``boost_from`` (seconds), ``hazard * boost`` afterwards.
    """
    need = rng.exponential(1.0, size=len(start))  # cumulative hazard at which they leave
    before = np.clip(boost_from - start, 0, None) / MONTH
    cum_before = hazard * before
    t_plain = need / hazard
    t_boost = before + (need - cum_before) / (hazard * boost)
    return start + np.where(need <= cum_before, t_plain, t_boost) * MONTH


def build_customers(
    rng: np.random.Generator,
    n: int,
    timeline: Timeline,
    campaigns: CampaignSchedule,
    problem_month: int,
) -> tuple[pd.DataFrame, Population]:
    """Generate ``n`` customers over ``timeline``.

    Args:
        rng: the random generator.
        n: number of customers.
        timeline: the sample's period.
        campaigns: campaign windows (they lift acquisition and tag customers acquired in them).
        problem_month: month index (0-based) from which the planted problem raises churn in its
            segment.

    Returns:
        The canonical ``customers`` table (customer_id, first_seen, churned_at, acquisition_cost,
        segment, region, plan, acquisition_channel, plus ``language`` and ``campaign_id``) and
        the ``Population`` arrays the other generators use.

    Example:
        >>> from cxlens.sample.campaigns import build_campaigns
        >>> rng = np.random.default_rng(0)
        >>> tl = Timeline.from_start("2024-01-01", 12)
        >>> table, pop = build_customers(rng, 50, tl, build_campaigns(rng, tl), 8)
        >>> len(table), len(pop)
        (50, 50)
    """
    segment = rng.choice(len(SEGMENTS), size=n, p=np.array(list(cat.SEGMENTS.values())))
    language = rng.choice(len(LANGUAGES), size=n, p=np.array(list(cat.LANGUAGES.values())))
    region = _pick(rng, cat.REGIONS, n)
    plan = np.empty(n, dtype=object)
    price = np.zeros(n)
    channel = np.empty(n, dtype=object)
    cost = np.zeros(n)
    for s, name in enumerate(SEGMENTS):
        idx = np.flatnonzero(segment == s)
        plans = cat.PLANS[name]
        names = np.array(list(plans))
        p = np.array([v[1] for v in plans.values()])
        k = rng.choice(len(names), size=len(idx), p=p / p.sum())
        plan[idx] = names[k]
        price[idx] = np.array([v[0] for v in plans.values()])[k]
        acq = cat.ACQUISITION[name]
        chans = np.array(list(acq))
        p = np.array([v[0] for v in acq.values()])
        k = rng.choice(len(chans), size=len(idx), p=p / p.sum())
        channel[idx] = chans[k]
        median = np.array([v[1] for v in acq.values()])[k]
        cost[idx] = np.round(median * rng.lognormal(0.0, 0.35, size=len(idx)), 2)

    joined, campaign_k = _join_times(rng, n, timeline, campaigns)
    order = np.argsort(joined, kind="stable")  # ids follow signup order, as in a CRM
    segment, language, region, plan, price, channel, cost, joined, campaign_k = (
        a[order]
        for a in (segment, language, region, plan, price, channel, cost, joined, campaign_k)
    )
    width = max(6, len(str(n)))
    ids = np.array([f"C{k:0{width}d}" for k in range(1, n + 1)])

    # Customers who joined in a campaign window through a trackable channel carry its id;
    # influencer deals only reach customers who speak the influencer's language.
    tagged = (campaign_k >= 0) & np.isin(channel, ["online", "referral", "telesales"])
    tagged &= rng.random(n) < 0.4
    ck = np.clip(campaign_k, 0, None)
    lang_ok = (campaigns.languages[ck] == "") | (
        campaigns.languages[ck] == np.array(LANGUAGES)[language]
    )
    tagged &= lang_ok
    campaign_id = np.where(tagged, campaigns.ids[ck], None)

    # Customer-level driver means: overall mean, segment and plan shifts, a halo, noise.
    means = np.array([cat.DRIVER_MEANS[d] for d in DRIVERS])
    shift = np.array(
        [[cat.DRIVER_SEGMENT_SHIFT[s].get(d, 0.0) for d in DRIVERS] for s in SEGMENTS]
    )[segment]
    plan_s = plan.astype(str)
    speed = DRIVERS.index("speed")
    shift[:, speed] += np.where(np.char.find(plan_s, "1000") >= 0, 0.4, 0.0)
    shift[:, speed] -= np.where(np.char.find(plan_s, "Basic") >= 0, 0.3, 0.0)
    halo = rng.normal(0.0, 1.0, size=(n, 1))
    drivers = np.clip(
        means + shift + 0.35 * halo + rng.normal(0.0, 0.6, size=(n, len(DRIVERS))), 1.0, 5.0
    )
    offset = rng.normal(0.0, 0.8, size=n)
    base = np.array([cat.LATENT_BASE[s] for s in SEGMENTS])[segment]
    mean_latent = base + (drivers - 3.0) @ WEIGHTS + offset

    start = np.maximum(joined, timeline.start)
    hazard = np.array([cat.CHURN_BASE_HAZARD[s] for s in SEGMENTS])[segment] * np.exp(
        -cat.CHURN_SATISFACTION_COEF * (mean_latent - cat.CHURN_PIVOT)
    )
    hazard = np.minimum(hazard, cat.CHURN_MAX_HAZARD)
    problem_at = timeline.offset(timeline.month_starts()[min(problem_month, timeline.months - 1)])
    if problem_month >= timeline.months:
        problem_at = timeline.seconds
    boost = np.where(
        np.array(SEGMENTS)[segment] == cat.PROBLEM_SEGMENT, PROBLEM_CHURN_MULTIPLIER, 1.0
    )
    start_s = timeline.offset(start).astype(float)
    leave_s = _churn(rng, start_s, hazard, np.full(n, float(problem_at)), boost)
    churned = leave_s < timeline.seconds
    leave = timeline.at(np.minimum(leave_s, timeline.seconds - 1).astype(np.int64))
    churned_at = np.where(churned, leave, np.datetime64("NaT"))
    stop = np.where(churned, leave, timeline.end)

    table = pd.DataFrame(
        {
            "customer_id": pd.Series(ids, dtype="str"),
            "first_seen": to_timestamps(joined),
            "churned_at": to_timestamps(churned_at),
            "acquisition_cost": cost,
            "segment": pd.Series(np.array(SEGMENTS)[segment], dtype="str"),
            "region": pd.Series(region, dtype="str"),
            "plan": pd.Series(plan, dtype="str"),
            "acquisition_channel": pd.Series(channel, dtype="str"),
            "language": pd.Series(np.array(LANGUAGES)[language], dtype="str"),
            "campaign_id": pd.Series(campaign_id, dtype="str"),
        }
    )
    pop = Population(
        ids=ids,
        segment=segment,
        language=language,
        plan=plan,
        price=price,
        channel=channel,
        first_seen=joined,
        churned_at=churned_at,
        start=start,
        stop=stop,
        drivers=drivers,
        offset=offset,
        mean_latent=mean_latent,
    )
    return table, pop
