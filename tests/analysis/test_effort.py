"""Customer effort: CES correlations, outcome bands and the process optimisation list.

Hand-made tables with answers worked out by hand, scipy and statsmodels as references, and
the sample data through a real DuckDB Workspace.
"""

from __future__ import annotations

import doctest
import importlib
import math
from pathlib import Path

import ibis
import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from scipy import stats

import cxlens
from cxlens.analysis.charts_drivers import loyalty_at_stake_figure
from cxlens.analysis.effort import (
    DIFFERENCE,
    correlation_summary,
    customer_outcomes,
    effort_bands,
    effort_by_touchpoint,
    effort_correlations,
    midranks,
)
from cxlens.errors import ArgumentError, NotEnoughDataError, SchemaError
from cxlens.sample import generate, write_sample


class FrameWorkspace:
    """A workspace stand-in: pandas frames as tables of an in-memory DuckDB."""

    def __init__(self, **frames: pd.DataFrame) -> None:
        self.con = ibis.duckdb.connect()
        for name, frame in frames.items():
            self.con.create_table(name, frame)

    def table(self, name: str) -> ibis.Table:
        return self.con.table(name)

    def has_table(self, name: str) -> bool:
        return name in self.con.list_tables()


def ts(*values: str | None) -> pd.Series:
    return pd.to_datetime(pd.Series(values, dtype="object")).astype("datetime64[us]")


@pytest.fixture
def tiny() -> FrameWorkspace:
    """Nine customers whose repurchase and churn outcomes are worked out in the tests."""
    responses = pd.DataFrame(
        {
            "customer_id": ["c1", "c1", "c2", "c3", "c4", "c5", "c6", "c7", "c7", "c8", None,
                            "c9"],
            "responded_at": ts("2024-01-10", "2024-03-01", "2024-02-01", "2024-03-01",
                               "2024-04-01", "2024-11-01", "2024-01-05", "2024-02-01",
                               "2024-02-10", "2024-02-01", "2024-02-01", "2024-05-01"),
            "ces": pd.array([2, 4, 6, 7, 1, 5, 4, 3, 7, None, 6, 6], dtype="Int64"),
            "nps": [3, 6, 9, 10, 2, 8, 7, 5, 9, 9, 8, 9],
        }
    )  # fmt: skip
    customers = pd.DataFrame(
        {
            "customer_id": ["c1", "c2", "c3", "c4", "c5", "c6", "c7", "c8"],
            "churned_at": ts("2024-05-01", None, "2024-12-01", "2024-06-01", None, None,
                             "2024-01-15", None),
        }
    )  # fmt: skip
    transactions = pd.DataFrame(
        {
            "customer_id": ["c1", "c2", "c2", "c3", "c3", "c6", "c7", "c9"],
            "occurred_at": ts("2024-02-15", "2024-06-01", "2024-02-10", "2024-03-01",
                              "2024-05-30", "2024-01-20", "2024-03-01", "2024-05-10"),
            "amount": [10.0, 10.0, -10.0, 10.0, 10.0, 5.0, 5.0, 5.0],
        }
    )  # fmt: skip
    return FrameWorkspace(responses=responses, customers=customers, transactions=transactions)


# worked out by hand (as of 2024-12-31): customer -> (mean CES, outcome)
REPURCHASE = {"c1": (3, 1), "c2": (6, 0), "c3": (7, 1), "c4": (1, 0), "c6": (4, 1),
              "c7": (5, 1), "c9": (6, 1)}  # fmt: skip
CHURN = {"c1": (3, 1), "c2": (6, 0), "c3": (7, 0), "c4": (1, 1), "c6": (4, 0)}


