"""Churn risk for a Workspace: train with a time split, evaluate held out, score, explain, rank.

:func:`churn` builds the snapshots in the engine (:mod:`cxlens.models.churn`), fits a
:class:`~cxlens.models.churn_model.ChurnModel` on the training snapshots, calibrates it on
the next snapshot, reports its metrics on the last labelled one, and scores the customers
active at the data end with that same model, each with their top three reasons.
:func:`value_at_risk` turns the scores and a CLV table into the retention target list.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from sklearn.metrics import log_loss

from cxlens.errors import ArgumentError, SchemaError
from cxlens.models.checks import FitCheck, churn_checks
from cxlens.models.churn import (
    LABEL,
    ChurnData,
    ChurnDefinition,
    ChurnSplit,
    DateLike,
    build_churn_data,
)
from cxlens.models.churn_eval import calibration_table, curves, evaluate
from cxlens.models.churn_model import ChurnModel, LogisticChurnModel
from cxlens.store.catalog import Catalog

if TYPE_CHECKING:
    import plotly.graph_objects as go

#: Numeric feature columns the model reads, with their names in reports.
NUMERIC_FEATURES: dict[str, str] = {
    "acquisition_cost": "acquisition cost",
    "tenure_days": "tenure (days)",
    "n_responses": "survey answers",
    "days_since_response": "days since last survey answer",
    "last_nps": "latest NPS answer",
    "mean_nps": "average NPS answer",
    "last_csat": "latest CSAT",
    "mean_csat": "average CSAT",
    "last_ces": "latest effort score (CES)",
    "mean_ces": "average effort score (CES)",
    "mean_sentiment": "average comment sentiment",
    "n_transactions": "transactions",
    "frequency": "purchases",
    "frequency_12m": "purchases in the last 12 months",
    "recency_days": "days since last purchase",
    "revenue": "revenue to date",
    "revenue_12m": "revenue in the last 12 months",
    "monetary_mean": "average purchase value",
    "n_events": "journey events",
    "events_12m": "journey events in the last 12 months",
    "days_since_event": "days since last journey event",
}
#: Most levels a text attribute may have to be used as a categorical feature.
MAX_LEVELS = 30
#: Columns of :attr:`ChurnResult.scores`.
SCORE_COLUMNS = (
    "customer_id",
    "churn_probability",
    "risk_band",
    "reason_1",
    "reason_2",
    "reason_3",
)
#: Columns of :func:`value_at_risk`.
TARGET_COLUMNS = (
    "rank",
    "customer_id",
    "churn_probability",
    "risk_band",
    "clv",
    "value_at_risk",
    "cumulative_share",
    "reason_1",
    "reason_2",
    "reason_3",
)


def feature_label(name: str) -> str:
    """Return a feature's name in reports (the column name for segment attributes).

    Example:
        >>> feature_label("mean_csat")
        'average CSAT'
    """
    return NUMERIC_FEATURES.get(name, name.replace("_", " "))


def _days_since(frame: pd.DataFrame, column: str) -> pd.Series:
    if column not in frame.columns:
        return pd.Series(np.nan, index=frame.index)
    delta = pd.to_datetime(frame["cutoff"]) - pd.to_datetime(frame[column])
    return delta.dt.total_seconds() / 86_400.0


def model_features(snapshot: pd.DataFrame, attributes: list[str] | None = None) -> pd.DataFrame:
    """Return the model's input columns from a snapshot (one row per customer).

    Numeric features are those of :data:`NUMERIC_FEATURES` the snapshot has (two are
    derived here from the per-customer table: days since the last answer and since the last
    event, at the snapshot's cut-off); ``attributes`` are text columns used as categories.

    Args:
        snapshot: a frame from :func:`cxlens.models.churn.snapshot`.
        attributes: categorical columns to keep (default: none).

    Returns:
        DataFrame indexed like ``snapshot``.

    Example:
        >>> X = model_features(snap, ["segment", "plan"])  # doctest: +SKIP
    """
    frame = snapshot.copy()
    frame["days_since_response"] = _days_since(frame, "last_response_at")
    frame["days_since_event"] = _days_since(frame, "last_event_at")
    numeric = [c for c in NUMERIC_FEATURES if c in frame.columns]
    out = frame[numeric].astype("float64")
    for col in attributes or []:
        out[col] = frame[col].astype("string")
    return out


def categorical_attributes(train: pd.DataFrame, candidates: list[str]) -> list[str]:
    """Return the text attributes worth using: 2 to 30 levels in the training rows.

    Example:
        >>> categorical_attributes(pd.DataFrame({"s": ["a", "b"], "id": ["x", "y"]}), ["s"])
        ['s']
    """
    keep = []
    for col in candidates:
        if col in train.columns and 2 <= train[col].nunique(dropna=True) <= MAX_LEVELS:
            keep.append(col)
    return keep


def risk_bands(p: np.ndarray, base_rate: float) -> np.ndarray:
    """Return "high" (at least twice the base rate), "medium" (at least it) or "low".

    Example:
        >>> risk_bands(np.array([0.05, 0.12, 0.3]), 0.1).tolist()
        ['low', 'medium', 'high']
    """
    return np.where(p >= 2 * base_rate, "high", np.where(p >= base_rate, "medium", "low"))


def reason_text(reasons: pd.DataFrame) -> pd.Series:
    """Return one readable sentence per reason row, e.g. "average CSAT 2.1 (raises risk)".

    Example:
        >>> r = pd.DataFrame({"feature": ["mean_csat"], "value": ["2.1"],
        ...                   "direction": ["raises risk"]})
        >>> reason_text(r).tolist()
        ['average CSAT 2.1 (raises risk)']
    """
    labels = reasons["feature"].map(feature_label)
    return labels + " " + reasons["value"].astype(str) + " (" + reasons["direction"] + ")"


@dataclass
class ChurnResult:
    """What :func:`churn` returns.

    Attributes:
        scores: customers active at the data end, riskiest first: ``customer_id``,
            ``churn_probability`` (calibrated, within ``horizon_days``), ``risk_band``
            (:func:`risk_bands` against the training base rate), ``reason_1..3``.
        reasons: the same customers' top three reasons, tidy: ``customer_id``, ``rank``,
            ``feature``, ``label``, ``value``, ``contribution`` (log-odds), ``direction``.
        evaluation: held-out metrics (see :func:`cxlens.models.churn_eval.evaluate`) plus
            ``n_train``, ``churners_train``, ``n_calibration``, ``churners_calibration``,
            ``n_test``, ``churners_test``, ``train_cutoffs``, ``calibration_cutoff``,
            ``evaluation_cutoff``, ``horizon_days``, ``calibration``, ``calibration_losses``;
            the Brier baseline forecasts the training base rate for everybody. The model
            comparison: ``boosting_*`` and ``logistic_*`` (``roc_auc``, ``pr_auc``,
            ``brier``, ``log_loss`` of each on the evaluation snapshot),
            ``selection_log_loss_boosting``, ``selection_log_loss_logistic`` (on the
            calibration snapshot) and ``model_used``; the headline figures are the model
            in use's.
        calibration: the evaluation snapshot's calibration bins.
        curves: ROC and precision-recall points on the evaluation snapshot.
        importance: ``feature``, ``label``, ``mean_abs_contribution`` (mean absolute
            TreeSHAP value on the evaluation snapshot), ``share``, ``gain_share``.
        holdout: ``customer_id``, ``churn_probability``, ``churned`` on the evaluation
            snapshot.
        definition: the churn definition.
        split: the cut-offs.
        model: the model in use: the fitted ChurnModel, or the LogisticChurnModel when it
            was as good (:data:`AS_GOOD`).
    """

    scores: pd.DataFrame
    reasons: pd.DataFrame
    evaluation: dict[str, Any]
    calibration: pd.DataFrame
    curves: pd.DataFrame
    importance: pd.DataFrame
    holdout: pd.DataFrame
    definition: ChurnDefinition
    split: ChurnSplit
    model: ChurnModel | LogisticChurnModel = field(repr=False)

    @property
    def failed_checks(self) -> list[FitCheck]:
        """The checks this model fails (:func:`cxlens.models.checks.churn_checks`)."""
        return churn_checks(self.evaluation)

    def summary(self) -> str:
        """Return the definition, the split and the held-out metrics in a few sentences.

        Example:
            >>> print(churn(ws).summary())  # doctest: +SKIP
        """
        e = self.evaluation
        return (
            f"{self.definition.describe()} Model {self.split.describe()}. Held out: "
            f"ROC-AUC {e['roc_auc']:.3f}, PR-AUC {e['pr_auc']:.3f} (base rate "
            f"{e['base_rate']:.3f}), Brier {e['brier']:.4f} against {e['brier_baseline']:.4f} "
            f"for the base rate alone, on {e['n_test']:,} customers of whom "
            f"{e['churners_test']:,} churned. {model_choice_text(e)}"
        )

    def calibration_figure(self, **kwargs: Any) -> go.Figure:
        """Return the calibration chart (:func:`~cxlens.models.charts_churn.calibration_figure`)."""
        from cxlens.models.charts_churn import calibration_figure

        return calibration_figure(self.calibration, **kwargs)

    def roc_pr_figure(self, **kwargs: Any) -> go.Figure:
        """Return the ROC and PR curves (see :func:`cxlens.models.charts_churn.roc_pr_figure`)."""
        from cxlens.models.charts_churn import roc_pr_figure

        return roc_pr_figure(self.curves, self.evaluation, **kwargs)

    def importance_figure(self, **kwargs: Any) -> go.Figure:
        """Return the feature importance chart (mean absolute contribution)."""
        from cxlens.models.charts_churn import importance_figure

        return importance_figure(self.importance, **kwargs)


#: The plain logistic regression replaces the gradient boosting when its log-loss on the
#: calibration snapshot is at most this share above the boosting's: as good, and simpler.
AS_GOOD = 0.01

#: Names of the two models in ``evaluation["model_used"]``.
BOOSTING, LOGISTIC = "gradient boosting", "logistic regression"


def _selection_loss(model: ChurnModel, X: pd.DataFrame, y: np.ndarray) -> float:
    """Log-loss of the boosting on the calibration snapshot.

    With ``calibration="auto"`` it is the chosen calibration's out-of-fold loss (rows its
    map never saw); otherwise the loss of the calibrated probabilities on that snapshot.
    """
    if model.calibration_losses_:
        return model.calibration_losses_[model.calibration_method_]
    return _log_loss(y, model.predict_proba(X)[:, 1])


def _log_loss(y: np.ndarray, p: np.ndarray) -> float:
    return float(log_loss(y, np.clip(p, 1e-15, 1 - 1e-15), labels=[0, 1]))


def _compare(
    model: ChurnModel, X: pd.DataFrame, y: np.ndarray, X_cal: pd.DataFrame, y_cal: np.ndarray
) -> tuple[LogisticChurnModel, dict[str, Any]]:
    """Fit the logistic baseline on the training rows; judge both on the calibration snapshot.

    Returns:
        The fitted baseline and ``selection_log_loss_boosting``,
        ``selection_log_loss_logistic`` and ``model_used`` (:data:`LOGISTIC` when its loss is
        within :data:`AS_GOOD` of the boosting's, else :data:`BOOSTING`).
    """
    baseline = LogisticChurnModel().fit(X, y)
    boosting = _selection_loss(model, X_cal, y_cal)
    logistic = _log_loss(y_cal, baseline.predict_proba(X_cal)[:, 1])
    used = LOGISTIC if logistic <= boosting * (1.0 + AS_GOOD) else BOOSTING
    return baseline, {
        "selection_log_loss_boosting": boosting,
        "selection_log_loss_logistic": logistic,
        "model_used": used,
    }


def model_choice_text(e: dict[str, Any]) -> str:
    """Say which model scores the customers, against which baseline, and the calibration.

    ``e`` is :attr:`ChurnResult.evaluation`.

    Example:
        >>> text = model_choice_text({"boosting_roc_auc": 0.838, "logistic_roc_auc": 0.841,
        ...     "boosting_log_loss": 0.425, "logistic_log_loss": 0.418,
        ...     "selection_log_loss_boosting": 0.396, "selection_log_loss_logistic": 0.399,
        ...     "model_used": "logistic regression", "calibration": "none",
        ...     "calibration_losses": {"none": 0.396, "sigmoid": 0.399}})
        >>> text.split(". ")[1][:62]
        'Kept the logistic regression: as good on the calibration snaps'
        >>> text.split(". ")[1][62:]
        'hot (log-loss 0.399 vs 0.396, within 1%) and simpler'
    """
    text = (
        "Gradient boosting against a plain logistic regression on the same split, held out: "
        f"ROC-AUC {e['boosting_roc_auc']:.3f} vs {e['logistic_roc_auc']:.3f}, log-loss "
        f"{e['boosting_log_loss']:.3f} vs {e['logistic_log_loss']:.3f}. "
    )
    lr, gb = e["selection_log_loss_logistic"], e["selection_log_loss_boosting"]
    if e["model_used"] == LOGISTIC:
        text += (
            f"Kept the logistic regression: as good on the calibration snapshot (log-loss "
            f"{lr:.3f} vs {gb:.3f}, within {AS_GOOD:.0%}) and simpler."
        )
    else:
        text += (
            f"Kept the gradient boosting: better on the calibration snapshot (log-loss {gb:.3f} "
            f"vs {lr:.3f} for the logistic regression)."
        )
    text += f" Boosting calibration: {e['calibration']}"
    losses = e.get("calibration_losses") or {}
    if losses:
        shown = ", ".join(f"{k} {v:.3f}" for k, v in losses.items())
        text += f" (out-of-fold log-loss: {shown})"
    return text + "."


def _held_out(prefix: str, y: np.ndarray, p: np.ndarray, rate: float) -> dict[str, float]:
    """ROC-AUC, PR-AUC, Brier and log-loss of one model on the evaluation snapshot."""
    got = evaluate(y, p, reference_rate=rate)
    return {f"{prefix}_{k}": got[k] for k in ("roc_auc", "pr_auc", "brier", "log_loss")}


def _importance(model: ChurnModel | LogisticChurnModel, X: pd.DataFrame) -> pd.DataFrame:
    contrib = model.contributions(X).drop(columns="bias").abs().mean()
    total = float(contrib.sum())
    out = pd.DataFrame(
        {
            "feature": model.feature_names_,
            "label": [feature_label(f) for f in model.feature_names_],
            "mean_abs_contribution": contrib.to_numpy(),
            "share": contrib.to_numpy() / total if total > 0 else np.nan,
            "gain_share": model.feature_importances_,
        }
    )
    return out.sort_values("mean_abs_contribution", ascending=False, kind="mergesort").reset_index(
        drop=True
    )


def _scores(
    model: ChurnModel | LogisticChurnModel, frame: pd.DataFrame, X: pd.DataFrame
) -> tuple[pd.DataFrame, pd.DataFrame]:
    p = model.predict_proba(X)[:, 1]
    reasons = model.reasons(X, top=3)
    reasons.insert(0, "customer_id", frame["customer_id"].to_numpy()[reasons["row"]])
    reasons.insert(4, "label", reasons["feature"].map(feature_label))
    text = reason_text(reasons)
    wide = (
        pd.DataFrame({"row": reasons["row"], "rank": reasons["rank"], "text": text})
        .pivot(index="row", columns="rank", values="text")
        .reindex(range(len(frame)))
    )
    scores = pd.DataFrame(
        {
            "customer_id": frame["customer_id"].to_numpy(),
            "churn_probability": p,
            "risk_band": risk_bands(p, model.base_rate_),
        }
    )
    for k in (1, 2, 3):
        scores[f"reason_{k}"] = wide[k].to_numpy() if k in wide.columns else None
    order = np.argsort(-p, kind="stable")
    scores = scores.iloc[order].reset_index(drop=True)
    reasons = reasons.drop(columns="row")
    rank_of = pd.Series(np.arange(len(order)), index=frame["customer_id"].to_numpy()[order])
    reasons = reasons.iloc[
        np.lexsort((reasons["rank"].to_numpy(), rank_of[reasons["customer_id"]].to_numpy()))
    ].reset_index(drop=True)
    return scores, reasons


def fit_churn(data: ChurnData, model: ChurnModel | None = None) -> ChurnResult:
    """Fit, calibrate, evaluate and score on prepared snapshots (see :func:`churn`).

    Example:
        >>> result = fit_churn(build_churn_data(ws))  # doctest: +SKIP
    """
    model = model if model is not None else ChurnModel()
    attributes = categorical_attributes(
        data.train, [c for c in data.train.columns if data.train[c].dtype == object or
                     pd.api.types.is_string_dtype(data.train[c])]
    )  # fmt: skip
    attributes = [c for c in attributes if c not in ("customer_id", "nps_group")]
    X_train = model_features(data.train, attributes)
    X_cal = model_features(data.calibration, attributes)
    X_test = model_features(data.evaluation, attributes)
    y_train = data.train[LABEL].to_numpy().astype(int)
    y_cal = data.calibration[LABEL].to_numpy().astype(int)
    model.fit(X_train, y_train, X_calibration=X_cal, y_calibration=y_cal)
    baseline, choice = _compare(model, X_train, y_train, X_cal, y_cal)
    used = baseline if choice["model_used"] == LOGISTIC else model
    y_test = data.evaluation[LABEL].to_numpy().astype(int)
    p_test = used.predict_proba(X_test)[:, 1]
    counts = data.counts()
    evaluation: dict[str, Any] = evaluate(y_test, p_test, reference_rate=model.base_rate_)
    rate = model.base_rate_
    evaluation.update(choice)
    evaluation.update(_held_out("boosting", y_test, model.predict_proba(X_test)[:, 1], rate))
    evaluation.update(_held_out("logistic", y_test, baseline.predict_proba(X_test)[:, 1], rate))
    evaluation.update(
        calibration_losses=dict(model.calibration_losses_),
        n_train=counts["n_train"],
        churners_train=counts["churners_train"],
        n_calibration=counts["n_calibration"],
        churners_calibration=counts["churners_calibration"],
        n_test=counts["n_evaluation"],
        churners_test=counts["churners_evaluation"],
        train_base_rate=model.base_rate_,
        train_cutoffs=[c.strftime("%Y-%m-%d") for c in data.split.train_cutoffs],
        calibration_cutoff=data.split.calibration_cutoff.strftime("%Y-%m-%d"),
        evaluation_cutoff=data.split.evaluation_cutoff.strftime("%Y-%m-%d"),
        horizon_days=data.split.horizon_days,
        calibration=model.calibration_method_,
    )
    scores, reasons = _scores(used, data.score, model_features(data.score, attributes))
    holdout = pd.DataFrame(
        {
            "customer_id": data.evaluation["customer_id"].to_numpy(),
            "churn_probability": p_test,
            "churned": y_test.astype(bool),
        }
    )
    return ChurnResult(
        scores=scores,
        reasons=reasons,
        evaluation=evaluation,
        calibration=calibration_table(y_test, p_test),
        curves=curves(y_test, p_test),
        importance=_importance(used, X_test),
        holdout=holdout,
        definition=data.definition,
        split=data.split,
        model=used,
    )


def churn(
    ws: Catalog,
    *,
    definition: ChurnDefinition | None = None,
    horizon_days: int = 90,
    cutoff: DateLike | None = None,
    train_snapshots: int = 3,
    model: ChurnModel | None = None,
    sentiment: bool = False,
) -> ChurnResult:
    """Predict who churns within ``horizon_days``, with held-out metrics and reasons.

    Snapshots one horizon apart (features as of each cut-off, label "churned in the next
    ``horizon_days``"): the training ones, then a calibration one, then the evaluation one
    at ``cutoff`` (default: data end minus the horizon). The model learns on the training
    snapshots, is calibrated on the next, and is judged on the last; the customers active at
    the data end are scored by that same model (its metrics are the ones reported).

    Args:
        ws: the Workspace.
        definition: the churn definition (default: contractual when customers.churned_at
            holds dates, else 90 days without a transaction).
        horizon_days: the label window and the scores' horizon, in days.
        cutoff: the evaluation cut-off; its label window must end by the data end.
        train_snapshots: most training snapshots.
        model: the estimator (default: ``ChurnModel()``).
        sentiment: add the average comment sentiment as a feature; needs
            ``ws.text.sentiment()`` first. Off by default: the model does not change with
            whether the comments happen to be scored.

    Returns:
        ChurnResult (scores, reasons, evaluation, calibration, curves, importance, holdout,
        definition, split, model) with chart methods.

    Raises:
        ArgumentError: cut-off outside the data or label window past its end.
        NotEnoughDataError: fewer than 20 churners in the training labels (10 in the
            calibration or evaluation snapshot), or too short a history.
        SchemaError: the definition needs a table or column the workspace lacks.

    Example:
        >>> result = churn(ws, horizon_days=90)  # doctest: +SKIP
        >>> result.evaluation["roc_auc"], result.scores.head()  # doctest: +SKIP
    """
    data = build_churn_data(
        ws,
        definition=definition,
        horizon_days=horizon_days,
        cutoff=cutoff,
        train_snapshots=train_snapshots,
        sentiment=sentiment,
    )
    return fit_churn(data, model)


#: Risk bands a retention target must be in: churn probability at or above the training
#: base rate (:func:`risk_bands`). A customer below it is likelier to stay than the average
#: customer, whatever their CLV, and is not a retention target.
TARGET_BANDS = ("high", "medium")


def value_at_risk(
    scores: pd.DataFrame, clv: pd.DataFrame, *, bands: Sequence[str] | None = TARGET_BANDS
) -> pd.DataFrame:
    """Return the retention target list: customers at risk, ranked by CLV times churn probability.

    Only customers whose ``risk_band`` is in ``bands`` (default: medium or high, i.e. a
    churn probability at or above the training base rate) are targets; ranking all
    customers by value at risk would put a low-risk customer with a large CLV first.
    ``cumulative_share`` is a share of the total value at risk of every scored customer with
    a CLV (:func:`risk_summary`), so the list says how much of it the targets hold.

    Args:
        scores: ``ChurnResult.scores`` (``customer_id``, ``churn_probability``, and
            ``risk_band`` / ``reason_1..3`` when present).
        clv: any frame with ``customer_id`` and ``clv`` (e.g. the customers table of the CLV
            model). Customers missing from it, or with a missing CLV, are left out.
        bands: the risk bands kept; None keeps every customer (and needs no ``risk_band``).

    Returns:
        DataFrame with ``rank``, ``customer_id``, ``churn_probability``, ``risk_band``,
        ``clv``, ``value_at_risk`` (``clv * churn_probability``), ``cumulative_share``,
        ``reason_1..3``; sorted by value at risk, largest first.

    Raises:
        SchemaError: a required column is missing.
        ArgumentError: a customer appears twice in ``clv``.

    Example:
        >>> s = pd.DataFrame({"customer_id": ["a", "b", "c"], "churn_probability": [0.5, 0.1,
        ...     0.02], "risk_band": ["high", "medium", "low"]})
        >>> v = pd.DataFrame({"customer_id": ["a", "b", "c"], "clv": [100.0, 900.0, 9000.0]})
        >>> value_at_risk(s, v)[["customer_id", "value_at_risk"]].values.tolist()
        [['b', 90.0], ['a', 50.0]]
    """
    valued = _valued(scores, clv)
    total = float(valued["value_at_risk"].sum())
    out = valued
    if bands is not None:
        out = valued[valued["risk_band"].isin(list(bands))]
    out = out.sort_values("value_at_risk", ascending=False, kind="mergesort").reset_index(drop=True)
    out["cumulative_share"] = out["value_at_risk"].cumsum() / total if total > 0 else np.nan
    out.insert(0, "rank", np.arange(1, len(out) + 1))
    for col in TARGET_COLUMNS:
        if col not in out.columns:
            out[col] = None
    return out[list(TARGET_COLUMNS)]


def _valued(scores: pd.DataFrame, clv: pd.DataFrame) -> pd.DataFrame:
    """Scores joined to CLV (customers without one left out), with ``value_at_risk``."""
    for frame, name, cols in ((scores, "scores", ("customer_id", "churn_probability")),
                              (clv, "clv", ("customer_id", "clv"))):  # fmt: skip
        missing = [c for c in cols if c not in frame.columns]
        if missing:
            raise SchemaError(
                f"{name} lacks column(s) {', '.join(missing)}; it needs {', '.join(cols)}"
            )
    dupes = clv["customer_id"][clv["customer_id"].duplicated()]
    if len(dupes):
        raise ArgumentError(
            f"clv has {len(dupes)} duplicate customer_id(s), e.g. {dupes.iloc[0]!r}; pass one "
            "row per customer"
        )
    values = clv[["customer_id", "clv"]].assign(clv=lambda f: pd.to_numeric(f["clv"], "coerce"))
    merged = scores.merge(values, on="customer_id", how="left")
    out = merged[merged["clv"].notna()].copy()
    out["value_at_risk"] = out["clv"] * out["churn_probability"]
    return out


@dataclass(frozen=True)
class RiskSummary:
    """The at-risk figures every view states: one home, so the summary and the sections agree.

    Attributes:
        active: customers scored (active at the data end).
        high_risk: of them, in the high band (at least twice the training base rate).
        at_risk: of them, in the medium or high band (the retention targets' threshold).
        valued: of them, with a CLV (a purchase); the value at risk is summed over these.
        value_at_risk: sum of CLV x churn probability over the ``valued`` customers.
        value_at_risk_sd: standard deviation of the loss if the probabilities are right
            (churn a Bernoulli draw per customer): sqrt(sum clv^2 p (1 - p)).
        targets: customers on the retention target list (``at_risk`` with a CLV).
        targets_value_at_risk: their value at risk.
        currency: ISO 4217 code of the values (the CLV's; "" when unknown).

    Example:
        >>> s = pd.DataFrame({"customer_id": ["a", "b"], "churn_probability": [0.5, 0.1],
        ...                   "risk_band": ["high", "low"]})
        >>> v = pd.DataFrame({"customer_id": ["a", "b"], "clv": [100.0, 300.0]})
        >>> r = risk_summary(s, v)
        >>> (r.active, r.high_risk, r.value_at_risk, r.targets_value_at_risk)
        (2, 1, 80.0, 50.0)
    """

    active: int
    high_risk: int
    at_risk: int
    valued: int
    value_at_risk: float
    value_at_risk_sd: float
    targets: int
    targets_value_at_risk: float
    currency: str = ""

    def as_dict(self) -> dict[str, float | int]:
        """Return the figures as a plain dict (for JSON)."""
        return dict(self.__dict__)


def risk_summary(scores: pd.DataFrame, clv: pd.DataFrame, currency: str = "") -> RiskSummary:
    """Return the at-risk figures of a churn scoring and a CLV table (see :class:`RiskSummary`).

    Example:
        >>> risk_summary(churn.scores, clv.customers).high_risk  # doctest: +SKIP
        1472
    """
    valued = _valued(scores, clv)
    band = scores["risk_band"] if "risk_band" in scores else pd.Series(dtype=str)
    clv_v, p = valued["clv"].astype(float), valued["churn_probability"].astype(float)
    targets = valued[valued["risk_band"].isin(list(TARGET_BANDS))] if len(band) else valued
    return RiskSummary(
        active=len(scores),
        high_risk=int((band == "high").sum()),
        at_risk=int(band.isin(list(TARGET_BANDS)).sum()),
        valued=len(valued),
        value_at_risk=float(valued["value_at_risk"].sum()),
        value_at_risk_sd=float(np.sqrt((clv_v**2 * p * (1 - p)).sum())),
        targets=len(targets),
        targets_value_at_risk=float(targets["value_at_risk"].sum()),
        currency=currency,
    )
