"""Qualtrics response export (CSV): three header rows.

Row 1: the export tags (StartDate, ResponseId, Q1, Q3_NPS_GROUP...); row 2: the question
texts; row 3: each column's ImportId as JSON, ``{"ImportId":"QID1"}``, with the time zone
on the date columns, ``{"ImportId":"recordedDate","timeZone":"America/Denver"}``. Columns
are named by their ImportId (``_recordId`` as ``recordId``), stable when questions are
renumbered or retagged; the NPS question is found by its text in row 2, and RecordedDate is
read in the zone row 3 names.
"""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path
from typing import ClassVar

import pandas as pd

from cxlens.errors import MappingError
from cxlens.ingest.presets.base import (
    Preset,
    leading_number,
    source_of,
    survey_columns,
    to_utc,
    unique_names,
)
from cxlens.ingest.readers import HeaderRows

DATE_FORMAT = "%Y-%m-%d %H:%M:%S"


class Qualtrics(Preset):
    """Qualtrics CSV export -> responses.

    Example:
        >>> Qualtrics().import_ids(HeaderRows((("ResponseId",), ("Response ID",),
        ...                                    ('{"ImportId":"_recordId"}',)), (1, 2, 3), "csv"))
        ['_recordId']
    """

    name: ClassVar[str] = "qualtrics"
    title: ClassVar[str] = "Qualtrics"
    table: ClassVar[str] = "responses"
    header_rows: ClassVar[int] = 3
    expected: ClassVar[dict[int, tuple[str, ...]]] = {
        1: ("ResponseId", "RecordedDate"),
        3: ("_recordId", "recordedDate"),
    }
    renames: ClassVar[dict[str, str]] = {
        "recordId": "response_id",
        "recordedDate": "responded_at",
        "externalDataReference": "customer_id",
        "distributionChannel": "channel",
        "userLanguage": "language",
    }
    docs: ClassVar[tuple[str, ...]] = (
        "https://www.qualtrics.com/support/survey-platform/data-and-analysis-module/data/"
        "download-data/understanding-your-dataset/",
        "https://github.com/ropensci/qualtRics/issues/187",
    )

    def cells(self, header: HeaderRows, row: int) -> list[str]:
        """Row 3 compares by ImportId; rows 1 and 2 as written."""
        if row == 3 and len(header.rows) >= 3:
            return [_import_id(c)[0] or "" for c in header.rows[2]]
        return super().cells(header, row)

    def detect(self, header: HeaderRows) -> bool:
        """Row 1 has ResponseId and row 3 starts with an ImportId JSON object."""
        return super().detect(header) and _import_id(header.rows[2][0])[0] is not None

    def import_ids(self, header: HeaderRows, path: Path | None = None) -> list[str]:
        """Return each column's ImportId from row 3; a cell without one is an error."""
        ids = []
        for i, cell in enumerate(header.rows[2]):
            found, _ = _import_id(cell)
            if found is None:
                raise MappingError(
                    f"{path or 'file'}: header row 3 should hold each column's ImportId as "
                    f'JSON (e.g. {{"ImportId":"QID1"}}); column {i + 1} '
                    f"({header.rows[0][i]!r}) has {cell!r}. Export from Qualtrics as CSV "
                    "with the default three header rows."
                )
            ids.append(found)
        return ids

    def names(self, header: HeaderRows) -> list[str]:
        """Name each column by its ImportId ("_recordId" as "recordId").

        A leading "_" marks cxlens's own reader columns, so it is dropped.
        """
        return unique_names([i.lstrip("_") or i for i in self.import_ids(header)])

    def columns(self, names: list[str], header: HeaderRows) -> dict[str, str]:
        """Return the response fields, plus the NPS question (not its _NPS_GROUP) and its reason."""
        found = super().columns(names, header)
        texts = (list(header.rows[1]) + [""] * len(names))[: len(names)]
        answers = [
            (n, t) for n, t in zip(names, texts, strict=True)
            if not n.upper().endswith("_NPS_GROUP")
        ]  # fmt: skip
        found.update(survey_columns([n for n, _ in answers], [t for _, t in answers]))
        zones = {n: _import_id(c)[1] for n, c in zip(names, header.rows[2], strict=False)}
        self._zone = zones.get("recordedDate")
        return found

    def transform(self, chunk: pd.DataFrame, columns: dict[str, str]) -> pd.DataFrame:
        """RecordedDate to UTC in the file's zone; NPS to its number; language to a code."""
        zone = getattr(self, "_zone", None)
        zone = self.timezone or ("UTC" if zone in (None, "", "Z") else zone)
        chunk["recordedDate"] = to_utc(chunk["recordedDate"], zone, DATE_FORMAT)
        nps = source_of(columns, "nps")
        if nps is not None:
            chunk[nps] = leading_number(chunk[nps])
        if "userLanguage" in chunk.columns:  # "EN", "ZH-S", "PT-BR" -> en, zh, pt
            chunk["userLanguage"] = chunk["userLanguage"].str.split("-").str[0].str.lower()
        return chunk


def _import_id(cell: str) -> tuple[str | None, str | None]:
    """Return (ImportId, timeZone) of a row-3 cell, or (None, None) when it is not one."""
    try:
        value = json.loads(cell)
    except (json.JSONDecodeError, TypeError):
        return None, None
    if not isinstance(value, dict) or "ImportId" not in value:
        return None, None
    return str(value["ImportId"]), value.get("timeZone")


