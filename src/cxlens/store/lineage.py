"""The kernel's own tables: the load log and the quarantine of rejected rows.

Ingestion writes them; the Catalog reads them; erasure searches the quarantine. Their names
and columns live here, in the lowest layer, so every reader spells them once.
"""

from __future__ import annotations

#: The load log: one row per file loaded (fingerprint, counts, when).
LOADS_TABLE = "_loads"
#: Rejected rows: one row per problem, with lineage and the row's raw values.
QUARANTINE_TABLE = "_quarantine"
#: The erasure log: one row per erasure (see :mod:`cxlens.store.privacy`).
ERASURES_TABLE = "_erasures"

#: Columns of the load log, as cxlens dtypes.
LOADS_COLUMNS = {
    "load_id": "string", "table_name": "string", "source_file": "string", "sha256": "string",
    "mapping": "string", "rows_loaded": "int", "rows_quarantined": "int",
    "loaded_at": "timestamp", "encoding": "string", "encoding_confidence": "float",
    "status": "string", "created_table": "bool", "added_columns": "string", "note": "string",
}  # fmt: skip
#: Where a load stands (``_loads.status``); only complete loads count as loaded. Records
#: from before statuses existed have none, which counts as complete.
PENDING, COMPLETE, ROLLED_BACK = "pending", "complete", "rolled back"
#: Columns of the quarantine, as cxlens dtypes.
QUARANTINE_COLUMNS = {
    "load_id": "string", "table_name": "string", "source_file": "string", "source_row": "int",
    "column": "string", "value": "string", "rule": "string", "reason": "string",
    "raw": "string",
}  # fmt: skip
