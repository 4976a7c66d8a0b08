"""Monetisation: correlations with bootstrap and partial intervals, value by NPS group, uplift."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf
from scipy import stats as st

from cxlens.analysis import monetization as mon
from cxlens.analysis.monetization import (
    bootstrap_correlations,
    correlation_notes,
    correlation_table,
    correlations,
    fixed_effects_slope,
    newcombe_interval,
    nps_uplift,
    partial_correlation,
    uplift_table,
    value_by_nps_group,
)
from cxlens.errors import ArgumentError, SchemaError
from tests.analysis.test_features import sample_workspace, workspace_from
from tests.conftest import ENGINES, on_engine

TS = pd.Timestamp
AS_OF = TS("2024-12-31")


# --- bootstrap ----------------------------------------------------------------------------


def test_weighted_resample_equals_the_explicit_resample():
    rng = np.random.default_rng(3)
    x = rng.integers(0, 11, 60).astype(float)  # ties, as NPS answers have
    y = np.round(x * 3 + rng.normal(0, 5, 60))
    idx = np.random.default_rng(9).integers(0, 60, size=(5, 60))
    w = np.stack([np.bincount(row, minlength=60) for row in idx]).astype(float)
    ox, ix = mon._onehot(x)
    oy, iy = mon._onehot(y)
    pearson = mon._weighted_corr(x, y, w)
    spearman = mon._weighted_corr(mon._resample_ranks(w, ox, ix), mon._resample_ranks(w, oy, iy), w)
    for b, row in enumerate(idx):
        assert pearson[b] == pytest.approx(st.pearsonr(x[row], y[row]).statistic, abs=1e-12)
        assert spearman[b] == pytest.approx(st.spearmanr(x[row], y[row]).statistic, abs=1e-12)


def test_bootstrap_is_seeded_and_brackets_the_estimate():
    rng = np.random.default_rng(0)
    x = rng.normal(size=400)
    y = 0.5 * x + rng.normal(size=400)
    a = bootstrap_correlations(x, y, n_boot=400, seed=1)
    assert a == bootstrap_correlations(x, y, n_boot=400, seed=1)
    assert a != bootstrap_correlations(x, y, n_boot=400, seed=2)
    r = st.pearsonr(x, y).statistic
    assert a["pearson"][0] < r < a["pearson"][1]
    # the percentile interval is close to Fisher's for normal data
    half = 1.96 / np.sqrt(397)
    assert a["pearson"][0] == pytest.approx(np.tanh(np.arctanh(r) - half), abs=0.03)
    assert a["pearson"][1] == pytest.approx(np.tanh(np.arctanh(r) + half), abs=0.03)


def test_bootstrap_rejects_bad_arguments():
    with pytest.raises(ArgumentError, match="n_boot"):
        bootstrap_correlations([1, 2, 3], [3, 2, 1], n_boot=0)


# --- partial correlation and fixed effects --------------------------------------------------


def _confounded(n: int = 300, seed: int = 4) -> pd.DataFrame:
    """Segment drives both NPS and revenue; within segments NPS adds a little revenue."""
    rng = np.random.default_rng(seed)
    segment = rng.choice(["consumer", "smb", "enterprise"], n)
    base = pd.Series(segment).map({"consumer": 0.0, "smb": 2.0, "enterprise": 4.0}).to_numpy()
    nps = np.clip(np.round(5 + base + rng.normal(0, 1.5, n)), 0, 10)
    revenue = 100 * base + 5 * nps + rng.normal(0, 20, n)
    return pd.DataFrame({"segment": segment, "mean_nps": nps, "revenue_12m": revenue})


def test_partial_correlation_equals_manual_residualisation():
    df = _confounded()
    dummies = pd.get_dummies(df.segment, dtype=float).to_numpy()  # all levels = intercept
    beta_x, *_ = np.linalg.lstsq(dummies, df.mean_nps.to_numpy(), rcond=None)
    beta_y, *_ = np.linalg.lstsq(dummies, df.revenue_12m.to_numpy(), rcond=None)
    rx = df.mean_nps.to_numpy() - dummies @ beta_x
    ry = df.revenue_12m.to_numpy() - dummies @ beta_y
    want = np.corrcoef(rx, ry)[0, 1]
    r, low, high, _p = partial_correlation(
        df.mean_nps.to_numpy(), df.revenue_12m.to_numpy(), df.segment.to_numpy()
    )
    assert r == pytest.approx(want, abs=1e-12)
    # Fisher interval with n - 3 - k, k = 2 dummies
    half = st.norm.ppf(0.975) / np.sqrt(len(df) - 3 - 2)
    assert low == pytest.approx(np.tanh(np.arctanh(want) - half))
    assert high == pytest.approx(np.tanh(np.arctanh(want) + half))
    # the raw correlation is inflated by segment; the partial one is much smaller
    assert np.corrcoef(df.mean_nps, df.revenue_12m)[0, 1] > r + 0.3


def test_fixed_effects_slope_matches_statsmodels_formula_and_fwl():
    df = _confounded()
    coef, low, high, p = fixed_effects_slope(
        df.mean_nps.to_numpy(), df.revenue_12m.to_numpy(), df.segment.to_numpy()
    )
    fit = smf.ols("revenue_12m ~ mean_nps + C(segment)", data=df).fit(cov_type="HC3")
    assert coef == pytest.approx(fit.params["mean_nps"])
    assert (low, high) == pytest.approx(tuple(fit.conf_int().loc["mean_nps"]))
    assert p == pytest.approx(fit.pvalues["mean_nps"])
    # Frisch-Waugh-Lovell: the slope of residual on residual
    rx = df.mean_nps - df.groupby("segment").mean_nps.transform("mean")
    ry = df.revenue_12m - df.groupby("segment").revenue_12m.transform("mean")
    assert coef == pytest.approx((rx * ry).sum() / (rx * rx).sum())
    assert 3 < coef < 7  # the planted within-segment effect is 5


def test_correlation_table_columns_and_small_samples():
    df = _confounded(n=40)
    df["churned"] = np.arange(40) % 3 == 0
    t = correlation_table(df, scores=["nps"], outcomes=["revenue", "retention"], n_boot=100,
                          min_n=50)  # fmt: skip
    assert t.outcome.tolist() == ["revenue", "retention"]
    assert t.small_sample.all() and (t.n == 40).all()
    row = t.iloc[0]
    assert row.pearson == pytest.approx(st.pearsonr(df.mean_nps, df.revenue_12m).statistic)
    assert row.spearman == pytest.approx(st.spearmanr(df.mean_nps, df.revenue_12m).statistic)
    assert row.pearson_ci_low < row.pearson < row.pearson_ci_high
    with pytest.raises(ArgumentError, match="unknown score"):
        correlation_table(df, scores=["loyalty"])
    with pytest.raises(SchemaError, match="control column"):
        correlation_table(df, control="tier")


# --- value by NPS group and uplift on hand data ---------------------------------------------

# Ten customers: 4 promoters, 3 passives, 3 detractors (by their latest answer).
NPS = {"p1": 10, "p2": 9, "p3": 9, "p4": 10, "m1": 8, "m2": 7, "m3": 7, "d1": 3, "d2": 6, "d3": 0}
REVENUE = {"p1": 300.0, "p2": 250.0, "p3": 200.0, "p4": 350.0, "m1": 180.0, "m2": 220.0,
           "m3": 200.0, "d1": 90.0, "d2": 150.0, "d3": 60.0}  # fmt: skip
CHURNED = {"p3", "m2", "d1", "d3"}


@pytest.fixture(scope="module")
def duckdb_groups_ws(tmp_path_factory):
    ids = list(NPS)
    customers = pd.DataFrame({
        "customer_id": ids, "segment": ["s"] * 10,
        "first_seen": [TS("2023-01-01")] * 10,
        "churned_at": [TS("2024-11-30") if c in CHURNED else pd.NaT for c in ids],
    })  # fmt: skip
    responses = pd.DataFrame({
        "response_id": [f"r{i}" for i in range(10)], "customer_id": ids,
        "responded_at": [TS("2024-06-01")] * 10, "nps": [NPS[c] for c in ids],
    })  # fmt: skip
    transactions = pd.DataFrame({
        "transaction_id": [f"t{i}" for i in range(10)], "customer_id": ids,
        "occurred_at": [TS("2024-05-01")] * 10, "amount": [REVENUE[c] for c in ids],
    })  # fmt: skip
    ws = workspace_from(tmp_path_factory.mktemp("groups"), customers=customers,
                        responses=responses, transactions=transactions)  # fmt: skip
    yield ws
    ws.close()


@pytest.fixture(scope="module", params=ENGINES)
def groups_ws(request, duckdb_groups_ws):
    """``duckdb_groups_ws`` on each engine (Spark: a copy of the same tables)."""
    return on_engine(request, duckdb_groups_ws)


def _members(prefix: str) -> list[str]:
    return [c for c in NPS if c.startswith(prefix)]


def test_value_by_nps_group_by_hand(groups_ws):
    t = value_by_nps_group(groups_ws, as_of=AS_OF, min_n=4).set_index("nps_group")
    assert t.index.tolist() == ["promoter", "passive", "detractor"]
    assert t.customers.tolist() == [4, 3, 3]
    assert t.share.tolist() == pytest.approx([0.4, 0.3, 0.3])
    z = st.norm.ppf(0.975)
    for group, prefix in (("promoter", "p"), ("passive", "m"), ("detractor", "d")):
        rev = np.array([REVENUE[c] for c in _members(prefix)])
        n = len(rev)
        half = st.t.ppf(0.975, n - 1) * rev.std(ddof=1) / np.sqrt(n)
        row = t.loc[group]
        assert row.revenue_per_customer == pytest.approx(rev.mean())
        assert (row.revenue_ci_low, row.revenue_ci_high) == pytest.approx(
            (rev.mean() - half, rev.mean() + half)
        )
        kept = sum(c not in CHURNED for c in _members(prefix))
        p = kept / n
        centre = (p + z * z / (2 * n)) / (1 + z * z / n)
        w = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
        assert row.retention_rate == pytest.approx(100 * p)
        assert row.retention_ci_low == pytest.approx(100 * (centre - w))
        assert row.retention_ci_high == pytest.approx(100 * min(centre + w, 1.0))
        assert row.churn_rate == pytest.approx(100 * (1 - p))
        assert row.purchases_per_customer == pytest.approx(1.0)
    assert t.small_sample.tolist() == [False, True, True]


def test_newcombe_matches_the_published_example():
    # Newcombe (1998), Statistics in Medicine 17, table II, example (a): 56/70 vs 48/80
    assert newcombe_interval(56, 70, 48, 80) == pytest.approx((0.0524, 0.3339), abs=5e-5)


def test_nps_uplift_by_hand(groups_ws):
    up = nps_uplift(groups_ws, points=10, as_of=AS_OF)
    t = up.table.set_index("move")
    assert list(t.index) == ["detractor → passive", "detractor → promoter", "passive → promoter"]
    rev = {g: np.array([REVENUE[c] for c in _members(p)]) for g, p in
           (("promoter", "p"), ("passive", "m"), ("detractor", "d"))}  # fmt: skip
    row = t.loc["detractor → passive"]
    welch = st.ttest_ind(rev["passive"], rev["detractor"], equal_var=False)
    ci = welch.confidence_interval(0.95)
    assert row.revenue_diff == pytest.approx(rev["passive"].mean() - rev["detractor"].mean())
    assert (row.revenue_diff_ci_low, row.revenue_diff_ci_high) == pytest.approx((ci.low, ci.high))
    assert row.revenue_diff_p == pytest.approx(welch.pvalue)
    # +10 points: 10% of 10 respondents move detractor -> passive; 5% detractor -> promoter
    assert row.customers_moved == pytest.approx(1.0)
    assert t.loc["detractor → promoter", "customers_moved"] == pytest.approx(0.5)
    assert row.projected_revenue == pytest.approx(row.revenue_diff)
    # retention: passives 2 of 3, detractors 1 of 3
    assert row.retention_diff == pytest.approx(100 * (2 / 3 - 1 / 3))
    lo, hi = newcombe_interval(2, 3, 1, 3)
    assert (row.retention_diff_ci_low, row.retention_diff_ci_high) == pytest.approx(
        (100 * lo, 100 * hi)
    )
    assert t.feasible.all() and t.small_sample.all()
    assert up.table.attrs == {} and "to 2024-12-31" in up.assumptions[2]
    assert "+10 NPS points" in up.assumptions[0] and "10 customers" in up.assumptions[0]
    assert any("12 months" in a for a in up.assumptions)
    assert any("CLV" in a for a in up.assumptions)


def test_uplift_flags_a_move_that_cannot_happen():
    g = pd.DataFrame({"nps_group": ["promoter", "passive", "detractor"],
                      "customers": [90, 8, 2], "revenue_per_customer": [10.0, 8.0, 5.0],
                      "revenue_sd": [1.0, 1.0, 1.0], "retention_rate": [90.0, 80.0, 50.0],
                      "retained": [81, 6, 1], "status_known": [90, 8, 2],
                      "small_sample": [False, True, True]})  # fmt: skip
    t = uplift_table(g, points=6).set_index("move")
    assert not t.loc["detractor → passive", "feasible"]  # 6 customers from 2 detractors
    assert t.loc["detractor → promoter", "customers_moved"] == pytest.approx(3.0)


def test_bad_input(groups_ws, tmp_path):
    with pytest.raises(ArgumentError, match="points"):
        nps_uplift(groups_ws, points=0)
    ws = workspace_from(tmp_path, responses=pd.DataFrame({
        "response_id": ["r1"], "customer_id": ["a"], "responded_at": [TS("2024-01-01")],
        "nps": [9]}))  # fmt: skip
    with pytest.raises(SchemaError, match="transactions"):
        value_by_nps_group(ws)
    with pytest.raises(SchemaError, match="transactions"):
        correlations(ws)
    ws.close()


# --- integration on the sample --------------------------------------------------------------


@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    ws, data = sample_workspace(tmp_path_factory.mktemp("sample"), customers=2000)
    yield ws, data
    ws.close()


def test_promoters_are_retained_more_than_detractors_on_the_sample(sample):
    ws, data = sample
    truth = data.truth["churn"]["churned_share_by_expected_group"]
    assert truth["promoter"] < truth["detractor"]  # the sample plants it
    t = value_by_nps_group(ws).set_index("nps_group")
    assert t.loc["promoter", "retention_ci_low"] > t.loc["detractor", "retention_ci_high"]
    assert t.loc["promoter", "revenue_per_customer"] > t.loc["detractor", "revenue_per_customer"]
    corr = correlations(ws, n_boot=200).set_index(["score", "outcome"])
    assert corr.loc[("nps", "retention"), "pearson_ci_low"] > 0
    assert corr.loc[("nps", "retention"), "partial_ci_low"] > 0
    assert corr.loc[("nps", "retention"), "coef_ci_low"] > 0
    assert len(corr) == 12 and not corr.small_sample.any()
    assert corr.attrs == {}
    notes = correlation_notes(control="segment", confidence=0.9, n_boot=200, seed=1)
    assert any("CLV" in note for note in notes)
    assert "90% percentile bootstrap over customers, 200 resamples, seed 1" in notes[4]
    assert "segment dummies" in notes[5]
    up = nps_uplift(ws, points=5)
    assert (up.table.retention_diff > 0).all()
