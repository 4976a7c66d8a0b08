"""ws.analysis and ws.kpis reach the same results as the functions behind them."""

import pandas as pd
import pytest
from rich.console import Console

import cxlens
from cxlens.analysis import drivers, loyalty, segments
from cxlens.demo import run_demo

pytestmark = pytest.mark.slow  # every analysis on a 3,000-customer sample


@pytest.fixture(scope="module")
def ws(tmp_path_factory):
    directory = tmp_path_factory.mktemp("ns")
    run_demo(directory, customers=1500, months=24, seed=3, console=Console(quiet=True))
    workspace = cxlens.Workspace(directory / "cxlens.duckdb")
    yield workspace
    workspace.close()


def test_drivers_and_priority_matrix(ws):
    got = ws.analysis.drivers("nps", bootstrap=50)
    direct = drivers.drivers_for_workspace(ws, "nps", bootstrap=50)
    pd.testing.assert_frame_equal(got, direct)
    assert got["rescaled_weight"].sum() == pytest.approx(100)
    matrix = ws.analysis.priority_matrix("nps")
    assert set(matrix["quadrant"]) <= {"fix first", "maintain", "lower priority",
                                       "possible overkill"}  # fmt: skip


def test_loyalty_monetization_and_effort(ws):
    matrix = ws.analysis.loyalty_matrix()
    pd.testing.assert_frame_equal(matrix.summary, loyalty.loyalty_matrix(ws).summary)
    money = ws.analysis.monetization(n_boot=50)
    assert list(money.by_group["nps_group"]) == ["promoter", "passive", "detractor"]
    assert money.uplift.assumptions
    effort = ws.analysis.effort()
    assert set(effort.by_touchpoint["touchpoint"]) >= {"billing", "support"}


def test_segments_are_saved_and_group_metrics(ws):
    found = ws.analysis.segments(k=3)
    assert found.clusters.k == 3
    stored = ws.table("customer_segments").execute()
    assert {"customer_id", "rfm_segment", "cluster"} <= set(stored.columns)
    by_cluster = ws.metrics.nps(by=["cluster"])
    assert by_cluster["n"].sum() == ws.metrics.nps()["n"].iloc[0]
    assert sorted(by_cluster["cluster"].dropna()) == ["C1", "C2", "C3"]
    pd.testing.assert_frame_equal(
        found.rfm.sort_values("customer_id").reset_index(drop=True),
        segments.rfm(ws).sort_values("customer_id").reset_index(drop=True),
    )
