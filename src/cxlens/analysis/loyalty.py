"""The loyalty matrix: attitude (satisfaction) against behaviour (repeat patronage).

Quadrants follow Jones & Sasser (1995), "Why Satisfied Customers Defect", Harvard Business
Review 73(6): loyalists (high satisfaction, high loyalty; apostles at the extreme),
mercenaries (high satisfaction, low loyalty), hostages (low satisfaction, high loyalty) and
defectors (low satisfaction, low loyalty; terrorists at the extreme). Dick & Basu (1994),
"Customer Loyalty: Toward an Integrated Conceptual Framework", JAMS 22(2), name the same
cells by relative attitude × repeat patronage: loyalty, latent loyalty, spurious loyalty and
no loyalty. Customers are labelled and summarised in the engine.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from typing import NamedTuple

import ibis
import ibis.expr.types as ir
import pandas as pd

from cxlens.analysis.features import plan_features, profile
from cxlens.errors import ArgumentError, NotEnoughDataError, SchemaError
from cxlens.metrics.definitions import PROMOTER_MIN, SATISFIED_MIN
from cxlens.store.catalog import Catalog
from cxlens.store.query import run


class Quadrant(NamedTuple):
    """One cell of the loyalty matrix."""

    name: str
    attitude: str
    behaviour: str
    dick_basu: str
    extreme: str


#: The four quadrants, in display order.
QUADRANTS: tuple[Quadrant, ...] = (
    Quadrant("loyalists", "high", "high", "loyalty", "apostles"),
    Quadrant("mercenaries", "high", "low", "latent loyalty", ""),
    Quadrant("hostages", "low", "high", "spurious loyalty", ""),
    Quadrant("defectors", "low", "low", "no loyalty", "terrorists"),
)

#: Attitude measures: name -> (feature column, high when, description).
ATTITUDES: dict[str, tuple[str, float, str]] = {
    "nps": ("last_nps", PROMOTER_MIN,
            "promoter on the latest NPS answer (9-10); passives and detractors are low"),
    "csat": ("last_csat", SATISFIED_MIN, "top-2-box on the latest CSAT answer (4-5 on 1-5)"),
}  # fmt: skip

#: Behaviour measures: name -> (feature column, higher is better, description, table needed).
BEHAVIOURS: dict[str, tuple[str, bool, str, str]] = {
    "frequency": ("frequency_12m", True, "purchases in the 12 months to the as-of date",
                  "transactions"),
    "recency": ("recency_days", False, "days since the last purchase (fewer is higher; no "
                "purchase is low)", "transactions"),
    "value": ("revenue_12m", True, "net revenue in the 12 months to the as-of date",
              "transactions"),
    "engagement": ("events_12m", True, "journey events in the 12 months to the as-of date",
                   "events"),
}  # fmt: skip

SUMMARY_COLUMNS: tuple[str, ...] = (
    "quadrant",
    "attitude",
    "behaviour",
    "dick_basu",
    "customers",
    "share",
    "revenue",
    "revenue_share",
    "revenue_per_customer",
    "revenue_ci_low",
    "revenue_ci_high",
    "retention_rate",
    "nps",
    "nps_ci_low",
    "nps_ci_high",
    "csat",
    "small_sample",
)


@dataclass(frozen=True)
class LoyaltyMatrix:
    """The loyalty matrix and how it was drawn; ``summary, labels = loyalty_matrix(ws)`` works.

    Attributes:
        summary: one row per quadrant (see :func:`loyalty_matrix`).
        labels: one row per customer with their quadrant.
        rules: how attitude and behaviour were split, in sentences.
        threshold: the behaviour median the split used.
        as_of: the date the features describe.
        attitude, behaviour: the measures on the two axes (e.g. ``"nps"``, ``"frequency"``).
    """

    summary: pd.DataFrame
    labels: pd.DataFrame
    rules: tuple[str, ...]
    threshold: float
    as_of: pd.Timestamp
    attitude: str
    behaviour: str

    def __iter__(self) -> Iterator[pd.DataFrame]:
        """Yield ``summary`` then ``labels``, so the result unpacks into the two tables."""
        return iter((self.summary, self.labels))


def quadrant_of(attitude_high: bool, behaviour_high: bool) -> str:
    """Name the Jones & Sasser quadrant of a customer.

    Example:
        >>> quadrant_of(True, False)
        'mercenaries'
    """
    for q in QUADRANTS:
        if (q.attitude == "high") == attitude_high and (q.behaviour == "high") == behaviour_high:
            return q.name
    raise AssertionError("unreachable")  # pragma: no cover


def _check(ws: Catalog, attitude: str, behaviour: str) -> None:
    if attitude not in ATTITUDES:
        raise ArgumentError(f"unknown attitude {attitude!r}; use one of: {', '.join(ATTITUDES)}")
    if behaviour not in BEHAVIOURS:
        raise ArgumentError(f"unknown behaviour {behaviour!r}; use one of: {', '.join(BEHAVIOURS)}")
    for table, what in (("responses", f"attitude={attitude}"),
                        (BEHAVIOURS[behaviour][3], f"behaviour={behaviour}")):  # fmt: skip
        if not ws.has_table(table):
            raise SchemaError(
                f"the loyalty matrix with {what} needs the {table} table; ingest one first"
            )


def _split(features: ir.Table, att_col: str, beh_col: str) -> tuple[float, int]:
    """Median of the behaviour over customers with an attitude answer, and how many lack one."""
    has_attitude = features[att_col].notnull()
    # the filter sits inside the argument: Spark's percentile rejects a filtered fraction
    measure = has_attitude.ifelse(features[beh_col].cast("float64"), None)
    got = run(
        features.aggregate(
            median=measure.median(),
            n=measure.count(),
            excluded=(~has_attitude).ifelse(1, 0).sum(),
        ),
        "the behaviour median",
    )
    if got.empty or int(got["n"].iloc[0]) == 0:
        raise NotEnoughDataError(
            "no customer with an attitude answer has a behaviour value to split at the median"
        )
    return float(got["median"].iloc[0]), int(got["excluded"].iloc[0])


def _labelled(features: ir.Table, attitude: str, behaviour: str) -> tuple[ir.Table, float, int]:
    att_col, att_cut, _ = ATTITUDES[attitude]
    beh_col, higher_better, _, _ = BEHAVIOURS[behaviour]
    median, excluded = _split(features, att_col, beh_col)
    rows = features.filter(features[att_col].notnull())
    measure = rows[beh_col].cast("float64")
    beh_high = (measure > median) if higher_better else (measure < median)
    att_high = rows[att_col] >= att_cut
    beh_high = beh_high.fill_null(False)
    quadrant = ibis.cases(
        *(((att_high == (q.attitude == "high")) & (beh_high == (q.behaviour == "high")), q.name)
          for q in QUADRANTS)
    )  # fmt: skip
    labelled = rows.mutate(
        quadrant=quadrant,
        attitude_high=att_high,
        behaviour_high=beh_high,
        behaviour_value=measure,
    )
    return labelled, median, excluded


def _summary(table: pd.DataFrame) -> pd.DataFrame:
    base = pd.DataFrame([q._asdict() for q in QUADRANTS]).rename(columns={"name": "quadrant"})
    out = base.merge(table, on="quadrant", how="left")
    out["customers"] = out["customers"].fillna(0).astype("int64")
    total = out["customers"].sum()
    out["share"] = out["customers"] / total if total else float("nan")
    out["revenue"] = out["revenue_total"].fillna(0.0)
    revenue = out["revenue"].sum()
    out["revenue_share"] = out["revenue"] / revenue if revenue else float("nan")
    out["small_sample"] = out["small_sample"].astype("boolean").fillna(True).astype(bool)
    return out[list(SUMMARY_COLUMNS)]


_ARTICLE = {"nps": "an NPS", "csat": "a CSAT"}


def _rules(attitude: str, behaviour: str, median: float, excluded: int) -> list[str]:
    _, higher_better, beh_text, _ = BEHAVIOURS[behaviour]
    side = "above" if higher_better else "below"
    return [
        f"attitude ({attitude}): high = {ATTITUDES[attitude][2]}",
        f"behaviour ({behaviour}): {beh_text}; high = strictly {side} the median of the "
        f"customers in the matrix ({median:g}); customers at the median count as low",
        f"left out: {excluded:,} customer(s) without {_ARTICLE[attitude]} answer",
        "quadrants: Jones & Sasser (1995) loyalists (apostles at the extreme), mercenaries, "
        "hostages, defectors (terrorists at the extreme); Dick & Basu (1994) loyalty, latent "
        "loyalty, spurious loyalty, no loyalty",
        "NPS and CSAT of a quadrant are computed over customers from each one's latest "
        "answer; when attitude is the NPS answer, a quadrant's NPS follows from its definition",
    ]


def loyalty_matrix(
    ws: Catalog,
    attitude: str = "nps",
    behaviour: str = "frequency",
    *,
    confidence: float = 0.95,
    min_n: int = 30,
    as_of: str | date | datetime | pd.Timestamp | None = None,
) -> LoyaltyMatrix:
    """Place customers in the 2 × 2 loyalty matrix and summarise each quadrant.

    Attitude is high for a promoter (``attitude="nps"``, latest answer 9-10) or for a
    top-2-box CSAT answer (``"csat"``, latest answer 4-5). Behaviour is split at its median
    over the customers in the matrix: ``"frequency"`` (purchases in 12 months), ``"recency"``
    (days since the last purchase; fewer is high), ``"value"`` (12-month revenue) or
    ``"engagement"`` (journey events in 12 months); high means strictly better than the
    median. Customers without an attitude answer are left out. Labelling and summaries run
    in the engine.

    Args:
        ws: the Workspace (responses, plus transactions or events for the behaviour).
        attitude: ``"nps"`` or ``"csat"``.
        behaviour: ``"frequency"``, ``"recency"``, ``"value"`` or ``"engagement"``.
        confidence: two-sided level of the intervals.
        min_n: quadrants with fewer customers are flagged ``small_sample``.
        as_of: the date the features describe (default: last date in the data).

    Returns:
        LoyaltyMatrix: ``summary``, ``labels``, ``rules`` (sentences), ``threshold`` (the
        median), ``as_of``, ``attitude`` and ``behaviour``. ``summary`` has one row per quadrant
        (loyalists, mercenaries, hostages, defectors): ``quadrant, attitude, behaviour,
        dick_basu, customers, share, revenue`` (12-month total), ``revenue_share,
        revenue_per_customer, revenue_ci_low, revenue_ci_high, retention_rate, nps,
        nps_ci_low, nps_ci_high, csat, small_sample``. ``labels`` has
        ``customer_id, quadrant, attitude_high, behaviour_high, behaviour_value``.

    Raises:
        ArgumentError: unknown attitude or behaviour.
        SchemaError: a table the measures need is missing.
        NotEnoughDataError: nobody has both an attitude answer and a behaviour value.

    Example:
        >>> summary, labels = loyalty_matrix(ws, "nps", "frequency")  # doctest: +SKIP
    """
    _check(ws, attitude, behaviour)
    plan = plan_features(ws, as_of)
    labelled, median, excluded = _labelled(plan.expr, attitude, behaviour)
    table = profile(labelled, "quadrant", confidence=confidence, min_n=min_n)
    summary = _summary(table)
    labels = run(
        labelled.select(
            "customer_id", "quadrant", "attitude_high", "behaviour_high", "behaviour_value"
        ).order_by("customer_id"),
        "the loyalty labels",
    )
    return LoyaltyMatrix(
        summary, labels, rules=tuple(_rules(attitude, behaviour, median, excluded)),
        threshold=median, as_of=plan.as_of, attitude=attitude, behaviour=behaviour,
    )  # fmt: skip
