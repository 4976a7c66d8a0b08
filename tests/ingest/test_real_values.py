"""Real published data read exactly: the UCI Air Quality log (decimal commas, day-first dates).

The file (tests/fixtures/real/air_quality_uci_head.csv, see the README there) is read by
the CSV reader and checked by validation against a small schema of its own columns, since
it is no canonical CX table: the point is how its values are read. Expected values are the
published numbers, written out by hand.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from cxlens.errors import IngestError
from cxlens.ingest.mapping import Mapping
from cxlens.ingest.readers import SourceFile, read_chunks
from cxlens.ingest.validate import FileReading, canonical_columns, check_chunk
from cxlens.schema import Column, TableSchema

FILE = Path(__file__).parents[1] / "fixtures" / "real" / "air_quality_uci_head.csv"
AIR = TableSchema(
    name="air",
    key=("Date", "Time"),
    columns=(
        Column("Date", "timestamp", required=True),
        Column("Time", "string", required=True),
        Column("CO(GT)", "float"),
        Column("PT08.S1(CO)", "int"),
        Column("T", "float"),
        Column("RH", "float"),
        Column("AH", "float"),
    ),
)


def _check(mapping: Mapping):
    chunk = next(read_chunks(SourceFile(FILE)))
    chosen = canonical_columns(chunk, mapping, AIR)
    reading = FileReading(source=FILE.name, rescan=lambda: read_chunks(SourceFile(FILE)))
    return check_chunk(chunk, mapping, AIR, chosen, reading), reading


def test_its_dates_are_ambiguous_so_the_file_is_refused_until_the_order_is_stated():
    with pytest.raises(IngestError, match=r"5 \(e\.g\. row 2, Date '10/03/2004'\) dates could "
                                          r"be day-first or month-first"):  # fmt: skip
        _check(Mapping(table="responses"))


def test_with_dayfirst_stated_every_value_is_the_published_one():
    checked, reading = _check(Mapping(table="responses", dayfirst=True))
    assert reading.decimal == ","  # decided from the file: 2,6 is only a decimal comma
    assert checked.problems.empty
    rows = checked.rows
    assert rows["Date"].tolist() == [pd.Timestamp("2004-03-10")] * 5
    assert rows["Time"].tolist() == ["18.00.00", "20.00.00", "21.00.00", "22.00.00", "23.00.00"]
    assert rows["CO(GT)"].tolist() == [2.6, 2.2, 2.2, 1.6, 1.2]
    assert rows["PT08.S1(CO)"].tolist() == [1360, 1402, 1376, 1272, 1197]
    assert rows["T"].tolist() == [13.6, 11.9, 11.0, 11.2, 11.2]
    assert rows["RH"].tolist() == [48.9, 54.0, 60.0, 59.6, 59.2]
    assert rows["AH"].tolist() == [0.7578, 0.7502, 0.7867, 0.7888, 0.7848]
    assert rows["_source_row"].tolist() == [2, 3, 4, 5, 6]
