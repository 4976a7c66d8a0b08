"""The dashboard's churn tile shows the latest full month, as the report does."""

from __future__ import annotations

import pandas as pd
import pytest

from cxlens.api.filters import validate
from cxlens.api.routes_metrics import tile


def _customers(last_churn: str) -> pd.DataFrame:
    # A stays; B leaves in Feb; C at the start of March; D joins and leaves in Feb; E and F
    # leave in April, E on ``last_churn``: the data's last date
    return pd.DataFrame(
        {
            "customer_id": list("ABCDEF"),
            "first_seen": pd.to_datetime(
                ["2024-01-10", "2024-01-15", "2024-01-20", "2024-02-05", "2024-02-10", "2024-03-01"]
            ),
            "churned_at": pd.to_datetime(
                [None, "2024-02-20", "2024-03-01", "2024-02-25", last_churn, "2024-04-10"]
            ),
        }
    )


def _load(ws, tmp_path, customers: pd.DataFrame) -> None:
    path = tmp_path / "customers.csv"
    customers.to_csv(path, index=False)
    ws.ingest(path, table="customers")


def test_a_partial_last_month_is_not_the_churn_tile(ws, tmp_path):
    # data end 20 April: April is partial; March is the latest full month. At the start of
    # March A, C and E are customers and C leaves: 1 of 3 (April would read 2 of 3).
    _load(ws, tmp_path, _customers("2024-04-20"))
    got = tile(ws, validate(ws, "churn"))
    assert got["available"] and got["period"].startswith("2024-03-01")
    assert got["value"] == pytest.approx(100 / 3) and got["n"] == 3


def test_a_full_last_month_is_the_churn_tile(ws, tmp_path):
    _load(ws, tmp_path, _customers("2024-04-30"))  # April covered to its last day
    got = tile(ws, validate(ws, "churn"))
    assert got["period"].startswith("2024-04-01") and got["value"] == pytest.approx(200 / 3)


def test_only_a_partial_month_leaves_the_tile_unavailable_with_the_reason(ws, tmp_path):
    _load(
        ws,
        tmp_path,
        pd.DataFrame(
            {
                "customer_id": ["A", "B"],
                "first_seen": pd.to_datetime(["2024-01-03", "2024-01-05"]),
                "churned_at": pd.to_datetime([None, "2024-01-20"]),
            }
        ),
    )
    got = tile(ws, validate(ws, "churn"))
    assert not got["available"] and got["reason"] == "no full month in this slice yet"
