"""Customer survival: Kaplan-Meier curves by segment and a Cox proportional-hazards model.

A customer's lifetime runs from ``first_seen`` to ``churned_at`` (an event) or to the data end
(censored). Customers who joined before the data can see anybody leave (the first activity
date, or the first recorded churn if earlier) enter the risk set late: a customer who joined
in 2020 and shows up in data starting 2024 survived four years to be seen, so counting those
years as risk time would flatter survival. Both estimators take that delayed entry (left
truncation). The engine builds one row per customer; statsmodels fits
(``SurvfuncRight`` for Kaplan-Meier, ``PHReg`` for Cox, Efron ties).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import ibis
import numpy as np
import pandas as pd
from statsmodels.duration.hazard_regression import PHReg
from statsmodels.duration.survfunc import SurvfuncRight

from cxlens.analysis.features import as_microseconds, plan_features
from cxlens.errors import ArgumentError, NotEnoughDataError, SchemaError
from cxlens.metrics.churn import lifetimes_from_transactions
from cxlens.metrics.stats import check_confidence, z_value
from cxlens.models.churn import ChurnDefinition, DateLike, _stamp, data_range, resolve_definition
from cxlens.store.catalog import Catalog
from cxlens.store.query import run

if TYPE_CHECKING:
    import plotly.graph_objects as go

_DAY = 86_400.0
#: Survival reported in the summary at these ages, in days (6, 12 and 24 months).
MILESTONES = {"survival_6m": 365.25 / 2, "survival_12m": 365.25, "survival_24m": 730.5}
#: Columns of the Kaplan-Meier curve table after the group column.
CURVE_COLUMNS = ("time_days", "survival", "ci_low", "ci_high", "at_risk", "events")
#: Columns of the Cox table.
COX_COLUMNS = (
    "covariate",
    "term",
    "reference",
    "hazard_ratio",
    "ci_low",
    "ci_high",
    "coef",
    "se",
    "p_value",
)


def lifetimes(
    ws: Catalog,
    *,
    definition: ChurnDefinition | None = None,
    columns: Sequence[str] = (),
    observed_from: DateLike | None = None,
) -> pd.DataFrame:
    """Return one row per customer: duration, event, delayed entry and ``columns``.

    Contractual: from ``customers.first_seen`` to ``churned_at``, or to the data end when it
    is missing (censored). Non-contractual: from the first transaction to the last plus
    ``inactive_days`` when that is on or before the data end (the churn-rate metric's
    rule), else censored at the data end. ``columns`` come from the customer feature table
    as of the data end (segment attributes, survey and behaviour features).

    Args:
        ws: the Workspace.
        definition: the churn definition (default: as :func:`cxlens.models.churn.churn`).
        columns: extra per-customer columns (e.g. ``["segment", "mean_nps"]``).
        observed_from: the first date the data could record a churn (default: the earlier of
            the first activity date and the first ``churned_at``); customers who joined
            earlier enter the risk set at that date.

    Returns:
        DataFrame with ``customer_id``, ``first_seen``, ``duration_days``, ``event``
        (bool), ``entry_days`` (0 unless the customer joined before ``observed_from``),
        then ``columns``. A censored row ends at the data end (``first_seen`` plus
        ``duration_days``); the definition used is ``resolve_definition(ws, definition)``.

    Example:
        >>> life = lifetimes(ws, columns=["segment"])  # doctest: +SKIP
    """
    definition = resolve_definition(ws, definition)
    start, end = data_range(ws)
    end_lit = ibis.literal(end, type="timestamp")
    if definition.kind == "contractual":
        c = ws.table("customers")
        base = c.filter(c["customer_id"].notnull(), c["first_seen"].notnull()).select(
            "customer_id",
            first_seen=c["first_seen"].cast("timestamp"),
            churned_at=c["churned_at"].cast("timestamp"),
        )
        if observed_from is None:
            first_churn = run(base.aggregate(m=base["churned_at"].min()), "the first churn")
            got = first_churn["m"].iloc[0]
            observed = min(start, _stamp(got, "churned_at")) if not pd.isna(got) else start
        else:
            observed = _stamp(observed_from, "observed_from")
    else:
        life = lifetimes_from_transactions(
            ws.table("transactions"), inactivity_days=int(definition.inactive_days), data_end=end
        )
        base = life.select("customer_id", "first_seen", "churned_at")
        observed = start if observed_from is None else _stamp(observed_from, "observed_from")
    obs_lit = ibis.literal(observed, type="timestamp")
    stop = base["churned_at"].fill_null(end_lit)
    table = base.select(
        "customer_id",
        "first_seen",
        duration_days=(stop.epoch_seconds() - base["first_seen"].epoch_seconds()).cast("float64")
        / _DAY,
        event=base["churned_at"].notnull(),
        entry_days=ibis.greatest(
            (obs_lit.epoch_seconds() - base["first_seen"].epoch_seconds()).cast("float64"), 0.0
        )
        / _DAY,
    )
    cols = list(dict.fromkeys(columns))
    if cols:
        feats = plan_features(ws, as_of=end).expr
        unknown = [c for c in cols if c not in feats.columns]
        if unknown:
            raise SchemaError(
                f"unknown column(s) {', '.join(unknown)}; use customer attributes or feature "
                f"columns: {', '.join(feats.columns)}"
            )
        clash = [c for c in cols if c in table.columns]
        if clash:
            raise SchemaError(f"column(s) {', '.join(clash)} clash with the lifetime columns")
        table = table.left_join(feats.select("customer_id", *cols), "customer_id").drop(
            "customer_id_right"
        )
    frame = as_microseconds(run(table.order_by("customer_id"), "the customer lifetimes"))
    frame["event"] = frame["event"].astype(bool)
    return frame


def _loglog_ci(s: np.ndarray, se: np.ndarray, z: float) -> tuple[np.ndarray, np.ndarray]:
    """Pointwise interval of S(t) on the log(-log) scale (stays inside [0, 1])."""
    with np.errstate(divide="ignore", invalid="ignore"):
        log_s = np.log(s)
        theta = np.log(-log_s)
        half = z * se / np.abs(s * log_s)
        low = np.exp(-np.exp(theta + half))
        high = np.exp(-np.exp(theta - half))
    inside = (s > 0) & (s < 1) & np.isfinite(half)
    low = np.where(inside, low, s)
    high = np.where(inside, high, s)
    return low, high


def _at(times: np.ndarray, surv: np.ndarray, t: float, last: float) -> float:
    if t > last:
        return float("nan")
    i = np.searchsorted(times, t, side="right")
    return 1.0 if i == 0 else float(surv[i - 1])


def _one_curve(
    time: np.ndarray, status: np.ndarray, entry: np.ndarray | None, z: float
) -> tuple[pd.DataFrame, dict[str, float]]:
    sf = SurvfuncRight(time, status, entry=entry)
    s = np.asarray(sf.surv_prob, dtype=float)
    low, high = _loglog_ci(s, np.asarray(sf.surv_prob_se, dtype=float), z)
    curve = pd.DataFrame(
        {
            "time_days": np.asarray(sf.surv_times, dtype=float),
            "survival": s,
            "ci_low": low,
            "ci_high": high,
            "at_risk": np.asarray(sf.n_risk, dtype="int64"),
            "events": np.asarray(sf.n_events, dtype="int64"),
        }
    )
    last = float(np.max(time))
    times = curve["time_days"].to_numpy()
    below = np.flatnonzero(s <= 0.5)
    summary: dict[str, float] = {
        "customers": len(time),
        "churned": int(status.sum()),
        "median_days": float(times[below[0]]) if len(below) else float("nan"),
    }
    for name, t in MILESTONES.items():
        summary[name] = _at(times, s, t, last)
    return curve, summary


def kaplan_meier(
    frame: pd.DataFrame,
    *,
    duration: str = "duration_days",
    event: str = "event",
    by: str | None = None,
    entry: str | None = "entry_days",
    confidence: float = 0.95,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Kaplan-Meier survival per group of a per-customer table.

    Args:
        frame: one row per customer.
        duration: column of durations (days, >= 0).
        event: column that is true where the customer churned (else censored).
        by: grouping column (None: everybody as group "all"); missing values form "(missing)".
        entry: column of delayed-entry times (None or absent: everybody at risk from 0).
        confidence: level of the pointwise log-log intervals.

    Returns:
        ``(curves, summary)``. ``curves``: ``group``, ``time_days`` (each distinct churn
        time), ``survival``, ``ci_low``, ``ci_high``, ``at_risk``, ``events``. ``summary``:
        ``group``, ``customers``, ``churned``, ``median_days`` (first time survival falls
        to 0.5 or below; NaN if it never does), ``survival_6m``, ``survival_12m``,
        ``survival_24m`` (NaN past the group's longest observed duration).

    Raises:
        SchemaError: a named column is missing.
        NotEnoughDataError: a group has no churn at all.

    Example:
        >>> f = pd.DataFrame({"duration_days": [1, 2, 2, 3], "event": [1, 1, 0, 1]})
        >>> curves, summary = kaplan_meier(f, entry=None)
        >>> curves["survival"].round(3).tolist()
        [0.75, 0.5, 0.0]
    """
    check_confidence(confidence)
    z = z_value(confidence)
    for col in (duration, event, *([by] if by else [])):
        if col not in frame.columns:
            raise SchemaError(f"kaplan_meier needs column '{col}'; got {', '.join(frame.columns)}")
    groups = (
        pd.Series("all", index=frame.index)
        if by is None
        else frame[by].astype("string").fillna("(missing)")
    )
    time = pd.to_numeric(frame[duration], errors="coerce").to_numpy(dtype=float)
    if not np.all(np.isfinite(time)) or (time < 0).any():
        raise ArgumentError(f"{duration} must hold finite durations >= 0")
    status = frame[event].astype(bool).to_numpy().astype(int)
    enter = None
    if entry is not None and entry in frame.columns:
        enter = frame[entry].to_numpy(dtype=float)
    curves, rows = [], []
    for name in sorted(groups.unique()):
        mask = (groups == name).to_numpy()
        if status[mask].sum() == 0:
            raise NotEnoughDataError(
                f"group {name!r} has {int(mask.sum())} customers and no churn; Kaplan-Meier "
                "needs at least one churn per group (merge small groups first)"
            )
        part_entry = None if enter is None else enter[mask]
        if part_entry is not None and not (part_entry > 0).any():
            part_entry = None
        curve, summary = _one_curve(time[mask], status[mask], part_entry, z)
        curves.append(curve.assign(group=name))
        rows.append({"group": name, **summary})
    out = pd.concat(curves, ignore_index=True)[["group", *CURVE_COLUMNS]]
    return out, pd.DataFrame(rows)


