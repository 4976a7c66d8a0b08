"""Campaigns and influencer deals of the fictional firm, placed on the sample's timeline.

A handful of rows regardless of the sample size; their windows lift acquisition (customers
acquired through a campaign carry its ``campaign_id``) and the influencer deals drive posts.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from cxlens.sample.timeline import DAY, Timeline, to_timestamps


@dataclass(frozen=True)
class _Plan:
    name: str
    kind: str
    channel: str
    code: str
    at: float  # position in the period, 0-1
    days: int
    cost: tuple[float, float]
    influencer: str | None = None
    language: str | None = None
    uplift: float = 1.5


_PLANS: tuple[_Plan, ...] = (
    _Plan("Spring Speed Boost", "campaign", "social", "SPRING", 0.08, 45, (40_000, 60_000)),
    _Plan("Back to School Bundle", "campaign", "search", "SCHOOL", 0.33, 30, (25_000, 35_000)),
    _Plan("Holiday Family Plan", "campaign", "tv", "HOLIDAY", 0.45, 40, (110_000, 150_000)),
    _Plan("Small Business Starter", "campaign", "email", "SMB", 0.56, 60, (15_000, 22_000)),
    _Plan("Fibre 1000 Launch", "campaign", "social", "FIBRE", 0.74, 45, (60_000, 90_000)),
    _Plan("Switch and Save", "campaign", "display", "SWITCH", 0.88, 30, (20_000, 30_000)),
    _Plan(
        "Tech with Mia unboxing", "influencer", "instagram", "MIA", 0.2, 30, (8_000, 12_000),
        influencer="@techwithmia", language="en", uplift=1.25,
    ),
    _Plan(
        "Lena Obzory review series", "influencer", "tiktok", "LENA", 0.5, 30, (4_000, 7_000),
        influencer="@lena_obzory", language="ru", uplift=1.2,
    ),
    _Plan(
        "Xiao Wang Tech live test", "influencer", "instagram", "XWTECH", 0.68, 21, (5_000, 9_000),
        influencer="@xiaowang_tech", language="zh", uplift=1.2,
    ),
)  # fmt: skip


@dataclass(frozen=True)
class CampaignSchedule:
    """Campaign windows as arrays, for the other generators to use.

    Example:
        >>> sched = build_campaigns(np.random.default_rng(0), Timeline.from_start("2024-01-01", 24))
        >>> len(sched.table) == len(sched.ids)
        True
    """

    table: pd.DataFrame
    ids: np.ndarray
    kinds: np.ndarray
    starts: np.ndarray  # datetime64[s]
    ends: np.ndarray  # datetime64[s]
    uplift: np.ndarray
    influencers: np.ndarray
    languages: np.ndarray
    codes: np.ndarray


def build_campaigns(rng: np.random.Generator, timeline: Timeline) -> CampaignSchedule:
    """Place the firm's campaigns and influencer deals on ``timeline``.

    Args:
        rng: the random generator (draws the costs).
        timeline: the sample's period; windows sit at fixed fractions of it.

    Returns:
        The schedule; ``schedule.table`` is the canonical ``campaigns`` table (campaign_id, kind,
        name, channel, influencer, cost, start_at, end_at, tracking_code, plus ``language``).

    Example:
        >>> sched = build_campaigns(np.random.default_rng(1), Timeline.from_start("2024-01-01", 24))
        >>> sched.table["kind"].value_counts().to_dict()
        {'campaign': 6, 'influencer': 3}
    """
    total = timeline.seconds
    starts, ends, codes = [], [], []
    for plan in _PLANS:
        days = min(plan.days, max(7, total // DAY // 6))
        begin = (timeline.start + np.timedelta64(int(plan.at * total) // DAY * DAY, "s")).astype(
            "datetime64[s]"
        )
        finish = min(begin + np.timedelta64(days * DAY - 1, "s"), timeline.end - 1)
        starts.append(begin)
        ends.append(finish)
        codes.append(f"NW-{plan.code}{pd.Timestamp(begin).year % 100:02d}")
    lows = np.array([p.cost[0] for p in _PLANS])
    highs = np.array([p.cost[1] for p in _PLANS])
    costs = np.round(rng.uniform(lows, highs) / 100) * 100
    ids = np.array([f"CMP-{k + 1:02d}" for k in range(len(_PLANS))])
    starts_a = np.array(starts, dtype="datetime64[s]")
    ends_a = np.array(ends, dtype="datetime64[s]")
    table = pd.DataFrame(
        {
            "campaign_id": pd.Series(ids, dtype="str"),
            "kind": pd.Series([p.kind for p in _PLANS], dtype="str"),
            "name": pd.Series([p.name for p in _PLANS], dtype="str"),
            "channel": pd.Series([p.channel for p in _PLANS], dtype="str"),
            "influencer": pd.Series([p.influencer for p in _PLANS], dtype="str"),
            "cost": costs.astype(float),
            "start_at": to_timestamps(starts_a),
            "end_at": to_timestamps(ends_a),
            "tracking_code": pd.Series(codes, dtype="str"),
            "language": pd.Series([p.language for p in _PLANS], dtype="str"),
        }
    )
    return CampaignSchedule(
        table=table,
        ids=ids,
        kinds=np.array([p.kind for p in _PLANS]),
        starts=starts_a,
        ends=ends_a,
        uplift=np.array([p.uplift for p in _PLANS]),
        influencers=np.array([p.influencer or "" for p in _PLANS]),
        languages=np.array([p.language or "" for p in _PLANS]),
        codes=np.array(codes),
    )
