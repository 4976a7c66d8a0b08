"""Social media analytics: engagement, share of voice, sentiment per brand, alerts, influencers.

* :func:`engagement` / :func:`top_posts`: engagement rate by platform, brand and period (the
  definition of :mod:`cxlens.metrics.engagement`) and the best posts.
* :func:`share_of_voice`: each brand's share of posts, engagement and reach, with intervals.
* :func:`score_posts`: sentiment of every post text, stored as ``post_sentiment``.
* :func:`sentiment_by_brand`: mean score, % negative, % positive and net sentiment per brand.
* :func:`negative_spikes`: periods where a brand's negative share jumps above its trailing
  baseline (Fisher's exact test, Benjamini-Hochberg).
* :func:`brand_themes`: themes of all posts per brand, with shares, sentiment, examples and
  the themes that set a brand apart (two-proportion test, Benjamini-Hochberg).
* :func:`influencers`: reach, engagement, cost per engagement and per acquisition, attributed
  revenue and incremental lift (Poisson rate ratio) per influencer deal or campaign.
* :class:`Social`: the same over a Workspace (``ws.social``).
"""

from cxlens.social.engagement import engagement, post_engagements, top_posts
from cxlens.social.influencers import influencers, rate_ratio
from cxlens.social.namespace import Social
from cxlens.social.post_sentiment import (
    POST_SENTIMENT_TABLE,
    ScoreResult,
    score_posts,
    with_sentiment,
)
from cxlens.social.spikes import negative_spikes
from cxlens.social.themes import BrandThemes, brand_themes, compare_brands
from cxlens.social.voice import sentiment_by_brand, share_of_sum, share_of_voice

__all__ = [
    "POST_SENTIMENT_TABLE",
    "BrandThemes",
    "ScoreResult",
    "Social",
    "brand_themes",
    "compare_brands",
    "engagement",
    "influencers",
    "negative_spikes",
    "post_engagements",
    "rate_ratio",
    "score_posts",
    "sentiment_by_brand",
    "share_of_sum",
    "share_of_voice",
    "top_posts",
    "with_sentiment",
]
