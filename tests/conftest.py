"""Shared fixtures: a fresh DuckDB Workspace and helpers to write small source files."""

from __future__ import annotations

from pathlib import Path

import pytest

import cxlens


@pytest.fixture
def ws(tmp_path: Path) -> cxlens.Workspace:
    workspace = cxlens.Workspace(tmp_path / "ws.duckdb")
    yield workspace
    workspace.close()


def write_text(path: Path, text: str, encoding: str = "utf-8") -> Path:
    """Write ``text`` to ``path`` in ``encoding`` and return the path."""
    path.write_bytes(text.encode(encoding))
    return path