#: The response fields of the legacy export and their canonical columns.
_LEGACY_RENAMES = {
    "ResponseID": "response_id",
    "EndDate": "responded_at",  # the legacy export has no RecordedDate; EndDate is submission
    "ExternalDataReference": "customer_id",
}


class QualtricsLegacy(Preset):
    """The legacy Qualtrics CSV export (before 2017) with three header rows -> responses.

    Row 1: ResponseID, ResponseSet, StartDate, EndDate, ExternalDataReference... and the
    question tags; row 2: the question texts; row 3: the ImportId as a Python-style dict in
    single quotes, ``{'ImportId': 'responseId'}``. Columns keep their row-1 names; dates are
    in the account's zone (UTC unless given).

    Example:
        >>> rows = (("ResponseID", "ResponseSet", "EndDate"), ("", "", ""),
        ...         ("{'ImportId': 'responseId'}", "{'ImportId': 'responseSetId'}",
        ...          "{'ImportId': 'endDate'}"))
        >>> QualtricsLegacy().detect(HeaderRows(rows, (1, 2, 3), "csv"))
        True
    """

    name: ClassVar[str] = "qualtrics_legacy"
    title: ClassVar[str] = "Qualtrics (legacy export)"
    table: ClassVar[str] = "responses"
    tool: ClassVar[str] = "qualtrics_legacy"
    header_rows: ClassVar[int] = 3
    expected: ClassVar[dict[int, tuple[str, ...]]] = {1: ("ResponseID", "ResponseSet", "EndDate")}
    renames: ClassVar[dict[str, str]] = _LEGACY_RENAMES
    docs: ClassVar[tuple[str, ...]] = (
        "https://github.com/ropensci/qualtRics/blob/master/R/read_survey.R",
        "https://github.com/ropensci/qualtRics/issues/187",
    )

    def detect(self, header: HeaderRows) -> bool:
        """Row 1 has ResponseID and ResponseSet; row 3 starts with a single-quoted ImportId."""
        return super().detect(header) and _legacy_import_id(header.rows[2][0]) is not None

    def names(self, header: HeaderRows) -> list[str]:
        """Row 1's names, blank ones (a trailing comma) hidden as reader columns."""
        return _named(list(header.rows[0]))

    def columns(self, names: list[str], header: HeaderRows) -> dict[str, str]:
        """Return the response fields plus the NPS question and its reason, found by text."""
        found = super().columns(names, header)
        texts = (list(header.rows[1]) + [""] * len(names))[: len(names)]
        found.update(survey_columns(names, texts))
        return found

    def transform(self, chunk: pd.DataFrame, columns: dict[str, str]) -> pd.DataFrame:
        """EndDate to UTC in the account's zone; NPS "10 - Extremely likely" to 10."""
        chunk["EndDate"] = to_utc(chunk["EndDate"], self.zone, DATE_FORMAT)
        nps = source_of(columns, "nps")
        if nps is not None:
            chunk[nps] = leading_number(chunk[nps])
        return chunk


class QualtricsLegacyV(QualtricsLegacy):
    """The oldest Qualtrics CSV layout: two header rows, V1..V10 then the question texts.

    Row 1: ``V1 .. V10`` for the response fields and ``Q1, Q2...`` for the questions;
    row 2: ResponseID, ResponseSet, Name, ExternalDataReference, EmailAddress, IPAddress,
    Status, StartDate, EndDate, Finished, then the question texts. Response fields are named
    by row 2, questions by row 1 (their texts can repeat).

    Example:
        >>> QualtricsLegacyV().names(HeaderRows((("V1", "Q1"), ("ResponseID", "Why?")),
        ...                                      (1, 2), "csv"))
        ['ResponseID', 'Q1']
    """

    name: ClassVar[str] = "qualtrics_legacy_v"
    title: ClassVar[str] = "Qualtrics (legacy V1..V10 export)"
    header_rows: ClassVar[int] = 2
    expected: ClassVar[dict[int, tuple[str, ...]]] = {
        1: ("V1", "V2", "V8", "V9"),
        2: ("ResponseID", "ResponseSet", "EndDate"),
    }

    def detect(self, header: HeaderRows) -> bool:
        """Row 1 starts V1, V2...; row 2 names ResponseID, ResponseSet and EndDate."""
        return Preset.detect(self, header)

    def names(self, header: HeaderRows) -> list[str]:
        """Row 2's field name under a V-tag, else row 1's question tag."""
        tags, fields = list(header.rows[0]), (list(header.rows[1]) + [""] * len(header.rows[0]))
        return _named(
            [f if re.fullmatch(r"V\d+", t) else t for t, f in zip(tags, fields, strict=False)]
        )


def _named(names: list[str]) -> list[str]:
    """Return the names made unique; a blank one (a trailing comma) becomes a hidden column."""
    return unique_names([n if n else f"_blank_{i + 1}" for i, n in enumerate(names)])


def _legacy_import_id(cell: str) -> str | None:
    """Return the ImportId of a legacy row-3 cell, ``{'ImportId': 'QID1'}``, or None."""
    try:
        value = ast.literal_eval(cell)
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return None
    if not isinstance(value, dict) or "ImportId" not in value:
        return None
    return str(value["ImportId"])
