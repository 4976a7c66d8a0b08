"""Shopify orders export (CSV): line items -> transactions; buyers -> identities.

Order-level fields (Email, Financial Status, Paid at, Currency, Subtotal, Shipping, Taxes,
Discount Amount, Refunded Amount, Source, Created at, Billing ...) are filled on an order's
first row and may be blank on its other rows; they are carried down within the order
(``Name``, e.g. ``#1001``). An order is always processed whole: its rows are held back while
the next chunk of the file may still hold more of them. Dates are ``YYYY-MM-DD hh:mm:ss
+hhmm``.

Revenue, as a finance team reads it (:class:`Shopify`, table ``transactions``):

* one row per line item, ``transaction_id`` = order name / line number (``#1001/2``);
  ``amount`` = what the customer paid for the line before tax and shipping: Lineitem price ×
  Lineitem quantity, less the line's own discount (``Lineitem discount``, when the export has
  it) and its share of the order's remaining discount (``Discount Amount`` less the line
  discounts), shared in proportion to the lines' amounts, in whole cents (largest
  remainders), so the lines add up to the order's goods after discounts (``Subtotal``). A
  discount above the goods total is a shipping discount and stays out of the lines.
  ``discount`` holds the line's discount; ``shipping`` and ``tax`` the order's (on its first
  line only, so sums count each order once);
* an order with a Refunded Amount above zero gets one more row, ``#1001/refund``, at the
  order's time (the export does not say when the refund happened): ``amount`` = minus the
  part of the refund up to the order's goods, ``shipping`` and ``tax`` = minus the rest (to
  shipping first, up to the order's shipping, then tax), so refunding shipping never makes
  revenue negative;
* ``customer_id``: the buyer. With an e-mail, ``shopify:`` + the first 16 hex digits of
  SHA-256 of the trimmed, lower-cased e-mail (the e-mail is PII and stays out of
  transactions); without one, the tool's customer id (``Customer ID`` / ``Customer Id``) as
  ``shopify-customer:<id>``; without either, the order is a guest's: ``shopify-guest:<order
  name>``. ``buyer_key`` says which ("email", "customer id", "guest").

Buyers (:class:`ShopifyBuyers`, preset ``shopify_buyers``, or ``preset="shopify",
table="identities"``): one identities record per order (``source`` "shopify", ``source_id``
the order name) with the same ``customer_id`` as its lines, the e-mail, billing name, phone,
address, postcode, city and country, ``updated_at`` = the order's time. Identity resolution
links them to the buyer's records in other sources, and the order lines are then read under
the resolved customer (see docs/identity.md).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from typing import ClassVar

import numpy as np
import pandas as pd

from cxlens.ingest.presets.base import OwnColumns, column, to_utc, with_row_columns
from cxlens.ingest.readers import ROW_PROBLEM

DATE_FORMAT = "%Y-%m-%d %H:%M:%S %z"
OUTPUT = ("transaction_id", "customer_id", "occurred_at", "amount", "currency", "quantity",
          "product", "channel", "order_name", "sku", "financial_status", "discount",
          "shipping", "tax", "buyer_key")  # fmt: skip
BUYER_OUTPUT = ("source", "source_id", "customer_id", "email", "name", "phone", "address",
                "postcode", "city", "country", "updated_at")  # fmt: skip
#: Headers some exports give the tool's own customer id under.
CUSTOMER_ID_HEADERS = ("Customer ID", "Customer Id", "Customer id", "Customer: ID")


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


def buyer(email: object, customer: object, order: object) -> tuple[str, str]:
    """Return ``(customer_id, buyer_key)`` of an order: by e-mail, customer id, or guest.

    Example:
        >>> buyer(None, None, "#1003")
        ('shopify-guest:#1003', 'guest')
        >>> buyer("", " 77 ", "#1004")
        ('shopify-customer:77', 'customer id')
    """
    key = customer_key(email)
    if key is not None:
        return key, "email"
    if isinstance(customer, str) and customer.strip():
        return "shopify-customer:" + customer.strip(), "customer id"
    return f"shopify-guest:{order}", "guest"


def allocate(cents: np.ndarray, total: int) -> np.ndarray:
    """Share ``total`` cents over lines in proportion to ``cents``, summing exactly.

    Largest remainders: each line gets the floor of its share, and the cents left over go to
    the lines with the largest fractions (earlier lines first on ties). ``total`` is capped
    at the lines' sum.

    Example:
        >>> allocate(np.array([1000, 2000, 0]), 100).tolist()
        [33, 67, 0]
    """
    base = int(cents.sum())
    total = min(max(int(total), 0), base)
    if base == 0 or total == 0:
        return np.zeros(len(cents), dtype=np.int64)
    exact = cents * total / base
    share = np.floor(exact).astype(np.int64)
    left = total - int(share.sum())
    order = np.argsort(-(exact - share), kind="stable")[:left]
    share[order] += 1
    return share


def _cents(values: pd.Series) -> pd.Series:
    return (pd.to_numeric(values, errors="coerce") * 100).round()


def _money(cents: float) -> str | None:
    return None if pd.isna(cents) else repr(round(float(cents) / 100 + 0.0, 2))


class _Orders(OwnColumns):
    """A Shopify orders export read whole order by whole order."""

    tool: ClassVar[str] = "shopify"
    expected: ClassVar[dict[int, tuple[str, ...]]] = {
        1: ("Name", "Email", "Financial Status", "Currency", "Created at", "Lineitem quantity",
            "Lineitem name", "Lineitem price"),
    }  # fmt: skip
    docs: ClassVar[tuple[str, ...]] = (
        "https://help.shopify.com/en/manual/fulfillment/managing-orders/exporting-orders",
        "https://docs.xbp.app/docs/development/integrations/shopify/order-format",
    )

    def rewrite(
        self, chunks: Iterator[pd.DataFrame], columns: dict[str, str]
    ) -> Iterator[pd.DataFrame]:
        """Yield the rows of whole orders: an order's rows wait for the next chunk."""
        pending: pd.DataFrame | None = None
        for chunk in chunks:
            frame = chunk if pending is None else pd.concat([pending, chunk])
            done, pending = self._hold_last_order(frame)
            if len(done):
                yield self._build(done)
        if pending is not None and len(pending):
            yield self._build(pending)

    @staticmethod
    def _hold_last_order(frame: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
        """Split off the rows of the frame's last order (more of it may follow)."""
        ok = _ok(frame)
        name = frame["Name"].where(ok).ffill()
        last = name[ok].iloc[-1] if ok.any() else None
        held = ok & (name == last)
        return frame[~held], frame[held]

    def _build(self, frame: pd.DataFrame) -> pd.DataFrame:
        ok = _ok(frame)
        body = frame[ok]
        fields = [c for c in body.columns if not c.startswith(("Lineitem", "_")) and c != "Name"]
        filled = body.copy()
        name = filled["Name"].ffill()
        filled["Name"] = name
        blank = filled[fields].isna()
        filled[fields] = filled[fields].where(~blank, filled.groupby(name)[fields].ffill())
        number = filled.groupby(name, sort=False).cumcount() + 1
        out = self._records(filled, number)
        if (~ok).any():  # broken rows go on, to be quarantined
            broken = frame[~ok]
            rest = pd.DataFrame({c: None for c in self.OUTPUT}, index=broken.index)
            out = pd.concat([out, with_row_columns(rest, broken)])
        return out.sort_values("_source_row", kind="stable").reset_index(drop=True)

    def _records(self, frame: pd.DataFrame, number: pd.Series) -> pd.DataFrame:
        raise NotImplementedError

    def _buyers(self, frame: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
        customer = next((column(frame, h) for h in CUSTOMER_ID_HEADERS if h in frame), None)
        customer = column(frame, None) if customer is None else customer
        pairs = [buyer(e, c, o) for e, c, o in zip(frame["Email"], customer, frame["Name"],
                                                   strict=True)]  # fmt: skip
        return (pd.Series([p[0] for p in pairs], index=frame.index, dtype=object),
                pd.Series([p[1] for p in pairs], index=frame.index, dtype=object))  # fmt: skip


def _ok(frame: pd.DataFrame) -> pd.Series:
    if ROW_PROBLEM in frame.columns:
        return frame[ROW_PROBLEM].isna()
    return pd.Series(True, index=frame.index)


class Shopify(_Orders):
    """Shopify orders export -> transactions (one row per line, plus refunds).

    Example:
        >>> Shopify().table
        'transactions'
    """

    name: ClassVar[str] = "shopify"
    title: ClassVar[str] = "Shopify orders"
    table: ClassVar[str] = "transactions"
    OUTPUT: ClassVar[tuple[str, ...]] = OUTPUT

    def _records(self, frame: pd.DataFrame, number: pd.Series) -> pd.DataFrame:
        name = frame["Name"]
        qty_text, price_text = frame["Lineitem quantity"], frame["Lineitem price"]
        qty = pd.to_numeric(qty_text, errors="coerce")
        price = pd.to_numeric(price_text, errors="coerce")
        gross = (price * qty * 100).round()
        own = _cents(column(frame, "Lineitem discount")).fillna(0).clip(lower=0)
        own = own.where(own <= gross, gross)
        discount = own + self._order_discounts(frame, gross - own, own)
        net = gross - discount
        amount = net.map(_money)
        # a bad price or quantity keeps its text, to be quarantined with that value
        amount = amount.where(amount.notna(), price_text.where(price.isna(), qty_text))
        customer, key = self._buyers(frame)
        first = (number == 1).to_numpy()
        shipping = _cents(column(frame, "Shipping")).where(first)
        tax = _cents(column(frame, "Taxes")).where(first)
        lines = pd.DataFrame({
            "transaction_id": (name.astype("string") + "/" + number.astype("string")).astype(
                object),
            "customer_id": customer,
            "occurred_at": to_utc(frame["Created at"], self.zone, DATE_FORMAT),
            "amount": amount,
            "currency": frame["Currency"],
            "quantity": qty_text,
            "product": frame["Lineitem name"],
            "channel": column(frame, "Source"),
            "order_name": name,
            "sku": column(frame, "Lineitem sku"),
            "financial_status": frame["Financial Status"],
            "discount": discount.map(_money),
            "shipping": shipping.map(_money),
            "tax": tax.map(_money),
            "buyer_key": key,
        }, index=frame.index)  # fmt: skip
        lines = with_row_columns(lines, frame)
        refunds = self._refunds(lines, frame, net, first, shipping)
        return pd.concat([lines, refunds]) if len(refunds) else lines

    @staticmethod
    def _order_discounts(frame: pd.DataFrame, base: pd.Series, own: pd.Series) -> pd.Series:
        """Each line's share of its order's discount beyond the line discounts, in cents."""
        order_total = _cents(column(frame, "Discount Amount")).fillna(0)
        out = pd.Series(0.0, index=frame.index)
        valid = base.notna()
        for _, idx in frame[valid].groupby("Name", sort=False).groups.items():
            rest = order_total[idx].iloc[0] - own[idx].sum()
            out[idx] = allocate(base[idx].to_numpy(np.int64), int(rest))
        return out.where(valid)

    @staticmethod
    def _refunds(
        lines: pd.DataFrame,
        frame: pd.DataFrame,
        net: pd.Series,
        first: np.ndarray,
        shipping: pd.Series,
    ) -> pd.DataFrame:
        """One refund row per refunded order: goods in amount, the rest in shipping, tax."""
        refunded = _cents(column(frame, "Refunded Amount"))
        wanted = first & (refunded > 0).to_numpy()
        if not wanted.any():
            return lines.iloc[0:0]
        goods = net.groupby(frame["Name"]).transform("sum")
        rows = lines[wanted].copy()
        r, g = refunded[wanted], goods[wanted].fillna(0).clip(lower=0)
        s = shipping[wanted].fillna(0)
        goods_part = np.minimum(r, g)
        ship_part = np.minimum(r - goods_part, s)
        tax_part = r - goods_part - ship_part
        rows["transaction_id"] = rows["order_name"].astype(str) + "/refund"
        rows["amount"] = (-goods_part).map(_money)
        rows["shipping"] = (-ship_part).map(_money)
        rows["tax"] = (-tax_part).map(_money)
        rows[["quantity", "product", "sku", "discount"]] = None
        return rows


class ShopifyBuyers(_Orders):
    """Shopify orders export -> identities (one record per order's buyer).

    Example:
        >>> ShopifyBuyers().table
        'identities'
    """

    name: ClassVar[str] = "shopify_buyers"
    title: ClassVar[str] = "Shopify buyers"
    table: ClassVar[str] = "identities"
    OUTPUT: ClassVar[tuple[str, ...]] = BUYER_OUTPUT

    #: the orders export detects as ``shopify`` (transactions)
    auto: ClassVar[bool] = False

    def _records(self, frame: pd.DataFrame, number: pd.Series) -> pd.DataFrame:
        first = frame[(number == 1).to_numpy()]
        customer, _ = self._buyers(first)

        def either(*names: str) -> pd.Series:
            out = column(first, names[0])
            for n in names[1:]:
                out = out.where(out.notna(), column(first, n))
            return out

        street = either("Billing Address1", "Shipping Address1")
        records = pd.DataFrame({
            "source": "shopify",
            "source_id": first["Name"],
            "customer_id": customer,
            "email": first["Email"],
            "name": either("Billing Name", "Shipping Name"),
            "phone": either("Billing Phone", "Phone", "Shipping Phone"),
            "address": street,
            "postcode": either("Billing Zip", "Shipping Zip"),
            "city": either("Billing City", "Shipping City"),
            "country": either("Billing Country", "Shipping Country"),
            "updated_at": to_utc(first["Created at"], self.zone, DATE_FORMAT),
        }, index=first.index)  # fmt: skip
        return with_row_columns(records, first)


__all__ = ["Shopify", "ShopifyBuyers", "allocate", "buyer", "customer_key"]
