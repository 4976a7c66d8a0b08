"""Money with its currency: the one place that decides a figure's currency and writes it.

Every money figure cxlens shows (CLV, value at risk, acquisition cost, the value of NPS) goes
through :func:`format_money`, in the report, the command line and the API (which returns the
ISO 4217 code in a ``currency`` field beside the number). :func:`one_currency` decides the
currency of a set of amounts: the data's ``currency`` column, or the currency the user
declares when the data has none; amounts in several currencies are never summed without a
stated conversion, so that is an error that names them.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

import pandas as pd

from cxlens.errors import ArgumentError, SchemaError

#: Where a workspace keeps its declared currency (one row), as ``_display_names`` keeps names.
CURRENCY_TABLE = "_currency"

#: Symbols written before the amount; any other ISO 4217 code is written as "CHF 1,234".
SYMBOLS: dict[str, str] = {
    "USD": "$",
    "EUR": "€",
    "GBP": "£",
    "JPY": "¥",
    "CNY": "CN¥",
    "RUB": "₽",
    "INR": "₹",
}


def check_code(code: str) -> str:
    """Return an ISO 4217 code in upper case; ArgumentError when it is not three letters.

    Example:
        >>> check_code(" usd ")
        'USD'
    """
    found = str(code).strip().upper()
    if len(found) != 3 or not found.isalpha():
        raise ArgumentError(f"currency {code!r} is not an ISO 4217 code (three letters: USD)")
    return found


def one_currency(found: Iterable[object], declared: str | None = None, where: str = "") -> str:
    """Return the one currency of a set of amounts: the data's, else the declared one.

    Args:
        found: the distinct values of the data's currency column (missing values ignored;
            empty when the data has no such column).
        declared: the currency the user declared, used when the data names none; when the
            data names one, the two must agree.
        where: what the amounts are, for the error messages (e.g. "transactions.currency").

    Returns:
        The ISO 4217 code.

    Raises:
        SchemaError: several currencies in the data (they are never summed without a stated
            conversion), or the data's currency is not the declared one.
        ArgumentError: neither the data nor the user names a currency, or a bad code.

    Example:
        >>> one_currency(["USD", None, float("nan")])
        'USD'
        >>> one_currency([], declared="eur")
        'EUR'
    """
    codes = sorted({check_code(str(c)) for c in found if not _missing(c)})
    place = f" in {where}" if where else ""
    if len(codes) > 1:
        raise SchemaError(
            f"amounts{place} are in {len(codes)} currencies ({', '.join(codes)}); cxlens does "
            "not add up money in different currencies without a stated conversion: convert "
            "them to one currency before loading, or filter to one"
        )
    if codes and declared is not None and check_code(declared) != codes[0]:
        raise SchemaError(
            f"amounts{place} are in {codes[0]}, but the currency declared is "
            f"{check_code(declared)}; declare {codes[0]} or convert the amounts"
        )
    if codes:
        return codes[0]
    if declared is None:
        raise ArgumentError(
            f"the amounts{place} carry no currency: load a currency column or declare the "
            "currency (e.g. currency='USD')"
        )
    return check_code(declared)


def load_currency(catalog: Any) -> str | None:
    """Return the currency declared for a workspace's amounts (None when none was set).

    ``catalog`` is a Workspace or any Catalog (``has_table``, ``table``).

    Example:
        >>> import cxlens
        >>> load_currency(cxlens.Workspace(":memory:")) is None
        True
    """
    if not catalog.has_table(CURRENCY_TABLE):
        return None
    codes = catalog.table(CURRENCY_TABLE).to_pandas()["currency"].dropna().tolist()
    return check_code(str(codes[0])) if codes else None


def save_currency(catalog: Any, code: str | None) -> str | None:
    """Declare the currency of a workspace's amounts (None clears it); return it.

    Used when the data has no currency column (:func:`one_currency`'s ``declared``); when it
    has one, the two must agree.

    Raises:
        ArgumentError: not a three-letter ISO 4217 code (the stored setting is unchanged).

    Example:
        >>> import cxlens
        >>> save_currency(cxlens.Workspace(":memory:"), "eur")
        'EUR'
    """
    found = None if code is None else check_code(code)
    frame = pd.DataFrame({"currency": [] if found is None else [found]}, dtype=object)
    catalog.save_table(CURRENCY_TABLE, frame.astype({"currency": str}))
    return found


def money_title(title: str, currency: str) -> str:
    """Return a money axis or column title with its currency ("title" when unknown).

    Example:
        >>> money_title("CLV per customer", "EUR")
        'CLV per customer (EUR)'
    """
    return f"{title} ({currency})" if currency else title


def _missing(value: object) -> bool:
    """Return True for None, NaN and blank text (a missing currency value)."""
    if value is None:
        return True
    if isinstance(value, float):
        return math.isnan(value)
    return not str(value).strip()


def format_money(value: float | None, currency: str, digits: int = 0) -> str:
    """Write an amount with its currency ("—" when missing), minus sign typographic.

    ``currency`` "" (amounts with no currency column and none declared) writes the bare
    number; the views then say once that the amounts carry no currency.

    Example:
        >>> format_money(4916.69, "USD")
        '$4,917'
        >>> format_money(-1234.5, "CHF", 2)
        '−CHF 1,234.50'
    """
    if value is None or not math.isfinite(float(value)):
        return "—"
    x = float(value)
    if not currency:
        return f"{x:,.{digits}f}".replace("-", "−")
    amount = f"{abs(x):,.{digits}f}"
    shown = money_prefix(currency) + amount
    return ("−" if x < 0 and float(amount.replace(",", "")) != 0 else "") + shown


def money_prefix(currency: str) -> str:
    """Return what is written before an amount: its symbol ("$") or code ("CHF "); "" if none.

    Charts use it as their tick prefix and the dashboard as its label prefix, so a money
    axis reads as :func:`format_money` writes.

    Example:
        >>> money_prefix("usd"), money_prefix("CHF"), money_prefix("")
        ('$', 'CHF ', '')
    """
    if not currency:
        return ""
    code = check_code(currency)
    return SYMBOLS.get(code, f"{code} ")
