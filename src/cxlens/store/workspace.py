"""The Workspace: one engine holding the canonical tables, and the entry point to everything."""

from __future__ import annotations

from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

import ibis
import pandas as pd
import pyarrow as pa

from cxlens.errors import NotEnoughDataError, WorkspaceError
from cxlens.ingest.load import (
    COMPLETE,
    LOADS_TABLE,
    QUARANTINE_TABLE,
    LoadResult,
    Progress,
    ingest_file,
    recover_unpublished_loads,
)
from cxlens.ingest.mapping import Mapping, read_mapping
from cxlens.schema import TABLES
from cxlens.store.engine import Engine, connect_duckdb, engine_for
from cxlens.store.privacy import ERASURES_TABLE
from cxlens.store.secrets import SECRET_TABLE

#: Tables only their own module writes: the erasure log and the workspace secret.
PRIVATE_TABLES = (ERASURES_TABLE, SECRET_TABLE)

if TYPE_CHECKING:
    from cxlens.analysis.kpis import Kpis
    from cxlens.analysis.namespace import Analysis
    from cxlens.identity.namespace import Identity
    from cxlens.identity.profile import CustomerProfile
    from cxlens.ingest.presets import Preset
    from cxlens.journey.namespace import Journey
    from cxlens.metrics.namespace import Metrics
    from cxlens.models.namespace import Models
    from cxlens.social.namespace import Social
    from cxlens.store.privacy import ErasureRecord
    from cxlens.text.namespace import Text


class Workspace:
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
        self.engine: Engine = engine_for(_connect(target))
        self.path = (
            Path(target) if isinstance(target, str | Path) and target != ":memory:" else None
        )
        #: loads a crashed process left unpublished, rolled back on opening (their records)
        self.rolled_back = recover_unpublished_loads(self.engine)

    def __repr__(self) -> str:
        where = self.path or self.engine.name
        return f"Workspace({str(where)!r}, tables={self.tables()})"

    @property
    def con(self) -> ibis.BaseBackend:
        """The Ibis connection behind the Workspace."""
        return self.engine.con

    def tables(self) -> list[str]:
        """Return the canonical tables that hold data, in schema order."""
        present = set(self.engine.list_tables())
        return [name for name in TABLES if name in present]

    def has_table(self, name: str) -> bool:
        """Return True when table ``name`` exists in the engine."""
        return name in self.engine.list_tables()

    def table(self, name: str) -> ibis.Table:
        """Return canonical table ``name`` as a lazy Ibis expression.

        Example:
            >>> ws.table("responses").nps.mean().execute()  # doctest: +SKIP
            7.4
        """
        if not self.has_table(name):
            raise NotEnoughDataError(
                f"the workspace has no '{name}' table yet; load one with "
                f"`cxlens ingest FILE --as {name}` or ws.ingest(FILE, table='{name}')"
            )
        return self.engine.table(name)

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

    def save_table(self, name: str, frame: pd.DataFrame) -> ibis.Table:
        """Store a derived table (e.g. ``customer_segments``), replacing any earlier version.

        Canonical tables are written only by :meth:`ingest`; this is for what analyses
        produce. Returns the stored table as an Ibis expression.

        Example:
            >>> ws.save_table("customer_segments", frame)  # doctest: +SKIP
        """
        if name in TABLES or name in (LOADS_TABLE, QUARANTINE_TABLE, *PRIVATE_TABLES):
            raise WorkspaceError(
                f"'{name}' is written by ingestion or its own module only; pick another name"
            )
        self.engine.replace_table(name, pa.Table.from_pandas(frame, preserve_index=False))
        return self.engine.table(name)

    def quarantine(self, load_id: str | None = None) -> pd.DataFrame:
        """Return rejected rows, one line per problem, with lineage and the row's raw values.

        Columns: load_id, table_name, source_file, source_row, column, value, rule, reason, raw.

        Example:
            >>> ws.quarantine().reason.head(1).tolist()  # doctest: +SKIP
            ["nps '11' is outside int in [0, 10]"]
        """
        if not self.has_table(QUARANTINE_TABLE):
            return pd.DataFrame(
                columns=[
                    "load_id",
                    "table_name",
                    "source_file",
                    "source_row",
                    "column",
                    "value",
                    "rule",
                    "reason",
                    "raw",
                ]
            )
        table = self.engine.table(QUARANTINE_TABLE)
        if load_id is not None:
            table = table.filter(table.load_id == load_id)
        table = table.order_by(["load_id", "source_row", "column"])
        return self.engine.execute(table)

    def loads(self, *, rolled_back: bool = False) -> pd.DataFrame:
        """Return the load log: one row per file loaded, with its fingerprint and counts.

        Only complete loads, unless ``rolled_back``: then also the loads a crash cut off,
        which opening the workspace rolled back (``status`` "rolled back", with a ``note``).

        Example:
            >>> ws.loads()[["source_file", "rows_loaded", "status"]]  # doctest: +SKIP
               source_file  rows_loaded    status
            0  surveys.csv          980  complete
        """
        if not self.has_table(LOADS_TABLE):
            return pd.DataFrame(
                columns=[
                    "load_id",
                    "table_name",
                    "source_file",
                    "sha256",
                    "rows_loaded",
                    "rows_quarantined",
                    "loaded_at",
                ]
            )
        loads = self.engine.table(LOADS_TABLE)
        if "status" in loads.columns:  # records from before statuses are all complete
            loads = loads.mutate(status=loads.status.fill_null(COMPLETE))
            if not rolled_back:
                loads = loads.filter(loads.status == COMPLETE)
        return self.engine.execute(loads.order_by("loaded_at"))

    def profile(self, customer_id: str) -> CustomerProfile:
        """Return the 360 view of one customer (see :func:`cxlens.identity.profile.profile`).

        Example:
            >>> print(ws.profile("C000042").render())  # doctest: +SKIP
        """
        from cxlens.identity.profile import profile

        return profile(self, customer_id)

    def erase(
        self, customer_id: str, *, reason: str, requested_by: str, compact: bool = True
    ) -> ErasureRecord:
        """Erase one customer from every table and log it (see :func:`cxlens.store.privacy.erase`).

        Example:
            >>> ws.erase("C000042", reason="GDPR request 17", requested_by="dpo")  # doctest: +SKIP
        """
        from cxlens.store.privacy import erase

        return erase(self, customer_id, reason=reason, requested_by=requested_by, compact=compact)

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

    def close(self) -> None:
        """Close the engine connection."""
        disconnect = getattr(self.con, "disconnect", None)
        if disconnect is not None:
            disconnect()

    def __enter__(self) -> Workspace:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _connect(target: str | Path | Any) -> ibis.BaseBackend:
    if isinstance(target, str | Path):
        return connect_duckdb(target)
    if isinstance(target, ibis.BaseBackend):
        return target
    if type(target).__name__ == "SparkSession":
        return ibis.pyspark.connect(target)
    raise WorkspaceError(
        f"cannot open a Workspace on {type(target).__name__}; pass a DuckDB path, an Ibis "
        "connection or a SparkSession"
    )
