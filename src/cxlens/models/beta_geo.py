"""The BG/NBD model of repeat purchasing (Fader, Hardie and Lee 2005)."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike
from scipy import optimize, special
from threadpoolctl import threadpool_limits

from cxlens.errors import ArgumentError, NotEnoughDataError
from cxlens.models._validate import as_array, check_finite_nonnegative, check_rfm

PARAM_NAMES = ("r", "alpha", "a", "b")

#: Bounds of the log-parameters in the optimiser: parameters stay in [4e-18, 2e17], so a fit
#: that runs off to a boundary (no dropout seen, identical purchase rates) stays finite.
LOG_BOUNDS = (-40.0, 40.0)


def distinct_rows(*columns: np.ndarray) -> tuple[list[np.ndarray], list[np.ndarray], np.ndarray]:
    """Return the distinct rows of ``columns`` as codes into each column's distinct values.

    Each column is factorised by hashing (``pandas.factorize``, linear time), then the codes
    are combined into one integer key and factorised again: on a million rows this takes
    a few hundredths of a second, where ``numpy.unique(axis=0)`` sorts rows for a second.

    Returns:
        ``(codes, values, counts)``: per column, the code of each distinct row and the
        distinct values (``values[j][codes[j]]`` is column j of the distinct rows); and how
        many input rows each distinct row stands for.

    Example:
        >>> codes, values, counts = distinct_rows(np.array([1.0, 1.0, 2.0]), np.array([5, 5, 5]))
        >>> [values[0][codes[0]].tolist(), counts.tolist()]
        [[1.0, 2.0], [2.0, 1.0]]
    """
    factorised = [pd.factorize(column) for column in columns]
    codes = [np.asarray(c, dtype=np.int64) for c, _ in factorised]
    values = [np.asarray(v) for _, v in factorised]
    sizes = [max(len(v), 1) for v in values]
    if math.prod(sizes) < 2**62:
        key = codes[0]
        for code, size in zip(codes[1:], sizes[1:], strict=True):
            key = key * size + code
        key_codes, keys = pd.factorize(key)
        counts = np.bincount(key_codes).astype(float)
        out = []
        for size in reversed(sizes):
            out.append(keys % size)
            keys = keys // size
        return out[::-1], values, counts
    # Too many distinct values to pack the codes into one integer: sort rows instead.
    rows, counts = np.unique(np.column_stack(codes), axis=0, return_counts=True)
    return [rows[:, j] for j in range(len(codes))], values, counts.astype(float)


def fit_log_parameters(
    objective: Callable[..., tuple[float, np.ndarray]],
    start: np.ndarray,
    data: Any,
    penalizer: float,
) -> tuple[np.ndarray, float, bool]:
    """Fit positive parameters by L-BFGS-B on their logs: the one fitting rule of BG/NBD and GG.

    ``objective(log_params, data, penalizer)`` returns the mean negative log-likelihood per
    customer plus ``penalizer * sum(params**2)``, and its gradient; ``data.n`` is the number
    of customers.

    Returns:
        ``(params, log_likelihood, converged)``: the parameters, the total log-likelihood
        without the penalty, and whether the optimiser reported success.

    Example:
        >>> from types import SimpleNamespace
        >>> def f(z, data, pen):  # (log p - 1)^2, minimised at p = e
        ...     return float((z[0] - 1) ** 2), np.array([2 * (z[0] - 1)])
        >>> p, ll, ok = fit_log_parameters(f, np.zeros(1), SimpleNamespace(n=1), 0.0)
        >>> round(float(p[0]), 4), ok
        (2.7183, True)
    """
    # L-BFGS-B's BLAS calls are on vectors of 4: threads only wait for each other there.
    with threadpool_limits(limits=1, user_api="blas"):
        result = optimize.minimize(
            objective,
            start,
            args=(data, float(penalizer)),
            jac=True,
            method="L-BFGS-B",
            bounds=[LOG_BOUNDS] * len(start),
            options={"ftol": 1e-15, "gtol": 1e-10, "maxiter": 10_000},
        )
    params = np.exp(result.x)
    penalty = float(penalizer) * float(params @ params)
    return params, -(float(result.fun) - penalty) * data.n, bool(result.success)


def _dot(a: np.ndarray, b: np.ndarray) -> float:
    """Return the dot product of two 1-D arrays without BLAS.

    ``a @ b`` goes to a multithreaded BLAS ``ddot``; on a busy machine its threads wait for
    each other and a 300k-element product takes milliseconds instead of 0.1 ms, which made
    the whole fit ten times slower. ``einsum`` sums in numpy's own single-threaded loop.
    """
    return float(np.einsum("i,i->", a, b))


def scaled_hyp2f1(
    a: np.ndarray, b: np.ndarray, c: np.ndarray, z: np.ndarray, log_scale: np.ndarray
) -> np.ndarray:
    """Return ``exp(log_scale) * 2F1(a, b; c; z)`` for a, b, c > 0 and 0 <= z < 1.

    ``scipy.special.hyp2f1`` first; where it gives NaN or infinity (it does for a in the
    millions, which BG/NBD fits reach when every customer buys at nearly the same rate, e.g.
    subscriptions), the Gauss series is summed in log space (all its terms are positive),
    scale included, so neither the series nor the scale overflows.

    Returns:
        Array of the broadcast shape of the inputs.

    Example:
        >>> round(float(scaled_hyp2f1(1.0, 1.0, 2.0, 0.5, 0.0)[0]), 12)  # -log(1 - z) / z
        1.38629436112
    """
    a, b, c, z, log_scale = np.broadcast_arrays(
        *(np.atleast_1d(np.asarray(v, dtype=float)) for v in (a, b, c, z, log_scale))
    )
    with np.errstate(over="ignore", invalid="ignore"):
        out = np.exp(log_scale) * special.hyp2f1(a, b, c, z)
    bad = ~np.isfinite(out)
    if bad.any():
        out[bad] = _log_series(a[bad], b[bad], c[bad], z[bad], log_scale[bad])
    return out


def _log_series(
    a: np.ndarray, b: np.ndarray, c: np.ndarray, z: np.ndarray, log_total: np.ndarray
) -> np.ndarray:
    """Sum ``exp(log_scale) * sum_k (a)_k (b)_k / ((c)_k k!) z^k`` term by term in log space."""
    log_term = log_total.copy()
    log_z = np.log(np.where(z > 0, z, 1.0))
    active = z > 0
    k = 0
    # Terms grow while (a+k)(b+k)z > (c+k)(k+1), then fall geometrically (ratio -> z < 1).
    while active.any() and k < 10_000_000:
        step = np.log((a + k) * (b + k)) - np.log((c + k) * (k + 1)) + log_z
        log_term = np.where(active, log_term + step, log_term)
        log_total = np.where(active, np.logaddexp(log_total, log_term), log_total)
        active &= (step > 0) | (log_term - log_total > -40.0)
        k += 1
    return np.exp(log_total)


@dataclass(frozen=True)
class _Compressed:
    """BG/NBD data reduced to what the likelihood needs.

    Every term but one depends on x alone (``xs``, ``per_x``), or, for customers without a
    repeat purchase, on T alone (``no_repeat_per_t``). Only repeat customers' distinct
    (x, t_x, T) rows (codes ``ix``, ``it``, ``ib`` and counts ``counts``) need row-wise work.
    """

    xs: np.ndarray
    per_x: np.ndarray
    repeat_per_x: np.ndarray
    recencies: np.ndarray
    ages: np.ndarray
    no_repeat_per_t: np.ndarray
    ix: np.ndarray
    it: np.ndarray
    ib: np.ndarray
    x_rows: np.ndarray
    counts: np.ndarray
    n: float

    @classmethod
    def build(cls, x: np.ndarray, t_x: np.ndarray, big_t: np.ndarray) -> _Compressed:
        (ix, it, ib), (xs, recencies, ages), counts = distinct_rows(x, t_x, big_t)
        repeat = xs[ix] > 0
        per_x = np.bincount(ix, weights=counts, minlength=len(xs))
        return cls(
            xs=xs,
            per_x=per_x,
            repeat_per_x=np.where(xs > 0, per_x, 0.0),
            recencies=recencies,
            ages=ages,
            no_repeat_per_t=np.bincount(ib[~repeat], weights=counts[~repeat], minlength=len(ages)),
            ix=ix[repeat],
            it=it[repeat],
            ib=ib[repeat],
            x_rows=xs[ix[repeat]],
            counts=counts[repeat],
            n=float(counts.sum()),
        )


def _objective(
    log_params: np.ndarray, d: _Compressed, penalizer: float
) -> tuple[float, np.ndarray]:
    """Mean negative log-likelihood (plus penalty) and its gradient in the log-parameters.

    The likelihood is FHL 2005 eq. 6 written as ``A1 + A2 + log(exp(A3) + exp(A4))``; for a
    repeat customer ``log(exp(A3) + exp(A4)) = A4 + log1p(exp(e))`` with ``e = A3 - A4 =
    log(b+x-1) - log(a) - (r+x) log((alpha+T)/(alpha+t_x))``, which is bounded above because
    T >= t_x, so ``exp(e)`` cannot overflow (it is clipped at 700 all the same). The gradient
    is analytic (digamma for the gamma functions, ``w3 = sigmoid(e)`` weighting A3's terms).
    """
    params = np.exp(log_params)
    r, alpha, a, b = params
    xs, per_x, n = d.xs, d.per_x, d.n
    # A1 and A2 summed over customers: functions of x only.
    ll = _dot(
        per_x, special.gammaln(r + xs) + special.gammaln(b + xs) - special.gammaln(a + b + xs)
    )
    ll += n * (r * np.log(alpha) - special.gammaln(r) - special.gammaln(b) + special.gammaln(a + b))
    grad_r = _dot(per_x, special.digamma(r + xs)) + n * (np.log(alpha) - special.digamma(r))
    grad_alpha = n * r / alpha
    grad_a = n * special.digamma(a + b) - _dot(per_x, special.digamma(a + b + xs))
    grad_b = grad_a + _dot(per_x, special.digamma(b + xs)) - n * special.digamma(b)
    log_age, log_rec = np.log(alpha + d.ages), np.log(alpha + d.recencies)
    # No repeat purchase: the likelihood is A1 + A2 + A3 with x = 0, a function of T.
    ll -= r * _dot(d.no_repeat_per_t, log_age)
    grad_r -= _dot(d.no_repeat_per_t, log_age)
    grad_alpha -= r * _dot(d.no_repeat_per_t, 1 / (alpha + d.ages))
    # Repeat customers, one row per distinct (x, t_x, T).
    rx = r + d.x_rows
    # b + (x - 1), not b + x - 1: with x = 1 and b at its lower bound (4e-18) the latter
    # rounds to 0 (log -> -inf, 1/0 -> inf); the former is exactly b > 0.
    log_b = np.log(np.where(xs > 0, b + (xs - 1), 1.0))
    row_age, row_rec = log_age[d.ib], log_rec[d.it]
    e = log_b[d.ix] - np.log(a) - rx * (row_age - row_rec)
    exp_e = np.exp(np.minimum(e, 700.0))
    soft = np.log1p(exp_e) + np.maximum(e - 700.0, 0.0)
    w3 = d.counts * (exp_e / (1 + exp_e))
    w4 = d.counts - w3
    ll += d.counts.sum() * np.log(a) - _dot(d.repeat_per_x, log_b)
    ll += _dot(d.counts, soft - rx * row_rec)
    grad_r -= _dot(w3, row_age) + _dot(w4, row_rec)
    grad_alpha -= _dot(w3, rx / (alpha + d.ages)[d.ib]) + _dot(w4, rx / (alpha + d.recencies)[d.it])
    grad_a += w4.sum() / a
    grad_b -= _dot(w4, 1 / (b + (d.x_rows - 1)))
    grad = np.array([grad_r, grad_alpha, grad_a, grad_b]) * params  # chain rule: d/dlog p
    value = -ll / n + penalizer * float(params @ params)
    return float(value), -grad / n + 2 * penalizer * params * params


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

        Identical (frequency, recency, T) rows are aggregated and weighted by their count
        (the terms that depend on x alone are summed per distinct x); the mean negative
        log-likelihood and its analytic gradient go to L-BFGS-B over the log-parameters.

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
        data = _Compressed.build(x, t_x, big_t)
        scale = float(np.mean(big_t)) or 1.0
        start = np.log(np.array([1.0, scale, 1.0, 1.0]))
        params, self.log_likelihood_, self.converged_ = fit_log_parameters(
            _objective, start, data, self.penalizer
        )
        self.params_ = dict(zip(PARAM_NAMES, (float(v) for v in params), strict=True))
        self.n_customers_ = int(data.n)
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
        scaled = scaled_hyp2f1(r, b, a + b - 1, tt / (alpha + tt), r * np.log(alpha / (alpha + tt)))
        return (a + b - 1) / (a - 1) * (1 - scaled)

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
        log_scale = (r + x) * (np.log(alpha + big_t) - np.log(alpha + big_t + tt))
        scaled = scaled_hyp2f1(r + x, b + x, a + b + x - 1, z, log_scale)
        numerator = (1 - scaled) * (a + b + x - 1) / (a - 1)
        return numerator / self._alive_denominator(x, t_x, big_t)

    def _alive_denominator(self, x: np.ndarray, t_x: np.ndarray, big_t: np.ndarray) -> np.ndarray:
        r, alpha, a, b = self._fitted()
        repeat = x > 0
        safe = np.where(repeat, b + (x - 1), 1.0)  # exact for x = 1 and a tiny b
        with np.errstate(over="ignore"):  # an overflow means P(alive) = 0
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
