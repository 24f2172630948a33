"""Rational Agent Access Model (RAAM; Saxon and Snow 2020), ``access`` semantics, sparse.

Every person picks the facility that minimises travel plus congestion::

    cost_ij = c_ij / tau + D_j / (rho S_j)

where ``D_j`` is the demand assigned to facility j, ``S_j`` its supply and ``rho`` the
study area's demand-to-supply ratio (sum P / sum S by default), so ``tau`` minutes of
travel weigh as much as a facility at 100 % over the mean load. A person's RAAM value
is the assignment-weighted mean of ``cost_ij`` over the facilities their origin uses:
lower is better.

The iteration is pysal ``access``'s (``access/raam.py``, ``iterate_raam``) step for step:
start at each origin's nearest facility; each cycle move people of an origin from its
most to its least costly option by the analytic equalising amount, capped by a step
(``initial_step`` x demand, halving every ``half_life`` cycles, not below ``min_step``)
and truncated to whole people; during the first ``limit_initial`` cycles, moves into a
facility are scaled down so it is not mobbed. Two differences, both on purpose:

- **Convergence stop.** ``access`` always runs ``max_cycles``. We stop at the first cycle
  in which no origin moves anyone before the anti-mobbing scaling: such a state repeats
  unchanged in every later cycle (the step cap only shrinks), so the result is the one
  ``access`` returns after all its cycles, reached sooner. With many origins the
  simultaneous moves often end instead in a cycle of states (typically two assignments
  that alternate, moving a few hundred people back and forth): once the step has reached
  ``min_step`` (so every cycle applies the same map) such a two-state cycle is detected
  (moves that undo the previous cycle's, then equal assignment bits) and only the cycles
  that decide the last state are run, again giving exactly what ``max_cycles`` cycles
  give. Longer cycles are not looked for; they run to ``max_cycles``. :class:`RAAMResult` reports the cycles run and the period.
- **Sparse and explicit.** The OD table is kept as rows (no dense origins x facilities
  matrix): a DataFrame, or the compact :class:`~._od.ODMatrix` the engines return with
  ``od_table(..., compact=True)`` (used in place). Origins without any facility in the
  table, or with no people, get NaN (``access`` leaves them out of its output); duplicate
  (origin, destination) pairs are an error (``access`` fails in a pivot).
- **Only what moved is looked at again** (``engine="auto"``, :mod:`._raam_kernel`): the
  assignments are kept sparse (the few options holding each origin's people), loads are
  summed over those, and an origin's options are rescanned only when its current choice
  is no longer strictly below a bound on all the others. Same bits as the vectorised
  engine, which stays as ``engine="numpy"`` (and the previous compiled full scan as
  ``engine="scan"``).

Examples
--------
>>> import pandas as pd
>>> od = pd.DataFrame({"origin": ["a", "a", "b"], "destination": ["h", "k", "h"],
...                    "cost": [10.0, 20.0, 12.0]})
>>> r = raam(od, pd.Series({"a": 100.0, "b": 100.0}), pd.Series({"h": 1.0, "k": 1.0}), tau=60)
>>> r.cost.round(4).to_dict(), r.converged
({'a': 1.2445, 'b': 1.29}, True)
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from ...geo.errors import DataError
from ...geo.validate import preview
from ._od import ODMatrix
from ._raam_kernel import raam_incremental
from .fca import _check_od, _check_values, _codes, _matrix

__all__ = ["RAAMResult", "raam", "ENGINES"]

ENGINES = ("auto", "scan", "numpy")

logger = logging.getLogger("urbanrural")


@dataclass(frozen=True)
class RAAMResult:
    """Result of :func:`raam`.

    Attributes
    ----------
    cost : Series
        RAAM cost per origin (``demand`` index; NaN without a facility or without people).
    cycles : int
        Cycles run.
    converged : bool
        True when the assignment settled: no one moves (``period`` 1) or it cycles through
        ``period`` states for good; either way ``cost`` is what ``max_cycles`` cycles give.
    period : int
        1 for a fixed point, p > 1 for a p-state cycle, 0 when still changing.
    moved : int
        People moved in the last cycle run (0 at a fixed point).
    rho : float
        The demand-to-supply ratio used.
    """

    cost: pd.Series
    cycles: int
    converged: bool
    period: int
    moved: int
    rho: float


def _first(values: NDArray[np.float64], starts: NDArray[np.intp], row: NDArray[np.intp], *,
           largest: bool) -> NDArray[np.intp]:
    """Row-wise arg-min (or arg-max) over CSR-ordered rows; the first position wins ties,
    as numpy's argmin/argmax do along a dense row."""
    best = (np.maximum if largest else np.minimum).reduceat(values, starts)
    pos = np.flatnonzero(values == best[row])
    keep = np.empty(len(pos), dtype=bool)
    keep[0] = True
    np.not_equal(row[pos[1:]], row[pos[:-1]], out=keep[1:])
    return pos[keep]


