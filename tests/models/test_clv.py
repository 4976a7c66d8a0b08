"""CLV: the estimators on CDNOW against the published fits, then CLV from a Workspace.

The first half checks BetaGeo and GammaGamma (published CDNOW fits, formulas against plain
Python, gradients, errors); the second half runs :func:`cxlens.models.clv.clv` on a
transaction log simulated from a BG/NBD + Gamma-Gamma process with known parameters.
"""

from __future__ import annotations

import itertools
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from cxlens.errors import ArgumentError, NotEnoughDataError
from cxlens.models import BetaGeo, GammaGamma

CDNOW = Path(__file__).resolve().parents[3] / "shared" / "data" / "cdnow"

needs_cdnow = pytest.mark.skipif(
    not CDNOW.is_dir(), reason=f"CDNOW data not found at {CDNOW} (needs ../shared beside the repo)"
)


def skip_without_cdnow() -> None:
    if not CDNOW.is_dir():
        pytest.skip(f"CDNOW data not found at {CDNOW} (needs ../shared beside the repo)")


@pytest.fixture(scope="module")
def summary() -> pd.DataFrame:
    skip_without_cdnow()
    return pd.read_csv(CDNOW / "cdnow_customers_summary.csv")


@pytest.fixture(scope="module")
def bg(summary: pd.DataFrame) -> BetaGeo:
    return BetaGeo().fit(summary["frequency"], summary["recency"], summary["T"])


@pytest.fixture(scope="module")
def repeat_spend() -> pd.DataFrame:
    """Repeat purchases and unrounded mean repeat spend in the 39-week calibration period.

    Built from the raw 1/10 sample: same-day purchases merged into one transaction, the
    first purchase dropped, calibration ending 1997-09-30.
    """
    skip_without_cdnow()
    raw = pd.read_csv(
        CDNOW / "CDNOW_sample.txt",
        sep=r"\s+",
        header=None,
        names=["original_id", "id", "date", "cds", "dollars"],
    )
    raw["date"] = pd.to_datetime(raw["date"].astype(str), format="%Y%m%d")
    daily = raw.groupby(["id", "date"], as_index=False)["dollars"].sum()
    daily = daily.sort_values(["id", "date"])
    daily["n"] = daily.groupby("id").cumcount()
    calibration = daily[(daily["n"] > 0) & (daily["date"] <= "1997-09-30")]
    return calibration.groupby("id")["dollars"].agg(frequency="count", monetary_value="mean")


# ---------- plain-python references (no numpy / scipy) ----------


def hyp2f1_series(a: float, b: float, c: float, z: float, terms: int = 2000) -> float:
    total, term = 1.0, 1.0
    for k in range(terms):
        term *= (a + k) * (b + k) / ((c + k) * (k + 1)) * z
        total += term
        if abs(term) < 1e-17 * abs(total):
            break
    return total


def p_alive_ref(p: dict, x: int, t_x: float, big_t: float) -> float:
    r, alpha, a, b = p["r"], p["alpha"], p["a"], p["b"]
    if x == 0:
        return 1.0
    return 1 / (1 + a / (b + x - 1) * ((alpha + big_t) / (alpha + t_x)) ** (r + x))


def conditional_ref(p: dict, t: float, x: int, t_x: float, big_t: float) -> float:
    r, alpha, a, b = p["r"], p["alpha"], p["a"], p["b"]
    z = t / (alpha + big_t + t)
    hyp = hyp2f1_series(r + x, b + x, a + b + x - 1, z)
    num = (a + b + x - 1) / (a - 1) * (1 - ((alpha + big_t) / (alpha + big_t + t)) ** (r + x) * hyp)
    return num * p_alive_ref(p, x, t_x, big_t)


def unconditional_ref(p: dict, t: float) -> float:
    r, alpha, a, b = p["r"], p["alpha"], p["a"], p["b"]
    hyp = hyp2f1_series(r, b, a + b - 1, t / (alpha + t))
    return (a + b - 1) / (a - 1) * (1 - (alpha / (alpha + t)) ** r * hyp)


def bg_loglik_ref(p: dict, x: int, t_x: float, big_t: float) -> float:
    r, alpha, a, b = p["r"], p["alpha"], p["a"], p["b"]

    def lbeta(u: float, v: float) -> float:
        return math.lgamma(u) + math.lgamma(v) - math.lgamma(u + v)

    common = math.lgamma(r + x) - math.lgamma(r) + r * math.log(alpha)
    first = math.exp(lbeta(a, b + x) - lbeta(a, b) + common - (r + x) * math.log(alpha + big_t))
    second = 0.0
    if x > 0:
        second = math.exp(
            lbeta(a + 1, b + x - 1) - lbeta(a, b) + common - (r + x) * math.log(alpha + t_x)
        )
    return math.log(first + second)


# ---------- BG/NBD on CDNOW ----------


