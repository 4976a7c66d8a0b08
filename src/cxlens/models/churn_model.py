"""The churn estimator: LightGBM gradient boosting, calibrated probabilities, per-customer reasons.

:class:`ChurnModel` follows scikit-learn's conventions (settings in ``__init__``, ``fit``
returns ``self``, fitted attributes end in ``_``). It takes a per-customer feature frame:
numeric columns as they are (missing values allowed; the trees route them), text or
categorical columns as categories fixed at fit time. Probabilities are calibrated on a slice
that the boosting never saw (a later snapshot, or a held-back share of the training rows),
with isotonic regression or Platt's sigmoid. Reasons come from LightGBM's exact TreeSHAP
contributions (``pred_contrib=True``), in log-odds of the uncalibrated model; calibration is
monotone, so a contribution that raises the raw score raises the calibrated probability too.
"""

from __future__ import annotations

import math
from typing import Literal

import lightgbm as lgb
import numpy as np
import pandas as pd
from numpy.typing import ArrayLike
from sklearn.isotonic import IsotonicRegression
from sklearn.linear_model import LogisticRegression

from cxlens.errors import ArgumentError, NotEnoughDataError, SchemaError

#: Calibration methods ``ChurnModel`` accepts.
CALIBRATIONS = ("auto", "isotonic", "sigmoid", "none")
#: Training rows from which learning_rate="auto" takes the larger step.
AUTO_RATE_ROWS = 100_000
#: With ``calibration="auto"``, isotonic needs at least this many churners and stayers in the
#: calibration slice; fewer get the sigmoid, whose two parameters need far less data.
ISOTONIC_MIN_CLASS = 200
#: Columns of :meth:`ChurnModel.reasons`.
REASON_COLUMNS = ("row", "rank", "feature", "value", "contribution", "direction")


def _as_labels(y: ArrayLike, n: int, name: str) -> np.ndarray:
    arr = np.asarray(y)
    if arr.ndim != 1 or len(arr) != n:
        raise ArgumentError(f"{name} must be one label per row: {n} rows, got shape {arr.shape}")
    if pd.isna(pd.Series(arr)).any():
        raise ArgumentError(f"{name} holds missing labels; drop those rows first")
    values = set(np.unique(arr).tolist())
    if not values <= {0, 1}:
        raise ArgumentError(f"{name} must be 0/1 or boolean (1 = churned); got {sorted(values)!r}")
    return arr.astype(int)


def _check_classes(y: np.ndarray, part: str, least: int = 1) -> None:
    churners = int(y.sum())
    if churners < least or len(y) - churners < least:
        raise NotEnoughDataError(
            f"{part} needs churners and stayers: got {churners} churned and "
            f"{len(y) - churners} stayed; at least {least} of each. Use a longer horizon, "
            "more snapshots or more customers"
        )


