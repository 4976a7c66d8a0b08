"""A tile's benchmark verdict judges the figure the tile shows: the latest full period."""

from __future__ import annotations

import pandas as pd

import cxlens
from cxlens.metrics.benchmarks import compare
from cxlens.report.collect import collect_metrics
from cxlens.report.sections import kpi_tile


def test_the_tile_verdict_is_for_the_latest_full_month_not_the_whole_period(tmp_path):
    # January: 60 promoters (NPS 100); February, covered to its last day: 20 detractors
    # (NPS -100). Whole period: (60 - 20) / 80 = NPS 50. The tile shows February.
    days = ["2024-01-01"] * 30 + ["2024-01-31"] * 30 + ["2024-02-01"] * 10 + ["2024-02-29"] * 10
    answers = pd.DataFrame(
        {
            "response_id": [f"r{i}" for i in range(80)],
            "customer_id": [f"c{i}" for i in range(80)],
            "responded_at": days,
            "nps": [10] * 60 + [0] * 20,
        }
    )
    path = tmp_path / "responses.csv"
    answers.to_csv(path, index=False)
    with cxlens.Workspace(tmp_path / "ws.duckdb") as ws:
        ws.ingest(path, table="responses")
        results, _ = collect_metrics(ws, by=None)
    nps = next(r for r in results if r.spec.key == "nps")
    assert float(nps.overall["value"]) == 50.0
    want = compare("nps", -100.0)  # the benchmarks' own verdicts on February's figure
    assert set(want["verdict"]) == {"below"} != set(compare("nps", 50.0)["verdict"])
    tile = kpi_tile(nps, "month", 0.95)
    assert tile.value == nps.spec.fmt(-100.0) and "February 2024" in tile.long_label
    assert [b.verdict for b in tile.benchmarks] == want["verdict"].tolist()
