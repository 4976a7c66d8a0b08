"""Automatic insights: which groups changed, or differ from the rest, and by how much.

The scan asks the engine once per metric for its additive counts by all scanned dimensions
together and period (the query of ``ws.metrics.plan(metric, by=[...], every=...)``, customer
columns joined once), sums that small table in pandas to every dimension and every pair of
dimensions, and works on those aggregated tables. Each group is tested two ways:

* "vs own past": a change point. Every candidate split period is tried; the periods from
  the split on are compared with the same periods a year earlier (when the data span two
  years, so that seasons cancel) or with all periods before the split. The split with the
  strongest evidence is kept and its p-value is Bonferroni-corrected for the number of
  splits tried.
* "vs rest": the group's recent window against every other customer's.

All tests of the scan are then corrected together (Benjamini-Hochberg) and the significant
findings are ranked by ``score = |effect floor| × customers affected``, the effect floor
being the effect size at the end of its false-coverage-rate adjusted interval nearest zero
(the effect the scan can vouch for).

Findings that only restate another one rank after the lead findings: a group whose change
disappears once one of its two-dimensional cells is taken out ("explained by" that cell), a
cell that moved just like the rest of its group ("in line with" the group), and a gap to the
other groups that was already as large before ("persistent"). See docs/analysis-insights.md.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from cxlens.analysis._pooled import (
    HIGHER_IS_BETTER,
    STATS,
    check_metric,
    compare,
    difference_of_differences_p,
)
from cxlens.errors import ArgumentError, NotEnoughDataError, SchemaError
from cxlens.metrics.namespace import Metrics
from cxlens.metrics.periods import check_every, period_step
from cxlens.metrics.stats import benjamini_hochberg, check_confidence, check_min_n
from cxlens.schema.derived import CUSTOMER_TABLES
from cxlens.store.catalog import Catalog
from cxlens.store.query import run

#: Dimensions scanned when none are given (each only where the metric's data has it).
DEFAULT_DIMENSIONS: tuple[str, ...] = ("segment", "touchpoint", "plan", "region", "channel")

#: Metrics the scan can pool from their counts.
INSIGHT_METRICS: tuple[str, ...] = ("nps", "csat", "ces", "churn")

#: Most pairs of dimensions one scan crosses.
MAX_PAIRS = 15

#: Periods in a year for each grain: the lag of the year-over-year baseline. A day lags 364
#: days (52 weeks) so that weekdays line up; yearly periods have no season.
PERIODS_PER_YEAR: dict[str, int | None] = {
    "day": 364,
    "week": 52,
    "month": 12,
    "quarter": 4,
    "year": None,
}

#: Columns of the table :func:`insights` returns, in order.
COLUMNS: tuple[str, ...] = (
    "rank",
    "metric",
    "dimension",
    "group",
    "filter",
    "kind",
    "period_start",
    "period_end",
    "comparison_start",
    "comparison_end",
    "value",
    "comparison_value",
    "difference",
    "ci_low",
    "ci_high",
    "n",
    "customers_affected",
    "p_value",
    "candidates",
    "q_value",
    "effect_size",
    "effect_floor",
    "score",
    "direction",
    "lead",
    "note",
    "sentence",
)

_SURVEY = ("nps", "csat", "ces")
_TABLE_OF = {"nps": "responses", "csat": "responses", "ces": "responses", "churn": "customers"}
_LABEL = {"nps": "NPS", "csat": "CSAT", "ces": "CES"}
_ADJECTIVE = {
    "day": "daily",
    "week": "weekly",
    "month": "monthly",
    "quarter": "quarterly",
    "year": "yearly",
}

#: A span of periods ``[start, end)`` as indices into a metric's period grid.
Span = tuple[int, int]

#: Returns a metric's table of additive counts (the :data:`~cxlens.analysis._pooled.STATS`
#: columns) by the given columns and period.
TableSource = Callable[[str, list[str]], pd.DataFrame]


# --------------------------------------------------------------------------- periods


@dataclass(frozen=True, eq=False)
class _Grid:
    """The periods of one metric and the spans the scan compares (indices into ``periods``).

    ``periods`` holds every period from the first with data to the last, empty ones too.
    The recent window is ``[window, end)`` and the "vs rest" baseline ``[base, window)``.
    ``splits`` are the candidate change points of "vs own past"; ``lag`` is the number of
    periods in a year when a split's periods are compared with the same periods a year
    earlier (None: with the periods before the split, from ``first`` or, with
    ``baseline``, that many periods before the split).
    """

    periods: pd.DatetimeIndex
    every: str
    first: int
    window: int
    base: int
    splits: tuple[int, ...]
    lag: int | None
    baseline: int | None
    recent: int
    lookback: int | None

    @property
    def end(self) -> int:
        """Return the number of periods (the index just past the last one)."""
        return len(self.periods)

    def when(self, i: int) -> pd.Timestamp:
        """Return the start of period ``i`` (``end`` gives the end of the last period)."""
        if i < self.end:
            return pd.Timestamp(self.periods[i])
        return pd.Timestamp(self.periods[-1]) + period_step(self.every) * (i - self.end + 1)

    def before(self, split: int) -> Span:
        """Return the periods that a split's periods ``[split, end)`` are compared with."""
        if self.lag is not None:
            return split - self.lag, self.end - self.lag
        start = self.first if self.baseline is None else max(self.first, split - self.baseline)
        return start, split

    def label(self, span: Span) -> str:
        """Name the periods of ``span``, e.g. "Apr–Dec 2025"."""
        return period_label(self.when(span[0]), self.when(span[1]), self.every)


def _grid(
    overall: pd.DataFrame,
    metric: str,
    every: str,
    recent: int,
    baseline: int | None,
    lookback: int | None,
    seasonal: bool,
) -> _Grid:
    """Lay out the periods of one metric from its overall table; see :class:`_Grid`."""
    filled = overall[overall["n"] > 0]
    if filled.empty:
        raise NotEnoughDataError("no period has data")
    periods = pd.date_range(
        pd.Timestamp(filled["period"].min()),
        pd.Timestamp(filled["period"].max()),
        freq=period_step(every),
    )
    end = len(periods)
    window = max(0, end - recent)
    first = 0
    if metric == "churn":
        # A customers export usually lacks the customers who left before it began, so the
        # periods before the first recorded churn show none by construction (left
        # truncation); counting them would make any later churn look like a rise.
        lost = filled.loc[(filled["lost"] > 0) & (filled["period"] < periods[window]), "period"]
        if len(lost):
            first = int(periods.get_loc(pd.Timestamp(lost.min())))
    base = first if baseline is None else max(first, window - baseline)
    year = PERIODS_PER_YEAR[every]
    lag = year if seasonal and year and end - first >= 2 * year and recent <= year else None
    if lag is not None:
        low = end - min(lag, lookback or lag)
    else:
        low = first + recent if lookback is None else max(first + recent, end - lookback)
    splits = tuple(range(low, end - recent + 1))
    return _Grid(periods, every, first, window, base, splits, lag, baseline, recent, lookback)


