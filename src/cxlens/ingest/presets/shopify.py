"""Shopify orders export (CSV): one row per line item -> transactions, one per line.

Order-level fields (Email, Financial Status, Paid at, Currency, Subtotal, Total, Refunded
Amount, Source, Created at...) are filled on an order's first row and may be blank on its
other rows; they are carried down within the order (``Name``, e.g. ``#1001``), across
chunks too. Dates are ``YYYY-MM-DD hh:mm:ss +hhmm``.

Mapped: ``transaction_id`` = order name / line number (``#1001/2``); ``occurred_at`` =
Created at; ``amount`` = Lineitem price × Lineitem quantity (before order discounts);
``quantity``, ``product`` (Lineitem name), ``currency``, ``channel`` (Source); extras
``order_name``, ``sku``, ``financial_status``. An order with a Refunded Amount above zero
gets one more row, ``#1001/refund``, with minus that amount at the order's time (the export
does not say when the refund happened). The export has no customer id and the email is PII,
which stays out of transactions: ``customer_id`` is ``shopify:`` + the first 16 hex digits
of SHA-256 of the trimmed, lower-cased email; an order without an email is quarantined.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from typing import ClassVar

import pandas as pd

from cxlens.ingest.presets.base import Preset, column, to_utc
from cxlens.ingest.readers import ROW_PROBLEM, HeaderRows

DATE_FORMAT = "%Y-%m-%d %H:%M:%S %z"
OUTPUT = ("transaction_id", "customer_id", "occurred_at", "amount", "currency", "quantity",
          "product", "channel", "order_name", "sku", "financial_status")  # fmt: skip


def customer_key(email: object) -> str | None:
    """Return the pseudonymous customer id of an email (None when there is none).

    Example:
        >>> customer_key(" Ann@Example.com ") == customer_key("ann@example.com")
        True
    """
    if not isinstance(email, str) or not email.strip():
        return None
    digest = hashlib.sha256(email.strip().lower().encode("utf-8")).hexdigest()
    return "shopify:" + digest[:16]


class Shopify(Preset):
    """Shopify orders export -> transactions (one row per line, plus refunds).

    Example:
        >>> Shopify().table
        'transactions'
    """

    name: ClassVar[str] = "shopify"
    title: ClassVar[str] = "Shopify orders"
    table: ClassVar[str] = "transactions"
    expected: ClassVar[dict[int, tuple[str, ...]]] = {
        1: ("Name", "Email", "Financial Status", "Currency", "Created at", "Lineitem quantity",
            "Lineitem name", "Lineitem price"),
    }  # fmt: skip
    docs: ClassVar[tuple[str, ...]] = (
        "https://help.shopify.com/en/manual/fulfillment/managing-orders/exporting-orders",
        "https://docs.xbp.app/docs/development/integrations/shopify/order-format",
    )

    def columns(self, names: list[str], header: HeaderRows) -> dict[str, str]:
        """Return the columns the transform writes."""
        return {c: c for c in OUTPUT}

    def rewrite(
        self, chunks: Iterator[pd.DataFrame], columns: dict[str, str]
    ) -> Iterator[pd.DataFrame]:
        """Carry order fields down, within and across chunks, then build the lines."""
        carry: pd.Series | None = None  # the last order-level values seen
        lines_before = 0  # line items of that order already seen in earlier chunks
        for chunk in chunks:
            chunk = chunk.copy()
            order_fields = [c for c in chunk.columns
                            if not c.startswith(("Lineitem", "_")) and c != "Name"]  # fmt: skip
            ok = chunk[ROW_PROBLEM].isna() if ROW_PROBLEM in chunk.columns else None
            body = chunk if ok is None else chunk[ok]
            filled, number = self._fill(body, order_fields, carry, lines_before)
            if len(filled):
                lines_before = int(number.iloc[-1])
                carry = filled.iloc[-1][["Name", *order_fields]]
            out = self._lines(filled, number)
            if ok is not None and (~ok).any():  # broken rows go on, to be quarantined
                broken = chunk[~ok]
                rest = pd.DataFrame({c: None for c in OUTPUT}, index=broken.index)
                out = pd.concat([out, pd.concat([rest, broken.filter(regex="^_")], axis=1)])
            yield out.sort_values("_source_row", kind="stable").reset_index(drop=True)

    @staticmethod
    def _fill(
        body: pd.DataFrame, fields: list[str], carry: pd.Series | None, lines_before: int
    ) -> tuple[pd.DataFrame, pd.Series]:
        """Forward-fill order fields within each order; number each order's lines from 1."""
        frame = body.copy()
        if carry is not None:
            frame = pd.concat([carry.to_frame().T, frame])
        name = frame["Name"].ffill()
        frame["Name"] = name
        blank = frame[fields].isna()
        frame[fields] = frame[fields].where(~blank, frame.groupby(name)[fields].ffill())
        number = frame.groupby(name, sort=False).cumcount() + 1
        if carry is not None:
            same = name == carry["Name"]
            number = number.where(~same, number - 1 + lines_before)
            frame, number = frame.iloc[1:], number.iloc[1:]
        return frame, number

    def _lines(self, frame: pd.DataFrame, number: pd.Series) -> pd.DataFrame:
        name = frame["Name"]
        qty_text = frame["Lineitem quantity"]
        price_text = frame["Lineitem price"]
        qty = pd.to_numeric(qty_text, errors="coerce")
        price = pd.to_numeric(price_text, errors="coerce")
        amount = (price * qty).map(lambda v: None if pd.isna(v) else repr(round(float(v), 2)))
        # a bad price or quantity keeps its text, to be quarantined with that value
        amount = amount.where(amount.notna(), price_text.where(price.isna(), qty_text))
        lines = pd.DataFrame({
            "transaction_id": (name.astype("string") + "/" + number.astype("string")).astype(
                object),
            "customer_id": frame["Email"].map(customer_key),
            "occurred_at": to_utc(frame["Created at"], self.zone, DATE_FORMAT),
            "amount": amount,
            "currency": frame["Currency"],
            "quantity": qty_text,
            "product": frame["Lineitem name"],
            "channel": column(frame, "Source"),
            "order_name": name,
            "sku": column(frame, "Lineitem sku"),
            "financial_status": frame["Financial Status"],
        }, index=frame.index)  # fmt: skip
        lines = pd.concat([lines, frame.filter(regex="^_")], axis=1)
        refunded = pd.to_numeric(column(frame, "Refunded Amount"), errors="coerce")
        first = (number == 1).to_numpy() & (refunded > 0).to_numpy()
        if first.any():
            refunds = lines[first].copy()
            refunds["transaction_id"] = refunds["order_name"].astype(str) + "/refund"
            refunds["amount"] = [repr(-round(float(v), 2)) for v in refunded[first]]
            refunds[["quantity", "product", "sku"]] = None
            lines = pd.concat([lines, refunds])
        return lines


__all__ = ["Shopify", "customer_key"]
