"""The two implementations the insights benchmark times: cxlens and a plain pandas scan.

* cxlens: ``ws.analysis.insights()`` with its defaults on the Workspace file (NPS, CSAT, CES
  and churn by segment, touchpoint, plan, region, channel and every pair of them, monthly).
* pandas: the same scan written from the rules in docs/analysis-insights.md on the raw rows:
  ``pd.read_parquet`` of both files (timed), the customer columns merged onto the responses,
  the dimensions made categorical, then one ``groupby`` over the raw rows per metric and
  dimension set (nothing is rolled up from a finer table); churn from one row per customer
  and month at risk; a first or last month the data covers only in part is left out. The
  tests (z-tests, pooled two-proportion z-test, Welch's t-test with scipy; below an expected
  count of 5, Fisher's exact test and an exact permutation test of the NPS difference from
  scipy's hypergeometric distributions), the change-point search of "vs own past" with its
  Bonferroni factor, the Benjamini-Hochberg correction
  (``statsmodels.stats.multitest.multipletests``), the score (effect size shrunk to its
  FCR-adjusted bound, times the customers affected) and the rules that mark a finding as
  not new, explained or in line are written here without cxlens.

Every workload's ``tidy`` returns ``{"findings": frame, "tests": frame}``: the ranked
findings (``FINDING_COLUMNS``, with ``note_kind`` the first words of the note) and every
test of the scan (the columns of cxlens's ``InsightScan.tests``).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

if TYPE_CHECKING:  # cxlens is imported only by its workload
    from cxlens.analysis.insights import InsightScan

SURVEY = ("nps", "csat", "ces")
METRICS = (*SURVEY, "churn")
#: The default dimensions of the scan, in its order; which table each comes from.
DIMENSIONS = ("segment", "touchpoint", "plan", "region", "channel")
CUSTOMER_DIMENSIONS = ("segment", "plan", "region")
#: Additive statistics per metric (``n`` first), as cxlens pools them.
STATS: dict[str, tuple[str, ...]] = {
    "nps": ("n", "promoters", "detractors"),
    "csat": ("n", "satisfied"),
    "ces": ("n", "sum_x", "sum_x2"),
    "churn": ("n", "lost"),
}
HIGHER_IS_BETTER = {"nps": True, "csat": True, "ces": True, "churn": False}
RECENT = 3
MIN_N = 30
FDR = 0.05
TOP = 20
CONFIDENCE = 0.95
LOOKBACK = 12
YEAR = 12
#: How a note starts, by kind (``note_kind``).
NOTE_KINDS = ("explained by", "in line with", "persistent", "others moved", "not clearly new")

TEST_COLUMNS = [
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
]
FINDING_COLUMNS = [
    "rank",
    "metric",
    "dimension",
    "group",
    "kind",
    "period_start",
    "n",
    "customers_affected",
    "value",
    "comparison_value",
    "difference",
    "ci_low",
    "ci_high",
    "p_value",
    "q_value",
    "effect_size",
    "score",
    "direction",
    "lead",
    "note_kind",
]


def note_kind(note: str) -> str:
    """Return the kind of a finding's note ("" for none), e.g. "persistent".

    Example:
        >>> note_kind("explained by segment × touchpoint = small_business × billing")
        'explained by'
    """
    return next((k for k in NOTE_KINDS if str(note).startswith(k)), "" if not note else "other")


# --------------------------------------------------------------------------- cxlens


class CxlensWorkload:
    """cxlens: ``ws.analysis.insight_scan()`` (the scan behind ``insights()``), defaults."""

    def __init__(self, workspace: str) -> None:
        from cxlens import Workspace

        self.ws = Workspace(workspace)

    def run(self) -> InsightScan:
        """Run the scan."""
        return self.ws.analysis.insight_scan()

    def tidy(self, result: InsightScan) -> dict[str, pd.DataFrame]:
        """Return the ranked findings and every test (``InsightScan.tests``)."""
        findings = result.findings.copy()
        findings["note_kind"] = findings["note"].map(note_kind)
        findings = findings[[c for c in FINDING_COLUMNS if c in findings.columns]]
        tests = result.tests
        return {"findings": _typed(findings), "tests": _typed(tests)}


def _typed(frame: pd.DataFrame) -> pd.DataFrame:
    """Give the frame Parquet-friendly types (timestamps naive, flags bool)."""
    out = frame.reset_index(drop=True).copy()
    out.attrs = {}  # cxlens's attrs hold timestamps, which Parquet metadata cannot
    for col in out.columns:
        if col.startswith("period_") or col.startswith("comparison_s") or col == "comparison_end":
            out[col] = pd.to_datetime(out[col]).astype("datetime64[us]")
    if "lead" in out.columns:
        out["lead"] = out["lead"].astype(bool)
    return out


# --------------------------------------------------------------------------- statistics


def _div(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    """``num / den``, NaN where ``den`` is 0."""
    num, den = np.broadcast_arrays(np.asarray(num, float), np.asarray(den, float))
    out = np.full(num.shape, np.nan)
    np.divide(num, den, out=out, where=den != 0)
    return out


def _z_p(diff: np.ndarray, se: np.ndarray) -> np.ndarray:
    """Two-sided normal p-value of ``diff / se`` (NaN where se is 0 or NaN)."""
    from scipy import stats

    z = _div(diff, se)
    with np.errstate(invalid="ignore"):
        return np.where(np.isfinite(z), 2.0 * stats.norm.sf(np.abs(z)), np.nan)


#: Below this smallest expected cell count a count comparison is tested exactly.
MIN_EXPECTED = 5.0


def _small(n1: np.ndarray, n0: np.ndarray, columns: np.ndarray) -> np.ndarray:
    """True where the 2 x k table of two groups has an expected cell count below 5."""
    smallest = _div(np.minimum(n1, n0) * columns.min(axis=1), n1 + n0)
    return smallest < MIN_EXPECTED


def _fisher_p(x1: float, n1: float, x0: float, n0: float) -> float:
    from scipy import stats

    table = np.array([[x1, n1 - x1], [x0, n0 - x0]], dtype=np.int64)
    return float(stats.fisher_exact(table).pvalue)


def _nps_exact_p(a: np.ndarray, b: np.ndarray) -> float:
    """Permutation p of the NPS difference given the totals (multivariate hypergeometric)."""
    from scipy import stats

    cur = np.array([a[1], a[0] - a[1] - a[2], a[2]], dtype=np.int64)
    old = np.array([b[1], b[0] - b[1] - b[2], b[2]], dtype=np.int64)
    m, n1, n0 = cur + old, int(cur.sum()), int(old.sum())
    tables = [
        (p, n1 - p - d, d)
        for p in range(m[0] + 1)
        for d in range(m[2] + 1)
        if 0 <= n1 - p - d <= m[1]
    ]
    x = np.array(tables)
    prob = stats.multivariate_hypergeom.pmf(x=x, m=m, n=n1)
    gap = np.abs((x[:, 0] - x[:, 2]) / n1 - ((m[0] - x[:, 0]) - (m[2] - x[:, 2])) / n0)
    seen = abs((cur[0] - cur[2]) / n1 - (old[0] - old[2]) / n0)
    return float(min(1.0, prob[gap >= seen - 1e-12].sum()))


def _pooled_sd(var1: np.ndarray, n1: np.ndarray, var0: np.ndarray, n0: np.ndarray) -> np.ndarray:
    with np.errstate(invalid="ignore", divide="ignore"):
        num = (n1 - 1.0) * var1 + (n0 - 1.0) * var0
        return np.sqrt(np.where(n1 + n0 > 2, num / (n1 + n0 - 2.0), np.nan))


def compare(metric: str, a: np.ndarray, b: np.ndarray, level: float) -> dict[str, np.ndarray]:
    """Compare pooled counts ``a`` with ``b`` (rows x STATS), as docs/analysis-insights.md says.

    NPS: trinomial standard errors, z-test, effect = difference (share) / pooled SD of the
    -1/0/+1 scores. CSAT and churn: shares, Wald interval, pooled two-proportion z-test,
    Cohen's h. CES: means, Welch interval and t-test, Cohen's d.

    Returns:
        value, comparison_value, difference, se, ci_low, ci_high, p_value, effect_size.
    """
    from scipy import stats

    a, b = np.atleast_2d(np.asarray(a, float)), np.atleast_2d(np.asarray(b, float))
    n1, n0 = a[:, 0], b[:, 0]
    with np.errstate(invalid="ignore", divide="ignore"):
        if metric == "nps":
            p1, d1 = _div(a[:, 1], n1), _div(a[:, 2], n1)
            p0, d0 = _div(b[:, 1], n0), _div(b[:, 2], n0)
            v1, v0 = 100.0 * _div(a[:, 1] - a[:, 2], n1), 100.0 * _div(b[:, 1] - b[:, 2], n0)
            se1 = 100.0 * np.sqrt(np.clip(_div(p1 + d1 - (p1 - d1) ** 2, n1), 0.0, None))
            se0 = 100.0 * np.sqrt(np.clip(_div(p0 + d0 - (p0 - d0) ** 2, n0), 0.0, None))
            se = np.sqrt(se1**2 + se0**2)
            p_value = _z_p(v1 - v0, se)
            promoters, detractors = a[:, 1] + b[:, 1], a[:, 2] + b[:, 2]
            passives = n1 + n0 - promoters - detractors
            columns = np.column_stack([promoters, detractors, passives])
            for i in np.flatnonzero(_small(n1, n0, columns) & (n1 > 0) & (n0 > 0)):
                p_value[i] = _nps_exact_p(a[i], b[i])
            s1 = np.where(n1 > 1, (se1 / 100.0) ** 2 * n1 * n1 / (n1 - 1.0), np.nan)
            s0 = np.where(n0 > 1, (se0 / 100.0) ** 2 * n0 * n0 / (n0 - 1.0), np.nan)
            effect = (v1 - v0) / 100.0 / _pooled_sd(s1, n1, s0, n0)
            q = np.full(n1.shape, stats.norm.ppf(0.5 + level / 2.0))
        elif metric == "ces":
            m1, m0 = _div(a[:, 1], n1), _div(b[:, 1], n0)
            var1 = np.where(n1 > 1, (a[:, 2] - n1 * m1 * m1) / (n1 - 1.0), np.nan)
            var0 = np.where(n0 > 1, (b[:, 2] - n0 * m0 * m0) / (n0 - 1.0), np.nan)
            sd1, sd0 = np.sqrt(np.clip(var1, 0.0, None)), np.sqrt(np.clip(var0, 0.0, None))
            v1, v0 = m1, m0
            e1, e0 = _div(sd1**2, n1), _div(sd0**2, n0)
            se = np.sqrt(e1 + e0)
            t = _div(m1 - m0, se)
            df = _div((e1 + e0) ** 2, _div(e1**2, n1 - 1.0) + _div(e0**2, n0 - 1.0))
            ok = np.isfinite(t) & np.isfinite(df) & (n1 >= 2) & (n0 >= 2)
            p_value = np.where(ok, 2.0 * stats.t.sf(np.abs(t), np.where(ok, df, 1.0)), np.nan)
            effect = (m1 - m0) / _pooled_sd(sd1**2, n1, sd0**2, n0)
            good = np.isfinite(df) & (df > 0)
            q = np.where(good, stats.t.ppf(0.5 + level / 2.0, np.where(good, df, 1.0)), np.nan)
        else:
            x1, x0 = a[:, 1], b[:, 1]
            p1, p0 = _div(x1, n1), _div(x0, n0)
            v1, v0 = 100.0 * p1, 100.0 * p0
            se = 100.0 * np.sqrt(p1 * (1.0 - p1) / n1 + p0 * (1.0 - p0) / n0)
            pooled = _div(x1 + x0, n1 + n0)
            se_test = np.sqrt(pooled * (1.0 - pooled) * (_div(1.0, n1) + _div(1.0, n0)))
            p_value = _z_p(p1 - p0, se_test)
            columns = np.column_stack([x1 + x0, n1 + n0 - x1 - x0])
            for i in np.flatnonzero(_small(n1, n0, columns) & (n1 > 0) & (n0 > 0)):
                p_value[i] = _fisher_p(x1[i], n1[i], x0[i], n0[i])
            effect = 2.0 * np.arcsin(np.sqrt(p1)) - 2.0 * np.arcsin(np.sqrt(p0))
            q = np.full(n1.shape, stats.norm.ppf(0.5 + level / 2.0))
    diff = v1 - v0
    return {
        "value": v1,
        "comparison_value": v0,
        "difference": diff,
        "se": se,
        "ci_low": diff - q * se,
        "ci_high": diff + q * se,
        "p_value": p_value,
        "effect_size": effect,
    }


def _one(metric: str, a: np.ndarray, b: np.ndarray, level: float = CONFIDENCE) -> dict[str, float]:
    return {k: float(v[0]) for k, v in compare(metric, a[None, :], b[None, :], level).items()}


def _dd_p(d1: Any, se1: Any, d0: Any, se0: Any) -> np.ndarray:
    """z-test that two independent differences are equal."""
    d1, se1, d0, se0 = (np.atleast_1d(np.asarray(v, float)) for v in (d1, se1, d0, se0))
    return _z_p(d1 - d0, np.sqrt(se1**2 + se0**2))


# --------------------------------------------------------------------------- the scan


@dataclass(frozen=True)
class Grid:
    """Periods of one metric as month ordinals ``origin + i``, and the spans of the scan."""

    origin: int
    end: int
    first: int
    window: int
    base: int
    splits: tuple[int, ...]
    lag: int | None

    def before(self, split: int) -> tuple[int, int]:
        """The periods a split's periods ``[split, end)`` are compared with."""
        if self.lag is not None:
            return split - self.lag, self.end - self.lag
        return self.first, split

    def when(self, i: int) -> pd.Timestamp:
        """Start of period ``i``."""
        return pd.Timestamp(np.datetime64(self.origin + i, "M"))