# --------------------------------------------------------------------------- data gathering


@dataclass
class _Cell:
    """One group (a set of conditions) of one metric: its counts and everybody else's.

    ``counts`` and ``rest`` hold one row per period of the metric's grid and one column per
    additive statistic (:data:`~cxlens.analysis._pooled.STATS`). ``rest`` counts every other
    answer, including those whose group is unknown.
    """

    metric: str
    conditions: tuple[tuple[str, Any], ...]
    counts: np.ndarray
    rest: np.ndarray

    @property
    def dims(self) -> tuple[str, ...]:
        """Return the dimensions of the group."""
        return tuple(d for d, _ in self.conditions)

    def pool(self, span: Span) -> pd.Series:
        """Sum the group's counts over the periods of ``span``."""
        return pd.Series(self.counts[span[0] : span[1]].sum(axis=0), index=STATS[self.metric])

    def pool_rest(self, span: Span) -> pd.Series:
        """Sum everybody else's counts over the periods of ``span``."""
        return pd.Series(self.rest[span[0] : span[1]].sum(axis=0), index=STATS[self.metric])


@dataclass
class _Scan:
    cells: list[_Cell] = field(default_factory=list)
    grids: dict[str, _Grid] = field(default_factory=dict)
    skipped: list[str] = field(default_factory=list)


def _columns_of(ws: Catalog, name: str) -> list[str]:
    return list(ws.table(name).columns) if ws.has_table(name) else []


def available_dimensions(ws: Catalog, metric: str) -> list[str]:
    """Return the columns ``metric`` can be grouped by in this workspace.

    Survey metrics (nps, csat, ces) take columns of ``responses`` and, when responses carry
    ``customer_id``, of ``customers`` and ``customer_segments``; churn takes columns of
    ``customers``.

    Args:
        ws: the workspace.
        metric: nps, csat, ces or churn.

    Returns:
        Column names, without duplicates.

    Example:
        >>> available_dimensions(ws, "churn")  # doctest: +SKIP
        ['customer_id', 'first_seen', ..., 'segment', 'region', 'plan', ...]
    """
    check_metric(metric)
    cols = _columns_of(ws, _TABLE_OF[metric])
    if metric in _SURVEY and "customer_id" in cols:
        for name in CUSTOMER_TABLES:
            cols += [c for c in _columns_of(ws, name) if c not in cols]
    return cols


#: The count columns each metric's engine query aggregates (all of them add up across
#: groups and periods; churn's ``at_start`` becomes ``n``).
_ENGINE_COUNTS: dict[str, tuple[str, ...]] = {
    "nps": ("n", "promoters", "passives", "detractors"),
    "csat": ("n", "satisfied"),
    "ces": ("n", "sum_x", "sum_x2"),
    "churn": ("at_start", "lost"),
}


def _fine_table(ws: Catalog, metric: str, dims: list[str], every: str) -> pd.DataFrame:
    """Run one engine query: the counts of ``metric`` by all of ``dims`` and period.

    The metric's own plan (:meth:`~cxlens.metrics.namespace.Metrics.plan`) supplies the
    query, customer columns joined once; only its aggregation runs (no estimates), so the
    result holds the additive counts of :data:`_ENGINE_COUNTS`, one row per combination of
    the dimensions' values (unknown values included) and period. Periods the data covers only
    in part (a first or last month that is partly elapsed) are left out: they are not
    comparable with whole ones.
    """
    plan = Metrics(ws).plan(metric, by=dims or None, every=every)
    table = run(plan.expr, f"the {_LABEL.get(metric, metric)} counts of the insights scan")
    table = plan.drop_partial_periods(table, every)
    table = table[[*dims, "period", *_ENGINE_COUNTS[metric]]].copy()
    table["period"] = pd.to_datetime(table["period"]).astype("datetime64[us]")
    if metric == "churn":
        table["n"] = table["at_start"]
    return table


