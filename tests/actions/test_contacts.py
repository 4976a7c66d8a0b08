"""One contact per customer from identities: CRM first, reachable first, names split."""

from __future__ import annotations

import doctest

import pandas as pd
import pytest

import cxlens.actions.contacts as contacts_module
from cxlens.actions.contacts import CONTACT_COLUMNS, contacts, split_name
from cxlens.errors import ArgumentError


def test_hand_made_records_pick_and_split(hand_ws):
    got = contacts(hand_ws, ["C1", "C2", "C3", "C4", "C5", "C6", None]).set_index("customer_id")
    assert list(got.reset_index().columns) == list(CONTACT_COLUMNS)
    assert sorted(got.index) == ["C1", "C2", "C3", "C4", "C6"]  # C5 has no linked record
    assert got.loc["C1", ["source_id", "email", "first_name", "last_name"]].tolist() == [
        "CRM-1", "anna.ivanova@example.ru", "Анна", "Иванова",
    ]  # fmt: skip
    # C2's CRM record has neither e-mail nor phone: the web record is the one to reach
    assert got.loc["C2", ["source_id", "email", "first_name", "last_name"]].tolist() == [
        "W2", "boris@web.example", "Boris", "Petrov",
    ]  # fmt: skip
    assert (got.loc["C3", "first_name"], got.loc["C3", "last_name"]) == (None, "王伟")
    assert got.loc["C4", "source_id"] == "CRM-4" and got.loc["C4", "email"] is None
    assert (got.loc["C6", "first_name"], got.loc["C6", "last_name"]) == ("Siobhán", "O'Brien")


def test_another_preferred_source(hand_ws):
    got = contacts(hand_ws, ["C1"], prefer=["web"]).iloc[0]
    assert (got["source"], got["email"]) == ("web", "anna@web.example")
    with pytest.raises(ArgumentError, match="list of sources"):
        contacts(hand_ws, ["C1"], prefer="web")


def test_sample_contacts_are_the_crm_records(sample):
    ws, data = sample
    ids = data.tables["customers"]["customer_id"].iloc[::7].tolist()
    got = contacts(ws, ids)
    ident = data.tables["identities"]
    crm = ident[ident["source"] == "crm"].set_index("customer_id").loc[got["customer_id"]]
    assert len(got) == len(ids)  # every sample customer has a CRM record
    assert (got["source"] == "crm").all()
    assert got["source_id"].tolist() == crm["source_id"].tolist()
    assert got["email"].tolist() == crm["email"].tolist()
    assert got["phone"].tolist() == crm["phone"].tolist()
    rebuilt = [" ".join(p for p in (f, la) if p) for f, la in
               zip(got["first_name"], got["last_name"], strict=True)]  # fmt: skip
    assert rebuilt == crm["name"].tolist()


def test_no_customers_no_query(hand_ws):
    assert contacts(hand_ws, []).empty


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Anna  Maria   Lee ", ("Anna Maria", "Lee")),
        ("LEE, Anna", ("Anna", "LEE")),
        ("Иван Петров", ("Иван", "Петров")),
        ("王伟", (None, "王伟")),
        ("  ", (None, None)),
        (None, (None, None)),
    ],
)
def test_split_name(name, expected):
    assert split_name(name) == expected


def test_docstring_examples_run():
    result = doctest.testmod(contacts_module, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0 and result.failed == 0


@pytest.mark.spark
def test_contacts_and_detractors_on_spark(spark_ws, tmp_path):
    from cxlens.actions.targets import detractors
    from tests.actions.conftest import CUSTOMERS, IDENTITIES, RESPONSES, ingest_frames

    ingest_frames(spark_ws, tmp_path, customers=CUSTOMERS, identities=IDENTITIES,
                  responses=RESPONSES)  # fmt: skip
    got = contacts(spark_ws, ["C1", "C2", "C5"])
    assert got["source_id"].tolist() == ["CRM-1", "W2"]
    found = detractors(spark_ws, days=30)
    assert found["customer_id"].tolist() == ["C3", "C2", "C5", "C4"]
    pd.testing.assert_series_equal(found["nps"], pd.Series([1, 2, 4, 5], name="nps"))
