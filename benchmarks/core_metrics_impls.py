"""The three implementations the core-metrics benchmark times: cxlens, DuckDB SQL and pandas.

Each computes NPS, CSAT (top-2-box %) and CES (mean) by customer segment and calendar month,
with n, a 95% interval, the change from the segment's previous calendar month and that change's
p-value. Segment lives on ``customers``, so every implementation joins it on ``customer_id``.

The baselines compute the same figures with the same methods as ``cxlens.metrics``, written
independently of it: NPS = % promoters (9-10) - % detractors (0-6) with the adjusted-Wald
interval of Rocks (2016: 3/4 promoter and 3/4 detractor added, n + 3; widened to reach the
score) and a z-test of the change on the trinomial standard errors; CSAT = % of answers 4-5
with a Wilson interval and a pooled two-proportion z-test; below an expected cell count of
5 the NPS change gets an exact permutation test and the CSAT change Fisher's exact test
(scipy, on the aggregated counts); CES = mean of 1-7 with a Student-t interval (clipped to 1-7)
and Welch's t-test. DuckDB SQL does the statistics in SQL; only the normal and t distribution
functions run in Python (scipy) on the aggregated result of a few dozen rows. pandas does them
with numpy on its groupby result. The two baselines are written separately, so their
agreement checks both.

Every workload's ``tidy`` returns, per metric, a frame with the columns of ``TIDY_COLUMNS``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

METRICS = ("nps", "csat", "ces")
BY = "segment"
Z95 = 1.959963984540054
SMALL_SAMPLE = 30
TIDY_COLUMNS = [BY, "period", "n", "value", "ci_low", "ci_high", "change", "p_value"]


def tidy_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """Return ``frame`` with the tidy columns, periods as month-start timestamps, sorted.

    Accepts a period column of timestamps (naive or tz-aware), dates, pandas Periods or
    ``YYYY-MM`` strings.
    """
    missing = [c for c in TIDY_COLUMNS if c not in frame.columns]
    if missing:
        raise KeyError(f"result lacks columns {missing}; it has {list(frame.columns)}")
    out = frame[TIDY_COLUMNS].copy()
    out["period"] = month_start(out["period"])
    out[BY] = out[BY].astype(str)
    out["n"] = out["n"].astype("int64")
    for col in TIDY_COLUMNS[3:]:
        out[col] = pd.to_numeric(out[col], errors="coerce").astype("float64")
    return out.sort_values([BY, "period"], ignore_index=True)


def month_start(period: pd.Series) -> pd.Series:
    """Return ``period`` as naive ``datetime64[us]`` month starts."""
    if isinstance(period.dtype, pd.PeriodDtype):
        period = period.dt.to_timestamp()
    stamps = pd.to_datetime(period)
    if getattr(stamps.dt, "tz", None) is not None:
        stamps = stamps.dt.tz_convert("UTC").dt.tz_localize(None)
    return stamps.dt.to_period("M").dt.to_timestamp().astype("datetime64[us]")


def _normal_p(z: Any) -> np.ndarray:
    """Two-sided normal p-value of z statistics (NaN stays NaN)."""
    return 2.0 * stats.norm.sf(np.abs(np.asarray(z, dtype="float64")))


def _welch_p(t: Any, df: Any) -> np.ndarray:
    """Two-sided Student-t p-value of Welch statistics ``t`` with ``df`` degrees of freedom."""
    t = np.asarray(t, dtype="float64")
    df = np.asarray(df, dtype="float64")
    ok = np.isfinite(t) & np.isfinite(df)
    with np.errstate(invalid="ignore"):
        p = 2.0 * stats.t.sf(np.abs(t), np.where(ok, df, 1.0))
    return np.where(ok, p, np.nan)


def _t_half_width(sd: Any, n: Any) -> np.ndarray:
    """Half-width of the 95% Student-t interval of a mean."""
    n = np.asarray(n, dtype="float64")
    df = np.where(n >= 2, n - 1.0, np.nan)
    return stats.t.ppf(0.975, df) * np.asarray(sd, dtype="float64") / np.sqrt(n)


def _flags(frame: pd.DataFrame) -> pd.DataFrame:
    frame["significant"] = frame["p_value"] < 0.05
    frame["small_sample"] = frame["n"] < SMALL_SAMPLE
    return frame


class CxlensWorkload:
    """cxlens: ``ws.metrics.nps/csat/ces(by=["segment"], every="month")`` on the Workspace."""

    def __init__(self, workspace: str) -> None:
        from cxlens import Workspace

        self.ws = Workspace(workspace)

    def run(self) -> dict[str, pd.DataFrame]:
        """Compute the three metrics through the full cxlens pipeline."""
        metrics = self.ws.metrics
        return {m: getattr(metrics, m)(by=[BY], every="month") for m in METRICS}

    def tidy(self, result: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
        """Keep the tidy columns of each metric."""
        return {m: tidy_frame(frame) for m, frame in result.items()}


_JOINED = """
    SELECT c.segment, date_trunc('month', r.responded_at) AS period, r.{metric} AS score
    FROM responses AS r JOIN customers AS c ON r.customer_id = c.customer_id
    WHERE r.{metric} IS NOT NULL
