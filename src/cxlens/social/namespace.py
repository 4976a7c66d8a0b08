"""``ws.social``: social media analytics over a Workspace's posts, campaigns and customers."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import ibis.expr.types as ir
import pandas as pd

from cxlens.errors import NotEnoughDataError
from cxlens.social.engagement import engagement as _engagement_rate
from cxlens.social.engagement import top_posts as _top_posts
from cxlens.social.influencers import influencers as _influencers
from cxlens.social.post_sentiment import ScoreResult, score_posts, with_sentiment
from cxlens.social.spikes import negative_spikes
from cxlens.social.themes import BrandThemes, brand_themes
from cxlens.social.voice import sentiment_by_brand, share_of_voice
from cxlens.store.catalog import Catalog
from cxlens.text import SentimentBackend


class Social:
    """Social analytics of one Workspace: engagement, share of voice, sentiment, themes, deals.

    Every method aggregates the posts in the engine and returns a tidy table. Sentiment
    needs each post's text scored once: :meth:`score_posts` stores the scores as the derived
    table ``post_sentiment`` and reuses them while they are up to date (:meth:`sentiment`
    and :meth:`alerts` call it for you).

    Args:
        workspace: the Workspace.
        backend: sentiment backend for post texts (None: the offline default).

    Example:
        >>> ws.social.share_of_voice(every="month").head()  # doctest: +SKIP
        >>> ws.social.alerts(topics={"billing": ["billing", "invoice"]})  # doctest: +SKIP
    """

    def __init__(
        self, workspace: Catalog, *, backend: SentimentBackend | str | Path | None = None
    ) -> None:
        self._ws = workspace
        self.backend = backend

    def _table(self, name: str, purpose: str) -> ir.Table:
        if not self._ws.has_table(name):
            raise NotEnoughDataError(
                f"{purpose} needs the '{name}' table, which this workspace does not have; "
                f"load it with `cxlens ingest FILE --as {name}`"
            )
        return self._ws.table(name)

    def _optional(self, name: str) -> ir.Table | None:
        return self._ws.table(name) if self._ws.has_table(name) else None

    def _scored_posts(self) -> ir.Table:
        posts = self._table("posts", "post sentiment")
        return with_sentiment(posts, self.score_posts().table)

    def engagement(
        self,
        by: Sequence[str] | str | None = ("platform",),
        every: str | None = None,
        *,
        confidence: float = 0.95,
        min_n: int = 30,
    ) -> pd.DataFrame:
        """Return the engagement rate by post column (platform, brand...) and period.

        See :func:`cxlens.social.engagement.engagement`; equal to ``ws.metrics.engagement``.
        """
        posts = self._table("posts", "engagement")
        return _engagement_rate(posts, by=by, every=every, confidence=confidence, min_n=min_n)

    def top_posts(
        self,
        top: int = 20,
        *,
        sort: str = "engagements",
        min_reach: int = 1,
        brand_role: str | None = None,
    ) -> pd.DataFrame:
        """Return the best posts by engagements, engagement rate or reach.

        See :func:`cxlens.social.engagement.top_posts`.
        """
        posts = self._table("posts", "top posts")
        return _top_posts(posts, top=top, sort=sort, min_reach=min_reach, brand_role=brand_role)

    def share_of_voice(
        self,
        by: str = "brand",
        every: str | None = None,
        *,
        within: Sequence[str] | str | None = None,
        confidence: float = 0.95,
        min_n: int = 30,
        interval: str = "wilson",
    ) -> pd.DataFrame:
        """Return share of voice per brand by volume, engagement and reach, with intervals.

        See :func:`cxlens.social.voice.share_of_voice`.
        """
        posts = self._table("posts", "share of voice")
        return share_of_voice(
            posts,
            by=by,
            every=every,
            within=within,
            confidence=confidence,
            min_n=min_n,
            interval=interval,
        )

    def score_posts(self, *, force: bool = False, batch_size: int = 5000) -> ScoreResult:
        """Score post texts that have no up-to-date score; store ``post_sentiment``.

        See :func:`cxlens.social.post_sentiment.score_posts`.
        """
        self._table("posts", "post sentiment")
        return score_posts(self._ws, backend=self.backend, batch_size=batch_size, force=force)

    def sentiment(
        self,
        by: Sequence[str] | str = "brand",
        every: str | None = None,
        *,
        confidence: float = 0.95,
        min_n: int = 30,
    ) -> pd.DataFrame:
        """Return sentiment per brand (and period): mean score, % negative/positive, net.

        See :func:`cxlens.social.voice.sentiment_by_brand`.
        """
        return sentiment_by_brand(
            self._scored_posts(), by=by, every=every, confidence=confidence, min_n=min_n
        )

    def alerts(
        self,
        every: str = "month",
        *,
        baseline: int = 6,
        min_baseline: int = 3,
        topics: Mapping[str, Sequence[str]] | None = None,
        brands: Sequence[str] | str | None = None,
        fdr: float = 0.05,
        min_n: int = 30,
        all_periods: bool = False,
    ) -> pd.DataFrame:
        """Return the periods where a brand's share of negative posts spiked.

        ``all_periods=True`` returns every tested period (for a chart) instead of only
        the alerts. See :func:`cxlens.social.spikes.negative_spikes`.
        """
        table = negative_spikes(
            self._scored_posts(),
            every=every,
            baseline=baseline,
            min_baseline=min_baseline,
            topics=topics,
            brands=brands,
            fdr=fdr,
            min_n=min_n,
        )
        if all_periods:
            return table
        return table[table["alert"]].reset_index(drop=True)

    def themes(
        self,
        *,
        n_themes: int | None = None,
        quotes: int = 3,
        brands: Sequence[str] | str | None = None,
        confidence: float = 0.95,
        fdr: float = 0.05,
        min_n: int = 30,
        save: bool = True,
    ) -> BrandThemes:
        """Return the themes of all posts per brand: share, sentiment, examples, distinctive.

        Saves ``post_themes``, ``post_theme_labels`` and ``brand_themes`` (``save=True``);
        the survey comments' themes are left as they are. See
        :func:`cxlens.social.themes.brand_themes`.
        """
        self._table("posts", "themes per brand")
        return brand_themes(
            self._ws,
            n_themes=n_themes,
            quotes=quotes,
            brands=brands,
            confidence=confidence,
            fdr=fdr,
            min_n=min_n,
            backend=self.backend,
            save=save,
        )

    def influencers(
        self,
        kind: str | None = "influencer",
        *,
        horizon_days: int | None = None,
        confidence: float = 0.95,
        min_n: int = 30,
    ) -> pd.DataFrame:
        """Return reach, engagement, cost, attribution and lift per influencer deal.

        ``kind="campaign"`` or None covers the other campaigns too. See
        :func:`cxlens.social.influencers.influencers`.
        """
        campaigns = self._table("campaigns", "influencer effectiveness")
        return _influencers(
            campaigns,
            posts=self._optional("posts"),
            customers=self._optional("customers"),
            transactions=self._optional("transactions"),
            kind=kind,
            horizon_days=horizon_days,
            confidence=confidence,
            min_n=min_n,
        )
