"""Zendesk Support tickets export (CSV, Admin Center > Reports > Export, or a view export).

One row per ticket with ``Id``, ``Requester``, ``Requester id``, ``Requester external id``,
``Requester email``, ``Subject``, ``Status``, ``Priority``, ``Via``, ``Created at``,
``Updated at``, ``Solved at``, ``Satisfaction Score``... Dates ``YYYY-MM-DD hh:mm:ss`` in
the account's time zone (UTC unless you give ``timezone``).

Two presets read it. ``zendesk`` -> events: one support touchpoint per ticket
(``event_id`` = ``zendesk:`` + Id, ``occurred_at`` = Created at, ``touchpoint`` =
"support", ``channel`` = Via, extras ``status``, ``priority``, ``satisfaction``).
``zendesk_csat`` -> responses: one CSAT answer per rated ticket, through the declared map
``good -> 5, bad -> 1`` (Zendesk asks a two-point question; these are the ends of the 1-5
scale, so CSAT top-2-box counts "good" and nothing else). Tickets whose rating is "offered",
"unoffered" or blank were not rated: skipped and counted, not quarantined; any other value
is quarantined. ``customer_id`` is the requester's external id, else ``zendesk:`` +
Requester id; the requester's email and name (PII) are not loaded.
"""

from __future__ import annotations

from typing import ClassVar

import pandas as pd

from cxlens.errors import MappingError
from cxlens.ingest.presets.base import SKIP, OwnColumns, column, to_utc, with_row_columns
from cxlens.ingest.readers import ROW_PROBLEM

#: The declared map from Zendesk's satisfaction rating to CSAT (1-5).
SATISFACTION = {"good": "5", "bad": "1"}
#: Ratings that mean the ticket was not rated: such rows are not responses.
NOT_RATED = {"", "offered", "unoffered", "not offered"}


#: The columns of a support event, from the tickets export and the Explore report alike.
EVENT_OUTPUT: tuple[str, ...] = (
    "event_id", "customer_id", "occurred_at", "touchpoint", "channel", "status", "priority",
    "satisfaction",
)  # fmt: skip


def zendesk_id(values: pd.Series) -> pd.Series:
    """Return ``zendesk:`` + each Zendesk id (null where it is missing).

    Tickets and requesters get the same ids from the tickets export and the Explore report,
    so a ticket in both is one event.

    Example:
        >>> zendesk_id(pd.Series(["17", None])).tolist()
        ['zendesk:17', None]
    """
    return ("zendesk:" + values.astype("string")).astype(object).where(values.notna(), None)


def rating(values: pd.Series) -> pd.Series:
    """Return Zendesk satisfaction ratings trimmed and lower-cased ("Good " -> "good").

    Example:
        >>> rating(pd.Series([" Good", "bad", None])).tolist()
        ['good', 'bad', <NA>]
    """
    return values.astype("string").str.strip().str.lower()


def rating_to_csat(score: pd.Series) -> pd.Series:
    """Return the CSAT answer of each :func:`rating` through :data:`SATISFACTION`.

    Any other rating stays as it is, for validation to quarantine (or :func:`unrated` to skip).

    Example:
        >>> rating_to_csat(pd.Series(["good", "bad", "meh"])).tolist()
        ['5', '1', 'meh']
    """
    return score.map(lambda v: SATISFACTION.get(v, v) if isinstance(v, str) else v).astype(object)


def unrated(score: pd.Series, chunk: pd.DataFrame) -> pd.Series:
    """Return True for each ticket not rated (:data:`NOT_RATED`): not a response, skipped.

    A row with the wrong field count is never skipped: it is quarantined with its problem.

    Example:
        >>> unrated(pd.Series(["good", "offered", pd.NA]), pd.DataFrame(index=range(3))).tolist()
        [False, True, True]
    """
    out = score.fillna("").isin(NOT_RATED)
    if ROW_PROBLEM in chunk.columns:
        out &= chunk[ROW_PROBLEM].isna()
    return out


class _Tickets(OwnColumns):
    tool: ClassVar[str] = "zendesk"
    docs: ClassVar[tuple[str, ...]] = (
        "https://support.zendesk.com/hc/en-us/articles/4408886165402",
        "https://developer.zendesk.com/api-reference/ticketing/tickets/"
        "ticket_satisfaction_ratings/",
    )

    @staticmethod
    def customer(chunk: pd.DataFrame) -> pd.Series:
        """Return the requester's external id, else ``zendesk:`` + the Zendesk user id."""
        external = column(chunk, "Requester external id")
        return external.where(external.notna(), zendesk_id(chunk["Requester id"]))


