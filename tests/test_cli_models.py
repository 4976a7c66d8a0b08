"""The model commands (clv, churn, retention, offers, survival) on the sample workspace.

Printed numbers are compared with the Python API (``ws.models``) and, where it can be done
by hand, with an independent computation from the sample's own tables.
"""

from __future__ import annotations

import shutil

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import roc_auc_score
from typer.testing import CliRunner

import cxlens
from cxlens.cli import app
from tests.analysis.test_features import sample_workspace
from tests.test_cli import flat, row_of

runner = CliRunner(env={"COLUMNS": "250"})


def run(*args: object):
    return runner.invoke(app, [str(a) for a in args])


def cells(output: str, first: str) -> list[str]:
    """The cells of the table row that starts with ``first``."""
    return [c.strip() for c in row_of(output, first).strip("│ ").split("│")]


def number(text: str) -> float:
    return float(text.replace(",", ""))


@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    """The cxlens sample (2,000 customers, 24 months) in a workspace file, and its tables.

    2,000 customers: with 1,500 the churn model's held-out ROC-AUC is 0.54, within 0.05 of
    a random order, and the churn commands show a note instead of results.
    """
    folder = tmp_path_factory.mktemp("models-cli")
    ws, data = sample_workspace(folder, customers=2000)
    ws.close()
    return folder / "sample.duckdb", data


#: The Python API's call for each answer the commands are compared with.
FITS = {
    "clv": lambda models: models.clv(12),
    "churn": lambda models: models.churn(90),
    "offers": lambda models: models.offers(3),
    "survival": lambda models: models.survival("segment"),
    "cox": lambda models: models.cox(["segment"]),
}


class Fitted(dict):
    """The Python API's answers on the sample workspace, each fitted once when first asked.

    Lazy, so ``make test-fast`` (where the churn commands' tests are slow) never fits churn.
    """

    def __init__(self, path) -> None:
        super().__init__()
        self.path = path

    def __missing__(self, name: str):
        with cxlens.Workspace(self.path) as ws:
            self[name] = FITS[name](ws.models)
        return self[name]


@pytest.fixture(scope="module")
def fitted(sample) -> Fitted:
    """The Python API's answers on the same workspace (each model fitted once, when asked)."""
    return Fitted(sample[0])


def test_clv_prints_fits_holdout_tiers_and_ltv_cac_with_subscriptions(sample, fitted, tmp_path):
    path, _ = sample
    result = run("clv", "-w", path)
    assert result.exit_code == 0, result.output
    clv = fitted["clv"]
    printed = {
        line.split("│")[2].strip(): number(line.split("│")[3])
        for line in result.output.splitlines()
        if line.startswith("│ BG/NBD") or line.startswith("│ Gamma-Gamma")
    }
    # the same data gives the same fit to 6 significant digits, even on this sample's flat
    # Gamma-Gamma ridge (p large, gamma small): spend is summed exactly in the engine
    for name, value in {**clv.bg_params, **clv.gg_params}.items():
        assert f"{printed['alpha (days)' if name == 'alpha' else name]:.6g}" == f"{value:.6g}"
    # the fit on everything is degenerate (monthly subscription payments), so the command
    # shows the fit on the discretionary purchases, as the report and the API do
    assert clv.full_fit is not None and clv.full_fit.degenerate and not clv.degenerate
    assert clv.exclude_categories == ("subscription",) and not clv.failed_checks
    assert "fitted on transactions excluding category 'subscription'" in flat(result.output)
    assert "CLV tiers (money in USD)" in flat(result.output)
    assert f"total ${clv.customers['clv'].sum():,.0f}" in flat(result.output)
    for r in clv.tiers.itertuples():
        row = cells(result.output, r.tier)
        assert int(row[2]) == r.customers
        assert number(row[5]) == pytest.approx(r.clv_mean, rel=2e-3)
    # LTV:CAC: the discretionary CLV plus the subscription revenue, over the acquisition
    # cost, as the report and the API give it (one definition, stated)
    assert "LTV:CAC is not shown" not in flat(result.output)
    assert "LTV:CAC counts the CLV of the discretionary purchases plus the expected " in (
        flat(result.output)
    )
    for r in clv.by_segment.itertuples():
        row = cells(result.output, r.segment)
        assert f"{r.ltv_cac:.2f}" in row and f"{r.value_mean:.2f}" in row, (r.segment, row)
    assert "LTV:CAC norm: at least" in flat(result.output)
    out = tmp_path / "clv.csv"
    assert run("clv", "-o", out, "-w", path).exit_code == 0
    written = pd.read_csv(out)
    assert written["customer_id"].tolist() == clv.customers["customer_id"].tolist()
    assert written["clv"].to_numpy() == pytest.approx(clv.customers["clv"].to_numpy(), rel=2e-3)


