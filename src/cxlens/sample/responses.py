"""Survey responses: NPS, CSAT, CES and five driver ratings built from a known latent model.

Each answer set rates five drivers 1-5 around the customer's own driver means. A latent 0-10
score adds up the drivers with the TRUE weights in ``catalog.DRIVER_WEIGHTS``, the customer's
personal offset, the touchpoint, the holiday-season dip, the planted problem and noise:

    latent = base[segment] + sum_k w_k * (rating_k - 3) + offset + touchpoint + season
             - problem_shift + N(0, 0.9)

NPS is the latent rounded and clipped to 0-10; CSAT (1-5) and CES (1-7, higher = easier) are
read from it with their own noise, CES leaning mostly on the ease rating. Comments come from
``comments`` in the customer's language, their sentiment following the NPS group.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from cxlens.sample import catalog as cat
from cxlens.sample.comments import LANGS, build_comments
from cxlens.sample.customers import DRIVERS, LANGUAGES, SEGMENTS, WEIGHTS, Population
from cxlens.sample.timeline import DAY, Timeline, calendar_month, daytime, to_timestamps

#: Survey answers per customer per active month (relationship and transactional together).
RESPONSE_RATE = 0.25
#: Share of life-time answers that come from the relationship survey.
RELATIONSHIP_SHARE = 0.3
#: Chance a new customer answers the installation / onboarding survey.
INSTALLATION_SHARE = 0.35
ONBOARDING_SHARE = 0.3
LATENT_NOISE = 0.9
RATING_NOISE = 0.75
#: Chance a detractor hit by the planted problem writes about billing.
BILLING_COMPLAINT_SHARE = 0.75
#: Latent shift of the planted problem when too few answers are there to calibrate it.
NOMINAL_PROBLEM_SHIFT = 0.75


@dataclass
class Scores:
    """Drawn ratings and scores for a batch of answers (one entry per answer)."""

    ratings: np.ndarray  # n x drivers, integers 1-5 as floats
    latent: np.ndarray  # without the planted shift
    csat_noise: np.ndarray
    ces_noise: np.ndarray


def season_shift(times: np.ndarray) -> np.ndarray:
    """Return the seasonal shift of the latent score for each time (holiday-season dip).

    Example:
        >>> season_shift(np.array(["2024-12-10", "2024-06-10"], dtype="datetime64[s]")).tolist()
        [-0.45, 0.0]
    """
    table = np.zeros(13)
    for month, shift in cat.SEASONAL_DIP.items():
        table[month] = shift
    return table[calendar_month(times)]


def draw_scores(
    rng: np.random.Generator,
    pop: Population,
    cust: np.ndarray,
    times: np.ndarray,
    touchpoint: np.ndarray,
) -> Scores:
    """Draw driver ratings and the latent score (before any planted shift) for answers.

    Args:
        rng: the random generator.
        pop: the customers.
        cust: customer index per answer.
        times: answer times (``datetime64``).
        touchpoint: touchpoint name per answer (None for relationship surveys).

    Returns:
        The ratings, the latent scores and the noise the CSAT and CES readings use.

    Example:
        >>> from cxlens.sample import generate
        >>> data = generate(customers=100, months=6, seed=2)
        >>> data.truth["drivers"]["order"][0]
        'reliability'
    """
    n = len(cust)
    ratings = np.clip(
        np.rint(pop.drivers[cust] + rng.normal(0.0, RATING_NOISE, size=(n, len(DRIVERS)))), 1, 5
    )
    base = np.array([cat.LATENT_BASE[s] for s in SEGMENTS])[pop.segment[cust]]
    tp = pd.Series(touchpoint, dtype=object).map(cat.TOUCHPOINT_SHIFT).fillna(0.0).to_numpy(float)
    latent = (
        base
        + (ratings - 3.0) @ WEIGHTS
        + pop.offset[cust]
        + tp
        + season_shift(times)
        + rng.normal(0.0, LATENT_NOISE, size=n)
    )
    return Scores(
        ratings=ratings,
        latent=latent,
        csat_noise=rng.normal(0.0, 0.8, size=n),
        ces_noise=rng.normal(0.0, 0.7, size=n),
    )


def nps_from_latent(latent: np.ndarray) -> np.ndarray:
    """Round and clip latent scores to the 0-10 NPS answer.

    Example:
        >>> nps_from_latent(np.array([-1.2, 6.5, 11.0])).tolist()
        [0, 7, 10]
    """
    return np.clip(np.floor(latent + 0.5), 0, 10).astype(np.int64)


def nps_of(scores: np.ndarray) -> float:
    """Net Promoter Score (promoters % minus detractors %) of 0-10 answers; NaN when empty.

    Example:
        >>> nps_of(np.array([10, 9, 7, 3]))
        25.0
    """
    if not len(scores):
        return float("nan")
    return float(100.0 * (np.mean(scores >= 9) - np.mean(scores <= 6)))


def _problem_shift(
    calibration: np.ndarray, affected: np.ndarray, target: float
) -> tuple[float, float | None]:
    """Pick the latent shift that drops NPS by ``target`` points; report the realised drop.

    The shift is calibrated on ``calibration`` (all answers of the hit segment and touchpoint,
    before and after the start) so that it stays stable in small samples; the realised drop is
    the counterfactual NPS difference on the ``affected`` answers (None when there are none).
    """
    shift = NOMINAL_PROBLEM_SHIFT
    if len(calibration) >= 30:
        before = nps_of(nps_from_latent(calibration))
        grid = np.arange(0.05, 8.0001, 0.05)
        drops = np.array([before - nps_of(nps_from_latent(calibration - d)) for d in grid])
        shift = float(round(grid[int(np.argmin(np.abs(drops - target)))], 2))
    if not len(affected):
        return shift, None
    drop = nps_of(nps_from_latent(affected)) - nps_of(nps_from_latent(affected - shift))
    return shift, float(round(drop, 2))


def _life_answers(
    rng: np.random.Generator, pop: Population
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Relationship and life-time transactional answers: (customer, time, touchpoint)."""
    counts = rng.poisson(RESPONSE_RATE * pop.active_months())
    cust = np.repeat(np.arange(len(pop)), counts)
    span = (pop.stop - pop.start).astype(np.int64)[cust]
    times = pop.start[cust] + (rng.random(len(cust)) * span).astype(np.int64).astype(
        "timedelta64[s]"
    )
    names = np.array(list(cat.LIFE_TOUCHPOINTS), dtype=object)
    p = np.array(list(cat.LIFE_TOUCHPOINTS.values()))
    tp = names[rng.choice(len(names), size=len(cust), p=p / p.sum())]
    tp[rng.random(len(cust)) < RELATIONSHIP_SHARE] = None
    return cust, times, tp


