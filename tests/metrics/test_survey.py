"""NPS, CSAT and CES on hand-made responses with hand-computed answers."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from cxlens.errors import SchemaError
from cxlens.metrics import ces, csat, nps
from cxlens.metrics.stats import z_value

BASE = [
    "n", "value", "ci_low", "ci_high", "change", "p_value", "significant", "small_sample",
    "partial", "ci_method", "test",
]  # fmt: skip


def _norm_p(z: float) -> float:
    return math.erfc(abs(z) / math.sqrt(2.0))


@pytest.mark.parametrize(
    ("scores", "expected"),
    [([0, 7, 9], 0.0), ([7, 9], 50.0), ([9, 10], 100.0), ([0, 6], -100.0), ([8, 7], 0.0)],
)
def test_nps_hand_values(make_table, scores, expected):
    out = nps(make_table(nps=scores))
    assert out["value"].tolist() == [pytest.approx(expected)]
    assert out["n"].tolist() == [len(scores)]


def test_nps_of_60_promoters_and_15_detractors_is_45(make_table):
    scores = [10] * 30 + [9] * 30 + [8] * 15 + [7] * 10 + [6] * 5 + [0] * 10
    out = nps(make_table(nps=scores))
    row = out.iloc[0]
    assert row["value"] == pytest.approx(45.0)
    assert (row["promoters"], row["passives"], row["detractors"]) == (60, 25, 15)


def test_nps_output_columns_and_order(make_table):
    out = nps(make_table(nps=[9, 3], seg=["a", "b"]), by=["seg"])
    assert list(out.columns) == ["seg", *BASE, "promoters", "passives", "detractors"]
    assert out["seg"].tolist() == ["a", "b"]


def test_nps_adjusted_wald_interval_by_hand(make_table):
    # 5 promoters, 3 passives, 2 detractors; Rocks (2016) adjusted Wald adds 3/4 promoter,
    # 3/4 detractor and 3/2 passive: p = 5.75 / 13, d = 2.75 / 13
    scores = [10, 9, 9, 10, 9, 8, 7, 7, 3, 0]
    row = nps(make_table(nps=scores), confidence=0.9).iloc[0]
    p, d = 5.75 / 13, 2.75 / 13
    se = 100 * math.sqrt((p + d - (p - d) ** 2) / 13)
    z = z_value(0.9)
    assert row["value"] == pytest.approx(30.0)
    assert row["ci_low"] == pytest.approx(100 * (p - d) - z * se)
    assert row["ci_high"] == pytest.approx(100 * (p - d) + z * se)
    assert row["ci_method"] == "adjusted Wald (Rocks 2016)"


def test_three_promoters_give_an_interval_of_positive_width(make_table):
    # the Wald interval is [100, 100] here; adjusted Wald: p = 3.75/6, d = 0.75/6
    row = nps(make_table(nps=[9, 10, 10])).iloc[0]
    se = 100 * math.sqrt((0.75 - 0.5**2) / 6)
    assert row["value"] == 100.0 and row["ci_high"] == 100.0
    assert row["ci_low"] == pytest.approx(50.0 - z_value(0.95) * se)  # -6.58
    assert row["ci_low"] < 0.0 and row["small_sample"]


def test_nps_interval_is_clipped_to_the_scale(make_table):
    row = nps(make_table(nps=[10, 10, 10, 9, 10])).iloc[0]
    assert row["ci_high"] == 100.0
    assert row["ci_low"] < row["value"] <= row["ci_high"]


def test_nps_ignores_nulls(make_table):
    out = nps(make_table(nps=[9.0, None, 0.0, np.nan, 9.0]))
    assert out["n"].tolist() == [3]
    assert out["value"].iloc[0] == pytest.approx(100 / 3)


def test_nps_small_sample_flag(make_table):
    assert nps(make_table(nps=[9] * 29))["small_sample"].tolist() == [True]
    assert nps(make_table(nps=[9] * 30))["small_sample"].tolist() == [False]
    assert nps(make_table(nps=[9] * 5), min_n=5)["small_sample"].tolist() == [False]


def test_nps_change_and_p_value_by_hand(make_table):
    # ten times 3 promoters, 1 passive, 1 detractor in January and 2, 1, 3 in February: the
    # smallest expected count (20 * 50 / 110 = 9.1) is at least 5, so the z-test applies
    t = make_table(
        nps=[10, 10, 9, 8, 3] * 10 + [10, 6, 6, 5, 9, 7] * 10,
        responded_at=pd.to_datetime(["2024-01-01"] * 50 + ["2024-02-29"] * 60),
    )
    out = nps(t, every="month")
    assert out["period"].tolist() == [pd.Timestamp("2024-01-01"), pd.Timestamp("2024-02-01")]
    jan, feb = 40.0, 100 * (2 - 3) / 6
    assert out["value"].tolist() == [pytest.approx(jan), pytest.approx(feb)]
    var_jan = (0.6 + 0.2 - 0.4**2) / 50
    var_feb = (1 / 3 + 1 / 2 - (1 / 3 - 1 / 2) ** 2) / 60
    z = (feb - jan) / (100 * math.sqrt(var_jan + var_feb))
    assert math.isnan(out["change"][0]) and math.isnan(out["p_value"][0])
    assert out["change"][1] == pytest.approx(feb - jan)
    assert out["p_value"][1] == pytest.approx(_norm_p(z))
    assert out["significant"].tolist() == [False, _norm_p(z) < 0.05]
    assert out["test"][1] == "z (independent SEs)" and pd.isna(out["test"][0])


def test_change_is_nan_when_the_previous_period_has_no_data(make_table):
    t = make_table(
        nps=[10, 0, 10, 9],
        responded_at=pd.to_datetime(["2024-01-03", "2024-01-05", "2024-03-01", "2024-03-02"]),
    )
    out = nps(t, every="month")
    assert out["period"].dt.month.tolist() == [1, 3]
    assert out["change"].isna().all() and out["p_value"].isna().all()
    assert not out["significant"].any()


def test_change_compares_within_the_same_group(make_table):
    t = make_table(
        nps=[10, 10, 0, 0, 10, 0],
        seg=["a", "b", "a", "b", "a", "b"],
        responded_at=pd.to_datetime(["2024-01-01"] * 2 + ["2024-01-09"] * 2 + ["2024-01-14"] * 2),
    )
    out = nps(t, by="seg", every="week")
    a = out[out["seg"] == "a"]
    b = out[out["seg"] == "b"]
    assert a["value"].tolist() == [100.0, 0.0] and a["change"].tolist()[1] == -100.0
    assert b["value"].tolist() == [100.0, -100.0] and b["change"].tolist()[1] == -200.0


def test_weeks_start_on_monday_and_quarters_on_the_first_month(make_table):
    when = pd.to_datetime(
        ["2024-01-07 23:00", "2024-01-08 01:00", "2024-05-15 00:00", "2024-12-31 00:00"]
    )
    t = make_table(nps=[9, 9, 9, 9], responded_at=when)
    weeks = nps(t, every="week")["period"].tolist()
    assert (
        weeks == pd.to_datetime(["2024-01-01", "2024-01-08", "2024-05-13", "2024-12-30"]).tolist()
    )
    quarters = nps(t, every="quarter")["period"].tolist()
    assert quarters == pd.to_datetime(["2024-01-01", "2024-04-01", "2024-10-01"]).tolist()
    years = nps(t, every="year")
    assert years["period"].tolist() == [pd.Timestamp("2024-01-01")] and years["n"][0] == 4
    assert len(nps(t, every="day")) == 4


def test_csat_top_two_box_example(make_table):
    scores = [5] * 42 + [4] * 32 + [3] * 10 + [2] * 9 + [1] * 14
    row = csat(make_table(csat=scores)).iloc[0]
    assert row["n"] == 107 and row["satisfied"] == 74
    assert row["value"] == pytest.approx(100 * 74 / 107)
    assert round(row["value"], 2) == 69.16
    ref = stats.binomtest(74, 107).proportion_ci(confidence_level=0.95, method="wilson")
    assert row["ci_low"] == pytest.approx(100 * ref.low)
    assert row["ci_high"] == pytest.approx(100 * ref.high)


def test_csat_change_uses_the_pooled_two_proportion_test(make_table):
    # 30/50 vs 50/70 satisfied: the smallest expected count is 50 * 40 / 120 = 16.7
    t = make_table(
        csat=[5, 5, 4, 2, 1] * 10 + [5, 4, 4, 4, 3, 1, 5] * 10,
        responded_at=pd.to_datetime(["2024-01-01"] * 50 + ["2024-06-30"] * 70),
    )
    out = csat(t, every="quarter")
    p1, p0 = 5 / 7, 3 / 5
    pooled = 8 / 12
    z = (p1 - p0) / math.sqrt(pooled * (1 - pooled) * (1 / 70 + 1 / 50))
    assert out["change"][1] == pytest.approx(100 * (p1 - p0))
    assert out["p_value"][1] == pytest.approx(_norm_p(z))
    assert out["test"][1] == "z (pooled)"
    assert list(out.columns)[-1] == "satisfied"


def test_ces_t_interval_matches_scipy_on_the_raw_values(make_table):
    values = np.array([1, 2, 2, 3, 5, 7, 6, 4, 4, 3, 2, 5])
    row = ces(make_table(ces=values.tolist())).iloc[0]
    sem = values.std(ddof=1) / math.sqrt(len(values))
    lo, hi = stats.t.interval(0.95, df=len(values) - 1, loc=values.mean(), scale=sem)
    assert row["value"] == pytest.approx(values.mean())
    assert row["sd"] == pytest.approx(values.std(ddof=1))
    assert (row["ci_low"], row["ci_high"]) == (pytest.approx(lo), pytest.approx(hi))


def test_ces_change_uses_welch(make_table):
    jan = [1, 2, 3, 3, 4, 2]
    feb = [5, 6, 7, 4, 6, 5, 7, 6]
    t = make_table(
        ces=jan + feb,
        responded_at=pd.to_datetime(["2024-01-01"] * len(jan) + ["2024-02-29"] * len(feb)),
    )
    out = ces(t, every="month")
    ref = stats.ttest_ind(feb, jan, equal_var=False)
    assert out["change"][1] == pytest.approx(np.mean(feb) - np.mean(jan))
    assert out["p_value"][1] == pytest.approx(ref.pvalue, rel=1e-9)
    assert bool(out["significant"][1]) is True
    assert out["test"][1] == "Welch t" and out["ci_method"][1] == "Student t"


def test_ces_single_answer_has_no_interval(make_table):
    row = ces(make_table(ces=[4])).iloc[0]
    assert row["value"] == 4.0 and math.isnan(row["ci_low"]) and math.isnan(row["sd"])


def test_unknown_by_column_names_it_and_the_available_ones(make_table):
    t = make_table(nps=[9], touchpoint=["web"])
    with pytest.raises(SchemaError, match=r"by column 'segment' is not in responses.*touchpoint"):
        nps(t, by=["segment"])


@pytest.mark.parametrize("every", ["fortnight", "Month", "m", ""])
def test_unknown_grain_is_rejected(make_table, every):
    t = make_table(nps=[9], responded_at=pd.to_datetime(["2024-01-01"]))
    with pytest.raises(ValueError, match="unknown time grain"):
        csat(t.rename(csat="nps"), every=every)


def test_missing_score_column_is_a_schema_error(make_table):
    with pytest.raises(SchemaError, match="responses has no column 'ces'"):
        ces(make_table(nps=[9]))


def test_non_numeric_score_is_a_schema_error(make_table):
    with pytest.raises(SchemaError, match=r"responses\.nps must be numeric"):
        nps(make_table(nps=["nine"]))


def test_trend_without_a_time_column_is_a_schema_error(make_table):
    with pytest.raises(SchemaError, match="no column 'responded_at'"):
        nps(make_table(nps=[9]), every="month")


def test_empty_input_gives_an_empty_table_with_the_columns(make_table):
    out = nps(make_table(nps=[np.nan, np.nan], seg=["a", "b"]), by="seg")
    assert out.empty
    assert list(out.columns) == ["seg", *BASE, "promoters", "passives", "detractors"]
