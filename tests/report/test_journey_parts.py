"""The report's journey section: stage order from the data, charts, funnel, pain points, notes."""

from __future__ import annotations

import re

import pandas as pd
import pytest

import cxlens
from cxlens.display import display_name
from cxlens.journey.cases import CaseSpec
from cxlens.report.journey_parts import journey_part, stage_order
from tests.analysis.test_features import sample_workspace
from tests.report.test_models_parts import table_rows, text
from tests.test_cli_journey import _funnel_by_hand

CHARTS = ["chart-journey-map", "chart-journey-emotion", "chart-journey-sankey",
          "chart-journey-funnel"]  # fmt: skip


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    ws, data = sample_workspace(tmp_path_factory.mktemp("journey-report"), customers=1500)
    events = data.tables["events"].copy()
    events["occurred_at"] = pd.to_datetime(events["occurred_at"])
    events = events.sort_values(["customer_id", "occurred_at", "event_id"], kind="mergesort")
    part = journey_part(ws)
    yield ws, data, events.reset_index(drop=True), part
    ws.close()


def test_stage_order_is_the_planted_one_with_reach_by_hand(built):
    ws, data, events, _ = built
    order = stage_order(ws)
    assert order["stage"].tolist() == data.truth["events"]["stages"]
    journeys = events.groupby("stage")["customer_id"].nunique()
    total = events["customer_id"].nunique()
    assert order.set_index("stage")["journeys"].to_dict() == journeys.to_dict()
    assert order.set_index("stage")["reach"].to_dict() == pytest.approx(
        (journeys / total).to_dict()
    )
    assert not bool(order.set_index("stage").loc["support", "in_funnel"])  # 41% reach it
    # median days from a customer's first event to the first event in the stage, by hand
    first = events.groupby(["customer_id", "stage"])["occurred_at"].min().reset_index()
    start = events.groupby("customer_id")["occurred_at"].min().rename("start")
    first = first.join(start, on="customer_id")
    days = ((first["occurred_at"] - first["start"]).dt.total_seconds() / 86400).groupby(
        first["stage"]
    )
    got = order.set_index("stage")["median_days_to_first"]
    assert got.to_dict() == pytest.approx(days.median().to_dict(), abs=1e-6)
    assert stage_order(ws, min_reach=0.0)["in_funnel"].all()


def test_section_draws_every_chart_and_counts_the_funnel_like_by_hand(built):
    _, _, events, part = built
    section = part.section
    assert (section.id, section.title) == ("journeys", "Customer journeys")
    for div in CHARTS:
        assert section.body_html.count(f'id="{div}"') == 1, div
        assert re.search(rf'Plotly\.newPlot\(\s*"{div}"', section.body_html), div
    assert '<p class="note">' not in section.body_html
    rows = table_rows(section.body_html, "<h3>Funnel</h3>")
    stages = [r[1] for r in rows]
    assert stages == ["Awareness", "Consideration", "Purchase", "Onboarding", "Usage", "Renewal"]
    # the table shows display names; the events hold the stages as in the data
    raw = [s.lower() for s in stages]
    assert [int(r[2].replace(",", "")) for r in rows] == _funnel_by_hand(events, raw)
    assert part.methods[0][0] == "Customer journeys"


def test_pain_points_table_follows_the_api_ranking(built):
    ws, data, _, part = built
    pains = ws.journey.pain_points()
    rows = table_rows(part.section.body_html, "<h3>Pain points</h3>")
    assert len(rows) == min(10, len(pains))
    assert [r[1] for r in rows] == [display_name(t) for t in pains["touchpoint"].head(10)]
    top = pains.iloc[0]
    assert rows[0][0] == "1" and rows[0][6].startswith(f"{top['lift']:.2f}")
    planted = data.truth["planted_problem"]
    assert any(
        r[1] == display_name(planted["touchpoint"]) and display_name(planted["segment"]) in r[2]
        for r in rows
    )


def test_emotion_curve_follows_journey_order(built):
    _, _, _, part = built
    body = part.section.body_html
    # where the emotion comes from, in words (no "source: scores")
    assert "from the NPS, CSAT and CES answers mapped to -1 to +1" in text(body)


