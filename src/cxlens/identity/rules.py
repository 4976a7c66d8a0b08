"""The linkage model: deterministic rules, blocking rules and Splink comparisons.

Records are compared on the columns :func:`cxlens.identity.clean.prepare` builds:
``first_name``, ``last_name``, ``name_key``, ``birth_date``, ``email``, ``phone``, ``address``,
``postcode``. Two records are linked when

* a **deterministic rule** holds: the same normalised e-mail, or the same E.164 phone; or
* the **probabilistic model** (Fellegi-Sunter, fitted by Splink: u-probabilities from random
  pairs, m-probabilities by expectation maximisation) gives a match probability at or above
  the threshold.

Only pairs that share a blocking key are compared (:data:`BLOCKING_RULES`); every other pair is
assumed not to match.
"""

from __future__ import annotations

from typing import Any

#: Deterministic rules: columns whose equal, valid values link two records outright.
DETERMINISTIC_RULES: tuple[str, ...] = ("email", "phone")

#: Blocking rules of the predictions, as column tuples (a pair is compared when it agrees on
#: all columns of at least one rule): exact contacts, then name or address with date of birth,
#: so typos in one name, swapped names and moves are still compared.
BLOCKING_RULES: tuple[tuple[str, ...], ...] = (
    ("email",),
    ("phone",),
    ("last_name", "birth_date"),
    ("first_name", "birth_date"),
    ("name_key", "postcode"),
    ("birth_date", "postcode"),
)

#: Blocking rules of the expectation-maximisation passes (each trains the other comparisons).
TRAINING_BLOCKS: tuple[tuple[str, ...], ...] = (("email",), ("phone",))

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


def settings(name_metric: str = "jaro_winkler") -> Any:
    """Return the Splink settings of the model (dedupe one table of all sources).

    Args:
        name_metric: "jaro_winkler" (default; DuckDB) or "levenshtein" (native on Spark too).

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
    from splink import SettingsCreator, block_on

    from cxlens.errors import ArgumentError

    if name_metric not in NAME_METRICS:
        raise ArgumentError(
            f"name_metric must be one of {', '.join(NAME_METRICS)}, not {name_metric!r}"
        )

    def similar(col: str, strict: bool) -> Any:
        if name_metric == "jaro_winkler":
            return cll.JaroWinklerLevel(col, 0.92 if strict else 0.8)
        return cll.LevenshteinLevel(col, 1 if strict else 2)

    name = cl.CustomComparison(
        output_column_name="name",
        comparison_description="first and last name",
        comparison_levels=[
            cll.Or(cll.NullLevel("first_name"), cll.NullLevel("last_name")),
            cll.And(cll.ExactMatchLevel("first_name"), cll.ExactMatchLevel("last_name")),
            cll.ColumnsReversedLevel("first_name", "last_name").configure(
                label_for_charts="first and last name swapped"
            ),
            cll.And(similar("first_name", True), similar("last_name", True)),
            cll.And(cll.ExactMatchLevel("last_name"), similar("first_name", False)),
            cll.And(similar("first_name", False), similar("last_name", False)),
            cll.ExactMatchLevel("last_name").configure(label_for_charts="same last name only"),
            cll.ElseLevel(),
        ],
    )
    birth = cl.CustomComparison(
        output_column_name="birth_date",
        comparison_description="date of birth",
        comparison_levels=[
            cll.NullLevel("birth_date"),
            cll.ExactMatchLevel("birth_date"),
            cll.LevenshteinLevel("birth_date", 1).configure(label_for_charts="one digit differs"),
            cll.LevenshteinLevel("birth_date", 2).configure(
                label_for_charts="two digits differ (e.g. day and month swapped)"
            ),
            cll.ElseLevel(),
        ],
    )
    email = cl.CustomComparison(
        output_column_name="email",
        comparison_description="e-mail address",
        comparison_levels=[
            cll.NullLevel("email"),
            cll.ExactMatchLevel("email"),
            cll.LevenshteinLevel("email", 2),
            cll.ElseLevel(),
        ],
    )
    phone = cl.CustomComparison(
        output_column_name="phone",
        comparison_description="phone number (E.164)",
        comparison_levels=[
            cll.NullLevel("phone"),
            cll.ExactMatchLevel("phone"),
            cll.LevenshteinLevel("phone", 1),
            cll.ElseLevel(),
        ],
    )
    address = cl.CustomComparison(
        output_column_name="address",
        comparison_description="address line and postcode",
        comparison_levels=[
            cll.Or(cll.NullLevel("address"), cll.NullLevel("postcode")),
            cll.And(cll.ExactMatchLevel("address"), cll.ExactMatchLevel("postcode")),
            cll.And(cll.ExactMatchLevel("postcode"), cll.LevenshteinLevel("address", 2)),
            cll.ExactMatchLevel("postcode").configure(label_for_charts="same postcode only"),
            cll.ElseLevel(),
        ],
    )
    creator = SettingsCreator(
        link_type="dedupe_only",
        unique_id_column_name="record_id",
        comparisons=[name, birth, email, phone, address],
        blocking_rules_to_generate_predictions=[block_on(*rule) for rule in BLOCKING_RULES],
        retain_intermediate_calculation_columns=True,  # gamma_ and bf_ columns: the evidence
        retain_matching_columns=True,
        additional_columns_to_retain=["source", "source_id"],
    )
    return creator
