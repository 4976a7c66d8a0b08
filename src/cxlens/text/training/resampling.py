"""The one percentile bootstrap of the text measurements: seeded, paired, optionally stratified.

Every 95% interval the text training code reports (held-out figures, changes over a
baseline, the mixed and negation studies, the paired recipe changes) comes from
:func:`bootstrap_intervals`, so one rule fixes how rows are drawn and how an interval is
read. It lives below :mod:`cxlens.text.training.evaluate` and
:mod:`cxlens.text.training.paired` (which import it), so that both can use it without an
import cycle.

Example:
    >>> flags = np.array([1.0, 0.0, 0.0, 0.0])
    >>> [(v, lo <= v <= hi) for v, lo, hi in
    ...  bootstrap_intervals(lambda d: [flags[d[0]].mean()], whole(4), 200, seed=1)]
    [(0.25, True)]
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

#: Percentiles of the resampled figures that bound a 95% interval.
BOUNDS = (2.5, 97.5)


def whole(n: int) -> list[np.ndarray]:
    """Return the one group of a plain (unstratified) bootstrap of ``n`` rows.

    Example:
        >>> whole(3)
        [array([0, 1, 2])]
    """
    return [np.arange(n)]


def bootstrap_intervals(
    statistic: Callable[[list[np.ndarray]], Sequence[float]],
    groups: Sequence[np.ndarray],
    draws: int,
    seed: int,
    skip_undefined: bool = False,
) -> list[tuple[float, float, float]]:
    """Return per figure of ``statistic``: (value, 2.5th, 97.5th percentile of its resamples).

    ``groups`` are arrays of row indices, each resampled on its own (strata; a plain
    bootstrap is :func:`whole`). ``statistic`` takes one index array per group and returns
    its figures; the value is ``statistic(groups)``. Each of ``draws`` resamples draws, group
    by group in order, as many indices as the group holds with replacement
    (``np.random.default_rng(seed).integers``, the stream ``Generator.choice`` draws too), so
    a paired comparison computes both sides on the same drawn rows inside ``statistic``.
    Bounds are ``np.percentile``'s (linear); a figure whose value is NaN gets NaN bounds.
    ``skip_undefined``: leave a resample where a figure is NaN out of that figure's
    percentiles (a resample of a held-out split may draw no neutral row, and macro-F1 then
    has no value); otherwise such a resample makes the bounds NaN.

    Example:
        >>> x = np.array([1.0, 2.0, 3.0, 10.0])
        >>> got = bootstrap_intervals(lambda d: [x[d[0]].mean()], whole(4), 1000, seed=0)
        >>> got[0][0], 1.0 <= got[0][1] < got[0][2] <= 10.0
        (4.0, True)
    """
    rng = np.random.default_rng(seed)
    point = [float(v) for v in statistic(list(groups))]
    drawn = np.array(
        [statistic([g[rng.integers(0, len(g), len(g))] for g in groups]) for _ in range(draws)],
        dtype=float,
    ).reshape(draws, len(point))
    percentile = np.nanpercentile if skip_undefined else np.percentile
    return [
        (value, *(float(b) for b in percentile(drawn[:, k], BOUNDS)))
        if not np.isnan(value)
        else (float("nan"),) * 3
        for k, value in enumerate(point)
    ]
