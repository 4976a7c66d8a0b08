"""Right to erasure: remove one customer from every table and record that it happened.

:func:`erase` first reads the customer's *footprint* from the engine (their identities
records, resolved or loaded under their id; the emails, phones, names and addresses on those
records; the ids of their responses, transactions, events and posts; their comments), then
deletes, in one DuckDB transaction, every row of every table that references it:

* any column named for a key, with or without a prefix or suffix (``customer_id``,
  ``loaded_customer_id``, ``response_id``, ``record_id_l``, ...) holding one of their ids;
  ``source_id`` columns are matched together with the ``source`` column beside them;
* ``_quarantine`` rows whose raw text or value mentions their customer id, record ids,
  emails or phones (any spacing), or their name together with their address, as whole
  words, case-insensitively (a name alone is not theirs: namesakes keep their rows);
* posts with their ``customer_id`` (when a mapping loaded one) or authored under one of
  their e-mail addresses (handles are not linked to customers, so other posts stay);
* representative quotes (``quotes`` columns, e.g. ``themes``) equal to one of their
  comments, redacted, are cut from the quote list (the theme's other figures stay).

The same transaction appends a row to ``_erasures`` (the customer id as a keyed hash, see
:mod:`cxlens.store.secrets`, never the id or any PII). Afterwards the DuckDB file is
rewritten (:meth:`DuckDBEngine.compact`) so no deleted value survives in freed blocks.
Erasure needs an engine with transactions and DELETE: DuckDB. Spark's Parquet tables have
neither, so erasure there is refused before anything is touched.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

import ibis
import ibis.expr.types as ir
import pandas as pd
import pyarrow as pa

from cxlens.errors import ArgumentError, NotEnoughDataError, WorkspaceError
from cxlens.schema import TABLES
from cxlens.store.lineage import ERASURES_TABLE, QUARANTINE_TABLE
from cxlens.store.secrets import SECRET_TABLE, pseudonymise, workspace_secret

#: How a capability says which quotes in its derived tables are a customer's comments: given
#: the comments, a test of one quote.
QuoteMatch = Callable[[list[str]], Callable[[str], bool]]
#: Columns of derived tables that quote customers' comments: a new-line list, a JSON map of
#: language -> list, one quote (with ``negative_sentence``, the sentence marked in it).
QUOTE_COLUMNS = ("quotes", "quotes_by_language", "negative_quote")
#: Tables erasure never changes: its own log and the workspace secret.
PROTECTED = (ERASURES_TABLE, SECRET_TABLE)
#: Key columns whose values identify the customer's rows (any prefix/suffix on the name).
ID_KEYS = ("customer_id", "response_id", "transaction_id", "event_id", "post_id", "record_id")
#: The canonical tables whose own rows are the customer's, by their key column.
OWNED = {"responses": "response_id", "transactions": "transaction_id", "events": "event_id"}
#: Identity resolution's table mapping records to customers.
CLUSTERS_TABLE = "identity_clusters"
#: Identities columns searched for in free text (quarantine): unique enough to name a person.
FREE_TEXT_PII = ("email", "phone", "name", "address")
#: Columns of ``_erasures``.
LOG_COLUMNS = {
    "erasure_id": "string",
    "customer_key": "string",
    "requested_by": "string",
    "reason": "string",
    "erased_at": "timestamp",
    "rows_removed": "string",
    "rows_changed": "string",
    "rows_total": "int",
    "tables": "string",
    "compacted": "bool",
}


@dataclass(frozen=True)
class Footprint:
    """What identifies one customer in a Workspace, read before anything is deleted.

    ``ids`` maps a key (:data:`ID_KEYS`) to the customer's values of it; ``records`` are
    their identities records as ``(source, source_id)``; ``pii`` the distinct e-mails,
    phones, names and addresses on them; ``comments`` their survey comments.
    """

    customer_id: str
    ids: dict[str, list[str]]
    records: list[tuple[str, str]]
    pii: dict[str, list[str]]
    comments: list[str] = field(repr=False)


@dataclass(frozen=True)
class ErasureRecord:
    """What one erasure did; the same facts are a row of ``_erasures``.

    ``customer_key`` is the keyed hash of the customer id; ``rows_removed`` maps each table
    to the rows deleted from it, ``rows_changed`` to the rows edited (quotes cut).
    """

    erasure_id: str
    customer_key: str
    requested_by: str
    reason: str
    erased_at: datetime
    rows_removed: dict[str, int]
    rows_changed: dict[str, int]
    compacted: bool

    @property
    def tables(self) -> list[str]:
        """The tables touched, sorted."""
        return sorted(set(self.rows_removed) | set(self.rows_changed))

    @property
    def rows_total(self) -> int:
        """Rows deleted in all tables together."""
        return sum(self.rows_removed.values())

    def to_dict(self) -> dict[str, Any]:
        """Return the record as plain JSON-ready values."""
        out = asdict(self)
        out["erased_at"] = self.erased_at.isoformat()
        out["tables"] = self.tables
        out["rows_total"] = self.rows_total
        return out


def erase(
    ws: Any,
    customer_id: str,
    *,
    reason: str,
    requested_by: str,
    compact: bool = True,
    quote_match: QuoteMatch | None = None,
) -> ErasureRecord:
    """Delete everything about ``customer_id`` from every table, in one transaction.

    Args:
        ws: the Workspace (DuckDB).
        customer_id: the customer's id as loaded or as identity resolution assigned it.
        reason: why (e.g. "GDPR art. 17 request #123"); kept in the log.
        requested_by: who asked or approved; kept in the log.
        compact: rewrite the DuckDB file afterwards so deleted values leave no bytes behind
            (see :meth:`DuckDBEngine.compact`); turn off to erase many customers, then call
            ``ws.engine.compact()`` once.
        quote_match: the hook through which the text capability says which quotes
            (:data:`QUOTE_COLUMNS`) are the customer's comments, cleaned, redacted and cut as
            derived tables keep them; the Workspace passes
            :func:`cxlens.text.redact.quote_match`. Without it, quotes equal to a raw comment
            are cut.

    Returns:
        ErasureRecord: erasure_id, customer_key (keyed hash), rows removed and changed per
        table, when, by whom, why.

    Raises:
        ArgumentError: an empty id, reason or requester.
        NotEnoughDataError: no table references the customer (the message says whether the
            id was erased before).
        WorkspaceError: the engine cannot delete in a transaction (Spark).

    Example:
        >>> rec = erase(ws, "C042", reason="GDPR request 17", requested_by="dpo")  # doctest: +SKIP
        >>> rec.tables  # doctest: +SKIP
        ['customer_segments', 'customers', 'events', 'identities', 'responses', 'transactions']
    """
    customer_id = _text(customer_id, "customer_id")
    reason = _text(reason, "reason")
    requested_by = _text(requested_by, "requested_by")
    engine = ws.engine
    if not engine.atomic:
        raise WorkspaceError(
            f"erasure needs DELETE inside one transaction, which the {engine.name} backend does "
            "not give cxlens' tables (Spark's Parquet tables cannot DELETE at all); erase in a "
            "DuckDB workspace, or delete the customer's rows with your platform's own tools "
            "(Delta/Iceberg DELETE) and record it"
        )
    secret = workspace_secret(ws)
    key = pseudonymise([customer_id], secret)[0]
    found = footprint(ws, customer_id)
    deletes = plan(ws, found)
    if not any(_counts(ws, deletes).values()):
        before = _previous(ws, key)
        raise NotEnoughDataError(
            f"no table references customer '{customer_id}'"
            + (f"; it was erased on {before:%Y-%m-%d %H:%M} UTC (see `cxlens erasures`)"
               if before is not None else "; check the id (cxlens profile ID)")
        )  # fmt: skip
    with engine.transaction():
        removed = {}
        for name, predicate in deletes.items():
            n = engine.delete_where(name, predicate)
            if n:
                removed[name] = n
        changed = _cut_quotes(ws, found.comments, quote_match)
        record = ErasureRecord(
            erasure_id=uuid.uuid4().hex,
            customer_key=key,
            requested_by=requested_by,
            reason=reason,
            erased_at=datetime.now(UTC).replace(tzinfo=None),
            rows_removed=removed,
            rows_changed=changed,
            compacted=bool(compact and engine.database_file() is not None),
        )
        _log(engine, record)
    if record.compacted:
        engine.compact()
    return record


def preview(ws: Any, customer_id: str) -> dict[str, int]:
    """Return, per table, how many rows erasing ``customer_id`` would delete (nothing changes).

    Example:
        >>> preview(ws, "C000042")  # doctest: +SKIP
        {'customers': 1, 'events': 16, 'identities': 2, 'responses': 1, 'transactions': 6}
    """
    counts = _counts(ws, plan(ws, footprint(ws, _text(customer_id, "customer_id"))))
    return {name: n for name, n in counts.items() if n}


def _counts(ws: Any, deletes: dict[str, ir.BooleanValue]) -> dict[str, int]:
    eng = ws.engine
    return {name: int(eng.execute(eng.table(name).filter(p).count())) for name, p in
            deletes.items()}  # fmt: skip


def footprint(ws: Any, customer_id: str) -> Footprint:
    """Return the ids, records, PII and comments that identify ``customer_id``.

    Only the customer's own rows leave the engine (filtered there).

    Example:
        >>> footprint(ws, "C000042").pii["email"]  # doctest: +SKIP
        ['olga@cyberdyne15.example']
    """
    eng = ws.engine
    tables = set(eng.list_tables())
    ids: dict[str, set[str]] = {k: set() for k in ID_KEYS}
    ids["customer_id"].add(customer_id)
    records: set[tuple[str, str]] = set()
    if CLUSTERS_TABLE in tables:
        c = eng.table(CLUSTERS_TABLE)
        cond = _any_equal(c, [col for col in c.columns if _family(col) == "customer_id"],
                          customer_id)  # fmt: skip
        cols = [col for col in ("source", "source_id", "record_id", "loaded_customer_id")
                if col in c.columns]  # fmt: skip
        if cond is not None and {"source", "source_id"} <= set(cols):
            rows = eng.execute(c.filter(cond).select(*cols))
            records |= set(zip(rows["source"], rows["source_id"], strict=True))
            if "record_id" in rows:
                ids["record_id"] |= set(rows["record_id"].dropna())
            if "loaded_customer_id" in rows:
                # the ids the cluster's sources gave: their fact rows are the customer's too
                ids["customer_id"] |= set(rows["loaded_customer_id"].dropna())
    mine_ids = sorted(ids["customer_id"])
    pii: dict[str, set[str]] = {col: set() for col in FREE_TEXT_PII}
    if "identities" in tables:
        t = eng.table("identities")
        rows = eng.execute(t.filter(t.customer_id.isin(mine_ids)).select("source", "source_id"))
        records |= set(zip(rows["source"], rows["source_id"], strict=True))
        if records:
            wanted = [c for c in TABLES["identities"].names if c in t.columns]
            mine = eng.execute(t.filter(_pairs(t, "source", "source_id", records)).select(wanted))
            for col in FREE_TEXT_PII:
                if col in mine:
                    pii[col] |= {str(v).strip() for v in mine[col].dropna() if str(v).strip()}
            if {"first_name", "last_name"} <= set(mine.columns):
                full = mine["first_name"].str.strip() + " " + mine["last_name"].str.strip()
                pii["name"] |= set(full.dropna())
    for name, key in OWNED.items():
        if name in tables and "customer_id" in eng.columns(name):
            t = eng.table(name)
            ids[key] |= set(eng.execute(t.filter(t.customer_id.isin(mine_ids))[key])
                            .dropna().astype(str))  # fmt: skip
    comments: list[str] = []
    if "responses" in tables and "comment" in eng.columns("responses"):
        t = eng.table("responses")
        got = eng.execute(t.filter(t.customer_id.isin(mine_ids) & t.comment.notnull()).comment)
        comments = sorted(set(got.astype(str)))
    if "posts" in tables:
        p = eng.table("posts")
        cond = _post_condition(p, customer_id, pii["email"])
        if cond is not None:
            ids["post_id"] |= set(eng.execute(p.filter(cond).post_id).dropna().astype(str))
    return Footprint(
        customer_id=customer_id,
        ids={k: sorted(v) for k, v in ids.items() if v},
        records=sorted(records),
        pii={k: sorted(v) for k, v in pii.items() if v},
        comments=comments,
    )


def plan(ws: Any, found: Footprint) -> dict[str, ir.BooleanValue]:
    """Return, per table, the condition that picks the rows erasing ``found`` removes.

    Every table of the engine is looked at (its columns discovered), except
    :data:`PROTECTED`; tables without a matching column are left out.

    Example:
        >>> sorted(plan(ws, footprint(ws, "C000042")))  # doctest: +SKIP
        ['_quarantine', 'customer_segments', 'customers', 'events', 'identities', ...]
    """
    out: dict[str, ir.BooleanValue] = {}
    pattern = mention_pattern(found)
    # a name is shared by many people: it picks a row only beside the customer's address
    names = _words_pattern(found.pii.get("name", []))
    addresses = _words_pattern(found.pii.get("address", []))
    for name in ws.engine.list_tables():
        if name in PROTECTED:
            continue
        t = ws.engine.table(name)
        conds = _key_conditions(t, found)
        if name == "posts":
            post = _post_condition(t, found.customer_id, found.pii.get("email", []))
            conds += [post] if post is not None else []
        text_cols = ["raw", "value"] if name == QUARANTINE_TABLE else ["raw"]
        for col in (c for c in text_cols if c in t.columns and t[c].type().is_string()):
            text = t[col].lower()
            if pattern is not None:
                conds.append(text.re_search(pattern).fill_null(False))
            if names is not None and addresses is not None:
                both = text.re_search(names) & text.re_search(addresses)
                conds.append(both.fill_null(False))
        if conds:
            out[name] = ibis.or_(*conds)
    return out


def mention_pattern(found: Footprint) -> str | None:
    """Return a regular expression (lower case) matching the customer's identifiers as words.

    Ids, record ids and e-mails match literally; phones match their digits with any
    spacing, and also without the country code. Names and addresses are left out: many
    people share a name, so free text naming them is the customer's only beside their
    address (see :func:`plan`) or one of these identifiers.

    Example:
        >>> fp = Footprint("C1", {"customer_id": ["C1"]}, [], {"phone": ["+44 20 7946 0018"]}, [])
        >>> import re; bool(re.search(mention_pattern(fp), "call 020 7946-0018"))
        True
    """
    words: set[str] = {found.customer_id}
    words |= {source_id for _, source_id in found.records}
    words |= set(found.pii.get("email", []))
    alts = _alternatives(words)
    for phone in found.pii.get("phone", []):
        for digits in _phone_digits(phone):
            alts.append(r"[\s().+-]*".join(digits))
    return _as_words(alts)


def _words_pattern(words: Iterable[str]) -> str | None:
    """Return a regular expression (lower case) matching any of ``words`` as a whole word."""
    return _as_words(_alternatives(words))


def _alternatives(words: Iterable[str]) -> list[str]:
    return sorted({_escape(w.lower()) for w in words if len(w.strip()) >= 2})


def _as_words(alts: list[str]) -> str | None:
    if not alts:
        return None
    return r"(^|[^a-z0-9])(" + "|".join(alts) + r")($|[^a-z0-9])"


def erasures(ws: Any) -> pd.DataFrame:
    """Return the erasure log, oldest first.

    Columns: erasure_id, customer_key (keyed hash of the id), requested_by, reason,
    erased_at, rows_removed (JSON: table -> rows), rows_changed (JSON), rows_total, tables,
    compacted.

    Example:
        >>> erasures(ws)[["erased_at", "rows_total"]]  # doctest: +SKIP
    """
    if ERASURES_TABLE not in ws.engine.list_tables():
        return pd.DataFrame({c: pd.Series(dtype=object) for c in LOG_COLUMNS})
    return ws.engine.execute(ws.engine.table(ERASURES_TABLE).order_by("erased_at"))


def is_erased(ws: Any, customer_ids: Iterable[str]) -> list[bool]:
    """Return, for each id, whether an erasure of it is in the log (compared as keyed hashes).

    Use it to keep an erased customer from coming back with a later load.

    Example:
        >>> is_erased(ws, ["C000042", "C000043"])  # doctest: +SKIP
        [True, False]
    """
    ids = list(customer_ids)
    if ERASURES_TABLE not in ws.engine.list_tables():
        return [False] * len(ids)
    keys = pseudonymise(ids, workspace_secret(ws))
    log = ws.engine.table(ERASURES_TABLE)
    done = set(ws.engine.execute(log.filter(log.customer_key.isin(keys)).customer_key))
    return [k in done for k in keys]


# --- conditions ------------------------------------------------------------------------


def _family(column: str) -> str | None:
    """Return the key a column holds, from its name: ``customer_id``, ``loaded_customer_id``..."""
    for key in (*ID_KEYS, "source_id"):
        if column == key or column.startswith(key + "_") or column.endswith("_" + key):
            return key
    return None


def _key_conditions(t: ibis.Table, found: Footprint) -> list[ir.BooleanValue]:
    conds: list[ir.BooleanValue] = []
    for col in t.columns:
        family = _family(col)
        if family == "source_id":
            partner = col.replace("source_id", "source", 1)
            if found.records and partner in t.columns:
                conds.append(_pairs(t, partner, col, found.records))
            elif found.records:
                conds.append(_as_text(t[col]).isin(sorted({s for _, s in found.records})))
        elif family is not None and found.ids.get(family):
            conds.append(_as_text(t[col]).isin(found.ids[family]))
    return [c.fill_null(False) for c in conds]


def _pairs(
    t: ibis.Table, source: str, source_id: str, records: Iterable[tuple[str, str]]
) -> ir.BooleanValue:
    """Rows whose (source, source_id) is one of ``records`` (grouped by source: short SQL)."""
    by_source: dict[str, list[str]] = {}
    for src, sid in records:
        by_source.setdefault(src, []).append(sid)
    return ibis.or_(*[
        (t[source] == src) & _as_text(t[source_id]).isin(sorted(sids))
        for src, sids in sorted(by_source.items())
    ])  # fmt: skip


def _post_condition(
    p: ibis.Table, customer_id: str, emails: Iterable[str]
) -> ir.BooleanValue | None:
    conds = []
    if "customer_id" in p.columns:
        conds.append(_as_text(p.customer_id) == customer_id)
    lowered = sorted({e.lower() for e in emails})
    if lowered and "author" in p.columns:
        conds.append(p.author.strip().lower().isin(lowered))
    return ibis.or_(*conds).fill_null(False) if conds else None


def _any_equal(t: ibis.Table, columns: list[str], value: str) -> ir.BooleanValue | None:
    if not columns:
        return None
    return ibis.or_(*[(_as_text(t[c]) == value).fill_null(False) for c in columns])


def _as_text(column: ir.Value) -> ir.StringValue:
    return column if column.type().is_string() else column.cast("string")


# --- text ------------------------------------------------------------------------------

#: Characters with a meaning in regular expressions (RE2, Java and Python agree on these).
_SPECIAL = set(r"\.^$|?*+()[]{}/-")


def _escape(text: str) -> str:
    return "".join("\\" + ch if ch in _SPECIAL else ch for ch in text)


def _phone_digits(phone: str) -> list[str]:
    """Return the phone's digits, and its national number when a country code can be read."""
    import phonenumbers

    digits = re.sub(r"\D", "", phone)
    out = {digits} if len(digits) >= 7 else set()
    try:
        parsed = phonenumbers.parse(phone if phone.strip().startswith("+") else "+" + digits)
        national = str(parsed.national_number)
        if len(national) >= 7:
            out.add(national)
            out.add("0" + national)  # trunk prefix of national formats (UK, RU, CN...)
    except phonenumbers.NumberParseException:
        pass
    return sorted(out)


