"""The generated tables: reproducible, canonical, in range and consistent with each other."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cxlens.sample import TABLE_NAMES, SampleData, generate
from cxlens.schema import get_table
from cxlens.schema.tables import DRIVER_PREFIX


def _check_dtype(series: pd.Series, dtype: str) -> bool:
    if dtype == "string":
        return pd.api.types.is_string_dtype(series)
    if dtype == "int":
        return pd.api.types.is_integer_dtype(series)
    if dtype == "float":
        return pd.api.types.is_float_dtype(series)
    if dtype == "timestamp":
        return pd.api.types.is_datetime64_dtype(series) and getattr(series.dt, "tz", None) is None
    if dtype == "bool":
        return pd.api.types.is_bool_dtype(series)
    raise AssertionError(dtype)


def test_same_seed_same_data_other_seed_other_data() -> None:
    a = generate(customers=300, months=12, seed=11)
    b = generate(customers=300, months=12, seed=11)
    c = generate(customers=300, months=12, seed=12)
    for name in TABLE_NAMES:
        pd.testing.assert_frame_equal(a.tables[name], b.tables[name])
    assert a.truth == b.truth
    pd.testing.assert_frame_equal(a.exports["survey_export"], b.exports["survey_export"])
    assert not a.tables["responses"]["nps"].equals(c.tables["responses"]["nps"])
    assert not a.tables["customers"]["first_seen"].equals(c.tables["customers"]["first_seen"])
    assert a.truth["seed"] == 11 and c.truth["seed"] == 12


#: Optional columns the sample does not generate: its identity records carry one name
#: field and no birth date or address (cxlens.identity.testdata generates those, for
#: the linkage tests).
NOT_IN_SAMPLE = {
    ("identities", col)
    for col in (
        "first_name", "last_name", "birth_date", "address", "postcode", "city", "updated_at",
    )
} | {("transactions", col) for col in ("discount", "shipping", "tax")}  # fmt: skip


@pytest.mark.parametrize("name", TABLE_NAMES)
def test_tables_follow_the_canonical_schema(sample: SampleData, name: str) -> None:
    frame = sample.tables[name]
    schema = get_table(name)
    assert len(frame) > 0
    for column in schema.columns:
        if (name, column.name) in NOT_IN_SAMPLE:
            continue
        assert column.name in frame.columns, f"{name}.{column.name} missing"
    for col in frame.columns:
        if not schema.has_column(col):
            assert schema.extra_columns, f"{name} takes no extra column '{col}'"
            assert pd.api.types.is_string_dtype(frame[col]), f"extra {name}.{col} not a string"
            continue
        spec = schema.column(col)
        assert _check_dtype(frame[col], spec.dtype), f"{name}.{col} is {frame[col].dtype}"
        values = frame[col].dropna()
        if spec.minimum is not None:
            assert (values >= spec.minimum).all(), f"{name}.{col} below {spec.minimum}"
        if spec.maximum is not None:
            assert (values <= spec.maximum).all(), f"{name}.{col} above {spec.maximum}"
        if spec.allowed is not None:
            assert set(values) <= set(spec.allowed), f"{name}.{col} outside {spec.allowed}"
    for col in schema.required:
        assert frame[col].notna().all(), f"{name}.{col} is required"
    assert not frame.duplicated(list(schema.key)).any(), f"{name} key not unique"


def test_responses_carry_scores_drivers_and_comments(sample: SampleData) -> None:
    r = sample.tables["responses"]
    drivers = [c for c in r.columns if c.startswith(DRIVER_PREFIX)]
    assert sorted(drivers) == sorted(sample.truth["drivers"]["columns"])
    ratings = r[drivers].to_numpy()
    assert set(np.unique(ratings)) <= {1.0, 2.0, 3.0, 4.0, 5.0}
    assert r[["nps", "csat", "ces"]].notna().any(axis=1).all()
    assert r["nps"].notna().all()
    assert set(r["survey"]) == {"relationship", "transactional"}
    assert r.loc[r["survey"] == "relationship", "ces"].isna().all()
    assert r.loc[r["survey"] == "transactional", "touchpoint"].notna().all()
    assert {"billing", "support", "app", "installation", "onboarding", "renewal"} <= set(
        r["touchpoint"].dropna()
    )
    assert 0.1 < r["comment"].isna().mean() < 0.6


def test_sizes_scale_with_customers() -> None:
    small = generate(customers=500, months=24, seed=3)
    big = generate(customers=2000, months=24, seed=3)
    for name in ("customers", "identities", "responses", "transactions", "events", "posts"):
        ratio = len(big.tables[name]) / len(small.tables[name])
        assert 2.5 < ratio < 5.5, (name, ratio)
    per_customer = len(big.tables["responses"]) / 2000
    assert 3.0 < per_customer < 5.0
    assert len(big.tables["events"]) / 2000 < 25
    assert len(big.tables["campaigns"]) == len(small.tables["campaigns"])


def test_times_lie_in_the_period_and_the_customer_life(sample: SampleData) -> None:
    start = pd.Timestamp(sample.truth["size"]["start"])
    end = pd.Timestamp(sample.truth["size"]["end"])
    assert end == start + pd.DateOffset(months=24)
    for name, col in (
        ("responses", "responded_at"),
        ("transactions", "occurred_at"),
        ("events", "occurred_at"),
        ("posts", "posted_at"),
    ):
        t = sample.tables[name][col]
        assert t.min() >= start and t.max() < end, name
    c = sample.tables["customers"].set_index("customer_id")
    assert (c["first_seen"] < start).mean() > 0.1  # some joined before the period
    assert (c["first_seen"] >= start).mean() > 0.5
    assert (c["churned_at"].dropna() > c.loc[c["churned_at"].notna(), "first_seen"]).all()
    for name, col in (("responses", "responded_at"), ("events", "occurred_at")):
        frame = sample.tables[name]
        joined = frame["customer_id"].map(c["first_seen"])
        left = frame["customer_id"].map(c["churned_at"]).fillna(end)
        assert (frame[col] >= joined - pd.Timedelta(days=60)).all(), name
        assert (frame[col] <= left).all(), name
    for name, col in (("responses", "responded_at"), ("transactions", "occurred_at")):
        frame = sample.tables[name]
        assert (frame[col] >= frame["customer_id"].map(c["first_seen"])).all(), name


def test_ids_are_strings_and_reference_customers(sample: SampleData) -> None:
    ids = set(sample.tables["customers"]["customer_id"])
    for name in ("responses", "transactions", "events"):
        assert set(sample.tables[name]["customer_id"]) <= ids, name
    linked = sample.tables["identities"]["customer_id"].dropna()
    assert set(linked) <= ids
    campaigns = set(sample.tables["campaigns"]["campaign_id"])
    assert set(sample.tables["posts"]["campaign_id"].dropna()) <= campaigns
    assert set(sample.tables["customers"]["campaign_id"].dropna()) <= campaigns


def test_customers_have_segments_plans_and_costs(sample: SampleData) -> None:
    c = sample.tables["customers"]
    assert set(c["segment"]) == {"consumer", "small_business", "enterprise"}
    assert c["region"].nunique() >= 4 and c["plan"].nunique() >= 5
    assert c["acquisition_cost"].gt(0).all()
    by_segment = c.groupby("segment")["acquisition_cost"].median()
    assert by_segment["enterprise"] > by_segment["small_business"] > by_segment["consumer"]
    assert 0.05 < c["churned_at"].notna().mean() < 0.4


def test_identities_are_messy_but_linked(sample: SampleData) -> None:
    ident = sample.tables["identities"]
    links = sample.identity_links
    assert links is not None and len(links) == len(ident)
    crm = ident[ident["source"] == "crm"]
    assert crm["customer_id"].is_unique and len(crm) == len(sample.tables["customers"])
    assert set(ident["source"]) == {"crm", "web", "support"}
    other = ident[ident["source"] != "crm"]
    assert other["customer_id"].isna().mean() > 0.2  # dedup has work to do
    names = ident["name"]
    assert names.str.contains(r"[\u0400-\u04FF]").any()  # Cyrillic
    assert names.str.contains(r"[\u4e00-\u9fff]").any()  # Chinese
    assert (names != names.str.strip()).any()  # stray whitespace
    assert other["email"].dropna().str.contains("[A-Z]").any()  # case noise
    assert crm["phone"].str.fullmatch(r"\+\d+").all()
    assert other["phone"].dropna().str.contains(r"[ ()-]").any()  # other formats


def test_transactions_pay_monthly_and_buy_add_ons(sample: SampleData) -> None:
    tx = sample.tables["transactions"]
    assert set(tx["currency"]) == {"USD"}
    subs = tx[tx["category"] == "subscription"]
    assert len(subs) > 0.7 * len(tx)
    per_month = (
        subs[subs["amount"] > 0]
        .groupby([subs["customer_id"], subs["occurred_at"].dt.to_period("M")])
        .size()
    )
    assert per_month.quantile(0.99) <= 2
    addons = tx[(tx["category"] != "subscription") & (tx["amount"] > 0)]
    assert addons["product"].nunique() >= 5
    assert (addons.groupby("customer_id").size() > 1).any()  # repeat purchases
    assert (tx["amount"] < 0).any()  # refunds
    c = sample.tables["customers"].set_index("customer_id")
    charges = tx[tx["amount"] > 0]
    left = charges["customer_id"].map(c["churned_at"])
    assert (charges["occurred_at"][left.notna()] <= left.dropna()).all()


def test_events_follow_journey_stages(sample: SampleData) -> None:
    ev = sample.tables["events"]
    stages = set(sample.truth["events"]["stages"])
    assert set(ev["stage"]) == stages
    assert ev["session_id"].notna().all()
    assert ev.groupby("session_id").size().max() > 1
    assert (ev["duration_seconds"] >= 0).all()
    cancel = ev[ev["touchpoint"] == "cancellation"]["customer_id"]
    churned = sample.tables["customers"].dropna(subset=["churned_at"])["customer_id"]
    assert set(cancel) <= set(churned)


def test_posts_cover_brands_platforms_and_campaigns(sample: SampleData) -> None:
    p = sample.tables["posts"]
    assert set(p["brand"]) == set(sample.truth["share_of_voice"]["declared"])
    assert set(p.loc[p["brand_role"] == "own", "brand"]) == {sample.truth["firm"]["name"]}
    assert p["platform"].nunique() == 5
    assert p["influencer"].any() and not p["influencer"].all()
    assert p["campaign_id"].notna().any()
    tagged = p.dropna(subset=["campaign_id"])
    codes = sample.tables["campaigns"].set_index("campaign_id")["tracking_code"]
    assert all(
        code in text
        for code, text in zip(tagged["campaign_id"].map(codes), tagged["text"], strict=True)
    )
    own = p[p["brand_role"] == "own"]
    assert all(sample.truth["firm"]["name"] in t for t in own["text"])


def test_campaigns_are_a_handful_with_costs(sample: SampleData) -> None:
    camp = sample.tables["campaigns"]
    assert 5 <= len(camp) <= 15
    assert set(camp["kind"]) == {"campaign", "influencer"}
    assert camp.loc[camp["kind"] == "influencer", "influencer"].str.startswith("@").all()
    assert (camp["end_at"] > camp["start_at"]).all()
    assert camp["tracking_code"].is_unique


def test_small_inputs_are_rejected() -> None:
    with pytest.raises(ValueError, match="customers"):
        generate(customers=5)
    with pytest.raises(ValueError, match="problem_month"):
        generate(customers=100, months=12, problem_month=12)
