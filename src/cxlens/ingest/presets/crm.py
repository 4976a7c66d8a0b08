"""CRM contact exports (HubSpot, Salesforce) -> identities, one record per contact.

HubSpot's "Export" of the contacts view writes one header row of property labels: ``Record
ID``, ``First Name``, ``Last Name``, ``Email``, ``Phone Number``, ``Street Address``,
``City``, ``Postal Code``, ``Country/Region``, ``Create Date``, ``Last Modified Date``...
(dates ``YYYY-MM-DD hh:mm`` in the portal's time zone; UTC assumed unless you give
``timezone``). Salesforce's Data Loader / Data Export writes the Contact object with API
field names (``Id``, ``FirstName``, ``LastName``, ``Name``, ``Email``, ``Phone``,
``MailingStreet``, ``MailingPostalCode``, ``MailingCity``, ``MailingCountry``,
``Birthdate``, ``LastModifiedDate`` as ``2024-01-15T10:32:11.000Z``); Data Loader writes
them in capitals, so Salesforce headers compare without case.
"""

from __future__ import annotations

from typing import ClassVar

import pandas as pd

from cxlens.ingest.presets.base import Preset, source_of, to_utc
from cxlens.ingest.readers import HeaderRows


class _Contacts(Preset):
    """Shared by the CRM presets: a constant ``source``, ``updated_at`` to UTC."""

    table: ClassVar[str] = "identities"

    def columns(self, names: list[str], header: HeaderRows) -> dict[str, str]:
        """Return the contact fields present, plus the constant ``source`` the transform writes."""
        return {**super().columns(names, header), "source": "source"}

    def transform(self, chunk: pd.DataFrame, columns: dict[str, str]) -> pd.DataFrame:
        """Write ``source``; read ``updated_at`` in the tool's zone."""
        chunk["source"] = self.name
        updated = source_of(columns, "updated_at")
        if updated is not None:
            chunk[updated] = to_utc(chunk[updated], self.zone)
        return chunk


class HubSpot(_Contacts):
    """HubSpot contacts export -> identities (source "hubspot", source_id = Record ID).

    Example:
        >>> HubSpot().columns(["Record ID", "Email"], None)
        {'Record ID': 'source_id', 'Email': 'email', 'source': 'source'}
    """

    name: ClassVar[str] = "hubspot"
    title: ClassVar[str] = "HubSpot contacts"
    formats: ClassVar[tuple[str, ...]] = ("csv", "xlsx")
    expected: ClassVar[dict[int, tuple[str, ...]]] = {1: ("Record ID", "Email")}
    renames: ClassVar[dict[str, str]] = {
        "Record ID": "source_id",
        "Email": "email",
        "Phone Number": "phone",
        "First Name": "first_name",
        "Last Name": "last_name",
        "Street Address": "address",
        "Postal Code": "postcode",
        "City": "city",
        "Country/Region": "country",
        "Last Modified Date": "updated_at",
    }
    docs: ClassVar[tuple[str, ...]] = (
        "https://knowledge.hubspot.com/import-and-export/export-records",
        "https://knowledge.hubspot.com/crm-setup/set-up-your-import-file",
    )


class Salesforce(_Contacts):
    """Salesforce Contact export (API field names) -> identities (source "salesforce").

    Example:
        >>> Salesforce().names(HeaderRows((("ID", "EMAIL", "LASTNAME"),), (1,), "csv"))
        ['Id', 'Email', 'LastName']
    """

    name: ClassVar[str] = "salesforce"
    title: ClassVar[str] = "Salesforce contacts"
    expected: ClassVar[dict[int, tuple[str, ...]]] = {1: ("Id", "LastName", "Email")}
    renames: ClassVar[dict[str, str]] = {
        "Id": "source_id",
        "Email": "email",
        "Phone": "phone",
        "Name": "name",
        "FirstName": "first_name",
        "LastName": "last_name",
        "MailingStreet": "address",
        "MailingPostalCode": "postcode",
        "MailingCity": "city",
        "MailingCountry": "country",
        "Birthdate": "birth_date",
        "LastModifiedDate": "updated_at",
    }
    docs: ClassVar[tuple[str, ...]] = (
        "https://developer.salesforce.com/tools/data-loader",
        "https://developer.salesforce.com/docs/atlas.en-us.object_reference.meta/"
        "object_reference/sforce_api_objects_contact.htm",
    )

    def cells(self, header: HeaderRows, row: int) -> list[str]:
        """Compare headers in the API's own case, whatever case the file uses."""
        return self.names(header) if row == 1 else super().cells(header, row)

    def names(self, header: HeaderRows) -> list[str]:
        """Give each known API field its documented case (Data Loader writes capitals)."""
        known = {k.lower(): k for k in self.renames}
        return [known.get(h.lower(), h) for h in header.rows[0]]