def make_grid(periods: np.ndarray, n: np.ndarray, lost: np.ndarray | None) -> Grid:
    """Lay out a metric's periods from its overall counts per month ordinal."""
    filled = n > 0
    lo, hi = int(periods[filled].min()), int(periods[filled].max())
    end = hi - lo + 1
    window = max(0, end - RECENT)
    first = 0
    if lost is not None:  # churn: the baseline starts at the first period with a churn
        seen = periods[filled & (lost > 0) & (periods < lo + window)]
        if len(seen):
            first = int(seen.min()) - lo
    lag = YEAR if end - first >= 2 * YEAR and RECENT <= YEAR else None
    low = end - min(YEAR, LOOKBACK) if lag else max(first + RECENT, end - LOOKBACK)
    return Grid(lo, end, first, window, first, tuple(range(low, end - RECENT + 1)), lag)


@dataclass
class Cell:
    """A group of one metric: its counts per period of the grid, and everybody else's."""

    metric: str
    conditions: tuple[tuple[str, Any], ...]
    counts: np.ndarray
    rest: np.ndarray

    def pool(self, span: tuple[int, int]) -> np.ndarray:
        """The group's counts summed over ``span``."""
        return self.counts[span[0] : span[1]].sum(axis=0)

    def pool_rest(self, span: tuple[int, int]) -> np.ndarray:
        """Everybody else's counts summed over ``span``."""
        return self.rest[span[0] : span[1]].sum(axis=0)

    @property
    def dimension(self) -> str:
        """The group's dimensions, e.g. "segment × touchpoint" ("all" for everybody)."""
        return " × ".join(d for d, _ in self.conditions) or "all"

    @property
    def group(self) -> str:
        """The group's values, e.g. "small_business × billing" ("all" for everybody)."""
        return " × ".join(str(v) for _, v in self.conditions) or "all"


