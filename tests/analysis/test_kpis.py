"""KPIs: definitions in the workspace, filters, status rules, trends and alerts."""

from __future__ import annotations

import doctest
import math
from pathlib import Path

import pandas as pd
import pytest
from scipy import stats

import cxlens
import cxlens.analysis.kpis as kpis_module
from cxlens.analysis.kpis import KPI_TABLE, STATUS_COLUMNS, Kpis, alerts, classify
from cxlens.errors import ArgumentError, SchemaError
from tests.conftest import ENGINES, on_engine

Z95 = stats.norm.ppf(0.975)
JAN = [10] * 24 + [8] * 8 + [3] * 8  # NPS +40
FEB = [10] * 10 + [8] * 10 + [3] * 20  # NPS -25


def _ingest(ws: cxlens.Workspace, directory: Path, table: str, frame: pd.DataFrame) -> None:
    path = directory / f"{table}.csv"
    frame.to_csv(path, index=False)
    ws.ingest(path, table=table)


def _two_months(directory: Path) -> cxlens.Workspace:
    """Jan 2025: NPS 40 from segment A at X; Feb 2025: NPS -25 from segment B at Y."""
    rows = []
    for month, scores, seg, tp in ((1, JAN, "A", "X"), (2, FEB, "B", "Y")):
        for k, score in enumerate(scores):
            rows.append(
                {
                    "response_id": f"r{month}-{k}",
                    "customer_id": f"{seg}{k}",
                    "responded_at": f"2025-{month:02d}-10",
                    "touchpoint": tp,
                    "nps": score,
                    "csat": 5 if k % 2 else 2,
                }
            )
    customers = pd.DataFrame(
        {
            "customer_id": [f"{s}{k}" for s in "AB" for k in range(40)],
            "segment": ["A"] * 40 + ["B"] * 40,
            "first_seen": "2024-12-01",
            # churn: 1 of 80 leaves in January, 8 of 79 in February
            "churned_at": ["2025-01-20"] + ["2025-02-20"] * 8 + [None] * 71,
        }
    )
    directory.mkdir(parents=True, exist_ok=True)
    ws = cxlens.Workspace(directory / "ws.duckdb")
    _ingest(ws, directory, "customers", customers)
    _ingest(ws, directory, "responses", pd.DataFrame(rows))
    return ws


@pytest.fixture(params=ENGINES)
def ws2(request, tmp_path):
    """Two months of answers, on each engine (Spark: a copy of the same tables)."""
    ws = _two_months(tmp_path / "two")
    yield on_engine(request, ws)
    ws.close()


# --------------------------------------------------------------------------- status rule


@pytest.mark.parametrize(
    ("value", "target", "kw", "expected"),
    [
        (50.0, 50.0, {}, "on track"),  # meets the target exactly
        (50.1, 50.0, {}, "on track"),
        (45.0, 50.0, {"warning_band": 5.0}, "at risk"),  # misses by exactly the band
        (44.99, 50.0, {"warning_band": 5.0}, "off track"),
        (44.0, 50.0, {"warning_band": 5.0, "ci_low": 38.0, "ci_high": 50.0}, "at risk"),
        (44.0, 50.0, {"warning_band": 5.0, "ci_low": 38.0, "ci_high": 49.99}, "off track"),
        (49.9, 50.0, {}, "off track"),  # no band, no interval: any miss is off track
        (2.0, 2.0, {"higher_is_better": False}, "on track"),  # churn at the target
        (1.5, 2.0, {"higher_is_better": False}, "on track"),
        (2.5, 2.0, {"higher_is_better": False, "warning_band": 0.5}, "at risk"),
        (2.51, 2.0, {"higher_is_better": False, "warning_band": 0.5}, "off track"),
        (float("nan"), 2.0, {}, "no data"),
    ],
)
def test_status_rule_at_the_boundaries(value, target, kw, expected):
    assert classify(value, target, **kw) == expected


# --------------------------------------------------------------------------- definitions


def test_kpis_persist_across_reopening(tmp_path):
    path = tmp_path / "ws.duckdb"
    with cxlens.Workspace(path) as ws:
        kpis = Kpis(ws)
        kpis.define("NPS", "nps", 30, warning_band=5, deadline="2026-06-30", owner="Ana")
        kpis.define("Churn", "churn", 2.0, filter={"segment": ["A", "B"]})
        kpis.define("NPS", "nps", 35)  # redefining replaces
        assert ws.has_table(KPI_TABLE)
    with cxlens.Workspace(path) as ws:
        listed = Kpis(ws).list()
        assert listed.to_dict("records") == [
            {
                "name": "Churn",
                "metric": "churn",
                "filter": '{"segment": ["A", "B"]}',
                "target": 2.0,
                "direction": "lower is better",
                "warning_band": 0.0,
                "deadline": None,
                "owner": None,
            },
            {
                "name": "NPS",
                "metric": "nps",
                "filter": "{}",
                "target": 35.0,
                "direction": "higher is better",
                "warning_band": 0.0,
                "deadline": None,
                "owner": None,
            },
        ]
        Kpis(ws).remove("Churn")
        with pytest.raises(ArgumentError, match="no KPI named 'Churn'; defined KPIs: NPS"):
            Kpis(ws).remove("Churn")
        Kpis(ws).remove("NPS")
        assert Kpis(ws).list().empty
    with cxlens.Workspace(path) as ws:
        assert Kpis(ws).list().empty


