"""The CLV summary built in the engine: hand-computed logs, lifetimes' reference, bad input."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import cxlens
from cxlens.errors import ArgumentError, NotEnoughDataError
from cxlens.models.rfm import (
    HOLDOUT_COLUMNS,
    RECURRING_COLUMNS,
    SUMMARY_COLUMNS,
    calibration_and_holdout,
    plan_rfm_summary,
    recurring_categories,
    rfm_summary,
    transaction_days,
)
from tests.analysis.test_features import workspace_from

TS = pd.Timestamp

# Hand-made log. a: two purchases on day 1 (one period, 15.0), 20.0 on day 5, a refund on
# day 8 (not a purchase), 12.0 on day 12 after as_of. b: 7.0 then a same-day 9.0 - 4.0 refund
# on day 10 (net 5.0). c: one purchase. d: only a refund (left out). e: first buys after as_of.
HAND = pd.DataFrame(
    [
        ("a", "2024-01-01 10:00:00", 10.0),
        ("a", "2024-01-01 18:30:00", 5.0),
        ("a", "2024-01-05 00:00:00", 20.0),
        ("a", "2024-01-08 09:00:00", -2.0),
        ("a", "2024-01-12 08:00:00", 12.0),
        ("b", "2024-01-02 00:00:00", 7.0),
        ("b", "2024-01-10 11:00:00", 9.0),
        ("b", "2024-01-10 15:00:00", -4.0),
        ("c", "2024-01-03 23:59:59", 4.0),
        ("d", "2024-01-04 12:00:00", -5.0),
        ("e", "2024-01-11 12:00:00", 30.0),
        ("e", "2024-01-15 12:00:00", 30.0),
    ],
    columns=["customer_id", "occurred_at", "amount"],
)
HAND.insert(0, "transaction_id", [f"t{i:02d}" for i in range(len(HAND))])
HAND["occurred_at"] = pd.to_datetime(HAND["occurred_at"])


@pytest.fixture(scope="module")
def hand_ws(tmp_path_factory):
    ws = workspace_from(tmp_path_factory.mktemp("rfm-hand"), transactions=HAND)
    yield ws
    ws.close()


def by_id(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.set_index("customer_id")


def test_summary_by_hand(hand_ws):
    got = rfm_summary(hand_ws, as_of="2024-01-10")
    assert got.columns.tolist() == list(SUMMARY_COLUMNS)
    assert got["customer_id"].tolist() == ["a", "b", "c"]  # d: refunds only; e: later
    got = by_id(got)
    # a: periods Jan 1, Jan 5 -> frequency 1, recency 4, T 9, repeat spend 20
    assert got.loc["a"].tolist() == [1, 4.0, 9.0, 20.0]
    # b: Jan 2 and Jan 10 (the as_of day counts whole; net 9 - 4 = 5)
    assert got.loc["b"].tolist() == [1, 8.0, 8.0, 5.0]
    assert got.loc["c"].tolist() == [0, 0.0, 7.0, 0.0]
    assert got["frequency"].dtype == np.int64
    plan = plan_rfm_summary(hand_ws, as_of="2024-01-10")
    assert plan.as_of == TS("2024-01-10") and plan.time_unit == "days" and got.attrs == {}
    notes = " ".join(plan.notes())
    assert "2 customer-days with net spend <= 0" in notes and "7.00 refunded" in notes
    assert "1 of 4 customers have no day of positive net spend" in notes


def test_summary_defaults_to_the_last_transaction_day_and_weeks(hand_ws):
    got = rfm_summary(hand_ws, time_unit="weeks")
    assert plan_rfm_summary(hand_ws, time_unit="weeks").as_of == TS("2024-01-15")
    got = by_id(got)
    # a: Jan 1, Jan 5, Jan 12 -> 2 repeats, recency 11 days, T 14 days, spend (20 + 12) / 2
    np.testing.assert_allclose(got.loc["a"].to_numpy(float), [2, 11 / 7, 14 / 7, 16.0])
    np.testing.assert_allclose(got.loc["e"].to_numpy(float), [1, 4 / 7, 4 / 7, 30.0])
    # a timestamp as_of counts as its whole day
    late = by_id(rfm_summary(hand_ws, as_of="2024-01-12 00:00:01"))
    assert late.loc["a", "frequency"] == 2 and late.loc["a", "T"] == 11.0


def test_calibration_and_holdout_by_hand(hand_ws):
    got = calibration_and_holdout(hand_ws, "2024-01-04", "2024-01-12")
    assert got.columns.tolist() == list(HOLDOUT_COLUMNS)
    got = by_id(got)
    assert got.index.tolist() == ["a", "b", "c"]  # bought by the calibration end
    assert got["frequency_cal"].tolist() == [0, 0, 0]
    assert got["T_cal"].tolist() == [3.0, 2.0, 1.0]
    # holdout purchase days: a Jan 5 and Jan 12 (Jan 8 is a refund), b Jan 10 (net 5), c none
    assert got["frequency_holdout"].tolist() == [2, 1, 0]
    assert (got["duration_holdout"] == 8.0).all()
    plan = plan_rfm_summary(hand_ws, "2024-01-12", calibration_end="2024-01-04")
    assert plan.calibration_end == TS("2024-01-04") and plan.as_of == TS("2024-01-12")


def test_plan_shows_its_sql(hand_ws):
    plan = plan_rfm_summary(hand_ws, "2024-01-10")
    sql = plan.sql()
    assert "GROUP BY" in sql and "transactions" in sql
    assert (plan.first_day, plan.last_day) == (TS("2024-01-01"), TS("2024-01-15"))
    assert transaction_days(hand_ws) == (TS("2024-01-01"), TS("2024-01-15"))


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"as_of": "2023-12-31"}, r"as_of=2023-12-31 is outside .* from 2024-01-01 to 2024-01-15"),
        ({"as_of": "2024-01-16"}, r"as_of=2024-01-16 is outside the transactions"),
        ({"as_of": "not a date"}, r"as_of='not a date' is not a date"),
        ({"time_unit": "months"}, r"time_unit must be one of days, weeks; got 'months'"),
    ],
)
def test_summary_rejects_bad_arguments(hand_ws, kwargs, match):
    with pytest.raises(ArgumentError, match=match):
        rfm_summary(hand_ws, **kwargs)


def test_calibration_rejects_bad_dates(hand_ws):
    with pytest.raises(ArgumentError, match=r"calibration_end=2024-01-12 must be before"):
        calibration_and_holdout(hand_ws, "2024-01-12", "2024-01-12")
    with pytest.raises(ArgumentError, match=r"calibration_end=2023-06-01 is outside"):
        calibration_and_holdout(hand_ws, "2023-06-01")
    with pytest.raises(ArgumentError, match=r"observation_end=2024-02-01 is outside"):
        calibration_and_holdout(hand_ws, "2024-01-05", "2024-02-01")


def test_only_refunds_give_an_empty_summary_and_no_transactions_an_error(tmp_path):
    refunds = HAND[HAND["customer_id"] == "d"]
    ws = workspace_from(tmp_path / "refunds", transactions=refunds)
    got = rfm_summary(ws)
    assert got.empty and "1 of 1 customers" in plan_rfm_summary(ws).notes()[1]
    empty = cxlens.Workspace(tmp_path / "empty.duckdb")
    with pytest.raises(NotEnoughDataError, match="no 'transactions' table"):
        rfm_summary(empty)


# --- against lifetimes -----------------------------------------------------------------------


def random_log(customers: int = 300, seed: int = 3) -> pd.DataFrame:
    """A log with same-day repeats, times of day and positive amounts, over 2024."""
    rng = np.random.default_rng(seed)
    n = rng.integers(1, 12, customers)
    ids = np.repeat([f"k{i:04d}" for i in range(customers)], n)
    start = np.repeat(rng.integers(0, 300, customers), n)
    day = start + rng.integers(0, 66, len(ids)) * rng.integers(0, 2, len(ids))
    seconds = rng.integers(0, 86_400, len(ids))
    frame = pd.DataFrame(
        {
            "transaction_id": [f"r{i:05d}" for i in range(len(ids))],
            "customer_id": ids,
            "occurred_at": TS("2024-01-01") + pd.to_timedelta(day * 86_400 + seconds, unit="s"),
            "amount": np.round(rng.gamma(2.0, 20.0, len(ids)), 2) + 0.01,
        }
    )
    return frame


@pytest.fixture(scope="module")
def random_ws(tmp_path_factory):
    log = random_log()
    ws = workspace_from(
        tmp_path_factory.mktemp("rfm-random"), customers=random_customers(), transactions=log
    )
    yield ws, log
    ws.close()


def random_customers(customers: int = 300) -> pd.DataFrame:
    return pd.DataFrame({
        "customer_id": [f"k{i:04d}" for i in range(customers)],
        "segment": ["a" if i % 3 else "b" for i in range(customers)],
        "acquisition_channel": ["web" if i % 2 else "shop" for i in range(customers)],
        "acquisition_cost": [10.0 + i % 7 for i in range(customers)],
    })  # fmt: skip


def end_of(day: str) -> pd.Timestamp:
    return TS(day) + pd.Timedelta(days=1) - pd.Timedelta(microseconds=1)


@pytest.mark.parametrize(("time_unit", "multiplier"), [("days", 1), ("weeks", 7)])
def test_summary_equals_lifetimes(random_ws, time_unit, multiplier):
    lifetimes_utils = pytest.importorskip("lifetimes.utils")
    ws, log = random_ws
    as_of = "2024-10-15"
    want = lifetimes_utils.summary_data_from_transaction_data(
        log,
        "customer_id",
        "occurred_at",
        monetary_value_col="amount",
        observation_period_end=as_of,
        freq="D",
        freq_multiplier=multiplier,
    )
    got = by_id(rfm_summary(ws, as_of, time_unit=time_unit))
    assert len(want) > 250 and (want["frequency"] > 0).sum() > 100
    assert got.index.tolist() == want.index.tolist()
    for col in ("frequency", "recency", "T", "monetary_value"):
        np.testing.assert_allclose(got[col], want[col], rtol=1e-12, err_msg=col)


def test_calibration_and_holdout_equal_lifetimes(random_ws):
    lifetimes_utils = pytest.importorskip("lifetimes.utils")
    ws, log = random_ws
    # lifetimes compares raw timestamps with the period ends, so give it the end of each day.
    want = lifetimes_utils.calibration_and_holdout_data(
        log,
        "customer_id",
        "occurred_at",
        calibration_period_end=end_of("2024-07-31"),
        observation_period_end=end_of("2024-11-30"),
        freq="D",
        monetary_value_col="amount",
    )
    got = by_id(calibration_and_holdout(ws, "2024-07-31", "2024-11-30"))
    assert got.index.tolist() == want.index.tolist()
    assert want["frequency_holdout"].sum() > 50
    for col in HOLDOUT_COLUMNS[1:]:
        np.testing.assert_allclose(got[col], want[col], rtol=1e-12, err_msg=col)


def test_sample_summary_equals_lifetimes_on_net_daily_purchases(tmp_path):
    """The generated sample (with refunds): lifetimes on the purchase days our rule keeps."""
    lifetimes_utils = pytest.importorskip("lifetimes.utils")
    from cxlens.sample import generate

    tx = generate(customers=300, months=24, seed=7).tables["transactions"]
    assert (tx["amount"] < 0).any()
    ws = workspace_from(
        tmp_path, transactions=tx[["transaction_id", "customer_id", "occurred_at", "amount"]]
    )
    got = by_id(rfm_summary(ws))
    daily = (
        tx.assign(day=tx["occurred_at"].dt.normalize())
        .groupby(["customer_id", "day"], as_index=False)["amount"]
        .sum()
    )
    daily = daily[daily["amount"] > 0]
    want = lifetimes_utils.summary_data_from_transaction_data(
        daily,
        "customer_id",
        "day",
        monetary_value_col="amount",
        observation_period_end=plan_rfm_summary(ws).as_of,
        freq="D",
    )
    assert got.index.tolist() == want.index.tolist()
    for col in ("frequency", "recency", "T", "monetary_value"):
        np.testing.assert_allclose(got[col], want[col], rtol=1e-12, err_msg=col)


@pytest.mark.spark
@pytest.mark.slow  # about a minute: a Spark session, two ingests and a dozen queries
def test_summary_and_holdout_agree_on_spark(tmp_path: Path, random_ws, spark_ws):
    from cxlens.models.clv import clv

    ws, log = random_ws
    for name, frame in (("customers", random_customers()), ("transactions", log)):
        path = tmp_path / f"{name}.csv"
        frame.to_csv(path, index=False, date_format="%Y-%m-%d %H:%M:%S")
        spark_ws.ingest(path, table=name)
    pd.testing.assert_frame_equal(
        rfm_summary(spark_ws, "2024-10-15"), rfm_summary(ws, "2024-10-15"), check_dtype=False
    )
    pd.testing.assert_frame_equal(
        calibration_and_holdout(spark_ws, "2024-07-31", "2024-11-30"),
        calibration_and_holdout(ws, "2024-07-31", "2024-11-30"),
        check_dtype=False,
    )
    # the whole CLV analysis, with the customers' attributes joined in the engine
    on_spark, on_duckdb = clv(spark_ws, holdout_months=2), clv(ws, holdout_months=2)
    for table in ("customers", "holdout", "by_segment", "by_channel"):
        pd.testing.assert_frame_equal(
            getattr(on_spark, table), getattr(on_duckdb, table), check_dtype=False, rtol=1e-6
        )


# --- category filters ------------------------------------------------------------------------


def category_log() -> pd.DataFrame:
    """random_log with a category per row: a, b, c, and some rows without one."""
    log = random_log(seed=4)
    rng = np.random.default_rng(8)
    category = rng.choice(
        np.array(["a", "b", "c", ""], dtype=object), len(log), p=[0.4, 0.3, 0.2, 0.1]
    )
    return log.assign(category=np.where(category == "", None, category))


@pytest.fixture(scope="module")
def category_ws(tmp_path_factory):
    log = category_log()
    ws = workspace_from(tmp_path_factory.mktemp("rfm-category"), transactions=log)
    yield ws, log
    ws.close()


@pytest.mark.parametrize(
    ("kwargs", "keep"),
    [
        ({"categories": ["a", "b"]}, lambda c: c.isin(["a", "b"])),
        ({"categories": "c"}, lambda c: c == "c"),  # a lone name is one category
        ({"exclude_categories": ["c"]}, lambda c: c.isna() | (c != "c")),  # keeps uncategorised
        ({"categories": ["a", "c"], "exclude_categories": ["b"]}, lambda c: c.isin(["a", "c"])),
    ],
)
def test_category_filter_equals_lifetimes_on_the_filtered_log(category_ws, kwargs, keep):
    lifetimes_utils = pytest.importorskip("lifetimes.utils")
    ws, log = category_ws
    as_of = "2024-10-15"
    part = log[keep(log["category"])]
    want = lifetimes_utils.summary_data_from_transaction_data(
        part, "customer_id", "occurred_at", monetary_value_col="amount",
        observation_period_end=as_of, freq="D",
    )  # fmt: skip
    got = by_id(rfm_summary(ws, as_of, **kwargs))
    assert 0 < len(want) < log["customer_id"].nunique() and (want["frequency"] > 0).sum() > 20
    assert got.index.tolist() == want.index.tolist()
    for col in ("frequency", "recency", "T", "monetary_value"):
        np.testing.assert_allclose(got[col], want[col], rtol=1e-12, err_msg=col)
    assert plan_rfm_summary(ws, as_of, **kwargs).keep.describe().startswith("transactions ")


def test_category_filter_in_calibration_and_holdout_equals_lifetimes(category_ws):
    lifetimes_utils = pytest.importorskip("lifetimes.utils")
    ws, log = category_ws
    part = log[log["category"] != "a"]  # None != "a" is True: uncategorised rows stay
    want = lifetimes_utils.calibration_and_holdout_data(
        part, "customer_id", "occurred_at",
        calibration_period_end=end_of("2024-07-31"), observation_period_end=end_of("2024-11-30"),
        freq="D", monetary_value_col="amount",
    )  # fmt: skip
    got = by_id(calibration_and_holdout(ws, "2024-07-31", "2024-11-30", exclude_categories=["a"]))
    assert got.index.tolist() == want.index.tolist() and want["frequency_holdout"].sum() > 20
    for col in HOLDOUT_COLUMNS[1:]:
        np.testing.assert_allclose(got[col], want[col], rtol=1e-12, err_msg=col)


def test_filtered_dates_and_the_default_as_of(category_ws):
    ws, log = category_ws
    days = log["occurred_at"].dt.normalize()
    c = days[log["category"] == "c"]
    assert transaction_days(ws, categories=["c"]) == (c.min(), c.max())
    assert transaction_days(ws) == (days.min(), days.max())
    # the as-of day stays the end of the data, whatever the filter keeps
    assert plan_rfm_summary(ws, categories=["c"]).as_of == days.max()
    plan = plan_rfm_summary(ws, "2024-10-15", exclude_categories=["a"])
    assert "category" in plan.sql() and plan.keep.exclude == ("a",)


def test_category_filter_errors(category_ws, hand_ws):
    ws, _ = category_ws
    with pytest.raises(
        ArgumentError,
        match=r"category 'zz' not found in transactions.category; the categories are: "
        r"'a', 'b', 'c'",
    ):
        rfm_summary(ws, categories=["a", "zz"])
    with pytest.raises(ArgumentError, match=r"categories 'x', 'y' not found"):
        calibration_and_holdout(ws, "2024-07-31", exclude_categories=["x", "y"])
    with pytest.raises(ArgumentError, match=r"category 'a' both kept .* and dropped"):
        rfm_summary(ws, categories=["a"], exclude_categories=["a"])
    with pytest.raises(ArgumentError, match=r"categories=\[\] keeps no transaction"):
        transaction_days(ws, categories=[])
    with pytest.raises(ArgumentError, match="category names"):
        rfm_summary(ws, exclude_categories=[3])
    # a Workspace's transactions always have the column; here it is empty
    with pytest.raises(ArgumentError, match=r"the categories are: none \(the column is empty\)"):
        rfm_summary(hand_ws, exclude_categories=["subscription"])
    without = NoCategory()
    with pytest.raises(
        cxlens.errors.SchemaError, match=r"transactions has no column 'category', which"
    ):
        plan_rfm_summary(without, exclude_categories=["subscription"])
    assert len(rfm_summary(without, exclude_categories=())) == 4  # no filter: no column needed


class NoCategory:
    """A workspace whose transactions table has no category column (an Ibis memtable)."""

    def table(self, name: str):
        import ibis

        assert name == "transactions"
        return ibis.memtable(HAND)

    def has_table(self, name: str) -> bool:
        return name == "transactions"


def test_spend_is_summed_exactly_whatever_the_order(tmp_path):
    # float sums give 0.1 + 0.2 = 0.30000000000000004 and 0.7 - 0.4 = 0.29999999999999993;
    # whole micro-units give 0.3 both ways, so spend cannot depend on an engine's order
    log = pd.DataFrame(
        [
            ("t1", "a", TS("2024-01-01"), 5.0),
            ("t2", "a", TS("2024-01-03 10:00"), 0.1),
            ("t3", "a", TS("2024-01-03 11:00"), 0.2),
            ("t4", "b", TS("2024-01-01"), 1.0),
            ("t5", "b", TS("2024-01-04"), 0.7),
            ("t6", "b", TS("2024-01-04 09:00"), -0.4),
        ],
        columns=["transaction_id", "customer_id", "occurred_at", "amount"],
    )
    got = by_id(rfm_summary(workspace_from(tmp_path, transactions=log)))
    assert got["monetary_value"].tolist() == [0.3, 0.3]
    assert 0.1 + 0.2 != 0.3 and 0.7 - 0.4 != 0.3  # what float sums would have given instead


# --- recurring categories --------------------------------------------------------------------


def regularity_log(customers: int = 60, seed: int = 12) -> pd.DataFrame:
    """Monthly plan payments (28-31 day gaps) and Poisson add-ons (exponential gaps)."""
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(customers):
        start = TS("2024-01-01") + pd.Timedelta(days=int(rng.integers(0, 60)))
        for k in range(int(rng.integers(2, 14))):  # some customers too short to be judged
            rows.append((f"m{i:03d}", start + pd.DateOffset(months=k), 19.0, "plan"))
        day = start
        for _ in range(int(rng.integers(1, 8))):
            day = day + pd.Timedelta(days=int(rng.exponential(40)) + 1)
            rows.append((f"m{i:03d}", day + pd.Timedelta(hours=9), 7.5, "addon"))
    rows.append(("m999", TS("2024-02-01"), 5.0, "rare"))  # nobody judged
    log = pd.DataFrame(rows, columns=["customer_id", "occurred_at", "amount", "category"])
    log.insert(0, "transaction_id", [f"g{i:05d}" for i in range(len(log))])
    return log


def test_recurring_categories_by_hand(tmp_path):
    log = regularity_log()
    ws = workspace_from(tmp_path, transactions=log)
    got = recurring_categories(ws, min_customers=20).set_index("category")
    ws.close()
    assert got.columns.tolist() == list(RECURRING_COLUMNS[1:])
    days = log.assign(day=log["occurred_at"].dt.normalize()).drop_duplicates(
        ["category", "customer_id", "day"]
    )
    days = days.sort_values(["category", "customer_id", "day"])
    days["gap"] = days.groupby(["category", "customer_id"])["day"].diff().dt.days
    per = days.dropna(subset=["gap"]).groupby(["category", "customer_id"])["gap"]
    per = per.agg(["count", "mean", "std"]).query("count >= 3")
    per["cv"] = per["std"] / per["mean"]
    for category in ("plan", "addon"):
        mine = per.loc[category]
        row = got.loc[category]
        assert row["customers"] == days.loc[days["category"] == category, "customer_id"].nunique()
        assert row["customers_judged"] == len(mine) >= 20
        assert row["median_gap_days"] == pytest.approx(mine["mean"].median(), rel=1e-9)
        assert row["median_cv"] == pytest.approx(mine["cv"].median(), rel=1e-9)
    assert got.loc["plan", "median_cv"] < 0.05 and got.loc["addon", "median_cv"] > 0.5
    assert got["recurring"].to_dict() == {"addon": False, "plan": True, "rare": False}
    # the thresholds it was judged by are columns, the same on every row
    assert got[["max_cv", "min_gaps", "min_customers"]].drop_duplicates().values.tolist() == [
        [0.2, 3, 20]
    ]
    assert got.loc["rare", "customers_judged"] == 0 and np.isnan(got.loc["rare", "median_cv"])


def test_recurring_categories_errors(hand_ws):
    with pytest.raises(cxlens.errors.SchemaError, match="no column 'category'"):
        recurring_categories(NoCategory())
    with pytest.raises(ArgumentError, match="max_cv must be a number > 0"):
        recurring_categories(hand_ws, max_cv=0)
    with pytest.raises(ArgumentError, match="min_gaps must be a whole number >= 2"):
        recurring_categories(hand_ws, min_gaps=1)
    assert recurring_categories(hand_ws).empty  # no category anywhere: nothing to judge


@pytest.mark.spark
@pytest.mark.slow  # a Spark session and one ingest
def test_category_filter_and_recurring_categories_agree_on_spark(
    tmp_path: Path, category_ws, spark_ws
):
    ws, log = category_ws
    path = tmp_path / "transactions.csv"
    log.to_csv(path, index=False, date_format="%Y-%m-%d %H:%M:%S")
    spark_ws.ingest(path, table="transactions")
    for kwargs in ({"exclude_categories": ["c"]}, {"categories": ["a", "b"]}):
        pd.testing.assert_frame_equal(
            rfm_summary(spark_ws, "2024-10-15", **kwargs),
            rfm_summary(ws, "2024-10-15", **kwargs),
            check_dtype=False,
        )
    pd.testing.assert_frame_equal(
        recurring_categories(spark_ws, min_customers=5),
        recurring_categories(ws, min_customers=5),
        check_dtype=False,
    )