class Zendesk(_Tickets):
    """Zendesk tickets export -> events (a support touchpoint per ticket).

    Example:
        >>> Zendesk().table
        'events'
    """

    name: ClassVar[str] = "zendesk"
    title: ClassVar[str] = "Zendesk tickets"
    table: ClassVar[str] = "events"
    expected: ClassVar[dict[int, tuple[str, ...]]] = {
        1: ("Id", "Requester id", "Status", "Via", "Created at"),
    }
    OUTPUT: ClassVar[tuple[str, ...]] = EVENT_OUTPUT

    def transform(self, chunk: pd.DataFrame, columns: dict[str, str]) -> pd.DataFrame:
        """One support event per ticket."""
        out = pd.DataFrame({
            "event_id": zendesk_id(chunk["Id"]),
            "customer_id": self.customer(chunk),
            "occurred_at": to_utc(chunk["Created at"], self.zone),
            "touchpoint": "support",
            "channel": chunk["Via"],
            "status": chunk["Status"],
            "priority": column(chunk, "Priority"),
            "satisfaction": column(chunk, "Satisfaction Score").str.lower(),
        }, index=chunk.index)  # fmt: skip
        return with_row_columns(out, chunk)


class ZendeskCsat(_Tickets):
    """Zendesk tickets export -> responses (CSAT from the satisfaction rating).

    Example:
        >>> ZendeskCsat().table
        'responses'
    """

    name: ClassVar[str] = "zendesk_csat"
    title: ClassVar[str] = "Zendesk tickets (satisfaction)"
    table: ClassVar[str] = "responses"
    expected: ClassVar[dict[int, tuple[str, ...]]] = {
        1: ("Id", "Requester id", "Via", "Created at", "Satisfaction Score"),
    }
    OUTPUT: ClassVar[tuple[str, ...]] = ("response_id", "customer_id", "responded_at",
                                         "touchpoint", "channel", "csat", "comment")  # fmt: skip
    #: the tickets export detects as ``zendesk`` (events)
    auto: ClassVar[bool] = False

    def transform(self, chunk: pd.DataFrame, columns: dict[str, str]) -> pd.DataFrame:
        """Rated tickets to CSAT answers; unrated ones marked to skip."""
        score = rating(chunk["Satisfaction Score"])
        when = column(chunk, "Solved at")
        when = when.where(when.notna(), column(chunk, "Updated at"))
        when = when.where(when.notna(), chunk["Created at"])
        out = pd.DataFrame({
            "response_id": zendesk_id(chunk["Id"]),
            "customer_id": self.customer(chunk),
            "responded_at": to_utc(when, self.zone),
            "touchpoint": "support",
            "channel": chunk["Via"],
            "csat": rating_to_csat(score),
            "comment": column(chunk, "Satisfaction Comment"),
        }, index=chunk.index)  # fmt: skip
        out[SKIP] = unrated(score, chunk).to_numpy()
        return with_row_columns(out, chunk)


# -- Zendesk Explore report exports -------------------------------------------------------------

#: Explore names a time attribute "<event> - <grain>"; the finest grain present is used.
_GRAINS = ("Timestamp", "Date")


def explore_time(chunk: pd.DataFrame, event: str) -> pd.Series:
    """Return the finest "Ticket <event> - Timestamp/Date" column of an Explore export.

    Example:
        >>> explore_time(pd.DataFrame({"Ticket solved - Date": ["2024-03-01"]}), "solved").tolist()
        ['2024-03-01']
    """
    for grain in _GRAINS:
        name = f"Ticket {event} - {grain}"
        if name in chunk.columns:
            return chunk[name]
    return pd.Series(None, index=chunk.index, dtype=object)


