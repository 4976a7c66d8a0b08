"""Target lists as CSV files in the column layouts HubSpot and Salesforce import.

Layouts (header names as each tool's import maps them; see docs/actions.md for the sources):

* ``hubspot`` (Contacts import): ``Email``, ``First Name``, ``Last Name``, ``Phone Number``,
  ``Country/Region`` (HubSpot's default contact properties, matched by label), then the
  list's fields as custom properties named ``cxlens_<field>`` (internal names: create them
  in HubSpot once, e.g. ``cxlens_churn_probability``). HubSpot needs a first name, last
  name or e-mail in each row.
* ``salesforce`` (Contact, Data Import Wizard or Data Loader): ``FirstName``, ``LastName``,
  ``Email``, ``Phone``, ``MailingCountry`` (standard field API names), then custom fields
  ``Cxlens_<Field>__c`` (API names of custom fields end in ``__c``). Salesforce requires
  ``LastName``.

Contact details come only from ``identities`` (:func:`cxlens.actions.contacts.contacts`).
A customer of the list without a usable contact is not dropped silently: it is left out of
the file and listed in :attr:`ExportResult.excluded` with the reason.

Files are UTF-8 (both tools' documented encoding) with LF line ends and a header row; ``bom``
adds a byte-order mark for Excel users (Data Loader and HubSpot read UTF-8 without one).
Dates are written YYYY-MM-DD. A text cell starting with ``=``, ``+``, ``-``, ``@``, a tab or a
carriage return (other than a plain number, such as an E.164 phone) gets a leading apostrophe
so a spreadsheet does not run it as a formula (OWASP's advice against CSV injection,
:func:`cxlens.safe_export.neutralise`); survey comments are free text written by customers.
"""

from __future__ import annotations

import csv
import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from cxlens.actions.contacts import PREFERRED_SOURCES, contacts
from cxlens.actions.targets import TARGET_LISTS, target_list
from cxlens.errors import ArgumentError
from cxlens.safe_export import neutralise

FORMATS: tuple[str, ...] = ("hubspot", "salesforce")

#: Contact fields and their header in each layout.
CONTACT_HEADERS: dict[str, dict[str, str]] = {
    "hubspot": {"email": "Email", "first_name": "First Name", "last_name": "Last Name",
                "phone": "Phone Number", "country": "Country/Region"},
    "salesforce": {"first_name": "FirstName", "last_name": "LastName", "email": "Email",
                   "phone": "Phone", "country": "MailingCountry"},
}  # fmt: skip

#: Per list: list column -> custom field name (before the layout's prefix and suffix).
LIST_FIELDS: dict[str, dict[str, str]] = {
    "churn-risk": {
        "customer_id": "customer_id", "rank": "churn_rank",
        "churn_probability": "churn_probability", "risk_band": "churn_risk_band",
        "clv": "clv", "value_at_risk": "value_at_risk", "reason_1": "churn_reason_1",
        "reason_2": "churn_reason_2", "reason_3": "churn_reason_3",
    },
    "next-best-offer": {
        "customer_id": "customer_id", "offer": "next_best_offer",
        "offer_probability": "offer_probability", "offer_expected_value": "offer_expected_value",
        "offer_reason": "offer_reason", "other_offers": "other_offers",
    },
    "detractors": {
        "customer_id": "customer_id", "nps": "last_nps", "responded_at": "nps_date",
        "touchpoint": "nps_touchpoint", "comment": "nps_comment",
        "response_id": "nps_response_id",
    },
}  # fmt: skip

_DIGITS = {"churn_probability": 4, "offer_probability": 4}


@dataclass(frozen=True)
class ExportResult:
    """A target list laid out for a CRM import.

    Attributes:
        table: the rows written, with the layout's headers, in the list's order.
        excluded: customers of the list left out: customer_id and reason.
        list_name: which list.
        format: hubspot or salesforce.
        path: the file written, or None.
    """

    table: pd.DataFrame
    excluded: pd.DataFrame
    list_name: str
    format: str
    path: Path | None = None


