"""The executive summary: each sentence states the numbers of the table it was written from."""

from __future__ import annotations

import html
import math
import re

import numpy as np
import pandas as pd
import pytest

import cxlens
from cxlens.metrics.benchmarks import compare
from cxlens.report.collect import MetricResult, collect_metrics
from cxlens.report.spec import METRICS
from cxlens.report.summary import (
    SummaryPoint,
    action_points,
    change_points,
    choose_points,
    driver_point,
    headline_point,
    insight_points,
    kpi_point,
    theme_point,
    touchpoint_point,
    value_at_risk_point,
)


def nps_result(value: float, low: float, high: float, n: int) -> MetricResult:
    overall = pd.Series({"value": value, "ci_low": low, "ci_high": high, "n": n})
    return MetricResult(METRICS["nps"], overall, pd.DataFrame(), benchmarks=compare("nps", value))


def test_headline_states_value_interval_n_and_benchmark():
    # compare() puts the all-industry median of 16 (Reichheld 2003) first
    point = headline_point(nps_result(31.6, 27.2, 35.9, 2400))
    assert point.sentence == (
        "NPS is 32 (95% CI 27 to 36; 2,400 answers), above the all-industry median of 16 "
        "(Frederick F. Reichheld, 2003)."
    )
    assert (point.value, point.ci_low, point.ci_high) == (31.6, 27.2, 35.9)
    # the point is above 16 but the interval reaches it: the sentence says so
    close = headline_point(nps_result(19.0, 12.0, 26.0, 300))
    assert close.sentence.endswith("above the all-industry median of 16 (Frederick F. "
                                   "Reichheld, 2003, though the interval reaches it).")  # fmt: skip


def _month(period, n, value, change, p, significant, partial=False):
    return {"period": pd.Timestamp(period), "n": n, "value": value, "ci_low": value - 8.0,
            "ci_high": value + 8.0, "change": change, "p_value": p,
            "significant": significant, "partial": partial}  # fmt: skip


def test_the_latest_significant_change_leads_and_a_partial_month_is_not_compared():
    nps = pd.DataFrame([
        _month("2025-10-01", 330, 22.3, -16.8, 0.0032, True),
        _month("2025-11-01", 316, 29.4, 7.2, 0.23, False),
        _month("2025-12-01", 347, 9.5, -19.9, 0.0011, True),
        _month("2026-01-01", 40, -30.0, float("nan"), float("nan"), False, partial=True),
    ])  # fmt: skip
    csat = pd.DataFrame([
        _month("2025-11-01", 300, 72.0, 1.0, 0.6, False),
        _month("2025-12-01", 332, 60.8, -11.2, 0.0028, True),
    ])  # fmt: skip
    ces = pd.DataFrame([_month("2025-12-01", 300, 4.4, 0.1, 0.4, False)])
    results = [
        MetricResult(METRICS[k], pd.Series(dtype=float), t)
        for k, t in (("nps", nps), ("csat", csat), ("ces", ces))
    ]
    points = change_points(results, "month")
    # the partial January is skipped: December is the latest full month; p 0.0011 first
    assert [p.sentence for p in points] == [
        "NPS fell 19.9 pts in December 2025, to 10 (95% CI 2 to 18; 347 answers): significant "
        "(p = 0.0011).",
        "CSAT fell 11.2 pp in December 2025, to 60.8% (95% CI 52.8% to 68.8%; 332 answers): "
        "significant (p = 0.0028).",
    ]
    assert (points[0].value, points[0].ci_low) == (9.5, 1.5)
    assert choose_points([SummaryPoint("headline", "h"), *points])[1].kind == "change"


