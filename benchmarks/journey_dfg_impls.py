"""The three implementations the journey-dfg benchmark times.

* cxlens: ``Journey(ws).dfg()`` and ``Journey(ws).funnel(FUNNEL)`` on the Workspace file;
  "cxlens-graph" times ``dfg()`` alone, the like-for-like comparison with pm4py.
* duckdb-sql: the same two queries written by hand in DuckDB SQL on the same file (one
  window per customer for the graph; for the funnel, the funnel's events numbered per
  customer and one join per step).
* pm4py: ``pd.read_parquet`` of the events (timed), then ``pm4py.discover_dfg`` (counts) and
  ``pm4py.discover_performance_dfg`` (mean and median seconds) on the frame sorted by
  customer, time and event id. pm4py has no ordered funnel, so only the graph is timed.

``tidy`` returns ``{"dfg": source, target, count, mean_seconds, median_seconds}`` and, for
the engines, ``{"funnel": step, name, entered}``.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from benchmarks.journey_dfg_data import FUNNEL

DFG_SQL = """
SELECT touchpoint AS source, nxt AS target, count(*) AS count,
       avg(secs) AS mean_seconds, median(secs) AS median_seconds
FROM (
  SELECT touchpoint,
         lead(touchpoint) OVER w AS nxt,
         epoch(lead(occurred_at) OVER w) - epoch(occurred_at) AS secs
  FROM events
  WINDOW w AS (PARTITION BY customer_id ORDER BY occurred_at, event_id)
)
WHERE nxt IS NOT NULL
GROUP BY ALL
"""


def funnel_sql(stages: list[str]) -> str:
    """Return the hand-written DuckDB SQL of the ordered funnel over ``stages``.

    The same figures as cxlens: journeys entering each step, and for steps 2+ the median and
    p90 seconds from the previous step and the median and mean seconds from step 1.
    """
    names = ", ".join(f"'{s}'" for s in stages)
    parts = [
        f"f AS (SELECT customer_id, stage, occurred_at, row_number() OVER (PARTITION BY "
        f"customer_id ORDER BY occurred_at, event_id) AS pos FROM events "
        f"WHERE stage IN ({names}))",
        f"r1 AS (SELECT customer_id, min(pos) AS p1, min(occurred_at) AS t1 FROM f "
        f"WHERE stage = '{stages[0]}' GROUP BY customer_id)",
    ]
    for k, stage in enumerate(stages[1:], start=2):
        parts.append(
            f"r{k} AS (SELECT f.customer_id, min(f.pos) AS p{k}, min(f.occurred_at) AS t{k} "
            f"FROM f JOIN r{k - 1} USING (customer_id) WHERE f.stage = '{stage}' "
            f"AND f.pos > r{k - 1}.p{k - 1} GROUP BY f.customer_id)"
        )
    joins = " ".join(f"LEFT JOIN r{k} USING (customer_id)" for k in range(2, len(stages) + 1))
    figures = ["count(*) AS entered_1"]
    for k in range(2, len(stages) + 1):
        prev, start = f"epoch(t{k}) - epoch(t{k - 1})", f"epoch(t{k}) - epoch(t1)"
        figures += [
            f"count(t{k}) AS entered_{k}",
            f"median({prev}) AS med_prev_{k}",
            f"quantile_cont({prev}, 0.9) AS p90_prev_{k}",
            f"median({start}) AS med_start_{k}",
            f"avg({start}) AS mean_start_{k}",
        ]
    return "WITH " + ",\n".join(parts) + f"\nSELECT {', '.join(figures)} FROM r1 {joins}"


def funnel_counts(wide: pd.DataFrame, stages: list[str]) -> pd.DataFrame:
    """Return the one-row result of :func:`funnel_sql` as ``step, name, entered``."""
    return pd.DataFrame({
        "step": range(1, len(stages) + 1), "name": stages,
        "entered": [int(wide[f"entered_{k}"].iloc[0]) for k in range(1, len(stages) + 1)],
    })  # fmt: skip


class CxlensWorkload:
    """cxlens: the directly-follows graph and the funnel through ``Journey``."""

    def __init__(self, workspace: str) -> None:
        from cxlens import Workspace
        from cxlens.journey.namespace import Journey

        self.ws = Workspace(workspace)
        self.journey = Journey(self.ws)

    def run(self) -> dict[str, pd.DataFrame]:
        return {"dfg": self.journey.dfg(), "funnel": self.journey.funnel(FUNNEL)}

    def tidy(self, result: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
        return {"dfg": result["dfg"], "funnel": result["funnel"][["step", "name", "entered"]]}


class CxlensGraphWorkload(CxlensWorkload):
    """cxlens: the directly-follows graph alone, timed against pm4py's graph discovery."""

    def run(self) -> dict[str, pd.DataFrame]:
        return {"dfg": self.journey.dfg()}

    def tidy(self, result: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
        return {"dfg": result["dfg"]}


class DuckdbSqlWorkload:
    """The same two queries written directly in DuckDB SQL."""

    def __init__(self, workspace: str) -> None:
        import duckdb

        self.con = duckdb.connect(workspace, read_only=True)

    def run(self) -> dict[str, pd.DataFrame]:
        return {
            "dfg": self.con.execute(DFG_SQL).fetch_df(),
            "funnel": self.con.execute(funnel_sql(FUNNEL)).fetch_df(),
        }

    def tidy(self, result: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
        return {"dfg": result["dfg"], "funnel": funnel_counts(result["funnel"], FUNNEL)}


class Pm4pyWorkload:
    """pm4py's DFG discovery (counts, then mean and median seconds) on a pandas frame."""

    def __init__(self, parquet: str, rows: int) -> None:
        import pm4py

        self.pm4py = pm4py
        self.parquet = parquet
        self.rows = rows

    def run(self) -> dict[str, Any]:
        cols = ["event_id", "customer_id", "occurred_at", "touchpoint"]
        frame = pd.read_parquet(self.parquet, columns=cols)
        if self.rows < len(frame):
            frame = frame.iloc[: self.rows]
        frame = frame.sort_values(["customer_id", "occurred_at", "event_id"], kind="stable")
        log = frame.rename(columns={"customer_id": "case:concept:name",
                                    "touchpoint": "concept:name",
                                    "occurred_at": "time:timestamp"})  # fmt: skip
        counts, _, _ = self.pm4py.discover_dfg(log)
        perf, _, _ = self.pm4py.discover_performance_dfg(log)
        return {"counts": counts, "perf": perf}

    def tidy(self, result: dict[str, Any]) -> dict[str, pd.DataFrame]:
        rows = [(s, t, int(n), float(result["perf"][(s, t)]["mean"]),
                 float(result["perf"][(s, t)]["median"]))
                for (s, t), n in result["counts"].items()]  # fmt: skip
        cols = ["source", "target", "count", "mean_seconds", "median_seconds"]
        return {"dfg": pd.DataFrame(rows, columns=cols)}


#: The implementation timing cxlens's graph alone (pm4py computes no funnel).
GRAPH_ONLY = "cxlens-graph"


def factories(db: str, parquet: str, pm4py_rows: int) -> dict[str, tuple[str, dict[str, Any]]]:
    """Return ``{implementation: ("module:factory", kwargs)}`` in timing order."""
    here = "benchmarks.journey_dfg_impls"
    return {
        "cxlens": (f"{here}:CxlensWorkload", {"workspace": db}),
        GRAPH_ONLY: (f"{here}:CxlensGraphWorkload", {"workspace": db}),
        "duckdb-sql": (f"{here}:DuckdbSqlWorkload", {"workspace": db}),
        "pm4py": (f"{here}:Pm4pyWorkload", {"parquet": parquet, "rows": pm4py_rows}),
    }
