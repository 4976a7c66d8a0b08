"""Definitions of the canonical tables (see docs/schema.md for the prose version).

Each table declares its columns with a type, whether the column is required, and the value
rules a row must pass to load. Rows that fail go to quarantine with the rule they broke.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from cxlens.errors import SchemaError

DType = Literal["string", "int", "float", "timestamp", "bool"]

#: Columns every loaded row carries: which load wrote it, from which file, at which row, and
#: what the loader did to its values (time-zone offsets converted, values filled in).
LINEAGE_COLUMNS: dict[str, DType] = {
    "_load_id": "string",
    "_source_file": "string",
    "_source_row": "int",
    # JSON {column: "+05:00"}: the UTC offset a source time was written with (stored in UTC)
    "_source_offsets": "string",
    # JSON {column: "load date 2024-03-31"}: a value the mapping's ``fill`` gave, not the file
    "_filled_from": "string",
}

#: Prefix of driver-rating columns in ``responses`` (e.g. ``driver_speed``): floats on 0-10.
DRIVER_PREFIX = "driver_"


@dataclass(frozen=True)
class Column:
    """One canonical column and the rules its values must pass.

    Example:
        >>> Column("nps", "int", minimum=0, maximum=10).check_range(11)
        False
    """

    name: str
    dtype: DType
    required: bool = False
    minimum: float | None = None
    maximum: float | None = None
    allowed: tuple[str, ...] | None = None
    pii: bool = False
    description: str = ""

    def check_range(self, value: float) -> bool:
        """Return True when ``value`` lies within the column's declared bounds."""
        if self.minimum is not None and value < self.minimum:
            return False
        return not (self.maximum is not None and value > self.maximum)

    @property
    def rule(self) -> str:
        """Human-readable statement of the value rule, used in quarantine reasons."""
        if self.allowed is not None:
            return f"one of {', '.join(self.allowed)}"
        if self.minimum is not None and self.maximum is not None:
            return f"{self.dtype} in [{self.minimum:g}, {self.maximum:g}]"
        if self.minimum is not None:
            return f"{self.dtype} >= {self.minimum:g}"
        if self.maximum is not None:
            return f"{self.dtype} <= {self.maximum:g}"
        return self.dtype


@dataclass(frozen=True)
class TableSchema:
    """A canonical table: its key, its columns and what else it accepts.

    ``key`` names the column(s) that identify a row; a row whose key is already loaded is a
    duplicate. ``extra_columns`` lets a table keep attribute columns it does not declare (for
    example ``segment`` or ``region`` on customers), stored as strings.
    ``at_least_one_of`` names columns of which every row must fill at least one.

    Example:
        >>> get_table("responses").column("nps").maximum
        10
    """

    name: str
    key: tuple[str, ...]
    columns: tuple[Column, ...]
    extra_columns: bool = False
    at_least_one_of: tuple[str, ...] = ()
    description: str = ""
    drivers: bool = field(default=False)

    def column(self, name: str) -> Column:
        """Return the declared column ``name``, or a driver column built on the fly."""
        for col in self.columns:
            if col.name == name:
                return col
        if self.drivers and name.startswith(DRIVER_PREFIX):
            return Column(name, "float", minimum=0, maximum=10, description="driver rating")
        raise SchemaError(f"table '{self.name}' has no column '{name}'")

    def has_column(self, name: str) -> bool:
        """Return True when ``name`` is declared (or is a driver column of ``responses``)."""
        try:
            self.column(name)
        except SchemaError:
            return False
        return True

    @property
    def names(self) -> list[str]:
        """Names of the declared columns, in order."""
        return [c.name for c in self.columns]

    @property
    def required(self) -> list[str]:
        """Names of the columns every row must fill."""
        return [c.name for c in self.columns if c.required]


def _c(name: str, dtype: DType, **kw: object) -> Column:
    return Column(name, dtype, **kw)  # type: ignore[arg-type]


RESPONSES = TableSchema(
    name="responses",
    key=("response_id",),
    description="One survey answer set.",
    extra_columns=True,
    drivers=True,
    at_least_one_of=("nps", "csat", "ces"),
    columns=(
        _c("response_id", "string", required=True),
        _c("customer_id", "string"),
        _c("responded_at", "timestamp", required=True),
        _c("survey", "string"),
        _c("touchpoint", "string"),
        _c("channel", "string"),
        _c("nps", "int", minimum=0, maximum=10, description="likelihood to recommend, 0-10"),
        _c("csat", "int", minimum=1, maximum=5, description="satisfaction, 1-5"),
        _c("ces", "int", minimum=1, maximum=7, description="ease (customer effort), 1-7"),
        _c("comment", "string"),
        _c("language", "string"),
    ),
)

