"""KPIs with targets, their status (on track, at risk, off track), and alerts.

A KPI is a metric (NPS, CSAT, CES, churn or engagement), optionally for a slice of customers
(a filter such as ``{"segment": "small_business", "touchpoint": "billing"}``), with a
target, a warning band, a deadline and an owner. Definitions live in the workspace, in the
derived table ``_kpis``, so they survive reopening it. The filter is applied as Ibis
``isin`` predicates in the engine (a column of the metric's table, or of ``customers`` /
``customer_segments`` through a semi-join on ``customer_id``); no SQL is built from text.

Status of a KPI, in the latest complete period (the last period that ended on or before
``as_of``), with ``gap = value - target`` for metrics where higher is better and
``gap = target - value`` for churn:

* on track: ``gap >= 0`` (the target is met);
* at risk: ``gap < 0`` and (``-gap <= warning_band`` or ``ci_low <= target <= ci_high``);
* off track: otherwise;
* no data: the period has no value.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import ibis.expr.types as ir
import numpy as np
import pandas as pd
import yaml

from cxlens.analysis._pooled import HIGHER_IS_BETTER
from cxlens.analysis.insights import describe_group, insights, period_label
from cxlens.errors import ArgumentError, NotEnoughDataError, SchemaError
from cxlens.metrics.customer_columns import customer_table_with, keep_customers_where
from cxlens.metrics.namespace import Metrics
from cxlens.metrics.periods import check_every, period_step
from cxlens.schema import TABLES
from cxlens.schema.derived import CUSTOMER_TABLES
from cxlens.store.catalog import Catalog, CatalogView

#: Name of the derived table holding the KPI definitions.
KPI_TABLE = "_kpis"

#: Metrics a KPI can track.
KPI_METRICS: tuple[str, ...] = ("nps", "csat", "ces", "churn", "engagement")

#: Statuses from best to worst.
STATUSES: tuple[str, ...] = ("on track", "at risk", "off track")

#: Columns of :meth:`Kpis.list`.
DEFINITION_COLUMNS: tuple[str, ...] = (
    "name",
    "metric",
    "filter",
    "target",
    "direction",
    "warning_band",
    "deadline",
    "owner",
)

#: Columns of :meth:`Kpis.status`.
STATUS_COLUMNS: tuple[str, ...] = (
    "name",
    "metric",
    "filter",
    "period",
    "value",
    "ci_low",
    "ci_high",
    "n",
    "small_sample",
    "target",
    "direction",
    "warning_band",
    "gap",
    "status",
    "previous_value",
    "previous_status",
    "change",
    "p_value",
    "significant",
    "trend",
    "deadline",
    "owner",
)

#: Columns of :func:`alerts`.
ALERT_COLUMNS: tuple[str, ...] = (
    "source",
    "name",
    "metric",
    "period_start",
    "severity",
    "status",
    "score",
    "message",
)

_SOURCE = {
    "nps": "responses",
    "csat": "responses",
    "ces": "responses",
    "churn": "customers",
    "engagement": "posts",
}
_LABEL = {"nps": "NPS", "csat": "CSAT", "ces": "CES", "churn": "churn", "engagement": "engagement"}
_STORED = ("name", "metric", "filter", "target", "warning_band", "deadline", "owner")
_YAML_KEYS = {"name", "metric", "target", "filter", "warning_band", "deadline", "owner"}


# --------------------------------------------------------------------------- definitions


@dataclass(frozen=True)
class KpiDefinition:
    """One KPI: a metric for a slice of customers, with a target.

    Attributes:
        name: unique name.
        metric: nps, csat, ces, churn or engagement.
        target: the value to reach (metric scale: NPS points, CSAT %, CES 1-7, churn % per
            period, engagement %).
        filter: column -> allowed values (empty: everybody).
        warning_band: how far short of the target still counts as "at risk" (metric units).
        deadline: ISO date by which the target should be met, or None.
        owner: who answers for it, or None.
    """

    name: str
    metric: str
    target: float
    filter: dict[str, list[Any]] = field(default_factory=dict)
    warning_band: float = 0.0
    deadline: str | None = None
    owner: str | None = None

    @property
    def higher_is_better(self) -> bool:
        """True unless the metric is churn."""
        return HIGHER_IS_BETTER[self.metric]

    def record(self) -> dict[str, Any]:
        """Return the definition as a row of the ``_kpis`` table (filter as JSON)."""
        return {
            "name": self.name,
            "metric": self.metric,
            "filter": json.dumps(self.filter, sort_keys=True, default=str),
            "target": float(self.target),
            "warning_band": float(self.warning_band),
            "deadline": self.deadline,
            "owner": self.owner,
        }

    @classmethod
    def from_record(cls, row: Mapping[str, Any]) -> KpiDefinition:
        """Rebuild a definition from a row of the ``_kpis`` table."""
        return cls(
            name=str(row["name"]),
            metric=str(row["metric"]),
            target=float(row["target"]),
            filter=json.loads(row["filter"]) if _present(row["filter"]) else {},
            warning_band=float(row["warning_band"]) if _present(row["warning_band"]) else 0.0,
            deadline=str(row["deadline"]) if _present(row["deadline"]) else None,
            owner=str(row["owner"]) if _present(row["owner"]) else None,
        )


def _present(x: Any) -> bool:
    return x is not None and not (isinstance(x, float) and math.isnan(x)) and x is not pd.NA


def _number(value: Any, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float | np.integer | np.floating):
        raise ArgumentError(f"{what} must be a number; got {value!r}")
    if not math.isfinite(float(value)):
        raise ArgumentError(f"{what} must be a finite number; got {value!r}")
    return float(value)


def _date(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, dt.datetime | dt.date | pd.Timestamp):
        return pd.Timestamp(value).date().isoformat()
    try:
        return pd.Timestamp(str(value)).date().isoformat()
    except (ValueError, TypeError):
        raise ArgumentError(f"deadline must be a date such as 2026-06-30; got {value!r}") from None


_SCALAR = str | int | float | bool


def _filter_values(column: str, values: Any) -> list[Any]:
    items = list(values) if isinstance(values, list | tuple | set) else [values]
    if not items:
        raise ArgumentError(f"filter column '{column}' needs at least one value")
    for item in items:
        if item is None or not isinstance(item, _SCALAR):
            raise ArgumentError(
                f"filter column '{column}' takes text, numbers or booleans; got {item!r}"
            )
    return items


def _table_columns(ws: Catalog, name: str) -> list[str]:
    """Columns of table ``name`` (its schema when not loaded), without lineage columns."""
    if ws.has_table(name):
        cols = list(ws.table(name).columns)
    else:
        cols = TABLES[name].names if name in TABLES else []
    return [c for c in cols if not c.startswith("_")]


def filter_columns(ws: Catalog, metric: str) -> dict[str, str]:
    """Return the columns a KPI on ``metric`` can filter on, each with the table it is in.

    The metric's own table (responses for NPS/CSAT/CES, customers for churn, posts for
    engagement) comes first; then, for tables with ``customer_id``, the columns of
    ``customers`` and ``customer_segments``. A table not loaded yet counts with its canonical
    schema columns; lineage columns (``_load_id``...) are left out.

    Args:
        ws: the workspace.
        metric: nps, csat, ces, churn or engagement.

    Returns:
        Dict column -> table name, in that order.

    Example:
        >>> import cxlens
        >>> cols = filter_columns(cxlens.Workspace(":memory:"), "nps")
        >>> cols["touchpoint"], cols["segment"]
        ('responses', 'customers')
    """
    check_metric(metric)
    source = _SOURCE[metric]
    found = dict.fromkeys(_table_columns(ws, source), source)
    if "customer_id" in found:
        for name in CUSTOMER_TABLES:
            if name == source or (name != "customers" and not ws.has_table(name)):
                continue
            for col in _table_columns(ws, name):
                found.setdefault(col, name)
    return found


def check_metric(metric: str) -> str:
    """Return ``metric`` if a KPI can track it, else raise ArgumentError.

    Example:
        >>> check_metric("churn")
        'churn'
    """
    if metric not in KPI_METRICS:
        raise ArgumentError(f"unknown KPI metric {metric!r}; use one of: {', '.join(KPI_METRICS)}")
    return metric


def validate_filter(
    ws: Catalog, metric: str, filter: Mapping[str, Any] | None
) -> dict[str, list[Any]]:
    """Check a KPI filter against the workspace's columns; return it normalised.

    Args:
        ws: the workspace.
        metric: the KPI's metric.
        filter: column -> value or list of values, or None.

    Returns:
        Dict column -> list of values.

    Raises:
        SchemaError: a column is in none of the tables the metric reads (the message lists
            the available columns).
        ArgumentError: the filter is not a mapping, or a value is not text/number/boolean.

    Example:
        >>> import cxlens
        >>> validate_filter(cxlens.Workspace(":memory:"), "nps", {"segment": "smb"})
        {'segment': ['smb']}
    """
    if filter is None:
        return {}
    if not isinstance(filter, Mapping):
        raise ArgumentError(f"filter must be a mapping of column -> value(s); got {filter!r}")
    available = filter_columns(ws, metric)
    out: dict[str, list[Any]] = {}
    for column, values in filter.items():
        if not isinstance(column, str) or column not in available:
            tables = ", ".join(dict.fromkeys(available.values()))
            raise SchemaError(
                f"KPI filter column {column!r} is not a column of {tables}; available "
                f"columns: {', '.join(available)}"
            )
        out[column] = _filter_values(column, values)
    return out


def classify(
    value: float,
    target: float,
    *,
    higher_is_better: bool = True,
    warning_band: float = 0.0,
    ci_low: float = math.nan,
    ci_high: float = math.nan,
) -> str:
    """Return the status of a KPI value against its target.

    With ``gap = value - target`` (``target - value`` when lower is better):
    "on track" when ``gap >= 0``; "at risk" when ``gap < 0`` and either ``-gap <=
    warning_band`` or the target lies inside ``[ci_low, ci_high]``; "off track" otherwise;
    "no data" when ``value`` is missing.

    Args:
        value: the KPI's current value.
        target: its target.
        higher_is_better: False for churn.
        warning_band: how far short still counts as at risk (metric units, >= 0).
        ci_low: lower end of the value's interval (NaN: not used).
        ci_high: upper end of the value's interval.

    Returns:
        "on track", "at risk", "off track" or "no data".

    Example:
        >>> classify(45, 50, warning_band=5)
        'at risk'
        >>> classify(2.0, 2.0, higher_is_better=False)
        'on track'
        >>> classify(44, 50, warning_band=5, ci_low=38, ci_high=51)
        'at risk'
    """
    if value is None or not math.isfinite(float(value)):
        return "no data"
    gap = (value - target) if higher_is_better else (target - value)
    if gap >= 0:
        return "on track"
    inside = math.isfinite(ci_low) and math.isfinite(ci_high) and ci_low <= target <= ci_high
    if -gap <= warning_band or inside:
        return "at risk"
    return "off track"


# --------------------------------------------------------------------------- filtering


class _FilteredWorkspace(CatalogView):
    """What :class:`~cxlens.metrics.namespace.Metrics` needs, with a KPI filter applied.

    Every table handed out is filtered in the engine: on its own column with ``isin``, or on
    a customer-level column by keeping the rows whose ``customer_id`` is among the matching
    customers (a semi-join).
    """

    def __init__(self, ws: Catalog, filter: dict[str, list[Any]]) -> None:
        super().__init__(ws)
        self._ws = ws
        self._filter = filter

    def table(self, name: str) -> ir.Table:
        """Return table ``name`` with the KPI's filter applied in the engine."""
        table = self._ws.table(name)
        for column, values in self._filter.items():
            table = self._apply(table, name, column, values)
        return table

    def _apply(self, table: ir.Table, name: str, column: str, values: list[Any]) -> ir.Table:
        if column in table.columns:
            return table.filter(table[column].isin(_typed(table[column], values)))
        other = customer_table_with(self._ws, column, besides=name)
        kept = (
            None
            if other is None
            else keep_customers_where(self._ws, table, name, column, _typed(other[column], values))
        )
        if kept is None:
            raise SchemaError(
                f"KPI filter column '{column}' is neither in {name} nor in a customer table "
                f"joined on customer_id; available columns of {name}: {', '.join(table.columns)}"
            )
        return kept


