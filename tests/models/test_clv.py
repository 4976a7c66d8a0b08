"""BG/NBD and Gamma-Gamma on CDNOW against the published fits, plus formula and error checks."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from cxlens.errors import ArgumentError, NotEnoughDataError
from cxlens.models import BetaGeo, GammaGamma

CDNOW = Path(__file__).resolve().parents[3] / "shared" / "data" / "cdnow"

pytestmark = pytest.mark.skipif(
    not CDNOW.is_dir(), reason=f"CDNOW data not found at {CDNOW} (needs ../shared beside the repo)"
)


@pytest.fixture(scope="module")
def summary() -> pd.DataFrame:
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
