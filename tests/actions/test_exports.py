"""Target lists as HubSpot and Salesforce import CSVs: headers, rows, PII source, encoding."""

from __future__ import annotations

import csv
import doctest

import pandas as pd
import pytest

import cxlens.actions.exports as exports_module
from cxlens.actions.exports import custom_field, export, headers
from cxlens.actions.targets import churn_risk, next_best_offer
from cxlens.errors import ArgumentError
from cxlens.models.churn_model import ChurnModel

# Written out from the import docs (docs/actions.md cites them), not from the code.
HUBSPOT_CONTACT = ["Email", "First Name", "Last Name", "Phone Number", "Country/Region"]
SALESFORCE_CONTACT = ["FirstName", "LastName", "Email", "Phone", "MailingCountry"]
HUBSPOT_FIELDS = {
    "detractors": ["cxlens_customer_id", "cxlens_last_nps", "cxlens_nps_date",
                   "cxlens_nps_touchpoint", "cxlens_nps_comment", "cxlens_nps_response_id"],
    "churn-risk": ["cxlens_customer_id", "cxlens_churn_rank", "cxlens_churn_probability",
                   "cxlens_churn_risk_band", "cxlens_clv", "cxlens_value_at_risk",
                   "cxlens_churn_reason_1", "cxlens_churn_reason_2", "cxlens_churn_reason_3"],
    "next-best-offer": ["cxlens_customer_id", "cxlens_next_best_offer",
                        "cxlens_offer_probability", "cxlens_offer_expected_value",
                        "cxlens_offer_reason", "cxlens_other_offers"],
}  # fmt: skip
SALESFORCE_FIELDS = {
    "detractors": ["Cxlens_Customer_Id__c", "Cxlens_Last_Nps__c", "Cxlens_Nps_Date__c",
                   "Cxlens_Nps_Touchpoint__c", "Cxlens_Nps_Comment__c",
                   "Cxlens_Nps_Response_Id__c"],
    "churn-risk": ["Cxlens_Customer_Id__c", "Cxlens_Churn_Rank__c",
                   "Cxlens_Churn_Probability__c", "Cxlens_Churn_Risk_Band__c", "Cxlens_Clv__c",
                   "Cxlens_Value_At_Risk__c", "Cxlens_Churn_Reason_1__c",
                   "Cxlens_Churn_Reason_2__c", "Cxlens_Churn_Reason_3__c"],
    "next-best-offer": ["Cxlens_Customer_Id__c", "Cxlens_Next_Best_Offer__c",
                        "Cxlens_Offer_Probability__c", "Cxlens_Offer_Expected_Value__c",
                        "Cxlens_Offer_Reason__c", "Cxlens_Other_Offers__c"],
}  # fmt: skip
EXPECTED_HEADERS = {
    **{(k, "hubspot"): [*HUBSPOT_CONTACT, *v] for k, v in HUBSPOT_FIELDS.items()},
    **{(k, "salesforce"): [*SALESFORCE_CONTACT, *v] for k, v in SALESFORCE_FIELDS.items()},
}


def _read(path, encoding="utf-8") -> tuple[list[str], list[dict[str, str]]]:
    with open(path, encoding=encoding, newline="") as fh:
        reader = csv.DictReader(fh)
        return list(reader.fieldnames or []), list(reader)


@pytest.mark.parametrize(("name", "fmt"), sorted(EXPECTED_HEADERS))
def test_exact_headers_per_layout(name, fmt):
    assert headers(name, fmt) == EXPECTED_HEADERS[(name, fmt)]
    # Salesforce custom field API names: letters, digits, single underscores, end in __c
    for h in EXPECTED_HEADERS[(name, fmt)]:
        if fmt == "salesforce" and h.endswith("__c"):
            assert len(h) <= 40 and "__" not in h[:-3] and h[0].isalpha()


def test_hand_detractors_hubspot_file_round_trips_non_ascii(hand_ws, tmp_path):
    out = tmp_path / "callbacks.csv"
    result = export(hand_ws, "detractors", "hubspot", out, days=30)
    head, rows = _read(out)
    assert head == EXPECTED_HEADERS[("detractors", "hubspot")]
    assert not out.read_bytes().startswith(b"\xef\xbb\xbf")  # plain UTF-8 by default
    # C3, C2, C5, C4 are on the list; C5 has no identity, C4 no e-mail or phone
    assert [r["cxlens_customer_id"] for r in rows] == ["C3", "C2"]
    assert result.excluded.values.tolist() == [
        ["C5", "no identity record"], ["C4", "no e-mail or phone"],
    ]  # fmt: skip
    c3, c2 = rows
    assert (c3["Email"], c3["First Name"], c3["Last Name"], c3["Phone Number"]) == (
        "wang.wei@example.cn", "", "王伟", "+8613812345678",
    )  # fmt: skip
    assert c3["Country/Region"] == "China" and c3["cxlens_last_nps"] == "1"
    assert c3["cxlens_nps_date"] == "2025-06-28"
    # a comment that starts like a formula is defused; the Chinese text survives
    assert c3["cxlens_nps_comment"] == '\'=HYPERLINK("http://x") 服务很差'
    assert (c2["Email"], c2["First Name"], c2["Last Name"]) == ("boris@web.example", "Boris",
                                                                "Petrov")  # fmt: skip
    assert c2["cxlens_nps_comment"] == "Charged twice! Call me on [PHONE]"
    # the file is exactly the returned table
    back = pd.read_csv(out, dtype=str, keep_default_na=False)
    assert back.values.tolist() == result.table.fillna("").astype(str).values.tolist()


