"""Input checks shared by the CLV models; every message names the first bad row and the rule."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import ArrayLike

from cxlens.errors import ArgumentError


def as_array(values: ArrayLike, name: str) -> np.ndarray:
    """Return ``values`` as a 1-D float array, or raise ArgumentError naming ``name``."""
    try:
        array = np.asarray(values, dtype=float)
    except (TypeError, ValueError) as exc:
        raise ArgumentError(f"{name} must be numeric: {exc}") from exc
    if array.ndim == 0:
        array = array.reshape(1)
    if array.ndim != 1:
        raise ArgumentError(f"{name} must be one-dimensional, got shape {array.shape}")
    return array


def first_bad(mask: np.ndarray) -> int:
    """Return the index of the first True in ``mask``."""
    return int(np.flatnonzero(mask)[0])


def check_same_length(arrays: Sequence[np.ndarray], names: Sequence[str]) -> None:
    """Raise ArgumentError unless every array has the same length."""
    lengths = {name: len(array) for name, array in zip(names, arrays, strict=True)}
    if len(set(lengths.values())) > 1:
        described = ", ".join(f"{name}={n}" for name, n in lengths.items())
        raise ArgumentError(f"inputs must have the same length; got {described}")


def check_finite_nonnegative(array: np.ndarray, name: str) -> None:
    """Raise ArgumentError at the first NaN/infinite or negative value of ``array``."""
    bad = ~np.isfinite(array)
    if bad.any():
        i = first_bad(bad)
        raise ArgumentError(
            f"{name} must be finite (no NaN or infinity); row {i} is {array[i]}. "
            "Drop or fill missing values first."
        )
    bad = array < 0
    if bad.any():
        i = first_bad(bad)
        raise ArgumentError(f"{name} must be >= 0; row {i} is {array[i]}")


def check_rfm(
    frequency: ArrayLike, recency: ArrayLike, T: ArrayLike
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Validate frequency/recency/T and return them as float arrays.

    Rules: same length, finite, non-negative, integer frequency, recency <= T.
    """
    x = as_array(frequency, "frequency")
    t_x = as_array(recency, "recency")
    big_t = as_array(T, "T")
    check_same_length([x, t_x, big_t], ["frequency", "recency", "T"])
    for array, name in ((x, "frequency"), (t_x, "recency"), (big_t, "T")):
        check_finite_nonnegative(array, name)
    bad = x != np.round(x)
    if bad.any():
        i = first_bad(bad)
        raise ArgumentError(
            f"frequency must be a whole number of repeat purchases; row {i} is {x[i]}"
        )
    bad = t_x > big_t
    if bad.any():
        i = first_bad(bad)
        raise ArgumentError(
            f"recency must be <= T (the last purchase cannot come after the end of the "
            f"observation period); row {i} has recency={t_x[i]} and T={big_t[i]}"
        )
    return x, t_x, big_t
