"""Key driver analysis: relative weights, Shapley regression, logistic weights, priority matrix.

Numbers are checked against independent computations written here (SVD and statsmodels on
the rows, brute-force subset regressions), and the planted driver order of the sample data
is recovered through a real DuckDB Workspace.
"""

from __future__ import annotations

import doctest
import importlib
import itertools
import math
from pathlib import Path

import ibis
import numpy as np
import pandas as pd
import pytest
import scipy.linalg
import statsmodels.api as sm

import cxlens
from cxlens.analysis import _bootstrap, drivers
from cxlens.analysis._importance import logit_fit, subset_r2
from cxlens.analysis.charts_drivers import importance_figure, priority_matrix_figure
from cxlens.analysis.drivers import (
    driver_patterns,
    drivers_for_workspace,
    drivers_logistic,
    priority_matrix,
    relative_weights,
    shapley_regression,
)
from cxlens.errors import ArgumentError, NotEnoughDataError, SchemaError
from cxlens.sample import generate, write_sample
from tests.conftest import ENGINES, on_engine

DRIVERS = ["driver_a", "driver_b", "driver_c", "driver_d"]


def ratings(n: int = 600, seed: int = 42) -> pd.DataFrame:
    """Correlated 1-5 driver ratings and a 0-10 target built from them."""
    rng = np.random.default_rng(seed)
    cov = np.array(
        [[1.0, 0.5, 0.3, 0.2], [0.5, 1.0, 0.4, 0.1], [0.3, 0.4, 1.0, 0.3], [0.2, 0.1, 0.3, 1.0]]
    )
    latent = rng.multivariate_normal(np.zeros(4), cov, size=n)
    x = np.clip(np.rint(3.2 + 1.1 * latent), 1, 5)
    y = np.clip(np.rint(1.0 + x @ [0.9, 0.6, 0.3, 0.1] + rng.normal(0, 1.2, n)), 0, 10)
    frame = pd.DataFrame(x, columns=DRIVERS)
    frame.insert(0, "nps", y)
    return frame


@pytest.fixture(scope="module")
def frame() -> pd.DataFrame:
    return ratings()


