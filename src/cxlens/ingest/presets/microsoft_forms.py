"""Microsoft Forms responses ("Open in Excel" workbook, or that sheet saved as CSV).

Columns: ``ID``, ``Start time``, ``Completion time``, ``Email``, ``Name`` (``anonymous``
when the form does not record names), sometimes ``Last modified time``, ``Total points`` and
``Quiz feedback``, then one column per question (its title). ``ID`` counts 1, 2, 3... within
one form, so it is not unique across forms: the response id is ``msforms:`` + a hash of ID
and Start time (16 hex digits), the same in every later export of the form. In the
workbook the times are Excel date cells; saved as CSV they are written in the sheet's
locale, e.g. ``7/2/20 11:00:22`` (en_US, month first; pass ``dayfirst=True`` for
``02/07/2020 11:00:22``); the zone is the respondent's browser's as Forms shows it,
assumed UTC unless you give ``timezone``. Email and Name (PII) are not loaded.
"""

from __future__ import annotations

from typing import ClassVar

import pandas as pd

from cxlens.ingest.presets.base import (
    Preset,
    leading_number,
    source_of,
    stable_id,
    survey_columns,
    to_utc,
)
from cxlens.ingest.readers import ROW_PROBLEM, ROW_TEXT


class MicrosoftForms(Preset):
    """Microsoft Forms responses (XLSX or CSV) -> responses.

    Example:
        >>> MicrosoftForms().columns(["ID", "Completion time", "How likely are you to "
        ...                           "recommend us?"], None)["Completion time"]
        'responded_at'
    """

    name: ClassVar[str] = "microsoft_forms"
    title: ClassVar[str] = "Microsoft Forms"
    table: ClassVar[str] = "responses"
    formats: ClassVar[tuple[str, ...]] = ("csv", "xlsx")
    expected: ClassVar[dict[int, tuple[str, ...]]] = {
        1: ("ID", "Start time", "Completion time", "Email", "Name"),
    }
    renames: ClassVar[dict[str, str]] = {"Completion time": "responded_at"}
    docs: ClassVar[tuple[str, ...]] = (
        "https://support.microsoft.com/en-us/office/"
        "check-your-form-results-02859c9c-ab27-4bd8-8442-fa66a2cb4e2a",
    )

    def columns(self, names, header):  # type: ignore[no-untyped-def]
        """Return Completion time and a made id, plus the NPS question and its reason."""
        found = super().columns(names, header)
        found.update(survey_columns(names))
        found["response_id"] = "response_id"
        return found

    def transform(self, chunk: pd.DataFrame, columns: dict[str, str]) -> pd.DataFrame:
        """Make the id from ID and Start time; Completion time to UTC; NPS to its number."""
        chunk["response_id"] = stable_id("msforms:", chunk["ID"], chunk["Start time"])
        if ROW_PROBLEM in chunk.columns:  # a row with the wrong field count: id from its line
            broken = chunk[ROW_PROBLEM].notna()
            chunk.loc[broken, "response_id"] = stable_id("msforms:", chunk.loc[broken, ROW_TEXT])
        chunk["Completion time"] = to_utc(
            chunk["Completion time"], self.zone, dayfirst=self.dayfirst
        )
        nps = source_of(columns, "nps")
        if nps is not None:
            chunk[nps] = leading_number(chunk[nps])
        return chunk
