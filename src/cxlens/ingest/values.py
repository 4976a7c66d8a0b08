"""How text becomes a number or a time without changing its meaning.

One home for the reading rules validation applies: the decimal mark and thousands
separators of a file (declared, or decided from the file's own unambiguous values), finite
numbers only, integers that a float64 holds exactly, day-first or month-first dates decided
once per file, epoch seconds and milliseconds, and the UTC offset a time was written with.
Everything here works column-wise on pandas text Series.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

#: Integers from 2^53 up may have been rounded on the way through float64: refused.
MAX_EXACT_INT = 2**53
#: ``date_format`` values that mean a Unix epoch count rather than a strftime pattern.
EPOCH_UNITS = {"%s": "s", "%ms": "ms"}

_SIGN = r"[+-]?"
_EXP = r"(?:[eE][+-]?\d+)?"
#: Groups of three digits split by a space, no-break space, narrow no-break space or an
#: apostrophe (fr, ru, ch): that separator is never a decimal mark, so it decides nothing.
_SPACE_GROUPS = re.compile(r"^([+-]?\d{1,3}(?:[ \u00a0\u202f']\d{3})+)(?=$|[.,]\d+$)", re.ASCII)
_NON_FINITE = re.compile(r"^[+-]?(?:inf|infinity|nan)$", re.IGNORECASE)
#: Numbers as written with each decimal mark (ASCII digits only, as everywhere here: "\d"
#: alone would take Arabic-Indic and other digits that are then not read).
_STRICT = {
    ".": re.compile(rf"^{_SIGN}(?:\d+|\d{{1,3}}(?:,\d{{3}})+)?(?:\.\d*)?{_EXP}$", re.ASCII),
    ",": re.compile(rf"^{_SIGN}(?:\d+|\d{{1,3}}(?:\.\d{{3}})+)?(?:,\d*)?{_EXP}$", re.ASCII),
}
#: A value that only a decimal-mark reading explains (e.g. "2.5", "1,234.50", "0.125").
_EVIDENCE = {
    mark: re.compile(
        rf"^{_SIGN}(?:\d{{1,3}}(?:{group}\d{{3}})+{dec}\d+"  # 1,234.5
        rf"|\d{{1,3}}(?:{group}\d{{3}}){{2,}}"  # 1,234,567 (no decimals)
        rf"|\d*{dec}(?:\d{{1,2}}|\d{{4,}})"  # 2.5, .25, 3.14159
        rf"|\d{{4,}}{dec}\d+"  # 1234.567 (a group has at most 3 digits before it)
        rf"|0{dec}\d+)$",  # 0.125 (a group never starts with 0)
        re.ASCII,
    )
    for mark, group, dec in ((".", ",", r"\."), (",", r"\.", ","))
}
#: A comma followed by exactly three digits: 1,234 is 1234 or 1.234 by locale.
_AMBIGUOUS_COMMA = re.compile(rf"^{_SIGN}[1-9]\d{{0,2}},\d{{3}}$", re.ASCII)

#: A date written with day and month as numbers: 01/02/2024, 1.2.24, 13-01-2024 14:30.
_DAY_MONTH = re.compile(r"^(\d{1,2})([./-])(\d{1,2})\2(\d{4}|\d{2})(?=$|[ T])(.*)$", re.ASCII)


@dataclass(frozen=True)
class Found:
    """Values of one column that failed one reading rule, for quarantine."""

    mask: np.ndarray
    rule: str
    why: str


# -- numbers ----------------------------------------------------------------------------------


def strip_space_groups(text: pd.Series) -> pd.Series:
    """Return ``text`` with space/apostrophe thousands groups joined ("1 234,5" -> "1234,5").

    Example:
        >>> strip_space_groups(pd.Series(["1 234,5", "12 34"])).tolist()
        ['1234,5', '12 34']
    """

    def join(value: object) -> object:
        match = _SPACE_GROUPS.match(value)  # type: ignore[arg-type]
        if match is None:
            return value
        return re.sub(r"[ \u00a0\u202f']", "", match.group(1)) + value[match.end(1) :]  # type: ignore[index]

    grouped = text.fillna("").astype(str).str.contains("[ \u00a0\u202f']", regex=True)
    if not grouped.any():
        return text
    out = text.copy()
    out[grouped] = text[grouped].map(join)
    return out


def decimal_evidence(text: pd.Series) -> dict[str, pd.Series]:
    """Return, per decimal mark ("." and ","), the values that only that mark explains.

    Example:
        >>> {k: v.tolist() for k, v in decimal_evidence(pd.Series(["2,5", "7"])).items()}
        {'.': [], ',': ['2,5']}
    """
    values = strip_space_groups(text.dropna().astype(str))
    return {mark: values[values.str.match(rx)] for mark, rx in _EVIDENCE.items()}


def ambiguous_numbers(text: pd.Series, decimal: str | None) -> pd.Series:
    """Return a mask of values whose meaning depends on the decimal mark, when none is known.

    With no decimal mark decided, "1,234" (1234 or 1.234?) is ambiguous; "1.234" is read
    with the default decimal point, as every machine format writes numbers.

    Example:
        >>> ambiguous_numbers(pd.Series(["1,234", "1.234", "2,5"]), None).tolist()
        [True, False, False]
    """
    if decimal is not None:
        return pd.Series(False, index=text.index)
    return text.fillna("").astype(str).str.match(_AMBIGUOUS_COMMA)


def parse_numbers(text: pd.Series, decimal: str) -> tuple[pd.Series, list[Found]]:
    """Read text as float64 with ``decimal`` as the decimal mark; return values and failures.

    A value that is not a number written that way, or is not finite (inf, NaN, 1e309), is
    NaN in the result and listed in a failure with its reason.

    Example:
        >>> values, found = parse_numbers(pd.Series(["1.234,5", "inf", None]), ",")
        >>> values.tolist()[0], {f.why: f.mask.tolist() for f in found}["not a finite number"]
        (1234.5, [False, True, False])
    """
    present = text.notna().to_numpy()
    plain = _plain_integers(text, present)
    if plain is not None:  # the common case (scores, counts): nothing to check
        none = np.zeros(len(text), bool)
        return plain, [Found(none, "number", "not a valid number"), Found(none, "finite", "")]
    values = strip_space_groups(text.astype(object).where(text.notna(), None))
    as_str = values.fillna("").astype(str)
    non_finite = present & as_str.str.match(_NON_FINITE).to_numpy()
    written = present & as_str.str.match(_STRICT[decimal]).to_numpy()
    written &= as_str.str.contains(r"\d", regex=True).to_numpy()
    group = "," if decimal == "." else "."
    normal = as_str.str.replace(group, "", regex=False)
    if decimal == ",":
        normal = normal.str.replace(",", ".", regex=False)
    numbers = pd.to_numeric(normal.where(written, None), errors="coerce").astype("float64")
    overflow = written & ~np.isfinite(numbers.fillna(0).to_numpy())  # 1e309
    non_finite |= overflow
    unread = written & numbers.isna().to_numpy()  # never silently null: say so
    bad = present & ~written & ~non_finite | unread
    numbers = numbers.where(written & ~overflow)
    return numbers, [
        Found(bad, "number", "not a valid number"),
        Found(non_finite, "finite", "not a finite number"),
    ]


def _plain_integers(text: pd.Series, present: np.ndarray) -> pd.Series | None:
    """Return the values as float64 when every one is ASCII digits only, else None."""
    given = text[present].astype(str)
    if not given.str.isdecimal().all() or not given.map(str.isascii).all():
        return None
    return pd.to_numeric(text.where(text.notna(), None), errors="coerce").astype("float64")


def whole_numbers(numbers: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Return masks of values with a fraction, and of integers too large to store exactly.

    Example:
        >>> [m.tolist() for m in whole_numbers(pd.Series([7.5, 2.0**60, 3.0]))]
        [[True, False, False], [False, True, False]]
    """
    known = numbers.notna().to_numpy()
    filled = numbers.fillna(0).to_numpy()
    fractional = known & (filled % 1 != 0)
    # 2^53 + 1 reads as 2^53 already: only magnitudes below 2^53 are known to be exact
    too_large = known & ~fractional & (np.abs(filled) >= MAX_EXACT_INT)
    return fractional, too_large


