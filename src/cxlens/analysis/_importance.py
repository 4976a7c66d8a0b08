"""Relative-importance arithmetic on stacks of correlation matrices (no data, no checks).

Every function takes ``corr``: resamples x m x m correlation matrices whose first row and
column is the target and the rest the drivers, and works on all resamples at once. Inputs
are validated in :mod:`cxlens.analysis.drivers`; a singular resample gives NaN.
"""

from __future__ import annotations

from itertools import combinations
from math import factorial

import numpy as np
from numpy.typing import NDArray

FloatArray = NDArray[np.float64]

#: Largest number of drivers the Shapley decomposition accepts (2**15 regressions).
MAX_SHAPLEY_DRIVERS = 15
#: Smallest eigenvalue of the drivers' correlation matrix treated as non-singular.
EIGEN_FLOOR = 1e-10
#: Most floats one batched solve of the subset regressions may hold.
_SOLVE_CHUNK = 4_000_000


def _split(corr: FloatArray) -> tuple[FloatArray, FloatArray]:
    corr = np.asarray(corr, dtype=np.float64)
    if corr.ndim == 2:
        corr = corr[None]
    return corr[:, 1:, 1:], corr[:, 1:, 0]


def standardized_coefficients(corr: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Standardized OLS coefficients ``Rxx^-1 rxy`` and R² ``rxy' Rxx^-1 rxy``.

    Example:
        >>> c = np.array([[1.0, 0.5, 0.3], [0.5, 1.0, 0.0], [0.3, 0.0, 1.0]])
        >>> beta, r2 = standardized_coefficients(c)
        >>> beta.round(2).tolist(), round(float(r2[0]), 2)
        ([[0.5, 0.3]], 0.34)
    """
    rxx, rxy = _split(corr)
    out = np.full(rxy.shape, np.nan)
    ok = np.all(np.isfinite(rxx), axis=(1, 2)) & np.all(np.isfinite(rxy), axis=1)
    if ok.any():
        try:
            out[ok] = np.linalg.solve(rxx[ok], rxy[ok][..., None])[..., 0]
        except np.linalg.LinAlgError:
            for i in np.flatnonzero(ok):
                try:
                    out[i] = np.linalg.solve(rxx[i], rxy[i])
                except np.linalg.LinAlgError:
                    out[i] = np.nan
    return out, np.einsum("bp,bp->b", out, rxy)


def symmetric_root(rxx: FloatArray) -> FloatArray:
    """Symmetric square root ``Q Λ^½ Qᵀ`` of each matrix (NaN where one is not positive definite).

    Example:
        >>> r = symmetric_root(np.array([[[1.0, 0.6], [0.6, 1.0]]]))
        >>> np.allclose(r[0] @ r[0], [[1.0, 0.6], [0.6, 1.0]])
        True
    """
    out = np.full(rxx.shape, np.nan)
    ok = np.all(np.isfinite(rxx), axis=(1, 2))
    if ok.any():
        vals, vecs = np.linalg.eigh(rxx[ok])
        good = vals.min(axis=1) > EIGEN_FLOOR
        roots = (vecs * np.sqrt(np.clip(vals, 0.0, None))[:, None, :]) @ np.swapaxes(vecs, 1, 2)
        roots[~good] = np.nan
        out[ok] = roots
    return out


def relative_weights_from_corr(corr: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Johnson's (2000) relative weights of the drivers: raw weights and R².

    With the drivers' correlation matrix ``Rxx = Q Λ Qᵀ``: ``Λ* = Q Λ^½ Qᵀ`` holds the
    correlations of the drivers with their closest orthogonal counterparts Z;
    ``β = Λ*⁻¹ rxy`` are the standardized coefficients of the target on Z; the raw weight of
    driver j is ``ε_j = Σ_k Λ*_jk² β_k²``. The raw weights add up to R² ``= Σ_k β_k²``.

    Returns:
        ``(raw, r2)``: resamples x drivers and resamples.

    Example:
        >>> c = np.array([[1.0, 0.5, 0.3], [0.5, 1.0, 0.0], [0.3, 0.0, 1.0]])
        >>> raw, r2 = relative_weights_from_corr(c)
        >>> raw.round(4).tolist(), round(float(r2[0]), 4)
        ([[0.25, 0.09]], 0.34)
    """
    rxx, rxy = _split(corr)
    root = symmetric_root(rxx)
    ok = np.all(np.isfinite(root), axis=(1, 2)) & np.all(np.isfinite(rxy), axis=1)
    beta = np.full(rxy.shape, np.nan)
    if ok.any():
        beta[ok] = np.linalg.solve(root[ok], rxy[ok][..., None])[..., 0]
    raw = np.einsum("bjk,bk->bj", root**2, beta**2)
    return raw, np.sum(beta**2, axis=1)


def _masks_by_size(p: int) -> dict[int, tuple[NDArray[np.int64], NDArray[np.int64]]]:
    """For each subset size s: the bit masks of all s-subsets of p drivers and their members."""
    out = {}
    for s in range(1, p + 1):
        members = np.array(list(combinations(range(p), s)), dtype=np.int64)
        masks = (np.int64(1) << members).sum(axis=1)
        out[s] = (masks, members)
    return out


def subset_r2(corr: FloatArray) -> FloatArray:
    """R² of the regression of the target on every subset of the drivers.

    ``R²(S) = r_Sᵀ R_SS⁻¹ r_S`` from the correlation matrix alone (no refit on rows).

    Returns:
        resamples x 2**p array indexed by the subset's bit mask (bit j = driver j); entry 0
        (the empty subset) is 0.

    Example:
        >>> c = np.array([[1.0, 0.5, 0.3], [0.5, 1.0, 0.0], [0.3, 0.0, 1.0]])
        >>> subset_r2(c).round(4).tolist()
        [[0.0, 0.25, 0.09, 0.34]]
    """
    rxx, rxy = _split(corr)
    b, p = rxy.shape
    out = np.zeros((b, 2**p))
    for s, (masks, members) in _masks_by_size(p).items():
        step = max(1, _SOLVE_CHUNK // max(1, b * s * s))
        for lo in range(0, len(masks), step):
            mem = members[lo : lo + step]
            sub = rxx[:, mem[:, :, None], mem[:, None, :]]  # b x M x s x s
            rhs = rxy[:, mem]  # b x M x s
            try:
                sol = np.linalg.solve(sub, rhs[..., None])[..., 0]
            except np.linalg.LinAlgError:
                sol = np.full(rhs.shape, np.nan)
            out[:, masks[lo : lo + step]] = np.einsum("bms,bms->bm", sol, rhs)
    return out


def shapley_from_corr(corr: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Shapley values of R² over the drivers (Shapley regression / LMG): raw values and R².

    ``φ_j = Σ_{S ⊆ P∖{j}} |S|! (p - |S| - 1)! / p! · (R²(S ∪ {j}) - R²(S))``; the values
    add up to the R² of the full model.

    Returns:
        ``(raw, r2)``: resamples x drivers and resamples.

    Example:
        >>> c = np.array([[1.0, 0.5, 0.3], [0.5, 1.0, 0.0], [0.3, 0.0, 1.0]])
        >>> raw, r2 = shapley_from_corr(c)
        >>> raw.round(4).tolist()
        [[0.25, 0.09]]
    """
    r2 = subset_r2(corr)
    p = r2.shape[1].bit_length() - 1
    masks = np.arange(2**p, dtype=np.int64)
    size = np.array([bin(int(m)).count("1") for m in masks])
    weight = np.array([factorial(s) * factorial(p - s - 1) / factorial(p) if s < p else 0.0
                       for s in size])  # fmt: skip
    raw = np.empty((r2.shape[0], p))
    for j in range(p):
        bit = np.int64(1) << j
        without = masks[(masks & bit) == 0]
        raw[:, j] = (r2[:, without | bit] - r2[:, without]) @ weight[without]
    return raw, r2[:, -1]


def logit_fit(
    design: FloatArray, y: FloatArray, weights: FloatArray, *, max_iter: int = 60
) -> FloatArray:
    """Maximum-likelihood logistic regression by Newton's method (IRLS), one fit per weight row.

    All fits share the design; only the frequency weights differ, so each Newton step needs
    ``W·μ(1-μ) @ (x_i x_j)`` and ``W·(y - μ) @ X`` for the whole batch at once.

    Args:
        design: patterns x q, with the intercept column included.
        y: outcome (0/1) per pattern.
        weights: fits x patterns frequency weights.
        max_iter: Newton steps before a fit counts as not converged (NaN).

    Returns:
        fits x q coefficients; NaN rows where a fit did not converge (e.g. separation).

    Example:
        >>> x = np.array([[1.0, 0.0], [1.0, 0.0], [1.0, 1.0], [1.0, 1.0]])
        >>> y = np.array([0.0, 1.0, 0.0, 1.0])
        >>> logit_fit(x, y, np.array([[3.0, 1.0, 1.0, 3.0]])).round(4).tolist()
        [[-1.0986, 2.1972]]
    """
    w = np.atleast_2d(np.asarray(weights, dtype=np.float64))
    q = design.shape[1]
    iu, ju = np.triu_indices(q)
    outer = design[:, iu] * design[:, ju]
    share = np.clip((w @ y) / w.sum(axis=1), 1e-6, 1 - 1e-6)
    coef = np.zeros((w.shape[0], q))
    coef[:, 0] = np.log(share / (1.0 - share))
    done = np.zeros(w.shape[0], dtype=bool)
    with np.errstate(all="ignore"):
        for _ in range(max_iter):
            mu = 1.0 / (1.0 + np.exp(-(coef @ design.T)))
            hess = np.empty((w.shape[0], q, q))
            hess[:, iu, ju] = (w * mu * (1.0 - mu)) @ outer
            hess[:, ju, iu] = hess[:, iu, ju]
            grad = (w * (y - mu)) @ design
            try:
                step = np.linalg.solve(hess, grad[..., None])[..., 0]
            except np.linalg.LinAlgError:
                step = np.full(grad.shape, np.nan)
            step[done] = 0.0
            coef = coef + step
            done |= np.max(np.abs(step), axis=1) < 1e-10 * (1.0 + np.max(np.abs(coef), axis=1))
            if done.all():
                break
    coef[~done] = np.nan
    return coef


def _weighted_r(a: FloatArray, b: FloatArray, w: FloatArray) -> FloatArray:
    """Row-wise weighted Pearson correlation of a and b (fits x patterns) under weights w."""
    total = w.sum(axis=1, keepdims=True)
    ma = (w * a).sum(axis=1, keepdims=True) / total
    mb = (w * b).sum(axis=1, keepdims=True) / total
    cov = (w * (a - ma) * (b - mb)).sum(axis=1)
    va = (w * (a - ma) ** 2).sum(axis=1)
    vb = (w * (b - mb) ** 2).sum(axis=1)
    return cov / np.sqrt(va * vb)


def logistic_relative_weights(
    values: FloatArray, weights: FloatArray, driver_corr: FloatArray, driver_sd: FloatArray
) -> tuple[FloatArray, FloatArray]:
    """Relative weights for a binary outcome (Tonidandel & LeBreton 2010), one per weight row.

    Fits the logistic regression of the outcome on the drivers, re-expresses its coefficients
    on the orthogonal counterparts ``Z = X_std Λ*⁻¹`` of the standardized drivers (a linear
    re-parameterisation, so the fit and its predictions are the same: ``b_Z = Λ* (sd ⊙ b)``),
    standardizes them fully (``β = b_Z · R / sd(logit ŷ)`` with ``R`` the correlation of the
    predicted probability with the outcome) and returns ``ε_j = Σ_k Λ*_jk² β_k²``, which add
    up to ``R²``.

    Args:
        values: patterns x (1 + p): the 0/1 outcome, then the drivers.
        weights: fits x patterns frequency weights.
        driver_corr: fits x p x p correlation matrices of the drivers under those weights.
        driver_sd: fits x p standard deviations of the drivers under those weights.

    Returns:
        ``(raw, r2)``: fits x p and fits.
    """
    w = np.atleast_2d(weights)
    y = values[:, 0]
    design = np.column_stack([np.ones(len(values)), values[:, 1:]])
    coef = logit_fit(design, y, w)
    with np.errstate(all="ignore"):
        eta = coef @ design.T
        mu = 1.0 / (1.0 + np.exp(-eta))
        r = _weighted_r(mu, np.broadcast_to(y, mu.shape), w)
        total = w.sum(axis=1, keepdims=True)
        centred = eta - (w * eta).sum(axis=1, keepdims=True) / total
        sd_eta = np.sqrt((w * centred**2).sum(axis=1) / total[:, 0])
        root = symmetric_root(driver_corr)
        b_z = np.einsum("bjk,bk->bj", root, coef[:, 1:] * driver_sd)
        beta = b_z * (r / sd_eta)[:, None]
        raw = np.einsum("bjk,bk->bj", root**2, beta**2)
    return raw, r**2
