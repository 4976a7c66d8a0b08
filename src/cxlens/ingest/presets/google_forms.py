"""Google Forms responses (the linked sheet, or "Download responses (.csv)").

Columns: ``Timestamp``, then ``Email Address`` when the form collects it (PII: not loaded
into responses), then one column per question (its title). The timestamp is written in the
spreadsheet's locale and time zone, e.g. ``1/15/2024 10:32:11`` (en_US, month first) or
``15/01/2024 10:32:11`` (most other locales: pass ``dayfirst=True``); the zone is assumed
UTC unless you give ``timezone``. The export has no response id: each row's id is a hash of
its timestamp and answers (``gforms:`` + 16 hex digits), stable across later exports.
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
from cxlens.ingest.readers import ROW_PROBLEM, ROW_TEXT, HeaderRows


class GoogleForms(Preset):
    """Google Forms responses CSV -> responses.

    Example:
        >>> GoogleForms().columns(["Timestamp", "How likely are you to recommend us?"], None)
        {'Timestamp': 'responded_at', 'How likely are you to recommend us?': 'nps',
         'response_id': 'response_id'}
    """

    name: ClassVar[str] = "google_forms"
    title: ClassVar[str] = "Google Forms"
    table: ClassVar[str] = "responses"
    expected: ClassVar[dict[int, tuple[str, ...]]] = {1: ("Timestamp",)}
    renames: ClassVar[dict[str, str]] = {"Timestamp": "responded_at"}
    docs: ClassVar[tuple[str, ...]] = (
        "https://support.google.com/docs/answer/139706",
        "https://support.google.com/docs/answer/58515",
    )

    def detect(self, header: HeaderRows) -> bool:
        """Return True when the first column is Timestamp (Forms' sheet always starts so)."""
        return header.format == "csv" and bool(header.rows) and header.rows[0][0] == "Timestamp"

    def columns(self, names: list[str], header: HeaderRows) -> dict[str, str]:
        """Return the timestamp and a made id, plus the NPS question and its reason."""
        found = super().columns(names, header)
        found.update(survey_columns(names))
        found["response_id"] = "response_id"
        return found

    def transform(self, chunk: pd.DataFrame, columns: dict[str, str]) -> pd.DataFrame:
        """Make the id from the row's text; Timestamp to UTC; the NPS answer to its number."""
        answers = [c for c in chunk.columns if not c.startswith("_")]
        chunk["response_id"] = stable_id("gforms:", *(chunk[c] for c in answers))
        if ROW_PROBLEM in chunk.columns:  # a row with the wrong field count: id from its line
            broken = chunk[ROW_PROBLEM].notna()
            chunk.loc[broken, "response_id"] = stable_id("gforms:", chunk.loc[broken, ROW_TEXT])
        chunk["Timestamp"] = to_utc(chunk["Timestamp"], self.zone, dayfirst=self.dayfirst)
        nps = source_of(columns, "nps")
        if nps is not None:
            chunk[nps] = leading_number(chunk[nps])
        return chunk