def _welcome_answers(
    rng: np.random.Generator, pop: Population, timeline: Timeline
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Installation and onboarding answers of customers who joined inside the period."""
    new = pop.first_seen >= timeline.start
    parts = []
    for name, share, lo, hi in (
        ("installation", INSTALLATION_SHARE, 2, 10),
        ("onboarding", ONBOARDING_SHARE, 20, 45),
    ):
        idx = np.flatnonzero(new & (rng.random(len(pop)) < share))
        delay = (rng.uniform(lo, hi, size=len(idx)) * DAY).astype(np.int64)
        at = pop.first_seen[idx] + delay.astype("timedelta64[s]")
        keep = at < pop.stop[idx]
        parts.append((idx[keep], at[keep], np.full(int(keep.sum()), name, dtype=object)))
    return tuple(np.concatenate(x) for x in zip(*parts, strict=True))  # type: ignore[return-value]


def _channels(rng: np.random.Generator, touchpoint: np.ndarray) -> np.ndarray:
    out = np.empty(len(touchpoint), dtype=object)
    key = np.where(pd.isna(touchpoint), "relationship", touchpoint).astype(str)
    for tp, options in cat.SURVEY_CHANNELS.items():
        idx = np.flatnonzero(key == tp)
        names = np.array(list(options), dtype=object)
        p = np.array(list(options.values()))
        out[idx] = names[rng.choice(len(names), size=len(idx), p=p / p.sum())]
    return out


def _extremes(rng: np.random.Generator, ratings: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Index of the best and worst rated driver per answer (ties broken at random)."""
    jitter = rng.random(ratings.shape) * 0.1
    return np.argmax(ratings + jitter, axis=1), np.argmin(ratings + jitter, axis=1)


def build_responses(
    rng: np.random.Generator, pop: Population, timeline: Timeline, problem_month: int
) -> tuple[pd.DataFrame, dict[str, object]]:
    """Generate survey responses for the customers' active time.

    Args:
        rng: the random generator.
        pop: the customers.
        timeline: the sample's period.
        problem_month: 0-based month of the period from which the planted billing problem
            lowers the latent score of small-business billing answers.

    Returns:
        The canonical ``responses`` table (response_id, customer_id, responded_at, survey,
        touchpoint, channel, nps, csat, ces, driver_<name> x5, comment, language) and the
        planted problem's realised numbers (latent shift, NPS drop, affected answers).

    Example:
        >>> from cxlens.sample import generate
        >>> data = generate(customers=100, months=6, seed=2)
        >>> int(data.tables["responses"]["nps"].between(0, 10).all())
        1
    """
    c1, t1, tp1 = _life_answers(rng, pop)
    c2, t2, tp2 = _welcome_answers(rng, pop, timeline)
    cust = np.concatenate([c1, c2])
    times = daytime(rng, np.concatenate([t1, t2]))
    times = np.clip(times, pop.start[cust], pop.stop[cust] - 1)
    touchpoint = np.concatenate([tp1, tp2])
    order = np.lexsort((cust, times))
    cust, times, touchpoint = cust[order], times[order], touchpoint[order]
    n = len(cust)

    scores = draw_scores(rng, pop, cust, times, touchpoint)
    segment = np.array(SEGMENTS)[pop.segment[cust]]
    month = timeline.month_index(times)
    cell = (segment == cat.PROBLEM_SEGMENT) & (touchpoint == cat.PROBLEM_TOUCHPOINT)
    affected = cell & (month >= problem_month)
    shift, drop = _problem_shift(
        scores.latent[cell], scores.latent[affected], cat.PROBLEM_TARGET_NPS_DROP
    )
    latent = scores.latent - np.where(affected, shift, 0.0)

    nps = nps_from_latent(latent)
    csat = np.clip(np.floor(1 + (latent + scores.csat_noise - 2) / 2 + 0.5), 1, 5)
    ease = scores.ratings[:, DRIVERS.index("ease")]
    ces = np.clip(
        np.floor(0.5 + 1.25 * (ease - 1) + 0.3 * (latent - 7) + scores.ces_noise + 0.5), 1, 7
    )
    relationship = pd.isna(touchpoint)
    csat_missing = relationship & (rng.random(n) < 0.08)

    sentiment = np.where(nps >= 9, 2, np.where(nps >= 7, 1, 0))
    strongest, weakest = _extremes(rng, scores.ratings)
    billing = affected & (rng.random(n) < BILLING_COMPLAINT_SHARE)
    language = pop.language[cust]
    comment = build_comments(rng, language, sentiment, strongest, weakest, billing, DRIVERS)

    width = max(7, len(str(n)))
    table = pd.DataFrame(
        {
            "response_id": pd.Series([f"R{k:0{width}d}" for k in range(1, n + 1)], dtype="str"),
            "customer_id": pd.Series(pop.ids[cust], dtype="str"),
            "responded_at": to_timestamps(times),
            "survey": pd.Series(
                np.where(relationship, "relationship", "transactional"), dtype="str"
            ),
            "touchpoint": pd.Series(touchpoint, dtype="str"),
            "channel": pd.Series(_channels(rng, touchpoint), dtype="str"),
            "nps": nps,
            "csat": pd.array(np.where(csat_missing, np.nan, csat), dtype="Int64"),
            "ces": pd.array(np.where(relationship, np.nan, ces), dtype="Int64"),
        }
    )
    for k, name in enumerate(DRIVERS):
        table[f"driver_{name}"] = scores.ratings[:, k]
    table["comment"] = pd.Series(comment, dtype="str")
    table["language"] = pd.Series(np.array(LANGUAGES)[language], dtype="str")
    problem = {
        "latent_shift": shift,
        "nps_drop": drop,
        "affected_responses": int(affected.sum()),
        "billing_comment_share_of_detractors": BILLING_COMPLAINT_SHARE,
    }
    return table, problem


#: Headers of the example tool export and the canonical columns they map to.
EXPORT_COLUMNS: dict[str, str] = {
    "Response ID": "response_id",
    "Submitted At": "responded_at",
    "How likely are you to recommend us? (1-10)": "nps",
    "Customer": "customer_id",
    "Comment": "comment",
    "Language": "language",
}
EXPORT_DATE_FORMAT = "%d.%m.%Y %H:%M"


def build_survey_export(
    rng: np.random.Generator, pop: Population, timeline: Timeline, rows: int
) -> tuple[pd.DataFrame, dict[str, object], dict[str, object]]:
    """Generate a web-intercept survey as another tool exports it: own headers, NPS asked 1-10.

    The answers are new ones (ids ``EXP-...``), drawn from the same latent model as the main
    responses, so loading the export next to ``responses.csv`` counts nothing twice.

    Args:
        rng: the random generator.
        pop: the customers.
        timeline: the sample's period.
        rows: number of answers.

    Returns:
        The export as the tool writes it (headers in ``EXPORT_COLUMNS``, dates as
        ``dd.mm.yyyy HH:MM``), its mapping document (table, columns, scales, date_format) and
        facts for the truth file.

    Example:
        >>> from cxlens.sample import generate
        >>> data = generate(customers=100, months=6, seed=2)
        >>> data.mappings["survey_export"]["scales"]
        {'nps': {'from': [1, 10], 'rule': 'linear'}}
    """
    cust = rng.integers(len(pop), size=rows)
    span = (pop.stop - pop.start).astype(np.int64)[cust]
    times = pop.start[cust] + (rng.random(rows) * span).astype(np.int64).astype("timedelta64[s]")
    times = np.clip(daytime(rng, times), pop.start[cust], pop.stop[cust] - 1)
    order = np.argsort(times, kind="stable")
    cust, times = cust[order], times[order]
    scores = draw_scores(rng, pop, cust, times, np.full(rows, None, dtype=object))
    answer = np.clip(np.floor(1 + 0.9 * scores.latent + 0.5), 1, 10).astype(np.int64)
    sentiment = np.where(answer >= 9, 2, np.where(answer >= 7, 1, 0))
    strongest, weakest = _extremes(rng, scores.ratings)
    language = pop.language[cust]
    comment = build_comments(
        rng, language, sentiment, strongest, weakest, np.zeros(rows, dtype=bool), DRIVERS
    )
    stamps = to_timestamps(times).dt.strftime(EXPORT_DATE_FORMAT)
    export = pd.DataFrame(
        {
            "Response ID": pd.Series([f"EXP-{k:06d}" for k in range(1, rows + 1)], dtype="str"),
            "Submitted At": pd.Series(stamps, dtype="str"),
            "How likely are you to recommend us? (1-10)": answer,
            "Customer": pd.Series(pop.ids[cust], dtype="str"),
            "Comment": pd.Series(comment, dtype="str"),
            "Language": pd.Series(np.array(LANGS)[language], dtype="str"),
        }
    )
    mapping: dict[str, object] = {
        "table": "responses",
        "columns": dict(EXPORT_COLUMNS),
        "scales": {"nps": {"from": [1, 10], "rule": "linear"}},
        "date_format": EXPORT_DATE_FORMAT,
        "encoding": "utf-8",
        "delimiter": ",",
    }
    facts: dict[str, object] = {
        "rows": rows,
        "nps_scale": [1, 10],
        "id_prefix": "EXP-",
        "nps_if_asked_0_10": round(nps_of(nps_from_latent(scores.latent)), 2),
        "mean_answer_1_10": round(float(answer.mean()), 3),
    }
    return export, mapping, facts
