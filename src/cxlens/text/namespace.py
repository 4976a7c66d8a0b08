"""``ws.text``: sentiment, themes, theme impact and theme drivers of a Workspace's comments.

A thin class over the modules of :mod:`cxlens.text`; each method reads the Workspace's
tables through the engine and saves what it derives (``comment_sentiment``,
``comment_themes``, ``themes``).
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from cxlens.errors import SchemaError
from cxlens.store.catalog import Catalog
from cxlens.text.codeframe import CodeFrameSpec
from cxlens.text.impact import ThemeDrivers, theme_drivers, theme_impact
from cxlens.text.sentiment import sentiment
from cxlens.text.themes import SENTIMENT_TABLE, ThemeResult, comment_batches, themes_for_workspace


class Text:
    """Text analyses of a Workspace (``ws.text``).

    Example:
        >>> Text(ws).themes().themes.head()  # doctest: +SKIP
    """

    def __init__(self, workspace: Catalog) -> None:
        self._ws = workspace

    def sentiment(
        self,
        table: str = "responses",
        column: str = "comment",
        *,
        id_column: str = "response_id",
        save: bool = True,
        batch_size: int = 50_000,
    ) -> pd.DataFrame:
        """Score the sentiment of a table's text column in batches read from the engine.

        Returns:
            One row per row of ``table``: ``id_column, language, mixed, label, score,
            status`` (see :func:`cxlens.text.sentiment`); saved as ``comment_sentiment``
            when ``save``.

        Example:
            >>> ws.text.sentiment()["label"].value_counts()  # doctest: +SKIP
        """
        source = self._ws.table(table)
        missing = [c for c in (id_column, column) if c not in source.columns]
        if missing:
            raise SchemaError(
                f"table '{table}' has no column(s) {', '.join(missing)}; pass column= and "
                "id_column= naming its text and key columns"
            )
        parts = []
        for batch in comment_batches(source, [id_column, column], batch_size):
            scored = sentiment(batch[column].tolist())
            scored.insert(0, id_column, batch[id_column].to_numpy())
            parts.append(scored)
        out = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()
        if len(out):
            out["label"] = out["label"].astype(object)
        if save and len(out):
            self._ws.save_table(SENTIMENT_TABLE, out)
        return out

    def themes(
        self,
        frame: CodeFrameSpec | None = None,
        *,
        n_themes: int | None = None,
        table: str = "responses",
        column: str = "comment",
        **kw: Any,
    ) -> ThemeResult:
        """Discover (or, with ``frame``, code) the themes of the comments; assign every one.

        Returns:
            A :class:`cxlens.text.themes.ThemeResult` (``themes``, ``trend``, ``statuses``,
            ``outlier_share``); saves ``comment_themes`` and ``themes``. Other keywords go
            to :func:`cxlens.text.themes.themes_for_workspace`.

        Example:
            >>> ws.text.themes().themes[["label", "count", "emerging"]]  # doctest: +SKIP
        """
        return themes_for_workspace(
            self._ws, frame=frame, n_themes=n_themes, table=table, column=column, **kw
        )

    def theme_impact(self, metric: str = "nps", **kw: Any) -> pd.DataFrame:
        """Impact of each theme on ``metric`` (nps, csat, ces, sentiment), with intervals.

        Returns:
            See :func:`cxlens.text.impact.theme_impact`; most negative impact first.

        Example:
            >>> ws.text.theme_impact("nps", level="aspect")  # doctest: +SKIP
        """
        return theme_impact(self._ws, metric, **kw)

    def theme_drivers(self, target: str = "nps", **kw: Any) -> ThemeDrivers:
        """Themes (or aspects) as drivers of ``target``: relative weights with intervals.

        Returns:
            A :class:`cxlens.text.impact.ThemeDrivers` (``table``, ``level``, ``dropped``,
            ``notes``); see :func:`cxlens.text.impact.theme_drivers`.

        Example:
            >>> ws.text.theme_drivers("nps").table.head(3)  # doctest: +SKIP
        """
        return theme_drivers(self._ws, target, **kw)
