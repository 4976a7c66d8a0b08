"""The Preset type: how one tool's export is read and mapped onto a canonical table.

A preset knows the tool's file layout (how many header rows, how they combine into column
names), which headers a real export always has (checked before any work, with the header
row they belong on), the column renames, and a ``transform`` for what a rename cannot say:
the tool's date format and time zone, composite ids, nested records, repeated order fields.
The transform runs on the text chunks the readers yield, before validation, so bad values
still reach quarantine with their own reasons and source rows.
"""

from __future__ import annotations

import hashlib
import re
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import ClassVar

import pandas as pd

from cxlens.errors import MappingError
from cxlens.ingest.mapping import Mapping
from cxlens.ingest.readers import HeaderRows, SourceFile, read_header_rows

#: A transform sets this column True on a row that is not a record of the table (a Zendesk
#: ticket with no satisfaction rating, for the responses preset): skipped and counted.
SKIP = "_skip"
#: Question text that marks the Net Promoter question (the standard wording).
NPS_TEXT = "how likely are you to recommend"
#: Question text that marks the usual follow-up to it, loaded as the comment.
REASON_TEXT = "reason for your score"
_LEADING_NUMBER = re.compile(r"^\s*(\d+(?:[.,]\d+)?)(?:\s|$|-|–)")


@dataclass(frozen=True)
class Plan:
    """What a preset decided for one file: its column names, its mapping, its transform.

    ``columns`` is the preset's own source -> canonical mapping (what the transform relies
    on); ``mapping`` is that merged with the user's mapping, which wins.
    """

    preset: Preset
    header: HeaderRows
    names: tuple[str, ...] | None
    columns: dict[str, str]
    mapping: Mapping

    def rewrite(self, chunks: Iterator[pd.DataFrame]) -> Iterator[pd.DataFrame]:
        """Yield the chunks as the preset transforms them."""
        return self.preset.rewrite(chunks, self.columns)


