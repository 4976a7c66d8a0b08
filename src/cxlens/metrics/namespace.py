"""``ws.metrics``: the metrics of a Workspace, reading its canonical tables."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import ibis.expr.types as ir
import pandas as pd

from cxlens.errors import ArgumentError, NotEnoughDataError
from cxlens.metrics._common import MetricPlan
from cxlens.metrics.churn import plan_churn, plan_churn_from_transactions
from cxlens.metrics.customer_columns import with_customer_columns
from cxlens.metrics.engagement import plan_engagement
from cxlens.metrics.survey import plan_ces, plan_csat, plan_nps
from cxlens.store.catalog import Catalog

#: Metric names accepted by :meth:`Metrics.sql`.
METRICS: tuple[str, ...] = ("nps", "csat", "ces", "churn", "engagement")

#: Customer-level tables whose columns can be grouping columns of any metric.

_SURVEY = {"nps": plan_nps, "csat": plan_csat, "ces": plan_ces}


class Metrics:
    """The core CX metrics of one workspace: NPS, CSAT, CES, churn and engagement.

    Each method reads the canonical tables through ``workspace.table(name)``, runs one
    aggregate query in the workspace's engine and returns a tidy pandas table (columns as
    in :mod:`cxlens.metrics`). A ``by`` column that a table lacks but ``customers`` has
    (e.g. ``segment``) is joined from ``customers`` on ``customer_id`` in the engine.
    :meth:`sql` shows the query a metric runs.

    Args:
        workspace: object with ``table(name) -> ibis.Table`` and ``has_table(name) -> bool``.

    Example:
        >>> import ibis
        >>> class Ws:
        ...     def table(self, name):
        ...         return ibis.memtable({"nps": [9, 10, 3], "customer_id": ["a", "b", "c"]})
        ...     def has_table(self, name):
        ...         return name == "responses"
        >>> float(Metrics(Ws()).nps()["value"][0])
        33.33333333333333
    """

    def __init__(self, workspace: Catalog) -> None:
        self._ws = workspace

    def _table(self, name: str, purpose: str) -> ir.Table:
        if not self._ws.has_table(name):
            raise NotEnoughDataError(
                f"{purpose} needs the '{name}' table, which this workspace does not have; "
                f"ingest a {name} file first"
            )
        return self._ws.table(name)

    def with_customer_columns(
        self, table: ir.Table, table_name: str, by: Sequence[str] | str | None
    ) -> ir.Table:
        """Return ``table`` with the ``by`` columns it lacks joined from the customer tables.

        Looks in ``customers`` first, then in ``customer_segments`` (segments stored by
        ``ws.analysis.segments``); each is left-joined on ``customer_id`` in the engine.
        Analyses use it to group by customer attributes the way the metrics do.

        See :func:`cxlens.metrics.customer_columns.with_customer_columns`.

        Example:
            >>> t = ws.table("responses")  # doctest: +SKIP
            >>> ws.metrics.with_customer_columns(t, "responses", "segment")  # doctest: +SKIP
        """
        return with_customer_columns(self._ws, table, table_name, by)

    def plan(
        self,
        metric: str,
        by: Sequence[str] | str | None = None,
        every: str | None = None,
        **kw: Any,
    ) -> MetricPlan:
        """Plan ``metric`` without running its main query (churn runs one tiny range query).

        Args:
            metric: one of nps, csat, ces, churn, engagement.
            by: grouping columns (joined from customers when needed).
            every: time grain; churn defaults to month.
            **kw: ``confidence``, ``min_n``; for churn also ``inactivity_days``.

        Returns:
            MetricPlan with ``.sql()`` and ``.run()``.

        Example:
            >>> import ibis
            >>> class Ws:
            ...     def table(self, name):
            ...         return ibis.memtable({"csat": [5, 4, 2]})
            ...     def has_table(self, name):
            ...         return True
            >>> Metrics(Ws()).plan("csat").name
            'CSAT'
        """
        if metric in _SURVEY:
            responses = self._table("responses", metric.upper())
            responses = self.with_customer_columns(responses, "responses", by)
            return _SURVEY[metric](responses, by=by, every=every, **kw)
        if metric == "engagement":
            posts = self._table("posts", "engagement rate")
            posts = self.with_customer_columns(posts, "posts", by)
            return plan_engagement(posts, by=by, every=every, **kw)
        if metric == "churn":
            inactivity_days = kw.pop("inactivity_days", None)
            grain = "month" if every is None else every
            if inactivity_days is None:
                customers = self._table("customers", "churn (from churned_at)")
                customers = self.with_customer_columns(customers, "customers", by)
                return plan_churn(customers, every=grain, by=by, **kw)
            transactions = self._table("transactions", "churn from inactivity")
            transactions = self.with_customer_columns(transactions, "transactions", by)
            return plan_churn_from_transactions(
                transactions, inactivity_days=inactivity_days, every=grain, by=by, **kw
            )
        raise ArgumentError(f"unknown metric {metric!r}; use one of: {', '.join(METRICS)}")

    def sql(
        self,
        metric: str,
        by: Sequence[str] | str | None = None,
        every: str | None = None,
        **kw: Any,
    ) -> str:
        """Return the SQL that ``metric`` runs in the engine, in the engine's dialect.

        For churn this is the counting query; planning it runs one tiny query for the
        period range first.

        Args:
            metric: one of nps, csat, ces, churn, engagement.
            by: grouping columns.
            every: time grain.
            **kw: as for the metric method.

        Returns:
            The SQL statement as a string.

        Example:
            >>> import ibis
            >>> class Ws:
            ...     def table(self, name):
            ...         return ibis.memtable({"nps": [9, 10, 3]})
            ...     def has_table(self, name):
            ...         return True
            >>> "COUNT(*)" in Metrics(Ws()).sql("nps")
            True
        """
        return self.plan(metric, by, every, **kw).sql()

    def nps(
        self, by: Sequence[str] | str | None = None, every: str | None = None, **kw: Any
    ) -> pd.DataFrame:
        """Net Promoter Score from ``responses`` (see :func:`cxlens.metrics.nps`).

        Args:
            by: grouping columns of responses or customers.
            every: time grain (day, week, month, quarter, year).
            **kw: ``confidence``, ``min_n``.

        Returns:
            DataFrame: ``*by, [period], n, value, ci_low, ci_high, change, p_value,
            significant, small_sample, promoters, passives, detractors``.

        Example:
            >>> # ws.metrics.nps(by=["segment"], every="month")
        """
        return self.plan("nps", by, every, **kw).run()

    def csat(
        self, by: Sequence[str] | str | None = None, every: str | None = None, **kw: Any
    ) -> pd.DataFrame:
        """CSAT top-2-box share from ``responses`` (see :func:`cxlens.metrics.csat`).

        Args:
            by: grouping columns of responses or customers.
            every: time grain (day, week, month, quarter, year).
            **kw: ``confidence``, ``min_n``.

        Returns:
            DataFrame: ``*by, [period], n, value, ci_low, ci_high, change, p_value,
            significant, small_sample, satisfied``.

        Example:
            >>> # ws.metrics.csat(by=["touchpoint"])
        """
        return self.plan("csat", by, every, **kw).run()

    def ces(
        self, by: Sequence[str] | str | None = None, every: str | None = None, **kw: Any
    ) -> pd.DataFrame:
        """Compute the Customer Effort Score from ``responses`` (see :func:`cxlens.metrics.ces`).

        Args:
            by: grouping columns of responses or customers.
            every: time grain (day, week, month, quarter, year).
            **kw: ``confidence``, ``min_n``.

        Returns:
            DataFrame: ``*by, [period], n, value, ci_low, ci_high, change, p_value,
            significant, small_sample, sd``.

        Example:
            >>> # ws.metrics.ces(every="quarter")
        """
        return self.plan("ces", by, every, **kw).run()

    def engagement(
        self, by: Sequence[str] | str | None = None, every: str | None = None, **kw: Any
    ) -> pd.DataFrame:
        """Social engagement rate from ``posts`` (see :func:`cxlens.metrics.engagement`).

        Args:
            by: grouping columns of posts (e.g. brand, platform).
            every: time grain (day, week, month, quarter, year).
            **kw: ``confidence``, ``min_n``.

        Returns:
            DataFrame: ``*by, [period], n, value, ci_low, ci_high, change, p_value,
            significant, small_sample, interactions, reach``.

        Example:
            >>> # ws.metrics.engagement(by=["brand"], every="week")
        """
        return self.plan("engagement", by, every, **kw).run()

    def churn(
        self,
        by: Sequence[str] | str | None = None,
        every: str = "month",
        inactivity_days: int | None = None,
        **kw: Any,
    ) -> pd.DataFrame:
        """Churn rate per period (see :func:`cxlens.metrics.churn`).

        Uses ``customers.churned_at`` (contractual churn) unless ``inactivity_days`` is given;
        then churn is derived from ``transactions`` (no purchase for that many days, see
        :func:`cxlens.metrics.churn_from_transactions`).

        Args:
            by: grouping columns of customers (or of transactions, with inactivity_days).
            every: time grain (day, week, month, quarter, year).
            inactivity_days: switch to churn from inactivity with this many days.
            **kw: ``confidence``, ``min_n``.

        Returns:
            DataFrame: ``*by, period, n, value, ci_low, ci_high, change, p_value,
            significant, small_sample, at_start, lost, retention``.

        Example:
            >>> # ws.metrics.churn(every="quarter", by=["plan"])
        """
        return self.plan("churn", by, every, inactivity_days=inactivity_days, **kw).run()