class ChurnModel:
    """Gradient-boosted churn classifier with calibrated probabilities and per-row reasons.

    Parameters
    ----------
    n_estimators, learning_rate, num_leaves, min_child_samples, subsample, colsample,
    reg_lambda : LightGBM settings (``learning_rate="auto"``: 0.03 below 100,000
        training rows, 0.1 from there) (``subsample`` is bagging per iteration, ``colsample``
        the share of features per tree). ``n_estimators`` is the most boosting rounds.
    early_stopping_rounds : int | None
        Stop adding trees once the log-loss on the calibration slice has not improved for
        this many rounds, and keep the best round (None: always ``n_estimators``). The
        slice is never the evaluation data, so the held-out metrics stay honest; small data
        gets few trees and does not memorise noise.
    calibration : {"auto", "isotonic", "sigmoid", "none"}
        How the raw probabilities are mapped to calibrated ones. "auto" picks isotonic when
        the calibration slice has at least 200 churners and 200 stayers, else the sigmoid.
    calibration_share : float
        Share of the training rows held back for calibration when ``fit`` gets no
        calibration slice (a stratified random split).
    random_state : int
        Seed of LightGBM and of the held-back split.
    n_jobs : int | None
        LightGBM threads (None: LightGBM's default, every core).

    Attributes
    ----------
    booster_ : lightgbm.Booster
        The fitted trees.
    feature_names_ : list[str]
        Input columns, in order.
    categories_ : dict[str, list]
        Levels of each categorical column seen in training (others become missing).
    calibrator_ : IsotonicRegression | LogisticRegression | None
        The fitted calibration map (None with ``calibration="none"``).
    calibration_method_ : str
        The calibration used ("isotonic", "sigmoid" or "none").
    feature_importances_ : numpy.ndarray
        Total split gain per feature, normalised to sum to 1.
    base_rate_ : float
        Churn share of the training labels.
    n_train_, n_calibration_ : int
        Rows the trees and the calibration were fitted on.
    n_trees_ : int
        Boosting rounds kept.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> X = pd.DataFrame({"csat": rng.integers(1, 6, 2000).astype(float)})
    >>> y = rng.random(2000) < 1 / (1 + np.exp(X["csat"] - 2))
    >>> model = ChurnModel(n_estimators=50).fit(X, y)
    >>> p = model.predict_proba(pd.DataFrame({"csat": [1.0, 5.0]}))[:, 1]
    >>> bool(p[0] > p[1])
    True
    """

    def __init__(
        self,
        *,
        n_estimators: int = 1000,
        learning_rate: float | Literal["auto"] = "auto",
        num_leaves: int = 7,
        min_child_samples: int = 50,
        subsample: float = 0.8,
        colsample: float = 0.5,
        reg_lambda: float = 5.0,
        early_stopping_rounds: int | None = 50,
        calibration: Literal["auto", "isotonic", "sigmoid", "none"] = "auto",
        calibration_share: float = 0.25,
        random_state: int = 0,
        n_jobs: int | None = None,
    ) -> None:
        self.n_estimators = n_estimators
        self.learning_rate = learning_rate
        self.num_leaves = num_leaves
        self.min_child_samples = min_child_samples
        self.subsample = subsample
        self.colsample = colsample
        self.reg_lambda = reg_lambda
        self.early_stopping_rounds = early_stopping_rounds
        self.calibration = calibration
        self.calibration_share = calibration_share
        self.random_state = random_state
        self.n_jobs = n_jobs

    # --- inputs ------------------------------------------------------------------------

    def _check_settings(self) -> None:
        if self.calibration not in CALIBRATIONS:
            raise ArgumentError(
                f"calibration={self.calibration!r} is unknown; use one of {', '.join(CALIBRATIONS)}"
            )
        if not 0.0 < float(self.calibration_share) < 1.0:
            raise ArgumentError(
                f"calibration_share must be between 0 and 1; got {self.calibration_share!r}"
            )
        if int(self.n_estimators) < 1 or (
            self.learning_rate != "auto" and float(self.learning_rate) <= 0
        ):
            raise ArgumentError("n_estimators must be >= 1 and learning_rate > 0 (or 'auto')")

    def _learning_rate(self, rows: int) -> float:
        """Return the step size: as set, or with "auto" 0.03 below 100,000 rows, else 0.1.

        Small data needs small steps to not memorise noise; on a million customers 0.03
        kept 626 trees (4.5x the time of scikit-learn's histogram boosting) for the same AUC.
        """
        if self.learning_rate != "auto":
            return float(self.learning_rate)
        return 0.03 if rows < AUTO_RATE_ROWS else 0.1

    def _matrix(self, X: pd.DataFrame, *, fitting: bool = False) -> pd.DataFrame:
        """Numeric columns as float, categorical ones with the training levels."""
        if not isinstance(X, pd.DataFrame):
            raise ArgumentError(f"X must be a pandas DataFrame of features; got {type(X).__name__}")
        if fitting:
            if X.shape[1] == 0:
                raise ArgumentError("X has no columns; pass at least one feature")
            self.feature_names_ = [str(c) for c in X.columns]
            self.categories_ = {}
            for col in X.columns:
                s = X[col]
                if not (pd.api.types.is_numeric_dtype(s) or pd.api.types.is_bool_dtype(s)):
                    levels = pd.Series(s.dropna().astype(str).unique())
                    self.categories_[str(col)] = sorted(levels.tolist())
        missing = [c for c in self.feature_names_ if c not in X.columns]
        if missing:
            raise SchemaError(
                f"X lacks the feature columns the model was fitted on: {', '.join(missing)}"
            )
        out = {}
        for col in self.feature_names_:
            s = X[col]
            if col in self.categories_:
                levels = self.categories_[col]
                text = s.astype("string")
                known = text.isin(levels).fillna(False).astype(bool)
                # a level not seen in training is treated like a missing value
                values = text.astype(object).where(known, None)
                out[col] = pd.Categorical(values, categories=levels)
            else:
                try:
                    out[col] = pd.to_numeric(s.astype("float64"), errors="raise")
                except (TypeError, ValueError) as exc:
                    raise SchemaError(
                        f"feature column '{col}' was numeric when the model was fitted but "
                        f"holds non-numbers now: {exc}"
                    ) from exc
        return pd.DataFrame(out, index=X.index)

    # --- fitting -----------------------------------------------------------------------

    def _params(self, rows: int) -> dict[str, object]:
        return {
            "objective": "binary",
            "learning_rate": self._learning_rate(rows),
            "num_leaves": int(self.num_leaves),
            "min_data_in_leaf": int(self.min_child_samples),
            "bagging_fraction": float(self.subsample),
            "bagging_freq": 1 if float(self.subsample) < 1 else 0,
            "feature_fraction": float(self.colsample),
            "lambda_l2": float(self.reg_lambda),
            "cat_smooth": 10.0,
            "min_data_per_group": int(self.min_child_samples),
            "seed": int(self.random_state),
            "deterministic": True,
            "num_threads": 0 if self.n_jobs is None else int(self.n_jobs),
            "verbosity": -1,
        }

    def _hold_back(self, n: int, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Stratified random split: (fit rows, calibration rows)."""
        rng = np.random.default_rng(self.random_state)
        cal = np.zeros(n, dtype=bool)
        for label in (0, 1):
            idx = np.flatnonzero(y == label)
            k = round(len(idx) * float(self.calibration_share))
            cal[rng.choice(idx, size=k, replace=False)] = True
        return np.flatnonzero(~cal), np.flatnonzero(cal)

    def fit(
        self,
        X: pd.DataFrame,
        y: ArrayLike,
        *,
        X_calibration: pd.DataFrame | None = None,
        y_calibration: ArrayLike | None = None,
    ) -> ChurnModel:
        """Fit the trees on ``X, y`` and the calibration on a slice they never saw.

        Parameters
        ----------
        X : DataFrame
            One row per customer (and snapshot); numeric and text/categorical columns.
        y : array-like
            1/True when the customer churned in the label window.
        X_calibration, y_calibration : optional
            The calibration slice (e.g. a later snapshot). Without it, ``calibration_share``
            of ``X`` is held back at random (stratified) for calibration.

        Returns
        -------
        ChurnModel
            ``self``, fitted.

        Examples
        --------
        >>> X = pd.DataFrame({"recency": np.arange(400.0)})
        >>> ChurnModel(n_estimators=20).fit(X, X["recency"] > 250).base_rate_
        0.3725
        """
        self._check_settings()
        matrix = self._matrix(X, fitting=True)
        labels = _as_labels(y, len(matrix), "y")
        if X_calibration is None:
            if y_calibration is not None:
                raise ArgumentError("y_calibration was given without X_calibration")
            _check_classes(labels, "fitting the churn model", least=4)
            fit_rows, cal_rows = self._hold_back(len(labels), labels)
            fit_x, fit_y = matrix.iloc[fit_rows], labels[fit_rows]
            cal_x, cal_y = matrix.iloc[cal_rows], labels[cal_rows]
        else:
            if y_calibration is None:
                raise ArgumentError("X_calibration was given without y_calibration")
            fit_x, fit_y = matrix, labels
            cal_x = self._matrix(X_calibration)
            cal_y = _as_labels(y_calibration, len(cal_x), "y_calibration")
        _check_classes(fit_y, "fitting the churn model")
        data = lgb.Dataset(
            fit_x, label=fit_y, categorical_feature=list(self.categories_) or "auto",
            free_raw_data=True,
        )  # fmt: skip
        rounds = int(self.n_estimators)
        if self.early_stopping_rounds is None:
            self.booster_ = lgb.train(self._params(len(fit_y)), data, num_boost_round=rounds)
        else:
            _check_classes(cal_y, "early stopping on the calibration slice")
            valid = lgb.Dataset(cal_x, label=cal_y, reference=data)
            stop = lgb.early_stopping(int(self.early_stopping_rounds), verbose=False)
            params = {**self._params(len(fit_y)), "metric": "binary_logloss"}
            booster = lgb.train(params, data, rounds, valid_sets=[valid], callbacks=[stop])
            booster.best_iteration = booster.best_iteration or rounds
            # keep only the best rounds, so every later predict (and TreeSHAP) uses them
            self.booster_ = lgb.Booster(
                model_str=booster.model_to_string(num_iteration=booster.best_iteration)
            )
        self.n_trees_ = self.booster_.num_trees()
        self.base_rate_ = float(np.mean(labels if X_calibration is None else fit_y))
        self.n_train_ = len(fit_y)
        self.n_calibration_ = len(cal_y)
        gain = self.booster_.feature_importance(importance_type="gain")
        total = float(gain.sum())
        self.feature_importances_ = gain / total if total > 0 else np.zeros_like(gain)
        self._fit_calibration(self._raw(cal_x), cal_y)
        return self

    def _fit_calibration(self, raw: np.ndarray, y: np.ndarray) -> None:
        method = self.calibration
        if method == "auto":
            churners = int(y.sum())
            big = min(churners, len(y) - churners) >= ISOTONIC_MIN_CLASS
            method = "isotonic" if big else "sigmoid"
        self.calibration_method_ = method
        if method == "none":
            self.calibrator_ = None
            return
        _check_classes(y, "calibrating the churn model")
        if method == "isotonic":
            iso = IsotonicRegression(y_min=0.0, y_max=1.0, out_of_bounds="clip")
            self.calibrator_ = iso.fit(raw, y)
        else:
            # Platt scaling on the log-odds; a huge C makes it the plain maximum likelihood.
            platt = LogisticRegression(C=1e6, max_iter=1000)
            self.calibrator_ = platt.fit(_logit(raw).reshape(-1, 1), y)

    # --- prediction --------------------------------------------------------------------

    def _check_fitted(self) -> None:
        if not hasattr(self, "booster_"):
            raise ArgumentError("this ChurnModel is not fitted yet; call fit(X, y) first")

    def _raw(self, matrix: pd.DataFrame) -> np.ndarray:
        return np.asarray(self.booster_.predict(matrix), dtype=float)

    def predict_raw(self, X: pd.DataFrame) -> np.ndarray:
        """Return the uncalibrated probability of churn per row (the trees' own output).

        Example:
            >>> model.predict_raw(X)[:3]  # doctest: +SKIP
        """
        self._check_fitted()
        return self._raw(self._matrix(X))

    def predict_proba(self, X: pd.DataFrame) -> np.ndarray:
        """Return calibrated probabilities, shape ``(n, 2)``: stay, churn.

        Example:
            >>> model.predict_proba(X)[:, 1]  # doctest: +SKIP
        """
        self._check_fitted()
        raw = self._raw(self._matrix(X))
        if self.calibrator_ is None:
            p = raw
        elif isinstance(self.calibrator_, IsotonicRegression):
            p = self.calibrator_.predict(raw)
        else:
            p = self.calibrator_.predict_proba(_logit(raw).reshape(-1, 1))[:, 1]
        p = np.clip(np.asarray(p, dtype=float), 0.0, 1.0)
        return np.column_stack([1.0 - p, p])

    def contributions(self, X: pd.DataFrame) -> pd.DataFrame:
        """Return the exact TreeSHAP contribution of every feature, in log-odds.

        Rows sum (with the ``bias`` column) to the raw log-odds of churn.

        Returns:
            DataFrame with one column per feature plus ``bias``, indexed like ``X``.

        Example:
            >>> model.contributions(X).sum(axis=1)  # doctest: +SKIP
        """
        self._check_fitted()
        raw = self.booster_.predict(self._matrix(X), pred_contrib=True)
        return pd.DataFrame(np.asarray(raw), index=X.index, columns=[*self.feature_names_, "bias"])

    def reasons(self, X: pd.DataFrame, top: int = 3) -> pd.DataFrame:
        """Return each row's ``top`` features by absolute contribution, largest first.

        Args:
            X: the features.
            top: reasons per row.

        Returns:
            Tidy DataFrame with ``row`` (position in ``X``), ``rank`` (1 = largest),
            ``feature``, ``value`` (the row's value, as text), ``contribution`` (log-odds)
            and ``direction`` ("raises risk" or "lowers risk").

        Example:
            >>> model.reasons(X, top=3).head()  # doctest: +SKIP
        """
        if isinstance(top, bool) or not isinstance(top, int) or top < 1:
            raise ArgumentError(f"top must be a positive integer; got {top!r}")
        contrib = self.contributions(X).drop(columns="bias").to_numpy()
        k = min(top, contrib.shape[1])
        order = np.argsort(-np.abs(contrib), axis=1, kind="stable")[:, :k]
        rows = np.repeat(np.arange(len(X)), k)
        cols = order.ravel()
        value = contrib[rows, cols]
        names = np.array(self.feature_names_)[cols]
        shown = X[self.feature_names_].reset_index(drop=True)
        texts = [_show(shown.iat[r, c]) for r, c in zip(rows, cols, strict=True)]
        return pd.DataFrame(
            {
                "row": rows,
                "rank": np.tile(np.arange(1, k + 1), len(X)),
                "feature": names,
                "value": texts,
                "contribution": value,
                "direction": np.where(value > 0, "raises risk", "lowers risk"),
            }
        )


def _logit(p: np.ndarray) -> np.ndarray:
    q = np.clip(np.asarray(p, dtype=float), 1e-9, 1 - 1e-9)
    return np.log(q / (1 - q))


def _show(value: object) -> str:
    """Return a feature value as short text: "missing", or a number to 3 significant digits."""
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
        return "missing"
    if isinstance(value, bool | np.bool_):
        return "yes" if value else "no"
    if isinstance(value, int | np.integer):
        return f"{int(value):,}"
    if isinstance(value, float | np.floating):
        x = float(value)
        return f"{x:,.0f}" if abs(x) >= 100 else f"{x:.3g}"
    return str(value)