@dataclass
class Preset:
    """One tool's export format. Subclasses set the class attributes and override hooks.

    ``timezone`` is the zone the tool writes local times in (an IANA name); ``dayfirst``
    says a local date is written day first (Google Forms in most locales outside the US).

    Example:
        >>> from cxlens.ingest.presets import get_preset
        >>> get_preset("qualtrics").table
        'responses'
    """

    timezone: str | None = None
    dayfirst: bool = False

    name: ClassVar[str]
    title: ClassVar[str]
    table: ClassVar[str]
    #: The tool, shared by presets that read one export into different tables (Zendesk).
    tool: ClassVar[str] = ""
    formats: ClassVar[tuple[str, ...]] = ("csv",)
    header_rows: ClassVar[int] = 1
    #: header row number -> headers every export has on that row
    expected: ClassVar[dict[int, tuple[str, ...]]] = {}
    #: source header -> canonical column, for the headers present in the file
    renames: ClassVar[dict[str, str]] = {}
    #: the zone assumed when neither the file nor the user says one
    default_timezone: ClassVar[str] = "UTC"
    docs: ClassVar[tuple[str, ...]] = ()
    #: False for a second preset of an export another preset detects (it is chosen by name)
    auto: ClassVar[bool] = True

    # -- hooks -----------------------------------------------------------------------------

    def names(self, header: HeaderRows) -> list[str]:
        """Return the column names, one per column, from the header rows."""
        return list(header.rows[0])

    def columns(self, names: list[str], header: HeaderRows) -> dict[str, str]:
        """Return ``{source column: canonical column}`` for this file."""
        return {s: t for s, t in self.renames.items() if s in names}

    def transform(self, chunk: pd.DataFrame, columns: dict[str, str]) -> pd.DataFrame:
        """Return one chunk rewritten: dates to UTC ISO text, derived columns added."""
        return chunk

    def rewrite(
        self, chunks: Iterator[pd.DataFrame], columns: dict[str, str]
    ) -> Iterator[pd.DataFrame]:
        """Yield each chunk transformed (a preset that carries state across chunks overrides)."""
        for chunk in chunks:
            yield self.transform(chunk.copy(), columns)

    def detect(self, header: HeaderRows) -> bool:
        """Return True when the header rows look like this tool's export (never if not ``auto``)."""
        if not self.auto or header.format not in self.formats:
            return False
        if len(header.rows) < self.header_rows:
            return False
        return not any(self._missing(header, row, want) for row, want in self.expected.items())

    # -- shared machinery ------------------------------------------------------------------

    @property
    def zone(self) -> str:
        """The time zone local times are read in."""
        return self.timezone or self.default_timezone

    def plan(
        self,
        path: Path,
        user: Mapping | None = None,
        *,
        encoding: str | None = None,
        delimiter: str | None = None,
    ) -> Plan:
        """Read the file's header rows, check them, and decide names, mapping and transform.

        Raises MappingError naming the missing headers and the header row they belong on.

        Example:
            >>> get_preset("typeform").plan(Path("typeform.csv")).mapping.columns  # doctest: +SKIP
            {'#': 'response_id', 'Submit Date (UTC)': 'responded_at', ...}
        """
        if user is not None and user.table != self.table:
            raise MappingError(
                f"the {self.title} preset loads table '{self.table}'; the mapping given is "
                f"for '{user.table}'"
            )
        probe = SourceFile(
            path,
            encoding=encoding or (user.encoding if user else None),
            delimiter=delimiter or (user.delimiter if user else None),
            sheet=user.sheet if user else None,
        )
        if probe.format not in self.formats:
            raise MappingError(
                f"{path}: the {self.title} preset reads {', '.join(self.formats)} files, "
                f"not .{probe.path.suffix.lstrip('.')}"
            )
        header = read_header_rows(probe, self.header_rows)
        self.check(path, header)
        names = self.names(header)
        columns = self.columns(names, header)
        mapping = merge(Mapping(table=self.table, columns=dict(columns)), user)
        # several header rows are always skipped by name, even when row 1 gives the names
        single = self.header_rows == 1 and names == list(header.rows[0])
        renamed = None if single else tuple(names)
        return Plan(self, header, renamed, columns, mapping)

    def check(self, path: Path, header: HeaderRows) -> None:
        """Raise MappingError when a header row lacks what every export of the tool has."""
        if len(header.rows) < self.header_rows:
            raise MappingError(
                f"{path}: a {self.title} export has {self.header_rows} header rows; this file "
                f"has {len(header.rows)} row(s) in all. Export it again from {self.title} "
                "with the default settings, or load it with a mapping instead of the preset."
            )
        for row, want in self.expected.items():
            missing = self._missing(header, row, want)
            if missing:
                have = [h for h in header.rows[row - 1] if h][:12]
                raise MappingError(
                    f"{path}: header row {self._row_label(header, row)} does not match the "
                    f"{self.title} export: missing {missing}; the row has {have}. Check that "
                    f"the file is the tool's own export, or load it with a mapping instead."
                )

    def _missing(self, header: HeaderRows, row: int, want: tuple[str, ...]) -> list[str]:
        have = set(self.cells(header, row))
        return [w for w in want if w not in have]

    def cells(self, header: HeaderRows, row: int) -> list[str]:
        """Return the cells of header row ``row`` (1-based) as the preset compares them."""
        return list(header.rows[row - 1]) if len(header.rows) >= row else []

    @staticmethod
    def _row_label(header: HeaderRows, row: int) -> str:
        if header.format in ("csv", "xlsx"):
            return str(row)
        if header.format == "jsonl":
            return f"{row} (the first record, line {header.lines[0]})"
        return f"{row} (the Parquet schema)"


