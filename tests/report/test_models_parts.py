"""The report's model sections: CLV, churn risk, next-best offers; numbers, charts, notes."""

from __future__ import annotations

import html
import re

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import roc_auc_score

import cxlens
import cxlens.models.churn_analysis as churn_module
import cxlens.models.clv as clv_module
from cxlens.display import display_name
from cxlens.models.clv import ltv_cac_norm
from cxlens.report.models_parts import ModelFits, model_parts, top_rules
from tests.analysis.test_features import sample_workspace
from tests.report.conftest import load_workspace

CHARTS = {
    # no LTV:CAC chart: the sample's CLV leaves the subscription payments out
    "clv": ["chart-clv-tiers", "chart-clv-holdout"],
    "churn": ["chart-churn-calibration", "chart-churn-importance"],
    "offers": ["chart-offers-rules", "chart-offers-hit-rate"],
}


def text(body: str) -> str:
    """Section HTML as plain text (tags dropped, entities decoded, spaces collapsed)."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", body)).split())


def table_rows(body: str, after: str) -> list[list[str]]:
    """The body rows of the first table after the heading ``after``, as cell texts."""
    table = body.split(after, 1)[1].split("</table>", 1)[0]
    rows = re.findall(r"<tr>(.*?)</tr>", table.split("<tbody>", 1)[1], flags=re.S)
    return [[text(c) for c in re.findall(r"<td[^>]*>(.*?)</td>", r, flags=re.S)] for r in rows]


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """The sample workspace, its model parts (fits counted), and the API's answers."""
    ws, data = sample_workspace(tmp_path_factory.mktemp("models-report"), customers=2000)
    calls = {"clv": 0, "churn": 0}
    real_clv, real_churn = clv_module.clv, churn_module.churn

    def counted(name, func):
        def wrapper(*args, **kwargs):
            calls[name] += 1
            return func(*args, **kwargs)

        return wrapper

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(clv_module, "clv", counted("clv", real_clv))
        mp.setattr(churn_module, "churn", counted("churn", real_churn))
        parts = model_parts(ws)
    fits = ModelFits(ws)  # the same settings as the report, for the expected churn numbers
    # CLV straight from the API: on all transactions (degenerate: monthly subscription
    # payments) and on the discretionary purchases the report falls back to
    expected = {
        "clv": ws.models.clv(12),  # the fit on the discretionary purchases, as the report
        "clv_all": clv_module.clv(ws, 12),
        "churn": fits.churn(),
    }
    yield ws, data, parts, calls, expected
    ws.close()


@pytest.mark.slow  # fits every model on a 2,000-customer sample; the hand-made cases stay fast
def test_each_model_is_fitted_once_and_every_section_has_its_charts(built):
    _, _, parts, calls, _ = built
    # CLV twice: on all transactions (degenerate here), then without the recurring category
    assert calls == {"clv": 2, "churn": 1}
    assert [p.section.id for p in parts.values()] == ["clv", "churn-risk", "offers"]
    for key, part in parts.items():
        body = part.section.body_html
        for div in CHARTS[key]:
            assert body.count(f'id="{div}"') == 1, div
            assert re.search(rf'Plotly\.newPlot\(\s*"{div}"', body), div
        assert part.methods and part.methods[0][0] == part.section.title


@pytest.mark.slow  # fits every model on a 2,000-customer sample; the hand-made cases stay fast
def test_clv_section_shows_tiers_and_ltv_cac_with_the_subscription_revenue(built):
    from cxlens.models.clv_subscription import subscription_value

    ws, data, parts, _, expected = built
    body = parts["clv"].section.body_html
    clv = expected["clv"]
    assert clv.currency == "USD"  # the sample's transactions: its money axis says so
    assert "CLV per customer (discounted, over the horizon) (USD)" in body
    tiers = table_rows(body, "<h3>CLV tiers</h3>")
    assert [r[0] for r in tiers] == [display_name(t) for t in clv.tiers["tier"]]
    assert [int(r[1].replace(",", "")) for r in tiers] == clv.tiers["customers"].tolist()
    # LTV:CAC has one definition: the value over the horizon (the CLV of the discretionary
    # purchases plus the expected subscription revenue) over the acquisition cost. By hand,
    # per segment, over the customers the CLV values that have a cost:
    sub = subscription_value(ws, ["subscription"], as_of=clv.as_of, horizon_months=12)
    value = clv.customers[["customer_id", "clv"]].merge(sub.customers, on="customer_id", how="left")
    value = value.merge(data.tables["customers"], on="customer_id")
    value["value"] = value["clv"] + value["subscription_value"].fillna(0.0)
    value = value[value["acquisition_cost"] > 0]
    ratio = (
        value.groupby("segment")["value"].mean()
        / value.groupby("segment")["acquisition_cost"].mean()
    )
    shown = {r[0]: r for r in table_rows(body, "<h3>LTV:CAC by segment</h3>")}
    for segment, want in ratio.items():
        assert shown[display_name(segment)][5].startswith(f"{want:.2f}x"), segment
    note = next(n for n in clv.notes if n.startswith("LTV:CAC counts the CLV of the "))
    assert "expected subscription revenue over the same 12 months" in note
    assert note in text(body) and 'id="chart-clv-ltv-cac"' in body
    assert "LTV:CAC is not shown" not in text(body)


