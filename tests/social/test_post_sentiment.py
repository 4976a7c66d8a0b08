"""Post sentiment: scored once, stored as post_sentiment, reused while up to date."""

from __future__ import annotations

import pandas as pd
import pytest

from cxlens.errors import NotEnoughDataError
from cxlens.social import POST_SENTIMENT_TABLE, Social, score_posts
from cxlens.text import sentiment
from tests.social.conftest import POSTS, EnglishRussian, hand_workspace, ingest


def test_scores_agree_with_the_text_module(hand_ws):
    result = score_posts(hand_ws)
    assert (result.scored, result.reused, result.dropped) == (7, 0, 0)
    stored = hand_ws.table(POST_SENTIMENT_TABLE).execute().set_index("post_id")
    expected = sentiment(POSTS["text"].where(POSTS["text"] != "", None).tolist())
    expected.index = POSTS["post_id"]
    assert (
        stored.loc[POSTS["post_id"], "label"].fillna("-").tolist()
        == expected["label"].astype(object).fillna("-").tolist()
    )
    assert stored.loc["p6", "status"] == "empty"  # the empty text: stored, not scored
    assert stored["score"].to_numpy() == pytest.approx(
        expected.loc[stored.index, "score"].to_numpy(), nan_ok=True
    )
    assert set(stored["scorer"]) == {"model"}  # the default backend's name


def test_reused_while_up_to_date_and_extended_for_new_posts(tmp_path):
    ws = hand_workspace(tmp_path, posts=POSTS.iloc[:5])
    assert score_posts(ws).scored == 5
    again = score_posts(ws)
    assert (again.scored, again.reused, again.dropped) == (0, 5, 0)
    ingest(ws, tmp_path / "more", "posts", POSTS.iloc[5:])
    more = score_posts(ws)
    assert (more.scored, more.reused, more.dropped) == (2, 5, 0)
    assert ws.table(POST_SENTIMENT_TABLE).count().execute() == 7
    ws.close()


def test_another_backend_rescores_and_force_rescores(hand_ws):
    score_posts(hand_ws)
    other = score_posts(hand_ws, backend=EnglishRussian())
    assert (other.scored, other.reused, other.dropped) == (7, 0, 7)
    forced = score_posts(hand_ws, backend=EnglishRussian(), force=True)
    assert (forced.scored, forced.reused) == (7, 0)
    stored = hand_ws.table(POST_SENTIMENT_TABLE).execute()
    assert set(stored["scorer"]) == {"default-en-ru"} and len(stored) == 7


def test_scores_of_removed_posts_are_dropped(hand_ws):
    score_posts(hand_ws)
    # an orphan score (its post was erased) goes at the next call
    stale = hand_ws.table(POST_SENTIMENT_TABLE).execute()
    extra = stale.iloc[:1].assign(post_id="gone")
    hand_ws.save_table(POST_SENTIMENT_TABLE, pd.concat([stale, extra], ignore_index=True))
    result = score_posts(hand_ws)
    assert (result.scored, result.reused, result.dropped) == (0, 7, 1)
    assert "gone" not in set(hand_ws.table(POST_SENTIMENT_TABLE).execute()["post_id"])


def test_sentiment_per_brand_from_the_stored_scores(hand_ws):
    out = Social(hand_ws).sentiment().set_index("brand")
    stored = hand_ws.table(POST_SENTIMENT_TABLE).execute()
    merged = POSTS.merge(stored, on="post_id")
    scored = merged[merged["score"].notna()]
    for brand, rows in scored.groupby("brand"):
        assert out.loc[brand, "n"] == len(rows)
        assert out.loc[brand, "score"] == pytest.approx(rows["score"].mean())
        neg = 100 * (rows["label"] == "negative").mean()
        assert out.loc[brand, "negative_share"] == pytest.approx(neg)
    assert out.loc["B", "posts"] == 3 and out.loc["B", "n"] == 2  # p6 has no text


def test_needs_posts(ws):
    with pytest.raises(NotEnoughDataError, match="'posts' table"):
        Social(ws).sentiment()