class OwnColumns(Preset):
    """A preset whose transform writes every canonical column itself, named in ``OUTPUT``.

    Example:
        >>> from cxlens.ingest.presets import get_preset
        >>> get_preset("zendesk").columns([], None)["event_id"]
        'event_id'
    """

    #: The canonical columns the transform writes.
    OUTPUT: ClassVar[tuple[str, ...]] = ()

    def columns(self, names: list[str], header: HeaderRows) -> dict[str, str]:
        """Return the columns the transform writes, each mapped onto itself."""
        return {c: c for c in self.OUTPUT}


def with_row_columns(out: pd.DataFrame, chunk: pd.DataFrame) -> pd.DataFrame:
    """Return ``out`` with the reader's bookkeeping columns (``_source_row``...) of ``chunk``.

    A transform builds new columns; these carry each row's source line and problems on to
    validation and quarantine.

    Example:
        >>> chunk = pd.DataFrame({"Id": ["7"], "_source_row": [2]})
        >>> with_row_columns(pd.DataFrame({"event_id": ["z:7"]}), chunk).columns.tolist()
        ['event_id', '_source_row']
    """
    return pd.concat([out, chunk.filter(regex="^_")], axis=1)


def merge(base: Mapping, user: Mapping | None) -> Mapping:
    """Return ``base`` with the user's mapping laid over it (the user's renames win).

    A canonical column the user maps from another header is dropped from ``base`` so that
    no two sources fill it.
    """
    if user is None:
        return base
    taken = set(user.columns.values())
    columns = {s: t for s, t in base.columns.items() if t not in taken and s not in user.columns}
    columns.update(user.columns)
    # every other setting (reader options, missing tokens...) is the user's
    return replace(user, table=base.table, columns=columns, scales={**base.scales, **user.scales})


# -- helpers the tool modules share -----------------------------------------------------------


def to_utc(
    text: pd.Series, zone: str, fmt: str | None = None, *, dayfirst: bool = False
) -> pd.Series:
    """Return timestamps as ISO text in UTC, reading naive ones in ``zone``.

    ``fmt`` is the tool's strftime format (else a per-value guess). A value that does not
    parse keeps its text, so validation quarantines it with the value the file holds.

    Example:
        >>> to_utc(pd.Series(["01/15/2024 10:32:11 AM"]), "America/New_York",
        ...        "%m/%d/%Y %I:%M:%S %p").tolist()
        ['2024-01-15T15:32:11.000000+00:00']
    """
    clean = text.astype("string").str.strip()
    parsed = pd.Series(pd.NaT, index=text.index, dtype="datetime64[us, UTC]")
    present = clean.notna() & (clean != "")
    if present.any():
        values = clean[present].astype(str)
        parsed[present] = _parse(values, zone, fmt, dayfirst)
    out = parsed.dt.strftime("%Y-%m-%dT%H:%M:%S.%f+00:00").astype(object)
    return out.where(parsed.notna(), text.astype(object))


def _parse(values: pd.Series, zone: str, fmt: str | None, dayfirst: bool) -> pd.Series:
    if fmt is not None and "%z" in fmt:
        return pd.to_datetime(values, format=fmt, errors="coerce", utc=True)
    if fmt is not None:
        stamps = pd.to_datetime(values, format=fmt, errors="coerce")
        retry = stamps.isna()  # an XLSX cell comes as ISO text, not in the tool's format
        if retry.any():
            stamps[retry] = pd.to_datetime(values[retry], format="ISO8601", errors="coerce")
    else:
        stamps = pd.Series(pd.NaT, index=values.index, dtype="datetime64[us]")
        for i, value in values.items():  # per value: one export may mix offsets and none
            stamps[i] = _one(value, dayfirst, zone)
        return stamps.dt.tz_localize("UTC") if stamps.dt.tz is None else stamps
    return _localise(stamps, zone)