def test_filter_validation(ws2):
    kpis = Kpis(ws2)
    with pytest.raises(SchemaError, match="'segmnt' is not a column") as err:
        kpis.define("x", "nps", 10, filter={"segmnt": "A"})
    assert "available columns: response_id, customer_id" in str(err.value)
    assert "touchpoint" in str(err.value) and "segment" in str(err.value)
    assert "_load_id" not in str(err.value)
    with pytest.raises(SchemaError, match="'touchpoint' is not a column of customers"):
        kpis.define("x", "churn", 2, filter={"touchpoint": "X"})
    with pytest.raises(SchemaError, match="'segment' is not a column of posts"):
        kpis.define("x", "engagement", 2, filter={"segment": "A"})
    with pytest.raises(ArgumentError, match="takes text, numbers or booleans"):
        kpis.define("x", "nps", 10, filter={"segment": {"in": "A"}})
    with pytest.raises(ArgumentError, match="needs at least one value"):
        kpis.define("x", "nps", 10, filter={"segment": []})
    with pytest.raises(ArgumentError, match="unknown KPI metric 'clv'"):
        kpis.define("x", "clv", 10)
    with pytest.raises(ArgumentError, match="target must be a number"):
        kpis.define("x", "nps", "high")
    with pytest.raises(ArgumentError, match="warning_band must be 0 or more"):
        kpis.define("x", "nps", 10, warning_band=-1)
    with pytest.raises(ArgumentError, match="deadline must be a date"):
        kpis.define("x", "nps", 10, deadline="soon")
    assert kpis.list().empty


def test_filter_columns_follow_the_schema_before_data_is_loaded():
    ws = cxlens.Workspace(":memory:")
    kpi = Kpis(ws).define("smb", "nps", 20, filter={"segment": "smb", "touchpoint": "billing"})
    assert kpi.filter == {"segment": ["smb"], "touchpoint": ["billing"]}
    status = Kpis(ws).status()
    assert status["status"].tolist() == ["no data"]


def test_load_from_yaml(ws2, tmp_path):
    path = tmp_path / "kpis.yaml"
    path.write_text(
        "- name: SMB billing NPS\n"
        "  metric: nps\n"
        "  target: 20\n"
        "  filter: {segment: A, touchpoint: X}\n"
        "  warning_band: 5\n"
        "  deadline: 2026-06-30\n"
        "  owner: Ana\n"
        "- {name: Churn, metric: churn, target: 2.5}\n",
        encoding="utf-8",
    )
    listed = Kpis(ws2).load(path)
    assert listed["name"].tolist() == ["SMB billing NPS", "Churn"]
    assert listed.iloc[0]["deadline"] == "2026-06-30"
    assert listed.iloc[0]["filter"] == '{"segment": ["A"], "touchpoint": ["X"]}'
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "kpis:\n  - {name: ok, metric: nps, target: 1}\n  - {name: bad, metric: nps, target: 1, "
        "filter: {tier: gold}}\n",
        encoding="utf-8",
    )
    with pytest.raises(SchemaError, match="'tier' is not a column"):
        Kpis(ws2).load(bad)
    bad.write_text("- {name: x, metric: nps, goal: 3}\n", encoding="utf-8")
    with pytest.raises(ArgumentError, match=r"KPI #1 has unknown keys \['goal'\]"):
        Kpis(ws2).load(bad)
    assert Kpis(ws2).list()["name"].tolist() == ["SMB billing NPS", "Churn"]  # nothing half-loaded


# --------------------------------------------------------------------------- status


def test_status_on_two_periods_with_hand_numbers(ws2):
    kpis = Kpis(ws2)
    kpis.define("NPS", "nps", 30, warning_band=5, owner="Ana")
    status = kpis.status(as_of="2025-03-01")
    assert list(status.columns) == list(STATUS_COLUMNS)
    row = status.iloc[0]
    se = 100 * math.sqrt((0.25 + 0.5 - 0.25**2) / 40)  # p = 10/40, d = 20/40
    assert row["period"] == pd.Timestamp("2025-02-01")
    assert row["value"] == pytest.approx(-25.0)
    assert (row["ci_low"], row["ci_high"]) == pytest.approx((-25 - Z95 * se, -25 + Z95 * se))
    assert row["n"] == 40
    assert row["gap"] == pytest.approx(-55.0)
    assert row["status"] == "off track"
    assert row["previous_value"] == pytest.approx(40.0)
    assert row["previous_status"] == "on track"
    assert row["change"] == pytest.approx(-65.0)
    assert row["significant"] and row["trend"] == "worsening"
    assert row["owner"] == "Ana"