def test_a_clv_fit_that_fails_its_checks_is_a_note_not_results(sample, tmp_path):
    path, _ = sample
    # the subscription payments alone: one a month, the same amount; BG/NBD runs off
    result = run("clv", "--category", "subscription", "-w", path)
    assert result.exit_code == 0, result.output
    shown = flat(result.output)
    assert shown.startswith("The CLV fit is not shown as results: degenerate parameters: ")
    assert "What would fix it: " in shown and "fitted parameters" not in shown
    assert "CLV tiers" not in shown
    out = tmp_path / "sub.csv"
    refused = run("clv", "--category", "subscription", "-o", out, "-w", path)
    assert refused.exit_code == 1 and "not shown as results" in flat(refused.output)
    assert not out.exists()


def test_a_declared_currency_must_be_the_datas(sample):
    path, data = sample
    assert set(data.tables["transactions"]["currency"]) == {"USD"}
    wrong = run("clv", "--currency", "EUR", "-w", path)
    assert wrong.exit_code == 1 and wrong.output.startswith("error:")
    assert "are in USD, but the currency declared is EUR" in flat(wrong.output)


@pytest.mark.slow  # fits churn and CLV again through the CLI; tests/models covers the figures
def test_clv_category_options_filter_the_transactions(sample, tmp_path):
    path, data = sample
    result = run("clv", "--exclude-category", "subscription", "-o", tmp_path / "d.csv", "-w", path)
    assert result.exit_code == 0, result.output
    with cxlens.Workspace(path) as ws:
        want = ws.models.clv(12, exclude_categories=["subscription"])
    written = pd.read_csv(tmp_path / "d.csv")
    assert written["customer_id"].tolist() == want.customers["customer_id"].tolist()
    assert written["clv"].to_numpy() == pytest.approx(want.customers["clv"].to_numpy(), rel=1e-9)
    # only customers with a discretionary (non-subscription) purchase are valued
    tx = data.tables["transactions"]
    buyers = set(tx.loc[(tx["category"] != "subscription") & (tx["amount"] > 0), "customer_id"])
    assert set(written["customer_id"]) <= buyers and len(written) > 0.8 * len(buyers)
    shown = run("clv", "--category", "hardware", "--category", "software", "-w", path)
    assert shown.exit_code == 0, shown.output
    assert "fitted on transactions in categories 'hardware', 'software'" in flat(shown.output)
    bad = run("clv", "--exclude-category", "subscriptions", "-w", path)
    assert bad.exit_code == 1 and bad.output.startswith("error:")
    assert "category 'subscriptions' not found" in flat(bad.output)
    assert "'subscription'" in flat(bad.output)  # the known categories are listed


def test_clv_save_stores_the_tiers_for_grouping(sample, fitted, tmp_path):
    copy = tmp_path / "copy.duckdb"
    shutil.copy(sample[0], copy)
    result = run("clv", "--save", "-o", tmp_path / "c.csv", "-w", copy)
    assert result.exit_code == 0, result.output
    assert "--by clv_tier" in result.output
    with cxlens.Workspace(copy) as ws:
        saved = ws.table("customer_segments").execute()
    counts = saved["clv_tier"].value_counts()
    for r in fitted["clv"].tiers.itertuples():
        assert counts[r.tier] == r.customers
    grouped = run("metrics", "nps", "--by", "clv_tier", "-w", copy)
    assert grouped.exit_code == 0 and "platinum" in grouped.output


