"""The customer profile (360): one view of everything a Workspace holds about one customer.

:func:`profile` filters every table to the customer in the engine and aggregates there
(transaction totals, events per stage and touchpoint); only the customer's own rows come to
pandas. Identities records are shown with their PII and where they came from; comments are
PII-redacted (:func:`cxlens.text.redact`). Derived tables keyed by customer (segments, CLV
tiers, scores any model saved) are shown when they exist.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import ibis
import ibis.expr.types as ir
import pandas as pd

from cxlens.errors import ArgumentError, NotEnoughDataError
from cxlens.schema import LINEAGE_COLUMNS, TABLES
from cxlens.schema.derived import COMMENT_SENTIMENT_TABLE
from cxlens.store.customer_ids import MAP_TABLE, resolved_table

#: Rows of the recent transactions and events lists.
RECENT = 10
#: Tables shown in their own sections, or never shown (the log and the secret).
_OWN = {
    "customers", "identities", "responses", "transactions", "events", "posts", "campaigns",
    "identity_clusters", "identity_links", "customer_segments", "_erasures", "_workspace_secret",
    MAP_TABLE,
    "_quarantine", "_loads",
}  # fmt: skip
_LINEAGE = tuple(LINEAGE_COLUMNS)  # where a row came from: not an attribute of the customer


@dataclass
class CustomerProfile:
    """Everything about one customer, as tidy tables and plain values.

    Attributes:
        customer_id: the id profiled.
        attributes: the ``customers`` row (segment, region, plan, first_seen...), or {}.
        identities: one row per source record: ``source, source_id, how`` ("loaded",
            "resolved" or "loaded+resolved") and the record's PII columns.
        scores: one row per survey response: ``response_id, responded_at, touchpoint,
            channel, nps, csat, ces``, oldest first.
        score_summary: per metric (nps, csat, ces): ``n, mean, latest, latest_at``.
        transactions: ``orders, refunds, revenue, average_order, first_at, last_at,
            categories`` (amounts as loaded; negative amounts are refunds).
        recent_transactions: the last :data:`RECENT` transactions, newest first.
        journey: events per ``stage, touchpoint`` with ``events, first_at, last_at,
            seconds``, most events first.
        recent_events: the last :data:`RECENT` events, newest first.
        comments: ``response_id, responded_at, language, comment`` (redacted) and, when
            saved, ``sentiment`` and ``themes``.
        segments: the ``customer_segments`` row (rfm_segment, cluster, clv_tier...), or {}.
        models: other derived tables with a ``customer_id`` column: table -> its rows.
    """

    customer_id: str
    attributes: dict[str, Any] = field(default_factory=dict)
    identities: pd.DataFrame = field(default_factory=pd.DataFrame)
    scores: pd.DataFrame = field(default_factory=pd.DataFrame)
    score_summary: pd.DataFrame = field(default_factory=pd.DataFrame)
    transactions: dict[str, Any] = field(default_factory=dict)
    recent_transactions: pd.DataFrame = field(default_factory=pd.DataFrame)
    journey: pd.DataFrame = field(default_factory=pd.DataFrame)
    recent_events: pd.DataFrame = field(default_factory=pd.DataFrame)
    comments: pd.DataFrame = field(default_factory=pd.DataFrame)
    segments: dict[str, Any] = field(default_factory=dict)
    models: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """Return the profile as JSON-ready dicts and lists (timestamps as ISO text).

        Example:
            >>> sorted(profile(ws, "C000042").to_dict())[:3]  # doctest: +SKIP
            ['attributes', 'comments', 'customer_id']
        """
        out: dict[str, Any] = {}
        for name, value in vars(self).items():
            if isinstance(value, pd.DataFrame):
                out[name] = [{k: _plain(v) for k, v in r.items()} for r in _records(value)]
            elif isinstance(value, dict):
                out[name] = _plain_dict(value)
            else:
                out[name] = value
        return out

    def render(self) -> str:
        """Return the profile as plain text, one section per part.

        Example:
            >>> print(profile(ws, "C000042").render())  # doctest: +SKIP
        """
        lines = [f"Customer {self.customer_id}"]
        if self.attributes:
            lines += ["", "Attributes"] + [f"  {k}: {_show(v)}" for k, v in self.attributes.items()]
        sections: list[tuple[str, pd.DataFrame | dict[str, Any]]] = [
            ("Identities", self.identities),
            ("Scores", self.score_summary),
            ("Responses", self.scores),
            ("Transactions", self.transactions),
            ("Recent transactions", self.recent_transactions),
            ("Journey", self.journey),
            ("Recent events", self.recent_events),
            ("Comments (PII redacted)", self.comments),
        ]
        for title, part in sections:
            if isinstance(part, dict) and part:
                lines += ["", title] + [f"  {k}: {_show(v)}" for k, v in part.items()]
            elif isinstance(part, pd.DataFrame) and len(part):
                lines += ["", title, _indent(part.to_string(index=False))]
        if self.segments:
            lines += ["", "Segments"] + [f"  {k}: {_show(v)}" for k, v in self.segments.items()]
        for table, rows in self.models.items():
            lines += ["", f"Model output: {table}"]
            lines += [_indent(pd.DataFrame(rows).to_string(index=False))]
        return "\n".join(lines)


def profile(
    ws: Any,
    customer_id: str,
    *,
    recent: int = RECENT,
    redact: Callable[[list[str]], list[str]] | None = None,
) -> CustomerProfile:
    """Return the 360 view of ``customer_id``: identities, scores, orders, journey, comments.

    Args:
        ws: the Workspace.
        customer_id: the id in ``customers`` / the fact tables, or one identity resolution
            assigned (``identity_clusters``).
        recent: rows in the recent transactions and events lists.
        redact: how comments are PII-redacted before they are shown; the Workspace passes
            :func:`cxlens.text.redact.redact`. Without it, comments are left out.

    Returns:
        CustomerProfile (see its attributes for the tables and their columns).

    Raises:
        NotEnoughDataError: no table mentions the customer.

    Example:
        >>> p = profile(ws, "C000042")  # doctest: +SKIP
        >>> p.score_summary.set_index("metric").loc["nps", "latest"]  # doctest: +SKIP
        9.0
    """
    if not isinstance(customer_id, str) or not customer_id.strip():
        raise ArgumentError(f"customer_id must be non-empty text, not {customer_id!r}")
    if recent < 1:
        raise ArgumentError(f"recent must be at least 1, not {recent}")
    customer_id = customer_id.strip()
    tables = set(ws.engine.list_tables())
    get = _Reader(ws, customer_id, tables)
    p = CustomerProfile(customer_id)
    p.attributes = get.row("customers")
    p.identities = _identities(get)
    p.scores, p.score_summary = _scores(get)
    p.transactions, p.recent_transactions = _transactions(get, recent)
    p.journey, p.recent_events = _journey(get, recent)
    p.comments = _comments(get, redact) if redact else pd.DataFrame()
    p.segments = get.row("customer_segments")
    p.models = _models(get)
    if not (p.attributes or len(p.identities) or len(p.scores) or p.transactions
            or len(p.journey) or p.segments or p.models):  # fmt: skip
        raise NotEnoughDataError(
            f"no table mentions customer '{customer_id}'; check the id (customers.customer_id, "
            "or the customer_id identity resolution gave in identity_clusters)"
        )
    return p


class _Reader:
    """The customer's rows of each table, filtered in the engine."""

    def __init__(self, ws: Any, customer_id: str, tables: set[str]) -> None:
        self.ws, self.customer_id, self.tables = ws, customer_id, tables

    def mine(self, name: str) -> ir.Table | None:
        if name not in self.tables:
            return None
        t = resolved_table(self.ws.engine, name)  # facts under the resolved customer
        if "customer_id" not in t.columns:
            return None
        return t.filter(t.customer_id == self.customer_id)

    def run(self, expr: ir.Expr) -> Any:
        return self.ws.engine.execute(expr)

    def row(self, name: str) -> dict[str, Any]:
        t = self.mine(name)
        if t is None:
            return {}
        rows = self.run(t.drop(*[c for c in t.columns if c in _LINEAGE]).limit(1))
        if rows.empty:
            return {}
        return {k: v for k, v in rows.iloc[0].items() if k != "customer_id" and _present(v)}