TRANSACTIONS = TableSchema(
    name="transactions",
    key=("transaction_id",),
    description="One order line or payment (negative amounts are refunds).",
    extra_columns=True,
    columns=(
        _c("transaction_id", "string", required=True),
        _c("customer_id", "string", required=True),
        _c("occurred_at", "timestamp", required=True),
        _c("amount", "float", required=True),
        _c("currency", "string"),
        _c("quantity", "int", minimum=0),
        _c("product", "string"),
        _c("category", "string"),
        _c("channel", "string"),
        _c("discount", "float", description="discount given on the line (included in amount)"),
        _c("shipping", "float", description="shipping charged on the order (not in amount)"),
        _c("tax", "float", description="tax charged on the order (not in amount)"),
    ),
)

EVENTS = TableSchema(
    name="events",
    key=("event_id",),
    description="One touchpoint in a customer journey.",
    extra_columns=True,
    columns=(
        _c("event_id", "string", required=True),
        _c("customer_id", "string", required=True),
        _c("occurred_at", "timestamp", required=True),
        _c("touchpoint", "string", required=True),
        _c("stage", "string"),
        _c("channel", "string"),
        _c("session_id", "string"),
        _c("duration_seconds", "float", minimum=0),
    ),
)

POSTS = TableSchema(
    name="posts",
    key=("post_id",),
    description="One social or review post about the brand or a competitor.",
    extra_columns=True,
    columns=(
        _c("post_id", "string", required=True),
        _c("platform", "string", required=True),
        _c("brand", "string", required=True),
        _c("brand_role", "string", allowed=("own", "competitor")),
        _c("author", "string"),
        _c("posted_at", "timestamp", required=True),
        _c("text", "string"),
        _c("language", "string"),
        _c("likes", "int", minimum=0),
        _c("shares", "int", minimum=0),
        _c("comments", "int", minimum=0),
        _c("reach", "int", minimum=0),
        _c("followers", "int", minimum=0),
        _c("influencer", "bool"),
        _c("campaign_id", "string"),
    ),
)

CUSTOMERS = TableSchema(
    name="customers",
    key=("customer_id",),
    description="A resolved person or account, with segment attributes.",
    extra_columns=True,
    columns=(
        _c("customer_id", "string", required=True),
        _c("first_seen", "timestamp"),
        _c("churned_at", "timestamp", description="end of the relationship, if it ended"),
        _c("acquisition_cost", "float", minimum=0),
        _c("segment", "string"),
        _c("region", "string"),
        _c("plan", "string"),
        _c("acquisition_channel", "string"),
    ),
)

IDENTITIES = TableSchema(
    name="identities",
    key=("source", "source_id"),
    description="One source record of a customer; the only table that holds PII.",
    columns=(
        _c("source", "string", required=True),
        _c("source_id", "string", required=True),
        _c("customer_id", "string"),
        _c("email", "string", pii=True),
        _c("phone", "string", pii=True),
        _c("name", "string", pii=True, description="full name as the source writes it"),
        _c("country", "string"),
        _c("first_name", "string", pii=True),
        _c("last_name", "string", pii=True),
        _c(
            "birth_date",
            "string",
            pii=True,
            description="date of birth as written (YYYY-MM-DD, DD.MM.YYYY, DD/MM/YYYY, YYYYMMDD);"
            " read and checked by identity resolution, so a bad one is flagged, not rejected",
        ),
        _c("address", "string", pii=True, description="street address line"),
        _c("postcode", "string", pii=True),
        _c("city", "string"),
        _c("updated_at", "timestamp", description="when the source last changed the record"),
    ),
)

CAMPAIGNS = TableSchema(
    name="campaigns",
    key=("campaign_id",),
    description="A marketing campaign or an influencer deal.",
    extra_columns=True,
    columns=(
        _c("campaign_id", "string", required=True),
        _c("kind", "string", allowed=("campaign", "influencer")),
        _c("name", "string"),
        _c("channel", "string"),
        _c("influencer", "string"),
        _c("cost", "float", minimum=0),
        _c("start_at", "timestamp"),
        _c("end_at", "timestamp"),
        _c("tracking_code", "string"),
    ),
)

TABLES: dict[str, TableSchema] = {
    t.name: t for t in (RESPONSES, TRANSACTIONS, EVENTS, POSTS, CUSTOMERS, IDENTITIES, CAMPAIGNS)
}


def get_table(name: str) -> TableSchema:
    """Return the canonical table ``name``.

    Raises SchemaError naming the tables that exist when ``name`` is not one of them.

    Example:
        >>> get_table("posts").key
        ('post_id',)
    """
    try:
        return TABLES[name]
    except KeyError:
        raise SchemaError(
            f"unknown table '{name}'; the canonical tables are: {', '.join(TABLES)}"
        ) from None
