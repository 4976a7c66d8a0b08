"""The target lists an analyst hands to a sales or service team, one row per customer.

* :func:`churn_risk`: the retention list, customers ranked by value at risk (CLV × churn
  probability) with their churn probability, risk band and top three reasons
  (``ws.models.retention_targets()``).
* :func:`next_best_offer`: each customer's best offer by expected value, its probability,
  why, and the runners-up (``ws.models.offers()``).
* :func:`detractors`: customers whose latest NPS answer in the last ``days`` days is a
  detractor's (0-6), with that answer's touchpoint and comment, PII-redacted; lowest score
  first. The latest answer per customer is found in the engine (a row-number window), so
  only one row per such customer leaves it.

None of them holds contact details; :mod:`cxlens.actions.exports` adds those from
``identities``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import ibis
import pandas as pd

from cxlens.analysis.features import resolve_as_of
from cxlens.errors import ArgumentError, SchemaError
from cxlens.store.query import run
from cxlens.text.redact import redact

#: The lists :func:`target_list` knows.
TARGET_LISTS: tuple[str, ...] = ("churn-risk", "next-best-offer", "detractors")

#: Columns of :func:`churn_risk`.
CHURN_COLUMNS: tuple[str, ...] = (
    "rank", "customer_id", "churn_probability", "risk_band", "clv", "value_at_risk",
    "reason_1", "reason_2", "reason_3",
)  # fmt: skip
#: Columns of :func:`next_best_offer`.
OFFER_COLUMNS: tuple[str, ...] = (
    "customer_id", "offer", "offer_probability", "offer_expected_value", "offer_reason",
    "other_offers",
)  # fmt: skip
#: Columns of :func:`detractors`.
DETRACTOR_COLUMNS: tuple[str, ...] = (
    "customer_id", "response_id", "responded_at", "nps", "touchpoint", "comment",
)  # fmt: skip
DETRACTOR_MAX = 6


def churn_risk(
    ws: Any,
    *,
    targets: pd.DataFrame | None = None,
    top: int | None = None,
    bands: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Return the churn-risk list: customers ranked by value at risk.

    Args:
        ws: the Workspace (used when ``targets`` is None).
        targets: a ``ws.models.retention_targets()`` table already computed.
        top: keep the first ``top`` customers.
        bands: keep these risk bands only (e.g. ``["high"]``).

    Returns:
        DataFrame with rank, customer_id, churn_probability, risk_band, clv, value_at_risk,
        reason_1..3; largest value at risk first.

    Example:
        >>> churn_risk(ws, top=100, bands=["high"])  # doctest: +SKIP
    """
    frame = ws.models.retention_targets() if targets is None else targets
    _require(frame, "retention targets", ("customer_id", "churn_probability", "value_at_risk"))
    out = frame.sort_values("value_at_risk", ascending=False, kind="mergesort")
    if bands is not None:
        out = out[out["risk_band"].isin(list(bands))]
    if top is not None:
        out = out.head(_positive(top, "top"))
    out = out.reset_index(drop=True)
    out["rank"] = range(1, len(out) + 1)
    for col in CHURN_COLUMNS:
        if col not in out.columns:
            out[col] = None
    return out[list(CHURN_COLUMNS)]


def next_best_offer(
    ws: Any, *, offers: pd.DataFrame | None = None, item: str = "product", k: int = 3
) -> pd.DataFrame:
    """Return each customer's next-best offer, one row per customer.

    Args:
        ws: the Workspace (used when ``offers`` is None: ``ws.models.offers(k=k)``).
        offers: an ``OffersResult.offers`` table already computed.
        item: the column naming what is offered.
        k: offers per customer when they are computed here.

    Returns:
        DataFrame with customer_id, offer (rank 1), offer_probability,
        offer_expected_value, offer_reason (the "because" item, or None), other_offers
        (ranks 2..k joined by "; "); highest expected value first.

    Example:
        >>> next_best_offer(ws).head(1)  # doctest: +SKIP
    """
    frame = ws.models.offers(k=k, item=item).offers if offers is None else offers
    _require(frame, "offers", ("customer_id", "rank", item, "probability", "expected_value"))
    frame = frame.sort_values(["customer_id", "rank"], kind="mergesort")
    first = frame[frame["rank"] == frame.groupby("customer_id")["rank"].transform("min")]
    others = (
        frame.drop(first.index).groupby("customer_id")[item].agg(lambda s: "; ".join(map(str, s)))
    )
    reason = first["because"] if "because" in first.columns else pd.Series(None, first.index)
    out = pd.DataFrame(
        {
            "customer_id": first["customer_id"].to_numpy(),
            "offer": first[item].astype(str).to_numpy(),
            "offer_probability": first["probability"].to_numpy(dtype=float),
            "offer_expected_value": first["expected_value"].to_numpy(dtype=float),
            "offer_reason": reason.to_numpy(),
        }
    )
    out["other_offers"] = out["customer_id"].map(others)
    for col in ("offer_reason", "other_offers"):  # object columns keep None as None
        out[col] = pd.Series([None if pd.isna(v) else str(v) for v in out[col]], dtype=object)
    return out.sort_values(["offer_expected_value", "customer_id"], ascending=[False, True],
                           kind="mergesort", ignore_index=True)  # fmt: skip


