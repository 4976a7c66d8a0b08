"""The Workspace: the facade over one Catalog that wires every capability's namespace.

It sits at the top of the layers (as Splink's ``Linker`` wires its components): it holds an
:class:`~cxlens.store.catalog.EngineCatalog` and builds ``ws.metrics``, ``ws.analysis``,
``ws.models``, ``ws.journey``, ``ws.text``, ``ws.social``, ``ws.identity`` and
``ws.surveys`` on it. The
capabilities below are typed against the Catalog and never reach back up through here.
"""

from __future__ import annotations

from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cxlens.ingest.load import LoadResult, Progress, ingest_file, recover_unpublished_loads
from cxlens.ingest.mapping import Mapping, read_mapping
from cxlens.store.catalog import EngineCatalog
from cxlens.store.engine import connect, engine_for

# The namespaces are imported when first used: `import cxlens` and the CLI stay quick to start,
# and a capability's heavy libraries (scikit-learn, LightGBM, Splink) load only when asked for.
if TYPE_CHECKING:
    from cxlens.analysis.kpis import Kpis
    from cxlens.analysis.namespace import Analysis
    from cxlens.collect.namespace import Surveys
    from cxlens.display import DisplayNames
    from cxlens.identity.namespace import Identity
    from cxlens.identity.profile import CustomerProfile
    from cxlens.ingest.presets import Preset
    from cxlens.journey.namespace import Journey
    from cxlens.metrics.namespace import Metrics
    from cxlens.models.namespace import Models
    from cxlens.social.namespace import Social
    from cxlens.store.privacy import ErasureRecord
    from cxlens.text.namespace import Text


