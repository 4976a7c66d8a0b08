"""Cleaning on hand-made records: exact duplicates, flags with rows, newest value wins."""

from __future__ import annotations

import ibis
import pandas as pd

from cxlens.identity import clean

RECORDS = {
    "source": ["crm", "crm", "web", "web"],
    "source_id": ["1", "2", "3", "4"],
    "first_name": ["Ann", " ANN ", None, None],
    "last_name": ["Lee", "lee", None, None],
    "name": [None, None, "Lee, Ann", "Bob Stone"],
    "email": ["ann@x.example", "Ann@X.example", "ann(at)x", "  "],
    "phone": ["07700 900123", "+44 7700 900123", "12", None],
    "birth_date": ["1985-04-03", "03.04.1985", "1985-02-30", None],
    "updated_at": pd.to_datetime(["2021-01-01", "2023-06-01", "2024-01-01", "2020-01-01"]),
    "_source_file": ["a.csv", "a.csv", "b.csv", "b.csv"],
    "_source_row": [2, 3, 2, 3],
}


def test_prepare_normalises_and_folds_exact_duplicates():
    con = ibis.duckdb.connect()
    prepared = con.execute(clean.prepare(ibis.memtable(RECORDS))).set_index("record_id")
    # records 1 and 2 differ only in case, spaces, phone and date format: exact duplicates
    assert prepared.loc["crm|2", "keep_id"] == "crm|1"
    assert prepared.loc["crm|1", "phone"] == prepared.loc["crm|2", "phone"] == "+447700900123"
    assert (
        prepared.loc["web|3", "first_name"] == "ann" and prepared.loc["web|3", "last_name"] == "lee"
    )
    assert prepared.loc["web|3", "keep_id"] == "web|3"  # another source is never a duplicate


def test_flags_point_at_file_and_row():
    con = ibis.duckdb.connect()
    flags = con.execute(clean.flags(clean.prepare(ibis.memtable(RECORDS))))
    got = set(
        zip(
            flags["source_file"],
            flags["source_row"],
            flags["column"],
            flags["problem"],
            strict=True,
        )
    )
    assert got == {
        ("b.csv", 2, "email", "not a valid e-mail address"),
        ("b.csv", 2, "phone", "not a valid phone number for its region"),
        ("b.csv", 2, "birth_date", "not a real date of birth between 1900 and today"),
        ("b.csv", 3, "email", "empty value"),
    }


def test_profile_keeps_newest_value_with_provenance():
    con = ibis.duckdb.connect()
    prepared = clean.prepare(ibis.memtable(RECORDS))
    assign = ibis.memtable(
        {
            "source": RECORDS["source"],
            "source_id": RECORDS["source_id"],
            "customer_id": ["A", "A", "A", "B"],
        }
    )
    prof = con.execute(clean.profile(prepared, assign)).set_index("customer_id")
    # the newest valid e-mail of A is record 2's (2023); record 3 (2024) has an invalid one
    assert prof.loc["A", "email"] == "ann@x.example"
    assert (prof.loc["A", "email_source"], prof.loc["A", "email_source_id"]) == ("crm", "2")
    assert prof.loc["A", "display_name"] == "Lee, Ann"  # the 2024 record's name
    assert prof.loc["A", "records"] == 3 and prof.loc["A", "sources"] == 2
    assert prof.loc["B", "display_name"] == "Bob Stone"
    assert pd.isna(prof.loc["B", "email"])
