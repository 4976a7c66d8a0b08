"""Fixtures of the sample-data tests: one small generated sample shared by the module."""

from __future__ import annotations

import pytest

from cxlens.sample import SampleData, generate

SEED = 7
CUSTOMERS = 2000


@pytest.fixture(scope="session")
def sample() -> SampleData:
    return generate(customers=CUSTOMERS, months=24, seed=SEED, start="2024-01-01")
