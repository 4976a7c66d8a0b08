"""The sample's calendar: the period covered and vectorised time helpers.

Times are handled as numpy ``datetime64[s]`` arrays while generating and become naive (UTC)
pandas timestamps in the final tables.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

DAY = 86_400
#: Average month length in seconds, for durations expressed in months.
MONTH = int(30.4375 * DAY)

#: Relative activity by hour of day (customers answer and browse by day and in the evening).
_HOUR_WEIGHTS = np.array(
    [1, 0.5, 0.3, 0.2, 0.2, 0.4, 1, 2, 4, 6, 7, 7, 7, 7, 6, 6, 6, 7, 8, 9, 9, 8, 5, 3],
    dtype=float,
)


@dataclass(frozen=True)
class Timeline:
    """The period ``[start, end)`` covered by a sample, ``months`` calendar months long.

    Example:
        >>> tl = Timeline.from_start("2024-01-01", 24)
        >>> str(tl.end)
        '2026-01-01T00:00:00'
    """

    start: np.datetime64
    end: np.datetime64
    months: int

    @classmethod
    def from_start(cls, start: str | pd.Timestamp, months: int) -> Timeline:
        """Build the timeline that starts at midnight of ``start`` and lasts ``months`` months.

        Args:
            start: first day of the period (anything ``pandas.Timestamp`` accepts; a time zone
                is converted to UTC, then the time of day dropped).
            months: number of calendar months covered (at least 1).

        Returns:
            The timeline.

        Example:
            >>> Timeline.from_start("2024-03-01", 2).month_starts().tolist()[1]
            datetime.datetime(2024, 4, 1, 0, 0)
        """
        if months < 1:
            raise ValueError(f"months must be at least 1, got {months}")
        ts = pd.Timestamp(start)
        if ts.tzinfo is not None:
            ts = ts.tz_convert("UTC").tz_localize(None)
        ts = ts.normalize()
        end = ts + pd.DateOffset(months=months)
        return cls(np.datetime64(ts.to_datetime64(), "s"), np.datetime64(end, "s"), months)

    @property
    def seconds(self) -> int:
        """Length of the period in seconds."""
        return int((self.end - self.start) / np.timedelta64(1, "s"))

    def month_starts(self) -> np.ndarray:
        """Return the start of each month of the period (``months`` entries, ``datetime64[s]``)."""
        first = pd.Timestamp(self.start)
        return np.array(
            [np.datetime64(first + pd.DateOffset(months=k), "s") for k in range(self.months)]
        )

    def month_index(self, times: np.ndarray) -> np.ndarray:
        """Return the 0-based month of the period each time falls in (can be <0 or >=months).

        Example:
            >>> tl = Timeline.from_start("2024-01-01", 24)
            >>> tl.month_index(np.array(["2025-04-10"], dtype="datetime64[s]")).tolist()
            [15]
        """
        starts = self.month_starts()
        return np.searchsorted(starts, times.astype("datetime64[s]"), side="right") - 1

    def at(self, offsets: np.ndarray) -> np.ndarray:
        """Return ``start + offsets`` seconds as ``datetime64[s]``."""
        return self.start + np.asarray(offsets, dtype=np.int64).astype("timedelta64[s]")

    def offset(self, times: np.ndarray) -> np.ndarray:
        """Return seconds from the start of the period to ``times`` (int64)."""
        return ((times.astype("datetime64[s]") - self.start) / np.timedelta64(1, "s")).astype(
            np.int64
        )


def calendar_month(times: np.ndarray) -> np.ndarray:
    """Return the calendar month (1-12) of each ``datetime64`` in ``times``.

    Example:
        >>> calendar_month(np.array(["2024-12-31"], dtype="datetime64[s]")).tolist()
        [12]
    """
    return times.astype("datetime64[M]").astype(np.int64) % 12 + 1


def daytime(rng: np.random.Generator, times: np.ndarray) -> np.ndarray:
    """Move each time to a plausible hour of the same day (busy by day, quiet at night).

    Args:
        rng: the random generator.
        times: ``datetime64`` array.

    Returns:
        ``datetime64[s]`` array: same dates, new clock times.

    Example:
        >>> rng = np.random.default_rng(0)
        >>> t = daytime(rng, np.array(["2024-05-01T03:00"], dtype="datetime64[s]"))
        >>> str(t[0])[:10]
        '2024-05-01'
    """
    days = times.astype("datetime64[D]").astype("datetime64[s]")
    hours = rng.choice(24, size=len(times), p=_HOUR_WEIGHTS / _HOUR_WEIGHTS.sum())
    seconds = hours * 3600 + rng.integers(0, 3600, size=len(times))
    return days + seconds.astype("timedelta64[s]")


def to_timestamps(times: np.ndarray) -> pd.Series:
    """Turn a ``datetime64`` array (NaT allowed) into a naive pandas timestamp series.

    Example:
        >>> to_timestamps(np.array(["2024-01-02T03:04:05"], dtype="datetime64[s]")).dtype
        dtype('<M8[us]')
    """
    return pd.Series(np.asarray(times).astype("datetime64[us]"))
