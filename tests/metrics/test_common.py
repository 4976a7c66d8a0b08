"""The settings check and the coverage aggregates every metric shares (metrics/_common.py)."""

from __future__ import annotations

import ibis
import pandas as pd
import pytest

from cxlens.errors import ArgumentError, SchemaError
from cxlens.metrics import ces, churn, engagement, nps
from cxlens.metrics._common import MetricArgs, check_metric_args, coverage_when

ROWS = ibis.memtable(
    {
        "segment": ["a", "b"],
        "nps": [9, 3],
        "at": pd.to_datetime(["2024-01-03 08:00", "2024-02-09 17:30"]),
    }
)


def test_settings_come_back_checked_with_by_as_a_list():
    args = check_metric_args("segment", ROWS, "responses", "month", 0.9, 5)
    assert args == MetricArgs(["segment"], "month", 0.9, 5)
    assert args.settings() == {"by": ["segment"], "every": "month", "confidence": 0.9, "min_n": 5}


def test_the_grain_is_checked_before_the_level_the_floor_and_the_columns():
    # every setting is wrong: the first error is the grain's, then the level's, then min_n's
    with pytest.raises(ArgumentError, match="unknown time grain every='fortnight'"):
        check_metric_args("nope", ROWS, "responses", "fortnight", 2.0, -1)
    with pytest.raises(ArgumentError, match="confidence"):
        check_metric_args("nope", ROWS, "responses", "month", 2.0, -1)
    with pytest.raises(ArgumentError, match="min_n"):
        check_metric_args("nope", ROWS, "responses", "month", 0.95, -1)
    with pytest.raises(SchemaError, match="by column 'nope' is not in responses"):
        check_metric_args("nope", ROWS, "responses", "month", 0.95, 30)


def test_a_required_grain_must_be_given():
    assert check_metric_args(None, ROWS, "customers", None, 0.95, 30).every is None
    with pytest.raises(ArgumentError, match="every is required here"):
        check_metric_args(None, ROWS, "customers", None, 0.95, 30, every_required=True)


def test_coverage_is_the_first_and_last_time_only_when_trending():
    assert coverage_when(ROWS, "at", None) == {}
    got = ROWS.aggregate(**coverage_when(ROWS, "at", "month")).execute().iloc[0]
    assert got["_first_at"] == pd.Timestamp("2024-01-03 08:00")
    assert got["_last_at"] == pd.Timestamp("2024-02-09 17:30")


@pytest.mark.parametrize(
    ("metric", "table", "name"),
    [
        (nps, ROWS, "responses"),
        (ces, ibis.memtable({"ces": [5]}), "responses"),
        (engagement, ibis.memtable({"likes": [1], "reach": [10]}), "posts"),
    ],
)
def test_every_metric_names_its_table_in_the_by_error(metric, table, name):
    with pytest.raises(SchemaError, match=f"by column 'region' is not in {name}"):
        metric(table, by="region")


def test_churn_requires_its_grain():
    customers = ibis.memtable(
        {
            "first_seen": pd.to_datetime(["2024-01-03"]),
            "churned_at": pd.to_datetime([None]),
        },
        schema={"first_seen": "timestamp", "churned_at": "timestamp"},
    )
    with pytest.raises(ArgumentError, match="every is required here"):
        churn(customers, every=None)
