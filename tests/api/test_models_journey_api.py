"""Model and journey endpoints through the live server (``served`` in conftest.py).

``acme`` (300 customers, 12 months, no events) shows the clear refusals; a ``shop``
workspace added to the served folder (the cxlens sample, 1,500 customers, 24 months, with
events) carries the numbers. The expected answers are computed from the sample's tables
and from the Python API before the server first opens ``shop`` (a DuckDB file has one
writer process).
"""

from __future__ import annotations

import httpx
import pandas as pd
import pytest

from cxlens.api import KeyStore
from cxlens.report.journey_parts import funnel_stages, stage_order
from tests.analysis.test_features import sample_workspace
from tests.test_cli_journey import _funnel_by_hand

pytestmark = pytest.mark.slow  # models and journeys through a live server on the sample

API = "/api/v1"


@pytest.fixture(scope="module")
def shop(served, tmp_path_factory):
    """Add ``shop`` to the served folder with keys; return (keys, expected answers, data)."""
    folder = tmp_path_factory.mktemp("shop-data")
    # 2,000 customers: with 1,500 the churn model's held-out ROC-AUC is 0.54, near a random
    # order, and the churn analyses answer a note instead of results
    ws, data = sample_workspace(folder, customers=2000)
    expected = {
        "churn": ws.models.churn(90),
        "clv": ws.models.clv(12),
        "offers": ws.models.offers(3),
        "stages": funnel_stages(stage_order(ws)),
        "pains": ws.journey.pain_points(),
    }
    ws.close()
    target = served.folder / "shop.duckdb"
    (folder / "sample.duckdb").replace(target)
    store = KeyStore(served.folder)
    keys = {role: store.create(["shop"], role, name=f"shop_{role}")[1]
            for role in ("viewer", "analyst")}  # fmt: skip
    yield keys, expected, data
    target.unlink(missing_ok=True)


def get(served, token: str, path: str, **params: object) -> httpx.Response:
    with httpx.Client(base_url=served.url, timeout=120,
                      headers={"Authorization": f"Bearer {token}"}) as c:  # fmt: skip
        return c.get(f"{API}{path}", params=params)


def rows(response: httpx.Response, part: str) -> pd.DataFrame:
    assert response.status_code == 200, response.text
    return pd.DataFrame(response.json()["parts"][part]["rows"])


def test_the_new_analyses_are_listed_with_their_roles(served):
    with served.client("acme_viewer") as c:
        listed = c.get(f"{API}/workspaces/acme/analyses").json()["analyses"]
    roles = {a["name"]: a["role"] for a in listed}
    for name in ("clv", "churn", "offers", "survival", "journey-touchpoints", "journey-dfg",
                 "journey-funnel", "journey-emotion", "journey-pain-points"):  # fmt: skip
        assert roles[name] == "viewer", name
    assert roles["churn-scores"] == roles["retention-targets"] == "analyst"


def test_clv_on_acme_counts_every_buyer_once(served):
    r = get(served, served.keys["acme_viewer"], "/workspaces/acme/analyses/clv")
    tiers = rows(r, "tiers")
    # the fit on everything is degenerate (monthly subscription payments): CLV is refitted
    # on the discretionary purchases, so the customers with a day of positive net
    # discretionary spend (the summary's rule), by hand
    t = served.tables["acme"]["transactions"].copy()
    t = t[t["category"] != "subscription"]
    t["day"] = pd.to_datetime(t["occurred_at"]).dt.floor("D")
    net = t.groupby(["customer_id", "day"])["amount"].sum()
    buyers = net[net > 0].reset_index()["customer_id"].nunique()
    assert tiers["customers"].sum() == buyers
    assert tiers["tier"].tolist() == ["platinum", "gold", "silver", "bronze"]
    params = rows(r, "parameters")
    assert params["parameter"].tolist() == ["r", "alpha (days)", "a", "b", "p", "q", "gamma"]
    notes = r.json()["parts"]["notes"]
    # LTV:CAC counts the subscription revenue beside the discretionary CLV, and says so
    assert any(n.startswith("LTV:CAC counts the CLV of the discretionary purchases") for n in notes)
    assert r.json()["parts"]["currency"] == ["USD"]
    by_segment = rows(r, "by_segment")
    assert by_segment["ltv_cac"].notna().all()
    assert (by_segment["value_mean"] > by_segment["clv_mean"]).all()


