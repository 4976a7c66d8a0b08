"""Typeform responses download (CSV): one header row.

Columns: ``#`` (the response token), one column per question (its title), one per hidden
field (its name), then ``Start Date (UTC)``, ``Submit Date (UTC)``, ``Network ID`` (and in
newer exports ``Tags``, ``Ending``). Dates are ``YYYY-MM-DD hh:mm:ss`` in UTC, as the
headers say. A hidden field named ``customer_id`` loads as the customer id.
"""

from __future__ import annotations

from typing import ClassVar

import pandas as pd

from cxlens.ingest.presets.base import Preset, leading_number, source_of, survey_columns, to_utc
from cxlens.ingest.readers import HeaderRows

DATE_FORMAT = "%Y-%m-%d %H:%M:%S"


class Typeform(Preset):
    """Typeform CSV download -> responses.

    Example:
        >>> Typeform().columns(["#", "Submit Date (UTC)"], None)
        {'#': 'response_id', 'Submit Date (UTC)': 'responded_at'}
    """

    name: ClassVar[str] = "typeform"
    title: ClassVar[str] = "Typeform"
    table: ClassVar[str] = "responses"
    expected: ClassVar[dict[int, tuple[str, ...]]] = {
        1: ("#", "Start Date (UTC)", "Submit Date (UTC)", "Network ID"),
    }
    renames: ClassVar[dict[str, str]] = {"#": "response_id", "Submit Date (UTC)": "responded_at"}
    docs: ClassVar[tuple[str, ...]] = (
        "https://www.typeform.com/help/a/download-your-results-360029257472/",
    )

    def columns(self, names: list[str], header: HeaderRows) -> dict[str, str]:
        """Return the token and submit date, plus the NPS question and its reason."""
        found = super().columns(names, header)
        found.update(survey_columns(names))
        return found

    def transform(self, chunk: pd.DataFrame, columns: dict[str, str]) -> pd.DataFrame:
        """Submit Date (UTC) to ISO; the NPS answer to its number."""
        chunk["Submit Date (UTC)"] = to_utc(chunk["Submit Date (UTC)"], "UTC", DATE_FORMAT)
        nps = source_of(columns, "nps")
        if nps is not None:
            chunk[nps] = leading_number(chunk[nps])
        return chunk