def test_actions_are_ranked_by_the_money_at_stake_with_their_evidence():
    from cxlens.models.churn_analysis import RiskSummary

    risk = RiskSummary(active=900, high_risk=40, at_risk=120, valued=700, value_at_risk=9000.0,
                       value_at_risk_sd=900.0, targets=110, targets_value_at_risk=6500.0,
                       currency="EUR")  # fmt: skip
    driver = SummaryPoint("driver", "Reliability is the strongest driver of NPS: ...", 43.0)
    uplift = pd.DataFrame({"move": ["detractor → passive", "passive → promoter"],
                           "projected_revenue": [47168.0, 20000.0],
                           "projected_revenue_ci_low": [30000.0, 1.0],
                           "projected_revenue_ci_high": [60000.0, 2.0]})  # fmt: skip
    points = action_points(risk, driver, uplift, driver_name="reliability", currency="EUR")
    assert [p.value for p in points] == [47168.0, 6500.0]  # largest at stake first
    assert points[0].sentence.startswith(
        "Recommended: improve reliability, the strongest driver of NPS; 5 more NPS points, won "
        "by turning detractors into passives, go with €47,168 of 12-month revenue (evidence: "
        "What drives NPS; What NPS is worth"
    )
    assert points[1].sentence == (
        "Recommended: call the 110 retention targets, who hold €6,500 of value at risk within "
        "90 days (evidence: Churn risk, retention targets)."
    )
    # without targets or a driver there is nothing to recommend
    none = RiskSummary(active=9, high_risk=0, at_risk=0, valued=9, value_at_risk=5.0,
                       value_at_risk_sd=1.0, targets=0, targets_value_at_risk=0.0)  # fmt: skip
    assert action_points(none, None, uplift) == []


def test_kpi_sentence_reports_the_worst_kpi():
    status = pd.DataFrame(
        {
            "name": ["NPS", "Billing CSAT", "SMB NPS"],
            "metric": ["nps", "csat", "nps"],
            "period": pd.to_datetime(["2025-06-01"] * 3),
            "value": [33.0, 70.0, -4.25],
            "ci_low": [29.0, 66.0, -20.5],
            "ci_high": [37.0, 74.0, 12.0],
            "n": [900, 400, 60],
            "target": [30.0, 75.0, 10.0],
            "gap": [3.0, -5.0, -14.25],
            "status": ["on track", "off track", "off track"],
        }
    )
    point = kpi_point(status)
    # both are off track; SMB NPS is further from its target (gap −14.25 < −5)
    assert point.sentence == (
        "The SMB NPS KPI stood at −4.2 in June 2025 (95% CI −20.5 to 12.0; 60 answers) against "
        "a target of 10.0: off track, a gap of −14.2."
    )
    assert point.value == -4.25
    with pytest.raises(ValueError, match="no KPI"):
        kpi_point(status.iloc[0:0])


def test_driver_sentence_names_the_largest_share():
    imp = pd.DataFrame(
        {
            "driver": ["driver_price", "driver_app_speed"],
            "rescaled_weight": [20.4, 79.6],
            "ci_low": [15.0, 70.2],
            "ci_high": [26.0, 85.1],
            "n": [1234, 1234],
            "r_squared": [0.4449, 0.4449],
        }
    )
    point = driver_point(imp)
    assert point.sentence == (
        "App speed is the strongest driver of NPS: 80% of the explained variance (95% CI 70% "
        "to 85%; R² = 0.44 over 1,234 answers)."
    )
    assert (point.value, point.ci_low, point.ci_high) == (79.6, 70.2, 85.1)


def test_value_at_risk_and_its_range_by_hand():
    from cxlens.models.churn_analysis import risk_summary

    scores = pd.DataFrame(
        {
            "customer_id": ["a", "b", "c", "d"],
            "churn_probability": [0.5, 0.1, 0.2, 0.3],
            "risk_band": ["high", "low", "medium", "high"],
        }
    )
    clv = pd.DataFrame({"customer_id": ["a", "b", "c"], "clv": [1000.0, 3000.0, 500.0]})
    point = value_at_risk_point(
        risk_summary(scores, clv), horizon_days=90, horizon_months=12, roc_auc=0.7512
    )
    # d has no CLV (no purchase): 3 valued, 4 active, 2 high
    # total 500 + 300 + 100 = 900; variance 1000²·.25 + 3000²·.09 + 500²·.16 = 1,100,000
    sd = math.sqrt(1_100_000)
    assert point.value == pytest.approx(900.0)
    assert point.ci_low == pytest.approx(max(900 - 1.959964 * sd, 0.0))
    assert point.ci_high == pytest.approx(900 + 1.959964 * sd, abs=1e-3)
    assert point.sentence == (
        "Churn within 90 days puts 900 of 12-month customer value at risk across the 3 active "
        "customers with a purchase (95% range of the loss if the model is right: 0 to 2,956; "
        "churn model ROC-AUC 0.75 on held-out customers). Of the 4 customers active now, 2 are "
        "at high risk."
    )


def test_insights_are_quoted_with_their_difference():
    found = pd.DataFrame({"sentence": ["a.", "b.", "c."], "difference": [-9.0, 4.0, 1.0],
                          "ci_low": [-14.0, 1.0, 0.1], "ci_high": [-4.0, 7.0, 2.0]})  # fmt: skip
    points = insight_points(found)
    assert [(p.sentence, p.value, p.ci_low) for p in points] == [("a.", -9.0, -14.0),
                                                                 ("b.", 4.0, 1.0)]  # fmt: skip