@pytest.mark.slow  # fits churn and CLV again through the CLI; tests/models covers the figures
def test_churn_prints_held_out_metrics_features_and_risk_bands(sample, fitted, tmp_path):
    path, _ = sample
    result = run("churn", "-w", path)
    assert result.exit_code == 0, result.output
    churn = fitted["churn"]
    e = churn.evaluation
    assert churn.definition.describe()[:60] in flat(result.output)
    # the metrics from the held-out labels, by a reference library and by hand
    hold = churn.holdout
    y, p = hold["churned"].astype(int).to_numpy(), hold["churn_probability"].to_numpy()
    assert f" {roc_auc_score(y, p):.3f} " in row_of(result.output, "ROC-AUC")
    brier_line = row_of(result.output, "Brier score")
    assert f" {np.mean((p - y) ** 2):.4f} " in brier_line
    assert f" {np.mean((e['train_base_rate'] - y) ** 2):.4f} " in brier_line
    assert f" {y.mean():.3f} " in row_of(result.output, "PR-AUC")
    assert churn.importance["label"].iloc[0] in result.output
    # risk bands by hand: at least twice the training base rate is high, at least it medium
    scores = churn.scores["churn_probability"]
    rate = e["train_base_rate"]
    high = int((scores >= 2 * rate).sum())
    medium = int(((scores >= rate) & (scores < 2 * rate)).sum())
    assert f" {high} " in row_of(result.output, "high")
    assert f" {medium} " in row_of(result.output, "medium")
    assert f" {len(scores) - high - medium} " in row_of(result.output, "low")
    out = tmp_path / "scores.csv"
    assert run("churn", "-o", out, "-w", path).exit_code == 0
    written = pd.read_csv(out)
    assert list(written.columns) == list(churn.scores.columns)
    assert written["customer_id"].tolist() == churn.scores["customer_id"].tolist()
    assert written["reason_1"].notna().all()


@pytest.mark.slow  # fits churn and CLV again through the CLI; tests/models covers the figures
def test_retention_ranks_by_clv_times_churn_probability(sample, fitted, tmp_path):
    path, data = sample
    result = run("retention", "--top", 5, "-w", path)
    assert result.exit_code == 0, result.output
    # value at risk by hand from the two fits, over the customers at or above the base rate
    everyone = fitted["churn"].scores.merge(fitted["clv"].customers[["customer_id", "clv"]])
    everyone["var"] = everyone["clv"] * everyone["churn_probability"]
    risk = everyone[everyone["churn_probability"] >= fitted["churn"].model.base_rate_]
    risk = risk.sort_values("var", ascending=False, kind="mergesort").reset_index(drop=True)
    for i in range(5):
        line = row_of(result.output, str(i + 1))
        assert f" {risk['customer_id'][i]} " in line and f" {risk['var'][i]:.2f} " in line
    share = risk["var"].head(5).sum() / everyone["var"].sum()
    assert f"hold {share:.1%} of it" in flat(result.output)
    assert f"value at risk ${everyone['var'].sum():,.2f} across the {len(everyone):,}" in flat(
        result.output
    )
    # customer ids only: no name, email or phone of the sample's identities
    pii = data.tables["identities"].set_index("customer_id").loc[risk["customer_id"][:5]]
    for value in [*pii["email"].dropna(), *pii["name"].dropna()]:
        assert str(value) not in result.output
    out = tmp_path / "targets.csv"
    assert run("retention", "-o", out, "-w", path).exit_code == 0
    written = pd.read_csv(out)
    assert set(written["customer_id"]) == set(risk["customer_id"])
    assert written["value_at_risk"].is_monotonic_decreasing
    by_id = risk.set_index("customer_id")["var"]
    expected = by_id.loc[written["customer_id"]].to_numpy()
    assert written["value_at_risk"].to_numpy() == pytest.approx(expected, rel=2e-3)


@pytest.mark.slow  # fits churn and CLV again through the CLI; tests/models covers the figures
def test_retention_can_value_discretionary_purchases_only(sample, fitted, tmp_path):
    path, _ = sample
    out = tmp_path / "discretionary.csv"
    result = run("retention", "--exclude-category", "subscription", "-o", out, "-w", path)
    assert result.exit_code == 0, result.output
    with cxlens.Workspace(path) as ws:
        clv = ws.models.clv(12, exclude_categories=["subscription"]).customers
    written = pd.read_csv(out).set_index("customer_id")
    expected = clv.set_index("customer_id").loc[written.index, "clv"].to_numpy()
    assert written["clv"].to_numpy() == pytest.approx(expected, rel=1e-9)


