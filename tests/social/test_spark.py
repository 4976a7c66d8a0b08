"""Every social analysis gives the same table on Spark (local mode) as on DuckDB."""

from __future__ import annotations

import pandas as pd
import pytest

from cxlens.social import Social
from tests.social.conftest import CAMPAIGNS, CUSTOMERS, POSTS, TRANSACTIONS, ingest

pytestmark = pytest.mark.spark


def _same(a: pd.DataFrame, b: pd.DataFrame) -> None:
    pd.testing.assert_frame_equal(
        a.reset_index(drop=True), b.reset_index(drop=True), check_dtype=False, atol=1e-9
    )


def test_social_parity(spark_ws, hand_ws, tmp_path):
    frames = {"posts": POSTS, "campaigns": CAMPAIGNS, "customers": CUSTOMERS,
              "transactions": TRANSACTIONS}  # fmt: skip
    for table, frame in frames.items():
        ingest(spark_ws, tmp_path / "spark", table, frame)
    duck, spark = Social(hand_ws), Social(spark_ws)
    _same(spark.engagement(by=["brand"], every="month"),
          duck.engagement(by=["brand"], every="month"))  # fmt: skip
    _same(spark.top_posts(5), duck.top_posts(5))
    _same(spark.share_of_voice(every="month", within="platform"),
          duck.share_of_voice(every="month", within="platform"))  # fmt: skip
    _same(spark.sentiment(), duck.sentiment())
    assert spark.score_posts().reused == 7  # stored on Spark and reused there
    topics = {"service": ["SERVICE", "support"]}
    _same(spark.alerts(topics=topics, baseline=1, min_baseline=1, all_periods=True),
          duck.alerts(topics=topics, baseline=1, min_baseline=1, all_periods=True))  # fmt: skip
    _same(spark.influencers(kind=None, horizon_days=30),
          duck.influencers(kind=None, horizon_days=30))  # fmt: skip
