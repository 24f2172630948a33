"""Plumbing shared by :mod:`.density` and :mod:`.markov`: one variable as a units x years frame.

``values`` is a DataFrame with one row per unit (index: unit ids, turned into text) and
one column per year (integers, sorted ascending), or a long Series indexed by
``(unit, year)`` that is pivoted to that shape.  Every problem is collected and raised
once as a :class:`~urbanrural.geo.errors.DataError` naming the units/years and the fix.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ...geo.errors import DataError

__all__ = ["as_wide", "row_standardised", "align_weights"]


def _few(items: Any, n: int = 5) -> str:
    items = list(items)
    head = ", ".join(str(i) for i in items[:n])
    return head + (f", ... ({len(items)} in all)" if len(items) > n else "")


def as_wide(values: pd.DataFrame | pd.Series, *, what: str = "values", min_years: int = 2,
            min_units: int = 2) -> pd.DataFrame:
    """Return ``values`` as a float units x years DataFrame, or raise one DataError listing every problem."""
    if isinstance(values, pd.Series):
        if values.index.nlevels != 2:
            raise DataError(f"{what}: a Series must be indexed by (unit, year); got {values.index.nlevels} "
                            "index level(s); pass a units x years DataFrame instead")
        if values.index.duplicated().any():
            dup = values.index[values.index.duplicated()]
            raise DataError(f"{what}: duplicate (unit, year) entries {_few(dup)}; keep one value per unit and year")
        values = values.unstack(level=1)
    if not isinstance(values, pd.DataFrame):
        raise DataError(f"{what} must be a units x years DataFrame or a (unit, year)-indexed Series; "
                        f"got {type(values).__name__}")
    frame = values.copy()
    problems: list[str] = []
    try:
        years = [int(c) for c in frame.columns]
        if any(float(c) != int(c) for c in frame.columns):
            raise ValueError
    except (TypeError, ValueError):
        raise DataError(f"{what}: columns must be years (integers); got {_few(frame.columns)}") from None
    frame.columns = years
    if len(set(years)) != len(years):
        raise DataError(f"{what}: duplicate year columns {_few(sorted({y for y in years if years.count(y) > 1}))}")
    frame = frame.sort_index(axis=1)
    frame.index = frame.index.map(str)
    if frame.index.duplicated().any():
        problems.append(f"duplicate unit ids {_few(frame.index[frame.index.duplicated()].unique())}")
    try:
        frame = frame.astype(float)
    except (TypeError, ValueError):
        raise DataError(f"{what}: cells must be numbers; convert the columns with pd.to_numeric first") from None
    if frame.shape[1] < min_years:
        problems.append(f"needs at least {min_years} years to describe change; got {frame.shape[1]} "
                        f"({_few(frame.columns)}); add years")
    if frame.shape[0] < min_units:
        problems.append(f"needs at least {min_units} units; got {frame.shape[0]}")
    arr = frame.to_numpy()
    bad = ~np.isfinite(arr)
    if bad.any():
        rows, cols = np.nonzero(bad)
        cells = [f"{frame.index[r]}/{frame.columns[c]}" for r, c in zip(rows, cols, strict=True)]
        problems.append(f"{int(bad.sum())} missing or infinite cell(s) (unit/year): {_few(cells)}; "
                        "fill them or drop those units (e.g. values.dropna())")
    if problems:
        raise DataError(f"{what} is unusable: " + "; ".join(problems))
    return frame


def row_standardised(w: Any) -> Any:
    """The row-standardised weights of a libpysal ``W`` as a CSR matrix in ``w.id_order``.

    ``w`` is not changed.  When ``w.transform`` is already ``'R'`` its weights are used
    as they are (so the lag equals ``libpysal.weights.lag_spatial`` bit for bit); else
    each row is divided by its sum (islands keep a zero row, so their lag is 0).
    """
    from scipy import sparse

    s = sparse.csr_matrix(w.sparse, dtype=float)
    if str(getattr(w, "transform", "")).upper() == "R":
        return s
    rs = np.asarray(s.sum(axis=1)).ravel()
    inv = np.divide(1.0, rs, out=np.zeros_like(rs), where=rs != 0)
    return sparse.csr_matrix(sparse.diags(inv) @ s)


def align_weights(w: Any, units: pd.Index, *, what: str = "w") -> Any:
    """Row-standardised weights of ``w`` reordered to ``units`` (ids compared as text)."""
    if not hasattr(w, "id_order") or not hasattr(w, "sparse"):
        raise DataError(f"{what} must be a libpysal.weights.W; got {type(w).__name__}; build one with "
                        "libpysal.weights.Queen.from_dataframe(units, ids='unit_id')")
    ids = [str(i) for i in w.id_order]
    missing = [u for u in units if u not in set(ids)]
    extra = [i for i in ids if i not in set(units)]
    if missing or extra or len(ids) != len(units):
        parts = []
        if missing:
            parts.append(f"{len(missing)} unit(s) of values have no weights: {_few(missing)}")
        if extra:
            parts.append(f"{len(extra)} weights id(s) are not units of values: {_few(extra)}")
        raise DataError(f"{what} does not match the units of values: " + "; ".join(parts)
                        + "; build w from the same units (ids as text) or select values.loc[w.id_order]")
    pos = {i: k for k, i in enumerate(ids)}
    order = np.array([pos[u] for u in units])
    s = row_standardised(w)
    return s[order][:, order]
