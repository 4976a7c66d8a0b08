"""cxlens: customer-experience analytics on DuckDB or Spark.

Example:
    >>> import cxlens
    >>> ws = cxlens.Workspace(":memory:")
    >>> ws.tables()
    []
"""

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
]