def test_at_most_ten_sentences_keeping_the_story_and_dropping_insights_first():
    kinds = ["change", "change", "headline", "kpi", "insight", "insight", "insight", "driver",
             "theme", "touchpoint", "value_at_risk", "action", "action"]  # fmt: skip
    points = [SummaryPoint(k, f"{k}{i}") for i, k in enumerate(kinds)]
    kept = [p.sentence for p in choose_points(points)]
    # why, what is at stake and every action stay; the insight scan's findings go first
    assert kept == ["change0", "change1", "headline2", "kpi3", "driver7", "theme8",
                    "touchpoint9", "value_at_risk10", "action11", "action12"]  # fmt: skip


def test_themes_rank_by_negative_share_among_those_with_enough_comments():
    themes = pd.DataFrame(
        {
            "label": ["price", "late delivery", "rude agent", "staff"],
            "count": [200, 80, 12, 150],  # rude agent: too few comments to rank
            "negative_share": [0.30, 0.65, 0.90, 0.0],
            "quotes": [["Fair price."], ["Came on time."], ["Polite."], ["Lovely."]],
            "negative_quote": ["Too dear.", "Came a week late.", "Rude.", None],
        }
    )
    point = theme_point(themes, min_n=30)
    assert point.sentence.startswith(
        "Customers raise these themes most negatively: “late delivery” (65% of its 80 comments "
        "negative about it, e.g. “Came a week late.”); “price” (30% of its 200 comments negative "
        "about it"
    )
    assert "rude" not in point.sentence.lower() and "staff" not in point.sentence
    assert point.value == pytest.approx(65.0)
    with pytest.raises(ValueError, match="no topical theme has 30 comments"):
        theme_point(themes.assign(negative_share=0.0), min_n=30)


def test_a_theme_marked_mixed_is_never_named_as_a_topic_customers_raise():
    themes = pd.DataFrame(
        {
            "label": ["Mixed: ticket", "Разное: билет", "late delivery"],
            "count": [300, 90, 80],
            "negative_share": [0.80, 0.70, 0.40],
            "quotes": [["Thanks for the help."], ["Спасибо."], ["Came on time."]],
            "negative_quote": ["No help.", "Плохо.", "Came a week late."],
        }
    )
    point = theme_point(themes, min_n=30)
    assert point.sentence == (
        "Customers raise this theme most negatively: “late delivery” (40% of its 80 comments "
        "negative about it, e.g. “Came a week late.”) (evidence: What customers say)."
    )
    with pytest.raises(ValueError, match="no topical theme"):
        theme_point(themes.head(2), min_n=30)


def test_a_theme_is_named_in_the_reports_language_where_its_customers_wrote_in_it():
    themes = pd.DataFrame(
        {
            "label": ["Пропадает каждый вечер", "Цены кусаются", "价格太贵"],
            "count": [300, 200, 100],
            "negative_share": [0.86, 0.51, 0.40],
            "labels": [
                {"ru": "Пропадает каждый вечер", "en": "Evening, internet is painfully slow"},
                {"ru": "Цены кусаются", "en": "Mixed: price"},  # a scatter: not its name
                {"zh": "价格太贵"},
            ],
            "label_translated": [None, None, "Too expensive"],  # by the label map
            "negative_quote": ["晚上网速慢得要命。", "Дорого.", "价格太贵了。"],
        }
    )
    point = theme_point(themes, top=3, min_n=30)
    assert point.sentence.startswith(
        "Customers raise these themes most negatively: “Evening, internet is painfully slow” "
        "(86% of its 300 comments negative about it, e.g. “晚上网速慢得要命。”); “Цены "
        "кусаются” (51% of its 200 comments negative about it, e.g. “Дорого.”); “Too "
        "expensive” (40%"
    )


