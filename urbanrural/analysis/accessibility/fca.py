"""Floating-catchment and related measures on one sparse origin-destination table.

Every function takes ``od``, a long-form DataFrame with columns ``origin``,
``destination`` and ``cost`` (minutes), or the compact :class:`~._od.ODMatrix` (CSR by
origin, 12 bytes a pair) that the network, raster and straight-line engines return with
``compact=True``. Formulas and parameter meanings follow pysal ``access``
(``access/fca.py``, ``access/weights.py``), so a study can cite either. On a DataFrame the
kernels are ``np.bincount`` over integer codes; on an ODMatrix they are compiled passes
over the CSR arrays (numba): per-facility demand in one pass, per-origin sums in a
second, decay weights evaluated block by block, so no per-pair temporary is ever as long
as the table; a grouped table (``network.od_table(..., by_node=True)``) is expanded one
row block at a time. Both give the same numbers (to rounding of the summation order).

Which origins come back: an ODMatrix lists its origins, so without ``origins=`` every
one of them gets a value (``inf`` from :func:`nearest`, 0 from :func:`cumulative` and
:func:`gravity` when it has no pair); a DataFrame only knows the origins in its rows, so
there an origin without any pair is missing unless named in ``origins=``.

Differences from ``access``, on purpose:

- an origin with no destination within ``max_cost`` gets 0 (``access`` leaves NaN);
- a destination whose catchment holds no weighted demand gets a ratio of 0 (``access``
  divides by zero and may propagate inf/NaN);
- bad values (NaN or negative costs, demand or supply) raise :class:`DataError`.

Examples
--------
>>> import pandas as pd
>>> od = pd.DataFrame({"origin": ["a", "a", "b"], "destination": ["h", "k", "h"],
...                    "cost": [5.0, 20.0, 12.0]})
>>> demand = pd.Series({"a": 100.0, "b": 300.0})
>>> supply = pd.Series({"h": 8.0, "k": 2.0})
>>> two_step_fca(od, demand, supply, max_cost=30).round(4).to_dict()
{'a': 0.04, 'b': 0.02}
"""

from __future__ import annotations

import logging
import weakref
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from ...geo.errors import DataError
from ...geo.validate import preview
from . import _od
from ._od import ODMatrix
from .decay import E2SFCA_DEFAULT, THREE_SFCA_DEFAULT, _Gaussian, _Power, _Step, gaussian, step

__all__ = ["ODMatrix", "nearest", "cumulative", "gravity", "two_step_fca", "enhanced_two_step_fca",
           "gaussian_two_step_fca", "three_step_fca", "OD_COLUMNS"]

logger = logging.getLogger("urbanrural")
OD_COLUMNS = ("origin", "destination", "cost")
DecayFn = Callable[[NDArray[np.float64]], NDArray[np.float64]]


@dataclass(frozen=True)
class _Table:
    """OD rows as integer codes into ``origins`` and ``dests``."""

    o: NDArray[np.intp]
    d: NDArray[np.intp]
    cost: NDArray[np.float64]
    origins: pd.Index
    dests: pd.Index


