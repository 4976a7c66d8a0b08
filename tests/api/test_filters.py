"""Request validation against the workspace's columns, and filters applied in the engine."""

from __future__ import annotations

import datetime as dt

import ibis.expr.datatypes as idt
import pandas as pd
import pytest

from cxlens.api.filters import convert, filtered, parse_filters, validate
from cxlens.errors import ArgumentError, SchemaError
from cxlens.metrics.namespace import Metrics


@pytest.fixture
def small(ws, tmp_path):
    customers = pd.DataFrame({"customer_id": ["a", "b", "c"],
                              "segment": ["smb", "smb", "corp"]})  # fmt: skip
    responses = pd.DataFrame({
        "response_id": ["1", "2", "3", "4", "5"],
        "customer_id": ["a", "b", "c", "c", "a"],
        "responded_at": ["2025-01-05", "2025-01-06", "2025-01-07", "2025-02-01", "2025-02-02"],
        "touchpoint": ["billing", "app", "billing", "billing", "app"],
        "nps": [10, 3, 9, 0, 8],
    })  # fmt: skip
    for name, frame in (("customers", customers), ("responses", responses)):
        path = tmp_path / f"{name}.csv"
        frame.to_csv(path, index=False)
        ws.ingest(path, table=name)
    return ws


def test_filters_on_own_and_customer_columns(small):
    # billing answers of smb customers: only response 1 (NPS 10) -> NPS 100 on n=1
    q = validate(small, "nps", filters=["touchpoint=billing", "segment=smb"])
    row = Metrics(filtered(small, q)).nps().iloc[0]
    assert (row["n"], row["value"]) == (1, 100.0)
    # by a customer column while filtering on a responses column
    q = validate(small, "nps", by=["segment"], filters=["touchpoint=billing"])
    table = Metrics(filtered(small, q)).nps(by=["segment"]).set_index("segment")
    assert table.loc["corp", "n"] == 2 and table.loc["corp", "value"] == 0.0  # 9 and 0
    assert table.loc["smb", "n"] == 1


def test_values_are_typed_like_their_column(small):
    q = validate(small, "nps", filters=["nps=10", "nps=9", "nps=10"])
    assert q.filter == {"nps": [10, 9]}
    assert Metrics(filtered(small, q)).nps().iloc[0]["n"] == 2
    with pytest.raises(ArgumentError, match="'ten' of column 'nps' is not a int"):
        validate(small, "nps", filters=["nps=ten"])


def test_unknown_names_are_refused_with_the_columns(small):
    with pytest.raises(SchemaError, match=r"unknown by column 'x'.*available columns: .*segment"):
        validate(small, "nps", by=["x"])
    with pytest.raises(SchemaError, match="unknown filter column '_source_file'"):
        validate(small, "nps", filters=["_source_file=responses.csv"])
    with pytest.raises(ArgumentError, match="unknown metric 'loyalty'"):
        validate(small, "loyalty")
    with pytest.raises(ArgumentError, match="unknown time grain"):
        validate(small, "nps", every="fortnight")


def test_parse_and_convert():
    assert parse_filters(["a=1", "a=2=3"]) == {"a": ["1", "2=3"]}
    with pytest.raises(ArgumentError, match="column=value"):
        parse_filters(["a="])
    assert convert("yes", idt.boolean, "b") is True
    assert convert("2025-01-02", idt.date, "d") == dt.date(2025, 1, 2)
    assert convert("2.5", idt.float64, "f") == 2.5
    with pytest.raises(ArgumentError, match="not a"):
        convert("inf", idt.float64, "f")
