"""One exception family for cxlens; every message says what, where and what to do."""

from __future__ import annotations


class CxlensError(Exception):
    """Base class of every error cxlens raises on purpose."""


class ArgumentError(CxlensError, ValueError):
    """An argument is not one cxlens accepts (unknown grain, metric, confidence level...)."""


class SchemaError(CxlensError, ValueError):
    """A table or column does not fit the canonical schema."""


class MappingError(CxlensError, ValueError):
    """A column mapping or scale declaration is malformed or does not match the file."""


class IngestError(CxlensError, ValueError):
    """A source file cannot be read or loaded (encoding, format, truncation, emptiness)."""


class NotEnoughDataError(CxlensError, ValueError):
    """An analysis has too little data to give an honest answer."""


class WorkspaceError(CxlensError, RuntimeError):
    """The Workspace or its engine cannot do what was asked."""


class EngineError(WorkspaceError):
    """The engine failed while running a query; ``sql`` holds the statement that failed."""

    def __init__(self, message: str, sql: str | None = None) -> None:
        super().__init__(message if sql is None else f"{message}\nSQL:\n{sql}")
        self.sql = sql


class WorkspaceBusyError(WorkspaceError):
    """Another process holds the workspace file; ``pid`` and ``holder`` say which, if known."""

    def __init__(self, message: str, pid: int | None = None, holder: str | None = None) -> None:
        super().__init__(message)
        self.pid = pid
        self.holder = holder
