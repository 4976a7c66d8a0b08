"""The ``cxlens journey`` commands on the sample workspace.

Counts printed are checked against the Python API (``ws.journey``) and against plain pandas
over the sample's events, and the funnel's default stages against the sample's planted
stage order.
"""

from __future__ import annotations

import pandas as pd
import pytest
from typer.testing import CliRunner

import cxlens
from cxlens.cli import app
from tests.analysis.test_features import sample_workspace
from tests.test_cli import row_of

runner = CliRunner(env={"COLUMNS": "250"})


def run(*args: object):
    return runner.invoke(app, [str(a) for a in args])


def cells(output: str, first: str) -> list[str]:
    return [c.strip() for c in row_of(output, first).strip("│ ").split("│")]


@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    folder = tmp_path_factory.mktemp("journey-cli")
    ws, data = sample_workspace(folder, customers=1500)
    ws.close()
    events = data.tables["events"].copy()
    events["occurred_at"] = pd.to_datetime(events["occurred_at"])
    events = events.sort_values(["customer_id", "occurred_at", "event_id"], kind="mergesort")
    return folder / "sample.duckdb", data, events.reset_index(drop=True)


def test_touchpoints_reach_by_hand(sample, tmp_path):
    path, _, events = sample
    result = run("journey", "touchpoints", "-w", path)
    assert result.exit_code == 0, result.output
    reach = events.groupby("touchpoint")["customer_id"].nunique()
    for touchpoint, customers in reach.items():
        row = cells(result.output, touchpoint)
        assert int(row[2]) == customers, (touchpoint, row)
    distinct = events.groupby("customer_id")["touchpoint"].nunique()
    assert f"mean {distinct.mean():.2f}, median {distinct.median():g}" in result.output
    out = tmp_path / "t.csv"
    assert run("journey", "touchpoints", "-o", out, "-w", path).exit_code == 0
    assert dict(zip(*pd.read_csv(out)[["touchpoint", "customers"]].T.values, strict=True)) == dict(
        reach
    )


def test_paths_lists_the_directly_follows_graph(sample):
    path, _, events = sample
    result = run("journey", "paths", "--top", 5, "--variants", 3, "-w", path)
    assert result.exit_code == 0, result.output
    # consecutive pairs within a customer's journey, in time then event-id order
    nxt = events.groupby("customer_id")["touchpoint"].shift(-1)
    pairs = pd.DataFrame({"source": events["touchpoint"], "target": nxt}).dropna()
    counts = pairs.value_counts().sort_values(ascending=False)
    assert f"top 5 of {len(counts):,} edges, {int(counts.sum()):,} moves" in result.output
    lines = result.output.splitlines()
    for (source, target), n in counts.head(5).items():
        assert any(x.startswith(f"│ {source} ") and f" {target} " in x and f" {n} " in x
                   for x in lines), (source, target, n)  # fmt: skip
    assert "most common journey variants" in result.output


def _funnel_by_hand(events: pd.DataFrame, stages: list[str]) -> list[int]:
    """Journeys reaching each step: step k is the first step-k event after step k-1's."""
    reached = [0] * len(stages)
    for _, journey in events.groupby("customer_id", sort=False):
        k = 0
        for stage in journey["stage"]:
            if k < len(stages) and stage == stages[k]:
                reached[k] += 1
                k += 1
    return reached


def test_funnel_chooses_the_planted_stage_order_and_counts_like_by_hand(sample):
    path, data, events = sample
    result = run("journey", "funnel", "-w", path)
    assert result.exit_code == 0, result.output
    # planted order, keeping the stages at least half of the journeys reach
    share = events.groupby("stage")["customer_id"].nunique() / events["customer_id"].nunique()
    expected = [s for s in data.truth["events"]["stages"] if share[s] >= 0.5]
    assert "support" not in expected  # the sample's side trip
    assert f"funnel: {' > '.join(expected)}" in result.output
    for stage, n in zip(expected, _funnel_by_hand(events, expected), strict=True):
        assert int(cells(result.output, str(expected.index(stage) + 1))[2]) == n, stage


def test_funnel_with_stages_by_segment(sample, tmp_path):
    path, data, events = sample
    out = tmp_path / "f.csv"
    stages = ["consideration", "onboarding"]
    result = run("journey", "funnel", "--stage", stages[0], "--stage", stages[1], "--by",
                 "segment", "-o", out, "-w", path)  # fmt: skip
    assert result.exit_code == 0, result.output
    written = pd.read_csv(out)
    segment = data.tables["customers"].set_index("customer_id")["segment"]
    for name, part in events.groupby(events["customer_id"].map(segment)):
        got = written[written["segment"] == name].sort_values("step")["entered"].tolist()
        assert got == _funnel_by_hand(part, stages), name


def test_time_in_stage_counts_stays(sample):
    path, _, events = sample
    result = run("journey", "time", "-w", path)
    assert result.exit_code == 0, result.output
    # a stay is a run of consecutive events in one stage
    new_run = (events["stage"] != events.groupby("customer_id")["stage"].shift()).astype(int)
    stays = events.assign(run=new_run).query("run == 1").groupby("stage").size()
    with cxlens.Workspace(path) as ws:
        trends = ws.journey.stage_trends()
    for stage, n in stays.items():
        assert int(cells(result.output, stage)[1]) == n, stage
    top = trends.iloc[0]
    assert any(f" {top['monthly_change']:.2f} " in x for x in result.output.splitlines()
               if x.startswith(f"│ {top['stage']} "))  # fmt: skip


def test_emotion_nps_per_touchpoint_by_hand(sample):
    path, data, _ = sample
    result = run("journey", "emotion", "-w", path)
    assert result.exit_code == 0, result.output
    answers = data.tables["responses"].dropna(subset=["touchpoint"])
    for touchpoint, part in answers.groupby("touchpoint"):
        nps = part["nps"].dropna()
        value = 100 * ((nps >= 9).mean() - (nps <= 6).mean())
        row = cells(result.output, touchpoint)
        assert int(row[2]) == len(part) and float(row[3]) == pytest.approx(value, abs=0.051)


def test_pain_points_match_the_api_and_find_the_planted_problem(sample):
    path, data, _ = sample
    result = run("journey", "pain-points", "--top", 5, "-w", path)
    assert result.exit_code == 0, result.output
    with cxlens.Workspace(path) as ws:
        pains = ws.journey.pain_points()
    top = pains.iloc[0]
    row = cells(result.output, "1")
    assert row[1] == top["touchpoint"] and row[4] == top["outcome"]
    assert float(row[8]) == pytest.approx(top["lift"], abs=0.006)
    planted = data.truth["planted_problem"]
    ranked = pains.dropna(subset=["rank"])
    hit = (ranked["touchpoint"] == planted["touchpoint"]) & (ranked["group"] == planted["segment"])
    assert hit.any(), ranked


def test_journey_without_events_fails_with_one_clear_line(tmp_path):
    empty = tmp_path / "empty.duckdb"
    assert run("init", "-w", empty).exit_code == 0
    result = run("journey", "touchpoints", "-w", empty)
    assert result.exit_code == 1
    assert result.output.startswith("error:") and "no 'events' table" in result.output
    bad = run("journey", "paths", "--level", "page", "-w", empty)
    assert bad.exit_code == 1 and "Traceback" not in bad.output