def test_beta_geo_reproduces_published_cdnow_fit(bg: BetaGeo) -> None:
    rounded = {name: round(value, 3) for name, value in bg.params_.items()}
    assert rounded == {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
    assert round(bg.log_likelihood_, 1) == -9582.4
    assert bg.n_customers_ == 2357
    assert all(isinstance(v, float) for v in bg.params_.values())


def test_beta_geo_log_likelihood_matches_plain_python(bg: BetaGeo, summary: pd.DataFrame) -> None:
    total = sum(
        bg_loglik_ref(bg.params_, int(x), t_x, big_t)
        for x, t_x, big_t in summary[["frequency", "recency", "T"]].itertuples(index=False)
    )
    assert bg.log_likelihood_ == pytest.approx(total, rel=1e-10)


def test_expected_purchases_published_customer(bg: BetaGeo) -> None:
    # FHL 2005: customer with x=2, t_x=30.43, T=38.86 expects 1.226 purchases in weeks 40-78.
    value = bg.expected_purchases(39, [2], [30.43], [38.86])
    assert round(float(value[0]), 3) == 1.226


@pytest.mark.parametrize(
    ("t", "x", "t_x", "big_t"),
    [(39, 2, 30.43, 38.86), (10, 0, 0.0, 38.86), (52, 1, 1.71, 38.86), (26, 7, 35.0, 36.0)],
)
def test_expected_purchases_and_p_alive_match_plain_python(
    bg: BetaGeo, t: float, x: int, t_x: float, big_t: float
) -> None:
    expected = bg.expected_purchases(t, [x], [t_x], [big_t])
    assert float(expected[0]) == pytest.approx(
        conditional_ref(bg.params_, t, x, t_x, big_t), rel=1e-9
    )
    alive = bg.probability_alive([x], [t_x], [big_t])
    assert float(alive[0]) == pytest.approx(p_alive_ref(bg.params_, x, t_x, big_t), rel=1e-12)


def test_expected_purchases_new_matches_plain_python(bg: BetaGeo) -> None:
    values = bg.expected_purchases_new([0, 39, 78])
    assert values[0] == 0.0
    for t, value in zip([39, 78], values[1:], strict=True):
        assert float(value) == pytest.approx(unconditional_ref(bg.params_, t), rel=1e-9)


def test_probability_alive_is_one_without_repeats_and_vectorised(bg: BetaGeo) -> None:
    alive = bg.probability_alive([0, 2, 2], [0.0, 30.43, 5.0], [38.86, 38.86, 38.86])
    assert alive[0] == 1.0
    assert 0 < alive[2] < alive[1] < 1


def test_beta_geo_penalizer_shrinks_parameters(summary: pd.DataFrame) -> None:
    plain = BetaGeo().fit(summary["frequency"], summary["recency"], summary["T"])
    shrunk = BetaGeo(penalizer=0.1).fit(summary["frequency"], summary["recency"], summary["T"])
    assert shrunk.params_["alpha"] < plain.params_["alpha"]
    assert shrunk.log_likelihood_ < plain.log_likelihood_


def test_expected_purchases_accepts_one_horizon_per_customer(bg: BetaGeo) -> None:
    both = bg.expected_purchases([10, 39], [2, 2], [30.43, 30.43], [38.86, 38.86])
    assert both[1] == pytest.approx(bg.expected_purchases(39, [2], [30.43], [38.86])[0])
    assert both[0] < both[1]
    with pytest.raises(ArgumentError, match="one horizon or one per customer"):
        bg.expected_purchases([1, 2, 3], [2, 2], [30.43, 30.43], [38.86, 38.86])


def test_init_does_no_work() -> None:
    model = BetaGeo(penalizer=0.5)
    assert model.penalizer == 0.5
    assert not hasattr(model, "params_")
    with pytest.raises(ArgumentError, match="not fitted"):
        model.probability_alive([1], [1.0], [2.0])


# ---------- Gamma-Gamma on CDNOW ----------


def test_gamma_gamma_reproduces_published_cdnow_fit(repeat_spend: pd.DataFrame) -> None:
    gg = GammaGamma().fit(repeat_spend["frequency"], repeat_spend["monetary_value"])
    assert gg.n_customers_ == 946
    rounded = {name: round(value, 2) for name, value in gg.params_.items()}
    assert rounded == {"p": 6.25, "q": 3.74, "gamma": 15.44}


@needs_cdnow
def test_gamma_gamma_on_rounded_summary_file_is_within_a_cent() -> None:
    # The summary file rounds zbar to cents; that moves gamma to 15.448 (lifetimes reports 15.45).
    data = pd.read_csv(CDNOW / "cdnow_customers_summary_with_transactions.csv")
    gg = GammaGamma().fit(data["x"], data["zbar"])
    assert gg.n_customers_ == 946
    assert gg.params_["p"] == pytest.approx(6.25, abs=0.005)
    assert gg.params_["q"] == pytest.approx(3.74, abs=0.005)
    assert gg.params_["gamma"] == pytest.approx(15.44, abs=0.01)


def test_expected_average_value_formula() -> None:
    gg = GammaGamma()
    gg.params_ = {"p": 6.25, "q": 3.74, "gamma": 15.44}
    p, q, gamma = 6.25, 3.74, 15.44
    x, zbar = 2, 22.35
    weight = p * x / (p * x + q - 1)
    by_hand = (1 - weight) * gamma * p / (q - 1) + weight * zbar
    values = gg.expected_average_value([x, 0], [zbar, 0.0])
    assert float(values[0]) == pytest.approx(by_hand, rel=1e-12)
    assert float(values[1]) == pytest.approx(gamma * p / (q - 1), rel=1e-12)


def test_customer_lifetime_value(bg: BetaGeo) -> None:
    gg = GammaGamma()
    gg.params_ = {"p": 6.25, "q": 3.74, "gamma": 15.44}
    args = ([2, 0], [30.43, 0.0], [38.86, 38.86], [22.35, 0.0])
    value = gg.expected_average_value(args[0], args[3])
    # Without discounting the per-period sum telescopes to E[Y(time)] * E[Z].
    undiscounted = gg.customer_lifetime_value(bg, *args, time=10)
    assert undiscounted == pytest.approx(bg.expected_purchases(10, *args[:3]) * value, rel=1e-12)
    discounted = gg.customer_lifetime_value(bg, *args, time=3, discount_rate=0.1)
    cumulative = [0.0] + [
        float(bg.expected_purchases(i, [2], [30.43], [38.86])[0]) for i in (1, 2, 3)
    ]
    by_hand = sum((cumulative[i] - cumulative[i - 1]) * value[0] / 1.1**i for i in (1, 2, 3))
    assert float(discounted[0]) == pytest.approx(by_hand, rel=1e-12)
    with pytest.raises(ArgumentError, match="time must be"):
        gg.customer_lifetime_value(bg, *args, time=0)
    with pytest.raises(ArgumentError, match="discount_rate"):
        gg.customer_lifetime_value(bg, *args, discount_rate=-0.1)


# ---------- errors ----------


@pytest.mark.parametrize(
    ("frequency", "recency", "big_t", "match"),
    [
        ([1, -1], [1.0, 1.0], [2.0, 2.0], r"frequency must be >= 0; row 1 is -1"),
        ([1, 1], [1.0, float("nan")], [2.0, 2.0], r"recency must be finite.*row 1"),
        ([1, 1, 2], [1.0, 3.0, 5.0], [2.0, 2.0, 2.0], r"recency must be <= T.*row 1"),
        ([1.5, 1], [1.0, 1.0], [2.0, 2.0], r"whole number.*row 0 is 1.5"),
        ([1, 1], [1.0], [2.0, 2.0], r"same length; got frequency=2, recency=1, T=2"),
        ([1, 1], [1.0, 1.0], [2.0, -2.0], r"T must be >= 0; row 1"),
    ],
)
def test_beta_geo_rejects_bad_input(
    frequency: list, recency: list, big_t: list, match: str
) -> None:
    with pytest.raises(ArgumentError, match=match):
        BetaGeo().fit(frequency, recency, big_t)


def test_beta_geo_needs_repeat_customers() -> None:
    with pytest.raises(NotEnoughDataError, match="frequency > 0"):
        BetaGeo().fit([0, 0], [0.0, 0.0], [5.0, 5.0])
    with pytest.raises(NotEnoughDataError, match="at least one customer"):
        BetaGeo().fit([], [], [])
    with pytest.raises(ArgumentError, match="penalizer"):
        BetaGeo(penalizer=-1).fit([1], [1.0], [2.0])


@pytest.mark.parametrize(
    ("frequency", "monetary", "error", "match"),
    [
        ([1, 2], [10.0, 0.0], ArgumentError, r"monetary_value must be > 0.*row 1 is 0.0"),
        ([1, 2], [-5.0, 3.0], ArgumentError, r"monetary_value must be > 0.*row 0 is -5.0"),
        ([1, 2], [10.0, float("nan")], ArgumentError, r"monetary_value must be finite.*row 1"),
        ([1, 2], [10.0], ArgumentError, r"same length; got frequency=2, monetary_value=1"),
        ([1, 2.5], [10.0, 3.0], ArgumentError, r"whole number.*row 1"),
        ([0, 0], [0.0, 0.0], NotEnoughDataError, r"no(ne)? .*frequency > 0|frequency > 0"),
    ],
)
def test_gamma_gamma_rejects_bad_input(
    frequency: list, monetary: list, error: type, match: str
) -> None:
    with pytest.raises(error, match=match):
        GammaGamma().fit(frequency, monetary)


def test_gamma_gamma_ignores_spend_of_one_time_buyers() -> None:
    gg = GammaGamma().fit([1, 2, 3, 1, 0], [10.0, 25.0, 14.0, 40.0, -1.0])
    assert gg.n_customers_ == 4
    assert np.all(np.isfinite(list(gg.params_.values())))


# ---------- the fast likelihoods: gradients, compression, the 2F1 fallback ----------


def gg_loglik_ref(p: float, q: float, gamma: float, x: int, m: float) -> float:
    lg = math.lgamma
    return (
        lg(p * x + q)
        - lg(p * x)
        - lg(q)
        + q * math.log(gamma)
        + (p * x - 1) * math.log(m)
        + p * x * math.log(x)
        - (p * x + q) * math.log(gamma + x * m)
    )


def numeric_gradient(f, point: np.ndarray, step: float = 1e-6) -> np.ndarray:
    out = np.zeros_like(point)
    for i in range(len(point)):
        e = np.zeros_like(point)
        e[i] = step
        out[i] = (f(point + e) - f(point - e)) / (2 * step)
    return out


def rfm_arrays(n: int = 400, seed: int = 5) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    big_t = rng.integers(5, 60, n).astype(float)
    x = rng.poisson(2.0, n) * rng.integers(0, 2, n)
    t_x = np.where(x > 0, np.floor(big_t * rng.uniform(0, 1, n)), 0.0)
    return x.astype(float), t_x, big_t


def test_beta_geo_objective_and_gradient_match_plain_python() -> None:
    from cxlens.models.beta_geo import _Compressed, _objective

    x, t_x, big_t = rfm_arrays()
    data = _Compressed.build(x, t_x, big_t)
    assert data.n == len(x) and len(data.counts) < (x > 0).sum()  # rows were merged
    for params in ([0.3, 20.0, 0.8, 2.5], [1.7, 3.0, 2.2, 0.6]):
        log_params = np.log(params)
        value, grad = _objective(log_params, data, 0.01)
        p = dict(zip(("r", "alpha", "a", "b"), params, strict=True))
        plain = -sum(bg_loglik_ref(p, int(a), b, c) for a, b, c in zip(x, t_x, big_t, strict=True))
        assert value == pytest.approx(plain / len(x) + 0.01 * sum(v * v for v in params), rel=1e-12)
        numeric = numeric_gradient(lambda v: _objective(v, data, 0.01)[0], log_params)
        np.testing.assert_allclose(grad, numeric, rtol=1e-6, atol=1e-9)


def test_gamma_gamma_objective_and_gradient_match_plain_python() -> None:
    from cxlens.models.gamma_gamma import _Compressed, _objective

    rng = np.random.default_rng(2)
    x = rng.integers(1, 6, 300).astype(float)
    m = np.round(rng.gamma(3.0, 10.0, 300), 0) + 1  # whole amounts: repeated (x, m) rows
    data = _Compressed.build(x, m)
    assert data.n == 300 and len(data.counts) < 300
    for params in ([6.0, 3.5, 15.0], [1.2, 9.0, 40.0]):
        log_params = np.log(params)
        value, grad = _objective(log_params, data, 0.0)
        plain = -sum(gg_loglik_ref(*params, int(a), b) for a, b in zip(x, m, strict=True))
        assert value == pytest.approx(plain / 300, rel=1e-12)
        numeric = numeric_gradient(lambda v: _objective(v, data, 0.0)[0], log_params)
        np.testing.assert_allclose(grad, numeric, rtol=1e-6, atol=1e-9)


def test_distinct_rows_counts_every_row_once() -> None:
    from cxlens.models.beta_geo import distinct_rows

    x, t_x, big_t = rfm_arrays(2000)
    codes, values, counts = distinct_rows(x, t_x, big_t)
    rows = np.column_stack([v[c] for c, v in zip(codes, values, strict=True)])
    want, want_counts = np.unique(np.column_stack([x, t_x, big_t]), axis=0, return_counts=True)
    order = np.lexsort(rows.T[::-1])
    np.testing.assert_array_equal(rows[order], want)
    np.testing.assert_array_equal(counts[order], want_counts)


def log_series(a: float, b: float, c: float, z: float, log_scale: float) -> float:
    """exp(log_scale) * 2F1 in plain Python: each term's log is an exact sum (fsum) of logs."""
    steps, logs = [], [log_scale]
    for k in range(100_000):
        steps.append(
            math.log(a + k) + math.log(b + k) - math.log(c + k) - math.log(k + 1) + math.log(z)
        )
        logs.append(log_scale + math.fsum(steps))
        if k > 10 and logs[-1] < max(logs) - 60:
            break
    top = max(logs)
    return math.exp(top) * math.fsum(math.exp(v - top) for v in logs)


@pytest.mark.parametrize(
    ("a", "b", "c", "z", "log_scale"),
    [
        (2.5, 3.1, 4.2, 0.3, -0.2),  # scipy's own value
        (7_173_421.5, 11.65, 10.76, 184 / 205_964_323.0, -6.4086),  # scipy gives NaN here
        (4.0e8, 30.0, 29.5, 1e-7, -39.9),
    ],
)
def test_scaled_hyp2f1_matches_a_plain_series(a, b, c, z, log_scale) -> None:
    from cxlens.models.beta_geo import scaled_hyp2f1

    got = float(scaled_hyp2f1(a, b, c, z, log_scale)[0])
    assert got == pytest.approx(log_series(a, b, c, z, log_scale), rel=1e-9)


def test_expected_purchases_stay_finite_for_near_constant_rates() -> None:
    # A fit on subscription payments: every customer buys at nearly the same rate.
    bg = BetaGeo()
    bg.params_ = {"r": 7_173_418.5, "alpha": 205_963_639.3, "a": 0.10933, "b": 8.6526}
    got = bg.expected_purchases(184.0, [0, 3, 20], [0.0, 400.0, 690.0], [300.0, 500.0, 700.0])
    assert np.isfinite(got).all() and (got > 0).all()
    want = [
        conditional_ref_log(bg.params_, 184.0, x, t_x, T)
        for x, t_x, T in ((0, 0.0, 300.0), (3, 400.0, 500.0), (20, 690.0, 700.0))
    ]
    np.testing.assert_allclose(got, want, rtol=1e-8)
    assert np.isfinite(bg.expected_purchases_new([30.0, 365.0])).all()


def conditional_ref_log(p: dict, t: float, x: int, t_x: float, big_t: float) -> float:
    r, alpha, a, b = p["r"], p["alpha"], p["a"], p["b"]
    log_scale = (r + x) * (math.log(alpha + big_t) - math.log(alpha + big_t + t))
    scaled = log_series(r + x, b + x, a + b + x - 1, t / (alpha + big_t + t), log_scale)
    return (a + b + x - 1) / (a - 1) * (1 - scaled) * p_alive_ref(p, x, t_x, big_t)


# ---------- CLV from a Workspace, on a log simulated from known parameters ----------

TRUTH_BG = {"r": 0.6, "alpha": 40.0, "a": 0.8, "b": 3.0}  # alpha in days
TRUTH_GG = {"p": 6.0, "q": 4.0, "gamma": 30.0}
SIM_START = pd.Timestamp("2023-01-01")
SIM_DAYS = 730
#: Planted acquisition cost per channel; segments differ in nothing (a check that they agree).
CHANNEL_COST = {"online": 20.0, "partner": 90.0}


def simulate_log(n: int = 3000, seed: int = 11) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Transactions from the BG/NBD + Gamma-Gamma story, and customers with segment and CAC.

    Each customer's first purchase falls uniformly in the first year; while alive they buy
    at rate lambda ~ Gamma(r, alpha) and after each repeat purchase drop out with
    probability p ~ Beta(a, b); each amount is Gamma(p_s, nu) with nu ~ Gamma(q, gamma).
    """
    rng = np.random.default_rng(seed)
    r, alpha, a, b = TRUTH_BG.values()
    shape, q, gamma = TRUTH_GG.values()
    starts = rng.uniform(0, 365, n)
    rate = rng.gamma(r, 1 / alpha, n)
    dropout = rng.beta(a, b, n)
    nu = rng.gamma(q, 1 / gamma, n)
    who, when = [], []
    for i in range(n):
        t = starts[i]
        who.append(i)
        when.append(t)
        while True:
            t += rng.exponential(1 / rate[i])
            if t >= SIM_DAYS:
                break
            who.append(i)
            when.append(t)
            if rng.random() < dropout[i]:
                break
    who_arr = np.array(who)
    ids = np.array([f"S{i:05d}" for i in range(n)])
    transactions = pd.DataFrame(
        {
            "transaction_id": [f"T{k:06d}" for k in range(len(who_arr))],
            "customer_id": ids[who_arr],
            "occurred_at": (SIM_START + pd.to_timedelta(np.array(when), unit="D")).round("s"),
            "amount": np.maximum(np.round(rng.gamma(shape, 1 / nu[who_arr]), 2), 0.01),
        }
    )
    channel = rng.choice(list(CHANNEL_COST), n)
    customers = pd.DataFrame(
        {
            "customer_id": ids,
            "segment": rng.choice(["retail", "business"], n),
            "acquisition_channel": channel,
            "acquisition_cost": [CHANNEL_COST[c] for c in channel],
        }
    )
    return transactions, customers


@pytest.fixture(scope="module")
def sim(tmp_path_factory):
    from cxlens.models.clv import clv
    from tests.analysis.test_features import workspace_from

    transactions, customers = simulate_log()
    ws = workspace_from(
        tmp_path_factory.mktemp("clv-sim"), customers=customers, transactions=transactions
    )
    yield ws, clv(ws), customers
    ws.close()


def bg_loglik(params: np.ndarray, x: np.ndarray, t_x: np.ndarray, big_t: np.ndarray) -> float:
    """Total BG/NBD log-likelihood, eq. 6 written out directly (no compression)."""
    from scipy import special

    r, alpha, a, b = params
    common = special.gammaln(r + x) - special.gammaln(r) + r * np.log(alpha)
    first = special.betaln(a, b + x) - special.betaln(a, b) - (r + x) * np.log(alpha + big_t)
    second = np.where(
        x > 0,
        special.betaln(a + 1, b + np.maximum(x, 1) - 1)
        - special.betaln(a, b)
        - (r + x) * np.log(alpha + t_x),
        -np.inf,
    )
    return float(np.sum(common + np.logaddexp(first, second)))


def gg_loglik(params: np.ndarray, x: np.ndarray, m: np.ndarray) -> float:
    return sum(gg_loglik_ref(*params, int(a), b) for a, b in zip(x, m, strict=True))


def standard_errors(loglik, estimate: np.ndarray) -> np.ndarray:
    """Standard errors from the observed information (numeric Hessian of the log-likelihood)."""
    k = len(estimate)
    h = 1e-4 * estimate
    hessian = np.zeros((k, k))

    def at(i: int, j: int, si: int, sj: int) -> float:
        point = estimate.copy()
        point[i] += si * h[i]
        point[j] += sj * h[j]
        return loglik(point)

    for i in range(k):
        for j in range(k):
            corners = at(i, j, 1, 1) - at(i, j, 1, -1) - at(i, j, -1, 1) + at(i, j, -1, -1)
            hessian[i, j] = corners / (4 * h[i] * h[j])
    return np.sqrt(np.diag(np.linalg.inv(-hessian)))


def test_fit_recovers_the_planted_parameters(sim) -> None:
    _, result, _ = sim
    c = result.customers
    x, t_x, big_t = (c[k].to_numpy(float) for k in ("frequency", "recency", "T"))
    estimate = np.array([result.bg_params[k] for k in TRUTH_BG])
    se = standard_errors(lambda v: bg_loglik(v, x, t_x, big_t), estimate)
    z = (estimate - np.array(list(TRUTH_BG.values()))) / se
    assert np.all(np.abs(z) < 4), dict(zip(TRUTH_BG, z, strict=True))
    assert np.all(se / estimate < 0.25)  # the check has teeth: parameters are pinned down
    repeat = x > 0
    m = c["monetary_value"].to_numpy(float)[repeat]
    estimate = np.array([result.gg_params[k] for k in TRUTH_GG])
    se = standard_errors(lambda v: gg_loglik(v, x[repeat], m), estimate)
    z = (estimate - np.array(list(TRUTH_GG.values()))) / se
    assert np.all(np.abs(z) < 4), dict(zip(TRUTH_GG, z, strict=True))


def test_holdout_predictions_match_the_planted_process(sim) -> None:
    _, result, _ = sim
    h = result.holdout
    assert h["frequency_cal"].tolist() == ["0", "1", "2", "3", "4", "5", "6", "7+"]
    # 24 months of history: the last 6 held out, the same window on every row
    assert h["observation_end"].nunique() == 1 and h["calibration_end"].nunique() == 1
    assert h["calibration_end"].iloc[0] == h["observation_end"].iloc[0] - pd.DateOffset(months=6)
    assert h.attrs == {}
    total = float((h["predicted"] * h["customers"]).sum())
    actual = float((h["actual"] * h["customers"]).sum())
    assert actual > 1500 and abs(total / actual - 1) < 0.05
    se = (h["actual_ci_high"] - h["actual"]) / 1.96
    assert np.all(np.abs(h["difference"]) < 3.5 * se + 0.02), h
    # the calibration fit is a separate fit on less data
    assert set(result.holdout_bg_params) == {"r", "alpha", "a", "b"}
    assert result.holdout_bg_params != result.bg_params


def test_clv_equals_the_closed_form_for_one_customer(sim) -> None:
    from cxlens.models.clv import DAYS_PER_MONTH

    _, result, _ = sim
    c = result.customers.set_index("customer_id")
    row = c[(c["frequency"] == 3)].iloc[0]
    x, t_x, big_t, zbar = int(row["frequency"]), row["recency"], row["T"], row["monetary_value"]
    p, q, gamma = (result.gg_params[k] for k in ("p", "q", "gamma"))
    value = (q - 1) / (p * x + q - 1) * gamma * p / (q - 1) + p * x / (p * x + q - 1) * zbar
    month = 365.25 / 12
    assert month == DAYS_PER_MONTH
    rate = 1.10 ** (1 / 12) - 1
    cumulative = [0.0] + [
        conditional_ref(result.bg_params, i * month, x, t_x, big_t) for i in range(1, 13)
    ]
    by_hand = sum(
        (cumulative[i] - cumulative[i - 1]) * value / (1 + rate) ** i for i in range(1, 13)
    )
    assert row["clv"] == pytest.approx(by_hand, rel=1e-9)
    assert row["expected_average_value"] == pytest.approx(value, rel=1e-12)
    assert row["expected_purchases"] == pytest.approx(cumulative[12], rel=1e-9)
    assert row["probability_alive"] == pytest.approx(
        p_alive_ref(result.bg_params, x, t_x, big_t), rel=1e-12
    )


def test_weeks_give_the_same_clv(sim) -> None:
    """The MLE is equivariant in the time unit: alpha scales by 7, CLV does not change."""
    from cxlens.models.clv import clv

    ws, days, _ = sim
    weeks = clv(ws, time_unit="weeks", holdout_months=0)
    assert weeks.bg_params["alpha"] == pytest.approx(days.bg_params["alpha"] / 7, rel=1e-4)
    assert weeks.bg_params["r"] == pytest.approx(days.bg_params["r"], rel=1e-4)
    np.testing.assert_allclose(weeks.customers["T"], days.customers["T"] / 7)
    np.testing.assert_allclose(weeks.customers["clv"], days.customers["clv"], rtol=1e-4)


def test_one_time_buyers_get_the_population_mean_spend(sim) -> None:
    _, result, _ = sim
    c = result.customers
    p, q, gamma = (result.gg_params[k] for k in ("p", "q", "gamma"))
    once = c[c["frequency"] == 0]
    assert len(once) > 300
    np.testing.assert_allclose(once["expected_average_value"], p * gamma / (q - 1), rtol=1e-12)
    assert any("population mean spend" in n for n in result.notes)


def test_tiers_cut_at_10_30_60_percent(sim) -> None:
    _, result, _ = sim
    c = result.customers
    n = len(c)
    counts = c["clv_tier"].value_counts()
    want = {
        "platinum": math.floor(0.1 * n),
        "gold": math.floor(0.3 * n) - math.floor(0.1 * n),
        "silver": math.floor(0.6 * n) - math.floor(0.3 * n),
    }
    want["bronze"] = n - sum(want.values())
    # One-time buyers with the same first day tie; a tie at a cut-off goes to the better tier.
    values = np.sort(c["clv"].to_numpy())
    cut = values[n - math.floor(0.6 * n)]  # the worst CLV still in the top 60%
    ties_below = int(np.sum(values[: n - math.floor(0.6 * n)] == cut))
    assert ties_below > 0
    want["silver"] += ties_below
    want["bronze"] -= ties_below
    assert counts.to_dict() == want
    tiers = result.tiers.set_index("tier")
    order = ["platinum", "gold", "silver", "bronze"]
    for better, worse in itertools.pairwise(order):
        assert tiers.loc[better, "clv_min"] >= tiers.loc[worse, "clv_max"]
    assert tiers["clv_share"].sum() == pytest.approx(1.0)
    assert tiers.loc["platinum", "clv_share"] > 0.1  # value is concentrated


def test_assign_tiers_by_hand() -> None:
    from cxlens.models.clv import DEFAULT_TIERS, assign_tiers

    values = np.arange(100.0)[::-1]  # 99 .. 0
    got = assign_tiers(values, DEFAULT_TIERS)
    assert got[:10].tolist() == ["platinum"] * 10
    assert got[10:30].tolist() == ["gold"] * 20 and got[30:60].tolist() == ["silver"] * 30
    assert got[60:].tolist() == ["bronze"] * 40
    # ties share the better tier
    tied = assign_tiers(np.array([5.0, 5.0, 1.0, 0.0]), [("top", 0.25), ("rest", 0.75)])
    assert tied.tolist() == ["top", "top", "rest", "rest"]


def test_ltv_cac_by_channel_and_segment(sim) -> None:
    _, result, customers = sim
    joined = result.customers.merge(customers, on="customer_id")
    channel = result.by_channel.set_index("acquisition_channel")
    assert channel.index.tolist() == ["online", "partner"]
    for name, cost in CHANNEL_COST.items():
        mine = joined[joined["acquisition_channel"] == name]
        assert channel.loc[name, "customers"] == len(mine)
        assert channel.loc[name, "clv_mean"] == pytest.approx(mine["clv"].mean(), rel=1e-12)
        assert channel.loc[name, "acquisition_cost_mean"] == pytest.approx(cost)
        assert channel.loc[name, "ltv_cac"] == pytest.approx(mine["clv"].mean() / cost, rel=1e-12)
    # segments were drawn independently of everything, so their intervals overlap
    seg = result.by_segment.set_index("segment")
    assert seg.index.tolist() == ["business", "retail"]
    assert seg["ltv_cac_ci_low"].max() < seg["ltv_cac_ci_high"].min()


def test_ltv_cac_arithmetic_interval_and_status() -> None:
    from cxlens.models.clv import STATUS_ABOVE, STATUS_BELOW, STATUS_WITHIN, ltv_cac

    rng = np.random.default_rng(4)
    cost = rng.uniform(50, 150, 400)
    clv = 4 * cost + rng.normal(0, 80, 400)
    frame = pd.DataFrame(
        {
            "group": ["g"] * 400 + ["h", "h", "h"],
            "clv": [*clv, 10.0, 20.0, 30.0],
            "acquisition_cost": [*cost, 10.0, np.nan, 0.0],
        }
    )
    got = ltv_cac(frame, "group", min_n=30).set_index("group")
    ratio = clv.mean() / cost.mean()
    assert got.loc["g", "ltv_cac"] == pytest.approx(ratio, rel=1e-12)
    # delta method = the standard error of the mean of the residuals clv - R * cost
    residual = clv - ratio * cost
    half = 1.959963984540054 * residual.std(ddof=1) / math.sqrt(400) / cost.mean()
    assert got.loc["g", "ltv_cac_ci_high"] - ratio == pytest.approx(half, rel=1e-9)
    assert got.loc["g", "status"] == STATUS_WITHIN and not got.loc["g", "small_sample"]
    # h: a missing and a zero cost are left out of the ratio, not of the customers
    assert got.loc["h", "customers"] == 3 and got.loc["h", "customers_with_cac"] == 1
    assert got.loc["h", "ltv_cac"] == 1.0 and got.loc["h", "small_sample"]
    assert got.loc["h", "status"] == STATUS_BELOW
    from cxlens.models.clv import ltv_cac_status

    assert [ltv_cac_status(v) for v in (2.99, 3.0, 5.0, 5.01)] == [
        STATUS_BELOW,
        STATUS_WITHIN,
        STATUS_WITHIN,
        STATUS_ABOVE,
    ]
    assert STATUS_ABOVE == "above 5x — may be under-investing in acquisition"


def test_the_norm_comes_from_the_cited_benchmark() -> None:
    from cxlens.models.clv import ltv_cac_norm

    low, high, source = ltv_cac_norm()
    assert (low, high) == (3.0, 5.0)
    assert "Skok" in source and "2013" in source


def test_save_clv_tiers_keeps_other_segment_columns(sim) -> None:
    from cxlens.analysis.segments import save_segments
    from cxlens.models.clv import save_clv_tiers

    ws, result, _ = sim
    save_segments(
        ws,
        pd.DataFrame({"customer_id": ["S00000", "S00001"], "cluster": ["C1", "C2"]}),
        columns=["cluster"],
    )
    save_clv_tiers(ws, result)
    stored = ws.table("customer_segments").execute().set_index("customer_id")
    assert stored.loc["S00001", "cluster"] == "C2"
    want = result.customers.set_index("customer_id")["clv_tier"]
    assert (stored.loc[want.index, "clv_tier"] == want).all()


def test_frequency_spend_correlation_is_reported(sim) -> None:
    _, result, _ = sim
    c = result.customers[result.customers["frequency"] > 0]
    r = np.corrcoef(c["frequency"], c["monetary_value"])[0, 1]
    assert result.spend_frequency_correlation == pytest.approx(r, rel=1e-12)
    assert abs(r) < 0.3 and not any("correlate" in n for n in result.notes)


# ---------- CLV: bad input ----------


def small_log(customers: int, repeaters: int, *, amount: float = 20.0) -> pd.DataFrame:
    rows = []
    for i in range(customers):
        rows.append((f"c{i:03d}", pd.Timestamp("2024-01-01") + pd.Timedelta(days=i % 30), amount))
        if i < repeaters:
            rows.append(
                (
                    f"c{i:03d}",
                    pd.Timestamp("2024-03-01") + pd.Timedelta(days=i % 30),
                    amount * (1 + i),
                )
            )
    frame = pd.DataFrame(rows, columns=["customer_id", "occurred_at", "amount"])
    frame.insert(0, "transaction_id", [f"t{i:04d}" for i in range(len(frame))])
    return frame


def test_too_few_repeaters_only_refunds_and_dates_outside_the_data(tmp_path) -> None:
    from cxlens.models.clv import clv
    from tests.analysis.test_features import workspace_from

    ws = workspace_from(tmp_path / "few", transactions=small_log(40, 12))
    with pytest.raises(
        NotEnoughDataError, match=r"at least 30 customers with a repeat .* 12 of 40"
    ):
        clv(ws)
    with pytest.raises(
        ArgumentError,
        match=r"as_of=2025-01-01 is outside the transactions, "
        r"which run from 2024-01-01 to 2024-03-12",
    ):
        clv(ws, as_of="2025-01-01")
    refunds = small_log(5, 0, amount=-20.0)
    ws = workspace_from(tmp_path / "refunds", transactions=refunds)
    with pytest.raises(NotEnoughDataError, match=r"0 of 0 customers"):
        clv(ws)


def test_clv_says_when_the_history_is_too_short_for_the_holdout(sim) -> None:
    from cxlens.models.clv import clv

    ws, _, _ = sim
    with pytest.raises(NotEnoughDataError, match=r"holdout_months=30 leaves no calibration"):
        clv(ws, holdout_months=30)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"horizon_months": 0}, "horizon_months must be a whole number >= 1"),
        ({"discount_rate": -0.1}, "discount_rate must be a number >= 0"),
        ({"tiers": [("a", 0.5), ("b", 0.4)]}, "add up to 0.9"),
        ({"tiers": [("a", 0.5), ("a", 0.5)]}, "distinct names"),
        ({"time_unit": "hours"}, "time_unit must be one of"),
    ],
)
def test_clv_rejects_bad_arguments(sim, kwargs, match) -> None:
    from cxlens.models.clv import clv

    ws, _, _ = sim
    with pytest.raises(ArgumentError, match=match):
        clv(ws, **kwargs)


def test_correlated_spend_is_flagged_and_holdout_0_skips_the_check(tmp_path) -> None:
    from cxlens.models.clv import clv
    from tests.analysis.test_features import workspace_from

    rows = []
    for i in range(90):  # customer i repeats 1 + i % 5 times, spending 10 per repeat more
        repeats = 1 + i % 5
        for j in range(repeats + 1):
            day = pd.Timestamp("2024-01-01") + pd.Timedelta(days=i % 20 + 25 * j)
            rows.append((f"c{i:03d}", day, 10.0 * repeats + (i % 3)))
    log = pd.DataFrame(rows, columns=["customer_id", "occurred_at", "amount"])
    log.insert(0, "transaction_id", [f"t{i:04d}" for i in range(len(log))])
    ws = workspace_from(tmp_path, transactions=log)
    result = clv(ws, holdout_months=0)
    summary = result.customers
    r = np.corrcoef(summary["frequency"], summary["monetary_value"])[0, 1]
    assert r > 0.9 and result.spend_frequency_correlation == pytest.approx(r, rel=1e-12)
    assert any(f"Pearson r = {r:.2f}" in n and "independent" in n for n in result.notes)
    assert result.holdout.empty and any("no holdout check" in n for n in result.notes)
    assert result.by_segment.empty and result.by_channel.empty  # no customers table


# ---------- charts ----------


def test_charts_draw_the_result(sim) -> None:
    from cxlens.models.charts_clv import (
        ACTUAL_TRACE,
        PREDICTED_TRACE,
        clv_distribution_figure,
        holdout_figure,
        ltv_cac_figure,
    )

    _, result, _ = sim
    fig = holdout_figure(result.holdout)
    assert [t.name for t in fig.data] == [PREDICTED_TRACE, ACTUAL_TRACE]
    assert list(fig.data[1].y) == result.holdout["actual"].tolist()
    assert "Holdout check" in fig.layout.title.text
    fig = clv_distribution_figure(result.customers)
    assert [t.name.split(":")[0] for t in fig.data] == ["platinum", "gold", "silver", "bronze"]
    assert sum(int(np.sum(t.y)) for t in fig.data) == len(result.customers)
    fig = ltv_cac_figure(result.by_channel, "acquisition_channel")
    band = fig.layout.shapes[0]
    assert (band.x0, band.x1) == (3.0, 5.0)
    assert list(fig.data[0].x) == result.by_channel["ltv_cac"].tolist()
    with pytest.raises(Exception, match="needs columns"):
        ltv_cac_figure(result.by_channel, "segment")


# ---------- category filters, degenerate fits, determinism ----------


def monthly_payments(customers: int, *, seed: int, prefix: str = "S") -> pd.DataFrame:
    """Subscription payments: every customer pays a fixed plan price on the same day monthly.

    Customers start in the first year and 30% of them cancel after 3-15 payments; the plan
    price is 19 or 49. Purchasing is perfectly regular: not a Poisson process.
    """
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(customers):
        start = SIM_START + pd.Timedelta(days=int(rng.integers(0, 365)), hours=4)
        price = float(rng.choice([19.0, 49.0]))
        months = int(rng.integers(3, 16)) if rng.random() < 0.3 else 40
        for k in range(months):
            day = start + pd.DateOffset(months=k)
            if day >= SIM_START + pd.Timedelta(days=SIM_DAYS):
                break
            rows.append((f"{prefix}{i:05d}", day, price))
    log = pd.DataFrame(rows, columns=["customer_id", "occurred_at", "amount"])
    log.insert(0, "transaction_id", [f"P{k:06d}" for k in range(len(log))])
    return log.assign(category="subscription")


@pytest.fixture(scope="module")
def mixed(tmp_path_factory, sim):
    """The simulated BG/NBD purchases (category "shop") plus monthly payments for 400 of them."""
    from tests.analysis.test_features import workspace_from

    transactions, customers = simulate_log()
    log = pd.concat(
        [transactions.assign(category="shop"), monthly_payments(400, seed=3)], ignore_index=True
    )
    ws = workspace_from(tmp_path_factory.mktemp("clv-mixed"), customers=customers, transactions=log)
    yield ws, log
    ws.close()


def test_clv_on_filtered_categories_equals_clv_on_the_filtered_log(sim, mixed) -> None:
    from cxlens.models.clv import clv

    plain_ws, _, _ = sim
    ws, log = mixed
    as_of = log["occurred_at"].max().normalize()  # the same as-of day on both logs
    want = clv(plain_ws, as_of=as_of, holdout_months=6)
    for kwargs in ({"exclude_categories": ["subscription"]}, {"categories": ["shop"]}):
        got = clv(ws, as_of=as_of, holdout_months=6, **kwargs)
        pd.testing.assert_frame_equal(got.customers, want.customers, rtol=1e-9)
        for name, value in {**want.bg_params, **want.gg_params}.items():
            assert {**got.bg_params, **got.gg_params}[name] == pytest.approx(value, rel=1e-9)
        pd.testing.assert_frame_equal(got.holdout, want.holdout, rtol=1e-9)
        # the same CLV per channel; LTV:CAC withheld: the CLV leaves purchases out, while
        # the acquisition cost buys the whole customer
        ratio = ["ltv_cac", "ltv_cac_ci_low", "ltv_cac_ci_high", "status"]
        pd.testing.assert_frame_equal(
            got.by_channel.drop(columns=ratio), want.by_channel.drop(columns=ratio), rtol=1e-9
        )
        assert got.by_channel[ratio].isna().all().all() and want.by_channel["ltv_cac"].notna().all()
        assert got.ltv_cac_note.startswith("LTV:CAC is not shown: this CLV ")
        assert want.ltv_cac_note == ""
        assert got.exclude_categories == tuple(kwargs.get("exclude_categories", ()))
        assert got.categories == (("shop",) if "categories" in kwargs else None)
        assert got.notes[0].startswith("fitted on transactions ") and not got.degenerate
    # and the filter changes the answer: the payments add customers and purchases
    everything = clv(ws, as_of=as_of, holdout_months=0)
    assert everything.customers["frequency"].sum() > want.customers["frequency"].sum() + 4000


def test_clv_category_errors(mixed) -> None:
    from cxlens.models.clv import clv

    ws, _ = mixed
    with pytest.raises(
        ArgumentError,
        match=r"category 'subscriptions' not found in transactions.category; the categories "
        r"are: 'shop', 'subscription'",
    ):
        clv(ws, exclude_categories=["subscriptions"])
    with pytest.raises(NotEnoughDataError, match=r"among the transactions in category 'sub"):
        clv(ws, categories=["subscription"], min_repeaters=500, holdout_months=0)


@pytest.fixture(scope="module")
def regular(tmp_path_factory):
    """A Workspace with subscription payments only (600 customers, 24 months)."""
    from tests.analysis.test_features import workspace_from

    log = monthly_payments(600, seed=21)
    ws = workspace_from(tmp_path_factory.mktemp("clv-regular"), transactions=log)
    yield ws
    ws.close()


def test_regular_payments_give_a_flagged_degenerate_fit_without_warnings(regular) -> None:
    import warnings

    from cxlens.models.clv import DEGENERATE_BOUND, clv, degenerate_params

    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)  # no divide-by-zero on the way
        result = clv(regular, holdout_months=6)
    bg, gg = result.bg_params, result.gg_params
    # every customer pays at the same rate: the rate spread closes (r, alpha run off); each
    # pays one fixed price: the within-customer spend spread closes (p runs off)
    assert bg["r"] > DEGENERATE_BOUND and gg["p"] > DEGENERATE_BOUND
    # one payment a month: 1 / rate a little over 30.4 days, as the days after each
    # customer's last payment count as exposure too
    assert 30.4 < bg["alpha"] / bg["r"] < 33
    assert result.degenerate == degenerate_params(bg, gg) and {"r", "alpha", "p"} <= set(
        result.degenerate
    )
    want = (
        "purchases are regular rather than random (e.g. subscription payments): BG/NBD "
        "assumes Poisson purchasing; model the recurring revenue separately and fit CLV on "
        "discretionary purchases, e.g. exclude_categories=['subscription']"
    )
    assert sum(n.startswith(want) for n in result.notes) == 1
    assert any("Gamma-Gamma spend model ran to the edge" in n for n in result.notes)


def test_degenerate_params_by_hand() -> None:
    from cxlens.models.clv import degenerate_notes, degenerate_params

    bg = {"r": 0.24, "alpha": 4.41, "a": 0.79, "b": 2.43}  # CDNOW, weeks: sound
    gg = {"p": 6.25, "q": 3.74, "gamma": 15.44}
    assert degenerate_params(bg, gg, "weeks") == {} and degenerate_notes({}) == []
    # alpha is judged in days: 2,000 weeks is 14,000 days
    assert degenerate_params({**bg, "alpha": 2000.0}, gg, "weeks") == {"alpha": 14000.0}
    assert degenerate_params({**bg, "alpha": 2000.0}, gg, "days") == {}
    assert degenerate_params(bg, {**gg, "q": 2e4, "p": float("nan")}) == {
        "p": pytest.approx(float("nan"), nan_ok=True),
        "q": 2e4,
    }


def test_fits_are_identical_call_after_call(regular, mixed) -> None:
    from cxlens.models.clv import clv

    ws, _ = mixed
    for workspace in (regular, ws):  # a flat-ridge fit, and an ordinary one
        first, second = clv(workspace, holdout_months=0), clv(workspace, holdout_months=0)
        assert first.bg_params == second.bg_params and first.gg_params == second.gg_params
        pd.testing.assert_frame_equal(first.customers, second.customers, check_exact=True)


def test_beta_geo_is_finite_and_quiet_with_b_at_its_lower_bound() -> None:
    import warnings

    from cxlens.models.beta_geo import LOG_BOUNDS, _Compressed, _objective

    x, t_x, big_t = np.array([1.0, 1, 2, 0]), np.array([5.0, 10, 20, 0]), np.array([30.0] * 4)
    b = math.exp(LOG_BOUNDS[0])  # 4e-18: 1 + b - 1 would round to 0
    model = BetaGeo()
    model.params_ = {"r": 1.5, "alpha": 10.0, "a": 0.5, "b": b}
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        value, grad = _objective(np.log([1.5, 10.0, 0.5, b]), _Compressed.build(x, t_x, big_t), 0.0)
        alive = model.probability_alive(x, t_x, big_t)
    assert np.isfinite(value) and np.all(np.isfinite(grad))
    for i in range(3):  # plain Python: 1 / (1 + a / (b + x - 1) * ((alpha+T)/(alpha+t_x))**(r+x))
        ratio = ((10.0 + 30.0) / (10.0 + t_x[i])) ** (1.5 + x[i])
        assert alive[i] == pytest.approx(1 / (1 + 0.5 / (b + (x[i] - 1)) * ratio), rel=1e-12)
    assert alive[3] == 1.0


@pytest.fixture(scope="module")
def sample_tx(tmp_path_factory):
    """The cxlens sample's transactions (1,500 customers, 24 months, seed 7) in a Workspace."""
    from cxlens.sample import generate
    from tests.analysis.test_features import workspace_from

    tx = generate(customers=1500, months=24, seed=7).tables["transactions"]
    columns = ["transaction_id", "customer_id", "occurred_at", "amount", "category"]
    ws = workspace_from(tmp_path_factory.mktemp("clv-sample"), transactions=tx[columns])
    yield ws, tx
    ws.close()


def test_sample_without_subscriptions_gives_a_sound_fit_that_predicts_the_holdout(
    sample_tx,
) -> None:
    from cxlens.models.clv import clv

    ws, tx = sample_tx
    everything = clv(ws)
    assert everything.degenerate  # monthly plan payments: not Poisson purchasing
    assert any("exclude_categories=['subscription']" in n for n in everything.notes)
    result = clv(ws, exclude_categories=["subscription"])
    assert result.degenerate == {} and result.bg.converged_ and result.gg.converged_
    assert 0.1 < result.bg_params["r"] < 10 and 1 < result.gg_params["p"] < 100
    # only add-on buyers are valued, on their add-on purchase days
    addons = tx[tx["category"] != "subscription"]
    assert set(result.customers["customer_id"]) <= set(addons["customer_id"])
    # the holdout (last 6 months; the model refitted before them): total purchases within
    # 15% of actual, and the predicted means rise with past purchases as the actual ones do
    h = result.holdout
    total = float((h["predicted"] * h["customers"]).sum())
    actual = float((h["actual"] * h["customers"]).sum())
    assert actual > 500 and abs(total - actual) / actual < 0.15, (total, actual)
    assert np.corrcoef(h["predicted"], h["actual"])[0, 1] > 0.9
    # the same call again gives the same numbers
    again = clv(ws, exclude_categories=["subscription"])
    assert again.bg_params == result.bg_params and again.gg_params == result.gg_params