def test_as_of_uses_the_latest_complete_period(ws2):
    kpis = Kpis(ws2)
    kpis.define("NPS", "nps", 30)
    row = kpis.status(as_of="2025-02-15").iloc[0]
    assert row["period"] == pd.Timestamp("2025-01-01")  # February is not over yet
    assert row["value"] == pytest.approx(40.0) and row["status"] == "on track"
    assert pd.isna(row["previous_status"]) and row["trend"] is None
    assert kpis.status(as_of="2025-01-31").iloc[0]["status"] == "no data"


def test_filters_give_the_metric_of_the_slice(ws2):
    kpis = Kpis(ws2)
    kpis.define("A", "nps", 0, filter={"segment": "A"})  # a customers column
    kpis.define("Y", "nps", 0, filter={"touchpoint": "Y"})  # a responses column
    kpis.define("both", "nps", 0, filter={"segment": ["A", "B"]})
    kpis.define("none", "nps", 0, filter={"segment": "A", "touchpoint": "Y"})
    jan = kpis.status(as_of="2025-02-01").set_index("name")
    feb = kpis.status(as_of="2025-03-01").set_index("name")
    assert jan.loc["A", "value"] == pytest.approx(40.0)
    assert feb.loc["A", "period"] == pd.Timestamp("2025-01-01")  # A answered only in January
    assert feb.loc["Y", "value"] == pytest.approx(-25.0)
    by_month = ws2.metrics.nps(every="month")
    assert feb.loc["both", "value"] == pytest.approx(by_month["value"].iloc[-1])
    assert feb.loc["both", "ci_low"] == pytest.approx(by_month["ci_low"].iloc[-1])
    assert feb.loc["none", "status"] == "no data"


def test_churn_kpi_lower_is_better(ws2):
    kpis = Kpis(ws2)
    kpis.define("Churn", "churn", 2.0, warning_band=1.0)
    row = kpis.status(as_of="2025-03-01").iloc[0]
    assert row["value"] == pytest.approx(100 * 8 / 79)
    assert row["gap"] == pytest.approx(2.0 - 100 * 8 / 79)
    assert row["status"] == "off track"
    assert row["previous_value"] == pytest.approx(100 / 80)
    assert row["previous_status"] == "on track"
    assert row["direction"] == "lower is better"


def test_engagement_kpi_filters_posts(tmp_path):
    posts = pd.DataFrame(
        {
            "post_id": [f"p{i}" for i in range(6)],
            "platform": "x",
            "brand": ["us", "us", "us", "them", "them", "them"],
            "posted_at": "2025-01-05",
            "likes": [10, 20, 30, 1, 2, 3],
            "reach": [100, 200, 400, 100, 100, 100],
        }
    )
    with cxlens.Workspace(tmp_path / "ws.duckdb") as ws:
        _ingest(ws, tmp_path, "posts", posts)
        kpis = Kpis(ws)
        kpis.define("us", "engagement", 8.0, filter={"brand": "us"})
        row = kpis.status(as_of="2025-02-01").iloc[0]
        expected = ws.metrics.engagement(by=["brand"], every="month").set_index("brand").loc["us"]
    assert row["value"] == pytest.approx(100 * 60 / 700)
    assert row["value"] == pytest.approx(expected["value"])
    assert row["ci_low"] == pytest.approx(expected["ci_low"])
    assert row["status"] == "on track"


# --------------------------------------------------------------------------- alerts


def test_alert_fires_when_a_kpi_goes_from_on_track_to_off_track(ws2):
    kpis = Kpis(ws2)
    kpis.define("NPS", "nps", 30, warning_band=5)
    kpis.define("Low bar", "nps", -50)  # on track both months: no alert
    found = alerts(ws2, insight_threshold=None, as_of="2025-03-01")
    assert found["name"].tolist() == ["NPS"]
    alert = found.iloc[0]
    assert (alert["source"], alert["severity"], alert["status"]) == ("kpi", "critical", "off track")
    assert alert["message"] == (
        "KPI 'NPS' (NPS of all customers) went from on track to off track in Feb 2025: −25 "
        "(95% CI −51 to 1) against a target of 30, short by 55.0 points (warning band 5)."
    )
    # nothing to compare with in January: no alert
    assert alerts(kpis, insight_threshold=None, as_of="2025-02-01").empty


def test_alerts_include_insights_above_the_threshold(tmp_path):
    from tests.analysis.test_insights import _responses, _workspace

    with _workspace(tmp_path, _responses(("A", "X"))) as ws:
        found = Kpis(ws).alerts(
            insight_threshold=50.0, metrics=["nps"], dimensions=["segment", "touchpoint"]
        )
        none = alerts(ws, insight_threshold=1e6, metrics=["nps"], dimensions=["segment"])
    assert set(found["source"]) == {"insight"}
    assert set(found["name"]) == {"nps vs rest: segment × touchpoint = A × X",
                                  "nps vs own past: segment × touchpoint = A × X"}  # fmt: skip
    assert (found["severity"] == "warning").all() and (found["score"] > 50).all()
    assert found["message"].str.startswith("NPS of A customers at X").all()
    assert none.empty


def test_docstring_examples_run():
    result = doctest.testmod(kpis_module, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0 and result.failed == 0