def _typed(column: ir.Value, values: list[Any]) -> list[Any]:
    """Compare text columns with text (a YAML ``region: 1`` still matches "1")."""
    if column.type().is_string():
        return [str(v) for v in values]
    return values


# --------------------------------------------------------------------------- the namespace


class Kpis:
    """The KPIs of a workspace: define, list, remove, load from YAML, and their status.

    Definitions are stored in the workspace's derived table ``_kpis`` (one row per KPI),
    so they persist with a DuckDB file.

    Args:
        ws: the workspace.

    Example:
        >>> import cxlens
        >>> kpis = Kpis(cxlens.Workspace(":memory:"))
        >>> _ = kpis.define("NPS", "nps", 30, warning_band=5)
        >>> kpis.list()[["name", "metric", "target", "direction"]].to_dict("records")
        [{'name': 'NPS', 'metric': 'nps', 'target': 30.0, 'direction': 'higher is better'}]
    """

    def __init__(self, ws: Catalog) -> None:
        self._ws = ws

    @property
    def workspace(self) -> Catalog:
        """The workspace these KPIs belong to."""
        return self._ws

    # -- storage

    def definitions(self) -> list[KpiDefinition]:
        """Return the stored definitions, in the order they were defined.

        Example:
            >>> Kpis(ws).definitions()[0].name  # doctest: +SKIP
            'NPS'
        """
        if not self._ws.has_table(KPI_TABLE):
            return []
        rows = self._ws.table(KPI_TABLE).execute()
        return [KpiDefinition.from_record(r) for r in rows.to_dict("records")]

    def _save(self, definitions: Sequence[KpiDefinition]) -> None:
        records = [d.record() for d in definitions]
        frame = pd.DataFrame(
            {
                "name": pd.Series([r["name"] for r in records], dtype="string"),
                "metric": pd.Series([r["metric"] for r in records], dtype="string"),
                "filter": pd.Series([r["filter"] for r in records], dtype="string"),
                "target": pd.Series([r["target"] for r in records], dtype="float64"),
                "warning_band": pd.Series([r["warning_band"] for r in records], dtype="float64"),
                "deadline": pd.Series([r["deadline"] for r in records], dtype="string"),
                "owner": pd.Series([r["owner"] for r in records], dtype="string"),
            }
        )
        self._ws.save_table(KPI_TABLE, frame)

    def _build(
        self,
        name: str,
        metric: str,
        target: Any,
        filter: Mapping[str, Any] | None,
        warning_band: Any,
        deadline: Any,
        owner: Any,
    ) -> KpiDefinition:
        if not isinstance(name, str) or not name.strip():
            raise ArgumentError(f"a KPI needs a non-empty name; got {name!r}")
        check_metric(metric)
        band = 0.0 if warning_band is None else _number(warning_band, "warning_band")
        if band < 0:
            raise ArgumentError(f"warning_band must be 0 or more; got {warning_band!r}")
        return KpiDefinition(
            name=name.strip(),
            metric=metric,
            target=_number(target, "target"),
            filter=validate_filter(self._ws, metric, filter),
            warning_band=band,
            deadline=_date(deadline),
            owner=None if owner is None else str(owner),
        )

    def define(
        self,
        name: str,
        metric: str,
        target: float,
        *,
        filter: Mapping[str, Any] | None = None,
        warning_band: float | None = None,
        deadline: str | dt.date | None = None,
        owner: str | None = None,
    ) -> KpiDefinition:
        """Define (or redefine) a KPI and store it in the workspace.

        Args:
            name: unique name; an existing KPI of that name is replaced.
            metric: nps, csat, ces, churn or engagement (higher is better, except churn).
            target: the value to reach, on the metric's scale.
            filter: column -> value or list of values, e.g. ``{"segment": "small_business"}``;
                columns of the metric's table or of the customer tables.
            warning_band: how far short of the target counts as "at risk" (default 0: only
                when the target lies inside the value's confidence interval).
            deadline: date by which the target should be met.
            owner: who answers for the KPI.

        Returns:
            The stored :class:`KpiDefinition`.

        Raises:
            SchemaError: a filter column does not exist (the message lists the columns).
            ArgumentError: unknown metric, empty name, non-numeric target, negative band, bad
                date or filter value.

        Example:
            >>> import cxlens
            >>> Kpis(cxlens.Workspace(":memory:")).define(
            ...     "SMB billing NPS", "nps", 20, filter={"segment": "small_business"}
            ... ).filter
            {'segment': ['small_business']}
        """
        kpi = self._build(name, metric, target, filter, warning_band, deadline, owner)
        kept = [d for d in self.definitions() if d.name != kpi.name]
        self._save([*kept, kpi])
        return kpi

    def remove(self, name: str) -> None:
        """Remove the KPI ``name``.

        Raises:
            ArgumentError: there is no KPI of that name (the message lists the KPIs).

        Example:
            >>> kpis.remove("SMB billing NPS")  # doctest: +SKIP
        """
        current = self.definitions()
        if name not in {d.name for d in current}:
            names = ", ".join(d.name for d in current) or "none"
            raise ArgumentError(f"no KPI named {name!r}; defined KPIs: {names}")
        self._save([d for d in current if d.name != name])

    def list(self) -> pd.DataFrame:
        """Return the KPI definitions.

        Returns:
            DataFrame with columns name, metric, filter (JSON text), target, direction
            ("higher is better" / "lower is better"), warning_band, deadline, owner.

        Example:
            >>> Kpis(ws).list().name.tolist()  # doctest: +SKIP
            ['SMB billing NPS']
        """
        rows = []
        for d in self.definitions():
            row = d.record()
            row["direction"] = _direction(d)
            rows.append(row)
        return pd.DataFrame(rows, columns=list(DEFINITION_COLUMNS))

    def load(self, path: str | Path) -> pd.DataFrame:
        """Define every KPI of a YAML file (a list of definitions, or ``{kpis: [...]}``).

        Each entry has ``name``, ``metric``, ``target`` and optionally ``filter``,
        ``warning_band``, ``deadline``, ``owner``. All entries are checked before any is
        stored; a KPI with an existing name is replaced.

        Args:
            path: the YAML file (e.g. ``kpis.yaml``).

        Returns:
            :meth:`list` after loading.

        Raises:
            ArgumentError: the file is not a list of definitions, or an entry is invalid.
            SchemaError: a filter column does not exist.

        Example:
            >>> Kpis(ws).load("kpis.yaml")  # doctest: +SKIP
        """
        entries = _read_yaml(Path(path))
        new = []
        for i, entry in enumerate(entries, start=1):
            unknown = set(entry) - _YAML_KEYS
            missing = {"name", "metric", "target"} - set(entry)
            if unknown or missing:
                problem = (
                    f"unknown keys {sorted(unknown)}" if unknown else f"missing {sorted(missing)}"
                )
                raise ArgumentError(
                    f"{path}: KPI #{i} has {problem}; keys are: {', '.join(sorted(_YAML_KEYS))}"
                )
            new.append(
                self._build(
                    entry["name"],
                    entry["metric"],
                    entry["target"],
                    entry.get("filter"),
                    entry.get("warning_band"),
                    entry.get("deadline"),
                    entry.get("owner"),
                )
            )
        names = [d.name for d in new]
        if len(set(names)) != len(names):
            raise ArgumentError(f"{path}: KPI names must be unique; got {names}")
        kept = [d for d in self.definitions() if d.name not in set(names)]
        self._save([*kept, *new])
        return self.list()

    # -- status

    def status(self, as_of: Any = None, every: str = "month") -> pd.DataFrame:
        """Return each KPI's value in its latest complete period, against the target.

        The current period is the last ``every`` period that ended on or before ``as_of``
        (default: today) and has data for the KPI; the previous period is the one just
        before it. Status rule: see :func:`classify`. Trend: the change from the previous
        period and its test, as the metric computes them (``significant`` at 95%);
        "improving"/"worsening" when significant, else "stable".

        Args:
            as_of: date of the evaluation (anything ``pd.Timestamp`` reads); None for today.
            every: period grain (day, week, month, quarter, year).

        Returns:
            DataFrame with columns name, metric, filter, period, value, ci_low, ci_high, n,
            small_sample, target, direction, warning_band, gap (positive: beating the
            target), status, previous_value, previous_status, change, p_value,
            significant, trend, deadline, owner (one row per KPI).

        Example:
            >>> Kpis(ws).status(as_of="2025-03-01")[["name", "value", "status"]]  # doctest: +SKIP
        """
        every = check_every(every, required=True) or "month"
        cutoff = pd.Timestamp.now().normalize() if as_of is None else pd.Timestamp(as_of)
        rows = [self._status_of(d, cutoff, every) for d in self.definitions()]
        return pd.DataFrame(rows, columns=list(STATUS_COLUMNS))

    def _status_of(self, kpi: KpiDefinition, cutoff: pd.Timestamp, every: str) -> dict[str, Any]:
        row: dict[str, Any] = {
            "name": kpi.name,
            "metric": kpi.metric,
            "filter": json.dumps(kpi.filter, sort_keys=True, default=str),
            "target": kpi.target,
            "direction": _direction(kpi),
            "warning_band": kpi.warning_band,
            "deadline": kpi.deadline,
            "owner": kpi.owner,
            "status": "no data",
        }
        table = _metric_table(self._ws, kpi, every)
        step = period_step(every)
        done = table[(table["n"] > 0) & (table["period"] + step <= cutoff)] if len(table) else table
        if done.empty:
            return row
        current = done.iloc[-1]
        before = done[done["period"] == current["period"] - step]
        previous = before.iloc[0] if len(before) else None
        row.update(
            {
                "period": pd.Timestamp(current["period"]),
                "value": float(current["value"]),
                "ci_low": float(current["ci_low"]),
                "ci_high": float(current["ci_high"]),
                "n": int(current["n"]),
                "small_sample": bool(current["small_sample"]),
                "gap": _gap(kpi, float(current["value"])),
                "status": _classify_row(kpi, current),
                "change": float(current["change"]),
                "p_value": float(current["p_value"]),
                "significant": bool(current["significant"]),
                "trend": _trend(kpi, current),
            }
        )
        if previous is not None:
            row["previous_value"] = float(previous["value"])
            row["previous_status"] = _classify_row(kpi, previous)
        return row

    def alerts(
        self,
        insight_threshold: float | None = 25.0,
        *,
        as_of: Any = None,
        every: str = "month",
        **insight_options: Any,
    ) -> pd.DataFrame:
        """Return the alerts of this workspace; see :func:`alerts`.

        Example:
            >>> Kpis(ws).alerts(insight_threshold=None)  # doctest: +SKIP
        """
        return alerts(self, insight_threshold, as_of=as_of, every=every, **insight_options)


