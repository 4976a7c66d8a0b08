"""The entry point: generate the whole sample (tables plus the truths planted in them)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from cxlens.sample import catalog as cat
from cxlens.sample.campaigns import build_campaigns
from cxlens.sample.comments import EMPTY_SHARE, MARKERS
from cxlens.sample.customers import (
    DRIVERS,
    PRE_PERIOD_SHARE,
    PROBLEM_CHURN_MULTIPLIER,
    SEGMENTS,
    build_customers,
)
from cxlens.sample.events import build_events
from cxlens.sample.identities import build_identities
from cxlens.sample.responses import (
    LATENT_NOISE,
    RATING_NOISE,
    build_responses,
    build_survey_export,
    nps_from_latent,
    nps_of,
)
from cxlens.sample.social import build_posts
from cxlens.sample.timeline import Timeline
from cxlens.sample.transactions import build_transactions

#: Order of the canonical tables in ``SampleData.tables``.
TABLE_NAMES: tuple[str, ...] = (
    "customers",
    "identities",
    "responses",
    "transactions",
    "events",
    "posts",
    "campaigns",
)


@dataclass
class SampleData:
    """A generated sample: canonical tables, the truths planted in them, and extras.

    Attributes:
        tables: canonical tables by name (customers, identities, responses, transactions,
            events, posts, campaigns), with canonical column names.
        truth: JSON-serialisable dict of what was planted (see ``generate``).
        exports: tool exports with non-canonical headers (``survey_export``).
        mappings: mapping documents for the exports, by export name.
        identity_links: the true customer of every identity record (source, source_id,
            customer_id), for scoring identity resolution.

    Example:
        >>> data = generate(customers=200, months=6, seed=3)
        >>> sorted(data.tables) == sorted(TABLE_NAMES)
        True
    """

    tables: dict[str, pd.DataFrame]
    truth: dict[str, Any]
    exports: dict[str, pd.DataFrame] = field(default_factory=dict)
    mappings: dict[str, dict[str, Any]] = field(default_factory=dict)
    identity_links: pd.DataFrame | None = None


def _default_problem_month(months: int) -> int:
    if months >= 20:
        return cat.PROBLEM_DEFAULT_MONTH
    return min(months - 1, max(1, round(months * 5 / 8)))


def generate(
    customers: int = 20_000,
    months: int = 24,
    seed: int = 7,
    start: str | pd.Timestamp = "2024-01-01",
    *,
    problem_month: int | None = None,
) -> SampleData:
    """Generate the Northwind Connect sample: customers, surveys, payments, journeys, social.

    Everything is drawn from one ``numpy.random.Generator`` seeded with ``seed``, so the same
    arguments give the same data. Sizes scale with ``customers`` (about 4 responses, 20
    transactions and 15 events per customer, 0.4 posts per customer).

    Args:
        customers: number of customers (at least 10).
        months: calendar months covered, starting at ``start``.
        seed: random seed.
        start: first day of the period.
        problem_month: 0-based month of the period in which the planted billing problem starts
            (default 15 when the period has 20 months or more, else 5/8 of the period).

    Returns:
        A ``SampleData``. Its ``truth`` holds: ``seed``, ``size`` (customers, months, start,
        end, rows per table), ``firm``, ``segments``, ``drivers`` (true weights, their order,
        the latent model), ``scores`` (how NPS/CSAT/CES are read from the latent),
        ``planted_problem`` (segment, touchpoint, start month and date, latent shift, NPS drop
        in points, side effects), ``seasonality``, ``churn`` (hazard settings and realised
        rates), ``languages`` (declared and realised mix), ``comments`` (sentiment rule,
        markers), ``share_of_voice``, ``campaigns``, ``transactions``, ``events``,
        ``identities`` and ``survey_export``.

    Example:
        >>> data = generate(customers=500, months=12, seed=1)
        >>> data.truth["planted_problem"]["segment"]
        'small_business'
        >>> len(data.tables["customers"])
        500
    """
    if customers < 10:
        raise ValueError(f"customers must be at least 10, got {customers}")
    timeline = Timeline.from_start(start, months)
    pm = _default_problem_month(months) if problem_month is None else int(problem_month)
    if not 0 <= pm < months:
        raise ValueError(f"problem_month must lie in [0, {months - 1}], got {pm}")
    rng = np.random.default_rng(seed)

    schedule = build_campaigns(rng, timeline)
    cust_table, pop = build_customers(rng, customers, timeline, schedule, pm)
    identities, links = build_identities(rng, pop)
    responses, problem = build_responses(rng, pop, timeline, pm)
    transactions, tx_facts = build_transactions(rng, pop, timeline, pm)
    events, ev_facts = build_events(rng, pop, timeline, pm)
    posts, sov = build_posts(rng, customers, timeline, schedule, pm)
    export, mapping, export_facts = build_survey_export(
        rng, pop, timeline, max(30, customers // 20)
    )
    tables = {
        "customers": cust_table,
        "identities": identities,
        "responses": responses,
        "transactions": transactions,
        "events": events,
        "posts": posts,
        "campaigns": schedule.table,
    }
    truth = _truth(
        seed=seed,
        timeline=timeline,
        tables=tables,
        pop_mean=pop.mean_latent,
        problem_month=pm,
        problem=problem,
        tx_facts=tx_facts,
        ev_facts=ev_facts,
        sov=sov,
        export_facts=export_facts,
        links=links,
    )
    return SampleData(
        tables=tables,
        truth=truth,
        exports={"survey_export": export},
        mappings={"survey_export": mapping},
        identity_links=links,
    )


def _share(values: pd.Series) -> dict[str, float]:
    counts = values.value_counts(normalize=True)
    return {str(k): round(float(v), 4) for k, v in counts.sort_index().items()}


def _truth(
    *,
    seed: int,
    timeline: Timeline,
    tables: dict[str, pd.DataFrame],
    pop_mean: np.ndarray,
    problem_month: int,
    problem: dict[str, object],
    tx_facts: dict[str, object],
    ev_facts: dict[str, object],
    sov: dict[str, object],
    export_facts: dict[str, object],
    links: pd.DataFrame,
) -> dict[str, Any]:
    """Collect the planted truths into one JSON-serialisable dict."""
    customers = tables["customers"]
    responses = tables["responses"]
    identities = tables["identities"]
    problem_start = pd.Timestamp(timeline.month_starts()[problem_month])
    churned = customers["churned_at"].notna()
    group = np.where(
        nps_from_latent(pop_mean) >= 9,
        "promoter",
        np.where(nps_from_latent(pop_mean) >= 7, "passive", "detractor"),
    )
    by_group = {
        g: round(float(churned[group == g].mean()), 4) if (group == g).any() else None
        for g in ("detractor", "passive", "promoter")
    }
    comments = responses["comment"]
    weights = dict(cat.DRIVER_WEIGHTS)
    return {
        "seed": int(seed),
        "size": {
            "customers": len(customers),
            "months": timeline.months,
            "start": str(pd.Timestamp(timeline.start).date()),
            "end": str(pd.Timestamp(timeline.end).date()),
            "rows": {name: len(t) for name, t in tables.items()},
        },
        "firm": {
            "name": cat.FIRM,
            "competitors": list(cat.COMPETITORS),
            "currency": cat.CURRENCY,
        },
        "segments": {
            "declared": dict(cat.SEGMENTS),
            "realised": _share(customers["segment"]),
            "plans": {s: {p: v[0] for p, v in plans.items()} for s, plans in cat.PLANS.items()},
        },
        "drivers": {
            "columns": [f"driver_{d}" for d in DRIVERS],
            "scale": [1, 5],
            "weights": weights,
            "order": sorted(weights, key=lambda d: -weights[d]),
            "latent": (
                "latent = base[segment] + sum_k weight_k * (driver_k - 3) + customer_offset"
                " + touchpoint_shift + seasonal_shift - planted_shift + N(0, latent_noise)"
            ),
            "base": dict(cat.LATENT_BASE),
            "touchpoint_shift": dict(cat.TOUCHPOINT_SHIFT),
            "customer_offset_sd": 0.8,
            "rating_noise_sd": RATING_NOISE,
            "latent_noise_sd": LATENT_NOISE,
        },
        "scores": {
            "nps": "round(latent) clipped to 0-10",
            "csat": "round(1 + (latent + N(0, 0.8) - 2) / 2) clipped to 1-5",
            "ces": (
                "round(0.5 + 1.25 * (driver_ease - 1) + 0.3 * (latent - 7) + N(0, 0.7))"
                " clipped to 1-7; higher means easier"
            ),
            "missing": "ces only on transactional surveys; csat missing on ~8% of relationship",
            "nps_overall": round(nps_of(responses["nps"].to_numpy()), 2),
        },
        "planted_problem": {
            "segment": cat.PROBLEM_SEGMENT,
            "touchpoint": cat.PROBLEM_TOUCHPOINT,
            "start_month_index": problem_month,
            "start": str(problem_start.date()),
            "description": (
                "a billing process change lowers the latent score of small-business billing"
                " survey answers from the start month on"
            ),
            "target_nps_drop": cat.PROBLEM_TARGET_NPS_DROP,
            "nps_drop": problem["nps_drop"],
            "latent_shift": problem["latent_shift"],
            "affected_responses": problem["affected_responses"],
            "billing_comment_share_of_detractors": problem["billing_comment_share_of_detractors"],
            "churn_hazard_multiplier": PROBLEM_CHURN_MULTIPLIER,
            "double_charge_share": tx_facts["double_charge_share"],
            "double_charges": tx_facts["double_charges"],
            "extra_support_contacts": ev_facts["problem_extra_support_contacts"],
            "own_billing_post_share": sov["own_billing_complaint_share_after_problem"],
        },
        "seasonality": {
            "latent_shift_by_calendar_month": {str(m): s for m, s in cat.SEASONAL_DIP.items()},
            "dip_month": 12,
        },
        "churn": {
            "base_monthly_hazard": dict(cat.CHURN_BASE_HAZARD),
            "satisfaction_coefficient": cat.CHURN_SATISFACTION_COEF,
            "pivot_latent": cat.CHURN_PIVOT,
            "max_monthly_hazard": cat.CHURN_MAX_HAZARD,
            "formula": (
                "monthly hazard = base[segment] * exp(-coef * (customer mean latent - pivot)),"
                " times churn_hazard_multiplier for the planted segment after the problem start"
            ),
            "pre_period_share": PRE_PERIOD_SHARE,
            "churned_share": round(float(churned.mean()), 4),
            "churned_share_by_expected_group": by_group,
            "churned_share_by_segment": {
                s: round(float(churned[customers["segment"] == s].mean()), 4)
                if (customers["segment"] == s).any()
                else None
                for s in SEGMENTS
            },
        },
        "languages": {
            "declared": dict(cat.LANGUAGES),
            "customers": _share(customers["language"]),
            "responses": _share(responses["language"]),
            "comments": _share(responses.loc[comments.notna(), "language"]),
            "posts": _share(tables["posts"]["language"]),
        },
        "comments": {
            "rule": {"promoter": "positive", "passive": "mixed", "detractor": "negative"},
            "themes": {
                "promoter": "praise of the best-rated driver",
                "passive": "praise of the best-rated driver, complaint about the worst-rated",
                "detractor": "complaint about the worst-rated driver, or billing when hit by the"
                " planted problem",
            },
            "empty_share_declared": {
                "promoter": EMPTY_SHARE["positive"],
                "passive": EMPTY_SHARE["mixed"],
                "detractor": EMPTY_SHARE["negative"],
            },
            "empty_share": round(float(comments.isna().mean()), 4),
            "markers": {lang: {k: list(v) for k, v in m.items()} for lang, m in MARKERS.items()},
        },
        "share_of_voice": sov,
        "campaigns": {
            "ids": tables["campaigns"]["campaign_id"].tolist(),
            "acquired_customers": {
                str(k): int(v)
                for k, v in customers["campaign_id"].value_counts().sort_index().items()
            },
            "posts": {
                str(k): int(v)
                for k, v in tables["posts"]["campaign_id"].value_counts().sort_index().items()
            },
        },
        "transactions": tx_facts,
        "events": {k: v for k, v in ev_facts.items() if k != "customers"},
        "identities": {
            "records": len(identities),
            "per_source": {str(k): int(v) for k, v in identities["source"].value_counts().items()},
            "unlinked_records": int(identities["customer_id"].isna().sum()),
            "people": int(links["customer_id"].nunique()),
            "links_file": "identity_links.csv",
        },
        "survey_export": {
            **export_facts,
            "file": "survey_export.csv",
            "mapping": "survey_export.mapping.yaml",
        },
    }