def cells_of(metric: str, table: pd.DataFrame, keys: list[str], grid: Grid) -> list[Cell]:
    """Lay the grouped counts (``*keys, period, *STATS``) out on the grid, one cell a group."""
    stats = list(STATS[metric])
    at = table["period"].to_numpy() - grid.origin
    inside = (at >= 0) & (at < grid.end)
    table, at = table.loc[inside], at[inside]
    values = table[stats].to_numpy(dtype=float)
    total = np.zeros((grid.end, len(stats)))
    np.add.at(total, at, values)
    if not keys:
        return [Cell(metric, (), total, np.zeros_like(total))]
    cells = []
    for key, rows in table.groupby(keys, dropna=False, sort=True, observed=True).indices.items():
        names = key if isinstance(key, tuple) else (key,)
        if any(pd.isna(v) for v in names):
            continue
        counts = np.zeros_like(total)
        np.add.at(counts, at[rows], values[rows])
        cells.append(Cell(metric, tuple(zip(keys, names, strict=True)), counts, total - counts))
    return cells


def dimension_sets(dims: list[str]) -> list[list[str]]:
    """Everybody, each dimension, each pair."""
    return [[], *([d] for d in dims), *(list(p) for p in itertools.combinations(dims, 2))]


def dedupe(cells: list[Cell]) -> list[Cell]:
    """Drop a cell with the same answers per period as a cell with a subset of its conditions."""
    kept: dict[tuple[str, bytes], list[Cell]] = {}
    out = []
    for cell in sorted(cells, key=lambda c: len(c.conditions)):
        same = kept.setdefault((cell.metric, cell.counts[:, 0].tobytes()), [])
        if any(set(k.conditions) < set(cell.conditions) for k in same):
            continue
        same.append(cell)
        out.append(cell)
    order = {id(c): i for i, c in enumerate(cells)}
    return sorted(out, key=lambda c: order[id(c)])


