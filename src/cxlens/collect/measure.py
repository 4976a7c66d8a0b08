"""Measuring the collection: time to answer, surveys per customer, and a non-response check.

* **Time to answer**: from the triggering event (``event_at``) to the answer
  (``responded_at``), per survey: median and 90th percentile in hours (linear interpolation
  between order statistics, numpy's default, Hyndman and Fan's type 7).
* **Surveys per customer**: how many invitations each invited customer received, as a
  distribution (customers with 1, 2, ... invitations) per survey and over all surveys.
* **Non-response check**: do the customers who answered differ from those who did not? Per
  customer (answered at least one closed invitation, or none), so a customer asked twice
  counts once. An invitation is *closed* when answered or expired: those still open are
  left out, as their customers may yet answer. Compared, as far as the data holds them:
  ``segment``, ``region`` and ``plan`` of ``customers`` and whether the customer churned
  (``churned_at`` set), each by Pearson's chi-square test of independence
  (``scipy.stats.chi2_contingency``; Yates' continuity correction on 2x2 tables); and the
  customer's value (sum of ``transactions.amount``, customers without transactions count
  0) by the Mann-Whitney U test (``scipy.stats.mannwhitneyu``, two-sided). A small
  p-value says responders differ, so response-based metrics may be biased on that
  attribute (Groves 2006).
"""

from __future__ import annotations

from datetime import datetime

import ibis
import numpy as np
import pandas as pd
from scipy import stats as sps

from cxlens.collect.rules import INVITED
from cxlens.collect.tables import INVITATIONS_TABLE, RESPONSE_PREFIX
from cxlens.store.catalog import Catalog
from cxlens.store.query import run

#: Customer attributes the non-response check compares, when ``customers`` has them.
CATEGORIES = ("segment", "region", "plan")
TIMING_COLUMNS = ["survey", "answered", "median_hours", "p90_hours"]
PER_CUSTOMER_COLUMNS = ["survey", "invitations", "customers", "share"]
NONRESPONSE_COLUMNS = ["attribute", "level", "customers", "responders", "response_rate",
                       "median_value", "test", "statistic", "p_value"]  # fmt: skip


def _invited(catalog: Catalog) -> ibis.Table | None:
    """Return the invitations made, each with ``responded_at`` (null when not answered)."""
    if not catalog.has_table(INVITATIONS_TABLE):
        return None
    inv = catalog.table(INVITATIONS_TABLE)
    inv = inv.filter(inv.decision == INVITED)
    inv = inv.mutate(rid=ibis.literal(RESPONSE_PREFIX).concat(inv.invitation_id))
    if not catalog.has_table("responses"):
        return inv.mutate(responded_at=ibis.null("timestamp"))
    resp = catalog.table("responses")
    resp = resp.select(rid=resp.response_id, responded_at=resp.responded_at)
    return inv.left_join(resp, "rid").drop("rid_right")


def time_to_answer(catalog: Catalog) -> pd.DataFrame:
    """Return per survey the answers and the median and 90th percentile hours to answer.

    Example:
        >>> time_to_answer(ws)  # doctest: +SKIP
                 survey  answered  median_hours  p90_hours
        0  delivery-nps        97          5.25       30.1
    """
    inv = _invited(catalog)
    if inv is None:
        return pd.DataFrame(columns=TIMING_COLUMNS)
    done = inv.filter(inv.responded_at.notnull())
    frame = run(done.select("survey", "event_at", "responded_at"), "the answered invitations")
    hours = pd.to_datetime(frame.responded_at) - pd.to_datetime(frame.event_at)
    frame = frame.assign(hours=hours.dt.total_seconds() / 3600)
    rows = [
        {"survey": name, "answered": len(g), "median_hours": float(np.median(g.hours)),
         "p90_hours": float(np.percentile(g.hours, 90))}
        for name, g in frame.groupby("survey", sort=True)
    ]  # fmt: skip
    return pd.DataFrame(rows, columns=TIMING_COLUMNS)


def per_customer(catalog: Catalog) -> pd.DataFrame:
    """Return how many customers got 1, 2, ... invitations, per survey and over all ("*").

    Example:
        >>> per_customer(ws)  # doctest: +SKIP
          survey  invitations  customers  share
        0      *            1        380  0.92
    """
    inv = _invited(catalog)
    if inv is None:
        return pd.DataFrame(columns=PER_CUSTOMER_COLUMNS)
    per = run(inv.group_by(["survey", "customer_id"]).aggregate(n=inv.count()),
              "invitations per customer")  # fmt: skip
    overall = per.groupby("customer_id", as_index=False).n.sum().assign(survey="*")
    both = pd.concat([overall, per], ignore_index=True)
    out = both.groupby(["survey", "n"]).size().reset_index(name="customers")
    out["share"] = out.customers / out.groupby("survey").customers.transform("sum")
    out = out.rename(columns={"n": "invitations"})
    return out.sort_values(["survey", "invitations"]).reset_index(drop=True)