# -- times ------------------------------------------------------------------------------------


def day_month_evidence(text: pd.Series) -> dict[str, pd.Series]:
    """Split numeric day/month dates by what they show about the order.

    Returns ``dayfirst`` (first number > 12: 13/01/2024), ``monthfirst`` (second > 12:
    01/13/2024) and ``ambiguous`` (both <= 12 and different: 01/02/2024), each the matching
    values with their index.

    Example:
        >>> ev = day_month_evidence(pd.Series(["13/01/2024", "01/02/2024", "05/05/2024"]))
        >>> [len(ev[k]) for k in ("dayfirst", "monthfirst", "ambiguous")]
        [1, 0, 1]
    """
    parts = text.dropna().astype(str).str.extract(_DAY_MONTH).dropna(subset=[0])
    first = pd.to_numeric(parts[0]).astype(int)
    second = pd.to_numeric(parts[2]).astype(int)
    values = text.loc[parts.index]
    return {
        "dayfirst": values[(first > 12) & (second <= 12)],
        "monthfirst": values[(second > 12) & (first <= 12)],
        "ambiguous": values[(first <= 12) & (second <= 12) & (first != second)],
    }


def parse_times(
    text: pd.Series, date_format: str | None, dayfirst: bool | None
) -> tuple[pd.Series, list[Found]]:
    """Read text as UTC timestamps (naive datetime64[us]); return values and failures.

    ``date_format`` is a strftime pattern, ``%s`` / ``%ms`` for epoch seconds /
    milliseconds, or None: ISO 8601, then numeric day/month dates in the order
    ``dayfirst`` gives, then other spelled-out forms ("5 Jan 2024"). A time with a UTC
    offset is converted to UTC; a time without one is taken as UTC.

    Example:
        >>> parse_times(pd.Series(["2024-01-02T14:30+05:00"]), None, None)[0].tolist()
        [Timestamp('2024-01-02 09:30:00')]
    """
    present = text.notna().to_numpy()
    if date_format in EPOCH_UNITS:
        return _parse_epoch(text, EPOCH_UNITS[date_format])
    if date_format:
        stamps = pd.to_datetime(text, format=date_format, errors="coerce", utc=True)
    else:
        stamps = pd.to_datetime(text, format="ISO8601", errors="coerce", utc=True)
        retry = stamps.isna() & text.notna()
        if retry.any():
            stamps[retry] = _parse_other(text[retry], dayfirst)
    stamps = _naive_utc(stamps)
    bad = present & stamps.isna().to_numpy()
    return stamps, [Found(bad, "timestamp", "not a valid timestamp")]