"""

#: Per metric: the aggregate over the joined rows, then the estimate and interval per group.
_ESTIMATE = {
    "nps": """
        SELECT *, 100 * (p_pro - p_det) AS value,
               100 * sqrt((p_pro + p_det - (p_pro - p_det) ^ 2) / n) AS se,
               (n_pro + 0.75) / (n + 3) AS a_pro, (n_det + 0.75) / (n + 3) AS a_det,
               100 * sqrt((a_pro + a_det - (a_pro - a_det) ^ 2) / (n + 3)) AS a_se,
               least(greatest(100 * (a_pro - a_det) - {z} * a_se, -100), value) AS ci_low,
               greatest(least(100 * (a_pro - a_det) + {z} * a_se, 100), value) AS ci_high
        FROM (SELECT segment, period, count(*) AS n,
                     count(*) FILTER (WHERE score >= 9) AS n_pro,
                     count(*) FILTER (WHERE score <= 6) AS n_det,
                     n_pro / n AS p_pro,
                     n_det / n AS p_det
              FROM joined GROUP BY segment, period)
    """,
    "csat": """
        SELECT *, 100 * p AS value,
               (1 + {z} ^ 2 / n) AS denom,
               (p + {z} ^ 2 / (2 * n)) / denom AS centre,
               {z} * sqrt(p * (1 - p) / n + {z} ^ 2 / (4 * n * n)) / denom AS half,
               100 * greatest(centre - half, 0) AS ci_low,
               100 * least(centre + half, 1) AS ci_high
        FROM (SELECT segment, period, count(*) AS n,
                     count(*) FILTER (WHERE score >= 4) AS satisfied,
                     satisfied / n AS p
              FROM joined GROUP BY segment, period)
    """,
    "ces": """
        SELECT segment, period, count(*) AS n, avg(score) AS value, stddev_samp(score) AS sd
        FROM joined GROUP BY segment, period
    """,
}

#: Per metric: the test statistic of the change from ``prev`` (previous month) to ``cur``.
_STATISTIC = {
    "nps": "(cur.value - prev.value) / sqrt(cur.se ^ 2 + prev.se ^ 2)",
    "csat": """(cur.p - prev.p) / sqrt(
        (cur.satisfied + prev.satisfied) / (cur.n + prev.n)
        * (1 - (cur.satisfied + prev.satisfied) / (cur.n + prev.n))
        * (1 / cur.n + 1 / prev.n))""",
    "ces": "(cur.value - prev.value) / sqrt(cur.sd ^ 2 / cur.n + prev.sd ^ 2 / prev.n)",
}

#: Columns each metric's final SELECT adds: intervals, the counts the exact tests need, or for
#: CES what Python needs for its interval.
_OUTPUT = {
    "nps": """cur.ci_low, cur.ci_high, cur.n_pro, cur.n_det, prev.n AS prev_n,
        prev.n_pro AS prev_pro, prev.n_det AS prev_det""",
    "csat": """cur.ci_low, cur.ci_high, cur.satisfied, prev.n AS prev_n,
        prev.satisfied AS prev_sat""",
    "ces": """cur.sd,
        (cur.sd ^ 2 / cur.n + prev.sd ^ 2 / prev.n) ^ 2
        / ((cur.sd ^ 2 / cur.n) ^ 2 / (cur.n - 1) + (prev.sd ^ 2 / prev.n) ^ 2 / (prev.n - 1))
        AS df""",
}


def duckdb_sql(metric: str) -> str:
    """Return the DuckDB SQL of one metric: join, month buckets, estimate, interval, trend.

    The change is taken against the same segment's previous calendar month (a self-join on
    ``period - 1 month``), so a month with no answers leaves the next one without a change.
    For CES the query returns the standard deviation and Welch's degrees of freedom, from
    which Python takes the t quantiles.
    """
    return f"""
        WITH joined AS ({_JOINED.format(metric=metric)}),
        estimate AS ({_ESTIMATE[metric].format(z=Z95)})
        SELECT cur.segment, cur.period, cur.n, cur.value, {_OUTPUT[metric]},
               cur.value - prev.value AS change,
               {_STATISTIC[metric]} AS statistic
        FROM estimate AS cur
        LEFT JOIN estimate AS prev
          ON prev.segment = cur.segment AND prev.period = cur.period - INTERVAL 1 MONTH
        ORDER BY cur.segment, cur.period
    """


class DuckDBSQLWorkload:
    """Baseline "duckdb-sql": one hand-written DuckDB query per metric on the same file."""

    def __init__(self, workspace: str) -> None:
        import duckdb

        self.con = duckdb.connect(workspace, read_only=True)

    def run(self) -> dict[str, pd.DataFrame]:
        """Run the three queries; turn statistics into p-values on the small results."""
        out = {}
        for metric in METRICS:
            frame = self.con.sql(duckdb_sql(metric)).df()
            statistic = frame.pop("statistic")
            if metric == "ces":
                half = _t_half_width(frame.pop("sd"), frame["n"])
                frame["ci_low"] = np.clip(frame["value"] - half, 1.0, 7.0)
                frame["ci_high"] = np.clip(frame["value"] + half, 1.0, 7.0)
                frame["p_value"] = _welch_p(statistic, frame.pop("df"))
            else:
                now, before = _sql_counts(metric, frame)
                frame["p_value"] = _exact_where_small(_normal_p(statistic), now, before)
            out[metric] = _flags(frame)
        return out

    def tidy(self, result: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
        """Keep the tidy columns of each metric."""
        return {m: tidy_frame(frame) for m, frame in result.items()}


class PandasWorkload:
    """Baseline "pandas": read the Parquet, merge segment, groupby segment and month."""

    def __init__(self, responses: str, customers: str) -> None:
        self.responses = responses
        self.customers = customers

    def run(self) -> dict[str, pd.DataFrame]:
        """Read both files (timed), then compute the three metrics."""
        responses = pd.read_parquet(
            self.responses, columns=["customer_id", "responded_at", "nps", "csat", "ces"]
        )
        customers = pd.read_parquet(self.customers, columns=["customer_id", BY])
        frame = responses.merge(customers, on="customer_id", how="inner")
        frame["period"] = frame["responded_at"].dt.to_period("M")
        return {
            "nps": _pandas_nps(frame),
            "csat": _pandas_csat(frame),
            "ces": _pandas_ces(frame),
        }

    def tidy(self, result: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
        """Keep the tidy columns of each metric."""
        return {m: tidy_frame(frame) for m, frame in result.items()}


def _sql_counts(metric: str, frame: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Pop the count columns of the SQL result: category counts now and a month before."""
    n, prev_n = frame["n"].to_numpy(float), frame.pop("prev_n").to_numpy(float)
    if metric == "nps":
        pro, det = frame.pop("n_pro").to_numpy(float), frame.pop("n_det").to_numpy(float)
        p0, d0 = frame.pop("prev_pro").to_numpy(float), frame.pop("prev_det").to_numpy(float)
        return np.column_stack([pro, n - pro - det, det]), np.column_stack(
            [p0, prev_n - p0 - d0, d0]
        )
    sat, sat0 = frame.pop("satisfied").to_numpy(float), frame.pop("prev_sat").to_numpy(float)
    return np.column_stack([sat, n - sat]), np.column_stack([sat0, prev_n - sat0])