def test_no_events_gives_a_note(tmp_path):
    ws = cxlens.Workspace(tmp_path / "empty.duckdb")
    section = journey_part(ws).section
    ws.close()
    assert section.body_html.startswith('<p class="note">Customer journeys is not shown: ')
    assert "no 'events' table" in text(section.body_html)


def test_events_without_stages_still_get_the_map_and_a_funnel_note(tmp_path):
    events = pd.DataFrame(
        {
            "event_id": [f"e{i}" for i in range(6)],
            "customer_id": ["a", "a", "a", "b", "b", "c"],
            "occurred_at": pd.to_datetime(["2025-01-01", "2025-01-02", "2025-01-05",
                                           "2025-01-01", "2025-01-03", "2025-01-02"]),
            "touchpoint": ["ad", "web", "shop", "ad", "web", "ad"],
        }
    )  # fmt: skip
    path = tmp_path / "events.csv"
    events.to_csv(path, index=False)
    ws = cxlens.Workspace(tmp_path / "w.duckdb")
    ws.ingest(path, table="events")
    section = journey_part(ws).section
    flows = ws.journey.flows(steps=5)
    ws.close()
    body = section.body_html
    assert 'id="chart-journey-map"' in body and 'id="chart-journey-sankey"' in body
    assert 'id="chart-journey-funnel"' not in body
    notes = re.findall(r'<p class="note">(.*?)</p>', body)
    assert any(n.startswith("The funnel is not shown:") and "stage" in n for n in notes), notes
    assert any(n.startswith("The emotion per touchpoint is not shown:") for n in notes), notes
    # moves by hand: a: ad>web, web>shop; b: ad>web
    moves = flows.groupby(["source", "target"])["count"].sum().to_dict()
    assert moves[("ad", "web")] == 2 and moves[("web", "shop")] == 1


@pytest.mark.spark
def test_stage_order_on_spark_matches_duckdb(spark_ws, ws, tmp_path):
    events = pd.DataFrame(
        {
            "event_id": [f"e{i}" for i in range(7)],
            "customer_id": ["a", "a", "a", "b", "b", "b", "c"],
            "occurred_at": pd.to_datetime(["2025-01-01", "2025-01-03", "2025-01-09",
                                           "2025-01-01", "2025-01-02", "2025-01-04",
                                           "2025-01-05"]),
            "touchpoint": ["ad", "web", "shop", "ad", "web", "shop", "ad"],
            "stage": ["aware", "consider", "buy", "aware", "consider", "buy", "aware"],
        }
    )  # fmt: skip
    path = tmp_path / "events.csv"
    events.to_csv(path, index=False, date_format="%Y-%m-%d %H:%M:%S")
    for w in (ws, spark_ws):
        assert w.ingest(path, table="events").rows_quarantined == 0
    duck, spark = stage_order(ws), stage_order(spark_ws, spec=CaseSpec())
    assert duck["stage"].tolist() == ["aware", "consider", "buy"]
    # consider: a after 2 days, b after 1 -> median 1.5; buy: 8 and 3 -> 5.5
    assert duck["median_days_to_first"].tolist() == pytest.approx([0.0, 1.5, 5.5])
    assert duck["journeys"].tolist() == [3, 2, 2]
    pd.testing.assert_frame_equal(spark, duck, check_dtype=False)


def test_the_sankeys_last_column_flows_on_into_an_invisible_column():
    from cxlens.journey.charts import sankey_figure

    # a → b (3), a → c (2), b → d (3): c is where two journeys end, d the last column
    flows = pd.DataFrame({"step": [1, 1, 2], "source": ["a", "a", "b"],
                          "target": ["b", "c", "d"], "count": [3, 2, 3]})  # fmt: skip
    trace = sankey_figure(flows, title="").data[0]
    labels = list(trace.node.label)
    assert labels == ["a", "b", "c", "d", ""]
    edge = labels.index("")
    links = list(zip(trace.link.source, trace.link.target, trace.link.value, strict=True))
    # only d (the last column) flows on, with the journeys that reached it; c stays put
    assert [(labels[s], v) for s, t, v in links if t == edge] == [("d", 3)]
    assert trace.node.color[edge] == trace.link.color[-1] == "rgba(0, 0, 0, 0)"
    # every node in the column of its position (Plotly's default moves c to the last one)
    assert trace.node.align == "left"
    hover = list(trace.node.hovertemplate)
    assert hover[edge] == "<extra></extra>" and "journeys" in hover[0]
