"""Churn definitions, labels and the time split the churn model trains and is judged on.

A snapshot at a cut-off ``c`` is the per-customer feature table as of ``c``
(:func:`cxlens.analysis.features.plan_features`) for the customers active at ``c``, with the
label "churned in ``(c, c + horizon]``". Features read rows dated at or before ``c``; labels
read rows dated at or before ``c + horizon`` and nothing later. The split puts the training
snapshots, then a calibration snapshot, then the evaluation snapshot one horizon apart, so
no label window of the data the model learns from reaches into the evaluation window.
Everything per row runs in the engine; one row per customer comes back.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Literal

import ibis
import ibis.expr.types as ir
import numpy as np
import pandas as pd

from cxlens.analysis.features import as_microseconds, plan_features
from cxlens.errors import ArgumentError, NotEnoughDataError, SchemaError
from cxlens.metrics.churn import lifetimes_from_transactions
from cxlens.store.catalog import Catalog
from cxlens.store.query import require_columns, run

DateLike = str | date | datetime | pd.Timestamp

#: Name of the label column of a snapshot.
LABEL = "churned_in_window"
#: Fewest churners the training labels must hold.
MIN_TRAIN_CHURNERS = 20
#: Fewest churners the calibration and evaluation snapshots must hold each.
MIN_HOLDOUT_CHURNERS = 10
#: Tables whose dates bound the data (first activity and last date).
_ACTIVITY = {"transactions": "occurred_at", "responses": "responded_at", "events": "occurred_at"}


@dataclass(frozen=True)
class ChurnDefinition:
    """What counts as churn.

    Attributes:
        kind: ``"contractual"``: a customer churns at ``customers.churned_at`` (cancellation
            or non-renewal, as the CRM records it); ``"non_contractual"``: a customer churns
            when ``inactive_days`` pass without a transaction, at the last transaction plus
            ``inactive_days`` (the rule of
            :func:`cxlens.metrics.churn.lifetimes_from_transactions`; the churn-rate metric
            instead counts every lapse in the period it began, once it is known).
        inactive_days: the inactivity threshold of the non-contractual definition.

    Example:
        >>> ChurnDefinition("non_contractual", inactive_days=60).describe()[:40]
        'Non-contractual churn: a customer is los'
    """

    kind: Literal["contractual", "non_contractual"] = "contractual"
    inactive_days: int = 90

    def __post_init__(self) -> None:
        if self.kind not in ("contractual", "non_contractual"):
            raise ArgumentError(
                f"unknown churn kind {self.kind!r}; use 'contractual' (churned_at in "
                "customers) or 'non_contractual' (inactivity)"
            )
        days = self.inactive_days
        if isinstance(days, bool) or not isinstance(days, int | np.integer) or days <= 0:
            raise ArgumentError(f"inactive_days must be a positive integer; got {days!r}")

    def describe(self) -> str:
        """Return the definition in plain words, for reports.

        Example:
            >>> ChurnDefinition().describe().startswith("Contractual churn")
            True
        """
        if self.kind == "contractual":
            return (
                "Contractual churn: a customer is lost on the date the CRM records a "
                "cancellation or non-renewal (customers.churned_at); customers without that "
                "date are active."
            )
        return (
            f"Non-contractual churn: a customer is lost once {self.inactive_days} days pass "
            f"without a transaction, dated {self.inactive_days} days after their last "
            "transaction; a customer whose last transaction is more recent is active."
        )


def resolve_definition(ws: Catalog, definition: ChurnDefinition | None) -> ChurnDefinition:
    """Return ``definition``, or the one the data supports when it is None.

    Contractual when the workspace has a customers table with a ``churned_at`` column holding
    at least one date; otherwise non-contractual with 90 days of inactivity.

    Raises:
        SchemaError: the definition needs a table or column the workspace lacks.

    Example:
        >>> resolve_definition(ws, None).kind  # doctest: +SKIP
        'contractual'
    """
    if definition is None:
        if ws.has_table("customers") and "churned_at" in ws.table("customers").columns:
            c = ws.table("customers")
            got = run(c.aggregate(n=c["churned_at"].count()), "the churn dates")
            if int(got["n"].iloc[0]) > 0:
                return ChurnDefinition("contractual")
        definition = ChurnDefinition("non_contractual")
    if definition.kind == "contractual":
        if not ws.has_table("customers"):
            raise SchemaError(
                "contractual churn needs a customers table with first_seen and churned_at; "
                "ingest customers, or use ChurnDefinition('non_contractual')"
            )
        require_columns(ws.table("customers"), "customers", "customer_id", "first_seen")
        require_columns(ws.table("customers"), "customers", "churned_at")
    elif not ws.has_table("transactions"):
        raise SchemaError(
            "non-contractual churn is read from transactions; ingest transactions, or use "
            "ChurnDefinition('contractual') with customers.churned_at"
        )
    return definition


def _stamp(value: DateLike, name: str) -> pd.Timestamp:
    try:
        stamp = pd.Timestamp(value)
    except (TypeError, ValueError) as exc:
        raise ArgumentError(f"{name}={value!r} is not a date or timestamp") from exc
    if pd.isna(stamp):
        raise ArgumentError(f"{name} is NaT; pass a date such as '2025-06-30'")
    return stamp.tz_convert("UTC").tz_localize(None) if stamp.tzinfo else stamp


def check_horizon(horizon_days: int) -> int:
    """Return ``horizon_days`` after checking it is a positive whole number of days."""
    if (
        isinstance(horizon_days, bool)
        or not isinstance(horizon_days, int | np.integer)
        or horizon_days <= 0
    ):
        raise ArgumentError(f"horizon_days must be a positive integer; got {horizon_days!r}")
    return int(horizon_days)


def data_range(ws: Catalog) -> tuple[pd.Timestamp, pd.Timestamp]:
    """Return the first and last date of the data (one small engine query).

    The first date is the earliest dated transaction, response or event (before it the data
    cannot see anybody leave); the last is the latest date of any of them or of
    ``customers.first_seen`` / ``churned_at``.

    Raises:
        NotEnoughDataError: no table holds a date.

    Example:
        >>> first, last = data_range(ws)  # doctest: +SKIP
    """
    parts = []
    for name, col in {**_ACTIVITY, "customers": "first_seen"}.items():
        if ws.has_table(name) and col in ws.table(name).columns:
            t = ws.table(name)
            when = t[col].cast("timestamp")
            first = when.min() if name in _ACTIVITY else ibis.null("timestamp")
            parts.append(t.aggregate(first=first, last=when.max()))
            if name == "customers" and "churned_at" in t.columns:
                end = t["churned_at"].cast("timestamp")
                parts.append(t.aggregate(first=ibis.null("timestamp"), last=end.max()))
    if not parts:
        raise NotEnoughDataError(
            "churn needs dated rows: the workspace has no transactions, responses, events or "
            "customers; ingest them first"
        )
    expr = ibis.union(*parts).aggregate(
        first=lambda t: t["first"].min(), last=lambda t: t["last"].max()
    )
    got = run(expr, "the data range")
    first, last = got["first"].iloc[0], got["last"].iloc[0]
    if pd.isna(last):
        raise NotEnoughDataError("churn needs dated rows: every date column is empty")
    if pd.isna(first):
        raise NotEnoughDataError(
            "churn needs activity dates (transactions, responses or events) to tell when the "
            "data starts; ingest at least one of them"
        )
    return _stamp(first, "first"), _stamp(last, "last")


@dataclass(frozen=True)
class ChurnSplit:
    """The cut-offs of one churn model run, each ``horizon_days`` apart, oldest first.

    Attributes:
        train_cutoffs: snapshots the model learns from; the last label window ends at
            ``calibration_cutoff``.
        calibration_cutoff: the snapshot the probabilities are calibrated on; its label
            window ends at ``evaluation_cutoff``.
        evaluation_cutoff: the held-out snapshot the metrics are computed on; its label
            window ends at or before ``data_end``.
        horizon_days: length of every label window.
        data_start: first activity date in the data.
        data_end: last date in the data (the as-of date of the scores).
    """

    train_cutoffs: tuple[pd.Timestamp, ...]
    calibration_cutoff: pd.Timestamp
    evaluation_cutoff: pd.Timestamp
    horizon_days: int
    data_start: pd.Timestamp
    data_end: pd.Timestamp

    @property
    def horizon(self) -> pd.Timedelta:
        """The label window as a Timedelta."""
        return pd.Timedelta(days=self.horizon_days)

    def describe(self) -> str:
        """Return the split in plain words.

        Example:
            >>> split.describe()  # doctest: +SKIP
        """
        fmt = "%Y-%m-%d"
        train = ", ".join(f"{c:{fmt}}" for c in self.train_cutoffs)
        return (
            f"trained on snapshots at {train}, calibrated at {self.calibration_cutoff:{fmt}}, "
            f"evaluated at {self.evaluation_cutoff:{fmt}} (churn within {self.horizon_days} "
            f"days; data {self.data_start:{fmt}} to {self.data_end:{fmt}})"
        )


def plan_split(
    ws: Catalog,
    *,
    definition: ChurnDefinition,
    horizon_days: int = 90,
    cutoff: DateLike | None = None,
    train_snapshots: int = 3,
) -> ChurnSplit:
    """Place the training, calibration and evaluation cut-offs.

    The evaluation cut-off is ``cutoff`` (default: the data end minus the horizon, at
    midnight); the calibration cut-off is one horizon earlier and the training cut-offs one
    horizon apart before it, as many as ``train_snapshots`` that leave at least the history
    the definition needs after the data start (the inactivity threshold for
    non-contractual churn, else one horizon).

    Args:
        ws: the Workspace.
        definition: the churn definition.
        horizon_days: length of the label window in days.
        cutoff: the evaluation cut-off (default: data end minus the horizon).
        train_snapshots: most training snapshots.

    Returns:
        ChurnSplit.

    Raises:
        ArgumentError: the cut-off lies outside the data, or its label window ends after
            the data end, or a bad horizon / snapshot count.
        NotEnoughDataError: the data is too short for a training snapshot before it.

    Example:
        >>> plan_split(ws, definition=ChurnDefinition()).describe()  # doctest: +SKIP
    """
    horizon = pd.Timedelta(days=check_horizon(horizon_days))
    if isinstance(train_snapshots, bool) or not isinstance(train_snapshots, int | np.integer):
        raise ArgumentError(f"train_snapshots must be a positive integer; got {train_snapshots!r}")
    if train_snapshots < 1:
        raise ArgumentError(f"train_snapshots must be a positive integer; got {train_snapshots}")
    start, end = data_range(ws)
    span = f"the data runs from {start:%Y-%m-%d} to {end:%Y-%m-%d}"
    if cutoff is None:
        evaluation = (end - horizon).normalize()
    else:
        evaluation = _stamp(cutoff, "cutoff")
        if evaluation <= start or evaluation > end:
            raise ArgumentError(
                f"cutoff {evaluation:%Y-%m-%d} is outside the data: {span}; pick a cut-off "
                f"inside it, at least one horizon before the end ({end - horizon:%Y-%m-%d})"
            )
        if evaluation + horizon > end:
            raise ArgumentError(
                f"the label window of cutoff {evaluation:%Y-%m-%d} ends on "
                f"{evaluation + horizon:%Y-%m-%d}, after the data end {end:%Y-%m-%d}: the "
                f"outcome is not known yet; use a cut-off on or before "
                f"{end - horizon:%Y-%m-%d} or a shorter horizon"
            )
    history = pd.Timedelta(
        days=definition.inactive_days if definition.kind == "non_contractual" else horizon_days
    )
    calibration = evaluation - horizon
    train = [calibration - k * horizon for k in range(train_snapshots, 0, -1)]
    train = [c for c in train if c >= start + history]
    if not train:
        raise NotEnoughDataError(
            f"no room for a training snapshot: {span}; with a {horizon_days}-day horizon the "
            f"evaluation cut-off {evaluation:%Y-%m-%d} needs a calibration snapshot at "
            f"{calibration:%Y-%m-%d} and a training one at {calibration - horizon:%Y-%m-%d} "
            f"with {history.days} days of history before it; use a shorter horizon or a "
            "later cutoff, or load a longer history"
        )
    return ChurnSplit(tuple(train), calibration, evaluation, int(horizon_days), start, end)


def _transactions_until(ws: Catalog, moment: pd.Timestamp) -> ir.Table:
    t = ws.table("transactions")
    require_columns(t, "transactions", "customer_id", "occurred_at")
    return t.filter(t["occurred_at"] <= ibis.literal(moment, type="timestamp"))


def _lapsed(ws: Catalog, definition: ChurnDefinition, moment: pd.Timestamp) -> ir.Table:
    """Return customers (id, churned_at) as known at ``moment``, from rows up to it."""
    if definition.kind == "contractual":
        c = ws.table("customers")
        cut = ibis.literal(moment, type="timestamp")
        when = c["churned_at"].cast("timestamp")
        # A churn date after ``moment`` is not known at ``moment``.
        return c.select(
            "customer_id", churned_at=(when <= cut).ifelse(when, ibis.null("timestamp"))
        )
    rows = _transactions_until(ws, moment)
    return lifetimes_from_transactions(
        rows, inactivity_days=int(definition.inactive_days), data_end=moment
    ).select("customer_id", "churned_at")


def plan_snapshot(
    ws: Catalog,
    cutoff: DateLike,
    *,
    definition: ChurnDefinition,
    horizon_days: int | None = None,
    sentiment: bool = False,
) -> ir.Table:
    """Plan one snapshot as a lazy Ibis expression (see :func:`snapshot`)."""
    c = _stamp(cutoff, "cutoff")
    plan = plan_features(ws, as_of=c, sentiment=sentiment)
    features = plan.expr
    at_c = _lapsed(ws, definition, c)
    active = at_c.filter(at_c["churned_at"].isnull()).select("customer_id")
    if definition.kind == "contractual":
        # features already hold customers with first_seen <= c; churned_at <= c means gone
        rows = features.filter(~features["churned"])
    else:
        rows = features.semi_join(active, "customer_id")
    rows = rows.mutate(cutoff=ibis.literal(c, type="timestamp"))
    if horizon_days is None:
        return rows
    end = c + pd.Timedelta(days=check_horizon(horizon_days))
    later = _lapsed(ws, definition, end)
    window = later["churned_at"] > ibis.literal(c, type="timestamp")
    lost = later.filter(later["churned_at"].notnull() & window).select(
        "customer_id", _lost=ibis.literal(True)
    )
    joined = rows.left_join(lost, "customer_id").drop("customer_id_right")
    return joined.mutate(**{LABEL: joined["_lost"].fill_null(False)}).drop("_lost")


def snapshot(
    ws: Catalog,
    cutoff: DateLike,
    *,
    definition: ChurnDefinition | None = None,
    horizon_days: int | None = None,
    sentiment: bool = False,
) -> pd.DataFrame:
    """Return the customers active at ``cutoff`` with their features and, optionally, labels.

    Features are :func:`cxlens.analysis.features.customer_features` as of ``cutoff`` (rows
    dated after it are ignored). Active means: contractual, ``first_seen <= cutoff`` and no
    ``churned_at`` at or before it; non-contractual, a transaction at or before ``cutoff``
    and the last one less than ``inactive_days`` before it. With ``horizon_days`` the label
    ``churned_in_window`` is true when the customer churns in ``(cutoff, cutoff + horizon]``
    as the data stands at the window's end (non-contractual: no transaction in the
    ``inactive_days`` up to the window's end, so a customer who lapses and comes back inside
    the window is not churned, as in the churn-rate metric).

    Args:
        ws: the Workspace.
        cutoff: the snapshot date.
        definition: the churn definition (default: :func:`resolve_definition`).
        horizon_days: label window in days; None for a scoring snapshot without labels.
        sentiment: fill ``mean_sentiment`` from the saved comment scores.

    Returns:
        DataFrame sorted by customer_id: the columns of ``customer_features`` but
        ``as_of``, then ``cutoff`` (the as-of date) and, with a horizon,
        ``churned_in_window`` (bool).

    Example:
        >>> snap = snapshot(ws, "2025-06-30", horizon_days=90)  # doctest: +SKIP
        >>> snap["churned_in_window"].mean()  # doctest: +SKIP
    """
    definition = resolve_definition(ws, definition)
    expr = plan_snapshot(
        ws, cutoff, definition=definition, horizon_days=horizon_days, sentiment=sentiment
    )
    return as_microseconds(run(expr.order_by("customer_id"), "the churn snapshot"))


@dataclass
class ChurnData:
    """The snapshots of one run: training (stacked), calibration, evaluation and scoring.

    Attributes:
        split: the cut-offs.
        definition: the churn definition.
        train: the training snapshots stacked (a customer appears once per cut-off).
        calibration: the calibration snapshot.
        evaluation: the held-out evaluation snapshot.
        score: customers active at the data end, without labels.
    """

    split: ChurnSplit
    definition: ChurnDefinition
    train: pd.DataFrame
    calibration: pd.DataFrame
    evaluation: pd.DataFrame
    score: pd.DataFrame

    def counts(self) -> dict[str, int]:
        """Return rows and churners per part (``n_train``, ``churners_train``, ...)."""
        out: dict[str, int] = {}
        for name in ("train", "calibration", "evaluation"):
            frame = getattr(self, name)
            out[f"n_{name}"] = len(frame)
            out[f"churners_{name}"] = int(frame[LABEL].sum())
        out["n_score"] = len(self.score)
        return out


def _check_churners(frame: pd.DataFrame, part: str, least: int, split: ChurnSplit) -> None:
    churners = int(frame[LABEL].sum())
    stayers = len(frame) - churners
    if churners >= least and stayers >= least:
        return
    raise NotEnoughDataError(
        f"too few churners to {part}: {churners} churned and {stayers} stayed among "
        f"{len(frame)} customers ({split.describe()}); at least {least} of each are needed. "
        "Use a longer horizon_days, an earlier cutoff, more train_snapshots, or more customers"
    )


def build_churn_data(
    ws: Catalog,
    *,
    definition: ChurnDefinition | None = None,
    horizon_days: int = 90,
    cutoff: DateLike | None = None,
    train_snapshots: int = 3,
    sentiment: bool = False,
) -> ChurnData:
    """Build every snapshot of one churn model run (one engine query per snapshot).

    Args:
        ws: the Workspace.
        definition: the churn definition (default: :func:`resolve_definition`).
        horizon_days: label window in days.
        cutoff: evaluation cut-off (default: the data end minus the horizon).
        train_snapshots: most training snapshots.
        sentiment: use the saved comment sentiment as a feature (``ws.text.sentiment()``
            first); off by default so a model is the same before and after scoring.

    Returns:
        ChurnData.

    Raises:
        ArgumentError: cut-off outside the data or label window past its end.
        NotEnoughDataError: fewer than 20 churners (or stayers) in the training labels,
            fewer than 10 in the calibration or evaluation snapshot, or no room for a
            training snapshot.

    Example:
        >>> data = build_churn_data(ws, horizon_days=90)  # doctest: +SKIP
        >>> data.counts()["churners_train"]  # doctest: +SKIP
    """
    definition = resolve_definition(ws, definition)
    split = plan_split(
        ws,
        definition=definition,
        horizon_days=horizon_days,
        cutoff=cutoff,
        train_snapshots=train_snapshots,
    )

    def labelled(c: pd.Timestamp) -> pd.DataFrame:
        return snapshot(
            ws, c, definition=definition, horizon_days=split.horizon_days, sentiment=sentiment
        )

    train = pd.concat([labelled(c) for c in split.train_cutoffs], ignore_index=True)
    _check_churners(train, "train on", MIN_TRAIN_CHURNERS, split)
    calibration = labelled(split.calibration_cutoff)
    _check_churners(calibration, "calibrate on", MIN_HOLDOUT_CHURNERS, split)
    evaluation = labelled(split.evaluation_cutoff)
    _check_churners(evaluation, "evaluate on", MIN_HOLDOUT_CHURNERS, split)
    score = snapshot(ws, split.data_end, definition=definition, sentiment=sentiment)
    return ChurnData(split, definition, train, calibration, evaluation, score)
