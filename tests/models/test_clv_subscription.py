"""Subscription revenue in LTV:CAC: the constant-retention value (Gupta and Lehmann 2003)."""

from __future__ import annotations

import pandas as pd
import pytest

from cxlens.errors import NotEnoughDataError
from cxlens.models.clv_subscription import last_full_month, subscription_value

# A pays 10 every month, January to April; B pays 20 in January and February (its March
# payment is refunded the same month: net nothing); C pays 30 in March and April; D pays 15
# in January, February and April (not March). A shop purchase is not a subscription.
PAYMENTS = [
    ("A", "2025-01-05", 10.0), ("A", "2025-02-05", 10.0), ("A", "2025-03-05", 10.0),
    ("A", "2025-04-05", 10.0), ("B", "2025-01-09", 20.0), ("B", "2025-02-09", 20.0),
    ("B", "2025-03-09", 20.0), ("B", "2025-03-12", -20.0), ("C", "2025-03-02", 30.0),
    ("C", "2025-04-02", 30.0), ("D", "2025-01-20", 15.0), ("D", "2025-02-20", 15.0),
    ("D", "2025-04-20", 15.0),
]  # fmt: skip


@pytest.fixture
def payments(ws, tmp_path):
    rows = [(f"T{i}", c, at, amount, "subscription") for i, (c, at, amount) in
            enumerate(PAYMENTS)]  # fmt: skip
    rows.append(("T99", "A", "2025-04-30", 80.0, "shop"))  # the data's last day
    frame = pd.DataFrame(
        rows, columns=["transaction_id", "customer_id", "occurred_at", "amount", "category"]
    )
    frame.to_csv(tmp_path / "transactions.csv", index=False)
    ws.ingest(tmp_path / "transactions.csv", table="transactions")
    return ws


def test_subscription_value_by_hand(payments):
    got = subscription_value(
        payments, ["subscription"], as_of=pd.Timestamp("2025-04-30"), horizon_months=12
    )
    # the subscriber-months with a next month to look at (January to March): A 3 of 3 paid
    # again, B 1 of 2 (its March nets to nothing), C 1 of 1, D 1 of 2: 6 of 8
    assert got.retention == pytest.approx(6 / 8) and got.pairs == 8
    assert got.last_month == pd.Timestamp("2025-04-01")
    # sum over k = 1..12 of q^k, q = r / (1 + d), d the monthly rate of 10% a year: the
    # geometric series in closed form
    q = 0.75 / 1.1 ** (1 / 12)
    factor = q * (1 - q**12) / (1 - q)
    value = dict(
        zip(got.customers["customer_id"], got.customers["subscription_value"], strict=True)
    )
    assert value == pytest.approx({"A": 10 * factor, "C": 30 * factor, "D": 15 * factor})
    note = got.note("USD")
    assert "the expected subscription revenue over the same 12 months" in note
    assert f"${55 * factor:,.0f} from 3 customers paying in April 2025" in note
    assert "(75.0%, from 8 subscriber-months)" in note and "Gupta and Lehmann 2003" in note


def test_a_partial_last_month_is_not_the_one_valued(payments):
    # as of 29 April, April is under way: March is the latest full month (A, B nets 0, C)
    got = subscription_value(payments, ["subscription"], as_of=pd.Timestamp("2025-04-29"))
    assert got.last_month == pd.Timestamp("2025-03-01")
    assert sorted(got.customers["customer_id"]) == ["A", "C"]
    # January and February only: A 2 of 2, B 1 of 2, D 1 of 2 (no March payment)
    assert got.retention == pytest.approx(4 / 6)
    assert last_full_month(pd.Timestamp("2025-02-28 23:00")) == pd.Timestamp("2025-02-01")


def test_payments_in_one_month_only_cannot_give_a_retention(payments):
    with pytest.raises(NotEnoughDataError, match="no two consecutive full months up to January"):
        subscription_value(payments, ["subscription"], as_of=pd.Timestamp("2025-01-31"))