def _direction(kpi: KpiDefinition) -> str:
    return "higher is better" if kpi.higher_is_better else "lower is better"


def _gap(kpi: KpiDefinition, value: float) -> float:
    return value - kpi.target if kpi.higher_is_better else kpi.target - value


def _classify_row(kpi: KpiDefinition, row: pd.Series) -> str:
    return classify(
        float(row["value"]),
        kpi.target,
        higher_is_better=kpi.higher_is_better,
        warning_band=kpi.warning_band,
        ci_low=float(row["ci_low"]),
        ci_high=float(row["ci_high"]),
    )


def _trend(kpi: KpiDefinition, row: pd.Series) -> str | None:
    change = float(row["change"])
    if not math.isfinite(change):
        return None
    if not bool(row["significant"]):
        return "stable"
    better = change > 0 if kpi.higher_is_better else change < 0
    return "improving" if better else "worsening"


def _metric_table(ws: Catalog, kpi: KpiDefinition, every: str) -> pd.DataFrame:
    """Compute the KPI's metric per period on the filtered tables (empty without data)."""
    metrics = Metrics(_FilteredWorkspace(ws, kpi.filter))
    try:
        if kpi.metric == "churn":
            return metrics.churn(every=every)
        return getattr(metrics, kpi.metric)(every=every)
    except NotEnoughDataError:
        return pd.DataFrame(columns=["period", "n"])