def _undoes(pmin: NDArray[np.intp], pmax: NDArray[np.intp], delta: NDArray[np.int64], pmin0: NDArray[np.intp],
            pmax0: NDArray[np.intp], delta0: NDArray[np.int64]) -> bool:
    """True when, for every origin, this cycle's move cancels the previous cycle's."""
    idle = (delta == 0) & (delta0 == 0)
    back = (pmin == pmax0) & (pmax == pmin0) & (delta == delta0)
    again = (pmin == pmin0) & (pmax == pmax0) & (delta == -delta0)
    return bool((idle | back | again).all())


def _scan_numpy(starts: NDArray[np.intp], row: NDArray[np.intp], d: NDArray[np.intp],
                travel: NDArray[np.float64], assign: NDArray[np.float64], at: NDArray[np.float64],
                cap: NDArray[np.float64]) -> tuple[NDArray[np.intp], NDArray[np.intp]]:
    """Per origin: the position of its least costly option and of its most costly used one."""
    total = at[d] / cap[d] + travel
    pmax = _first(np.where(assign != 0, total, -np.inf), starts, row, largest=True)
    return _first(total, starts, row, largest=False), pmax


_SCAN = None


def _scan():
    """The same scan compiled with numba (one pass over the table per cycle); numpy without numba."""
    global _SCAN
    if _SCAN is not None:
        return _SCAN
    try:
        import numba
    except ImportError:  # pragma: no cover - numba is a dependency
        _SCAN = _scan_numpy
        return _SCAN

    @numba.njit(cache=True, nogil=True)
    def scan(starts, row, d, travel, assign, at, cap):  # pragma: no cover - compiled
        n = len(starts)
        nnz = len(d)
        pmin = np.empty(n, dtype=np.intp)
        pmax = np.empty(n, dtype=np.intp)
        cong = at / cap  # per facility; at[d] / cap[d] element by element gives the same bits
        for r in range(n):
            a = starts[r]
            b = starts[r + 1] if r + 1 < n else nnz
            best_min = np.inf
            best_max = -np.inf
            imin = a
            imax = a
            for k in range(a, b):
                t = cong[d[k]] + travel[k]
                if t < best_min:
                    best_min = t
                    imin = k
                if assign[k] != 0 and t > best_max:
                    best_max = t
                    imax = k
            pmin[r] = imin
            pmax[r] = imax
        return pmin, pmax

    _SCAN = scan
    return _SCAN