def test_customer_outcomes_follow_the_windows(tiny):
    got = customer_outcomes(tiny, as_of="2024-12-31")
    assert sorted(got) == ["churn_180d", "repurchase_90d"]
    for name, want in (("repurchase_90d", REPURCHASE), ("churn_180d", CHURN)):
        frame = got[name].execute().sort_values("customer_id")
        assert dict(zip(frame.customer_id, zip(frame.ces, frame.outcome, strict=True),
                        strict=True)) == want, name  # fmt: skip
    first = customer_outcomes(tiny, ces="first", as_of="2024-12-31")["repurchase_90d"].execute()
    assert first.set_index("customer_id").loc["c7", "ces"] == 3.0


def test_point_biserial_matches_scipy(tiny):
    got = effort_correlations(tiny, against=["nps"], as_of="2024-12-31", min_n=6)
    rows = got[got.level == "customer"].set_index("measure")
    for name, want in (("repurchase_90d", REPURCHASE), ("churn_180d", CHURN)):
        x, y = np.array(list(want.values()), dtype=float).T
        ref = stats.pointbiserialr(y, x)
        assert rows.loc[name, "estimate"] == pytest.approx(ref.statistic, rel=1e-12)
        assert rows.loc[name, "p_value"] == pytest.approx(ref.pvalue, rel=1e-9)
        assert rows.loc[name, "n"] == len(want)
        assert rows.loc[name, "method"] == "point-biserial"
    assert rows.loc["repurchase_90d", "small_sample"] == False  # noqa: E712 (n 7 >= 6)
    assert rows.loc["churn_180d", "small_sample"] == True  # noqa: E712 (n 5 < 6)


def test_bands_on_the_hand_example(tiny):
    got = effort_bands(tiny, as_of="2024-12-31", min_n=1).set_index(["outcome", "band"])
    churn = got.loc["churn_180d"]
    assert churn["n"].tolist() == [2, 1, 2, 4]  # the difference row counts both bands
    assert churn["events"].tolist() == [2, 0, 0, 2]
    assert churn.loc["high effort (1-3)", "rate"] == 100.0
    assert churn.loc[DIFFERENCE, "rate"] == -100.0
    rep = got.loc["repurchase_90d"]
    assert rep["n"].tolist() == [2, 1, 4, 6]
    assert rep.loc["low effort (5-7)", "rate"] == 75.0
    assert rep.loc[DIFFERENCE, "rate"] == pytest.approx(25.0)
    # Wilson interval of 3/4 at 95%
    z = stats.norm.ppf(0.975)
    p, n = 0.75, 4
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    assert rep.loc["low effort (5-7)", "ci_low"] == pytest.approx(100 * (centre - half))
    # Newcombe's interval contains the difference
    diff = rep.loc[DIFFERENCE]
    assert diff["ci_low"] < diff["rate"] < diff["ci_high"]


def test_default_as_of_is_the_latest_answer_or_purchase(tiny):
    # latest date is 2024-11-01 (an answer): c6's churn window (to 2024-07-03) is complete,
    # c3's (to 2024-08-28) too, but no window starting after 2024-05-05 is
    got = customer_outcomes(tiny)["churn_180d"].execute()
    assert sorted(got.customer_id) == ["c1", "c2", "c3", "c4", "c6"]


