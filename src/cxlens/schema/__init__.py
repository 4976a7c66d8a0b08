"""Canonical tables: the contract between ingestion, the store and every analysis."""

from cxlens.schema.tables import (
    LINEAGE_COLUMNS,
    TABLES,
    Column,
    TableSchema,
    get_table,
)

__all__ = ["LINEAGE_COLUMNS", "TABLES", "Column", "TableSchema", "get_table"]