def test_a_theme_is_quoted_by_a_complaint_about_it_never_by_its_typical_praise():
    # the demo's defect: "No outages" quoted by its most typical member, which is praise
    themes = pd.DataFrame(
        {
            "label": ["No outages", "Billing"],
            "count": [120, 90],
            "negative_share": [0.10, 0.0],
            "quotes": [["Fantasic provider. No outages at all."], ["Bill is clear."]],
            "negative_quote": ["Outage again tonight, third this week.", None],
        }
    )
    point = theme_point(themes, min_n=30)
    assert point.sentence == (
        "Customers raise this theme most negatively: “No outages” (10% of its 120 comments "
        "negative about it, e.g. “Outage again tonight, third this week.”) (evidence: What "
        "customers say)."
    )
    # no negative member: named without a quote rather than with a typical (praising) one
    unquoted = theme_point(themes.assign(negative_quote=None), min_n=30).sentence
    assert "No outages at all" not in unquoted and "e.g." not in unquoted


def test_a_theme_is_quoted_by_its_theme_sentence_not_the_rest_of_the_comment():
    # the demo's "App": the whole comment reads as a complaint about the bill
    themes = pd.DataFrame(
        {
            "label": ["App"],
            "count": [80],
            "negative_share": [0.2],
            "negative_quote": [
                "Decent overall. The app is esy to use. But the bill keeps going up."
            ],
            "negative_sentence": ["The app is esy to use."],
        }
    )
    point = theme_point(themes, min_n=30).sentence
    assert "e.g. “… The app is esy to use. …”" in point and "bill" not in point
    # saved before the sentence was kept: the whole comment, as before
    old = theme_point(themes.drop(columns="negative_sentence"), min_n=30).sentence
    assert "e.g. “Decent overall. The app is esy to use. But the bill keeps going up.”" in old


def test_the_weakest_touchpoint_leaves_small_samples_unranked():
    em = pd.DataFrame(
        {
            "touchpoint": ["field_sales", "billing", "app"],
            "emotion": [-0.8, -0.25, 0.4],
            "emotion_ci_low": [-1.0, -0.33, 0.35],
            "emotion_ci_high": [-0.2, -0.17, 0.45],
            "responses": [9, 140, 400],
            "small_sample": [True, False, False],
        }
    )
    point = touchpoint_point(em)
    assert point.sentence.startswith(
        "Billing is the weakest touchpoint of the journey: mean emotion −0.25 on a −1 to +1 "
        "scale (95% CI −0.33 to −0.17; 140 answers), against +0.40 at App, the strongest"
    )
    assert (point.value, point.ci_low, point.ci_high) == (-0.25, -0.33, -0.17)
    with pytest.raises(ValueError, match="fewer than two touchpoints"):
        touchpoint_point(em[em["touchpoint"] != "app"])


# --------------------------------------------------------------------------- in the report


def summary_items(page: str) -> list[tuple[str, str]]:
    block = page.split('<section id="summary">')[1].split("</section>")[0]
    return [
        (k, html.unescape(s)) for k, s in re.findall(r'<li data-kind="(\w+)">(.*?)</li>', block)
    ]


@pytest.fixture(scope="module")
def expected(analysed):
    """The tables the summary is written from, computed again straight from the workspace."""
    from cxlens.analysis.drivers import drivers_for_workspace
    from cxlens.analysis.insights import insights

    page, folder = analysed
    ws = cxlens.Workspace(folder / "ws.duckdb")
    try:
        results, _ = collect_metrics(ws, every="month", by="segment")
        found = insights(ws, every="month", top=2)
        imp = drivers_for_workspace(ws, "nps", bootstrap=200, seed=0)
        status = ws.kpis.status(every="month")
    finally:
        ws.close()
    return page.read_text(encoding="utf-8"), results, found, imp, status


