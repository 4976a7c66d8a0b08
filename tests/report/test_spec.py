"""The report's methods text of each metric (report/spec.py)."""

from __future__ import annotations

import pytest

from cxlens.report.spec import METRICS, NOT_PARTIAL, PROPORTION_INTERVAL, PROPORTION_TEST


@pytest.mark.parametrize("key", sorted(METRICS))
def test_every_change_test_says_partial_periods_are_not_compared(key):
    assert METRICS[key].change_test.endswith(" Partial periods are not compared.")


def test_the_proportions_share_one_interval_and_one_test():
    # CSAT (top-2-box share) and churn (share of customers lost) are both proportions
    for key in ("csat", "churn"):
        assert METRICS[key].interval == PROPORTION_INTERVAL
        assert METRICS[key].change_test == PROPORTION_TEST
    assert PROPORTION_TEST == (
        "two-proportion z-test (pooled); Fisher's exact test when an expected count is below 5. "
        "Partial periods are not compared."
    )
    assert NOT_PARTIAL == "Partial periods are not compared."