def _identities(get: _Reader) -> pd.DataFrame:
    if "identities" not in get.tables:
        return pd.DataFrame()
    t = get.ws.engine.table("identities")
    cols = [c for c in TABLES["identities"].names if c in t.columns and c != "customer_id"]
    loaded = t.filter(t.customer_id == get.customer_id).select(*cols, how=ibis.literal("loaded"))
    parts = [loaded]
    if "identity_clusters" in get.tables:
        cl = get.ws.engine.table("identity_clusters")
        mine = cl.filter(cl.customer_id == get.customer_id).select("source", "source_id")
        resolved = t.semi_join(mine, ["source", "source_id"]).select(
            *cols, how=ibis.literal("resolved")
        )
        parts.append(resolved)
    frame = get.run(ibis.union(*parts) if len(parts) > 1 else parts[0])
    if frame.empty:
        return frame
    how = frame.groupby(["source", "source_id"])["how"].agg(lambda s: "+".join(sorted(set(s))))
    frame = frame.drop(columns="how").drop_duplicates(["source", "source_id"])
    frame.insert(2, "how", frame.set_index(["source", "source_id"]).index.map(how))
    frame = frame.dropna(axis=1, how="all")
    return frame.sort_values(["source", "source_id"]).reset_index(drop=True)


def _scores(get: _Reader) -> tuple[pd.DataFrame, pd.DataFrame]:
    r = get.mine("responses")
    if r is None:
        return pd.DataFrame(), pd.DataFrame()
    cols = [c for c in ("response_id", "responded_at", "touchpoint", "channel", "nps", "csat",
                        "ces") if c in r.columns]  # fmt: skip
    scores = get.run(r.select(*cols).order_by(["responded_at", "response_id"]))
    metrics = [m for m in ("nps", "csat", "ces") if m in r.columns]
    if not metrics:
        return scores, pd.DataFrame()
    parts = []
    for m in metrics:
        f = r.filter(r[m].notnull())
        parts.append(f.aggregate(
            metric=ibis.literal(m), n=f[m].count(), mean=f[m].cast("float64").mean(),
            latest=f[m].cast("float64").argmax(f.responded_at), latest_at=f.responded_at.max(),
        ))  # fmt: skip
    summary = get.run(ibis.union(*parts) if len(parts) > 1 else parts[0])
    summary = summary[summary["n"] > 0].copy()
    order = {m: i for i, m in enumerate(metrics)}
    summary = summary.sort_values("metric", key=lambda s: s.map(order))
    return scores.reset_index(drop=True), summary[
        ["metric", "n", "mean", "latest", "latest_at"]
    ].reset_index(drop=True)