def _exact_where_small(p: Any, now: np.ndarray, before: np.ndarray) -> np.ndarray:
    """Replace the p-value by an exact one where an expected cell count is below 5.

    ``now``/``before`` hold category counts per row (2 columns: Fisher's exact test; 3:
    promoters, passives, detractors, a permutation test of the NPS difference over the
    multivariate hypergeometric tables with the same totals).
    """
    out = np.asarray(p, dtype=float).copy()
    n1, n0 = now.sum(axis=1), before.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        smallest = np.minimum(n1, n0) * (now + before).min(axis=1) / (n1 + n0)
    for i in np.flatnonzero((smallest < 5) & (n1 > 0) & (n0 > 0)):
        a, b = now[i].astype(np.int64), before[i].astype(np.int64)
        if len(a) == 2:
            out[i] = stats.fisher_exact(np.vstack([a, b])).pvalue
        else:
            out[i] = _nps_permutation_p(a, b)
    return out


def _nps_permutation_p(a: np.ndarray, b: np.ndarray) -> float:
    m, n1, n0 = a + b, int(a.sum()), int(b.sum())
    x = np.array(
        [(p, n1 - p - d, d) for p in range(m[0] + 1) for d in range(m[2] + 1)
         if 0 <= n1 - p - d <= m[1]]
    )  # fmt: skip
    prob = stats.multivariate_hypergeom.pmf(x=x, m=m, n=n1)
    gap = np.abs((x[:, 0] - x[:, 2]) / n1 - ((m[0] - x[:, 0]) - (m[2] - x[:, 2])) / n0)
    seen = abs((a[0] - a[2]) / n1 - (b[0] - b[2]) / n0)
    return float(min(1.0, prob[gap >= seen - 1e-12].sum()))