def test_ltv_cac_on_a_sound_fit_of_all_purchases_by_hand(tmp_path):
    """Without the subscription payments every purchase is discretionary: LTV:CAC is shown."""
    from cxlens.report.models_parts import clv_part
    from cxlens.sample import generate, write_sample

    data = generate(customers=1500, months=24, seed=7)
    tx = data.tables["transactions"]
    data.tables["transactions"] = tx[tx["category"] != "subscription"].reset_index(drop=True)
    paths = write_sample(data, tmp_path / "data")
    with cxlens.Workspace(tmp_path / "shop.duckdb") as ws:
        for table in ("customers", "transactions"):
            ws.ingest(paths[table], table=table)
        clv = ws.models.clv(12)
        body = clv_part(ws).section.body_html
    assert not clv.failed_checks and clv.exclude_categories == () and clv.ltv_cac_note == ""
    cust = data.tables["customers"][["customer_id", "segment", "acquisition_cost"]]
    joined = clv.customers[["customer_id", "clv"]].merge(cust, on="customer_id")
    rows = {r[0]: r for r in table_rows(body, "<h3>LTV:CAC by segment</h3>")}
    for segment, part in joined.groupby("segment"):
        ratio = part["clv"].mean() / part["acquisition_cost"].mean()
        row = rows[display_name(segment)]  # the table names segments in client words
        shown = float(row[4].split("x")[0])
        assert shown == pytest.approx(ratio, abs=0.011), segment
        assert row[5] == (
            "below 3x" if ratio < 3 else "3-5x" if ratio <= 5
            else "above 5x — may be under-investing in acquisition"
        )  # fmt: skip
    low, high, source = ltv_cac_norm()
    assert (low, high) == (3.0, 5.0)
    assert f"at least {low:g}x ({source})" in text(body)
    assert 'id="chart-clv-ltv-cac"' in body


def gap_regularity(tx: pd.DataFrame) -> pd.DataFrame:
    """Per category by hand: median over customers (3+ gaps) of the CV of their purchase gaps."""
    daily = (
        tx.assign(day=tx["occurred_at"].dt.normalize())
        .groupby(["category", "customer_id", "day"], as_index=False)["amount"]
        .sum()
    )
    daily = daily[daily["amount"] > 0].sort_values(["category", "customer_id", "day"])
    daily["gap"] = daily.groupby(["category", "customer_id"])["day"].diff().dt.days
    per = daily.dropna(subset=["gap"]).groupby(["category", "customer_id"])["gap"]
    per = per.agg(["count", "mean", "std"])
    per = per[per["count"] >= 3]
    per["cv"] = per["std"] / per["mean"]
    return per.groupby("category").agg(
        judged=("cv", "size"), gap=("mean", "median"), cv=("cv", "median")
    )


