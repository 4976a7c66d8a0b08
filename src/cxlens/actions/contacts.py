"""One contact record per customer, picked from ``identities`` in the engine.

``identities`` is the only table with PII; a target list gets its e-mail, phone and name from
here and nowhere else. A customer may have several records (CRM, web accounts, support
contacts); the one used is, in order: one with an e-mail or phone, from the most preferred
source (the CRM by default), most recently updated (when ``updated_at`` exists), then by
source and source id so the pick is deterministic. Only the customers of the list are looked
up: a semi-join against their ids runs in the engine, which returns one row per customer.

First and last names come from ``first_name`` / ``last_name`` when the table has them and
they are filled; otherwise they are split from ``name``: "Last, First" at the comma, else the
last word is the last name. A name with no space ("王伟") is kept whole as the last name,
since Salesforce requires one and cxlens cannot tell a CJK surname reliably.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Any

import ibis
import pandas as pd

from cxlens.errors import ArgumentError, SchemaError
from cxlens.store.query import run

#: Columns of :func:`contacts`.
CONTACT_COLUMNS: tuple[str, ...] = (
    "customer_id",
    "source",
    "source_id",
    "email",
    "phone",
    "first_name",
    "last_name",
    "country",
)
#: Sources preferred by default: the CRM holds the record a company keeps clean.
PREFERRED_SOURCES: tuple[str, ...] = ("crm",)
_SPACES = re.compile(r"\s+")


def contacts(
    ws: Any, customer_ids: Iterable[str], *, prefer: Sequence[str] = PREFERRED_SOURCES
) -> pd.DataFrame:
    """Return one contact record per customer of ``customer_ids`` that has one.

    Args:
        ws: the Workspace (its ``identities`` table).
        customer_ids: the customers to look up.
        prefer: sources in order of preference (case-insensitive); other sources come after.

    Returns:
        DataFrame with customer_id, source, source_id, email, phone, first_name, last_name,
        country (text, None where missing); customers without any identity record are
        absent.

    Raises:
        SchemaError: ``identities`` lacks customer_id, source or source_id.

    Example:
        >>> contacts(ws, ["C000001"])[["customer_id", "source", "email"]]  # doctest: +SKIP
          customer_id source                  email
        0     C000001    crm  anna.lee@example.com
    """
    ids = sorted({str(c) for c in customer_ids if c is not None and not pd.isna(c)})
    if not ids:
        return pd.DataFrame(columns=list(CONTACT_COLUMNS))
    table = ws.table("identities")
    for col in ("customer_id", "source", "source_id"):
        if col not in table.columns:
            raise SchemaError(
                f"identities has no column '{col}', which contact look-up needs; available "
                f"columns: {', '.join(table.columns)}"
            )
    wanted = ibis.memtable(pd.DataFrame({"_customer_id": pd.Series(ids, dtype="str")}))
    rows = table.semi_join(wanted, table.customer_id == wanted._customer_id)
    frame = run(_pick(rows, prefer), "the contact records of the target list")
    return _finish(frame)


def _pick(rows: ibis.Table, prefer: Sequence[str]) -> ibis.Table:
    """Return the best record per customer (see the module docstring), with text columns."""
    if isinstance(prefer, str):
        raise ArgumentError(f"prefer must be a list of sources, e.g. ['crm']; got {prefer!r}")
    source = rows.source.lower().strip()
    rank = ibis.cases(*[(source == s.lower(), i) for i, s in enumerate(prefer)],
                      else_=len(prefer)) if prefer else ibis.literal(0)  # fmt: skip
    reachable = _filled(rows, "email") | _filled(rows, "phone")
    # A record one can reach beats a preferred one that cannot be (a CRM row without either).
    order: list[Any] = [ibis.desc(reachable.cast("int8")), rank]
    if "updated_at" in rows.columns:
        order.append(rows.updated_at.desc(nulls_first=False))
    order += [rows.source, rows.source_id]
    ranked = rows.mutate(
        _rank=ibis.row_number().over(ibis.window(group_by="customer_id", order_by=order))
    )
    best = ranked.filter(ranked._rank == 0)
    out = {
        "customer_id": best.customer_id.cast("string"),
        "source": best.source.cast("string"),
        "source_id": best.source_id.cast("string"),
    }
    for col in ("email", "phone", "name", "first_name", "last_name", "country"):
        out[col] = best[col].cast("string") if col in best.columns else ibis.null("string")
    return best.select(**out)


def _filled(rows: ibis.Table, col: str) -> Any:
    if col not in rows.columns:
        return ibis.literal(False)
    value = rows[col].cast("string")
    return value.notnull() & (value.strip() != "")


def _finish(frame: pd.DataFrame) -> pd.DataFrame:
    """Clean whitespace and split names where first/last names are not given."""
    # object columns: None stays None (pandas 3's string dtype would turn it into NaN)
    out = pd.DataFrame({c: pd.Series([_clean(v) for v in frame[c]], dtype=object)
                        for c in frame.columns})  # fmt: skip
    first, last = [], []
    for f, la, full in zip(out["first_name"], out["last_name"], out["name"], strict=True):
        if f or la:
            first.append(f)
            last.append(la)
        else:
            a, b = split_name(full)
            first.append(a)
            last.append(b)
    out["first_name"] = pd.Series(first, dtype=object)
    out["last_name"] = pd.Series(last, dtype=object)
    return out[list(CONTACT_COLUMNS)].sort_values("customer_id", ignore_index=True)


def split_name(name: str | None) -> tuple[str | None, str | None]:
    """Return (first name, last name) of a full name as written.

    Example:
        >>> split_name("Anna Maria Lee"), split_name("Lee, Anna"), split_name("王伟")
        (('Anna Maria', 'Lee'), ('Anna', 'Lee'), (None, '王伟'))
    """
    name = _clean(name)
    if not name:
        return None, None
    if "," in name:
        last, _, first = name.partition(",")
        return _clean(first), _clean(last)
    words = name.split(" ")
    if len(words) == 1:
        return None, words[0]
    return " ".join(words[:-1]), words[-1]


def _clean(value: Any) -> str | None:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    text = _SPACES.sub(" ", str(value)).strip()
    return text or None
