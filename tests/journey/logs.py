"""Small hand-made event logs shared by the journey tests (``table`` in conftest.py loads them)."""

from __future__ import annotations

import pandas as pd

T0 = pd.Timestamp("2024-03-01 09:00")


def at(seconds: float) -> pd.Timestamp:
    """Return ``T0`` plus ``seconds``."""
    return T0 + pd.Timedelta(seconds=seconds)


def events(rows: list[tuple]) -> pd.DataFrame:
    """Build an events frame from (event_id, customer_id, seconds, touchpoint, stage, channel)."""
    frame = pd.DataFrame(
        rows, columns=["event_id", "customer_id", "at", "touchpoint", "stage", "channel"]
    )
    frame["occurred_at"] = frame.pop("at").map(at)
    return frame


#: Customer a has a tie at +3600 s (e2 sorts before e3) and rows out of order in the file;
#: b has a single event; c repeats a touchpoint.
HAND = events([
    ("e3", "a", 3600, "web", "consideration", "web"),
    ("e4", "a", 3600 + 86_400, "web", "consideration", "app"),
    ("e1", "a", 0, "ad", "awareness", "social"),
    ("e2", "a", 3600, "app", "usage", "app"),
    ("e5", "b", 0, "ad", "awareness", "search"),
    ("e7", "c", 1800, "web", "consideration", "web"),
    ("e6", "c", 0, "web", "consideration", "web"),
])  # fmt: skip
