"""Simulated answers for the demo: who answers, when, and what, drawn with a fixed seed.

The demo has historical events but no respondents, so it invites on those events (as the
trigger would have at the time) and draws the answers: each invitation is answered with
probability ``rate``, halved for customers who later churned (a planted non-response bias
the collection's non-response check should find); the answer comes an exponential time
after the invitation was due (mean ``mean_hours``), before the link expires and not after
the data's last event (the demo's "now": a later answer would start a month the rest of the
data does not reach, so that invitation stays open); the score is
drawn from the scores already in ``responses`` for that kind (uniform on the scale when
there are none). Answers are loaded in batches through the same path as real ones.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from cxlens.collect.answers import answered, store_answers
from cxlens.collect.rules import INVITED
from cxlens.collect.tables import DEFINITIONS_TABLE, INVITATIONS_TABLE
from cxlens.collect.wording import SCALES
from cxlens.store.catalog import Catalog
from cxlens.store.query import run

#: The demo's two surveys: NPS by e-mail after an installation, CES by link after support.
DEMO_SURVEYS = (
    {"name": "installation-nps", "kind": "nps", "company": "Northwind Connect",
     "languages": ["en", "ru", "zh"], "trigger": {"touchpoint": "installation"},
     "delay": "1d", "expiry": "7d", "channel": "email",
     "contact": {"quiet_days": 90, "sampling": 0.5, "seed": 7,
                 "business_hours": {"start": "09:00", "end": "18:00",
                                    "days": ["mon", "tue", "wed", "thu", "fri"]}}},
    {"name": "support-ces", "kind": "ces", "company": "Northwind Connect",
     "languages": ["en", "ru", "zh"], "trigger": {"touchpoint": "support"},
     "delay": "2h", "expiry": "3d", "channel": "link", "contact": {"quiet_days": 30}},
)  # fmt: skip

#: Answers per load.
BATCH = 2000


def simulate_answers(
    catalog: Catalog, *, rate: float = 0.3, mean_hours: float = 8.0, seed: int = 7
) -> int:
    """Draw and load answers to the invitations made; return how many were loaded.

    Invitations answered already are left alone, so a second run adds nothing.

    Example:
        >>> simulate_answers(ws, rate=0.3, seed=7)  # doctest: +SKIP
        1184
    """
    if not catalog.has_table(INVITATIONS_TABLE):
        return 0
    inv = catalog.table(INVITATIONS_TABLE)
    rows = run(inv.filter(inv.decision == INVITED).order_by("invitation_id"), "the invitations")
    if rows.empty:
        return 0
    rng = np.random.default_rng(seed)
    churned = _churned(catalog, rows.customer_id)
    chance = np.where(rows.customer_id.isin(churned), rate / 2, rate)
    answers = rng.random(len(rows)) < chance
    delay = pd.to_timedelta(rng.exponential(mean_hours, len(rows)), unit="h")
    at = (pd.to_datetime(rows.due_at) + delay).dt.floor("s")
    pool: dict[str, np.ndarray] = {}
    kinds = _kinds(catalog)
    keep = answers & (at < pd.to_datetime(rows.expires_at)).to_numpy()
    end = _data_end(catalog)
    if end is not None:
        keep &= (at <= end).to_numpy()
    picked = rows[keep].assign(at=at[keep])
    done = answered(catalog, picked.invitation_id)
    picked = picked[~picked.invitation_id.isin(done)]
    loaded = 0
    for start in range(0, len(picked), BATCH):
        chunk = picked.iloc[start : start + BATCH]
        batch, times = [], []
        for row in chunk.to_dict("records"):
            kind = kinds[row["survey"]]
            if kind not in pool:
                pool[kind] = _scores(catalog, kind)
            batch.append((row, {kind: int(rng.choice(pool[kind]))}))
            times.append(row["at"].to_pydatetime())
        loaded += len(store_answers(catalog, batch, max(times), times))
    return loaded


def _data_end(catalog: Catalog) -> pd.Timestamp | None:
    """Return the time of the last event (the demo's "now"), or None without events."""
    if not catalog.has_table("events"):
        return None
    t = catalog.table("events")
    last = run(t.select(end=t.occurred_at.max()), "the last event time")["end"].iloc[0]
    return None if pd.isna(last) else pd.Timestamp(last)


def _kinds(catalog: Catalog) -> dict[str, str]:
    t = catalog.table(DEFINITIONS_TABLE)
    frame = run(t.select("name", "kind"), "the survey kinds")
    return dict(zip(frame.name, frame.kind, strict=True))


def _churned(catalog: Catalog, customers: pd.Series) -> set[str]:
    if not catalog.has_table("customers"):
        return set()
    t = catalog.table("customers")
    if "churned_at" not in t.columns:
        return set()
    hit = t.filter(t.churned_at.notnull() & t.customer_id.isin(list(set(customers))))
    return set(run(hit.select("customer_id"), "the churned customers").customer_id)


def _scores(catalog: Catalog, kind: str) -> np.ndarray:
    low, high = SCALES[kind]
    if catalog.has_table("responses") and kind in catalog.table("responses").columns:
        t = catalog.table("responses")
        got = run(t.filter(t[kind].notnull()).select(kind), f"the {kind} scores")[kind]
        got = got[(got >= low) & (got <= high)]
        if len(got):
            return got.astype(int).to_numpy()
    return np.arange(low, high + 1)


def demo_collection(catalog: Catalog, *, seed: int = 7) -> dict[str, int]:
    """Define :data:`DEMO_SURVEYS`, trigger them on the events, simulate the answers.

    The events are historical, so they are triggered as of one minute before the first
    event (no link has expired then); the contact rules apply as they would have. Returns
    the invitations decided by this run and the answers loaded. A second run adds nothing.

    Example:
        >>> demo_collection(ws)  # doctest: +SKIP
        {'decided': 5120, 'answered': 1184}
    """
    from cxlens.collect.namespace import Surveys

    surveys = Surveys(catalog)
    for spec in DEMO_SURVEYS:
        surveys.create(spec, replace=True)
    events = catalog.table("events")
    first = run(events.occurred_at.min(), "the first event")
    decided = surveys.trigger(now=(pd.Timestamp(first) - pd.Timedelta(minutes=1)).to_pydatetime())
    return {"decided": len(decided), "answered": simulate_answers(catalog, seed=seed)}