def _cut_quotes(ws: Any, comments: list[str], quote_match: QuoteMatch | None) -> dict[str, int]:
    """Remove the customer's comments from every quote column (:data:`QUOTE_COLUMNS`).

    A list loses the customer's quotes; a single quote (``negative_quote``) becomes empty,
    with its marked sentence. Returns the rows changed per table.
    """
    if not comments:
        return {}
    theirs = quote_match(comments) if quote_match else set(comments).__contains__
    changed: dict[str, int] = {}
    eng = ws.engine
    for name in eng.list_tables():
        cols = eng.columns(name)
        present = [c for c in QUOTE_COLUMNS if cols.get(c) == "string"]
        if name in PROTECTED or not present:
            continue
        t = eng.table(name)
        # quote tables are small (a row a theme), and a cut quote is found by its text inside
        # the comment, not the other way round: their quotes are read and compared here
        frame = eng.execute(t.select(*present))
        updates = [
            (col, old, new)
            for col in present
            for old in frame[col].dropna().unique()
            if (new := _without_theirs(col, str(old), theirs)) != old
        ]
        if not updates:
            continue
        hit = ibis.or_(*[t[col] == old for col, old, _ in updates])
        changed[name] = int(eng.execute(t.filter(hit).count()))
        for col, old, new in updates:
            values = {col: new}
            if col == "negative_quote" and "negative_sentence" in cols:
                values["negative_sentence"] = None
            eng.update_where(name, values, t[col] == old)
    return changed


