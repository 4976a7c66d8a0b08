"""The one home of the metric definitions and of multiple testing, checked independently."""

from __future__ import annotations

import ibis
import numpy as np
import pytest
from statsmodels.stats.multitest import multipletests

from cxlens.metrics.definitions import is_detractor, is_promoter, is_satisfied, nps_points
from cxlens.metrics.stats import benjamini_hochberg


def test_nps_groups_follow_reichheld_on_every_answer():
    answers = np.arange(11)
    assert answers[is_promoter(answers)].tolist() == [9, 10]
    assert answers[is_detractor(answers)].tolist() == [0, 1, 2, 3, 4, 5, 6]
    # NPS of 0..10 once each: 2 promoters, 7 detractors of 11 -> -45.45
    assert 100 * nps_points(answers).mean() == pytest.approx(100 * (2 - 7) / 11)


def test_the_same_rule_runs_in_the_engine():
    t = ibis.memtable({"nps": list(range(11)), "csat": [1, 2, 3, 4, 5] * 2 + [5]})
    got = t.aggregate(points=nps_points(t.nps).sum(), satisfied=is_satisfied(t.csat).sum())
    row = got.execute().iloc[0]
    assert row["points"] == 2 - 7
    assert row["satisfied"] == 2 + 2 + 1


def test_benjamini_hochberg_matches_statsmodels_with_nan_and_with_untested_pairs():
    rng = np.random.default_rng(3)
    p = rng.uniform(0, 0.2, 40)
    p[[3, 17]] = np.nan
    q = benjamini_hochberg(p)
    finite = np.isfinite(p)
    np.testing.assert_allclose(q[finite], multipletests(p[finite], method="fdr_bh")[1])
    assert np.isnan(q[~finite]).all()
    # m = 100 tests of which 38 are given: the other 62 had p = 1
    padded = np.concatenate([p[finite], np.ones(62)])
    want = multipletests(padded, method="fdr_bh")[1][:38]
    np.testing.assert_allclose(benjamini_hochberg(p[finite], m=100), want)