def raam(od: pd.DataFrame | ODMatrix, demand: pd.Series, supply: pd.Series, *, tau: float = 60.0, rho: float | None = None,
         max_cost: float | None = None, max_cycles: int = 150, initial_step: float | int = 0.2,
         min_step: float = 0.005, half_life: float = 50.0, limit_initial: int = 20,
         engine: str = "auto") -> RAAMResult:
    """Rational Agent Access Model on a sparse OD table.

    Parameters
    ----------
    od : DataFrame or ODMatrix
        ``origin``, ``destination``, ``cost`` (minutes): each origin's options; or the
        compact table (``od_table(..., compact=True)``), used in place when its origins
        and destinations are ``demand.index`` and ``supply.index``.
    demand : Series
        People per origin (index = origin ids); origins with 0 people are not assigned.
    supply : Series
        Capacity per destination (index = destination ids); destinations with 0 capacity
        are not options.
    tau : float, default 60
        Minutes of travel worth a 100 % overload of a facility.
    rho : float, optional
        Demand-to-supply ratio (default: total demand / total supply).
    max_cost : float, optional
        Only pairs with ``cost <= max_cost`` are options (default: every pair in ``od``).
    max_cycles, initial_step, min_step, half_life, limit_initial
        ``access``'s iteration parameters (same defaults). ``initial_step`` is a fraction
        of each origin's demand when a float, a number of people when an int.
    engine : {"auto", "scan", "numpy"}
        ``"auto"``: compiled cycles on the CSR table that rescan only what moved (below);
        ``"scan"``: a compiled full scan of every option each cycle; ``"numpy"``:
        vectorised numpy (the test oracle). All three give the same bits.

    Returns
    -------
    RAAMResult

    Examples
    --------
    >>> od = pd.DataFrame({"origin": [0, 0], "destination": [0, 1], "cost": [0.0, 0.0]})
    >>> r = raam(od, pd.Series([100.0]), pd.Series([1.0, 1.0]))
    >>> float(r.cost.iloc[0]), r.cycles  # 20, 20, then 10 people move; the 4th cycle moves none
    (1.0, 4)
    """
    if engine not in ENGINES:
        raise DataError(f"engine must be one of {', '.join(map(repr, ENGINES))}; got {engine!r}")
    if not isinstance(od, ODMatrix):
        _check_od(od)
    p = _check_values(demand, what="demand")
    s = _check_values(supply, what="supply")
    if not (np.isfinite(tau) and tau > 0):
        raise DataError(f"tau must be positive minutes; got {tau!r}")
    if int(max_cycles) < 1:
        raise DataError(f"max_cycles must be >= 1; got {max_cycles!r}")
    step_int = isinstance(initial_step, (int, np.integer)) and not isinstance(initial_step, bool)
    if not (np.isfinite(initial_step) and initial_step > 0 and min_step > 0 and half_life > 0):
        raise DataError("initial_step, min_step and half_life must be positive")
    if rho is None:
        rho = float(p[p > 0].sum() / s[s > 0].sum()) if (s > 0).any() else float("nan")
    if not (np.isfinite(rho) and rho > 0):
        raise DataError(f"rho (demand / supply) must be positive; got {rho!r}: is there any demand and supply?")
    if max_cost is not None and not (np.isfinite(max_cost) and max_cost > 0):
        raise DataError(f"max_cost must be positive minutes; got {max_cost!r}")
    if engine == "auto":
        m = _matrix(od, demand.index, supply.index) if isinstance(od, ODMatrix) else \
            ODMatrix.from_frame(od, origins=demand.index, destinations=supply.index)
        return raam_incremental(m, p, s, tau=tau, rho=rho, max_cost=max_cost, max_cycles=max_cycles,
                                 initial_step=initial_step, step_int=step_int, min_step=min_step,
                                 half_life=half_life, limit_initial=limit_initial, demand_index=demand.index,
                                result=RAAMResult)
    out = pd.Series(np.nan, index=demand.index, name="raam")
    if isinstance(od, ODMatrix):
        m = _matrix(od, demand.index, supply.index)
        if m.grouped:  # the vectorised engines read the expanded pairs
            m = m.expand()
        o, d, cost = m.row_positions().astype(np.intp), m.dest.astype(np.intp), m.cost
    else:
        cost = od["cost"].to_numpy(dtype=float)
        o = _codes(demand.index, od["origin"].to_numpy())
        d = _codes(supply.index, od["destination"].to_numpy())
    keep = (o >= 0) & (d >= 0)
    keep[keep] = (p[o[keep]] > 0) & (s[d[keep]] > 0)
    if max_cost is not None:
        keep &= cost <= max_cost
    o, d, cost = o[keep], d[keep], cost[keep]
    if len(o) == 0:
        logger.warning("RAAM: no origin with people has a facility with capacity in the OD table")
        return RAAMResult(out, 0, True, 1, 0, float(rho))
    order = np.lexsort((d, o))
    o, d, travel = o[order], d[order], cost[order] / tau
    dup = (o[1:] == o[:-1]) & (d[1:] == d[:-1])
    if dup.any():
        raise DataError(f"the OD table repeats {int(dup.sum())} (origin, destination) pair(s), e.g. origins "
                        f"{preview(demand.index[o[1:][dup]])}; keep one cost per pair")
    # rows: origins with at least one option, in CSR order
    first_of_row = np.r_[True, o[1:] != o[:-1]]
    starts = np.flatnonzero(first_of_row)
    row = np.cumsum(first_of_row) - 1
    origins = o[starts]
    dem = p[origins]
    cap = s * rho  # by destination code
    nd = len(s)
    assign = np.zeros(len(o))
    assign[_first(travel, starts, row, largest=False)] = dem
    cycles, moved, period = 0, 0, 0
    at = np.zeros(nd)
    scan = _scan() if engine == "scan" else _scan_numpy
    seen: dict[bytes, int] = {}  # assignment digests once the step is at its floor
    last = None
    n_cycles = int(max_cycles)
    i = 0
    while i < n_cycles:
        cycles = i + 1
        at = np.bincount(d, weights=assign, minlength=nd)
        pmin, pmax = scan(starts, row, d, travel, assign, at, cap)
        dmin, dmax = d[pmin], d[pmax]
        slmin, slmax = cap[dmin], cap[dmax]
        drlmin, drlmax = assign[pmin], assign[pmax]
        other_min, other_max = at[dmin] - drlmin, at[dmax] - drlmax
        target = (slmin * slmax) / (slmin + slmax) * (
            (travel[pmax] - travel[pmin]) + (drlmin + drlmax + other_max) / slmax - other_min / slmin)
        delta = np.minimum(target - drlmin, drlmax)
        delta = np.where(pmax == pmin, 0.0, delta)
        if step_int:
            size = max(int(np.round(initial_step * 0.5 ** (i / half_life))), 0)
            size = min_step if size < min_step else size
            delta = np.minimum(delta, size).astype(np.int64)
        else:
            size = max(float(initial_step) * 0.5 ** (i / half_life), min_step)
            delta = np.minimum(delta, size * dem).astype(np.int64)
        if not delta.any():  # a fixed point: every later cycle would repeat it
            period, moved = 1, 0
            break
        if i < limit_initial:  # do not let attractive facilities get mobbed
            with np.errstate(divide="ignore", invalid="ignore"):  # 0/0 at facilities without capacity: never a dmin
                naive = np.bincount(dmin, weights=delta, minlength=nd) / cap
            delta = np.round(delta / np.maximum(naive, 1.0)[dmin]).astype(np.int64)
        assign[pmin] += delta
        assign[pmax] -= delta
        moved = int(np.abs(delta).sum())
        i += 1
        if period == 0 and size == min_step and i > limit_initial:
            # From here every cycle applies the same map, so a repeated assignment repeats to
            # the end: run only the cycles that decide the last state. The cheap test (this
            # cycle's moves undo the last one's, origin by origin) picks the cycles whose
            # assignment is worth a digest; the digest compares exact bits.
            if last is not None and _undoes(pmin, pmax, delta, *last):
                key = hashlib.blake2b(assign.tobytes(), digest_size=16).digest()
                if key in seen:
                    period = i - seen[key]
                    n_cycles = i + (n_cycles - i) % period
                seen[key] = i
            last = (pmin, pmax, delta)
    total = at[d] / cap[d] + travel  # the costs every person saw in the last cycle run
    cost_row = np.bincount(row, weights=total * assign) / np.bincount(row, weights=assign)
    out.iloc[origins] = cost_row
    if period == 0:
        logger.info(f"RAAM: stopped at max_cycles={max_cycles} with {moved:,} people still moving per cycle")
    return RAAMResult(out, cycles, period > 0, period, moved, float(rho))
