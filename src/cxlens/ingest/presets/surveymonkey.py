"""SurveyMonkey "All responses data" export (CSV or XLSX, expanded): two header rows.

Row 1 holds the respondent fields and each question's text, once, over all the columns of
that question; row 2 holds each column's answer option ("Response", "Open-Ended Response",
a choice label, "Other (please specify)"). They merge into one name per column: the
question alone for a single answer, "question - option" otherwise. Dates are written
``MM/DD/YYYY hh:mm:ss AM`` in the account's time zone (UTC unless you give ``timezone``).
"""

from __future__ import annotations

from typing import ClassVar

import pandas as pd

from cxlens.ingest.presets.base import (
    Preset,
    leading_number,
    source_of,
    survey_columns,
    to_utc,
    unique_names,
)
from cxlens.ingest.readers import HeaderRows

DATE_FORMAT = "%m/%d/%Y %I:%M:%S %p"
#: Row-2 labels that mean "the question's one answer": the column takes the question's name.
_SINGLE = {"", "response", "open-ended response"}


class SurveyMonkey(Preset):
    """SurveyMonkey responses export -> responses.

    Example:
        >>> SurveyMonkey().names(HeaderRows((("Respondent ID", "Q1", ""),
        ...                                  ("", "Response", "Other")), (1, 2), "csv"))
        ['Respondent ID', 'Q1', 'Q1 - Other']
    """

    name: ClassVar[str] = "surveymonkey"
    title: ClassVar[str] = "SurveyMonkey"
    table: ClassVar[str] = "responses"
    formats: ClassVar[tuple[str, ...]] = ("csv", "xlsx")
    header_rows: ClassVar[int] = 2
    expected: ClassVar[dict[int, tuple[str, ...]]] = {
        1: ("Respondent ID", "Collector ID", "Start Date", "End Date"),
    }
    renames: ClassVar[dict[str, str]] = {
        "Respondent ID": "response_id",
        "End Date": "responded_at",
        "Collector ID": "collector_id",
    }
    docs: ClassVar[tuple[str, ...]] = (
        "https://help.surveymonkey.com/en/analyze/exporting-responses/",
    )

    def names(self, header: HeaderRows) -> list[str]:
        """Merge the question row and the answer-option row into one name per column."""
        questions, options = header.rows[0], header.rows[1]
        names, current = [], ""
        for i, question in enumerate(questions):
            current = question or current  # a question spans its options' columns
            option = options[i] if i < len(options) else ""
            if not question and not current:
                names.append(option or f"column {i + 1}")
            elif option.lower() in _SINGLE:
                names.append(current)
            else:
                names.append(f"{current} - {option}")
        return unique_names(names)

    def columns(self, names: list[str], header: HeaderRows) -> dict[str, str]:
        """Return the respondent fields, plus the NPS question and its reason as nps / comment."""
        found = super().columns(names, header)
        found.update(survey_columns(names))
        return found

    def transform(self, chunk: pd.DataFrame, columns: dict[str, str]) -> pd.DataFrame:
        """End Date to UTC; an NPS answer written "10 - Extremely likely" to 10."""
        chunk["End Date"] = to_utc(chunk["End Date"], self.zone, DATE_FORMAT)
        nps = source_of(columns, "nps")
        if nps is not None:
            chunk[nps] = leading_number(chunk[nps])
        return chunk
