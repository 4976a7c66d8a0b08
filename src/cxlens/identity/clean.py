"""Cleaning of identity records, in the engine: normalised columns, flags, duplicates, profiles.

* :func:`prepare`: one row per identities record with the normalised comparison columns
  (see :mod:`cxlens.identity.normalise`), validity flags, lineage, and ``keep_id``: the record
  an exact duplicate (same source, same normalised attributes) is folded into.
* :func:`flags`: one row per empty or invalid value, with the file and row it came from.
* :func:`profile`: one row per customer with the newest value of each attribute and where it
  came from (source, source_id, updated_at).
"""

from __future__ import annotations

from collections.abc import Sequence

import ibis
import ibis.expr.types as ir

from cxlens.errors import SchemaError
from cxlens.identity import normalise as nz

#: The normalised columns linkage compares, in order.
MATCH_COLUMNS: tuple[str, ...] = (
    "first_name",
    "last_name",
    "name_key",
    "birth_date",
    "email",
    "phone",
    "address",
    "postcode",
    "city_key",
)
#: Raw columns read from identities (missing ones count as empty).
RAW_COLUMNS: tuple[str, ...] = (
    "customer_id",
    "name",
    "first_name",
    "last_name",
    "email",
    "phone",
    "birth_date",
    "address",
    "postcode",
    "city",
    "country",
    "updated_at",
    "_source_file",
    "_source_row",
)
#: Attributes checked for validity: raw column -> (valid flag column, problem in words).
CHECKED: dict[str, tuple[str, str]] = {
    "email": ("email_valid", "not a valid e-mail address"),
    "phone": ("phone_valid", "not a valid phone number for its region"),
    "birth_date": ("birth_date_valid", "not a real date of birth between 1900 and today"),
}
#: Attributes a profile keeps the newest value of.
PROFILE_ATTRIBUTES: tuple[str, ...] = (
    "display_name",
    "email",
    "phone",
    "birth_date",
    "address",
    "postcode",
    "city",
)


def _raw(table: ir.Table, column: str, dtype: str = "string") -> ir.Value:
    if column in table.columns:
        return table[column].cast(dtype)
    return ibis.null(dtype)


def prepare(
    identities: ir.Table,
    default_region: str = "GB",
    *,
    region_from_country: bool = True,
) -> ir.Table:
    """Return the identities records with normalised columns and flags, as an Ibis table.

    Args:
        identities: the ``identities`` table (source and source_id required).
        default_region: ISO alpha-2 region of phone numbers written without a country code.
        region_from_country: read a record's phone region from its ``country`` column when that
            holds an ISO alpha-2 code (other values fall back to ``default_region``).

    Returns:
        Columns: ``record_id`` ("source|source_id"), ``source``, ``source_id``,
        ``customer_id`` (as loaded), the :data:`MATCH_COLUMNS`, ``display_name``, ``city``,
        ``updated_at``, ``email_valid``, ``phone_valid``, ``birth_date_valid`` (NULL where the
        value is missing), ``raw_email``, ``raw_phone``, ``raw_birth_date``, ``_source_file``,
        ``_source_row`` and ``keep_id``.

    Raises:
        SchemaError: the table lacks ``source`` or ``source_id``.

    Example:
        >>> prepare(ws.table("identities")).email.execute()  # doctest: +SKIP
    """
    missing = [c for c in ("source", "source_id") if c not in identities.columns]
    if missing:
        raise SchemaError(
            f"identities lacks {', '.join(missing)}; every record needs the source system "
            "and its id there (map them when ingesting: mapping={'source': ..., 'source_id': ...})"
        )
    t = identities
    code, trunk, lengths = nz.region_rules(default_region)
    has = {c: c in t.columns for c in ("name", "first_name", "last_name")}
    first, last = nz.blank_to_null(_raw(t, "first_name")), nz.blank_to_null(_raw(t, "last_name"))
    display = ibis.coalesce(
        (first + " " + last), first, last, nz.blank_to_null(_raw(t, "name"))
    ).re_replace(r"\s+", " ")
    region = (
        nz.trim(_raw(t, "country")).upper()
        if region_from_country and "country" in t.columns
        else ibis.null("string")
    )
    # stage 1: text pieces each normaliser reuses (staging keeps the generated SQL small)
    stage = t.select(
        record_id=t["source"].cast("string") + "|" + t["source_id"].cast("string"),
        source=t["source"].cast("string"),
        source_id=t["source_id"].cast("string"),
        customer_id=nz.blank_to_null(_raw(t, "customer_id")),
        display_name=display,
        city=nz.blank_to_null(_raw(t, "city")),
        updated_at=_raw(t, "updated_at", "timestamp"),
        raw_email=_raw(t, "email"),
        raw_phone=_raw(t, "phone"),
        raw_birth_date=_raw(t, "birth_date"),
        _phone=nz.phone_text(_raw(t, "phone")),
        _birth=nz.blank_to_null(_raw(t, "birth_date")),
        _region=region,
        _address=nz.address_text(_raw(t, "address")),
        _postcode=nz.postcode(_raw(t, "postcode")),
        _source_file=_raw(t, "_source_file"),
        _source_row=_raw(t, "_source_row", "int64"),
        **{
            f"_n_{k}": v
            for k, v in nz.name_texts(
                _raw(t, "name") if has["name"] else None,
                _raw(t, "first_name") if has["first_name"] else None,
                _raw(t, "last_name") if has["last_name"] else None,
            ).items()
        },
    )
    regions = nz.region_table()
    stage = stage.left_join(regions, stage["_region"] == regions["region"]).drop("region")
    email, email_ok = nz.email(stage["raw_email"])
    phone, phone_ok = nz.phone_from_parts(
        stage["_phone"],
        stage["calling_code"].fill_null(code),
        stage["trunk_prefix"].fill_null(trunk),
        stage["lengths"].fill_null("|" + "|".join(map(str, lengths)) + "|"),
    )
    stage = stage.mutate(**{f"_b_{k}": v for k, v in nz.birth_date_parts(stage["_birth"]).items()})
    birth, birth_ok = nz.birth_date_from_parts(
        stage["_birth"], stage["_b_year"], stage["_b_month"], stage["_b_day"]
    )
    names = nz.combine_name_parts(**{k: stage[f"_n_{k}"] for k in nz.name_texts(ibis.literal("x"))})
    prepared = stage.select(
        "record_id",
        "source",
        "source_id",
        "customer_id",
        **names,
        birth_date=birth,
        email=email,
        phone=phone,
        address=stage["_address"],
        postcode=stage["_postcode"],
        city_key=nz.name_text(stage["city"]),
        display_name=stage["display_name"],
        city=stage["city"],
        updated_at=stage["updated_at"],
        email_valid=email_ok,
        phone_valid=phone_ok,
        birth_date_valid=birth_ok,
        raw_email=stage["raw_email"],
        raw_phone=stage["raw_phone"],
        raw_birth_date=stage["raw_birth_date"],
        _source_file=stage["_source_file"],
        _source_row=stage["_source_row"],
    )
    # an exact duplicate: same source and the same normalised attributes (NULLs equal)
    keys = ["source", *(c for c in MATCH_COLUMNS if c != "name_key")]
    window = ibis.window(group_by=[prepared[k] for k in keys])
    return prepared.mutate(keep_id=prepared["record_id"].min().over(window))