@dataclass
class SurvivalCurves:
    """Kaplan-Meier curves by group: ``curves`` and ``summary`` of :func:`kaplan_meier`."""

    curves: pd.DataFrame
    summary: pd.DataFrame
    by: str | None

    def figure(self, **kwargs: Any) -> go.Figure:
        """Return the survival chart (:func:`cxlens.models.charts_churn.survival_figure`)."""
        from cxlens.models.charts_churn import survival_figure

        return survival_figure(self.curves, **kwargs)


def survival_curves(
    ws: Catalog,
    by: str | None = "segment",
    *,
    definition: ChurnDefinition | None = None,
    observed_from: DateLike | None = None,
    confidence: float = 0.95,
) -> SurvivalCurves:
    """Kaplan-Meier customer survival by ``by`` (a customer attribute or feature column).

    Durations and delayed entry as in :func:`lifetimes`; curves as in :func:`kaplan_meier`.

    Returns:
        SurvivalCurves with ``curves`` (group, time_days, survival, ci_low, ci_high,
        at_risk, events), ``summary`` (group, customers, churned, median_days,
        survival_6m, survival_12m, survival_24m) and ``figure()``.

    Example:
        >>> km = survival_curves(ws, by="segment")  # doctest: +SKIP
        >>> km.summary  # doctest: +SKIP
    """
    frame = lifetimes(
        ws, definition=definition, columns=[by] if by else [], observed_from=observed_from
    )
    curves, summary = kaplan_meier(frame, by=by, confidence=confidence)
    return SurvivalCurves(curves, summary, by)


