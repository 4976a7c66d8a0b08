"""Statistics at the edges of the data (issue 15): tiny samples, small counts, partial periods
and lapses that cannot be known yet. Each case failed on the code before the issue."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from cxlens.metrics import churn, churn_from_transactions, csat, nps
from cxlens.metrics.stats import nps_exact_p

T = pd.Timestamp

#: True monthly churn of the simulated steady base.
TRUE_RATE = 0.0296


def test_csat_24_of_26_vs_2_of_6_is_tested_exactly(make_table):
    # expected count of the unsatisfied in the small month: 6 * 6 / 32 = 1.1 < 5
    scores = [5] * 2 + [2] * 4 + [5] * 24 + [1] * 2
    when = ["2024-05-01"] * 3 + ["2024-05-31"] * 3 + ["2024-06-01"] * 13 + ["2024-06-30"] * 13
    out = csat(make_table(csat=scores, responded_at=pd.to_datetime(when)), every="month")
    june = out.iloc[1]
    assert (june["satisfied"], june["n"]) == (24, 26)
    assert june["p_value"] == pytest.approx(stats.fisher_exact([[24, 2], [2, 4]]).pvalue)
    assert june["p_value"] == pytest.approx(0.005553, abs=1e-6)  # the z-test said 0.0008
    assert june["test"] == "Fisher exact"


def test_nps_exact_test_enumerates_every_table_by_hand():
    # 2 promoters + 1 detractor now vs 1 passive + 1 detractor before: totals (2, 1, 2), 3 of
    # 5 answers now. The 10 equally likely-by-weight tables: C(2,a) C(1,b) C(2,c) / C(5,3).
    observed = abs((2 - 1) / 3 - (0 - 1) / 2)
    total, extreme = 0.0, 0.0
    for a in range(3):
        for c in range(3):
            b = 3 - a - c
            if 0 <= b <= 1:
                w = math.comb(2, a) * math.comb(1, b) * math.comb(2, c) / math.comb(5, 3)
                total += w
                diff = abs((a - c) / 3 - ((2 - a) - (2 - c)) / 2)
                extreme += w if diff >= observed - 1e-12 else 0.0
    assert total == pytest.approx(1.0)
    assert nps_exact_p((2, 0, 1), (0, 1, 1)) == pytest.approx(extreme)


def test_nps_change_between_small_months_is_exact(make_table):
    scores = [10, 10, 3, 7, 5]
    when = pd.to_datetime(["2024-03-01", "2024-03-31", "2024-03-31", "2024-02-01", "2024-02-29"])
    out = nps(make_table(nps=scores, responded_at=when), every="month")
    assert out["test"][1] == "exact permutation"
    assert out["p_value"][1] == pytest.approx(nps_exact_p((2, 0, 1), (0, 1, 1)))


def _nine_day_december(make_table):
    """Daily responses from 1 Oct to 9 Dec 2024, every day 3 promoters and 1 detractor."""
    days = pd.date_range("2024-10-01", "2024-12-09", freq="D")
    when = np.repeat(days.to_numpy(), 4)
    scores = np.tile([10, 9, 9, 2], len(days))
    return make_table(nps=scores, csat=np.tile([5, 4, 4, 1], len(days)), responded_at=when)


def test_nine_day_december_is_partial_and_not_compared(make_table):
    out = nps(_nine_day_december(make_table), every="month")
    assert out["partial"].tolist() == [False, False, True]
    dec = out.iloc[2]
    assert dec["n"] == 36 and math.isnan(dec["change"]) and math.isnan(dec["p_value"])
    assert not dec["significant"] and pd.isna(dec["test"])
    assert out["change"][1] == pytest.approx(0.0)  # November vs October is still tested


def test_partial_first_period(make_table):
    when = pd.to_datetime(["2024-01-20", "2024-02-01", "2024-02-29"])
    out = csat(make_table(csat=[5, 1, 5], responded_at=when), every="month")
    assert out["partial"].tolist() == [True, False]
    assert math.isnan(out["p_value"][1])


def test_nine_day_december_of_contractual_churn_is_partial(make_table):
    # 400 customers from 2024-01-01; 1% leave each month, the last on 9 December (the export)
    rng = np.random.default_rng(7)
    n = 400
    first = pd.to_datetime("2024-01-01") + pd.to_timedelta(rng.integers(0, 30, n), unit="D")
    left = pd.to_datetime("2024-02-01") + pd.to_timedelta(rng.integers(0, 300, n), unit="D")
    left = pd.Series(left).where(left <= T("2024-12-09"))
    left.iloc[0] = T("2024-12-09")
    out = churn(make_table(first_seen=first, churned_at=left), every="month")
    assert out["period"].iloc[-1] == T("2024-12-01")
    assert out["partial"].iloc[-1] and not out["partial"].iloc[-2]
    assert math.isnan(out["p_value"].iloc[-1]) and not out["significant"].iloc[-1]
    assert np.isfinite(out["p_value"].iloc[-2])


# --------------------------------------------------------------------------- steady base


def _steady_base(seed: int = 15) -> tuple[pd.DataFrame, pd.Timestamp]:
    """Simulate a steady customer base: 1,500 customers at the start and 3 new a day.

    Alive customers buy every 10 days on average (exponential gaps); each leaves for good
    with a monthly hazard of 2.96%. Purchases run 180 days past the data end, so the full
    future of every lapse inside the data is known to the oracle.
    """
    rng = np.random.default_rng(seed)
    start, end = T("2023-01-01"), T("2024-12-31")
    horizon = (end - start).days + 180
    daily = -math.log(1 - TRUE_RATE) / 30.4375
    joins = np.concatenate([np.zeros(1500), np.sort(rng.uniform(0, horizon, 3 * horizon))])
    rows = []
    for i, j in enumerate(joins):
        death = j + rng.exponential(1 / daily)
        t = j + np.concatenate([[0.0], np.cumsum(rng.exponential(10.0, 400))])
        t = t[(t < death) & (t < horizon)]
        rows.append(pd.DataFrame({"customer_id": f"c{i}", "day": t}))
    full = pd.concat(rows, ignore_index=True)
    full["occurred_at"] = start + pd.to_timedelta(np.floor(full["day"]), unit="D")
    return full, end


def _oracle(full: pd.DataFrame, months: pd.DatetimeIndex, n_days: int) -> pd.DataFrame:
    """Count at risk and lapses per month from the complete history, customer by customer.

    At risk at ``s``: the last purchase before ``s`` is followed by another within
    ``n_days``. Lost in ``[s, e)``: at risk, and a purchase in ``[s, e)`` is followed by no
    purchase for more than ``n_days``.
    """
    gap = pd.Timedelta(days=n_days)
    at_risk = np.zeros(len(months), dtype=int)
    lost = np.zeros(len(months), dtype=int)
    for _, g in full.groupby("customer_id"):
        ts = np.sort(g["occurred_at"].to_numpy())
        nxt = np.append(ts[1:], np.datetime64("NaT"))
        lapse = np.isnat(nxt) | (nxt - ts > gap)
        for k, s in enumerate(months):
            e = s + pd.offsets.MonthBegin(1)
            before = np.flatnonzero(ts < s.to_datetime64())
            if not len(before) or lapse[before[-1]]:
                continue
            at_risk[k] += 1
            inside = (ts >= s.to_datetime64()) & (ts < e.to_datetime64())
            lost[k] += bool(lapse[inside].any())
    return pd.DataFrame({"period": months, "at_start": at_risk, "lost": lost})


def test_steady_base_churn_is_known_or_marked_not_yet_known(make_table):
    full, end = _steady_base()
    seen = full[full["occurred_at"] <= end]
    out = churn_from_transactions(
        make_table(customer_id=seen["customer_id"], occurred_at=seen["occurred_at"]),
        inactivity_days=90,
        every="month",
    )
    known = out[out["status"] == "known"]
    # a month is known 90 days after it ends: up to September 2024 with data to 31 Dec
    assert known["period"].iloc[-1] == T("2024-09-01")
    assert (out.loc[out["period"] > T("2024-09-01"), "status"] == "not yet known").all()
    assert out.loc[out["status"] != "known", "value"].isna().all()
    assert not out.loc[out["status"] != "known", "significant"].any()
    # every known month equals the count made with the complete future
    truth = _oracle(full, pd.DatetimeIndex(known["period"]), 90)
    assert known["at_start"].tolist() == truth["at_start"].tolist()
    assert known["lost"].tolist() == truth["lost"].tolist()
    # and the last known months sit within their interval of the true rate
    last = known.iloc[-3:]
    assert ((last["ci_low"] <= 100 * TRUE_RATE) & (last["ci_high"] >= 100 * TRUE_RATE)).all()