class _Explore(OwnColumns):
    """A Zendesk Explore report on the Support: Tickets dataset, exported as CSV.

    Explore writes one column per attribute or metric of the report, named as Explore names
    them: ``Ticket ID``, ``Requester ID``, ``Ticket status``, ``Ticket channel``,
    ``Ticket priority``, ``Ticket satisfaction rating``, ``Ticket created - Date`` (or
    ``- Timestamp``), ``Ticket solved - Date``; metric columns (``Tickets``...) are ignored.
    The report must include Ticket ID, Requester ID and Ticket created.
    """

    tool: ClassVar[str] = "zendesk_explore"
    expected: ClassVar[dict[int, tuple[str, ...]]] = {1: ("Ticket ID", "Requester ID")}
    docs: ClassVar[tuple[str, ...]] = (
        "https://support.zendesk.com/hc/en-us/articles/4408827693594",
        "https://support.zendesk.com/hc/en-us/articles/4408828018330",
    )

    def check(self, path, header):  # type: ignore[no-untyped-def]
        """Also require a "Ticket created - Date" or "- Timestamp" column."""
        super().check(path, header)
        if not any(f"Ticket created - {g}" in header.rows[0] for g in _GRAINS):
            raise MappingError(
                f"{path}: the Zendesk Explore report has no 'Ticket created - Date' (or "
                "'- Timestamp') column; add the Ticket created attribute to the report"
            )

    def detect(self, header):  # type: ignore[no-untyped-def]
        """Ticket ID and Requester ID with a "Ticket created - ..." column."""
        return super().detect(header) and any(
            f"Ticket created - {g}" in header.rows[0] for g in _GRAINS
        )


class ZendeskExplore(_Explore):
    """Zendesk Explore tickets report -> events (a support touchpoint per ticket).

    Ids match the tickets export's (``zendesk:<id>``), so a ticket in both is one event.

    Example:
        >>> ZendeskExplore().table
        'events'
    """

    name: ClassVar[str] = "zendesk_explore"
    title: ClassVar[str] = "Zendesk Explore tickets report"
    table: ClassVar[str] = "events"
    OUTPUT: ClassVar[tuple[str, ...]] = EVENT_OUTPUT

    def transform(self, chunk: pd.DataFrame, columns: dict[str, str]) -> pd.DataFrame:
        """One support event per ticket row."""
        out = pd.DataFrame({
            "event_id": zendesk_id(chunk["Ticket ID"]),
            "customer_id": zendesk_id(chunk["Requester ID"]),
            "occurred_at": to_utc(explore_time(chunk, "created"), self.zone),
            "touchpoint": "support",
            "channel": column(chunk, "Ticket channel"),
            "status": column(chunk, "Ticket status"),
            "priority": column(chunk, "Ticket priority"),
            "satisfaction": column(chunk, "Ticket satisfaction rating").str.lower(),
        }, index=chunk.index)  # fmt: skip
        return with_row_columns(out, chunk)


class ZendeskExploreCsat(_Explore):
    """Zendesk Explore tickets report -> responses (CSAT from the satisfaction rating).

    The same declared map as the tickets export (good -> 5, bad -> 1); "Offered",
    "Unoffered", "Not offered" and blank are skipped and counted; responded_at is Ticket
    solved, else Ticket created.

    Example:
        >>> ZendeskExploreCsat().table
        'responses'
    """

    name: ClassVar[str] = "zendesk_explore_csat"
    title: ClassVar[str] = "Zendesk Explore tickets report (satisfaction)"
    table: ClassVar[str] = "responses"
    expected: ClassVar[dict[int, tuple[str, ...]]] = {
        1: ("Ticket ID", "Requester ID", "Ticket satisfaction rating"),
    }
    OUTPUT: ClassVar[tuple[str, ...]] = (
        "response_id", "customer_id", "responded_at", "touchpoint", "channel", "csat",
    )  # fmt: skip

    #: the report detects as ``zendesk_explore`` (events)
    auto: ClassVar[bool] = False

    def transform(self, chunk: pd.DataFrame, columns: dict[str, str]) -> pd.DataFrame:
        """Rated tickets to CSAT answers; unrated ones marked to skip."""
        score = rating(chunk["Ticket satisfaction rating"])
        when = explore_time(chunk, "solved")
        when = when.where(when.notna(), explore_time(chunk, "created"))
        out = pd.DataFrame({
            "response_id": zendesk_id(chunk["Ticket ID"]),
            "customer_id": zendesk_id(chunk["Requester ID"]),
            "responded_at": to_utc(when, self.zone),
            "touchpoint": "support",
            "channel": column(chunk, "Ticket channel"),
            "csat": rating_to_csat(score),
        }, index=chunk.index)  # fmt: skip
        out[SKIP] = unrated(score, chunk).to_numpy()
        return with_row_columns(out, chunk)
