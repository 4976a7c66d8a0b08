"""Pain points: lifts by hand on a small table, then the planted problem on the sample."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cxlens.errors import ArgumentError, SchemaError
from cxlens.journey.pain_points import PAIN_COLUMNS, pain_points

END = pd.Timestamp("2024-12-31")


def _answers() -> tuple[pd.DataFrame, pd.DataFrame]:
    """Billing got worse for segment x in the last months; support is always bad for everyone."""
    rows, k = [], 0
    for segment, tp, when, n, bad in [
        ("x", "billing", "2024-10-15", 40, 20), ("x", "billing", "2024-02-15", 40, 4),
        ("y", "billing", "2024-10-15", 40, 4), ("y", "billing", "2024-02-15", 40, 4),
        ("x", "support", "2024-10-15", 40, 16), ("x", "support", "2024-02-15", 40, 16),
        ("y", "support", "2024-10-15", 40, 16), ("y", "support", "2024-02-15", 40, 16),
    ]:  # fmt: skip
        for i in range(n):
            k += 1
            rows.append((f"r{k}", f"{segment}{k}", pd.Timestamp(when), tp, 3 if i < bad else 9))
    rows.append(("last", "y0", END, "app", 9))
    answers = pd.DataFrame(rows, columns=["response_id", "customer_id", "responded_at",
                                          "touchpoint", "nps"])  # fmt: skip
    customers = pd.DataFrame({"customer_id": answers["customer_id"],
                              "segment": answers["customer_id"].str[0]})  # fmt: skip
    return answers, customers


def test_lift_against_the_past_by_hand(table):
    answers, customers = _answers()
    got = pain_points(table(answers, "responses"), table(customers, "customers"),
                      recent_months=6, min_n=30)  # fmt: skip
    assert list(got.columns) == list(PAIN_COLUMNS)
    top = got.iloc[0]
    assert (top["touchpoint"], top["dimension"], top["group"]) == ("billing", "segment", "x")
    assert top["rank"] == 1 and top["lift"] == pytest.approx(5.0)
    assert top["rate"] == 50.0 and top["baseline_rate"] == 10.0
    se = np.sqrt(1 / 20 - 1 / 40 + 1 / 4 - 1 / 40)
    assert top["lift_ci_low"] == pytest.approx(5 * np.exp(-1.959964 * se), rel=1e-6)
    assert top["affected"] == 20 and top["excess_customers"] == pytest.approx(16.0)
    overall = got[(got["dimension"] == "all") & (got["touchpoint"] == "billing")].iloc[0]
    assert overall["lift"] == pytest.approx(3.0) and overall["rank"] == 2  # 24/80 vs 8/80
    support = got[got["touchpoint"] == "support"]
    assert support["lift"].eq(1.0).all() and support["rank"].isna().all()
    # the window: six months back from the last answer, on every row
    assert (got["window_end"] == END).all() and got.attrs == {}
    assert (got["window_start"] == pd.Timestamp("2024-06-30")).all()


def test_lift_against_the_rest_finds_the_always_bad_touchpoint(table):
    answers, customers = _answers()
    got = pain_points(table(answers, "responses"), table(customers, "customers"),
                      compare="rest", recent_months=None, by=None)  # fmt: skip
    support = got[got["touchpoint"] == "support"].iloc[0]
    assert support["rank"] == 1  # 64/160 vs 32/161 (billing and the app answer)
    assert support["lift"] == pytest.approx((64 / 160) / (32 / 161))
    assert got["window_start"].isna().all()  # every answer is the window


def test_bad_arguments(table):
    answers, customers = _answers()
    r, c = table(answers, "responses"), table(customers, "customers")
    with pytest.raises(ArgumentError, match="compare="):
        pain_points(r, c, compare="future")
    with pytest.raises(ArgumentError, match="unknown outcomes"):
        pain_points(r, c, outcomes=["joy"])
    with pytest.raises(ArgumentError, match="needs recent_months"):
        pain_points(r, c, recent_months=None)
    with pytest.raises(SchemaError, match="not columns of customers"):
        pain_points(r, c, by=["plan"])