def _one(value: str, dayfirst: bool, zone: str) -> pd.Timestamp:
    try:
        with warnings.catch_warnings():  # dateutil reads 1/15/2024 month first: say nothing
            warnings.simplefilter("ignore", UserWarning)
            stamp = pd.Timestamp(pd.to_datetime(value, dayfirst=dayfirst))
    except (ValueError, TypeError, OverflowError):
        return pd.NaT
    if stamp.tzinfo is None:
        try:
            stamp = stamp.tz_localize(zone, ambiguous="NaT", nonexistent="NaT")
        except (ValueError, TypeError):
            return pd.NaT
    return stamp.tz_convert("UTC").tz_localize(None)


def _localise(stamps: pd.Series, zone: str) -> pd.Series:
    if getattr(stamps.dt, "tz", None) is not None:
        return stamps.dt.tz_convert("UTC")
    return stamps.dt.tz_localize(zone, ambiguous="NaT", nonexistent="NaT").dt.tz_convert("UTC")


def leading_number(text: pd.Series) -> pd.Series:
    """Return "10" for "10 - Extremely likely"; text without a leading number stays as is.

    Example:
        >>> leading_number(pd.Series(["10 - Extremely likely", "7", "n/a"])).tolist()
        ['10', '7', 'n/a']
    """
    found = text.astype("string").str.extract(_LEADING_NUMBER, expand=False)
    return found.astype(object).where(found.notna(), text.astype(object))


def find_question(names: list[str], texts: list[str], phrase: str) -> str | None:
    """Return the first column whose question text contains ``phrase`` (any case)."""
    for name, text in zip(names, texts, strict=True):
        if phrase in text.lower():
            return name
    return None


def survey_columns(names: list[str], texts: list[str] | None = None) -> dict[str, str]:
    """Return the NPS question (and its "reason for your score" follow-up) as nps / comment.

    ``texts`` are the question texts when the names are ids (Qualtrics); else the names.

    Example:
        >>> survey_columns(["How likely are you to recommend us to a friend?", "Why?"])
        {'How likely are you to recommend us to a friend?': 'nps'}
    """
    texts = texts if texts is not None else names
    found = {}
    nps = find_question(names, texts, NPS_TEXT)
    if nps is not None:
        found[nps] = "nps"
    reason = find_question(names, texts, REASON_TEXT)
    if reason is not None and reason != nps:
        found[reason] = "comment"
    return found


def source_of(columns: dict[str, str], target: str) -> str | None:
    """Return the source column that maps to ``target`` in ``columns``, if any."""
    for source, canonical in columns.items():
        if canonical == target:
            return source
    return None


def stable_id(prefix: str, *parts: pd.Series) -> pd.Series:
    """Return ``prefix`` + the first 16 hex digits of SHA-256 over the row's parts.

    For tools whose export has no record id (Google Forms): the same answers at the same
    second give the same id in every later export, so reloading a longer export adds only
    the new rows.

    Example:
        >>> stable_id("gforms:", pd.Series(["a"]), pd.Series(["b"])).str.len().tolist()
        [23]
    """
    joined = pd.concat([p.astype("string").fillna("") for p in parts], axis=1)
    return joined.apply(
        lambda row: prefix + hashlib.sha256("\x1f".join(row).encode("utf-8")).hexdigest()[:16],
        axis=1,
    ).astype(object)


def unique_names(names: list[str]) -> list[str]:
    """Return ``names`` with repeats made unique by a " (2)", " (3)"... suffix."""
    seen: dict[str, int] = {}
    out = []
    for name in names:
        seen[name] = seen.get(name, 0) + 1
        out.append(name if seen[name] == 1 else f"{name} ({seen[name]})")
    return out


def column(chunk: pd.DataFrame, name: str | None) -> pd.Series:
    """Return ``chunk[name]``, or an all-null column when the file does not have it."""
    if name is not None and name in chunk.columns:
        return chunk[name]
    return pd.Series(None, index=chunk.index, dtype=object)