def _read_yaml(path: Path) -> list[dict[str, Any]]:
    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ArgumentError(f"cannot read KPI file {path}: {exc}") from exc
    except yaml.YAMLError as exc:
        raise ArgumentError(f"{path} is not valid YAML: {exc}") from exc
    if isinstance(doc, dict) and "kpis" in doc:
        doc = doc["kpis"]
    if doc is None:
        return []
    if not isinstance(doc, list) or not all(isinstance(e, dict) for e in doc):
        raise ArgumentError(
            f"{path} must hold a list of KPI definitions (each a mapping with name, metric, "
            "target, ...), or a mapping with such a list under 'kpis'"
        )
    return doc


# --------------------------------------------------------------------------- alerts


def _fmt(metric: str, x: float) -> str:
    digits = {"nps": 0, "ces": 2}.get(metric, 1)
    text = f"{x:,.{digits}f}".replace("-", "−")
    return text + ("%" if metric in ("csat", "churn", "engagement") else "")


def _kpi_message(row: pd.Series, every: str) -> str:
    metric = row["metric"]
    slice_ = json.loads(row["filter"])
    who = describe_group({k: "/".join(map(str, v)) for k, v in slice_.items()})
    when = period_label(row["period"], row["period"] + period_step(every), every)
    short = f"{abs(float(row['gap'])):,.{2 if metric == 'ces' else 1}f}"
    units = "" if metric == "ces" else " points"
    return (
        f"KPI '{row['name']}' ({_LABEL[metric]} of {who}) went from {row['previous_status']} "
        f"to {row['status']} in {when}: {_fmt(metric, row['value'])} (95% CI "
        f"{_fmt(metric, row['ci_low'])} to {_fmt(metric, row['ci_high'])}) against a target "
        f"of {_fmt(metric, row['target'])}, short by {short}{units} (warning band "
        f"{row['warning_band']:g})."
    )