def test_salesforce_layout_with_a_bom_for_excel(hand_ws, tmp_path):
    out = tmp_path / "sf.csv"
    result = export(hand_ws, "detractors", "salesforce", out, days=30, bom=True)
    assert out.read_bytes().startswith(b"\xef\xbb\xbfFirstName,LastName,Email,")
    head, rows = _read(out, encoding="utf-8-sig")
    assert head == EXPECTED_HEADERS[("detractors", "salesforce")]
    assert [(r["FirstName"], r["LastName"], r["Cxlens_Customer_Id__c"]) for r in rows] == [
        ("", "王伟", "C3"), ("Boris", "Petrov", "C2"),
    ]  # fmt: skip
    assert len(result.table) + len(result.excluded) == 4


def test_salesforce_needs_a_last_name(hand_ws, tmp_path):
    frame = pd.DataFrame({"customer_id": ["C1"], "nps": [3], "responded_at": ["2025-06-02"],
                          "touchpoint": ["billing"], "comment": [None],
                          "response_id": ["r1"]})  # fmt: skip
    ok = export(hand_ws, "detractors", "salesforce", frame=frame)
    assert ok.table["LastName"].tolist() == ["Иванова"] and ok.excluded.empty
    # with the web record preferred, C1's web name is "anna i": a last name "i" still counts
    assert export(hand_ws, "detractors", "salesforce", frame=frame,
                  prefer=["web"]).table["LastName"].tolist() == ["i"]  # fmt: skip


@pytest.fixture(scope="module")
def sample_lists(sample):
    ws, _ = sample
    targets = ws.models.retention_targets(churn=ws.models.churn(model=ChurnModel(n_jobs=1)))
    return churn_risk(ws, targets=targets), next_best_offer(ws)


def test_churn_risk_rows_equal_the_python_list_with_crm_contacts(sample, sample_lists, tmp_path):
    ws, data = sample
    risk, _ = sample_lists
    out = tmp_path / "risk.csv"
    result = export(ws, "churn-risk", "hubspot", out, frame=risk)
    head, rows = _read(out)
    assert head == EXPECTED_HEADERS[("churn-risk", "hubspot")]
    assert len(rows) + len(result.excluded) == len(risk) and result.excluded.empty
    got = pd.DataFrame(rows)
    assert got["cxlens_customer_id"].tolist() == risk["customer_id"].tolist()  # same order
    assert got["cxlens_churn_rank"].astype(int).tolist() == risk["rank"].tolist()
    assert got["cxlens_churn_probability"].astype(float).round(4).tolist() == (
        risk["churn_probability"].round(4).tolist()
    )
    assert got["cxlens_value_at_risk"].astype(float).tolist() == pytest.approx(
        risk["value_at_risk"].tolist(), abs=0.005
    )
    assert got["cxlens_churn_reason_1"].tolist() == risk["reason_1"].fillna("").tolist()
    # PII comes only from identities, the CRM record of each customer
    ident = data.tables["identities"]
    crm = ident[ident["source"] == "crm"].set_index("customer_id").loc[risk["customer_id"]]
    assert got["Email"].tolist() == crm["email"].tolist()
    assert got["Phone Number"].tolist() == crm["phone"].tolist()
    names = (got["First Name"] + " " + got["Last Name"]).str.strip()
    assert names.tolist() == crm["name"].tolist()
    assert any(not n.isascii() for n in names)  # Cyrillic and Chinese names round-trip


def test_next_best_offer_salesforce_rows_equal_the_python_list(sample, sample_lists, tmp_path):
    ws, _ = sample
    _, nbo = sample_lists
    out = tmp_path / "nbo.csv"
    result = export(ws, "next-best-offer", "salesforce", out, frame=nbo)
    head, rows = _read(out)
    assert head == EXPECTED_HEADERS[("next-best-offer", "salesforce")]
    got = pd.DataFrame(rows)
    assert len(got) + len(result.excluded) == len(nbo) and len(got) > 100
    assert got["Cxlens_Customer_Id__c"].tolist() == nbo["customer_id"].tolist()
    assert got["Cxlens_Next_Best_Offer__c"].tolist() == nbo["offer"].tolist()
    assert got["Cxlens_Other_Offers__c"].tolist() == nbo["other_offers"].fillna("").tolist()
    assert got["Cxlens_Offer_Expected_Value__c"].astype(float).tolist() == pytest.approx(
        nbo["offer_expected_value"].tolist(), abs=0.005
    )
    assert (got["LastName"] != "").all()


def test_unknown_format_and_list_are_refused(hand_ws):
    with pytest.raises(ArgumentError, match="hubspot, salesforce"):
        export(hand_ws, "detractors", "marketo")
    with pytest.raises(ArgumentError, match="unknown target list"):
        custom_field("x", "hubspot") and headers("vip", "hubspot")
    with pytest.raises(ArgumentError, match="lacks column"):
        export(hand_ws, "churn-risk", "hubspot", frame=pd.DataFrame({"customer_id": ["C1"]}))


def test_docstring_examples_run():
    result = doctest.testmod(exports_module, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0 and result.failed == 0
