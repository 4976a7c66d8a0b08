"""Contact rules as functions: business hours across time zones (by hand) and seeded sampling."""

from __future__ import annotations

from datetime import datetime, time
from zoneinfo import ZoneInfo

import pytest
from scipy.stats import binomtest

from cxlens.collect.definitions import BusinessHours
from cxlens.collect.rules import consents, due_time, sample_draw

WEEKDAYS = BusinessHours(time(9), time(18), (0, 1, 2, 3, 4))
FRIDAY_8PM_UTC = datetime(2025, 3, 7, 20, 0)  # a Friday


@pytest.mark.parametrize(
    ("zone", "earliest", "due"),
    [
        # 20:00 UTC Friday is 15:00 in New York (EST, UTC-5): open, due at once
        ("America/New_York", FRIDAY_8PM_UTC, datetime(2025, 3, 7, 20, 0)),
        # 23:00 Friday in Moscow (UTC+3): closed; Monday 09:00 Moscow = 06:00 UTC
        ("Europe/Moscow", FRIDAY_8PM_UTC, datetime(2025, 3, 10, 6, 0)),
        # 04:00 Saturday in Shanghai (UTC+8): Monday 09:00 Shanghai = Monday 01:00 UTC
        ("Asia/Shanghai", FRIDAY_8PM_UTC, datetime(2025, 3, 10, 1, 0)),
        # 03:00 UTC Monday 10 March is 23:00 Sunday in New York, now on summer time (EDT,
        # UTC-4, since 9 March): Monday 09:00 EDT = 13:00 UTC, not 14:00
        ("America/New_York", datetime(2025, 3, 10, 3, 0), datetime(2025, 3, 10, 13, 0)),
        # 07:30 Tuesday in London (GMT): waits until 09:00 the same day
        ("Europe/London", datetime(2025, 3, 11, 7, 30), datetime(2025, 3, 11, 9, 0)),
    ],
)
def test_due_time_respects_business_hours_in_the_customers_zone(zone, earliest, due):
    assert due_time(earliest, WEEKDAYS, ZoneInfo(zone)) == due


def test_due_time_without_hours_is_the_earliest_moment():
    assert due_time(FRIDAY_8PM_UTC, None, ZoneInfo("Asia/Tokyo")) == FRIDAY_8PM_UTC


def test_sampling_share_is_binomial_and_fixed_by_the_seed():
    events = [f"E{i:05d}" for i in range(4000)]
    kept = [e for e in events if sample_draw(11, "csat", e) < 0.3]
    # 99.9% two-sided binomial interval for the share (scipy's exact Clopper-Pearson)
    ci = binomtest(len(kept), len(events), 0.3).proportion_ci(confidence_level=0.999)
    assert ci.low < 0.3 < ci.high
    assert kept == [e for e in events if sample_draw(11, "csat", e) < 0.3]  # same seed
    other = [e for e in events if sample_draw(12, "csat", e) < 0.3]
    assert set(kept) != set(other)


@pytest.mark.parametrize(
    ("value", "mode", "ok"),
    [(None, "opt_out", True), (None, "opt_in", False), ("yes", "opt_in", True),
     ("false", "opt_out", False), ("0", "opt_out", False), ("perhaps", "opt_out", False)],
)  # fmt: skip
def test_consent(value, mode, ok):
    assert consents(value, mode) is ok
