"""The dashboard's tiles (the API's overview) show the latest full month, as the report's do."""

from __future__ import annotations

import pandas as pd
import pytest
from statsmodels.stats.proportion import proportions_ztest

from cxlens.api.filters import validate
from cxlens.api.routes_metrics import tile
from cxlens.report.collect import collect_metrics
from cxlens.report.sections import kpi_tile


def _customers(last_churn: str) -> pd.DataFrame:
    # A stays; B leaves in Feb; C at the start of March; D joins and leaves in Feb; E and F
    # leave in April, E on ``last_churn``: the data's last date
    return pd.DataFrame(
        {
            "customer_id": list("ABCDEF"),
            "first_seen": pd.to_datetime(
                ["2024-01-10", "2024-01-15", "2024-01-20", "2024-02-05", "2024-02-10", "2024-03-01"]
            ),
            "churned_at": pd.to_datetime(
                [None, "2024-02-20", "2024-03-01", "2024-02-25", last_churn, "2024-04-10"]
            ),
        }
    )


def _load(ws, tmp_path, customers: pd.DataFrame) -> None:
    path = tmp_path / "customers.csv"
    customers.to_csv(path, index=False)
    ws.ingest(path, table="customers")


def test_a_partial_last_month_is_not_the_churn_tile(ws, tmp_path):
    # data end 20 April: April is partial; March is the latest full month. At the start of
    # March A, C and E are customers and C leaves: 1 of 3 (April would read 2 of 3).
    _load(ws, tmp_path, _customers("2024-04-20"))
    got = tile(ws, validate(ws, "churn"))
    assert got["available"] and got["period"].startswith("2024-03-01")
    assert got["value"] == pytest.approx(100 / 3) and got["n"] == 3


def test_a_full_last_month_is_the_churn_tile(ws, tmp_path):
    _load(ws, tmp_path, _customers("2024-04-30"))  # April covered to its last day
    got = tile(ws, validate(ws, "churn"))
    assert got["period"].startswith("2024-04-01") and got["value"] == pytest.approx(200 / 3)


def test_only_a_partial_month_leaves_the_tile_unavailable_with_the_reason(ws, tmp_path):
    _load(
        ws,
        tmp_path,
        pd.DataFrame(
            {
                "customer_id": ["A", "B"],
                "first_seen": pd.to_datetime(["2024-01-03", "2024-01-05"]),
                "churned_at": pd.to_datetime([None, "2024-01-20"]),
            }
        ),
    )
    got = tile(ws, validate(ws, "churn"))
    assert not got["available"] and got["reason"] == "no full month in this slice yet"


# NPS, CSAT and CES tiles lead with the latest full month, as the report's tiles do. January
# and February are covered to their last day; the data ends on 10 March (a partial month).
# January: 50 promoters, 30 passives, 20 detractors (NPS 30), 80 of 100 satisfied, CES 2.
# February: 30 / 30 / 40 (NPS -10), 50 of 100 satisfied, CES 4. March so far: 20 promoters,
# all satisfied, CES 1.
MONTHS = [
    ("2024-01", 31, [10] * 50 + [8] * 30 + [3] * 20, [5] * 80 + [2] * 20, 2),
    ("2024-02", 29, [10] * 30 + [8] * 30 + [3] * 40, [4] * 50 + [1] * 50, 4),
    ("2024-03", 10, [10] * 20, [5] * 20, 1),
]


def _responses() -> pd.DataFrame:
    frames = []
    for month, days, nps, csat, ces in MONTHS:
        n = len(nps)
        day = [f"{month}-{1 + i % days:02d}" for i in range(n)]
        day[-1] = f"{month}-{days:02d}"  # the month's last day carries an answer
        frames.append(
            pd.DataFrame(
                {"responded_at": pd.to_datetime(day), "nps": nps, "csat": csat, "ces": [ces] * n}
            )
        )
    out = pd.concat(frames, ignore_index=True)
    out.insert(0, "response_id", [f"r{i}" for i in range(len(out))])
    out.insert(1, "customer_id", [f"c{i % 60}" for i in range(len(out))])
    return out


@pytest.fixture
def months(ws, tmp_path):
    path = tmp_path / "responses.csv"
    _responses().to_csv(path, index=False)
    ws.ingest(path, table="responses")
    return ws


def test_survey_tiles_lead_with_the_latest_full_month_and_the_whole_period_beside(months):
    ws = months
    nps = tile(ws, validate(ws, "nps"))
    # February, by hand: (30 - 40) / 100; January's 30 before it; March is partial
    assert nps["available"] and nps["period"].startswith("2024-02-01")
    assert nps["period_label"] == "February 2024"
    assert nps["label"] == "Net Promoter Score, February 2024"
    assert nps["value"] == pytest.approx(-10.0) and nps["n"] == 100
    assert nps["change"] == pytest.approx(-40.0)
    # the whole period: 100 promoters and 60 detractors of 220 answers
    assert nps["whole"]["value"] == pytest.approx(100 * 40 / 220) and nps["whole"]["n"] == 220
    assert nps["whole"]["text"].startswith("whole period January 2024 – March 2024: 18 (")
    # March is named as a partial month and never compared
    assert nps["partial"]["period_label"] == "March 2024" and nps["partial"]["n"] == 20
    assert (
        nps["partial"]["text"] == "March 2024 so far: 100 (n = 20), a partial month, not compared"
    )
    csat = tile(ws, validate(ws, "csat"))
    # 50 of 100 satisfied against 80 of 100: the pooled two-proportion z-test (statsmodels)
    _, p = proportions_ztest([50, 80], [100, 100])
    assert csat["value"] == pytest.approx(50.0) and csat["change"] == pytest.approx(-30.0)
    assert csat["p_value"] == pytest.approx(p, rel=1e-9) and csat["significant"]
    assert csat["tone"] == "bad"
    assert csat["change_text"] == (
        "▼ −30.0 pp in February 2024 vs previous month (significant, p < 0.001)"
    )
    assert csat["whole"]["value"] == pytest.approx(100 * 150 / 220)
    ces = tile(ws, validate(ws, "ces"))
    assert ces["value"] == pytest.approx(4.0) and ces["tone"] == "good"  # 7 = very easy
    assert ces["whole"]["value"] == pytest.approx((100 * 2 + 100 * 4 + 20 * 1) / 220)


def test_the_api_tiles_are_the_report_tiles(months):
    ws = months
    results, _ = collect_metrics(ws, by=None)
    for result in results:
        shown = kpi_tile(result, "month", 0.95)
        got = tile(ws, validate(ws, result.spec.key))
        assert got["label"] == shown.long_label
        assert got["value_text"] == shown.value
        assert got["interval_text"] == shown.interval
        assert got["change_text"] == shown.change and got["tone"] == shown.tone
        assert shown.n == "; ".join([got["n_text"], got["whole"]["text"], got["partial"]["text"]])


def test_without_a_full_month_the_whole_period_leads_and_nothing_is_compared(ws, tmp_path):
    answers = _responses()
    answers = answers[answers["responded_at"] >= "2024-03-01"]  # 1 to 10 March only
    path = tmp_path / "responses.csv"
    answers.to_csv(path, index=False)
    ws.ingest(path, table="responses")
    got = tile(ws, validate(ws, "nps"))
    assert got["available"] and got["period"] is None and got["label"] == "Net Promoter Score"
    assert got["value"] == pytest.approx(100.0) and got["change"] is None
    assert got["change_text"] == "" and got["partial"]["period_label"] == "March 2024"
