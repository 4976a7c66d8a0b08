"""The per-customer feature table against a pandas reference on hand-made data."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats as st

import cxlens
from cxlens.analysis.features import (
    FEATURE_COLUMNS,
    customer_features,
    plan_features,
    profile,
    profile_expr,
    resolve_as_of,
)
from cxlens.errors import NotEnoughDataError, SchemaError
from cxlens.store.query import sql

AS_OF = pd.Timestamp("2024-12-31")
TS = pd.Timestamp

CUSTOMERS = pd.DataFrame({
    "customer_id": ["c1", "c2", "c3", "c4", "c5"],
    "segment": ["a", "a", "b", "b", "b"],
    "first_seen": [TS("2023-01-10"), TS("2023-06-01"), TS("2024-02-01"), pd.NaT,
                   TS("2025-02-01")],
    "churned_at": [pd.NaT, TS("2024-09-15"), TS("2025-03-01"), pd.NaT, pd.NaT],
    "acquisition_cost": [10.0, 20.0, np.nan, 5.0, 1.0],
})  # fmt: skip

RESPONSES = pd.DataFrame({
    "response_id": [f"r{i}" for i in range(1, 8)],
    "customer_id": ["c1", "c1", "c1", "c2", "c3", "c3", None],
    "responded_at": [TS("2024-01-05"), TS("2024-06-05"), TS("2024-08-05"), TS("2024-03-01"),
                     TS("2024-05-01"), TS("2025-01-10"), TS("2024-04-01")],
    "nps": [9, 6, None, 10, 7, 0, 3],
    "csat": [5, 3, 4, 5, None, 1, 2],
    "ces": [6, None, 7, 5, 2, 1, 1],
})  # fmt: skip

TRANSACTIONS = pd.DataFrame({
    "transaction_id": [f"t{i}" for i in range(1, 10)],
    "customer_id": ["c1", "c1", "c1", "c1", "c2", "c2", "c3", "c4", "c4"],
    "occurred_at": [TS("2023-02-01"), TS("2024-03-01"), TS("2024-03-15"), TS("2024-12-01"),
                    TS("2024-01-10"), TS("2024-08-01"), TS("2025-01-05"), TS("2024-07-07"),
                    TS("2024-09-09")],
    "amount": [100.0, 50.0, -20.0, 70.0, 200.0, 30.0, 99.0, 40.0, -5.0],
})  # fmt: skip

EVENTS = pd.DataFrame(
    {
        "event_id": ["e1", "e2", "e3"],
        "customer_id": ["c1", "c1", "c3"],
        "occurred_at": [TS("2024-12-20"), TS("2023-05-05"), TS("2024-06-01")],
        "touchpoint": ["app", "web", "app"],
    }
)


def workspace_from(directory: Path, **frames: pd.DataFrame) -> cxlens.Workspace:
    """Ingest each frame as the canonical table of its keyword name into a fresh Workspace."""
    directory.mkdir(parents=True, exist_ok=True)
    ws = cxlens.Workspace(directory / "ws.duckdb")
    for name in ("customers", "responses", "transactions", "events"):
        if name in frames:
            path = directory / f"{name}.csv"
            frames[name].to_csv(path, index=False, date_format="%Y-%m-%d %H:%M:%S")
            result = ws.ingest(path, table=name)
            assert result.rows_quarantined == 0, ws.quarantine()
    return ws


#: Built samples by (customers, seed): (template folder, data). Many modules use the same
#: sample; the first builds it, the others copy the checkpointed file (a fraction of a second
#: against generating and ingesting again).
_BUILT: dict[tuple[int, int], tuple[Path, object]] = {}


def sample_workspace(directory: Path, customers: int = 2000, seed: int = 7):
    """The cxlens sample (customers, responses, transactions, events) in a Workspace.

    Returns ``(ws, data)``: a Workspace of its own in ``directory`` (a copy of the one built
    first for these ``customers`` and ``seed``), the sample files in ``directory / "data"``,
    and a deep copy of the generated sample.
    """
    import copy
    import shutil

    from cxlens.sample import generate, write_sample

    key = (customers, seed)
    if key not in _BUILT:
        template = directory.parent / f"_sample_{customers}_{seed}_{len(_BUILT)}"
        data = generate(customers=customers, months=24, seed=seed)
        paths = write_sample(data, template / "data")
        built = cxlens.Workspace(template / "sample.duckdb")
        for table in ("customers", "responses", "transactions", "events"):
            built.ingest(paths[table], table=table)
        built.close()
        _BUILT[key] = (template, data)
    template, data = _BUILT[key]
    directory.mkdir(parents=True, exist_ok=True)
    shutil.copytree(template / "data", directory / "data", dirs_exist_ok=True)
    shutil.copy(template / "sample.duckdb", directory / "sample.duckdb")
    return cxlens.Workspace(directory / "sample.duckdb"), copy.deepcopy(data)


@pytest.fixture(scope="module")
def hand_ws(tmp_path_factory):
    ws = workspace_from(tmp_path_factory.mktemp("hand"), customers=CUSTOMERS, responses=RESPONSES,
                        transactions=TRANSACTIONS, events=EVENTS)  # fmt: skip
    yield ws
    ws.close()


def _last(rows: pd.DataFrame, col: str) -> float:
    rows = rows.dropna(subset=[col]).sort_values("responded_at")
    return float(rows[col].iloc[-1]) if len(rows) else math.nan


def _group(nps: float) -> str | None:
    if math.isnan(nps):
        return None
    return "promoter" if nps >= 9 else "passive" if nps >= 7 else "detractor"


def reference_features(as_of: pd.Timestamp) -> pd.DataFrame:
    """The documented rules, written independently in plain pandas, one customer at a time."""
    since = as_of - pd.Timedelta(days=365)
    cust = CUSTOMERS[CUSTOMERS.first_seen.isna() | (CUSTOMERS.first_seen <= as_of)]
    resp = RESPONSES[RESPONSES.customer_id.notna() & (RESPONSES.responded_at <= as_of)]
    tx = TRANSACTIONS[TRANSACTIONS.occurred_at <= as_of]
    ev = EVENTS[EVENTS.occurred_at <= as_of]
    rows = []
    for c in cust.itertuples():
        r = resp[resp.customer_id == c.customer_id]
        t = tx[tx.customer_id == c.customer_id]
        e = ev[ev.customer_id == c.customer_id]
        buys = t[t.amount > 0]
        churned_at = c.churned_at if pd.notna(c.churned_at) and c.churned_at <= as_of else pd.NaT
        firsts = [x for x in (buys.occurred_at.min(), r.responded_at.min(), e.occurred_at.min())
                  if pd.notna(x)]  # fmt: skip
        start = c.first_seen if pd.notna(c.first_seen) else min(firsts)
        end = churned_at if pd.notna(churned_at) else as_of
        last_buy = buys.occurred_at.max()
        rows.append({
            "customer_id": c.customer_id,
            "segment": c.segment,
            "churned": pd.notna(churned_at),
            "churned_at": churned_at,
            "tenure_days": (end - start) / pd.Timedelta(days=1),
            "n_responses": len(r),
            "last_nps": _last(r, "nps"),
            "mean_nps": r.nps.mean(),
            "nps_group": _group(_last(r, "nps")),
            "last_csat": _last(r, "csat"),
            "mean_csat": r.csat.mean(),
            "last_ces": _last(r, "ces"),
            "mean_ces": r.ces.mean(),
            "n_transactions": len(t),
            "frequency": len(buys),
            "frequency_12m": int((buys.occurred_at > since).sum()),
            "first_purchase_at": buys.occurred_at.min(),
            "last_purchase_at": last_buy,
            "recency_days": (as_of - last_buy) / pd.Timedelta(days=1),
            "revenue": t.amount.sum(),
            "revenue_12m": t.amount[t.occurred_at > since].sum(),
            "monetary_mean": t.amount.sum() / len(buys) if len(buys) else math.nan,
            "n_events": len(e),
            "events_12m": int((e.occurred_at > since).sum()),
            "last_event_at": e.occurred_at.max(),
        })  # fmt: skip
    return pd.DataFrame(rows)


def test_features_match_a_pandas_reference(hand_ws):
    got = customer_features(hand_ws, as_of=AS_OF)
    want = reference_features(AS_OF)
    assert got["as_of"].eq(AS_OF).all() and got.attrs == {}  # the date is a column
    # every declared attribute column of customers comes along, filled or not
    attributes = ["segment", "region", "plan", "acquisition_channel"]
    assert list(got.columns) == ["customer_id", *attributes, *FEATURE_COLUMNS, "as_of"]
    assert got.customer_id.tolist() == ["c1", "c2", "c3", "c4"]  # c5 joined after as_of
    for col in want.columns:
        g, w = got[col], want[col]
        if col in ("customer_id", "segment", "nps_group"):
            assert g.fillna("-").tolist() == w.fillna("-").tolist(), col
        elif pd.api.types.is_datetime64_any_dtype(w):
            assert pd.to_datetime(g).tolist() == pd.to_datetime(w).tolist(), col
        else:
            np.testing.assert_allclose(
                g.to_numpy(dtype=float), w.to_numpy(dtype=float), rtol=1e-9, err_msg=col
            )


def test_hand_checked_values(hand_ws):
    f = customer_features(hand_ws, as_of=AS_OF).set_index("customer_id")
    # c1: the latest answer (r3) has no NPS, so the latest NPS is r2's 6
    assert f.loc["c1", "last_nps"] == 6 and f.loc["c1", "nps_group"] == "detractor"
    assert f.loc["c1", "revenue"] == pytest.approx(200.0)  # 100 + 50 - 20 + 70
    assert f.loc["c1", "revenue_12m"] == pytest.approx(100.0)  # 2023 purchase outside
    assert f.loc["c1", "frequency"] == 3 and f.loc["c1", "frequency_12m"] == 2
    assert f.loc["c1", "recency_days"] == pytest.approx(30.0)
    # c3 churns after as_of: not churned, no churn date yet; its 2025 purchase is ignored
    assert not f.loc["c3", "churned"] and pd.isna(f.loc["c3", "churned_at"])
    assert f.loc["c3", "frequency"] == 0 and pd.isna(f.loc["c3", "recency_days"])
    # c4 has no first_seen: tenure runs from its first purchase
    assert f.loc["c4", "tenure_days"] == pytest.approx((AS_OF - TS("2024-07-07")).days)
    assert f.loc["c4", "n_responses"] == 0 and pd.isna(f.loc["c4", "nps_group"])


def test_as_of_defaults_to_the_last_date_in_the_data(hand_ws):
    # latest of responded_at, occurred_at, first_seen, churned_at: c3's churn on 2025-03-01
    assert resolve_as_of(hand_ws) == TS("2025-03-01")
    f = customer_features(hand_ws).set_index("customer_id")
    assert f.loc["c3", "churned"] and f.loc["c5", "n_responses"] == 0


def test_plan_is_one_query_and_shows_its_sql(hand_ws):
    plan = plan_features(hand_ws, as_of=AS_OF)
    sql = plan.sql()
    assert sql.lstrip().upper().startswith(("SELECT", "WITH"))
    assert plan.attributes == ("segment", "region", "plan", "acquisition_channel")
    assert plan.sources == ("customers", "responses", "transactions", "events")


def test_without_a_customers_table_ids_come_from_the_other_tables(tmp_path):
    ws = workspace_from(tmp_path, responses=RESPONSES, transactions=TRANSACTIONS)
    f = customer_features(ws, as_of=AS_OF)
    assert f.customer_id.tolist() == ["c1", "c2", "c3", "c4"]
    assert f.churned.isna().all() and f.n_events.isna().all()
    ws.close()
    ws = workspace_from(tmp_path / "tx", transactions=TRANSACTIONS)
    assert customer_features(ws, as_of=AS_OF).customer_id.tolist() == ["c1", "c2", "c4"]
    ws.close()


def test_no_tables_at_all(tmp_path):
    with cxlens.Workspace(tmp_path / "empty.duckdb") as ws, pytest.raises(NotEnoughDataError):
        customer_features(ws)


def test_profile_matches_hand_formulas(hand_ws):
    plan = plan_features(hand_ws, as_of=AS_OF)
    got = profile(plan.expr, "segment", min_n=2).set_index("segment")
    f = reference_features(AS_OF)
    for seg, rows in f.groupby("segment"):
        row = got.loc[seg]
        rev = rows.revenue_12m.to_numpy()
        assert row.customers == len(rows)
        assert row.revenue_per_customer == pytest.approx(rev.mean())
        half = st.t.ppf(0.975, len(rev) - 1) * rev.std(ddof=1) / np.sqrt(len(rev))
        assert row.revenue_ci_low == pytest.approx(rev.mean() - half)
        assert row.retention_rate == pytest.approx(100 * (1 - rows.churned.mean()))
        nps = rows.last_nps.dropna()
        assert row.nps == pytest.approx(100 * ((nps >= 9).mean() - (nps <= 6).mean()))
    assert got.loc["a", "share"] == pytest.approx(0.5)
    # segment a: c1 (not churned), c2 (churned): Wilson interval of 1 of 2, by hand
    z = st.norm.ppf(0.975)
    centre = (0.5 + z * z / 4) / (1 + z * z / 2)
    half = z * np.sqrt(0.25 / 2 + z * z / 16) / (1 + z * z / 2)
    assert got.loc["a", "retention_ci_low"] == pytest.approx(100 * (centre - half))
    assert not got.small_sample.any() and got.attrs == {}
    # the query profile ran is profile_expr's: one row per segment, the same counts
    counts = profile_expr(plan.expr, "segment").execute().set_index("segment")["customers"]
    assert counts.to_dict() == got["customers"].to_dict()
    assert "GROUP BY" in sql(profile_expr(plan.expr, "segment")).upper()


def test_profile_rejects_an_unknown_column(hand_ws):
    with pytest.raises(SchemaError, match="not a feature column"):
        profile(plan_features(hand_ws, as_of=AS_OF).expr, "tier")


@pytest.mark.spark
def test_features_rfm_and_profiles_agree_on_spark(tmp_path, hand_ws, spark_ws):
    from cxlens.analysis.segments import rfm, segment_profile

    ws = spark_ws
    for name, frame in (("customers", CUSTOMERS), ("responses", RESPONSES),
                        ("transactions", TRANSACTIONS), ("events", EVENTS)):  # fmt: skip
        path = tmp_path / f"{name}.csv"
        frame.to_csv(path, index=False, date_format="%Y-%m-%d %H:%M:%S")
        ws.ingest(path, table=name)
    pd.testing.assert_frame_equal(
        customer_features(ws, as_of=AS_OF), customer_features(hand_ws, as_of=AS_OF),
        check_dtype=False,
    )  # fmt: skip
    pd.testing.assert_frame_equal(rfm(ws, as_of=AS_OF), rfm(hand_ws, as_of=AS_OF),
                                  check_dtype=False)  # fmt: skip
    labels = pd.DataFrame({"customer_id": ["c1", "c2", "c3", "c4"], "tier": list("xxyy")})
    pd.testing.assert_frame_equal(
        segment_profile(ws, "tier", labels=labels, as_of=AS_OF, min_n=1),
        segment_profile(hand_ws, "tier", labels=labels, as_of=AS_OF, min_n=1),
        check_dtype=False,
    )  # fmt: skip


def test_mean_sentiment_comes_from_saved_comment_sentiment_only_when_asked(tmp_path):
    ws = workspace_from(tmp_path, customers=CUSTOMERS, responses=RESPONSES)
    try:
        assert customer_features(ws, as_of=AS_OF)["mean_sentiment"].isna().all()
        ids = RESPONSES["response_id"].tolist()
        scores = np.linspace(-0.9, 0.9, len(ids))
        ws.save_table("comment_sentiment", pd.DataFrame({"response_id": ids, "score": scores}))
        # saved scores alone change nothing: the features are the same before and after
        assert customer_features(ws, as_of=AS_OF)["mean_sentiment"].isna().all()
        got = customer_features(ws, as_of=AS_OF, sentiment=True)
        got = got.set_index("customer_id")["mean_sentiment"]
        scored = RESPONSES.assign(score=scores)
        scored = scored[scored.customer_id.notna() & (scored.responded_at <= AS_OF)]
        want = scored.groupby("customer_id")["score"].mean()
        for customer in got.index:
            if customer in want.index:
                assert got[customer] == pytest.approx(want[customer]), customer
            else:
                assert pd.isna(got[customer]), customer
    finally:
        ws.close()


def test_asking_for_sentiment_before_scoring_the_comments_is_a_clear_error(tmp_path):
    ws = workspace_from(tmp_path, customers=CUSTOMERS, responses=RESPONSES)
    try:
        with pytest.raises(NotEnoughDataError, match=r"comment_sentiment.*ws\.text\.sentiment"):
            customer_features(ws, as_of=AS_OF, sentiment=True)
    finally:
        ws.close()