def _answered(frame: pd.DataFrame, metric: str) -> pd.DataFrame:
    return frame.loc[frame[metric].notna(), [BY, "period", metric]]


def _previous(agg: pd.DataFrame) -> pd.DataFrame:
    """Return, row-aligned with ``agg``, the same segment's row of the previous month."""
    shifted = agg.assign(period=agg["period"] + 1)
    return agg[[BY, "period"]].merge(shifted, on=[BY, "period"], how="left")


def _pandas_nps(frame: pd.DataFrame) -> pd.DataFrame:
    scored = _answered(frame, "nps")
    scored = scored.assign(pro=scored["nps"] >= 9, det=scored["nps"] <= 6)
    agg = (
        scored.groupby([BY, "period"])
        .agg(n=("nps", "size"), p_pro=("pro", "mean"), p_det=("det", "mean"))
        .reset_index()
    )
    agg["value"] = 100 * (agg["p_pro"] - agg["p_det"])
    agg["se"] = 100 * np.sqrt(
        (agg["p_pro"] + agg["p_det"] - (agg["p_pro"] - agg["p_det"]) ** 2) / agg["n"]
    )
    # adjusted Wald (Rocks 2016): 3/4 promoter, 3/4 detractor and 3/2 passive added
    m = agg["n"] + 3
    a_pro, a_det = (agg["p_pro"] * agg["n"] + 0.75) / m, (agg["p_det"] * agg["n"] + 0.75) / m
    a_se = 100 * np.sqrt((a_pro + a_det - (a_pro - a_det) ** 2) / m)
    centre = 100 * (a_pro - a_det)
    agg["ci_low"] = np.minimum((centre - Z95 * a_se).clip(lower=-100), agg["value"])
    agg["ci_high"] = np.maximum((centre + Z95 * a_se).clip(upper=100), agg["value"])
    prev = _previous(agg)
    agg["change"] = agg["value"] - prev["value"]
    z_p = _normal_p(agg["change"] / np.sqrt(agg["se"] ** 2 + prev["se"] ** 2))
    agg["p_value"] = _exact_where_small(z_p, _nps_counts(agg), _nps_counts(prev))
    return _finish(agg)