def _check_od(od: pd.DataFrame) -> None:
    missing = [c for c in OD_COLUMNS if c not in od.columns]
    if missing:
        raise DataError(f"the OD table lacks column(s) {missing}; it needs origin, destination, cost (minutes)")
    col = od["cost"]
    cost = col.to_numpy(dtype=float, na_value=np.nan) if pd.api.types.is_numeric_dtype(col) else \
        pd.to_numeric(col, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    bad = ~(cost >= 0)  # NaN or negative
    if bad.any():
        raise DataError(f"the OD table has {int(bad.sum())} NaN or negative cost(s) "
                        f"(origins {preview(od.loc[bad, 'origin'])}); costs must be minutes >= 0 "
                        "(leave unreachable pairs out of the table)")


def _check_values(values: pd.Series, *, what: str) -> NDArray[np.float64]:
    v = pd.to_numeric(values, errors="coerce").to_numpy(dtype=float)
    bad = ~np.isfinite(v) | (v < 0)
    if bad.any():
        raise DataError(f"{what} has {int(bad.sum())} missing, infinite or negative value(s) at "
                        f"{preview(values.index[bad])}; give 0 or a positive number")
    if not values.index.is_unique:
        raise DataError(f"{what} has duplicate ids: {preview(values.index[values.index.duplicated()])}")
    return v


def _codes(index: pd.Index, values: np.ndarray) -> NDArray[np.intp]:
    """Positions of ``values`` in ``index`` (-1 where absent); O(n) without hashing when
    the index is a 0..n-1 RangeIndex and the values are integers (the pipeline's case)."""
    if isinstance(index, pd.RangeIndex) and index.start == 0 and index.step == 1 and \
            np.issubdtype(np.asarray(values).dtype, np.integer):
        v = np.asarray(values, dtype=np.intp)
        return np.where((v >= 0) & (v < len(index)), v, -1)
    return index.get_indexer(values)


def _table(od: pd.DataFrame, *, origins: pd.Index | None = None, dests: pd.Index | None = None,
           max_cost: float | None = None) -> _Table:
    _check_od(od)
    cost = od["cost"].to_numpy(dtype=float)
    keep = np.ones(len(od), dtype=bool) if max_cost is None else cost <= max_cost
    if origins is None:
        o, origins = pd.factorize(od["origin"].to_numpy()[keep])
        origins = pd.Index(origins, name="origin")
    else:
        o = _codes(origins, od["origin"].to_numpy()[keep])
    if dests is None:
        d, dests = pd.factorize(od["destination"].to_numpy()[keep])
        dests = pd.Index(dests, name="destination")
    else:
        d = _codes(dests, od["destination"].to_numpy()[keep])
    c = cost[keep]
    ok = (o >= 0) & (d >= 0)
    if not ok.all():
        logger.debug(f"OD: {int((~ok).sum())} rows name an origin or destination outside demand/supply; ignored")
    return _Table(o[ok], d[ok], c[ok], origins, dests)


def _positive(max_cost: float) -> float:
    if max_cost is None or not np.isfinite(max_cost) or max_cost <= 0:
        raise DataError(f"max_cost must be a positive number of minutes; got {max_cost!r}")
    return float(max_cost)


# ---- the compact path (ODMatrix) -------------------------------------------------------------

_EMPTY = np.empty(0)
_CHECKED: weakref.WeakSet = weakref.WeakSet()


def _check_matrix(m: ODMatrix) -> None:
    """The DataFrame check, once per table (a grouped table's parts: sums of costs >= 0 are >= 0)."""
    if m in _CHECKED:
        return
    bad = 0
    for r0, r1 in _od.row_blocks(m.indptr, 1 << 24):
        c = m.cost[m.indptr[r0]:m.indptr[r1]]
        bad += int(np.count_nonzero(~(c >= 0)))
    if m.grouped:
        bad += int(np.count_nonzero(~(m.leg >= 0))) + int(np.count_nonzero(~(m.dest_leg >= 0)))
    if bad:
        raise DataError(f"the OD table has {bad} NaN or negative cost(s); costs must be minutes >= 0 "
                        "(leave unreachable pairs out of the table)")
    _CHECKED.add(m)


_NONE = (np.empty(0), np.empty(0), np.empty(0))


def _decay_code(decay: DecayFn | None) -> tuple[int, NDArray, NDArray, NDArray]:
    """How the kernels evaluate ``decay``: (kind, thresholds, values, params); kind 1 means
    "call it in numpy on blocks of costs" (any other callable)."""
    if decay is None:
        return 0, *_NONE
    if type(decay) is _Step:
        return 2, decay.thresholds.astype(float), np.append(decay.values, 0.0).astype(float), np.empty(0)
    if type(decay) is _Gaussian:
        return 3, np.empty(0), np.empty(0), np.array([2.0 * decay.sigma ** 2])
    if type(decay) is _Power:
        return 4, np.empty(0), np.empty(0), np.array([decay.min_dist, decay.scale, decay.alpha])
    return 1, *_NONE


def _passes(m: ODMatrix, decay: DecayFn | None) -> Iterator[tuple[int, int, ODMatrix, tuple]]:
    """Origin ranges ``r0:r1``, their plain table (rows from 0) and the decay arguments:
    the whole table at once for a decay the kernels compute; blocks of ~4M pairs with the
    weights evaluated in numpy otherwise, or when the table is grouped (each block
    expanded, then released)."""
    kind, th, vals, par = _decay_code(decay)
    if kind != 1 and not m.grouped:
        yield 0, len(m.origins), m, (_EMPTY, kind, th, vals, par)
        return
    for r0, r1 in _od.row_ranges(m):
        b = m.expand(r0, r1)
        w = np.asarray(decay(b.cost), dtype=float) if kind == 1 else _EMPTY
        yield r0, r1, b, (w, kind, th, vals, par)


def _m_two_step(m: ODMatrix, p: NDArray[np.float64], s: NDArray[np.float64], decay: DecayFn | None,
                max_cost: float) -> NDArray[np.float64]:
    """2SFCA on a CSR table aligned to ``p`` (rows) and ``s`` (destination positions)."""
    demand_at = np.zeros(len(s))
    dpass, opass = _od._kernel("demand_pass"), _od._kernel("origin_pass")
    for r0, r1, b, dk in _passes(m, decay):
        dpass(b.indptr, b.dest, b.cost, *dk, max_cost, p[r0:r1], 0, r1 - r0, demand_at)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(demand_at > 0, s / demand_at, 0.0)
    out = np.empty(len(m.origins))
    for r0, r1, b, dk in _passes(m, decay):
        opass(b.indptr, b.dest, b.cost, *dk, max_cost, ratio, 0, r1 - r0, out[r0:r1])
    return out


def _m_origin_sum(m: ODMatrix, vals: NDArray[np.float64], decay: DecayFn | None, max_cost: float) -> NDArray:
    """sum_j vals_j f(c_ij) per origin over c_ij <= max_cost."""
    out = np.empty(len(m.origins))
    opass = _od._kernel("origin_pass")
    for r0, r1, b, dk in _passes(m, decay):
        opass(b.indptr, b.dest, b.cost, *dk, max_cost, vals, 0, r1 - r0, out[r0:r1])
    return out


def _m_three_step(m: ODMatrix, p: NDArray[np.float64], s: NDArray[np.float64], f: DecayFn, max_cost: float,
                  selection: str) -> NDArray[np.float64]:
    n = len(m.origins)
    demand_at = np.zeros(len(s))
    total = np.empty(n)
    k1, k2 = _od._kernel("three_step_block"), _od._kernel("three_step_access")
    for r0, r1, b, dk in _passes(m, f):
        k1(b.indptr, b.dest, b.cost, *dk, max_cost, selection == "access", p[r0:r1], 0, r1 - r0, demand_at,
           total[r0:r1])
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(demand_at > 0, s / demand_at, 0.0)
    out = np.empty(n)
    for r0, r1, b, dk in _passes(m, f):
        k2(b.indptr, b.dest, b.cost, *dk, max_cost, ratio, total[r0:r1], 0, r1 - r0, out[r0:r1])
    return out


def _matrix(od: ODMatrix, origins: pd.Index, dests: pd.Index | None, *, extra_dest: bool = False) -> ODMatrix:
    _check_matrix(od)
    return _od.aligned(od, origins, dests, extra_dest=extra_dest)


def nearest(od: pd.DataFrame | ODMatrix, *, origins: pd.Index | None = None) -> pd.Series:
    """Minimum cost per origin (minutes); origins absent from ``od`` get ``inf``.

    Examples
    --------
    >>> import pandas as pd
    >>> od = pd.DataFrame({"origin": ["a", "a"], "destination": ["x", "y"], "cost": [9.0, 4.0]})
    >>> nearest(od, origins=pd.Index(["a", "b"])).to_dict()
    {'a': 4.0, 'b': inf}
    """
    if isinstance(od, ODMatrix):
        m = _matrix(od, od.origins if origins is None else origins, None)
        out = np.empty(len(m.origins))
        for r0, r1, b, _ in _passes(m, None):
            out[r0:r1] = _od._kernel("row_min")(b.indptr, b.cost)
        return pd.Series(out, index=m.origins, name="nearest")
    t = _table(od, origins=origins)
    out = np.full(len(t.origins), np.inf)
    np.minimum.at(out, t.o, t.cost)
    return pd.Series(out, index=t.origins, name="nearest")


def cumulative(od: pd.DataFrame | ODMatrix, supply: pd.Series | None = None, *, threshold: float,
               origins: pd.Index | None = None) -> pd.Series:
    """Opportunities within ``threshold`` minutes: a count, or the sum of ``supply``.

    Examples
    --------
    >>> import pandas as pd
    >>> od = pd.DataFrame({"origin": ["a", "a", "b"], "destination": ["x", "y", "y"], "cost": [9.0, 14.0, 31.0]})
    >>> cumulative(od, threshold=15).to_dict()
    {'a': 2.0, 'b': 0.0}
    """
    threshold = _positive(threshold)
    if isinstance(od, ODMatrix):
        rows = od.origins if origins is None else origins
        m = _matrix(od, rows, None if supply is None else supply.index)
        vals = np.ones(len(m.destinations)) if supply is None else _check_values(supply, what="supply")
        return pd.Series(_m_origin_sum(m, vals, None, threshold), index=rows, name=f"within_{threshold:g}")
    all_origins = origins if origins is not None else pd.Index(pd.unique(od["origin"].to_numpy()), name="origin")
    dests = None if supply is None else supply.index
    t = _table(od, origins=all_origins, dests=dests, max_cost=threshold)
    w = np.ones(len(t.d)) if supply is None else _check_values(supply, what="supply")[t.d]
    return pd.Series(np.bincount(t.o, weights=w, minlength=len(all_origins)), index=all_origins,
                     name=f"within_{threshold:g}")


def gravity(od: pd.DataFrame | ODMatrix, supply: pd.Series, *, decay: DecayFn, max_cost: float | None = None,
            origins: pd.Index | None = None) -> pd.Series:
    """Weighted catchment / Hansen gravity: A_i = sum_j S_j f(c_ij) over c_ij <= max_cost.

    Equals ``access.Access.weighted_catchment`` with the same ``weight_fn`` and ``max_cost``.
    """
    if max_cost is not None:
        _positive(max_cost)
    if isinstance(od, ODMatrix):
        rows = od.origins if origins is None else origins
        s = _check_values(supply, what="supply")
        m = _matrix(od, rows, supply.index)
        out = _m_origin_sum(m, s, decay, np.inf if max_cost is None else float(max_cost))
        return pd.Series(out, index=rows, name="gravity")
    all_origins = origins if origins is not None else pd.Index(pd.unique(od["origin"].to_numpy()), name="origin")
    s = _check_values(supply, what="supply")
    t = _table(od, origins=all_origins, dests=supply.index, max_cost=max_cost)
    w = s[t.d] * np.asarray(decay(t.cost), dtype=float)
    return pd.Series(np.bincount(t.o, weights=w, minlength=len(all_origins)), index=all_origins, name="gravity")


def _two_step(t: _Table, p: NDArray[np.float64], s: NDArray[np.float64], w: NDArray[np.float64]) -> NDArray[np.float64]:
    """R_j = S_j / sum_i P_i w_ij; A_i = sum_j R_j w_ij (rows already within the catchment)."""
    demand_at = np.bincount(t.d, weights=p[t.o] * w, minlength=len(t.dests))
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(demand_at > 0, s / demand_at, 0.0)
    return np.bincount(t.o, weights=ratio[t.d] * w, minlength=len(t.origins))


def two_step_fca(od: pd.DataFrame | ODMatrix, demand: pd.Series, supply: pd.Series, *, max_cost: float,
                 decay: DecayFn | None = None) -> pd.Series:
    """Two-step floating catchment area (Luo and Wang 2003), ``access`` semantics.

    R_j = S_j / sum_{i: c_ij <= max_cost} P_i f(c_ij);  A_i = sum_{j: c_ij <= max_cost} R_j f(c_ij),
    the same f in both steps; no ``decay`` means f = 1.

    Parameters
    ----------
    od : DataFrame or ODMatrix
        ``origin``, ``destination``, ``cost`` (minutes), or the compact table.
    demand : Series
        People per origin (index = origin ids).
    supply : Series
        Capacity per destination (index = destination ids).
    max_cost : float
        Catchment: pairs with ``cost <= max_cost``.
    decay : callable, optional
        f(cost) on arrays (see :mod:`urbanrural.analysis.accessibility.decay`).

    Returns
    -------
    Series
        Supply per person on ``demand.index``.
    """
    max_cost = _positive(max_cost)
    p = _check_values(demand, what="demand")
    s = _check_values(supply, what="supply")
    if isinstance(od, ODMatrix):
        m = _matrix(od, demand.index, supply.index)
        return pd.Series(_m_two_step(m, p, s, decay, max_cost), index=demand.index, name="2sfca")
    t = _table(od, origins=demand.index, dests=supply.index, max_cost=max_cost)
    w = np.ones(len(t.cost)) if decay is None else np.asarray(decay(t.cost), dtype=float)
    return pd.Series(_two_step(t, p, s, w), index=demand.index, name="2sfca")


def enhanced_two_step_fca(od: pd.DataFrame | ODMatrix, demand: pd.Series, supply: pd.Series, *, max_cost: float,
                          decay: DecayFn | None = None) -> pd.Series:
    """Enhanced 2SFCA (Luo and Qi 2009): 2SFCA with a step decay, default
    ``{10: 1, 20: 0.68, 30: 0.22}`` (0 beyond 30), as ``access``."""
    out = two_step_fca(od, demand, supply, max_cost=max_cost, decay=decay or step(E2SFCA_DEFAULT))
    return out.rename("e2sfca")


def gaussian_two_step_fca(od: pd.DataFrame | ODMatrix, demand: pd.Series, supply: pd.Series, *, max_cost: float,
                          sigma: float | None = None) -> pd.Series:
    """Gaussian 2SFCA: 2SFCA with f = exp(-c^2 / 2 sigma^2) (``access.weights.gaussian``);
    ``sigma`` defaults to ``max_cost / 2``."""
    sig = float(sigma) if sigma is not None else _positive(max_cost) / 2.0
    return two_step_fca(od, demand, supply, max_cost=max_cost, decay=gaussian(sig)).rename("g2sfca")


def three_step_fca(od: pd.DataFrame | ODMatrix, demand: pd.Series, supply: pd.Series, *, max_cost: float,
                   decay: DecayFn | None = None, selection: str = "access") -> pd.Series:
    """Three-step FCA (Wan, Zou and Sternberg 2012) with a selection weight G.

    G_ij = f(c_ij) / sum_k f(c_ik). With ``selection="access"`` (default) the sum runs over
    every destination of origin i in the table, as pysal ``access`` does; with
    ``selection="wan2012"`` only over destinations within ``max_cost``, as in the paper.
    Both steps then use f(c_ij) G_ij as the weight. Default f: step
    ``{10: .962, 20: .704, 30: .377, 60: .042}``.
    """
    if selection not in ("access", "wan2012"):
        raise DataError(f"selection must be 'access' or 'wan2012'; got {selection!r}")
    max_cost = _positive(max_cost)
    f = decay or step(THREE_SFCA_DEFAULT)
    p = _check_values(demand, what="demand")
    s = _check_values(supply, what="supply")
    if isinstance(od, ODMatrix):
        m = _matrix(od, demand.index, supply.index, extra_dest=True)
        out = _m_three_step(m, p, np.r_[s, 0.0], f, max_cost, selection)
        return pd.Series(out, index=demand.index, name="3sfca")
    _check_od(od)
    cost = od["cost"].to_numpy(dtype=float)
    o_idx = _codes(demand.index, od["origin"].to_numpy())
    d_idx = _codes(supply.index, od["destination"].to_numpy())
    w_all = np.asarray(f(cost), dtype=float)
    keep = cost <= max_cost
    # G is normalised per origin; only origins in `demand` matter for the result
    norm_rows = (o_idx >= 0) if selection == "access" else (keep & (o_idx >= 0))
    total = np.bincount(o_idx[norm_rows], weights=w_all[norm_rows], minlength=len(demand))
    rows = keep & (o_idx >= 0) & (d_idx >= 0)
    o, d, w3 = o_idx[rows], d_idx[rows], w_all[rows]
    with np.errstate(divide="ignore", invalid="ignore"):
        g = np.where(total[o] > 0, w3 / total[o], 0.0)
    t = _Table(o, d, cost[rows], demand.index, supply.index)
    w = w3 * g
    return pd.Series(_two_step(t, p, s, w), index=demand.index, name="3sfca")