def patterns_of(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.groupby(list(frame.columns)).size().rename("weights").reset_index()


def johnson_by_svd(frame: pd.DataFrame, target: str, names: list[str]) -> np.ndarray:
    """Relative weights the way Johnson (2000) describes them, from the rows via the SVD."""
    x = frame[names].to_numpy(float)
    y = frame[target].to_numpy(float)
    xs = (x - x.mean(0)) / x.std(0)
    ys = (y - y.mean()) / y.std()
    u, _, vt = np.linalg.svd(xs, full_matrices=False)
    z = u @ vt * math.sqrt(len(x))  # the orthonormal columns closest to xs
    lam = np.linalg.lstsq(z, xs, rcond=None)[0]  # regress each driver on Z
    beta = sm.OLS(ys, z).fit().params  # regress the target on Z
    return (lam.T**2) @ beta**2


# --------------------------------------------------------------------------------------
# relative weights and Shapley against independent computations


def test_relative_weights_match_an_independent_svd_computation(frame):
    got = relative_weights(frame, "nps", DRIVERS, bootstrap=0).set_index("driver")
    expected = johnson_by_svd(frame, "nps", DRIVERS)
    np.testing.assert_allclose(got.loc[DRIVERS, "raw_weight"], expected, rtol=1e-9)
    r2 = sm.OLS(frame["nps"], sm.add_constant(frame[DRIVERS])).fit().rsquared
    assert got["raw_weight"].sum() == pytest.approx(r2, rel=1e-10)
    assert got["r_squared"].to_numpy() == pytest.approx([r2] * len(DRIVERS), rel=1e-10)
    assert got["rescaled_weight"].sum() == pytest.approx(100.0)
    assert got["n"].eq(len(frame)).all() and got.attrs == {}
    assert got["patterns"].eq(len(patterns_of(frame))).all()
    settings = got[["method", "target", "confidence", "bootstrap"]].drop_duplicates()
    assert settings.values.tolist() == [["relative_weights", "nps", 0.95, 0]]
    assert got["bootstrap_mode"].isna().all() and got["r_squared_ci_low"].isna().all()


def test_relative_weights_match_the_matrix_square_root_form(frame):
    corr = np.corrcoef(frame[["nps", *DRIVERS]].to_numpy(float), rowvar=False)
    lam = np.real(scipy.linalg.sqrtm(corr[1:, 1:]))
    beta = np.linalg.solve(lam, corr[1:, 0])
    expected = (lam**2) @ beta**2
    got = relative_weights(frame, "nps", DRIVERS, bootstrap=0).set_index("driver")
    np.testing.assert_allclose(got.loc[DRIVERS, "raw_weight"], expected, rtol=1e-9)
    np.testing.assert_allclose(got.loc[DRIVERS, "correlation"], corr[1:, 0], rtol=1e-12)
    coef = np.linalg.solve(corr[1:, 1:], corr[1:, 0])
    np.testing.assert_allclose(got.loc[DRIVERS, "beta"], coef, rtol=1e-9)


def shapley_by_permutations(frame: pd.DataFrame, target: str, names: list[str]) -> np.ndarray:
    """Average marginal R² gain over every order, with an OLS fit on the rows per subset."""
    r2 = {(): 0.0}
    for k in range(1, len(names) + 1):
        for subset in itertools.combinations(names, k):
            fit = sm.OLS(frame[target], sm.add_constant(frame[list(subset)])).fit()
            r2[tuple(sorted(subset))] = fit.rsquared
    value = dict.fromkeys(names, 0.0)
    orders = list(itertools.permutations(names))
    for order in orders:
        for i, name in enumerate(order):
            before = tuple(sorted(order[:i]))
            value[name] += r2[tuple(sorted((*before, name)))] - r2[before]
    return np.array([value[n] / len(orders) for n in names])


def test_shapley_matches_brute_force_subset_regressions(frame):
    got = shapley_regression(frame, "nps", DRIVERS, bootstrap=0).set_index("driver")
    expected = shapley_by_permutations(frame, "nps", DRIVERS)
    np.testing.assert_allclose(got.loc[DRIVERS, "raw_weight"], expected, rtol=1e-9)
    r2 = sm.OLS(frame["nps"], sm.add_constant(frame[DRIVERS])).fit().rsquared
    assert got["raw_weight"].sum() == pytest.approx(r2, rel=1e-10)


def test_subset_r2_matches_ols_on_rows(frame):
    corr = np.corrcoef(frame[["nps", *DRIVERS]].to_numpy(float), rowvar=False)
    got = subset_r2(corr)[0]
    for mask in (0b0001, 0b0110, 0b1011, 0b1111):
        cols = [d for j, d in enumerate(DRIVERS) if mask >> j & 1]
        fit = sm.OLS(frame["nps"], sm.add_constant(frame[cols])).fit()
        assert got[mask] == pytest.approx(fit.rsquared, rel=1e-10)


def test_uncorrelated_drivers_give_squared_correlations_for_both_methods():
    levels = [1.0, 2.0, 3.0, 4.0, 5.0]
    grid = np.array(list(itertools.product(levels, levels, levels)) * 2)  # r = 0 exactly
    rng = np.random.default_rng(3)
    y = grid @ [1.0, 0.5, 0.2] + rng.normal(0, 1, len(grid))
    df = pd.DataFrame(grid, columns=["driver_a", "driver_b", "driver_c"]).assign(nps=y)
    r = np.array([np.corrcoef(df[c], y)[0, 1] for c in ["driver_a", "driver_b", "driver_c"]])
    rw = relative_weights(df, bootstrap=0).set_index("driver").sort_index()
    sv = shapley_regression(df, bootstrap=0).set_index("driver").sort_index()
    np.testing.assert_allclose(rw["raw_weight"], r**2, rtol=1e-10)
    np.testing.assert_allclose(sv["raw_weight"], r**2, rtol=1e-10)


def test_patterns_with_counts_give_the_same_answer_as_rows(frame):
    patterns = patterns_of(frame)
    assert len(patterns) < len(frame)
    for fn in (relative_weights, shapley_regression):
        a = fn(frame, "nps", DRIVERS, bootstrap=100, seed=5)
        b = fn(patterns.sample(frac=1.0, random_state=1), "nps", DRIVERS, bootstrap=100,
               seed=5, weights="weights")  # fmt: skip
        pd.testing.assert_frame_equal(a, b, check_exact=False, rtol=1e-10)
        assert a["n"].eq(len(frame)).all() and b["patterns"].eq(len(patterns)).all()


def test_missing_values_drop_the_row(frame):
    holes = frame.copy()
    holes.loc[:9, "driver_b"] = np.nan
    got = relative_weights(holes, "nps", DRIVERS, bootstrap=0)
    want = relative_weights(frame.iloc[10:], "nps", DRIVERS, bootstrap=0)
    assert got["n"].eq(len(frame) - 10).all()
    pd.testing.assert_frame_equal(got, want)


def test_bootstrap_interval_contains_the_estimate_and_repeats_with_the_seed(frame):
    a = relative_weights(frame, "nps", DRIVERS, bootstrap=300, seed=11)
    b = relative_weights(frame, "nps", DRIVERS, bootstrap=300, seed=11)
    c = relative_weights(frame, "nps", DRIVERS, bootstrap=300, seed=12)
    pd.testing.assert_frame_equal(a, b)
    assert not np.allclose(a["ci_low"], c["ci_low"])
    assert (a["ci_low"] < a["rescaled_weight"]).all()
    assert (a["rescaled_weight"] < a["ci_high"]).all()
    assert (a["r_squared_ci_low"] < a["r_squared"]).all()
    assert (a["r_squared"] < a["r_squared_ci_high"]).all()
    assert a["bootstrap_mode"].eq("patterns").all() and a["bootstrap_failed"].eq(0).all()
    assert a["bootstrap"].eq(300).all() and a.attrs == {}
    # the point estimate does not depend on the bootstrap
    no_boot = relative_weights(frame, "nps", DRIVERS, bootstrap=0)
    np.testing.assert_allclose(a["rescaled_weight"], no_boot["rescaled_weight"])
    assert no_boot["ci_low"].isna().all()


@pytest.mark.slow  # a row bootstrap in pandas as the reference
def test_bootstrap_spread_matches_a_plain_row_bootstrap(frame):
    """The multinomial-over-patterns resample is the row bootstrap; compare their spreads."""
    got = relative_weights(frame, "nps", DRIVERS, bootstrap=600, seed=2).set_index("driver")
    rng = np.random.default_rng(9)
    draws = []
    for _ in range(600):
        rows = frame.iloc[rng.integers(0, len(frame), len(frame))]
        draws.append(100 * johnson_by_svd(rows, "nps", DRIVERS) / rows.pipe(
            lambda r: sm.OLS(r["nps"], sm.add_constant(r[DRIVERS])).fit().rsquared))  # fmt: skip
    lo, hi = np.quantile(np.array(draws), [0.025, 0.975], axis=0)
    width = got.loc[DRIVERS, "ci_high"] - got.loc[DRIVERS, "ci_low"]
    np.testing.assert_allclose(width, hi - lo, rtol=0.2)


def test_subsample_bootstrap_keeps_the_spread_of_the_full_data():
    rng = np.random.default_rng(4)
    x = rng.normal(size=(4000, 2))
    values = np.column_stack([x @ [1.0, 0.5] + rng.normal(size=4000), x])
    counts = np.ones(4000, dtype=np.int64)

    def share(v, w):
        corr, _ = _bootstrap.weighted_correlations(v, w)
        return corr[:, 0, 1:]

    estimate = share(values, counts[None].astype(float))[0]
    full = _bootstrap.bootstrap(values, counts, share, estimate, replicates=400, seed=1)
    sub = _bootstrap.bootstrap(values, counts, share, estimate, replicates=400, seed=1,
                               max_patterns=1000)  # fmt: skip
    assert full.mode == "patterns" and sub.mode == "subsample"
    (fl, fh), (sl, sh) = full.interval(0.95), sub.interval(0.95)
    np.testing.assert_allclose(sh - sl, fh - fl, rtol=0.25)
    assert np.all((sl < estimate) & (estimate < sh))


def test_weighted_correlations_match_numpy_on_expanded_rows():
    rng = np.random.default_rng(0)
    values = rng.integers(0, 6, size=(40, 3)).astype(float)
    weights = rng.integers(1, 5, size=(2, 40)).astype(float)
    corr, sd = _bootstrap.weighted_correlations(values, weights)
    for b in range(2):
        rows = np.repeat(values, weights[b].astype(int), axis=0)
        np.testing.assert_allclose(corr[b], np.corrcoef(rows, rowvar=False), atol=1e-12)
        np.testing.assert_allclose(sd[b], rows.std(axis=0), rtol=1e-12)


# --------------------------------------------------------------------------------------
# logistic


def tonidandel_lebreton(frame: pd.DataFrame, y: np.ndarray, names: list[str]) -> np.ndarray:
    """Relative weights for logistic regression as in Tonidandel & LeBreton's (2010) code."""
    x = frame[names].to_numpy(float)
    xs = (x - x.mean(0)) / x.std(0, ddof=1)
    lam = np.real(scipy.linalg.sqrtm(np.corrcoef(x, rowvar=False)))
    z = xs @ np.linalg.inv(lam)
    z = (z - z.mean(0)) / z.std(0, ddof=1)
    fit = sm.Logit(y, sm.add_constant(z)).fit(disp=0, tol=1e-12, maxiter=100)
    b = fit.params[1:]
    p = fit.predict()
    r2 = np.corrcoef(p, y)[0, 1] ** 2
    beta = b * math.sqrt(r2) / np.std(np.log(p / (1 - p)), ddof=1)
    return (lam**2) @ beta**2


def test_logistic_weights_match_an_independent_computation(frame):
    for outcome, y in (("promoter", frame["nps"] >= 9), ("detractor", frame["nps"] <= 6)):
        got = drivers_logistic(frame, outcome, DRIVERS, bootstrap=0).set_index("driver")
        expected = tonidandel_lebreton(frame, y.to_numpy(float), DRIVERS)
        np.testing.assert_allclose(got.loc[DRIVERS, "raw_weight"], expected, rtol=1e-6)
        fit = sm.Logit(y.astype(float), sm.add_constant(frame[DRIVERS])).fit(disp=0)
        np.testing.assert_allclose(got.loc[DRIVERS, "beta"], fit.params[DRIVERS], rtol=1e-6)
        np.testing.assert_allclose(got.loc[DRIVERS, "odds_ratio"], np.exp(fit.params[DRIVERS]),
                                   rtol=1e-6)  # fmt: skip
        ci = np.exp(fit.conf_int().loc[DRIVERS])
        np.testing.assert_allclose(got.loc[DRIVERS, "odds_ratio_ci_low"], ci[0], rtol=1e-6)
        assert got["events"].eq(int(y.sum())).all() and got["outcome"].eq(outcome).all()
        assert got["target"].eq(f"{outcome} (nps)").all() and got["method"].eq("logistic").all()
        assert got["rescaled_weight"].sum() == pytest.approx(100.0)


def test_logistic_bootstrap_and_patterns(frame):
    a = drivers_logistic(frame, "promoter", DRIVERS, bootstrap=200, seed=3)
    b = drivers_logistic(patterns_of(frame), "promoter", DRIVERS, bootstrap=200, seed=3,
                         weights="weights")  # fmt: skip
    pd.testing.assert_frame_equal(a, b, check_exact=False, rtol=1e-8)
    assert (a["ci_low"] < a["rescaled_weight"]).all() and (
        a["rescaled_weight"] < a["ci_high"]
    ).all()
    assert a["bootstrap_failed"].eq(0).all()


def test_batched_logit_fit_matches_statsmodels(frame):
    pat = patterns_of(frame)
    design = sm.add_constant(pat[DRIVERS].to_numpy(float))
    y = (pat["nps"] >= 9).to_numpy(float)
    rng = np.random.default_rng(1)
    weights = np.vstack([pat["weights"], rng.integers(0, 4, len(pat))]).astype(float)
    got = logit_fit(design, y, weights)
    for b in range(2):
        fit = sm.GLM(y, design, family=sm.families.Binomial(), freq_weights=weights[b]).fit()
        np.testing.assert_allclose(got[b], fit.params, rtol=1e-7)


# --------------------------------------------------------------------------------------
# errors


def test_too_few_responses(frame):
    with pytest.raises(NotEnoughDataError, match="needs at least 200 complete responses; got 57"):
        relative_weights(frame.head(57), "nps", DRIVERS)


def test_unknown_and_bad_columns(frame):
    with pytest.raises(SchemaError, match=r"unknown driver column.*driver_x"):
        relative_weights(frame, "nps", ["driver_a", "driver_x"])
    with pytest.raises(SchemaError, match="target column 'csat'"):
        relative_weights(frame, "csat", DRIVERS)
    with pytest.raises(SchemaError, match="must hold numeric ratings"):
        relative_weights(frame.assign(driver_a="x"), "nps", DRIVERS)
    with pytest.raises(ArgumentError, match="cannot also be a driver"):
        relative_weights(frame, "nps", ["nps", "driver_a"])
    with pytest.raises(SchemaError, match="no driver_\\* columns"):
        relative_weights(frame.rename(columns=lambda c: c.replace("driver_", "q_")))


def test_constant_driver(frame):
    with pytest.raises(
        NotEnoughDataError, match=r"driver_d is constant \(every answer 3\): it explains nothing"
    ):
        relative_weights(frame.assign(driver_d=3.0), "nps", DRIVERS)


def test_collinear_drivers(frame):
    twin = frame.assign(driver_e=frame["driver_a"])
    with pytest.raises(
        ArgumentError, match=r"driver_a, driver_e are collinear.*pair is driver_a and driver_e"
    ):
        relative_weights(twin, "nps", [*DRIVERS, "driver_e"])
    total = frame.assign(driver_e=frame[DRIVERS].sum(axis=1))
    with pytest.raises(
        ArgumentError,
        match=r"driver_a, driver_b, driver_c, driver_d, driver_e are collinear.*Drop one of them",
    ):
        shapley_regression(total, "nps", [*DRIVERS, "driver_e"])


def test_bad_settings(frame):
    with pytest.raises(ArgumentError, match="bootstrap must be"):
        relative_weights(frame, "nps", DRIVERS, bootstrap=-1)
    with pytest.raises(ArgumentError, match="confidence"):
        relative_weights(frame, "nps", DRIVERS, confidence=95)
    with pytest.raises(ArgumentError, match="whole, non-negative counts"):
        relative_weights(frame.assign(w=0.5), "nps", DRIVERS, weights="w")
    with pytest.raises(ArgumentError, match="unknown outcome"):
        drivers_logistic(frame, "passive", DRIVERS)
    wide = pd.DataFrame(np.random.default_rng(0).normal(size=(300, 17)),
                        columns=["nps", *[f"driver_{i}" for i in range(16)]])  # fmt: skip
    with pytest.raises(ArgumentError, match="16 drivers is more than the 15"):
        shapley_regression(wide)


def test_logistic_needs_both_outcomes(frame):
    with pytest.raises(NotEnoughDataError, match="at least 10 answers with and 10 without"):
        drivers_logistic(frame.assign(nps=np.minimum(frame["nps"], 8)), "promoter", DRIVERS)


# --------------------------------------------------------------------------------------
# priority matrix


def test_priority_matrix_on_a_hand_example():
    importance = pd.DataFrame(
        {"driver": ["driver_a", "driver_b", "driver_c", "driver_d"],
         "rescaled_weight": [40.0, 30.0, 20.0, 10.0], "ci_low": [35.0, 25.0, 15.0, 5.0],
         "ci_high": [45.0, 35.0, 25.0, 15.0]}
    )  # fmt: skip
    rows = pd.DataFrame(
        {"nps": [9, 7], "driver_a": [3.0, 3.0], "driver_b": [4.0, 4.0], "driver_c": [5.0, 4.0],
         "driver_d": [2.0, 2.0]}
    )  # fmt: skip
    got = priority_matrix(rows, "nps", importance=importance, min_n=0)
    # cuts: importance 25 (= 100 / 4), performance (3 + 4 + 4.5 + 2) / 4 = 3.375
    assert got["importance_cut"].eq(25.0).all() and got["performance_cut"].eq(3.375).all()
    assert got["performance_measure"].eq("mean").all() and got["n"].eq(2).all()
    assert got.attrs == {}
    assert got["driver"].tolist() == ["driver_a", "driver_b", "driver_c", "driver_d"]
    assert got["performance"].tolist() == [3.0, 4.0, 4.5, 2.0]
    assert got["quadrant"].tolist() == [
        "fix first", "maintain", "possible overkill", "lower priority"
    ]  # fmt: skip
    assert got["importance_ci_low"].tolist() == [35.0, 25.0, 15.0, 5.0]
    top2 = priority_matrix(rows, "nps", importance=importance, performance="top2", min_n=0)
    assert top2["performance"].tolist() == [0.0, 100.0, 100.0, 0.0]  # scale top 5: 4-5 count
    fig = priority_matrix_figure(got)
    assert [t.name for t in fig.data] == list(drivers.QUADRANTS.values())
    assert len(fig.layout.shapes) == 2


def test_priority_matrix_from_rows_uses_its_own_weights(frame):
    got = priority_matrix(frame, "nps", DRIVERS, bootstrap=50)
    rw = relative_weights(frame, "nps", DRIVERS, bootstrap=50)
    assert dict(zip(got.driver, got.importance, strict=True)) == pytest.approx(
        dict(zip(rw.driver, rw.rescaled_weight, strict=True))
    )
    assert got["performance"].tolist() == pytest.approx(frame[got.driver].mean().tolist())


# --------------------------------------------------------------------------------------
# workspace level, on the sample data


@pytest.fixture(scope="module")
def duckdb_sample(tmp_path_factory) -> tuple[cxlens.Workspace, object]:
    directory: Path = tmp_path_factory.mktemp("drivers")
    data = generate(customers=3000, seed=7)
    paths = write_sample(data, directory / "data")
    ws = cxlens.Workspace(directory / "ws.duckdb")
    for table in ("customers", "responses"):
        ws.ingest(paths[table], table=table)
    yield ws, data
    ws.close()


@pytest.fixture(scope="module", params=ENGINES)
def sample(request, duckdb_sample):
    """``duckdb_sample`` on each engine (Spark: a copy of the same tables)."""
    ws, *rest = duckdb_sample
    return (on_engine(request, ws), *rest)


def test_sample_recovers_the_planted_driver_order(sample):
    ws, data = sample
    order = [f"driver_{d}" for d in data.truth["drivers"]["order"]]
    rw = drivers_for_workspace(ws, "nps", bootstrap=200, seed=1)
    assert rw["driver"].tolist() == order
    assert rw["importance_rank"].tolist() == [1, 2, 3, 4, 5]
    # neighbouring drivers are told apart: their intervals do not overlap
    assert (rw["ci_low"].to_numpy()[:-1] > rw["ci_high"].to_numpy()[1:]).all()
    assert (rw["sign"] == 1).all() and not rw["small_sample"].any()
    sv = drivers_for_workspace(ws, "nps", method="shapley", bootstrap=0)
    assert sv["driver"].tolist() == order
    lg = drivers_for_workspace(ws, "nps", method="logistic", bootstrap=0)
    assert lg["driver"].tolist()[:3] == order[:3] and lg["driver"].iloc[-1] == order[-1]


def test_workspace_gives_what_the_pure_function_gives(sample):
    ws, data = sample
    got = drivers_for_workspace(ws, "nps", bootstrap=100, seed=4)
    responses = data.tables["responses"]
    want = relative_weights(responses, "nps", bootstrap=100, seed=4)
    pd.testing.assert_frame_equal(got.drop(columns="small_sample"), want, check_exact=False,
                                  rtol=1e-9)  # fmt: skip
    assert got["n"].eq(int(responses[["nps", *want.driver]].notna().all(axis=1).sum())).all()
    assert got.attrs == {}


def test_workspace_by_group_flags_small_groups(sample):
    ws, data = sample
    got = drivers_for_workspace(ws, "csat", by="touchpoint", min_n=1000, bootstrap=0)
    sizes = got.groupby("touchpoint", dropna=False)["n"].first()
    small = got[got["small_sample"]]
    assert set(small["touchpoint"]) == set(sizes[sizes < 1000].index)
    assert small["rescaled_weight"].isna().all() and small["importance_rank"].isna().all()
    assert small["r_squared"].isna().all() and small["patterns"].isna().all()
    assert small["method"].eq("relative_weights").all() and small["target"].eq("csat").all()
    big = got[~got["small_sample"]]
    # each group's R² is that of its own OLS fit on its complete answers
    answers = data.tables["responses"]
    names = list(big["driver"].unique())
    for touchpoint, part in big.groupby("touchpoint"):
        rows = answers[answers["touchpoint"] == touchpoint][["csat", *names]].dropna()
        fit = sm.OLS(rows["csat"], sm.add_constant(rows[names])).fit()
        assert part["r_squared"].to_numpy() == pytest.approx([fit.rsquared] * len(part))
        assert part["n"].eq(len(rows)).all()
    assert big.groupby("touchpoint", dropna=False)["rescaled_weight"].sum().tolist() == (
        pytest.approx([100.0] * big["touchpoint"].nunique(dropna=False))
    )
    # a customers column (segment) is joined in the engine
    seg = drivers_for_workspace(ws, "nps", by=["segment"], bootstrap=0)
    assert set(seg["segment"]) == {"consumer", "small_business", "enterprise"}
    # small and analysed groups of a logistic run share one column order
    lg = drivers_for_workspace(ws, "nps", by="touchpoint", method="logistic", min_n=1000,
                               bootstrap=0)  # fmt: skip
    assert lg["small_sample"].any() and not lg["small_sample"].all()
    assert lg.columns.tolist() == [
        "touchpoint", *drivers.COLUMNS, *drivers.LOGISTIC_COLUMNS, *drivers.FIT_COLUMNS,
        *drivers.LOGISTIC_FIT_COLUMNS, "small_sample",
    ]  # fmt: skip
    assert lg["target"].eq("promoter (nps)").all() and lg["outcome"].eq("promoter").all()


def test_workspace_fallback_for_many_patterns(sample, monkeypatch):
    ws, _ = sample
    exact = drivers_for_workspace(ws, "nps", bootstrap=200, seed=3)
    monkeypatch.setattr(drivers, "FETCH_LIMIT", 100)  # pretend the patterns are too many
    monkeypatch.setattr(drivers, "MAX_PATTERNS", 3000)  # sample about 3000 of 11,135 rows
    sampled = drivers_for_workspace(ws, "nps", bootstrap=200, seed=3)
    assert sampled["bootstrap_mode"].eq("subsample").all()
    np.testing.assert_allclose(sampled["raw_weight"], exact["raw_weight"], rtol=1e-9)
    width = sampled["ci_high"] - sampled["ci_low"]
    np.testing.assert_allclose(width, exact["ci_high"] - exact["ci_low"], rtol=0.3)


def test_workspace_errors(sample):
    ws, _ = sample
    with pytest.raises(NotEnoughDataError, match="needs at least 99999 complete responses; got"):
        drivers_for_workspace(ws, "nps", min_n=99999, bootstrap=0)
    with pytest.raises(SchemaError, match=r"unknown driver column.*driver_value"):
        drivers_for_workspace(ws, "nps", ["driver_value"], bootstrap=0)
    with pytest.raises(ArgumentError, match="unknown method"):
        drivers_for_workspace(ws, "nps", method="magic")
    empty = cxlens.Workspace(":memory:")
    with pytest.raises(NotEnoughDataError, match="'responses' table"):
        drivers_for_workspace(empty)


def test_priority_matrix_and_charts_on_a_workspace(sample):
    ws, _ = sample
    got = priority_matrix(ws, "nps")
    assert len(got) == 5 and set(got["quadrant"]) <= set(drivers.QUADRANTS.values())
    means = ws.table("responses").filter(lambda t: t.driver_price.notnull())
    assert got.set_index("driver").loc["driver_price", "performance"] == pytest.approx(
        means.driver_price.mean().execute()
    )
    fig = importance_figure(drivers_for_workspace(ws, "nps", bootstrap=50))
    assert fig.data[0].y[-1] == "reliability" and fig.data[0].error_x.array is not None


def test_driver_patterns_is_one_engine_query(sample):
    ws, _ = sample
    expr = driver_patterns(ws, "nps", ["driver_ease", "driver_price"])
    sql = str(ibis.to_sql(expr))
    assert "GROUP BY" in sql and "COUNT(*)" in sql
    got = expr.execute()
    assert got["weights"].sum() == ws.table("responses").count().execute()
    assert len(got) <= 11 * 5 * 5


# --------------------------------------------------------------------------------------
# docstring examples


@pytest.mark.parametrize(
    "name",
    [
        "cxlens.analysis._bootstrap",
        "cxlens.analysis._importance",
        "cxlens.analysis.drivers",
        "cxlens.analysis.charts_drivers",
    ],
)
def test_docstring_examples(name):
    result = doctest.testmod(
        importlib.import_module(name), optionflags=doctest.NORMALIZE_WHITESPACE
    )
    assert result.attempted > 0 and result.failed == 0
