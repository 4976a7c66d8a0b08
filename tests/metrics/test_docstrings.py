"""The examples in the metrics docstrings run and give what they show."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = [
    "cxlens.metrics",
    "cxlens.metrics.stats",
    "cxlens.metrics.survey",
    "cxlens.metrics.engagement",
    "cxlens.metrics.churn",
    "cxlens.metrics.namespace",
    "cxlens.metrics.benchmarks",
]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0
    assert result.failed == 0
