"""Bad input, one kind per case: what loads, what is quarantined (row, column, reason), what
is refused, and that no stored value differs from what the source means (issue 18 items 2
and 3, issue 12 item 3).

Each case writes a small file, ingests it into a fresh Workspace and checks:

* the exact keys loaded and, for each, the stored values of the columns the case names
  (the expected values are written out by hand from the source text);
* the exact quarantine records as (source row, column, reason), rows numbered as a
  spreadsheet shows them (header = row 1; Parquet records and JSON lines from 1);
* or, for a refused file, the error and its message, and that nothing was loaded.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from cxlens.errors import IngestError, MappingError
from tests.conftest import write_text

R = "response_id,responded_at,nps\n"  # responses: the smallest valid header
T = "transaction_id,customer_id,occurred_at,amount\n"  # transactions
P = "post_id,platform,brand,posted_at,likes\n"  # posts
ts = pd.Timestamp


@dataclass
class Case:
    """One kind of bad (or tricky) input and what must come of it."""

    kind: str
    table: str
    body: str | Callable[[Path], Path]
    loaded: dict[str, dict[str, object]] = field(default_factory=dict)
    quarantined: list[tuple[int, str, str]] = field(default_factory=list)
    mapping: dict | None = None
    refused: tuple[type[Exception], str] | None = None


def _parquet(table: pa.Table, name: str = "f.parquet") -> Callable[[Path], Path]:
    def write(tmp: Path) -> Path:
        pq.write_table(table, tmp / name)
        return tmp / name

    return write


def _jsonl(text: str) -> Callable[[Path], Path]:
    def write(tmp: Path) -> Path:
        return write_text(tmp / "f.jsonl", text)

    return write


def _xlsx(frame: pd.DataFrame) -> Callable[[Path], Path]:
    def write(tmp: Path) -> Path:
        frame.to_excel(tmp / "f.xlsx", index=False)
        return tmp / "f.xlsx"

    return write


def _stamp(zone: str) -> pa.Array:
    return pa.array([pd.Timestamp("2024-01-02 14:30", tz=zone)], pa.timestamp("us", zone))


KARACHI, PLUS5 = _stamp("Asia/Karachi"), _stamp("+05:00")

CASES = [
    # -- dates: day and month decided once per file -------------------------------------------
    Case("dayfirst decided by 13/01", "responses",
         R + "r1,01/02/2024,9\nr2,13/01/2024,8\nr3,05/03/2024,7\nr4,02/01/2024,6\n",
         {"r1": {"responded_at": ts("2024-02-01")}, "r2": {"responded_at": ts("2024-01-13")},
          "r3": {"responded_at": ts("2024-03-05")}, "r4": {"responded_at": ts("2024-01-02")}}),
    Case("monthfirst decided by 01/13", "responses",
         R + "r1,01/02/2024,9\nr2,01/13/2024,8\n",
         {"r1": {"responded_at": ts("2024-01-02")}, "r2": {"responded_at": ts("2024-01-13")}}),
    Case("dayfirst decided by a row far below", "responses",
         R + "".join(f"r{i},01/02/2024,9\n" for i in range(1, 40)) + "r40,31/12/2024,9\n",
         {**{f"r{i}": {"responded_at": ts("2024-02-01")} for i in range(1, 40)},
          "r40": {"responded_at": ts("2024-12-31")}}),
    Case("all dates ambiguous: refused with the count", "responses",
         R + "r1,01/02/2024,9\nr2,03/04/2024,8\nr3,2024-05-06,7\n",
         refused=(IngestError, r"f.csv: 2 \(e.g. row 2, responded_at '01/02/2024'\) dates could "
                               r"be day-first or month-first.*dayfirst: true")),
    Case("both orders in one file: refused", "responses",
         R + "r1,13/01/2024,9\nr2,01/13/2024,8\n",
         refused=(IngestError, r"both day-first, 1 \(e.g. row 2.*month-first, 1 \(e.g. row 3")),
    Case("declared dayfirst: a month-first date is quarantined", "responses",
         R + "r1,01/02/2024,9\nr2,01/13/2024,8\n",
         {"r1": {"responded_at": ts("2024-02-01")}},
         [(3, "responded_at", "responded_at '01/13/2024' is not a valid timestamp")],
         mapping={"table": "responses", "dayfirst": True}),
    Case("declared monthfirst", "responses", R + "r1,01/02/2024,9\n",
         {"r1": {"responded_at": ts("2024-01-02")}},
         mapping={"table": "responses", "dayfirst": False}),
    Case("day equals month: no decision needed", "responses", R + "r1,05/05/2024,9\n",
         {"r1": {"responded_at": ts("2024-05-05")}}),
    Case("dotted dates with times", "responses",
         R + "r1,13.01.2024 14:30,9\nr2,02.01.2024 09:00,8\n",
         {"r1": {"responded_at": ts("2024-01-13 14:30")},
          "r2": {"responded_at": ts("2024-01-02 09:00")}}),
    Case("two-digit years", "responses", R + "r1,25/12/23,9\nr2,01/02/70,9\n",
         {"r1": {"responded_at": ts("2023-12-25")}, "r2": {"responded_at": ts("1970-02-01")}}),
    Case("impossible day: quarantined", "responses", R + "r1,31/02/2024,9\nr2,2024-01-01,9\n",
         {"r2": {"responded_at": ts("2024-01-01")}},
         [(2, "responded_at", "responded_at '31/02/2024' is not a valid timestamp")]),
    Case("ISO date that does not exist", "responses", R + "r1,2024-02-30,9\n", {},
         [(2, "responded_at", "responded_at '2024-02-30' is not a valid timestamp")]),
    Case("spelled-out month", "responses", R + "r1,\"Jan 5, 2024\",9\nr2,5 March 2024,9\n",
         {"r1": {"responded_at": ts("2024-01-05")}, "r2": {"responded_at": ts("2024-03-05")}}),
    Case("declared format rejects another form", "responses",
         R + "r1,05.01.2024,9\nr2,2024-01-05,9\n",
         {"r1": {"responded_at": ts("2024-01-05")}},
         [(3, "responded_at", "responded_at '2024-01-05' is not a valid timestamp")],
         mapping={"table": "responses", "date_format": "%d.%m.%Y"}),
    # -- time zones: UTC stored, the source's offset kept in lineage ---------------------------
    Case("offset +05:00 converted to UTC", "responses", R + "r1,2024-01-02T14:30:00+05:00,9\n",
         {"r1": {"responded_at": ts("2024-01-02 09:30"),
                 "_source_offsets": '{"responded_at": "+05:00"}'}}),
    Case("offset -0330 converted to UTC", "responses", R + "r1,2024-01-02 14:30-0330,9\n",
         {"r1": {"responded_at": ts("2024-01-02 18:00"),
                 "_source_offsets": '{"responded_at": "-03:30"}'}}),
    Case("Z is UTC, nothing to record", "responses", R + "r1,2024-01-02T14:30:00Z,9\n",
         {"r1": {"responded_at": ts("2024-01-02 14:30"), "_source_offsets": None}}),
    Case("mixed offsets in one column", "responses",
         R + "r1,2024-01-02T14:30+05:00,9\nr2,2024-01-02T14:30-08:00,9\n",
         {"r1": {"responded_at": ts("2024-01-02 09:30")},
          "r2": {"responded_at": ts("2024-01-02 22:30"),
                 "_source_offsets": '{"responded_at": "-08:00"}'}}),
    Case("Parquet timestamp at +05:00", "responses",
         _parquet(pa.table({"response_id": ["r1"], "responded_at": PLUS5, "nps": [9]})),
         {"r1": {"responded_at": ts("2024-01-02 09:30"),
                 "_source_offsets": '{"responded_at": "+05:00"}'}}),
    Case("Parquet timestamp in a named zone", "responses",
         _parquet(pa.table({"response_id": ["r1"], "responded_at": KARACHI, "nps": [9]})),
         {"r1": {"responded_at": ts("2024-01-02 09:30"),
                 "_source_offsets": '{"responded_at": "+05:00"}'}}),
    # -- epoch times ---------------------------------------------------------------------------
    Case("epoch seconds", "responses", R + "r1,1704205800,9\n",
         {"r1": {"responded_at": ts("2024-01-02 14:30")}},
         mapping={"table": "responses", "date_format": "%s"}),
    Case("epoch milliseconds", "responses", R + "r1,1704205800500,9\n",
         {"r1": {"responded_at": ts("2024-01-02 14:30:00.500")}},
         mapping={"table": "responses", "date_format": "%ms"}),
    Case("epoch text that is not a number", "responses", R + "r1,soon,9\nr2,0,9\n",
         {"r2": {"responded_at": ts("1970-01-01")}},
         [(2, "responded_at", "responded_at 'soon' is not valid epoch seconds")],
         mapping={"table": "responses", "date_format": "%s"}),
    Case("epoch infinity", "responses", R + "r1,inf,9\n", {},
         [(2, "responded_at", "responded_at 'inf' is not a finite number")],
         mapping={"table": "responses", "date_format": "%s"}),
    Case("epoch out of range", "responses", R + "r1,1e300,9\n", {},
         [(2, "responded_at",
           "responded_at '1e300' is outside the range of epoch seconds a timestamp holds")],
         mapping={"table": "responses", "date_format": "%s"}),
    # -- numbers: the decimal mark decided once per file ----------------------------------------
    Case("1,234 with nothing to settle it: refused", "transactions",
         T + "t1,c1,2024-01-01,\"1,234\"\nt2,c1,2024-01-01,5\n",
         refused=(IngestError, r"1 \(e.g. row 2, amount '1,234'\) numbers could be thousands "
                               r".*decimal: '\.'")),
    Case("1,234 is 1234 when 2.50 shows the decimal point", "transactions",
         T + "t1,c1,2024-01-01,\"1,234\"\nt2,c1,2024-01-01,2.50\n",
         {"t1": {"amount": 1234.0}, "t2": {"amount": 2.5}}),
    Case("decimal comma shown by 2,5", "transactions",
         T + "t1,c1,2024-01-01,\"1.234,50\"\nt2,c1,2024-01-01,\"2,5\"\nt3,c1,2024-01-01,1.234\n",
         {"t1": {"amount": 1234.5}, "t2": {"amount": 2.5}, "t3": {"amount": 1234.0}}),
    Case("declared decimal comma", "transactions", T + "t1,c1,2024-01-01,1.234\n",
         {"t1": {"amount": 1234.0}}, mapping={"table": "transactions", "decimal": ","}),
    Case("declared decimal point", "transactions", T + "t1,c1,2024-01-01,\"1,234\"\n",
         {"t1": {"amount": 1234.0}}, mapping={"table": "transactions", "decimal": "."}),
    Case("both decimal marks: refused", "transactions",
         T + "t1,c1,2024-01-01,\"1,234.50\"\nt2,c1,2024-01-01,\"2,5\"\n",
         refused=(IngestError, r"both a decimal point, 1 \(e.g. row 2.*decimal comma, 1 \(e.g. "
                               r"row 3")),
    Case("space-grouped thousands", "transactions",
         T + "t1,c1,2024-01-01,\"1 234,56\"\nt2,c1,2024-01-01,\"12\u00a0345,5\"\n",
         {"t1": {"amount": 1234.56}, "t2": {"amount": 12345.5}}),
    Case("apostrophe-grouped thousands", "transactions", T + "t1,c1,2024-01-01,1'234.50\n",
         {"t1": {"amount": 1234.5}}),
    Case("Indian grouping is not a number here", "transactions",
         T + "t1,c1,2024-01-01,\"1,23,456\"\nt2,c1,2024-01-01,2.50\n",
         {"t2": {"amount": 2.5}},
         [(2, "amount", "amount '1,23,456' is not a valid float")]),
    Case("inf", "transactions", T + "t1,c1,2024-01-01,inf\nt2,c1,2024-01-01,3\n",
         {"t2": {"amount": 3.0}}, [(2, "amount", "amount 'inf' is not a finite number")]),
    Case("Infinity", "transactions", T + "t1,c1,2024-01-01,Infinity\n", {},
         [(2, "amount", "amount 'Infinity' is not a finite number")]),
    Case("-inf", "transactions", T + "t1,c1,2024-01-01,-inf\n", {},
         [(2, "amount", "amount '-inf' is not a finite number")]),
    Case("1e309 overflows to infinity", "transactions", T + "t1,c1,2024-01-01,1e309\n", {},
         [(2, "amount", "amount '1e309' is not a finite number")]),
    Case("NaN as text", "transactions", T + "t1,c1,2024-01-01,NaN\n", {},
         [(2, "amount", "amount 'NaN' is not a finite number")]),
    Case("exponent notation", "transactions", T + "t1,c1,2024-01-01,1.5e3\n",
         {"t1": {"amount": 1500.0}}),
    Case("trailing letters", "transactions", T + "t1,c1,2024-01-01,12abc\n", {},
         [(2, "amount", "amount '12abc' is not a valid float")]),
    Case("two decimal points", "transactions", T + "t1,c1,2024-01-01,1.2.3\n", {},
         [(2, "amount", "amount '1.2.3' is not a valid float")]),
    Case("digits of another script are not read as a gap", "transactions",
         T + "t1,c1,2024-01-01,١٢\nt2,c1,2024-01-01,12\n", {"t2": {"amount": 12.0}},
         [(2, "amount", "amount '١٢' is not a valid float")]),
    Case("negative amount is a refund, kept", "transactions", T + "t1,c1,2024-01-01,-19.99\n",
         {"t1": {"amount": -19.99}}),
    # -- integers ------------------------------------------------------------------------------
    Case("7.5 on an integer score", "responses", R + "r1,2024-01-01,7.5\n", {},
         [(2, "nps", "nps '7.5' is not a whole number")]),
    Case("a huge integer fails its row, not the file", "posts",
         P + "p1,x,acme,2024-01-01,99999999999999999999\np2,x,acme,2024-01-01,12\n",
         {"p2": {"likes": 12}},
         [(2, "likes", "likes '99999999999999999999' is too large to store exactly (limit 2^53)")]),
    Case("2^53 + 1 would be stored changed", "posts",
         P + "p1,x,acme,2024-01-01,9007199254740993\n", {},
         [(2, "likes", "likes '9007199254740993' is too large to store exactly (limit 2^53)")]),
    Case("integer in exponent form", "posts", P + "p1,x,acme,2024-01-01,1e3\n",
         {"p1": {"likes": 1000}}),
    Case("negative count", "posts", P + "p1,x,acme,2024-01-01,-5\n", {},
         [(2, "likes", "likes '-5' is outside int >= 0")]),
    Case("thousands in a count", "posts",
         P + "p1,x,acme,2024-01-01,\"12,345\"\np2,x,acme,2024-01-01,\"1,234,567\"\n",
         {"p1": {"likes": 12345}, "p2": {"likes": 1234567}}),
    # -- declared scales -----------------------------------------------------------------------
    Case("7.5 on a declared 1-10 scale is not rounded", "responses",
         R + "r1,2024-01-01,7.5\nr2,2024-01-01,10\nr3,2024-01-01,1\nr4,2024-01-01,6\n",
         {"r2": {"nps": 10}, "r3": {"nps": 0}, "r4": {"nps": 6}},
         [(2, "nps", "nps '7.5' is not a whole point of the declared scale [1, 10]")],
         mapping={"table": "responses", "scales": {"nps": "1-10"}}),
    Case("0 off a declared 1-10 scale", "responses", R + "r1,2024-01-01,0\n", {},
         [(2, "nps", "nps '0' is outside the declared scale [1, 10]")],
         mapping={"table": "responses", "scales": {"nps": "1-10"}}),
    Case("words through a declared map", "responses",
         "response_id,responded_at,csat\nr1,2024-01-01,Good\nr2,2024-01-01,bad\n"
         "r3,2024-01-01, GOOD \nr4,2024-01-01,great\n",
         {"r1": {"csat": 5}, "r2": {"csat": 1}, "r3": {"csat": 5}},
         [(5, "csat", "csat 'great' is not on the one of ['bad', 'good']")],
         mapping={"table": "responses", "scales": {"csat": {"Good": 5, "Bad": 1}}}),
    Case("Likert satisfaction in English", "responses",
         "response_id,responded_at,csat\nr1,2024-01-01,Very satisfied\n"
         "r2,2024-01-01,Dissatisfied\nr3,2024-01-01,Quite happy\n",
         {"r1": {"csat": 5}, "r2": {"csat": 2}},
         [(4, "csat", "csat 'Quite happy' is not on the 'satisfaction' word scale")],
         mapping={"table": "responses", "scales": {"csat": "satisfaction"}}),
    Case("Likert satisfaction in Russian", "responses",
         "response_id,responded_at,csat\nr1,2024-01-01,Очень доволен\nr2,2024-01-01,Недовольна\n",
         {"r1": {"csat": 5}, "r2": {"csat": 2}},
         mapping={"table": "responses", "scales": {"csat": "satisfaction"}}),
    Case("Likert satisfaction in Chinese", "responses",
         "response_id,responded_at,csat\nr1,2024-01-01,非常满意\nr2,2024-01-01,一般\n",
         {"r1": {"csat": 5}, "r2": {"csat": 3}},
         mapping={"table": "responses", "scales": {"csat": "satisfaction"}}),
    Case("Likert likelihood", "responses",
         "response_id,responded_at,csat\nr1,2024-01-01,Extremely likely\n"
         "r2,2024-01-01,Маловероятно\n",
         {"r1": {"csat": 5}, "r2": {"csat": 2}},
         mapping={"table": "responses", "scales": {"csat": "likelihood"}}),
    Case("7-point agreement on CES", "responses",
         "response_id,responded_at,ces\nr1,2024-01-01,Somewhat agree\nr2,2024-01-01,非常同意\n",
         {"r1": {"ces": 5}, "r2": {"ces": 7}},
         mapping={"table": "responses", "scales": {"ces": "agreement7"}}),
    Case("a Likert preset on a 0-10 driver rating is linear", "responses",
         "response_id,responded_at,nps,driver_speed\nr1,2024-01-01,9,Very satisfied\n"
         "r2,2024-01-01,9,Satisfied\nr3,2024-01-01,9,Недовольна\n",
         {"r1": {"driver_speed": 10.0}, "r2": {"driver_speed": 7.5},
          "r3": {"driver_speed": 2.5}},
         mapping={"table": "responses", "scales": {"driver_speed": "satisfaction"}}),
    Case("word keys match whatever the case, spacing or ё", "responses",
         "response_id,responded_at,csat\nr1,2024-01-01,ОЧЕНЬ   ДОВОЛЁН\n",
         {"r1": {"csat": 5}},
         mapping={"table": "responses", "scales": {"csat": {"очень доволен": 5}}}),
    Case("a 5-point preset on 0-10 NPS: refused", "responses", R + "r1,2024-01-01,Agree\n",
         refused=(MappingError, r"scales.nps: the 'agreement' scale has 5 points and 'nps' "
                                r"takes 11"),
         mapping={"table": "responses", "scales": {"nps": "agreement"}}),
    Case("numbers through a declared map", "responses",
         "response_id,responded_at,csat\nr1,2024-01-01,6\nr2,2024-01-01,1\nr3,2024-01-01,7\n",
         {"r1": {"csat": 5}, "r2": {"csat": 1}},
         [(4, "csat", "csat '7' is not on the one of ['1', '6']")],
         mapping={"table": "responses", "scales": {"csat": {"rule": "map",
                                                           "values": {1: 1, 6: 5}}}}),
    # -- not answered --------------------------------------------------------------------------
    Case("Offered and Unoffered mean no answer", "responses",
         "response_id,responded_at,nps,csat\nr1,2024-01-01,9,Offered\nr2,2024-01-01,,unoffered\n",
         {"r1": {"nps": 9, "csat": None}},
         [(3, "nps or csat or ces", "nps or csat or ces: the row has no nps or csat or ces score")],
         mapping={"table": "responses", "not_answered": {"csat": ["Offered", "Unoffered"]}}),
    Case("not answered for every score", "responses",
         "response_id,responded_at,nps,csat\nr1,2024-01-01,Skipped,4\n",
         {"r1": {"nps": None, "csat": 4}},
         mapping={"table": "responses", "not_answered": ["Skipped"]}),
    # -- no timestamp in the file: filled, and said so -----------------------------------------
    Case("responded_at from a constant", "responses", "response_id,nps\nr1,9\n",
         {"r1": {"responded_at": ts("2024-03-31"),
                 "_filled_from": "{\"responded_at\": \"constant '2024-03-31'\"}"}},
         mapping={"table": "responses", "fill": {"responded_at": "2024-03-31"}}),
    Case("responded_at from another column where missing", "responses",
         "response_id,responded_at,Updated,nps\nr1,2024-01-05,2024-02-01,9\nr2,,2024-02-02,8\n"
         "r3,,,7\n",
         {"r1": {"responded_at": ts("2024-01-05"), "_filled_from": None},
          "r2": {"responded_at": ts("2024-02-02"),
                 "_filled_from": "{\"responded_at\": \"column 'Updated'\"}"}},
         [(4, "responded_at", "responded_at: required value is missing")],
         mapping={"table": "responses", "fill": {"responded_at": {"column": "Updated"}}}),
    Case("fill from a column the file lacks", "responses", "response_id,nps\nr1,9\n",
         refused=(MappingError, r"fill.responded_at: the file has no column 'Updated'"),
         mapping={"table": "responses", "fill": {"responded_at": {"column": "Updated"}}}),
    # -- CSV structure: every row counted as a spreadsheet shows it ----------------------------
    Case("a short row alone is quarantined", "responses",
         R + "r1,2024-01-01,9\nr2,2024-01-02\nr3,2024-01-03,7\n",
         {"r1": {"nps": 9}, "r3": {"nps": 7}},
         [(3, "row", "the row has 2 fields; the header has 3")]),
    Case("a long row", "responses", R + "r1,2024-01-01,9,extra\nr2,2024-01-02,8\n",
         {"r2": {"nps": 8}},
         [(2, "row", "the row has 4 fields; the header has 3")]),
    Case("a blank line counts as a row", "responses",
         R + "r1,2024-01-01,9\n\nr2,2024-01-02,11\n", {"r1": {"nps": 9}},
         [(4, "nps", "nps '11' is outside int in [0, 10]")]),
    Case("a line break inside a field is one row", "responses",
         "response_id,responded_at,nps,comment\nr1,2024-01-01,9,\"two\nlines\"\n"
         "r2,2024-01-02,11,x\n",
         {"r1": {"comment": "two\nlines"}}, [(3, "nps", "nps '11' is outside int in [0, 10]")]),
    Case("line break and a short row: rows still spreadsheet rows", "responses",
         "response_id,responded_at,nps,comment\nr1,2024-01-01,9,\"two\nlines\"\nr2,2024-01-02\n"
         "r3,2024-01-03,11,x\n",
         {"r1": {"comment": "two\nlines"}},
         [(3, "row", "the row has 2 fields; the header has 4"),
          (4, "nps", "nps '11' is outside int in [0, 10]")]),
    # -- keys ----------------------------------------------------------------------------------
    Case("composite keys that only a separator would join", "identities",
         "source,source_id,email\na/b,c,x@example.com\na,b/c,y@example.com\n",
         {"a/b|c": {"email": "x@example.com"}, "a|b/c": {"email": "y@example.com"}}),
    Case("a true composite duplicate", "identities",
         "source,source_id,email\na,b,x@example.com\na,b,y@example.com\n",
         {"a|b": {"email": "x@example.com"}},
         [(3, "source/source_id", "source/source_id 'a/b' duplicates row 2 of this file")]),
    # -- typed files ---------------------------------------------------------------------------
    Case("Parquet nullable int64 ids stay whole", "transactions",
         _parquet(pa.table({"transaction_id": pa.array([1001, None, 1003], pa.int64()),
                            "customer_id": pa.array([7, 8, None], pa.int64()),
                            "occurred_at": ["2024-01-01"] * 3, "amount": [1.5, 2.0, 3.0]})),
         {"1001": {"customer_id": "7", "amount": 1.5}},
         [(2, "transaction_id", "transaction_id: required value is missing"),
          (3, "customer_id", "customer_id: required value is missing")]),
    Case("Parquet int64 beyond 2^53 kept exactly", "transactions",
         _parquet(pa.table({"transaction_id": pa.array([9007199254740993], pa.int64()),
                            "customer_id": ["c"], "occurred_at": ["2024-01-01"],
                            "amount": [1.0]})),
         {"9007199254740993": {"customer_id": "c"}}),
    Case("Parquet decimal amounts keep their digits", "transactions",
         _parquet(pa.table({"transaction_id": ["t1"], "customer_id": ["c"],
                            "occurred_at": ["2024-01-01"],
                            "amount": pa.array([Decimal("12.50")], pa.decimal128(10, 2))})),
         {"t1": {"amount": 12.5}}),
    Case("Parquet infinity", "transactions",
         _parquet(pa.table({"transaction_id": ["t1", "t2"], "customer_id": ["c", "c"],
                            "occurred_at": ["2024-01-01"] * 2,
                            "amount": [float("inf"), 4.25]})),
         {"t2": {"amount": 4.25}}, [(1, "amount", "amount 'inf' is not a finite number")]),
    Case("JSON number too big for a float", "transactions",
         _jsonl('{"transaction_id": "t1", "customer_id": "c", "occurred_at": "2024-01-01", '
                '"amount": 1e309}\n'),
         {}, [(1, "amount", "amount 'inf' is not a finite number")]),
    Case("JSON integer id beyond 2^64", "transactions",
         _jsonl('{"transaction_id": 123456789012345678901, "customer_id": 5, '
                '"occurred_at": "2024-01-01", "amount": 2}\n'),
         {"123456789012345678901": {"customer_id": "5", "amount": 2.0}}),
    Case("XLSX numeric ids", "transactions",
         _xlsx(pd.DataFrame({"transaction_id": [1001, 1002], "customer_id": [7, 8],
                             "occurred_at": ["2024-01-01", "2024-01-02"],
                             "amount": [10.5, 3]})),
         {"1001": {"customer_id": "7", "amount": 10.5}, "1002": {"customer_id": "8"}}),
    Case("XLSX blank row: counted, not a record", "responses",
         _xlsx(pd.DataFrame({"response_id": ["r1", None, "r2"],
                             "responded_at": ["2024-01-01", None, "2024-01-02"],
                             "nps": [9, None, 11]})),
         {"r1": {"nps": 9}}, [(4, "nps", "nps '11' is outside int in [0, 10]")]),
    # -- mappings that cannot be used: MappingError naming the key -----------------------------
    Case("scale value that is a word", "responses", R + "r1,2024-01-01,9\n",
         refused=(MappingError, r"scales.csat.Good: the value must be a number, got 'five'"),
         mapping={"table": "responses", "scales": {"csat": {"Good": "five"}}}),
    Case("scale value off the canonical range", "responses", R + "r1,2024-01-01,9\n",
         refused=(MappingError, r"scales.csat.Good: 9 is outside int in \[1, 5\]"),
         mapping={"table": "responses", "scales": {"csat": {"Good": 9}}}),
    Case("unknown word scale", "responses", R + "r1,2024-01-01,9\n",
         refused=(MappingError, r"scales.csat: unknown word scale 'happiness'"),
         mapping={"table": "responses", "scales": {"csat": "happiness"}}),
    Case("dayfirst that is not a yes or no", "responses", R + "r1,2024-01-01,9\n",
         refused=(MappingError, r"'dayfirst' must be true or false, got 'maybe'"),
         mapping={"table": "responses", "dayfirst": "maybe"}),
    Case("decimal mark that is not one", "responses", R + "r1,2024-01-01,9\n",
         refused=(MappingError, r"'decimal' must be '\.' or ',', got ';'"),
         mapping={"table": "responses", "decimal": ";"}),
    Case("columns as a list", "responses", R + "r1,2024-01-01,9\n",
         refused=(MappingError, r"'columns' must be a mapping of NAME: VALUE, got list"),
         mapping={"table": "responses", "columns": ["nps"]}),
    Case("date_format that is no pattern", "responses", R + "r1,2024-01-01,9\n",
         refused=(MappingError, r"'date_format' 'dd.mm.yyyy' is not a strftime pattern"),
         mapping={"table": "responses", "date_format": "dd.mm.yyyy"}),
    Case("fill with a list", "responses", R + "r1,2024-01-01,9\n",
         refused=(MappingError, r"fill.responded_at must be load_date, a value, or"),
         mapping={"table": "responses", "fill": {"responded_at": [1, 2]}}),
    Case("not_answered for a column the table lacks", "responses", R + "r1,2024-01-01,9\n",
         refused=(MappingError, r"not_answered.mood: table has no column 'mood'"),
         mapping={"table": "responses", "not_answered": {"mood": ["x"]}}),
    Case("table that is not a name", "responses", R + "r1,2024-01-01,9\n",
         refused=(MappingError, r"'table' must be a table name, got \['responses'\]"),
         mapping={"table": ["responses"]}),
]  # fmt: skip


def _key(table: str, rows: pd.DataFrame) -> list[str]:
    if table == "identities":
        return [f"{a}|{b}" for a, b in zip(rows["source"], rows["source_id"], strict=True)]
    key = {"responses": "response_id", "transactions": "transaction_id", "posts": "post_id"}
    return rows[key[table]].astype(str).tolist()


def _same(stored: object, expected: object) -> bool:
    if expected is None:
        return stored is None or bool(pd.isna(stored))
    if isinstance(expected, float):
        return stored == pytest.approx(expected, rel=0, abs=0)  # exactly, not nearly
    return stored == expected


def test_the_suite_covers_at_least_sixty_kinds():
    assert len({c.kind for c in CASES}) == len(CASES) >= 60


@pytest.mark.parametrize("case", CASES, ids=[c.kind for c in CASES])
def test_bad_input(case, ws, tmp_path):
    path = (
        write_text(tmp_path / "f.csv", case.body) if isinstance(case.body, str)
        else case.body(tmp_path)
    )  # fmt: skip
    if case.refused is not None:
        error, message = case.refused
        with pytest.raises(error, match=message):
            ws.ingest(path, table=case.table, mapping=case.mapping)
        assert ws.tables() == []
        assert ws.quarantine().empty
        return
    result = ws.ingest(path, table=case.table, mapping=case.mapping)
    rows = ws.table(case.table).execute() if ws.has_table(case.table) else pd.DataFrame()
    by_key = (
        dict(zip(_key(case.table, rows), rows.to_dict("records"), strict=True)) if len(rows) else {}
    )
    assert sorted(by_key) == sorted(case.loaded)
    for key, expected in case.loaded.items():
        for column, value in expected.items():
            assert _same(by_key[key][column], value), (key, column, by_key[key][column], value)
    q = ws.quarantine()
    got = sorted(zip(q["source_row"], q["column"], q["reason"], strict=True))
    assert got == sorted(case.quarantined)
    assert result.rows_loaded == len(case.loaded)
    assert result.rows_quarantined == len({row for row, _, _ in case.quarantined})


def test_a_filled_value_is_said_in_the_load_summary(ws, tmp_path):
    path = write_text(tmp_path / "f.csv", "response_id,responded_at,nps\nr1,,9\nr2,2024-01-02,8\n")
    result = ws.ingest(path, mapping={"table": "responses", "fill": {"responded_at": "load_date"}})
    assert result.rows_filled == 1
    assert "; 1 rows filled by the mapping (responded_at from the load date)" in result.summary()


def test_responded_at_filled_from_the_load_date_is_said(ws, tmp_path):
    # the day is read before and after the load, so a run across midnight (UTC) still passes
    path = write_text(tmp_path / "f.csv", "response_id,nps\nr1,9\n")
    before = datetime.now(UTC).strftime("%Y-%m-%d")
    ws.ingest(path, mapping={"table": "responses", "fill": {"responded_at": "load_date"}})
    after = datetime.now(UTC).strftime("%Y-%m-%d")
    row = ws.table("responses").execute().iloc[0]
    day = row["responded_at"].strftime("%Y-%m-%d")
    assert day in {before, after}
    assert row["responded_at"] == ts(day)
    assert row["_filled_from"] == json.dumps({"responded_at": f"load date {day}"})