def run_tests(cells: list[Cell], grids: dict[str, Grid]) -> list[dict[str, Any]]:
    """Every test of the scan: "vs rest" then "vs own past" per metric, in cell order."""
    tests: list[dict[str, Any]] = []
    for metric, grid in grids.items():
        mine = [c for c in cells if c.metric == metric]
        window = (grid.window, grid.end)
        for cell in mine:
            if not cell.conditions:
                continue
            a, b = cell.pool(window), cell.pool_rest(window)
            if a[0] >= MIN_N and b[0] >= MIN_N:
                tests.append({"cell": cell, "kind": "vs rest", "span": window, "other": window,
                              "a": a, "b": b, "candidates": 1})  # fmt: skip
        for cell in mine:
            best = _best_split(cell, grid)
            if best is not None:
                tests.append({"cell": cell, "kind": "vs own past", **best})
    for test in tests:
        k = test["candidates"]
        got = _one(test["cell"].metric, test["a"], test["b"], 1.0 - (1.0 - CONFIDENCE) / k)
        test.update(got)
        test["p_split"] = got["p_value"]
        test["p_value"] = min(1.0, got["p_value"] * k) if np.isfinite(got["p_value"]) else np.nan
    return tests


def _best_split(cell: Cell, grid: Grid) -> dict[str, Any] | None:
    """The candidate split of "vs own past" with the smallest p-value (ties: largest |z|).

    Every split ``s`` of the grid compares the periods ``[s, end)`` with ``grid.before(s)``;
    splits with fewer than MIN_N answers on a side are not tried. Returns the chosen split's
    spans and pooled counts with ``candidates`` (splits tried), or None when none was tried.
    """
    spans = [((s, grid.end), grid.before(s)) for s in grid.splits]
    after = np.array([cell.pool(a) for a, _ in spans]).reshape(len(spans), -1)
    before = np.array([cell.pool(b) for _, b in spans]).reshape(len(spans), -1)
    ok = (after[:, 0] >= MIN_N) & (before[:, 0] >= MIN_N) if len(spans) else np.array([], bool)
    if not ok.any():
        return None
    tried = np.flatnonzero(ok)
    got = compare(cell.metric, after[tried], before[tried], CONFIDENCE)
    p = got["p_value"]
    with np.errstate(invalid="ignore", divide="ignore"):
        z = np.abs(got["difference"] / got["se"])
    finite = np.isfinite(p)
    if finite.any():
        tied = finite & (p <= np.min(p[finite]))
        # an exact p-value can exist where z cannot (se 0): such a z counts as 0
        k = int(tried[np.argmax(np.where(tied, np.nan_to_num(z, nan=0.0), -1.0))])
    else:
        k = int(tried[0])
    span, other = spans[k]
    return {"span": span, "other": other, "a": after[k], "b": before[k], "candidates": len(tried)}