def _transactions(get: _Reader, recent: int) -> tuple[dict[str, Any], pd.DataFrame]:
    t = get.mine("transactions")
    if t is None:
        return {}, pd.DataFrame()
    totals = get.run(
        t.aggregate(
            orders=(t.amount >= 0).sum(), refunds=(t.amount < 0).sum(), revenue=t.amount.sum(),
            first_at=t.occurred_at.min(), last_at=t.occurred_at.max(),
        )
    )  # fmt: skip
    row = totals.iloc[0]
    if not row["orders"] and not row["refunds"]:
        return {}, pd.DataFrame()
    summary: dict[str, Any] = {
        "orders": int(row["orders"]),
        "refunds": int(row["refunds"]),
        "revenue": float(row["revenue"]),
        "average_order": float(row["revenue"]) / max(int(row["orders"]), 1),
        "first_at": row["first_at"],
        "last_at": row["last_at"],
    }
    if "category" in t.columns:
        cats = get.run(t.group_by("category").aggregate(n=t.count()).order_by(ibis.desc("n")))
        summary["categories"] = ", ".join(
            f"{c} ({n})" for c, n in zip(cats["category"].fillna("?"), cats["n"], strict=True)
        )
    cols = [c for c in ("transaction_id", "occurred_at", "amount", "currency", "product",
                        "category", "channel") if c in t.columns]  # fmt: skip
    last = get.run(t.select(*cols).order_by(ibis.desc("occurred_at")).limit(recent))
    return summary, last.reset_index(drop=True)