def _parse_epoch(text: pd.Series, unit: str) -> tuple[pd.Series, list[Found]]:
    numbers, found = parse_numbers(text, ".")
    stamps = pd.to_datetime(numbers, unit=unit, errors="coerce", utc=True)
    stamps = _naive_utc(stamps)
    readable = numbers.notna().to_numpy()
    out_of_range = readable & stamps.isna().to_numpy()
    label = {"s": "epoch seconds", "ms": "epoch milliseconds"}[unit]
    found = [Found(f.mask, label, f"not valid {label}") if f.rule == "number" else f for f in found]
    found.append(Found(out_of_range, label, f"outside the range of {label} a timestamp holds"))
    return stamps, found


def _parse_other(text: pd.Series, dayfirst: bool | None) -> pd.Series:
    """Parse non-ISO text: numeric day/month dates in the file's order, then other forms."""
    parts = text.astype(str).str.extract(_DAY_MONTH)
    numeric = parts[0].notna()
    out = pd.Series(pd.NaT, index=text.index, dtype="datetime64[us, UTC]")
    if numeric.any() and dayfirst is not None:
        p = parts[numeric]
        day, month = (p[0], p[2]) if dayfirst else (p[2], p[0])
        year = p[3].where(p[3].str.len() == 4, _two_digit_year(p[3]))
        iso = year + "-" + month.str.zfill(2) + "-" + day.str.zfill(2) + p[4]
        out[numeric] = pd.to_datetime(iso, format="mixed", errors="coerce", utc=True)
    other = ~numeric
    if other.any():
        out[other] = pd.to_datetime(
            text[other], format="mixed", dayfirst=False, errors="coerce", utc=True
        )
    return out


def _two_digit_year(years: pd.Series) -> pd.Series:
    """Return 4-digit years by the POSIX %y rule: 69-99 are 1969-1999, 00-68 2000-2068."""
    number = pd.to_numeric(years, errors="coerce").fillna(0).astype(int)
    return (number + np.where(number >= 69, 1900, 2000)).astype(str)


def _naive_utc(stamps: pd.Series) -> pd.Series:
    if getattr(stamps.dt, "tz", None) is not None:
        stamps = stamps.dt.tz_convert(None)
    return stamps.astype("datetime64[us]")


def utc_offsets(text: pd.Series) -> pd.Series:
    """Return the UTC offset each value was written with ("+05:00"), null where none or zero.

    Example:
        >>> utc_offsets(pd.Series(["2024-01-02T14:30+0500", "2024-01-02", "10:00Z"])).tolist()
        ['+05:00', None, None]
    """
    values = text.fillna("").astype(str)
    # an offset is in the last 7 characters: read it there (a regex over whole values is
    # slow); a date alone ("2024-01-02") is too short to have one
    tail = values.str[-7:].where(values.str.len() >= 11, "")
    forms = (
        (r".?[+-]\d\d:\d\d$", lambda t: t.str[-6:]),  # +05:00
        (r".*\d[+-]\d{4}$", lambda t: t.str[-5:-2] + ":" + t.str[-2:]),  # +0500
        (r".*\d[+-]\d\d$", lambda t: t.str[-3:] + ":00"),  # +05
    )
    offset = pd.Series(None, index=text.index, dtype=object)
    for pattern, read in forms:
        hit = tail.str.match(pattern) & offset.isna()
        if hit.any():
            offset[hit] = read(tail[hit])
    zero = offset.isin(["+00:00", "-00:00"])
    return offset.where(offset.notna() & ~zero, None).astype(object)