def effect_floor(test: dict[str, Any], alpha: float) -> float:
    """The effect size shrunk to the end of its FCR-adjusted interval nearest zero.

    The interval is taken at level ``1 - alpha / candidates`` with ``alpha = R * fdr / m``
    (R findings selected out of m tests; Benjamini & Yekutieli 2005), and the effect size is
    scaled by the share of the difference that the interval's bound nearest zero keeps.
    """
    got = _one(test["cell"].metric, test["a"], test["b"], 1.0 - alpha / test["candidates"])
    diff = np.float64(got["difference"])
    bound = got["ci_low"] if diff > 0 else -got["ci_high"]
    with np.errstate(invalid="ignore", divide="ignore"):
        kept = np.clip(bound / np.abs(diff), 0.0, 1.0)
    return float(test["effect_size"] * np.nan_to_num(kept))


def novelty(sig: list[dict[str, Any]], grids: dict[str, Grid]) -> None:
    """Mark each "vs rest" finding new or not (persistent, others moved, not clearly new)."""
    alpha = 1.0 - CONFIDENCE
    for t in sig:
        t["new"], t["why_not_new"] = True, ""
        if t["kind"] != "vs rest":
            continue
        metric, cell, grid = t["cell"].metric, t["cell"], grids[t["cell"].metric]
        base = (grid.base, grid.window)
        base_g, base_r = cell.pool(base), cell.pool_rest(base)
        then = _one(metric, base_g, base_r)
        own = _one(metric, t["a"], base_g)
        others = _one(metric, t["b"], base_r)
        ok = base_g[0] >= MIN_N and base_r[0] >= MIN_N
        gap, before = t["difference"], then["difference"]
        p = float(_dd_p(gap, t["se"], before, then["se"])[0])
        t["baseline_gap"] = before if ok else np.nan
        t["own_change"], t["others_change"], t["gap_change_p"] = (
            own["difference"],
            others["difference"],
            p,
        )
        if not ok:
            why = ""
        elif before * np.sign(gap) >= abs(gap) / 2.0:
            why = "persistent"
        elif np.sign(own["difference"]) != np.sign(gap - before) or abs(own["difference"]) < abs(
            others["difference"]
        ):
            why = "others moved"
        elif not p < alpha:
            why = "not clearly new"
        else:
            why = ""
        t["new"], t["why_not_new"] = why == "", why