def test_acme_refusals_are_clear(served):
    viewer = served.keys["acme_viewer"]
    churn = get(served, viewer, "/workspaces/acme/analyses/churn")
    assert churn.status_code == 422 and "too few churners" in churn.json()["detail"]
    journey = get(served, viewer, "/workspaces/acme/analyses/journey-touchpoints")
    assert journey.status_code == 422 and "no 'events' table" in journey.json()["detail"]
    scores = get(served, viewer, "/workspaces/acme/analyses/churn-scores")
    assert scores.status_code == 403  # per-customer lists need the analyst role
    bad = get(served, viewer, "/workspaces/acme/analyses/survival", by="shoe_size")
    assert bad.status_code == 422 and "unknown by column 'shoe_size'" in bad.json()["detail"]
    ids = get(served, viewer, "/workspaces/acme/analyses/survival", by="customer_id")
    assert ids.status_code == 422


def test_churn_evaluation_scores_and_retention_targets(served, shop):
    keys, expected, _ = shop
    churn = expected["churn"]
    r = get(served, keys["viewer"], "/workspaces/shop/analyses/churn")
    evaluation = rows(r, "evaluation").set_index("metric")["value"]
    for metric in ("roc_auc", "pr_auc", "brier", "brier_baseline", "n_test", "churners_test"):
        assert evaluation[metric] == pytest.approx(churn.evaluation[metric], rel=1e-9), metric
    assert r.json()["parts"]["summary"] == [churn.summary()]
    bands = rows(r, "risk_bands").set_index("risk_band")["customers"]
    counts = churn.scores["risk_band"].value_counts()
    assert bands.to_dict() == {b: int(counts.get(b, 0)) for b in ("high", "medium", "low")}
    assert get(served, keys["viewer"], "/workspaces/shop/analyses/churn-scores").status_code == 403
    scores = rows(get(served, keys["analyst"], "/workspaces/shop/analyses/churn-scores", top=5,
                      risk_band="high"), "scores")  # fmt: skip
    high = churn.scores[churn.scores["risk_band"] == "high"].head(5)
    assert scores["customer_id"].tolist() == high["customer_id"].tolist()
    assert scores["churn_probability"].tolist() == pytest.approx(high["churn_probability"].tolist())
    # value at risk by hand: CLV x churn probability, largest first, of the customers at or
    # above the training base rate
    risk = churn.scores.merge(expected["clv"].customers[["customer_id", "clv"]])
    risk["var"] = risk["clv"] * risk["churn_probability"]
    at_risk = risk[risk["churn_probability"] >= churn.model.base_rate_]
    top = at_risk.sort_values("var", ascending=False, kind="mergesort").head(10)
    answer = get(served, keys["analyst"], "/workspaces/shop/analyses/retention-targets", top=10)
    targets = rows(answer, "targets")
    summary = rows(answer, "at_risk").iloc[0]
    assert summary["value_at_risk"] == pytest.approx(risk["var"].sum(), rel=2e-3)
    assert (summary["active"], summary["valued"]) == (len(churn.scores), len(risk))
    assert summary["high_risk"] == int((churn.scores["risk_band"] == "high").sum())
    assert summary["currency"] == "USD" and answer.json()["parts"]["currency"] == ["USD"]
    assert targets["customer_id"].tolist() == top["customer_id"].tolist()
    assert targets["value_at_risk"].tolist() == pytest.approx(top["var"].tolist(), rel=2e-3)
    assert "name" not in targets.columns and "email" not in targets.columns


