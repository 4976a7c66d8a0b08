"""Churn definitions, labels, the time split and the tests that fail if the future leaks in."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cxlens.errors import ArgumentError, NotEnoughDataError, SchemaError
from cxlens.models.churn import (
    LABEL,
    ChurnDefinition,
    build_churn_data,
    data_range,
    plan_split,
    resolve_definition,
    snapshot,
)
from tests.analysis.test_features import workspace_from

TS = pd.Timestamp
CUT = TS("2024-06-30")

# --- hand-made data --------------------------------------------------------------------------

CUSTOMERS = pd.DataFrame({
    "customer_id": ["a", "b", "c", "d", "e", "f", "g"],
    "segment": ["x", "x", "y", "y", "x", "y", "x"],
    "first_seen": [TS("2024-01-01")] * 4 + [TS("2024-08-01"), TS("2024-01-01"), TS("2024-01-01")],
    "churned_at": [pd.NaT, TS("2024-08-01"), TS("2024-06-15"), TS("2024-12-01"), pd.NaT,
                   CUT, CUT + pd.Timedelta(days=90)],
})  # fmt: skip
# a stays; b leaves inside the window; c left before the cut-off; d leaves after the window;
# e joins after the cut-off; f leaves exactly at it (gone); g exactly at the window's end.
CONTRACT_TX = pd.DataFrame({
    "transaction_id": ["t1", "t2", "t3"],
    "customer_id": ["a", "a", "b"],
    "occurred_at": [TS("2024-01-02"), TS("2024-12-31"), TS("2024-02-01")],
    "amount": [10.0, 20.0, 5.0],
})  # fmt: skip

# Non-contractual, 60 days of inactivity, 60-day window (2024-06-30, 2024-08-29].
ACTIVITY = {
    "p": ["2024-06-01", "2024-07-15"],  # active; buys again inside the window: stays
    "q": ["2024-06-10", "2024-10-15"],  # active; lapses on 08-09 inside the window: churned
    "r": ["2024-03-01"],  # lapsed on 04-30, before the cut-off: not in the snapshot
    "s": ["2024-07-05"],  # first purchase after the cut-off: not in the snapshot
    "t": ["2024-05-01", "2024-06-29"],  # lapses on 08-28, the day before the window ends
    "u": ["2024-06-30", "2024-12-31"],  # buys on the cut-off day; lapses 08-29, at the end
}
NON_CONTRACT_TX = pd.DataFrame(
    [(cid, TS(day), 10.0) for cid, days in ACTIVITY.items() for day in days],
    columns=["customer_id", "occurred_at", "amount"],
)
NON_CONTRACT_TX.insert(0, "transaction_id", [f"n{i}" for i in range(len(NON_CONTRACT_TX))])


@pytest.fixture(scope="module")
def contract_ws(tmp_path_factory):
    ws = workspace_from(tmp_path_factory.mktemp("contract"), customers=CUSTOMERS,
                        transactions=CONTRACT_TX)  # fmt: skip
    yield ws
    ws.close()


@pytest.fixture(scope="module")
def activity_ws(tmp_path_factory):
    ws = workspace_from(tmp_path_factory.mktemp("activity"), transactions=NON_CONTRACT_TX)
    yield ws
    ws.close()


def test_definitions_are_stated_in_plain_words():
    assert "churned_at" in ChurnDefinition().describe()
    text = ChurnDefinition("non_contractual", inactive_days=45).describe()
    assert "45 days pass without a transaction" in text
    with pytest.raises(ArgumentError, match="unknown churn kind 'monthly'"):
        ChurnDefinition("monthly")  # type: ignore[arg-type]
    with pytest.raises(ArgumentError, match="inactive_days must be a positive integer"):
        ChurnDefinition("non_contractual", inactive_days=0)


def test_the_definition_follows_the_data(contract_ws, activity_ws):
    assert resolve_definition(contract_ws, None).kind == "contractual"
    assert resolve_definition(activity_ws, None) == ChurnDefinition("non_contractual", 90)
    with pytest.raises(SchemaError, match="contractual churn needs a customers table"):
        resolve_definition(activity_ws, ChurnDefinition("contractual"))


def test_contractual_snapshot_and_labels(contract_ws):
    snap = snapshot(contract_ws, CUT, horizon_days=90)
    got = dict(zip(snap["customer_id"], snap[LABEL], strict=True))
    assert got == {"a": False, "b": True, "d": False, "g": True}
    assert (snap["cutoff"] == CUT).all() and snap.attrs == {}  # the cut-off is a column
    # the churn date after the cut-off is not a feature
    assert snap["churned_at"].isna().all() and not snap["churned"].any()


def test_non_contractual_labels_follow_the_metric_rule(activity_ws):
    definition = ChurnDefinition("non_contractual", inactive_days=60)
    snap = snapshot(activity_ws, CUT, definition=definition, horizon_days=60)
    got = dict(zip(snap["customer_id"], snap[LABEL], strict=True))
    assert got == {"p": False, "q": True, "t": True, "u": True}
    scoring = snapshot(activity_ws, CUT, definition=definition)
    assert LABEL not in scoring.columns and scoring["customer_id"].tolist() == list("pqtu")


def test_label_reads_nothing_after_the_window(activity_ws, tmp_path):
    """A purchase after the window changes no label; one inside it does."""
    definition = ChurnDefinition("non_contractual", inactive_days=60)
    extra = pd.DataFrame({"transaction_id": ["x1", "x2"], "customer_id": ["q", "t"],
                          "occurred_at": [TS("2024-08-30"), TS("2024-08-20")],
                          "amount": [1e6, 5.0]})  # fmt: skip
    ws = workspace_from(tmp_path, transactions=pd.concat([NON_CONTRACT_TX, extra]))
    snap = snapshot(ws, CUT, definition=definition, horizon_days=60)
    got = dict(zip(snap["customer_id"], snap[LABEL], strict=True))
    assert got == {"p": False, "q": True, "t": False, "u": True}  # only t's label moved
    base = snapshot(activity_ws, CUT, definition=definition)
    pd.testing.assert_frame_equal(snapshot(ws, CUT, definition=definition), base)
    ws.close()


def test_data_range_and_cutoff_errors(contract_ws):
    first, last = data_range(contract_ws)
    assert first == TS("2024-01-02") and last == TS("2024-12-31")
    definition = ChurnDefinition()
    with pytest.raises(ArgumentError, match=r"outside the data: the data runs from 2024-01-02"):
        plan_split(contract_ws, definition=definition, cutoff="2023-06-30")
    with pytest.raises(ArgumentError, match=r"outside the data"):
        plan_split(contract_ws, definition=definition, cutoff="2025-03-01")
    with pytest.raises(ArgumentError, match=r"ends on 2025-01-29, after the data end"):
        plan_split(contract_ws, definition=definition, cutoff="2024-10-31")
    with pytest.raises(NotEnoughDataError, match="no room for a training snapshot"):
        plan_split(contract_ws, definition=definition, horizon_days=120)
    with pytest.raises(ArgumentError, match="horizon_days must be a positive integer"):
        plan_split(contract_ws, definition=definition, horizon_days=0)


def test_too_few_churners_is_a_clear_error(contract_ws):
    with pytest.raises(NotEnoughDataError, match=r"too few churners to train on: \d+ churned"):
        build_churn_data(contract_ws, horizon_days=60, train_snapshots=2)


# --- the sample: split and leakage -----------------------------------------------------------


@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    from tests.analysis.test_features import sample_workspace

    ws, data = sample_workspace(tmp_path_factory.mktemp("churn-sample"), customers=1200)
    yield ws, data
    ws.close()


def test_split_windows_never_overlap_the_evaluation(sample):
    ws, _ = sample
    split = plan_split(ws, definition=ChurnDefinition(), horizon_days=90, train_snapshots=4)
    h = pd.Timedelta(days=90)
    assert split.evaluation_cutoff + h <= split.data_end
    assert split.calibration_cutoff + h <= split.evaluation_cutoff
    assert all(c + h <= split.calibration_cutoff for c in split.train_cutoffs)
    assert list(split.train_cutoffs) == sorted(split.train_cutoffs)
    assert split.train_cutoffs[0] >= split.data_start + h


def _truncated(tables: dict[str, pd.DataFrame], cut: pd.Timestamp) -> dict[str, pd.DataFrame]:
    """The data as a CRM would have held it at ``cut``: every later row and date removed."""
    c = tables["customers"]
    c = c[c["first_seen"] <= cut].copy()
    c["churned_at"] = c["churned_at"].where(c["churned_at"] <= cut)
    return {
        "customers": c,
        "responses": tables["responses"][tables["responses"]["responded_at"] <= cut],
        "transactions": tables["transactions"][tables["transactions"]["occurred_at"] <= cut],
        "events": tables["events"][tables["events"]["occurred_at"] <= cut],
    }


def test_features_at_a_cutoff_ignore_everything_after_it(sample, tmp_path):
    """Leakage test: features at c on the full data equal those on data cut at c."""
    ws, data = sample
    cut = TS("2025-03-31")
    full = snapshot(ws, cut)
    short_ws = workspace_from(tmp_path, **_truncated(data.tables, cut))
    short = snapshot(short_ws, cut, definition=ChurnDefinition())
    short_ws.close()
    assert len(full) > 500
    pd.testing.assert_frame_equal(full, short, check_dtype=False)


def test_an_extreme_row_after_the_cutoff_changes_no_feature(sample, tmp_path):
    """Leakage test: a huge purchase, a zero NPS and an event just after c change nothing at c."""
    ws, data = sample
    cut = TS("2025-03-31")
    before = snapshot(ws, cut)
    who = before["customer_id"].iloc[0]
    later = cut + pd.Timedelta(seconds=1)
    tables = {
        k: data.tables[k].copy() for k in ("customers", "responses", "transactions", "events")
    }
    tx = tables["transactions"]
    tables["transactions"] = pd.concat([tx, tx.iloc[[0]].assign(
        transaction_id="LEAK", customer_id=who, occurred_at=later, amount=1e9)])  # fmt: skip
    r = tables["responses"]
    tables["responses"] = pd.concat(
        [
            r,
            r.iloc[[0]].assign(
                response_id="LEAK", customer_id=who, responded_at=later, nps=0, csat=1, ces=7
            ),
        ]
    )
    e = tables["events"]
    tables["events"] = pd.concat([e, e.iloc[[0]].assign(event_id="LEAK", customer_id=who,
                                                        occurred_at=later)])  # fmt: skip
    c = tables["customers"]
    c.loc[c["customer_id"] == who, "churned_at"] = later  # churns a second after c
    leak_ws = workspace_from(tmp_path, **tables)
    after = snapshot(leak_ws, cut, horizon_days=90)
    leak_ws.close()
    pd.testing.assert_frame_equal(after.drop(columns=LABEL), before, check_dtype=False)
    assert after.loc[after["customer_id"] == who, LABEL].item()  # the label sees it


def test_sample_split_has_enough_churners(sample):
    ws, data = sample
    d = build_churn_data(ws, horizon_days=90, train_snapshots=3)
    counts = d.counts()
    assert counts["churners_train"] >= 20 and counts["churners_evaluation"] >= 10
    # the labels agree with the planted churn dates
    ev = d.evaluation.merge(data.tables["customers"][["customer_id", "churned_at"]],
                            on="customer_id", suffixes=("", "_true"))  # fmt: skip
    c, h = d.split.evaluation_cutoff, pd.Timedelta(days=90)
    want = (ev["churned_at_true"] > c) & (ev["churned_at_true"] <= c + h)
    assert (ev[LABEL] == want).all() and want.sum() == counts["churners_evaluation"]
    assert np.all(d.score["cutoff"] == d.split.data_end)


@pytest.mark.spark
def test_snapshots_agree_on_spark(contract_ws, spark_ws, tmp_path):
    for name, frame in (("customers", CUSTOMERS), ("transactions", CONTRACT_TX)):
        path = tmp_path / f"{name}.csv"
        frame.to_csv(path, index=False, date_format="%Y-%m-%d %H:%M:%S")
        spark_ws.ingest(path, table=name)
    got = snapshot(spark_ws, CUT, horizon_days=90)
    want = snapshot(contract_ws, CUT, horizon_days=90)
    empty = [c for c in want.columns if want[c].isna().all() and got[c].isna().all()]
    assert empty  # the response and event features: the tables are absent on both
    pd.testing.assert_frame_equal(got.drop(columns=empty), want.drop(columns=empty),
                                  check_dtype=False)  # fmt: skip