def test_response_level_correlations_match_scipy():
    rng = np.random.default_rng(5)
    ces = rng.integers(1, 8, 120)
    nps = np.clip(ces + rng.integers(-2, 4, 120), 0, 10).astype(float)
    nps[:7] = np.nan  # missing answers drop the pair
    csat = np.clip(np.rint(ces / 1.6 + rng.normal(0, 1, 120)), 1, 5)
    frame = pd.DataFrame({"ces": ces, "nps": nps, "csat": csat})
    got = effort_correlations(frame).set_index(["measure", "method"])
    for col in ("nps", "csat"):
        ok = frame[col].notna()
        x, y = frame.loc[ok, "ces"], frame.loc[ok, col]
        pr, sr = stats.pearsonr(x, y), stats.spearmanr(x, y)
        assert got.loc[(col, "pearson"), "estimate"] == pytest.approx(pr.statistic, rel=1e-12)
        assert got.loc[(col, "pearson"), "p_value"] == pytest.approx(pr.pvalue, rel=1e-8)
        assert got.loc[(col, "spearman"), "estimate"] == pytest.approx(sr.statistic, rel=1e-12)
        assert got.loc[(col, "spearman"), "p_value"] == pytest.approx(sr.pvalue, rel=1e-8)
        assert got.loc[(col, "pearson"), "n"] == ok.sum()
    # Fisher z interval by hand
    r, n = got.loc[("nps", "pearson"), ["estimate", "n"]]
    z, half = math.atanh(r), 1.959963984540054 / math.sqrt(n - 3)
    assert got.loc[("nps", "pearson"), "ci_low"] == pytest.approx(math.tanh(z - half))
    half_s = 1.959963984540054 * math.sqrt(1.06 / (n - 3))
    rs = got.loc[("nps", "spearman"), "estimate"]
    assert got.loc[("nps", "spearman"), "ci_high"] == pytest.approx(
        math.tanh(math.atanh(rs) + half_s)
    )
    assert set(got.reset_index().level) == {"response"}  # a frame has no customers


def test_midranks_match_scipy():
    values = np.array([3.0, 1.0, 2.0, 5.0])
    counts = np.array([2, 3, 1, 4])
    expanded = np.repeat(values, counts)
    want = dict(zip(expanded, stats.rankdata(expanded), strict=True))
    assert midranks(values, counts).tolist() == [want[v] for v in values]


def test_correlation_summary_edges():
    assert all(math.isnan(v) for v in correlation_summary(0.4, 3, 0.95))
    low, high, p = correlation_summary(1.0, 10, 0.95)
    assert p == 0.0 and high == pytest.approx(1.0) and low > 0.99


def touchpoint_rows() -> pd.DataFrame:
    rng = np.random.default_rng(8)
    parts = []
    for name, n, shift, slope in (("app", 80, 1.0, 1.2), ("billing", 60, -0.8, 0.9),
                                  ("shop", 10, 0.0, 1.0)):  # fmt: skip
        ces = np.clip(np.rint(4.5 + shift + rng.normal(0, 1.4, n)), 1, 7)
        nps = np.clip(np.rint(2 + slope * ces + rng.normal(0, 1.5, n)), 0, 10)
        parts.append(pd.DataFrame({"touchpoint": name, "ces": ces, "nps": nps}))
    frame = pd.concat(parts, ignore_index=True)
    frame.loc[len(frame)] = {"touchpoint": None, "ces": 7.0, "nps": 10.0}  # no touchpoint
    frame["ces"] = frame["ces"].astype("Int64")
    frame["nps"] = frame["nps"].astype("Int64")
    return frame


def test_effort_by_touchpoint_against_numpy_and_statsmodels():
    frame = touchpoint_rows()
    got = effort_by_touchpoint(frame, min_n=30).set_index("touchpoint")
    assert sorted(got.index) == ["app", "billing", "shop"]
    score = np.where(frame["nps"] >= 9, 100.0, 0.0) - np.where(frame["nps"] <= 6, 100.0, 0.0)
    frame = frame.assign(s=score)
    for name, rows in frame.dropna(subset=["touchpoint"]).groupby("touchpoint"):
        x, s = rows["ces"].to_numpy(float), rows["s"].to_numpy(float)
        row = got.loc[name]
        assert row["n"] == len(rows)
        assert row["ces"] == pytest.approx(x.mean())
        t_low = x.mean() - stats.t.ppf(0.975, len(x) - 1) * x.std(ddof=1) / math.sqrt(len(x))
        assert row["ces_ci_low"] == pytest.approx(t_low)
        assert row["nps_per_ces_point"] == pytest.approx(np.polyfit(x, s, 1)[0], rel=1e-9)
        ci = sm.OLS(s, sm.add_constant(x)).fit().conf_int(0.05)[1]
        assert [row["slope_ci_low"], row["slope_ci_high"]] == pytest.approx(list(ci), rel=1e-9)
    best = got.loc[["app", "billing"], "ces"].max()  # shop is small: it cannot set the best
    for name in ("app", "billing", "shop"):
        row = got.loc[name]
        assert row["ces_gap"] == pytest.approx(best - row["ces"])
        assert row["loyalty_at_stake"] == pytest.approx(
            row["nps_per_ces_point"] * (best - row["ces"]) * row["n"] / 100
        )
    assert got.loc["billing", "rank"] == 1 and got.loc["app", "rank"] == 2
    assert got.loc["shop", "small_sample"] and pd.isna(got.loc["shop", "rank"])
    fig = loyalty_at_stake_figure(got.reset_index())
    assert "shop (small)" in fig.data[0].y