def detractors(ws: Any, *, days: int = 30, as_of: Any = None) -> pd.DataFrame:
    """Return the detractors to call back: latest NPS 0-6 in the last ``days`` days.

    A customer is on the list when their latest NPS answer in the window is 0-6 (one who
    answered 3 and later 9 is not). The window is the ``days`` calendar days ending on
    ``as_of`` (inclusive); ``as_of`` defaults to the last date in the data
    (``cxlens.analysis.features.resolve_as_of(ws, None)`` gives it).

    Args:
        ws: the Workspace (its ``responses`` table).
        days: window length in days (1 or more).
        as_of: last day of the window (a date or timestamp; its day counts whole).

    Returns:
        DataFrame with customer_id, response_id, responded_at, nps, touchpoint, comment
        (e-mails, phones, card numbers and names replaced by [EMAIL], [PHONE], [CARD],
        [NAME]); lowest score first, then most recent.

    Raises:
        ArgumentError: ``days`` is not a positive whole number.
        SchemaError: ``responses`` lacks customer_id, responded_at or nps.

    Example:
        >>> detractors(ws, days=30)[["customer_id", "nps", "comment"]]  # doctest: +SKIP
    """
    days = _positive(days, "days")
    table = ws.table("responses")
    for col in ("customer_id", "responded_at", "nps"):
        if col not in table.columns:
            raise SchemaError(
                f"responses has no column '{col}', which the detractor list needs; available "
                f"columns: {', '.join(table.columns)}"
            )
    end_day = resolve_as_of(ws, as_of).normalize() + pd.Timedelta(days=1)
    start = end_day - pd.Timedelta(days=days)
    t = table.filter(
        table.customer_id.notnull(),
        table.nps.notnull(),
        table.responded_at >= start.to_pydatetime(),
        table.responded_at < end_day.to_pydatetime(),
    )
    order = [ibis.desc(t.responded_at)]
    if "response_id" in t.columns:
        order.append(ibis.desc(t.response_id))
    latest = t.mutate(_k=ibis.row_number().over(ibis.window(group_by="customer_id",
                                                           order_by=order)))  # fmt: skip
    hits = latest.filter(latest._k == 0, latest.nps <= DETRACTOR_MAX)
    cols = {c: hits[c] for c in DETRACTOR_COLUMNS if c in hits.columns}
    for c in DETRACTOR_COLUMNS:
        cols.setdefault(c, ibis.null("string"))
    frame = run(hits.select(**cols), "the detractor list")
    frame["nps"] = frame["nps"].astype("int64")
    redacted = redact(frame["comment"])
    kept = [None if pd.isna(c) or not str(c).strip() else r
            for c, r in zip(frame["comment"], redacted, strict=True)]  # fmt: skip
    frame["comment"] = pd.Series(kept, index=frame.index, dtype=object)
    frame = frame.sort_values(["nps", "responded_at", "customer_id"],
                              ascending=[True, False, True], kind="mergesort")  # fmt: skip
    return frame.reset_index(drop=True)[list(DETRACTOR_COLUMNS)]


def target_list(ws: Any, name: str, **options: Any) -> pd.DataFrame:
    """Return the target list called ``name`` (churn-risk, next-best-offer, detractors).

    Example:
        >>> target_list(ws, "detractors", days=14)  # doctest: +SKIP
    """
    makers = {"churn-risk": churn_risk, "next-best-offer": next_best_offer,
              "detractors": detractors}  # fmt: skip
    key = str(name).strip().lower().replace("_", "-")
    if key not in makers:
        raise ArgumentError(
            f"unknown target list {name!r}; choose one of {', '.join(TARGET_LISTS)}"
        )
    return makers[key](ws, **options)


def _require(frame: pd.DataFrame, what: str, columns: Sequence[str]) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise SchemaError(
            f"the {what} table lacks column(s) {', '.join(missing)}; it needs {', '.join(columns)}"
        )


def _positive(value: Any, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ArgumentError(f"{name} must be a whole number of 1 or more; got {value!r}")
    return value
