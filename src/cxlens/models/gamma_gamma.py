"""The Gamma-Gamma model of average spend per transaction (Fader, Hardie and Lee 2005)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike
from scipy import special

from cxlens.errors import ArgumentError, NotEnoughDataError
from cxlens.models._validate import (
    as_array,
    check_finite_nonnegative,
    check_same_length,
    first_bad,
)
from cxlens.models.beta_geo import BetaGeo, _dot, distinct_rows, fit_log_parameters

PARAM_NAMES = ("p", "q", "gamma")


def _check_spend(frequency: ArrayLike, monetary_value: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    """Validate frequency and average spend; keep the repeat customers (frequency > 0)."""
    x = as_array(frequency, "frequency")
    m = as_array(monetary_value, "monetary_value")
    check_same_length([x, m], ["frequency", "monetary_value"])
    check_finite_nonnegative(x, "frequency")
    bad = x != np.round(x)
    if bad.any():
        i = first_bad(bad)
        raise ArgumentError(
            f"frequency must be a whole number of repeat purchases; row {i} is {x[i]}"
        )
    bad = ~np.isfinite(m)
    if bad.any():
        i = first_bad(bad)
        raise ArgumentError(
            f"monetary_value must be finite (no NaN or infinity); row {i} is {m[i]}. "
            "Drop or fill missing values first."
        )
    bad = (x > 0) & (m <= 0)
    if bad.any():
        i = first_bad(bad)
        raise ArgumentError(
            f"monetary_value must be > 0 for repeat customers (frequency > 0); row {i} is "
            f"{m[i]}. The Gamma-Gamma model needs positive spend; drop refunds or zero orders."
        )
    return x, m


@dataclass(frozen=True)
class _Compressed:
    """Repeat customers' (x, zbar) reduced to distinct rows and per-x sums.

    Terms in x alone are summed per distinct x (``xs``, ``per_x``); the terms linear in the
    parameters (``sum x log zbar``, ``sum log zbar``, ``sum x log x``) are summed once; only
    ``log(gamma + x zbar)`` needs a pass over the distinct rows (``x_rows``, ``spend_rows``).
    """

    xs: np.ndarray
    per_x: np.ndarray
    counts: np.ndarray
    x_rows: np.ndarray
    spend_rows: np.ndarray
    sum_x_log_m: float
    sum_log_m: float
    sum_x_log_x: float
    n: float

    @classmethod
    def build(cls, x: np.ndarray, m: np.ndarray) -> _Compressed:
        (ix, im), (xs, ms), counts = distinct_rows(x, m)
        x_rows, log_m = xs[ix], np.log(ms[im])
        per_x = np.bincount(ix, weights=counts, minlength=len(xs))
        return cls(
            xs=xs,
            per_x=per_x,
            counts=counts,
            x_rows=x_rows,
            spend_rows=x_rows * ms[im],
            sum_x_log_m=_dot(counts, x_rows * log_m),
            sum_log_m=_dot(counts, log_m),
            sum_x_log_x=_dot(per_x, xs * np.log(xs)),
            n=float(counts.sum()),
        )


def _objective(
    log_params: np.ndarray, d: _Compressed, penalizer: float
) -> tuple[float, np.ndarray]:
    """Mean negative log-likelihood (plus penalty) and its analytic gradient in log-parameters.

    Per customer: ``gammaln(px+q) - gammaln(px) - gammaln(q) + q log(gamma) + (px-1) log(zbar)
    + px log(x) - (px+q) log(gamma + x zbar)``.
    """
    params = np.exp(log_params)
    p, q, gamma = params
    xs, per_x, n = d.xs, d.per_x, d.n
    px = p * xs
    ll = _dot(per_x, special.gammaln(px + q) - special.gammaln(px))
    ll += n * (q * np.log(gamma) - special.gammaln(q))
    ll += p * (d.sum_x_log_m + d.sum_x_log_x) - d.sum_log_m
    psi = special.digamma(px + q)
    grad_p = _dot(per_x, xs * (psi - special.digamma(px))) + d.sum_x_log_m + d.sum_x_log_x
    grad_q = _dot(per_x, psi) + n * (np.log(gamma) - special.digamma(q))
    grad_gamma = n * q / gamma
    total = gamma + d.spend_rows
    log_total = np.log(total)
    weight = d.counts * (p * d.x_rows + q)
    ll -= _dot(weight, log_total)
    grad_p -= _dot(d.counts * d.x_rows, log_total)
    grad_q -= _dot(d.counts, log_total)
    grad_gamma -= _dot(weight, 1 / total)
    grad = np.array([grad_p, grad_q, grad_gamma]) * params  # chain rule: d/dlog p
    value = -ll / n + penalizer * float(params @ params)
    return float(value), -grad / n + 2 * penalizer * params * params


class GammaGamma:
    """Gamma-Gamma model of the average value of a customer's transactions.

    Each transaction value is Gamma(p, nu) with nu ~ Gamma(q, gamma) across customers;
    spend is assumed independent of purchase frequency. Fitted on repeat customers only
    (Fader, Hardie & Lee 2005, "The Gamma-Gamma Model of Monetary Value").

    Parameters
    ----------
    penalizer : float
        L2 penalty on the parameters, added to the mean negative log-likelihood. 0 gives
        the plain MLE.

    Attributes
    ----------
    params_ : dict[str, float]
        Fitted ``p``, ``q``, ``gamma``.
    log_likelihood_ : float
        Total log-likelihood over the repeat customers at ``params_``.
    n_customers_ : int
        Number of repeat customers used in the fit.

    Examples
    --------
    >>> model = GammaGamma().fit([1, 2, 3, 1, 0], [10.0, 25.0, 14.0, 40.0, 0.0])
    >>> model.n_customers_
    4
    """

    def __init__(self, penalizer: float = 0.0) -> None:
        self.penalizer = penalizer

    def fit(self, frequency: ArrayLike, monetary_value: ArrayLike) -> GammaGamma:
        """Fit the model by maximum likelihood on the customers with frequency > 0.

        Parameters
        ----------
        frequency : array-like
            Number of repeat purchases per customer (whole numbers >= 0).
        monetary_value : array-like
            Average value of the repeat purchases (> 0 where frequency > 0; ignored
            where frequency is 0).

        Returns
        -------
        GammaGamma
            ``self``, with ``params_`` and ``log_likelihood_`` set.

        Examples
        --------
        >>> model = GammaGamma().fit([1, 2, 3, 1], [10.0, 25.0, 14.0, 40.0])
        >>> sorted(model.params_)
        ['gamma', 'p', 'q']
        """
        if not (np.isfinite(self.penalizer) and self.penalizer >= 0):
            raise ArgumentError(f"penalizer must be a number >= 0, got {self.penalizer!r}")
        x, m = _check_spend(frequency, monetary_value)
        repeat = x > 0
        if not repeat.any():
            raise NotEnoughDataError(
                "GammaGamma.fit needs customers with repeat purchases (frequency > 0); "
                f"none among {len(x)} rows"
            )
        data = _Compressed.build(x[repeat], m[repeat])
        start = np.log(np.array([1.0, 1.0, float(np.mean(m[repeat]))]))
        params, self.log_likelihood_, self.converged_ = fit_log_parameters(
            _objective, start, data, self.penalizer
        )
        self.params_ = dict(zip(PARAM_NAMES, (float(v) for v in params), strict=True))
        self.n_customers_ = int(data.n)
        return self

    def _fitted(self) -> tuple[float, float, float]:
        if not hasattr(self, "params_"):
            raise ArgumentError("this GammaGamma is not fitted yet; call fit(...) first")
        return self.params_["p"], self.params_["q"], self.params_["gamma"]

    def expected_average_value(self, frequency: ArrayLike, monetary_value: ArrayLike) -> np.ndarray:
        """Return the expected average transaction value per customer, E[Z | x, zbar].

        FHL 2005 (Gamma-Gamma note), eq. 5:
        ``(q-1)/(p*x+q-1) * gamma*p/(q-1) + p*x/(p*x+q-1) * zbar``, i.e.
        ``p * (gamma + x*zbar) / (p*x + q - 1)``. Customers with x = 0 get the population
        mean ``gamma*p/(q-1)``.

        Parameters
        ----------
        frequency : array-like
            Number of repeat purchases per customer.
        monetary_value : array-like
            Observed average repeat spend (zbar); ignored where frequency is 0.

        Returns
        -------
        numpy.ndarray
            Expected average spend per customer.

        Examples
        --------
        >>> model = GammaGamma().fit([1, 2, 3, 1], [10.0, 25.0, 14.0, 40.0])
        >>> model.expected_average_value([2], [25.0]).shape
        (1,)
        """
        p, q, gamma = self._fitted()
        x, m = _check_spend(frequency, monetary_value)
        m = np.where(x > 0, m, 0.0)
        return p * (gamma + x * m) / (p * x + q - 1)

    def customer_lifetime_value(
        self,
        beta_geo: BetaGeo,
        frequency: ArrayLike,
        recency: ArrayLike,
        T: ArrayLike,
        monetary_value: ArrayLike,
        time: int = 12,
        discount_rate: float = 0.0,
    ) -> np.ndarray:
        """Discounted expected value of each customer's purchases over the next ``time`` periods.

        ``sum_{i=1..time} (E[Y(i)] - E[Y(i-1)]) * E[Z] / (1 + discount_rate)**i``, where
        ``E[Y(i)]`` is ``beta_geo.expected_purchases`` and ``E[Z]`` is
        :meth:`expected_average_value` (the approach of the lifetimes package, with the
        horizon and the discount rate in the BG/NBD model's own time units).

        Parameters
        ----------
        beta_geo : BetaGeo
            A fitted BG/NBD model, in the time units of ``recency`` and ``T``.
        frequency, recency, T : array-like
            The customers' repeat purchases, recency and age.
        monetary_value : array-like
            Observed average repeat spend per customer.
        time : int
            Number of periods (model time units) to sum over, >= 1.
        discount_rate : float
            Discount rate per period, >= 0 (e.g. 0.01 for 1% per period).

        Returns
        -------
        numpy.ndarray
            Expected discounted value per customer.

        Examples
        --------
        >>> bg = BetaGeo().fit([2, 1, 0], [30.4, 1.7, 0.0], [38.9, 38.9, 38.9])
        >>> gg = GammaGamma().fit([1, 2, 3, 1], [10.0, 25.0, 14.0, 40.0])
        >>> clv = gg.customer_lifetime_value(bg, [2], [30.4], [38.9], [25.0], time=4)
        >>> bool(clv[0] > 0)
        True
        """
        if isinstance(time, bool) or not isinstance(time, int | np.integer) or time < 1:
            raise ArgumentError(f"time must be a whole number of periods >= 1, got {time!r}")
        if not (np.isfinite(discount_rate) and discount_rate >= 0):
            raise ArgumentError(f"discount_rate must be a number >= 0, got {discount_rate!r}")
        value = self.expected_average_value(frequency, monetary_value)
        total = np.zeros_like(value)
        previous = np.zeros_like(value)
        for i in range(1, int(time) + 1):
            current = beta_geo.expected_purchases(i, frequency, recency, T)
            total += (current - previous) * value / (1 + discount_rate) ** i
            previous = current
        return total