def test_effort_errors(tiny):
    with pytest.raises(SchemaError, match="no touchpoint column"):
        effort_by_touchpoint(pd.DataFrame({"ces": [1, 2], "nps": [3, 4]}))
    with pytest.raises(ArgumentError, match="repurchase_days must be a positive"):
        effort_correlations(tiny, repurchase_days=0)
    with pytest.raises(ArgumentError, match="ces must be 'mean' or 'first'"):
        customer_outcomes(tiny, ces="median")
    with pytest.raises(NotEnoughDataError, match=r"customers table .* or a transactions table"):
        effort_bands(FrameWorkspace(responses=pd.DataFrame({"ces": [1], "nps": [2]})))
    with pytest.raises(SchemaError, match="no column 'csat'"):
        effort_correlations(tiny, against=["csat"])


# --------------------------------------------------------------------------------------
# sample data


@pytest.fixture(scope="module")
def sample(tmp_path_factory) -> cxlens.Workspace:
    directory: Path = tmp_path_factory.mktemp("effort")
    paths = write_sample(generate(customers=3000, seed=7), directory / "data")
    ws = cxlens.Workspace(directory / "ws.duckdb")
    for table in ("customers", "responses", "transactions"):
        ws.ingest(paths[table], table=table)
    yield ws
    ws.close()


def test_sample_effort_follows_the_generator(sample):
    # truth.json "scores": ces = round(0.5 + 1.25 (driver_ease - 1) + 0.3 (latent - 7) + noise)
    against = ["driver_ease", "driver_reliability", "driver_price", "nps", "csat"]
    got = effort_correlations(sample, against=against)
    pearson = got[got.method == "pearson"].set_index("measure")["estimate"]
    assert pearson.idxmax() == "driver_ease" and pearson["driver_ease"] > 0.7
    assert pearson["nps"] > 0.3 and pearson["csat"] > 0.3
    churn = got[got.measure == "churn_180d"].iloc[0]
    assert churn["ci_high"] < 0  # easier customers churn less
    bands = effort_bands(sample).set_index(["outcome", "band"])
    assert bands.loc[("churn_180d", DIFFERENCE), "ci_high"] < 0


def test_sample_process_optimisation_list(sample):
    got = effort_by_touchpoint(sample)
    ces = sample.metrics.ces(by=["touchpoint"]).dropna(subset=["touchpoint"])
    assert sorted(got.touchpoint) == sorted(ces.touchpoint)
    merged = got.merge(ces, on="touchpoint")
    np.testing.assert_allclose(merged["ces"], merged["value"])
    assert (merged["n_x"] == merged["n_y"]).all()
    assert (got["slope_ci_low"] > 0).all()  # every touchpoint: easier goes with higher NPS
    assert got["rank"].tolist() == list(range(1, len(got) + 1))
    assert got["loyalty_at_stake"].is_monotonic_decreasing
    assert got["loyalty_at_stake"].min() == 0.0  # the best touchpoint has nothing at stake


@pytest.mark.parametrize("name", ["cxlens.analysis.effort"])
def test_docstring_examples(name):
    result = doctest.testmod(
        importlib.import_module(name), optionflags=doctest.NORMALIZE_WHITESPACE
    )
    assert result.attempted > 0 and result.failed == 0
