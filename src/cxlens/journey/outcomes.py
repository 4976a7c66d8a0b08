"""Per-customer outcomes the journey analyses attach to journeys: latest NPS and churn."""

from __future__ import annotations

import ibis
import ibis.expr.types as ir

from cxlens.store.query import is_present, require_columns


def customer_outcomes(responses: ir.Table | None, customers: ir.Table | None) -> ir.Table | None:
    """Return one row per customer with ``last_nps`` and ``churned`` (lazy), or None.

    ``last_nps`` is the NPS of the customer's latest answer that has one (null without
    responses); ``churned`` is true when ``customers.churned_at`` is set (null without a
    customers table). None when both tables are None.

    Example:
        >>> customer_outcomes(None, None) is None
        True
    """
    nps_part = churn_part = None
    if responses is not None and "nps" in responses.columns:
        require_columns(responses, "responses", "customer_id", "responded_at")
        r = responses.filter(responses["customer_id"].notnull(), is_present(responses["nps"]))
        nps_part = r.group_by(customer_id=r["customer_id"].cast("string")).aggregate(
            last_nps=r["nps"].cast("float64").argmax(r["responded_at"])
        )
    if customers is not None and "churned_at" in customers.columns:
        c = customers.filter(customers["customer_id"].notnull())
        churn_part = c.group_by(customer_id=c["customer_id"].cast("string")).aggregate(
            churned=c["churned_at"].notnull().max()
        )
    if nps_part is None and churn_part is None:
        return None
    if churn_part is None:
        return nps_part.mutate(churned=ibis.null().cast("boolean"))
    if nps_part is None:
        return churn_part.mutate(last_nps=ibis.null().cast("float64"))
    both = nps_part.outer_join(churn_part, nps_part["customer_id"] == churn_part["customer_id"])
    return both.select(
        customer_id=ibis.coalesce(both["customer_id"], both["customer_id_right"]),
        last_nps=both["last_nps"],
        churned=both["churned"],
    )