def flags(prepared: ir.Table) -> ir.Table:
    """Return one row per empty or invalid value of the prepared records.

    Returns:
        Columns: ``source``, ``source_id``, ``source_file``, ``source_row``, ``column``,
        ``value``, ``problem``; a record with several bad values has several rows.

    Example:
        >>> flags(prepare(ws.table("identities"))).execute()  # doctest: +SKIP
    """
    parts = []
    for column, (flag, problem) in CHECKED.items():
        raw = prepared[f"raw_{column}"]
        bad = prepared.filter(
            (prepared[flag] == False) | (raw.notnull() & (nz.trim(raw).length() == 0))  # noqa: E712
        )
        rawbad = bad[f"raw_{column}"]
        parts.append(
            bad.select(
                source=bad["source"],
                source_id=bad["source_id"],
                source_file=bad["_source_file"],
                source_row=bad["_source_row"],
                column=ibis.literal(column),
                value=rawbad,
                problem=(nz.trim(rawbad).length() == 0).ifelse("empty value", problem),
            )
        )
    return ibis.union(*parts)


def profile(
    prepared: ir.Table,
    assignments: ir.Table,
    attributes: Sequence[str] = PROFILE_ATTRIBUTES,
) -> ir.Table:
    """Return one row per customer: the newest value of each attribute, with its provenance.

    For each attribute the value comes from the customer's record with the latest
    ``updated_at`` that has one (ties: source, then source_id), so an old address or e-mail
    gives way to the new one.

    Args:
        prepared: the output of :func:`prepare`.
        assignments: ``source``, ``source_id``, ``customer_id`` per record (identity_clusters).
        attributes: the prepared columns to keep.

    Returns:
        Columns: ``customer_id``, ``records``, ``sources``, then per attribute ``<a>``,
        ``<a>_source``, ``<a>_source_id``, ``<a>_updated_at``.

    Example:
        >>> prepared = prepare(ws.table("identities"))  # doctest: +SKIP
        >>> profile(prepared, ws.table("identity_clusters"))  # doctest: +SKIP
    """
    a = assignments.select("source", "source_id", "customer_id")
    rows = prepared.drop("customer_id").join(a, ["source", "source_id"])
    base = rows.group_by("customer_id").aggregate(
        records=rows.count(), sources=rows["source"].nunique()
    )
    for attr in attributes:
        have = rows.filter(rows[attr].notnull())
        order = [ibis.desc(have["updated_at"]), have["source"], have["source_id"]]
        ranked = have.mutate(
            _rank=ibis.row_number().over(ibis.window(group_by="customer_id", order_by=order))
        )
        newest = ranked.filter(ranked["_rank"] == 0).select(
            customer_id=ranked["customer_id"],
            **{
                attr: ranked[attr].cast("string"),
                f"{attr}_source": ranked["source"],
                f"{attr}_source_id": ranked["source_id"],
                f"{attr}_updated_at": ranked["updated_at"],
            },
        )
        base = base.left_join(newest, "customer_id").drop("customer_id_right")
    return base
