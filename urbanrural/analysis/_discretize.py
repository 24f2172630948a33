"""Discretisation of continuous factors for the geographical detector (plumbing).

Every method returns the classes' upper bounds (``bins``, the last one the maximum) and
units are classed as mapclassify does: class ``i`` holds ``bins[i-1] < x <= bins[i]``.
Classes that come out empty are dropped, so a factor may end with fewer strata than
asked; :func:`merge_singletons` then folds every one-unit class into its nearer
neighbour (a stratum of one unit has no variance).

Methods (``METHODS``, Song et al. 2020's set; the R packages GD and gdverse use the same):

- ``equal``: k intervals of equal width over [min, max] (= mapclassify ``EqualInterval``).
- ``quantile``: bounds at the 100 i / k percentiles, numpy's linear interpolation
  (= mapclassify ``Quantiles``); tied values can merge classes.
- ``natural``: Fisher-Jenks optimal breaks (mapclassify ``FisherJenks``, exact; its cost
  grows as k n^2, a few seconds for 5,000 distinct values).
- ``geometric``: bounds min * r^i with r = (max / min)^(1/k) (GD's definition); needs
  every value > 0, otherwise the method does not apply.
- ``sd``: k classes one standard deviation (population) wide, centred on the mean
  (bounds at mean + s (j - k/2), j = 1..k-1; the outer classes are open), so k = 4 has
  bounds at mean - s, mean, mean + s. Classes beyond the data are empty and dropped.

Examples
--------
>>> x = [1.0, 2.0, 3.0, 4.0, 10.0, 11.0, 12.0, 30.0]
>>> breaks(x, "natural", 3).tolist()
[4.0, 12.0, 30.0]
>>> classify(x, breaks(x, "natural", 3)).tolist()
[1, 1, 1, 1, 2, 2, 2, 3]
>>> classes, merged = merge_singletons(x, classify(x, breaks(x, "natural", 3)))
>>> classes.tolist(), merged
([1, 1, 1, 1, 2, 2, 2, 2], 1)
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray

from ..geo.errors import DataError, UnknownNameError

__all__ = [
    "METHODS",
    "CATEGORICAL_MAX_CODES",
    "breaks",
    "classify",
    "merge_singletons",
    "is_categorical",
    "check_method",
]

#: Whole-number factors with at most this many distinct codes are taken as categories.
CATEGORICAL_MAX_CODES = 10


class NotApplicable(DataError):
    """A method cannot class these values (geometric intervals with values <= 0)."""


def _equal(x: NDArray[np.float64], k: int) -> NDArray[np.float64]:
    lo, hi = x.min(), x.max()
    b = lo + (hi - lo) / k * np.arange(1, k + 1)
    b[-1] = hi
    return b


def _quantile(x: NDArray[np.float64], k: int) -> NDArray[np.float64]:
    return np.unique(np.percentile(x, np.linspace(100 / k, 100, k)))


def _natural(x: NDArray[np.float64], k: int) -> NDArray[np.float64]:
    import mapclassify

    if len(np.unique(x)) <= k:  # as many classes as values: one class per value
        return np.unique(x)
    return np.asarray(mapclassify.FisherJenks(x, k=k).bins, dtype=float)


def _geometric(x: NDArray[np.float64], k: int) -> NDArray[np.float64]:
    lo, hi = x.min(), x.max()
    if lo <= 0:
        raise NotApplicable(f"geometric intervals need values > 0 (minimum {lo:g})")
    b = lo * (hi / lo) ** (np.arange(1, k + 1) / k)
    b[-1] = hi
    return b


def _sd(x: NDArray[np.float64], k: int) -> NDArray[np.float64]:
    m, s = x.mean(), x.std()
    inner = m + s * (np.arange(1, k) - k / 2)
    return np.append(inner[inner < x.max()], x.max())


METHODS: dict[str, Callable[[NDArray[np.float64], int], NDArray[np.float64]]] = {
    "equal": _equal,
    "natural": _natural,
    "quantile": _quantile,
    "geometric": _geometric,
    "sd": _sd,
}


def check_method(method: str, *, argument: str = "discretize") -> str:
    """Return ``method`` if it is a registered name, else raise with the allowed names."""
    if method not in METHODS:
        raise UnknownNameError(
            f"{argument}={method!r} is not a discretisation method; use one of "
            f"{', '.join(repr(m) for m in METHODS)}, 'optimal' or 'categorical'"
        )
    return method


def breaks(x: ArrayLike, method: str, k: int) -> NDArray[np.float64]:
    """Upper bounds of ``k`` classes of ``x`` by ``method`` (the last one is ``max(x)``).

    Examples
    --------
    >>> breaks([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], "equal", 3).tolist()
    [4.0, 7.0, 10.0]
    """
    v = np.asarray(x, dtype=float)
    if int(k) < 2:
        raise DataError(f"k={k} classes: a factor needs at least 2 classes; use k >= 2")
    return METHODS[check_method(method)](v, int(k))


def classify(x: ArrayLike, bins: ArrayLike) -> NDArray[np.int64]:
    """Class numbers 1, 2, ... (empty classes dropped, order kept) with ``bins`` as upper bounds.

    Examples
    --------
    >>> classify([1, 5, 9, 2], [2, 6, 9]).tolist()
    [1, 2, 3, 1]
    >>> classify([1, 1, 9, 9], [2, 6, 9]).tolist()  # the empty middle class is dropped
    [1, 1, 2, 2]
    """
    v = np.asarray(x, dtype=float)
    b = np.asarray(bins, dtype=float)
    raw = np.minimum(np.searchsorted(b, v, side="left"), len(b) - 1)
    _, dense = np.unique(raw, return_inverse=True)
    return dense.astype(np.int64) + 1


def merge_singletons(x: ArrayLike, classes: ArrayLike) -> tuple[NDArray[np.int64], int]:
    """Fold each one-unit class into its nearer neighbouring class; return (classes, merges).

    Ordered classes only. The neighbour is the adjacent class (below or above) whose
    closest member value is nearer to the singleton's value; a tie goes to the class
    below. Repeats until no class has one unit or a single class is left; classes are
    renumbered 1, 2, ... in order.

    Examples
    --------
    >>> merge_singletons([1.0, 1.1, 5.0, 9.0, 9.2], [1, 1, 2, 3, 3])
    (array([1, 1, 1, 2, 2]), 1)
    """
    v = np.asarray(x, dtype=float)
    c = np.asarray(classes, dtype=np.int64).copy()
    merged = 0
    while True:
        labels, counts = np.unique(c, return_counts=True)
        single = labels[counts == 1]
        if len(single) == 0 or len(labels) < 2:
            break
        s = single[0]
        pos = int(np.searchsorted(labels, s))
        xs = v[c == s][0]
        candidates = []
        if pos > 0:
            below = labels[pos - 1]
            candidates.append((xs - v[c == below].max(), 0, below))
        if pos < len(labels) - 1:
            above = labels[pos + 1]
            candidates.append((v[c == above].min() - xs, 1, above))
        c[c == s] = min(candidates)[2]
        merged += 1
    _, dense = np.unique(c, return_inverse=True)
    return dense.astype(np.int64) + 1, merged


def is_categorical(values: pd.Series) -> bool:
    """True for text, boolean, pandas categorical, or whole numbers with few codes.

    Whole-number factors with at most :data:`CATEGORICAL_MAX_CODES` distinct values
    (land-use codes, watershed ids) are categories; other numbers are continuous.

    Examples
    --------
    >>> is_categorical(pd.Series(["a", "b", "a"])), is_categorical(pd.Series([1, 2, 3, 1]))
    (True, True)
    >>> is_categorical(pd.Series([0.5, 1.7, 2.2, 3.9]))
    False
    """
    s = values.dropna()
    if isinstance(values.dtype, pd.CategoricalDtype) or pd.api.types.is_bool_dtype(values.dtype):
        return True
    if not pd.api.types.is_numeric_dtype(values.dtype):
        return True
    v = np.asarray(s, dtype=float)
    return bool(np.all(v == np.round(v)) and len(np.unique(v)) <= CATEGORICAL_MAX_CODES)