def _journey(get: _Reader, recent: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    e = get.mine("events")
    if e is None:
        return pd.DataFrame(), pd.DataFrame()
    keys = [c for c in ("stage", "touchpoint") if c in e.columns]
    agg = {"events": e.count(), "first_at": e.occurred_at.min(), "last_at": e.occurred_at.max()}
    if "duration_seconds" in e.columns:
        agg["seconds"] = e.duration_seconds.sum()
    counts = get.run(e.group_by(keys).aggregate(**agg).order_by([ibis.desc("events"), *keys]))
    cols = [c for c in ("event_id", "occurred_at", "stage", "touchpoint", "channel",
                        "duration_seconds") if c in e.columns]  # fmt: skip
    last = get.run(e.select(*cols).order_by(ibis.desc("occurred_at")).limit(recent))
    return counts.reset_index(drop=True), last.reset_index(drop=True)


def _comments(get: _Reader, redact: Callable[[list[str]], list[str]]) -> pd.DataFrame:
    r = get.mine("responses")
    if r is None or "comment" not in r.columns:
        return pd.DataFrame()
    cols = [c for c in ("response_id", "responded_at", "language", "comment") if c in r.columns]
    mine = r.filter(r.comment.notnull() & (r.comment.strip() != "")).select(*cols)
    if COMMENT_SENTIMENT_TABLE in get.tables:
        s = get.ws.engine.table(COMMENT_SENTIMENT_TABLE)
        if {"response_id", "label"} <= set(s.columns):
            mine = mine.left_join(s.select("response_id", sentiment="label"), "response_id")
            mine = mine.drop(*[c for c in mine.columns if c.endswith("_right")])
    frame = get.run(mine.order_by("responded_at"))
    if frame.empty:
        return frame
    if "comment_themes" in get.tables:
        th = get.ws.engine.table("comment_themes")
        if {"response_id", "theme"} <= set(th.columns):
            ids = frame["response_id"].astype(str).tolist()
            got = get.run(th.filter(th.response_id.isin(ids) & th.theme.notnull())
                          .select("response_id", "theme"))  # fmt: skip
            themes = got.groupby("response_id")["theme"].agg(lambda s: ", ".join(sorted(set(s))))
            frame["themes"] = frame["response_id"].map(themes)
    frame["comment"] = redact(frame["comment"].tolist())
    return frame.reset_index(drop=True)


def _models(get: _Reader) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = {}
    for name in sorted(get.tables - _OWN):
        t = get.mine(name)
        if t is None:
            continue
        rows = get.run(t.limit(50))
        if len(rows):
            rows = rows.drop(columns="customer_id").dropna(axis=1, how="all")
            out[name] = _records(rows)
    return out


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    return [{k: v for k, v in r.items()} for r in frame.to_dict("records")]


def _present(value: Any) -> bool:
    return not (pd.api.types.is_scalar(value) and pd.isna(value))


def _plain(value: Any) -> Any:
    if not _present(value):
        return None
    if isinstance(value, pd.Timestamp):
        return value.isoformat()
    if hasattr(value, "item"):  # numpy scalars
        return value.item()
    return value


def _plain_dict(value: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in value.items():
        if isinstance(v, list):
            out[k] = [_plain_dict(x) if isinstance(x, dict) else _plain(x) for x in v]
        else:
            out[k] = _plain(v)
    return out


def _show(value: Any) -> str:
    if isinstance(value, pd.Timestamp):
        return f"{value:%Y-%m-%d}"
    if isinstance(value, float):
        return f"{value:,.2f}"
    return str(value)


def _indent(text: str) -> str:
    return "\n".join("  " + line for line in text.splitlines())