def custom_field(name: str, fmt: str) -> str:
    """Return the custom field header of ``name`` in layout ``fmt``.

    Example:
        >>> custom_field("churn_probability", "hubspot")
        'cxlens_churn_probability'
        >>> custom_field("churn_probability", "salesforce")
        'Cxlens_Churn_Probability__c'
    """
    fmt = check_format(fmt)
    if fmt == "hubspot":
        return f"cxlens_{name}"
    return "Cxlens_" + "_".join(part.capitalize() for part in name.split("_")) + "__c"


def headers(list_name: str, fmt: str) -> list[str]:
    """Return the CSV header row of ``list_name`` in layout ``fmt``.

    Example:
        >>> headers("detractors", "salesforce")[:3]
        ['FirstName', 'LastName', 'Email']
    """
    fmt, key = check_format(fmt), check_list(list_name)
    fields = [custom_field(f, fmt) for f in LIST_FIELDS[key].values()]
    return list(CONTACT_HEADERS[fmt].values()) + fields


def layout(
    frame: pd.DataFrame,
    list_name: str,
    fmt: str,
    people: pd.DataFrame,
) -> ExportResult:
    """Lay a target list out for a CRM import, with contact details from ``people``.

    Args:
        frame: the list (see :mod:`cxlens.actions.targets`), one row per customer.
        list_name: churn-risk, next-best-offer or detractors.
        fmt: hubspot or salesforce.
        people: :func:`cxlens.actions.contacts.contacts` of the list's customers.

    Returns:
        ExportResult with the table (layout headers) and the excluded customers.

    Example:
        >>> f = pd.DataFrame({"customer_id": ["a"], "nps": [3], "responded_at": ["2025-01-02"],
        ...                   "touchpoint": ["billing"], "comment": ["slow"],
        ...                   "response_id": ["r1"]})
        >>> p = pd.DataFrame({"customer_id": ["a"], "email": ["a@x.org"], "phone": [None],
        ...                   "first_name": ["Ann"], "last_name": ["Lee"], "country": [None]})
        >>> layout(f, "detractors", "hubspot", p).table.iloc[0, :3].tolist()
        ['a@x.org', 'Ann', 'Lee']
    """
    fmt, key = check_format(fmt), check_list(list_name)
    missing = [c for c in LIST_FIELDS[key] if c not in frame.columns]
    if missing:
        raise ArgumentError(
            f"the {key} list lacks column(s) {', '.join(missing)}; build it with "
            f"cxlens.actions.targets (target_list(ws, {key!r}))"
        )
    by_id = people.drop_duplicates("customer_id").set_index("customer_id")
    rows: list[list[Any]] = []
    excluded: list[tuple[str, str]] = []
    for record in frame.to_dict("records"):
        cid = str(record["customer_id"])
        reason = _unusable(by_id, cid, fmt)
        if reason:
            excluded.append((cid, reason))
            continue
        person = by_id.loc[cid]
        row = [_cell(person.get(field), field) for field in CONTACT_HEADERS[fmt]]
        row += [_cell(record[col], col) for col in LIST_FIELDS[key]]
        rows.append(row)
    table = pd.DataFrame(rows, columns=headers(key, fmt), dtype=object)
    gone = pd.DataFrame(excluded, columns=["customer_id", "reason"])
    return ExportResult(table, gone, key, fmt)