def nonresponse(catalog: Catalog, now: datetime) -> pd.DataFrame:
    """Return the non-response check: per attribute and level, responders and the test.

    ``now`` (naive UTC) decides which invitations are closed (answered or expired).

    Returns:
        DataFrame: ``attribute, level, customers, responders, response_rate,
        median_value, test, statistic, p_value`` (one test per attribute, on each of its
        rows); empty when no invitation is closed.

    Example:
        >>> nonresponse(ws, now)[["attribute", "level", "response_rate", "p_value"]]
        ...  # doctest: +SKIP
          attribute     level  response_rate  p_value
        0   segment  business           0.31    0.004
    """
    people = _closed_customers(catalog, now)
    if people.empty:
        return pd.DataFrame(columns=NONRESPONSE_COLUMNS)
    parts = [_categorical(people, c, c) for c in CATEGORIES if c in people.columns]
    if "churned_at" in people.columns:
        churn = people.churned_at.notna().map({True: "churned", False: "active"})
        parts.append(_categorical(people.assign(churn=churn), "churn", "churn"))
    if "value" in people.columns:
        parts.append(_value(people))
    parts = [p for p in parts if not p.empty]
    if not parts:
        return pd.DataFrame(columns=NONRESPONSE_COLUMNS)
    return pd.concat(parts, ignore_index=True)[NONRESPONSE_COLUMNS]


def _closed_customers(catalog: Catalog, now: datetime) -> pd.DataFrame:
    """One row per customer with a closed invitation: responded, attributes, value."""
    inv = _invited(catalog)
    if inv is None:
        return pd.DataFrame()
    closed = inv.filter(inv.responded_at.notnull() | (inv.expires_at <= now))
    hit = ibis.ifelse(closed.responded_at.notnull(), 1, 0)
    people = closed.group_by("customer_id").aggregate(responded=hit.max())
    if catalog.has_table("customers"):
        cust = catalog.table("customers")
        keep = [c for c in (*CATEGORIES, "churned_at") if c in cust.columns]
        people = people.left_join(cust.select("customer_id", *keep), "customer_id")
        people = people.drop("customer_id_right")
    if catalog.has_table("transactions"):
        tx = catalog.table("transactions")
        value = tx.group_by("customer_id").aggregate(value=tx.amount.sum())
        people = people.left_join(value, "customer_id").drop("customer_id_right")
        people = people.mutate(value=people.value.fill_null(0))
    return run(people, "the customers asked, for the non-response check")


def _categorical(people: pd.DataFrame, column: str, attribute: str) -> pd.DataFrame:
    known = people[people[column].notna()]
    table = pd.crosstab(known[column], known.responded)
    if table.shape[0] < 2 or table.shape[1] < 2:
        return pd.DataFrame()  # one level, or everyone (or no one) answered: nothing to test
    statistic, p_value, _, _ = sps.chi2_contingency(table.to_numpy())
    out = pd.DataFrame({
        "attribute": attribute, "level": table.index.astype(str),
        "customers": table.sum(axis=1).to_numpy(), "responders": table[1].to_numpy(),
    })  # fmt: skip
    out["response_rate"] = out.responders / out.customers
    return out.assign(median_value=np.nan, test="chi-square", statistic=float(statistic),
                      p_value=float(p_value))  # fmt: skip


def _value(people: pd.DataFrame) -> pd.DataFrame:
    yes = people.loc[people.responded == 1, "value"].astype(float)
    no = people.loc[people.responded == 0, "value"].astype(float)
    if yes.empty or no.empty:
        return pd.DataFrame()
    test = sps.mannwhitneyu(yes, no, alternative="two-sided")
    return pd.DataFrame({
        "attribute": "value", "level": ["responders", "non-responders"],
        "customers": [len(yes), len(no)], "responders": [len(yes), 0],
        "response_rate": [1.0, 0.0], "median_value": [yes.median(), no.median()],
        "test": "Mann-Whitney U", "statistic": float(test.statistic),
        "p_value": float(test.pvalue),
    })  # fmt: skip