def _without_theirs(column: str, value: str, theirs: Callable[[str], bool]) -> str | None:
    """Return a quote column's ``value`` without the customer's quotes (None: nothing left)."""
    if column == "negative_quote":
        return None if theirs(value) else value
    if column == "quotes":
        return "\n".join(q for q in value.split("\n") if not theirs(q))
    by_language = json.loads(value)
    kept = {lang: [q for q in qs if not theirs(q)] for lang, qs in by_language.items()}
    return value if kept == by_language else json.dumps(kept, ensure_ascii=False)


# --- log -------------------------------------------------------------------------------


def _log(engine: Any, record: ErasureRecord) -> None:
    if ERASURES_TABLE not in engine.list_tables():
        engine.create_table(ERASURES_TABLE, LOG_COLUMNS)
    row = {
        "erasure_id": [record.erasure_id],
        "customer_key": [record.customer_key],
        "requested_by": [record.requested_by],
        "reason": [record.reason],
        "erased_at": pa.array([record.erased_at], pa.timestamp("us")),
        "rows_removed": [json.dumps(record.rows_removed, sort_keys=True)],
        "rows_changed": [json.dumps(record.rows_changed, sort_keys=True)],
        "rows_total": [record.rows_total],
        "tables": [", ".join(record.tables)],
        "compacted": [record.compacted],
    }
    engine.append(ERASURES_TABLE, pa.table(row))


def _previous(ws: Any, key: str) -> datetime | None:
    if ERASURES_TABLE not in ws.engine.list_tables():
        return None
    log = ws.engine.table(ERASURES_TABLE)
    rows = ws.engine.execute(log.filter(log.customer_key == key).erased_at.max())
    return None if rows is None or pd.isna(rows) else pd.Timestamp(rows).to_pydatetime()


def _text(value: Any, what: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ArgumentError(
            f"{what} must be non-empty text, not {value!r}; an erasure records who asked and why"
        )
    return value.strip()