def export(
    ws: Any,
    list_name: str,
    fmt: str,
    output: str | Path | None = None,
    *,
    frame: pd.DataFrame | None = None,
    prefer: Sequence[str] = PREFERRED_SOURCES,
    bom: bool = False,
    audit: Any = None,
    **list_options: Any,
) -> ExportResult:
    """Build a target list, add contact details from ``identities`` and write the CSV.

    Args:
        ws: the Workspace.
        list_name: churn-risk, next-best-offer or detractors.
        fmt: hubspot or salesforce.
        output: the CSV file to write (None: only return the table).
        frame: the list already built (else :func:`~cxlens.actions.targets.target_list`).
        prefer: identity sources in order of preference for the contact record.
        bom: start the file with a UTF-8 byte-order mark (for Excel).
        audit: an :class:`cxlens.api.audit.AuditLog` to record the export in (PII left
            the workspace).
        **list_options: passed to the list's function (days, as_of, top, bands...).

    Returns:
        ExportResult: the rows, the customers left out and why, and the path.

    Example:
        >>> result = export(ws, "detractors", "hubspot", "callbacks.csv", days=14)  # doctest: +SKIP
        >>> len(result.table), len(result.excluded)  # doctest: +SKIP
        (212, 9)
    """
    fmt, key = check_format(fmt), check_list(list_name)
    if frame is None:
        frame = target_list(ws, key, **list_options)
    people = contacts(ws, frame["customer_id"], prefer=prefer)
    result = layout(frame, key, fmt, people)
    if output is None:
        return result
    path = write_csv(result.table, output, bom=bom)
    if audit is not None:
        audit.record(
            "export", key_id="cli", workspace=_ws_name(ws), target=key,
            detail={"format": fmt, "rows": len(result.table),
                    "excluded": len(result.excluded), "file": str(path)},
        )  # fmt: skip
    return ExportResult(result.table, result.excluded, key, fmt, path)


def write_csv(table: pd.DataFrame, output: str | Path, *, bom: bool = False) -> Path:
    """Write ``table`` as UTF-8 CSV (header row, LF line ends, minimal quoting).

    Example:
        >>> write_csv(pd.DataFrame({"Email": ["a@x.org"]}), "/tmp/x.csv").name  # doctest: +SKIP
        'x.csv'
    """
    path = Path(output)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8-sig" if bom else "utf-8", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow([neutralise(str(c)) for c in table.columns])
        for row in table.itertuples(index=False):
            writer.writerow(["" if v is None else neutralise(v) for v in row])
    return path


def check_format(fmt: str) -> str:
    """Return ``fmt`` lower-cased after checking it is a known layout."""
    key = str(fmt).strip().lower()
    if key not in FORMATS:
        raise ArgumentError(f"unknown export format {fmt!r}; choose one of {', '.join(FORMATS)}")
    return key


def check_list(name: str) -> str:
    """Return the list's canonical name after checking it is known."""
    key = str(name).strip().lower().replace("_", "-")
    if key not in TARGET_LISTS:
        raise ArgumentError(
            f"unknown target list {name!r}; choose one of {', '.join(TARGET_LISTS)}"
        )
    return key


def _unusable(by_id: pd.DataFrame, cid: str, fmt: str) -> str | None:
    if cid not in by_id.index:
        return "no identity record"
    person = by_id.loc[cid]

    def has(field: str) -> bool:
        value = person.get(field)
        return isinstance(value, str) and bool(value.strip())

    if not (has("email") or has("phone")):
        return "no e-mail or phone"
    if fmt == "salesforce" and not has("last_name"):
        return "no last name (Salesforce requires LastName)"
    if fmt == "hubspot" and not (has("email") or has("first_name") or has("last_name")):
        return "no e-mail or name (HubSpot needs one of them)"
    return None


def _cell(value: Any, column: str) -> Any:
    if value is None or (not isinstance(value, str) and pd.api.types.is_scalar(value)
                         and pd.isna(value)):  # fmt: skip
        return None
    if isinstance(value, pd.Timestamp | dt.datetime | dt.date):
        return pd.Timestamp(value).date().isoformat()
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float) or (hasattr(value, "dtype") and "float" in str(value.dtype)):
        x = float(value)
        return None if not math.isfinite(x) else round(x, _DIGITS.get(column, 2))
    if hasattr(value, "item"):  # numpy integers
        return value.item()
    return neutralise(str(value))


def _ws_name(ws: Any) -> str:
    path = getattr(ws, "path", None)
    return Path(path).stem if path else str(getattr(getattr(ws, "engine", None), "name", "ws"))
