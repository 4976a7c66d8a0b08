"""The contact rules as small pure functions: when an invitation is due, and who is sampled.

Times are naive UTC, as everywhere in cxlens; business hours are read in the customer's own
time zone and the due time converted back to UTC.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from cxlens.collect.definitions import BusinessHours

#: Decisions recorded for each (event, survey): the reason an invitation was not made.
INVITED = "invited"
QUIET_PERIOD = "quiet period"
SAMPLING = "sampling"
NO_CONSENT = "no consent"
NO_ADDRESS = "no address"
OUTSIDE_WINDOW = "outside window"
BAD_TIMEZONE = "unknown time zone"
DECISIONS = (INVITED, QUIET_PERIOD, SAMPLING, NO_CONSENT, NO_ADDRESS, OUTSIDE_WINDOW, BAD_TIMEZONE)


def due_time(earliest: datetime, hours: BusinessHours | None, zone: ZoneInfo) -> datetime:
    """Return the first moment at or after ``earliest`` (naive UTC) inside business hours.

    Hours and days are the customer's local ones in ``zone``; the result is naive UTC.
    Without business hours the earliest moment is the due time.

    Example:
        >>> from datetime import time
        >>> hours = BusinessHours(time(9), time(18), (0, 1, 2, 3, 4))
        >>> # Friday 2025-03-07 20:00 UTC is 23:00 in Moscow: due Monday 09:00 Moscow time
        >>> due_time(datetime(2025, 3, 7, 20), hours, ZoneInfo("Europe/Moscow"))
        datetime.datetime(2025, 3, 10, 6, 0)
    """
    if hours is None:
        return earliest
    local = earliest.replace(tzinfo=UTC).astimezone(zone)
    for offset in range(8):  # a week covers every pattern of days
        day = (local + timedelta(days=offset)).date()
        if day.weekday() not in hours.days:
            continue
        opens = datetime.combine(day, hours.start, tzinfo=zone)
        closes = datetime.combine(day, hours.end, tzinfo=zone)
        if offset == 0 and local >= closes:
            continue
        moment = max(local, opens) if offset == 0 else opens
        return moment.astimezone(UTC).replace(tzinfo=None)
    raise AssertionError("business hours name at least one day")  # parse_survey ensures it


def sample_draw(seed: int, survey: str, event_id: str) -> float:
    """Return a uniform draw in [0, 1) fixed by the seed, the survey and the event.

    The same event gets the same draw on every run and in any order of processing, so
    re-running a trigger never changes who was sampled.

    Example:
        >>> sample_draw(17, "csat", "E1") == sample_draw(17, "csat", "E1")
        True
    """
    digest = hashlib.sha256(f"{seed}\x1f{survey}\x1f{event_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def consents(value: object, mode: str) -> bool:
    """Return whether a customer's consent value allows a survey under ``mode``.

    ``opt_out`` asks everyone who has not refused (a false value); ``opt_in`` only those who
    said yes. Consent columns arrive as text: true/yes/1/y and false/no/0/n are read; any
    other text is not taken as consent (asking someone whose answer is unreadable is worse
    than not asking).

    Example:
        >>> consents(None, "opt_out"), consents(None, "opt_in"), consents("no", "opt_out")
        (True, False, False)
    """
    text = "" if value is None or value != value else str(value).strip().lower()
    if text in ("true", "yes", "1", "y", "1.0"):
        return True
    if not text:
        return mode == "opt_out"
    return False