def fit_cox(
    frame: pd.DataFrame,
    covariates: Sequence[str],
    *,
    duration: str = "duration_days",
    event: str = "event",
    entry: str | None = "entry_days",
    confidence: float = 0.95,
) -> pd.DataFrame:
    """Fit a Cox proportional-hazards model and return hazard ratios.

    Numeric covariates enter as they are (hazard ratio per unit); text ones as indicators
    against their most common level (the ``reference``). Rows with a missing covariate are
    dropped. Ties are handled by Efron's method.

    Args:
        frame: one row per customer.
        covariates: columns of ``frame``.
        duration: column of durations (days).
        event: column that is true where the customer churned.
        entry: column of delayed-entry times (None or absent: none).
        confidence: level of the hazard-ratio intervals.

    Returns:
        DataFrame with ``covariate``, ``term`` (the level for text covariates, else the
        covariate), ``reference``, ``hazard_ratio``, ``ci_low``, ``ci_high``, ``coef``,
        ``se``, ``p_value`` (Wald), then the model's ``n`` (customers used), ``events``
        (churned among them) and ``dropped`` (rows left out for a missing covariate), the same
        on every row.

    Raises:
        SchemaError: a named column is missing.
        NotEnoughDataError: fewer than 10 churn events in the rows used.

    Example:
        >>> hr = fit_cox(life, ["segment", "mean_nps"])  # doctest: +SKIP
    """
    check_confidence(confidence)
    cols = list(dict.fromkeys(covariates))
    if not cols:
        raise ArgumentError("fit_cox needs at least one covariate")
    for col in (duration, event, *cols):
        if col not in frame.columns:
            raise SchemaError(f"fit_cox needs column '{col}'; got {', '.join(frame.columns)}")
    data = frame.dropna(subset=cols)
    dropped = len(frame) - len(data)
    parts, meta = [], []
    for col in cols:
        s = data[col]
        if pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s):
            parts.append(s.astype(float).rename(col))
            meta.append((col, col, None))
            continue
        text = s.astype(str)
        counts = text.value_counts()
        ref = str(sorted(counts[counts == counts.max()].index)[0])
        for level in sorted(counts.index):
            if level == ref:
                continue
            parts.append((text == level).astype(float).rename(f"{col}={level}"))
            meta.append((col, level, ref))
    design = pd.concat(parts, axis=1)
    status = data[event].astype(bool).to_numpy().astype(int)
    if status.sum() < 10:
        raise NotEnoughDataError(
            f"a Cox model needs at least 10 churn events; the {len(data)} customers with every "
            f"covariate have {int(status.sum())}"
        )
    enter = None
    if entry is not None and entry in data.columns and (data[entry] > 0).any():
        enter = data[entry].to_numpy(dtype=float)
    model = PHReg(
        data[duration].to_numpy(dtype=float), design.to_numpy(), status=status, entry=enter,
        ties="efron",
    )  # fmt: skip
    result = model.fit()
    coef = np.asarray(result.params, dtype=float)
    se = np.asarray(result.bse, dtype=float)
    z = z_value(confidence)
    out = pd.DataFrame(
        {
            "covariate": [m[0] for m in meta],
            "term": [m[1] for m in meta],
            "reference": [m[2] for m in meta],
            "hazard_ratio": np.exp(coef),
            "ci_low": np.exp(coef - z * se),
            "ci_high": np.exp(coef + z * se),
            "coef": coef,
            "se": se,
            "p_value": np.asarray(result.pvalues, dtype=float),
        }
    )
    return out.assign(n=len(data), events=int(status.sum()), dropped=int(dropped))


def cox(
    ws: Catalog,
    covariates: Sequence[str] = ("segment",),
    *,
    definition: ChurnDefinition | None = None,
    observed_from: DateLike | None = None,
    confidence: float = 0.95,
) -> pd.DataFrame:
    """Cox proportional-hazards model of customer lifetimes on ``covariates``.

    Covariates are customer attributes or customer feature columns as of the data end
    (e.g. ``mean_nps``). Scores summarised over a customer's whole observed life describe
    who left; they are not a forecast (use :func:`cxlens.models.churn_analysis.churn` for
    that).

    Returns:
        The table of :func:`fit_cox`.

    Example:
        >>> cox(ws, ["segment", "mean_nps"])  # doctest: +SKIP
    """
    frame = lifetimes(
        ws, definition=definition, columns=list(covariates), observed_from=observed_from
    )
    return fit_cox(frame, list(covariates), confidence=confidence)
