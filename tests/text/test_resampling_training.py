"""The one bootstrap of the text measurements (cxlens.text.training.resampling) and its callers.

The helper is checked against scipy.stats.bootstrap's percentile interval (the same seeded
generator draws the same rows); each caller on a small example whose interval follows by
hand: with two rows, one of them "wrong", a resample draws the wrong row 0, 1 or 2 times
(chance 1/4, 1/2, 1/4), so a share's 2.5th and 97.5th percentiles are 0 and 1 and its value
0.5.
"""

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from cxlens.text.training import emotion, evaluate, mixed, negation, paired
from cxlens.text.training.resampling import bootstrap_intervals, whole

HALF = (0.5, 0.0, 1.0)


def _nan(interval: tuple[float, float, float]) -> bool:
    return all(np.isnan(v) for v in interval)


@pytest.mark.parametrize("n", [11, 40])
def test_a_plain_bootstrap_is_scipys_percentile_interval(n):
    x = np.random.default_rng(n).normal(size=n)
    want = stats.bootstrap(
        (x,), np.mean, n_resamples=700, method="percentile", rng=np.random.default_rng(4)
    ).confidence_interval
    (got,) = bootstrap_intervals(lambda d: [x[d[0]].mean()], whole(n), 700, seed=4)
    assert got[0] == float(x.mean())
    assert got[1:] == pytest.approx((want.low, want.high), rel=1e-12)  # scipy sums in its order


def test_a_paired_bootstrap_is_scipys_paired_percentile_interval():
    rng = np.random.default_rng(8)
    a, b = rng.normal(size=25), rng.normal(size=25)
    want = stats.bootstrap(
        (a, b),
        lambda u, v, axis=-1: u.mean(axis) - v.mean(axis),
        paired=True,
        n_resamples=500,
        method="percentile",
        rng=np.random.default_rng(9),
    ).confidence_interval
    (got,) = bootstrap_intervals(lambda d: [a[d[0]].mean() - b[d[0]].mean()], whole(25), 500, 9)
    assert got[1:] == pytest.approx((want.low, want.high), rel=1e-12)


def test_strata_are_resampled_each_on_its_own():
    # a one-row stratum always draws its row (and no random number), so the other stratum's
    # resamples are scipy's plain ones of its rows
    x = np.random.default_rng(1).normal(size=20)
    want = stats.bootstrap(
        (x[1:],),
        lambda s, axis=-1: (x[0] + s.sum(axis)) / 20,
        n_resamples=400,
        method="percentile",
        rng=np.random.default_rng(2),
    ).confidence_interval
    groups = [np.array([0]), np.arange(1, 20)]
    (got,) = bootstrap_intervals(lambda d: [x[np.concatenate(d)].mean()], groups, 400, 2)
    assert got[1:] == pytest.approx((want.low, want.high), rel=1e-12)


def test_undefined_resamples_are_skipped_only_when_asked():
    # the share of row 1 among the drawn rows, undefined (NaN) when row 1 is not drawn:
    # resamples give NaN (1/4), 0.5 (1/2) or 1.0 (1/4)
    def share(drawn):
        i = drawn[0]
        return [float(np.mean(i == 1)) if (i == 1).any() else float("nan")]

    assert bootstrap_intervals(share, whole(2), 300, 0, skip_undefined=True) == [(0.5, 0.5, 1.0)]
    (kept,) = bootstrap_intervals(share, whole(2), 300, 0)
    assert kept[0] == 0.5 and np.isnan(kept[1]) and np.isnan(kept[2])
    # an undefined value gets no interval
    assert _nan(bootstrap_intervals(lambda d: [float("nan")], whole(3), 10, 0)[0])


def test_the_held_out_figures_and_the_change_over_a_baseline():
    truth = np.array(["positive", "negative"], dtype=object)
    one_wrong = (np.array(["positive", "positive"], dtype=object), np.array([1.0, 1.0]))
    got = evaluate.bootstrap(truth, *one_wrong)
    assert got["accuracy"] == HALF and got["sign"] == HALF
    assert _nan(got["macro_f1"])  # no neutral class
    right = (truth, np.array([1.0, -1.0]))
    change = evaluate.paired_difference(truth, right, one_wrong)
    assert change["accuracy"] == HALF and change["sign"] == HALF


def test_the_emotion_heads_accuracy_interval():
    truth = np.array(["joy", "anger"], dtype=object)
    got = emotion.figures_with_intervals(truth, np.array(["joy", "joy"], dtype=object))
    assert got["accuracy"] == HALF


def test_the_mixed_studys_intervals():
    assert mixed.rate_interval(np.array([True, False])) == HALF
    # "both" rows {0: flagged, 1: missed}, the rest {2: flagged, 3: not}, resampled within
    # each: 2 hits, 1 false alarm, 1 miss give F1 0.5; no hit (1/4) gives 0; 2 hits and no
    # false alarm (1/16 > 2.5%) give 1
    truth = np.array([True, True, False, False])
    flags = np.array([True, False, True, False])
    assert mixed.f1_interval(truth, flags) == HALF
    # against a perfect reading (always F1 1), the change is 1 minus that F1
    assert mixed.paired_f1_change(truth, flags, truth) == HALF


def test_the_negation_studys_paired_sign_change():
    # NaN rows dropped; the other reading rights row 0: the change is the share of row 0
    got = negation.matched_sign_change(np.array([0.0, 1.0, np.nan]), np.array([1.0, 1.0, np.nan]))
    assert got == HALF


def test_a_paired_recipe_change_is_the_mean_over_sets_resampled_within_each():
    # set "a": one row the other reading gets wrong (-1); set "b": three rows it rights (+1).
    # Within each set every resample keeps the change, so the mean over sets is 0 each time
    # (resampling the rows across sets, or pooling them, would give other values)
    part = pd.DataFrame({"set": ["a", "b", "b", "b"], "label": ["positive"] + ["negative"] * 3})
    positive, negative = np.array([0.1, 0.0, 0.9]), np.array([0.9, 0.0, 0.1])
    base = np.array([positive, positive, positive, positive])
    other = np.array([negative, negative, negative, negative])
    got = paired.paired_probabilities_change(part, base, other, draws=50)
    assert got["sign"] == (0.0, 0.0, 0.0)
    assert _nan(got["macro_f1"])  # no set with enough neutral rows