def _nps_counts(agg: pd.DataFrame) -> np.ndarray:
    """Promoters, passives and detractors per row (rounded back from the shares)."""
    n = agg["n"].to_numpy(float)
    pro = np.round(agg["p_pro"].to_numpy(float) * n)
    det = np.round(agg["p_det"].to_numpy(float) * n)
    return np.column_stack([pro, n - pro - det, det])


def _pandas_csat(frame: pd.DataFrame) -> pd.DataFrame:
    scored = _answered(frame, "csat")
    scored = scored.assign(top2=scored["csat"] >= 4)
    agg = (
        scored.groupby([BY, "period"])
        .agg(n=("csat", "size"), satisfied=("top2", "sum"))
        .reset_index()
    )
    n, p = agg["n"], agg["satisfied"] / agg["n"]
    centre = (p + Z95**2 / (2 * n)) / (1 + Z95**2 / n)
    half = Z95 * np.sqrt(p * (1 - p) / n + Z95**2 / (4 * n**2)) / (1 + Z95**2 / n)
    agg["value"] = 100 * p
    agg["ci_low"] = 100 * (centre - half).clip(lower=0)
    agg["ci_high"] = 100 * (centre + half).clip(upper=1)
    prev = _previous(agg)
    pooled = (agg["satisfied"] + prev["satisfied"]) / (n + prev["n"])
    se = np.sqrt(pooled * (1 - pooled) * (1 / n + 1 / prev["n"]))
    agg["change"] = agg["value"] - prev["value"]
    z_p = _normal_p((p - prev["satisfied"] / prev["n"]) / se)
    now = np.column_stack([agg["satisfied"], n - agg["satisfied"]]).astype(float)
    before = np.column_stack([prev["satisfied"], prev["n"] - prev["satisfied"]]).astype(float)
    agg["p_value"] = _exact_where_small(z_p, now, before)
    return _finish(agg)


def _pandas_ces(frame: pd.DataFrame) -> pd.DataFrame:
    scored = _answered(frame, "ces")
    agg = scored.groupby([BY, "period"])["ces"].agg(n="size", value="mean", sd="std")
    agg = agg.reset_index()
    half = _t_half_width(agg["sd"], agg["n"])
    agg["ci_low"] = (agg["value"] - half).clip(lower=1, upper=7)
    agg["ci_high"] = (agg["value"] + half).clip(lower=1, upper=7)
    prev = _previous(agg)
    v1, v0 = agg["sd"] ** 2 / agg["n"], prev["sd"] ** 2 / prev["n"]
    agg["change"] = agg["value"] - prev["value"]
    welch_df = (v1 + v0) ** 2 / (v1**2 / (agg["n"] - 1) + v0**2 / (prev["n"] - 1))
    agg["p_value"] = _welch_p(agg["change"] / np.sqrt(v1 + v0), welch_df)
    return _finish(agg)


def _finish(agg: pd.DataFrame) -> pd.DataFrame:
    agg["period"] = agg["period"].dt.to_timestamp()
    return _flags(agg[[BY, "period", "n", "value", "ci_low", "ci_high", "change", "p_value"]])


def factories() -> dict[str, tuple[str, Any]]:
    """Return ``{implementation: (target, kwargs-builder)}`` for the harness."""
    here = __name__
    return {
        "cxlens": (f"{here}:CxlensWorkload", lambda db, ds: {"workspace": str(db)}),
        "duckdb-sql": (f"{here}:DuckDBSQLWorkload", lambda db, ds: {"workspace": str(db)}),
        "pandas": (
            f"{here}:PandasWorkload",
            lambda db, ds: {
                "responses": str(Path(ds.responses)),
                "customers": str(Path(ds.customers)),
            },
        ),
    }