def _summed(metric: str, fine: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """Sum the fine counts of :func:`_fine_table` to the groups of ``keys`` and period.

    Counts (and CES's sums of scores and of squares) add up exactly, so this gives the table
    a query by ``keys`` would give, with the :data:`~cxlens.analysis._pooled.STATS` columns
    as float64.
    """
    stats = list(STATS[metric])
    table = fine.groupby([*keys, "period"], dropna=False, sort=False)[stats].sum()
    table = table.reset_index()
    for col in stats:
        table[col] = table[col].astype("float64")
    return table


def _engine_source(ws: Catalog, dims: dict[str, list[str]], every: str) -> TableSource:
    """Return a :data:`TableSource` that queries the engine once per metric.

    Each metric's fine table (:func:`_fine_table`, by all its scanned dimensions) is fetched
    on first use and every coarser table (overall, one dimension, a pair) is summed from it.
    """
    fine: dict[str, pd.DataFrame] = {}

    def source(metric: str, by: list[str]) -> pd.DataFrame:
        if metric not in fine:
            fine[metric] = _fine_table(ws, metric, dims.get(metric, []), every)
        return _summed(metric, fine[metric], by)

    return source


def _cells_of(metric: str, table: pd.DataFrame, keys: list[str], grid: _Grid) -> list[_Cell]:
    """Lay ``table`` out on the grid, one cell per group of ``keys``.

    Answers whose group is unknown get no cell but count in the other cells' ``rest``.
    """
    stats = list(STATS[metric])
    at = grid.periods.get_indexer(pd.DatetimeIndex(table["period"]))
    inside = at >= 0
    table, at = table.loc[inside], at[inside]
    values = table[stats].to_numpy(dtype=float)
    total = np.zeros((grid.end, len(stats)))
    np.add.at(total, at, values)
    if not keys:
        return [_Cell(metric, (), total, np.zeros_like(total))]
    cells = []
    groups = table.groupby(keys, dropna=False, sort=True).indices
    for key, rows in groups.items():
        names = key if isinstance(key, tuple) else (key,)
        if any(pd.isna(v) for v in names):
            continue  # unknown group (e.g. answers of customers without a segment)
        counts = np.zeros_like(total)
        np.add.at(counts, at[rows], values[rows])
        conditions = tuple(zip(keys, names, strict=True))
        cells.append(_Cell(metric, conditions, counts, total - counts))
    return cells


def _dimension_sets(dims: list[str], pairs: bool | Sequence[tuple[str, str]]) -> list[list[str]]:
    sets: list[list[str]] = [[], *([d] for d in dims)]
    if pairs is True:
        combos = list(itertools.combinations(dims, 2))
        if len(combos) > MAX_PAIRS:
            raise ArgumentError(
                f"{len(dims)} dimensions make {len(combos)} pairs, more than {MAX_PAIRS}; pass "
                "fewer dimensions, pairs=False, or the pairs you want as a list of tuples"
            )
        sets += [list(c) for c in combos]
    elif pairs:
        sets += [list(p) for p in pairs if all(d in dims for d in p)]
    return sets


def _dimensions_per_metric(
    ws: Catalog, metrics: Sequence[str], dimensions: Sequence[str] | None, scan: _Scan
) -> dict[str, list[str]]:
    """Return the wanted dimensions of each metric with a table; raise if one is nowhere."""
    wanted = list(DEFAULT_DIMENSIONS if dimensions is None else dimensions)
    found: dict[str, list[str]] = {}
    columns: set[str] = set()
    for metric in metrics:
        if not ws.has_table(_TABLE_OF[metric]):
            scan.skipped.append(f"{metric}: the workspace has no {_TABLE_OF[metric]} table")
            continue
        available = available_dimensions(ws, metric)
        columns.update(available)
        found[metric] = [d for d in wanted if d in available]
    missing = [d for d in wanted if d not in columns]
    if dimensions is not None and missing and found:
        raise SchemaError(
            f"dimension(s) {', '.join(missing)} are in none of the scanned tables; available "
            f"columns: {', '.join(sorted(columns))}"
        )
    return found


@dataclass(frozen=True)
class _Options:
    """The settings of one scan (see :func:`insights`)."""

    every: str = "month"
    recent: int = 3
    min_n: int = 30
    fdr: float = 0.05
    top: int | None = 20
    pairs: bool | Sequence[tuple[str, str]] = True
    baseline: int | None = None
    confidence: float = 0.95
    lookback: int | None = 12
    seasonal: bool = True


def _gather(source: TableSource, dims: dict[str, list[str]], opt: _Options, scan: _Scan) -> None:
    for metric, metric_dims in dims.items():
        overall = source(metric, [])
        if overall.empty or not (overall["n"] > 0).any():
            scan.skipped.append(f"{metric}: no answers")
            continue
        grid = _grid(
            overall, metric, opt.every, opt.recent, opt.baseline, opt.lookback, opt.seasonal
        )
        scan.grids[metric] = grid
        for keys in _dimension_sets(metric_dims, opt.pairs):
            table = overall if not keys else source(metric, keys)
            scan.cells += _cells_of(metric, table, keys, grid)
    if not scan.grids:
        raise NotEnoughDataError(
            "no metric could be scanned: " + "; ".join(scan.skipped or ["no data"])
        )


# --------------------------------------------------------------------------- testing


def _dedupe(cells: list[_Cell]) -> list[_Cell]:
    """Drop cells that hold exactly the answers of a cell with fewer conditions.

    A cell whose conditions include those of another cell and which has the same number of
    answers in every period is the same set of answers: e.g. with plans nested in segments,
    ``segment × plan = small_business × Business Pro`` is the plan ``Business Pro`` again.
    """
    kept: dict[tuple[Any, ...], list[_Cell]] = {}
    out = []
    for cell in sorted(cells, key=lambda c: len(c.conditions)):
        key = (cell.metric, cell.counts[:, 0].tobytes())
        same = kept.setdefault(key, [])
        if any(set(k.conditions) < set(cell.conditions) for k in same):
            continue
        same.append(cell)
        out.append(cell)
    order = {id(c): i for i, c in enumerate(cells)}
    return sorted(out, key=lambda c: order[id(c)])


def _frame(series: list[pd.Series]) -> pd.DataFrame:
    """Stack pooled counts (Series with the same index) into a frame, one row each."""
    return pd.DataFrame(np.vstack([s.to_numpy() for s in series]), columns=series[0].index)


def _untested(cell: _Cell, kind: str, n: float, reason: str) -> dict[str, Any]:
    return {
        "metric": cell.metric,
        "dimension": _dimension(cell),
        "group": _group(cell),
        "kind": kind,
        "n": int(n),
        "reason": reason,
    }


def _vs_rest(cells: list[_Cell], grid: _Grid, min_n: int) -> tuple[list[dict], list[dict]]:
    """One "vs rest" test per group: its recent window against everybody else's."""
    rows, untested = [], []
    span = (grid.window, grid.end)
    for cell in cells:
        if not cell.conditions:
            continue
        a, b = cell.pool(span), cell.pool_rest(span)
        n_a, n_b = float(a["n"]), float(b["n"])
        if n_a < min_n or n_b < min_n:
            what = f"{int(n_a)} in the window" if n_a < min_n else f"{int(n_b)} in the rest"
            untested.append(_untested(cell, "vs rest", n_a, f"{what}, fewer than min_n={min_n}"))
            continue
        rows.append(
            {
                "cell": cell,
                "kind": "vs rest",
                "span": span,
                "other": span,
                "a": a,
                "b": b,
                "candidates": 1,
            }
        )
    return rows, untested


def _best_split(p: np.ndarray, z: np.ndarray, ok: np.ndarray) -> int:
    """Index of the candidate with the smallest p-value (ties: the largest ``|z|``)."""
    finite = ok & np.isfinite(p)
    if not finite.any():
        return int(np.flatnonzero(ok)[0])
    best = np.nanmin(np.where(finite, p, np.nan))
    tied = finite & (p <= best)
    return int(np.argmax(np.where(tied, np.nan_to_num(np.abs(z), nan=0.0), -1.0)))


def _own_past(
    cells: list[_Cell], grid: _Grid, min_n: int, confidence: float
) -> tuple[list[dict], list[dict]]:
    """Find each group's change point: the candidate split with the strongest evidence.

    For every split ``s`` of ``grid.splits`` the periods ``[s, end)`` are pooled and
    compared with ``grid.before(s)``; splits where either side has fewer than ``min_n``
    answers are not tried. The row of the best split carries ``candidates``, the number of
    splits tried (the Bonferroni factor applied later).
    """
    rows: list[dict] = []
    untested: list[dict] = []
    kind = "vs own past"
    splits = np.asarray(grid.splits, dtype=int)
    if not len(splits):
        reason = (
            f"no split to test: {grid.end - grid.first} periods, and a split needs "
            f"{grid.recent} on each side (recent={grid.recent})"
            + ("" if grid.lookback is None else f" within the last {grid.lookback} (lookback)")
        )
        return rows, [_untested(c, kind, c.counts[:, 0].sum(), reason) for c in cells]
    stats = list(STATS[cells[0].metric])
    counts = np.stack([c.counts for c in cells])
    cum = np.concatenate([np.zeros_like(counts[:, :1]), counts.cumsum(axis=1)], axis=1)
    bounds = np.array([grid.before(int(s)) for s in splits])
    after = cum[:, [grid.end]] - cum[:, splits]
    before = cum[:, bounds[:, 1]] - cum[:, bounds[:, 0]]
    ok = (after[..., 0] >= min_n) & (before[..., 0] >= min_n)
    p = np.full(ok.shape, np.nan)
    z = np.full(ok.shape, np.nan)
    ci, ki = np.nonzero(ok)
    if len(ci):
        got = compare(
            cells[0].metric,
            pd.DataFrame(after[ci, ki], columns=stats),
            pd.DataFrame(before[ci, ki], columns=stats),
            confidence,
        )
        p[ci, ki] = got["p_value"].to_numpy()
        with np.errstate(invalid="ignore", divide="ignore"):
            z[ci, ki] = (got["difference"] / got["se"]).to_numpy()
    for c, cell in enumerate(cells):
        if not ok[c].any():
            k = int(np.argmax(np.minimum(after[c, :, 0], before[c, :, 0])))
            span, other = (int(splits[k]), grid.end), (int(bounds[k, 0]), int(bounds[k, 1]))
            reason = (
                f"at best {int(after[c, k, 0])} in {grid.label(span)} against "
                f"{int(before[c, k, 0])} in {grid.label(other)}, fewer than min_n={min_n}"
            )
            untested.append(_untested(cell, kind, after[c, k, 0], reason))
            continue
        k = _best_split(p[c], z[c], ok[c])
        rows.append(
            {
                "cell": cell,
                "kind": kind,
                "span": (int(splits[k]), grid.end),
                "other": (int(bounds[k, 0]), int(bounds[k, 1])),
                "a": pd.Series(after[c, k], index=stats),
                "b": pd.Series(before[c, k], index=stats),
                "candidates": int(ok[c].sum()),
            }
        )
    return rows, untested


def _tests(
    cells: list[_Cell], grids: dict[str, _Grid], min_n: int, confidence: float
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Run both kinds of test on every cell big enough; return (tests, untested).

    Each row's ``p_split`` is the p-value of its comparison alone; ``p_value`` multiplies
    it by ``candidates`` (Bonferroni over the splits tried, capped at 1) and the interval
    is widened to match (level ``1 - (1 - confidence) / candidates``).
    """
    rows: list[dict[str, Any]] = []
    untested: list[dict[str, Any]] = []
    for metric, grid in grids.items():
        mine = [c for c in cells if c.metric == metric]
        if not mine:
            continue
        for found, skipped in (
            _vs_rest(mine, grid, min_n),
            _own_past(mine, grid, min_n, confidence),
        ):
            rows += found
            untested += skipped
    if not rows:
        return pd.DataFrame(), pd.DataFrame(untested)
    frame = pd.DataFrame(rows)
    frame["candidates"] = frame["candidates"].astype(int)
    parts = []
    keys = [frame["cell"].map(lambda c: c.metric), "kind", "candidates"]
    for (metric, _kind, k), part in frame.groupby(keys, sort=False):
        level = 1.0 - (1.0 - confidence) / k
        got = compare(metric, _frame(list(part["a"])), _frame(list(part["b"])), level)
        got.index = part.index
        got["p_split"] = got["p_value"]
        got["p_value"] = np.minimum(1.0, got["p_value"] * k)
        parts.append(got)
    return pd.concat([frame, pd.concat(parts).sort_index()], axis=1), pd.DataFrame(untested)


def _novelty(
    tests: pd.DataFrame, grids: dict[str, _Grid], min_n: int, confidence: float
) -> pd.DataFrame:
    """Decide, for the "vs rest" rows, whether the gap is news about the group.

    With ``own`` the group's change (window minus baseline) and ``others`` the change of
    the other customers, the gap moved by ``own - others`` since the baseline. The gap is
    new unless, checked in this order: half of it or more was already there
    (``baseline_gap * sign(gap) >= |gap| / 2``: "persistent"); the group did not move that
    way at least as much as the others did (``own`` lacks the sign of the move, or
    ``|own| < |others|``: "others moved"); the move is not significant
    (difference-of-differences z-test at ``1 - confidence``: "not clearly new"). Without a
    baseline big enough to test, the gap counts as new.
    """
    alpha = 1.0 - confidence
    tests["baseline_gap"] = np.nan
    tests["own_change"] = np.nan
    tests["others_change"] = np.nan
    tests["gap_change_p"] = np.nan
    tests["new"] = True
    tests["why_not_new"] = ""
    rest = tests[tests["kind"] == "vs rest"]
    for metric, part in rest.groupby(rest["cell"].map(lambda c: c.metric), sort=False):
        grid = grids[metric]
        base = (grid.base, grid.window)
        cells = list(part["cell"])
        base_g = _frame([c.pool(base) for c in cells])
        base_r = _frame([c.pool_rest(base) for c in cells])
        then = compare(metric, base_g, base_r, confidence)
        own = compare(metric, _frame(list(part["a"])), base_g, confidence)
        others = compare(metric, _frame(list(part["b"])), base_r, confidence)
        ok = ((base_g["n"] >= min_n) & (base_r["n"] >= min_n)).to_numpy()
        # the gap's own interval is nominal here (candidates is 1 for "vs rest")
        gap, before = part["difference"].to_numpy(), then["difference"].to_numpy()
        p = difference_of_differences_p(gap, part["se"], before, then["se"])
        own_d, others_d = own["difference"].to_numpy(), others["difference"].to_numpy()
        persistent = before * np.sign(gap) >= np.abs(gap) / 2.0
        others_moved = (np.sign(own_d) != np.sign(gap - before)) | (
            np.abs(own_d) < np.abs(others_d)
        )
        why = np.select(
            [~ok, persistent, others_moved, ~(p < alpha)],
            ["", "persistent", "others moved", "not clearly new"],
            default="",
        )
        tests.loc[part.index, "baseline_gap"] = np.where(ok, before, np.nan)
        tests.loc[part.index, "own_change"] = own_d
        tests.loc[part.index, "others_change"] = others_d
        tests.loc[part.index, "gap_change_p"] = p
        tests.loc[part.index, "new"] = why == ""
        tests.loc[part.index, "why_not_new"] = why
    return tests


def _remainder_p(
    parent: pd.Series, child: pd.Series, grid: _Grid, min_n: int, confidence: float
) -> tuple[float, float]:
    """Difference and p-value of ``parent`` with ``child``'s customers taken out.

    For "vs own past": the remainder over the parent's periods from its split on, against
    the remainder over the parent's comparison periods. For "vs rest": how much the
    remainder's gap to the other groups moved from the baseline to the window. Returns
    ``(nan, nan)`` when the remainder is too small to test.
    """
    metric = parent["cell"].metric
    pc, cc = parent["cell"], child["cell"]
    span, other = parent["span"], parent["other"]
    rem_w = pc.pool(span) - cc.pool(span)
    if parent["kind"] == "vs own past":
        rem_b = pc.pool(other) - cc.pool(other)
        if rem_w["n"] < min_n or rem_b["n"] < min_n:
            return np.nan, np.nan
        got = compare(metric, _frame([rem_w]), _frame([rem_b]), confidence).iloc[0]
        return float(got["difference"]), float(got["p_value"])
    if rem_w["n"] < min_n:
        return np.nan, np.nan
    now = compare(metric, _frame([rem_w]), _frame([pc.pool_rest(span)]), confidence).iloc[0]
    base = (grid.base, grid.window)
    rem_b, rest_b = pc.pool(base) - cc.pool(base), pc.pool_rest(base)
    if rem_b["n"] < min_n or rest_b["n"] < min_n:
        return float(now["difference"]), float(now["p_value"])
    before = compare(metric, _frame([rem_b]), _frame([rest_b]), confidence).iloc[0]
    p = difference_of_differences_p(
        now["difference"], now["se"], before["difference"], before["se"]
    )
    return float(now["difference"] - before["difference"]), float(p[0])


def _in_line_p(parent: pd.Series, child: pd.Series, min_n: int, confidence: float) -> float:
    """p-value that ``child`` changed differently from the rest of ``parent`` (vs own past).

    Both changes are taken over the child's periods: from its split on, against its
    comparison periods.
    """
    metric = child["cell"].metric
    pc, cc = parent["cell"], child["cell"]
    span, other = child["span"], child["other"]
    rem_w = pc.pool(span) - cc.pool(span)
    rem_b = pc.pool(other) - cc.pool(other)
    if rem_w["n"] < min_n or rem_b["n"] < min_n:
        return 0.0  # the child is (almost) the whole parent: it is not merely in line
    rem = compare(metric, _frame([rem_w]), _frame([rem_b]), confidence).iloc[0]
    p = difference_of_differences_p(child["difference"], child["se"], rem["difference"], rem["se"])
    return float(p[0])


def _hierarchy(
    sig: pd.DataFrame, grids: dict[str, _Grid], min_n: int, confidence: float
) -> pd.DataFrame:
    """Mark significant findings that another finding explains, or that follow their group.

    Explained: a new finding F is explained by a new finding G on a sub-cell of F (same
    metric, kind and direction; the most specific such G first) when F without G's
    customers no longer differs significantly in that direction. In line (vs own past): a
    cell G moved no differently (at ``1 - confidence``) from the rest of a lead group F.
    """
    alpha = 1.0 - confidence
    sig["explained_by"] = None
    sig["in_line_with"] = None
    depth = sig["cell"].map(lambda c: len(c.conditions))
    deepest = sig.assign(_depth=depth).sort_values(["_depth", "score"], ascending=False)
    # a cell is nested in another when they share metric, kind and sign of the difference
    # (their "bucket") and its conditions strictly include the other's
    cells, new = sig["cell"].to_dict(), sig["new"].astype(bool).to_dict()
    conditions = {i: set(c.conditions) for i, c in cells.items()}
    bucket = {
        i: (c.metric, k, float(np.sign(d)))
        for (i, c), k, d in zip(cells.items(), sig["kind"], sig["difference"], strict=True)
    }

    def nested(parent: Any, child: Any) -> bool:
        """Tell whether ``child``'s cell lies within ``parent``'s (a NaN sign never matches)."""
        same = bucket[child] == bucket[parent] and bucket[parent][2] == bucket[parent][2]
        return child != parent and same and conditions[parent] < conditions[child]

    for i in sig.index:
        if not new[i]:
            continue
        grid = grids[cells[i].metric]
        for j in deepest.index:
            if not new[j] or not nested(i, j):
                continue
            diff, p = _remainder_p(sig.loc[i], sig.loc[j], grid, min_n, confidence)
            if not (p < alpha) or np.sign(diff) != np.sign(sig.at[i, "difference"]):
                sig.at[i, "explained_by"] = j
                break
    explained = sig["explained_by"].to_dict()  # after the marks above
    parents = [
        i
        for i in sig.sort_values("score", ascending=False).index
        if new[i] and explained[i] is None
    ]
    for j in sig.index:
        if sig.at[j, "kind"] != "vs own past" or explained[j] is not None:
            continue
        for i in parents:
            if not nested(i, j):
                continue
            if not (_in_line_p(sig.loc[i], sig.loc[j], min_n, confidence) < alpha):
                sig.at[j, "in_line_with"] = i
                break
    return sig


# --------------------------------------------------------------------------- wording


def _dimension(cell: _Cell) -> str:
    return " × ".join(cell.dims) if cell.conditions else "all"


def _group(cell: _Cell) -> str:
    return " × ".join(str(v) for _, v in cell.conditions) if cell.conditions else "all"


_PHRASE = {
    "touchpoint": "at {v}",
    "plan": "on the {v} plan",
    "region": "in the {v} region",
    "channel": "answering by {v}",
}


def describe_group(conditions: dict[str, Any]) -> str:
    """Name a group in plain English, e.g. "small_business customers at billing".

    Args:
        conditions: column -> value, e.g. ``{"segment": "small_business"}``.

    Returns:
        The phrase.

    Example:
        >>> describe_group({"segment": "small_business", "touchpoint": "billing"})
        'small_business customers at billing'
        >>> describe_group({})
        'all customers'
    """
    if not conditions:
        return "all customers"
    head = f"{conditions['segment']} customers" if "segment" in conditions else "customers"
    tail = [
        _PHRASE.get(col, "with {c} {v}").format(c=col, v=val)
        for col, val in conditions.items()
        if col != "segment"
    ]
    return " ".join([head, *tail])


_DIGITS = {"nps": 0, "csat": 1, "ces": 2, "churn": 1}


def _fmt(x: float, metric: str, signed: bool = False) -> str:
    digits = _DIGITS[metric]
    text = f"{x:+,.{digits}f}" if signed else f"{x:,.{digits}f}"
    if text.lstrip("+-") == f"{0:.{digits}f}":
        text = text.lstrip("+-")  # no "−0"
    return text.replace("-", "−")


def _value(x: float, metric: str) -> str:
    """Format a metric value: "31", "78.5%", "5.21", "2.3%"."""
    return _fmt(x, metric) + ("%" if metric in ("csat", "churn") else "")


def _delta(x: float, metric: str, signed: bool = True) -> str:
    """Format a difference with its unit: "−25 points", "+0.41"."""
    return _fmt(x, metric, signed) + ("" if metric == "ces" else " points")


def period_label(start: pd.Timestamp, end: pd.Timestamp, every: str) -> str:
    """Label the periods ``[start, end)``, e.g. "Oct–Dec 2025" for three months.

    Args:
        start: first period start.
        end: end of the last period (exclusive).
        every: the grain.

    Returns:
        A short label.

    Example:
        >>> period_label(pd.Timestamp("2025-10-01"), pd.Timestamp("2026-01-01"), "month")
        'Oct–Dec 2025'
        >>> period_label(pd.Timestamp("2025-12-01"), pd.Timestamp("2026-02-01"), "month")
        'Dec 2025–Jan 2026'
    """
    last = end - period_step(every)
    if every == "month":
        if start == last:
            return f"{start:%b %Y}"
        if start.year == last.year:
            return f"{start:%b}–{last:%b %Y}"
        return f"{start:%b %Y}–{last:%b %Y}"
    if every == "quarter":
        first = f"Q{start.quarter} {start.year}"
        return first if start == last else f"{first}–Q{last.quarter} {last.year}"
    if every == "year":
        return f"{start.year}" if start == last else f"{start.year}–{last.year}"
    final = end - pd.Timedelta(days=1)
    return f"{start:%d %b %Y}–{final:%d %b %Y}"


def _start_label(start: pd.Timestamp, every: str) -> str:
    """Name the period a change starts in: "Apr 2025", "Q2 2025", "2025", "03 Mar 2025"."""
    if every == "month":
        return f"{start:%b %Y}"
    if every == "quarter":
        return f"Q{start.quarter} {start.year}"
    if every == "year":
        return f"{start.year}"
    return f"{start:%d %b %Y}"


def _q_text(q: float) -> str:
    return "q < 0.001" if q < 0.001 else f"q = {q:.3f}"


def _sentence(row: pd.Series, grid: _Grid, confidence: float) -> str:
    cell: _Cell = row["cell"]
    metric = cell.metric
    every = grid.every
    name = f"{_ADJECTIVE[every]} churn" if metric == "churn" else _LABEL[metric]
    who = describe_group(dict(cell.conditions))
    when = grid.label(row["span"])
    diff = float(row["difference"])
    ci = f"{100 * confidence:g}% CI {_fmt(row['ci_low'], metric)} to {_fmt(row['ci_high'], metric)}"
    count = (
        f"{int(row['customers_affected']):,} customers at risk"
        if metric == "churn"
        else f"{int(row['n']):,} answers"
    )
    value, other = _value(row["value"], metric), _value(row["comparison_value"], metric)
    if row["kind"] == "vs own past":
        verb = "rose" if diff > 0 else "fell"
        start = _start_label(grid.when(row["span"][0]), every)
        text = (
            f"{name} of {who} {verb} from {other} to {value} ({_delta(diff, metric)}, {ci}) "
            f"from {start} on ({when} against {grid.label(row['other'])})"
        )
    else:
        side = "above" if diff > 0 else "below"
        text = (
            f"{name} of {who} was {value} over {when}, {_delta(abs(diff), metric, False)} "
            f"{side} the other customers ({other}; {ci})"
        )
    return f"{text}; {count}; {_q_text(float(row['q_value']))}."


def _note(row: pd.Series, sig: pd.DataFrame, grid: _Grid) -> str:
    if row["explained_by"] is not None:
        other = sig.loc[row["explained_by"]]
        return f"explained by {_dimension(other['cell'])} = {_group(other['cell'])}"
    if row["in_line_with"] is not None:
        other = sig.loc[row["in_line_with"]]
        return (
            f"in line with {_dimension(other['cell'])} = {_group(other['cell'])} "
            f"({_delta(other['difference'], other['cell'].metric)})"
        )
    metric = row["cell"].metric
    base = grid.label((grid.base, grid.window)) if grid.base < grid.window else ""
    if row["why_not_new"] == "persistent":
        gap = _delta(row["baseline_gap"], metric)
        return f"persistent: the gap was already {gap} over {base}"
    if row["why_not_new"] == "not clearly new":
        gap = _delta(row["baseline_gap"], metric)
        return (
            f"not clearly new: the gap was {gap} over {base}; its change is not significant "
            f"(p = {row['gap_change_p']:.3f})"
        )
    if row["why_not_new"] == "others moved":
        return (
            f"others moved: the other customers changed by {_delta(row['others_change'], metric)}"
            f", this group by {_delta(row['own_change'], metric)}"
        )
    return ""


# --------------------------------------------------------------------------- the scan


def _check_args(
    metrics: Sequence[str], every: str, recent: int, min_n: int, fdr: float, top: int | None
) -> list[str]:
    if isinstance(metrics, str):
        metrics = [metrics]
    for m in metrics:
        if m not in INSIGHT_METRICS:
            raise ArgumentError(
                f"insights cannot scan metric {m!r}; use some of: {', '.join(INSIGHT_METRICS)}"
            )
    check_every(every, required=True)
    check_min_n(min_n)
    if isinstance(recent, bool) or not isinstance(recent, int) or recent < 1:
        raise ArgumentError(f"recent must be a positive number of periods; got {recent!r}")
    if not 0.0 < float(fdr) < 1.0:
        raise ArgumentError(f"fdr must lie strictly between 0 and 1 (e.g. 0.05); got {fdr!r}")
    if top is not None and (isinstance(top, bool) or not isinstance(top, int) or top < 1):
        raise ArgumentError(f"top must be a positive integer or None; got {top!r}")
    return list(dict.fromkeys(metrics))


def _check_periods(name: str, value: int | None) -> None:
    if value is not None and (
        isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 1
    ):
        raise ArgumentError(f"{name} must be a positive number of periods or None; got {value!r}")


#: Columns of :attr:`InsightScan.tests` (every test of a scan) and ``untested``.
TEST_COLUMNS: tuple[str, ...] = (
    "metric",
    "dimension",
    "group",
    "kind",
    "period_start",
    "comparison_start",
    "comparison_end",
    "n",
    "value",
    "comparison_value",
    "difference",
    "candidates",
    "p_split",
    "p_value",
    "q_value",
)
UNTESTED_COLUMNS: tuple[str, ...] = ("metric", "dimension", "group", "kind", "n", "reason")


def _add_periods(tests: pd.DataFrame, grids: dict[str, _Grid]) -> pd.DataFrame:
    grid = tests["cell"].map(lambda c: grids[c.metric])
    pairs = list(zip(grid, tests["span"], tests["other"], strict=True))
    tests["period_start"] = [g.when(s[0]) for g, s, _ in pairs]
    tests["period_end"] = [g.when(s[1]) for g, s, _ in pairs]
    tests["comparison_start"] = [g.when(o[0]) for g, _, o in pairs]
    tests["comparison_end"] = [g.when(o[1]) for g, _, o in pairs]
    return tests


def _test_table(tests: pd.DataFrame) -> pd.DataFrame:
    if tests.empty:
        return pd.DataFrame(columns=list(TEST_COLUMNS))
    out = tests.copy()
    out["metric"] = out["cell"].map(lambda c: c.metric)
    out["dimension"] = out["cell"].map(_dimension)
    out["group"] = out["cell"].map(_group)
    out["n"] = out["a"].map(lambda s: int(s["n"]))
    return out[list(TEST_COLUMNS)].reset_index(drop=True)


def _baseline_text(grid: _Grid) -> str:
    if grid.lag is not None:
        return "same periods a year earlier"
    if grid.baseline is not None:
        return f"{grid.baseline} periods before the split"
    return "all periods before the split"


@dataclass(frozen=True, eq=False)
class InsightScan:
    """Everything an insights scan found and tried: :func:`insight_scan` returns it.

    Attributes:
        findings: the ranked table :func:`insights` returns (its columns: :data:`COLUMNS`).
        tests: every test of the scan, one row each, :data:`TEST_COLUMNS` (``p_split`` is
            the chosen comparison alone, ``p_value`` corrected for the splits tried).
        untested: the groups too small to test, :data:`UNTESTED_COLUMNS` (``reason`` says
            why).
        fdr: the false discovery rate the q-values were held to.
        significant: how many tests have ``q_value <= fdr`` (before ``top`` cuts the
            findings).
        windows: metric -> (start, end) of its "vs rest" window.
        splits: metric -> the candidate split periods tried.
        baselines: metric -> what "vs own past" compares with, in words.
        skipped: the metrics asked for whose table is missing.
    """

    findings: pd.DataFrame
    tests: pd.DataFrame
    untested: pd.DataFrame
    fdr: float
    significant: int
    windows: dict[str, tuple[pd.Timestamp, pd.Timestamp]]
    splits: dict[str, list[pd.Timestamp]]
    baselines: dict[str, str]
    skipped: tuple[str, ...]


def _result(
    out: pd.DataFrame, scan: _Scan, tests: pd.DataFrame, untested: pd.DataFrame, fdr: float
) -> InsightScan:
    table = _test_table(tests)
    return InsightScan(
        findings=out,
        tests=table,
        untested=untested.reindex(columns=list(UNTESTED_COLUMNS)).reset_index(drop=True),
        fdr=fdr,
        significant=int((table["q_value"] <= fdr).sum()),
        windows={m: (g.when(g.window), g.when(g.end)) for m, g in scan.grids.items()},
        splits={m: [g.when(s) for s in g.splits] for m, g in scan.grids.items()},
        baselines={m: _baseline_text(g) for m, g in scan.grids.items()},
        skipped=tuple(scan.skipped),
    )


def insights(ws: Catalog, *args: Any, **kw: Any) -> pd.DataFrame:
    """Return what changed and where, ranked best first: ``insight_scan(...).findings``.

    Takes the arguments of :func:`insight_scan`, which says how findings are made; use it
    for the tests behind them (every test, the untested groups, the windows and splits).

    Example:
        >>> insights(ws, dimensions=["segment"]).columns[0]  # doctest: +SKIP
        'rank'
    """
    return insight_scan(ws, *args, **kw).findings


def insight_scan(
    ws: Catalog,
    metrics: Sequence[str] = ("nps", "csat", "ces", "churn"),
    dimensions: Sequence[str] | None = None,
    every: str = "month",
    recent: int = 3,
    min_n: int = 30,
    fdr: float = 0.05,
    top: int | None = 20,
    *,
    pairs: bool | Sequence[tuple[str, str]] = True,
    baseline: int | None = None,
    confidence: float = 0.95,
    lookback: int | None = 12,
    seasonal: bool = True,
) -> InsightScan:
    """Scan the metrics by every dimension and pair of dimensions; rank what changed and where.

    Each group (everybody, a value of one dimension, or a cell of two) is tested twice:

    * "vs own past" (a change point): every candidate split period ``s`` is tried, from
      ``lookback`` periods before the end of the data up to ``recent`` periods before it
      (at least ``recent`` periods on each side). The periods from ``s`` on are compared
      with the same periods a year earlier when the metric's data span two years or more
      and ``seasonal`` is on (so a December dip that recurs every year cancels out; the
      splits then lie within the last year), else with the periods before ``s`` (all of
      them, or the ``baseline`` periods just before). The split with the smallest p-value
      is kept and its p-value multiplied by the number of splits tried (Bonferroni, capped
      at 1); its interval is widened to the same level.
    * "vs rest": the group's last ``recent`` periods against everybody else's.

    Periods and groups are pooled by summing counts (see :mod:`cxlens.analysis._pooled` for
    the tests). A comparison where either side has fewer than ``min_n`` answers
    (customer-periods for churn) is not made; groups left without a test are listed in
    ``InsightScan.untested``. The q-values are Benjamini-Hochberg over every test of the
    scan (one per group and kind); findings with ``q <= fdr`` are kept.

    Ranking: ``score = |effect_floor| × customers_affected`` (size of effect times number of
    customers affected), where ``effect_floor`` is the effect size shrunk to the end of its
    false-coverage-rate adjusted interval nearest zero (Benjamini & Yekutieli 2005: level
    ``1 - R * fdr / (m * candidates)`` with R of m tests kept): the effect the scan can
    vouch for. Lead findings come first, by score; then, by score, the findings
    that are "explained by" one of their cells (the group minus that cell shows no
    significant difference), "in line with" their group (a cell that moved like the rest
    of its group) or "persistent" (a gap to the rest that was already as large in the
    baseline). ``note`` says which.

    Args:
        ws: the workspace.
        metrics: some of nps, csat, ces, churn; those whose table is missing are skipped
            (listed in ``InsightScan.skipped``).
        dimensions: grouping columns; default segment, touchpoint, plan, region and channel,
            each where the metric's table (or customers, for survey metrics) has it.
        every: period grain (day, week, month, quarter, year).
        recent: periods in the "vs rest" window, and the fewest periods on each side of a
            split.
        min_n: smallest number of answers (customer-periods for churn) a side may have.
        fdr: false discovery rate of the Benjamini-Hochberg correction.
        top: rows to return (None for all significant findings).
        pairs: True crosses every pair of dimensions (at most 15 pairs), False none, or a
            list of pairs such as ``[("segment", "touchpoint")]``.
        baseline: periods before a split compared with the periods after it, and periods
            before the "vs rest" window in its baseline (None: all of them). Not used by
            the year-over-year comparison.
        confidence: level of the intervals (simultaneous over a group's splits) and of the
            checks behind ``note``.
        lookback: candidate splits lie within this many periods of the end of the data
            (None: anywhere with ``recent`` periods before them); at most a year when the
            comparison is year over year.
        seasonal: compare with the same periods a year earlier when the data span two
            years (False: always with the periods before the split).

    Returns:
        InsightScan: ``findings``, a DataFrame ranked best first with columns rank, metric,
        dimension ("segment" or "segment × touchpoint"; "all" for everyone), group ("small_business
        × billing"), filter (dict column -> value, usable as a KPI filter), kind, period_start (the
        split for "vs own past", the window's start for "vs rest"), period_end (end of the data,
        exclusive), comparison_start, comparison_end (the periods compared with; for "vs rest" the
        window, of the other customers), value, comparison_value, difference (value minus
        comparison_value, metric scale), ci_low, ci_high (of the difference), n (answers, or
        customer-periods for churn, from period_start on), customers_affected (those answers;
        customers at risk at period_start, for churn), p_value (corrected for the splits tried),
        candidates (splits tried; 1 for "vs rest"), q_value, effect_size (NPS: difference / pooled
        SD of -1/0/+1 scores; CSAT and churn: Cohen's h; CES: Cohen's d), effect_floor, score,
        direction ("better"/"worse"; lower churn is better), lead (bool), note, sentence; and the
        scan behind them: ``tests`` (every test, a table: metric, dimension, group, kind,
        period_start, comparison_start, comparison_end, n, value, comparison_value, difference,
        candidates, p_split (the chosen comparison alone), p_value, q_value), ``significant`` (how
        many have ``q <= fdr``), ``untested`` (the groups too small to test, with the reason),
        ``windows`` (metric -> (start, end) of the "vs rest" window), ``splits`` (metric ->
        candidate split periods), ``baselines`` (metric -> what "vs own past" compares with),
        ``skipped`` (metrics without data) and ``fdr``.

    Raises:
        ArgumentError: an unknown metric, grain or a bad numeric argument.
        SchemaError: a named dimension exists in none of the scanned tables.
        NotEnoughDataError: no metric has data.

    Example:
        >>> scan = insight_scan(ws, dimensions=["segment", "touchpoint"])  # doctest: +SKIP
        >>> len(scan.tests), scan.significant  # doctest: +SKIP
        (412, 9)
        >>> scan.findings.sentence.iloc[0]  # doctest: +SKIP
        'NPS of small_business customers at billing fell from 21 to 2 (−19 points, 95% CI
        −27 to −11) from Apr 2025 on (Apr–Dec 2025 against Apr–Dec 2024); 2,090 answers;
        q < 0.001.'
    """
    metrics = _check_args(metrics, every, recent, min_n, fdr, top)
    check_confidence(confidence)
    _check_periods("baseline", baseline)
    _check_periods("lookback", lookback)
    opt = _Options(
        every=every,
        recent=recent,
        min_n=int(min_n),
        fdr=float(fdr),
        top=top,
        pairs=pairs,
        baseline=baseline,
        confidence=float(confidence),
        lookback=lookback,
        seasonal=bool(seasonal),
    )
    scan = _Scan()
    dims = _dimensions_per_metric(ws, metrics, dimensions, scan)
    return _run(_engine_source(ws, dims, every), dims, opt, scan)


def _run(
    source: TableSource, dims: dict[str, list[str]], opt: _Options, scan: _Scan | None = None
) -> InsightScan:
    """Scan the tables ``source`` gives for the metrics and dimensions of ``dims``."""
    scan = scan or _Scan()
    _gather(source, dims, opt, scan)
    tests, untested = _tests(_dedupe(scan.cells), scan.grids, opt.min_n, opt.confidence)
    empty = pd.DataFrame({c: [] for c in COLUMNS})
    if tests.empty:
        return _result(empty, scan, tests, untested, opt.fdr)
    tests = _add_periods(tests, scan.grids)
    tests["q_value"] = benjamini_hochberg(tests["p_value"])
    sig = tests[tests["q_value"] <= opt.fdr].copy()
    if sig.empty:
        return _result(empty, scan, tests, untested, opt.fdr)
    sig["customers_affected"] = [_affected(r) for _, r in sig.iterrows()]
    sig["n"] = sig["a"].map(lambda s: s["n"])
    selected = len(sig) * opt.fdr / int(np.isfinite(tests["p_value"]).sum())
    sig["effect_floor"] = _effect_floor(sig, selected)
    sig["score"] = sig["effect_floor"].abs() * sig["customers_affected"]
    sig = _novelty(sig, scan.grids, opt.min_n, opt.confidence)
    sig = _hierarchy(sig, scan.grids, opt.min_n, opt.confidence)
    out = _present(sig, scan, opt.confidence)
    out = out.sort_values(["lead", "score"], ascending=[False, False], kind="mergesort")
    out = out.reset_index(drop=True)
    out["rank"] = np.arange(1, len(out) + 1)
    if opt.top is not None:
        out = out.head(opt.top)
    out = out[list(COLUMNS)].copy()
    return _result(out, scan, tests, untested, opt.fdr)


def _effect_floor(sig: pd.DataFrame, alpha: float) -> pd.Series:
    """Shrink each effect size to the end of its FCR-adjusted interval nearest zero.

    The interval of each selected finding is taken at level ``1 - alpha / candidates`` with
    ``alpha = R * fdr / m`` (R findings selected out of m tests): the false coverage rate
    adjusted intervals of Benjamini & Yekutieli (2005), widened for the splits tried like
    the finding's p-value. The effect size is scaled by the share of the difference that
    the bound keeps (exact for NPS and CES, whose effect sizes are linear in the difference).
    """
    out = pd.Series(np.nan, index=sig.index)
    keys = [sig["cell"].map(lambda c: c.metric), "candidates"]
    for (metric, k), part in sig.groupby(keys, sort=False):
        level = 1.0 - alpha / k
        got = compare(metric, _frame(list(part["a"])), _frame(list(part["b"])), level)
        diff = got["difference"].to_numpy()
        bound = np.where(diff > 0, got["ci_low"], -got["ci_high"])
        with np.errstate(invalid="ignore", divide="ignore"):
            kept = np.clip(bound / np.abs(diff), 0.0, 1.0)
        out[part.index] = part["effect_size"].to_numpy() * np.nan_to_num(kept)
    return out


def _affected(row: pd.Series) -> float:
    """Answers from the row's start on; customers at risk in its first period for churn."""
    cell: _Cell = row["cell"]
    if cell.metric == "churn":
        return float(cell.counts[row["span"][0], 0])
    return float(row["a"]["n"])


def _present(sig: pd.DataFrame, scan: _Scan, confidence: float) -> pd.DataFrame:
    """Add the output columns (names, direction, lead, note, sentence)."""
    out = sig.copy()
    cells = out["cell"]
    grids = cells.map(lambda c: scan.grids[c.metric])
    out["metric"] = cells.map(lambda c: c.metric)
    out["dimension"] = cells.map(_dimension)
    out["group"] = cells.map(_group)
    out["filter"] = cells.map(lambda c: dict(c.conditions))
    higher = out["metric"].map(HIGHER_IS_BETTER)
    good = np.where(higher, out["difference"] > 0, out["difference"] < 0)
    out["direction"] = np.where(good, "better", "worse")
    out["lead"] = out["new"].astype(bool) & out["explained_by"].isna() & out["in_line_with"].isna()
    out["note"] = [_note(row, sig, grids[i]) for i, row in out.iterrows()]
    out["sentence"] = [_sentence(row, grids[i], confidence) for i, row in out.iterrows()]
    out["n"] = out["n"].astype("int64")
    out["customers_affected"] = out["customers_affected"].astype("int64")
    out["candidates"] = out["candidates"].astype("int64")
    return out
