"""Shopify revenue a finance team would sign: discounts, shipping, taxes, refunds, buyers.

The sample (tests/fixtures/presets/shopify_revenue.csv) is laid out as Shopify's orders export
(one row per line item, order fields on the first row); every expected figure is worked out
by hand in the comments.
"""

from __future__ import annotations

import hashlib

import numpy as np
import pandas as pd
import pytest

import cxlens
from cxlens.identity.namespace import Identity
from cxlens.ingest.presets.shopify import Shopify, allocate, buyer
from tests.ingest.presets.conftest import FIXTURES, loaded

ANN = "shopify:" + hashlib.sha256(b"ann@example.com").hexdigest()[:16]
COLUMNS = ["transaction_id", "customer_id", "amount", "discount", "shipping", "tax",
           "buyer_key"]  # fmt: skip


@pytest.fixture
def lines(ws, sample):
    result = ws.ingest(sample("shopify_revenue.csv"), preset="shopify")
    # 7 line items and 2 refund rows (#2002, #2003)
    assert (result.rows_loaded, result.rows_quarantined) == (9, 0)
    return loaded(ws, "transactions", COLUMNS, "transaction_id")


def test_order_discounts_are_shared_over_the_lines(lines):
    rows = {r[0]: r for r in lines}
    # #2001: Mug 10.00 and 2 × T-shirt 20.00 = 50.00; SPRING10 takes 10.00 off the order:
    # 10/50 of it (2.00) to the mug, 40/50 (8.00) to the T-shirts; the lines add up to the
    # Subtotal 40.00; shipping 5.00 and tax 2.00 sit on the first line only
    assert rows["#2001/1"][1:] == (ANN, 8.0, 2.0, 5.0, 2.0, "email")
    assert rows["#2001/2"][1:] == (ANN, 32.0, 8.0, None, None, "email")
    # #2004: its own line discount 5.00 is the whole order discount: 2 × 12.50 - 5.00
    assert rows["#2004/1"][2:4] == (20.0, 5.0)


def test_a_fully_discounted_order_is_not_revenue(lines):
    rows = {r[0]: r for r in lines}
    # #2002: a 35.00 poster, discount 35.00 (before: counted as 35.00 of revenue)
    assert rows["#2002/1"][2:6] == (0.0, 35.0, 4.0, 0.0)


def test_refunds_of_shipping_never_make_revenue_negative(ws, lines):
    rows = {r[0]: r for r in lines}
    # #2002 refunded 4.00 = its shipping: no goods refunded (before: -4.00 of revenue)
    assert rows["#2002/refund"][2:6] == (0.0, None, -4.0, 0.0)
    # #2003: 3 × 1.00, discount 1.00 in whole cents by largest remainders: 0.34, 0.33, 0.33
    # (the first line takes the odd cent) -> goods 2.00; refund 3.50 = goods 2.00 +
    # shipping 1.50
    assert [rows[f"#2003/{i}"][2:4] for i in (1, 2, 3)] == [(0.66, 0.34), (0.67, 0.33),
                                                            (0.67, 0.33)]  # fmt: skip
    assert rows["#2003/refund"][2:6] == (-2.0, None, -1.5, 0.0)
    t = ws.table("transactions")
    by_order = t.group_by("order_name").aggregate(revenue=t.amount.sum()).to_pandas()
    revenue = dict(zip(by_order["order_name"], by_order["revenue"].round(2), strict=True))
    assert revenue == {"#2001": 40.0, "#2002": 0.0, "#2003": 0.0, "#2004": 20.0}
    shipping = t.group_by("order_name").aggregate(s=t.shipping.sum()).to_pandas()
    assert dict(zip(shipping["order_name"], shipping["s"].round(2), strict=True)) == {
        "#2001": 5.0, "#2002": 0.0, "#2003": 0.0, "#2004": 0.0,
    }  # fmt: skip


def test_orders_without_email_are_keyed_not_quarantined(lines):
    rows = {r[0]: r for r in lines}
    assert rows["#2003/1"][1] == "shopify-customer:777" and rows["#2003/1"][6] == "customer id"
    assert rows["#2004/1"][1] == "shopify-guest:#2004" and rows["#2004/1"][6] == "guest"


def test_an_order_split_across_chunks_is_allocated_whole():
    raw = pd.read_csv(FIXTURES / "shopify_revenue.csv", dtype=str, keep_default_na=False,
                      na_values=[""])  # fmt: skip
    raw["_source_row"] = range(2, 2 + len(raw))
    chunks = [raw.iloc[:4], raw.iloc[4:5], raw.iloc[5:]]  # #2003's lines in three chunks
    out = pd.concat(list(Shopify().rewrite(iter(chunks), {})), ignore_index=True)
    got = out.set_index("transaction_id")
    assert [got.loc[f"#2003/{i}", "amount"] for i in (1, 2, 3)] == ["0.66", "0.67", "0.67"]
    assert got.loc["#2003/refund", "amount"] == "-2.0"
    # a refund row points at its order's first line: #2002's at row 4, #2003's at row 5
    assert sorted(out["_source_row"]) == [2, 3, 4, 4, 5, 5, 6, 7, 8]


def test_allocate_and_buyer_by_hand():
    assert allocate(np.array([100, 100, 100]), 100).tolist() == [34, 33, 33]
    assert allocate(np.array([500, 0]), 900).tolist() == [500, 0]  # capped at the goods
    assert allocate(np.array([0, 0]), 50).tolist() == [0, 0]
    assert buyer(" Ann@Example.com ", "9", "#1") == (ANN, "email")


def test_buyers_go_to_identities_and_link_the_orders_to_other_sources(tmp_path, sample):
    w = cxlens.Workspace(tmp_path / "ws.duckdb")
    path = sample("shopify_revenue.csv")
    w.ingest(path, preset="shopify")
    got = w.ingest(path, preset="shopify", table="identities")
    assert (got.table, got.rows_loaded, got.rows_quarantined) == ("identities", 4, 0)
    ids = w.table("identities").order_by("source_id").to_pandas()
    assert ids["source_id"].tolist() == ["#2001", "#2002", "#2003", "#2004"]
    assert ids["customer_id"].tolist() == [ANN, ANN, "shopify-customer:777",
                                           "shopify-guest:#2004"]  # fmt: skip
    cleo = ids.iloc[3]
    assert (cleo["name"], cleo["address"], cleo["postcode"], cleo["phone"]) == (
        "Cleo Park", "1 High St", "BA1 1AA", "+44 7700 900123",
    )  # fmt: skip
    # the guest is in the CRM too, with the same phone written nationally
    crm = pd.DataFrame({"source": ["crm"], "source_id": ["9"], "customer_id": ["CRM-9"],
                        "name": ["Cleo Park"], "phone": ["07700 900123"]})  # fmt: skip
    crm.to_csv(tmp_path / "crm.csv", index=False)
    w.ingest(tmp_path / "crm.csv", table="identities")
    Identity(w).resolve(max_pairs=1e3)
    t = w.table("transactions").to_pandas().set_index("transaction_id")
    assert t.loc["#2004/1", "customer_id"] == "CRM-9"  # the guest order is Cleo's
    assert t.loc["#2001/1", "customer_id"] == t.loc["#2002/1", "customer_id"] == ANN
    w.close()