class Workspace(EngineCatalog):
    """Canonical CX tables in one engine: a DuckDB file by default, or any Ibis backend.

    Args:
        target: a path to a DuckDB file (created if missing), ":memory:", an Ibis backend
            connection (e.g. ``ibis.pyspark.connect(spark)``) or a SparkSession.

    Example:
        >>> ws = Workspace(":memory:")
        >>> ws.engine.name
        'duckdb'
    """

    def __init__(self, target: str | Path | Any = "cxlens.duckdb") -> None:
        super().__init__(engine_for(connect(target)))
        self.path = (
            Path(target) if isinstance(target, str | Path) and target != ":memory:" else None
        )
        #: loads a crashed process left unpublished, rolled back on opening (their records)
        self.rolled_back = recover_unpublished_loads(self.engine)

    def __repr__(self) -> str:
        where = self.path or self.engine.name
        return f"Workspace({str(where)!r}, tables={self.tables()})"

    def ingest(
        self,
        path: str | Path,
        table: str | None = None,
        mapping: str | Path | Mapping | dict | None = None,
        *,
        encoding: str | None = None,
        delimiter: str | None = None,
        progress: Progress | None = None,
        preset: str | Preset | None = None,
    ) -> LoadResult:
        """Load a CSV, Parquet, JSON Lines or XLSX file into canonical ``table``.

        Bad rows go to quarantine with their reasons; good rows load. On DuckDB the whole
        file loads in one transaction, and a file loaded before is recognised and skipped.
        ``preset`` reads a tool's own export ("qualtrics", "surveymonkey", "typeform",
        "google_forms", "ga4", "hubspot", "salesforce", "shopify", "zendesk",
        "zendesk_csat", or "auto" to recognise it; "name:Zone/City" sets the tool's time
        zone); it picks the table, and a ``mapping`` given too is laid over its own.

        Returns:
            LoadResult with status, load_id, rows_loaded, rows_quarantined, rows_skipped,
            ignored_columns.

        Example:
            >>> ws.ingest("s.csv", table="responses", mapping="s.yaml")  # doctest: +SKIP
            >>> ws.ingest("qualtrics_export.csv", preset="auto")  # doctest: +SKIP
        """
        chosen = None
        if preset is not None:
            from cxlens.ingest.presets import resolve

            chosen = resolve(preset, path, table, encoding=encoding)
            table = chosen.table
            if isinstance(mapping, dict):
                mapping = {"table": table, **mapping}
        if isinstance(mapping, str | Path):
            mapping = read_mapping(mapping)
        elif isinstance(mapping, dict):
            mapping = Mapping.from_dict(mapping)
        return ingest_file(
            self.engine, path, table, mapping,
            encoding=encoding, delimiter=delimiter, progress=progress, preset=chosen,
        )  # fmt: skip

    def profile(self, customer_id: str) -> CustomerProfile:
        """Return the 360 view of one customer (see :func:`cxlens.identity.profile.profile`).

        Example:
            >>> print(ws.profile("C000042").render())  # doctest: +SKIP
        """
        from cxlens.identity.profile import profile
        from cxlens.text.redact import redact

        return profile(self, customer_id, redact=redact)

    def erase(
        self, customer_id: str, *, reason: str, requested_by: str, compact: bool = True
    ) -> ErasureRecord:
        """Erase one customer from every table and log it (see :func:`cxlens.store.privacy.erase`).

        The text capability tells erasure which quotes in derived tables are the customer's
        comments (cleaned, redacted, cut), so those are cut too.

        Example:
            >>> ws.erase("C000042", reason="GDPR request 17", requested_by="dpo")  # doctest: +SKIP
        """
        from cxlens.store.privacy import erase
        from cxlens.text.redact import quote_match

        return erase(
            self, customer_id, reason=reason, requested_by=requested_by, compact=compact,
            quote_match=quote_match,
        )  # fmt: skip

    @cached_property
    def metrics(self) -> Metrics:
        """Core metrics (NPS, CSAT, CES, churn, engagement) over this Workspace's tables."""
        from cxlens.metrics.namespace import Metrics

        return Metrics(self)

    @cached_property
    def analysis(self) -> Analysis:
        """Analyses: drivers, monetisation, effort, loyalty matrix, segments, insights."""
        from cxlens.analysis.namespace import Analysis

        return Analysis(self)

    @cached_property
    def kpis(self) -> Kpis:
        """KPI definitions, their status and alerts, stored in this Workspace."""
        from cxlens.analysis.kpis import Kpis

        return Kpis(self)

    @cached_property
    def models(self) -> Models:
        """Predictive models: customer lifetime value, churn risk, next-best offers."""
        from cxlens.models.namespace import Models

        return Models(self)

    @cached_property
    def journey(self) -> Journey:
        """Customer journeys: touchpoints, paths, funnels, time per stage, emotion, pain points."""
        from cxlens.journey.namespace import Journey

        return Journey(self)

    @cached_property
    def identity(self) -> Identity:
        """Single customer view: clean identities, link and deduplicate them into customers."""
        from cxlens.identity.namespace import Identity

        return Identity(self)

    @cached_property
    def text(self) -> Text:
        """Open-ended feedback: sentiment, themes, theme impact on scores, theme drivers."""
        from cxlens.text.namespace import Text

        return Text(self)

    @cached_property
    def social(self) -> Social:
        """Social listening: engagement, share of voice, brand sentiment, alerts, influencers."""
        from cxlens.social.namespace import Social

        return Social(self)

    @cached_property
    def surveys(self) -> Surveys:
        """Feedback collection: survey definitions, triggered invitations, answers, rates."""
        from cxlens.collect.namespace import Surveys

        return Surveys(self)

    @cached_property
    def display_names(self) -> DisplayNames:
        """Client-facing names of segments, channels, columns and methods (report, dashboard)."""
        from cxlens.display import DisplayNames

        return DisplayNames(self)

    @property
    def currency(self) -> str | None:
        """The declared currency of the amounts (ISO 4217), used when the data has none.

        Stored in the workspace (``_currency``); ``ws.currency = "EUR"`` sets it, ``None``
        clears it. A transactions ``currency`` column that disagrees is an error.

        Example:
            >>> import cxlens
            >>> ws = cxlens.Workspace(":memory:")
            >>> ws.currency = "eur"
            >>> ws.currency
            'EUR'
        """
        from cxlens.money import load_currency

        return load_currency(self)

    @currency.setter
    def currency(self, code: str | None) -> None:
        from cxlens.money import save_currency

        save_currency(self, code)

    def close(self) -> None:
        """Close the engine connection; on a DuckDB file, fold this session's writes in first.

        The writes of the session sit in the file's write-ahead log (cxlens never checkpoints
        the live file, see :meth:`cxlens.store.engine.DuckDBEngine.close`); closing folds them
        in through a checkpointed copy, so the file alone holds the workspace again.

        Example:
            >>> Workspace(":memory:").close()
        """
        self.engine.close()

    def __enter__(self) -> Workspace:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
