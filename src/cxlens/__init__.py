"""cxlens: customer-experience analytics on DuckDB or Spark.

``import cxlens`` gives the :class:`Workspace`, the errors, and the capability packages
(``cxlens.metrics``, ``cxlens.analysis``, ``cxlens.models``, ``cxlens.journey``,
``cxlens.text``, ``cxlens.social``, ``cxlens.identity``, ``cxlens.ingest``,
``cxlens.actions``, ``cxlens.report``), each imported when first used.

Example:
    >>> import cxlens
    >>> ws = cxlens.Workspace(":memory:")
    >>> ws.tables()
    []
    >>> cxlens.text.sentiment(["Спасибо, всё работает"])["language"].tolist()
    ['ru']
"""

from __future__ import annotations

import importlib
from typing import Any

from cxlens.errors import (
    ArgumentError,
    CxlensError,
    EngineError,
    IngestError,
    MappingError,
    NotEnoughDataError,
    SchemaError,
    WorkspaceError,
)
from cxlens.workspace import Workspace

__version__ = "0.1.0"

#: The capability packages, imported on first use so `import cxlens` stays quick.
PACKAGES = (
    "actions", "analysis", "identity", "ingest", "journey", "metrics", "models", "report",
    "social", "text",
)  # fmt: skip

__all__ = [
    "ArgumentError",
    "CxlensError",
    "EngineError",
    "IngestError",
    "MappingError",
    "NotEnoughDataError",
    "SchemaError",
    "Workspace",
    "WorkspaceError",
    "__version__",
    *PACKAGES,
]


def __getattr__(name: str) -> Any:
    if name in PACKAGES:
        return importlib.import_module(f"cxlens.{name}")
    raise AttributeError(f"module 'cxlens' has no attribute {name!r}")