def _kpi_alerts(kpis: Kpis, as_of: Any, every: str) -> list[dict[str, Any]]:
    order = {s: i for i, s in enumerate(STATUSES)}
    out = []
    for _, row in kpis.status(as_of=as_of, every=every).iterrows():
        now, before = row["status"], row["previous_status"]
        if now not in order or before not in order or order[now] <= order[before]:
            continue
        out.append(
            {
                "source": "kpi",
                "name": row["name"],
                "metric": row["metric"],
                "period_start": row["period"],
                "severity": "critical" if now == "off track" else "warning",
                "status": now,
                "score": np.nan,
                "message": _kpi_message(row, every),
            }
        )
    return out


def _insight_alerts(
    ws: Catalog, threshold: float, every: str, options: dict[str, Any]
) -> list[dict[str, Any]]:
    try:
        found = insights(ws, every=every, top=None, **options)
    except NotEnoughDataError:
        return []
    hits = found[found["lead"] & (found["score"] > threshold)]
    return [
        {
            "source": "insight",
            "name": f"{r.metric} {r.kind}: {r.dimension} = {r.group}",
            "metric": r.metric,
            "period_start": r.period_start,
            "severity": "warning" if r.direction == "worse" else "info",
            "status": r.direction,
            "score": float(r.score),
            "message": f"{r.sentence} (score {r.score:,.0f})",
        }
        for r in hits.itertuples()
    ]


