"""Google Analytics 4 BigQuery export (the ``events_YYYYMMDD`` table as JSON Lines or Parquet).

One record per event: ``event_date``, ``event_timestamp`` (microseconds since the epoch,
UTC), ``event_name``, ``event_params`` (a repeated record of ``key`` and ``value`` with
``string_value``, ``int_value``, ``float_value``, ``double_value``), ``user_pseudo_id``,
``user_id``, ``platform``, and records ``device`` (``category``...), ``geo``
(``country``...), ``traffic_source`` (``source``, ``medium``, ``name``). BigQuery writes
INT64 values as JSON strings; both forms are read.

Mapped onto events: one event per record; ``event_id`` = user_pseudo_id : event_timestamp :
event_name (: batch_event_index when the export has it); ``customer_id`` = user_id, else
user_pseudo_id; ``touchpoint`` = the page title of a page_view / screen_view, else the event
name; ``session_id`` = user_pseudo_id . ga_session_id; ``duration_seconds`` =
engagement_time_msec / 1000; ``channel`` = platform (web, ios, android).
"""

from __future__ import annotations

import json
from typing import Any, ClassVar

import pandas as pd

from cxlens.ingest.presets.base import Preset, column
from cxlens.ingest.readers import HeaderRows

#: event_params keys lifted into columns, and the value field each one is read from
PARAMS = ("ga_session_id", "page_title", "page_location", "engagement_time_msec",
          "firebase_screen")  # fmt: skip
_VALUE_FIELDS = ("string_value", "int_value", "double_value", "float_value")
_PAGE_EVENTS = {"page_view", "screen_view"}
#: extra attribute columns kept on events
EXTRAS = ("event_name", "page_location", "device_category", "country", "traffic_source",
          "traffic_medium", "user_pseudo_id")  # fmt: skip


class GA4(Preset):
    """GA4 BigQuery export -> events.

    Example:
        >>> GA4().params('[{"key": "ga_session_id", "value": {"int_value": "17"}}]')
        {'ga_session_id': '17'}
    """

    name: ClassVar[str] = "ga4"
    title: ClassVar[str] = "Google Analytics 4 BigQuery export"
    table: ClassVar[str] = "events"
    formats: ClassVar[tuple[str, ...]] = ("jsonl", "parquet")
    expected: ClassVar[dict[int, tuple[str, ...]]] = {
        1: ("event_date", "event_timestamp", "event_name", "event_params", "user_pseudo_id"),
    }
    docs: ClassVar[tuple[str, ...]] = (
        "https://support.google.com/analytics/answer/7029846",
        "https://developers.google.com/analytics/bigquery/event-schema",
    )

    def columns(self, names: list[str], header: HeaderRows) -> dict[str, str]:
        """Return the canonical columns the transform writes, and the extras kept beside them."""
        canonical = ("event_id", "customer_id", "occurred_at", "touchpoint", "channel",
                     "session_id", "duration_seconds")  # fmt: skip
        return {c: c for c in (*canonical, *EXTRAS)}

    @staticmethod
    def params(text: Any) -> dict[str, str]:
        """Return event_params (JSON text) as {key: value as text}, the first set value."""
        try:
            items = json.loads(text) if isinstance(text, str) else []
        except json.JSONDecodeError:
            return {}
        out = {}
        for item in items if isinstance(items, list) else []:
            if not isinstance(item, dict) or not isinstance(item.get("value"), dict):
                continue
            value = item["value"]
            for field in _VALUE_FIELDS:
                if value.get(field) is not None:
                    out[str(item.get("key"))] = str(value[field])
                    break
        return out

    def transform(self, chunk: pd.DataFrame, columns: dict[str, str]) -> pd.DataFrame:
        """Flatten event_params and the records; build ids, times and durations."""
        params = pd.DataFrame(
            [self.params(t) for t in chunk["event_params"]], index=chunk.index,
            columns=list(PARAMS),
        )  # fmt: skip
        pseudo = chunk["user_pseudo_id"]
        stamp = chunk["event_timestamp"]
        name = chunk["event_name"]
        out = pd.DataFrame(index=chunk.index)
        ids = pseudo.astype("string") + ":" + stamp.astype("string") + ":" + name.astype("string")
        if "batch_event_index" in chunk.columns:
            index = chunk["batch_event_index"].astype("string")
            ids = ids.where(index.isna(), ids + ":" + index)
        out["event_id"] = ids.astype(object)
        user = column(chunk, "user_id")
        out["customer_id"] = user.where(user.notna() & (user != ""), pseudo)
        out["occurred_at"] = _micros_to_utc(stamp)
        title = params["page_title"].fillna(params["firebase_screen"])
        on_page = name.isin(_PAGE_EVENTS) & title.notna()
        out["touchpoint"] = title.where(on_page, name)
        out["channel"] = column(chunk, "platform").str.lower()
        session = params["ga_session_id"]
        out["session_id"] = (pseudo.astype("string") + "." + session.astype("string")).astype(
            object
        )
        msec = pd.to_numeric(params["engagement_time_msec"], errors="coerce")
        out["duration_seconds"] = (msec / 1000).map(lambda v: None if pd.isna(v) else f"{v:g}")
        out["event_name"] = name
        out["page_location"] = params["page_location"]
        out["device_category"] = _field(column(chunk, "device"), "category")
        out["country"] = _field(column(chunk, "geo"), "country")
        out["traffic_source"] = _field(column(chunk, "traffic_source"), "source")
        out["traffic_medium"] = _field(column(chunk, "traffic_source"), "medium")
        out["user_pseudo_id"] = pseudo
        keep = [c for c in chunk.columns if c.startswith("_")]
        return pd.concat([out, chunk[keep]], axis=1)


def _micros_to_utc(stamp: pd.Series) -> pd.Series:
    """Microseconds since the epoch to ISO text in UTC; other text stays as it is."""
    micros = pd.to_numeric(stamp, errors="coerce")
    parsed = pd.to_datetime(micros, unit="us", utc=True, errors="coerce")
    text = parsed.dt.strftime("%Y-%m-%dT%H:%M:%S.%f+00:00").astype(object)
    return text.where(parsed.notna(), stamp.astype(object))


def _field(records: pd.Series, key: str) -> pd.Series:
    """Return ``key`` of each JSON record in ``records`` (null where absent)."""

    def one(text: Any) -> Any:
        if not isinstance(text, str):
            return None
        try:
            value = json.loads(text)
        except json.JSONDecodeError:
            return None
        found = value.get(key) if isinstance(value, dict) else None
        return None if found in (None, "") else str(found)

    return records.map(one).astype(object)
