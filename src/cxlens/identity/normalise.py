"""Normalisers of identity attributes, written as Ibis expressions so they run in the engine.

Each normaliser takes a string column and returns the normalised value (NULL when the value is
empty or invalid) and, where a value can be malformed, a boolean ``valid`` expression, so that
a bad value is flagged and never stops a run:

* :func:`email`: trimmed, lower case, checked against a practical address pattern.
* :func:`phone`: E.164 (``+441632960018``) with a default region for numbers written without a
  country code; trunk prefixes (``8`` in Russia, ``0`` in the UK, ``1`` in the US) come from
  libphonenumber's metadata (the ``phonenumbers`` package).
* :func:`name_text`: lower case, Cyrillic transliterated, diacritics removed, punctuation and
  repeated spaces dropped, common nicknames mapped to the given name (for comparison only).
* :func:`name_parts`: first and last name from ``first_name``/``last_name`` or a full name
  (``"Last, First"`` understood), and ``name_key``, the name's words in sorted order, equal for
  swapped first and last names.
* :func:`birth_date`: ``YYYY-MM-DD``, ``DD.MM.YYYY``, ``DD/MM/YYYY`` (day first) or ``YYYYMMDD``
  read into an ISO date string, checked to be a real calendar date between 1900 and today.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date

import ibis
import ibis.expr.types as ir

from cxlens.errors import ArgumentError

# --- e-mail ----------------------------------------------------------------------------------

#: A practical e-mail pattern: local part, one @, a dotted domain with a 2+ letter TLD.
EMAIL_PATTERN = r"^[a-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[a-z0-9!#$%&'*+/=?^_`{|}~-]+)*@([a-z0-9]([a-z0-9-]*[a-z0-9])?\.)+[a-z]{2,}$"  # noqa: E501


def trim(value: ir.StringValue) -> ir.StringValue:
    """Return ``value`` without leading and trailing white space.

    A regular expression, not ``strip()``: Ibis 12 compiles ``strip()`` on Spark to a TRIM
    whose character list also removes the letters "f" and "v" ("Cardiff" -> "Cardi").

    Example:
        >>> trim(ibis.literal("  Cardiff ")).execute()  # doctest: +SKIP
        'Cardiff'
    """
    return value.re_replace(r"^\s+|\s+$", "")


def blank_to_null(value: ir.StringValue) -> ir.StringValue:
    """Return ``value`` trimmed, with empty strings as NULL.

    Example:
        >>> blank_to_null(ibis.literal("  ")).execute() is None  # doctest: +SKIP
        True
    """
    stripped = trim(value)
    return (stripped.length() > 0).ifelse(stripped, ibis.null("string"))


def email(value: ir.StringValue) -> tuple[ir.StringValue, ir.BooleanValue]:
    """Normalise e-mail addresses: trimmed and lower-cased; invalid ones become NULL.

    Returns:
        ``(normalised, valid)``: the address or NULL, and whether a present value was a valid
        address (NULL where the value is missing).

    Example:
        >>> t = ibis.memtable({"e": [" Ann.Lee@Example.COM ", "ann@", None]})
        >>> norm, ok = email(t.e)  # doctest: +SKIP
        >>> t.select(norm=norm, ok=ok).execute()  # doctest: +SKIP
        ['ann.lee@example.com', None, None], [True, False, None]
    """
    lowered = blank_to_null(value).lower()
    valid = lowered.re_search(EMAIL_PATTERN)
    return valid.ifelse(lowered, ibis.null("string")), valid


# --- phone -----------------------------------------------------------------------------------


def region_rules(region: str) -> tuple[str, str, tuple[int, ...]]:
    """Return a region's country calling code, trunk prefix and national number lengths.

    Args:
        region: an ISO 3166 alpha-2 code known to libphonenumber, e.g. "GB", "US", "RU".

    Raises:
        ArgumentError: ``region`` is not a region libphonenumber knows.

    Example:
        >>> region_rules("RU")[:2]  # the lengths follow libphonenumber's metadata
        ('7', '8')
    """
    import phonenumbers
    from phonenumbers import PhoneMetadata

    code = str(region).upper()
    meta = PhoneMetadata.metadata_for_region(code)
    if meta is None:
        raise ArgumentError(
            f"unknown phone region {region!r}; give an ISO 3166 alpha-2 code such as "
            "'GB', 'US', 'RU' or 'CN' (default_region=...)"
        )
    trunk = meta.national_prefix_for_parsing or meta.national_prefix or ""
    if not trunk.isdigit():  # a pattern, not a plain prefix (a few regions): use the simple one
        trunk = meta.national_prefix or ""
    lengths = tuple(sorted(set(meta.general_desc.possible_length or ())))
    return str(phonenumbers.country_code_for_region(code)), trunk, lengths


def phone(
    value: ir.StringValue,
    default_region: str = "GB",
    region: ir.StringValue | None = None,
) -> tuple[ir.StringValue, ir.BooleanValue]:
    """Normalise phone numbers to E.164, reading national numbers in their record's region.

    A number starting with ``+`` or ``00`` carries its country code; any other is national:
    the region's trunk prefix is dropped (when what remains has a valid length) and its
    country code put in front. ``(0)`` after a country code ("+44 (0)20...") is ignored.

    Args:
        value: the phone numbers as written.
        default_region: ISO alpha-2 region of national numbers whose record has no region.
        region: optional per-record ISO alpha-2 region (e.g. the ``country`` column when it
            holds codes); values libphonenumber does not know fall back to ``default_region``.

    Returns:
        ``(e164, valid)``: the E.164 number or NULL, and whether a present value was a
        plausible number (7-15 digits after the country code and, for national numbers, a
        length the region allows).

    Example:
        >>> t = ibis.memtable({"p": ["8 (916) 123-45-67", "+44 (0)20 7946 0018"]})
        >>> t.select(e=phone(t.p, "RU")[0]).e.execute().tolist()  # doctest: +SKIP
        ['+79161234567', '+442079460018']
    """
    raw = phone_text(value)
    code, trunk, lengths = _region_columns(region, default_region)
    return phone_from_parts(raw, code, trunk, lengths)


def phone_text(value: ir.StringValue) -> ir.StringValue:
    """Return a phone number trimmed, without a "(0)" after the country code; NULL if empty.

    Example:
        >>> phone_text(ibis.literal(" +44 (0)20 7946 0018 ")).execute()  # doctest: +SKIP
        '+44 20 7946 0018'
    """
    return blank_to_null(value).replace("(0)", "")


def phone_from_parts(
    raw: ir.StringValue,
    code: ir.StringValue,
    trunk: ir.StringValue,
    lengths: ir.StringValue,
) -> tuple[ir.StringValue, ir.BooleanValue]:
    """E.164 from a :func:`phone_text` value and its region's code, trunk prefix and lengths.

    ``lengths`` is the region's national number lengths as ``"|9|10|"``. Staged callers pass
    plain columns here (see :func:`region_table`), which keeps the generated SQL small.

    Example:
        >>> phone_from_parts(ibis.literal("07700 900123"), ibis.literal("44"),
        ...                  ibis.literal("0"), ibis.literal("|10|"))[0].execute()  # doctest: +SKIP
        '+447700900123'
    """
    digits = raw.re_replace(r"[^0-9]", "")
    n = digits.length()
    plus = raw.startswith("+")
    international = plus | digits.startswith("00")
    intl_digits = plus.ifelse(digits, digits.substr(2))
    trunk_len = trunk.length()
    has_trunk = (trunk_len > 0) & (digits.substr(0, trunk_len) == trunk)
    stripped = has_trunk.ifelse(digits.substr(trunk_len), digits)
    # drop the trunk prefix only when what remains is a length the region allows
    national = (has_trunk & _length_in(stripped.length(), lengths)).ifelse(stripped, digits)
    e164 = international.ifelse("+" + intl_digits, "+" + code + national)
    k = intl_digits.length()
    plausible = international.ifelse(
        (k >= 8) & (k <= 15) & ~intl_digits.startswith("0"),
        _length_in(national.length(), lengths),
    )
    valid = raw.isnull().ifelse(ibis.null("boolean"), (n > 0) & plausible)
    return valid.ifelse(e164, ibis.null("string")), valid


def region_table() -> ir.Table:
    """Return every libphonenumber region with its calling code, trunk prefix and lengths.

    Columns: ``region`` (ISO alpha-2), ``calling_code``, ``trunk_prefix``, ``lengths``
    (``"|9|10|"``). Joined on a record's country code, it gives each record its phone rules.

    Example:
        >>> region_table().filter(lambda t: t.region == "RU").execute()  # doctest: +SKIP
    """
    import phonenumbers

    known = sorted(phonenumbers.SUPPORTED_REGIONS)
    rules = [region_rules(r) for r in known]
    return ibis.memtable(
        {
            "region": known,
            "calling_code": [r[0] for r in rules],
            "trunk_prefix": [r[1] for r in rules],
            "lengths": [_lengths_text(r[2]) for r in rules],
        }
    )


def _region_columns(
    region: ir.StringValue | None, default_region: str
) -> tuple[ir.StringValue, ir.StringValue, ir.StringValue]:
    """Country code, trunk prefix and ``|``-joined lengths per record, as expressions."""
    default = region_rules(default_region)
    if region is None:
        return (
            ibis.literal(default[0]),
            ibis.literal(default[1]),
            ibis.literal(_lengths_text(default[2])),
        )
    import phonenumbers

    key = trim(region).upper()
    rules = {r: region_rules(r) for r in sorted(phonenumbers.SUPPORTED_REGIONS)}
    code = key.substitute({r: v[0] for r, v in rules.items()}, else_=default[0])
    trunk = key.substitute({r: v[1] for r, v in rules.items()}, else_=default[1])
    lengths = key.substitute(
        {r: _lengths_text(v[2]) for r, v in rules.items()}, else_=_lengths_text(default[2])
    )
    return code, trunk, lengths


def _lengths_text(lengths: Sequence[int]) -> str:
    return "|" + "|".join(str(k) for k in lengths) + "|"


def _length_in(length: ir.IntegerValue, lengths: ir.StringValue) -> ir.BooleanValue:
    return lengths.contains("|" + length.cast("string") + "|")


# --- names -----------------------------------------------------------------------------------

#: Cyrillic letters written with more than one Latin letter (BGN/PCGN-like, as passports do).
CYRILLIC_MULTI: dict[str, str] = {
    "щ": "shch",
    "ж": "zh",
    "х": "kh",
    "ц": "ts",
    "ч": "ch",
    "ш": "sh",
    "ю": "yu",
    "я": "ya",
    "ъ": "",
    "ь": "",
    "ё": "e",
    "є": "ye",
    "ї": "yi",
}
#: The other Cyrillic letters, one Latin letter each (same positions).
CYRILLIC_FROM = "абвгдезийклмнопрстуфыэіґ"
CYRILLIC_TO = "abvgdeziyklmnoprstufyeig"
#: Latin letters with diacritics and their plain forms (same positions).
ACCENTED = "àáâãäåāăąçćčďèéêëēėęěìíîïīįłñńňòóôõöøōőŕřśšşťùúûüūůűųýÿžźż"
PLAIN = "aaaaaaaaacccdeeeeeeeeiiiiiilnnnoooooooorrsssttuuuuuuuuyyzzz"

#: Common English nicknames and the given name they stand for (compared as that name).
NICKNAMES: dict[str, str] = {
    "bob": "robert",
    "rob": "robert",
    "bobby": "robert",
    "bill": "william",
    "will": "william",
    "liz": "elizabeth",
    "beth": "elizabeth",
    "kate": "katherine",
    "katie": "katherine",
    "mike": "michael",
    "jim": "james",
    "jimmy": "james",
    "jack": "john",
    "johnny": "john",
    "dave": "david",
    "dan": "daniel",
    "danny": "daniel",
    "tom": "thomas",
    "tommy": "thomas",
    "chris": "christopher",
    "matt": "matthew",
    "andy": "andrew",
    "tony": "anthony",
    "steve": "steven",
    "jen": "jennifer",
    "jenny": "jennifer",
    "sue": "susan",
    "pat": "patricia",
    "patty": "patricia",
    "dick": "richard",
    "rick": "richard",
    "joe": "joseph",
    "charlie": "charles",
    "maggie": "margaret",
    "meg": "margaret",
    "peggy": "margaret",
    "alex": "alexander",
    "sasha": "aleksandr",
    "dima": "dmitriy",
    "misha": "mikhail",
    "kolya": "nikolay",
    "lena": "elena",
    "natasha": "natalya",
    "tanya": "tatyana",
}


def name_text(value: ir.StringValue) -> ir.StringValue:
    """Normalise a name for comparison: lower case, Latin letters, single spaces; NULL if empty.

    Cyrillic is transliterated (``"Юлия"`` -> ``"yuliya"``), diacritics are removed
    (``"José"`` -> ``"jose"``), punctuation becomes a space. Other scripts (e.g. Chinese) are
    kept as they are: they still compare equal to themselves.

    Example:
        >>> t = ibis.memtable({"n": ["  Jos\u00e9  O'Neil ", "\u042e\u043b\u0438\u044f"]})
        >>> t.select(n=name_text(t.n)).n.execute().tolist()  # doctest: +SKIP
        ['jose o neil', 'yuliya']
    """
    text = value.lower()
    for cyr, lat in CYRILLIC_MULTI.items():
        text = text.replace(cyr, lat)
    text = text.translate(CYRILLIC_FROM + ACCENTED, CYRILLIC_TO + PLAIN)
    text = text.replace("ß", "ss").replace("æ", "ae").replace("œ", "oe")
    text = trim(text.re_replace(r"[\s\.,;:'`\-_/\\\"()]+", " "))
    text = text.re_replace(r"\s+", " ")
    return (text.length() > 0).ifelse(text, ibis.null("string"))


def given_name(value: ir.StringValue, nicknames: Mapping[str, str] | None = None) -> ir.StringValue:
    """Map a normalised first name that is a known nickname to the given name.

    Example:
        >>> t = ibis.memtable({"n": ["bob", "anna"]})
        >>> t.select(n=given_name(t.n)).n.execute().tolist()  # doctest: +SKIP
        ['robert', 'anna']
    """
    table = NICKNAMES if nicknames is None else dict(nicknames)
    if not table:
        return value
    return value.substitute(table, else_=value)


def name_parts(
    name: ir.StringValue | None = None,
    first_name: ir.StringValue | None = None,
    last_name: ir.StringValue | None = None,
    nicknames: Mapping[str, str] | None = None,
) -> dict[str, ir.StringValue]:
    """Return the normalised ``first_name``, ``last_name`` and ``name_key`` of each record.

    ``first_name``/``last_name`` columns win where filled; otherwise the full ``name`` is split:
    ``"Last, First"`` when it has a comma, else the first word is the first name and the last
    word the last name (middle names are dropped). ``name_key`` is the set of words of the
    first and last name in sorted order, so "Smith John" and "John Smith" share it.

    Example:
        >>> t = ibis.memtable({"name": ["SMITH, Bob", "anna  lee"]})
        >>> t.select(**name_parts(t.name)).execute()  # doctest: +SKIP
        first_name last_name name_key: robert smith 'robert smith'; anna lee 'anna lee'
    """
    texts = name_texts(name, first_name, last_name)
    return combine_name_parts(**texts, nicknames=nicknames)


def name_texts(
    name: ir.StringValue | None = None,
    first_name: ir.StringValue | None = None,
    last_name: ir.StringValue | None = None,
) -> dict[str, ir.Value]:
    """Return the normalised pieces :func:`combine_name_parts` needs (a stage of name_parts).

    Returns:
        ``{"full", "before_comma", "after_comma", "has_comma", "first", "last"}``.

    Raises:
        ArgumentError: none of the three columns is given.

    Example:
        >>> sorted(name_texts(ibis.literal("Lee, Ann")))
        ['after_comma', 'before_comma', 'first', 'full', 'has_comma', 'last']
    """
    if name is None and first_name is None and last_name is None:
        raise ArgumentError(
            "name_parts needs a name column or first_name/last_name columns; the identities "
            "table has none of them"
        )
    none = ibis.null("string")
    return {
        "full": none if name is None else name_text(name),
        # regex extraction, not split()[1]: Spark's ANSI mode fails on a missing element
        "before_comma": none if name is None else name_text(name.re_extract(r"^([^,]*),", 1)),
        "after_comma": none if name is None else name_text(name.re_extract(r",(.*)$", 1)),
        "has_comma": ibis.literal(False) if name is None else name.contains(","),
        "first": none if first_name is None else name_text(first_name),
        "last": none if last_name is None else name_text(last_name),
    }


def combine_name_parts(
    full: ir.StringValue,
    before_comma: ir.StringValue,
    after_comma: ir.StringValue,
    has_comma: ir.BooleanValue,
    first: ir.StringValue,
    last: ir.StringValue,
    nicknames: Mapping[str, str] | None = None,
) -> dict[str, ir.StringValue]:
    """First name, last name and name key from :func:`name_texts` pieces.

    Example:
        >>> parts = combine_name_parts(**name_texts(ibis.literal("Lee, Bob")))
        >>> sorted(parts)
        ['first_name', 'last_name', 'name_key']
    """
    words = full.split(" ")
    n = words.length()
    from_full_first = has_comma.ifelse(after_comma.split(" ")[0], words[0])
    from_full_last = has_comma.ifelse(
        before_comma, (n > 1).ifelse(words[n - 1], ibis.null("string"))
    )
    given = given_name(ibis.coalesce(first, from_full_first), nicknames)
    family = ibis.coalesce(last, from_full_last)
    return {"first_name": given, "last_name": family, "name_key": name_key(given, family)}


def name_key(first: ir.StringValue, last: ir.StringValue) -> ir.StringValue:
    """Return first and last name in sorted order (NULL when both are missing).

    Example:
        >>> name_key(ibis.literal("smith"), ibis.literal("john")).execute()  # doctest: +SKIP
        'john smith'
    """
    both = first.notnull() & last.notnull()
    ordered = (first <= last).ifelse(first + " " + last, last + " " + first)
    return both.ifelse(ordered, ibis.coalesce(first, last))


# --- dates -----------------------------------------------------------------------------------

#: Earliest plausible date of birth.
EARLIEST_BIRTH = date(1900, 1, 1)


def birth_date(
    value: ir.StringValue, today: date | None = None
) -> tuple[ir.StringValue, ir.BooleanValue]:
    """Read dates of birth into ``YYYY-MM-DD`` strings; impossible or implausible ones are NULL.

    Accepted forms: ``YYYY-MM-DD`` (optionally followed by a time), ``YYYY/MM/DD``,
    ``DD.MM.YYYY``, ``DD/MM/YYYY`` and ``DD-MM-YYYY`` (day first) and ``YYYYMMDD``. A date must
    exist in the calendar and lie between 1900-01-01 and ``today``.

    Returns:
        ``(iso_date, valid)``: the date as text or NULL, and whether a present value was a
        valid date of birth.

    Example:
        >>> t = ibis.memtable({"d": ["03.04.1985", "1985-02-30", "19850403"]})
        >>> t.select(d=birth_date(t.d)[0]).d.execute().tolist()  # doctest: +SKIP
        ['1985-04-03', None, '1985-04-03']
    """
    raw = blank_to_null(value)
    parts = birth_date_parts(raw)
    return birth_date_from_parts(raw, **parts, today=today)


def birth_date_parts(raw: ir.StringValue) -> dict[str, ir.IntegerValue]:
    """Year, month and day read from a trimmed date text (a stage of :func:`birth_date`).

    Example:
        >>> sorted(birth_date_parts(ibis.literal("03.04.1985")))
        ['day', 'month', 'year']
    """
    iso = r"^(\d{4})[-/](\d{1,2})[-/](\d{1,2})([T ].*)?$"
    dmy = r"^(\d{1,2})[./-](\d{1,2})[./-](\d{4})$"
    compact = r"^(\d{4})(\d{2})(\d{2})$"

    def part(pattern: str, index: int) -> ir.IntegerValue:
        return raw.re_extract(pattern, index).nullif("").cast("int64")

    is_iso, is_dmy = raw.re_search(iso), raw.re_search(dmy)
    return {
        "year": ibis.cases((is_iso, part(iso, 1)), (is_dmy, part(dmy, 3)), else_=part(compact, 1)),
        "month": ibis.cases((is_iso, part(iso, 2)), (is_dmy, part(dmy, 2)), else_=part(compact, 2)),
        "day": ibis.cases((is_iso, part(iso, 3)), (is_dmy, part(dmy, 1)), else_=part(compact, 3)),
    }


def birth_date_from_parts(
    raw: ir.StringValue,
    year: ir.IntegerValue,
    month: ir.IntegerValue,
    day: ir.IntegerValue,
    today: date | None = None,
) -> tuple[ir.StringValue, ir.BooleanValue]:
    """ISO date and validity from :func:`birth_date_parts` (a stage of :func:`birth_date`).

    Example:
        >>> d, ok = birth_date_from_parts(ibis.literal("x"), ibis.literal(1985),
        ...                               ibis.literal(2), ibis.literal(30))
        >>> ok.execute()  # doctest: +SKIP
        False
    """
    today = today or date.today()
    leap = ((year % 4 == 0) & (year % 100 != 0)) | (year % 400 == 0)
    days_in_month = ibis.cases(
        (month == 2, leap.ifelse(29, 28)),
        (month.isin([4, 6, 9, 11]), 30),
        else_=31,
    )
    real = (month >= 1) & (month <= 12) & (day >= 1) & (day <= days_in_month)
    text = (
        year.cast("string").lpad(4, "0")
        + "-"
        + month.cast("string").lpad(2, "0")
        + "-"
        + day.cast("string").lpad(2, "0")
    )
    in_range = (text >= EARLIEST_BIRTH.isoformat()) & (text <= today.isoformat())
    valid = ibis.coalesce(real & in_range, False)
    valid = raw.isnull().ifelse(ibis.null("boolean"), valid)
    return valid.ifelse(text, ibis.null("string")), valid


# --- addresses -------------------------------------------------------------------------------

#: Street words and their short forms, compared as the short form.
STREET_WORDS: dict[str, str] = {
    "street": "st",
    "road": "rd",
    "avenue": "ave",
    "lane": "ln",
    "drive": "dr",
    "court": "ct",
    "place": "pl",
    "square": "sq",
    "boulevard": "blvd",
    "crescent": "cres",
    "terrace": "ter",
    "apartment": "apt",
    "flat": "apt",
    "ulitsa": "ul",
    "prospekt": "pr",
}


def address_text(value: ir.StringValue) -> ir.StringValue:
    """Normalise an address line: as :func:`name_text`, with street words in short form.

    Example:
        >>> t = ibis.memtable({"a": ["12, Baker Street", "12 baker st."]})
        >>> t.select(a=address_text(t.a)).a.execute().tolist()  # doctest: +SKIP
        ['12 baker st', '12 baker st']
    """
    text = name_text(value)
    for word, short in STREET_WORDS.items():
        text = text.re_replace(rf"\b{word}\b", short)
    return text


def postcode(value: ir.StringValue) -> ir.StringValue:
    """Normalise a postcode: upper case, no spaces or dashes; NULL if empty.

    Example:
        >>> t = ibis.memtable({"p": ["sw1a 1aa", " 123-456 "]})
        >>> t.select(p=postcode(t.p)).p.execute().tolist()  # doctest: +SKIP
        ['SW1A1AA', '123456']
    """
    text = value.upper().re_replace(r"[\s\-]+", "")
    return (text.length() > 0).ifelse(text, ibis.null("string"))