@pytest.mark.slow  # fits every model on a 2,000-customer sample; the hand-made cases stay fast
def test_clv_on_regular_payments_is_refitted_on_discretionary_purchases(built):
    _, data, parts, _, expected = built
    body = parts["clv"].section.body_html
    plain = text(body)
    # the fit on everything ran to the edge, and says so
    everything = expected["clv_all"]
    assert everything.degenerate and max(everything.degenerate.values()) > 1e4
    assert any("purchases are regular rather than random" in n for n in everything.notes)
    # the recurring category by hand: subscription payments come every month like clockwork
    regular = gap_regularity(data.tables["transactions"])
    assert regular.index[regular["cv"] < 0.2].tolist() == ["subscription"]
    assert regular["cv"].drop("subscription").min() > 0.5  # add-ons: Poisson-like, CV ~ 1
    sub = regular.loc["subscription"]
    assert 29 <= sub["gap"] <= 31.5
    assert (
        f"subscription: {int(sub['judged']):,} customers, median gap {sub['gap']:.0f} days, "
        f"median CV {sub['cv']:.2f}" in plain
    )
    assert (
        "CLV of discretionary purchases (excluding recurring subscription); recurring revenue "
        "is not modelled by BG/NBD" in plain
    )
    # the section's numbers are those of the fit without subscriptions
    clv = expected["clv"]
    assert not clv.degenerate
    lead = parts["clv"].section.lead
    assert f"What each of the {len(clv.customers):,} customers with a discretionary" in lead
    assert clv.currency == "USD"  # the sample's transactions are in US dollars
    assert f"total ${clv.customers['clv'].sum():,.0f}" in lead
    assert f"r = {clv.bg_params['r']:.3g}" in parts["clv"].methods[0][1]
    assert "Recurring categories (subscription) are left out" in parts["clv"].methods[0][1]
    # the thresholds of the rule, the defaults of recurring_categories
    assert "is below 0.2, over the customers with 3+ gaps, at least 30 of them" in plain
    assert "with 3+ gaps between purchase days (at least 30 of them)" in parts["clv"].methods[0][1]
    assert any("excluding category 'subscription'" in n for n in clv.notes)


@pytest.mark.slow  # fits every model on a 2,000-customer sample; the hand-made cases stay fast
def test_churn_section_shows_held_out_metrics_and_the_top_targets(built):
    _, data, parts, _, expected = built
    body = parts["churn"].section.body_html
    churn = expected["churn"]
    plain = text(body)
    assert churn.definition.describe() in plain
    y = churn.holdout["churned"].astype(int).to_numpy()
    p = churn.holdout["churn_probability"].to_numpy()
    metrics = {r[0]: r for r in table_rows(body, "<h3>Held out at")}
    assert metrics["ROC-AUC"][1] == f"{roc_auc_score(y, p):.3f}"
    assert metrics["Brier score (lower is better)"][1] == f"{np.mean((p - y) ** 2):.4f}"
    assert churn.importance["label"].iloc[0] in plain
    # the importance card in client words; the method's name only in the methods text
    assert "moves a held-out customer's predicted churn odds" in plain
    assert "TreeSHAP" not in plain
    assert "TreeSHAP contributions (log-odds)" in " ".join(m for _, m in parts["churn"].methods)
    # top 10 by value at risk = CLV x churn probability, by hand, among the customers at
    # or above the training base rate
    risk = churn.scores.merge(expected["clv"].customers[["customer_id", "clv"]])
    risk["var"] = risk["clv"] * risk["churn_probability"]
    at_risk = risk[risk["churn_probability"] >= churn.model.base_rate_]
    top = at_risk.sort_values("var", ascending=False, kind="mergesort").head(10)
    targets = table_rows(body, "<h3>Retention targets: top 10 by value at risk</h3>")
    assert [r[1] for r in targets] == top["customer_id"].tolist()
    assert all(r[5].startswith("$") and r[4].startswith("$") for r in targets)
    assert [float(r[5].strip("$").replace(",", "")) for r in targets] == pytest.approx(
        top["var"].round(0).tolist(), abs=1.0
    )
    # their share of the value at risk of every active customer with a purchase
    share = top["var"].sum() / risk["var"].sum()
    assert (
        f"These 10 hold {share:.0%} of the ${risk['var'].sum():,.0f} at risk across the "
        f"{len(risk):,} active customers with a purchase" in plain
    )
    assert f"Targets are the {len(at_risk):,} customers with a purchase" in plain
    # customer ids only: no names, emails or phone numbers
    pii = data.tables["identities"]
    pii = pii[pii["customer_id"].isin(top["customer_id"])]
    for value in [*pii["email"].dropna(), *pii["name"].dropna(), *pii["phone"].dropna()]:
        assert str(value) not in plain


@pytest.mark.slow  # fits every model on a 2,000-customer sample; the hand-made cases stay fast
def test_churn_section_shows_the_logistic_baseline_on_the_same_split(built):
    _, _, parts, _, expected = built
    body = parts["churn"].section.body_html
    e = expected["churn"].evaluation
    rows = {r[0]: r for r in table_rows(body, "<th>held-out metric</th>")}
    assert rows["ROC-AUC"][1:] == [f"{e['boosting_roc_auc']:.3f}", f"{e['logistic_roc_auc']:.3f}"]
    assert rows["Log-loss (lower is better)"][2] == f"{e['logistic_log_loss']:.3f}"
    in_use = (
        "logistic regression (in use)"
        if e["model_used"] == "logistic regression"
        else ("gradient boosting (in use)")
    )
    assert in_use in body
    assert "Kept the " in text(body)