def test_offers_and_survival(served, shop):
    keys, expected, data = shop
    r = get(served, keys["viewer"], "/workspaces/shop/analyses/offers", top=5)
    rules = rows(r, "rules")
    aff = expected["offers"].affinities
    best = aff[aff["significant"] & ~aff["small_sample"]]
    best = best.sort_values("lift", ascending=False, kind="mergesort").head(5)
    pair = ["antecedent", "consequent"]
    assert rules[pair].values.tolist() == best[pair].values.tolist()
    ev = rows(r, "evaluation")
    assert ev["hit_rate"].tolist() == pytest.approx(expected["offers"].evaluation["hit_rate"])
    s = get(served, keys["viewer"], "/workspaces/shop/analyses/survival", by="segment",
            cox=["segment", "mean_nps"])  # fmt: skip
    summary = rows(s, "summary").set_index("group")
    cust = data.tables["customers"]
    churned = cust.assign(c=cust["churned_at"].notna()).groupby("segment")["c"].sum()
    assert summary["churned"].to_dict() == churned.astype(int).to_dict()
    assert summary["customers"].to_dict() == cust.groupby("segment").size().to_dict()
    hazards = rows(s, "hazard_ratios")
    assert set(hazards["covariate"]) == {"segment", "mean_nps"}
    # the planted mechanism: happier customers churn less
    assert hazards.loc[hazards["covariate"] == "mean_nps", "hazard_ratio"].item() < 1


def test_journey_endpoints_count_like_by_hand(served, shop):
    keys, expected, data = shop
    events = data.tables["events"].copy()
    events["occurred_at"] = pd.to_datetime(events["occurred_at"])
    events = events.sort_values(["customer_id", "occurred_at", "event_id"], kind="mergesort")
    viewer = keys["viewer"]
    touch = rows(get(served, viewer, "/workspaces/shop/analyses/journey-touchpoints"),
                 "touchpoints").set_index("touchpoint")  # fmt: skip
    assert touch["customers"].to_dict() == events.groupby("touchpoint")["customer_id"].nunique(
    ).to_dict()  # fmt: skip
    dfg = rows(get(served, viewer, "/workspaces/shop/analyses/journey-dfg", top=3), "dfg")
    nxt = events.groupby("customer_id")["touchpoint"].shift(-1)
    pairs = pd.DataFrame({"source": events["touchpoint"], "target": nxt}).dropna().value_counts()
    assert dfg["count"].tolist() == pairs.head(3).tolist()
    f = get(served, viewer, "/workspaces/shop/analyses/journey-funnel")
    stages = f.json()["parts"]["stages"]
    assert stages == expected["stages"] == [s for s in data.truth["events"]["stages"]
                                            if s != "support"]  # fmt: skip
    assert rows(f, "funnel")["entered"].tolist() == _funnel_by_hand(events, stages)
    by = get(served, viewer, "/workspaces/shop/analyses/journey-funnel", stages=stages[:2],
             by=["segment"])  # fmt: skip
    assert set(rows(by, "funnel")["segment"]) == set(data.tables["customers"]["segment"])
    bad = get(served, viewer, "/workspaces/shop/analyses/journey-funnel", by=["shoe_size"])
    assert bad.status_code == 422 and "unknown by column 'shoe_size'" in bad.json()["detail"]
    emotion = rows(get(served, viewer, "/workspaces/shop/analyses/journey-emotion"), "emotion")
    answers = data.tables["responses"].dropna(subset=["touchpoint"])
    assert emotion.set_index("touchpoint")["responses"].to_dict() == answers.groupby(
        "touchpoint").size().to_dict()  # fmt: skip
    pains = rows(get(served, viewer, "/workspaces/shop/analyses/journey-pain-points", top=5),
                 "pain_points")  # fmt: skip
    want = expected["pains"].head(5)
    assert pains["touchpoint"].tolist() == want["touchpoint"].tolist()
    assert pains["lift"].tolist() == pytest.approx(want["lift"].tolist())


def test_a_fit_is_cached_per_parameters(served, shop):
    keys, _, _ = shop
    first = get(served, keys["viewer"], "/workspaces/shop/analyses/clv", horizon_months=6)
    again = get(served, keys["viewer"], "/workspaces/shop/analyses/clv", horizon_months=6)
    assert first.json()["cached"] is False and again.json()["cached"] is True
    assert first.json()["parts"]["tiers"] == again.json()["parts"]["tiers"]
