"""The linkage model: deterministic rules, blocking rules and Splink comparisons.

Records are compared on the columns :func:`cxlens.identity.clean.prepare` builds:
``first_name``, ``last_name``, ``name_key``, ``birth_date``, ``email``, ``phone``, ``address``,
``postcode``. Two records are linked when

* a **deterministic rule** holds: the same normalised e-mail, the same E.164 phone, or the
  same first name, last name and date of birth; or
* the **probabilistic model** (Fellegi-Sunter, fitted by Splink: u-probabilities from random
  pairs, m-probabilities by expectation maximisation) gives a match probability at or above
  the threshold.

Only pairs that share a blocking key are compared (:data:`BLOCKING_RULES`, and the
:data:`WIDE_BLOCKING_RULES` that compare few enough pairs); every other pair is assumed not to
match. Each record may have any subset of the columns: comparisons and rules whose columns hold
no values are left out.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

#: Deterministic rules: name -> columns whose equal, valid values (all of them) link two
#: records outright. They are also the rules the prior (the share of pairs that match) is
#: estimated from, so a source without e-mail or phone still has one.
DETERMINISTIC_RULES: dict[str, tuple[str, ...]] = {
    "email": ("email",),
    "phone": ("phone",),
    "name+birth_date": ("first_name", "last_name", "birth_date"),
}

#: Blocking rules of the predictions, as column tuples (a pair is compared when it agrees on
#: all columns of at least one rule): exact contacts, then name or address with date of birth,
#: so typos in one name, swapped names and moves are still compared. Each is used when the
#: records have values in all its columns.
BLOCKING_RULES: tuple[tuple[str, ...], ...] = (
    ("email",),
    ("phone",),
    ("last_name", "birth_date"),
    ("first_name", "birth_date"),
    ("name_key", "postcode"),
    ("birth_date", "postcode"),
)

#: Wider blocking rules, each added when it compares at most ``max_block_pairs`` pairs: on
#: small and medium tables they let a typo in the date of birth or a missing date still be
#: compared (as Splink's own examples block on one column); on large ones they would compare
#: too many pairs and are left out.
WIDE_BLOCKING_RULES: tuple[tuple[str, ...], ...] = (
    ("first_name", "last_name"),
    ("birth_date",),
    ("last_name",),
    ("first_name",),
    ("postcode",),
    ("address",),
)

#: Blocking rules of the expectation-maximisation passes (each trains the comparisons that
#: are not in its rule), in the order they run: contacts where there are any, then name and
#: date of birth, then postcode, so a source without e-mail or phone is trained too.
TRAINING_BLOCKS: tuple[tuple[str, ...], ...] = (
    ("email",),
    ("phone",),
    ("birth_date",),
    ("first_name", "last_name"),
    ("postcode",),
)

#: The model's comparisons and the columns each reads (usable when any of them has values).
COMPARISON_COLUMNS: dict[str, tuple[str, ...]] = {
    "name": ("first_name", "last_name"),
    "birth_date": ("birth_date",),
    "email": ("email",),
    "phone": ("phone",),
    "address": ("address", "postcode"),
    "city": ("city_key",),
}

#: Name similarity functions the model can use, by engine support: Jaro-Winkler is native in
#: DuckDB (Spark needs Splink's jar); Levenshtein is native in both.
NAME_METRICS = ("jaro_winkler", "levenshtein")


def blocking_rule_text(rule: tuple[str, ...]) -> str:
    """Return a blocking rule in words, e.g. ``"same last_name and birth_date"``.

    Example:
        >>> blocking_rule_text(("last_name", "birth_date"))
        'same last_name and birth_date'
    """
    return "same " + " and ".join(rule)


def settings(
    name_metric: str = "jaro_winkler",
    *,
    comparisons: Sequence[str] = tuple(COMPARISON_COLUMNS),
    blocking_rules: Sequence[tuple[str, ...]] = BLOCKING_RULES,
) -> Any:
    """Return the Splink settings of the model (dedupe one table of all sources).

    Args:
        name_metric: "jaro_winkler" (default; DuckDB) or "levenshtein" (native on Spark too).
        comparisons: the comparisons to use (keys of :data:`COMPARISON_COLUMNS`; those whose
            columns hold values).
        blocking_rules: the blocking rules of the predictions, as column tuples.

    Returns:
        A ``splink.SettingsCreator`` (``link_type`` "dedupe_only", ``unique_id_column_name``
        "record_id", the comparisons and blocking rules); Splink writes its SQL in the
        dialect of the engine it runs on.

    Example:
        >>> settings().link_type
        'dedupe_only'
    """
    import splink.comparison_level_library as cll
    import splink.comparison_library as cl
    from splink import ColumnExpression, SettingsCreator, block_on

    from cxlens.errors import ArgumentError

    if name_metric not in NAME_METRICS:
        raise ArgumentError(
            f"name_metric must be one of {', '.join(NAME_METRICS)}, not {name_metric!r}"
        )

    def within(unit: str) -> Any:
        # elapsed time between two ISO dates (a typo in the month or year of a date of birth)
        return cll.AbsoluteDateDifferenceLevel(
            "birth_date", input_is_string=True, threshold=1, metric=unit
        ).configure(label_for_charts=f"within a {unit}")

    def one_column(output: str, description: str, col: str, *between: Any) -> Any:
        # Splink's order on one column: no value to compare, the same value, the ``between``
        # levels (closest first), anything else
        levels = [cll.NullLevel(col), cll.ExactMatchLevel(col), *between, cll.ElseLevel()]
        return cl.CustomComparison(
            output_column_name=output, comparison_description=description, comparison_levels=levels
        )

    def similar(col: str, strict: bool) -> Any:
        if name_metric == "jaro_winkler":
            return cll.JaroWinklerLevel(col, 0.92 if strict else 0.8)
        return cll.LevenshteinLevel(col, 1 if strict else 2)

    # a level is "null" only when nothing in it can be compared: a record with a first name
    # and no last name still agrees or disagrees on its first name
    name = cl.CustomComparison(
        output_column_name="name",
        comparison_description="first and last name",
        comparison_levels=[
            cll.And(cll.NullLevel("first_name"), cll.NullLevel("last_name")),
            cll.And(cll.ExactMatchLevel("first_name"), cll.ExactMatchLevel("last_name")),
            cll.ColumnsReversedLevel("first_name", "last_name").configure(
                label_for_charts="first and last name swapped"
            ),
            cll.And(similar("first_name", True), similar("last_name", True)),
            cll.And(cll.ExactMatchLevel("last_name"), similar("first_name", False)),
            cll.And(similar("first_name", False), similar("last_name", False)),
            cll.ExactMatchLevel("last_name").configure(label_for_charts="same last name only"),
            cll.ExactMatchLevel("first_name").configure(label_for_charts="same first name only"),
            cll.ElseLevel(),
        ],
    )
    birth = one_column(
        "birth_date",
        "date of birth",
        "birth_date",
        cll.LevenshteinLevel("birth_date", 1).configure(label_for_charts="one digit differs"),
        cll.LevenshteinLevel("birth_date", 2).configure(
            label_for_charts="two digits differ (e.g. day and month swapped)"
        ),
        within("month"),
        within("year"),
    )
    email = one_column(
        "email",
        "e-mail address",
        "email",
        cll.ExactMatchLevel(ColumnExpression("email").regex_extract("^[^@]+")).configure(
            label_for_charts="same user name, other domain"
        ),
        cll.LevenshteinLevel("email", 2),
    )
    phone = one_column("phone", "phone number (E.164)", "phone", cll.LevenshteinLevel("phone", 1))
    address = cl.CustomComparison(
        output_column_name="address",
        comparison_description="address line and postcode",
        comparison_levels=[
            cll.And(cll.NullLevel("address"), cll.NullLevel("postcode")),
            cll.And(cll.ExactMatchLevel("address"), cll.ExactMatchLevel("postcode")),
            cll.And(cll.ExactMatchLevel("postcode"), cll.LevenshteinLevel("address", 2)),
            cll.ExactMatchLevel("address").configure(label_for_charts="same address line only"),
            cll.ExactMatchLevel("postcode").configure(label_for_charts="same postcode only"),
            cll.ElseLevel(),
        ],
    )
    city = one_column(
        "city",
        "city or town",
        "city_key",
        cll.LevenshteinLevel("city_key", 2).configure(label_for_charts="city spelt alike"),
    )
    built = {
        "city": city,
        "name": name,
        "birth_date": birth,
        "email": email,
        "phone": phone,
        "address": address,
    }
    unknown = [c for c in comparisons if c not in built]
    if unknown or not comparisons or not blocking_rules:
        raise ArgumentError(
            f"settings need at least one comparison and one blocking rule; unknown: {unknown}"
        )
    creator = SettingsCreator(
        link_type="dedupe_only",
        unique_id_column_name="record_id",
        comparisons=[built[c] for c in comparisons],
        blocking_rules_to_generate_predictions=[block_on(*rule) for rule in blocking_rules],
        retain_intermediate_calculation_columns=True,  # gamma_ and bf_ columns: the evidence
        retain_matching_columns=True,
        additional_columns_to_retain=["source", "source_id"],
    )
    return creator
