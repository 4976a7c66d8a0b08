"""Kaplan-Meier and Cox: a hand-computed example, a known hazard ratio, the sample and Telco."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import pytest
from scipy import stats

from cxlens.errors import NotEnoughDataError, SchemaError
from cxlens.models.charts_churn import hazard_ratio_figure
from cxlens.models.survival import cox, fit_cox, kaplan_meier, lifetimes, survival_curves
from tests.conftest import ENGINES, on_engine

TELCO = Path(__file__).resolve().parents[3] / "shared" / "data" / "telco-churn" / "telco_churn.csv"


def test_kaplan_meier_matches_a_hand_computed_example():
    # times 1 2 2+ 3 4+ 5 ("+" censored); at risk 6, 5, 3, 1
    f = pd.DataFrame({"duration_days": [1, 2, 2, 3, 4, 5], "event": [1, 1, 0, 1, 0, 1]})
    curves, summary = kaplan_meier(f, entry=None)
    want = [5 / 6, 5 / 6 * 4 / 5, 5 / 6 * 4 / 5 * 2 / 3, 0.0]
    np.testing.assert_allclose(curves["survival"], want)
    assert curves["time_days"].tolist() == [1, 2, 3, 5]
    assert curves["at_risk"].tolist() == [6, 5, 3, 1]
    # Greenwood variance at t=1, then the log(-log) interval, by hand
    s = 5 / 6
    se = s * math.sqrt(1 / (6 * 5))
    z = stats.norm.ppf(0.975)
    half = z * se / abs(s * math.log(s))
    theta = math.log(-math.log(s))
    assert curves["ci_low"].iloc[0] == pytest.approx(math.exp(-math.exp(theta + half)))
    assert curves["ci_high"].iloc[0] == pytest.approx(math.exp(-math.exp(theta - half)))
    assert summary["median_days"].item() == 3  # first time S <= 0.5
    assert summary["churned"].item() == 4 and summary["customers"].item() == 6


def test_delayed_entry_keeps_late_joiners_out_of_early_risk_sets():
    # B enters at 5 (seen from day 5); at t=2 only A and C are at risk
    f = pd.DataFrame({"duration_days": [2, 8, 6], "event": [1, 1, 0], "entry_days": [0, 5, 0]})
    curves, _ = kaplan_meier(f)
    assert curves["at_risk"].tolist() == [2, 1]
    np.testing.assert_allclose(curves["survival"], [0.5, 0.0])


def test_cox_recovers_a_known_hazard_ratio():
    rng = np.random.default_rng(3)
    n = 3000
    group = rng.choice(["control", "treated"], size=n, p=[0.6, 0.4])
    x = rng.normal(size=n)
    rate = 0.01 * np.exp(np.log(2.0) * (group == "treated") + np.log(0.7) * x)
    t = rng.exponential(1 / rate)
    censor = rng.uniform(0, 200, size=n)
    f = pd.DataFrame({"duration_days": np.minimum(t, censor), "event": t <= censor,
                      "group": group, "x": x})  # fmt: skip
    hr = fit_cox(f, ["group", "x"], entry=None).set_index("term")
    assert hr.loc["treated", "reference"] == "control"
    assert hr.loc["treated", "ci_low"] < 2.0 < hr.loc["treated", "ci_high"]
    assert hr.loc["x", "ci_low"] < 0.7 < hr.loc["x", "ci_high"]
    assert hr.loc["treated", "p_value"] < 1e-6
    assert isinstance(hazard_ratio_figure(hr.reset_index()), go.Figure)
    # the model's size in columns, the same on every row: 3,000 customers, their churns
    assert hr["n"].eq(n).all() and hr["events"].eq(int(f["event"].sum())).all()
    assert hr["dropped"].eq(0).all() and hr.attrs == {}
    five_missing = f.assign(x=f["x"].where(np.arange(n) >= 5))
    assert fit_cox(five_missing, ["x"], entry=None)[["n", "dropped"]].iloc[0].tolist() == [n - 5, 5]
    with pytest.raises(SchemaError, match="needs column 'tier'"):
        fit_cox(f, ["tier"])


@pytest.fixture(scope="module")
def duckdb_sample_ws(tmp_path_factory):
    from tests.analysis.test_features import sample_workspace

    ws, data = sample_workspace(tmp_path_factory.mktemp("survival"), customers=1500, seed=7)
    yield ws, data
    ws.close()


@pytest.fixture(scope="module", params=ENGINES)
def sample_ws(request, duckdb_sample_ws):
    """``duckdb_sample_ws`` on each engine (Spark: a copy of the same tables)."""
    ws, *rest = duckdb_sample_ws
    return (on_engine(request, ws), *rest)


def test_survival_by_segment_on_the_sample(sample_ws):
    ws, data = sample_ws
    life = lifetimes(ws, columns=["segment"])
    customers = data.tables["customers"]
    assert (
        len(life) == len(customers) and life["event"].sum() == customers["churned_at"].notna().sum()
    )
    # customers who joined before the data starts enter late
    start = data.tables["transactions"]["occurred_at"].min()
    early = life["first_seen"] < start
    assert early.any() and (life.loc[early, "entry_days"] > 0).all()
    assert (life.loc[~early, "entry_days"] == 0).all()
    # censored rows end at the data end: the last activity date, the same for every one
    ends = life.loc[~life["event"], "first_seen"] + pd.to_timedelta(
        life.loc[~life["event"], "duration_days"], unit="D"
    )
    assert (ends.max() - ends.min()) < pd.Timedelta(seconds=1) and life.attrs == {}
    km = survival_curves(ws, by="segment")
    s12 = km.summary.set_index("group")["survival_12m"]
    # enterprise has the lowest planted hazard
    assert s12["enterprise"] > s12["consumer"] and s12["enterprise"] > s12["small_business"]
    assert km.curves["survival"].between(0, 1).all()
    assert (km.curves["ci_low"] <= km.curves["survival"]).all()
    assert isinstance(km.figure(), go.Figure)
    hr = cox(ws, ["segment", "mean_nps"]).set_index("term")
    assert hr.loc["mean_nps", "hazard_ratio"] < 1  # happier customers stay longer
    assert hr.loc["enterprise", "hazard_ratio"] < 1
    with pytest.raises(SchemaError, match="unknown column"):
        lifetimes(ws, columns=["shoe_size"])


@pytest.mark.skipif(not TELCO.exists(), reason="../shared/data/telco-churn is not present")
def test_telco_contract_type_moves_the_hazard_far_from_one():
    df = pd.read_csv(TELCO)
    df["event"] = df["churn"] == "Yes"
    df["duration_days"] = df["tenure"].clip(lower=0.5) * 30.4375  # tenure is in months
    hr = fit_cox(df, ["contract"], entry=None).set_index("term")
    assert hr.loc["One year", "reference"] == "Month-to-month"
    assert hr.loc["One year", "ci_high"] < 0.35 and hr.loc["Two year", "ci_high"] < 0.1
    _, summary = kaplan_meier(df, by="contract", entry=None)
    s12 = summary.set_index("group")["survival_12m"]
    assert s12["Two year"] > s12["One year"] > s12["Month-to-month"]
    with pytest.raises(NotEnoughDataError, match="no churn"):
        kaplan_meier(df.assign(event=False), by="contract")