def _owned(transactions: pd.DataFrame) -> pd.DataFrame:
    """Customer x product ownership by hand: each refund cancels the latest matching purchase."""
    t = transactions.dropna(subset=["customer_id", "product"]).copy()
    t["occurred_at"] = pd.to_datetime(t["occurred_at"])
    t["cents"] = (t["amount"].abs() * 100).round().astype(int)
    t = t.sort_values(["occurred_at", "transaction_id"]).reset_index(drop=True)
    buys = t[t["amount"] > 0]
    cancelled: set[int] = set()
    for r in t[t["amount"] < 0].itertuples():
        match = buys[(buys["customer_id"] == r.customer_id) & (buys["product"] == r.product)
                     & (buys["cents"] == r.cents) & (buys["occurred_at"] <= r.occurred_at)
                     & ~buys.index.isin(cancelled)]  # fmt: skip
        if len(match):
            cancelled.add(match.index[-1])
    kept = buys[~buys.index.isin(cancelled)]
    return kept[["customer_id", "product"]].drop_duplicates()


def test_offers_prints_the_top_rules_and_the_evaluation(sample, fitted, tmp_path):
    path, data = sample
    result = run("offers", "--rules", 3, "-w", path)
    assert result.exit_code == 0, result.output
    rules = fitted["offers"].affinities
    best = rules[rules["significant"] & ~rules["small_sample"]].sort_values(
        "lift", ascending=False, kind="mergesort"
    )
    top = best.iloc[0]
    # the top rule's counts and lift by hand from the transactions (baskets = customers)
    owned = _owned(data.tables["transactions"])
    n = owned["customer_id"].nunique()
    has_a = set(owned.loc[owned["product"] == top["antecedent"], "customer_id"])
    has_b = set(owned.loc[owned["product"] == top["consequent"], "customer_id"])
    both = len(has_a & has_b)
    lift = (both / len(has_a)) / (len(has_b) / n)
    line = row_of(result.output, top["antecedent"])
    assert f" {both} " in line and f" {lift:.3f} " in line, line
    ev = fitted["offers"].evaluation
    for r in ev.itertuples():
        assert f" {r.customers_hit} " in result.output and f" {r.hit_rate:.3f} " in result.output
    out = tmp_path / "offers.csv"
    assert run("offers", "-o", out, "-w", path).exit_code == 0
    written = pd.read_csv(out)
    assert len(written) == len(fitted["offers"].offers)
    assert written.groupby("customer_id")["rank"].max().max() <= 3


def test_survival_prints_kaplan_meier_by_segment_and_cox(sample, fitted, tmp_path):
    path, data = sample
    result = run("survival", "--by", "segment", "-w", path)
    assert result.exit_code == 0, result.output
    cust = data.tables["customers"]
    churned = cust.assign(c=cust["churned_at"].notna()).groupby("segment")["c"].sum()
    summary = fitted["survival"].summary.set_index("group")
    for segment, count in churned.items():
        line = row_of(result.output, segment)
        assert f" {int(count)} " in line, line  # churned, counted from the sample by hand
        assert f" {summary.loc[segment, 'survival_12m']:.3f} " in line
    lines = result.output.splitlines()
    for r in fitted["cox"].itertuples():
        line = next(x for x in lines if x.startswith(f"│ {r.covariate} ") and f" {r.term} " in x)
        assert f" {r.hazard_ratio:.3f} " in line and f" {r.ci_low:.3f} " in line
    out = tmp_path / "curves.csv"
    assert run("survival", "-o", out, "-w", path).exit_code == 0
    assert set(pd.read_csv(out)["group"]) == set(churned.index)


def test_model_commands_fail_with_one_clear_line(tmp_path):
    empty = tmp_path / "empty.duckdb"
    assert run("init", "-w", empty).exit_code == 0
    for command in ("clv", "churn", "offers", "retention"):
        result = run(command, "-w", empty)
        assert result.exit_code == 1, command
        assert result.output.startswith("error:") and "Traceback" not in result.output, command
    bad = run("churn", "--definition", "moody", "-w", empty)
    assert bad.exit_code == 1 and "unknown churn definition 'moody'" in bad.output