def _nested(parent: dict[str, Any], child: dict[str, Any]) -> bool:
    pc, cc = parent["cell"], child["cell"]
    return (
        pc.metric == cc.metric
        and parent["kind"] == child["kind"]
        and np.sign(parent["difference"]) == np.sign(child["difference"])
        and set(pc.conditions) < set(cc.conditions)
    )


def _remainder(parent: dict[str, Any], child: dict[str, Any], grid: Grid) -> tuple[float, float]:
    """Difference and p-value of the parent with the child's answers taken out."""
    metric, pc, cc = parent["cell"].metric, parent["cell"], child["cell"]
    span, other = parent["span"], parent["other"]
    rem_w = pc.pool(span) - cc.pool(span)
    if parent["kind"] == "vs own past":
        rem_b = pc.pool(other) - cc.pool(other)
        if rem_w[0] < MIN_N or rem_b[0] < MIN_N:
            return np.nan, np.nan
        got = _one(metric, rem_w, rem_b)
        return got["difference"], got["p_value"]
    if rem_w[0] < MIN_N:
        return np.nan, np.nan
    now = _one(metric, rem_w, pc.pool_rest(span))
    base = (grid.base, grid.window)
    rem_b, rest_b = pc.pool(base) - cc.pool(base), pc.pool_rest(base)
    if rem_b[0] < MIN_N or rest_b[0] < MIN_N:
        return now["difference"], now["p_value"]
    then = _one(metric, rem_b, rest_b)
    p = _dd_p(now["difference"], now["se"], then["difference"], then["se"])
    return now["difference"] - then["difference"], float(p[0])


def _in_line_p(parent: dict[str, Any], child: dict[str, Any]) -> float:
    pc, cc = parent["cell"], child["cell"]
    span, other = child["span"], child["other"]
    rem_w, rem_b = pc.pool(span) - cc.pool(span), pc.pool(other) - cc.pool(other)
    if rem_w[0] < MIN_N or rem_b[0] < MIN_N:
        return 0.0
    rem = _one(cc.metric, rem_w, rem_b)
    return float(_dd_p(child["difference"], child["se"], rem["difference"], rem["se"])[0])


def hierarchy(sig: list[dict[str, Any]], grids: dict[str, Grid]) -> None:
    """Mark findings explained by one of their cells, or in line with a lead group."""
    alpha = 1.0 - CONFIDENCE
    for t in sig:
        t["explained_by"] = t["in_line_with"] = None
    deepest = sorted(sig, key=lambda t: (len(t["cell"].conditions), t["score"]), reverse=True)
    for parent in sig:
        if not parent["new"]:
            continue
        for child in deepest:
            if child is parent or not child["new"] or not _nested(parent, child):
                continue
            diff, p = _remainder(parent, child, grids[parent["cell"].metric])
            if not p < alpha or np.sign(diff) != np.sign(parent["difference"]):
                parent["explained_by"] = child
                break
    by_score = sorted(sig, key=lambda t: t["score"], reverse=True)
    for child in sig:
        if child["kind"] != "vs own past" or child["explained_by"] is not None:
            continue
        for parent in by_score:
            lead = parent["new"] and parent["explained_by"] is None
            if parent is child or not lead or not _nested(parent, child):
                continue
            if not _in_line_p(parent, child) < alpha:
                child["in_line_with"] = parent
                break


