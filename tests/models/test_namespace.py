"""ws.models: each method returns what the function behind it returns, and the target list."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cxlens.models.churn_model import ChurnModel
from cxlens.models.clv import clv
from cxlens.models.offers import offers
from tests.analysis.test_features import sample_workspace


@pytest.fixture(scope="module")
def ws(tmp_path_factory):
    workspace, _ = sample_workspace(tmp_path_factory.mktemp("models-ns"), customers=1500, seed=3)
    yield workspace
    workspace.close()


def test_clv_is_the_clv_function_and_saves_tiers(ws):
    through = ws.models.clv(6, save=True)
    # on everything the fit is degenerate (monthly subscription payments): the namespace
    # gives the fit on the discretionary purchases, which is clv() without subscription
    assert clv(ws, 6).degenerate and through.full_fit is not None
    assert through.exclude_categories == ("subscription",) and not through.degenerate
    direct = clv(ws, 6, exclude_categories=["subscription"])
    pd.testing.assert_frame_equal(through.customers, direct.customers)
    saved = ws.table("customer_segments").to_pandas()[["customer_id", "clv_tier"]]
    expected = direct.customers[["customer_id", "clv_tier"]]
    merged = expected.merge(saved, on="customer_id", suffixes=("", "_saved"))
    assert len(merged) == len(expected)
    assert (merged["clv_tier"] == merged["clv_tier_saved"]).all()


def test_offers_is_the_offers_function(ws):
    through = ws.models.offers(k=2, not_offered=("subscription",))
    direct = offers(ws, k=2, not_offered=("subscription",))
    pd.testing.assert_frame_equal(through.offers, direct.offers)
    assert through.offers.groupby("customer_id")["rank"].max().max() <= 2


@pytest.mark.slow  # fits churn and CLV; tests/models/test_churn_analysis.py ranks the same way
def test_retention_targets_rank_by_clv_times_churn_probability(ws):
    churn = ws.models.churn(model=ChurnModel(n_jobs=1))
    value = ws.models.clv(12)
    targets = ws.models.retention_targets(churn=churn, clv=value)
    both = churn.scores.merge(value.customers[["customer_id", "clv"]], on="customer_id")
    # customers at or above the training base rate (medium or high risk) with a CLV
    at_risk = both[both["churn_probability"] >= churn.model.base_rate_]
    assert len(targets) == at_risk["clv"].notna().sum() > 0
    expected = both.set_index("customer_id")
    got = targets.set_index("customer_id")
    product = expected.loc[got.index, "clv"] * expected.loc[got.index, "churn_probability"]
    np.testing.assert_allclose(got["value_at_risk"], product.to_numpy())
    assert got["value_at_risk"].is_monotonic_decreasing


def test_survival_by_segment_covers_every_segment(ws):
    km = ws.models.survival("segment")
    segments = set(ws.table("customers").segment.to_pandas().dropna())
    assert set(km.summary["group"]) == segments
