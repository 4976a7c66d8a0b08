"""ws.journey on the sample: the planted problem, reference checks in pandas, charts, Spark."""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import pytest

from cxlens.journey import charts
from cxlens.journey.namespace import Journey
from tests.analysis.test_features import sample_workspace
from tests.conftest import ENGINES, on_engine
from tests.journey.logs import HAND


@pytest.fixture(scope="module")
def duckdb_sample(tmp_path_factory):
    ws, data = sample_workspace(tmp_path_factory.mktemp("journey"))
    yield ws, data
    ws.close()


@pytest.fixture(scope="module", params=ENGINES)
def sample(request, duckdb_sample):
    """The sample's journeys on each engine (Spark: a copy of the same tables)."""
    ws, data = duckdb_sample
    return Journey(on_engine(request, ws)), data


def test_the_planted_problem_touchpoint_is_the_first_pain_point(sample):
    journey, data = sample
    got = journey.pain_points()
    planted = data.truth["planted_problem"]
    top = got.iloc[0]
    assert top["touchpoint"] == planted["touchpoint"] == "billing"
    assert top["group"] == planted["segment"] and top["rank"] == 1
    assert top["lift_ci_low"] > 1


def test_dfg_and_stage_funnel_match_pandas_on_the_sample(sample):
    journey, data = sample
    ev = data.tables["events"].sort_values(["customer_id", "occurred_at", "event_id"])
    nxt = ev.groupby("customer_id")["touchpoint"].shift(-1)
    want = pd.crosstab(ev["touchpoint"], nxt).stack()
    want = want[want > 0]
    got = journey.dfg().set_index(["source", "target"])["count"]
    assert got.sort_index().to_dict() == {k: int(v) for k, v in want.sort_index().items()}
    steps = ["awareness", "consideration", "purchase", "onboarding"]
    entered = []
    for _, g in ev.groupby("customer_id"):
        k = 0
        for stage in g["stage"]:
            if k < len(steps) and stage == steps[k]:
                k += 1
        entered.append(k)
    entered = np.array(entered)
    want = [int((entered >= k).sum()) for k in range(1, 5)]
    assert journey.funnel(steps)["entered"].tolist() == want


def test_every_method_returns_a_table_and_the_charts_draw(sample):
    journey, data = sample
    tps = journey.touchpoints()
    assert set(tps["touchpoint"]) == set(data.tables["events"]["touchpoint"])
    assert tps.iloc[0]["stage"] == "awareness"
    emo = journey.emotion()
    assert (emo["emotion_source"] == "scores").all()
    assert emo["touchpoint"].tolist()[0] == "installation"  # the earliest surveyed touchpoint
    var = journey.variants(level="stage", converted="purchase", top=5)
    assert len(var) == 5 and var["share"].is_monotonic_decreasing
    between = journey.time_between_stages()
    assert (between["source"] != between["target"]).all()
    figures = [
        charts.sankey_figure(journey.flows(steps=4)),
        charts.journey_map_figure(tps, emo),
        charts.emotion_curve_figure(emo),
        charts.funnel_figure(journey.funnel(["awareness", "purchase"], by="segment")),
    ]
    assert all(isinstance(f, go.Figure) and f.data for f in figures)
    assert len(figures[3].data) == 3  # one funnel per segment
    assert journey.time_in_stage()["stays"].gt(0).all()
    assert journey.with_cases("session").spec.case == "session"


@pytest.mark.spark
def test_dfg_and_funnel_on_spark_match_duckdb(spark_ws, ws, tmp_path):
    path = tmp_path / "events.csv"
    HAND.to_csv(path, index=False, date_format="%Y-%m-%d %H:%M:%S")
    for w in (ws, spark_ws):
        assert w.ingest(path, table="events").rows_quarantined == 0
    duck, spark = Journey(ws), Journey(spark_ws)
    pd.testing.assert_frame_equal(spark.dfg(), duck.dfg(), check_dtype=False)
    steps = ["awareness", "consideration"]
    a, b = spark.funnel(steps), duck.funnel(steps)
    assert a["entered"].tolist() == b["entered"].tolist() == [2, 1]
    pd.testing.assert_frame_equal(a, b, check_dtype=False)