@pytest.mark.slow  # fits every model on a 2,000-customer sample; the hand-made cases stay fast
def test_offers_section_shows_top_rules_and_the_hit_rates(built):
    ws, _, parts, _, _ = built
    from cxlens.models.offers import affinities, evaluate_offers
    from cxlens.models.offers_baskets import data_range

    body = parts["offers"].section.body_html
    rules = top_rules(affinities(ws))
    shown = table_rows(body, "rules by lift</h3>")
    assert [(r[0], r[1]) for r in shown] == list(zip(rules["antecedent"], rules["consequent"],
                                                     strict=True))  # fmt: skip
    # confidence = baskets with both / baskets with the antecedent, from the rules' own counts
    first = rules.iloc[0]
    assert shown[0][3].startswith(
        f"{100 * first['baskets_with_both'] / first['antecedent_baskets']:.0f}%"
    )
    ev = evaluate_offers(ws, data_range(ws)[1] - pd.Timedelta(days=90), k=[1, 2, 3])
    rows = table_rows(body, "<h3>Evaluation on a time split</h3>")
    model = ev[ev["method"] == "model"]
    assert [r[2].split(" ")[0] for r in rows] == [f"{100 * v:.1f}%" for v in model["hit_rate"]]


def test_a_workspace_without_transactions_gets_notes_not_failures(tmp_path):
    ws = load_workspace(tmp_path, posts=False, analyses=False)  # customers and responses
    parts = model_parts(ws)
    ws.close()
    # churn is contractual here (customers.churned_at), but 400 customers give too few
    for key, title, reason in (("clv", "Customer lifetime value", "transactions"),
                               ("churn", "Churn risk", "too few churners"),
                               ("offers", "Next-best offers", "transactions")):  # fmt: skip
        body = parts[key].section.body_html
        assert body.startswith(f'<p class="note">{title} is not shown: '), body
        assert reason in body and "plotly" not in body.lower()
        assert parts[key].methods == []


def test_a_failed_fit_is_kept_and_noted_by_every_section_that_needs_it():
    calls = []

    class Failing:
        def clv(self, *a, **k):
            calls.append("clv")
            raise cxlens.errors.NotEnoughDataError("only 3 repeat customers")

    class Fake:
        models = Failing()

    fits = ModelFits(Fake())  # type: ignore[arg-type]
    for _ in range(2):
        with pytest.raises(cxlens.errors.NotEnoughDataError, match="only 3 repeat"):
            fits.clv()
    assert calls == ["clv"]


def test_a_clv_fit_that_fails_its_checks_is_a_note_not_results(tmp_path):
    from cxlens.models.checks import DEGENERATE_BOUND
    from cxlens.report.models_parts import clv_part

    ws = load_workspace(tmp_path, posts=False)  # purchases at one Poisson rate per NPS level
    fit = clv_module.clv(ws, 12)
    part = clv_part(ws)
    ws.close()
    body = part.section.body_html
    # the rates barely differ between customers: BG/NBD's r and alpha run off to the edge
    assert fit.degenerate and max(fit.degenerate.values()) > DEGENERATE_BOUND
    assert "plotly" not in body.lower() and "<h3>CLV tiers</h3>" not in body
    note = re.findall(r'<p class="note">(.*?)</p>', body)[0]
    assert note.startswith("The CLV fit is not shown as results: degenerate parameters: ")
    assert f"{next(iter(fit.degenerate))} = {next(iter(fit.degenerate.values())):.3g}" in note
    assert "What would fix it: " in note
    assert part.methods == []


def test_clv_without_acquisition_costs_shows_the_tiers_and_a_note(tmp_path):
    from cxlens.report.models_parts import clv_part
    from cxlens.sample import generate, write_sample

    data = generate(customers=1500, months=24, seed=7)
    tx = data.tables["transactions"]
    data.tables["transactions"] = tx[tx["category"] != "subscription"].reset_index(drop=True)
    data.tables["customers"] = data.tables["customers"].drop(columns="acquisition_cost")
    paths = write_sample(data, tmp_path / "data")
    with cxlens.Workspace(tmp_path / "shop.duckdb") as ws:
        for table in ("customers", "transactions"):
            ws.ingest(paths[table], table=table)
        body = clv_part(ws).section.body_html
    assert 'id="chart-clv-tiers"' in body and 'id="chart-clv-ltv-cac"' not in body
    notes = re.findall(r'<p class="note">(.*?)</p>', body)
    assert notes == [
        "LTV:CAC is not shown: no customer has a known, positive acquisition_cost (a "
        "customers column)."
    ]
