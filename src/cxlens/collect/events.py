"""Events sent by a client system (the API's ``POST .../events``): checked, loaded, triggered.

A batch of events is checked whole first (each an object with a text ``event_id``,
``customer_id``, ``touchpoint`` and an ``occurred_at`` time, other fields plain values); a bad
one refuses the batch and stores nothing. An event id sent twice is quarantined by the
loader, as in any load. The batch is then loaded into ``events`` through the ingest path as one
JSON-lines file, ``api-events-<sha>.jsonl``, so it has lineage like any load and the same
batch sent twice is recognised and loaded once.
"""

from __future__ import annotations

import hashlib
import json
import re
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from cxlens.errors import ArgumentError
from cxlens.ingest.load import LoadResult, ingest_file
from cxlens.store.catalog import Catalog

#: Fields every event must carry, as text.
REQUIRED = ("event_id", "customer_id", "occurred_at", "touchpoint")
#: Most events in one batch.
MAX_EVENTS = 10_000
#: Names of an event's fields (the loader's column names).
FIELD_PATTERN = r"^[a-z][a-z0-9_]{0,62}$"
_FIELD = re.compile(FIELD_PATTERN)


def check_events(events: Any) -> list[dict[str, Any]]:
    """Return ``events`` when it is a list of well-formed events.

    Raises ArgumentError naming the first bad event and why.

    Example:
        >>> check_events([{"event_id": "E1", "customer_id": "C1", "touchpoint": "delivered",
        ...                "occurred_at": "2025-03-01 10:00"}])[0]["event_id"]
        'E1'
        >>> check_events([{"event_id": "E1"}])
        Traceback (most recent call last):
        cxlens.errors.ArgumentError: event 0: 'customer_id' is missing
    """
    if not isinstance(events, list) or not events:
        raise ArgumentError("send a non-empty list of events")
    if len(events) > MAX_EVENTS:
        raise ArgumentError(f"{len(events):,} events in one batch; send at most {MAX_EVENTS:,}")
    for i, event in enumerate(events):
        if not isinstance(event, dict):
            raise ArgumentError(f"event {i}: must be an object, not {type(event).__name__}")
        for name in REQUIRED:
            value = event.get(name)
            if value is None:
                raise ArgumentError(f"event {i}: '{name}' is missing")
            if not isinstance(value, str) or not value.strip():
                raise ArgumentError(f"event {i}: '{name}' must be non-empty text, not {value!r}")
        if pd.isna(pd.to_datetime(event["occurred_at"], errors="coerce", utc=True)):
            raise ArgumentError(
                f"occurred_at of event {i}, {event['occurred_at']!r}, is not a time between the "
                "years 1677 and 2262 (use ISO 8601, e.g. 2025-03-01T10:00:00Z)"
            )
        for name, value in event.items():
            if not _FIELD.match(name):
                raise ArgumentError(f"event {i}: field name {name!r} must be lower-case letters, "
                                    "digits and _, starting with a letter")  # fmt: skip
            if value is not None and not isinstance(value, str | int | float | bool):
                raise ArgumentError(f"event {i}: '{name}' must be text, a number or null")
    # an event_id twice (in the batch or loaded before) is the loader's to quarantine
    return events


def load_events(catalog: Catalog, events: Sequence[dict[str, Any]]) -> LoadResult:
    """Load checked events into ``events`` as one load; return the load's result.

    Example:
        >>> load_events(ws, [{"event_id": "E1", "customer_id": "C1",
        ...                   "touchpoint": "delivered", "occurred_at": "2025-03-01"}]
        ...             ).rows_loaded  # doctest: +SKIP
        1
    """
    text = "".join(json.dumps(e, ensure_ascii=False, default=str) + "\n" for e in events)
    digest = hashlib.sha256(text.encode()).hexdigest()[:16]
    with tempfile.TemporaryDirectory(prefix="cxlens-events-") as tmp:
        path = Path(tmp) / f"api-events-{digest}.jsonl"
        path.write_text(text, encoding="utf-8")
        return ingest_file(catalog.engine, path, table="events")
