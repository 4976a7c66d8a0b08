"""The BG/NBD model of repeat purchasing (Fader, Hardie and Lee 2005)."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike
from scipy import optimize, special

from cxlens.errors import ArgumentError, NotEnoughDataError
from cxlens.models._validate import as_array, check_finite_nonnegative, check_rfm

PARAM_NAMES = ("r", "alpha", "a", "b")


def _log_likelihood_terms(
    params: np.ndarray, x: np.ndarray, t_x: np.ndarray, big_t: np.ndarray
) -> np.ndarray:
    """Per-customer BG/NBD log-likelihood (FHL 2005, eq. 6), combined by log-sum-exp."""
    r, alpha, a, b = params
    a1 = special.gammaln(r + x) - special.gammaln(r) + r * np.log(alpha)
    a2 = special.betaln(a, b + x) - special.betaln(a, b)
    a3 = -(r + x) * np.log(alpha + big_t)
    repeat = x > 0
    # log(a / (b + x - 1)) - (r + x) log(alpha + t_x); only for x > 0 (delta term).
    a4 = np.where(
        repeat,
        np.log(a) - np.log(np.where(repeat, b + x - 1, 1.0)) - (r + x) * np.log(alpha + t_x),
        -np.inf,
    )
    return a1 + a2 + np.logaddexp(a3, a4)


class BetaGeo:
    """BG/NBD ("beta-geometric / negative binomial") model of repeat purchases.

    Purchases while alive follow a Poisson process with rate lambda ~ Gamma(r, alpha); after
    each purchase a customer drops out with probability p ~ Beta(a, b). Estimated by maximum
    likelihood (Fader, Hardie & Lee 2005, "Counting Your Customers the Easy Way").

    Parameters
    ----------
    penalizer : float
        L2 penalty on the parameters, added to the mean negative log-likelihood
        (``penalizer * sum(params**2)``, as lifetimes does). 0 gives the plain MLE.

    Attributes
    ----------
    params_ : dict[str, float]
        Fitted ``r``, ``alpha``, ``a``, ``b``.
    log_likelihood_ : float
        Total log-likelihood of the data at ``params_`` (without the penalty).
    n_customers_ : int
        Number of customers fitted.

    Examples
    --------
    >>> model = BetaGeo().fit([2, 1, 0, 0, 3], [30.4, 1.7, 0.0, 0.0, 20.0], [38.9] * 5)
    >>> sorted(model.params_)
    ['a', 'alpha', 'b', 'r']
    """

    def __init__(self, penalizer: float = 0.0) -> None:
        self.penalizer = penalizer

    def fit(self, frequency: ArrayLike, recency: ArrayLike, T: ArrayLike) -> BetaGeo:
        """Fit the model by maximum likelihood.

        Identical (frequency, recency, T) rows are aggregated and weighted by their count;
        the log-parameters are optimised with L-BFGS-B.

        Parameters
        ----------
        frequency : array-like
            Number of repeat purchases per customer (whole numbers >= 0).
        recency : array-like
            Time of the last purchase since the first one (0 when frequency is 0).
        T : array-like
            Time from the first purchase to the end of the observation period.

        Returns
        -------
        BetaGeo
            ``self``, with ``params_`` and ``log_likelihood_`` set.

        Examples
        --------
        >>> model = BetaGeo().fit([2, 1, 0], [30.4, 1.7, 0.0], [38.9, 38.9, 38.9])
        >>> model.log_likelihood_ < 0
        True
        """
        if not (np.isfinite(self.penalizer) and self.penalizer >= 0):
            raise ArgumentError(f"penalizer must be a number >= 0, got {self.penalizer!r}")
        x, t_x, big_t = check_rfm(frequency, recency, T)
        if len(x) == 0:
            raise NotEnoughDataError("BetaGeo.fit needs at least one customer; got none")
        if not (x > 0).any():
            raise NotEnoughDataError(
                "BetaGeo.fit needs at least one customer with a repeat purchase "
                "(frequency > 0); every frequency is 0"
            )
        rows, counts = np.unique(np.column_stack([x, t_x, big_t]), axis=0, return_counts=True)
        ux, ut_x, ut = rows[:, 0], rows[:, 1], rows[:, 2]
        weights = counts.astype(float)
        n = weights.sum()
        penalizer = float(self.penalizer)

        def objective(log_params: np.ndarray) -> float:
            params = np.exp(log_params)
            ll = _log_likelihood_terms(params, ux, ut_x, ut)
            return -(weights @ ll) / n + penalizer * float(params @ params)

        scale = float(np.mean(big_t)) or 1.0
        start = np.log(np.array([1.0, scale, 1.0, 1.0]))
        result = optimize.minimize(
            objective,
            start,
            method="L-BFGS-B",
            options={"ftol": 1e-14, "gtol": 1e-10, "maxiter": 10_000},
        )
        params = np.exp(result.x)
        self.params_ = dict(zip(PARAM_NAMES, (float(v) for v in params), strict=True))
        self.log_likelihood_ = float(weights @ _log_likelihood_terms(params, ux, ut_x, ut))
        self.n_customers_ = int(n)
        self.converged_ = bool(result.success)
        return self

    def _fitted(self) -> tuple[float, float, float, float]:
        if not hasattr(self, "params_"):
            raise ArgumentError("this BetaGeo is not fitted yet; call fit(...) first")
        p = self.params_
        return p["r"], p["alpha"], p["a"], p["b"]

    def expected_purchases_new(self, t: ArrayLike) -> np.ndarray:
        """Return the expected purchases in (0, t] of a new, randomly chosen customer, E[X(t)].

        FHL 2005, eq. 9:
        ``(a+b-1)/(a-1) * [1 - (alpha/(alpha+t))**r * 2F1(r, b; a+b-1; t/(alpha+t))]``.

        Parameters
        ----------
        t : float or array-like
            Horizon(s) in the model's time units, >= 0.

        Returns
        -------
        numpy.ndarray
            Expected number of purchases for each ``t``.

        Examples
        --------
        >>> model = BetaGeo().fit([2, 1, 0], [30.4, 1.7, 0.0], [38.9, 38.9, 38.9])
        >>> float(model.expected_purchases_new(0)[0])
        0.0
        """
        r, alpha, a, b = self._fitted()
        tt = as_array(t, "t")
        check_finite_nonnegative(tt, "t")
        hyp = special.hyp2f1(r, b, a + b - 1, tt / (alpha + tt))
        return (a + b - 1) / (a - 1) * (1 - (alpha / (alpha + tt)) ** r * hyp)

    def expected_purchases(
        self, t: ArrayLike, frequency: ArrayLike, recency: ArrayLike, T: ArrayLike
    ) -> np.ndarray:
        """Return the expected purchases in the next ``t`` periods given a customer's history.

        FHL 2005, eq. 10, E[Y(t) | x, t_x, T]:
        ``(a+b+x-1)/(a-1) * [1 - ((alpha+T)/(alpha+T+t))**(r+x)
        * 2F1(r+x, b+x; a+b+x-1; t/(alpha+T+t))] / (1 + delta_{x>0} a/(b+x-1)
        * ((alpha+T)/(alpha+t_x))**(r+x))``.

        Parameters
        ----------
        t : float or array-like
            Horizon after T in the model's time units (scalar or one per customer).
        frequency, recency, T : array-like
            The customers' repeat purchases, recency and age, as in :meth:`fit`.

        Returns
        -------
        numpy.ndarray
            Conditional expected purchases per customer.

        Examples
        --------
        >>> model = BetaGeo().fit([2, 1, 0], [30.4, 1.7, 0.0], [38.9, 38.9, 38.9])
        >>> model.expected_purchases(0, [2], [30.4], [38.9]).tolist()
        [0.0]
        """
        r, alpha, a, b = self._fitted()
        x, t_x, big_t = check_rfm(frequency, recency, T)
        tt = as_array(t, "t")
        check_finite_nonnegative(tt, "t")
        if len(tt) not in (1, len(x)):
            raise ArgumentError(
                f"t must be one horizon or one per customer; got {len(tt)} for {len(x)} customers"
            )
        z = tt / (alpha + big_t + tt)
        hyp = special.hyp2f1(r + x, b + x, a + b + x - 1, z)
        numerator = 1 - ((alpha + big_t) / (alpha + big_t + tt)) ** (r + x) * hyp
        numerator = numerator * (a + b + x - 1) / (a - 1)
        return numerator / self._alive_denominator(x, t_x, big_t)

    def _alive_denominator(self, x: np.ndarray, t_x: np.ndarray, big_t: np.ndarray) -> np.ndarray:
        r, alpha, a, b = self._fitted()
        repeat = x > 0
        safe = np.where(repeat, b + x - 1, 1.0)
        ratio = np.exp((r + x) * (np.log(alpha + big_t) - np.log(alpha + t_x)))
        return 1 + np.where(repeat, a / safe * ratio, 0.0)

    def probability_alive(
        self, frequency: ArrayLike, recency: ArrayLike, T: ArrayLike
    ) -> np.ndarray:
        """Probability that each customer is still alive at T.

        Fader, Hardie & Lee, note "Computing P(alive) using the BG/NBD model":
        ``1 / (1 + delta_{x>0} a/(b+x-1) * ((alpha+T)/(alpha+t_x))**(r+x))``.
        Customers with no repeat purchase get 1.

        Parameters
        ----------
        frequency, recency, T : array-like
            The customers' repeat purchases, recency and age, as in :meth:`fit`.

        Returns
        -------
        numpy.ndarray
            P(alive) per customer, in (0, 1].

        Examples
        --------
        >>> model = BetaGeo().fit([2, 1, 0], [30.4, 1.7, 0.0], [38.9, 38.9, 38.9])
        >>> model.probability_alive([0], [0.0], [38.9]).tolist()
        [1.0]
        """
        x, t_x, big_t = check_rfm(frequency, recency, T)
        return 1 / self._alive_denominator(x, t_x, big_t)
