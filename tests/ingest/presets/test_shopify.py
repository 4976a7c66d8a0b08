import hashlib

import pandas as pd

from cxlens.ingest.presets.shopify import Shopify, customer_key
from tests.ingest.presets.conftest import FIXTURES, loaded, problems, ts

ANN = "shopify:" + hashlib.sha256(b"ann@example.com").hexdigest()[:16]
COLUMNS = ["transaction_id", "customer_id", "occurred_at", "amount", "currency", "quantity",
           "product", "channel", "financial_status", "_source_row"]  # fmt: skip


def test_customer_key_ignores_case_and_spaces():
    assert customer_key(" Ann@Example.COM ") == ANN
    assert customer_key(None) is None and customer_key("  ") is None


def test_order_lines_refunds_and_bad_lines(ws, sample):
    result = ws.ingest(sample("shopify.csv"), preset="shopify")
    assert (result.table, result.rows_loaded, result.rows_quarantined) == ("transactions", 4, 1)
    # #1001's second line has only line-item fields: the order's are carried down to it.
    # 10:32:11 -0500 is 15:32:11 UTC; 2 × 19.95 = 39.90; the refund (10.00) is below the
    # goods (59.90), so all of it is a refund of goods. #1003 has no e-mail: a guest order.
    assert loaded(ws, "transactions", COLUMNS, "transaction_id") == [
        ("#1001/1", ANN, ts("2024-01-15 15:32:11"), 39.9, "USD", 2, "Кружка «Acme»", "web",
         "paid", 2),
        ("#1001/2", ANN, ts("2024-01-15 15:32:11"), 20.0, "USD", 1, "T-shirt 大号", "web",
         "paid", 3),
        ("#1001/refund", ANN, ts("2024-01-15 15:32:11"), -10.0, "USD", None, None, "web",
         "paid", 2),
        ("#1003/1", "shopify-guest:#1003", ts("2024-07-03 10:00:00"), 15.0, "USD", 1, "Poster",
         "web", "pending", 5),
    ]  # fmt: skip
    assert problems(ws) == [(4, "amount", "amount 'abc' is not a valid float")]


def test_an_order_split_across_chunks_keeps_its_fields_and_line_numbers():
    raw = pd.read_csv(FIXTURES / "shopify.csv", dtype=str, keep_default_na=False, na_values=[""])
    raw["_source_row"] = range(2, 2 + len(raw))
    chunks = [raw.iloc[:1], raw.iloc[1:]]  # #1001's two lines in two chunks
    out = pd.concat(list(Shopify().rewrite(iter(chunks), {})), ignore_index=True)
    second = out[out["transaction_id"] == "#1001/2"].iloc[0]
    assert (second["currency"], second["customer_id"], second["channel"]) == ("USD", ANN, "web")
    assert second["occurred_at"] == "2024-01-15T15:32:11.000000+00:00"
    assert sorted(out["transaction_id"]) == ["#1001/1", "#1001/2", "#1001/refund", "#1002/1",
                                             "#1003/1"]  # fmt: skip
