"""The survey-load benchmark at tiny size: it runs, checks its counts, and reports latencies."""

from __future__ import annotations

import pandas as pd
import pytest
from benchmarks.common import DisagreementError

from benchmarks import survey_load

pytestmark = pytest.mark.slow  # two real servers and the one-by-one baseline

ROWS = 300  # 30 answers


@pytest.fixture(scope="module")
def entry() -> dict:
    return survey_load.run(ROWS, clients=5)


def test_nothing_is_lost_or_doubled(entry):
    assert entry["name"] == "survey-load" and entry["answers"] == 30
    counts = entry["counts"]
    assert counts["invitations"] == ROWS
    assert counts["responses"] == counts["distinct_responses"] == 30
    assert counts["scores_match"] and counts["quarantined"] == 0
    assert 1 <= entry["loads"] <= 30  # answers arriving together share a load


def test_latencies_and_baselines_are_reported(entry):
    lat = entry["latency_ms"]
    assert 0 < lat["p50"] <= lat["p95"] <= lat["max"]
    assert set(entry["baselines"]) == {"one load per answer", "one file"}
    for name, seconds in entry["baselines"].items():
        assert entry["ratios"][name] == pytest.approx(entry["seconds"] / seconds)


def test_a_lost_answer_stops_the_run():
    first = pd.DataFrame({"i": [0, 1], "seconds": [0.1, 0.1], "status": [201, 201]})
    repeats = pd.DataFrame({"i": [0], "seconds": [0.1], "status": [409]})
    counts = {"invitations": 10, "responses": 1, "distinct_responses": 1, "scores_match": True,
              "quarantined": 0}  # fmt: skip
    with pytest.raises(DisagreementError, match="1 responses for 2 answers"):
        survey_load._check(10, 2, 10, first, repeats, counts)