class PandasWorkload:
    """Baseline "pandas": the insights scan on the raw rows of the Parquet files."""

    def __init__(self, responses: str, customers: str) -> None:
        from scipy import stats  # noqa: F401  (imported before timing, as cxlens is)
        from statsmodels.stats.multitest import multipletests

        self.multipletests = multipletests
        self.responses = responses
        self.customers = customers

    def run(self) -> dict[str, pd.DataFrame]:
        """Read both files (timed), aggregate per dimension set, test, correct and rank."""
        multipletests = self.multipletests
        tables = self._tables()
        grids: dict[str, Grid] = {}
        cells: list[Cell] = []
        for metric in METRICS:
            rows = tables[metric]
            stats = list(STATS[metric])
            overall = rows.groupby("period")[stats].sum().reset_index()
            lost = overall["lost"].to_numpy() if metric == "churn" else None
            grid = make_grid(overall["period"].to_numpy(), overall["n"].to_numpy(), lost)
            grids[metric] = grid
            dims = [d for d in DIMENSIONS if d in rows.columns]
            for keys in dimension_sets(dims):
                if keys:
                    grouped = rows.groupby([*keys, "period"], observed=True, dropna=False)
                    table = grouped[stats].sum().reset_index()
                else:
                    table = overall
                cells += cells_of(metric, table, keys, grid)
        tests = run_tests(dedupe(cells), grids)
        p = np.array([t["p_value"] for t in tests])
        q = np.full(p.shape, np.nan)
        finite = np.isfinite(p)
        q[finite] = multipletests(p[finite], method="fdr_bh")[1]
        for t, q_value in zip(tests, q, strict=True):
            t["q_value"] = q_value
        sig = [t for t in tests if t["q_value"] <= FDR]
        selected = len(sig) * FDR / int(finite.sum()) if sig else 0.0
        for t in sig:
            cell = t["cell"]
            t["customers_affected"] = (
                float(cell.counts[t["span"][0], 0]) if cell.metric == "churn" else float(t["a"][0])
            )
            t["score"] = abs(effect_floor(t, selected)) * t["customers_affected"]
        novelty(sig, grids)
        hierarchy(sig, grids)
        for t in sig:
            t["lead"] = t["new"] and t["explained_by"] is None and t["in_line_with"] is None
        ranked = sorted(sig, key=lambda t: (not t["lead"], -t["score"]))
        return {"findings": _findings(ranked[:TOP], grids), "tests": _tests(tests, grids)}

    def tidy(self, result: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
        """The findings and tests are already plain frames."""
        return result

    def _tables(self) -> dict[str, pd.DataFrame]:
        """Per metric, one row per answer (churn: per customer and month at risk)."""
        responses = pd.read_parquet(
            self.responses,
            columns=["customer_id", "responded_at", "touchpoint", "channel", "nps", "csat", "ces"],
        )
        customers = pd.read_parquet(
            self.customers,
            columns=["customer_id", "first_seen", "churned_at", *CUSTOMER_DIMENSIONS],
        )
        for col in CUSTOMER_DIMENSIONS:
            customers[col] = customers[col].astype("category")
        for col in ("touchpoint", "channel"):
            responses[col] = responses[col].astype("category")
        rows = responses.merge(
            customers[["customer_id", *CUSTOMER_DIMENSIONS]], on="customer_id", how="left"
        )
        rows["period"] = _months(rows["responded_at"])
        dims = [d for d in DIMENSIONS if d in rows.columns]
        out: dict[str, pd.DataFrame] = {}
        for metric in SURVEY:
            has = rows[metric].notna()
            when = rows.loc[has, "responded_at"]
            has &= ~rows["period"].isin(_partial_months(when.min(), when.max()))
            answered = rows.loc[has, [*dims, "period"]]
            score = rows.loc[has, metric].astype("float64")
            answered["n"] = 1.0
            if metric == "nps":
                answered["promoters"] = (score >= 9).astype(float)
                answered["detractors"] = (score <= 6).astype(float)
            elif metric == "csat":
                answered["satisfied"] = (score >= 4).astype(float)
            else:
                answered["sum_x"] = score
                answered["sum_x2"] = score * score
            out[metric] = answered
        churn = _customer_months(customers)
        known = customers[customers["first_seen"].notna()]
        end = max(known["first_seen"].max(), known["churned_at"].max())
        out["churn"] = churn[~churn["period"].isin(_partial_months(known["first_seen"].min(), end))]
        return out


def _partial_months(first: pd.Timestamp, last: pd.Timestamp) -> list[int]:
    """Month ordinals the data covers only in part: it starts after the 1st or ends early."""
    out = []
    if first.normalize() > first.normalize().replace(day=1):
        out.append(int(_months(pd.Series([first]))[0]))
    if last.normalize() < last.normalize() + pd.offsets.MonthEnd(0):
        out.append(int(_months(pd.Series([last]))[0]))
    return out


def _months(stamps: pd.Series) -> np.ndarray:
    """Month ordinals (months since January 1970) of timestamps."""
    return stamps.to_numpy().astype("datetime64[M]").astype("int64")


def _customer_months(customers: pd.DataFrame) -> pd.DataFrame:
    """One row per customer and month at the start of which they were a customer.

    At risk in month ``s``: ``first_seen < s`` and (no ``churned_at`` or ``churned_at >= s``);
    lost in ``s``: at risk and ``churned_at`` before the next month. Months run from the one
    holding the earliest ``first_seen`` to the one holding the latest ``first_seen`` or
    ``churned_at``.
    """
    known = customers[customers["first_seen"].notna()]
    first = _months(known["first_seen"])
    churned = known["churned_at"].notna().to_numpy()
    left = np.where(churned, _months(known["churned_at"].fillna(known["first_seen"])), -1)
    last = int(max(first.max(), left.max()))
    start = first + 1
    stop = np.where(churned, left, last)
    length = np.clip(stop - start + 1, 0, None)
    who = np.repeat(np.arange(len(known)), length)
    offset = np.arange(len(who)) - np.repeat(np.cumsum(length) - length, length)
    period = start[who] + offset
    out = pd.DataFrame({d: known[d].to_numpy()[who] for d in CUSTOMER_DIMENSIONS})
    for d in CUSTOMER_DIMENSIONS:
        out[d] = pd.Categorical(out[d], categories=known[d].cat.categories)
    out["period"] = period
    out["n"] = 1.0
    out["lost"] = (churned[who] & (left[who] == period)).astype(float)
    return out


def _findings(ranked: list[dict[str, Any]], grids: dict[str, Grid]) -> pd.DataFrame:
    rows = []
    for rank, t in enumerate(ranked, start=1):
        cell, grid = t["cell"], grids[t["cell"].metric]
        good = t["difference"] > 0 if HIGHER_IS_BETTER[cell.metric] else t["difference"] < 0
        if t["explained_by"] is not None:
            kind = "explained by"
        elif t["in_line_with"] is not None:
            kind = "in line with"
        else:
            kind = t["why_not_new"]
        rows.append(
            {
                "rank": rank,
                "metric": cell.metric,
                "dimension": cell.dimension,
                "group": cell.group,
                "kind": t["kind"],
                "period_start": grid.when(t["span"][0]),
                "n": int(t["a"][0]),
                "customers_affected": int(t["customers_affected"]),
                **{k: t[k] for k in ("value", "comparison_value", "difference", "ci_low",
                                     "ci_high", "p_value", "q_value", "effect_size", "score")},
                "direction": "better" if good else "worse",
                "lead": bool(t["lead"]),
                "note_kind": kind,
            }
        )  # fmt: skip
    return _typed(pd.DataFrame(rows, columns=FINDING_COLUMNS))


def _tests(tests: list[dict[str, Any]], grids: dict[str, Grid]) -> pd.DataFrame:
    rows = []
    for t in tests:
        cell, grid = t["cell"], grids[t["cell"].metric]
        rows.append(
            {
                "metric": cell.metric,
                "dimension": cell.dimension,
                "group": cell.group,
                "kind": t["kind"],
                "period_start": grid.when(t["span"][0]),
                "comparison_start": grid.when(t["other"][0]),
                "comparison_end": grid.when(t["other"][1]),
                "n": int(t["a"][0]),
                "value": t["value"],
                "comparison_value": t["comparison_value"],
                "difference": t["difference"],
                "candidates": t["candidates"],
                "p_split": t["p_split"],
                "p_value": t["p_value"],
                "q_value": t["q_value"],
            }
        )
    return _typed(pd.DataFrame(rows, columns=TEST_COLUMNS))


def factories() -> dict[str, tuple[str, Any]]:
    """Return ``{implementation: (target, kwargs-builder)}`` for the harness."""
    here = __name__
    return {
        "cxlens": (f"{here}:CxlensWorkload", lambda db, ds: {"workspace": str(db)}),
        "pandas": (
            f"{here}:PandasWorkload",
            lambda db, ds: {"responses": str(ds.responses), "customers": str(ds.customers)},
        ),
    }