def test_summary_opens_the_report_with_sentences_from_the_tables(expected):
    page, results, found, imp, status = expected
    items = summary_items(page)
    assert 3 <= len(items) <= 8
    # the planted drop is three months back: no significant change in the latest full month
    assert [k for k, _ in items] == ["headline", "kpi", "insight", "insight", "driver", "action"]
    text = dict(items[:2]) | {"driver": items[-2][1], "action": items[-1][1]}
    # headline: the whole period, as the metric table holds it (the tiles lead with a month)
    nps = next(r for r in results if r.spec.key == "nps").overall
    assert text["headline"].startswith(
        f"Over the whole period (January 2024 – December 2024), NPS is {nps['value']:.0f} (95% CI "
        f"{nps['ci_low']:.0f} to {nps['ci_high']:.0f}; {int(nps['n']):,} answers)"
    )
    # the action: the strongest driver, valued as "What NPS is worth" values +5 points
    assert text["action"].startswith(
        "Recommended: improve reliability, the strongest driver of NPS; 5 more NPS points"
    )
    # the KPI: the worst of the status table
    worst = status.sort_values(["status", "gap"]).iloc[0]  # "off track" sorts first here
    assert worst["status"] == "off track"
    assert text["kpi"].startswith(f"The {worst['name']} KPI stood at ")
    assert f"{int(worst['n'])} answers) against a target of {worst['target']:.1f}" in text["kpi"]
    # insights: the scan's own sentences, in its order
    assert [s for k, s in items if k == "insight"] == list(found["sentence"])
    # the planted drivers: reliability tracks NPS most closely (conftest)
    top = imp.sort_values("rescaled_weight").iloc[-1]
    assert top["driver"] == "driver_reliability"
    assert text["driver"] == (
        f"Reliability is the strongest driver of NPS: {top['rescaled_weight']:.0f}% of the "
        f"explained variance (95% CI {top['ci_low']:.0f}% to {top['ci_high']:.0f}%; "
        f"R² = {top['r_squared']:.2f} over {int(top['n']):,} answers)."
    )
    # it comes first, ahead of the headline tiles; the methods are an appendix at the end
    order = re.findall(r'<section id="([\w-]+)"', page)
    assert order[0] == "summary" and order[1] == "kpis"
    assert order[-2:] == ["methods", "lineage"]
    methods = page.split('<section id="methods">')[1].split("</section>")[0]
    assert "<h2>Methods and definitions</h2>" in methods
    assert "<h3>Caveats</h3>" in methods and "What changed" in methods


def test_metrics_only_summary_has_a_sentence_per_metric(tmp_path):
    from cxlens.report import build_report
    from tests.report.conftest import load_workspace

    ws = load_workspace(tmp_path, customers=200, months=6, analyses=False)
    try:
        results, _ = collect_metrics(ws, every="month", by="segment")
        page = build_report(ws, tmp_path / "r.html", analyses=False).read_text("utf-8")
    finally:
        ws.close()
    items = summary_items(page)
    assert [k for k, _ in items] == ["headline"] * len(results)
    for (_, sentence), r in zip(items, results, strict=True):
        if r.spec.trended:  # churn: its latest full month
            assert sentence.startswith(f"{r.spec.label} in ")
        else:
            assert sentence.startswith(
                f"Over the whole period (January 2024 – June 2024), {r.spec.label} is "
            )
        assert f"{int(r.overall['n']):,} " in sentence
        assert r.spec.fmt(float(r.overall["ci_low"])) in sentence


@pytest.mark.slow
def test_value_at_risk_matches_the_retention_targets(tmp_path):
    from cxlens.report.models_parts import ModelFits
    from cxlens.report.summary import executive_summary
    from tests.analysis.test_features import sample_workspace

    ws, _ = sample_workspace(tmp_path, customers=2000)  # 1,500: churn AUC 0.54, not shown
    try:
        results, _ = collect_metrics(ws, every="month", by="segment")
        points = executive_summary(ws, results)
        # the report's settings (12-month CLV, 90-day churn, seed 0), fitted afresh
        fits = ModelFits(ws)
        scores, clv = fits.churn().scores, fits.clv().customers
    finally:
        ws.close()
    risk = [p for p in points if p.kind == "value_at_risk"]
    assert len(risk) == 1
    # by hand: every scored customer with a CLV, not only the retention targets
    valued = scores.merge(clv[["customer_id", "clv"]], on="customer_id")
    p, value = valued["churn_probability"], valued["clv"]
    assert risk[0].value == pytest.approx(float((value * p).sum()), rel=1e-9)
    sd = np.sqrt((value**2 * p * (1 - p)).sum())
    assert risk[0].ci_high - risk[0].value == pytest.approx(1.959964 * sd, rel=1e-6)
    assert f"across the {len(valued):,} active customers with a purchase" in risk[0].sentence
    high = int((scores["risk_band"] == "high").sum())
    assert f"Of the {len(scores):,} customers active now, {high:,} are at high risk" in (
        risk[0].sentence
    )


# ------------------------------------------------------------------- why: themes, touchpoints

#: Comments of three planted topics; the delivery ones are the negative ones.
TOPICS = {
    "delivery": [
        "The delivery was late and the parcel arrived damaged",
        "Late delivery again, the courier lost my parcel",
        "Parcel arrived broken, delivery took two weeks",
        "Terrible delivery, package late and damaged",
    ],
    "staff": [
        "The staff were friendly and very helpful",
        "Helpful friendly staff in the store",
        "Lovely staff, so helpful and kind",
        "Friendly staff answered all my questions",
    ],
    "price": [
        "Fair price and good value for money",
        "Good value, the price is fair",
        "Prices are reasonable, good value",
        "The price was fair for the quality",
    ],
}


