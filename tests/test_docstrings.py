"""Every docstring example in cxlens runs and gives what it shows.

Examples that need a loaded workspace or a file carry ``# doctest: +SKIP``; the rest run.
"""

from __future__ import annotations

import doctest
import importlib
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "cxlens"
MODULES = sorted(
    ".".join(["cxlens", *p.relative_to(SRC).with_suffix("").parts]).removesuffix(".__init__")
    for p in SRC.rglob("*.py")
    if p.name != "__main__.py"
)


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE | doctest.ELLIPSIS)
    assert result.failed == 0