def alerts(
    source: Catalog | Kpis,
    insight_threshold: float | None = 25.0,
    *,
    as_of: Any = None,
    every: str = "month",
    **insight_options: Any,
) -> pd.DataFrame:
    """Return what needs attention: KPIs that slipped, and insights above a score.

    * KPI alerts: a KPI whose status in the latest complete period is worse than in the
      period before (on track -> at risk or off track, at risk -> off track); severity
      "critical" when it is now off track, else "warning".
    * Insight alerts: lead findings of :func:`~cxlens.analysis.insights.insights` (over the
      latest data) whose score exceeds ``insight_threshold``; severity "warning" when the
      group got worse, "info" when better. ``None`` skips the scan.

    Args:
        source: a Catalog (its stored KPIs are used) or a :class:`Kpis`.
        insight_threshold: score above which an insight alerts (score = |effect size| ×
            customers affected; 50 is e.g. half a standard deviation for 100 customers).
        as_of: date of the KPI evaluation (default today).
        every: period grain of KPIs and insights.
        **insight_options: passed to ``insights`` (metrics, dimensions, recent, min_n, ...).

    Returns:
        DataFrame with columns source ("kpi"/"insight"), name, metric, period_start,
        severity, status, score, message; KPI alerts first.

    Example:
        >>> alerts(ws, insight_threshold=None, as_of="2025-03-01")  # doctest: +SKIP
    """
    kpis = source if isinstance(source, Kpis) else Kpis(source)
    if insight_threshold is not None:
        _number(insight_threshold, "insight_threshold")
    rows = _kpi_alerts(kpis, as_of, every)
    if insight_threshold is not None:
        rows += _insight_alerts(kpis.workspace, float(insight_threshold), every, insight_options)
    return pd.DataFrame(rows, columns=list(ALERT_COLUMNS))