def why_workspace(folder) -> cxlens.Workspace:
    """Answers at three touchpoints (billing mostly detractors) with comments, and journeys."""
    rng = np.random.default_rng(11)
    n, touchpoints = 360, ["app", "billing", "support"]
    touchpoint = [touchpoints[i % 3] for i in range(n)]
    bad = np.array([t == "billing" for t in touchpoint])
    nps = np.where(bad, rng.choice([2, 5, 9], n, p=[0.6, 0.2, 0.2]),
                   rng.choice([3, 8, 10], n, p=[0.15, 0.25, 0.6]))  # fmt: skip
    topic = [list(TOPICS)[(i // 3) % 3] for i in range(n)]
    responses = pd.DataFrame(
        {
            "response_id": [f"R{i:04d}" for i in range(n)],
            "customer_id": [f"C{i % 120:03d}" for i in range(n)],
            "responded_at": [f"2024-{1 + i % 6:02d}-{1 + i % 27:02d}" for i in range(n)],
            "nps": nps,
            "touchpoint": touchpoint,
            "comment": [TOPICS[t][i % 4] for i, t in enumerate(topic)],
        }
    )
    events = pd.DataFrame(
        [
            {
                "event_id": f"E{c:03d}{k}",
                "customer_id": f"C{c:03d}",
                "touchpoint": tp,
                "occurred_at": f"2024-01-{1 + c % 20:02d} {9 + k:02d}:00:00",
            }
            for c in range(120)
            for k, tp in enumerate(touchpoints)
        ]
    )
    ws = cxlens.Workspace(folder / "ws.duckdb")
    for table, frame in (("responses", responses), ("events", events)):
        frame.to_csv(folder / f"{table}.csv", index=False)
        ws.ingest(folder / f"{table}.csv", table=table)
    return ws


@pytest.mark.slow
def test_the_summary_names_the_most_negative_theme_and_the_weakest_touchpoint(tmp_path):
    from cxlens.report.summary import executive_summary

    ws = why_workspace(tmp_path)
    try:
        results, _ = collect_metrics(ws, every="month", by=None)
        points = executive_summary(ws, results, bootstrap=50)
        # the tables the sentences rest on, as the themes step saved them
        assigned = ws.table("comment_themes").execute()
        themes = ws.table("themes").execute()
        responses = ws.table("responses").execute()
    finally:
        ws.close()
    kinds = [p.kind for p in points]
    assert kinds.index("theme") < kinds.index("touchpoint")
    # by hand: the share of each theme's members whose theme sentence is labelled negative
    members = assigned.dropna(subset=["theme"])
    share = (members["sentiment_label"] == "negative").groupby(members["theme"]).mean()
    count = members.groupby("theme").size()
    worst = share[count >= 30].sort_values(ascending=False, kind="stable").index[0]
    label = themes.set_index("theme").loc[worst, "label"]
    theme = next(p for p in points if p.kind == "theme")
    assert theme.sentence.startswith(f"Customers raise these themes most negatively: “{label}” (")
    assert theme.value == pytest.approx(100 * share[worst])
    assert f"{100 * share[worst]:.0f}% of its {count[worst]:,} comments negative about it" in (
        theme.sentence
    )
    assert any(word in theme.sentence for word in ("delivery", "parcel"))  # the planted topic
    # by hand: NPS-only answers feel -1 (detractor), 0 (passive) or +1 (promoter) per answer
    feel = np.select([responses["nps"] >= 9, responses["nps"] >= 7], [1.0, 0.0], -1.0)
    by_touchpoint = pd.Series(feel).groupby(responses["touchpoint"]).mean().sort_values()
    assert by_touchpoint.index[0] == "billing"  # the planted weak touchpoint
    touchpoint = next(p for p in points if p.kind == "touchpoint")
    assert touchpoint.sentence.startswith(
        f"Billing is the weakest touchpoint of the journey: mean emotion "
        f"{by_touchpoint.iloc[0]:.2f}".replace("-", "−")
    )
    assert f"{by_touchpoint.iloc[-1]:+.2f} at {by_touchpoint.index[-1].capitalize()}" in (
        touchpoint.sentence.replace("−", "-")
    )
    assert touchpoint.value == pytest.approx(by_touchpoint.iloc[0])
